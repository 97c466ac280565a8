//===- LoweringUtils.h - Helpers for lowering tessera to linalg -*- C++ -*-===//
//
// Small builders shared by the tessera-to-linalg patterns.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_LOWERINGUTILS_H
#define TESSERA_PASSES_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::tessera {

/// Converts a scalar between the element types Tessera uses (floats of any
/// width, i8/i32 as signed integers).
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to);

/// Static shape of `sizes` (dynamic where a size is a Value).
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes);

/// `tensor.empty` of the given sizes and element type.
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);

/// `tensor.empty` filled with `value` (a float or integer constant of
/// `elementType`).
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type elementType, double value);

/// Float constant of type `type`.
Value floatConst(OpBuilder &b, Location loc, Type type, double value);

/// Iterator types: `numParallel` parallel loops followed by `numReduction`
/// reductions.
SmallVector<utils::IteratorType> iterators(unsigned numParallel,
                                           unsigned numReduction);

/// Identity map over `rank` dims and the map selecting `dims` of `rank`.
AffineMap selectDims(MLIRContext *ctx, unsigned rank, ArrayRef<unsigned> dims);

/// Terminates a linalg.generic body with `value`.
inline void yieldValue(OpBuilder &b, Location loc, Value value) {
  linalg::YieldOp::create(b, loc, value);
}

/// `tensor.cast` to `type` when `value` is not already of that type.
Value castIfNeeded(OpBuilder &b, Location loc, Value value, Type type);

} // namespace mlir::tessera

#endif // TESSERA_PASSES_LOWERINGUTILS_H
