//===- Module.cpp - tessera_module_t and invoke -----------------*- C++ -*-===//
//
// Loads a .tsm artifact (docs/artifact-format.md): validates the container,
// parses the manifest and, for target cpu, loads the cpu-object from an
// anonymous memory file (memfd) with dlopen, never from a shared temporary
// directory; GPU targets go to GpuModule.cpp. Invoke checks the arguments
// against the manifest, calls the packed function with memref descriptors
// and copies its results into runtime tensors (CPU), or runs the function's
// plan (GPU).
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "GpuModule.h"
#include "Internal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <memory>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace tessera::artifact;
using namespace tessera::runtime;

static_assert(static_cast<int>(DType::F32) == TESSERA_DTYPE_F32 &&
                  static_cast<int>(DType::F16) == TESSERA_DTYPE_F16 &&
                  static_cast<int>(DType::BF16) == TESSERA_DTYPE_BF16 &&
                  static_cast<int>(DType::F64) == TESSERA_DTYPE_F64 &&
                  static_cast<int>(DType::I8) == TESSERA_DTYPE_I8 &&
                  static_cast<int>(DType::I32) == TESSERA_DTYPE_I32 &&
                  static_cast<int>(DType::I64) == TESSERA_DTYPE_I64 &&
                  static_cast<int>(DType::F8E4M3FN) == TESSERA_DTYPE_F8E4M3FN &&
                  static_cast<int>(DType::F8E5M2) == TESSERA_DTYPE_F8E5M2,
              "artifact::DType and tessera_dtype_t disagree");
static_assert(kMaxRank == kTesseraMaxRank, "rank limits disagree");

namespace {
using PackedFunction = void (*)(void **);

/// MFD_NOEXEC_SEAL (Linux 6.3), which older headers lack.
constexpr unsigned kMemfdNoExecSeal = 0x0008U;

/// MLIR's allocated pointer of a constant global: never freed.
constexpr uintptr_t kConstantMarker = 0xdeadbeef;

std::string errnoString(int error) {
  char buffer[256];
  // The GNU strerror_r returns a pointer that may or may not be `buffer`.
  return strerror_r(error, buffer, sizeof(buffer));
}

std::string plural(size_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}
} // namespace

struct tessera_module {
  std::atomic<int64_t> refs{1};
  Manifest manifest;
  /// The packed entry point of each function of the manifest (target cpu).
  std::vector<PackedFunction> entries;
  /// The plans and kernels (GPU targets).
  GpuCodePtr gpu;
  void *handle = nullptr;
  /// The memfd holding the cpu-object. It stays open while the object is
  /// loaded: dlopen recognizes loaded objects by path, so the number of the
  /// descriptor (the path /proc/self/fd/N) must not be reused meanwhile.
  int fd = -1;

  ~tessera_module() {
    if (handle) {
      dlclose(handle);
      // If the object is still resident (dlclose need not unload), keep its
      // descriptor, and so its path, for good.
      std::string path = "/proc/self/fd/" + std::to_string(fd);
      if (void *still = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
        dlclose(still);
        return;
      }
    }
    if (fd >= 0)
      close(fd);
  }
};

