//===- Reference.cpp - Float64 reference kernels for testing --------------===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Reference/Reference.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <sstream>

using namespace tessera::reference;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846264338327950288;

/// Stores `msg` in `*err` (if non-null) and returns an empty optional.
template <typename T>
std::optional<T> fail(std::string *err, const std::string &msg) {
  if (err)
    *err = msg;
  return std::nullopt;
}

/// Returns false after storing `msg` in `*err` (if non-null).
bool failBool(std::string *err, const std::string &msg) {
  if (err)
    *err = msg;
  return false;
}

std::string shapeToString(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

/// Validates `t` and prefixes any error with `name`.
bool checkTensor(const Tensor &t, const char *name, std::string *err) {
  std::string inner;
  if (isWellFormed(t, &inner))
    return true;
  return failBool(err, std::string(name) + ": " + inner);
}

bool checkCsr(const Csr &a, const char *name, std::string *err) {
  std::string inner;
  if (isWellFormed(a, &inner))
    return true;
  return failBool(err, std::string(name) + ": " + inner);
}

} // namespace

//===----------------------------------------------------------------------===//
// Data model
//===----------------------------------------------------------------------===//

int64_t tessera::reference::numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

bool tessera::reference::isWellFormed(const Tensor &t, std::string *err) {
  for (int64_t dim : t.shape)
    if (dim < 0)
      return failBool(err,
                      "negative dimension in shape " + shapeToString(t.shape));
  int64_t n = numElements(t.shape);
  if (static_cast<int64_t>(t.data.size()) != n)
    return failBool(err, "shape " + shapeToString(t.shape) + " needs " +
                             std::to_string(n) + " elements but data has " +
                             std::to_string(t.data.size()));
  return true;
}

bool tessera::reference::isWellFormed(const Csr &a, std::string *err) {
  if (a.rows < 0 || a.cols < 0)
    return failBool(err, "negative CSR dimensions");
  if (static_cast<int64_t>(a.rowPtr.size()) != a.rows + 1)
    return failBool(err, "rowPtr must have rows + 1 entries");
  if (a.rowPtr[0] != 0)
    return failBool(err, "rowPtr[0] must be 0");
  for (int64_t r = 0; r < a.rows; ++r)
    if (a.rowPtr[r + 1] < a.rowPtr[r])
      return failBool(err, "rowPtr must be non-decreasing");
  int64_t nnz = a.rowPtr[a.rows];
  if (static_cast<int64_t>(a.colIdx.size()) != nnz ||
      static_cast<int64_t>(a.values.size()) != nnz)
    return failBool(err, "colIdx and values must have rowPtr[rows] entries");
  for (int64_t c : a.colIdx)
    if (c < 0 || c >= a.cols)
      return failBool(err,
                      "column index " + std::to_string(c) + " out of range");
  return true;
}

std::optional<Csr> tessera::reference::denseToCsr(const Tensor &t,
                                                  std::string *err) {
  if (!checkTensor(t, "denseToCsr", err))
    return std::nullopt;
  if (t.shape.size() != 2)
    return fail<Csr>(err, "denseToCsr: expected a rank-2 tensor, got " +
                              shapeToString(t.shape));
  Csr result;
  result.rows = t.shape[0];
  result.cols = t.shape[1];
  result.rowPtr.push_back(0);
  for (int64_t r = 0; r < result.rows; ++r) {
    for (int64_t c = 0; c < result.cols; ++c) {
      double x = t.data[r * result.cols + c];
      if (x != 0.0) {
        result.colIdx.push_back(c);
        result.values.push_back(x);
      }
    }
    result.rowPtr.push_back(static_cast<int64_t>(result.colIdx.size()));
  }
  return result;
}

std::optional<Tensor> tessera::reference::csrToDense(const Csr &a,
                                                     std::string *err) {
  if (!checkCsr(a, "csrToDense", err))
    return std::nullopt;
  Tensor result;
  result.shape = {a.rows, a.cols};
  result.data.assign(a.rows * a.cols, 0.0);
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t p = a.rowPtr[r]; p < a.rowPtr[r + 1]; ++p)
      result.data[r * a.cols + a.colIdx[p]] += a.values[p];
  return result;
}

//===----------------------------------------------------------------------===//
// Comparison helpers
//===----------------------------------------------------------------------===//

