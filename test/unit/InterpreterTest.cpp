//===- InterpreterTest.cpp - Unit tests for the reference interpreter -----===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Reference/Interpreter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

using namespace tessera::reference;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTol = 1e-12;

/// Checks that `s` contains `part` (gmock is not linked).
::testing::AssertionResult hasSubstr(const std::string &s,
                                     const std::string &part) {
  if (s.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "'" << s << "' does not contain '" << part << "'";
}

/// Checks that `s` starts with `prefix`.
::testing::AssertionResult startsWith(const std::string &s,
                                      const std::string &prefix) {
  if (s.compare(0, prefix.size(), prefix) == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "'" << s << "' does not start with '" << prefix << "'";
}

/// Expects `t` to have shape `shape` and values `data` (within kTol; equal
/// infinities and NaNs match).
void expectTensor(const Tensor &t, const std::vector<int64_t> &shape,
                  const std::vector<double> &data) {
  ASSERT_EQ(t.shape, shape);
  ASSERT_EQ(t.data.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (std::isnan(data[i]))
      EXPECT_TRUE(std::isnan(t.data[i])) << "at flat index " << i;
    else if (std::isinf(data[i]))
      EXPECT_EQ(t.data[i], data[i]) << "at flat index " << i;
    else
      EXPECT_NEAR(t.data[i], data[i], kTol) << "at flat index " << i;
  }
}

/// Expects `t` to equal `ref` exactly (same shape, same values).
void expectSame(const Tensor &t, const Tensor &ref) {
  ASSERT_EQ(t.shape, ref.shape);
  EXPECT_EQ(maxAbsDiff(t, ref), 0.0);
}

/// A deterministic, irregular fill so that tests do not rely on symmetry.
Tensor filled(const std::vector<int64_t> &shape, double seed) {
  Tensor t{shape, std::vector<double>(numElements(shape))};
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = std::sin(seed + 0.7 * double(i)) + 0.1 * double(i % 3);
  return t;
}

Tensor scalar(double v) { return Tensor{{}, {v}}; }

/// Parses `text`, expecting success.
ReferenceProgram parseOk(const std::string &text) {
  ReferenceProgram program;
  std::string err = parseReferenceProgram(text, program);
  EXPECT_EQ(err, "");
  return program;
}

/// Parses `text` and runs `function` on `args`, expecting success.
std::vector<Tensor> runOk(const std::string &text, const std::string &function,
                          const std::vector<Tensor> &args) {
  ReferenceProgram program = parseOk(text);
  std::vector<Tensor> results;
  std::string err = runReference(program, function, args, results);
  EXPECT_EQ(err, "");
  return results;
}

/// Returns the parse error of `text` (expected to be non-empty).
std::string parseError(const std::string &text) {
  ReferenceProgram program;
  std::string err = parseReferenceProgram(text, program);
  EXPECT_NE(err, "");
  EXPECT_TRUE(program.functions.empty());
  return err;
}

/// Parses `text` (expecting success), runs `function` and returns the
/// run-time error (expected to be non-empty).
std::string runError(const std::string &text, const std::string &function,
                     const std::vector<Tensor> &args) {
  ReferenceProgram program = parseOk(text);
  std::vector<Tensor> results;
  std::string err = runReference(program, function, args, results);
  EXPECT_NE(err, "");
  EXPECT_TRUE(results.empty());
  return err;
}

//===----------------------------------------------------------------------===//
// Generic
//===----------------------------------------------------------------------===//

const char *const kGenericMatmul = R"(tessera-reference 1
function mm 2
%0 = arg 0
%1 = arg 1
%2 = dim %0 0
%3 = dim %1 1
%4 = splat 0 2 %2 %3
%5 = generic 3 ppr ins 2 %0 %1 outs 1 %4
map d0 d2
map d2 d1
map d0 d1
t0 = mulf a0 a1
t1 = addf a2 t0
yield t1
endgeneric
return %5
end
)";

/// Direct [M, K] x [K, N] product.
Tensor directMatmul(const Tensor &a, const Tensor &b) {
  int64_t m = a.shape[0], k = a.shape[1], n = b.shape[1];
  Tensor r{{m, n}, std::vector<double>(m * n, 0.0)};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        r.data[i * n + j] += a.data[i * k + p] * b.data[p * n + j];
  return r;
}

TEST(InterpreterTest, GenericMatmulWithReduction) {
  Tensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor b{{3, 2}, {7, 8, 9, 10, 11, 12}};
  std::vector<Tensor> r = runOk(kGenericMatmul, "mm", {a, b});
  ASSERT_EQ(r.size(), 1u);
  // [1 2 3; 4 5 6] x [7 8; 9 10; 11 12], by hand.
  expectTensor(r[0], {2, 2}, {58, 64, 139, 154});
}

TEST(InterpreterTest, CountsFlops) {
  // A generic matmul: 2 float instructions at each of 2*3*2 points.
  ReferenceProgram program = parseOk(kGenericMatmul);
  Tensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor b{{3, 2}, {7, 8, 9, 10, 11, 12}};
  std::vector<Tensor> results;
  double flops = -1;
  ASSERT_EQ(runReference(program, "mm", {a, b}, results, &flops), "");
  EXPECT_EQ(flops, 24.0);
  // tessera.matmul of [5, 7] x [7, 3]: 2 * 5 * 3 * 7; a causal attention of
  // 1 x 2 heads x 4 queries x 4 keys, d = dv = 8: 2 * 8 * 4 * 16 / 2.
  ReferenceProgram kernels = parseOk(R"(tessera-reference 1
function mm 2
%0 = arg 0
%1 = arg 1
%2 = matmul %0 %1 0 0 1 none
return %2
end
function att 3
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = attention %0 %1 %2 0.5 1 0
return %3
end
)");
  Tensor x{{5, 7}, std::vector<double>(35, 0.5)};
  Tensor w{{7, 3}, std::vector<double>(21, 0.25)};
  ASSERT_EQ(runReference(kernels, "mm", {x, w}, results, &flops), "");
  EXPECT_EQ(flops, 210.0);
  Tensor qkv{{1, 2, 4, 8}, std::vector<double>(64, 0.1)};
  ASSERT_EQ(runReference(kernels, "att", {qkv, qkv, qkv}, results, &flops), "");
  EXPECT_EQ(flops, 512.0);
}

TEST(InterpreterTest, GenericMatmulDynamicShapes) {
  ReferenceProgram program = parseOk(kGenericMatmul);
  for (auto [m, k, n] :
       {std::tuple<int64_t, int64_t, int64_t>{3, 5, 4}, {1, 7, 2}, {4, 1, 6}}) {
    Tensor a = filled({m, k}, 0.3), b = filled({k, n}, 1.9);
    std::vector<Tensor> r;
    ASSERT_EQ(runReference(program, "mm", {a, b}, r), "");
    ASSERT_EQ(r.size(), 1u);
    Tensor expected = directMatmul(a, b);
    expectTensor(r[0], expected.shape, expected.data);
  }
}

TEST(InterpreterTest, RmsNormRowReductionWithCaptures) {
  const char *text = R"(tessera-reference 1
# y = x * rsqrt(mean(x^2) + eps) * w * 2
function rmsnorm 2
%0 = arg 0
%1 = arg 1
%2 = dim %0 0
%3 = dim %0 1
%4 = splat 0 1 %2
%5 = generic 2 pr ins 1 %0 outs 1 %4
map d0 d1
map d0
t0 = mulf a0 a0
t1 = addf a1 t0
yield t1
endgeneric
%6 = const 1e-5
%7 = empty 2 %2 %3
%8 = generic 2 pp ins 3 %0 %5 %1 outs 1 %7 captures 2 %6 %3
map d0 d1
map d0
map d1
map d0 d1
t0 = cast c1
t1 = divf a1 t0
t2 = addf t1 c0
t3 = rsqrt t2
t4 = mulf a0 t3
t5 = mulf t4 a2
t6 = constf 2.0
t7 = mulf t5 t6
yield t7
endgeneric
return %8 %5
end
)";
  Tensor x = filled({3, 4}, 0.5), w = filled({4}, 2.5);
  std::vector<Tensor> r = runOk(text, "rmsnorm", {x, w});
  ASSERT_EQ(r.size(), 2u);
  std::vector<double> expected, sums;
  for (int i = 0; i < 3; ++i) {
    double sum = 0.0;
    for (int j = 0; j < 4; ++j)
      sum += x.data[i * 4 + j] * x.data[i * 4 + j];
    sums.push_back(sum);
    for (int j = 0; j < 4; ++j)
      expected.push_back(x.data[i * 4 + j] / std::sqrt(sum / 4.0 + 1e-5) *
                         w.data[j] * 2.0);
  }
  expectTensor(r[0], {3, 4}, expected);
  expectTensor(r[1], {3}, sums);
}

