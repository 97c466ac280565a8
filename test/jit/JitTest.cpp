//===- JitTest.cpp - The embeddable JIT and its compile cache -------------===//
//
// Every op family compiled in process and checked against the float64
// interpreter of the artifact's reference program; the memory and disk
// cache layers (the second call must not run the pipeline); corrupted
// entries; diagnostics for bad IR; the C API; many threads at once.
//
//===----------------------------------------------------------------------===//

#include "tessera/Jit.h"
#include "tessera/tessera_jit.h"

#include "runtime/lib/Artifact.h"
#include "test/lib/Reference/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <thread>

using namespace tessera::jit;
namespace artifact = ::tessera::artifact;
namespace reference = ::tessera::reference;

namespace {

/// A fresh cache directory per test, removed afterwards.
class JitTest : public ::testing::Test {
public:
  void SetUp() override {
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("tessera-jit-test", dir));
    cacheDir = std::string(dir);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(cacheDir); }

  std::unique_ptr<Session> makeSession(Options options = Options()) {
    if (options.cacheDir.empty())
      options.cacheDir = cacheDir;
    std::string error;
    std::unique_ptr<Session> session = Session::create(options, error);
    EXPECT_TRUE(session) << error;
    return session;
  }

  std::string cacheDir;
};

std::string dump(const Report &report) {
  std::string text;
  for (const Diagnostic &d : report.diagnostics)
    text += d.file + ":" + std::to_string(d.line) + ":" +
            std::to_string(d.column) + ": " + d.message + "\n";
  return text;
}

/// Runs exported function `name` of `module` on random f32 inputs (dynamic
/// sizes set to `dynamic`) and compares every result with the float64
/// interpreter of the reference section of `bytes`. Returns "" or what
/// differs.
std::string checkAgainstReference(tessera_module_t module,
                                  const std::vector<char> &bytes,
                                  const std::string &name, int64_t dynamic,
                                  unsigned seed) {
  artifact::ArtifactView view;
  std::string message;
  if (artifact::readArtifact(bytes.data(), bytes.size(), view, message) !=
      artifact::ReadError::None)
    return "artifact: " + message;
  const artifact::SectionView *section =
      view.find(artifact::SectionKind::Reference);
  if (!section)
    return "no reference section";
  reference::ReferenceProgram program;
  if (std::string error = reference::parseReferenceProgram(
          std::string_view(reinterpret_cast<const char *>(section->data),
                           section->size),
          program);
      !error.empty())
    return error;

  size_t function;
  tessera_status_t status =
      tessera_module_find_function(module, name.c_str(), &function);
  if (status) {
    std::string error = tessera_status_message(status);
    tessera_status_free(status);
    return error;
  }
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<tessera_tensor_t> args;
  std::vector<reference::Tensor> refArgs;
  for (size_t i = 0; i < tessera_function_arg_count(module, function); ++i) {
    tessera_value_info_t info;
    tessera_status_free(tessera_function_arg_info(module, function, i, &info));
    if (info.dtype != TESSERA_DTYPE_F32)
      return "the test only feeds f32 arguments";
    reference::Tensor ref;
    for (int32_t d = 0; d < info.rank; ++d)
      ref.shape.push_back(info.dims[d] < 0 ? dynamic : info.dims[d]);
    tessera_tensor_t tensor;
    tessera_status_free(tessera_tensor_allocate(
        TESSERA_DTYPE_F32, info.rank, ref.shape.data(), &tensor));
    float *data = static_cast<float *>(tessera_tensor_data(tensor));
    for (int64_t e = 0; e < tessera_tensor_element_count(tensor); ++e) {
      data[e] = dist(rng);
      ref.data.push_back(data[e]);
    }
    args.push_back(tensor);
    refArgs.push_back(std::move(ref));
  }
  std::vector<tessera_tensor_t> results(
      tessera_function_result_count(module, function), nullptr);
  status = tessera_module_invoke(module, function, args.data(), args.size(),
                                 results.data(), results.size());
  for (tessera_tensor_t t : args)
    tessera_tensor_release(t);
  if (status) {
    std::string error = tessera_status_message(status);
    tessera_status_free(status);
    return "invoke: " + error;
  }
  std::vector<reference::Tensor> expected;
  std::string error =
      reference::runReference(program, name, refArgs, expected);
  for (size_t r = 0; error.empty() && r < results.size(); ++r) {
    const float *got = static_cast<const float *>(
        tessera_tensor_data(results[r]));
    const reference::Tensor &want = expected[r];
    if (tessera_tensor_element_count(results[r]) !=
        static_cast<int64_t>(want.data.size())) {
      error = "result " + std::to_string(r) + " has the wrong size";
      break;
    }
    double scale = 0, worst = 0;
    for (double v : want.data)
      scale = std::max(scale, std::fabs(v));
    for (size_t e = 0; e < want.data.size(); ++e) {
      double diff = std::fabs(got[e] - want.data[e]);
      if (!(diff <= worst)) // NaN counts as the worst.
        worst = std::isnan(diff) ? INFINITY : diff;
    }
    if (worst > 1e-4 * (1 + scale))
      error = "result " + std::to_string(r) + ": max abs error " +
              std::to_string(worst) + " (scale " + std::to_string(scale) + ")";
  }
  for (tessera_tensor_t t : results)
    tessera_tensor_release(t);
  return error;
}

