//===- fake_cuda.cpp - A CUDA driver on the host, for tests ---------------===//
//
// Built as a libcuda.so.1 of its own (never installed): the entry points the
// runtime resolves, over host memory, with the kernels of gpu_kernels.cu
// emulated on the CPU. Running the GPU tests with it on LD_LIBRARY_PATH
// exercises the runtime's CUDA backend where there is no GPU: plans, kernel
// parameters as the driver would read them, memory lifetimes (every access
// must fall inside a live allocation; a use after free or out of bounds is
// CUDA_ERROR_ILLEGAL_ADDRESS), contexts (device calls need a current one),
// streams and error paths. Work runs at once, so stream ordering itself is
// not tested here.
//
// FAKE_CUDA_CC=80 makes the device compute capability 8.0 (default 9.0).
// Built with FAKE_CUDA_NO_TENSOR_MAPS defined, it is a driver older than
// CUDA 12.0: one without cuTensorMapEncodeTiled.
//
//===----------------------------------------------------------------------===//

#include "fake_cuda.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {
using CUresult = int;
using CUdeviceptr = unsigned long long;

constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2,
                   kInvalidDevice = 101, kInvalidImage = 200,
                   kInvalidContext = 201, kInvalidPtx = 218,
                   kInvalidHandle = 400, kNotFound = 500,
                   kIllegalAddress = 700;

/// Allocations above this many bytes fail with CUDA_ERROR_OUT_OF_MEMORY.
constexpr size_t kDeviceMemory = size_t(1) << 36;
constexpr int kDefaultSmem = 48 * 1024, kMaxSmem = 227 * 1024;

struct Context {
  int device = 0;
};
struct Function {
  struct Module *module;
  std::string name;
  int maxDynamicSmem = kDefaultSmem;
};
struct Module {
  std::set<std::string> entries;
  std::map<std::string, Function> functions;
};
struct Stream {
  bool alive = true;
};

Context primary;
thread_local Context *current = nullptr;
thread_local std::vector<Context *> stack;

std::mutex mutex;
std::map<uintptr_t, size_t> live;         // device allocations
std::vector<size_t> allocationSizes;      // of every allocation, in order
std::set<Module *> modules;
std::set<Stream *> streams;
size_t tensorMaps = 0;                    // successful encodes
FakeTensorMap lastTensorMap;

bool inLive(uintptr_t p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = live.upper_bound(p);
  if (it == live.begin())
    return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}

CUresult allocate(CUdeviceptr *out, size_t bytes) {
  if (!current)
    return kInvalidContext;
  if (!out || bytes == 0)
    return kInvalidValue;
  if (bytes > kDeviceMemory)
    return kOutOfMemory;
  void *p = std::malloc(bytes);
  if (!p)
    return kOutOfMemory;
  std::memset(p, 0xa5, bytes); // device memory starts as garbage
  std::lock_guard<std::mutex> lock(mutex);
  live[reinterpret_cast<uintptr_t>(p)] = bytes;
  allocationSizes.push_back(bytes);
  *out = reinterpret_cast<uintptr_t>(p);
  return kSuccess;
}

CUresult release(CUdeviceptr p) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = live.find(static_cast<uintptr_t>(p));
  if (it == live.end()) {
    std::fprintf(stderr, "fake CUDA: free of 0x%llx, not an allocation\n", p);
    return kInvalidValue;
  }
  std::memset(reinterpret_cast<void *>(it->first), 0x5a, it->second);
  std::free(reinterpret_cast<void *>(it->first));
  live.erase(it);
  return kSuccess;
}

bool checkStream(void *s) {
  if (!s)
    return true;
  std::lock_guard<std::mutex> lock(mutex);
  return streams.count(static_cast<Stream *>(s)) > 0;
}

//===--- Emulated kernels --------------------------------------------------===//

/// One launch: its geometry, parameters and whether an access failed.
struct Launch {
  unsigned grid[3], block[3];
  unsigned smem;
  void **params;
  const char *kernel;
  bool failed = false;

