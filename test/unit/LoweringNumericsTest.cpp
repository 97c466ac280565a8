//===- LoweringNumericsTest.cpp - Run tessera-lower-to-linalg on the CPU --===//
//
// Compiles tessera ops through tessera-lower-to-linalg and the upstream
// sparsifier pipeline (bufferization, lowering to LLVM), JIT-runs them, and
// compares every output with the independent float64 reference kernels on
// random inputs, with outputs poisoned (NaN) before the run.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "test/lib/Reference/Reference.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

using namespace mlir;
namespace ref = ::tessera::reference;

namespace {

//===----------------------------------------------------------------------===//
// Buffers: host data in an element type plus its memref descriptor.
//===----------------------------------------------------------------------===//

/// Element types of test buffers; Index is a 64-bit `index`.
enum class DType { F32, BF16, F16, I8, I32, Index };

size_t byteWidth(DType t) {
  switch (t) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::BF16:
  case DType::F16:
    return 2;
  case DType::I8:
    return 1;
  case DType::Index:
    return 8;
  }
  return 4;
}

/// A dense row-major buffer handed to the compiled function as a memref.
struct Buffer {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  std::vector<int64_t> descriptor;

  Buffer(DType dtype, std::vector<int64_t> shape)
      : dtype(dtype), shape(std::move(shape)) {
    bytes.resize(ref::numElements(this->shape) * byteWidth(dtype) + 1);
  }

  int64_t size() const { return ref::numElements(shape); }

  void set(int64_t i, double v) {
    uint8_t *p = bytes.data() + i * byteWidth(dtype);
    switch (dtype) {
    case DType::F32: {
      float f = static_cast<float>(v);
      std::memcpy(p, &f, 4);
      break;
    }
    case DType::BF16: {
      uint16_t h = ref::toBFloat16(static_cast<float>(v));
      std::memcpy(p, &h, 2);
      break;
    }
    case DType::F16: {
      _Float16 h = static_cast<_Float16>(v);
      std::memcpy(p, &h, 2);
      break;
    }
    case DType::I8: {
      int8_t x = static_cast<int8_t>(v);
      std::memcpy(p, &x, 1);
      break;
    }
    case DType::I32: {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    case DType::Index: {
      int64_t x = static_cast<int64_t>(v);
      std::memcpy(p, &x, 8);
      break;
    }
    }
  }

  double get(int64_t i) const {
    const uint8_t *p = bytes.data() + i * byteWidth(dtype);
    switch (dtype) {
    case DType::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::BF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return ref::fromBFloat16(h);
    }
    case DType::F16: {
      _Float16 h;
      std::memcpy(&h, p, 2);
      return static_cast<double>(h);
    }
    case DType::I8: {
      int8_t x;
      std::memcpy(&x, p, 1);
      return x;
    }
    case DType::I32: {
      int32_t x;
      std::memcpy(&x, p, 4);
      return x;
    }
    case DType::Index: {
      int64_t x;
      std::memcpy(&x, p, 8);
      return static_cast<double>(x);
    }
    }
    return 0;
  }

  /// Fills with NaN (or a sentinel for integers) so unwritten elements show.
  void poison() {
    for (int64_t i = 0; i < size(); ++i)
      set(i, dtype == DType::I32 || dtype == DType::Index
                 ? -123456789.0
                 : std::numeric_limits<double>::quiet_NaN());
  }

  /// The values as the kernel sees them (after rounding to dtype).
  ref::Tensor tensor() const {
    ref::Tensor t{shape, std::vector<double>(size())};
    for (int64_t i = 0; i < size(); ++i)
      t.data[i] = get(i);
    return t;
  }

  void *descriptorPtr() {
    size_t rank = shape.size();
    descriptor.assign(3 + 2 * rank, 0);
    void *data = bytes.data();
    std::memcpy(&descriptor[0], &data, sizeof(void *));
    std::memcpy(&descriptor[1], &data, sizeof(void *));
    int64_t stride = 1;
    for (size_t i = rank; i-- > 0;) {
      descriptor[3 + i] = shape[i];
      descriptor[3 + rank + i] = stride;
      stride *= shape[i];
    }
    return descriptor.data();
  }
};

/// Random buffer: uniform in [-1, 1) (integers in [-8, 8)), with a fraction
/// `zeros` of exact zeros for sparse operands.
Buffer randomBuffer(DType dtype, std::vector<int64_t> shape, unsigned seed,
                    double zeros = 0.0) {
  Buffer b(dtype, std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (int64_t i = 0; i < b.size(); ++i) {
    double v = dtype == DType::I8 ? std::floor(dist(gen) * 8) : dist(gen);
    if (coin(gen) < zeros)
      v = 0.0;
    b.set(i, v);
  }
  return b;
}

/// Per-dtype tolerance of an output computed in f32 and stored as `dtype`.
double tolerance(DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return 1e-2;
  case DType::F16:
    return 2e-3;
  default:
    return 2e-5;
  }
}

