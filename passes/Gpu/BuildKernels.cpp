//===- BuildKernels.cpp - tessera-gpu-build-kernels -----------------------===//
//
// The generic kernel driver: builds, into `gpu.module @tessera_kernels`,
// the kernels of every op that has a kernel family, and records on the op
// how to launch them (`tessera.launch_plans`, one #tessera.launch_plan per
// schedule). Also the family registry.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Gpu/KernelFamily.h"

#include "dialects/Tessera/TesseraOps.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAGPUBUILDKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::kernels;

std::string KernelBuildState::uniqueName(StringRef prefix) {
  return (prefix + "_" + Twine(counters[prefix]++)).str();
}

static ArrayRef<const KernelFamily *> getFamilies() {
  static const KernelFamily *families[] = {
      &getMatmulFamily(), &getAttentionFamily(), &getMergeAttentionFamily()};
  return families;
}

const KernelFamily *mlir::tessera::kernels::lookupKernelFamily(Operation *op) {
  for (const KernelFamily *family : getFamilies())
    if (op->getName().getStringRef() == family->getOpName())
      return family;
  return nullptr;
}

std::string mlir::tessera::kernels::listKernelFamilyOps() {
  std::string names;
  ArrayRef<const KernelFamily *> families = getFamilies();
  for (size_t i = 0; i < families.size(); ++i) {
    if (i)
      names += i + 1 == families.size() ? " and " : ", ";
    names += families[i]->getOpName().str();
  }
  return names;
}

namespace {
struct GpuBuildKernelsPass
    : mlir::tessera::impl::TesseraGpuBuildKernelsBase<GpuBuildKernelsPass> {
  using Base::Base;

  void runOnOperation() override;
};

void GpuBuildKernelsPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  const GpuTarget *gpu = ::tessera::findGpuTarget(target);
  if (!gpu) {
    module.emitError() << "tessera-gpu-build-kernels: unknown target '"
                       << target << "' (expected "
                       << ::tessera::listGpuTargets() << ")";
    return signalPassFailure();
  }
  SmallVector<std::pair<Operation *, const KernelFamily *>> ops;
  module.walk([&](Operation *op) {
    if (const KernelFamily *family = lookupKernelFamily(op))
      ops.push_back({op, family});
  });
  if (ops.empty())
    return;

  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(ctx));
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  b.setInsertionPointToEnd(module.getBody());
  // mma.sync kernels run on sm_80 and later; the module is built for the
  // requested chip.
  auto nvvmTarget = NVVM::NVVMTargetAttr::get(
      ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", target, gpu->ptxFeatures);
  auto gpuModule = b.create<gpu::GPUModuleOp>(
      "tessera_kernels", b.getArrayAttr({nvvmTarget}));
  b.setInsertionPointToStart(gpuModule.getBody());
  SymbolTable symbols(gpuModule);
  KernelBuildState state(b, symbols, *gpu);
  for (auto [op, family] : ops) {
    FailureOr<SmallVector<Attribute>> plans = family->buildKernels(op, state);
    if (failed(plans))
      return signalPassFailure();
    op->setAttr("tessera.launch_plans", b.getArrayAttr(*plans));
  }
}
} // namespace