  int64_t i64(int i) const {
    int64_t v;
    std::memcpy(&v, params[i], 8);
    return v;
  }
  int32_t i32(int i) const {
    int32_t v;
    std::memcpy(&v, params[i], 4);
    return v;
  }
  /// Element `index` of type T at the device pointer in parameter `i`.
  template <typename T> T *at(int i, int64_t index) {
    uintptr_t base = static_cast<uintptr_t>(i64(i));
    uintptr_t p = base + static_cast<uintptr_t>(index) * sizeof(T);
    if (index < 0 || !inLive(p, sizeof(T))) {
      if (!failed)
        std::fprintf(stderr,
                     "fake CUDA: %s: access of element %lld of parameter %d "
                     "(0x%llx) outside any live allocation\n",
                     kernel, static_cast<long long>(index), i,
                     static_cast<unsigned long long>(base));
      failed = true;
      static T dummy;
      return &dummy;
    }
    return reinterpret_cast<T *>(p);
  }
  /// Calls f(globalX, globalY, threadX) for every thread.
  template <typename F> void forEachThread(F f) {
    for (unsigned by = 0; by < grid[1]; ++by)
      for (unsigned bx = 0; bx < grid[0]; ++bx)
        for (unsigned ty = 0; ty < block[1]; ++ty)
          for (unsigned tx = 0; tx < block[0]; ++tx)
            f(int64_t(bx) * block[0] + tx, int64_t(by) * block[1] + ty, tx);
  }
};

// Parameter layouts follow gpu_kernels.cu: a 1-D memref is 5 parameters
// (allocated, aligned, offset, size, stride).
void addOne(Launch &l) {
  int64_t n = l.i64(10);
  l.forEachThread([&](int64_t i, int64_t, unsigned) {
    if (i < n)
      *l.at<float>(6, l.i64(7) + i * l.i64(9)) =
          *l.at<float>(1, l.i64(2) + i * l.i64(4)) + 1.0f;
  });
}

void fill(Launch &l) {
  int32_t value = l.i32(5);
  int64_t n = l.i64(6);
  l.forEachThread([&](int64_t i, int64_t, unsigned) {
    if (i < n)
      *l.at<float>(1, l.i64(2) + i * l.i64(4)) = static_cast<float>(value);
  });
}

void accumulate(Launch &l) {
  int64_t n = l.i64(10);
  l.forEachThread([&](int64_t i, int64_t, unsigned) {
    if (i < n)
      *l.at<float>(1, l.i64(2) + i * l.i64(4)) +=
          *l.at<float>(6, l.i64(7) + i * l.i64(9));
  });
}

void transpose(Launch &l) {
  int64_t rows = l.i64(3), cols = l.i64(4);
  int64_t outRows = l.i64(10), outCols = l.i64(11);
  l.forEachThread([&](int64_t j, int64_t i, unsigned) {
    if (i < rows && j < cols && j < outRows && i < outCols)
      *l.at<float>(8, l.i64(9) + j * l.i64(12) + i * l.i64(13)) =
          *l.at<float>(1, l.i64(2) + i * l.i64(5) + j * l.i64(6));
  });
}

void smemDouble(Launch &l) {
  int64_t n = l.i64(10);
  if ((15872 + l.block[0]) * sizeof(float) > l.smem) {
    std::fprintf(stderr, "fake CUDA: smem_double needs more shared memory\n");
    l.failed = true;
    return;
  }
  l.forEachThread([&](int64_t i, int64_t, unsigned) {
    if (i < n)
      *l.at<float>(6, l.i64(7) + i * l.i64(9)) =
          2.0f * *l.at<float>(1, l.i64(2) + i * l.i64(4));
  });
}

void sum(Launch &l) {
  int64_t n = l.i64(8);
  l.forEachThread([&](int64_t, int64_t, unsigned) {
    float total = 0.0f;
    for (int64_t i = 0; i < n; ++i)
      total += *l.at<float>(1, l.i64(2) + i * l.i64(4));
    *l.at<float>(6, l.i64(7)) = total;
  });
}

// Parameter 0 is the 128 bytes of a tensor map.
void tensorMapBytes(Launch &l) {
  int64_t words[16];
  std::memcpy(words, l.params[0], sizeof(words));
  l.forEachThread([&](int64_t, int64_t, unsigned) {
    for (int k = 0; k < 16; ++k)
      *l.at<int64_t>(2, l.i64(3) + k * l.i64(5)) = words[k];
    *l.at<int64_t>(2, l.i64(3) + 16 * l.i64(5)) = l.i64(6);
  });
}

void describe(Launch &l) {
  l.forEachThread([&](int64_t, int64_t, unsigned) {
    int64_t values[8] = {l.i64(0) == l.i64(1), l.i64(2), l.i64(3), l.i64(4),
                         l.i64(5),             l.i64(6), l.i32(12), l.i64(13)};
    for (int k = 0; k < 8; ++k)
      *l.at<int64_t>(8, l.i64(9) + k) = values[k];
  });
}

