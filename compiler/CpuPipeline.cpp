//===- CpuPipeline.cpp - The CPU compilation pipeline ---------------------===//
//
// tessera -> linalg -> one-shot bufferization -> loops / vectors -> LLVM.
//
//===----------------------------------------------------------------------===//

#include "compiler/CpuPipeline.h"

#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

bool tessera::hasSparseTensors(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    auto isSparse = [](Type t) {
      return static_cast<bool>(sparse_tensor::getSparseTensorEncoding(t));
    };
    if (llvm::any_of(op->getOperandTypes(), isSparse) ||
        llvm::any_of(op->getResultTypes(), isSparse))
      found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

std::string tessera::getCpuGraphPipelineString() {
  return "inline,symbol-dce,tessera-lower-to-linalg,canonicalize,cse";
}

std::string
tessera::getCpuCodegenPipelineString(const CpuPipelineOptions &options) {
  // Sparse modules: the upstream sparsifier bufferizes and lowers
  // everything; without its runtime library the object is self-contained.
  if (options.sparse)
    return "func.func(tessera-dealloc-sparse-tensors),"
           "sparsifier{enable-runtime-library=false}";
  std::string p;
  llvm::raw_string_ostream os(p);
  // Fuse elementwise chains, then tile and vectorize on tensors.
  if (options.optLevel > 0)
    os << "linalg-fuse-elementwise-ops,canonicalize,cse,"
          "func.func(tessera-cpu-tile-and-vectorize"
       << (options.tileOptions.empty() ? ""
                                       : "{" + options.tileOptions + "}")
       << "),canonicalize,cse,";
  os << "one-shot-bufferize{bufferize-function-boundaries=1 "
        "function-boundary-type-conversion=identity-layout-map}"
     << ",canonicalize,buffer-deallocation-pipeline"
     << ",convert-bufferization-to-memref"
     << ",func.func(tessera-memref-copy-to-linalg)"
     << ",convert-linalg-to-loops,canonicalize"
     << ",func.func(lower-vector-multi-reduction)"
     << ",convert-vector-to-scf{full-unroll=true},canonicalize"
     << ",expand-strided-metadata,lower-affine,convert-scf-to-cf"
     << ",arith-expand{include-bf16=true},convert-math-to-llvm"
     << ",convert-math-to-libm,convert-vector-to-llvm,convert-to-llvm"
     << ",reconcile-unrealized-casts";
  return p;
}

std::string tessera::parseCpuSchedule(const std::string &schedule,
                                      CpuPipelineOptions &options) {
  SmallVector<StringRef> items;
  StringRef(schedule).split(items, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  SmallVector<StringRef> pairs;
  for (StringRef item : items)
    item.split(pairs, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  std::string tileOptions;
  for (StringRef pair : pairs) {
    auto [key, value] = pair.split('=');
    key = key.trim();
    value = value.trim();
    if (key != "m-tile" && key != "n-tile" && key != "vector-width")
      return "unknown CPU schedule key '" + key.str() +
             "' (expected m-tile, n-tile or vector-width)";
    // Register tiles past 64 lanes only spill; the bound also keeps the
    // unrolled code size sane.
    unsigned number;
    if (value.getAsInteger(10, number) || number == 0 || number > 64)
      return "CPU schedule key '" + key.str() + "' needs an integer in " +
             "[1, 64], got '" + value.str() + "'";
    if (!tileOptions.empty())
      tileOptions += " ";
    tileOptions += key.str() + "=" + std::to_string(number);
  }
  options.tileOptions = tileOptions;
  return "";
}

std::string tessera::getCpuPipelineString(const CpuPipelineOptions &options) {
  return getCpuGraphPipelineString() + "," +
         getCpuCodegenPipelineString(options);
}

namespace {
struct CpuPipelineCLOptions : public PassPipelineOptions<CpuPipelineCLOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0: loops; 1+: tile + vectorize"),
                            llvm::cl::init(2)};
  Option<bool> sparse{*this, "sparse",
                      llvm::cl::desc("Lower through the sparsifier"),
                      llvm::cl::init(false)};
};
} // namespace

void tessera::registerCpuPipeline() {
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "tessera-cpu-pipeline",
      "Lower a tessera model graph to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        CpuPipelineOptions options;
        options.optLevel = cl.optLevel;
        options.sparse = cl.sparse;
        // The string is built here, so it is valid by construction.
        if (failed(parsePassPipeline(getCpuPipelineString(options), pm)))
          llvm::report_fatal_error("invalid tessera CPU pipeline");
      });
}
