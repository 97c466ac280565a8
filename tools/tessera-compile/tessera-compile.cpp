//===- tessera-compile.cpp - The Tessera compiler driver ------------------===//
//
// Model graph (.mlir) in, `.tsm` artifact (or MLIR / LLVM IR / object) out.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Registration.h"
#include "runtime/lib/GpuTargets.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

using namespace mlir;

int main(int argc, char **argv) {
  CLI::App app{"tessera-compile: compile a Tessera model graph (.mlir) into a "
               ".tsm artifact for the CPU or an NVIDIA GPU"};
  std::string input, output, target = "cpu", emit = "tsm", dumpAfter,
      schedule;
  bool printPipeline = false, timing = false;
  unsigned optLevel = 2;
  app.add_option("input", input, "Model graph in MLIR text ('-' for stdin)")
      ->required();
  app.add_option("-o,--output", output,
                 "Output file (default: <input>.tsm, or stdout for text "
                 "forms; '-' for stdout)");
  app.add_option("--target", target,
                 "Target: cpu (default), " + ::tessera::listGpuTargets())
      ->check([](const std::string &t) -> std::string {
        if (t == "cpu" || ::tessera::findGpuTarget(t))
          return "";
        return "unknown target '" + t + "' (expected cpu, " +
               ::tessera::listGpuTargets() + ")";
      });
  app.add_option("--emit", emit,
                 "Output kind: tsm (artifact, default), mlir (LLVM dialect "
                 "after the pipeline), llvm (LLVM IR), obj (object file), "
                 "ptx (GPU targets)")
      ->check(CLI::IsMember({"tsm", "mlir", "llvm", "obj", "ptx"}));
  app.add_option("--schedule", schedule,
                 "Schedule overrides, key=value pairs separated by commas "
                 "(cpu: m-tile, n-tile, vector-width)");
  app.add_flag("--print-pipeline", printPipeline,
               "Print the pass pipeline for this input and target, then exit");
  app.add_option("--dump-after", dumpAfter,
                 "Print the IR after every run of the named pass (its "
                 "command-line name, e.g. tessera-lower-to-linalg)");
  app.add_flag("--timing", timing, "Report the time spent in each pass");
  app.add_option("-O", optLevel, "Optimization level 0-3 (default 2)")
      ->check(CLI::Range(0u, 3u));
  CLI11_PARSE(app, argc, argv);

  mlir::tessera::registerTesseraAndUpstreamPasses();
  DialectRegistry registry;
  mlir::tessera::registerTesseraAndUpstreamDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics point at source locations; never dump whole modules.
  context.printOpOnDiagnostic(false);

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(input, &error);
  if (!file) {
    llvm::errs() << "tessera-compile: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  mlir::tessera::CompileOptions options;
  options.target = target;
  options.optLevel = optLevel;
  options.schedule = schedule;
  options.emit = emit == "mlir"   ? mlir::tessera::EmitKind::MLIR
                 : emit == "llvm" ? mlir::tessera::EmitKind::LLVM
                 : emit == "obj"  ? mlir::tessera::EmitKind::Object
                 : emit == "ptx"  ? mlir::tessera::EmitKind::Ptx
                                  : mlir::tessera::EmitKind::Artifact;

  if (printPipeline) {
    FailureOr<std::string> pipeline =
        mlir::tessera::getPipelineString(*module, options);
    if (failed(pipeline))
      return 1;
    llvm::outs() << *pipeline << "\n";
    return 0;
  }

  options.configurePassManager = [&](PassManager &pm) {
    if (timing)
      pm.enableTiming();
    if (!dumpAfter.empty()) {
      context.disableMultithreading();
      pm.enableIRPrinting([](Pass *, Operation *) { return false; },
                          [&](Pass *pass, Operation *) {
                            return pass->getArgument() == dumpAfter;
                          },
                          /*printModuleScope=*/true,
                          /*printAfterOnlyOnChange=*/false);
    }
  };

  FailureOr<std::vector<char>> result = mlir::tessera::compile(*module, options);
  if (failed(result))
    return 1;

  bool binary = options.emit == mlir::tessera::EmitKind::Object ||
                options.emit == mlir::tessera::EmitKind::Artifact;
  if (output.empty())
    output = binary ? (input == "-" ? std::string("out")
                                    : llvm::sys::path::stem(input).str()) +
                          (emit == "obj" ? ".o" : ".tsm")
                    : "-";
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "tessera-compile: " << error << "\n";
    return 1;
  }
  out->os().write(result->data(), result->size());
  out->keep();
  return 0;
}