double tessera::reference::maxAbsDiff(const Tensor &a, const Tensor &b) {
  if (a.shape != b.shape || a.data.size() != b.data.size())
    return kInf;
  double result = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    double x = a.data[i], y = b.data[i];
    if (std::isnan(x) || std::isnan(y))
      return kInf;
    if (x == y)
      continue;
    result = std::max(result, std::fabs(x - y));
  }
  return result;
}

double tessera::reference::maxRelDiff(const Tensor &a, const Tensor &ref) {
  double absDiff = maxAbsDiff(a, ref);
  if (absDiff == 0.0 || std::isinf(absDiff))
    return absDiff;
  double refMax = 0.0;
  for (double y : ref.data)
    refMax = std::max(refMax, std::fabs(y));
  return absDiff / std::max(refMax, DBL_MIN);
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

double tessera::reference::relu(double x) { return std::max(x, 0.0); }

double tessera::reference::geluTanh(double x) {
  const double c = std::sqrt(2.0 / kPi);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

double tessera::reference::silu(double x) { return x / (1.0 + std::exp(-x)); }

double tessera::reference::applyEpilogue(Epilogue epilogue, double x) {
  switch (epilogue) {
  case Epilogue::None:
    return x;
  case Epilogue::Relu:
    return relu(x);
  case Epilogue::GeluTanh:
    return geluTanh(x);
  case Epilogue::Silu:
    return silu(x);
  }
  return x;
}

std::optional<Tensor>
tessera::reference::matmul(const Tensor &a, const Tensor &b, const Tensor *bias,
                           const MatmulOptions &options, std::string *err) {
  if (!checkTensor(a, "matmul: a", err) || !checkTensor(b, "matmul: b", err))
    return std::nullopt;
  if (bias && !checkTensor(*bias, "matmul: bias", err))
    return std::nullopt;
  size_t rankA = a.shape.size(), rankB = b.shape.size();
  if (rankA < 2 || rankB < 2)
    return fail<Tensor>(err, "matmul: operands must have rank >= 2, got " +
                                 shapeToString(a.shape) + " and " +
                                 shapeToString(b.shape));

  // Logical matrix dimensions.
  int64_t m = options.transposeA ? a.shape[rankA - 1] : a.shape[rankA - 2];
  int64_t kA = options.transposeA ? a.shape[rankA - 2] : a.shape[rankA - 1];
  int64_t kB = options.transposeB ? b.shape[rankB - 1] : b.shape[rankB - 2];
  int64_t n = options.transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
  if (kA != kB)
    return fail<Tensor>(err, "matmul: contraction sizes differ (" +
                                 std::to_string(kA) + " vs " +
                                 std::to_string(kB) + ")");
  int64_t kDim = kA;
  if (bias && (bias->shape.size() != 1 || bias->shape[0] != n))
    return fail<Tensor>(err, "matmul: bias must have shape [" +
                                 std::to_string(n) + "], got " +
                                 shapeToString(bias->shape));

  // Broadcast the batch dimensions (right-aligned).
  size_t batchA = rankA - 2, batchB = rankB - 2;
  size_t batchRank = std::max(batchA, batchB);
  std::vector<int64_t> batchShape(batchRank);
  // Element strides of each operand's batch dims, 0 where broadcast.
  std::vector<int64_t> strideA(batchRank, 0), strideB(batchRank, 0);
  int64_t matA = a.shape[rankA - 2] * a.shape[rankA - 1];
  int64_t matB = b.shape[rankB - 2] * b.shape[rankB - 1];
  int64_t runA = matA, runB = matB;
  for (size_t i = 0; i < batchRank; ++i) {
    size_t outDim = batchRank - 1 - i; // Walk from the right.
    int64_t dimA = i < batchA ? a.shape[batchA - 1 - i] : 1;
    int64_t dimB = i < batchB ? b.shape[batchB - 1 - i] : 1;
    if (dimA != dimB && dimA != 1 && dimB != 1)
      return fail<Tensor>(
          err, "matmul: batch dimensions of " + shapeToString(a.shape) +
                   " and " + shapeToString(b.shape) + " do not broadcast");
    batchShape[outDim] = dimA == 1 ? dimB : dimA;
    strideA[outDim] = dimA == 1 ? 0 : runA;
    strideB[outDim] = dimB == 1 ? 0 : runB;
    runA *= dimA;
    runB *= dimB;
  }

  Tensor result;
  result.shape = batchShape;
  result.shape.push_back(m);
  result.shape.push_back(n);
  result.data.assign(numElements(result.shape), 0.0);
  int64_t numBatches = numElements(batchShape);
  int64_t colsA = a.shape[rankA - 1], colsB = b.shape[rankB - 1];

  for (int64_t batch = 0; batch < numBatches; ++batch) {
    // Decompose the output batch index into offsets into a and b.
    int64_t offA = 0, offB = 0, rem = batch;
    for (size_t d = batchRank; d-- > 0;) {
      int64_t idx = rem % batchShape[d];
      rem /= batchShape[d];
      offA += idx * strideA[d];
      offB += idx * strideB[d];
    }
    double *out = result.data.data() + batch * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t kk = 0; kk < kDim; ++kk) {
          double x = options.transposeA ? a.data[offA + kk * colsA + i]
                                        : a.data[offA + i * colsA + kk];
          double y = options.transposeB ? b.data[offB + j * colsB + kk]
                                        : b.data[offB + kk * colsB + j];
          acc += x * y;
        }
        double value = options.alpha * acc + (bias ? bias->data[j] : 0.0);
        out[i * n + j] = applyEpilogue(options.epilogue, value);
      }
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

std::optional<AttentionResult>
tessera::reference::attention(const Tensor &q, const Tensor &k, const Tensor &v,
                              const AttentionOptions &options,
                              std::string *err) {
  if (!checkTensor(q, "attention: q", err) ||
      !checkTensor(k, "attention: k", err) ||
      !checkTensor(v, "attention: v", err))
    return std::nullopt;
  if (q.shape.size() != 4 || k.shape.size() != 4 || v.shape.size() != 4)
    return fail<AttentionResult>(err, "attention: q, k, v must have rank 4");
  int64_t batch = q.shape[0], hq = q.shape[1], sq = q.shape[2];
  int64_t dim = q.shape[3];
  int64_t hkv = k.shape[1], skv = k.shape[2], dv = v.shape[3];
  if (k.shape[0] != batch || v.shape[0] != batch)
    return fail<AttentionResult>(err, "attention: batch sizes differ");
  if (v.shape[1] != hkv || v.shape[2] != skv)
    return fail<AttentionResult>(
        err, "attention: k and v must agree on heads and sequence length");
  if (k.shape[3] != dim)
    return fail<AttentionResult>(err, "attention: q and k head dims differ");
  if (hkv <= 0 || hq % hkv != 0)
    return fail<AttentionResult>(
        err, "attention: query heads must be a multiple of kv heads");
  if (options.window < 0)
    return fail<AttentionResult>(err, "attention: window must be >= 0");
  if (options.window > 0 && !options.causal)
    return fail<AttentionResult>(err,
                                 "attention: window requires causal masking");

  int64_t group = hq / hkv;
  double scale = options.scale ? *options.scale
                               : (dim > 0 ? 1.0 / std::sqrt(double(dim)) : 1.0);
  int64_t offset = skv - sq; // Bottom-right alignment of the causal mask.

  AttentionResult result;
  result.out.shape = {batch, hq, sq, dv};
  result.out.data.assign(numElements(result.out.shape), 0.0);
  result.lse.shape = {batch, hq, sq};
  result.lse.data.assign(numElements(result.lse.shape), 0.0);

  std::vector<double> scores(skv);
  std::vector<char> visible(skv);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < hq; ++h) {
      int64_t kvh = h / group;
      const double *kBase = k.data.data() + (b * hkv + kvh) * skv * dim;
      const double *vBase = v.data.data() + (b * hkv + kvh) * skv * dv;
      for (int64_t i = 0; i < sq; ++i) {
        const double *qRow = q.data.data() + ((b * hq + h) * sq + i) * dim;
        double *outRow = result.out.data.data() + ((b * hq + h) * sq + i) * dv;
        double &lse = result.lse.data[(b * hq + h) * sq + i];

        bool any = false;
        double maxScore = -kInf;
        for (int64_t j = 0; j < skv; ++j) {
          bool vis = true;
          if (options.causal) {
            vis = j <= i + offset;
            if (options.window > 0)
              vis = vis && j > i + offset - options.window;
          }
          visible[j] = vis;
          if (!vis)
            continue;
          double s = 0.0;
          for (int64_t d = 0; d < dim; ++d)
            s += qRow[d] * kBase[j * dim + d];
          s *= scale;
          scores[j] = s;
          if (!any || s > maxScore)
            maxScore = s;
          any = true;
        }
        if (!any) {
          // Output row stays 0.
          lse = -kInf;
          continue;
        }
        double sum = 0.0;
        for (int64_t j = 0; j < skv; ++j)
          if (visible[j])
            sum += std::exp(scores[j] - maxScore);
        for (int64_t j = 0; j < skv; ++j) {
          if (!visible[j])
            continue;
          double p = std::exp(scores[j] - maxScore) / sum;
          for (int64_t e = 0; e < dv; ++e)
            outRow[e] += p * vBase[j * dv + e];
        }
        lse = maxScore + std::log(sum);
      }
    }
  }
  return result;
}

