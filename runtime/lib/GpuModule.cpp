//===- GpuModule.cpp - The CUDA backend of a module -------------*- C++ -*-===//
//
// GPU functions (docs/artifact-format.md, "GPU functions"). Loading compiles
// each function's plan (variants, steps, expressions, value references)
// without touching CUDA, so that a GPU artifact loads and lists its
// functions anywhere. The first invoke in a CUDA context loads the cubin (or
// JIT-compiles the PTX) there, once, under a lock; invokes then pick the
// variant whose condition holds, allocate results and temporaries, and run
// the steps on a stream.
//
//===----------------------------------------------------------------------===//

#include "GpuModule.h"
#include "GpuTargets.h"
#include "Cuda.h"
#include "Internal.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>

using namespace tessera::artifact;
using namespace tessera::runtime;
namespace cu = tessera::runtime::cuda;

namespace {
/// Dynamic shared memory a kernel may use without raising its limit.
constexpr int64_t kDefaultSharedMemoryLimit = 48 * 1024;
/// The largest grid CUDA launches, per dimension.
constexpr int64_t kMaxGrid[3] = {2147483647, 65535, 65535};
const char *const kAxes[3] = {"x", "y", "z"};
/// Room for the PTX JIT's error log.
constexpr size_t kJitLogBytes = 16384;
/// A tensor map parameter: 128 bytes, passed by value.
constexpr size_t kTensorMapSlots = sizeof(cu::CUtensorMap) / sizeof(int64_t);
/// TMA reads rows (and the base address) in 16-byte units.
constexpr int64_t kTensorMapAlignment = 16;

enum class List { Arg, Result, Buffer, View };

/// An argument, result, buffer or view of a function.
struct ValueRef {
  List list = List::Arg;
  size_t index = 0;
};

struct CompiledParam {
  KernelParam::Kind kind = KernelParam::Kind::Memref;
  /// Memref/TensorMap: the value and its rank.
  ValueRef value;
  size_t rank = 0;
  /// TensorMap: the value's dtype, its CUtensorMapDataType, the box (one
  /// size per dimension, innermost first) and its CUtensorMapSwizzle.
  DType dtype = DType::F32;
  int dataType = 0;
  std::array<uint32_t, kMaxTensorMapRank> box = {};
  int swizzle = 0;
  /// I64/I32: the expression.
  Expression expr;
  /// The parameter as the manifest writes it ("i64:s0*2",
  /// "tmap:a:64x128:128").
  std::string text;
};

struct CompiledStep {
  PlanStep::Kind kind = PlanStep::Kind::Launch;
  /// Memset: the value.
  ValueRef buffer;
  std::string bufferName;
  /// Launch: the kernel (an index into GpuCode::kernels) and its launch.
  size_t kernel = 0;
  std::string kernelName;
  std::array<Expression, 3> grid;
  std::array<unsigned, 3> block = {1, 1, 1};
  unsigned smem = 0;
  std::vector<CompiledParam> params;
  /// The 8-byte words that hold the kernel parameters, and where each
  /// parameter starts: a memref is flattened into 3 + 2 * rank parameters of
  /// one word, a tensor map is one parameter of kTensorMapSlots words.
  size_t slots = 0;
  std::vector<size_t> paramSlots;
};

struct CompiledVariant {
  bool always = true;
  std::string text;
  Condition condition;
  std::vector<CompiledStep> steps;
  /// Per buffer of the function: whether a step of this variant uses it
  /// (directly or through a view); the invoke allocates only those.
  std::vector<bool> usesBuffer;
};

/// A view: the storage of another value with other sizes.
struct CompiledView {
  /// Its base, and the argument, result or buffer whose storage it is (the
  /// root of its chain of views: never a view).
  ValueRef base, storage;
  /// Per dimension: the expression of its size, as
  /// CompiledFunction::bufferExprs.
  std::vector<Expression> exprs;
};

struct CompiledFunction {
  std::vector<CompiledVariant> variants;
  /// Per buffer, per dimension: the expression of its size, or one with no
  /// node where the size is a number or a symbol.
  std::vector<std::vector<Expression>> bufferExprs;
  /// Per view of the function.
  std::vector<CompiledView> views;
};

/// The module's code loaded into one CUDA context.
struct LoadedCode {
  cu::CUcontext context = nullptr;
  /// Why the code cannot run in this context ("" when it can).
  tessera_status_code_t errorCode = TESSERA_STATUS_OK;
  std::string error;
  cu::CUmodule module = nullptr;
  /// Per kernel of GpuCode::kernels.
  std::vector<cu::CUfunction> functions;
  /// Per kernel: the result of raising its dynamic shared memory limit (0
  /// where it needs none or it worked) and the call that did it.
  std::vector<cu::CUresult> smemResults;
  std::vector<std::string> smemCalls;
  /// Streams of finished synchronous invokes, for the next ones.
  std::mutex streamMutex;
  std::vector<cu::CUstream> streams;
  /// Set when cuMemAllocAsync reported CUDA_ERROR_NOT_SUPPORTED (a device
  /// without memory pools): temporaries then come from cuMemAlloc.
  std::atomic<bool> noMemoryPools{false};
};

std::string errorText(tessera_status_t status, tessera_status_code_t &code) {
  code = tessera_status_code(status);
  std::string text = tessera_status_message(status);
  tessera_status_free(status);
  return text;
}
} // namespace

struct tessera::runtime::GpuCode {
  std::string target;
  /// NUL-terminated PTX ("" when the artifact has none) and the cubin.
  std::string ptx;
  std::vector<uint8_t> cubin;
  /// Every kernel the plans launch, and the most dynamic shared memory a
  /// launch of it asks for.
  std::vector<std::string> kernels;
  std::vector<int64_t> kernelSmem;
  std::vector<CompiledFunction> functions;

  std::mutex mutex;
  std::vector<std::unique_ptr<LoadedCode>> loaded;
};

