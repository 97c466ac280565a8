//===- Tensor.cpp - tessera_tensor_t ----------------------------*- C++ -*-===//
//
// Dense row-major tensors of the runtime C API, on the host or a CUDA device:
// wrapped caller memory or runtime allocations, reference counted with
// atomics.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Internal.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

using namespace tessera::runtime;

namespace {
/// Alignment of runtime-allocated tensor data.
constexpr size_t kDataAlignment = 64;

std::string dimsString(int32_t rank, const int64_t *dims) {
  std::string s = "[";
  for (int32_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}
} // namespace

tessera_status_t tessera::runtime::checkShape(const char *caller,
                                              tessera_dtype_t dtype,
                                              int32_t rank, const int64_t *dims,
                                              int64_t &elementCount,
                                              size_t &byteCount) {
  std::string prefix = std::string(caller) + ": ";
  size_t elementSize = tessera_dtype_size(dtype);
  if (elementSize == 0)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "unknown dtype " +
                          std::to_string(static_cast<int>(dtype)));
  if (rank < 0 || rank > kTesseraMaxRank)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "rank " + std::to_string(rank) +
                          " is outside [0, " + std::to_string(kTesseraMaxRank) +
                          "]");
  if (rank > 0 && !dims)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "'dims' is NULL for rank " +
                          std::to_string(rank));
  int64_t count = 1;
  bool overflow = false;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + "dimension " + std::to_string(i) + " is " +
                            std::to_string(dims[i]) + " (must be >= 0)");
    if (!overflow && __builtin_mul_overflow(count, dims[i], &count))
      overflow = true;
  }
  // A zero size makes an overflowing product of the others harmless.
  for (int32_t i = 0; i < rank; ++i)
    if (dims[i] == 0) {
      count = 0;
      overflow = false;
    }
  int64_t bytes = 0;
  if (overflow ||
      __builtin_mul_overflow(count, static_cast<int64_t>(elementSize),
                             &bytes) ||
      static_cast<uint64_t>(bytes) > std::numeric_limits<size_t>::max() / 2)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "a " + tessera_dtype_name(dtype) +
                          " tensor of dims " + dimsString(rank, dims) +
                          " has more bytes than fit in memory (overflow)");
  elementCount = count;
  byteCount = static_cast<size_t>(bytes);
  return nullptr;
}

/// A new tensor of `dtype` and `dims` with no storage yet, or null when out
/// of memory.
static tessera_tensor *newTensor(tessera_dtype_t dtype, int32_t rank,
                                 const int64_t *dims, int64_t elementCount) {
  auto *t = new (std::nothrow) tessera_tensor;
  if (!t)
    return nullptr;
  t->dtype = dtype;
  t->rank = rank;
  for (int32_t i = 0; i < rank; ++i)
    t->dims[i] = dims[i];
  t->elementCount = elementCount;
  return t;
}

tessera_tensor *tessera::runtime::allocateTensor(tessera_dtype_t dtype,
                                                 int32_t rank,
                                                 const int64_t *dims,
                                                 int64_t elementCount,
                                                 size_t byteCount, bool zero) {
  tessera_tensor *t = newTensor(dtype, rank, dims, elementCount);
  if (!t)
    return nullptr;
  t->owned = true;
  if (byteCount > 0) {
    size_t rounded =
        (byteCount + kDataAlignment - 1) / kDataAlignment * kDataAlignment;
    t->data = std::aligned_alloc(kDataAlignment, rounded);
    if (!t->data) {
      delete t;
      return nullptr;
    }
    if (zero)
      std::memset(t->data, 0, byteCount);
  }
  return t;
}

tessera_status_t tessera::runtime::allocateDeviceTensor(
    const char *caller, tessera_dtype_t dtype, int32_t rank,
    const int64_t *dims, int64_t elementCount, size_t byteCount,
    tessera_tensor_t *out) {
  *out = nullptr;
  const cuda::Api *api = nullptr;
  cuda::CUcontext context = nullptr;
  if (tessera_status_t s = cuda::enterContext(caller, api, context))
    return s;
  tessera_tensor *t = newTensor(dtype, rank, dims, elementCount);
  if (!t)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      std::string(caller) + ": out of memory");
  t->device = TESSERA_DEVICE_CUDA;
  t->context = context;
  t->owned = true;
  if (byteCount > 0) {
    cuda::CUdeviceptr pointer = 0;
    if (cuda::CUresult r = api->cuMemAlloc(&pointer, byteCount)) {
      delete t;
      return cuda::callError(r, std::string(caller) + ": cuMemAlloc_v2(" +
                                    std::to_string(byteCount) + " bytes)");
    }
    t->devicePointer = pointer;
  }
  *out = t;
  return nullptr;
}

