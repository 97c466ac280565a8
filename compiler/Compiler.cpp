//===- Compiler.cpp - Model graph to artifact -----------------------------===//
//
// Runs the target pipeline, computes the function signatures, generates code
// and packs the `.tsm` artifact.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "runtime/lib/GpuTargets.h"

#include "compiler/CpuCodegen.h"
#include "compiler/CpuPipeline.h"
#include "compiler/GpuCodegen.h"
#include "compiler/ReferenceProgram.h"
#include "compiler/Signatures.h"
#include "runtime/lib/Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tessera;
namespace artifact = ::tessera::artifact;

static bool isGpuTarget(StringRef target) {
  return ::tessera::findGpuTarget(target) != nullptr;
}

static LogicalResult checkTarget(ModuleOp module, StringRef target) {
  if (target == "cpu" || isGpuTarget(target))
    return success();
  return module.emitError() << "unknown target '" << target
                            << "' (expected cpu, "
                            << ::tessera::listGpuTargets() << ")";
}

/// The CPU pipeline's options for `module`.
static FailureOr<CpuPipelineOptions>
getCpuOptions(ModuleOp module, const CompileOptions &options) {
  CpuPipelineOptions cpu;
  cpu.optLevel = options.optLevel;
  cpu.sparse = hasSparseTensors(module);
  if (std::string error = parseCpuSchedule(options.schedule, cpu);
      !error.empty())
    return module.emitError() << error;
  return cpu;
}

FailureOr<std::string>
mlir::tessera::getPipelineString(ModuleOp module,
                                 const CompileOptions &options) {
  if (failed(checkTarget(module, options.target)))
    return failure();
  if (isGpuTarget(options.target))
    return getGpuPipelineString(options.target);
  FailureOr<CpuPipelineOptions> cpu = getCpuOptions(module, options);
  if (failed(cpu))
    return failure();
  return getCpuPipelineString(*cpu);
}

LogicalResult mlir::tessera::runPassPipeline(
    ModuleOp module, StringRef pipeline,
    const std::function<void(PassManager &)> &configure) {
  PassManager pm(module->getName());
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    return module.emitError() << "invalid pipeline: " << errors;
  if (configure)
    configure(pm);
  return pm.run(module);
}

static LogicalResult runPipeline(ModuleOp module, StringRef pipeline,
                                 const CompileOptions &options) {
  return runPassPipeline(module, pipeline, options.configurePassManager);
}

/// The graph as written (helpers inlined, named ops generalized) is the
/// reference program of tessera-run --check.
static LogicalResult buildReference(ModuleOp module, std::string &reference) {
  OwningOpRef<ModuleOp> graph = module.clone();
  if (failed(runPipeline(*graph,
                         "inline,symbol-dce,canonicalize,"
                         "linalg-generalize-named-ops",
                         CompileOptions())))
    return failure();
  std::string skipped;
  reference = serializeReferenceProgram(*graph, skipped);
  if (!skipped.empty())
    module.emitWarning() << "no reference for tessera-run --check: "
                         << StringRef(skipped).rtrim();
  return success();
}

/// Packs the manifest and the sections into a `.tsm` artifact.
static FailureOr<std::vector<char>>
packArtifact(ModuleOp module, const artifact::Manifest &manifestDesc,
             std::vector<artifact::Section> sections) {
  if (std::string error = artifact::verifyManifest(manifestDesc);
      !error.empty())
    return module.emitError() << "invalid manifest: " << error;
  std::string manifest = artifact::printManifest(manifestDesc);
  artifact::Section section;
  section.kind = artifact::SectionKind::Manifest;
  section.bytes.assign(manifest.begin(), manifest.end());
  sections.insert(sections.begin(), section);
  std::vector<uint8_t> bytes = artifact::writeArtifact(sections);
  return std::vector<char>(bytes.begin(), bytes.end());
}

static artifact::Section makeSection(artifact::SectionKind kind,
                                     StringRef bytes) {
  artifact::Section section;
  section.kind = kind;
  section.bytes.assign(bytes.begin(), bytes.end());
  return section;
}

