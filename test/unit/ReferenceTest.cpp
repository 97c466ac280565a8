//===- ReferenceTest.cpp - Unit tests for the float64 reference kernels ---===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Reference/Reference.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

using namespace tessera::reference;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTol = 1e-12;

/// Expects `t` to have shape `shape` and values `data` (within kTol).
void expectTensor(const Tensor &t, const std::vector<int64_t> &shape,
                  const std::vector<double> &data) {
  ASSERT_EQ(t.shape, shape);
  ASSERT_EQ(t.data.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (std::isinf(data[i]))
      EXPECT_EQ(t.data[i], data[i]) << "at flat index " << i;
    else
      EXPECT_NEAR(t.data[i], data[i], kTol) << "at flat index " << i;
  }
}

/// A deterministic, irregular fill so that tests do not rely on symmetry.
Tensor filled(const std::vector<int64_t> &shape, double seed) {
  Tensor t{shape, std::vector<double>(numElements(shape))};
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = std::sin(seed + 0.7 * double(i)) + 0.1 * double(i % 3);
  return t;
}

/// Returns keys/values [begin, end) along dimension 2 of a rank-4 tensor.
Tensor sliceSeq(const Tensor &t, int64_t begin, int64_t end) {
  int64_t b = t.shape[0], h = t.shape[1], s = t.shape[2], d = t.shape[3];
  Tensor r{{b, h, end - begin, d}, {}};
  for (int64_t i = 0; i < b * h; ++i)
    for (int64_t j = begin; j < end; ++j)
      for (int64_t e = 0; e < d; ++e)
        r.data.push_back(t.data[(i * s + j) * d + e]);
  return r;
}

//===----------------------------------------------------------------------===//
// Data model and comparison helpers
//===----------------------------------------------------------------------===//

TEST(ReferenceTest, NumElements) {
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({2, 3, 4}), 24);
  EXPECT_EQ(numElements({2, 0, 4}), 0);
}