namespace {
/// Creates a memfd holding `size` bytes of `data`; returns -1 and sets
/// `error` on failure.
int createMemoryFile(const uint8_t *data, size_t size, std::string &error) {
  int fd = memfd_create("tessera-module", MFD_CLOEXEC);
  // Where vm.memfd_noexec forbids executable memfds, a sealed non-executable
  // one still maps (dlopen maps, it does not execve).
  if (fd < 0 && (errno == EACCES || errno == EINVAL))
    fd = memfd_create("tessera-module", MFD_CLOEXEC | kMemfdNoExecSeal);
  if (fd < 0) {
    error = "memfd_create failed: " + errnoString(errno);
    return -1;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = "cannot write the cpu-object to a memfd: " +
              errnoString(n < 0 ? errno : EIO);
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

/// Whether this CPU has `feature` (a name artifact::isCpuFeatureName
/// accepts).
bool hostHasCpuFeature(const std::string &feature) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (feature == "x86-64-v2")
    return __builtin_cpu_supports("x86-64-v2");
  if (feature == "x86-64-v3")
    return __builtin_cpu_supports("x86-64-v3");
  if (feature == "x86-64-v4")
    return __builtin_cpu_supports("x86-64-v4");
  if (feature == "sse4.2")
    return __builtin_cpu_supports("sse4.2");
  if (feature == "avx")
    return __builtin_cpu_supports("avx");
  if (feature == "avx2")
    return __builtin_cpu_supports("avx2");
  if (feature == "fma")
    return __builtin_cpu_supports("fma");
  if (feature == "f16c")
    return __builtin_cpu_supports("f16c");
  if (feature == "avx512f")
    return __builtin_cpu_supports("avx512f");
  if (feature == "avx512bw")
    return __builtin_cpu_supports("avx512bw");
  if (feature == "avx512dq")
    return __builtin_cpu_supports("avx512dq");
  if (feature == "avx512vl")
    return __builtin_cpu_supports("avx512vl");
  if (feature == "avx512bf16")
    return __builtin_cpu_supports("avx512bf16");
#endif
  return false;
}

/// Loads the shared object in `bytes` into `module` and resolves every
/// function's symbol.
tessera_status_t loadCpuObject(tessera_module *module,
                               const SectionView &object,
                               const std::string &prefix) {
  std::string error;
  int fd = createMemoryFile(object.data, object.size, error);
  if (fd < 0)
    return makeStatus(TESSERA_STATUS_INTERNAL, prefix + error);

  // Where some other object was loaded from /proc/self/fd/<fd> (by code
  // outside the runtime) and is still resident, dlopen would return it:
  // move to another descriptor number until the path is free.
  std::vector<int> spare;
  std::string path;
  for (int attempt = 0;; ++attempt) {
    path = "/proc/self/fd/" + std::to_string(fd);
    void *stale = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!stale)
      break;
    dlclose(stale);
    int other = attempt < 16 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (other < 0) {
      close(fd);
      for (int s : spare)
        close(s);
      return makeStatus(TESSERA_STATUS_INTERNAL,
                        prefix + "no free path to load the cpu-object from");
    }
    spare.push_back(fd);
    fd = other;
  }
  for (int s : spare)
    close(s);
  module->fd = fd;

  dlerror();
  module->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module->handle) {
    const char *why = dlerror();
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "cannot load the cpu-object: " +
                          (why ? why : "unknown dlopen error"));
  }

  // dlsym also searches the object's dependencies (libc...): a symbol must
  // be defined by the object itself.
  struct link_map *objectMap = nullptr;
  if (dlinfo(module->handle, RTLD_DI_LINKMAP, &objectMap) != 0)
    objectMap = nullptr;
  module->entries.reserve(module->manifest.functions.size());
  for (const FunctionDesc &fn : module->manifest.functions) {
    void *address = dlsym(module->handle, fn.symbol.c_str());
    bool own = address != nullptr;
    if (address && objectMap) {
      Dl_info info;
      struct link_map *map = nullptr;
      if (!dladdr1(address, &info, reinterpret_cast<void **>(&map),
                   RTLD_DL_LINKMAP) ||
          map != objectMap)
        own = false;
    }
    if (!own)
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + "function '" + fn.name + "': symbol '" +
                            fn.symbol + "' is not defined in the cpu-object");
    module->entries.push_back(reinterpret_cast<PackedFunction>(address));
  }
  return nullptr;
}

/// Loads an artifact from `size` bytes at `data`; `prefix` starts every
/// message (it names the file).
tessera_status_t loadModule(const uint8_t *data, size_t size,
                            const std::string &prefix, tessera_module_t *out) {
  ArtifactView artifact;
  std::string message;
  switch (readArtifact(data, size, artifact, message)) {
  case ReadError::None:
    break;
  case ReadError::NotAnArtifact:
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT, prefix + message);
  case ReadError::UnsupportedVersion:
    return makeStatus(TESSERA_STATUS_UNAVAILABLE, prefix + message);
  case ReadError::Corrupt:
    return makeStatus(TESSERA_STATUS_DATA_LOSS, prefix + message);
  }

  const SectionView *manifestSection = artifact.find(SectionKind::Manifest);
  if (!manifestSection)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "the artifact has no 'manifest' section");
  std::unique_ptr<tessera_module> module(new (std::nothrow) tessera_module);
  if (!module)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      prefix + "out of memory loading a module");
  std::string error = parseManifest(
      std::string_view(reinterpret_cast<const char *>(manifestSection->data),
                       manifestSection->size),
      module->manifest);
  if (!error.empty())
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT, prefix + error);

  const std::string &target = module->manifest.target;
  if (isGpuTarget(target)) {
    // No CUDA needed until the first invoke.
    if (tessera_status_t s =
            createGpuCode(module->manifest, artifact, prefix, module->gpu))
      return s;
    *out = module.release();
    return nullptr;
  }
  for (const std::string &feature : module->manifest.cpuFeatures)
    if (!hostHasCpuFeature(feature))
      return makeStatus(TESSERA_STATUS_UNAVAILABLE,
                        prefix + "the code needs the CPU feature '" + feature +
                            "', which this machine lacks (recompile the "
                            "model on or for this machine)");
  const SectionView *object = artifact.find(SectionKind::CpuObject);
  if (!object)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "the artifact for target cpu has no "
                               "'cpu-object' section");
  if (tessera_status_t s = loadCpuObject(module.get(), *object, prefix))
    return s;
  *out = module.release();
  return nullptr;
}

