//===- CudaDriver.cpp - The CUDA driver, loaded at run time -----*- C++ -*-===//
//
// Loads libcuda.so.1 with dlopen so that the runtime builds and runs where
// there is no CUDA; asking for a GPU there is an UNAVAILABLE status.
//
//===----------------------------------------------------------------------===//

#include "tessera/tessera_runtime.h"

#include <dlfcn.h>
#include <mutex>
#include <string>

namespace {
using CUresult = int;
using CuInitFn = CUresult (*)(unsigned);
using CuDeviceGetCountFn = CUresult (*)(int *);
using CuGetErrorNameFn = CUresult (*)(CUresult, const char **);

/// The driver entry points, resolved once.
struct CudaDriver {
  void *handle = nullptr;
  CuInitFn cuInit = nullptr;
  CuDeviceGetCountFn cuDeviceGetCount = nullptr;
  CuGetErrorNameFn cuGetErrorName = nullptr;
  std::string loadError;
  CUresult initResult = 0;

  CudaDriver() {
    handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *err = dlerror();
      loadError = std::string("cannot load the CUDA driver (libcuda.so.1): ") +
                  (err ? err : "unknown error");
      return;
    }
    cuInit = reinterpret_cast<CuInitFn>(dlsym(handle, "cuInit"));
    cuDeviceGetCount =
        reinterpret_cast<CuDeviceGetCountFn>(dlsym(handle, "cuDeviceGetCount"));
    cuGetErrorName =
        reinterpret_cast<CuGetErrorNameFn>(dlsym(handle, "cuGetErrorName"));
    if (!cuInit || !cuDeviceGetCount) {
      loadError = "libcuda.so.1 lacks cuInit or cuDeviceGetCount";
      return;
    }
    initResult = cuInit(0);
  }

  std::string errorName(CUresult r) const {
    const char *name = nullptr;
    if (cuGetErrorName && cuGetErrorName(r, &name) == 0 && name)
      return name;
    return "CUDA error " + std::to_string(r);
  }
};

const CudaDriver &driver() {
  static CudaDriver instance;
  return instance;
}
} // namespace

extern "C" tessera_status_t tessera_cuda_device_count(int *count) {
  if (!count)
    return tessera_status_create(TESSERA_STATUS_INVALID_ARGUMENT,
                                 "tessera_cuda_device_count: 'count' is NULL");
  *count = 0;
  const CudaDriver &d = driver();
  if (!d.loadError.empty())
    return tessera_status_create(TESSERA_STATUS_UNAVAILABLE,
                                 d.loadError.c_str());
  if (d.initResult != 0)
    return tessera_status_create(
        TESSERA_STATUS_UNAVAILABLE,
        ("cuInit failed: " + d.errorName(d.initResult)).c_str());
  CUresult r = d.cuDeviceGetCount(count);
  if (r != 0)
    return tessera_status_create(
        TESSERA_STATUS_UNAVAILABLE,
        ("cuDeviceGetCount failed: " + d.errorName(r)).c_str());
  if (*count == 0)
    return tessera_status_create(TESSERA_STATUS_UNAVAILABLE,
                                 "no CUDA device is visible");
  return nullptr;
}
