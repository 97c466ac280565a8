//===- GpuCodegen.cpp - Model graph to GPU kernels and a launch plan ------===//
//
// 1. Graph clean-up (inline, canonicalize) and the signatures (computed on a
//    copy lowered to linalg, exactly as for the CPU, so that both targets
//    name dynamic sizes the same way).
// 2. tessera-gpu-select-schedule and tessera-gpu-build-matmul-kernels.
// 3. The launch plan of every function: one variant per M class of its
//    matmuls, one launch per matmul, intermediates in device temporaries.
// 4. The gpu.module through NVVM to PTX (gpu-module-to-binary), then ptxas
//    for a cubin when it is on PATH.
//
//===----------------------------------------------------------------------===//

#include "compiler/GpuCodegen.h"

#include "compiler/Compiler.h"
#include "compiler/CpuPipeline.h"
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
          target + "},tessera-gpu-build-matmul-kernels{target=" + target +
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

/// Kernels with `tessera.tensor_maps` take that many TMA descriptors first,
/// by value (`.param .align 64 .b8 [128]`) and read-only, as CUTLASS passes
/// `const __grid_constant__ CUtensorMap`. gpu.func cannot carry these
/// argument attributes, so they are set on the lowered llvm.func.
static void markTensorMapArguments(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  auto descriptor = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), 128);
  module.walk([&](LLVM::LLVMFuncOp func) {
    auto maps = func->getAttrOfType<ArrayAttr>("tessera.tensor_maps");
    if (!maps)
      return;
    for (unsigned i = 0; i < maps.size(); ++i) {
      func.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                      TypeAttr::get(descriptor));
      func.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                      IntegerAttr::get(IntegerType::get(ctx, 64), 64));
      func.setArgAttr(i, "nvvm.grid_constant", UnitAttr::get(ctx));
    }
  });
}

namespace {
/// A size in a plan: a static number or a symbol sN.
struct Size {
  int64_t value = -1;
  int64_t symbol = -1;
  bool known() const { return value >= 0 || symbol >= 0; }
  std::string str() const {
    return value >= 0 ? std::to_string(value) : "s" + std::to_string(symbol);
  }
};

/// Where a tensor of the function lives in the plan, and its sizes.
struct PlanValue {
  std::string name; // arg0, result0, t0
  SmallVector<Size> dims;
};

std::string cdiv(const Size &size, int64_t by) {
  return "cdiv(" + size.str() + "," + std::to_string(by) + ")";
}
} // namespace

