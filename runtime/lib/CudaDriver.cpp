//===- CudaDriver.cpp - The CUDA driver, loaded at run time -----*- C++ -*-===//
//
// Loads libcuda.so.1 with dlopen so that the runtime builds and runs where
// there is no CUDA; asking for a GPU there is an UNAVAILABLE status. Every
// driver error becomes a status that names the call and the CUDA error.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

#include <dlfcn.h>
#include <mutex>
#include <string>

using namespace tessera::runtime::cuda;

namespace {
/// The driver, resolved and initialized once.
struct CudaDriver {
  void *handle = nullptr;
  Api api = {};
  /// Why the driver cannot be used ("" when it can).
  std::string unavailable;
  int deviceCount = 0;

  template <typename F>
  bool resolve(F &slot, const char *name, bool required = true) {
    slot = reinterpret_cast<F>(dlsym(handle, name));
    if (!slot && required && unavailable.empty())
      unavailable = std::string("libcuda.so.1 lacks ") + name +
                    " (the driver is too old)";
    return slot != nullptr;
  }

  CudaDriver() {
    handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *err = dlerror();
      unavailable = std::string("cannot load the CUDA driver (libcuda.so.1): ") +
                    (err ? err : "unknown error");
      return;
    }
    resolve(api.cuInit, "cuInit");
    resolve(api.cuDeviceGetCount, "cuDeviceGetCount");
    resolve(api.cuDeviceGet, "cuDeviceGet");
    resolve(api.cuDeviceGetAttribute, "cuDeviceGetAttribute");
    resolve(api.cuGetErrorName, "cuGetErrorName");
    resolve(api.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    resolve(api.cuCtxGetCurrent, "cuCtxGetCurrent");
    resolve(api.cuCtxSetCurrent, "cuCtxSetCurrent");
    resolve(api.cuCtxPushCurrent, "cuCtxPushCurrent_v2");
    resolve(api.cuCtxPopCurrent, "cuCtxPopCurrent_v2");
    resolve(api.cuCtxGetDevice, "cuCtxGetDevice");
    resolve(api.cuCtxSynchronize, "cuCtxSynchronize");
    resolve(api.cuModuleLoadData, "cuModuleLoadData");
    resolve(api.cuModuleLoadDataEx, "cuModuleLoadDataEx");
    resolve(api.cuModuleUnload, "cuModuleUnload");
    resolve(api.cuModuleGetFunction, "cuModuleGetFunction");
    resolve(api.cuFuncSetAttribute, "cuFuncSetAttribute");
    resolve(api.cuLaunchKernel, "cuLaunchKernel");
    resolve(api.cuMemAlloc, "cuMemAlloc_v2");
    resolve(api.cuMemFree, "cuMemFree_v2");
    resolve(api.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
    resolve(api.cuMemcpyDtoH, "cuMemcpyDtoH_v2");
    resolve(api.cuMemcpyDtoD, "cuMemcpyDtoD_v2");
    resolve(api.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    resolve(api.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    resolve(api.cuMemsetD8, "cuMemsetD8_v2");
    resolve(api.cuMemsetD8Async, "cuMemsetD8Async");
    resolve(api.cuStreamCreate, "cuStreamCreate");
    resolve(api.cuStreamSynchronize, "cuStreamSynchronize");
    resolve(api.cuStreamDestroy, "cuStreamDestroy_v2");
    resolve(api.cuMemAllocAsync, "cuMemAllocAsync", /*required=*/false);
    resolve(api.cuMemFreeAsync, "cuMemFreeAsync", /*required=*/false);
    if (!api.cuMemAllocAsync || !api.cuMemFreeAsync)
      api.cuMemAllocAsync = nullptr, api.cuMemFreeAsync = nullptr;
    // Without it, launches with a tensor map fail and the others run.
    resolve(api.cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled",
            /*required=*/false);
    if (!unavailable.empty())
      return;
    if (CUresult r = api.cuInit(0)) {
      unavailable = "cuInit: " + name(r);
      return;
    }
    if (CUresult r = api.cuDeviceGetCount(&deviceCount)) {
      unavailable = "cuDeviceGetCount: " + name(r);
      deviceCount = 0;
      return;
    }
    if (deviceCount == 0)
      unavailable = "the CUDA driver sees no device";
  }

  std::string name(CUresult r) const {
    const char *text = nullptr;
    if (api.cuGetErrorName && api.cuGetErrorName(r, &text) == 0 && text)
      return text;
    return "CUDA error " + std::to_string(r);
  }
};

const CudaDriver &instance() {
  static CudaDriver d;
  return d;
}

bool isUnavailableError(CUresult r) {
  switch (r) {
  case CUDA_ERROR_NOT_INITIALIZED:
  case CUDA_ERROR_DEINITIALIZED:
  case CUDA_ERROR_STUB_LIBRARY:
  case CUDA_ERROR_INSUFFICIENT_DRIVER:
  case CUDA_ERROR_DEVICES_UNAVAILABLE:
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_SYSTEM_NOT_READY:
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
  case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    return true;
  default:
    return false;
  }
}
} // namespace

tessera_status_t tessera::runtime::cuda::driver(const char *caller,
                                                const Api *&api) {
  const CudaDriver &d = instance();
  if (!d.unavailable.empty()) {
    api = nullptr;
    return tessera_status_create(
        TESSERA_STATUS_UNAVAILABLE,
        (std::string(caller) + ": no CUDA device: " + d.unavailable).c_str());
  }
  api = &d.api;
  return nullptr;
}

const Api *tessera::runtime::cuda::tryDriver() {
  const CudaDriver &d = instance();
  return d.unavailable.empty() ? &d.api : nullptr;
}

tessera_status_t tessera::runtime::cuda::enterContext(const char *caller,
                                                      const Api *&api,
                                                      CUcontext &context) {
  context = nullptr;
  if (tessera_status_t s = driver(caller, api))
    return s;
  std::string prefix = std::string(caller) + ": ";
  if (CUresult r = api->cuCtxGetCurrent(&context))
    return callError(r, prefix + "cuCtxGetCurrent");
  if (context)
    return nullptr;

  // The primary context of device 0, retained once and never released (the
  // runtime's allocations and modules live in it).
  static std::mutex mutex;
  static CUcontext primary = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!primary) {
      CUdevice device = 0;
      if (CUresult r = api->cuDeviceGet(&device, 0))
        return callError(r, prefix + "cuDeviceGet(0)");
      if (CUresult r = api->cuDevicePrimaryCtxRetain(&primary, device)) {
        primary = nullptr;
        return callError(r, prefix + "cuDevicePrimaryCtxRetain");
      }
    }
    context = primary;
  }
  if (CUresult r = api->cuCtxSetCurrent(context)) {
    context = nullptr;
    return callError(r, prefix + "cuCtxSetCurrent");
  }
  return nullptr;
}

std::string tessera::runtime::cuda::errorName(CUresult result) {
  return instance().name(result);
}

tessera_status_t tessera::runtime::cuda::callError(CUresult result,
                                                   const std::string &call) {
  if (result == CUDA_SUCCESS)
    return nullptr;
  tessera_status_code_t code = result == CUDA_ERROR_OUT_OF_MEMORY
                                   ? TESSERA_STATUS_OUT_OF_MEMORY
                               : isUnavailableError(result)
                                   ? TESSERA_STATUS_UNAVAILABLE
                                   : TESSERA_STATUS_INTERNAL;
  return tessera_status_create(code,
                              (call + ": " + errorName(result)).c_str());
}

void tessera::runtime::cuda::freeInContext(CUcontext context,
                                           CUdeviceptr pointer) {
  const CudaDriver &d = instance();
  if (!pointer || !d.unavailable.empty())
    return;
  CUcontext current = nullptr;
  bool switched = false;
  if (d.api.cuCtxGetCurrent(&current) == CUDA_SUCCESS && current != context &&
      context)
    switched = d.api.cuCtxPushCurrent(context) == CUDA_SUCCESS;
  d.api.cuMemFree(pointer);
  if (switched) {
    CUcontext popped = nullptr;
    d.api.cuCtxPopCurrent(&popped);
  }
}

extern "C" tessera_status_t tessera_cuda_device_count(int *count) {
  if (!count)
    return tessera_status_create(TESSERA_STATUS_INVALID_ARGUMENT,
                                 "tessera_cuda_device_count: 'count' is NULL");
  *count = 0;
  const CudaDriver &d = instance();
  if (!d.unavailable.empty())
    return tessera_status_create(TESSERA_STATUS_UNAVAILABLE,
                                 d.unavailable.c_str());
  *count = d.deviceCount;
  return nullptr;
}