const char *kMatmul = R"mlir(
func.func @f(%a: tensor<?x113xf32>, %b: tensor<113x33xf32>, %bias: tensor<33xf32>) -> tensor<?x33xf32> {
  %0 = tessera.matmul %a, %b, %bias {epilogue = #tessera.epilogue<gelu_tanh>} : tensor<?x113xf32>, tensor<113x33xf32>, tensor<33xf32> -> tensor<?x33xf32>
  return %0 : tensor<?x33xf32>
}
)mlir";

struct Family {
  const char *name;
  const char *text;
};

const Family kFamilies[] = {
    {"matmul", kMatmul},
    {"attention", R"mlir(
func.func @f(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> (tensor<1x4x?x16xf32>, tensor<1x4x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal} : tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x4x?x16xf32>, tensor<1x4x?xf32>
  return %o, %lse : tensor<1x4x?x16xf32>, tensor<1x4x?xf32>
}
)mlir"},
    {"merge_attention", R"mlir(
func.func @f(%o1: tensor<2x3x5x8xf32>, %l1: tensor<2x3x5xf32>, %o2: tensor<2x3x5x8xf32>, %l2: tensor<2x3x5xf32>) -> (tensor<2x3x5x8xf32>, tensor<2x3x5xf32>) {
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<2x3x5x8xf32>, tensor<2x3x5xf32>, tensor<2x3x5x8xf32>, tensor<2x3x5xf32> -> tensor<2x3x5x8xf32>, tensor<2x3x5xf32>
  return %o, %l : tensor<2x3x5x8xf32>, tensor<2x3x5xf32>
}
)mlir"},
    {"fftconv", R"mlir(
func.func @f(%u: tensor<2x3x?xf32>, %k: tensor<3x?xf32>, %d: tensor<3xf32>) -> tensor<2x3x?xf32> {
  %y = tessera.fftconv %u, %k, %d : tensor<2x3x?xf32>, tensor<3x?xf32>, tensor<3xf32> -> tensor<2x3x?xf32>
  return %y : tensor<2x3x?xf32>
}
)mlir"},
    {"spmm", R"mlir(
#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @f(%w: tensor<?x24xf32>, %x: tensor<24x5xf32>) -> tensor<?x5xf32> {
  %s = sparse_tensor.convert %w : tensor<?x24xf32> to tensor<?x24xf32, #CSR>
  %y = tessera.spmm %s, %x : tensor<?x24xf32, #CSR>, tensor<24x5xf32> -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
)mlir"},
    {"spgemm", R"mlir(
#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @f(%a: tensor<9x12xf32>, %b: tensor<12x7xf32>, %eye: tensor<7x7xf32>) -> tensor<9x7xf32> {
  %sa = sparse_tensor.convert %a : tensor<9x12xf32> to tensor<9x12xf32, #CSR>
  %sb = sparse_tensor.convert %b : tensor<12x7xf32> to tensor<12x7xf32, #CSR>
  %c = tessera.spgemm %sa, %sb : tensor<9x12xf32, #CSR>, tensor<12x7xf32, #CSR> -> tensor<9x7xf32, #CSR>
  %y = tessera.spmm %c, %eye : tensor<9x7xf32, #CSR>, tensor<7x7xf32> -> tensor<9x7xf32>
  return %y : tensor<9x7xf32>
}
)mlir"},
};

