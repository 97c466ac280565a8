//===- AsyncCopy.h - sm_80 cp.async tiles -----------------------*- C++ -*-===//
//
// Copies of 2-D tiles from global to (padded) shared memory with 16-byte
// cp.async, zero-filled past the tensor's bounds, for the multistage
// pipelines of sm_80 kernels.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_ASYNCCOPY_H
#define TESSERA_PASSES_GPU_KIT_ASYNCCOPY_H

#include "passes/Gpu/Kit/KitBuilder.h"

namespace mlir::tessera::kit {

/// The tile to copy: `rows` x `cols` 16-bit elements (cols a multiple of 8)
/// of the last two dimensions of `global` (its leading indices `prefix`)
/// from (row0, col0), elements at or past (rowLimit, colLimit) reading
/// zero; into the workgroup memref `shared` from row `sharedRow0`, whose
/// rows have at least 8 elements of padding after `cols`.
struct TileCopy {
  Value global;
  SmallVector<Value> prefix;
  Value row0, col0, rowLimit, colLimit;
  Value shared, sharedRow0;
  int64_t rows, cols;
};

/// Issues the copies of `tile` over the `threads` threads of the block
/// (this one is `tid`) and appends their tokens. Threads without a chunk of
/// their own copy zero bytes into a padding column.
void asyncCopyTile(KitBuilder &k, const TileCopy &tile, int64_t threads,
                   Value tid, SmallVectorImpl<Value> &tokens);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_ASYNCCOPY_H
