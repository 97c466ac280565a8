//===- Registration.cpp - What Tessera's tools register -------------------===//
//
// Registers the dialects, passes and pipelines of Tessera and upstream MLIR.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "compiler/CpuPipeline.h"

#include "dialects/Tessera/TesseraDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/SparseTensor/Pipelines/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::tessera::registerTesseraAndUpstreamDialects(
    DialectRegistry &registry) {
  registry.insert<TesseraDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates gpu.module (NVVM) to LLVM IR.
  registerAllToLLVMIRTranslations(registry);
}

void mlir::tessera::registerTesseraAndUpstreamPasses() {
  registerAllPasses();
  sparse_tensor::registerSparseTensorPipelines();
  gpu::registerGPUToNVVMPipeline();
  registerTesseraPasses();
  registerCpuPipeline();
}