TEST(ReferenceTest, IsWellFormed) {
  EXPECT_TRUE(isWellFormed(Tensor{{2, 2}, {1, 2, 3, 4}}));
  std::string err;
  EXPECT_FALSE(isWellFormed(Tensor{{2, 2}, {1, 2, 3}}, &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(isWellFormed(Tensor{{-1}, {}}));
}

TEST(ReferenceTest, CsrRoundTrip) {
  Tensor dense{{2, 3}, {0, 5, 0, 7, 0, 8}};
  auto csr = denseToCsr(dense);
  ASSERT_TRUE(csr);
  EXPECT_EQ(csr->rows, 2);
  EXPECT_EQ(csr->cols, 3);
  EXPECT_EQ(csr->rowPtr, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(csr->colIdx, (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(csr->values, (std::vector<double>{5, 7, 8}));
  auto back = csrToDense(*csr);
  ASSERT_TRUE(back);
  expectTensor(*back, {2, 3}, {0, 5, 0, 7, 0, 8});
}

TEST(ReferenceTest, CsrBadInput) {
  std::string err;
  EXPECT_FALSE(denseToCsr(Tensor{{3}, {1, 2, 3}}, &err));
  EXPECT_FALSE(err.empty());
  Csr bad{2, 2, {0, 1}, {0}, {1.0}}; // rowPtr too short.
  err.clear();
  EXPECT_FALSE(csrToDense(bad, &err));
  EXPECT_FALSE(err.empty());
  Csr badCol{1, 2, {0, 1}, {2}, {1.0}}; // Column out of range.
  EXPECT_FALSE(csrToDense(badCol));
}

TEST(ReferenceTest, MaxAbsDiff) {
  Tensor a{{3}, {1.0, -kInf, 3.0}};
  Tensor b{{3}, {1.5, -kInf, 2.0}};
  EXPECT_EQ(maxAbsDiff(a, b), 1.0);
  EXPECT_EQ(maxAbsDiff(a, a), 0.0);
  EXPECT_EQ(maxAbsDiff(a, Tensor{{3}, {1.0, kInf, 3.0}}), kInf);
  EXPECT_EQ(maxAbsDiff(a, Tensor{{3}, {1.0, -kInf, kNaN}}), kInf);
  Tensor withNaN{{1}, {kNaN}};
  EXPECT_EQ(maxAbsDiff(withNaN, withNaN), kInf);
  EXPECT_EQ(maxAbsDiff(a, Tensor{{1, 3}, {1.0, -kInf, 3.0}}), kInf);
}

TEST(ReferenceTest, MaxRelDiff) {
  Tensor ref{{2}, {4.0, -8.0}};
  EXPECT_DOUBLE_EQ(maxRelDiff(Tensor{{2}, {5.0, -8.0}}, ref), 1.0 / 8.0);
  EXPECT_EQ(maxRelDiff(ref, ref), 0.0);
  Tensor zero{{1}, {0.0}};
  EXPECT_GT(maxRelDiff(Tensor{{1}, {1e-300}}, zero), 1.0);
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

TEST(ReferenceTest, Matmul2x2) {
  Tensor a{{2, 2}, {1, 2, 3, 4}};
  Tensor b{{2, 2}, {5, 6, 7, 8}};
  auto c = matmul(a, b, nullptr);
  ASSERT_TRUE(c);
  expectTensor(*c, {2, 2}, {19, 22, 43, 50});
}

TEST(ReferenceTest, MatmulNonSquare) {
  // [2, 3] x [3, 1].
  Tensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor b{{3, 1}, {1, 0, -1}};
  auto c = matmul(a, b, nullptr);
  ASSERT_TRUE(c);
  expectTensor(*c, {2, 1}, {-2, -2});
}

TEST(ReferenceTest, MatmulTransposes) {
  Tensor aT{{2, 2}, {1, 3, 2, 4}}; // Transpose of [[1, 2], [3, 4]].
  Tensor bT{{2, 2}, {5, 7, 6, 8}}; // Transpose of [[5, 6], [7, 8]].
  Tensor a{{2, 2}, {1, 2, 3, 4}};
  Tensor b{{2, 2}, {5, 6, 7, 8}};
  MatmulOptions opts;
  opts.transposeA = true;
  auto c1 = matmul(aT, b, nullptr, opts);
  ASSERT_TRUE(c1);
  expectTensor(*c1, {2, 2}, {19, 22, 43, 50});
  opts.transposeA = false;
  opts.transposeB = true;
  auto c2 = matmul(a, bT, nullptr, opts);
  ASSERT_TRUE(c2);
  expectTensor(*c2, {2, 2}, {19, 22, 43, 50});
  opts.transposeA = true;
  auto c3 = matmul(aT, bT, nullptr, opts);
  ASSERT_TRUE(c3);
  expectTensor(*c3, {2, 2}, {19, 22, 43, 50});
}

TEST(ReferenceTest, MatmulTransposeNonSquare) {
  // A = [[1, 2, 3]] (M=1, K=3) stored transposed as [3, 1].
  Tensor aT{{3, 1}, {1, 2, 3}};
  // B = [[1, 0], [0, 1], [1, 1]] (K=3, N=2) stored transposed as [2, 3].
  Tensor bT{{2, 3}, {1, 0, 1, 0, 1, 1}};
  MatmulOptions opts;
  opts.transposeA = true;
  opts.transposeB = true;
  auto c = matmul(aT, bT, nullptr, opts);
  ASSERT_TRUE(c);
  expectTensor(*c, {1, 2}, {4, 5});
}

TEST(ReferenceTest, MatmulAlphaBiasRelu) {
  Tensor a{{2, 2}, {1, 2, 3, 4}};
  Tensor b{{2, 2}, {5, 6, 7, 8}};
  Tensor bias{{2}, {1, -100}};
  MatmulOptions opts;
  opts.alpha = 2.0;
  auto none = matmul(a, b, &bias, opts);
  ASSERT_TRUE(none);
  expectTensor(*none, {2, 2}, {39, -56, 87, 0});
  opts.epilogue = Epilogue::Relu;
  auto relu = matmul(a, b, &bias, opts);
  ASSERT_TRUE(relu);
  expectTensor(*relu, {2, 2}, {39, 0, 87, 0});
}

TEST(ReferenceTest, Activations) {
  EXPECT_EQ(relu(-2.0), 0.0);
  EXPECT_EQ(relu(3.5), 3.5);
  EXPECT_EQ(geluTanh(0.0), 0.0);
  EXPECT_NEAR(geluTanh(1.0), 0.8411919906082768, 1e-12);
  EXPECT_NEAR(geluTanh(-1.0), -0.15880800939172324, 1e-12);
  EXPECT_NEAR(geluTanh(2.0), 1.9545976940871754, 1e-12);
  EXPECT_EQ(silu(0.0), 0.0);
  EXPECT_NEAR(silu(1.0), 0.7310585786300049, 1e-12);
  EXPECT_NEAR(silu(-1.0), -0.2689414213699951, 1e-12);
  EXPECT_NEAR(silu(-1000.0), 0.0, 1e-12);
}

TEST(ReferenceTest, MatmulEpilogues) {
  // 1x1 matmuls producing 1 and -1, followed by each activation.
  Tensor a{{1, 2}, {1, 1}};
  Tensor b{{2, 2}, {1, -1, 0, 0}};
  MatmulOptions opts;
  opts.epilogue = Epilogue::GeluTanh;
  auto g = matmul(a, b, nullptr, opts);
  ASSERT_TRUE(g);
  expectTensor(*g, {1, 2}, {0.8411919906082768, -0.15880800939172324});
  opts.epilogue = Epilogue::Silu;
  auto s = matmul(a, b, nullptr, opts);
  ASSERT_TRUE(s);
  expectTensor(*s, {1, 2}, {0.7310585786300049, -0.2689414213699951});
}

TEST(ReferenceTest, MatmulBatchBroadcast) {
  // a: [2, 1, 1, 2], batch i holds the row [i + 1, 1].
  Tensor a{{2, 1, 1, 2}, {1, 1, 2, 1}};
  // b: [3, 2, 1], batch j holds the column [j, 1].
  Tensor b{{3, 2, 1}, {0, 1, 1, 1, 2, 1}};
  auto c = matmul(a, b, nullptr);
  ASSERT_TRUE(c);
  // out[i, j] = (i + 1) * j + 1.
  expectTensor(*c, {2, 3, 1, 1}, {1, 2, 3, 1, 3, 5});
}

TEST(ReferenceTest, MatmulBatchMissingDim) {
  // a: [2, 2] is shared by both batches of b: [2, 2, 2].
  Tensor a{{2, 2}, {1, 2, 3, 4}};
  Tensor b{{2, 2, 2}, {1, 0, 0, 1, 0, 1, 1, 0}};
  auto c = matmul(a, b, nullptr);
  ASSERT_TRUE(c);
  expectTensor(*c, {2, 2, 2}, {1, 2, 3, 4, 2, 1, 4, 3});
}

TEST(ReferenceTest, MatmulBadShapes) {
  std::string err;
  Tensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  EXPECT_FALSE(matmul(a, a, nullptr, MatmulOptions(), &err));
  EXPECT_FALSE(err.empty());
  Tensor vec{{3}, {1, 2, 3}};
  EXPECT_FALSE(matmul(vec, a, nullptr));
  Tensor b{{3, 2}, {1, 2, 3, 4, 5, 6}};
  Tensor badBias{{3}, {1, 2, 3}};
  EXPECT_FALSE(matmul(a, b, &badBias));
  Tensor a2{{2, 2, 3}, std::vector<double>(12, 1.0)};
  Tensor b3{{3, 3, 2}, std::vector<double>(18, 1.0)};
  err.clear();
  EXPECT_FALSE(matmul(a2, b3, nullptr, MatmulOptions(), &err));
  EXPECT_FALSE(err.empty());
  Tensor malformed{{2, 2}, {1, 2, 3}};
  EXPECT_FALSE(matmul(malformed, malformed, nullptr));
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

TEST(ReferenceTest, AttentionSingleKey) {
  Tensor q{{1, 1, 1, 2}, {1, 2}};
  Tensor k{{1, 1, 1, 2}, {3, 4}};
  Tensor v{{1, 1, 1, 3}, {5, 6, 7}};
  auto r = attention(q, k, v);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 1, 1, 3}, {5, 6, 7});
  // Default scale 1 / sqrt(2): score = 11 / sqrt(2).
  expectTensor(r->lse, {1, 1, 1}, {11.0 / std::sqrt(2.0)});
  AttentionOptions opts;
  opts.scale = 0.5;
  auto r2 = attention(q, k, v, opts);
  ASSERT_TRUE(r2);
  expectTensor(r2->lse, {1, 1, 1}, {5.5});
}

TEST(ReferenceTest, AttentionTwoKeys) {
  // Scores [1, 0]: weights [e / (e + 1), 1 / (e + 1)].
  Tensor q{{1, 1, 1, 2}, {1, 0}};
  Tensor k{{1, 1, 2, 2}, {1, 0, 0, 0}};
  Tensor v{{1, 1, 2, 1}, {1, 0}};
  AttentionOptions opts;
  opts.scale = 1.0;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 1, 1, 1}, {0.7310585786300049});
  expectTensor(r->lse, {1, 1, 1}, {1.3132616875182228});
}

TEST(ReferenceTest, AttentionCausalMask) {
  // Zero queries give equal scores, so outputs are means of visible values.
  // Sq = 2, Skv = 3: query 0 sees keys {0, 1}, query 1 sees {0, 1, 2}.
  Tensor q{{1, 1, 2, 1}, {0, 0}};
  Tensor k{{1, 1, 3, 1}, {1, 2, 3}};
  Tensor v{{1, 1, 3, 1}, {1, 10, 100}};
  AttentionOptions opts;
  opts.causal = true;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 1, 2, 1}, {5.5, 37.0});
  expectTensor(r->lse, {1, 1, 2}, {std::log(2.0), std::log(3.0)});
}

TEST(ReferenceTest, AttentionSlidingWindow) {
  Tensor q{{1, 1, 2, 1}, {0, 0}};
  Tensor k{{1, 1, 3, 1}, {1, 2, 3}};
  Tensor v{{1, 1, 3, 1}, {1, 10, 100}};
  AttentionOptions opts;
  opts.causal = true;
  opts.window = 1; // Each query sees only its diagonal key.
  auto r1 = attention(q, k, v, opts);
  ASSERT_TRUE(r1);
  expectTensor(r1->out, {1, 1, 2, 1}, {10, 100});
  expectTensor(r1->lse, {1, 1, 2}, {0, 0});
  opts.window = 2; // Query 0 sees {0, 1}, query 1 sees {1, 2}.
  auto r2 = attention(q, k, v, opts);
  ASSERT_TRUE(r2);
  expectTensor(r2->out, {1, 1, 2, 1}, {5.5, 55});
  expectTensor(r2->lse, {1, 1, 2}, {std::log(2.0), std::log(2.0)});
}

TEST(ReferenceTest, AttentionGqaTwoToOne) {
  // Hq = 2, Hkv = 1: both query heads read the single kv head.
  Tensor q{{1, 2, 1, 1}, {1, 2}};
  Tensor k{{1, 1, 2, 1}, {1, 0}};
  Tensor v{{1, 1, 2, 1}, {1, 0}};
  AttentionOptions opts;
  opts.scale = 1.0;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  // Head 0: scores [1, 0]; head 1: scores [2, 0].
  double e = std::exp(1.0), e2 = std::exp(2.0);
  expectTensor(r->out, {1, 2, 1, 1}, {e / (e + 1), e2 / (e2 + 1)});
  expectTensor(r->lse, {1, 2, 1}, {std::log(e + 1), std::log(e2 + 1)});
}

TEST(ReferenceTest, AttentionGqaHeadMapping) {
  // Hq = 4, Hkv = 2, G = 2: heads {0, 1} -> kv 0, heads {2, 3} -> kv 1
  // (h / G, not h % Hkv).
  Tensor q{{1, 4, 1, 1}, {1, 2, 3, 4}};
  Tensor k{{1, 2, 1, 1}, {2, 3}};
  Tensor v{{1, 2, 1, 1}, {10, 20}};
  AttentionOptions opts;
  opts.scale = 1.0;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 4, 1, 1}, {10, 10, 20, 20});
  expectTensor(r->lse, {1, 4, 1}, {2, 4, 9, 12});
}

