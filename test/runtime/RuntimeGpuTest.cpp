//===- RuntimeGpuTest.cpp - GPU modules: plans, launches, device tensors --===//
//
// Builds GPU artifacts around hand-written kernels (Inputs/gpu_kernels.cu,
// committed as PTX in Inputs/gpu_kernels.ptx) without the compiler. Loading,
// listing and every check made before device work run everywhere; the tests
// that launch kernels skip themselves where the CUDA driver sees no device.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "Inputs/fake_cuda.h"
#include "StatusOutcome.h"
#include "tessera/tessera_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef TESSERA_TEST_PTX
#error "TESSERA_TEST_PTX must name Inputs/gpu_kernels.ptx"
#endif

using namespace tessera::artifact;

namespace {
/// The plans of the tests, over the kernels of gpu_kernels.ptx. Version 1,
/// which the runtime still reads; its messages quote kernel parameters as
/// version 2 writes them ("tmap:a:64x128:128" for "tmap:a:64x128").
const char *const kManifest = R"(tessera-manifest 1
target sm_80
function add_one -
arg x f32 s0
result y f32 s0
variant always
launch add_one grid cdiv(s0,128) 1 1 block 128 1 1 smem 0 params memref:x memref:y i64:s0
end
function add_both -
arg a f32 s0
arg b f32 s0
result y f32 s0
variant always
launch add_one grid cdiv(s0,128) 1 1 block 128 1 1 smem 0 params memref:a memref:y i64:s0
launch accumulate grid cdiv(s0,128) 1 1 block 128 1 1 smem 0 params memref:y memref:b i64:s0
end
function pick -
arg x f32 s0
result y f32 s0
variant s0 <= 4
launch fill grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:y i32:1 i64:s0
variant s0*2 <= 16
launch fill grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:y i32:2 i64:s0
variant always
launch fill grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:y i32:3 i64:s0
end
function twice_plus_one -
arg x f32 s0
result y f32 s0
buffer t0 f32 s0
variant always
launch fill grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:t0 i32:7 i64:s0
memset t0
launch accumulate grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:t0 memref:x i64:s0
launch accumulate grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:t0 memref:x i64:s0
launch add_one grid cdiv(s0,64) 1 1 block 64 1 1 smem 0 params memref:t0 memref:y i64:s0
end
function first_only -
arg x f32 s0
result y f32 s0
variant always
launch add_one grid 1 1 1 block 1 1 1 smem 0 params memref:x memref:y i64:1
end
function skipped -
arg x f32 s0
result y f32 s0
variant always
memset y
launch fill grid 0 1 1 block 64 1 1 smem 0 params memref:y i32:5 i64:s0
launch fill grid cdiv(s0,64) min(s0,0) 1 block 64 1 1 smem 0 params memref:y i32:6 i64:s0
end
function transpose -
arg a f32 s0xs1
result t f32 s1xs0
variant always
launch transpose grid cdiv(s1,16) cdiv(s0,16) 1 block 16 16 1 smem 0 params memref:a memref:t
end
function smem_double -
arg x f32 s0
result y f32 s0
variant always
launch smem_double grid cdiv(s0,128) 1 1 block 128 1 1 smem 65536 params memref:x memref:y i64:s0
end
function sum -
arg x f32 s0
result total f32 scalar
variant always
launch sum grid 1 1 1 block 1 1 1 smem 0 params memref:x memref:total i64:s0
end
function describe -
arg m f32 s0xs1
result d i64 8
variant always
launch describe grid 1 1 1 block 1 1 1 smem 0 params memref:m memref:d i32:s0*s1+min(s0,s1) i64:s0*1000000000000
end
function limits -
arg x f32 s0
arg which i8 s1
result z f32 4
variant s1 == 1
launch fill grid s0*s0 1 1 block 1 1 1 smem 0 params memref:z i32:0 i64:4
variant s1 == 2
launch fill grid 1 s0 1 block 1 1 1 smem 0 params memref:z i32:0 i64:4
variant s1 == 3
launch fill grid 1 1 s0+1 block 1 1 1 smem 0 params memref:z i32:0 i64:4
variant s1 == 4
launch fill grid 1 1 1 block 1 1 1 smem 0 params memref:z i32:s0*s0 i64:4
variant s1 == 5
launch fill grid 1 1 1 block 1 1 1 smem 0 params memref:z i32:0 i64:s0*s0*s0*s0
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:9 i64:4
end
function cube -
arg x f32 s0
result y f32 s0xs0xs0
variant always
launch fill grid 1 1 1 block 1 1 1 smem 0 params memref:y i32:0 i64:1
end
function overflowing_condition -
arg x f32 s0
result z f32 4
variant s0*s0*s0*s0 > 1
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:1 i64:4
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:2 i64:4
end
function tensor_map_rank2 -
arg a bf16 s0xs1
result bytes i64 17
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:64x128 memref:bytes i64:s0*1000+s1
end
function tensor_map_rank3 -
arg a f16 s0xs1xs2
result bytes i64 17
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:32x16 memref:bytes i64:s2
end
)";

/// Plans of version 2: tensor maps of rank 1 to 5 and their swizzles,
/// conditions on several sizes, buffers sized by expressions, views.
const char *const kManifestV2 = R"(tessera-manifest 2
target sm_80
function tensor_map_rank4 -
arg a bf16 s0xs1xs2xs3
result bytes i64 17
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:64x128x1x1:128 memref:bytes i64:s3
end
function tensor_map_rank1 -
arg v f16 s0
result bytes i64 17
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:v:64:128 memref:bytes i64:s0
end
function tensor_map_swizzles -
arg a f32 s0xs1
arg which i8 s2
result bytes i64 17
variant s2 == 1
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:8x4:32 memref:bytes i64:32
variant s2 == 2
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:16x4:64 memref:bytes i64:64
variant s2 == 3
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:64x2:0 memref:bytes i64:0
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:32x2:128 memref:bytes i64:128
end
function tensor_map_rank4_rows -
arg a bf16 s0xs1xs2xs3
result bytes i64 17
variant always
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:a:8x8x2x1:128 memref:bytes i64:0
end
function split_kv -
arg q f32 s0xs1
result d i64 8
buffer t0 f32 (max(min(cdiv(132,s0*8),16),1))xs1
buffer t1 f32 (max(min(cdiv(132,s0*8),16),1)*s1+1)
variant s0 <= 4 and s1 >= 8
launch fill grid cdiv(max(min(cdiv(132,s0*8),16),1)*s1+1,64) 1 1 block 64 1 1 smem 0 params memref:t1 i32:1 i64:max(min(cdiv(132,s0*8),16),1)*s1+1
launch describe grid 1 1 1 block 1 1 1 smem 0 params memref:t0 memref:d i32:1 i64:max(min(cdiv(132,s0*8),16),1)
variant s0 <= 4
launch describe grid 1 1 1 block 1 1 1 smem 0 params memref:t0 memref:d i32:2 i64:0
variant always
launch describe grid 1 1 1 block 1 1 1 smem 0 params memref:t0 memref:d i32:3 i64:0
end
function variant_buffers -
arg x f32 s0
result z f32 4
buffer t0 f32 (s0*70368744177664)
buffer t1 f32 4
variant s0 <= 4
memset t1
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:1 i64:4
variant always
memset t0
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:2 i64:4
end
function condition_terms -
arg x f32 s0
result z f32 4
variant s0 > 100000 and s0*s0*s0*s0 > 1
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:1 i64:4
variant s0 >= 1 and s0*s0*s0*s0 > 1
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:2 i64:4
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:3 i64:4
end
function buffer_overflow -
arg x f32 s0
result z f32 4
buffer t0 f32 4x(s0*s0*s0*s0)
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:0 i64:4
end
function buffer_division -
arg x f32 s0
result z f32 4
buffer t0 f32 (cdiv(64,s0))
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:0 i64:4
end
function buffer_too_big -
arg x f32 s0
result z f32 4
buffer t0 f32 (s0*s0)x(s0*s0)
variant always
launch fill grid 1 1 1 block 4 1 1 smem 0 params memref:z i32:0 i64:4
end
function view_of_buffer -
arg x f32 s0xs1xs2xs3
result d i64 1x13
result bytes i64 17
buffer t0 f32 (s0*s1*s2*s3)
view v0 t0 s0xs1xs2xs3
view dv d 13
variant always
memset v0
launch fill grid cdiv(s0*s1*s2*s3,64) 1 1 block 64 1 1 smem 0 params memref:t0 i32:7 i64:s0*s1*s2*s3
launch describe_view grid 1 1 1 block 1 1 1 smem 0 params memref:t0 memref:v0 memref:dv
launch tensor_map_bytes grid 1 1 1 block 1 1 1 smem 0 params tmap:v0:32x2x1x1:128 memref:bytes i64:s3
end
function view_of_argument -
arg x f32 s0xs1
result d i64 13
view v0 x (s0*s1)
view v1 v0 s0x1xs1x1
variant always
launch describe_view grid 1 1 1 block 1 1 1 smem 0 params memref:v0 memref:v1 memref:d
end
function view_mismatch -
arg x f32 s0xs1
result d i64 13
buffer t0 f32 (s0*s1)
view v0 t0 3xs0x8x1
view v1 v0 (s0*s1)x1x1x1
variant always
launch describe_view grid 1 1 1 block 1 1 1 smem 0 params memref:t0 memref:v1 memref:d
end
)";