TEST(InterpreterTest, TransposeViaMaps) {
  // Loop d0's bound comes from dimension 1 of the input, d1's from dim 0.
  const char *text = R"(tessera-reference 1
function transpose 1
%0 = arg 0
%1 = dim %0 0
%2 = dim %0 1
%3 = empty 2 %2 %1
%4 = generic 2 pp ins 1 %0 outs 1 %3
map d1 d0
map d0 d1
yield a0
endgeneric
return %4
end
)";
  Tensor x{{2, 3}, {1, 2, 3, 4, 5, 6}};
  std::vector<Tensor> r = runOk(text, "transpose", {x});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {3, 2}, {1, 4, 2, 5, 3, 6});
}

TEST(InterpreterTest, AffineExpressions) {
  const char *text = R"(tessera-reference 1
function affine 2
%0 = arg 0
%1 = arg 1
%2 = empty 1 6
%3 = generic 1 p ins 1 %0 outs 1 %2
map floordiv(d0,3) mod(d0,3)
map d0
yield a0
endgeneric
%4 = empty 1 6
%5 = generic 1 p ins 1 %3 outs 1 %4
map add(5,mul(d0,-1))
map d0
yield a0
endgeneric
%6 = empty 1 5
%7 = generic 1 p ins 1 %1 outs 1 %6
map ceildiv(d0,2)
map d0
yield a0
endgeneric
%8 = empty 3 6 6 6
%9 = generic 1 p ins 3 %1 %1 %1 outs 1 %8
map add(floordiv(add(d0,-3),2),2)
map add(ceildiv(add(d0,-3),2),1)
map mod(add(d0,-2),3)
map d0 d0 d0
t0 = addf a0 a1
t1 = addf t0 a2
yield t1
endgeneric
return %3 %5 %7 %9
end
)";
  Tensor x{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor z{{4}, {1, 10, 100, 1000}};
  std::vector<Tensor> r = runOk(text, "affine", {x, z});
  ASSERT_EQ(r.size(), 4u);
  expectTensor(r[0], {6}, {1, 2, 3, 4, 5, 6});
  expectTensor(r[1], {6}, {6, 5, 4, 3, 2, 1});
  expectTensor(r[2], {5}, {1, 10, 10, 100, 100});
  // Negative operands: floordiv rounds down, ceildiv up, mod is
  // non-negative. For d0 = 0..5 the three indices are
  // floor((d0-3)/2)+2 = 0 1 1 2 2 3, ceil((d0-3)/2)+1 = 0 0 1 1 2 2 and
  // (d0-2) mod 3 = 1 2 0 1 2 0; the out map touches the diagonal only.
  const Tensor &diag = r[3];
  ASSERT_EQ(diag.shape, (std::vector<int64_t>{6, 6, 6}));
  std::vector<int> i0 = {0, 1, 1, 2, 2, 3}, i1 = {0, 0, 1, 1, 2, 2},
                   i2 = {1, 2, 0, 1, 2, 0};
  for (int d = 0; d < 6; ++d)
    EXPECT_EQ(diag.data[d * 36 + d * 6 + d],
              z.data[i0[d]] + z.data[i1[d]] + z.data[i2[d]])
        << "at d0 = " << d;
  EXPECT_EQ(diag.data[1], 0.0);
}

