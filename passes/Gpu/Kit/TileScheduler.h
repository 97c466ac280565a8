//===- TileScheduler.h - Which tile a block computes ------------*- C++ -*-===//
//
// Raster orders and work splits of tiled kernels: the grouped raster that
// keeps consecutive tiles on shared panels in L2, and the even split of a
// range of steps (K tiles, KV tiles) over several blocks.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_TILESCHEDULER_H
#define TESSERA_PASSES_GPU_KIT_TILESCHEDULER_H

#include "passes/Gpu/Kit/KitBuilder.h"

namespace mlir::tessera::kit {

/// The (row, column) origin (index values) of tile `linear` of an M x N
/// result tiled by blockM x blockN: tiles are walked in groups of
/// `groupRows` tile rows so that consecutive ones share column panels.
std::pair<Value, Value> placeGroupedTile(KitBuilder &k, int64_t blockM,
                                         int64_t blockN, int64_t groupRows,
                                         Value M, Value N, Value linear);

/// Part `part` of `parts` (index values) of the steps [begin, end): the
/// first parts take ceil((end - begin) / parts) steps each, so trailing
/// parts may be empty. Returns the part's [first, last) (index values).
std::pair<Value, Value> splitRange(KitBuilder &k, Value begin, Value end,
                                   Value part, Value parts);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_TILESCHEDULER_H
