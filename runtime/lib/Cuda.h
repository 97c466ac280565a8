//===- Cuda.h - The CUDA driver API, loaded at run time ---------*- C++ -*-===//
//
// The few driver types and entry points the runtime uses, declared here (no
// cuda.h needed) and resolved from libcuda.so.1 with dlopen, so that the
// runtime builds and runs where there is no CUDA. Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_CUDA_H
#define TESSERA_RUNTIME_CUDA_H

#include "tessera/tessera_runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace tessera::runtime::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
constexpr CUresult CUDA_ERROR_DEINITIALIZED = 4;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
constexpr CUresult CUDA_ERROR_DEVICES_UNAVAILABLE = 46;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_INVALID_DEVICE = 101;
constexpr CUresult CUDA_ERROR_NOT_SUPPORTED = 801;
constexpr CUresult CUDA_ERROR_SYSTEM_NOT_READY = 802;
constexpr CUresult CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803;
constexpr CUresult CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804;

constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
constexpr int CU_JIT_INFO_LOG_BUFFER = 3;
constexpr int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
/// Streams created with flags 0 synchronize with the legacy NULL stream.
constexpr unsigned CU_STREAM_DEFAULT = 0;

/// A TMA descriptor: 128 opaque bytes. The driver wants it 64-byte aligned;
/// cuda.h of CUDA 13 declares it 128-byte aligned, which satisfies both.
struct alignas(128) CUtensorMap {
  uint64_t opaque[16];
};
// The CUtensorMap* enums of cuda.h (CUDA 12.0 and later), as ints: the ones
// the runtime encodes.
constexpr int CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0;
constexpr int CU_TENSOR_MAP_DATA_TYPE_FLOAT16 = 6;
constexpr int CU_TENSOR_MAP_DATA_TYPE_FLOAT32 = 7;
constexpr int CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 = 9;
constexpr int CU_TENSOR_MAP_INTERLEAVE_NONE = 0;
constexpr int CU_TENSOR_MAP_SWIZZLE_NONE = 0;
constexpr int CU_TENSOR_MAP_SWIZZLE_32B = 1;
constexpr int CU_TENSOR_MAP_SWIZZLE_64B = 2;
constexpr int CU_TENSOR_MAP_SWIZZLE_128B = 3;
constexpr int CU_TENSOR_MAP_L2_PROMOTION_L2_256B = 3;
constexpr int CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE = 0;

/// The driver entry points. The required ones are non-null once `driver()`
/// returned no error; the optional ones (stream-ordered allocation, CUDA
/// 11.2; tensor maps, CUDA 12.0) may be null.
struct Api {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxPushCurrent)(CUcontext);    // cuCtxPushCurrent_v2
  CUresult (*cuCtxPopCurrent)(CUcontext *);   // cuCtxPopCurrent_v2
  CUresult (*cuCtxGetDevice)(CUdevice *);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);  // cuMemAlloc_v2
  CUresult (*cuMemFree)(CUdeviceptr);             // cuMemFree_v2
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);  // _v2
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);        // _v2
  CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);   // _v2
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t,
                                CUstream);                      // _v2
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t,
                                CUstream);                      // _v2
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);   // _v2
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);  // cuStreamDestroy_v2
  // Optional.
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuTensorMapEncodeTiled)(
      CUtensorMap *tensorMap, int dataType, uint32_t rank, void *globalAddress,
      const uint64_t *globalDim, const uint64_t *globalStrides,
      const uint32_t *boxDim, const uint32_t *elementStrides, int interleave,
      int swizzle, int l2Promotion, int oobFill);
};

/// The loaded and initialized driver, or an UNAVAILABLE status "no CUDA
/// device: <why>" (no libcuda.so.1, a missing entry point, cuInit failed,
/// no device). `caller` starts the message.
tessera_status_t driver(const char *caller, const Api *&api);

/// The loaded and initialized driver, or null where `driver` would fail.
const Api *tryDriver();

/// Makes sure a context is current on the calling thread: the caller's
/// current one if any, else the primary context of device 0 (retained once
/// for the life of the process). Sets `context` to it. Errors as `driver`.
tessera_status_t enterContext(const char *caller, const Api *&api,
                              CUcontext &context);

/// The name of a CUDA error ("CUDA_ERROR_INVALID_VALUE"), or "CUDA error N".
std::string errorName(CUresult result);

/// The status of a failed driver call: "<call>: <CUDA error name>".
/// CUDA_ERROR_OUT_OF_MEMORY is OUT_OF_MEMORY, a missing device or driver
/// UNAVAILABLE, anything else INTERNAL. Returns null for CUDA_SUCCESS.
tessera_status_t callError(CUresult result, const std::string &call);

/// Frees `pointer` (from cuMemAlloc) in `context`, which is made current
/// for the call where it is not; errors are ignored (this runs from release
/// functions, which cannot report them).
void freeInContext(CUcontext context, CUdeviceptr pointer);

} // namespace tessera::runtime::cuda

#endif // TESSERA_RUNTIME_CUDA_H