const std::string &kernelsPtx() {
  static const std::string text = [] {
    std::ifstream in(TESSERA_TEST_PTX, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  return text;
}

std::vector<uint8_t> bytesOf(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> makeGpuArtifact(const std::string &manifest,
                                     const std::string &ptx,
                                     const std::string &cubin = "") {
  std::vector<Section> sections = {{SectionKind::Manifest, bytesOf(manifest)}};
  if (!ptx.empty())
    sections.push_back({SectionKind::Ptx, bytesOf(ptx)});
  if (!cubin.empty())
    sections.push_back({SectionKind::Cubin, bytesOf(cubin)});
  return writeArtifact(sections);
}

struct ModuleDeleter {
  void operator()(tessera_module *m) const { tessera_module_release(m); }
};
using ModulePtr = std::unique_ptr<tessera_module, ModuleDeleter>;

struct TensorDeleter {
  void operator()(tessera_tensor *t) const { tessera_tensor_release(t); }
};
using TensorPtr = std::unique_ptr<tessera_tensor, TensorDeleter>;

/// Loads an artifact that must load.
ModulePtr load(const std::vector<uint8_t> &bytes) {
  tessera_module_t m = nullptr;
  Outcome o = take(tessera_module_load_memory(bytes.data(), bytes.size(), &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  return ModulePtr(m);
}

bool haveCudaDevice() {
  int count = 0;
  Outcome o = take(tessera_cuda_device_count(&count));
  return o.code == TESSERA_STATUS_OK && count > 0;
}

TensorPtr hostTensor(tessera_dtype_t dtype, std::vector<int64_t> dims,
                     const void *values = nullptr) {
  tessera_tensor_t t = nullptr;
  Outcome o = take(tessera_tensor_allocate(
      dtype, static_cast<int32_t>(dims.size()), dims.data(), &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  if (t && values)
    std::memcpy(tessera_tensor_data(t), values,
                tessera_tensor_element_count(t) * tessera_dtype_size(dtype));
  return TensorPtr(t);
}

TensorPtr hostF32(std::vector<int64_t> dims, const std::vector<float> &values) {
  return hostTensor(TESSERA_DTYPE_F32, std::move(dims), values.data());
}

/// A host tensor of `n` floats 0.5 * i - 3.
TensorPtr ramp(int64_t n) {
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i)
    values[i] = 0.5f * static_cast<float>(i) - 3.0f;
  return hostF32({n}, values);
}

/// A fake device tensor: checks made before device work never read it.
TensorPtr fakeDevice(tessera_dtype_t dtype, std::vector<int64_t> dims) {
  tessera_tensor_t t = nullptr;
  Outcome o = take(tessera_tensor_wrap_device(
      dtype, static_cast<int32_t>(dims.size()), dims.data(), 0x10000, &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  return TensorPtr(t);
}

TensorPtr copyTo(tessera_tensor_t t, tessera_device_t device) {
  tessera_tensor_t out = nullptr;
  Outcome o = take(tessera_tensor_copy_to(t, device, &out));
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  return TensorPtr(out);
}

template <typename T> std::vector<T> valuesOf(tessera_tensor_t t) {
  TensorPtr host;
  if (tessera_tensor_device(t) != TESSERA_DEVICE_HOST) {
    host = copyTo(t, TESSERA_DEVICE_HOST);
    t = host.get();
  }
  if (!t)
    return {};
  const T *p = static_cast<const T *>(tessera_tensor_data(t));
  return std::vector<T>(p, p + tessera_tensor_element_count(t));
}

std::vector<int64_t> dimsOf(tessera_tensor_t t) {
  const int64_t *d = tessera_tensor_dims(t);
  return std::vector<int64_t>(d, d + tessera_tensor_rank(t));
}

/// Tests on the module of kManifest.
class GpuModuleTest : public ::testing::Test {
protected:
  virtual const char *manifest() const { return kManifest; }

  void SetUp() override {
    ASSERT_FALSE(kernelsPtx().empty()) << "cannot read " << TESSERA_TEST_PTX;
    module = load(makeGpuArtifact(manifest(), kernelsPtx()));
    ASSERT_NE(module, nullptr);
  }

  size_t function(const char *name) {
    size_t index = ~size_t(0);
    Outcome o = take(tessera_module_find_function(module.get(), name, &index));
    EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    return index;
  }

  /// Invokes `name` (synchronously, or asynchronously on the NULL stream).
  Outcome invoke(const char *name, const std::vector<tessera_tensor_t> &args,
                 std::vector<TensorPtr> &results, bool async = false) {
    size_t f = function(name);
    size_t count = tessera_function_result_count(module.get(), f);
    std::vector<tessera_tensor_t> raw(count,
                                      reinterpret_cast<tessera_tensor_t>(0x1));
    Outcome o =
        async ? take(tessera_module_invoke_async(module.get(), f, args.data(),
                                                 args.size(), raw.data(),
                                                 raw.size(), nullptr))
              : take(tessera_module_invoke(module.get(), f, args.data(),
                                           args.size(), raw.data(),
                                           raw.size()));
    results.clear();
    for (tessera_tensor_t t : raw) {
      if (o.code != TESSERA_STATUS_OK) {
        EXPECT_EQ(t, nullptr) << "a failed invoke returns no result";
      }
      results.emplace_back(o.code == TESSERA_STATUS_OK ? t : nullptr);
    }
    return o;
  }

  /// Invokes `function`, whose one tensor map is of argument 0 and whose
  /// kernel is tensor_map_bytes, with the fake driver's `encodes` hook:
  /// returns the map the encoder produced (once) after checking that the
  /// kernel received its 128 bytes, then the parameter `marker` after them.
  FakeTensorMap encodedMap(size_t (*encodes)(FakeTensorMap *),
                           const char *function,
                           const std::vector<tessera_tensor_t> &args,
                           int64_t marker);

  ModulePtr module;
};

/// Tests on the module of kManifestV2.
class GpuModuleV2Test : public GpuModuleTest {
protected:
  const char *manifest() const override { return kManifestV2; }
};

/// The entry point `name` of the loaded CUDA driver, or null (no driver
/// loaded, or one without it).
void *driverSymbol(const char *name) {
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (!handle)
    return nullptr;
  void *symbol = dlsym(handle, name);
  dlclose(handle);
  return symbol;
}

/// The live allocations of the fake driver (Inputs/fake_cuda.cpp), or null
/// when the real one (or none) is loaded.
size_t (*fakeLiveAllocations())() {
  return reinterpret_cast<size_t (*)()>(
      driverSymbol("fake_cuda_live_allocations"));
}

/// The tensor maps of the fake driver (fake_cuda.h), or null when the real
/// one (or none) is loaded.
size_t (*fakeTensorMaps())(FakeTensorMap *) {
  return reinterpret_cast<size_t (*)(FakeTensorMap *)>(
      driverSymbol("fake_cuda_tensor_maps"));
}

/// The device allocations of the fake driver (fake_cuda.h), or null when
/// the real one (or none) is loaded.
size_t (*fakeAllocations())(size_t, size_t *, size_t) {
  return reinterpret_cast<size_t (*)(size_t, size_t *, size_t)>(
      driverSymbol("fake_cuda_allocations"));
}

#define REQUIRE_CUDA()                                                         \
  do {                                                                         \
    if (!haveCudaDevice())                                                     \
      GTEST_SKIP() << "no CUDA device";                                        \
  } while (0)

/// A device whose driver encodes tensor maps (CUDA 12.0 or later).
#define REQUIRE_TENSOR_MAPS()                                                  \
  do {                                                                         \
    REQUIRE_CUDA();                                                            \
    if (!driverSymbol("cuTensorMapEncodeTiled"))                               \
      GTEST_SKIP() << "the CUDA driver lacks cuTensorMapEncodeTiled";          \
  } while (0)

void expectError(const Outcome &o, tessera_status_code_t code,
                 const std::string &message) {
  EXPECT_EQ(o.code, code) << tessera_status_code_name(o.code) << ": "
                          << o.message;
  EXPECT_NE(o.message.find(message), std::string::npos)
      << "message: " << o.message << "\nexpected to contain: " << message;
}
} // namespace

//===----------------------------------------------------------------------===//
// Without a device: loading, listing, checks before device work
//===----------------------------------------------------------------------===//

TEST_F(GpuModuleTest, LoadsAndListsWithoutCuda) {
  tessera_module_t m = module.get();
  EXPECT_STREQ(tessera_module_target(m), "sm_80");
  ASSERT_EQ(tessera_module_function_count(m), 15u);
  EXPECT_STREQ(tessera_module_function_name(m, 0), "add_one");
  size_t f = function("transpose");
  tessera_value_info_t info;
  ASSERT_EQ(tessera_function_result_info(m, f, 0, &info), nullptr);
  EXPECT_STREQ(info.name, "t");
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.symbols[0], 1);
  EXPECT_EQ(info.symbols[1], 0);
}

TEST(GpuModuleLoad, SectionsAndPlanErrors) {
  const std::string manifest = "tessera-manifest 1\ntarget sm_90a\nfunction f "
                               "-\nvariant always\nend\n";
  // A cubin alone is enough to load (it is only read on invoke).
  ModulePtr m = load(makeGpuArtifact(manifest, "", "not really a cubin"));
  EXPECT_STREQ(tessera_module_target(m.get()), "sm_90a");

  tessera_module_t out = reinterpret_cast<tessera_module_t>(0x1);
  std::vector<uint8_t> bytes = makeGpuArtifact(manifest, "");
  Outcome o =
      take(tessera_module_load_memory(bytes.data(), bytes.size(), &out));
  expectError(o, TESSERA_STATUS_INVALID_ARGUMENT,
              "the artifact for target sm_90a has no 'ptx' or 'cubin' "
              "section with code");
  EXPECT_EQ(out, nullptr);

  bytes = makeGpuArtifact("tessera-manifest 1\ntarget sm_80\nfunction f "
                          "-\nvariant always\nmemset x\nend\n",
                          kernelsPtx());
  o = take(tessera_module_load_memory(bytes.data(), bytes.size(), &out));
  expectError(o, TESSERA_STATUS_INVALID_ARGUMENT,
              "manifest line 5: memset of 'x', which is no result, buffer or "
              "view of function 'f'");
}

TEST_F(GpuModuleTest, ArgumentChecksComeFirst) {
  TensorPtr x = ramp(10);
  TensorPtr wrongRank = hostF32({2, 5}, std::vector<float>(10));
  std::vector<TensorPtr> results;
  expectError(invoke("add_one", {wrongRank.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_one': argument 0 ('x'): rank is 2, expected 1");
  TensorPtr b = ramp(11);
  expectError(invoke("add_both", {x.get(), b.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_both': argument 1 ('b'): dimension 0 is 11, but "
              "symbol s0 is 10 (from argument 0 ('a') dimension 0)");
  expectError(invoke("add_one", {}, results), TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_one' takes 1 argument, got 0");
}

TEST_F(GpuModuleTest, HostAndDeviceArgumentsDoNotMix) {
  TensorPtr host = ramp(10);
  TensorPtr device = fakeDevice(TESSERA_DTYPE_F32, {10});
  std::vector<TensorPtr> results;
  expectError(invoke("add_both", {host.get(), device.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_both': argument 0 ('a') is a host tensor and "
              "argument 1 ('b') a device tensor; pass every argument on the "
              "host or every one on the device");
  expectError(invoke("add_both", {device.get(), host.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "argument 1 ('b') is a host tensor and argument 0 ('a') a "
              "device tensor");
  expectError(invoke("add_one", {host.get()}, results, /*async=*/true),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_one': tessera_module_invoke_async takes device "
              "tensors, but argument 0 ('x') is a host tensor (copy it with "
              "tessera_tensor_copy_to)");
}

TEST_F(GpuModuleTest, GridsAndScalarsAreCheckedBeforeDeviceWork) {
  // Fake device arguments: these checks precede any CUDA call, so they give
  // the same answer with and without a GPU.
  TensorPtr big = fakeDevice(TESSERA_DTYPE_F32, {70000});
  auto which = [](int64_t n) { return fakeDevice(TESSERA_DTYPE_I8, {n}); };
  std::vector<TensorPtr> results;
  TensorPtr w1 = which(1), w2 = which(2), w3 = which(3), w4 = which(4),
            w5 = which(5);
  expectError(invoke("limits", {big.get(), w1.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'limits': launch 'fill': grid x 's0*s0' is "
              "4900000000, outside [0, 2147483647]");
  expectError(invoke("limits", {big.get(), w2.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'limits': launch 'fill': grid y 's0' is 70000, "
              "outside [0, 65535]");
  expectError(invoke("limits", {big.get(), w3.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'limits': launch 'fill': grid z 's0+1' is 70001, "
              "outside [0, 65535]");
  expectError(invoke("limits", {big.get(), w4.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'limits': launch 'fill': param 1 'i32:s0*s0' is "
              "4900000000, which does not fit in 32 bits");
  expectError(invoke("limits", {big.get(), w5.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'limits': launch 'fill': param 2 'i64:s0*s0*s0*s0': "
              "'s0*s0*s0*s0' overflows 64-bit integers (with s0=70000)");
  expectError(invoke("overflowing_condition", {big.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'overflowing_condition': variant 0 ('s0*s0*s0*s0 > "
              "1'): 's0*s0*s0*s0' overflows 64-bit integers (with s0=70000)");
}

TEST_F(GpuModuleTest, TensorMapRowsAreCheckedBeforeDeviceWork) {
  // TMA reads rows in 16-byte units: 7 bf16 elements are 14 bytes.
  TensorPtr a = fakeDevice(TESSERA_DTYPE_BF16, {4, 7});
  std::vector<TensorPtr> results;
  expectError(invoke("tensor_map_rank2", {a.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'tensor_map_rank2': launch 'tensor_map_bytes': param "
              "0 'tmap:a:64x128:128': the rows of the tensor are 14 bytes (7 "
              "bf16 elements), not a multiple of 16 (TMA reads rows in "
              "16-byte units)");
  TensorPtr b = fakeDevice(TESSERA_DTYPE_F16, {2, 3, 12});
  expectError(invoke("tensor_map_rank3", {b.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "param 0 'tmap:a:32x16x1:128': the rows of the tensor are 24 "
              "bytes (12 f16 elements)");
}

TEST_F(GpuModuleTest, WithoutCudaInvokeIsUnavailable) {
  if (haveCudaDevice())
    GTEST_SKIP() << "this machine has a CUDA device";
  TensorPtr x = ramp(10);
  std::vector<TensorPtr> results;
  Outcome o = invoke("add_one", {x.get()}, results);
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE) << o.message;
  EXPECT_EQ(o.message.rfind("function 'add_one': no CUDA device: ", 0), 0u)
      << o.message;
  TensorPtr device = fakeDevice(TESSERA_DTYPE_F32, {10});
  o = invoke("add_one", {device.get()}, results);
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE) << o.message;
  o = invoke("add_one", {device.get()}, results, /*async=*/true);
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE) << o.message;
  EXPECT_NE(o.message.find("no CUDA device: "), std::string::npos);
}

//===----------------------------------------------------------------------===//
// On a device
//===----------------------------------------------------------------------===//

TEST_F(GpuModuleTest, HostTensorsInHostTensorsOut) {
  REQUIRE_CUDA();
  TensorPtr x = ramp(1000); // not a multiple of the block
  std::vector<TensorPtr> results;
  Outcome o = invoke("add_one", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  ASSERT_NE(results[0], nullptr);
  EXPECT_EQ(tessera_tensor_device(results[0].get()), TESSERA_DEVICE_HOST);
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{1000}));
  std::vector<float> in = valuesOf<float>(x.get());
  std::vector<float> out = valuesOf<float>(results[0].get());
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], in[i] + 1.0f) << i;
}

TEST_F(GpuModuleTest, DeviceTensorsInDeviceTensorsOut) {
  REQUIRE_CUDA();
  TensorPtr a = ramp(300), b = ramp(300);
  TensorPtr da = copyTo(a.get(), TESSERA_DEVICE_CUDA);
  TensorPtr db = copyTo(b.get(), TESSERA_DEVICE_CUDA);
  for (bool async : {false, true}) {
    SCOPED_TRACE(async ? "async" : "sync");
    std::vector<TensorPtr> results;
    Outcome o = invoke("add_both", {da.get(), db.get()}, results, async);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    tessera_tensor_t y = results[0].get();
    EXPECT_EQ(tessera_tensor_device(y), TESSERA_DEVICE_CUDA);
    EXPECT_EQ(tessera_tensor_data(y), nullptr);
    EXPECT_NE(tessera_tensor_device_pointer(y), 0u);
    // copy_to runs on the legacy stream, after the async invoke's work.
    std::vector<float> out = valuesOf<float>(y);
    std::vector<float> in = valuesOf<float>(a.get());
    ASSERT_EQ(out.size(), 300u);
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(out[i], 2 * in[i] + 1.0f) << i;
  }
}

TEST_F(GpuModuleTest, InvokeIntoWritesCallerTensors) {
  REQUIRE_CUDA();
  auto live = fakeLiveAllocations();
  TensorPtr a = ramp(300), b = ramp(300);
  TensorPtr da = copyTo(a.get(), TESSERA_DEVICE_CUDA);
  TensorPtr db = copyTo(b.get(), TESSERA_DEVICE_CUDA);
  TensorPtr y = copyTo(ramp(300).get(), TESSERA_DEVICE_CUDA);
  size_t before = live ? live() : 0;
  std::vector<tessera_tensor_t> args = {da.get(), db.get()};
  tessera_tensor_t outputs[] = {y.get()};
  Outcome o = take(tessera_module_invoke_into(module.get(),
                                              function("add_both"),
                                              args.data(), 2, outputs, 1,
                                              nullptr));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  // Nothing was allocated for the result (the fake driver counts).
  if (live)
    EXPECT_EQ(live(), before);
  std::vector<float> out = valuesOf<float>(y.get());
  std::vector<float> in = valuesOf<float>(a.get());
  ASSERT_EQ(out.size(), 300u);
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], 2 * in[i] + 1.0f) << i;
}

TEST_F(GpuModuleTest, InvokeIntoChecksTheOutputs) {
  TensorPtr x = fakeDevice(TESSERA_DTYPE_F32, {10});
  TensorPtr wrongShape = fakeDevice(TESSERA_DTYPE_F32, {11});
  TensorPtr wrongDtype = fakeDevice(TESSERA_DTYPE_F16, {10});
  TensorPtr wrongRank = fakeDevice(TESSERA_DTYPE_F32, {10, 1});
  TensorPtr host = ramp(10);
  size_t f = function("add_one");
  auto into = [&](tessera_tensor_t output, size_t count = 1) {
    tessera_tensor_t args[] = {x.get()};
    tessera_tensor_t outputs[] = {output};
    return take(tessera_module_invoke_into(module.get(), f, args, 1, outputs,
                                           count, nullptr));
  };
  expectError(into(wrongShape.get()), TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'add_one': output 0 ('y'): dimension 0 is 11, but "
              "symbol s0 is 10 (from argument 0 ('x') dimension 0)");
  expectError(into(wrongRank.get()), TESSERA_STATUS_INVALID_ARGUMENT,
              "output 0 ('y'): rank is 2, expected 1");
  expectError(into(wrongDtype.get()), TESSERA_STATUS_INVALID_ARGUMENT,
              "output 0 ('y'): dtype is f16, expected f32");
  expectError(into(host.get()), TESSERA_STATUS_INVALID_ARGUMENT,
              "output 0 ('y') is a host tensor; results are written on the "
              "device");
  expectError(into(nullptr), TESSERA_STATUS_INVALID_ARGUMENT,
              "output 0 ('y') is NULL");
  expectError(into(x.get(), 2), TESSERA_STATUS_INVALID_ARGUMENT,
              "got room for 2");
  // The kernel would read x while writing it.
  expectError(into(x.get()), TESSERA_STATUS_INVALID_ARGUMENT,
              "output 0 ('y') overlaps argument 0 ('x') in device memory");
  tessera_tensor_t args[] = {x.get()};
  expectError(take(tessera_module_invoke_into(module.get(), f, args, 1,
                                              nullptr, 1, nullptr)),
              TESSERA_STATUS_INVALID_ARGUMENT, "'outputs' is NULL");
  // Host arguments are refused as for tessera_module_invoke_async.
  tessera_tensor_t hostArgs[] = {host.get()};
  tessera_tensor_t outputs[] = {x.get()};
  expectError(take(tessera_module_invoke_into(module.get(), f, hostArgs, 1,
                                              outputs, 1, nullptr)),
              TESSERA_STATUS_INVALID_ARGUMENT, "takes device tensors");
}

TEST_F(GpuModuleTest, VariantsFollowTheirConditions) {
  REQUIRE_CUDA();
  struct Case {
    int64_t n;
    float value;
  };
  for (Case c : {Case{1, 1}, Case{4, 1}, Case{5, 2}, Case{8, 2}, Case{9, 3},
                 Case{200, 3}}) {
    TensorPtr x = ramp(c.n);
    std::vector<TensorPtr> results;
    Outcome o = invoke("pick", {x.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    EXPECT_EQ(valuesOf<float>(results[0].get()),
              std::vector<float>(c.n, c.value))
        << "s0 = " << c.n;
  }
}

TEST_F(GpuModuleTest, MemsetZeroesATemporary) {
  REQUIRE_CUDA();
  TensorPtr x = ramp(777);
  std::vector<TensorPtr> results;
  Outcome o = invoke("twice_plus_one", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  std::vector<float> in = valuesOf<float>(x.get());
  std::vector<float> out = valuesOf<float>(results[0].get());
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], 2 * in[i] + 1.0f) << i;
}

TEST_F(GpuModuleTest, PoisonedResultsShowUnwrittenElements) {
  REQUIRE_CUDA();
  TensorPtr x = ramp(8);
  ASSERT_EQ(setenv("TESSERA_POISON_RESULTS", "1", 1), 0);
  for (bool onDevice : {false, true}) {
    SCOPED_TRACE(onDevice ? "device" : "host");
    TensorPtr dx = onDevice ? copyTo(x.get(), TESSERA_DEVICE_CUDA) : nullptr;
    std::vector<TensorPtr> results;
    Outcome o =
        invoke("first_only", {onDevice ? dx.get() : x.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    std::vector<uint32_t> bits = valuesOf<uint32_t>(results[0].get());
    ASSERT_EQ(bits.size(), 8u);
    float first;
    std::memcpy(&first, &bits[0], 4);
    EXPECT_EQ(first, -3.0f + 1.0f);
    for (size_t i = 1; i < 8; ++i)
      EXPECT_EQ(bits[i], 0xffffffffu) << i;
  }
  unsetenv("TESSERA_POISON_RESULTS");
}

TEST_F(GpuModuleTest, LaunchesWithAnEmptyGridAreSkipped) {
  REQUIRE_CUDA();
  TensorPtr x = ramp(100);
  std::vector<TensorPtr> results;
  Outcome o = invoke("skipped", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(valuesOf<float>(results[0].get()), std::vector<float>(100, 0.0f));

  // Empty tensors: cdiv(0,128) blocks, no memory, an empty result.
  TensorPtr empty = ramp(0);
  for (bool onDevice : {false, true}) {
    TensorPtr arg =
        onDevice ? copyTo(empty.get(), TESSERA_DEVICE_CUDA) : nullptr;
    o = invoke("add_one", {onDevice ? arg.get() : empty.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{0}));
  }
}

TEST_F(GpuModuleTest, RankTwoDescriptorsCarrySizesAndStrides) {
  REQUIRE_CUDA();
  const int64_t rows = 37, cols = 53;
  std::vector<float> values(rows * cols);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i);
  TensorPtr a = hostF32({rows, cols}, values);
  std::vector<TensorPtr> results;
  Outcome o = invoke("transpose", {a.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{cols, rows}));
  std::vector<float> t = valuesOf<float>(results[0].get());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      ASSERT_EQ(t[j * rows + i], values[i * cols + j]) << i << ", " << j;
}

TEST_F(GpuModuleTest, KernelParametersFollowTheSpec) {
  REQUIRE_CUDA();
  TensorPtr m = hostF32({3, 5}, std::vector<float>(15, 0.0f));
  std::vector<TensorPtr> results;
  Outcome o = invoke("describe", {m.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(tessera_tensor_dtype(results[0].get()), TESSERA_DTYPE_I64);
  // allocated == aligned, offset 0, sizes 3 5, strides 5 1, i32 3*5+3,
  // i64 3e12.
  EXPECT_EQ(valuesOf<int64_t>(results[0].get()),
            (std::vector<int64_t>{1, 0, 3, 5, 5, 1, 18, 3000000000000}));
}

TEST_F(GpuModuleTest, TensorMapsReachTheKernel) {
  REQUIRE_TENSOR_MAPS();
  // The kernel writes the 128 bytes it received, then the parameter after
  // them. What the bytes say is the driver's business (see
  // TensorMapsFollowTheSpec for the fake driver's).
  TensorPtr a2 = hostTensor(TESSERA_DTYPE_BF16, {100, 200},
                            std::vector<uint16_t>(100 * 200).data());
  TensorPtr a3 = hostTensor(TESSERA_DTYPE_F16, {3, 40, 64},
                            std::vector<uint16_t>(3 * 40 * 64).data());
  TensorPtr d2 = copyTo(a2.get(), TESSERA_DEVICE_CUDA);
  TensorPtr d3 = copyTo(a3.get(), TESSERA_DEVICE_CUDA);
  struct Case {
    const char *function;
    tessera_tensor_t arg;
    int64_t marker;
  };
  for (Case c : {Case{"tensor_map_rank2", a2.get(), 100200},
                 Case{"tensor_map_rank2", d2.get(), 100200},
                 Case{"tensor_map_rank3", a3.get(), 64},
                 Case{"tensor_map_rank3", d3.get(), 64}}) {
    SCOPED_TRACE(c.function);
    std::vector<TensorPtr> results;
    Outcome o = invoke(c.function, {c.arg}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    std::vector<int64_t> words = valuesOf<int64_t>(results[0].get());
    ASSERT_EQ(words.size(), 17u);
    EXPECT_NE(words, std::vector<int64_t>(17, 0));
    EXPECT_EQ(words[16], c.marker);
  }
}

TEST_F(GpuModuleTest, EmptyTensorsGetZeroTensorMaps) {
  REQUIRE_TENSOR_MAPS();
  auto encodes = fakeTensorMaps();
  size_t before = encodes ? encodes(nullptr) : 0;
  for (std::vector<int64_t> dims : {std::vector<int64_t>{0, 64},
                                    std::vector<int64_t>{5, 0}}) {
    TensorPtr a = hostTensor(TESSERA_DTYPE_BF16, dims);
    std::vector<TensorPtr> results;
    Outcome o = invoke("tensor_map_rank2", {a.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    std::vector<int64_t> expected(17, 0);
    expected[16] = dims[0] * 1000 + dims[1];
    EXPECT_EQ(valuesOf<int64_t>(results[0].get()), expected);
  }
  if (encodes) {
    EXPECT_EQ(encodes(nullptr), before) << "no encode for an empty tensor";
  }
}

TEST_F(GpuModuleTest, AMisalignedTensorMapIsAnError) {
  REQUIRE_TENSOR_MAPS();
  // A view 8 bytes into a device tensor: its rows are 144 bytes, but TMA
  // also needs the base 16-byte aligned.
  TensorPtr a = hostTensor(TESSERA_DTYPE_BF16, {4, 72},
                           std::vector<uint16_t>(4 * 72).data());
  TensorPtr d = copyTo(a.get(), TESSERA_DEVICE_CUDA);
  uint64_t base = tessera_tensor_device_pointer(d.get()) + 8;
  tessera_tensor_t view = nullptr;
  int64_t dims[2] = {3, 72};
  ASSERT_EQ(take(tessera_tensor_wrap_device(TESSERA_DTYPE_BF16, 2, dims, base,
                                            &view))
                .code,
            TESSERA_STATUS_OK);
  TensorPtr viewPtr(view);
  std::vector<TensorPtr> results;
  char address[32];
  std::snprintf(address, sizeof(address), "0x%llx",
                static_cast<unsigned long long>(base));
  expectError(invoke("tensor_map_rank2", {view}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              std::string("function 'tensor_map_rank2': launch "
                          "'tensor_map_bytes': param 0 'tmap:a:64x128:128': "
                          "the device address ") +
                  address +
                  " is not a multiple of 16 (TMA needs 16-byte aligned "
                  "tensors)");
}

TEST_F(GpuModuleTest, AFailingTensorMapEncodeIsAStatus) {
  REQUIRE_TENSOR_MAPS();
  // TMA sizes stop at 2^32 elements; the fake argument is never read.
  TensorPtr a = fakeDevice(TESSERA_DTYPE_BF16, {2, int64_t(1) << 33});
  std::vector<TensorPtr> results;
  expectError(invoke("tensor_map_rank2", {a.get()}, results),
              TESSERA_STATUS_INTERNAL,
              "function 'tensor_map_rank2': launch 'tensor_map_bytes': param 0 "
              "'tmap:a:64x128:128': cuTensorMapEncodeTiled: "
              "CUDA_ERROR_INVALID_VALUE");
}

TEST_F(GpuModuleTest, WithoutTheEncoderTensorMapLaunchesFail) {
  REQUIRE_CUDA();
  if (driverSymbol("cuTensorMapEncodeTiled"))
    GTEST_SKIP() << "the CUDA driver has cuTensorMapEncodeTiled";
  TensorPtr a = hostTensor(TESSERA_DTYPE_BF16, {4, 64},
                           std::vector<uint16_t>(4 * 64).data());
  std::vector<TensorPtr> results;
  expectError(invoke("tensor_map_rank2", {a.get()}, results),
              TESSERA_STATUS_UNAVAILABLE,
              "function 'tensor_map_rank2': launch 'tensor_map_bytes': param 0 "
              "'tmap:a:64x128:128': the CUDA driver lacks "
              "cuTensorMapEncodeTiled (tensor maps need CUDA 12.0 or later)");
  // Launches without a tensor map still run.
  TensorPtr x = ramp(3);
  Outcome o = invoke("add_one", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(valuesOf<float>(results[0].get()),
            (std::vector<float>{-2.0f, -1.5f, -1.0f}));
}

TEST_F(GpuModuleTest, DynamicSharedMemoryAbove48KiB) {
  REQUIRE_CUDA();
  TensorPtr x = ramp(1000);
  std::vector<TensorPtr> results;
  Outcome o = invoke("smem_double", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  std::vector<float> in = valuesOf<float>(x.get());
  std::vector<float> out = valuesOf<float>(results[0].get());
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], 2 * in[i]) << i;
}

TEST_F(GpuModuleTest, RankZeroResult) {
  REQUIRE_CUDA();
  TensorPtr x = hostF32({4}, {1.5f, 2.5f, 3.0f, -1.0f});
  std::vector<TensorPtr> results;
  Outcome o = invoke("sum", {x.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(tessera_tensor_rank(results[0].get()), 0);
  EXPECT_EQ(valuesOf<float>(results[0].get()), (std::vector<float>{6.0f}));
}

TEST_F(GpuModuleTest, OutOfMemoryResultIsAStatus) {
  REQUIRE_CUDA();
  // 2^48 f32 elements: a 1 PiB result (of a function launching one block).
  // The fake argument is never read.
  TensorPtr huge = fakeDevice(TESSERA_DTYPE_F32, {int64_t(1) << 48});
  std::vector<TensorPtr> results;
  Outcome o = invoke("first_only", {huge.get()}, results);
  expectError(o, TESSERA_STATUS_OUT_OF_MEMORY,
              "function 'first_only': result 0 ('y'): cuMemAlloc_v2("
              "1125899906842624 bytes): CUDA_ERROR_OUT_OF_MEMORY");
  // The module still works.
  TensorPtr x = ramp(3);
  ASSERT_EQ(invoke("add_one", {x.get()}, results).code, TESSERA_STATUS_OK);
}

TEST_F(GpuModuleTest, ConcurrentInvokes) {
  REQUIRE_CUDA();
  // Several threads race to the first invoke (the lazy load) and share the
  // module and its streams from then on.
  constexpr int kThreads = 8, kRuns = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      size_t f = function("add_one");
      for (int r = 0; r < kRuns; ++r) {
        int64_t n = 64 + 37 * t + r;
        std::vector<float> values(n, static_cast<float>(t * 1000 + r));
        TensorPtr x = hostF32({n}, values);
        bool onDevice = r % 2 == 1;
        TensorPtr dx =
            onDevice ? copyTo(x.get(), TESSERA_DEVICE_CUDA) : nullptr;
        tessera_tensor_t arg = onDevice ? dx.get() : x.get();
        tessera_tensor_t y = nullptr;
        tessera_status_t s =
            tessera_module_invoke(module.get(), f, &arg, 1, &y, 1);
        TensorPtr result(y);
        if (s) {
          tessera_status_free(s);
          ++failures[t];
          continue;
        }
        std::vector<float> out = valuesOf<float>(y);
        if (out != std::vector<float>(n, values[0] + 1.0f))
          ++failures[t];
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

//===----------------------------------------------------------------------===//
// Code that does not load or launch
//===----------------------------------------------------------------------===//

TEST(GpuModuleCode, AMissingKernelIsReportedOnInvoke) {
  REQUIRE_CUDA();
  ModulePtr m = load(makeGpuArtifact(
      "tessera-manifest 1\ntarget sm_80\nfunction f -\narg x f32 4\nresult y "
      "f32 4\nvariant always\nlaunch no_such_kernel grid 1 1 1 block 1 1 1 "
      "smem 0 params memref:y\nend\n",
      kernelsPtx()));
  TensorPtr x = ramp(4);
  tessera_tensor_t arg = x.get(), y = nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) { // the failure is cached
    Outcome o = take(tessera_module_invoke(m.get(), 0, &arg, 1, &y, 1));
    expectError(o, TESSERA_STATUS_INTERNAL,
                "function 'f': cuModuleGetFunction(no_such_kernel): "
                "CUDA_ERROR_NOT_FOUND (the code lacks a kernel the manifest "
                "launches)");
    EXPECT_EQ(y, nullptr);
  }
}

TEST(GpuModuleCode, InvalidPtxIsReportedOnInvoke) {
  REQUIRE_CUDA();
  ModulePtr m = load(makeGpuArtifact(
      "tessera-manifest 1\ntarget sm_80\nfunction f -\narg x f32 4\nresult y "
      "f32 4\nvariant always\nlaunch k grid 1 1 1 block 1 1 1 smem 0 params "
      "memref:y\nend\n",
      ".version 7.0\n.target sm_80\n.address_size 64\nthis is not ptx\n"));
  TensorPtr x = ramp(4);
  tessera_tensor_t arg = x.get(), y = nullptr;
  Outcome o = take(tessera_module_invoke(m.get(), 0, &arg, 1, &y, 1));
  EXPECT_NE(o.code, TESSERA_STATUS_OK);
  EXPECT_EQ(o.message.rfind("function 'f': cuModuleLoadDataEx(ptx): "
                            "CUDA_ERROR_",
                            0),
            0u)
      << o.message;
}

TEST(GpuModuleCode, AnUnloadableCubinFallsBackToThePtx) {
  REQUIRE_CUDA();
  ModulePtr m = load(makeGpuArtifact(kManifest, kernelsPtx(),
                                     "not a cubin at all, just bytes"));
  TensorPtr x = ramp(5);
  tessera_tensor_t arg = x.get(), y = nullptr;
  Outcome o = take(tessera_module_invoke(m.get(), 0, &arg, 1, &y, 1));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  TensorPtr result(y);
  EXPECT_EQ(valuesOf<float>(y),
            (std::vector<float>{-2.0f, -1.5f, -1.0f, -0.5f, 0.0f}));
}

TEST(GpuModuleCode, SharedMemoryBeyondTheDeviceIsReportedOnLaunch) {
  REQUIRE_CUDA();
  // No GPU offers 1 MiB of shared memory per block: raising the kernel's
  // limit fails, and the launch that needs it says so.
  ModulePtr m = load(makeGpuArtifact(
      "tessera-manifest 1\ntarget sm_80\nfunction f -\narg x f32 4\nresult y "
      "f32 4\nvariant always\nlaunch fill grid 1 1 1 block 4 1 1 smem 1048576 "
      "params memref:y i32:1 i64:4\nend\n",
      kernelsPtx()));
  TensorPtr x = ramp(4);
  tessera_tensor_t arg = x.get(), y = nullptr;
  Outcome o = take(tessera_module_invoke(m.get(), 0, &arg, 1, &y, 1));
  expectError(o, TESSERA_STATUS_INTERNAL,
              "function 'f': cuFuncSetAttribute(fill, "
              "CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 1048576): "
              "CUDA_ERROR_INVALID_VALUE");
}

//===----------------------------------------------------------------------===//
// With the fake driver only
//===----------------------------------------------------------------------===//

TEST_F(GpuModuleTest, NoDeviceMemoryOutlivesItsTensors) {
  REQUIRE_CUDA();
  auto live = fakeLiveAllocations();
  if (!live)
    GTEST_SKIP() << "needs the fake CUDA driver to count allocations";
  size_t before = live();
  {
    TensorPtr x = ramp(100);
    TensorPtr dx = copyTo(x.get(), TESSERA_DEVICE_CUDA);
    EXPECT_EQ(live(), before + 1);
    std::vector<TensorPtr> results;
    // Host mode: argument, result and buffer copies are all freed.
    ASSERT_EQ(invoke("twice_plus_one", {x.get()}, results).code,
              TESSERA_STATUS_OK);
    EXPECT_EQ(live(), before + 1);
    // Device mode: the result lives until released, the buffer does not.
    ASSERT_EQ(invoke("twice_plus_one", {dx.get()}, results).code,
              TESSERA_STATUS_OK);
    EXPECT_EQ(live(), before + 2);
    ASSERT_EQ(invoke("twice_plus_one", {dx.get()}, results, true).code,
              TESSERA_STATUS_OK);
    EXPECT_EQ(live(), before + 2); // the previous result was released
    results.clear();
    EXPECT_EQ(live(), before + 1);
    // Failures free what they allocated.
    TensorPtr huge = fakeDevice(TESSERA_DTYPE_F32, {int64_t(1) << 48});
    EXPECT_EQ(invoke("add_both", {dx.get(), dx.get()}, results).code,
              TESSERA_STATUS_OK);
    results.clear();
    EXPECT_EQ(invoke("first_only", {huge.get()}, results).code,
              TESSERA_STATUS_OUT_OF_MEMORY);
    // Host mode: the result (2^48 elements) cannot be allocated after the
    // argument's device copy was.
    TensorPtr side = ramp(1 << 16);
    Outcome o = invoke("cube", {side.get()}, results);
    expectError(o, TESSERA_STATUS_OUT_OF_MEMORY,
                "function 'cube': result 0 ('y'): cannot allocate "
                "1125899906842624 bytes");
    EXPECT_EQ(live(), before + 1);
    EXPECT_EQ(live(), before + 1);
  }
  EXPECT_EQ(live(), before);
}

TEST(GpuModuleCode, Sm90aRunsOnlyOnComputeCapability90) {
  REQUIRE_CUDA();
  if (!fakeLiveAllocations())
    GTEST_SKIP() << "needs the fake CUDA driver to pretend to be an sm_80";
  std::string manifest = kManifest;
  manifest.replace(manifest.find("target sm_80"), 12, "target sm_90a");
  ModulePtr m = load(makeGpuArtifact(manifest, kernelsPtx()));
  TensorPtr x = ramp(4);
  tessera_tensor_t arg = x.get(), y = nullptr;
  ASSERT_EQ(setenv("FAKE_CUDA_CC", "80", 1), 0);
  Outcome o = take(tessera_module_invoke(m.get(), 0, &arg, 1, &y, 1));
  unsetenv("FAKE_CUDA_CC");
  expectError(o, TESSERA_STATUS_UNAVAILABLE,
              "function 'add_one': the code is compiled for sm_90a, which "
              "runs only on devices of compute capability 9.0; device 0 has "
              "8.0");
}

FakeTensorMap GpuModuleTest::encodedMap(
    size_t (*encodes)(FakeTensorMap *), const char *function,
    const std::vector<tessera_tensor_t> &args, int64_t marker) {
  FakeTensorMap map = {};
  size_t before = encodes(nullptr);
  std::vector<TensorPtr> results;
  Outcome o = invoke(function, args, results);
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  if (o.code != TESSERA_STATUS_OK)
    return map;
  EXPECT_EQ(encodes(&map), before + 1);
  std::vector<int64_t> words = valuesOf<int64_t>(results[0].get());
  EXPECT_EQ(words.size(), 17u);
  if (words.size() == 17u) {
    EXPECT_EQ(std::memcmp(words.data(), &map, sizeof(map)), 0)
        << "the kernel received other bytes than the encoder wrote";
    EXPECT_EQ(words[16], marker);
  }
  EXPECT_EQ(map.globalAddress, tessera_tensor_device_pointer(args[0]));
  // Every map is tiled, unswizzled in memory, promoted to L2 in 256-byte
  // lines and filled with zeros out of bounds.
  EXPECT_EQ(map.interleave, 0);  // CU_TENSOR_MAP_INTERLEAVE_NONE
  EXPECT_EQ(map.l2Promotion, 3); // CU_TENSOR_MAP_L2_PROMOTION_L2_256B
  EXPECT_EQ(map.oobFill, 0);     // CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE
  return map;
}

namespace {
std::vector<uint64_t> dimsOf(const uint64_t *d) {
  return std::vector<uint64_t>(d, d + 5);
}
std::vector<uint64_t> stridesOf(const FakeTensorMap &m) {
  return std::vector<uint64_t>(m.globalStrides, m.globalStrides + 4);
}
std::vector<uint32_t> boxOf(const uint32_t *b) {
  return std::vector<uint32_t>(b, b + 5);
}
} // namespace

TEST_F(GpuModuleTest, TensorMapsFollowTheSpec) {
  REQUIRE_TENSOR_MAPS();
  auto encodes = fakeTensorMaps();
  if (!encodes)
    GTEST_SKIP() << "needs the fake CUDA driver to see the encoder's "
                    "arguments";
  TensorPtr a2 = hostTensor(TESSERA_DTYPE_BF16, {100, 200},
                            std::vector<uint16_t>(100 * 200).data());
  TensorPtr a3 = hostTensor(TESSERA_DTYPE_F16, {3, 40, 64},
                            std::vector<uint16_t>(3 * 40 * 64).data());
  TensorPtr d2 = copyTo(a2.get(), TESSERA_DEVICE_CUDA);
  TensorPtr d3 = copyTo(a3.get(), TESSERA_DEVICE_CUDA);

  // Version-1 maps: box {inner, outer, 1}, swizzled 128B in shared memory;
  // unused dimensions stay 0.
  FakeTensorMap m = encodedMap(encodes, "tensor_map_rank2", {d2.get()}, 100200);
  EXPECT_EQ(m.dataType, 9); // CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
  EXPECT_EQ(m.rank, 2);
  EXPECT_EQ(dimsOf(m.globalDim), (std::vector<uint64_t>{200, 100, 0, 0, 0}));
  EXPECT_EQ(stridesOf(m), (std::vector<uint64_t>{400, 0, 0, 0}));
  EXPECT_EQ(boxOf(m.boxDim), (std::vector<uint32_t>{64, 128, 0, 0, 0}));
  EXPECT_EQ(boxOf(m.elementStrides), (std::vector<uint32_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(m.swizzle, 3); // CU_TENSOR_MAP_SWIZZLE_128B

  m = encodedMap(encodes, "tensor_map_rank3", {d3.get()}, 64);
  EXPECT_EQ(m.dataType, 6); // CU_TENSOR_MAP_DATA_TYPE_FLOAT16
  EXPECT_EQ(m.rank, 3);
  EXPECT_EQ(dimsOf(m.globalDim), (std::vector<uint64_t>{64, 40, 3, 0, 0}));
  EXPECT_EQ(stridesOf(m), (std::vector<uint64_t>{128, 5120, 0, 0}));
  EXPECT_EQ(boxOf(m.boxDim), (std::vector<uint32_t>{32, 16, 1, 0, 0}));
  EXPECT_EQ(boxOf(m.elementStrides), (std::vector<uint32_t>{1, 1, 1, 0, 0}));
  EXPECT_EQ(m.swizzle, 3);
}

//===----------------------------------------------------------------------===//
// Manifest version 2
//===----------------------------------------------------------------------===//

TEST_F(GpuModuleV2Test, LoadsAndListsWithoutCuda) {
  tessera_module_t m = module.get();
  EXPECT_STREQ(tessera_module_target(m), "sm_80");
  ASSERT_EQ(tessera_module_function_count(m), 13u);
  EXPECT_STREQ(tessera_module_function_name(m, 0), "tensor_map_rank4");
  // Buffers are not part of the signature.
  size_t f = function("split_kv");
  EXPECT_EQ(tessera_function_arg_count(m, f), 1u);
  EXPECT_EQ(tessera_function_result_count(m, f), 1u);
}

TEST_F(GpuModuleV2Test, BufferSizesAreCheckedBeforeDeviceWork) {
  TensorPtr big = fakeDevice(TESSERA_DTYPE_F32, {70000});
  TensorPtr none = fakeDevice(TESSERA_DTYPE_F32, {0});
  std::vector<TensorPtr> results;
  expectError(invoke("buffer_overflow", {big.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'buffer_overflow': buffer 't0': dimension 1 "
              "'(s0*s0*s0*s0)': 's0*s0*s0*s0' overflows 64-bit integers (with "
              "s0=70000)");
  expectError(invoke("buffer_division", {none.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'buffer_division': buffer 't0': dimension 0 "
              "'(cdiv(64,s0))': 'cdiv(64,s0)' divides by zero (with s0=0)");
  expectError(invoke("buffer_too_big", {big.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'buffer_too_big': buffer 't0': a f32 tensor of dims "
              "[4900000000, 4900000000] has more bytes than fit in memory "
              "(overflow)");
}

TEST_F(GpuModuleV2Test, OnlyTheChosenVariantsBuffersAreAllocated) {
  REQUIRE_CUDA();
  // Buffer t0 (s0 x 256 TiB) belongs to the second variant only: the first
  // runs without it, the second cannot allocate it.
  TensorPtr small = fakeDevice(TESSERA_DTYPE_F32, {3});
  std::vector<TensorPtr> results;
  Outcome o = invoke("variant_buffers", {small.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(valuesOf<float>(results[0].get()), std::vector<float>(4, 1.0f));
  TensorPtr large = fakeDevice(TESSERA_DTYPE_F32, {5});
  expectError(invoke("variant_buffers", {large.get()}, results),
              TESSERA_STATUS_OUT_OF_MEMORY,
              "function 'variant_buffers': buffer 't0'");
}

TEST_F(GpuModuleV2Test, ConditionTermsAreEvaluatedUpToTheFirstFalseOne) {
  // Variant 0 fails on its first term, so its second does not overflow;
  // variant 1's first term holds and its second overflows.
  TensorPtr big = fakeDevice(TESSERA_DTYPE_F32, {70000});
  std::vector<TensorPtr> results;
  expectError(invoke("condition_terms", {big.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'condition_terms': variant 1 ('s0 >= 1 and "
              "s0*s0*s0*s0 > 1'): 's0*s0*s0*s0' overflows 64-bit integers "
              "(with s0=70000)");
}

TEST_F(GpuModuleV2Test, RankFourTensorMapRowsAreChecked) {
  TensorPtr a = fakeDevice(TESSERA_DTYPE_BF16, {2, 3, 4, 7});
  std::vector<TensorPtr> results;
  expectError(invoke("tensor_map_rank4_rows", {a.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'tensor_map_rank4_rows': launch 'tensor_map_bytes': "
              "param 0 'tmap:a:8x8x2x1:128': the rows of the tensor are 14 "
              "bytes (7 bf16 elements), not a multiple of 16");
}

TEST_F(GpuModuleV2Test, TwoTermConditionsSelectTheVariant) {
  REQUIRE_CUDA();
  struct Case {
    int64_t s0, s1;
    int64_t variant;
  };
  for (Case c : {Case{2, 8, 1}, Case{4, 100, 1}, Case{2, 4, 2}, Case{5, 8, 3},
                 Case{8, 2, 3}}) {
    SCOPED_TRACE(std::to_string(c.s0) + "x" + std::to_string(c.s1));
    TensorPtr q = hostF32({c.s0, c.s1}, std::vector<float>(c.s0 * c.s1));
    std::vector<TensorPtr> results;
    Outcome o = invoke("split_kv", {q.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    std::vector<int64_t> d = valuesOf<int64_t>(results[0].get());
    ASSERT_EQ(d.size(), 8u);
    EXPECT_EQ(d[6], c.variant);
  }
}

TEST_F(GpuModuleV2Test, ExpressionSizedBuffersAreAllocatedAndDescribed) {
  REQUIRE_CUDA();
  struct Case {
    int64_t s0, s1;
    int64_t splits; // max(min(cdiv(132,s0*8),16),1)
  };
  auto allocations = fakeAllocations();
  for (Case c : {Case{2, 8, 9}, Case{1, 8, 16}, Case{4, 33, 5}}) {
    SCOPED_TRACE(std::to_string(c.s0) + "x" + std::to_string(c.s1));
    TensorPtr q = hostF32({c.s0, c.s1}, std::vector<float>(c.s0 * c.s1));
    TensorPtr dq = copyTo(q.get(), TESSERA_DEVICE_CUDA);
    size_t before = allocations ? allocations(0, nullptr, 0) : 0;
    std::vector<TensorPtr> results;
    Outcome o = invoke("split_kv", {dq.get()}, results);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    // t0's descriptor: allocated == aligned, offset 0, sizes {splits, s1},
    // strides {s1, 1}; the variant and the split count. The fill kernel
    // wrote every element of t1 (splits * s1 + 1 of them): the fake driver
    // fails a launch that writes outside an allocation.
    EXPECT_EQ(
        valuesOf<int64_t>(results[0].get()),
        (std::vector<int64_t>{1, 0, c.splits, c.s1, c.s1, 1, 1, c.splits}));
    if (!allocations)
      continue;
    // The result, then t0 and t1.
    size_t sizes[3] = {};
    ASSERT_EQ(allocations(before, sizes, 3), before + 3);
    EXPECT_EQ(sizes[0], 8u * sizeof(int64_t));
    EXPECT_EQ(sizes[1], size_t(c.splits * c.s1) * sizeof(float));
    EXPECT_EQ(sizes[2], size_t(c.splits * c.s1 + 1) * sizeof(float));
  }
}

TEST_F(GpuModuleV2Test, TensorMapsOfRank1And4AndEverySwizzle) {
  REQUIRE_TENSOR_MAPS();
  auto encodes = fakeTensorMaps();
  if (!encodes)
    GTEST_SKIP() << "needs the fake CUDA driver to see the encoder's "
                    "arguments";
  // [B, H, S, D] = [2, 3, 40, 64] with a box of 64 x 128 x 1 x 1.
  TensorPtr a4 = hostTensor(TESSERA_DTYPE_BF16, {2, 3, 40, 64},
                            std::vector<uint16_t>(2 * 3 * 40 * 64).data());
  TensorPtr d4 = copyTo(a4.get(), TESSERA_DEVICE_CUDA);
  FakeTensorMap m = encodedMap(encodes, "tensor_map_rank4", {d4.get()}, 64);
  EXPECT_EQ(m.dataType, 9); // CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
  EXPECT_EQ(m.rank, 4);
  EXPECT_EQ(dimsOf(m.globalDim), (std::vector<uint64_t>{64, 40, 3, 2, 0}));
  EXPECT_EQ(stridesOf(m), (std::vector<uint64_t>{128, 5120, 15360, 0}));
  EXPECT_EQ(boxOf(m.boxDim), (std::vector<uint32_t>{64, 128, 1, 1, 0}));
  EXPECT_EQ(boxOf(m.elementStrides), (std::vector<uint32_t>{1, 1, 1, 1, 0}));
  EXPECT_EQ(m.swizzle, 3); // CU_TENSOR_MAP_SWIZZLE_128B

  TensorPtr a1 =
      hostTensor(TESSERA_DTYPE_F16, {256}, std::vector<uint16_t>(256).data());
  TensorPtr d1 = copyTo(a1.get(), TESSERA_DEVICE_CUDA);
  m = encodedMap(encodes, "tensor_map_rank1", {d1.get()}, 256);
  EXPECT_EQ(m.dataType, 6); // CU_TENSOR_MAP_DATA_TYPE_FLOAT16
  EXPECT_EQ(m.rank, 1);
  EXPECT_EQ(dimsOf(m.globalDim), (std::vector<uint64_t>{256, 0, 0, 0, 0}));
  EXPECT_EQ(stridesOf(m), (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(boxOf(m.boxDim), (std::vector<uint32_t>{64, 0, 0, 0, 0}));

  // f32 [4, 64]: the swizzle follows the param (its span in bytes is the
  // marker); CU_TENSOR_MAP_SWIZZLE_NONE/32B/64B/128B are 0 to 3.
  TensorPtr a = hostF32({4, 64}, std::vector<float>(4 * 64));
  TensorPtr da = copyTo(a.get(), TESSERA_DEVICE_CUDA);
  struct Case {
    int64_t which, span;
    uint8_t swizzle;
    std::vector<uint32_t> box;
  };
  for (const Case &c :
       {Case{1, 32, 1, {8, 4, 0, 0, 0}}, Case{2, 64, 2, {16, 4, 0, 0, 0}},
        Case{3, 0, 0, {64, 2, 0, 0, 0}}, Case{4, 128, 3, {32, 2, 0, 0, 0}}}) {
    SCOPED_TRACE(c.span);
    TensorPtr which = hostTensor(TESSERA_DTYPE_I8, {c.which});
    TensorPtr dwhich = copyTo(which.get(), TESSERA_DEVICE_CUDA);
    m = encodedMap(encodes, "tensor_map_swizzles", {da.get(), dwhich.get()},
                   c.span);
    EXPECT_EQ(m.dataType, 7); // CU_TENSOR_MAP_DATA_TYPE_FLOAT32
    EXPECT_EQ(m.swizzle, c.swizzle);
    EXPECT_EQ(dimsOf(m.globalDim), (std::vector<uint64_t>{64, 4, 0, 0, 0}));
    EXPECT_EQ(stridesOf(m), (std::vector<uint64_t>{256, 0, 0, 0}));
    EXPECT_EQ(boxOf(m.boxDim), c.box);
  }
}

TEST_F(GpuModuleV2Test, ViewSizesAreCheckedBeforeDeviceWork) {
  // v0 (3 x s0 x 8 x 1) has 96 elements where t0 (s0 * s1) has 128. The
  // fake argument is never read.
  auto allocations = fakeAllocations();
  size_t before = allocations ? allocations(0, nullptr, 0) : 0;
  TensorPtr x = fakeDevice(TESSERA_DTYPE_F32, {4, 32});
  std::vector<TensorPtr> results;
  expectError(invoke("view_mismatch", {x.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'view_mismatch': view 'v0' of 't0' has 96 elements, "
              "'t0' has 128");
  if (allocations) {
    EXPECT_EQ(allocations(0, nullptr, 0), before) << "no device work";
  }
  // A view's sizes are checked as a buffer's.
  TensorPtr big = fakeDevice(TESSERA_DTYPE_F32, {int64_t(1) << 62, 0});
  expectError(invoke("view_mismatch", {big.get()}, results),
              TESSERA_STATUS_INVALID_ARGUMENT,
              "function 'view_mismatch': view 'v0': a f32 tensor of dims [3, "
              "4611686018427387904, 8, 1] has more bytes than fit in memory");
}

TEST_F(GpuModuleV2Test, ViewsShareTheStorageOfTheirBase) {
  REQUIRE_TENSOR_MAPS();
  // t0 is written through memref:t0 (rank 1) and read through its view v0
  // (rank 4): one device pointer, v0's sizes and row-major strides, in the
  // memref descriptor and in the tensor map. The descriptor is written
  // through a rank-1 view of the result d (1 x 13).
  const int64_t dims[4] = {2, 3, 5, 8};
  TensorPtr x = hostF32({2, 3, 5, 8}, std::vector<float>(240));
  TensorPtr dx = copyTo(x.get(), TESSERA_DEVICE_CUDA);
  auto allocations = fakeAllocations();
  size_t before = allocations ? allocations(0, nullptr, 0) : 0;
  auto encodes = fakeTensorMaps();
  size_t encodesBefore = encodes ? encodes(nullptr) : 0;
  std::vector<TensorPtr> results;
  Outcome o = invoke("view_of_buffer", {dx.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{1, 13}));
  std::vector<int64_t> d = valuesOf<int64_t>(results[0].get());
  ASSERT_EQ(d.size(), 13u);
  // Same pointer as t0, allocated == aligned, offset 0, sizes, strides, the
  // pointer, the last element (written as t0's).
  EXPECT_EQ(std::vector<int64_t>(d.begin(), d.begin() + 11),
            (std::vector<int64_t>{1, 1, 0, 2, 3, 5, 8, 120, 40, 8, 1}));
  EXPECT_NE(d[11], 0);
  EXPECT_EQ(d[12], 7);
  std::vector<int64_t> words = valuesOf<int64_t>(results[1].get());
  ASSERT_EQ(words.size(), 17u);
  EXPECT_EQ(words[16], dims[3]);
  if (allocations) {
    // The results and t0; views allocate nothing.
    size_t sizes[4] = {};
    ASSERT_EQ(allocations(before, sizes, 4), before + 3);
    EXPECT_EQ(sizes[0], 13u * sizeof(int64_t));
    EXPECT_EQ(sizes[1], 17u * sizeof(int64_t));
    EXPECT_EQ(sizes[2], 240u * sizeof(float));
  }
  if (!encodes)
    return;
  FakeTensorMap map;
  ASSERT_EQ(encodes(&map), encodesBefore + 1);
  EXPECT_EQ(std::memcmp(words.data(), &map, sizeof(map)), 0);
  EXPECT_EQ(map.globalAddress, static_cast<uint64_t>(d[11]));
  EXPECT_EQ(map.dataType, 7); // CU_TENSOR_MAP_DATA_TYPE_FLOAT32
  EXPECT_EQ(map.rank, 4);
  EXPECT_EQ(dimsOf(map.globalDim), (std::vector<uint64_t>{8, 5, 3, 2, 0}));
  EXPECT_EQ(stridesOf(map), (std::vector<uint64_t>{32, 160, 480, 0}));
  EXPECT_EQ(boxOf(map.boxDim), (std::vector<uint32_t>{32, 2, 1, 1, 0}));
}

TEST_F(GpuModuleV2Test, ViewsOfArgumentsAndOfViewsAreRead) {
  REQUIRE_CUDA();
  // v1 (s0 x 1 x s1 x 1) is a view of v0 (s0 * s1), a view of x: both are
  // x's device memory; the kernel reads x's last element through v1.
  std::vector<float> values(15);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.5f * static_cast<float>(i) - 3.0f;
  TensorPtr x = hostF32({3, 5}, values);
  TensorPtr device = copyTo(x.get(), TESSERA_DEVICE_CUDA);
  std::vector<TensorPtr> results;
  Outcome o = invoke("view_of_argument", {device.get()}, results);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  std::vector<int64_t> d = valuesOf<int64_t>(results[0].get());
  // x[14] = 0.5 * 14 - 3 = 4.
  int64_t pointer =
      static_cast<int64_t>(tessera_tensor_device_pointer(device.get()));
  EXPECT_EQ(
      d, (std::vector<int64_t>{1, 1, 0, 3, 1, 5, 1, 5, 5, 1, 1, pointer, 4}));
}
