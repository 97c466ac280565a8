//===- KernelSignature.cpp - A kernel's launch contract -------------------===//

#include "passes/Gpu/Kit/KernelSignature.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::kit;

std::string mlir::tessera::kit::valueDim(unsigned value, unsigned dim) {
  return "v" + std::to_string(value) + "." + std::to_string(dim);
}

std::string mlir::tessera::kit::cdivExpr(StringRef x, int64_t y) {
  return ("cdiv(" + x + "," + std::to_string(y) + ")").str();
}

KernelSignature::KernelSignature(MLIRContext *ctx, StringRef name)
    : ctx(ctx), kernel(FlatSymbolRefAttr::get(ctx, name)) {
  Builder b(ctx);
  gridSizes.assign(3, b.getStringAttr("1"));
}

KernelSignature &KernelSignature::tensorMap(unsigned value,
                                            ArrayRef<int64_t> box,
                                            int64_t swizzle) {
  params.push_back(KernelParamAttr::get(
      ctx, "tmap", value, DenseI64ArrayAttr::get(ctx, box), swizzle, ""));
  return *this;
}

KernelSignature &KernelSignature::memref(unsigned value) {
  params.push_back(KernelParamAttr::get(ctx, "memref", value, DenseI64ArrayAttr(), 0,
                                        ""));
  return *this;
}

KernelSignature &KernelSignature::i64(StringRef expr) {
  params.push_back(KernelParamAttr::get(ctx, "i64", -1, DenseI64ArrayAttr(), 0, expr));
  return *this;
}

KernelSignature &KernelSignature::grid(StringRef x, StringRef y, StringRef z) {
  Builder b(ctx);
  gridSizes = {b.getStringAttr(x), b.getStringAttr(y), b.getStringAttr(z)};
  return *this;
}

KernelSignature &KernelSignature::block(int64_t threads) {
  blockSizes = {threads, 1, 1};
  return *this;
}

KernelSignature &KernelSignature::cluster(int64_t blocks) {
  clusterSizes = {blocks, 1, 1};
  return *this;
}

KernelSignature &KernelSignature::sharedMemory(int64_t b) {
  bytes = b;
  return *this;
}

KernelAbiAttr KernelSignature::get() const {
  return KernelAbiAttr::get(
      ctx, kernel, ArrayAttr::get(ctx, gridSizes),
      DenseI64ArrayAttr::get(ctx, blockSizes),
      clusterSizes.empty() ? DenseI64ArrayAttr()
                           : DenseI64ArrayAttr::get(ctx, clusterSizes),
      bytes, ArrayAttr::get(ctx, params));
}

TemporaryAttr mlir::tessera::kit::makeTemporary(MLIRContext *ctx, Type element,
                                                ArrayRef<std::string> dims,
                                                bool zero) {
  Builder b(ctx);
  SmallVector<Attribute> sizes;
  for (const std::string &d : dims)
    sizes.push_back(b.getStringAttr(d));
  return TemporaryAttr::get(ctx, element, b.getArrayAttr(sizes), zero);
}

LaunchPlanAttr mlir::tessera::kit::makeLaunchPlan(
    MLIRContext *ctx, StringRef condition, ArrayRef<Attribute> temporaries,
    ArrayRef<Attribute> launches) {
  return LaunchPlanAttr::get(ctx, condition, ArrayAttr::get(ctx, temporaries),
                             ArrayAttr::get(ctx, launches));
}
