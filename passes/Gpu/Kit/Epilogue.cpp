//===- Epilogue.cpp - Activations, epilogues and tile schedules -----------===//

#include "passes/Gpu/Kit/Epilogue.h"
#include "passes/Gpu/Kit/TileScheduler.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::kit;

static Value callF32Intrinsic(ImplicitLocOpBuilder &b, StringRef name,
                              Value x) {
  return LLVM::CallIntrinsicOp::create(b, b.getF32Type(),
                                       b.getStringAttr(name), ValueRange{x})
      .getResult(0);
}

Value mlir::tessera::kit::fastExp(ImplicitLocOpBuilder &b, Value x) {
  Value scaled = b.create<arith::MulFOp>(
      x, b.create<arith::ConstantOp>(
             b.getFloatAttr(b.getF32Type(), 1.4426950408889634)));
  return callF32Intrinsic(b, "llvm.nvvm.ex2.approx.f32", scaled);
}

Value mlir::tessera::kit::fastExp2(ImplicitLocOpBuilder &b, Value x) {
  return callF32Intrinsic(b, "llvm.nvvm.ex2.approx.ftz.f32", x);
}

Value mlir::tessera::kit::fastLog2(ImplicitLocOpBuilder &b, Value x) {
  return callF32Intrinsic(b, "llvm.nvvm.lg2.approx.f", x);
}

Value mlir::tessera::kit::activate(ImplicitLocOpBuilder &b, Epilogue epilogue,
                                   Value x) {
  Type f32 = b.getF32Type();
  auto f = [&](double v) {
    return b.create<arith::ConstantOp>(b.getFloatAttr(f32, v));
  };
  switch (epilogue) {
  case Epilogue::None:
    return x;
  case Epilogue::Relu:
    return b.create<arith::MaximumFOp>(x, f(0));
  case Epilogue::Silu: {
    // x / (1 + exp(-x))
    Value e = fastExp(b, b.create<arith::NegFOp>(x));
    return b.create<arith::DivFOp>(x, b.create<arith::AddFOp>(f(1), e));
  }
  case Epilogue::GeluTanh: {
    // 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), with
    // 1 + tanh(u) = 2 - 2 / (exp(2u) + 1) (exp overflowing to inf gives 2).
    Value x3 = b.create<arith::MulFOp>(x, b.create<arith::MulFOp>(x, x));
    Value u = b.create<arith::MulFOp>(
        f(0.7978845608028654),
        b.create<arith::AddFOp>(x, b.create<arith::MulFOp>(f(0.044715), x3)));
    Value e = fastExp(b, b.create<arith::MulFOp>(f(2), u));
    Value onePlusTanh = b.create<arith::SubFOp>(
        f(2), b.create<arith::DivFOp>(f(2), b.create<arith::AddFOp>(e, f(1))));
    return b.create<arith::MulFOp>(b.create<arith::MulFOp>(f(0.5), x),
                                   onePlusTanh);
  }
  }
  return x;
}

Value mlir::tessera::kit::finishElement(ImplicitLocOpBuilder &b,
                                        const EpilogueSpec &spec, Value v,
                                        Value bias, Value n, Value scale) {
  Type f32 = b.getF32Type();
  if (scale)
    v = b.create<arith::MulFOp>(v, scale);
  if (spec.alpha != 1.0f)
    v = b.create<arith::MulFOp>(
        v, b.create<arith::ConstantOp>(b.getF32FloatAttr(spec.alpha)));
  if (bias) {
    Value bv = b.create<memref::LoadOp>(bias, ValueRange{n});
    if (bv.getType() != f32)
      bv = b.create<arith::ExtFOp>(f32, bv);
    v = b.create<arith::AddFOp>(v, bv);
  }
  v = activate(b, spec.activation, v);
  if (spec.output != f32)
    v = b.create<arith::TruncFOp>(spec.output, v);
  return v;
}

//===----------------------------------------------------------------------===//
// TileScheduler
//===----------------------------------------------------------------------===//

std::pair<Value, Value>
mlir::tessera::kit::placeGroupedTile(KitBuilder &k, int64_t blockM,
                                     int64_t blockN, int64_t groupRows,
                                     Value M, Value N, Value linear) {
  ImplicitLocOpBuilder &b = k.b;
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(v);
  };
  auto cdiv = [&](Value x, int64_t y) -> Value {
    return b.create<arith::DivUIOp>(b.create<arith::AddIOp>(x, cst(y - 1)),
                                    cst(y));
  };
  Value tilesN = cdiv(N, blockN), tilesM = cdiv(M, blockM);
  Value perGroup = b.create<arith::MulIOp>(tilesN, cst(groupRows));
  Value group = b.create<arith::DivUIOp>(linear, perGroup);
  Value firstM = b.create<arith::MulIOp>(group, cst(groupRows));
  Value rows = b.create<arith::MinUIOp>(b.create<arith::SubIOp>(tilesM, firstM),
                                        cst(groupRows));
  Value inGroup = b.create<arith::RemUIOp>(linear, perGroup);
  Value tileM =
      b.create<arith::AddIOp>(firstM, b.create<arith::RemUIOp>(inGroup, rows));
  Value tileN = b.create<arith::DivUIOp>(inGroup, rows);
  return {b.create<arith::MulIOp>(tileM, cst(blockM)),
          b.create<arith::MulIOp>(tileN, cst(blockN))};
}

std::pair<Value, Value> mlir::tessera::kit::splitRange(KitBuilder &k,
                                                       Value begin, Value end,
                                                       Value part,
                                                       Value parts) {
  Value count = k.sub(end, begin);
  Value share = k.cdiv(count, parts);
  Value first = k.minu(k.add(begin, k.mul(part, share)), end);
  Value last = k.minu(k.add(first, share), end);
  return {first, last};
}