//===----------------------------------------------------------------------===//
// Compile and run.
//===----------------------------------------------------------------------===//

class LoweringNumerics : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    mlir::tessera::registerTesseraAndUpstreamPasses();
  }

  /// Compiles `source` (a module with `func.func @main` taking memrefs and
  /// returning nothing) and runs it on `buffers`.
  /// Compiles `source` (a module with `func.func @main` taking memrefs and
  /// returning nothing) with `pipeline` and runs it on `buffers`.
  void runPipeline(const std::string &source, const std::string &pipeline,
                   std::vector<Buffer *> buffers) {
    DialectRegistry registry;
    mlir::tessera::registerTesseraAndUpstreamDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    MLIRContext context(registry);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module) << "failed to parse:\n" << source;

    PassManager pm(&context);
    std::string errors;
    llvm::raw_string_ostream errStream(errors);
    ASSERT_TRUE(succeeded(parsePassPipeline(pipeline, pm, errStream)))
        << errors;
    ASSERT_TRUE(succeeded(pm.run(*module)))
        << "pipeline " << pipeline << " failed on:\n"
        << source;

    // memref.copy of dynamically shaped buffers calls memrefCopy.
    ExecutionEngineOptions options;
    SmallVector<StringRef> libs = {TESSERA_MLIR_C_RUNNER_UTILS};
    options.sharedLibPaths = libs;
    auto engine = ExecutionEngine::create(*module, options);
    ASSERT_TRUE(static_cast<bool>(engine))
        << llvm::toString(engine.takeError());

    std::vector<void *> descriptors, packed;
    for (Buffer *b : buffers)
      descriptors.push_back(b->descriptorPtr());
    for (void *&d : descriptors)
      packed.push_back(&d);
    llvm::Error err = (*engine)->invokePacked("_mlir_ciface_main", packed);
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  }

  /// Runs `source` through the reference lowering (tessera-lower-to-linalg
  /// and the upstream sparsifier's scalar code) and leaves its results in
  /// `buffers` for the test to check against float64. Dense modules also go
  /// through Tessera's CPU pipeline (tiled, vectorized), on the same
  /// inputs with outputs poisoned again, and must agree with the first run.
  void run(const std::string &source, std::vector<Buffer *> buffers) {
    std::vector<std::vector<uint8_t>> before;
    for (Buffer *b : buffers)
      before.push_back(b->bytes);
    runPipeline(source,
                "tessera-lower-to-linalg,arith-expand{include-bf16=true},"
                "sparsifier{enable-runtime-library=false}",
                buffers);
    if (HasFatalFailure() || source.find("sparse_tensor") != std::string::npos)
      return;
    std::vector<std::vector<uint8_t>> reference;
    for (auto [b, bytes] : llvm::zip(buffers, before)) {
      reference.push_back(b->bytes);
      b->bytes = bytes;
    }
    runPipeline(source, "tessera-cpu-pipeline", buffers);
    for (auto [b, ref] : llvm::zip(buffers, reference)) {
      Buffer first(b->dtype, b->shape);
      first.bytes = ref;
      double scale = 1.0, err = 0.0;
      for (int64_t i = 0; i < first.size(); ++i) {
        double x = first.get(i), y = b->get(i);
        if (std::isfinite(x))
          scale = std::max(scale, std::abs(x));
        if (std::isnan(x) != std::isnan(y) || (std::isinf(x) && x != y) ||
            (std::isfinite(x) && !std::isfinite(y)))
          err = INFINITY;
        else if (std::isfinite(x))
          err = std::max(err, std::abs(x - y));
      }
      EXPECT_LE(err, 2 * tolerance(b->dtype) * scale)
          << "tessera-cpu-pipeline disagrees with the reference lowering";
    }
  }
};

const char *dtypeName(DType t) {
  const char *names[] = {"f32", "bf16", "f16", "i8", "i32", "index"};
  return names[static_cast<int>(t)];
}

/// The MLIR type of a buffer: memref<AxBx...xT> with `?` where `dynamic`.
std::string memrefType(const Buffer &b, std::vector<bool> dynamic = {}) {
  std::ostringstream os;
  os << "memref<";
  for (size_t i = 0; i < b.shape.size(); ++i) {
    if (i < dynamic.size() && dynamic[i])
      os << "?x";
    else
      os << b.shape[i] << "x";
  }
  os << dtypeName(b.dtype) << ">";
  return os.str();
}
std::string tensorType(const std::string &memref) {
  return "tensor" + memref.substr(std::strlen("memref"));
}

