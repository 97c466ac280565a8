//===- KernelSignature.h - A kernel's launch contract -----------*- C++ -*-===//
//
// Builds the #tessera.kernel_abi of a kernel as the family adds its
// parameters, so that the parameter list, the grid and the shared memory
// are declared once, where the kernel is built. Tensor-map parameters come
// first in every kit kernel (the compiler passes them by value).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_KERNELSIGNATURE_H
#define TESSERA_PASSES_GPU_KIT_KERNELSIGNATURE_H

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <string>

namespace mlir::tessera::kit {

/// `v<value>.<dim>`: dimension `dim` of value `value` of the op (operands,
/// then results, then temporaries), in ABI expressions.
std::string valueDim(unsigned value, unsigned dim);
/// `cdiv(<x>,<y>)`.
std::string cdivExpr(StringRef x, int64_t y);

class KernelSignature {
public:
  KernelSignature(MLIRContext *ctx, StringRef kernel);

  KernelSignature &tensorMap(unsigned value, ArrayRef<int64_t> box,
                             int64_t swizzle);
  KernelSignature &memref(unsigned value);
  KernelSignature &i64(StringRef expr);
  KernelSignature &grid(StringRef x, StringRef y, StringRef z);
  KernelSignature &block(int64_t threads);
  /// A cluster of `blocks` thread blocks along x.
  KernelSignature &cluster(int64_t blocks);
  KernelSignature &sharedMemory(int64_t bytes);

  KernelAbiAttr get() const;

private:
  MLIRContext *ctx;
  FlatSymbolRefAttr kernel;
  SmallVector<Attribute> params;
  SmallVector<Attribute, 3> gridSizes;
  SmallVector<int64_t, 3> blockSizes = {1, 1, 1}, clusterSizes;
  int64_t bytes = 0;
};

/// A temporary of `element` with `dims` (ABI expressions).
TemporaryAttr makeTemporary(MLIRContext *ctx, Type element,
                            ArrayRef<std::string> dims, bool zero);

/// A launch plan of `launches` (kernel ABIs) under `condition`.
LaunchPlanAttr makeLaunchPlan(MLIRContext *ctx, StringRef condition,
                              ArrayRef<Attribute> temporaries,
                              ArrayRef<Attribute> launches);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_KERNELSIGNATURE_H
