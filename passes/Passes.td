//===- Passes.td - Tessera passes --------------------------*- tablegen -*-===//
//
// Graph passes and lowerings of the `tessera` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_TD
#define TESSERA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TesseraLowerToLinalg : Pass<"tessera-lower-to-linalg"> {
  let summary = "Lower tessera ops to their reference meaning in linalg";
  let description = [{
    Rewrites every `tessera` op into upstream `linalg`, `tensor`, `arith`
    and `math` ops on tensors that compute exactly the op's documented
    semantics:

    - `tessera.matmul`: a `linalg.generic` contraction over the broadcast
      batch dimensions accumulating in f32 (i32 for i8), then an elementwise
      `linalg.generic` for alpha, bias, activation and the output cast.
    - `tessera.attention`: queries are regrouped as `[B, Hkv, G, Sq, D]` so
      that every indexing map is a projected permutation; scaled `QK^T`, the
      causal / sliding-window mask built from `linalg.index`, a numerically
      stable softmax (row max, exponentials, row sum), `PV`, the final
      normalization and the log-sum-exp.
    - `tessera.merge_attention`: one elementwise `linalg.generic`.
    - `tessera.fftconv`: the direct causal convolution (left-padded input,
      reversed filter); with `keep_frequencies`, the truncated-spectrum
      filter is built explicitly and applied as a circular convolution.
    - `tessera.spmm` / `tessera.spgemm`: `linalg.matmul` on sparse tensors,
      which the upstream `sparsifier` compiles.

    This is the starting point of the CPU path and the semantic reference
    for every faster lowering. It works on dynamic shapes: sizes are taken
    from the operands with `tensor.dim`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::sparse_tensor::SparseTensorDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // TESSERA_PASSES_TD
