//===- Reference.h - Float64 reference kernels for testing ------*- C++ -*-===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//
//
// Straightforward, unoptimized float64 reference implementations of the
// kernels that Tessera compiles (matmul, attention, FFT convolution, sparse
// products). They exist only to produce expected values for tests, so they
// favour obvious loops over speed. Only the C++17 standard library is used.
//
// Error handling: every function that can reject its input returns an empty
// std::optional and, when `err` is non-null, stores a message in `*err`.
// Nothing here asserts or throws on bad input.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TEST_LIB_REFERENCE_REFERENCE_H
#define TESSERA_TEST_LIB_REFERENCE_REFERENCE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::reference {

//===----------------------------------------------------------------------===//
// Data model
//===----------------------------------------------------------------------===//

/// A dense float64 tensor stored row-major (C order). A rank-0 tensor has an
/// empty shape and one element.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
};

/// Returns the product of the dimensions of `shape` (1 for an empty shape).
int64_t numElements(const std::vector<int64_t> &shape);

/// Returns true if every dimension of `t` is non-negative and `t.data` holds
/// exactly numElements(t.shape) values.
bool isWellFormed(const Tensor &t, std::string *err = nullptr);

/// A compressed-sparse-row matrix of shape [rows, cols]. Row r owns the
/// entries [rowPtr[r], rowPtr[r + 1]) of `colIdx` and `values`.
struct Csr {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> rowPtr;
  std::vector<int64_t> colIdx;
  std::vector<double> values;
};

/// Returns true if `a` is structurally valid: non-negative sizes,
/// rowPtr.size() == rows + 1, rowPtr starts at 0 and is non-decreasing,
/// rowPtr[rows] == colIdx.size() == values.size(), and every column index is
/// in [0, cols). Duplicate or unsorted column indices are accepted.
bool isWellFormed(const Csr &a, std::string *err = nullptr);

/// Converts a rank-2 tensor to CSR, storing exactly the entries that compare
/// unequal to zero (NaN is stored), with ascending column indices.
std::optional<Csr> denseToCsr(const Tensor &t, std::string *err = nullptr);

/// Converts a CSR matrix to a dense [rows, cols] tensor. Duplicate entries
/// are summed.
std::optional<Tensor> csrToDense(const Csr &a, std::string *err = nullptr);

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

/// The bf16 bits of `f`, rounded to nearest even (NaN stays a quiet NaN).
uint16_t toBFloat16(float f);
/// The value of bf16 bits.
float fromBFloat16(uint16_t bits);

//===----------------------------------------------------------------------===//
// Comparison helpers
//===----------------------------------------------------------------------===//

/// Returns max |a - b| over all elements. Equal values (including equal
/// infinities) give 0, a NaN on either side gives +infinity, and so does a
/// shape or size mismatch. Empty tensors of equal shape give 0.
double maxAbsDiff(const Tensor &a, const Tensor &b);

/// Returns maxAbsDiff(a, ref) / max(max |ref|, DBL_MIN). Returns 0 when the
/// absolute difference is 0 and +infinity when it is infinite.
double maxRelDiff(const Tensor &a, const Tensor &ref);

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// Elementwise activation applied after the matmul accumulation.
enum class Epilogue { None, Relu, GeluTanh, Silu };

/// max(x, 0).
double relu(double x);
/// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
double geluTanh(double x);
/// x / (1 + exp(-x)).
double silu(double x);
/// Applies `epilogue` to `x`.
double applyEpilogue(Epilogue epilogue, double x);

struct MatmulOptions {
  /// `a` is stored as [*batch, K, M] instead of [*batch, M, K].
  bool transposeA = false;
  /// `b` is stored as [*batch, N, K] instead of [*batch, K, N].
  bool transposeB = false;
  double alpha = 1.0;
  Epilogue epilogue = Epilogue::None;
};