/// Expects `got` to match `want` within `tol` relative to max(1, max|want|).
void expectClose(const ref::Tensor &got, const ref::Tensor &want, double tol,
                 const std::string &what) {
  ASSERT_EQ(got.shape, want.shape) << what;
  double scale = 1.0;
  for (double v : want.data)
    if (std::isfinite(v))
      scale = std::max(scale, std::abs(v));
  double err = ref::maxAbsDiff(got, want);
  EXPECT_LE(err, tol * scale)
      << what << ": max abs error " << err << " (scale " << scale << ")";
}

} // namespace

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

struct MatmulCase {
  int64_t m, k, n;
  const char *epilogue;
  ref::Epilogue refEpilogue;
  DType in, out;
  bool dynamicM;
};
// The test name describes the case; keep CTest names short.
void PrintTo(const MatmulCase &, std::ostream *os) { *os << "case"; }

class MatmulNumerics : public LoweringNumerics,
                       public ::testing::WithParamInterface<MatmulCase> {};

TEST_P(MatmulNumerics, MatchesReference) {
  const MatmulCase &c = GetParam();
  Buffer a = randomBuffer(c.in, {c.m, c.k}, 1);
  Buffer b = randomBuffer(c.in, {c.k, c.n}, 2);
  Buffer bias = randomBuffer(DType::F32, {c.n}, 3);
  Buffer out(c.out, {c.m, c.n});
  out.poison();
  std::vector<bool> dyn = {c.dynamicM, false};
  std::string ta = memrefType(a, dyn), tb = memrefType(b),
              tbias = memrefType(bias), tout = memrefType(out, dyn);
  std::ostringstream src;
  src << "func.func @main(%a: " << ta << ", %b: " << tb << ", %bias: " << tbias
      << ", %out: " << tout << ") attributes {llvm.emit_c_interface} {\n"
      << "  %ta = bufferization.to_tensor %a restrict : " << ta << " to "
      << tensorType(ta) << "\n"
      << "  %tb = bufferization.to_tensor %b restrict : " << tb << " to "
      << tensorType(tb) << "\n"
      << "  %tbias = bufferization.to_tensor %bias restrict : " << tbias
      << " to " << tensorType(tbias) << "\n"
      << "  %r = tessera.matmul %ta, %tb, %tbias {alpha = 0.75 : f32, "
      << "epilogue = #tessera.epilogue<" << c.epilogue
      << ">} : " << tensorType(ta) << ", " << tensorType(tb) << ", "
      << tensorType(tbias) << " -> " << tensorType(tout) << "\n"
      << "  bufferization.materialize_in_destination %r in restrict writable "
      << "%out : (" << tensorType(tout) << ", " << tout << ") -> ()\n"
      << "  return\n}\n";
  run(src.str(), {&a, &b, &bias, &out});

  ref::MatmulOptions opts;
  opts.alpha = 0.75;
  opts.epilogue = c.refEpilogue;
  ref::Tensor biasT = bias.tensor();
  std::optional<ref::Tensor> want =
      ref::matmul(a.tensor(), b.tensor(), &biasT, opts);
  ASSERT_TRUE(want);
  expectClose(out.tensor(), *want, tolerance(c.out), "matmul");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulNumerics,
    ::testing::Values(MatmulCase{1, 1, 1, "none", ref::Epilogue::None,
                                 DType::F32, DType::F32, false},
                      MatmulCase{7, 113, 255, "relu", ref::Epilogue::Relu,
                                 DType::F32, DType::F32, false},
                      MatmulCase{113, 7, 1, "gelu_tanh",
                                 ref::Epilogue::GeluTanh, DType::F32,
                                 DType::F32, true},
                      MatmulCase{17, 64, 33, "silu", ref::Epilogue::Silu,
                                 DType::BF16, DType::BF16, true},
                      MatmulCase{255, 17, 7, "none", ref::Epilogue::None,
                                 DType::F16, DType::F32, true}),
    [](const ::testing::TestParamInfo<MatmulCase> &info) {
      const MatmulCase &c = info.param;
      return "m" + std::to_string(c.m) + "_k" + std::to_string(c.k) + "_n" +
             std::to_string(c.n) + "_" + c.epilogue + "_" + dtypeName(c.in) +
             "_to_" + dtypeName(c.out) + (c.dynamicM ? "_dynamic" : "");
    });

