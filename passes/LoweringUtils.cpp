//===- LoweringUtils.cpp - Helpers for lowering tessera to linalg ---------===//
//
// Small builders shared by the tessera-to-linalg patterns.
//
//===----------------------------------------------------------------------===//

#include "passes/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value tessera::convertScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (isa<FloatType>(from) && isa<FloatType>(to)) {
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
      return arith::TruncFOp::create(b, loc, to, v);
    // f16 <-> bf16: go through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (isa<IntegerType>(from) && isa<FloatType>(to))
    return arith::SIToFPOp::create(b, loc, to, v);
  if (isa<FloatType>(from) && isa<IntegerType>(to))
    return arith::FPToSIOp::create(b, loc, to, v);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtSIOp::create(b, loc, to, v);
  return arith::TruncIOp::create(b, loc, to, v);
}

SmallVector<int64_t> tessera::staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes) {
    std::optional<int64_t> c = getConstantIntValue(s);
    shape.push_back(c ? *c : ShapedType::kDynamic);
  }
  return shape;
}

Value tessera::emptyTensor(OpBuilder &b, Location loc,
                           ArrayRef<OpFoldResult> sizes, Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value tessera::floatConst(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value tessera::filledTensor(OpBuilder &b, Location loc,
                            ArrayRef<OpFoldResult> sizes, Type elementType,
                            double value) {
  Value empty = emptyTensor(b, loc, sizes, elementType);
  Value cst =
      isa<FloatType>(elementType)
          ? floatConst(b, loc, elementType, value)
          : Value(arith::ConstantOp::create(
                b, loc,
                b.getIntegerAttr(elementType, static_cast<int64_t>(value))));
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

SmallVector<utils::IteratorType> tessera::iterators(unsigned numParallel,
                                                    unsigned numReduction) {
  SmallVector<utils::IteratorType> its(numParallel,
                                       utils::IteratorType::parallel);
  its.append(numReduction, utils::IteratorType::reduction);
  return its;
}

AffineMap tessera::selectDims(MLIRContext *ctx, unsigned rank,
                              ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value tessera::castIfNeeded(OpBuilder &b, Location loc, Value value,
                            Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}
