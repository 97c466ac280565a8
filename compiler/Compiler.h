//===- Compiler.h - Model graph to artifact ---------------------*- C++ -*-===//
//
// The compiler as a library: a parsed model graph in, a `.tsm` artifact (or
// an intermediate form) out. Used by tessera-compile and the JIT.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_COMPILER_H
#define TESSERA_COMPILER_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::tessera {

/// What to produce.
enum class EmitKind { MLIR, LLVM, Object, Ptx, Artifact };

struct CompileOptions {
  /// "cpu" (default), "sm_90a" or "sm_80".
  std::string target = "cpu";
  unsigned optLevel = 2;
  /// Schedule overrides as "key=value" pairs. On the CPU target: m-tile,
  /// n-tile, vector-width (see tessera-cpu-tile-and-vectorize).
  std::string schedule;
  EmitKind emit = EmitKind::Artifact;
  /// Called on each pass manager before it runs (IR printing, timing).
  std::function<void(PassManager &)> configurePassManager;
};

/// Parses `pipeline`, lets `configure` (may be empty) adjust the pass
/// manager, and runs it on `module`; an invalid pipeline is an error on the
/// module.
LogicalResult
runPassPipeline(ModuleOp module, StringRef pipeline,
                const std::function<void(PassManager &)> &configure);

/// The full pass pipeline for `options` as text.
FailureOr<std::string> getPipelineString(ModuleOp module,
                                         const CompileOptions &options);

/// Compiles `module` in place and returns the requested output: MLIR text in
/// the LLVM dialect, LLVM IR text, an object file or a `.tsm` artifact.
/// Diagnostics go to the context's handler; failure means one was emitted.
FailureOr<std::vector<char>> compile(ModuleOp module,
                                     const CompileOptions &options);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_COMPILER_H