// A rank-1 memref `a` (parameters 0-4), a rank-4 memref `v` (5-15: pointers,
// offset, sizes 8-11, strides 12-15) and the output (16-20).
void describeView(Launch &l) {
  l.forEachThread([&](int64_t, int64_t, unsigned) {
    int64_t values[13] = {l.i64(1) == l.i64(6), l.i64(5) == l.i64(6)};
    for (int k = 2; k < 11; ++k)
      values[k] = l.i64(5 + k); // offset, sizes, strides
    values[11] = l.i64(6);
    bool empty = false;
    int64_t last = l.i64(7);
    for (int d = 0; d < 4; ++d) {
      empty = empty || l.i64(8 + d) == 0;
      last += (l.i64(8 + d) - 1) * l.i64(12 + d);
    }
    values[12] = empty ? -1 : static_cast<int64_t>(*l.at<float>(6, last));
    for (int k = 0; k < 13; ++k)
      *l.at<int64_t>(17, l.i64(18) + k) = values[k];
  });
}

struct Kernel {
  const char *name;
  void (*run)(Launch &);
};
const Kernel kKernels[] = {{"add_one", addOne},       {"fill", fill},
                           {"accumulate", accumulate}, {"transpose", transpose},
                           {"smem_double", smemDouble}, {"sum", sum},
                           {"describe", describe},
                           {"describe_view", describeView},
                           {"tensor_map_bytes", tensorMapBytes}};
} // namespace

extern "C" {

/// Test hook: the number of live device allocations.
size_t fake_cuda_live_allocations() {
  std::lock_guard<std::mutex> lock(mutex);
  return live.size();
}

size_t fake_cuda_allocations(size_t first, size_t *sizes, size_t count) {
  std::lock_guard<std::mutex> lock(mutex);
  for (size_t i = 0; i < count && first + i < allocationSizes.size(); ++i)
    sizes[i] = allocationSizes[first + i];
  return allocationSizes.size();
}

size_t fake_cuda_tensor_maps(FakeTensorMap *last) {
  std::lock_guard<std::mutex> lock(mutex);
  if (last && tensorMaps)
    *last = lastTensorMap;
  return tensorMaps;
}

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal != 0)
    return kInvalidDevice;
  *device = 0;
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  if (device != 0)
    return kInvalidDevice;
  const char *cc = std::getenv("FAKE_CUDA_CC");
  int capability = cc ? std::atoi(cc) : 90;
  if (attribute == 75)
    *value = capability / 10;
  else if (attribute == 76)
    *value = capability % 10;
  else
    return kInvalidValue;
  return kSuccess;
}
CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case kSuccess:
    *name = "CUDA_SUCCESS";
    return kSuccess;
  case kInvalidValue:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return kSuccess;
  case kOutOfMemory:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return kSuccess;
  case kInvalidDevice:
    *name = "CUDA_ERROR_INVALID_DEVICE";
    return kSuccess;
  case kInvalidImage:
    *name = "CUDA_ERROR_INVALID_IMAGE";
    return kSuccess;
  case kInvalidContext:
    *name = "CUDA_ERROR_INVALID_CONTEXT";
    return kSuccess;
  case kInvalidPtx:
    *name = "CUDA_ERROR_INVALID_PTX";
    return kSuccess;
  case kInvalidHandle:
    *name = "CUDA_ERROR_INVALID_HANDLE";
    return kSuccess;
  case kNotFound:
    *name = "CUDA_ERROR_NOT_FOUND";
    return kSuccess;
  case kIllegalAddress:
    *name = "CUDA_ERROR_ILLEGAL_ADDRESS";
    return kSuccess;
  }
  *name = nullptr;
  return kInvalidValue;
}

CUresult cuDevicePrimaryCtxRetain(Context **context, int device) {
  if (device != 0)
    return kInvalidDevice;
  *context = &primary;
  return kSuccess;
}
CUresult cuCtxGetCurrent(Context **context) {
  *context = current;
  return kSuccess;
}
CUresult cuCtxSetCurrent(Context *context) {
  current = context;
  return kSuccess;
}
CUresult cuCtxPushCurrent_v2(Context *context) {
  stack.push_back(current);
  current = context;
  return kSuccess;
}
CUresult cuCtxPopCurrent_v2(Context **context) {
  if (stack.empty())
    return kInvalidContext;
  if (context)
    *context = current;
  current = stack.back();
  stack.pop_back();
  return kSuccess;
}
CUresult cuCtxGetDevice(int *device) {
  if (!current)
    return kInvalidContext;
  *device = current->device;
  return kSuccess;
}
CUresult cuCtxSynchronize() { return current ? kSuccess : kInvalidContext; }