/// A symbol's size and where it was bound.
struct Binding {
  int64_t symbol;
  int64_t size;
  std::string origin;
};

const Binding *findBinding(const std::vector<Binding> &bindings,
                           int64_t symbol) {
  for (const Binding &b : bindings)
    if (b.symbol == symbol)
      return &b;
  return nullptr;
}

/// Checks `sizes` against the declared dims of `value`, binding unbound
/// symbols. `what` names the value ("argument 1 ('k')"). Returns "" or the
/// problem.
std::string checkSizes(const ValueDesc &value, const int64_t *sizes,
                       const std::string &what,
                       std::vector<Binding> &bindings) {
  for (size_t d = 0; d < value.dims.size(); ++d) {
    std::string dim =
        "dimension " + std::to_string(d) + " is " + std::to_string(sizes[d]);
    if (sizes[d] < 0)
      return what + ": " + dim + " (negative)";
    if (value.dims[d] >= 0) {
      if (sizes[d] != value.dims[d])
        return what + ": " + dim + ", expected " +
               std::to_string(value.dims[d]);
      continue;
    }
    int64_t symbol = value.symbols[d];
    if (symbol < 0)
      continue;
    if (const Binding *b = findBinding(bindings, symbol)) {
      if (b->size != sizes[d])
        return what + ": " + dim + ", but symbol s" + std::to_string(symbol) +
               " is " + std::to_string(b->size) + " (from " + b->origin + ")";
      continue;
    }
    bindings.push_back(
        {symbol, sizes[d], what + " dimension " + std::to_string(d)});
  }
  return "";
}