TEST_F(LoweringNumerics, MatmulBatchedTransposedBroadcast) {
  // a: [2, 1, K=7, M=5] (transpose_a), b: [3, N=4, K=7] (transpose_b).
  Buffer a = randomBuffer(DType::F32, {2, 1, 7, 5}, 4);
  Buffer b = randomBuffer(DType::F32, {3, 4, 7}, 5);
  Buffer out(DType::F32, {2, 3, 5, 4});
  out.poison();
  run(R"(
func.func @main(%a: memref<2x1x7x5xf32>, %b: memref<3x4x7xf32>, %out: memref<2x3x5x4xf32>) attributes {llvm.emit_c_interface} {
  %ta = bufferization.to_tensor %a restrict : memref<2x1x7x5xf32> to tensor<2x1x7x5xf32>
  %tb = bufferization.to_tensor %b restrict : memref<3x4x7xf32> to tensor<3x4x7xf32>
  %r = tessera.matmul %ta, %tb {transpose_a, transpose_b} : tensor<2x1x7x5xf32>, tensor<3x4x7xf32> -> tensor<2x3x5x4xf32>
  bufferization.materialize_in_destination %r in restrict writable %out : (tensor<2x3x5x4xf32>, memref<2x3x5x4xf32>) -> ()
  return
})",
      {&a, &b, &out});
  ref::MatmulOptions opts;
  opts.transposeA = opts.transposeB = true;
  std::optional<ref::Tensor> want =
      ref::matmul(a.tensor(), b.tensor(), nullptr, opts);
  ASSERT_TRUE(want);
  expectClose(out.tensor(), *want, tolerance(DType::F32), "batched matmul");
}

TEST_F(LoweringNumerics, MatmulInt8IsExact) {
  Buffer a = randomBuffer(DType::I8, {13, 255}, 6);
  Buffer b = randomBuffer(DType::I8, {255, 9}, 7);
  Buffer out(DType::I32, {13, 9});
  out.poison();
  run(R"(
func.func @main(%a: memref<13x255xi8>, %b: memref<255x9xi8>, %out: memref<13x9xi32>) attributes {llvm.emit_c_interface} {
  %ta = bufferization.to_tensor %a restrict : memref<13x255xi8> to tensor<13x255xi8>
  %tb = bufferization.to_tensor %b restrict : memref<255x9xi8> to tensor<255x9xi8>
  %r = tessera.matmul %ta, %tb : tensor<13x255xi8>, tensor<255x9xi8> -> tensor<13x9xi32>
  bufferization.materialize_in_destination %r in restrict writable %out : (tensor<13x9xi32>, memref<13x9xi32>) -> ()
  return
})",
      {&a, &b, &out});
  std::optional<ref::Tensor> want =
      ref::matmul(a.tensor(), b.tensor(), nullptr);
  ASSERT_TRUE(want);
  EXPECT_EQ(ref::maxAbsDiff(out.tensor(), *want), 0.0);
}

//===----------------------------------------------------------------------===//
// Helpers to write @main for one op.
//===----------------------------------------------------------------------===//

namespace {
/// One argument of @main: `%name` (memref) and `%name_t` (its tensor).
struct Arg {
  std::string name;
  Buffer *buffer;
  std::vector<bool> dynamic = {};
  std::string memref() const { return memrefType(*buffer, dynamic); }
  std::string tensor() const { return tensorType(memref()); }
};

/// @main taking `inputs` then `outputs`; `body` uses %<input>_t and must
/// define %<output>_r for every output.
std::string makeMain(const std::vector<Arg> &inputs,
                     const std::vector<Arg> &outputs, const std::string &body) {
  std::ostringstream os;
  os << "func.func @main(";
  bool first = true;
  for (const std::vector<Arg> *list : {&inputs, &outputs})
    for (const Arg &a : *list) {
      os << (first ? "" : ", ") << "%" << a.name << ": " << a.memref();
      first = false;
    }
  os << ") attributes {llvm.emit_c_interface} {\n";
  for (const Arg &a : inputs)
    os << "  %" << a.name << "_t = bufferization.to_tensor %" << a.name
       << " restrict : " << a.memref() << " to " << a.tensor() << "\n";
  os << body << "\n";
  for (const Arg &a : outputs)
    os << "  bufferization.materialize_in_destination %" << a.name
       << "_r in restrict writable %" << a.name << " : (" << a.tensor() << ", "
       << a.memref() << ") -> ()\n";
  os << "  return\n}\n";
  return os.str();
}

std::vector<Buffer *> buffersOf(const std::vector<Arg> &inputs,
                                const std::vector<Arg> &outputs) {
  std::vector<Buffer *> all;
  for (const Arg &a : inputs)
    all.push_back(a.buffer);
  for (const Arg &a : outputs) {
    a.buffer->poison();
    all.push_back(a.buffer);
  }
  return all;
}
} // namespace

