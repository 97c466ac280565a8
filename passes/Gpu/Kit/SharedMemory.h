//===- SharedMemory.h - Dynamic shared memory and its layout ----*- C++ -*-===//
//
// Kernels built from the kit address one extern array of dynamic shared
// memory, aligned at run time to the period of the widest swizzle, and lay
// it out as named regions (SharedLayout). The layout's size is the only
// shared-memory formula of a kernel: schedule checks and the launch plan
// read it from the same code that places the regions.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_SHAREDMEMORY_H
#define TESSERA_PASSES_GPU_KIT_SHAREDMEMORY_H

#include "passes/Gpu/Kit/KitBuilder.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::tessera::kit {

/// The extern shared array every kit kernel of a module addresses (one
/// symbol per gpu.module).
constexpr StringLiteral kDynamicSharedSymbol = "tessera_wgmma_smem";
/// The alignment the kernels give the array at run time: the 8-row period
/// of the 128-byte swizzle.
constexpr int64_t kSharedAlignment = 1024;

/// Byte offsets of named regions in a kernel's dynamic shared memory, in
/// the order they were added. Pure arithmetic: usable without a builder.
class SharedLayout {
public:
  /// Adds `bytes` aligned to `alignment` (a power of two) and returns the
  /// offset.
  int64_t add(StringRef name, int64_t bytes, int64_t alignment = 16);
  int64_t offset(StringRef name) const { return offsets.lookup(name); }
  /// The bytes the regions span.
  int64_t size() const { return end; }
  /// What the launch asks for: the regions plus the slack that aligning
  /// the array at run time may consume.
  int64_t launchBytes() const { return end + kSharedAlignment; }

private:
  llvm::StringMap<int64_t> offsets;
  int64_t end = 0;
};

/// The kernel's view of its dynamic shared memory.
struct SharedMemory {
  /// The aligned start, as a pointer (address space 3) and as its 32-bit
  /// shared-window address (for wgmma descriptors).
  Value pointer, base;

  /// Declares the extern array at the start of the block of the insertion
  /// point (the gpu.module's body), once per module.
  static void declare(KitBuilder &k);
  /// The array aligned at run time to kSharedAlignment, from inside a
  /// kernel of a module that declared it.
  static SharedMemory get(KitBuilder &k);

  /// A pointer `offset` (i32) bytes past the aligned start.
  Value at(KitBuilder &k, Value offset) const;
};

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_SHAREDMEMORY_H