/// The GPU targets: kernels, PTX (and a cubin) and launch plans.
static FailureOr<std::vector<char>>
compileGpu(ModuleOp module, const CompileOptions &options) {
  if (options.emit == EmitKind::LLVM || options.emit == EmitKind::Object)
    return module.emitError() << "--emit llvm and --emit obj are for the "
                                 "cpu target; GPU targets emit ptx, mlir "
                                 "or tsm";
  if (!options.schedule.empty())
    return module.emitError()
           << "schedule overrides for GPU targets are written on the op "
              "(the 'schedules' attribute of tessera.matmul)";
  std::string reference;
  if (options.emit == EmitKind::Artifact &&
      failed(buildReference(module, reference)))
    return failure();
  FailureOr<GpuProgram> program =
      compileForGpu(module, options.target, options.configurePassManager);
  if (failed(program))
    return failure();
  if (options.emit == EmitKind::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return std::vector<char>(text.begin(), text.end());
  }
  if (options.emit == EmitKind::Ptx)
    return std::vector<char>(program->ptx.begin(), program->ptx.end());
  artifact::Manifest manifest;
  manifest.target = options.target;
  manifest.functions = program->functions;
  std::vector<artifact::Section> sections;
  sections.push_back(makeSection(artifact::SectionKind::Ptx, program->ptx));
  if (!program->cubin.empty())
    sections.push_back(makeSection(
        artifact::SectionKind::Cubin,
        StringRef(program->cubin.data(), program->cubin.size())));
  sections.push_back(makeSection(artifact::SectionKind::Reference, reference));
  return packArtifact(module, manifest, std::move(sections));
}

FailureOr<std::vector<char>>
mlir::tessera::compile(ModuleOp module, const CompileOptions &options) {
  if (failed(verify(module)) || failed(checkTarget(module, options.target)))
    return failure();
  if (isGpuTarget(options.target))
    return compileGpu(module, options);
  if (options.emit == EmitKind::Ptx)
    return module.emitError() << "--emit ptx needs a GPU target ("
                              << ::tessera::listGpuTargets() << ")";
  // LLVM's x86 backend has no fp8 arithmetic and Tessera does not emulate it
  // on the CPU yet.
  WalkResult fp8 = module.walk([](Operation *op) {
    for (Type t :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
      if (isa<Float8E4M3FNType, Float8E5M2Type>(getElementTypeOrSelf(t))) {
        op->emitError() << "fp8 element types are not supported by the CPU "
                           "target yet";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (fp8.wasInterrupted())
    return failure();
  FailureOr<CpuPipelineOptions> cpu = getCpuOptions(module, options);
  if (failed(cpu))
    return failure();

  // Every function is renamed into Tessera's namespace (its name stays in
  // an attribute for the manifest), and every exported one gets a C
  // interface for its packed entry point.
  SymbolTable symbols(module);
  for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
    StringAttr name = func.getSymNameAttr();
    if (func.isExternal())
      continue;
    if (failed(symbols.rename(func, getInternalFunctionName(name.getValue()))))
      return func.emitError() << "cannot rename @" << name.getValue();
    if (func.isPublic()) {
      func->setAttr(getExportNameAttrName(), name);
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(module.getContext()));
    }
  }

  std::string reference;
  if (options.emit == EmitKind::Artifact &&
      failed(buildReference(module, reference)))
    return failure();

  if (failed(runPipeline(module, getCpuGraphPipelineString(), options)))
    return failure();
  FailureOr<std::vector<artifact::FunctionDesc>> signatures =
      computeSignatures(module);
  if (failed(signatures))
    return failure();
  if (signatures->empty())
    return module.emitError() << "the module exports no function (a public "
                                 "func.func with a body)";
  if (failed(runPipeline(module, getCpuCodegenPipelineString(*cpu), options)))
    return failure();

  if (options.emit == EmitKind::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return std::vector<char>(text.begin(), text.end());
  }
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateForHost(module, llvmContext, *signatures, options.optLevel);
  if (!llvmModule)
    return failure();
  if (options.emit == EmitKind::LLVM) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return std::vector<char>(text.begin(), text.end());
  }
  FailureOr<std::vector<char>> object =
      emitHostObject(module, *llvmModule, options.optLevel);
  if (failed(object) || options.emit == EmitKind::Object)
    return object;
  FailureOr<std::vector<char>> shared = linkSharedObject(module, *object);
  if (failed(shared))
    return failure();

  artifact::Manifest manifestDesc;
  manifestDesc.target = options.target;
  manifestDesc.functions = *signatures;
  // The object is built for this host's psABI level: a machine below it
  // refuses the artifact instead of faulting.
  manifestDesc.cpuFeatures.push_back(getHostCpuLevel());
  std::vector<artifact::Section> sections;
  sections.push_back(makeSection(artifact::SectionKind::CpuObject,
                                 StringRef(shared->data(), shared->size())));
  sections.push_back(makeSection(artifact::SectionKind::Reference, reference));
  return packArtifact(module, manifestDesc, std::move(sections));
}
