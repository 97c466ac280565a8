//===- Fragment.h - Where MMA results live in a warp ------------*- C++ -*-===//
//
// The (row, column) of each accumulator element a thread holds, for the
// layouts the kit's instructions produce. Epilogues, softmax on scores and
// reductions across a row read them here, and nowhere else.
//
// m16n8 (mma.sync) and m64nN (wgmma, per warp of the warpgroup): lane l
// holds, for each n8 column block j, elements 4 j + e at
//   row    = 16 w + l / 4 + 8 (e / 2)   (w: warp in the warpgroup; 0 for
//                                        mma.sync)
//   column = 8 j + 2 (l % 4) + e % 2.
// The four lanes l / 4 shares hold a row's columns: a row reduction is two
// shuffles (xor 1, xor 2).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_FRAGMENT_H
#define TESSERA_PASSES_GPU_KIT_FRAGMENT_H

#include <cstdint>

namespace mlir::tessera::kit {

/// Static parts of an accumulator element's coordinates: element `e` of a
/// thread lies `rowOffset(e)` rows below the thread's first row
/// (16 w + l / 4) and `columnOffset(e)` columns right of its first column
/// (2 (l % 4)).
struct AccumulatorLayout {
  static int64_t rowOffset(int64_t e) { return (e % 4) / 2 * 8; }
  static int64_t columnOffset(int64_t e) { return e / 4 * 8 + e % 2; }
  /// Elements per thread of an m x n accumulator held by 32 lanes per 16
  /// rows.
  static int64_t elements(int64_t n) { return n / 2; }
};

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_FRAGMENT_H
