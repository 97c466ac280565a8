//===- GpuTargets.cpp - The one table of GPU targets ----------------------===//

#include "GpuTargets.h"

namespace tessera {
namespace {
constexpr GpuTarget kTargets[] = {
    // H100 SXM: 132 SMs, 227 KiB of shared memory per block, 50 MiB of L2,
    // 989 dense bf16 TFLOP/s, 3.35 TB/s of HBM3; L2 rates as the GEMM
    // benchmark's M = 128 rows bear out (docs/benchmarks.md).
    {"sm_90a", 9, 0, /*exactCapability=*/true, 132, 227 * 1024, 65536,
     /*l2CacheBytes=*/50 << 20, /*tensorFlops=*/989e12,
     /*memoryBytesPerSecond=*/3.35e12, /*l2BytesPerSecond=*/12e12,
     /*smL2BytesPerSecond=*/90e9, /*wgmma=*/true, /*maxClusterBlocks=*/8,
     "+ptx80"},
    // A100 SXM: 108 SMs, 163 KiB, 40 MiB, 312 TFLOP/s, 2.0 TB/s.
    {"sm_80", 8, 0, /*exactCapability=*/false, 108, 163 * 1024, 65536,
     /*l2CacheBytes=*/40 << 20, /*tensorFlops=*/312e12,
     /*memoryBytesPerSecond=*/2.0e12, /*l2BytesPerSecond=*/5e12,
     /*smL2BytesPerSecond=*/64e9, /*wgmma=*/false, /*maxClusterBlocks=*/1,
     "+ptx80"},
};
} // namespace

const GpuTarget *findGpuTarget(std::string_view name) {
  for (const GpuTarget &t : kTargets)
    if (name == t.name)
      return &t;
  return nullptr;
}

std::string listGpuTargets() {
  std::string names;
  constexpr size_t count = sizeof(kTargets) / sizeof(kTargets[0]);
  for (size_t i = 0; i < count; ++i) {
    if (i)
      names += i + 1 == count ? " or " : ", ";
    names += kTargets[i].name;
  }
  return names;
}

bool runsOn(const GpuTarget &target, int major, int minor) {
  if (target.exactCapability)
    return major == target.major && minor == target.minor;
  return major > target.major ||
         (major == target.major && minor >= target.minor);
}

} // namespace tessera