TEST(InterpreterTest, LoopBoundComesFromTheFirstOperand) {
  // d0 is bounded by the input (3), not the larger output (5): the last two
  // output elements keep their initial value.
  const char *text = R"(tessera-reference 1
function first 1
%0 = arg 0
%1 = splat 7 1 5
%2 = generic 1 p ins 1 %0 outs 1 %1
map d0
map d0
t0 = negf a0
yield t0
endgeneric
return %2
end
)";
  std::vector<Tensor> r = runOk(text, "first", {Tensor{{3}, {1, 2, 3}}});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {5}, {-1, -2, -3, 7, 7});
}

TEST(InterpreterTest, SelectTreatsAnyNonZeroAsTrue) {
  const char *text = R"(tessera-reference 1
function sel 1
%0 = arg 0
%1 = dim %0 0
%2 = empty 1 %1
%3 = const 10
%4 = generic 1 p ins 1 %0 outs 1 %2 captures 1 %3
map d0
map d0
t0 = constf 20
t1 = select a0 c0 t0
yield t1
endgeneric
return %4
end
)";
  std::vector<Tensor> r = runOk(text, "sel", {Tensor{{4}, {-2, 0, 3, kNaN}}});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {4}, {10, 20, 10, 10});
}

TEST(InterpreterTest, ExtractFromCapturedTensor) {
  const char *text = R"(tessera-reference 1
function gather 2
%0 = arg 0
%1 = arg 1
%2 = dim %0 0
%3 = dim %1 1
%4 = empty 2 %2 %3
%5 = generic 2 pp ins 1 %0 outs 1 %4 captures 1 %1
map d0
map d0 d1
t0 = fptosi a0
t1 = index 1
t2 = extract c0 t0 t1
yield t2
endgeneric
return %5
end
)";
  Tensor ids{{4}, {4, 0, 2, 2}};
  Tensor table{{5, 3},
               {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42}};
  std::vector<Tensor> r = runOk(text, "gather", {ids, table});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {4, 3}, {40, 41, 42, 0, 1, 2, 20, 21, 22, 20, 21, 22});

  // An index past the table is reported, with the extract's line.
  Tensor bad{{2}, {1, 5}};
  std::string err = runError(text, "gather", {bad, table});
  EXPECT_TRUE(startsWith(err, "reference line 13: "));
  EXPECT_TRUE(hasSubstr(err, "out of bounds"));
}

TEST(InterpreterTest, CmpSelectIndex) {
  // Causal mask of relu(x): j <= i ? max(x, 0) : -inf.
  const char *text = R"(tessera-reference 1
function mask 1
%0 = arg 0
%1 = dim %0 0
%2 = empty 2 %1 %1
%3 = const -inf
%4 = generic 2 pp ins 1 %0 outs 1 %2 captures 1 %3
map d0 d1
map d0 d1
t0 = index 0
t1 = index 1
t2 = cmpi sle t1 t0
t3 = constf 0
t4 = cmpf ogt a0 t3
t5 = select t4 a0 t3
t6 = select t2 t5 c0
yield t6
endgeneric
return %4
end
)";
  Tensor x{{3, 3}, {1, -2, 3, -4, 5, -6, 7, -8, 9}};
  std::vector<Tensor> r = runOk(text, "mask", {x});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {3, 3}, {1, -kInf, -kInf, 0, 5, -kInf, 7, 0, 9});
}

TEST(InterpreterTest, FloatPredicatesAndNaN) {
  const char *text = R"(tessera-reference 1
function preds 2
%0 = arg 0
%1 = arg 1
%2 = dim %0 0
%3 = empty 1 %2
%4 %5 %6 %7 %8 %9 %10 = generic 1 p ins 2 %0 %1 outs 7 %3 %3 %3 %3 %3 %3 %3
map d0
map d0
map d0
map d0
map d0
map d0
map d0
map d0
map d0
t0 = cmpf oeq a0 a1
t1 = cmpf une a0 a1
t2 = cmpf uno a0 a1
t3 = cmpf ord a0 a1
t4 = cmpf ult a0 a1
t5 = maximumf a0 a1
t6 = minimumf a0 a1
yield t0 t1 t2 t3 t4 t5 t6
endgeneric
return %4 %5 %6 %7 %8 %9 %10
end
)";
  Tensor x{{4}, {1, kNaN, 2, -0.0}};
  Tensor y{{4}, {1, 1, 3, 0.0}};
  std::vector<Tensor> r = runOk(text, "preds", {x, y});
  ASSERT_EQ(r.size(), 7u);
  expectTensor(r[0], {4}, {1, 0, 0, 1});
  expectTensor(r[1], {4}, {0, 1, 1, 0});
  expectTensor(r[2], {4}, {0, 1, 0, 0});
  expectTensor(r[3], {4}, {1, 0, 1, 1});
  expectTensor(r[4], {4}, {0, 1, 1, 0});
  expectTensor(r[5], {4}, {1, kNaN, 3, 0.0});
  expectTensor(r[6], {4}, {1, kNaN, 2, -0.0});
  EXPECT_FALSE(std::signbit(r[5].data[3]));
  EXPECT_TRUE(std::signbit(r[6].data[3]));
}

/// Returns the 1-based number of the line of `text` that contains `needle`.
int lineOf(const std::string &text, const std::string &needle) {
  size_t pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  return 1 + int(std::count(text.begin(), text.begin() + pos, '\n'));
}