TEST_F(JitTest, EveryOpFamilyCompilesAndMatchesTheReference) {
  std::unique_ptr<Session> session = makeSession();
  for (const Family &family : kFamilies) {
    SCOPED_TRACE(family.name);
    Report report;
    Module module = session->load(family.text, report, family.name);
    ASSERT_TRUE(module) << dump(report);
    EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_COMPILED);
    std::vector<char> bytes;
    ASSERT_TRUE(session->compile(family.text, bytes, report)) << dump(report);
    EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_MEMORY_CACHE);
    for (int64_t dynamic : {1, 7, 113})
      EXPECT_EQ(checkAgainstReference(module.get(), bytes, "f", dynamic, 7),
                "")
          << "dynamic size " << dynamic;
  }
  EXPECT_EQ(session->stats().compiles, std::size(kFamilies));
}

TEST_F(JitTest, SecondCallDoesNotRunThePipeline) {
  std::unique_ptr<Session> session = makeSession();
  Report first, second;
  Module a = session->load(kMatmul, first);
  ASSERT_TRUE(a) << dump(first);
  EXPECT_EQ(first.source, TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_EQ(first.cacheKey.size(), 64u);
  Module b = session->load(kMatmul, second);
  ASSERT_TRUE(b);
  EXPECT_EQ(second.source, TESSERA_JIT_SOURCE_MEMORY_CACHE);
  EXPECT_EQ(second.cacheKey, first.cacheKey);
  EXPECT_EQ(a.get(), b.get());

  // Other formatting, SSA names and a comment: the same canonical IR.
  std::string respelled = std::string("// a comment\n") + kMatmul;
  size_t at = respelled.find("%0");
  respelled.replace(at, 2, "%product");
  respelled.replace(respelled.find("%0", at), 2, "%product");
  Report third;
  Module c = session->load(respelled, third);
  ASSERT_TRUE(c) << dump(third);
  EXPECT_EQ(third.source, TESSERA_JIT_SOURCE_MEMORY_CACHE);
  EXPECT_EQ(third.cacheKey, first.cacheKey);

  Stats stats = session->stats();
  EXPECT_EQ(stats.compiles, 1u);
  EXPECT_EQ(stats.memoryHits, 2u);
}

TEST_F(JitTest, NewSessionReadsTheDiskCache) {
  std::string key;
  {
    std::unique_ptr<Session> session = makeSession();
    Report report;
    ASSERT_TRUE(session->load(kMatmul, report)) << dump(report);
    key = report.cacheKey;
  }
  std::string path = cacheDir + "/v1/" + key.substr(0, 2) + "/" + key + ".tsm";
  EXPECT_TRUE(llvm::sys::fs::exists(path)) << path;

  std::unique_ptr<Session> session = makeSession();
  Report report;
  Module module = session->load(kMatmul, report);
  ASSERT_TRUE(module) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_DISK_CACHE);
  EXPECT_EQ(session->stats().compiles, 0u);
  EXPECT_EQ(session->stats().diskHits, 1u);
  std::vector<char> bytes;
  ASSERT_TRUE(session->compile(kMatmul, bytes, report));
  EXPECT_EQ(checkAgainstReference(module.get(), bytes, "f", 9, 3), "");

  // Text this directory never saw, same canonical IR: parsed, then found.
  std::string respelled = std::string("// another spelling\n") + kMatmul;
  std::unique_ptr<Session> third = makeSession();
  ASSERT_TRUE(third->load(respelled, report)) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_DISK_CACHE);
  EXPECT_EQ(report.cacheKey, key);
  EXPECT_EQ(third->stats().compiles, 0u);

  // A damaged text index is ignored: the text is parsed and the entry found.
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(cacheDir + "/v1/text",
                                                      ec),
       end;
       it != end && !ec; it.increment(ec))
    if (it->type() == llvm::sys::fs::file_type::regular_file) {
      std::ofstream out(it->path(), std::ios::trunc);
      out << "not a key";
    }
  std::unique_ptr<Session> fourth = makeSession();
  ASSERT_TRUE(fourth->load(kMatmul, report)) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_DISK_CACHE);
  EXPECT_EQ(fourth->stats().compiles, 0u);

  // Other options are another key: the entry is not reused.
  Options other;
  other.optLevel = 0;
  std::unique_ptr<Session> o0 = makeSession(other);
  ASSERT_TRUE(o0->load(kMatmul, report)) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_NE(report.cacheKey, key);
}