extern "C" size_t tessera_dtype_size(tessera_dtype_t dtype) {
  switch (dtype) {
  case TESSERA_DTYPE_F32:
  case TESSERA_DTYPE_I32:
    return 4;
  case TESSERA_DTYPE_F16:
  case TESSERA_DTYPE_BF16:
    return 2;
  case TESSERA_DTYPE_F64:
  case TESSERA_DTYPE_I64:
    return 8;
  case TESSERA_DTYPE_I8:
  case TESSERA_DTYPE_F8E4M3FN:
  case TESSERA_DTYPE_F8E5M2:
    return 1;
  }
  return 0;
}

extern "C" const char *tessera_dtype_name(tessera_dtype_t dtype) {
  switch (dtype) {
  case TESSERA_DTYPE_F32:
    return "f32";
  case TESSERA_DTYPE_F16:
    return "f16";
  case TESSERA_DTYPE_BF16:
    return "bf16";
  case TESSERA_DTYPE_F64:
    return "f64";
  case TESSERA_DTYPE_I8:
    return "i8";
  case TESSERA_DTYPE_I32:
    return "i32";
  case TESSERA_DTYPE_I64:
    return "i64";
  case TESSERA_DTYPE_F8E4M3FN:
    return "f8e4m3fn";
  case TESSERA_DTYPE_F8E5M2:
    return "f8e5m2";
  }
  return "unknown";
}

extern "C" tessera_status_t tessera_tensor_wrap(tessera_dtype_t dtype,
                                                int32_t rank,
                                                const int64_t *dims, void *data,
                                                tessera_tensor_t *out) {
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_tensor_wrap: 'out' is NULL");
  *out = nullptr;
  int64_t count;
  size_t bytes;
  if (tessera_status_t s =
          checkShape("tessera_tensor_wrap", dtype, rank, dims, count, bytes))
    return s;
  if (!data && count > 0)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_tensor_wrap: 'data' is NULL for a tensor of " +
                          std::to_string(count) + " elements");
  tessera_tensor *t = newTensor(dtype, rank, dims, count);
  if (!t)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      "tessera_tensor_wrap: out of memory");
  t->data = data;
  t->owned = false;
  *out = t;
  return nullptr;
}

extern "C" tessera_status_t tessera_tensor_allocate(tessera_dtype_t dtype,
                                                    int32_t rank,
                                                    const int64_t *dims,
                                                    tessera_tensor_t *out) {
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_tensor_allocate: 'out' is NULL");
  *out = nullptr;
  int64_t count;
  size_t bytes;
  if (tessera_status_t s = checkShape("tessera_tensor_allocate", dtype, rank,
                                      dims, count, bytes))
    return s;
  tessera_tensor *t = allocateTensor(dtype, rank, dims, count, bytes, true);
  if (!t)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      "tessera_tensor_allocate: cannot allocate " +
                          std::to_string(bytes) + " bytes");
  *out = t;
  return nullptr;
}

extern "C" tessera_status_t
tessera_tensor_wrap_device(tessera_dtype_t dtype, int32_t rank,
                           const int64_t *dims, uint64_t device_pointer,
                           tessera_tensor_t *out) {
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_tensor_wrap_device: 'out' is NULL");
  *out = nullptr;
  int64_t count;
  size_t bytes;
  if (tessera_status_t s = checkShape("tessera_tensor_wrap_device", dtype,
                                      rank, dims, count, bytes))
    return s;
  if (!device_pointer && count > 0)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_tensor_wrap_device: 'device_pointer' is 0 for "
                      "a tensor of " +
                          std::to_string(count) + " elements");
  tessera_tensor *t = newTensor(dtype, rank, dims, count);
  if (!t)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      "tessera_tensor_wrap_device: out of memory");
  t->device = TESSERA_DEVICE_CUDA;
  t->devicePointer = device_pointer;
  t->owned = false;
  *out = t;
  return nullptr;
}

extern "C" tessera_status_t
tessera_tensor_allocate_device(tessera_dtype_t dtype, int32_t rank,
                               const int64_t *dims, tessera_tensor_t *out) {
  const char *caller = "tessera_tensor_allocate_device";
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      std::string(caller) + ": 'out' is NULL");
  *out = nullptr;
  int64_t count;
  size_t bytes;
  if (tessera_status_t s = checkShape(caller, dtype, rank, dims, count, bytes))
    return s;
  return allocateDeviceTensor(caller, dtype, rank, dims, count, bytes, out);
}

