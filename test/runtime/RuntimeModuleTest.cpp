//===- RuntimeModuleTest.cpp - Loading and invoking .tsm modules ----------===//
//
// Builds artifacts around a real CPU object (Inputs/fake_kernels.c, compiled
// at build time into a shared library) without the Tessera compiler, and
// tests loading, validation, invoke and concurrency.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "StatusOutcome.h"
#include "tessera/tessera_runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <malloc.h>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef TESSERA_FAKE_KERNELS
#error "TESSERA_FAKE_KERNELS must name the fake kernels shared library"
#endif

using namespace tessera::artifact;

namespace {
const char *const kManifest =
    "tessera-manifest 1\n"
    "target cpu\n"
    "function add tessera_packed_add\n"
    "arg a f32 s0x4\n"
    "arg b f32 s0x4\n"
    "result out f32 s0x4\n"
    "end\n"
    "function transpose tessera_packed_transpose\n"
    "arg a f32 s0xs1\n"
    "result t f32 s1xs0\n"
    "end\n"
    "function row_min_max tessera_packed_row_min_max\n"
    "arg x f32 s0x?\n"
    "result rowmin f32 s0\n"
    "result rowmax f32 s0\n"
    "end\n"
    "function sum tessera_packed_sum\n"
    "arg x f32 ?\n"
    "result total f32 scalar\n"
    "end\n"
    "function constant tessera_packed_constant\n"
    "result table f32 2x3\n"
    "end\n"
    "function iota tessera_packed_iota\n"
    "arg n i64 scalar\n"
    "result out i64 ?\n"
    "end\n"
    "function fill tessera_packed_fill\n"
    "arg out f32 ?\n"
    "end\n"
    "function bad_shape tessera_packed_bad_shape\n"
    "arg a f32 s0x4\n"
    "result out f32 s0x4\n"
    "end\n";

const std::vector<uint8_t> &kernelObject() {
  static const std::vector<uint8_t> bytes = [] {
    std::ifstream in(TESSERA_FAKE_KERNELS, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }();
  return bytes;
}

std::vector<uint8_t> textBytes(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> makeArtifact(const std::string &manifest,
                                  bool withObject = true) {
  std::vector<Section> sections = {
      {SectionKind::Manifest, textBytes(manifest)}};
  if (withObject)
    sections.push_back({SectionKind::CpuObject, kernelObject()});
  return writeArtifact(sections);
}

const std::vector<uint8_t> &goodArtifact() {
  static const std::vector<uint8_t> bytes = makeArtifact(kManifest);
  return bytes;
}

struct ModuleDeleter {
  void operator()(tessera_module *m) const { tessera_module_release(m); }
};
using ModulePtr = std::unique_ptr<tessera_module, ModuleDeleter>;

struct TensorDeleter {
  void operator()(tessera_tensor *t) const { tessera_tensor_release(t); }
};
using TensorPtr = std::unique_ptr<tessera_tensor, TensorDeleter>;

/// Loads `bytes`, expecting failure with `code` and `message` in the text.
void expectLoadError(const std::vector<uint8_t> &bytes,
                     tessera_status_code_t code, const std::string &message) {
  tessera_module_t m = reinterpret_cast<tessera_module_t>(0x1);
  Outcome o = take(tessera_module_load_memory(bytes.data(), bytes.size(), &m));
  EXPECT_EQ(o.code, code) << tessera_status_code_name(o.code) << ": "
                          << o.message;
  EXPECT_NE(o.message.find(message), std::string::npos)
      << "message: " << o.message << "\nexpected to contain: " << message;
  EXPECT_EQ(m, nullptr);
}

/// Tests that need the loaded good module.
class ModuleTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(kernelObject().empty())
        << "cannot read " << TESSERA_FAKE_KERNELS;
    tessera_module_t m = nullptr;
    Outcome o = take(tessera_module_load_memory(goodArtifact().data(),
                                                goodArtifact().size(), &m));
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    module.reset(m);
  }

  size_t function(const char *name) {
    size_t index = ~size_t(0);
    Outcome o = take(tessera_module_find_function(module.get(), name, &index));
    EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    return index;
  }

  ModulePtr module;
};

TensorPtr makeF32(std::vector<int64_t> dims, const std::vector<float> &values) {
  tessera_tensor_t t = nullptr;
  tessera_status_t s = tessera_tensor_allocate(
      TESSERA_DTYPE_F32, static_cast<int32_t>(dims.size()), dims.data(), &t);
  if (s) {
    ADD_FAILURE() << tessera_status_message(s);
    tessera_status_free(s);
    return nullptr;
  }
  if (!values.empty())
    std::memcpy(tessera_tensor_data(t), values.data(),
                values.size() * sizeof(float));
  return TensorPtr(t);
}

std::vector<float> valuesOf(tessera_tensor_t t) {
  const auto *p = static_cast<const float *>(tessera_tensor_data(t));
  return std::vector<float>(p, p + tessera_tensor_element_count(t));
}

std::vector<int64_t> dimsOf(tessera_tensor_t t) {
  const int64_t *d = tessera_tensor_dims(t);
  return std::vector<int64_t>(d, d + tessera_tensor_rank(t));
}

/// Invokes `function` and returns the outcome; results land in `results`.
Outcome invoke(tessera_module_t m, size_t function,
               const std::vector<tessera_tensor_t> &args,
               std::vector<TensorPtr> &results, size_t resultCount) {
  std::vector<tessera_tensor_t> raw(resultCount,
                                    reinterpret_cast<tessera_tensor_t>(0x1));
  Outcome o = take(tessera_module_invoke(m, function, args.data(), args.size(),
                                         raw.data(), raw.size()));
  results.clear();
  for (tessera_tensor_t t : raw)
    results.emplace_back(t);
  return o;
}
} // namespace