/// Copies `count` elements of `elementSize` bytes of a strided memref into
/// dense row-major `dst`.
void copyStrided(uint8_t *dst, const uint8_t *base, int64_t offset, size_t rank,
                 const int64_t *sizes, const int64_t *strides,
                 size_t elementSize, int64_t count) {
  // Contiguous row-major (strides of size-1 dims do not matter): one copy.
  bool dense = true;
  int64_t expected = 1;
  for (size_t d = rank; d-- > 0;) {
    if (sizes[d] != 1 && strides[d] != expected) {
      dense = false;
      break;
    }
    expected *= sizes[d];
  }
  const uint8_t *origin = base + static_cast<ptrdiff_t>(offset) *
                                     static_cast<ptrdiff_t>(elementSize);
  if (dense) {
    std::memcpy(dst, origin, static_cast<size_t>(count) * elementSize);
    return;
  }
  int64_t index[kTesseraMaxRank] = {};
  size_t inner = rank - 1;
  int64_t innerSize = sizes[inner];
  ptrdiff_t innerStride = static_cast<ptrdiff_t>(strides[inner]) *
                          static_cast<ptrdiff_t>(elementSize);
  for (int64_t done = 0; done < count; done += innerSize) {
    ptrdiff_t at = 0;
    for (size_t d = 0; d < inner; ++d)
      at += static_cast<ptrdiff_t>(index[d] * strides[d]);
    const uint8_t *src = origin + at * static_cast<ptrdiff_t>(elementSize);
    for (int64_t i = 0; i < innerSize; ++i) {
      std::memcpy(dst, src, elementSize);
      dst += elementSize;
      src += innerStride;
    }
    for (size_t d = inner; d-- > 0;) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

/// Checks the result descriptor `desc` of `value` and copies it into a new
/// tensor.
tessera_status_t takeResult(const FunctionDesc &fn, size_t r,
                            const int64_t *desc, std::vector<Binding> &bindings,
                            tessera_tensor_t *out) {
  const ValueDesc &value = fn.results[r];
  std::string what = "result " + std::to_string(r) + " ('" + value.name + "')";
  std::string prefix = "function '" + fn.name + "': ";
  size_t rank = value.dims.size();
  const auto *aligned = reinterpret_cast<const uint8_t *>(desc[1]);
  int64_t offset = desc[2];
  const int64_t *sizes = desc + 3;
  const int64_t *strides = desc + 3 + rank;
  std::string error = checkSizes(value, sizes, what, bindings);
  if (!error.empty())
    return makeStatus(TESSERA_STATUS_INTERNAL,
                      prefix + error +
                          " (the compiled code disagrees with its manifest)");
  auto dtype = static_cast<tessera_dtype_t>(value.dtype);
  int64_t count;
  size_t bytes;
  if (tessera_status_t s =
          checkShape((prefix + what).c_str(), dtype, static_cast<int32_t>(rank),
                     sizes, count, bytes))
    return s;
  if (count > 0 && !aligned)
    return makeStatus(TESSERA_STATUS_INTERNAL,
                      prefix + what +
                          ": the compiled code returned a NULL buffer");
  tessera_tensor *tensor =
      allocateTensor(dtype, static_cast<int32_t>(rank), sizes, count, bytes,
                     /*zero=*/false);
  if (!tensor)
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      prefix + what + ": cannot allocate " +
                          std::to_string(bytes) + " bytes");
  if (count > 0)
    copyStrided(static_cast<uint8_t *>(tensor->data), aligned, offset, rank,
                sizes, strides, tessera_dtype_size(dtype), count);
  *out = tensor;
  return nullptr;
}

tessera_status_t checkFunction(tessera_module_t module, size_t function,
                               const char *caller) {
  if (!module)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      std::string(caller) + ": 'module' is NULL");
  if (function >= module->manifest.functions.size())
    return makeStatus(
        TESSERA_STATUS_NOT_FOUND,
        std::string(caller) + ": function index " + std::to_string(function) +
            " is out of range (the module has " +
            plural(module->manifest.functions.size(), "function") + ")");
  return nullptr;
}

tessera_status_t valueInfo(tessera_module_t module, size_t function,
                           size_t index, tessera_value_info_t *info,
                           bool result) {
  const char *caller =
      result ? "tessera_function_result_info" : "tessera_function_arg_info";
  if (!info)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      std::string(caller) + ": 'info' is NULL");
  if (tessera_status_t s = checkFunction(module, function, caller))
    return s;
  const FunctionDesc &fn = module->manifest.functions[function];
  const std::vector<ValueDesc> &values = result ? fn.results : fn.args;
  if (index >= values.size())
    return makeStatus(
        TESSERA_STATUS_INVALID_ARGUMENT,
        std::string(caller) + ": function '" + fn.name + "' has " +
            plural(values.size(), result ? "result" : "argument") + "; index " +
            std::to_string(index) + " is out of range");
  const ValueDesc &v = values[index];
  info->name = v.name.c_str();
  info->dtype = static_cast<tessera_dtype_t>(v.dtype);
  info->rank = static_cast<int32_t>(v.dims.size());
  info->dims = v.dims.data();
  info->symbols = v.symbols.data();
  return nullptr;
}
} // namespace

extern "C" tessera_status_t tessera_module_load_file(const char *path,
                                                     tessera_module_t *out) {
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_module_load_file: 'out' is NULL");
  *out = nullptr;
  if (!path)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_module_load_file: 'path' is NULL");
  std::string prefix = std::string("'") + path + "': ";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return makeStatus(error == ENOENT ? TESSERA_STATUS_NOT_FOUND
                                      : TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "cannot open: " + errnoString(error));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + "not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  std::unique_ptr<uint8_t, void (*)(void *)> bytes(
      static_cast<uint8_t *>(std::malloc(size ? size : 1)), std::free);
  if (!bytes) {
    close(fd);
    return makeStatus(TESSERA_STATUS_OUT_OF_MEMORY,
                      prefix + "cannot allocate " + std::to_string(size) +
                          " bytes to read the file");
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, bytes.get() + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + "read failed: " + errnoString(error));
    }
    if (n == 0)
      break; // The file shrank: the reader reports it as truncated.
    done += static_cast<size_t>(n);
  }
  close(fd);
  return loadModule(bytes.get(), done, prefix, out);
}