//===----------------------------------------------------------------------===//
// attention and merge_attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  int64_t b, hq, hkv, sq, skv, d, dv;
  bool causal;
  int64_t window;
  bool dynamicSeq;
  DType dtype;
};
// The test name describes the case; keep CTest names short.
void PrintTo(const AttentionCase &, std::ostream *os) { *os << "case"; }

class AttentionNumerics : public LoweringNumerics,
                          public ::testing::WithParamInterface<AttentionCase> {
};

TEST_P(AttentionNumerics, MatchesReference) {
  const AttentionCase &c = GetParam();
  Buffer q = randomBuffer(c.dtype, {c.b, c.hq, c.sq, c.d}, 11);
  Buffer k = randomBuffer(c.dtype, {c.b, c.hkv, c.skv, c.d}, 12);
  Buffer v = randomBuffer(c.dtype, {c.b, c.hkv, c.skv, c.dv}, 13);
  Buffer out(c.dtype, {c.b, c.hq, c.sq, c.dv});
  Buffer lse(DType::F32, {c.b, c.hq, c.sq});
  std::vector<bool> seq = {c.dynamicSeq, false, c.dynamicSeq, false};
  std::vector<Arg> ins = {{"q", &q, seq}, {"k", &k, seq}, {"v", &v, seq}};
  std::vector<Arg> outs = {{"out", &out, seq},
                           {"lse", &lse, {c.dynamicSeq, false, c.dynamicSeq}}};
  std::ostringstream attrs;
  attrs << "{scale = 0.3 : f32";
  if (c.causal)
    attrs << ", causal";
  if (c.window)
    attrs << ", window = " << c.window;
  attrs << "}";
  std::string body = "  %out_r, %lse_r = tessera.attention %q_t, %k_t, %v_t " +
                     attrs.str() + " : " + ins[0].tensor() + ", " +
                     ins[1].tensor() + ", " + ins[2].tensor() + " -> " +
                     outs[0].tensor() + ", " + outs[1].tensor();
  run(makeMain(ins, outs, body), buffersOf(ins, outs));

  ref::AttentionOptions opts;
  opts.scale = 0.3f; // the f32 attribute, widened
  opts.causal = c.causal;
  opts.window = c.window;
  std::optional<ref::AttentionResult> want =
      ref::attention(q.tensor(), k.tensor(), v.tensor(), opts);
  ASSERT_TRUE(want);
  expectClose(out.tensor(), want->out, tolerance(c.dtype), "attention out");
  expectClose(lse.tensor(), want->lse, 2e-5, "attention lse");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionNumerics,
    ::testing::Values(
        // GQA, causal, Sq != Skv.
        AttentionCase{2, 4, 2, 7, 113, 16, 8, true, 0, false, DType::F32},
        // MQA decode step, no mask, dynamic lengths.
        AttentionCase{1, 3, 1, 1, 255, 32, 16, false, 0, true, DType::F32},
        // Sliding window.
        AttentionCase{1, 2, 2, 33, 33, 8, 8, true, 5, true, DType::F32},
        // More queries than keys: the first rows see no key (0 / -inf).
        AttentionCase{1, 2, 1, 9, 4, 8, 4, true, 0, false, DType::F32},
        // bf16 in and out.
        AttentionCase{1, 8, 2, 17, 64, 64, 64, true, 0, true, DType::BF16}),
    [](const ::testing::TestParamInfo<AttentionCase> &info) {
      const AttentionCase &c = info.param;
      return "hq" + std::to_string(c.hq) + "_hkv" + std::to_string(c.hkv) +
             "_sq" + std::to_string(c.sq) + "_skv" + std::to_string(c.skv) +
             "_d" + std::to_string(c.d) + (c.causal ? "_causal" : "") +
             (c.window ? "_window" + std::to_string(c.window) : "") +
             (c.dynamicSeq ? "_dynamic" : "") + "_" + dtypeName(c.dtype);
    });