//===----------------------------------------------------------------------===//
// Loading and queries
//===----------------------------------------------------------------------===//

TEST_F(ModuleTest, ListsFunctionsAndSignatures) {
  tessera_module_t m = module.get();
  EXPECT_STREQ(tessera_module_target(m), "cpu");
  ASSERT_EQ(tessera_module_function_count(m), 8u);
  EXPECT_STREQ(tessera_module_function_name(m, 0), "add");
  EXPECT_STREQ(tessera_module_function_name(m, 7), "bad_shape");
  EXPECT_EQ(tessera_module_function_name(m, 8), nullptr);
  EXPECT_EQ(function("row_min_max"), 2u);

  size_t add = function("add");
  EXPECT_EQ(tessera_function_arg_count(m, add), 2u);
  EXPECT_EQ(tessera_function_result_count(m, add), 1u);
  tessera_value_info_t info;
  ASSERT_EQ(tessera_function_arg_info(m, add, 1, &info), nullptr);
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, TESSERA_DTYPE_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.dims[1], 4);
  EXPECT_EQ(info.symbols[0], 0);
  EXPECT_EQ(info.symbols[1], -1);

  size_t transpose = function("transpose");
  ASSERT_EQ(tessera_function_result_info(m, transpose, 0, &info), nullptr);
  EXPECT_STREQ(info.name, "t");
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.symbols[0], 1);
  EXPECT_EQ(info.symbols[1], 0);

  size_t mm = function("row_min_max");
  ASSERT_EQ(tessera_function_arg_info(m, mm, 0, &info), nullptr);
  EXPECT_EQ(info.symbols[1], -1); // '?'
  EXPECT_EQ(info.dims[1], -1);
  EXPECT_EQ(tessera_function_result_count(m, mm), 2u);
  ASSERT_EQ(tessera_function_result_info(m, mm, 1, &info), nullptr);
  EXPECT_STREQ(info.name, "rowmax");
  EXPECT_EQ(info.rank, 1);

  size_t iota = function("iota");
  ASSERT_EQ(tessera_function_arg_info(m, iota, 0, &info), nullptr);
  EXPECT_EQ(info.dtype, TESSERA_DTYPE_I64);
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(tessera_function_arg_count(m, function("constant")), 0u);
  EXPECT_EQ(tessera_function_result_count(m, function("fill")), 0u);
}