/// A rank-0 generic (no loops, iterator string left out) applying the
/// integer ops to two scalars.
std::string integerOpsProgram() {
  const std::vector<std::string> body = {
      "t0 = divsi a0 a1",  "t1 = remsi a0 a1",    "t2 = maxui a0 a1",
      "t3 = xori a0 a1",   "t4 = cmpi ult a0 a1", "t5 = consti 1",
      "t6 = andi t4 t5",   "t7 = addi a0 a1",     "t8 = subi a0 a1",
      "t9 = muli a0 a1",   "t10 = divui a0 a1",   "t11 = remui a0 a1",
      "t12 = minsi a0 a1", "t13 = maxsi a0 a1",   "t14 = minui a0 a1",
      "t15 = ori a0 a1"};
  size_t n = body.size();
  std::string results, outs, yield = "yield", ret = "return";
  for (size_t i = 0; i < n; ++i) {
    std::string id = "%" + std::to_string(3 + i);
    results += (i ? " " : "") + id;
    outs += " %2";
    yield += " t" + std::to_string(i);
    ret += " " + id;
  }
  std::string text = "tessera-reference 1\nfunction ints 2\n%0 = arg 0\n"
                     "%1 = arg 1\n%2 = const 0\n" +
                     results + " = generic 0  ins 2 %0 %1 outs " +
                     std::to_string(n) + outs + " captures 0\n";
  for (size_t i = 0; i < n + 2; ++i)
    text += "map\n";
  for (const std::string &line : body)
    text += line + "\n";
  return text + yield + "\nendgeneric\n" + ret + "\nend\n";
}

TEST(InterpreterTest, IntegerBodyOpsOnRankZero) {
  std::string text = integerOpsProgram();
  std::vector<Tensor> r = runOk(text, "ints", {scalar(-7), scalar(2)});
  ASSERT_EQ(r.size(), 16u);
  uint64_t u = static_cast<uint64_t>(int64_t(-7));
  std::vector<double> expected = {-3, // divsi truncates toward zero.
                                  -1, // remsi takes the sign of the dividend.
                                  -7, // maxui: -7 is the larger unsigned value.
                                  -5, // xori: ...11111001 ^ 00000010.
                                  0,  // cmpi ult: unsigned -7 is not below 2.
                                  1,  // consti.
                                  0,  // andi.
                                  -5,
                                  -9,
                                  -14,
                                  double(static_cast<int64_t>(u / 2)),
                                  double(static_cast<int64_t>(u % 2)),
                                  -7,
                                  2,
                                  2,
                                  -5}; // ori: ...11111001 | 00000010.
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    expectTensor(r[i], {}, {expected[i]});
  }
  EXPECT_EQ(r[11].data[0], 1.0);

  std::string err = runError(text, "ints", {scalar(5), scalar(0)});
  EXPECT_EQ(err, "reference line " +
                     std::to_string(lineOf(text, "t0 = divsi")) +
                     ": divsi: division by zero");
  err = runError(text, "ints", {scalar(0.5e300), scalar(1)});
  EXPECT_TRUE(hasSubstr(err, "divsi: operand is not an integer"));
}

//===----------------------------------------------------------------------===//
// Tensor ops
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, ReshapeDimEmptyDynamic) {
  const char *text = R"(tessera-reference 1
function flatten 1
%0 = arg 0
%1 = dim %0 0
%2 = dim %0 1
%3 = dim %0 2
%4 = index.mul %1 %2
%5 = reshape %0 2 %4 %3
%6 = empty 2 %3 %4
%7 = reshape %5 0
return %5 %6 %4
end
)";
  ReferenceProgram program = parseOk(text);
  for (auto shape : {std::vector<int64_t>{2, 3, 4}, {1, 2, 5}}) {
    Tensor x = filled(shape, 1.1);
    std::vector<Tensor> r;
    // %7 reshapes to rank 0, which fails unless the input has one element.
    std::string err = runReference(program, "flatten", {x}, r);
    EXPECT_TRUE(startsWith(err, "reference line 10: "));
    EXPECT_TRUE(hasSubstr(err, "element counts differ"));
  }

  // Without the bad reshape, both input shapes work.
  std::string good = text;
  good.erase(good.find("%7 = reshape %5 0\n"), 18);
  program = parseOk(good);
  for (auto shape : {std::vector<int64_t>{2, 3, 4}, {1, 2, 5}}) {
    Tensor x = filled(shape, 1.1);
    std::vector<Tensor> r;
    ASSERT_EQ(runReference(program, "flatten", {x}, r), "");
    ASSERT_EQ(r.size(), 3u);
    int64_t rows = shape[0] * shape[1];
    expectTensor(r[0], {rows, shape[2]}, x.data);
    expectTensor(r[1], {shape[2], rows},
                 std::vector<double>(rows * shape[2], 0.0));
    expectTensor(r[2], {}, {double(rows)});
  }
}

TEST(InterpreterTest, IndexArithmetic) {
  const char *text = R"(tessera-reference 1
function idx 0
%0 = const -7
%1 = const 2
%2 = index.div %0 %1
%3 = index.rem %0 %1
%4 = index.add %0 %1
%5 = index.sub %0 %1
%6 = index.mul %0 3
%7 = index.min %0 %1
%8 = index.max %0 %1
return %2 %3 %4 %5 %6 %7 %8
end
)";
  std::vector<Tensor> r = runOk(text, "idx", {});
  ASSERT_EQ(r.size(), 7u);
  std::vector<double> expected = {-3, -1, -5, -9, -21, -7, 2};
  for (size_t i = 0; i < expected.size(); ++i)
    expectTensor(r[i], {}, {expected[i]});
}

TEST(InterpreterTest, Pad) {
  const char *text = R"(tessera-reference 1
function pad 2
%0 = arg 0
%1 = arg 1
%2 = pad %0 -1 2 1 0 2 0 2
%3 = const 1
%4 = pad %0 %1 2 %3 0 2 0 %3
return %2 %4
end
)";
  Tensor x{{2, 2}, {1, 2, 3, 4}};
  std::vector<Tensor> r = runOk(text, "pad", {x, scalar(9)});
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], {3, 4}, {-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1});
  // Sizes and the padding value may also be rank-0 values.
  expectTensor(r[1], {3, 3}, {9, 9, 9, 1, 2, 9, 3, 4, 9});
  const char *rank1 = R"(tessera-reference 1
