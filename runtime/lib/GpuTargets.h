//===- GpuTargets.h - The one table of GPU targets --------------*- C++ -*-===//
//
// Every fact about a GPU target that the compiler or the runtime uses: its
// name, the devices it runs on, the SMs, shared memory and registers its
// schedules may count on, and its tensor-core and copy features. Standard
// C++ only, so that the runtime (no MLIR/LLVM) and the compiler read the
// same table.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_GPUTARGETS_H
#define TESSERA_RUNTIME_GPUTARGETS_H

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

/// A GPU target: what kernels compiled for it may assume.
struct GpuTarget {
  /// The name on the command line, in manifests and in PTX (`.target`).
  const char *name;
  /// The compute capability of the devices it runs on: exactly
  /// (major, minor) when `exactCapability` (sm_90a code runs on 9.0 only),
  /// else (major, minor) or later.
  int major, minor;
  bool exactCapability;
  /// Streaming multiprocessors of the device the schedules are tuned for
  /// (H100 SXM, A100).
  int64_t numSMs;
  /// Dynamic shared memory one thread block may use, in bytes.
  int64_t sharedMemoryBytes;
  /// 32-bit registers per SM.
  int64_t registersPerSM;
  /// L2 cache bytes (persistent kernels order their tiles so that the data
  /// the blocks running together share stays in it).
  int64_t l2CacheBytes;
  /// What schedule selection's cost model assumes of the device: dense
  /// 16-bit tensor-core FLOP/s (8-bit: twice), DRAM bytes/s, the bytes/s
  /// the SMs together read from L2, and the bytes/s one SM reads from L2.
  double tensorFlops, memoryBytesPerSecond, l2BytesPerSecond,
      smL2BytesPerSecond;
  /// Hopper features: wgmma, TMA (cp.async.bulk.tensor), setmaxnreg and
  /// thread-block clusters of up to `maxClusterBlocks` blocks.
  bool wgmma;
  int64_t maxClusterBlocks;
  /// The PTX ISA feature the kernels are generated with ("+ptx80").
  const char *ptxFeatures;
};

/// The target named `name`, or null.
const GpuTarget *findGpuTarget(std::string_view name);

/// The names of every GPU target, for messages: "sm_90a or sm_80".
std::string listGpuTargets();

/// Whether code for `target` runs on a device of compute capability
/// (major, minor).
bool runsOn(const GpuTarget &target, int major, int minor);

} // namespace tessera

#endif // TESSERA_RUNTIME_GPUTARGETS_H