/// Damages the cached entry of `key` with `damage`, then checks that a new
/// session discards it, recompiles, rewrites it and gets correct results.
void expectRecovery(JitTest &test,
                    const std::function<void(std::string &)> &damage) {
  const std::string &cacheDir = test.cacheDir;
  std::string key;
  {
    std::unique_ptr<Session> session = test.makeSession();
    Report report;
    ASSERT_TRUE(session->load(kMatmul, report)) << dump(report);
    key = report.cacheKey;
  }
  std::string path = cacheDir + "/v1/" + key.substr(0, 2) + "/" + key + ".tsm";
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  damage(bytes);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), bytes.size());
  }

  std::unique_ptr<Session> session = test.makeSession();
  Report report;
  Module module = session->load(kMatmul, report);
  ASSERT_TRUE(module) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_EQ(session->stats().discardedEntries, 1u);
  ASSERT_FALSE(report.diagnostics.empty());
  EXPECT_EQ(report.diagnostics[0].severity, TESSERA_JIT_WARNING);
  EXPECT_NE(report.diagnostics[0].message.find("discarded cache entry"),
            std::string::npos)
      << dump(report);
  std::vector<char> artifactBytes;
  ASSERT_TRUE(session->compile(kMatmul, artifactBytes, report));
  EXPECT_EQ(checkAgainstReference(module.get(), artifactBytes, "f", 5, 1), "");

  // The rewritten entry is whole again.
  std::unique_ptr<Session> again = test.makeSession();
  ASSERT_TRUE(again->load(kMatmul, report)) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_DISK_CACHE);
}

TEST_F(JitTest, CorruptedEntryIsDiscardedAndRecompiled) {
  expectRecovery(
      *this, [](std::string &bytes) { bytes[bytes.size() / 2] ^= 0x5a; });
}

TEST_F(JitTest, TruncatedEntryIsDiscardedAndRecompiled) {
  expectRecovery(
      *this, [](std::string &bytes) { bytes.resize(bytes.size() / 3); });
}

TEST_F(JitTest, GarbageEntryIsDiscardedAndRecompiled) {
  expectRecovery(
      *this, [](std::string &bytes) { bytes.assign(64, 'x'); });
}

TEST_F(JitTest, InvalidIrReturnsDiagnostics) {
  std::unique_ptr<Session> session = makeSession();
  // A parse error.
  Report report;
  EXPECT_FALSE(session->load("func.func @f( {", report, "broken.mlir"));
  ASSERT_FALSE(report.diagnostics.empty());
  EXPECT_EQ(report.diagnostics[0].severity, TESSERA_JIT_ERROR);
  EXPECT_EQ(report.diagnostics[0].file, "broken.mlir");
  EXPECT_EQ(report.diagnostics[0].line, 1u);
  EXPECT_GT(report.diagnostics[0].column, 0u);
  EXPECT_TRUE(report.cacheKey.empty());

  // A verifier error names the operand.
  const char *mismatch = R"mlir(
func.func @f(%a: tensor<4x8xf32>, %b: tensor<9x3xf32>) -> tensor<4x3xf32> {
  %0 = tessera.matmul %a, %b : tensor<4x8xf32>, tensor<9x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
})mlir";
  EXPECT_FALSE(session->load(mismatch, report, "mismatch.mlir"));
  ASSERT_FALSE(report.diagnostics.empty()) << "no diagnostics";
  EXPECT_EQ(report.diagnostics[0].line, 3u) << dump(report);
  EXPECT_NE(report.firstError().find("mismatch.mlir:3:"), std::string::npos)
      << report.firstError();
  EXPECT_NE(report.firstError().find("'b'"), std::string::npos)
      << report.firstError();

  // Valid IR the compiler refuses: no exported function.
  EXPECT_FALSE(session->load("module {}", report, "empty.mlir"));
  EXPECT_NE(report.firstError().find("exports no function"),
            std::string::npos)
      << dump(report);

  // An op of an unknown dialect.
  EXPECT_FALSE(session->load(
      "func.func @f() { \"nope.op\"() : () -> () \n return }", report));
  EXPECT_NE(report.firstError().find("<jit>:1:"), std::string::npos)
      << dump(report);
  EXPECT_NE(report.firstError().find("unregistered dialect"),
            std::string::npos)
      << dump(report);

  EXPECT_EQ(session->stats().compiles, 1u); // only "module {}" got that far
}

