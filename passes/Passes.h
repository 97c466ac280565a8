//===- Passes.h - Tessera passes --------------------------------*- C++ -*-===//
//
// Declares Tessera's passes and the pattern sets they are built from.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_PASSES_H
#define TESSERA_PASSES_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace tessera {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

/// Patterns lowering tessera.matmul, merge_attention, spmm and spgemm.
void populateLowerProductsToLinalgPatterns(RewritePatternSet &patterns);
/// Patterns lowering tessera.attention.
void populateLowerAttentionToLinalgPatterns(RewritePatternSet &patterns);
/// Patterns lowering tessera.fftconv.
void populateLowerFFTConvToLinalgPatterns(RewritePatternSet &patterns);
/// All of the above: the whole `tessera-lower-to-linalg` rewrite.
void populateTesseraToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace tessera
} // namespace mlir

#endif // TESSERA_PASSES_PASSES_H