function pad 1
%0 = arg 0
%1 = pad %0 7.5 1 2 1 1
return %1
end
)";
  std::vector<Tensor> r1 = runOk(rank1, "pad", {Tensor{{2}, {1, 2}}});
  ASSERT_EQ(r1.size(), 1u);
  expectTensor(r1[0], {5}, {7.5, 7.5, 1, 2, 7.5});
}

TEST(InterpreterTest, PadRankMismatchIsAnError) {
  const char *text = R"(tessera-reference 1
function pad 1
%0 = arg 0
%1 = pad %0 0 1 1 1 1
return %1
end
)";
  std::string err = runError(text, "pad", {Tensor{{2, 2}, {1, 2, 3, 4}}});
  EXPECT_TRUE(startsWith(err, "reference line 4: "));
}

TEST(InterpreterTest, DenseSplatConstConvert) {
  const char *text = R"(tessera-reference 1
function consts 0
%0 = dense 2 2 3 1 2 3 4 5 6
%1 = splat 2.5 1 3
%2 = const inf
%3 = const nan
%4 = convert %0
%5 = splat %2 0
return %4 %1 %2 %3 %5
end
)";
  std::vector<Tensor> r = runOk(text, "consts", {});
  ASSERT_EQ(r.size(), 5u);
  expectTensor(r[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  expectTensor(r[1], {3}, {2.5, 2.5, 2.5});
  expectTensor(r[2], {}, {kInf});
  expectTensor(r[3], {}, {kNaN});
  expectTensor(r[4], {}, {kInf});
}

//===----------------------------------------------------------------------===//
// Tessera ops
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, MatmulWithScales) {
  // a b scale_a scale_b [bias]: the scales' product multiplies alpha.
  const char *text = R"(tessera-reference 1
function mm 5
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = arg 3
%4 = arg 4
%5 = matmul %0 %1 %2 %3 %4 0 1 0.5 relu
%6 = matmul %0 %1 %2 %3 0 1 1 none
return %5 %6
end
)";
  Tensor a = filled({3, 4}, 0.2), b = filled({5, 4}, 1.3),
         bias = filled({5}, 2.1);
  std::vector<Tensor> r =
      runOk(text, "mm", {a, b, scalar(0.25), scalar(3.0), bias});
  ASSERT_EQ(r.size(), 2u);
  MatmulOptions options;
  options.transposeB = true;
  options.alpha = 0.5 * 0.25 * 3.0;
  options.epilogue = Epilogue::Relu;
  std::optional<Tensor> expected = matmul(a, b, &bias, options);
  ASSERT_TRUE(expected);
  expectSame(r[0], *expected);
  MatmulOptions scaled;
  scaled.transposeB = true;
  scaled.alpha = 0.75;
  std::optional<Tensor> expectedScaled = matmul(a, b, nullptr, scaled);
  ASSERT_TRUE(expectedScaled);
  expectSame(r[1], *expectedScaled);

  // A scale is one element.
  std::string err = runError(text, "mm",
                             {a, b, Tensor{{2}, {1.0, 2.0}}, scalar(3.0), bias});
  EXPECT_TRUE(hasSubstr(err, "matmul: a scale has 2 elements, not 1")) << err;
  EXPECT_TRUE(hasSubstr(parseError("tessera-reference 1\nfunction f 1\n%0 = "
                                   "arg 0\n%1 = matmul %0 %0 %0 %0 %0 %0 0 0 "
                                   "1 none\nreturn %1\nend\n"),
                        "'matmul' takes 6 to 9 operands, got 10"));
}

TEST(InterpreterTest, MatmulWithBiasAndSilu) {
  const char *text = R"(tessera-reference 1
function mm 3
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = matmul %0 %1 %2 0 1 0.5 silu
%4 = matmul %0 %1 0 1 1 none
return %3 %4
end
)";
  Tensor a = filled({2, 3, 4}, 0.2), b = filled({5, 4}, 1.3),
         bias = filled({5}, 2.1);
  std::vector<Tensor> r = runOk(text, "mm", {a, b, bias});
  ASSERT_EQ(r.size(), 2u);
  MatmulOptions options;
  options.transposeB = true;
  options.alpha = 0.5;
  options.epilogue = Epilogue::Silu;
  std::optional<Tensor> expected = matmul(a, b, &bias, options);
  ASSERT_TRUE(expected);
  EXPECT_EQ(r[0].shape, (std::vector<int64_t>{2, 3, 5}));
  expectSame(r[0], *expected);

  MatmulOptions plain;
  plain.transposeB = true;
  std::optional<Tensor> expectedPlain = matmul(a, b, nullptr, plain);
  ASSERT_TRUE(expectedPlain);
  expectSame(r[1], *expectedPlain);

  // Spot-check one element by hand against the kernel's definition.
  double acc = 0.0;
  for (int k = 0; k < 4; ++k)
    acc += a.data[(1 * 3 + 2) * 4 + k] * b.data[4 * 4 + k];
  EXPECT_NEAR(r[0].data[(1 * 3 + 2) * 5 + 4], silu(0.5 * acc + bias.data[4]),
              kTol);
}

TEST(InterpreterTest, AttentionCausalGqa) {
  const char *text = R"(tessera-reference 1
function attn 3
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 %4 = attention %0 %1 %2 0.7 1 0
%5 = attention %0 %1 %2 0.7 1 2
return %3 %4 %5
end
)";
  Tensor q = filled({1, 4, 3, 2}, 0.1), k = filled({1, 2, 5, 2}, 0.9),
         v = filled({1, 2, 5, 3}, 1.7);
  std::vector<Tensor> r = runOk(text, "attn", {q, k, v});
  ASSERT_EQ(r.size(), 3u);
  AttentionOptions options;
  options.scale = 0.7;
  options.causal = true;
  std::optional<AttentionResult> expected = attention(q, k, v, options);
  ASSERT_TRUE(expected);
  EXPECT_EQ(r[0].shape, (std::vector<int64_t>{1, 4, 3, 3}));
  expectSame(r[0], expected->out);
  expectSame(r[1], expected->lse);

  options.window = 2;
  std::optional<AttentionResult> windowed = attention(q, k, v, options);
  ASSERT_TRUE(windowed);
  expectSame(r[2], windowed->out);
  // The window changes the result (query 0 of 3 sees keys 1..2 of 5, not
  // 0..2), so the attribute really reaches the kernel.
  EXPECT_GT(maxAbsDiff(r[2], r[0]), 1e-6);
}

