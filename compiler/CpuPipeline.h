//===- CpuPipeline.h - The CPU compilation pipeline -------------*- C++ -*-===//
//
// Builds the pass pipeline that takes a tessera model graph to the LLVM
// dialect for the host CPU.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CPUPIPELINE_H
#define TESSERA_COMPILER_CPUPIPELINE_H

#include <string>

namespace mlir {
class OpPassManager;
class ModuleOp;
namespace tessera {

/// Options of the CPU pipeline.
struct CpuPipelineOptions {
  /// 0: plain loops; 1+: tiled and vectorized linalg.
  unsigned optLevel = 2;
  /// The module contains sparse tensors: go through the upstream sparsifier.
  bool sparse = false;
  /// Schedule overrides: options of tessera-cpu-tile-and-vectorize
  /// ("m-tile=4 n-tile=8"); empty keeps the pass's defaults.
  std::string tileOptions;
};

/// Parses a CPU schedule override, "key=value" pairs separated by commas or
/// spaces with keys m-tile, n-tile and vector-width (positive integers), into
/// `options.tileOptions`. On failure returns a message naming the bad key or
/// value.
std::string parseCpuSchedule(const std::string &schedule,
                             CpuPipelineOptions &options);

/// Whether any function of `module` has a sparse tensor in its signature or
/// body.
bool hasSparseTensors(ModuleOp module);

/// Graph stage: inline helpers, tessera -> linalg on tensors, clean up.
/// Signatures are computed after it.
std::string getCpuGraphPipelineString();

/// Codegen stage: bufferization, loops / vectors, LLVM dialect.
std::string getCpuCodegenPipelineString(const CpuPipelineOptions &options);

/// Both stages (for --print-pipeline and `tessera-cpu-pipeline`).
std::string getCpuPipelineString(const CpuPipelineOptions &options);

/// Registers `tessera-cpu-pipeline` (and its options) with the pass registry.
void registerCpuPipeline();

} // namespace tessera
} // namespace mlir

#endif // TESSERA_COMPILER_CPUPIPELINE_H