extern "C" tessera_status_t tessera_module_load_memory(const void *data,
                                                       size_t size,
                                                       tessera_module_t *out) {
  if (!out)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_module_load_memory: 'out' is NULL");
  *out = nullptr;
  if (!data && size > 0)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      "tessera_module_load_memory: 'data' is NULL");
  return loadModule(static_cast<const uint8_t *>(data), size, "", out);
}

extern "C" void tessera_module_retain(tessera_module_t module) {
  if (module)
    module->refs.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void tessera_module_release(tessera_module_t module) {
  if (module && module->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete module;
}

extern "C" const char *tessera_module_target(tessera_module_t module) {
  return module ? module->manifest.target.c_str() : "";
}

extern "C" size_t tessera_module_function_count(tessera_module_t module) {
  return module ? module->manifest.functions.size() : 0;
}

extern "C" const char *tessera_module_function_name(tessera_module_t module,
                                                    size_t index) {
  if (!module || index >= module->manifest.functions.size())
    return nullptr;
  return module->manifest.functions[index].name.c_str();
}

extern "C" tessera_status_t
tessera_module_find_function(tessera_module_t module, const char *name,
                             size_t *index) {
  if (!module || !name || !index)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      std::string("tessera_module_find_function: '") +
                          (!module ? "module"
                           : !name ? "name"
                                   : "index") +
                          "' is NULL");
  const std::vector<FunctionDesc> &functions = module->manifest.functions;
  std::string names;
  for (size_t i = 0; i < functions.size(); ++i) {
    if (functions[i].name == name) {
      *index = i;
      return nullptr;
    }
    names += (i ? ", " : "") + functions[i].name;
  }
  return makeStatus(
      TESSERA_STATUS_NOT_FOUND,
      std::string("no function '") + name +
          "' in the module (it has: " + (names.empty() ? "none" : names) + ")");
}

extern "C" size_t tessera_function_arg_count(tessera_module_t module,
                                             size_t function) {
  if (!module || function >= module->manifest.functions.size())
    return 0;
  return module->manifest.functions[function].args.size();
}

extern "C" size_t tessera_function_result_count(tessera_module_t module,
                                                size_t function) {
  if (!module || function >= module->manifest.functions.size())
    return 0;
  return module->manifest.functions[function].results.size();
}

extern "C" tessera_status_t
tessera_function_arg_info(tessera_module_t module, size_t function,
                          size_t index, tessera_value_info_t *info) {
  return valueInfo(module, function, index, info, /*result=*/false);
}

extern "C" tessera_status_t
tessera_function_result_info(tessera_module_t module, size_t function,
                             size_t index, tessera_value_info_t *info) {
  return valueInfo(module, function, index, info, /*result=*/true);
}

namespace {
/// Checks tensor `t` (`what`, e.g. "argument 0 ('x')") against `value` of
/// the signature: not NULL, its dtype, rank and sizes; binds the symbols.
tessera_status_t checkValue(const ValueDesc &value, tessera_tensor_t t,
                            const std::string &prefix, const std::string &what,
                            std::vector<Binding> &bindings) {
  if (!t)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": " + what + " is NULL");
  auto dtype = static_cast<tessera_dtype_t>(value.dtype);
  if (t->dtype != dtype)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": " + what + ": dtype is " +
                          tessera_dtype_name(t->dtype) + ", expected " +
                          tessera_dtype_name(dtype));
  if (static_cast<size_t>(t->rank) != value.dims.size())
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": " + what + ": rank is " +
                          std::to_string(t->rank) + ", expected " +
                          std::to_string(value.dims.size()));
  std::string error = checkSizes(value, t->dims, what, bindings);
  if (!error.empty())
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT, prefix + ": " + error);
  return nullptr;
}

/// The device bytes of `t` as [begin, end).
std::pair<uint64_t, uint64_t> deviceBytes(tessera_tensor_t t) {
  uint64_t bytes =
      static_cast<uint64_t>(t->elementCount) * tessera_dtype_size(t->dtype);
  return {t->devicePointer, t->devicePointer + bytes};
}