TEST_F(ModuleTest, QueryErrors) {
  tessera_module_t m = module.get();
  size_t index = 123;
  Outcome o = take(tessera_module_find_function(m, "mul", &index));
  EXPECT_EQ(o.code, TESSERA_STATUS_NOT_FOUND);
  EXPECT_NE(o.message.find("no function 'mul' in the module (it has: add, "
                           "transpose, row_min_max"),
            std::string::npos)
      << o.message;
  EXPECT_EQ(index, 123u);
  EXPECT_EQ(take(tessera_module_find_function(m, nullptr, &index)).code,
            TESSERA_STATUS_INVALID_ARGUMENT);

  tessera_value_info_t info;
  o = take(tessera_function_arg_info(m, 0, 2, &info));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(o.message.find("function 'add' has 2 arguments; index 2 is out "
                           "of range"),
            std::string::npos)
      << o.message;
  o = take(tessera_function_result_info(m, 9, 0, &info));
  EXPECT_EQ(o.code, TESSERA_STATUS_NOT_FOUND);
  EXPECT_NE(o.message.find("function index 9 is out of range (the module has "
                           "8 functions)"),
            std::string::npos)
      << o.message;
  EXPECT_EQ(take(tessera_function_arg_info(m, 0, 0, nullptr)).code,
            TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(tessera_function_arg_count(m, 99), 0u);
  EXPECT_EQ(tessera_function_result_count(nullptr, 0), 0u);
  EXPECT_EQ(tessera_module_function_count(nullptr), 0u);
  EXPECT_STREQ(tessera_module_target(nullptr), "");
}

TEST(ModuleLoad, FromFile) {
  std::string path = ::testing::TempDir() + "tessera_module_test_" +
                     std::to_string(getpid()) + ".tsm";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(goodArtifact().data()),
              static_cast<std::streamsize>(goodArtifact().size()));
  }
  tessera_module_t m = nullptr;
  Outcome o = take(tessera_module_load_file(path.c_str(), &m));
  std::remove(path.c_str());
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  ModulePtr module(m);
  EXPECT_EQ(tessera_module_function_count(m), 8u);
  // The loaded code runs.
  size_t index;
  ASSERT_EQ(tessera_module_find_function(m, "constant", &index), nullptr);
  std::vector<TensorPtr> results;
  ASSERT_EQ(invoke(m, index, {}, results, 1).code, TESSERA_STATUS_OK);
  EXPECT_EQ(valuesOf(results[0].get()), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(ModuleLoad, FileErrorsNameThePath) {
  tessera_module_t m = nullptr;
  Outcome o = take(tessera_module_load_file("/nonexistent/dir/model.tsm", &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_NOT_FOUND);
  EXPECT_EQ(o.message,
            "'/nonexistent/dir/model.tsm': cannot open: No such file or "
            "directory");
  o = take(tessera_module_load_file("/", &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "'/': not a regular file");
  o = take(tessera_module_load_file(nullptr, &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
  o = take(tessera_module_load_file("/dev/null", nullptr));
  EXPECT_EQ(o.message, "tessera_module_load_file: 'out' is NULL");

  // A file that is not an artifact names the file too.
  std::string path = ::testing::TempDir() + "tessera_not_an_artifact_" +
                     std::to_string(getpid());
  {
    std::ofstream out(path);
    out << "this is not an artifact, but it is longer than forty bytes";
  }
  o = take(tessera_module_load_file(path.c_str(), &m));
  std::remove(path.c_str());
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "'" + path +
                           "': not a Tessera artifact: the file does not start "
                           "with the magic bytes \"TESSERA\\0\"");
}

TEST(ModuleLoad, MemoryArgumentErrors) {
  tessera_module_t m = nullptr;
  Outcome o = take(tessera_module_load_memory(nullptr, 10, &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "tessera_module_load_memory: 'data' is NULL");
  o = take(tessera_module_load_memory(nullptr, 0, &m));
  EXPECT_EQ(o.code, TESSERA_STATUS_DATA_LOSS);
  EXPECT_EQ(o.message, "artifact truncated: the file is empty");
  o = take(tessera_module_load_memory(goodArtifact().data(),
                                      goodArtifact().size(), nullptr));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
}

TEST(ModuleLoad, CopiesTheBytesAndLoadsIndependentInstances) {
  std::vector<uint8_t> bytes = goodArtifact();
  tessera_module_t a = nullptr, b = nullptr;
  ASSERT_EQ(tessera_module_load_memory(bytes.data(), bytes.size(), &a),
            nullptr);
  std::fill(bytes.begin(), bytes.end(), 0); // the module owns a copy
  ASSERT_EQ(tessera_module_load_memory(goodArtifact().data(),
                                       goodArtifact().size(), &b),
            nullptr);
  ModulePtr keepB(b);
  tessera_module_retain(a);
  tessera_module_release(a); // still one reference
  std::vector<TensorPtr> results;
  ASSERT_EQ(invoke(a, 4, {}, results, 1).code, TESSERA_STATUS_OK);
  EXPECT_EQ(valuesOf(results[0].get())[5], 6);
  tessera_module_release(a);
  ASSERT_EQ(invoke(b, 4, {}, results, 1).code, TESSERA_STATUS_OK);
  EXPECT_EQ(valuesOf(results[0].get())[0], 1);
}

TEST(ModuleLoad, RepeatedLoadAndRelease) {
  // Descriptor numbers (the dlopen paths) are reused between loads: each
  // load must still get its own, working object.
  for (int i = 0; i < 40; ++i) {
    tessera_module_t m = nullptr;
    ASSERT_EQ(tessera_module_load_memory(goodArtifact().data(),
                                         goodArtifact().size(), &m),
              nullptr);
    ModulePtr module(m);
    auto x = makeF32({3}, {1.5f, 2.5f, float(i)});
    std::vector<TensorPtr> results;
    ASSERT_EQ(invoke(m, 3, {x.get()}, results, 1).code, TESSERA_STATUS_OK);
    EXPECT_EQ(valuesOf(results[0].get())[0], 4.0f + float(i));
  }
}

TEST(ModuleLoad, TruncatedArtifactsNeverCrash) {
  const std::vector<uint8_t> &full = goodArtifact();
  std::vector<size_t> lengths;
  for (size_t len = 0; len < std::min<size_t>(full.size(), 600); ++len)
    lengths.push_back(len);
  for (size_t len = 600; len < full.size(); len += 37)
    lengths.push_back(len);
  lengths.push_back(full.size() - 1);
  for (size_t len : lengths) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + len);
    tessera_module_t m = nullptr;
    Outcome o = take(tessera_module_load_memory(cut.data(), len, &m));
    ASSERT_EQ(o.code, TESSERA_STATUS_DATA_LOSS)
        << "length " << len << ": " << o.message;
    ASSERT_NE(o.message.find("truncated"), std::string::npos)
        << "length " << len << ": " << o.message;
    ASSERT_EQ(m, nullptr);
  }
  std::vector<uint8_t> cut(full.begin(), full.end() - 1);
  expectLoadError(cut, TESSERA_STATUS_DATA_LOSS,
                  "artifact truncated: section 'cpu-object' ends at byte " +
                      std::to_string(full.size()) + " of a " +
                      std::to_string(full.size() - 1) + "-byte file");
}

TEST(ModuleLoad, FlippedBytesAreDetectedInEveryRegion) {
  const std::vector<uint8_t> &full = goodArtifact();
  size_t manifestStart = 40 + 2 * 32;
  size_t objectStart = manifestStart + std::strlen(kManifest);
  ASSERT_EQ(objectStart + kernelObject().size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    std::vector<uint8_t> bad = full;
    bad[i] ^= 0x01;
    tessera_module_t m = nullptr;
    Outcome o = take(tessera_module_load_memory(bad.data(), bad.size(), &m));
    const char *expected =
        i < 8               ? "not a Tessera artifact"
        : i < 40            ? "checksum mismatch in the header"
        : i < manifestStart ? "checksum mismatch in the section table"
        : i < objectStart   ? "checksum mismatch in section 'manifest'"
                            : "checksum mismatch in section 'cpu-object'";
    ASSERT_EQ(o.code, i < 8 ? TESSERA_STATUS_INVALID_ARGUMENT
                            : TESSERA_STATUS_DATA_LOSS)
        << "byte " << i << ": " << o.message;
    ASSERT_NE(o.message.find(expected), std::string::npos)
        << "byte " << i << ": " << o.message;
    ASSERT_EQ(m, nullptr);
  }
}

TEST(ModuleLoad, WrongMagicAndVersion) {
  std::vector<uint8_t> bad = goodArtifact();
  bad[0] = 'X';
  expectLoadError(bad, TESSERA_STATUS_INVALID_ARGUMENT,
                  "not a Tessera artifact");
  // The raw shared object is not an artifact either.
  expectLoadError(kernelObject(), TESSERA_STATUS_INVALID_ARGUMENT,
                  "not a Tessera artifact");

  bad = goodArtifact();
  bad[8] = 7; // version 7, with a valid header checksum
  uint64_t sum = fnv1a64(bad.data(), 32);
  for (int i = 0; i < 8; ++i)
    bad[32 + i] = static_cast<uint8_t>(sum >> (8 * i));
  expectLoadError(bad, TESSERA_STATUS_UNAVAILABLE,
                  "unsupported artifact format version 7 (this runtime reads "
                  "version 1)");
}

TEST(ModuleLoad, MissingSections) {
  expectLoadError(writeArtifact({{SectionKind::CpuObject, kernelObject()}}),
                  TESSERA_STATUS_INVALID_ARGUMENT,
                  "the artifact has no 'manifest' section");
  expectLoadError(makeArtifact(kManifest, /*withObject=*/false),
                  TESSERA_STATUS_INVALID_ARGUMENT,
                  "the artifact for target cpu has no 'cpu-object' section");
}

TEST(ModuleLoad, ManifestErrors) {
  std::string text = kManifest;
  text.replace(text.find("arg b f32 s0x4"), 14, "arg b f32 s0x4x");
  expectLoadError(makeArtifact(text), TESSERA_STATUS_INVALID_ARGUMENT,
                  "manifest line 5: bad dims 's0x4x' of 'b': size 2 is ''");
  expectLoadError(makeArtifact("tessera-manifest 1\ntarget cpu\nfunction f "
                               "tessera_packed_add\narg a f32 4\n"),
                  TESSERA_STATUS_INVALID_ARGUMENT,
                  "manifest line 4: function 'f' opened on line 3 has no "
                  "'end'");
  expectLoadError(makeArtifact("tessera-manifest 3\n"),
                  TESSERA_STATUS_INVALID_ARGUMENT,
                  "manifest line 1: unsupported manifest version 3");
}

TEST(ModuleLoad, SymbolsMustBeDefinedByTheObject) {
  std::string text =
      std::string(kManifest) + "function nope tessera_packed_nope\nend\n";
  expectLoadError(makeArtifact(text), TESSERA_STATUS_INVALID_ARGUMENT,
                  "function 'nope': symbol 'tessera_packed_nope' is not "
                  "defined in the cpu-object");
  // malloc resolves through the object's dependencies, not the object.
  text = std::string(kManifest) + "function m malloc\nend\n";
  expectLoadError(makeArtifact(text), TESSERA_STATUS_INVALID_ARGUMENT,
                  "function 'm': symbol 'malloc' is not defined in the "
                  "cpu-object");
}

TEST(ModuleLoad, ObjectThatIsNotELF) {
  std::vector<uint8_t> f =
      writeArtifact({{SectionKind::Manifest, textBytes(kManifest)},
                     {SectionKind::CpuObject, textBytes("not an ELF file")}});
  expectLoadError(f, TESSERA_STATUS_INVALID_ARGUMENT,
                  "cannot load the cpu-object: ");
}

TEST(ModuleLoad, GpuArtifactsNeedTheirCode) {
  // (RuntimeGpuTest covers GPU modules; here, what a GPU artifact must hold.)
  const std::string manifest = "tessera-manifest 1\ntarget sm_90a\nfunction "
                               "f -\nvariant always\nend\n";
  expectLoadError(makeArtifact(manifest, /*withObject=*/false),
                  TESSERA_STATUS_INVALID_ARGUMENT,
                  "the artifact for target sm_90a has no 'ptx' or 'cubin' "
                  "section with code");
  expectLoadError(makeArtifact(manifest), TESSERA_STATUS_INVALID_ARGUMENT,
                  "the artifact for target sm_90a has a 'cpu-object' section "
                  "(GPU artifacts have none)");
}

//===----------------------------------------------------------------------===//
// Invoke
//===----------------------------------------------------------------------===//

TEST_F(ModuleTest, AddComputesTheSum) {
  auto a = makeF32({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto b = makeF32(
      {3, 4}, {100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200});
  std::vector<TensorPtr> results;
  Outcome o = invoke(module.get(), 0, {a.get(), b.get()}, results, 1);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  tessera_tensor_t out = results[0].get();
  EXPECT_EQ(tessera_tensor_dtype(out), TESSERA_DTYPE_F32);
  EXPECT_EQ(dimsOf(out), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(valuesOf(out),
            (std::vector<float>{100, 201, 302, 403, 504, 605, 706, 807, 908,
                                1009, 1110, 1211}));
  // Inputs are untouched.
  EXPECT_EQ(valuesOf(a.get())[11], 11);
}

TEST_F(ModuleTest, AddOfWrappedCallerMemoryAndZeroRows) {
  float left[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  float right[8] = {8, 7, 6, 5, 4, 3, 2, 1};
  int64_t dims[] = {2, 4};
  tessera_tensor_t a = nullptr, b = nullptr;
  ASSERT_EQ(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, dims, left, &a), nullptr);
  ASSERT_EQ(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, dims, right, &b),
            nullptr);
  TensorPtr ha(a), hb(b);
  std::vector<TensorPtr> results;
  ASSERT_EQ(invoke(module.get(), 0, {a, b}, results, 1).code,
            TESSERA_STATUS_OK);
  EXPECT_EQ(valuesOf(results[0].get()), std::vector<float>(8, 9));

  auto e1 = makeF32({0, 4}, {});
  auto e2 = makeF32({0, 4}, {});
  Outcome o = invoke(module.get(), 0, {e1.get(), e2.get()}, results, 1);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(tessera_tensor_element_count(results[0].get()), 0);
}

TEST_F(ModuleTest, StridedViewOfAnArgumentIsCopiedNotFreed) {
  auto a = makeF32({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<TensorPtr> results;
  Outcome o =
      invoke(module.get(), function("transpose"), {a.get()}, results, 1);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  tessera_tensor_t t = results[0].get();
  EXPECT_EQ(dimsOf(t), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(valuesOf(t), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  // The result is a copy, not the argument's memory.
  EXPECT_NE(tessera_tensor_data(t), tessera_tensor_data(a.get()));
  static_cast<float *>(tessera_tensor_data(a.get()))[0] = 99;
  EXPECT_EQ(valuesOf(t)[0], 1);
  // The argument's buffer was not freed: it is still usable, and releasing
  // `a` at the end of the test frees it exactly once.
  ASSERT_EQ(
      invoke(module.get(), function("transpose"), {a.get()}, results, 1).code,
      TESSERA_STATUS_OK);
  EXPECT_EQ(valuesOf(results[0].get())[0], 99);
}

TEST_F(ModuleTest, TwoResultsSharingOneAllocation) {
  auto x =
      makeF32({3, 5}, {3, -1, 4, 1, 5, /**/ 9, 2, 6, 5, 3, /**/ 5, 8, 9, 7, 9});
  std::vector<TensorPtr> results;
  Outcome o =
      invoke(module.get(), function("row_min_max"), {x.get()}, results, 2);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{3}));
  EXPECT_EQ(valuesOf(results[0].get()), (std::vector<float>{-1, 2, 5}));
  EXPECT_EQ(valuesOf(results[1].get()), (std::vector<float>{5, 9, 9}));
  // The shared block is freed once (a double free would abort the test).
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(invoke(module.get(), 2, {x.get()}, results, 2).code,
              TESSERA_STATUS_OK);
}

TEST_F(ModuleTest, ScalarResultAndScalarArgument) {
  auto x = makeF32({4}, {0.5f, 1.5f, 2.0f, -1.0f});
  std::vector<TensorPtr> results;
  ASSERT_EQ(invoke(module.get(), function("sum"), {x.get()}, results, 1).code,
            TESSERA_STATUS_OK);
  EXPECT_EQ(tessera_tensor_rank(results[0].get()), 0);
  EXPECT_EQ(valuesOf(results[0].get()), (std::vector<float>{3.0f}));

  int64_t n = 5;
  tessera_tensor_t count = nullptr;
  ASSERT_EQ(tessera_tensor_wrap(TESSERA_DTYPE_I64, 0, nullptr, &n, &count),
            nullptr);
  TensorPtr hc(count);
  Outcome o = invoke(module.get(), function("iota"), {count}, results, 1);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  tessera_tensor_t out = results[0].get();
  EXPECT_EQ(tessera_tensor_dtype(out), TESSERA_DTYPE_I64);
  ASSERT_EQ(dimsOf(out), (std::vector<int64_t>{5}));
  const auto *v = static_cast<const int64_t *>(tessera_tensor_data(out));
  EXPECT_EQ(std::vector<int64_t>(v, v + 5),
            (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST_F(ModuleTest, ConstantGlobalIsNotFreed) {
  std::vector<TensorPtr> results;
  for (int i = 0; i < 3; ++i) {
    Outcome o = invoke(module.get(), function("constant"), {}, results, 1);
    ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
    EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(valuesOf(results[0].get()),
              (std::vector<float>{1, 2, 3, 4, 5, 6}));
  }
}

TEST_F(ModuleTest, FunctionWithoutResultsWritesItsArgument) {
  auto x = makeF32({6}, {});
  std::vector<TensorPtr> results;
  Outcome o = invoke(module.get(), function("fill"), {x.get()}, results, 0);
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(valuesOf(x.get()), std::vector<float>(6, 7));
  // No result: `results` may be NULL.
  tessera_tensor_t args[] = {x.get()};
  EXPECT_EQ(tessera_module_invoke(module.get(), function("fill"), args, 1,
                                  nullptr, 0),
            nullptr);
}

TEST_F(ModuleTest, ArgumentErrors) {
  tessera_module_t m = module.get();
  auto a = makeF32({3, 4}, {});
  auto b = makeF32({3, 4}, {});
  std::vector<TensorPtr> results;

  auto expectInvalid = [&](const std::vector<tessera_tensor_t> &args,
                           size_t resultCount, const std::string &message) {
    Outcome o = invoke(m, 0, args, results, resultCount);
    EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT) << o.message;
    EXPECT_EQ(o.message, message);
    for (const TensorPtr &r : results)
      EXPECT_EQ(r.get(), nullptr); // cleared on failure
  };
  expectInvalid({a.get()}, 1, "function 'add' takes 2 arguments, got 1");
  expectInvalid({a.get(), b.get(), b.get()}, 1,
                "function 'add' takes 2 arguments, got 3");
  expectInvalid({a.get(), b.get()}, 2,
                "function 'add' returns 1 result, got room for 2");
  expectInvalid({a.get(), nullptr}, 1,
                "function 'add': argument 1 ('b') is NULL");

  int64_t dims2[] = {3, 4};
  tessera_tensor_t f16 = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F16, 2, dims2, &f16),
            nullptr);
  TensorPtr hf16(f16);
  expectInvalid({a.get(), f16}, 1,
                "function 'add': argument 1 ('b'): dtype is f16, expected "
                "f32");
  auto rank3 = makeF32({3, 4, 1}, {});
  expectInvalid({rank3.get(), b.get()}, 1,
                "function 'add': argument 0 ('a'): rank is 3, expected 2");
  auto wide = makeF32({3, 5}, {});
  expectInvalid({a.get(), wide.get()}, 1,
                "function 'add': argument 1 ('b'): dimension 1 is 5, "
                "expected 4");
  auto tall = makeF32({2, 4}, {});
  expectInvalid({a.get(), tall.get()}, 1,
                "function 'add': argument 1 ('b'): dimension 0 is 2, but "
                "symbol s0 is 3 (from argument 0 ('a') dimension 0)");

  Outcome o = take(tessera_module_invoke(m, 0, nullptr, 2, nullptr, 1));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "function 'add': 'args' is NULL");
  o = take(tessera_module_invoke(m, 42, nullptr, 0, nullptr, 0));
  EXPECT_EQ(o.code, TESSERA_STATUS_NOT_FOUND);
  EXPECT_EQ(o.message, "tessera_module_invoke: function index 42 is out of "
                       "range (the module has 8 functions)");
  o = take(tessera_module_invoke(nullptr, 0, nullptr, 0, nullptr, 0));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
}

TEST_F(ModuleTest, DeviceTensorsAreRejected) {
  // A wrapped device pointer is never touched: no GPU needed.
  int64_t dims[] = {2, 4};
  tessera_tensor_t raw = nullptr;
  ASSERT_EQ(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 2, dims, 0x1000,
                                       &raw),
            nullptr);
  TensorPtr device(raw);
  TensorPtr host = makeF32({2, 4}, {});
  std::vector<TensorPtr> results;
  Outcome o =
      invoke(module.get(), function("add"), {host.get(), device.get()},
             results, 1);
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message,
            "function 'add': argument 1 ('b') is a device tensor; target cpu "
            "takes host tensors (copy it with tessera_tensor_copy_to)");
  EXPECT_EQ(results[0], nullptr);
}

TEST_F(ModuleTest, InvokeAsyncOfACpuModuleIsInvoke) {
  TensorPtr a = makeF32({1, 4}, {1, 2, 3, 4});
  TensorPtr b = makeF32({1, 4}, {10, 20, 30, 40});
  tessera_tensor_t args[] = {a.get(), b.get()};
  tessera_tensor_t out = nullptr;
  ASSERT_EQ(tessera_module_invoke_async(module.get(), function("add"), args, 2,
                                        &out, 1,
                                        reinterpret_cast<void *>(0x1234)),
            nullptr);
  TensorPtr result(out);
  EXPECT_EQ(tessera_tensor_device(out), TESSERA_DEVICE_HOST);
  EXPECT_EQ(valuesOf(out), (std::vector<float>{11, 22, 33, 44}));
  Outcome o = take(tessera_module_invoke_async(module.get(), function("add"),
                                               args, 1, &out, 1, nullptr));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "function 'add' takes 2 arguments, got 1");
  o = take(tessera_module_invoke_async(nullptr, 0, args, 2, &out, 1, nullptr));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "tessera_module_invoke_async: 'module' is NULL");
}

TEST_F(ModuleTest, InvokeIntoNeedsAGpuModule) {
  TensorPtr a = makeF32({1, 4}, {1, 2, 3, 4});
  TensorPtr out = makeF32({1, 4}, {0, 0, 0, 0});
  tessera_tensor_t args[] = {a.get(), a.get()};
  tessera_tensor_t outputs[] = {out.get()};
  Outcome o = take(tessera_module_invoke_into(module.get(), function("add"),
                                              args, 2, outputs, 1, nullptr));
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(o.message, "tessera_module_invoke_into: the module targets cpu; "
                       "results in caller memory need a GPU module (use "
                       "tessera_module_invoke)");
  o = take(tessera_module_invoke_into(nullptr, 0, args, 2, outputs, 1,
                                      nullptr));
  EXPECT_EQ(o.message, "tessera_module_invoke_into: 'module' is NULL");
}

TEST_F(ModuleTest, SymbolsBindAcrossDimensionsOfOneArgument) {
  // transpose takes s0xs1: any two sizes; they come back swapped.
  auto a = makeF32({1, 7}, {1, 2, 3, 4, 5, 6, 7});
  std::vector<TensorPtr> results;
  ASSERT_EQ(invoke(module.get(), 1, {a.get()}, results, 1).code,
            TESSERA_STATUS_OK);
  EXPECT_EQ(dimsOf(results[0].get()), (std::vector<int64_t>{7, 1}));
}

TEST_F(ModuleTest, ResultThatBreaksTheManifestIsAnErrorAndIsFreed) {
  auto a = makeF32({2, 4}, {});
  std::vector<TensorPtr> results;
  Outcome o =
      invoke(module.get(), function("bad_shape"), {a.get()}, results, 1);
  EXPECT_EQ(o.code, TESSERA_STATUS_INTERNAL);
  EXPECT_EQ(o.message,
            "function 'bad_shape': result 0 ('out'): dimension 0 is 3, but "
            "symbol s0 is 2 (from argument 0 ('a') dimension 0) (the "
            "compiled code disagrees with its manifest)");
  EXPECT_EQ(results[0].get(), nullptr);

  // The rejected buffer (64 KiB each) is freed: heap use does not grow.
  auto big = makeF32({4096, 4}, {});
  for (int i = 0; i < 5; ++i)
    invoke(module.get(), 7, {big.get()}, results, 1);
  size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(invoke(module.get(), 7, {big.get()}, results, 1).code,
              TESSERA_STATUS_INTERNAL);
  size_t after = mallinfo2().uordblks;
  EXPECT_LT(after, before + (1u << 20))
      << "heap grew by " << (after - before) << " bytes over 200 calls";
}

TEST_F(ModuleTest, ConcurrentInvokesOnOneModule) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 300;
  std::atomic<int> failures{0};
  std::vector<std::string> firstFailure(kThreads);
  std::vector<std::thread> threads;
  tessera_module_t m = module.get();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int64_t rows = t + 1;
      std::vector<float> av(rows * 4), bv(rows * 4), expected(rows * 4);
      for (int64_t i = 0; i < rows * 4; ++i) {
        av[i] = float(t * 1000 + i);
        bv[i] = float(i) * 0.5f;
        expected[i] = av[i] + bv[i];
      }
      tessera_tensor_t a = nullptr, b = nullptr;
      int64_t dims[] = {rows, 4};
      tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, dims, av.data(), &a);
      tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, dims, bv.data(), &b);
      for (int k = 0; k < kIterations; ++k) {
        tessera_tensor_t args[] = {a, b};
        tessera_tensor_t out = nullptr;
        tessera_status_t s = tessera_module_invoke(m, 0, args, 2, &out, 1);
        std::string problem;
        if (s)
          problem = tessera_status_message(s);
        else if (tessera_tensor_dims(out)[0] != rows)
          problem = "wrong rows";
        else if (std::memcmp(tessera_tensor_data(out), expected.data(),
                             expected.size() * sizeof(float)) != 0)
          problem = "wrong values";
        tessera_status_free(s);
        tessera_tensor_release(out);
        // Every other iteration, a different function with shared results.
        tessera_tensor_t mm[2] = {nullptr, nullptr};
        if (problem.empty() && k % 2) {
          tessera_status_t s2 = tessera_module_invoke(m, 2, args, 1, mm, 2);
          if (s2 || static_cast<float *>(tessera_tensor_data(
                        mm[1]))[rows - 1] != av[rows * 4 - 1])
            problem = "row_min_max failed";
          tessera_status_free(s2);
          tessera_tensor_release(mm[0]);
          tessera_tensor_release(mm[1]);
        }
        if (!problem.empty()) {
          if (failures.fetch_add(1) == 0 || firstFailure[t].empty())
            firstFailure[t] = problem;
          break;
        }
      }
      tessera_tensor_release(a);
      tessera_tensor_release(b);
    });
  }
  for (std::thread &th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(firstFailure[t], "") << "thread " << t;
}