std::optional<AttentionResult>
tessera::reference::mergeAttention(const Tensor &o1, const Tensor &lse1,
                                   const Tensor &o2, const Tensor &lse2,
                                   std::string *err) {
  if (!checkTensor(o1, "mergeAttention: o1", err) ||
      !checkTensor(lse1, "mergeAttention: lse1", err) ||
      !checkTensor(o2, "mergeAttention: o2", err) ||
      !checkTensor(lse2, "mergeAttention: lse2", err))
    return std::nullopt;
  if (o1.shape.empty())
    return fail<AttentionResult>(err, "mergeAttention: o must have rank >= 1");
  if (o1.shape != o2.shape)
    return fail<AttentionResult>(
        err, "mergeAttention: o1 and o2 differ: " + shapeToString(o1.shape) +
                 " vs " + shapeToString(o2.shape));
  std::vector<int64_t> lseShape(o1.shape.begin(), o1.shape.end() - 1);
  if (lse1.shape != lseShape || lse2.shape != lseShape)
    return fail<AttentionResult>(err, "mergeAttention: lse must have shape " +
                                          shapeToString(lseShape));

  int64_t rows = numElements(lseShape);
  int64_t dv = o1.shape.back();
  AttentionResult result;
  result.out.shape = o1.shape;
  result.out.data.assign(o1.data.size(), 0.0);
  result.lse.shape = lseShape;
  result.lse.data.assign(rows, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double l1 = lse1.data[r], l2 = lse2.data[r];
    double m = std::max(l1, l2);
    if (m == -kInf) {
      result.lse.data[r] = -kInf;
      continue; // Output row stays 0.
    }
    double w1 = std::exp(l1 - m), w2 = std::exp(l2 - m);
    for (int64_t e = 0; e < dv; ++e)
      result.out.data[r * dv + e] =
          (w1 * o1.data[r * dv + e] + w2 * o2.data[r * dv + e]) / (w1 + w2);
    result.lse.data[r] = m + std::log(w1 + w2);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// FFT convolution
//===----------------------------------------------------------------------===//

std::optional<Tensor>
tessera::reference::fftconv(const Tensor &u, const Tensor &k, const Tensor *d,
                            int64_t keepFrequencies, std::string *err) {
  if (!checkTensor(u, "fftconv: u", err) || !checkTensor(k, "fftconv: k", err))
    return std::nullopt;
  if (d && !checkTensor(*d, "fftconv: d", err))
    return std::nullopt;
  if (u.shape.size() != 3)
    return fail<Tensor>(err, "fftconv: u must be [B, H, N], got " +
                                 shapeToString(u.shape));
  int64_t batch = u.shape[0], heads = u.shape[1], n = u.shape[2];
  if (k.shape.size() != 2 || k.shape[0] != heads)
    return fail<Tensor>(err, "fftconv: k must be [" + std::to_string(heads) +
                                 ", L], got " + shapeToString(k.shape));
  int64_t len = k.shape[1];
  if (len > n)
    return fail<Tensor>(err, "fftconv: filter length exceeds sequence length");
  if (d && (d->shape.size() != 1 || d->shape[0] != heads))
    return fail<Tensor>(err, "fftconv: d must be [" + std::to_string(heads) +
                                 "], got " + shapeToString(d->shape));
  if (keepFrequencies < 0)
    return fail<Tensor>(err, "fftconv: keepFrequencies must be >= 0");

  Tensor result;
  result.shape = u.shape;
  result.data.assign(u.data.size(), 0.0);
  bool truncate = keepFrequencies != 0 && keepFrequencies <= n;

  for (int64_t h = 0; h < heads; ++h) {
    const double *kRow = k.data.data() + h * len;
    double skip = d ? d->data[h] : 0.0;

    // Effective filter of length P = 2N when truncating.
    int64_t p = 2 * n;
    std::vector<double> kEff;
    if (truncate) {
      std::vector<std::complex<double>> kf(p);
      for (int64_t f = 0; f < p; ++f) {
        std::complex<double> acc = 0.0;
        for (int64_t t = 0; t < len; ++t) {
          double angle = -2.0 * kPi * double((f * t) % p) / double(p);
          acc += kRow[t] * std::polar(1.0, angle);
        }
        kf[f] = acc;
      }
      for (int64_t f = 0; f < p; ++f)
        if (std::min(f, p - f) >= keepFrequencies)
          kf[f] = 0.0;
      kEff.assign(p, 0.0);
      for (int64_t tau = 0; tau < p; ++tau) {
        std::complex<double> acc = 0.0;
        for (int64_t f = 0; f < p; ++f) {
          double angle = 2.0 * kPi * double((f * tau) % p) / double(p);
          acc += kf[f] * std::polar(1.0, angle);
        }
        kEff[tau] = acc.real() / double(p);
      }
    }

    for (int64_t b = 0; b < batch; ++b) {
      const double *uRow = u.data.data() + (b * heads + h) * n;
      double *yRow = result.data.data() + (b * heads + h) * n;
      for (int64_t t = 0; t < n; ++t) {
        double acc = 0.0;
        if (truncate) {
          for (int64_t s = 0; s < n; ++s)
            acc += kEff[((t - s) % p + p) % p] * uRow[s];
        } else {
          for (int64_t s = std::max<int64_t>(0, t - len + 1); s <= t; ++s)
            acc += kRow[t - s] * uRow[s];
        }
        yRow[t] = acc + skip * uRow[t];
      }
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Sparse products
//===----------------------------------------------------------------------===//

std::optional<Tensor> tessera::reference::spmm(const Csr &a, const Tensor &b,
                                               std::string *err) {
  if (!checkCsr(a, "spmm: a", err) || !checkTensor(b, "spmm: b", err))
    return std::nullopt;
  if (b.shape.size() != 2 || b.shape[0] != a.cols)
    return fail<Tensor>(err, "spmm: b must be [" + std::to_string(a.cols) +
                                 ", N], got " + shapeToString(b.shape));
  int64_t n = b.shape[1];
  Tensor result;
  result.shape = {a.rows, n};
  result.data.assign(a.rows * n, 0.0);
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t p = a.rowPtr[r]; p < a.rowPtr[r + 1]; ++p)
      for (int64_t j = 0; j < n; ++j)
        result.data[r * n + j] += a.values[p] * b.data[a.colIdx[p] * n + j];
  return result;
}

std::optional<Csr> tessera::reference::spgemm(const Csr &a, const Csr &b,
                                              std::string *err) {
  if (!checkCsr(a, "spgemm: a", err) || !checkCsr(b, "spgemm: b", err))
    return std::nullopt;
  if (a.cols != b.rows)
    return fail<Csr>(err, "spgemm: inner dimensions differ (" +
                              std::to_string(a.cols) + " vs " +
                              std::to_string(b.rows) + ")");
  Csr result;
  result.rows = a.rows;
  result.cols = b.cols;
  result.rowPtr.push_back(0);
  std::vector<double> acc(b.cols, 0.0);
  std::vector<char> occupied(b.cols, 0);
  std::vector<int64_t> touched;
  for (int64_t r = 0; r < a.rows; ++r) {
    touched.clear();
    for (int64_t pa = a.rowPtr[r]; pa < a.rowPtr[r + 1]; ++pa) {
      int64_t kk = a.colIdx[pa];
      for (int64_t pb = b.rowPtr[kk]; pb < b.rowPtr[kk + 1]; ++pb) {
        int64_t c = b.colIdx[pb];
        if (!occupied[c]) {
          occupied[c] = 1;
          acc[c] = 0.0;
          touched.push_back(c);
        }
        acc[c] += a.values[pa] * b.values[pb];
      }
    }
    std::sort(touched.begin(), touched.end());
    for (int64_t c : touched) {
      result.colIdx.push_back(c);
      result.values.push_back(acc[c]);
      occupied[c] = 0;
    }
    result.rowPtr.push_back(static_cast<int64_t>(result.colIdx.size()));
  }
  return result;
}

uint16_t tessera::reference::toBFloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float tessera::reference::fromBFloat16(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}