/// Batched matmul: result[..., m, n] =
///   act(alpha * sum_k A[..., m, k] * B[..., k, n] + bias[n]).
/// `a` and `b` have rank >= 2; their batch dimensions broadcast NumPy-style
/// (right-aligned, missing or size-1 dimensions broadcast). `bias` is
/// optional (nullptr) and has shape [N]. The result has shape
/// [*broadcastBatch, M, N].
std::optional<Tensor> matmul(const Tensor &a, const Tensor &b,
                             const Tensor *bias,
                             const MatmulOptions &options = MatmulOptions(),
                             std::string *err = nullptr);

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct AttentionOptions {
  /// Score scale; defaults to 1 / sqrt(D) (1 when D == 0).
  std::optional<double> scale;
  /// Bottom-right aligned causal mask: key j is visible to query i iff
  /// j <= i + Skv - Sq.
  bool causal = false;
  /// Sliding window (requires `causal`): additionally require
  /// j > i + Skv - Sq - window. 0 disables the window.
  int64_t window = 0;
};

/// Output of attention and mergeAttention.
struct AttentionResult {
  /// [B, Hq, Sq, Dv] (or the shape of the merged outputs).
  Tensor out;
  /// Natural-log sum-exp of the visible scores, [B, Hq, Sq]; -infinity for a
  /// query that sees no key (whose output row is then 0).
  Tensor lse;
};

/// Grouped-query attention. q is [B, Hq, Sq, D], k is [B, Hkv, Skv, D], v is
/// [B, Hkv, Skv, Dv], Hq % Hkv == 0, and query head h reads kv head
/// h / (Hq / Hkv). Softmax and log-sum-exp are computed with max
/// subtraction.
std::optional<AttentionResult>
attention(const Tensor &q, const Tensor &k, const Tensor &v,
          const AttentionOptions &options = AttentionOptions(),
          std::string *err = nullptr);

/// Combines two partial attention results over disjoint key sets. o1 and o2
/// have equal shape [..., Dv]; lse1 and lse2 have that shape without the
/// last dimension. With m = max(lse1, lse2): if m == -inf the output is 0
/// and lse -inf; otherwise w_i = exp(lse_i - m),
/// out = (w1 * o1 + w2 * o2) / (w1 + w2) and lse = m + log(w1 + w2).
std::optional<AttentionResult>
mergeAttention(const Tensor &o1, const Tensor &lse1, const Tensor &o2,
               const Tensor &lse2, std::string *err = nullptr);

//===----------------------------------------------------------------------===//
// FFT convolution
//===----------------------------------------------------------------------===//

/// Causal long convolution. u is [B, H, N], k is [H, L] with L <= N, and d is
/// optional (nullptr) with shape [H]. Result is [B, H, N].
///
/// If keepFrequencies == 0 or keepFrequencies > N:
///   y[b,h,t] = sum_{s=max(0,t-L+1)}^{t} k[h,t-s] * u[b,h,s] + d[h]*u[b,h,t].
/// Otherwise, with F = keepFrequencies and P = 2N, the filter is low-pass
/// truncated through an explicit O(P^2) DFT: Kf = DFT_P(k zero-padded), every
/// bin f with min(f, P - f) >= F is zeroed, k' = Re(IDFT_P(Kf)), and
///   y[b,h,t] = sum_{s<N} k'[(t - s) mod P] * u[b,h,s] + d[h] * u[b,h,t].
/// keepFrequencies must be non-negative.
std::optional<Tensor> fftconv(const Tensor &u, const Tensor &k, const Tensor *d,
                              int64_t keepFrequencies = 0,
                              std::string *err = nullptr);

//===----------------------------------------------------------------------===//
// Sparse products
//===----------------------------------------------------------------------===//

/// Sparse x dense: a is [M, K] CSR, b is dense [K, N]; returns dense [M, N].
std::optional<Tensor> spmm(const Csr &a, const Tensor &b,
                           std::string *err = nullptr);

/// Sparse x sparse: a is [M, K], b is [K, N]. Entry (m, n) is stored iff some
/// k has both A(m, k) and B(k, n) stored, even if the sum is exactly zero.
/// Column indices are ascending within each row.
std::optional<Csr> spgemm(const Csr &a, const Csr &b,
                          std::string *err = nullptr);

} // namespace tessera::reference

#endif // TESSERA_TEST_LIB_REFERENCE_REFERENCE_H