CUresult cuModuleLoadData(Module **module, const void *) {
  if (!current)
    return kInvalidContext;
  *module = nullptr;
  return kInvalidImage; // the tests' cubins are never real
}
CUresult cuModuleLoadDataEx(Module **module, const void *image,
                            unsigned count, int *options, void **values) {
  if (!current)
    return kInvalidContext;
  std::string text(static_cast<const char *>(image));
  if (text.find(".version") == std::string::npos ||
      text.find(".entry") == std::string::npos) {
    char *log = nullptr;
    size_t size = 0;
    for (unsigned i = 0; i < count; ++i) {
      if (options[i] == 5)
        log = static_cast<char *>(values[i]);
      if (options[i] == 6)
        size = reinterpret_cast<uintptr_t>(values[i]);
    }
    if (log && size)
      std::snprintf(log, size, "ptxas fatal   : not a PTX module\n");
    return kInvalidPtx;
  }
  auto *m = new Module;
  for (size_t at = text.find(".entry "); at != std::string::npos;
       at = text.find(".entry ", at + 1)) {
    size_t start = at + 7, end = text.find('(', start);
    m->entries.insert(text.substr(start, end - start));
  }
  std::lock_guard<std::mutex> lock(mutex);
  modules.insert(m);
  *module = m;
  return kSuccess;
}
CUresult cuModuleUnload(Module *module) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!modules.erase(module))
    return kInvalidHandle;
  delete module;
  return kSuccess;
}
CUresult cuModuleGetFunction(Function **function, Module *module,
                             const char *name) {
  if (!current)
    return kInvalidContext;
  if (!module->entries.count(name))
    return kNotFound;
  auto it = module->functions.find(name);
  if (it == module->functions.end())
    it = module->functions.emplace(name, Function{module, name}).first;
  *function = &it->second;
  return kSuccess;
}
CUresult cuFuncSetAttribute(Function *function, int attribute, int value) {
  if (attribute != 8 || value < 0 || value > kMaxSmem)
    return kInvalidValue;
  function->maxDynamicSmem = value;
  return kSuccess;
}
CUresult cuLaunchKernel(Function *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  if (!current)
    return kInvalidContext;
  if (!checkStream(stream))
    return kInvalidHandle;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!modules.count(f->module))
      return kInvalidHandle;
  }
  if (extra || !gx || !gy || !gz || !bx || !by || !bz ||
      uint64_t(bx) * by * bz > 1024 || int(smem) > f->maxDynamicSmem ||
      gy > 65535 || gz > 65535)
    return kInvalidValue;
  for (const Kernel &k : kKernels)
    if (f->name == k.name) {
      Launch l{{gx, gy, gz}, {bx, by, bz}, smem, params, k.name};
      for (unsigned z = 0; z < gz; ++z)
        k.run(l);
      return l.failed ? kIllegalAddress : kSuccess;
    }
  return kInvalidValue;
}

CUresult cuMemAlloc_v2(CUdeviceptr *out, size_t bytes) {
  return allocate(out, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr p) { return release(p); }
CUresult cuMemAllocAsync(CUdeviceptr *out, size_t bytes, void *stream) {
  if (!checkStream(stream))
    return kInvalidHandle;
  return allocate(out, bytes);
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *stream) {
  if (!checkStream(stream))
    return kInvalidHandle;
  return release(p);
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (!current)
    return kInvalidContext;
  if (!inLive(dst, bytes))
    return kIllegalAddress;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  if (!current)
    return kInvalidContext;
  if (!inLive(src, bytes))
    return kIllegalAddress;
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  if (!current)
    return kInvalidContext;
  if (!inLive(src, bytes) || !inLive(dst, bytes))
    return kIllegalAddress;
  std::memcpy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src),
              bytes);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              void *stream) {
  return checkStream(stream) ? cuMemcpyHtoD_v2(dst, src, bytes)
                             : kInvalidHandle;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              void *stream) {
  return checkStream(stream) ? cuMemcpyDtoH_v2(dst, src, bytes)
                             : kInvalidHandle;
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t bytes) {
  if (!current)
    return kInvalidContext;
  if (!inLive(dst, bytes))
    return kIllegalAddress;
  std::memset(reinterpret_cast<void *>(dst), value, bytes);
  return kSuccess;
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t bytes,
                         void *stream) {
  return checkStream(stream) ? cuMemsetD8_v2(dst, value, bytes)
                             : kInvalidHandle;
}

