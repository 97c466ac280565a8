//===- MmaSync.h - Ampere warp MMA and ldmatrix -----------------*- C++ -*-===//
//
// mma.sync.m16n8k16 with f32 accumulators and the ldmatrix loads that feed
// it from padded shared memory (sm_80 and later). Called by a whole warp.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_MMASYNC_H
#define TESSERA_PASSES_GPU_KIT_MMASYNC_H

#include "passes/Gpu/Kit/KitBuilder.h"

namespace mlir::tessera::kit {

/// ldmatrix.x4 (`.trans` with `transpose`) of the 16-bit memref `shared`
/// (workgroup memory) at (row, col) for this lane; returns the four
/// vector<2xT> registers.
SmallVector<Value, 4> ldmatrixX4(KitBuilder &k, Value shared, Value row,
                                 Value col, bool transpose);

/// A pair of 16-bit values (vector<2xT>) in the operand form of mma.sync:
/// i32 for bf16, the vector itself for f16.
Value packMmaOperand(KitBuilder &k, Value pair);

/// mma.sync.m16n8k16.row.col with f32 accumulators: `a` four packed
/// operands, `b` two, `c` four f32 values; returns the four results.
SmallVector<Value, 4> mmaM16N8K16(KitBuilder &k, Type element, ValueRange a,
                                  ValueRange b, ValueRange c);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_MMASYNC_H
