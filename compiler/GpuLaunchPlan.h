//===- GpuLaunchPlan.h - Launch plans from kernel ABIs ----------*- C++ -*-===//
//
// Turns the `tessera.launch_plans` that tessera-gpu-build-kernels records on
// every op of a function into the function's plan in the artifact
// (docs/artifact-format.md): device temporaries for intermediates and for
// the kernels' own buffers, and one variant per combination of the ops'
// schedule classes, each listing every op's launches in program order.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_GPULAUNCHPLAN_H
#define TESSERA_COMPILER_GPULAUNCHPLAN_H

#include "Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tessera {

/// Builds the plan of `func` into `desc`, whose args and results are set.
/// Adds to `tensorMaps`, for every kernel it launches, the number of
/// tensor-map parameters it takes first. Emits an error naming the op on a
/// function the GPU targets cannot run.
LogicalResult buildLaunchPlan(func::FuncOp func,
                              ::tessera::artifact::FunctionDesc &desc,
                              llvm::StringMap<unsigned> &tensorMaps);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_GPULAUNCHPLAN_H