TEST_F(LoweringNumerics, MergeAttentionOfTwoKeyBlocksEqualsFullAttention) {
  // Attention over keys [0, 40) and [40, 113) merged must equal attention
  // over all keys; causal with Sq > Skv gives rows where a block is empty.
  const int64_t sq = 50, skv = 113, split = 40, d = 8;
  Buffer q = randomBuffer(DType::F32, {1, 2, sq, d}, 21);
  Buffer k = randomBuffer(DType::F32, {1, 2, skv, d}, 22);
  Buffer v = randomBuffer(DType::F32, {1, 2, skv, d}, 23);
  auto slice = [&](const ref::Tensor &t, int64_t lo, int64_t hi) {
    ref::Tensor s{{1, 2, hi - lo, d}, {}};
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t j = lo; j < hi; ++j)
        for (int64_t e = 0; e < d; ++e)
          s.data.push_back(t.data[(h * skv + j) * d + e]);
    return s;
  };
  ref::AttentionOptions opts;
  std::optional<ref::AttentionResult> p1 =
      ref::attention(q.tensor(), slice(k.tensor(), 0, split),
                     slice(v.tensor(), 0, split), opts);
  std::optional<ref::AttentionResult> p2 =
      ref::attention(q.tensor(), slice(k.tensor(), split, skv),
                     slice(v.tensor(), split, skv), opts);
  ASSERT_TRUE(p1 && p2);
  auto toBuffer = [](const ref::Tensor &t) {
    Buffer b(DType::F32, t.shape);
    for (int64_t i = 0; i < b.size(); ++i)
      b.set(i, t.data[i]);
    return b;
  };
  Buffer o1 = toBuffer(p1->out), l1 = toBuffer(p1->lse);
  Buffer o2 = toBuffer(p2->out), l2 = toBuffer(p2->lse);
  // Make one row empty in both parts: out must be 0 and lse -inf there.
  for (int64_t e = 0; e < d; ++e) {
    o1.set(e, 0.0);
    o2.set(e, 0.0);
  }
  l1.set(0, -INFINITY);
  l2.set(0, -INFINITY);
  Buffer out(DType::F32, {1, 2, sq, d}), lse(DType::F32, {1, 2, sq});
  std::vector<Arg> ins = {{"o1", &o1, {false, false, true, false}},
                          {"l1", &l1, {false, false, true}},
                          {"o2", &o2, {false, false, true, false}},
                          {"l2", &l2, {false, false, true}}};
  std::vector<Arg> outs = {{"out", &out, {false, false, true, false}},
                           {"lse", &lse, {false, false, true}}};
  std::string body = "  %out_r, %lse_r = tessera.merge_attention %o1_t, %l1_t, "
                     "%o2_t, %l2_t : " +
                     ins[0].tensor() + ", " + ins[1].tensor() + ", " +
                     ins[2].tensor() + ", " + ins[3].tensor() + " -> " +
                     outs[0].tensor() + ", " + outs[1].tensor();
  run(makeMain(ins, outs, body), buffersOf(ins, outs));

  std::optional<ref::AttentionResult> merged =
      ref::mergeAttention(o1.tensor(), l1.tensor(), o2.tensor(), l2.tensor());
  ASSERT_TRUE(merged);
  expectClose(out.tensor(), merged->out, 2e-5, "merged out");
  expectClose(lse.tensor(), merged->lse, 2e-5, "merged lse");
  EXPECT_EQ(out.get(0), 0.0);
  EXPECT_EQ(lse.get(0), -INFINITY);
  // Away from the row made empty, the merge equals full attention.
  std::optional<ref::AttentionResult> full =
      ref::attention(q.tensor(), k.tensor(), v.tensor(), opts);
  ASSERT_TRUE(full);
  for (int64_t i = d; i < out.size(); ++i)
    EXPECT_NEAR(out.get(i), full->out.data[i], 1e-5) << "element " << i;
}

//===----------------------------------------------------------------------===//
// fftconv
//===----------------------------------------------------------------------===//

struct FFTConvCase {
  int64_t b, h, n, l, keep;
  bool skip, dynamic;
  DType dtype;
};
// The test name describes the case; keep CTest names short.
void PrintTo(const FFTConvCase &, std::ostream *os) { *os << "case"; }

class FFTConvNumerics : public LoweringNumerics,
                        public ::testing::WithParamInterface<FFTConvCase> {};