TEST(ReferenceTest, AttentionFullyMaskedRows) {
  // Sq = 3 > Skv = 1 with causal: queries 0 and 1 see nothing.
  Tensor q{{1, 1, 3, 1}, {1, 1, 1}};
  Tensor k{{1, 1, 1, 1}, {2}};
  Tensor v{{1, 1, 1, 2}, {7, 8}};
  AttentionOptions opts;
  opts.causal = true;
  opts.scale = 1.0;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 1, 3, 2}, {0, 0, 0, 0, 7, 8});
  expectTensor(r->lse, {1, 1, 3}, {-kInf, -kInf, 2});
}

TEST(ReferenceTest, AttentionBatchIndexing) {
  // Two batches with one key each: output equals that batch's value.
  Tensor q{{2, 1, 1, 1}, {1, 1}};
  Tensor k{{2, 1, 1, 1}, {3, 5}};
  Tensor v{{2, 1, 1, 1}, {-1, -2}};
  AttentionOptions opts;
  opts.scale = 1.0;
  auto r = attention(q, k, v, opts);
  ASSERT_TRUE(r);
  expectTensor(r->out, {2, 1, 1, 1}, {-1, -2});
  expectTensor(r->lse, {2, 1, 1}, {3, 5});
}

TEST(ReferenceTest, AttentionBadShapes) {
  std::string err;
  Tensor q{{1, 3, 1, 2}, std::vector<double>(6, 1.0)};
  Tensor k{{1, 2, 1, 2}, std::vector<double>(4, 1.0)};
  Tensor v{{1, 2, 1, 1}, std::vector<double>(2, 1.0)};
  EXPECT_FALSE(attention(q, k, v, AttentionOptions(), &err)); // 3 % 2 != 0.
  EXPECT_FALSE(err.empty());
  Tensor q2{{1, 2, 1, 3}, std::vector<double>(6, 1.0)};
  EXPECT_FALSE(attention(q2, k, v)); // D mismatch.
  Tensor q3{{1, 2, 1, 2}, std::vector<double>(4, 1.0)};
  Tensor v2{{1, 2, 2, 1}, std::vector<double>(4, 1.0)};
  EXPECT_FALSE(attention(q3, k, v2)); // Skv mismatch between k and v.
  Tensor q4{{2, 1, 2}, std::vector<double>(4, 1.0)};
  EXPECT_FALSE(attention(q4, k, v)); // Rank 3.
  AttentionOptions opts;
  opts.window = 2; // Window without causal.
  EXPECT_FALSE(attention(q3, k, v, opts));
  EXPECT_TRUE(attention(q3, k, v));
}

