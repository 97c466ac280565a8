//===- GpuCodegen.cpp - Model graph to GPU kernels and a launch plan ------===//
//
// 1. Graph clean-up (inline, canonicalize) and the signatures (computed on a
//    copy lowered to linalg, exactly as for the CPU, so that both targets
//    name dynamic sizes the same way).
// 2. tessera-gpu-select-schedule and tessera-gpu-build-kernels: every op's
//    schedules and kernels, and how to launch them (#tessera.launch_plan).
// 3. The launch plan of every function from those (GpuLaunchPlan.cpp).
// 4. The gpu.module through NVVM to PTX (gpu-module-to-binary), then ptxas
//    for a cubin when it is on PATH.
//
//===----------------------------------------------------------------------===//

#include "compiler/GpuCodegen.h"

#include "compiler/Compiler.h"
#include "compiler/CpuPipeline.h"
#include "compiler/GpuLaunchPlan.h"
#include "compiler/Signatures.h"
#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tessera;
namespace artifact = ::tessera::artifact;

std::string mlir::tessera::getGpuPipelineString(StringRef target) {
  return ("inline,symbol-dce,canonicalize,cse,"
          "tessera-gpu-select-schedule{target=" +
          target + "},tessera-gpu-build-kernels{target=" + target +
          "}")
      .str();
}

/// The kernel modules' lowering to the LLVM dialect, then to PTX.
static std::string getNvvmPipelineString() {
  return "gpu.module(convert-scf-to-cf,convert-gpu-to-nvvm,"
         "convert-nvgpu-to-nvvm,canonicalize,cse,convert-vector-to-llvm,"
         "convert-to-llvm,convert-nvvm-to-llvm,reconcile-unrealized-casts)";
}
static std::string getPtxPipelineString() {
  return "gpu-module-to-binary{format=isa}";
}

/// Kernels take their TMA descriptors (`tensorMaps[kernel]` of them) first,
/// by value (`.param .align 64 .b8 [128]`) and read-only, as CUTLASS passes
/// `const __grid_constant__ CUtensorMap`. gpu.func cannot carry these
/// argument attributes, so they are set on the lowered llvm.func.
static void markTensorMapArguments(ModuleOp module,
                                   const llvm::StringMap<unsigned> &tensorMaps) {
  MLIRContext *ctx = module.getContext();
  auto descriptor = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), 128);
  module.walk([&](LLVM::LLVMFuncOp func) {
    unsigned maps = tensorMaps.lookup(func.getName());
    for (unsigned i = 0; i < maps; ++i) {
      func.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                      TypeAttr::get(descriptor));
      func.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                      IntegerAttr::get(IntegerType::get(ctx, 64), 64));
      func.setArgAttr(i, "nvvm.grid_constant", UnitAttr::get(ctx));
    }
  });
}

/// The PTX of the module's gpu.binary.
static FailureOr<std::string> extractPtx(ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects())
      ptx += cast<gpu::ObjectAttr>(attr).getObject().getValue().str();
  if (ptx.empty())
    return module.emitError() << "no PTX was produced";
  return ptx;
}

/// Assembles `ptx` with ptxas into a cubin; empty when ptxas is not on PATH.
static FailureOr<std::vector<char>> assemble(ModuleOp module, StringRef ptx,
                                             StringRef target) {
  llvm::ErrorOr<std::string> ptxas = llvm::sys::findProgramByName("ptxas");
  if (!ptxas)
    return std::vector<char>();
  SmallString<128> ptxPath, cubinPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("tessera", "ptx", fd, ptxPath) ||
      llvm::sys::fs::createTemporaryFile("tessera", "cubin", cubinPath))
    return module.emitError() << "cannot create temporary files";
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(ptxPath);
    llvm::sys::fs::remove(cubinPath);
  });
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << ptx;
  }
  std::string arch = ("-arch=" + target).str();
  SmallVector<StringRef> argv = {*ptxas, arch, ptxPath, "-o", cubinPath};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*ptxas, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return module.emitError() << "ptxas rejected the generated PTX (exit "
                              << rc << (message.empty() ? "" : ": ")
                              << message << ")";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> cubin =
      llvm::MemoryBuffer::getFile(cubinPath, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!cubin)
    return module.emitError() << "cannot read the cubin ptxas wrote";
  return std::vector<char>((*cubin)->getBufferStart(),
                           (*cubin)->getBufferEnd());
}

FailureOr<GpuProgram>
mlir::tessera::compileForGpu(
    ModuleOp module, StringRef target,
    const std::function<void(PassManager &)> &configure) {
  // Signatures from a copy lowered like the CPU graph stage.
  OwningOpRef<ModuleOp> graph = module.clone();
  if (failed(runPassPipeline(*graph, getCpuGraphPipelineString(), configure)))
    return failure();
  FailureOr<std::vector<artifact::FunctionDesc>> signatures =
      computeSignatures(*graph);
  if (failed(signatures))
    return failure();
  if (signatures->empty())
    return module.emitError() << "the module exports no function (a public "
                                 "func.func with a body)";

  if (failed(runPassPipeline(module, getGpuPipelineString(target), configure)))
    return failure();

  GpuProgram program;
  llvm::StringMap<unsigned> tensorMaps;
  for (artifact::FunctionDesc desc : *signatures) {
    auto func = module.lookupSymbol<func::FuncOp>(desc.name);
    if (!func)
      return module.emitError() << "exported function @" << desc.name
                                << " disappeared during compilation";
    desc.symbol = "-";
    if (failed(buildLaunchPlan(func, desc, tensorMaps)))
      return failure();
    program.functions.push_back(std::move(desc));
  }

  if (failed(runPassPipeline(module, getNvvmPipelineString(), configure)))
    return failure();
  markTensorMapArguments(module, tensorMaps);
  if (failed(runPassPipeline(module, getPtxPipelineString(), configure)))
    return failure();
  FailureOr<std::string> ptx = extractPtx(module);
  if (failed(ptx))
    return failure();
  program.ptx = std::move(*ptx);
  FailureOr<std::vector<char>> cubin = assemble(module, program.ptx, target);
  if (failed(cubin))
    return failure();
  program.cubin = std::move(*cubin);
  return program;
}