/// The checks common to every invoke: the function, the number of arguments
/// and results, each argument's dtype, rank and sizes; binds the symbols.
tessera_status_t checkInvoke(tessera_module_t module, size_t function,
                             const char *caller, const tessera_tensor_t *args,
                             size_t arg_count, tessera_tensor_t *results,
                             size_t result_count,
                             std::vector<Binding> &bindings) {
  if (results)
    for (size_t i = 0; i < result_count; ++i)
      results[i] = nullptr;
  if (tessera_status_t s = checkFunction(module, function, caller))
    return s;
  const FunctionDesc &fn = module->manifest.functions[function];
  std::string prefix = "function '" + fn.name + "'";
  if (arg_count != fn.args.size())
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + " takes " + plural(fn.args.size(), "argument") +
                          ", got " + std::to_string(arg_count));
  if (result_count != fn.results.size())
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + " returns " +
                          plural(fn.results.size(), "result") +
                          ", got room for " + std::to_string(result_count));
  if (arg_count > 0 && !args)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": 'args' is NULL");
  if (result_count > 0 && !results)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": 'results' is NULL");

  // Arguments against the signature.
  for (size_t i = 0; i < arg_count; ++i) {
    const ValueDesc &value = fn.args[i];
    std::string what =
        "argument " + std::to_string(i) + " ('" + value.name + "')";
    tessera_tensor_t t = args[i];
    if (tessera_status_t s = checkValue(value, t, prefix, what, bindings))
      return s;
    if (!module->gpu && t->device != TESSERA_DEVICE_HOST)
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + ": " + what +
                            " is a device tensor; target " +
                            module->manifest.target +
                            " takes host tensors (copy it with "
                            "tessera_tensor_copy_to)");
  }
  return nullptr;
}

tessera_status_t invokeGpuFunction(tessera_module_t module, size_t function,
                                   const tessera_tensor_t *args,
                                   const std::vector<Binding> &bindings,
                                   tessera_tensor_t *results, bool async,
                                   void *stream,
                                   const tessera_tensor_t *outputs = nullptr) {
  std::vector<SymbolValue> symbols;
  symbols.reserve(bindings.size());
  for (const Binding &b : bindings)
    symbols.push_back({b.symbol, b.size});
  return invokeGpu(*module->gpu, module->manifest, function, args, symbols,
                   results, async, stream, outputs);
}
} // namespace

extern "C" tessera_status_t
tessera_module_invoke(tessera_module_t module, size_t function,
                      const tessera_tensor_t *args, size_t arg_count,
                      tessera_tensor_t *results, size_t result_count) {
  std::vector<Binding> bindings;
  if (tessera_status_t s =
          checkInvoke(module, function, "tessera_module_invoke", args,
                      arg_count, results, result_count, bindings))
    return s;
  if (module->gpu)
    return invokeGpuFunction(module, function, args, bindings, results,
                             /*async=*/false, nullptr);
  const FunctionDesc &fn = module->manifest.functions[function];
  // Descriptors: the arguments', then the result area.
  std::vector<size_t> starts;
  size_t words = 0;
  for (const ValueDesc &v : fn.args) {
    starts.push_back(words);
    words += 3 + 2 * v.dims.size();
  }
  size_t resultArea = words;
  for (const ValueDesc &v : fn.results) {
    starts.push_back(words);
    words += 3 + 2 * v.dims.size();
  }
  std::vector<int64_t> descriptors(words, 0);
  std::vector<void *> packed;
  packed.reserve(arg_count + 1);
  for (size_t i = 0; i < arg_count; ++i) {
    tessera_tensor_t t = args[i];
    int64_t *d = descriptors.data() + starts[i];
    d[0] = static_cast<int64_t>(reinterpret_cast<intptr_t>(t->data));
    d[1] = d[0];
    d[2] = 0;
    int64_t stride = 1;
    for (int32_t k = t->rank; k-- > 0;) {
      d[3 + k] = t->dims[k];
      d[3 + t->rank + k] = stride;
      stride *= t->dims[k];
    }
    packed.push_back(d);
  }
  if (result_count > 0)
    packed.push_back(descriptors.data() + resultArea);

  module->entries[function](packed.data());

  // Results: check and copy each, then free what the callee allocated.
  tessera_status_t status = nullptr;
  std::vector<tessera_tensor_t> taken(result_count, nullptr);
  for (size_t r = 0; r < result_count && !status; ++r)
    status = takeResult(fn, r, descriptors.data() + starts[arg_count + r],
                        bindings, &taken[r]);
  std::vector<uintptr_t> freed;
  for (size_t r = 0; r < result_count; ++r) {
    auto allocated = static_cast<uintptr_t>(descriptors[starts[arg_count + r]]);
    bool keep = allocated == 0 || allocated == kConstantMarker;
    for (size_t i = 0; i < arg_count && !keep; ++i)
      keep = allocated == reinterpret_cast<uintptr_t>(args[i]->data);
    for (uintptr_t f : freed)
      keep = keep || f == allocated;
    if (keep)
      continue;
    std::free(reinterpret_cast<void *>(allocated));
    freed.push_back(allocated);
  }
  if (status) {
    for (tessera_tensor_t t : taken)
      tessera_tensor_release(t);
    return status;
  }
  for (size_t r = 0; r < result_count; ++r)
    results[r] = taken[r];
  return nullptr;
}