void tessera::runtime::GpuCodeDeleter::operator()(GpuCode *code) const {
  if (!code)
    return;
  if (const cu::Api *api = cu::tryDriver()) {
    for (const std::unique_ptr<LoadedCode> &l : code->loaded) {
      if (!l->module && l->streams.empty())
        continue;
      cu::CUcontext current = nullptr;
      bool pushed = api->cuCtxGetCurrent(&current) == cu::CUDA_SUCCESS &&
                    current != l->context &&
                    api->cuCtxPushCurrent(l->context) == cu::CUDA_SUCCESS;
      for (cu::CUstream s : l->streams)
        api->cuStreamDestroy(s);
      if (l->module)
        api->cuModuleUnload(l->module);
      if (pushed) {
        cu::CUcontext popped = nullptr;
        api->cuCtxPopCurrent(&popped);
      }
    }
  }
  delete code;
}

namespace {
/// Finds the value `name` of `fn` (an argument, result, buffer or view):
/// sets `ref` and returns it, or null.
const ValueDesc *resolveValue(const FunctionDesc &fn, const std::string &name,
                              ValueRef &ref) {
  const std::vector<ValueDesc> *lists[3] = {&fn.args, &fn.results,
                                            &fn.buffers};
  for (int l = 0; l < 3; ++l)
    for (size_t i = 0; i < lists[l]->size(); ++i)
      if ((*lists[l])[i].name == name) {
        ref = {static_cast<List>(l), i};
        return &(*lists[l])[i];
      }
  for (size_t i = 0; i < fn.views.size(); ++i)
    if (fn.views[i].value.name == name) {
      ref = {List::View, i};
      return &fn.views[i].value;
    }
  return nullptr;
}

/// The CUtensorMapDataType of `dtype`; false for a dtype without one.
bool getTensorMapDataType(DType dtype, int &dataType) {
  switch (dtype) {
  case DType::BF16:
    dataType = cu::CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
    return true;
  case DType::F16:
    dataType = cu::CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
    return true;
  case DType::F32:
    dataType = cu::CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
    return true;
  // TMA copies bytes it does not interpret: the 8-bit types travel as UINT8.
  case DType::F8E4M3FN:
  case DType::F8E5M2:
  case DType::I8:
    dataType = cu::CU_TENSOR_MAP_DATA_TYPE_UINT8;
    return true;
  default:
    return false;
  }
}

/// The CUtensorMapSwizzle of a swizzle span in bytes; false for another
/// span.
bool getTensorMapSwizzle(int64_t bytes, int &swizzle) {
  switch (bytes) {
  case 0:
    swizzle = cu::CU_TENSOR_MAP_SWIZZLE_NONE;
    return true;
  case 32:
    swizzle = cu::CU_TENSOR_MAP_SWIZZLE_32B;
    return true;
  case 64:
    swizzle = cu::CU_TENSOR_MAP_SWIZZLE_64B;
    return true;
  case 128:
    swizzle = cu::CU_TENSOR_MAP_SWIZZLE_128B;
    return true;
  default:
    return false;
  }
}

/// Compiles the tensor map `p` of `fn` into `cp`; returns "" or the problem.
std::string compileTensorMap(const FunctionDesc &fn, const KernelParam &p,
                             CompiledParam &cp) {
  const ValueDesc *v = resolveValue(fn, p.value, cp.value);
  if (!v)
    return "names no value";
  cp.rank = v->dims.size();
  cp.dtype = v->dtype;
  if (cp.rank < 1 || cp.rank > kMaxTensorMapRank ||
      !getTensorMapDataType(cp.dtype, cp.dataType))
    return std::string("no tensor map of a ") + getDTypeName(cp.dtype) +
           " value of rank " + std::to_string(cp.rank);
  if (p.box.size() != cp.rank || !getTensorMapSwizzle(p.swizzle, cp.swizzle))
    return "bad box or swizzle";
  for (size_t i = 0; i < cp.rank; ++i) {
    if (p.box[i] < 1 || p.box[i] > 256)
      return "bad box";
    cp.box[i] = static_cast<uint32_t>(p.box[i]);
  }
  return "";
}

/// Compiles the expressions of the sizes of `v` (a buffer or view) into
/// `out`, as CompiledFunction::bufferExprs.
std::string compileSizes(const ValueDesc &v, std::vector<Expression> &out) {
  out.resize(v.exprs.size());
  for (size_t d = 0; d < v.exprs.size(); ++d)
    if (!v.exprs[d].empty())
      if (std::string e = parseExpression(v.exprs[d], out[d]); !e.empty())
        return "dimension " + std::to_string(d) + ": " + e;
  return "";
}

/// Compiles the expressions of the buffers' sizes into `out`.
std::string compileBuffers(const FunctionDesc &fn, CompiledFunction &out) {
  out.bufferExprs.resize(fn.buffers.size());
  for (size_t b = 0; b < fn.buffers.size(); ++b)
    if (std::string e = compileSizes(fn.buffers[b], out.bufferExprs[b]);
        !e.empty())
      return "buffer '" + fn.buffers[b].name + "': " + e;
  return "";
}

/// Compiles the views of `fn` into `out`: their bases, the storage each
/// resolves to and the expressions of their sizes.
std::string compileViews(const FunctionDesc &fn, CompiledFunction &out) {
  out.views.resize(fn.views.size());
  for (size_t i = 0; i < fn.views.size(); ++i) {
    const ViewDesc &view = fn.views[i];
    CompiledView &cv = out.views[i];
    std::string what = "view '" + view.value.name + "': ";
    if (!resolveValue(fn, view.base, cv.base) ||
        (cv.base.list == List::View && cv.base.index >= i))
      return what + "'" + view.base + "' is no earlier value";
    cv.storage =
        cv.base.list == List::View ? out.views[cv.base.index].storage : cv.base;
    if (std::string e = compileSizes(view.value, cv.exprs); !e.empty())
      return what + e;
  }
  return "";
}

/// Sets `variant.usesBuffer` from the values its steps name (`out`'s views
/// resolved to their storage).
void markUsedBuffers(const CompiledFunction &out, CompiledVariant &variant) {
  variant.usesBuffer.assign(out.bufferExprs.size(), false);
  auto mark = [&](const ValueRef &ref) {
    ValueRef storage =
        ref.list == List::View ? out.views[ref.index].storage : ref;
    if (storage.list == List::Buffer)
      variant.usesBuffer[storage.index] = true;
  };
  for (const CompiledStep &step : variant.steps) {
    if (step.kind == PlanStep::Kind::Memset)
      mark(step.buffer);
    for (const CompiledParam &p : step.params)
      if (p.kind == KernelParam::Kind::Memref ||
          p.kind == KernelParam::Kind::TensorMap)
        mark(p.value);
  }
}

/// Compiles the plan of `fn` into `out`, adding its kernels to `code`.
/// Returns "" or the problem (the manifest parser has checked all of it).
std::string compilePlan(const FunctionDesc &fn, GpuCode &code,
                        CompiledFunction &out) {
  if (std::string e = compileBuffers(fn, out); !e.empty())
    return e;
  if (std::string e = compileViews(fn, out); !e.empty())
    return e;
  for (size_t v = 0; v < fn.variants.size(); ++v) {
    const Variant &variant = fn.variants[v];
    CompiledVariant cv;
    cv.always = variant.condition.empty();
    cv.text = variant.condition;
    if (!cv.always)
      if (std::string e = parseCondition(variant.condition, cv.condition);
          !e.empty())
        return "variant " + std::to_string(v) + ": " + e;
    for (const PlanStep &step : variant.steps) {
      CompiledStep cs;
      cs.kind = step.kind;
      if (step.kind == PlanStep::Kind::Memset) {
        cs.bufferName = step.buffer;
        if (!resolveValue(fn, step.buffer, cs.buffer))
          return "memset of unknown value '" + step.buffer + "'";
        cv.steps.push_back(std::move(cs));
        continue;
      }
      const LaunchStep &l = step.launch;
      cs.kernelName = l.kernel;
      size_t k = 0;
      while (k < code.kernels.size() && code.kernels[k] != l.kernel)
        ++k;
      if (k == code.kernels.size()) {
        code.kernels.push_back(l.kernel);
        code.kernelSmem.push_back(0);
      }
      cs.kernel = k;
      code.kernelSmem[k] = std::max(code.kernelSmem[k], l.sharedMemoryBytes);
      std::string what = "launch '" + l.kernel + "': ";
      for (int i = 0; i < 3; ++i) {
        if (std::string e = parseExpression(l.grid[i], cs.grid[i]); !e.empty())
          return what + "grid " + kAxes[i] + ": " + e;
        if (l.block[i] < 1 || l.block[i] > 1024)
          return what + "bad block size";
        cs.block[i] = static_cast<unsigned>(l.block[i]);
      }
      if (l.sharedMemoryBytes < 0 || l.sharedMemoryBytes > 0xffffffffLL)
        return what + "bad smem";
      cs.smem = static_cast<unsigned>(l.sharedMemoryBytes);
      for (const KernelParam &p : l.params) {
        CompiledParam cp;
        cp.kind = p.kind;
        cp.text = printKernelParam(p);
        if (p.kind == KernelParam::Kind::Memref) {
          const ValueDesc *v = resolveValue(fn, p.value, cp.value);
          if (!v)
            return what + "param '" + cp.text + "' names no value";
          cp.rank = v->dims.size();
          for (size_t i = 0; i < 3 + 2 * cp.rank; ++i)
            cs.paramSlots.push_back(cs.slots++);
        } else if (p.kind == KernelParam::Kind::TensorMap) {
          if (std::string e = compileTensorMap(fn, p, cp); !e.empty())
            return what + "param '" + cp.text + "': " + e;
          cs.paramSlots.push_back(cs.slots);
          cs.slots += kTensorMapSlots;
        } else {
          if (std::string e = parseExpression(p.value, cp.expr); !e.empty())
            return what + "param '" + cp.text + "': " + e;
          cs.paramSlots.push_back(cs.slots++);
        }
        cs.params.push_back(std::move(cp));
      }
      cv.steps.push_back(std::move(cs));
    }
    markUsedBuffers(out, cv);
    out.variants.push_back(std::move(cv));
  }
  return "";
}

/// Loads the code of `code` into the current context `l.context`; records
/// an error in `l` on failure.
void loadCode(const GpuCode &code, const cu::Api &api, LoadedCode &l) {
  auto fail = [&](tessera_status_t status) {
    l.error = errorText(status, l.errorCode);
  };

  // The device must run the target's code: sm_90a is Hopper's own (9.0
  // only), sm_80 PTX runs on 8.0 and later.
  cu::CUdevice device = 0;
  if (cu::CUresult r = api.cuCtxGetDevice(&device))
    return fail(cu::callError(r, "cuCtxGetDevice"));
  int major = 0, minor = 0;
  if (cu::CUresult r = api.cuDeviceGetAttribute(
          &major, cu::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device))
    return fail(cu::callError(r, "cuDeviceGetAttribute"));
  if (cu::CUresult r = api.cuDeviceGetAttribute(
          &minor, cu::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device))
    return fail(cu::callError(r, "cuDeviceGetAttribute"));
  std::string capability = std::to_string(major) + "." + std::to_string(minor);
  const tessera::GpuTarget *target = tessera::findGpuTarget(code.target);
  if (target && !tessera::runsOn(*target, major, minor)) {
    std::string needed = std::to_string(target->major) + "." +
                         std::to_string(target->minor);
    return fail(tessera_status_create(
        TESSERA_STATUS_UNAVAILABLE,
        ("the code is compiled for " + code.target +
         (target->exactCapability
              ? ", which runs only on devices of compute capability " + needed
              : ", which needs a device of compute capability " + needed +
                    " or later") +
         "; device " + std::to_string(device) + " has " + capability)
            .c_str()));
  }

  // The cubin where it loads, else the PTX through the JIT.
  std::string cubinError;
  cu::CUresult cubinResult = cu::CUDA_SUCCESS;
  if (!code.cubin.empty()) {
    cubinResult = api.cuModuleLoadData(&l.module, code.cubin.data());
    if (cubinResult != cu::CUDA_SUCCESS) {
      l.module = nullptr;
      cubinError = "cuModuleLoadData(cubin): " + cu::errorName(cubinResult);
    }
  }
  if (!l.module) {
    if (code.ptx.empty())
      return fail(cu::callError(cubinResult, "cuModuleLoadData(cubin)"));
    std::vector<char> log(kJitLogBytes, 0);
    int options[2] = {cu::CU_JIT_ERROR_LOG_BUFFER,
                      cu::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[2] = {log.data(),
                       reinterpret_cast<void *>(
                           static_cast<uintptr_t>(log.size() - 1))};
    cu::CUresult r = api.cuModuleLoadDataEx(&l.module, code.ptx.c_str(), 2,
                                            options, values);
    if (r != cu::CUDA_SUCCESS) {
      l.module = nullptr;
      log.back() = 0;
      std::string jitLog(log.data());
      while (!jitLog.empty() && (jitLog.back() == '\n' || jitLog.back() == ' '))
        jitLog.pop_back();
      tessera_status_t s = cu::callError(r, "cuModuleLoadDataEx(ptx)");
      std::string text = errorText(s, l.errorCode);
      if (!jitLog.empty())
        text += " (" + jitLog + ")";
      if (!cubinError.empty())
        text += "; the cubin did not load either: " + cubinError;
      l.error = text;
      return;
    }
  }

  l.functions.assign(code.kernels.size(), nullptr);
  l.smemResults.assign(code.kernels.size(), cu::CUDA_SUCCESS);
  l.smemCalls.assign(code.kernels.size(), "");
  for (size_t k = 0; k < code.kernels.size(); ++k) {
    const std::string &name = code.kernels[k];
    if (cu::CUresult r =
            api.cuModuleGetFunction(&l.functions[k], l.module, name.c_str())) {
      tessera_status_t s =
          cu::callError(r, "cuModuleGetFunction(" + name + ")");
      l.error = errorText(s, l.errorCode) +
                " (the code lacks a kernel the manifest launches)";
      return;
    }
    // Raised once per kernel, to the most any launch of it asks for; a
    // failure is reported by the launches that need it.
    if (code.kernelSmem[k] > kDefaultSharedMemoryLimit) {
      l.smemCalls[k] = "cuFuncSetAttribute(" + name +
                       ", CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, " +
                       std::to_string(code.kernelSmem[k]) + ")";
      l.smemResults[k] = api.cuFuncSetAttribute(
          l.functions[k], cu::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
          static_cast<int>(
              std::min<int64_t>(code.kernelSmem[k],
                                std::numeric_limits<int>::max())));
    }
  }
}

/// The code loaded into `context` (the current one), loading it on first
/// use. Errors start with `prefix`.
tessera_status_t getLoaded(GpuCode &code, const cu::Api &api,
                           cu::CUcontext context, const std::string &prefix,
                           LoadedCode *&out) {
  std::lock_guard<std::mutex> lock(code.mutex);
  out = nullptr;
  for (const std::unique_ptr<LoadedCode> &l : code.loaded)
    if (l->context == context)
      out = l.get();
  if (!out) {
    std::unique_ptr<LoadedCode> l(new (std::nothrow) LoadedCode);
    if (!l)
      return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                        prefix + "out of memory loading the GPU code");
    l->context = context;
    loadCode(code, api, *l);
    out = l.get();
    code.loaded.push_back(std::move(l));
  }
  if (!out->error.empty())
    return makeStatus(out->errorCode, prefix + out->error);
  return nullptr;
}

tessera_status_t acquireStream(const cu::Api &api, LoadedCode &l,
                               const std::string &prefix,
                               cu::CUstream &stream) {
  {
    std::lock_guard<std::mutex> lock(l.streamMutex);
    if (!l.streams.empty()) {
      stream = l.streams.back();
      l.streams.pop_back();
      return nullptr;
    }
  }
  if (cu::CUresult r = api.cuStreamCreate(&stream, cu::CU_STREAM_DEFAULT))
    return cu::callError(r, prefix + "cuStreamCreate");
  return nullptr;
}

void releaseStream(LoadedCode &l, cu::CUstream stream) {
  std::lock_guard<std::mutex> lock(l.streamMutex);
  l.streams.push_back(stream);
}

/// Device memory of one invoke that does not outlive it: stream-ordered
/// (cuMemAllocAsync/cuMemFreeAsync on the invoke's stream) where the
/// driver and device support it, else cuMemAlloc, freed after the stream
/// is synchronized.
class DeviceScratch {
public:
  DeviceScratch(const cu::Api &api, cu::CUstream stream, LoadedCode &loaded)
      : api(api), stream(stream), loaded(loaded) {}
  DeviceScratch(const DeviceScratch &) = delete;
  DeviceScratch &operator=(const DeviceScratch &) = delete;
  ~DeviceScratch() { tessera_status_free(release(/*synchronized=*/false)); }

