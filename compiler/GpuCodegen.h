//===- GpuCodegen.h - Model graph to GPU kernels and a launch plan -*- C++ -*-//
//
// The GPU targets (sm_90a, sm_80): chooses schedules, builds the kernels,
// lowers them to PTX through LLVM's NVPTX backend (and to a cubin when
// ptxas is on PATH), and describes every exported function as a launch plan
// for the runtime (docs/artifact-format.md).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_GPUCODEGEN_H
#define TESSERA_COMPILER_GPUCODEGEN_H

#include "runtime/lib/Artifact.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::tessera {

/// What compileForGpu produced.
struct GpuProgram {
  std::vector<::tessera::artifact::FunctionDesc> functions;
  std::string ptx;
  /// Empty when ptxas was not found.
  std::vector<char> cubin;
};

/// The pass pipeline of the GPU targets as text.
std::string getGpuPipelineString(StringRef target);

/// Compiles the exported functions of `module` (in place) for `target`.
/// `configure` is applied to every pass manager (IR printing, timing).
/// Functions may hold tessera.matmul ops (chained through intermediate
/// results) and nothing else yet; anything else is an error naming the op.
FailureOr<GpuProgram>
compileForGpu(ModuleOp module, StringRef target,
              const std::function<void(PassManager &)> &configure);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_GPUCODEGEN_H