#ifndef FAKE_CUDA_NO_TENSOR_MAPS
/// Checks what cuda.h documents for cuTensorMapEncodeTiled (for the data
/// types of whole bytes and the swizzles up to 128B), then writes the
/// arguments as the descriptor (fake_cuda.h).
CUresult cuTensorMapEncodeTiled(FakeTensorMap *map, int dataType,
                                uint32_t rank, void *address,
                                const uint64_t *globalDim,
                                const uint64_t *globalStrides,
                                const uint32_t *boxDim,
                                const uint32_t *elementStrides, int interleave,
                                int swizzle, int l2Promotion, int oobFill) {
  // Bytes per element of the CUtensorMapDataType values 0 (UINT8) to 12
  // (TFLOAT32_FTZ).
  static const uint64_t kElementBytes[] = {1, 2, 4, 4, 8, 8, 2,
                                           4, 8, 2, 4, 4, 4};
  if (!current)
    return kInvalidContext;
  if (!map || reinterpret_cast<uintptr_t>(map) % 64 != 0 || dataType < 0 ||
      dataType > 12 || rank < 1 || rank > 5 || !address ||
      reinterpret_cast<uintptr_t>(address) % 16 != 0 || !globalDim ||
      (rank > 1 && !globalStrides) || !boxDim || !elementStrides ||
      interleave < 0 || interleave > 2 || (interleave != 0 && rank < 3) ||
      swizzle < 0 || swizzle > 3 || l2Promotion < 0 || l2Promotion > 3 ||
      oobFill < 0 || oobFill > 1 || (oobFill == 1 && dataType < 6))
    return kInvalidValue;
  uint64_t elementBytes = kElementBytes[dataType];
  for (uint32_t i = 0; i < rank; ++i) {
    if (globalDim[i] == 0 || globalDim[i] > (uint64_t(1) << 32) ||
        boxDim[i] == 0 || boxDim[i] > 256 || elementStrides[i] == 0 ||
        elementStrides[i] > 8)
      return kInvalidValue;
    if (i + 1 < rank && (globalStrides[i] % 16 != 0 ||
                         globalStrides[i] >= (uint64_t(1) << 40)))
      return kInvalidValue;
  }
  uint64_t innerBytes = boxDim[0] * elementBytes;
  if (interleave == 0 && innerBytes % 16 != 0)
    return kInvalidValue;
  if (interleave == 0 && swizzle != 0 && innerBytes > (16u << swizzle))
    return kInvalidValue;
  FakeTensorMap m = {};
  m.globalAddress = reinterpret_cast<uintptr_t>(address);
  for (uint32_t i = 0; i < rank; ++i) {
    m.globalDim[i] = globalDim[i];
    if (i + 1 < rank)
      m.globalStrides[i] = globalStrides[i];
    m.boxDim[i] = boxDim[i];
    m.elementStrides[i] = elementStrides[i];
  }
  m.dataType = static_cast<uint8_t>(dataType);
  m.rank = static_cast<uint8_t>(rank);
  m.interleave = static_cast<uint8_t>(interleave);
  m.swizzle = static_cast<uint8_t>(swizzle);
  m.l2Promotion = static_cast<uint8_t>(l2Promotion);
  m.oobFill = static_cast<uint8_t>(oobFill);
  *map = m;
  std::lock_guard<std::mutex> lock(mutex);
  ++tensorMaps;
  lastTensorMap = m;
  return kSuccess;
}
#endif

CUresult cuStreamCreate(Stream **stream, unsigned) {
  if (!current)
    return kInvalidContext;
  auto *s = new Stream;
  std::lock_guard<std::mutex> lock(mutex);
  streams.insert(s);
  *stream = s;
  return kSuccess;
}
CUresult cuStreamSynchronize(Stream *stream) {
  if (!current)
    return kInvalidContext;
  return checkStream(stream) ? kSuccess : kInvalidHandle;
}
CUresult cuStreamDestroy_v2(Stream *stream) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!streams.erase(stream))
    return kInvalidHandle;
  delete stream;
  return kSuccess;
}

} // extern "C"