  tessera_status_t allocate(size_t bytes, cu::CUdeviceptr &out,
                            const std::string &what) {
    out = 0;
    if (bytes == 0)
      return nullptr;
    if (api.cuMemAllocAsync &&
        !loaded.noMemoryPools.load(std::memory_order_relaxed)) {
      cu::CUresult r = api.cuMemAllocAsync(&out, bytes, stream);
      if (r == cu::CUDA_SUCCESS) {
        pooled.push_back(out);
        return nullptr;
      }
      out = 0;
      if (r != cu::CUDA_ERROR_NOT_SUPPORTED)
        return cu::callError(r, what + ": cuMemAllocAsync(" +
                                    std::to_string(bytes) + " bytes)");
      loaded.noMemoryPools.store(true, std::memory_order_relaxed);
    }
    if (cu::CUresult r = api.cuMemAlloc(&out, bytes)) {
      out = 0;
      return cu::callError(r, what + ": cuMemAlloc_v2(" +
                                  std::to_string(bytes) + " bytes)");
    }
    plain.push_back(out);
    return nullptr;
  }

  /// Frees everything: stream-ordered memory after the work queued so far,
  /// the rest at once where `synchronized` (the caller waited for the
  /// stream), else after synchronizing the stream. Returns the first error.
  tessera_status_t release(bool synchronized) {
    tessera_status_t first = nullptr;
    for (cu::CUdeviceptr p : pooled)
      if (cu::CUresult r = api.cuMemFreeAsync(p, stream); r && !first)
        first = cu::callError(r, "cuMemFreeAsync");
    pooled.clear();
    if (plain.empty())
      return first;
    if (!synchronized)
      if (cu::CUresult r = api.cuStreamSynchronize(stream); r && !first)
        first = cu::callError(r, "cuStreamSynchronize");
    for (cu::CUdeviceptr p : plain)
      api.cuMemFree(p);
    plain.clear();
    return first;
  }

private:
  const cu::Api &api;
  cu::CUstream stream;
  LoadedCode &loaded;
  std::vector<cu::CUdeviceptr> pooled, plain;
};

/// The sizes and bytes of a result, buffer or view.
struct Extent {
  int32_t rank = 0;
  int64_t dims[kTesseraMaxRank] = {};
  int64_t count = 0;
  size_t bytes = 0;
};

/// The sizes of the values of one invoke: those of its arguments, and those
/// computed for its results, buffers and views.
struct PlanExtents {
  const tessera_tensor_t *args = nullptr;
  std::vector<Extent> results, buffers, views;