TEST(ReferenceTest, MergeAttentionSimple) {
  Tensor o1{{1, 1}, {1}}, o2{{1, 1}, {3}};
  Tensor l{{1}, {0}};
  auto r = mergeAttention(o1, l, o2, l);
  ASSERT_TRUE(r);
  expectTensor(r->out, {1, 1}, {2});
  expectTensor(r->lse, {1}, {std::log(2.0)});
}

TEST(ReferenceTest, MergeAttentionWithEmptyHalf) {
  Tensor o1{{2, 2}, {1, 2, 3, 4}};
  Tensor lse1{{2}, {0.5, -kInf}};
  Tensor o2{{2, 2}, {0, 0, 5, 6}};
  Tensor lse2{{2}, {-kInf, 1.5}};
  auto r = mergeAttention(o1, lse1, o2, lse2);
  ASSERT_TRUE(r);
  expectTensor(r->out, {2, 2}, {1, 2, 5, 6});
  expectTensor(r->lse, {2}, {0.5, 1.5});

  Tensor none{{1}, {-kInf}};
  Tensor a{{1, 2}, {9, 9}};
  auto empty = mergeAttention(a, none, a, none);
  ASSERT_TRUE(empty);
  expectTensor(empty->out, {1, 2}, {0, 0});
  expectTensor(empty->lse, {1}, {-kInf});
}