TEST_F(JitTest, OptionsAreValidatedAndScheduleIsApplied) {
  std::string error;
  Options bad;
  bad.target = "sm_75";
  EXPECT_FALSE(Session::create(bad, error));
  EXPECT_NE(error.find("unknown target 'sm_75'"), std::string::npos) << error;
  bad = Options();
  bad.schedule = "m-tile=0";
  EXPECT_FALSE(Session::create(bad, error));
  EXPECT_NE(error.find("m-tile"), std::string::npos) << error;
  bad.schedule = "tile=4";
  EXPECT_FALSE(Session::create(bad, error));
  EXPECT_NE(error.find("unknown CPU schedule key 'tile'"), std::string::npos)
      << error;
  bad = Options();
  bad.optLevel = 4;
  EXPECT_FALSE(Session::create(bad, error));

  Options small;
  small.schedule = "m-tile=3, n-tile=8 vector-width=4";
  std::unique_ptr<Session> tuned = makeSession(small);
  std::unique_ptr<Session> plain = makeSession();
  Report a, b;
  Module module = tuned->load(kMatmul, a);
  ASSERT_TRUE(module) << dump(a);
  ASSERT_TRUE(plain->load(kMatmul, b)) << dump(b);
  EXPECT_NE(a.cacheKey, b.cacheKey);
  std::vector<char> bytes, plainBytes;
  ASSERT_TRUE(tuned->compile(kMatmul, bytes, a));
  ASSERT_TRUE(plain->compile(kMatmul, plainBytes, b));
  // The schedule reached code generation: the objects differ.
  EXPECT_NE(bytes, plainBytes);
  EXPECT_EQ(checkAgainstReference(module.get(), bytes, "f", 17, 5), "");
}

TEST_F(JitTest, CacheModes) {
  Options off;
  off.cacheMode = TESSERA_JIT_CACHE_DISABLED;
  std::unique_ptr<Session> uncached = makeSession(off);
  EXPECT_EQ(uncached->cacheDir(), "");
  Report report;
  ASSERT_TRUE(uncached->load(kMatmul, report)) << dump(report);
  ASSERT_TRUE(uncached->load(kMatmul, report));
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_EQ(uncached->stats().compiles, 2u);

  Options memoryOnly;
  memoryOnly.cacheMode = TESSERA_JIT_CACHE_MEMORY_ONLY;
  memoryOnly.memoryCacheEntries = 1;
  std::unique_ptr<Session> session = makeSession(memoryOnly);
  ASSERT_TRUE(session->load(kMatmul, report));
  ASSERT_TRUE(session->load(kFamilies[2].text, report)); // evicts the first
  ASSERT_TRUE(session->load(kMatmul, report));
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_EQ(session->stats().compiles, 3u);
  std::error_code ec;
  EXPECT_TRUE(llvm::sys::fs::directory_iterator(cacheDir, ec) ==
              llvm::sys::fs::directory_iterator())
      << "memory-only mode wrote to disk";
}

TEST_F(JitTest, CompiledBytesAreLoadedWithoutRecompiling) {
  Options memoryOnly;
  memoryOnly.cacheMode = TESSERA_JIT_CACHE_MEMORY_ONLY;
  memoryOnly.memoryCacheEntries = 1;
  std::unique_ptr<Session> session = makeSession(memoryOnly);
  Report report;
  std::vector<char> bytes;
  ASSERT_TRUE(session->compile(kMatmul, bytes, report)) << dump(report);
  Module module = session->load(kMatmul, report);
  ASSERT_TRUE(module) << dump(report);
  EXPECT_EQ(report.source, TESSERA_JIT_SOURCE_MEMORY_CACHE);
  EXPECT_EQ(session->stats().compiles, 1u);
  // Evicted from the cache, the module the caller holds still runs.
  ASSERT_TRUE(session->load(kFamilies[2].text, report)) << dump(report);
  EXPECT_EQ(checkAgainstReference(module.get(), bytes, "f", 3, 9), "");
}