  const int64_t *dims(const ValueRef &ref) const {
    return ref.list == List::Arg ? args[ref.index]->dims : of(ref).dims;
  }
  int64_t count(const ValueRef &ref) const {
    return ref.list == List::Arg ? args[ref.index]->elementCount
                                 : of(ref).count;
  }
  size_t bytes(const ValueRef &ref) const {
    if (ref.list != List::Arg)
      return of(ref).bytes;
    tessera_tensor_t t = args[ref.index];
    return static_cast<size_t>(t->elementCount) * tessera_dtype_size(t->dtype);
  }

private:
  const Extent &of(const ValueRef &ref) const {
    return ref.list == List::Result   ? results[ref.index]
           : ref.list == List::Buffer ? buffers[ref.index]
                                      : views[ref.index];
  }
};

/// The evaluated launch of a step.
struct LaunchValues {
  std::array<unsigned, 3> grid = {0, 0, 0};
  bool skip = false;
  std::vector<int64_t> scalars;
};

bool poisonResults() {
  const char *value = std::getenv("TESSERA_POISON_RESULTS");
  return value && std::strcmp(value, "1") == 0;
}

/// The sizes and bytes of the result or buffer `v` for the symbols
/// `bindings`; `exprs` holds the expressions of a buffer's sizes (as
/// CompiledFunction::bufferExprs), or is empty. Errors start with `what`.
tessera_status_t computeExtent(const ValueDesc &v,
                               const std::vector<Expression> &exprs,
                               const std::vector<SymbolValue> &bindings,
                               const std::string &what, Extent &e) {
  e.rank = static_cast<int32_t>(v.dims.size());
  for (size_t d = 0; d < v.dims.size(); ++d) {
    std::string dimension = what + ": dimension " + std::to_string(d);
    if (d < exprs.size() && !exprs[d].nodes.empty()) {
      if (std::string error = evaluateExpression(exprs[d], bindings, e.dims[d]);
          !error.empty())
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          dimension + " '(" + exprs[d].text + ")': " + error);
      if (e.dims[d] < 0)
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          dimension + " '(" + exprs[d].text + ")' is " +
                              std::to_string(e.dims[d]) + " (must be >= 0)");
      continue;
    }
    if (v.dims[d] >= 0) {
      e.dims[d] = v.dims[d];
      continue;
    }
    const SymbolValue *bound = nullptr;
    for (const SymbolValue &b : bindings)
      if (b.symbol == v.symbols[d])
        bound = &b;
    if (!bound)
      return makeStatus(TESSERA_STATUS_INTERNAL,
                        dimension + " is not bound by the arguments");
    e.dims[d] = bound->value;
  }
  return checkShape(what.c_str(), static_cast<tessera_dtype_t>(v.dtype), e.rank,
                    e.dims, e.count, e.bytes);
}

