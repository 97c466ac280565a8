//===- tessera-opt.cpp - mlir-opt with the tessera dialect ----------------===//
//
// The pass driver for lit tests: upstream mlir-opt plus Tessera's dialect and
// passes.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::tessera {
/// test/lib/Gpu/TestGpuKit.cpp.
void registerTestGpuKitPass();
} // namespace mlir::tessera

int main(int argc, char **argv) {
  mlir::tessera::registerTesseraAndUpstreamPasses();
  mlir::tessera::registerTestGpuKitPass();
  mlir::DialectRegistry registry;
  mlir::tessera::registerTesseraAndUpstreamDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessera optimizer driver\n", registry));
}