TEST_F(JitTest, ConcurrentFailuresShareTheDiagnostics) {
  std::unique_ptr<Session> session = makeSession();
  // Verifier-valid, refused by the compiler: every thread gets the error.
  const char *refused = R"mlir(
func.func @f(%a: tensor<4x8xf8E4M3FN>, %b: tensor<8x4xf8E4M3FN>) -> tensor<4x4xf32> {
  %0 = tessera.matmul %a, %b : tensor<4x8xf8E4M3FN>, tensor<8x4xf8E4M3FN> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
})mlir";
  constexpr int kThreads = 8;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Report report;
      if (!session->load(refused, report, "fp8.mlir"))
        errors[t] = report.firstError();
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_NE(errors[t].find("fp8.mlir:3:"), std::string::npos)
        << "thread " << t << ": " << errors[t];
  for (int t = 0; t < kThreads; ++t)
    EXPECT_NE(errors[t].find("fp8 element types are not supported"),
              std::string::npos)
        << errors[t];
  EXPECT_GE(session->stats().compiles, 1u);
}

TEST_F(JitTest, GpuTargetsCompileWithoutAGpu) {
  const char *graph = R"mlir(
func.func @f(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
})mlir";
  for (const char *target : {"sm_80", "sm_90a"}) {
    Options options;
    options.target = target;
    std::unique_ptr<Session> session = makeSession(options);
    Report report;
    Module module = session->load(graph, report);
    ASSERT_TRUE(module) << dump(report);
    EXPECT_STREQ(tessera_module_target(module.get()), target);
    std::vector<char> bytes;
    ASSERT_TRUE(session->compile(graph, bytes, report));
    artifact::ArtifactView view;
    std::string message;
    ASSERT_EQ(artifact::readArtifact(bytes.data(), bytes.size(), view, message),
              artifact::ReadError::None)
        << message;
    EXPECT_NE(view.find(artifact::SectionKind::Ptx), nullptr);
    EXPECT_EQ(view.find(artifact::SectionKind::CpuObject), nullptr);
  }
}

TEST_F(JitTest, ModuleBuiltByTheCaller) {
  mlir::DialectRegistry registry;
  Session::registerDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kMatmul, &context);
  ASSERT_TRUE(module);
  std::string before;
  llvm::raw_string_ostream(before) << *module;

  std::unique_ptr<Session> session = makeSession();
  Report report;
  Module loaded = session->load(*module, report);
  ASSERT_TRUE(loaded) << dump(report);
  std::string after;
  llvm::raw_string_ostream(after) << *module;
  EXPECT_EQ(before, after) << "the caller's module was modified";

  // The same IR as text shares the entry.
  Report text;
  ASSERT_TRUE(session->load(kMatmul, text));
  EXPECT_EQ(text.source, TESSERA_JIT_SOURCE_MEMORY_CACHE);
  EXPECT_EQ(text.cacheKey, report.cacheKey);
}