extern "C" tessera_status_t
tessera_module_invoke_async(tessera_module_t module, size_t function,
                            const tessera_tensor_t *args, size_t arg_count,
                            tessera_tensor_t *results, size_t result_count,
                            void *stream) {
  if (module && !module->gpu)
    return tessera_module_invoke(module, function, args, arg_count, results,
                                 result_count);
  std::vector<Binding> bindings;
  if (tessera_status_t s =
          checkInvoke(module, function, "tessera_module_invoke_async", args,
                      arg_count, results, result_count, bindings))
    return s;
  return invokeGpuFunction(module, function, args, bindings, results,
                           /*async=*/true, stream);
}

extern "C" tessera_status_t
tessera_module_invoke_into(tessera_module_t module, size_t function,
                           const tessera_tensor_t *args, size_t arg_count,
                           const tessera_tensor_t *outputs,
                           size_t output_count, void *stream) {
  const char *caller = "tessera_module_invoke_into";
  if (module && !module->gpu)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      std::string(caller) + ": the module targets " +
                          module->manifest.target +
                          "; results in caller memory need a GPU module "
                          "(use tessera_module_invoke)");
  // The same checks as the other invokes; `slots` stands for the results.
  std::vector<tessera_tensor_t> slots(output_count, nullptr);
  std::vector<Binding> bindings;
  if (tessera_status_t s =
          checkInvoke(module, function, caller, args, arg_count,
                      slots.data(), output_count, bindings))
    return s;
  const FunctionDesc &fn = module->manifest.functions[function];
  std::string prefix = "function '" + fn.name + "'";
  if (output_count > 0 && !outputs)
    return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                      prefix + ": 'outputs' is NULL");
  // Device tensors of the results' signatures (the arguments bound every
  // symbol of the results), apart from the arguments and each other: the
  // kernels read the arguments while they write the results.
  for (size_t r = 0; r < output_count; ++r) {
    std::string what =
        "output " + std::to_string(r) + " ('" + fn.results[r].name + "')";
    tessera_tensor_t t = outputs[r];
    if (tessera_status_t s =
            checkValue(fn.results[r], t, prefix, what, bindings))
      return s;
    if (t->device != TESSERA_DEVICE_CUDA)
      return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                        prefix + ": " + what +
                            " is a host tensor; results are written on the "
                            "device");
    auto [begin, end] = deviceBytes(t);
    auto overlaps = [&](tessera_tensor_t other) {
      auto [otherBegin, otherEnd] = deviceBytes(other);
      return other->device == TESSERA_DEVICE_CUDA && begin < end &&
             otherBegin < otherEnd && begin < otherEnd && otherBegin < end;
    };
    for (size_t i = 0; i < arg_count; ++i)
      if (overlaps(args[i]))
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          prefix + ": " + what + " overlaps argument " +
                              std::to_string(i) + " ('" + fn.args[i].name +
                              "') in device memory");
    for (size_t q = 0; q < r; ++q)
      if (overlaps(outputs[q]))
        return makeStatus(TESSERA_STATUS_INVALID_ARGUMENT,
                          prefix + ": " + what + " overlaps output " +
                              std::to_string(q) + " in device memory");
  }
  return invokeGpuFunction(module, function, args, bindings, slots.data(),
                           /*async=*/true, stream, outputs);
}
