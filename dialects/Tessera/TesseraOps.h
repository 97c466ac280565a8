//===- TesseraOps.h - Tessera operations ------------------------*- C++ -*-===//
//
// Declares the ops of the `tessera` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_TESSERA_TESSERAOPS_H
#define TESSERA_DIALECT_TESSERA_TESSERAOPS_H

#include "dialects/Tessera/TesseraDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Tessera/TesseraOps.h.inc"

namespace mlir::tessera {

/// The sparse storage formats Tessera's kernels distinguish.
enum class SparseFormat {
  /// Not sparse (no encoding, or an all-dense one).
  Dense,
  /// (i, j) -> (i : dense, j : compressed), ordered and unique.
  CSR,
  /// Block CSR: (i, j) -> (i floordiv R : dense, j floordiv C : compressed,
  /// i mod R : dense, j mod C : dense).
  BSR,
  /// N:M structured sparsity along the rows (e.g. 2:4).
  NOutOfM,
  /// Any other encoding (COO, CSC, DCSR, ...): handled by the sparsifier.
  Other
};

/// Classifies the sparse encoding of a 2-D tensor type.
SparseFormat classifySparseFormat(RankedTensorType type);

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_TESSERA_TESSERAOPS_H
