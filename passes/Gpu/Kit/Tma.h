//===- Tma.h - TMA tensor maps and bulk tensor copies -----------*- C++ -*-===//
//
// A kernel that reads an operand through TMA takes its tensor map (a
// CUtensorMap the runtime encodes at launch) by value. TensorMapSpec says
// what the runtime encodes: the box (innermost dimension first, one size
// per dimension of the operand, rank 1 to 5) and the swizzle; reads past
// the tensor's bounds fill zeros.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_TMA_H
#define TESSERA_PASSES_GPU_KIT_TMA_H

#include "passes/Gpu/Kit/SharedMemory.h"

namespace mlir::tessera::kit {

/// Bytes of a 128-byte swizzle row.
constexpr int64_t kSwizzleBytes = 128;
/// The 8-row period of the 128-byte swizzle.
constexpr int64_t kSwizzleAtom = 8 * kSwizzleBytes;

/// What the runtime encodes for a tensor-map parameter.
struct TensorMapSpec {
  /// Box sizes in elements, innermost dimension first.
  SmallVector<int64_t, 5> box;
  /// Swizzle span in bytes (0, 32, 64 or 128).
  int64_t swizzle = kSwizzleBytes;
  /// Bytes one box copies.
  int64_t boxBytes(int64_t elementBytes) const;
};

/// Issues one TMA copy (one thread calls it) of the box at `coords` (i32,
/// innermost dimension first) of tensor map `tmap` into shared memory at
/// `dst` (address space 3), completing `bytes` on mbarrier `bar`.
void tmaLoad(KitBuilder &k, Value tmap, Value dst, ValueRange coords,
             Value bar);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_TMA_H