TEST(InterpreterTest, MergeAttention) {
  const char *text = R"(tessera-reference 1
function merge 4
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = arg 3
%4 %5 = merge_attention %0 %1 %2 %3
return %4 %5
end
)";
  Tensor o1 = filled({2, 3}, 0.4), l1{{2}, {0.5, -kInf}};
  Tensor o2 = filled({2, 3}, 1.4), l2{{2}, {1.5, -kInf}};
  std::vector<Tensor> r = runOk(text, "merge", {o1, l1, o2, l2});
  ASSERT_EQ(r.size(), 2u);
  std::optional<AttentionResult> expected = mergeAttention(o1, l1, o2, l2);
  ASSERT_TRUE(expected);
  expectSame(r[0], expected->out);
  expectTensor(r[1], {2}, {1.5 + std::log(1.0 + std::exp(-1.0)), -kInf});
}

TEST(InterpreterTest, FftConv) {
  const char *text = R"(tessera-reference 1
function conv 3
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = fftconv %0 %1 %2 0
%4 = fftconv %0 %1 3
return %3 %4
end
)";
  Tensor u = filled({2, 3, 8}, 0.6), k = filled({3, 4}, 2.2),
         d = filled({3}, 3.3);
  std::vector<Tensor> r = runOk(text, "conv", {u, k, d});
  ASSERT_EQ(r.size(), 2u);
  std::optional<Tensor> full = fftconv(u, k, &d, 0);
  std::optional<Tensor> truncated = fftconv(u, k, nullptr, 3);
  ASSERT_TRUE(full && truncated);
  expectSame(r[0], *full);
  expectSame(r[1], *truncated);
  // Direct causal convolution for one element: b=1, h=2, t=5.
  double acc = d.data[2] * u.data[(1 * 3 + 2) * 8 + 5];
  for (int s = 2; s <= 5; ++s)
    acc += k.data[2 * 4 + (5 - s)] * u.data[(1 * 3 + 2) * 8 + s];
  EXPECT_NEAR(r[0].data[(1 * 3 + 2) * 8 + 5], acc, kTol);
}

TEST(InterpreterTest, SparseProducts) {
  const char *text = R"(tessera-reference 1
function sparse 3
%0 = arg 0
%1 = arg 1
%2 = arg 2
%3 = spmm %0 %1
%4 = spgemm %0 %2
return %3 %4
end
)";
  Tensor a{{3, 4}, {1, 0, 0, 2, 0, 0, 0, 0, 0, 3, -1, 0}};
  Tensor b = filled({4, 2}, 0.8);
  Tensor c{{4, 3}, {0, 1, 0, 2, 0, 0, 0, 0, 5, 1, 1, 0}};
  std::vector<Tensor> r = runOk(text, "sparse", {a, b, c});
  ASSERT_EQ(r.size(), 2u);
  Tensor expectedB = directMatmul(a, b);
  expectTensor(r[0], {3, 2}, expectedB.data);
  // a x c by hand: row 0 = 1*c0 + 2*c3, row 1 = 0, row 2 = 3*c1 - c2.
  expectTensor(r[1], {3, 3}, {2, 3, 0, 0, 0, 0, 6, 0, -5});
}

TEST(InterpreterTest, SparseProductsCheckRanks) {
  // A rank-1 B was read past its shape (the FLOP count before any check).
  const char *text = R"(tessera-reference 1
function sparse 2
%0 = arg 0
%1 = arg 1
%2 = spmm %0 %1
return %2
end
function product 2
%0 = arg 0
%1 = arg 1
%2 = spgemm %0 %1
return %2
end
)";
  Tensor a{{2, 2}, {1, 0, 0, 2}};
  Tensor vector{{2}, {1, 1}};
  EXPECT_NE(
      runError(text, "sparse", {a, vector}).find("b has rank 1, expected 2"),
      std::string::npos);
  EXPECT_NE(
      runError(text, "product", {a, vector}).find("b has rank 1, expected 2"),
      std::string::npos);
  EXPECT_NE(runError(text, "sparse", {vector, a}).find("a: "),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Program structure
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, SeveralFunctionsCommentsAndBlankLines) {
  const char *text = "# leading comment\n"
                     "\n"
                     "tessera-reference 1   # trailing comment\r\n"
                     "function first 1\n"
                     "%0 = arg 0\n"
                     "  %1   =  convert   %0  \n"
                     "return %1 %0\n"
                     "end\n"
                     "\n"
                     "function second 0\n"
                     "%3 = const 4\n"
                     "return %3\n"
                     "end\n";
  ReferenceProgram program = parseOk(text);
  EXPECT_TRUE(hasReferenceFunction(program, "first"));
  EXPECT_TRUE(hasReferenceFunction(program, "second"));
  EXPECT_FALSE(hasReferenceFunction(program, "third"));
  EXPECT_EQ(referenceFunctionNames(program),
            (std::vector<std::string>{"first", "second"}));
  std::vector<Tensor> r;
  ASSERT_EQ(runReference(program, "first", {Tensor{{2}, {1, 2}}}, r), "");
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], {2}, {1, 2});
  expectTensor(r[1], {2}, {1, 2});
  ASSERT_EQ(runReference(program, "second", {}, r), "");
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {}, {4});
}

//===----------------------------------------------------------------------===//
// Parse errors
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, ParseErrorUnknownOp) {
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 0\n"
                       "%1 = frobnicate %0\nreturn %1\nend\n"),
            "reference line 4: unknown op 'frobnicate'");
}