/// Computes the sizes of view `i` of `fn` into `extents.views[i]`, once its
/// base's are known, and checks that it has as many elements as its base.
/// Errors start with `prefix`.
tessera_status_t computeViewExtent(const FunctionDesc &fn,
                                   const CompiledFunction &compiled, size_t i,
                                   const std::vector<SymbolValue> &bindings,
                                   const std::string &prefix,
                                   PlanExtents &extents) {
  const ViewDesc &view = fn.views[i];
  std::string what = prefix + "view '" + view.value.name + "'";
  Extent &e = extents.views[i];
  if (tessera_status_t s =
          computeExtent(view.value, compiled.views[i].exprs, bindings, what, e))
    return s;
  int64_t baseCount = extents.count(compiled.views[i].base);
  if (e.count == baseCount)
    return nullptr;
  return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                    what + " of '" + view.base + "' has " +
                        std::to_string(e.count) + " elements, '" + view.base +
                        "' has " + std::to_string(baseCount));
}

/// The sizes of the results, buffers and views of `fn` for `args` and the
/// symbols `bindings`. Errors start with `prefix`.
tessera_status_t computeExtents(const FunctionDesc &fn,
                                const CompiledFunction &compiled,
                                const tessera_tensor_t *args,
                                const std::vector<SymbolValue> &bindings,
                                const std::string &prefix,
                                PlanExtents &extents) {
  extents.args = args;
  extents.results.resize(fn.results.size());
  extents.buffers.resize(fn.buffers.size());
  extents.views.resize(fn.views.size());
  for (size_t r = 0; r < fn.results.size(); ++r)
    if (tessera_status_t s =
            computeExtent(fn.results[r], {}, bindings,
                          prefix + "result " + std::to_string(r) + " ('" +
                              fn.results[r].name + "')",
                          extents.results[r]))
      return s;
  for (size_t b = 0; b < fn.buffers.size(); ++b)
    if (tessera_status_t s = computeExtent(
            fn.buffers[b], compiled.bufferExprs[b], bindings,
            prefix + "buffer '" + fn.buffers[b].name + "'", extents.buffers[b]))
      return s;
  for (size_t v = 0; v < fn.views.size(); ++v)
    if (tessera_status_t s =
            computeViewExtent(fn, compiled, v, bindings, prefix, extents))
      return s;
  return nullptr;
}