TEST_P(FFTConvNumerics, MatchesReference) {
  const FFTConvCase &c = GetParam();
  Buffer u = randomBuffer(c.dtype, {c.b, c.h, c.n}, 31);
  Buffer k = randomBuffer(c.dtype, {c.h, c.l}, 32);
  Buffer d = randomBuffer(c.dtype, {c.h}, 33);
  Buffer y(c.dtype, {c.b, c.h, c.n});
  std::vector<bool> dynU = {c.dynamic, false, c.dynamic};
  std::vector<Arg> ins = {{"u", &u, dynU}, {"k", &k, {false, c.dynamic}}};
  if (c.skip)
    ins.push_back({"d", &d});
  std::vector<Arg> outs = {{"y", &y, dynU}};
  std::string body = "  %y_r = tessera.fftconv %u_t, %k_t";
  if (c.skip)
    body += ", %d_t";
  if (c.keep)
    body += " {keep_frequencies = " + std::to_string(c.keep) + "}";
  body += " : " + ins[0].tensor() + ", " + ins[1].tensor();
  if (c.skip)
    body += ", " + ins[2].tensor();
  body += " -> " + outs[0].tensor();
  run(makeMain(ins, outs, body), buffersOf(ins, outs));

  ref::Tensor dT = d.tensor();
  std::optional<ref::Tensor> want =
      ref::fftconv(u.tensor(), k.tensor(), c.skip ? &dT : nullptr, c.keep);
  ASSERT_TRUE(want);
  // The truncated variant sums 2N cosines per filter tap in f32.
  double tol = c.keep ? 1e-4 : tolerance(c.dtype);
  expectClose(y.tensor(), *want, tol, "fftconv");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FFTConvNumerics,
    ::testing::Values(FFTConvCase{2, 3, 113, 7, 0, true, false, DType::F32},
                      FFTConvCase{1, 2, 255, 255, 0, false, true, DType::F32},
                      FFTConvCase{3, 1, 1, 1, 0, true, true, DType::F32},
                      FFTConvCase{2, 4, 64, 64, 0, true, true, DType::F16},
                      FFTConvCase{2, 3, 16, 9, 5, true, false, DType::F32},
                      FFTConvCase{1, 2, 33, 33, 1, false, true, DType::F32},
                      // F > N keeps every frequency.
                      FFTConvCase{1, 2, 12, 5, 13, true, false, DType::F32}),
    [](const ::testing::TestParamInfo<FFTConvCase> &info) {
      const FFTConvCase &c = info.param;
      return "b" + std::to_string(c.b) + "_h" + std::to_string(c.h) + "_n" +
             std::to_string(c.n) + "_l" + std::to_string(c.l) +
             (c.keep ? "_keep" + std::to_string(c.keep) : "") +
             (c.skip ? "_skip" : "") + (c.dynamic ? "_dynamic" : "") + "_" +
             dtypeName(c.dtype);
    });

//===----------------------------------------------------------------------===//
// spmm / spgemm (sparse operands built in-kernel from dense inputs)
//===----------------------------------------------------------------------===//

struct SparseCase {
  const char *name;
  const char *encoding;
  int64_t m, k, n;
  bool dynamic;
};
// The test name describes the case; keep CTest names short.
void PrintTo(const SparseCase &, std::ostream *os) { *os << "case"; }

class SpMMNumerics : public LoweringNumerics,
                     public ::testing::WithParamInterface<SparseCase> {};

TEST_P(SpMMNumerics, MatchesReference) {
  const SparseCase &c = GetParam();
  Buffer a = randomBuffer(DType::F32, {c.m, c.k}, 41, /*zeros=*/0.7);
  if (std::string(c.name) == "bsr") {
    // Empty every other 2x2 block.
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.k; ++j)
        if (((i / 2) + (j / 2)) % 2)
          a.set(i * c.k + j, 0.0);
  }
  Buffer b = randomBuffer(DType::F32, {c.k, c.n}, 42);
  Buffer y(DType::F32, {c.m, c.n});
  std::vector<bool> dyn = {c.dynamic, c.dynamic};
  std::vector<Arg> ins = {{"a", &a, dyn}, {"b", &b, dyn}};
  std::vector<Arg> outs = {{"y", &y, dyn}};
  std::string sparseType = ins[0].tensor();
  sparseType.insert(sparseType.size() - 1, ", #SP");
  std::string body = "  %s = sparse_tensor.convert %a_t : " + ins[0].tensor() +
                     " to " + sparseType +
                     "\n  %y_r = tessera.spmm %s, %b_t : " + sparseType + ", " +
                     ins[1].tensor() + " -> " + outs[0].tensor();
  std::string source = std::string("#SP = #sparse_tensor.encoding<{ map = ") +
                       c.encoding + " }>\n" + makeMain(ins, outs, body);
  run(source, buffersOf(ins, outs));

  std::optional<ref::Csr> csr = ref::denseToCsr(a.tensor());
  ASSERT_TRUE(csr);
  std::optional<ref::Tensor> want = ref::spmm(*csr, b.tensor());
  ASSERT_TRUE(want);
  expectClose(y.tensor(), *want, tolerance(DType::F32), c.name);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, SpMMNumerics,
    ::testing::Values(
        SparseCase{"csr", "(i, j) -> (i : dense, j : compressed)", 113, 64, 7,
                   false},
        SparseCase{"csr_dynamic", "(i, j) -> (i : dense, j : compressed)", 33,
                   17, 5, true},
        SparseCase{
            "bsr",
            "(i, j) -> (i floordiv 2 : dense, j floordiv 2 : compressed, "
            "i mod 2 : dense, j mod 2 : dense)",
            16, 24, 5, false}),
    [](const ::testing::TestParamInfo<SparseCase> &info) {
      return std::string(info.param.name);
    });