TEST(InterpreterTest, ParseErrorUndefinedValue) {
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 0\n"
                       "%1 = convert %7\nreturn %1\nend\n"),
            "reference line 4: undefined value %7");
  // A value cannot be used by the line that defines it.
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n"
                       "%1 = convert %1\nreturn %1\nend\n"),
            "reference line 3: undefined value %1");
  // Values are local to their function.
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n%0 = const 1\n"
                       "return %0\nend\nfunction g 0\nreturn %0\nend\n"),
            "reference line 7: undefined value %0");
}

TEST(InterpreterTest, ParseErrorRedefinedValue) {
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n%0 = const 1\n"
                       "%0 = const 2\nreturn %0\nend\n"),
            "reference line 4: value %0 is defined twice");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n"
                       "%0 = empty 1 2\n"
                       "%1 = generic 1 p ins 0 outs 1 %0\nmap d0\n"
                       "t0 = constf 1\nt0 = constf 2\nyield t0\nendgeneric\n"
                       "return %1\nend\n"),
            "reference line 7: value t0 is defined twice");
}

TEST(InterpreterTest, ParseErrorBadNumber) {
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n"
                       "%0 = const 1.5x\nreturn %0\nend\n"),
            "reference line 3: bad number '1.5x' for the constant");
  EXPECT_TRUE(startsWith(parseError("tessera-reference 1\nfunction f 0\n"
                                    "%0 = splat 0 2 3 x\nreturn %0\nend\n"),
                         "reference line 3: bad number 'x'"));
  EXPECT_TRUE(
      startsWith(parseError("tessera-reference 1\nfunction f zero\nend\n"),
                 "reference line 2: bad number 'zero'"));
}

TEST(InterpreterTest, ParseErrorMissingEnd) {
  EXPECT_EQ(parseError("tessera-reference 1\n\nfunction f 0\n%0 = const 1\n"
                       "return %0\n"),
            "reference line 3: function 'f' is missing 'end'");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n%0 = const 1\n"
                       "return %0\nfunction g 0\n"),
            "reference line 5: missing 'end' of function 'f' before this "
            "line");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n%0 = const 1\n"
                       "end\n"),
            "reference line 4: function 'f' ends without 'return'");
}

TEST(InterpreterTest, ParseErrorsInGeneric) {
  const std::string prefix = "tessera-reference 1\nfunction f 1\n%0 = arg 0\n";
  // Line 4 is the generic header.
  EXPECT_EQ(parseError(prefix + "%1 = generic 2 pp ins 1 %0 outs 1 %0\n"
                                "map d0 d0\nmap d0 d0\nyield a0\nendgeneric\n"
                                "return %1\nend\n"),
            "reference line 4: loop d1 has no bound: no operand dimension is "
            "exactly d1");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap d0\nt0 = sinh a0\nyield t0\n"
                                "endgeneric\nreturn %1\nend\n"),
            "reference line 7: unknown body op 'sinh'");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap d0\nt0 = addf a0 t4\nyield t0\n"
                                "endgeneric\nreturn %1\nend\n"),
            "reference line 7: undefined value t4");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap d0\nyield a0\n"),
            "reference line 4: 'generic' is missing 'endgeneric'");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap sub(d0,1)\nyield a0\nendgeneric\n"
                                "return %1\nend\n"),
            "reference line 6: bad affine expression 'sub(d0,1)'");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d1\nmap d0\nyield a0\nendgeneric\n"
                                "return %1\nend\n"),
            "reference line 5: loop d1 out of range (generic has 1 loops)");
  EXPECT_EQ(parseError(prefix + "%1 %2 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap d0\nyield a0\nendgeneric\n"
                                "return %1\nend\n"),
            "reference line 4: 'generic' has 1 outs but 2 results");
  EXPECT_EQ(parseError(prefix + "%1 = generic 1 p ins 1 %0 outs 1 %0\n"
                                "map d0\nmap d0\nt0 = extract c0 a0\n"
                                "yield t0\nendgeneric\nreturn %1\nend\n"),
            "reference line 7: capture c0 out of range (generic has 0 "
            "captures)");
}

TEST(InterpreterTest, ParseErrorsInHeaderAndOps) {
  EXPECT_EQ(parseError(""),
            "reference line 1: missing header 'tessera-reference 1'");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\nreturn\nend\n"
                       "junk\n"),
            "reference line 5: expected 'function', got 'junk'");
  EXPECT_EQ(parseError("tessera-reference 2\n"),
            "reference line 1: unsupported reference format version '2'");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 1\n"
                       "return %0\nend\n"),
            "reference line 3: argument index 1 out of range (function 'f' "
            "has 1 arguments)");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\n"
                       "%0 = dense 1 3 1 2\nreturn %0\nend\n"),
            "reference line 3: dense shape [3] needs 3 values, got 2");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 0\n"
                       "%1 %2 %3 = attention %0 %0 %0 1 0 0\nreturn %1\n"
                       "end\n"),
            "reference line 4: 'attention' has 1 or 2 results, got 3");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 0\n"
                       "%1 = matmul %0 %0 0 0 1 swish\nreturn %1\nend\n"),
            "reference line 4: unknown epilogue 'swish'");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\nend\n"
                       "function f 0\nend\n"),
            "reference line 3: function 'f' ends without 'return'");
  EXPECT_EQ(parseError("tessera-reference 1\nfunction f 0\nreturn\nend\n"
                       "function f 0\nreturn\nend\n"),
            "reference line 5: function 'f' is defined twice");
}

//===----------------------------------------------------------------------===//
// Run-time errors
//===----------------------------------------------------------------------===//

const char *const kIdentity = R"(tessera-reference 1
function id 1
%0 = arg 0
return %0
end
)";

TEST(InterpreterTest, RunErrorWrongArgumentCount) {
  EXPECT_EQ(runError(kIdentity, "id", {scalar(1), scalar(2)}),
            "reference function 'id' expects 1 arguments, got 2");
  EXPECT_EQ(runError(kIdentity, "id", {}),
            "reference function 'id' expects 1 arguments, got 0");
  EXPECT_EQ(runError(kIdentity, "nope", {scalar(1)}),
            "no reference function 'nope'");
}