namespace {
/// A manifest with one function and a `requires` line.
std::string manifestRequiring(const std::string &features) {
  return "tessera-manifest 1\n"
         "target cpu\n"
         "requires " +
         features +
         "\n"
         "function add tessera_packed_add\n"
         "arg a f32 s0x4\n"
         "arg b f32 s0x4\n"
         "result out f32 s0x4\n"
         "end\n";
}
} // namespace

TEST(ModuleCpuFeatures, LoadsWhenTheHostHasThem) {
  // Every x86-64 CPU this project runs on has SSE4.2.
  std::vector<uint8_t> bytes = makeArtifact(manifestRequiring("sse4.2"));
  tessera_module_t module = nullptr;
  Outcome o =
      take(tessera_module_load_memory(bytes.data(), bytes.size(), &module));
  EXPECT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  tessera_module_release(module);
}

TEST(ModuleCpuFeatures, RefusesAFeatureTheHostLacks) {
  const char *missing = nullptr;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512bf16"))
    missing = "avx512bf16";
  else if (!__builtin_cpu_supports("avx512f"))
    missing = "avx512f";
  if (!missing)
    GTEST_SKIP() << "this CPU has every AVX-512 feature the test could use";
  std::vector<uint8_t> bytes =
      makeArtifact(manifestRequiring(std::string("avx2 ") + missing));
  tessera_module_t module = nullptr;
  Outcome o =
      take(tessera_module_load_memory(bytes.data(), bytes.size(), &module));
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE);
  EXPECT_NE(o.message.find(std::string("'") + missing + "'"), std::string::npos)
      << o.message;
  EXPECT_EQ(module, nullptr);
}

TEST(ModuleCpuFeatures, ManifestRejectsUnknownAndMisplacedFeatures) {
  Manifest m;
  std::string e = parseManifest(manifestRequiring("avx2 quantum"), m);
  EXPECT_NE(e.find("manifest line 3: unknown CPU feature 'quantum'"),
            std::string::npos)
      << e;
  e = parseManifest("tessera-manifest 1\ntarget cpu\nfunction f f\nend\n"
                    "requires avx2\n",
                    m);
  EXPECT_NE(e.find("'requires' must come before the first function"),
            std::string::npos)
      << e;
  ASSERT_EQ(parseManifest(manifestRequiring("avx2 fma"), m), "");
  EXPECT_EQ(m.cpuFeatures, (std::vector<std::string>{"avx2", "fma"}));
  Manifest back;
  ASSERT_EQ(parseManifest(printManifest(m), back), "");
  EXPECT_EQ(back.cpuFeatures, m.cpuFeatures);
}