/// Builds the plan of `func` into `desc`, whose args and results are set.
static LogicalResult buildPlan(func::FuncOp func,
                               artifact::FunctionDesc &desc) {
  DenseMap<Value, PlanValue> values;
  auto sizesOf = [](const artifact::ValueDesc &v) {
    SmallVector<Size> dims;
    for (auto [d, s] : llvm::zip(v.dims, v.symbols))
      dims.push_back(Size{d, s});
    return dims;
  };
  for (auto [i, arg] : llvm::enumerate(func.getArguments()))
    values[arg] = PlanValue{desc.args[i].name, sizesOf(desc.args[i])};
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  DenseMap<Value, size_t> returned;
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands()))
    returned.try_emplace(v, i);

  SmallVector<MatmulOp> matmuls;
  for (Operation &op : func.getBody().front().without_terminator()) {
    auto matmul = dyn_cast<MatmulOp>(op);
    if (!matmul)
      return op.emitOpError()
             << "is not supported by the GPU targets yet (functions may "
                "hold tessera.matmul ops only)";
    matmuls.push_back(matmul);
  }
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands()))
    if (!isa<BlockArgument>(v) && !v.getDefiningOp<MatmulOp>())
      return returnOp.emitOpError() << "result #" << i
                                    << " is not computed by a matmul";
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands()))
    if (isa<BlockArgument>(v) || returned.lookup(v) != i)
      return returnOp.emitOpError()
             << "result #" << i
             << " returns an argument or a value returned twice; the GPU "
                "targets need each result to be its own matmul output";

  // Sizes of every matmul result, and where it lives.
  struct Launch {
    MatmulOp op;
    Size m, n, batch;
  };
  SmallVector<Launch> launches;
  for (MatmulOp op : matmuls) {
    const PlanValue &a = values[op.getA()];
    const PlanValue &b = values[op.getB()];
    RankedTensorType cType = op.getResult().getType();
    int64_t rank = cType.getRank();
    Size m = op.getTransposeA() ? a.dims[a.dims.size() - 1]
                                : a.dims[a.dims.size() - 2];
    Size n = op.getTransposeB() ? b.dims[b.dims.size() - 2]
                                : b.dims[b.dims.size() - 1];
    Size batch{1, -1};
    if (rank == 3) {
      // The batch of the result: the operand's that is not a broadcast 1.
      batch = Size{cType.getDimSize(0), -1};
      if (ShapedType::isDynamic(batch.value)) {
        batch = Size{};
        for (const PlanValue *p : {&a, &b})
          if (p->dims.size() == 3 && p->dims[0].symbol >= 0)
            batch = p->dims[0];
      }
    }
    if (!m.known() || !n.known() || !batch.known())
      return op.emitOpError() << "has a dynamic size the plan cannot name "
                                 "(it is not tied to an argument)";
    SmallVector<Size> dims;
    if (rank == 3)
      dims.push_back(batch);
    dims.append({m, n});
    PlanValue result;
    if (auto it = returned.find(op.getResult()); it != returned.end()) {
      result.name = desc.results[it->second].name;
      // The manifest's result sizes are the runtime's truth; they agree.
      result.dims = sizesOf(desc.results[it->second]);
    } else {
      artifact::ValueDesc buffer;
      buffer.name = "t" + std::to_string(desc.buffers.size());
      FailureOr<artifact::DType> dtype = getDType(cType.getElementType());
      if (failed(dtype))
        return op.emitOpError() << "result type has no runtime dtype";
      buffer.dtype = *dtype;
      for (const Size &s : dims) {
        buffer.dims.push_back(s.value);
        buffer.symbols.push_back(s.symbol);
      }
      desc.buffers.push_back(buffer);
      result.name = buffer.name;
      result.dims = dims;
    }
    values[op.getResult()] = result;
    launches.push_back({op, m, n, batch});
  }

  // Variants: the M classes of the matmuls with several schedules, which
  // must agree (same boundaries on the same M).
  SmallVector<int64_t> classes = {0};
  std::string classSize;
  for (Launch l : launches) {
    ArrayAttr schedules = l.op.getSchedulesAttr();
    if (schedules.size() == 1)
      continue;
    SmallVector<int64_t> bounds;
    for (Attribute s : schedules)
      bounds.push_back(cast<ScheduleAttr>(s).getMaxM());
    if (classes.size() == 1) {
      classes = bounds;
      classSize = l.m.str();
    } else if (bounds != classes || l.m.str() != classSize) {
      return l.op.emitOpError()
             << "has M classes that differ from another matmul's in the "
                "function; give both the same schedules";
    }
  }
  for (auto [v, bound] : llvm::enumerate(classes)) {
    artifact::Variant variant;
    if (bound != 0)
      variant.condition = classSize + " <= " + std::to_string(bound);
    for (Launch l : launches) {
      ArrayAttr schedules = l.op.getSchedulesAttr();
      ArrayAttr kernels = l.op->getAttrOfType<ArrayAttr>("tessera.kernels");
      size_t index = schedules.size() == 1 ? 0 : v;
      auto s = cast<ScheduleAttr>(schedules[index]);
      auto kernelName = cast<FlatSymbolRefAttr>(kernels[index]);
      auto module = func->getParentOfType<ModuleOp>();
      auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
          module.lookupSymbol("tessera_kernels"), kernelName);
      artifact::PlanStep step;
      step.kind = artifact::PlanStep::Kind::Launch;
      artifact::LaunchStep &launch = step.launch;
      launch.kernel = kernelName.getValue().str();
      launch.grid = {cdiv(l.n, s.getBlockN()), cdiv(l.m, s.getBlockM()),
                     l.batch.str()};
      // Persistent kernels: one block per SM at most, walking the tiles.
      if (auto blocks = kernel->getAttrOfType<IntegerAttr>("tessera.max_blocks"))
        launch.grid = {"min(" + l.batch.str() + "*" + launch.grid[1] + "*" +
                           launch.grid[0] + "," +
                           std::to_string(blocks.getInt()) + ")",
                       "1", "1"};
      // Clusters that split K: a cluster of blocks along x per tile.
      if (auto blocks =
              kernel->getAttrOfType<IntegerAttr>("tessera.cluster_blocks"))
        launch.grid = {std::to_string(blocks.getInt()),
                       launch.grid[1] + "*" + launch.grid[0], l.batch.str()};
      launch.block = {32 * s.getWarps(), 1, 1};
      launch.sharedMemoryBytes =
          kernel->getAttrOfType<IntegerAttr>("tessera.shared_memory").getInt();
      auto memref = [](artifact::LaunchStep &launch, StringRef name) {
        launch.params.push_back(
            {artifact::KernelParam::Kind::Memref, name.str()});
      };
      // wgmma kernels take TMA descriptors of A and B first.
      SmallVector<Value, 2> operands = {l.op.getA(), l.op.getB()};
      if (auto maps = kernel->getAttrOfType<ArrayAttr>("tessera.tensor_maps"))
        for (auto [operand, box] : llvm::zip(operands, maps)) {
          artifact::KernelParam param;
          param.kind = artifact::KernelParam::Kind::TensorMap;
          param.value = values[operand].name;
          ArrayRef<int64_t> sizes = cast<DenseI64ArrayAttr>(box).asArrayRef();
          param.box = {sizes[0], sizes[1]};
          launch.params.push_back(param);
        }
      memref(launch, values[l.op.getA()].name);
      memref(launch, values[l.op.getB()].name);
      if (l.op.getScaleA()) {
        memref(launch, values[l.op.getScaleA()].name);
        memref(launch, values[l.op.getScaleB()].name);
      }
      if (s.getSplitK() == 1 || s.getMma() == "wgmma") {
        if (l.op.getBias())
          memref(launch, values[l.op.getBias()].name);
        memref(launch, values[l.op.getResult()].name);
        variant.steps.push_back(step);
        continue;
      }
      // mma.sync split-K: partial sums into a zeroed f32 workspace
      // [batch, M, N], then the epilogue kernel.
      artifact::ValueDesc workspace;
      workspace.name = "t" + std::to_string(desc.buffers.size());
      workspace.dtype = artifact::DType::F32;
      for (const Size &size : {l.batch, l.m, l.n}) {
        workspace.dims.push_back(size.value);
        workspace.symbols.push_back(size.symbol);
      }
      desc.buffers.push_back(workspace);
      artifact::PlanStep clear;
      clear.kind = artifact::PlanStep::Kind::Memset;
      clear.buffer = workspace.name;
      variant.steps.push_back(clear);
      launch.grid[2] = l.batch.str() + "*" + std::to_string(s.getSplitK());
      memref(launch, workspace.name);
      variant.steps.push_back(step);
      artifact::PlanStep finish;
      finish.kind = artifact::PlanStep::Kind::Launch;
      finish.launch.kernel = launch.kernel + "_epilogue";
      finish.launch.grid = {"cdiv(" + l.batch.str() + "*" + l.m.str() + "*" +
                                l.n.str() + ",256)",
                            "1", "1"};
      finish.launch.block = {256, 1, 1};
      memref(finish.launch, workspace.name);
      if (l.op.getBias())
        memref(finish.launch, values[l.op.getBias()].name);
      memref(finish.launch, values[l.op.getResult()].name);
      variant.steps.push_back(finish);
    }
    desc.variants.push_back(variant);
  }
  return success();
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
  for (artifact::FunctionDesc desc : *signatures) {
    auto func = module.lookupSymbol<func::FuncOp>(desc.name);
    if (!func)
      return module.emitError() << "exported function @" << desc.name
                                << " disappeared during compilation";
    desc.symbol = "-";
    if (failed(buildPlan(func, desc)))
      return failure();
    program.functions.push_back(std::move(desc));
  }

  if (failed(runPassPipeline(module, getNvvmPipelineString(), configure)))
    return failure();
  markTensorMapArguments(module);
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