TEST(ReferenceTest, MergeOfHalvesEqualsFullAttention) {
  // Splitting the keys into two disjoint halves and merging the partial
  // results must reproduce attention over all keys.
  Tensor q = filled({2, 4, 3, 5}, 0.1);
  Tensor k = filled({2, 2, 7, 5}, 1.3);
  Tensor v = filled({2, 2, 7, 4}, 2.9);
  for (double &x : q.data)
    x *= 3.0; // Sharpen the softmax.
  auto full = attention(q, k, v);
  ASSERT_TRUE(full);
  for (int64_t split : {1, 3, 6}) {
    auto lo = attention(q, sliceSeq(k, 0, split), sliceSeq(v, 0, split));
    auto hi = attention(q, sliceSeq(k, split, 7), sliceSeq(v, split, 7));
    ASSERT_TRUE(lo);
    ASSERT_TRUE(hi);
    auto merged = mergeAttention(lo->out, lo->lse, hi->out, hi->lse);
    ASSERT_TRUE(merged);
    EXPECT_LT(maxAbsDiff(merged->out, full->out), 1e-12) << "split " << split;
    EXPECT_LT(maxAbsDiff(merged->lse, full->lse), 1e-12) << "split " << split;
    // The halves genuinely differ from the full result.
    EXPECT_GT(maxAbsDiff(lo->out, full->out), 1e-3);
  }
}

