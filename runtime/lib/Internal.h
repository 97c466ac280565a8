//===- Internal.h - Runtime internals shared between files ------*- C++ -*-===//
//
// The tensor object and helpers the C API implementation files share. Not
// installed; nothing here crosses tessera_runtime.h.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_INTERNAL_H
#define TESSERA_RUNTIME_INTERNAL_H

#include "tessera/tessera_runtime.h"

#include <atomic>
#include <cstdint>
#include <string>

/// The largest tensor rank.
constexpr int32_t kTesseraMaxRank = 16;

struct tessera_tensor {
  std::atomic<int64_t> refs{1};
  tessera_dtype_t dtype = TESSERA_DTYPE_F32;
  int32_t rank = 0;
  int64_t dims[kTesseraMaxRank] = {};
  int64_t elementCount = 0;
  /// The elements of a host tensor (null for a device tensor).
  void *data = nullptr;
  tessera_device_t device = TESSERA_DEVICE_HOST;
  /// The elements of a device tensor (a CUdeviceptr; 0 for a host tensor or
  /// an empty one).
  uint64_t devicePointer = 0;
  /// The CUcontext an owned device tensor was allocated in.
  void *context = nullptr;
  /// Whether the elements were allocated by the runtime (and are freed with
  /// the tensor: std::free on the host, cuMemFree on the device).
  bool owned = false;
};

namespace tessera::runtime {

/// A status with `message`.
inline tessera_status_t makeStatus(tessera_status_code_t code,
                                   const std::string &message) {
  return tessera_status_create(code, message.c_str());
}

/// Checks a shape: 0 <= rank <= 16, `dims` non-null where rank > 0, every
/// size >= 0 and the byte size fitting in size_t and int64. Sets
/// `elementCount` and `byteCount`. `caller` prefixes the message.
tessera_status_t checkShape(const char *caller, tessera_dtype_t dtype,
                            int32_t rank, const int64_t *dims,
                            int64_t &elementCount, size_t &byteCount);

/// Allocates an uninitialized runtime-owned tensor of a shape checkShape
/// accepted. Returns null when out of memory.
tessera_tensor *allocateTensor(tessera_dtype_t dtype, int32_t rank,
                               const int64_t *dims, int64_t elementCount,
                               size_t byteCount, bool zero);

/// Allocates an uninitialized runtime-owned device tensor of a shape
/// checkShape accepted: enters a context (cuda::enterContext) and allocates
/// with cuMemAlloc there. UNAVAILABLE without CUDA, OUT_OF_MEMORY with the
/// CUDA error name. `caller` prefixes the message.
tessera_status_t allocateDeviceTensor(const char *caller,
                                      tessera_dtype_t dtype, int32_t rank,
                                      const int64_t *dims,
                                      int64_t elementCount, size_t byteCount,
                                      tessera_tensor_t *out);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_INTERNAL_H
