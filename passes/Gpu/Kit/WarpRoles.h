//===- WarpRoles.h - Producer and consumer warpgroups -----------*- C++ -*-===//
//
// Warp-specialized kernels split a block into one producer warpgroup (TMA
// copies, few registers) and consumer warpgroups (tensor cores, many
// registers), and move registers between them with setmaxnreg.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_WARPROLES_H
#define TESSERA_PASSES_GPU_KIT_WARPROLES_H

#include "passes/Gpu/Kit/KitBuilder.h"

namespace mlir::tessera::kit {

/// Registers per thread of each role.
struct RegisterSplit {
  /// The cap every thread starts with: what maxntid and minctasm imply
  /// (64K registers / (threads x blocks per SM), in multiples of 8, at most
  /// 248).
  int64_t entry;
  int64_t producer, consumer;
};

/// The split of a block of `threads` (one producer warpgroup, the rest
/// consumers), `blocksPerSM` blocks per SM: the producer keeps at most
/// `producerMax`, the consumers share the rest up to `consumerMax`.
/// setmaxnreg only moves registers within the block's pool: asking for more
/// than it holds would block the consumers forever.
RegisterSplit splitRegisters(int64_t threads, int64_t blocksPerSM,
                             int64_t producerMax = 56,
                             int64_t consumerMax = 240);

/// Sets the launch bounds that setmaxnreg needs on kernel `func`:
/// maxntid = threads, minctasm = blocksPerSM.
void setLaunchBounds(KitBuilder &k, Operation *func, int64_t threads,
                     int64_t blocksPerSM);

/// setmaxnreg.dec (producer) or .inc (consumers) to `registers`.
void setRegisters(KitBuilder &k, int64_t registers, bool increase);

/// bar.sync on named barrier `id` (1-15; 0 is __syncthreads) for `threads`
/// threads, and its arrive-only form.
void namedBarrierSync(KitBuilder &k, Value id, int64_t threads);
void namedBarrierArrive(KitBuilder &k, Value id, int64_t threads);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_WARPROLES_H
