//===- Mbarrier.h - mbarrier rings of producer/consumer pipelines -*- C++ -*-===//
//
// A `stages`-deep ring of shared-memory slots, each with a `full` mbarrier
// (the producer's arrive and the TMA bytes complete it) and an `empty` one
// (the consumers' arrives complete it). Ring positions count K steps (or KV
// tiles) from 0 across a block's whole life: position p uses slot p %
// stages in phase (p / stages) & 1.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_MBARRIER_H
#define TESSERA_PASSES_GPU_KIT_MBARRIER_H

#include "passes/Gpu/Kit/SharedMemory.h"

namespace mlir::tessera::kit {

/// Suspend-time hint of mbarrier.try_wait, in nanoseconds.
constexpr int64_t kWaitTicks = 10000000;

/// Waits until the phase of mbarrier `bar` with parity `parity` (i32)
/// completes. Any thread may call it.
void waitParity(KitBuilder &k, Value bar, Value parity);
/// One arrive on `bar`.
void arrive(KitBuilder &k, Value bar);
/// An arrive on `bar` that also expects `bytes` of transactions (TMA).
void arriveExpectTx(KitBuilder &k, Value bar, int64_t bytes);
/// Initializes mbarrier `bar` for `count` arrives (one thread calls it).
void initBarrier(KitBuilder &k, Value bar, int64_t count);
/// Makes initialized mbarriers visible to the async proxy (TMA); follow it
/// with a block barrier.
void fenceBarrierInit(KitBuilder &k);

/// The full/empty barriers of a ring: 8 bytes each, the `stages` full ones
/// then the `stages` empty ones, at byte `offset` of shared memory.
struct MbarrierRing {
  SharedMemory shared;
  int64_t offset, stages;

  /// Bytes of the barriers of a ring of `stages`.
  static int64_t bytes(int64_t stages) { return 16 * stages; }

  /// The full (producer -> consumers) or empty (consumers -> producer)
  /// barrier of slot `stage` (i32).
  Value barrier(KitBuilder &k, bool full, Value stage) const;
  Value full(KitBuilder &k, Value stage) const { return barrier(k, true, stage); }
  Value empty(KitBuilder &k, Value stage) const {
    return barrier(k, false, stage);
  }
  /// The slot and phase parity (i32 values) of ring position `position`
  /// (index). In 32 bits: a position stays far below 2^32, and a 64-bit
  /// division by a constant that is not a power of two costs a dozen
  /// instructions on every step.
  std::pair<Value, Value> slotOf(KitBuilder &k, Value position) const;
  /// Initializes every barrier: full for one arrive (the producer's, with
  /// the TMA bytes), empty for `emptyArrives`. One thread calls it.
  void init(KitBuilder &k, int64_t emptyArrives) const;
};

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_MBARRIER_H