TEST_F(LoweringNumerics, SpMM2of4MatchesReference) {
  // A 2:4 matrix is handed over in its storage form (the in-group
  // coordinate and value of two entries per group of four) and assembled
  // into a #NV24 tensor in the kernel.
  const int64_t m = 9, k = 32, n = 6, slots = m * k / 2;
  Buffer dense = randomBuffer(DType::F32, {m, k}, 61);
  Buffer crd(DType::Index, {slots});
  Buffer vals(DType::F32, {slots});
  std::mt19937 gen(62);
  int64_t next = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t g = 0; g < k / 4; ++g) {
      // Keep two positions of the group (chosen at random), zero the rest.
      int64_t first = gen() % 4, second = (first + 1 + gen() % 3) % 4;
      if (first > second)
        std::swap(first, second);
      for (int64_t s = 0; s < 4; ++s)
        if (s != first && s != second)
          dense.set(i * k + g * 4 + s, 0.0);
      for (int64_t s : {first, second}) {
        crd.set(next, s);
        vals.set(next++, dense.get(i * k + g * 4 + s));
      }
    }
  Buffer b = randomBuffer(DType::F32, {k, n}, 63);
  Buffer y(DType::F32, {m, n});
  y.poison();
  run(R"(
#NV24 = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j floordiv 4 : dense, j mod 4 : structured[2, 4]) }>
func.func @main(%crd: memref<144xindex>, %vals: memref<144xf32>, %b: memref<32x6xf32>, %y: memref<9x6xf32>) attributes {llvm.emit_c_interface} {
  %c = bufferization.to_tensor %crd restrict : memref<144xindex> to tensor<144xindex>
  %v = bufferization.to_tensor %vals restrict : memref<144xf32> to tensor<144xf32>
  %bt = bufferization.to_tensor %b restrict : memref<32x6xf32> to tensor<32x6xf32>
  %s = sparse_tensor.assemble (%c), %v : (tensor<144xindex>), tensor<144xf32> to tensor<9x32xf32, #NV24>
  %r = tessera.spmm %s, %bt : tensor<9x32xf32, #NV24>, tensor<32x6xf32> -> tensor<9x6xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<9x6xf32>, memref<9x6xf32>) -> ()
  return
})",
      {&crd, &vals, &b, &y});
  std::optional<ref::Csr> csr = ref::denseToCsr(dense.tensor());
  ASSERT_TRUE(csr);
  std::optional<ref::Tensor> want = ref::spmm(*csr, b.tensor());
  ASSERT_TRUE(want);
  expectClose(y.tensor(), *want, tolerance(DType::F32), "2:4 spmm");
}

TEST_F(LoweringNumerics, SpGEMMMatchesReference) {
  // The CSR product is read back densely by multiplying it with an identity
  // (tessera.spmm zero-initializes its output; a sparse-to-dense convert
  // into a poisoned destination would only write the stored entries).
  Buffer a = randomBuffer(DType::F32, {33, 40}, 51, /*zeros=*/0.8);
  Buffer b = randomBuffer(DType::F32, {40, 17}, 52, /*zeros=*/0.8);
  Buffer eye(DType::F32, {17, 17});
  for (int64_t i = 0; i < 17; ++i)
    for (int64_t j = 0; j < 17; ++j)
      eye.set(i * 17 + j, i == j ? 1.0 : 0.0);
  Buffer y(DType::F32, {33, 17});
  std::vector<bool> dyn = {true, true};
  std::vector<Arg> ins = {{"a", &a, dyn}, {"b", &b, dyn}, {"eye", &eye, dyn}};
  std::vector<Arg> outs = {{"y", &y, dyn}};
  std::string body =
      R"(  %sa = sparse_tensor.convert %a_t : tensor<?x?xf32> to tensor<?x?xf32, #CSR>
  %sb = sparse_tensor.convert %b_t : tensor<?x?xf32> to tensor<?x?xf32, #CSR>
  %c = tessera.spgemm %sa, %sb : tensor<?x?xf32, #CSR>, tensor<?x?xf32, #CSR> -> tensor<?x?xf32, #CSR>
  %y_r = tessera.spmm %c, %eye_t : tensor<?x?xf32, #CSR>, tensor<?x?xf32> -> tensor<?x?xf32>)";
  std::string source =
      "#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : "
      "compressed) }>\n" +
      makeMain(ins, outs, body);
  run(source, buffersOf(ins, outs));

  std::optional<ref::Csr> ca = ref::denseToCsr(a.tensor());
  std::optional<ref::Csr> cb = ref::denseToCsr(b.tensor());
  ASSERT_TRUE(ca && cb);
  std::optional<ref::Csr> c = ref::spgemm(*ca, *cb);
  ASSERT_TRUE(c);
  std::optional<ref::Tensor> want = ref::csrToDense(*c);
  ASSERT_TRUE(want);
  expectClose(y.tensor(), *want, tolerance(DType::F32), "spgemm");
}