extern "C" tessera_status_t tessera_tensor_copy_to(tessera_tensor_t tensor,
                                                   tessera_device_t device,
                                                   tessera_tensor_t *out) {
  const char *caller = "tessera_tensor_copy_to";
  std::string prefix = std::string(caller) + ": ";
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT, prefix + "'out' is NULL");
  *out = nullptr;
  if (!tensor)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "'tensor' is NULL");
  if (device != TESSERA_DEVICE_HOST && device != TESSERA_DEVICE_CUDA)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "unknown device " +
                          std::to_string(static_cast<int>(device)));
  int64_t count;
  size_t bytes;
  if (tessera_status_t s = checkShape(caller, tensor->dtype, tensor->rank,
                                      tensor->dims, count, bytes))
    return s;
  bool fromDevice = tensor->device == TESSERA_DEVICE_CUDA;

  if (!fromDevice && device == TESSERA_DEVICE_HOST) {
    tessera_tensor *t = allocateTensor(tensor->dtype, tensor->rank,
                                       tensor->dims, count, bytes, false);
    if (!t)
      return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                        prefix + "cannot allocate " + std::to_string(bytes) +
                            " bytes");
    if (bytes > 0)
      std::memcpy(t->data, tensor->data, bytes);
    *out = t;
    return nullptr;
  }

  const cuda::Api *api = nullptr;
  cuda::CUcontext context = nullptr;
  if (tessera_status_t s = cuda::enterContext(caller, api, context))
    return s;
  tessera_tensor_t t = nullptr;
  if (device == TESSERA_DEVICE_HOST) {
    t = allocateTensor(tensor->dtype, tensor->rank, tensor->dims, count, bytes,
                       false);
    if (!t)
      return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                        prefix + "cannot allocate " + std::to_string(bytes) +
                            " bytes");
  } else if (tessera_status_t s =
                 allocateDeviceTensor(caller, tensor->dtype, tensor->rank,
                                      tensor->dims, count, bytes, &t)) {
    return s;
  }
  if (bytes > 0) {
    cuda::CUresult r;
    const char *call;
    if (!fromDevice) {
      call = "cuMemcpyHtoD_v2";
      r = api->cuMemcpyHtoD(t->devicePointer, tensor->data, bytes);
    } else if (device == TESSERA_DEVICE_HOST) {
      call = "cuMemcpyDtoH_v2";
      r = api->cuMemcpyDtoH(t->data, tensor->devicePointer, bytes);
    } else {
      call = "cuMemcpyDtoD_v2";
      r = api->cuMemcpyDtoD(t->devicePointer, tensor->devicePointer, bytes);
    }
    // A copy to the device may return before the DMA finished: wait for
    // the legacy stream it ran on.
    if (r == cuda::CUDA_SUCCESS && device == TESSERA_DEVICE_CUDA) {
      call = "cuStreamSynchronize";
      r = api->cuStreamSynchronize(nullptr);
    }
    if (r != cuda::CUDA_SUCCESS) {
      tessera_tensor_release(t);
      return cuda::callError(r, prefix + call);
    }
  }
  *out = t;
  return nullptr;
}

extern "C" tessera_device_t tessera_tensor_device(tessera_tensor_t tensor) {
  return tensor ? tensor->device : TESSERA_DEVICE_HOST;
}

extern "C" uint64_t tessera_tensor_device_pointer(tessera_tensor_t tensor) {
  return tensor ? tensor->devicePointer : 0;
}

extern "C" void tessera_tensor_retain(tessera_tensor_t tensor) {
  if (tensor)
    tensor->refs.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void tessera_tensor_release(tessera_tensor_t tensor) {
  if (!tensor || tensor->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  if (tensor->owned) {
    if (tensor->device == TESSERA_DEVICE_CUDA)
      cuda::freeInContext(static_cast<cuda::CUcontext>(tensor->context),
                          tensor->devicePointer);
    else
      std::free(tensor->data);
  }
  delete tensor;
}

extern "C" tessera_dtype_t tessera_tensor_dtype(tessera_tensor_t tensor) {
  return tensor ? tensor->dtype : static_cast<tessera_dtype_t>(0);
}

extern "C" int32_t tessera_tensor_rank(tessera_tensor_t tensor) {
  return tensor ? tensor->rank : 0;
}

extern "C" const int64_t *tessera_tensor_dims(tessera_tensor_t tensor) {
  return tensor ? tensor->dims : nullptr;
}

extern "C" int64_t tessera_tensor_element_count(tessera_tensor_t tensor) {
  return tensor ? tensor->elementCount : 0;
}

extern "C" void *tessera_tensor_data(tessera_tensor_t tensor) {
  return tensor ? tensor->data : nullptr;
}