TEST(ReferenceTest, MergeAttentionBadShapes) {
  std::string err;
  Tensor o{{2, 3}, std::vector<double>(6, 0.0)};
  Tensor lse{{2}, {0, 0}};
  Tensor badLse{{3}, {0, 0, 0}};
  EXPECT_FALSE(mergeAttention(o, badLse, o, lse, &err));
  EXPECT_FALSE(err.empty());
  Tensor o2{{2, 2}, std::vector<double>(4, 0.0)};
  EXPECT_FALSE(mergeAttention(o, lse, o2, lse));
}

//===----------------------------------------------------------------------===//
// FFT convolution
//===----------------------------------------------------------------------===//

TEST(ReferenceTest, FftconvPlain) {
  Tensor u{{1, 1, 4}, {1, 2, 3, 4}};
  Tensor k{{1, 2}, {1, 1}};
  auto y = fftconv(u, k, nullptr);
  ASSERT_TRUE(y);
  expectTensor(*y, {1, 1, 4}, {1, 3, 5, 7});
  Tensor d{{1}, {0.5}};
  auto yd = fftconv(u, k, &d);
  ASSERT_TRUE(yd);
  expectTensor(*yd, {1, 1, 4}, {1.5, 4, 6.5, 9});
  // Full-length filter [1, 2, 0, -1].
  Tensor k4{{1, 4}, {1, 2, 0, -1}};
  auto y4 = fftconv(u, k4, nullptr);
  ASSERT_TRUE(y4);
  expectTensor(*y4, {1, 1, 4}, {1, 4, 7, 9});
}