/// Checks that the outer strides of the tensor map `param` of a row-major
/// tensor with sizes `dims` are multiples of 16 bytes: its rows are (rank 2
/// and up; an empty tensor needs no map). Errors start with `what`.
tessera_status_t checkTensorMapRows(const CompiledParam &param,
                                    const int64_t *dims,
                                    const std::string &what) {
  bool empty = false;
  for (size_t d = 0; d < param.rank; ++d)
    empty = empty || dims[d] == 0;
  if (empty || param.rank < 2)
    return nullptr;
  int64_t inner = dims[param.rank - 1];
  int64_t rowBytes = inner * static_cast<int64_t>(getDTypeSize(param.dtype));
  if (rowBytes % kTensorMapAlignment == 0)
    return nullptr;
  return makeStatus(
      TESSERA_STATUS_INVALID_ARGUMENT,
      what + "the rows of the tensor are " + std::to_string(rowBytes) +
          " bytes (" + std::to_string(inner) + " " + getDTypeName(param.dtype) +
          " elements), not a multiple of 16 (TMA reads rows in 16-byte units)");
}

/// Encodes the tensor map `param` of the row-major tensor at `pointer` with
/// sizes `dims` into the kTensorMapSlots words at `out`. Errors start with
/// `what`.
tessera_status_t encodeTensorMap(const cu::Api &api,
                                 const CompiledParam &param,
                                 cu::CUdeviceptr pointer, const int64_t *dims,
                                 const std::string &what, int64_t *out) {
  if (!api.cuTensorMapEncodeTiled)
    return makeStatus(TESSERA_STATUS_UNAVAILABLE,
                      what + "the CUDA driver lacks cuTensorMapEncodeTiled "
                             "(tensor maps need CUDA 12.0 or later)");
  // The driver rejects a size of 0, and a kernel has nothing to read from
  // an empty tensor: it gets zero bytes.
  for (size_t d = 0; d < param.rank; ++d)
    if (dims[d] == 0) {
      std::memset(out, 0, sizeof(cu::CUtensorMap));
      return nullptr;
    }
  if (pointer % kTensorMapAlignment != 0) {
    char address[32];
    std::snprintf(address, sizeof(address), "0x%llx",
                  static_cast<unsigned long long>(pointer));
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      what + "the device address " + address +
                          " is not a multiple of 16 (TMA needs 16-byte "
                          "aligned tensors)");
  }
  // TMA counts dimensions from the innermost one; the strides (in bytes) are
  // those of the outer dimensions, whose sizes checkShape bounded.
  uint64_t globalDim[kMaxTensorMapRank] = {},
           globalStrides[kMaxTensorMapRank - 1] = {};
  uint32_t elementStrides[kMaxTensorMapRank] = {};
  uint64_t stride = getDTypeSize(param.dtype);
  for (size_t i = 0; i < param.rank; ++i) {
    globalDim[i] = static_cast<uint64_t>(dims[param.rank - 1 - i]);
    elementStrides[i] = 1;
    if (i + 1 < param.rank) {
      stride *= globalDim[i];
      globalStrides[i] = stride;
    }
  }
  cu::CUtensorMap map;
  if (cu::CUresult r = api.cuTensorMapEncodeTiled(
          &map, param.dataType, static_cast<uint32_t>(param.rank),
          reinterpret_cast<void *>(static_cast<uintptr_t>(pointer)), globalDim,
          globalStrides, param.box.data(), elementStrides,
          cu::CU_TENSOR_MAP_INTERLEAVE_NONE, param.swizzle,
          cu::CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
          cu::CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE))
    return cu::callError(r, what + "cuTensorMapEncodeTiled");
  std::memcpy(out, &map, sizeof(map));
  return nullptr;
}
} // namespace

tessera_status_t tessera::runtime::createGpuCode(const Manifest &manifest,
                                                 const ArtifactView &artifact,
                                                 const std::string &prefix,
                                                 GpuCodePtr &out) {
  const std::string &target = manifest.target;
  if (artifact.find(SectionKind::CpuObject))
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "the artifact for target " + target +
                          " has a 'cpu-object' section (GPU artifacts have "
                          "none)");
  const SectionView *ptx = artifact.find(SectionKind::Ptx);
  const SectionView *cubin = artifact.find(SectionKind::Cubin);
  if ((!ptx || ptx->size == 0) && (!cubin || cubin->size == 0))
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "the artifact for target " + target +
                          " has no 'ptx' or 'cubin' section with code");
  GpuCodePtr code(new (std::nothrow) GpuCode);
  if (!code)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      prefix + "out of memory loading a module");
  code->target = target;
  if (ptx && ptx->size > 0) {
    code->ptx.assign(reinterpret_cast<const char *>(ptx->data), ptx->size);
    // The JIT reads up to the first NUL.
    code->ptx.resize(std::strlen(code->ptx.c_str()));
  }
  if (cubin)
    code->cubin.assign(cubin->data, cubin->data + cubin->size);
  code->functions.resize(manifest.functions.size());
  for (size_t f = 0; f < manifest.functions.size(); ++f)
    if (std::string e = compilePlan(manifest.functions[f], *code,
                                    code->functions[f]);
        !e.empty())
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + "function '" + manifest.functions[f].name +
                            "': " + e);
  out = std::move(code);
  return nullptr;
}