TEST_F(JitTest, ManyThreadsCompileAndRunAtOnce) {
  std::unique_ptr<Session> session = makeSession();
  constexpr int kThreads = 12;
  // Threads 0-5 all compile kMatmul at the same moment; the others compile
  // graphs of their own (two threads each).
  auto textFor = [](int thread) -> std::string {
    if (thread < 6)
      return kMatmul;
    std::string text = kMatmul;
    std::string k = std::to_string(100 + thread / 2);
    for (size_t at; (at = text.find("113")) != std::string::npos;)
      text.replace(at, 3, k);
    return text;
  };
  std::atomic<int> ready{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::string> keys(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::string text = textFor(t);
      ready.fetch_add(1);
      while (ready.load() < kThreads)
        std::this_thread::yield();
      Report report;
      Module module = session->load(text, report);
      if (!module) {
        errors[t] = dump(report);
        return;
      }
      keys[t] = report.cacheKey;
      std::vector<char> bytes;
      if (!session->compile(text, bytes, report)) {
        errors[t] = dump(report);
        return;
      }
      for (int run = 0; run < 3 && errors[t].empty(); ++run)
        errors[t] = checkAgainstReference(module.get(), bytes, "f",
                                          1 + 13 * run + t, t * 10 + run);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(errors[t], "") << "thread " << t;
  for (int t = 1; t < 6; ++t)
    EXPECT_EQ(keys[t], keys[0]);
  // One compile per distinct graph: 1 shared + 3 pairs.
  EXPECT_EQ(session->stats().compiles, 4u);
}

TEST_F(JitTest, CApi) {
  tessera_jit_options_t options;
  tessera_jit_options_init(&options);
  EXPECT_EQ(options.opt_level, -1);
  options.cache_dir = cacheDir.c_str();
  tessera_jit_t jit = nullptr;
  ASSERT_EQ(tessera_jit_create(&options, &jit), nullptr);
  EXPECT_EQ(std::string(tessera_jit_cache_dir(jit)), cacheDir);
  EXPECT_NE(std::string(tessera_jit_version()).find("0.1.0+"),
            std::string::npos);

  tessera_module_t module = nullptr;
  tessera_jit_report_t report = nullptr;
  ASSERT_EQ(tessera_jit_load_string(jit, kMatmul, strlen(kMatmul), "m.mlir",
                                    &module, &report),
            nullptr);
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(tessera_jit_report_source(report), TESSERA_JIT_SOURCE_COMPILED);
  EXPECT_GT(tessera_jit_report_seconds(report), 0.0);
  EXPECT_EQ(strlen(tessera_jit_report_cache_key(report)), 64u);
  tessera_jit_report_free(report);

  void *data = nullptr;
  size_t size = 0;
  ASSERT_EQ(tessera_jit_compile_string(jit, kMatmul, strlen(kMatmul), nullptr,
                                       &data, &size, nullptr),
            nullptr);
  std::vector<char> bytes(static_cast<char *>(data),
                          static_cast<char *>(data) + size);
  tessera_jit_free_buffer(data);
  EXPECT_EQ(checkAgainstReference(module, bytes, "f", 4, 2), "");
  tessera_module_release(module);

  // A file that does not exist, and invalid IR: statuses, never aborts.
  tessera_status_t status =
      tessera_jit_load_file(jit, "/nonexistent/x.mlir", &module, &report);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(tessera_status_code(status), TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tessera_status_message(status)).find("cannot read"),
            std::string::npos);
  tessera_status_free(status);
  EXPECT_EQ(module, nullptr);
  tessera_jit_report_free(report);

  const char *bad = "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n"
                    "  return %b : tensor<4xf32>\n}\n";
  status = tessera_jit_load_string(jit, bad, strlen(bad), "bad.mlir", &module,
                                   &report);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(tessera_status_message(status)).find("bad.mlir:2:"),
            std::string::npos)
      << tessera_status_message(status);
  tessera_status_free(status);
  ASSERT_GE(tessera_jit_report_diagnostic_count(report), 1u);
  tessera_jit_diagnostic_t diagnostic;
  ASSERT_EQ(tessera_jit_report_diagnostic(report, 0, &diagnostic), nullptr);
  EXPECT_EQ(diagnostic.severity, TESSERA_JIT_ERROR);
  EXPECT_STREQ(diagnostic.file, "bad.mlir");
  EXPECT_EQ(diagnostic.line, 2u);
  EXPECT_NE(std::string(diagnostic.message).find("undeclared SSA value"),
            std::string::npos)
      << diagnostic.message;
  status = tessera_jit_report_diagnostic(report, 99, &diagnostic);
  EXPECT_EQ(tessera_status_code(status), TESSERA_STATUS_NOT_FOUND);
  tessera_status_free(status);
  tessera_jit_report_free(report);

  tessera_jit_stats_t stats;
  tessera_jit_get_stats(jit, &stats);
  EXPECT_EQ(stats.compiles, 1u);
  EXPECT_EQ(stats.memory_hits, 1u);
  tessera_jit_destroy(jit);

  // Bad options.
  options.target = "gpu";
  status = tessera_jit_create(&options, &jit);
  EXPECT_EQ(tessera_status_code(status), TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(jit, nullptr);
  tessera_status_free(status);
  status = tessera_jit_create(nullptr, nullptr);
  EXPECT_EQ(tessera_status_code(status), TESSERA_STATUS_INVALID_ARGUMENT);
  tessera_status_free(status);
}

} // namespace