TEST(ReferenceTest, FftconvDeltaFilter) {
  // Per-head delta filters; batch 2, heads 2.
  Tensor u{{2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
  Tensor k{{2, 2}, {1, 0, 1, 0}};
  auto y = fftconv(u, k, nullptr);
  ASSERT_TRUE(y);
  expectTensor(*y, u.shape, u.data);
  Tensor d{{2}, {2, -1}};
  auto yd = fftconv(u, k, &d);
  ASSERT_TRUE(yd);
  expectTensor(*yd, u.shape, {3, 6, 9, 0, 0, 0, 21, 24, 27, 0, 0, 0});
  // The truncated path with all frequencies kept (F = N + 1) also gives u.
  auto yt = fftconv(u, k, nullptr, 4);
  ASSERT_TRUE(yt);
  EXPECT_LT(maxAbsDiff(*yt, u), 1e-12);
}

TEST(ReferenceTest, FftconvKeepAboveNEqualsPlain) {
  Tensor u = filled({2, 3, 6}, 0.4);
  Tensor k = filled({3, 4}, 2.2);
  Tensor d{{3}, {0.5, -1.0, 2.0}};
  auto plain = fftconv(u, k, &d, 0);
  auto keepAll = fftconv(u, k, &d, 7); // F = N + 1.
  ASSERT_TRUE(plain);
  ASSERT_TRUE(keepAll);
  EXPECT_LT(maxAbsDiff(*plain, *keepAll), 1e-12);
  auto huge = fftconv(u, k, &d, 1000);
  ASSERT_TRUE(huge);
  EXPECT_EQ(maxAbsDiff(*plain, *huge), 0.0); // Same direct code path.
}

TEST(ReferenceTest, FftconvKeepNDropsOnlyNyquist) {
  // With F = N only bin f = N is dropped, whose contribution to k'[tau] is
  // Kf[N] * (-1)^tau / P with Kf[N] = sum_t k[t] * (-1)^t.
  int64_t n = 5, p = 2 * n;
  Tensor u = filled({1, 1, n}, 0.9);
  Tensor k{{1, 3}, {1.0, -2.0, 0.5}};
  auto plain = fftconv(u, k, nullptr);
  auto keepN = fftconv(u, k, nullptr, n);
  ASSERT_TRUE(plain);
  ASSERT_TRUE(keepN);
  double nyquist = 1.0 + 2.0 + 0.5;
  Tensor expected = *plain;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t s = 0; s < n; ++s)
      expected.data[t] -=
          nyquist * ((t - s) % 2 == 0 ? 1.0 : -1.0) / double(p) * u.data[s];
  EXPECT_LT(maxAbsDiff(*keepN, expected), 1e-12);
  EXPECT_GT(maxAbsDiff(*keepN, *plain), 1e-3);
}

TEST(ReferenceTest, FftconvKeepOnlyDc) {
  // F = 1: k'[tau] = sum(k) / P = 2 / 8 for all tau, so every output is
  // 0.25 * sum(u) = 2.5, plus the skip term.
  Tensor u{{1, 1, 4}, {1, 2, 3, 4}};
  Tensor k{{1, 2}, {1, 1}};
  auto y = fftconv(u, k, nullptr, 1);
  ASSERT_TRUE(y);
  expectTensor(*y, {1, 1, 4}, {2.5, 2.5, 2.5, 2.5});
  Tensor d{{1}, {2}};
  auto yd = fftconv(u, k, &d, 1);
  ASSERT_TRUE(yd);
  expectTensor(*yd, {1, 1, 4}, {4.5, 6.5, 8.5, 10.5});
}

TEST(ReferenceTest, FftconvBadShapes) {
  std::string err;
  Tensor u{{1, 2, 3}, std::vector<double>(6, 1.0)};
  Tensor longK{{2, 4}, std::vector<double>(8, 1.0)};
  EXPECT_FALSE(fftconv(u, longK, nullptr, 0, &err)); // L > N.
  EXPECT_FALSE(err.empty());
  Tensor kWrongH{{3, 2}, std::vector<double>(6, 1.0)};
  EXPECT_FALSE(fftconv(u, kWrongH, nullptr));
  Tensor k{{2, 2}, std::vector<double>(4, 1.0)};
  Tensor badD{{3}, {1, 2, 3}};
  EXPECT_FALSE(fftconv(u, k, &badD));
  EXPECT_FALSE(fftconv(u, k, nullptr, -1));
  Tensor u2{{2, 3}, std::vector<double>(6, 1.0)};
  EXPECT_FALSE(fftconv(u2, k, nullptr));
}

//===----------------------------------------------------------------------===//
// Sparse products
//===----------------------------------------------------------------------===//

TEST(ReferenceTest, Spmm) {
  auto a = denseToCsr(Tensor{{2, 3}, {1, 0, 2, 0, 0, 3}});
  ASSERT_TRUE(a);
  Tensor b{{3, 2}, {1, 2, 3, 4, 5, 6}};
  auto c = spmm(*a, b);
  ASSERT_TRUE(c);
  expectTensor(*c, {2, 2}, {11, 14, 15, 18});
}

TEST(ReferenceTest, SpmmBadShapes) {
  std::string err;
  auto a = denseToCsr(Tensor{{2, 3}, {1, 0, 2, 0, 0, 3}});
  ASSERT_TRUE(a);
  EXPECT_FALSE(spmm(*a, Tensor{{2, 2}, {1, 2, 3, 4}}, &err));
  EXPECT_FALSE(err.empty());
}

TEST(ReferenceTest, SpgemmKeepsStructuralZero) {
  // [1, 1] x [1, -1]^T = 0, but the entry is structurally present.
  auto a = denseToCsr(Tensor{{1, 2}, {1, 1}});
  auto b = denseToCsr(Tensor{{2, 1}, {1, -1}});
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  auto c = spgemm(*a, *b);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rows, 1);
  EXPECT_EQ(c->cols, 1);
  EXPECT_EQ(c->rowPtr, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(c->colIdx, (std::vector<int64_t>{0}));
  EXPECT_EQ(c->values, (std::vector<double>{0.0}));
}

TEST(ReferenceTest, SpgemmSortedColumns) {
  // A = [[1, 2], [0, 0]], B = [[0, 5, 0, 7], [3, 0, 0, 1]].
  // Row 0 of B contributes columns {1, 3} before row 1 adds column 0.
  auto a = denseToCsr(Tensor{{2, 2}, {1, 2, 0, 0}});
  auto b = denseToCsr(Tensor{{2, 4}, {0, 5, 0, 7, 3, 0, 0, 1}});
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  auto c = spgemm(*a, *b);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rows, 2);
  EXPECT_EQ(c->cols, 4);
  EXPECT_EQ(c->rowPtr, (std::vector<int64_t>{0, 3, 3}));
  EXPECT_EQ(c->colIdx, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(c->values, (std::vector<double>{6, 5, 9}));
}

TEST(ReferenceTest, SpgemmMatchesDense) {
  Tensor ad{{3, 4}, {1, 0, 2, 0, 0, 0, 0, 0, -1, 3, 0, 4}};
  Tensor bd{{4, 2}, {0, 1, 2, 0, 0, 0, 5, -6}};
  auto a = denseToCsr(ad);
  auto b = denseToCsr(bd);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  auto c = spgemm(*a, *b);
  ASSERT_TRUE(c);
  auto cd = csrToDense(*c);
  auto ref = matmul(ad, bd, nullptr);
  ASSERT_TRUE(cd);
  ASSERT_TRUE(ref);
  expectTensor(*ref, {3, 2}, {0, 1, 0, 0, 26, -25});
  EXPECT_EQ(maxAbsDiff(*cd, *ref), 0.0);
  auto viaSpmm = spmm(*a, bd);
  ASSERT_TRUE(viaSpmm);
  EXPECT_EQ(maxAbsDiff(*viaSpmm, *ref), 0.0);
}

TEST(ReferenceTest, SpgemmBadShapes) {
  std::string err;
  auto a = denseToCsr(Tensor{{2, 3}, {1, 0, 2, 0, 0, 3}});
  ASSERT_TRUE(a);
  EXPECT_FALSE(spgemm(*a, *a, &err));
  EXPECT_FALSE(err.empty());
}

} // namespace