TEST(InterpreterTest, RunErrorMalformedArgument) {
  EXPECT_EQ(runError(kIdentity, "id", {Tensor{{2, 2}, {1, 2, 3}}}),
            "reference function 'id': argument 0: shape [2, 2] needs 4 "
            "elements, got 3");
  EXPECT_TRUE(hasSubstr(runError(kIdentity, "id", {Tensor{{-1}, {}}}),
                        "negative dimension"));
}

TEST(InterpreterTest, RunErrorReshapeCountMismatch) {
  const char *text = R"(tessera-reference 1
function r 1
%0 = arg 0
%1 = reshape %0 2 3 3
return %1
end
)";
  EXPECT_EQ(runError(text, "r", {filled({2, 4}, 0.0)}),
            "reference line 4: reshape of %0 from [2, 4] (8 elements) to "
            "[3, 3] (9 elements): element counts differ");
}

TEST(InterpreterTest, RunErrorOutOfBoundsMapAccess) {
  const char *text = R"(tessera-reference 1
function shift 1
%0 = arg 0
%1 = empty 1 4
%2 = generic 1 p ins 1 %0 outs 1 %1
map add(d0,1)
map d0
yield a0
endgeneric
return %2
end
)";
  // Loop d0 gets its bound from the output (4); the input has 4 elements
  // too, so the last point reads past it.
  EXPECT_EQ(runError(text, "shift", {filled({4}, 0.0)}),
            "reference line 6: generic in 0 (%0) index 4 out of bounds for "
            "dimension 0 of shape [4] at point [3]");
  // With a longer input it works.
  std::vector<Tensor> r = runOk(text, "shift", {Tensor{{5}, {0, 1, 2, 3, 4}}});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {4}, {1, 2, 3, 4});
}

TEST(InterpreterTest, RunErrorMapRankMismatch) {
  EXPECT_EQ(runError(kGenericMatmul, "mm",
                     {filled({2, 3, 1}, 0.0), filled({3, 2}, 0.0)}),
            "reference line 9: map of generic in 0 (%0) has 2 results but the "
            "operand has shape [2, 3, 1]");
}

TEST(InterpreterTest, RunErrorHugeTensorsAreRefused) {
  const char *text = R"(tessera-reference 1
function big 1
%0 = arg 0
%1 = splat 0 2 100000 100000
%2 = empty 3 %0 %0 %0
return %1 %2
end
)";
  EXPECT_EQ(runError(text, "big", {scalar(2)}),
            "reference line 4: shape [100000, 100000] has more elements than "
            "the limit of 2^31");
  const char *dynamic = R"(tessera-reference 1
function big 1
%0 = arg 0
%1 = empty 3 %0 %0 %0
return %1
end
)";
  EXPECT_TRUE(
      hasSubstr(runError(dynamic, "big", {scalar(1e6)}), "limit of 2^31"));
  EXPECT_EQ(runError(dynamic, "big", {scalar(-1)}),
            "reference line 4: negative size -1");
  EXPECT_EQ(runError(dynamic, "big", {scalar(1.5e300)}),
            "reference line 4: %0 is not an integer (1.5e+300)");
  // The product of two empty-looking operands is refused before the kernel
  // allocates it.
  const char *product = R"(tessera-reference 1
function mm 2
%0 = arg 0
%1 = arg 1
%2 = matmul %0 %1 0 0 1 none
return %2
end
)";
  Tensor a{{1 << 20, 0}, {}}, b{{0, 1 << 20}, {}};
  EXPECT_TRUE(startsWith(runError(product, "mm", {a, b}),
                         "reference line 5: matmul: result shape"));
}

TEST(InterpreterTest, RunErrorKernelAndScalarChecks) {
  const char *text = R"(tessera-reference 1
function k 2
%0 = arg 0
%1 = arg 1
%2 = matmul %0 %1 0 0 1 none
return %2
end
)";
  EXPECT_TRUE(startsWith(
      runError(text, "k", {filled({2, 3}, 0.0), filled({4, 2}, 0.0)}),
      "reference line 5: matmul: contraction sizes"));

  const char *capture = R"(tessera-reference 1
function c 1
%0 = arg 0
%1 = generic 1 p ins 0 outs 1 %0 captures 1 %0
map d0
t0 = addf a0 c0
yield t0
endgeneric
return %1
end
)";
  EXPECT_EQ(runError(capture, "c", {filled({3}, 0.0)}),
            "reference line 4: capture c0 (%0) is used as a scalar but has "
            "shape [3]");
}

TEST(InterpreterTest, RankZeroGenericWithCapture) {
  const char *text = R"(tessera-reference 1
function c 1
%0 = arg 0
%1 = generic 0 ins 0 outs 1 %0 captures 1 %0
map
t0 = addf a0 c0
yield t0
endgeneric
return %1
end
)";
  std::vector<Tensor> r = runOk(text, "c", {scalar(2.5)});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {}, {5.0});
}

} // namespace

TEST(InterpreterTest, StoragePrecision) {
  ReferenceProgram program = parseOk("tessera-reference 1\n"
                                     "function narrow 1\n"
                                     "precision bf16\n"
                                     "%0 = arg 0\n"
                                     "return %0\n"
                                     "end\n"
                                     "function wide 1\n"
                                     "%0 = arg 0\n"
                                     "return %0\n"
                                     "end\n");
  EXPECT_EQ(referencePrecision(program, "narrow"), "bf16");
  EXPECT_EQ(referencePrecision(program, "wide"), "");
  EXPECT_EQ(referencePrecision(program, "missing"), "");
  EXPECT_NE(parseError("tessera-reference 1\nfunction f 1\nprecision f64\n"
                       "%0 = arg 0\nreturn %0\nend\n")
                .find("'precision' takes one of"),
            std::string::npos);
  EXPECT_NE(parseError("tessera-reference 1\nfunction f 1\n%0 = arg 0\n"
                       "precision f16\nreturn %0\nend\n")
                .find("'precision' must come once, before the first op"),
            std::string::npos);
}