tessera_status_t tessera::runtime::invokeGpu(
    GpuCode &code, const Manifest &manifest, size_t function,
    const tessera_tensor_t *args, const std::vector<SymbolValue> &bindings,
    tessera_tensor_t *results, bool async, void *userStream,
    const tessera_tensor_t *outputs) {
  const FunctionDesc &fn = manifest.functions[function];
  const CompiledFunction &compiled = code.functions[function];
  const std::string prefix = "function '" + fn.name + "': ";
  size_t argCount = fn.args.size(), resultCount = fn.results.size();
  auto argName = [&](size_t i) {
    return "argument " + std::to_string(i) + " ('" + fn.args[i].name + "')";
  };

  // Where the arguments live: all on the host or all on the device.
  size_t firstHost = argCount, firstDevice = argCount;
  for (size_t i = 0; i < argCount; ++i) {
    size_t &first =
        args[i]->device == TESSERA_DEVICE_CUDA ? firstDevice : firstHost;
    if (first == argCount)
      first = i;
  }
  if (firstHost < argCount && firstDevice < argCount)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + argName(firstHost) + " is a host tensor and " +
                          argName(firstDevice) +
                          " a device tensor; pass every argument on the "
                          "host or every one on the device");
  if (async && firstHost < argCount)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix +
                          (outputs ? "tessera_module_invoke_into"
                                   : "tessera_module_invoke_async") +
                          " takes device "
                               "tensors, but " +
                          argName(firstHost) +
                          " is a host tensor (copy it with "
                          "tessera_tensor_copy_to)");
  // Without arguments, the synchronous invoke returns host tensors.
  bool deviceMode = async || firstDevice < argCount;

  // The variant.
  const CompiledVariant *variant = nullptr;
  for (size_t v = 0; v < compiled.variants.size() && !variant; ++v) {
    const CompiledVariant &candidate = compiled.variants[v];
    bool holds = candidate.always;
    if (!holds)
      if (std::string e =
              evaluateCondition(candidate.condition, bindings, holds);
          !e.empty())
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          prefix + "variant " + std::to_string(v) + " ('" +
                              candidate.text + "'): " + e);
    if (holds)
      variant = &candidate;
  }
  if (!variant)
    return makeStatus(TESSERA_STATUS_INTERNAL,
                      prefix + "no variant of the plan applies");

  // Sizes of the results, buffers and views; views match their bases.
  PlanExtents extents;
  if (tessera_status_t s =
          computeExtents(fn, compiled, args, bindings, prefix, extents))
    return s;

  // Grids, scalar parameters and the rows of tensor maps, before any device
  // work.
  std::vector<LaunchValues> launches(variant->steps.size());
  for (size_t s = 0; s < variant->steps.size(); ++s) {
    const CompiledStep &step = variant->steps[s];
    if (step.kind != PlanStep::Kind::Launch)
      continue;
    LaunchValues &lv = launches[s];
    std::string what = prefix + "launch '" + step.kernelName + "': ";
    for (int i = 0; i < 3; ++i) {
      int64_t g = 0;
      if (std::string e = evaluateExpression(step.grid[i], bindings, g);
          !e.empty())
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          what + "grid " + kAxes[i] + ": " + e);
      if (g < 0 || g > kMaxGrid[i])
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          what + "grid " + kAxes[i] + " '" +
                              step.grid[i].text + "' is " + std::to_string(g) +
                              ", outside [0, " + std::to_string(kMaxGrid[i]) +
                              "]");
      lv.grid[i] = static_cast<unsigned>(g);
      lv.skip = lv.skip || g == 0;
    }
    if (lv.skip)
      continue;
    for (size_t p = 0; p < step.params.size(); ++p) {
      const CompiledParam &param = step.params[p];
      const std::string &text = param.text;
      if (param.kind == KernelParam::Kind::TensorMap) {
        if (tessera_status_t st = checkTensorMapRows(
                param, extents.dims(param.value),
                what + "param " + std::to_string(p) + " '" + text + "': "))
          return st;
        continue;
      }
      if (param.kind == KernelParam::Kind::Memref)
        continue;
      bool i32 = param.kind == KernelParam::Kind::I32;
      int64_t value = 0;
      if (std::string e = evaluateExpression(param.expr, bindings, value);
          !e.empty())
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          what + "param " + std::to_string(p) + " '" + text +
                              "': " + e);
      if (i32 && (value < std::numeric_limits<int32_t>::min() ||
                  value > std::numeric_limits<int32_t>::max()))
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          what + "param " + std::to_string(p) + " '" + text +
                              "' is " + std::to_string(value) +
                              ", which does not fit in 32 bits");
      lv.scalars.push_back(value);
    }
  }

  // CUDA: the context, the code loaded there, a stream.
  const cu::Api *api = nullptr;
  cu::CUcontext context = nullptr;
  std::string caller = "function '" + fn.name + "'";
  if (tessera_status_t s = cu::enterContext(caller.c_str(), api, context))
    return s;
  LoadedCode *loaded = nullptr;
  if (tessera_status_t s = getLoaded(code, *api, context, prefix, loaded))
    return s;
  cu::CUstream stream = static_cast<cu::CUstream>(userStream);
  if (!async)
    if (tessera_status_t s = acquireStream(*api, *loaded, prefix, stream))
      return s;

  DeviceScratch scratch(*api, stream, *loaded);
  std::vector<tessera_tensor_t> out(resultCount, nullptr);
  bool queued = false;
  auto fail = [&](tessera_status_t status) {
    // Let queued work finish before its memory goes.
    if (queued)
      api->cuStreamSynchronize(stream);
    for (tessera_tensor_t t : out)
      tessera_tensor_release(t);
    tessera_status_free(scratch.release(/*synchronized=*/true));
    if (!async)
      releaseStream(*loaded, stream);
    return status;
  };

  // Device memory: arguments (copied in host mode), results, buffers.
  std::vector<cu::CUdeviceptr> argPointers(argCount, 0),
      resultPointers(resultCount, 0), bufferPointers(fn.buffers.size(), 0);
  for (size_t i = 0; i < argCount; ++i) {
    tessera_tensor_t t = args[i];
    if (deviceMode) {
      argPointers[i] = t->devicePointer;
      continue;
    }
    size_t bytes = static_cast<size_t>(t->elementCount) *
                   tessera_dtype_size(t->dtype);
    if (tessera_status_t s =
            scratch.allocate(bytes, argPointers[i], prefix + argName(i)))
      return fail(s);
    if (bytes == 0)
      continue;
    if (cu::CUresult r =
            api->cuMemcpyHtoDAsync(argPointers[i], t->data, bytes, stream))
      return fail(cu::callError(r, prefix + "cuMemcpyHtoDAsync_v2(" +
                                       argName(i) + ")"));
    queued = true;
  }
  for (size_t r = 0; r < resultCount; ++r) {
    const Extent &e = extents.results[r];
    auto dtype = static_cast<tessera_dtype_t>(fn.results[r].dtype);
    std::string what =
        prefix + "result " + std::to_string(r) + " ('" + fn.results[r].name +
        "')";
    if (outputs) {
      resultPointers[r] = outputs[r]->devicePointer;
      continue;
    }
    if (deviceMode) {
      if (tessera_status_t s = allocateDeviceTensor(
              what.c_str(), dtype, e.rank, e.dims, e.count, e.bytes, &out[r]))
        return fail(s);
      resultPointers[r] = out[r]->devicePointer;
      continue;
    }
    out[r] = allocateTensor(dtype, e.rank, e.dims, e.count, e.bytes,
                            /*zero=*/false);
    if (!out[r])
      return fail(makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                             what + ": cannot allocate " +
                                 std::to_string(e.bytes) + " bytes"));
    if (tessera_status_t s = scratch.allocate(e.bytes, resultPointers[r], what))
      return fail(s);
  }
  // The buffers of the chosen variant (those of the others stay null).
  for (size_t b = 0; b < fn.buffers.size(); ++b)
    if (variant->usesBuffer[b])
      if (tessera_status_t s =
              scratch.allocate(extents.buffers[b].bytes, bufferPointers[b],
                               prefix + "buffer '" + fn.buffers[b].name + "'"))
        return fail(s);

  // The memory of a value: a view's is its storage's, with its own sizes.
  auto memoryOf = [&](const ValueRef &ref, cu::CUdeviceptr &pointer,
                      const int64_t *&dims, size_t &bytes) {
    ValueRef storage =
        ref.list == List::View ? compiled.views[ref.index].storage : ref;
    const std::vector<cu::CUdeviceptr> &pointers =
        storage.list == List::Arg      ? argPointers
        : storage.list == List::Result ? resultPointers
                                       : bufferPointers;
    pointer = pointers[storage.index];
    dims = extents.dims(ref);
    bytes = extents.bytes(ref);
  };

  if (poisonResults())
    for (size_t r = 0; r < resultCount; ++r) {
      if (extents.results[r].bytes == 0)
        continue;
      if (cu::CUresult res = api->cuMemsetD8Async(
              resultPointers[r], 0xff, extents.results[r].bytes, stream))
        return fail(cu::callError(res, prefix + "cuMemsetD8Async(" +
                                           fn.results[r].name + ", 0xff)"));
      queued = true;
    }

  // The steps.
  std::vector<int64_t> slots;
  std::vector<void *> params;
  for (size_t s = 0; s < variant->steps.size(); ++s) {
    const CompiledStep &step = variant->steps[s];
    if (step.kind == PlanStep::Kind::Memset) {
      cu::CUdeviceptr pointer;
      const int64_t *dims;
      size_t bytes;
      memoryOf(step.buffer, pointer, dims, bytes);
      if (bytes == 0)
        continue;
      if (cu::CUresult r = api->cuMemsetD8Async(pointer, 0, bytes, stream))
        return fail(cu::callError(r, prefix + "cuMemsetD8Async(" +
                                         step.bufferName + ")"));
      queued = true;
      continue;
    }
    const LaunchValues &lv = launches[s];
    if (lv.skip)
      continue;
    if (cu::CUresult r = loaded->smemResults[step.kernel])
      return fail(cu::callError(r, prefix + loaded->smemCalls[step.kernel]));
    slots.assign(step.slots, 0);
    size_t at = 0, scalar = 0;
    for (size_t p = 0; p < step.params.size(); ++p) {
      const CompiledParam &param = step.params[p];
      if (param.kind == KernelParam::Kind::TensorMap) {
        cu::CUdeviceptr pointer;
        const int64_t *dims;
        size_t bytes;
        memoryOf(param.value, pointer, dims, bytes);
        if (tessera_status_t st = encodeTensorMap(
                *api, param, pointer, dims,
                prefix + "launch '" + step.kernelName + "': param " +
                    std::to_string(p) + " '" + param.text + "': ",
                &slots[at]))
          return fail(st);
        at += kTensorMapSlots;
        continue;
      }
      if (param.kind != KernelParam::Kind::Memref) {
        int64_t value = lv.scalars[scalar++];
        if (param.kind == KernelParam::Kind::I32) {
          int32_t narrow = static_cast<int32_t>(value);
          std::memcpy(&slots[at], &narrow, sizeof(narrow));
        } else {
          slots[at] = value;
        }
        ++at;
        continue;
      }
      cu::CUdeviceptr pointer;
      const int64_t *dims;
      size_t bytes;
      memoryOf(param.value, pointer, dims, bytes);
      size_t rank = param.rank;
      slots[at] = static_cast<int64_t>(pointer);
      slots[at + 1] = static_cast<int64_t>(pointer);
      slots[at + 2] = 0;
      int64_t stride = 1;
      for (size_t d = rank; d-- > 0;) {
        slots[at + 3 + d] = dims[d];
        slots[at + 3 + rank + d] = stride;
        stride *= dims[d];
      }
      at += 3 + 2 * rank;
    }
    params.resize(step.paramSlots.size());
    for (size_t i = 0; i < params.size(); ++i)
      params[i] = &slots[step.paramSlots[i]];
    if (cu::CUresult r = api->cuLaunchKernel(
            loaded->functions[step.kernel], lv.grid[0], lv.grid[1],
            lv.grid[2], step.block[0], step.block[1], step.block[2],
            step.smem, stream, params.empty() ? nullptr : params.data(),
            nullptr))
      return fail(cu::callError(r, prefix + "cuLaunchKernel(" +
                                       step.kernelName + ")"));
    queued = true;
  }

  // Results back to the host; completion.
  if (!deviceMode)
    for (size_t r = 0; r < resultCount; ++r) {
      if (extents.results[r].bytes == 0)
        continue;
      if (cu::CUresult res =
              api->cuMemcpyDtoHAsync(out[r]->data, resultPointers[r],
                                     extents.results[r].bytes, stream))
        return fail(cu::callError(res, prefix + "cuMemcpyDtoHAsync_v2(" +
                                           fn.results[r].name + ")"));
      queued = true;
    }
  if (!async) {
    if (cu::CUresult r = api->cuStreamSynchronize(stream)) {
      queued = false; // nothing more to wait for
      return fail(cu::callError(r, prefix + "cuStreamSynchronize"));
    }
    if (tessera_status_t s = scratch.release(/*synchronized=*/true))
      return fail(s);
    releaseStream(*loaded, stream);
  } else if (tessera_status_t s = scratch.release(/*synchronized=*/false)) {
    return fail(s);
  }
  for (size_t r = 0; r < resultCount; ++r)
    results[r] = out[r];
  return nullptr;
}
