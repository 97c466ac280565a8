//===- KitBuilder.h - Constants, index arithmetic and thread ids -*- C++ -*-===//
//
// The smallest piece of the GPU kernel kit (docs/gpu-kit.md): a builder of
// the integer arithmetic every kernel writes, on `index` values (loop bounds,
// memref indices) and `i32` values (shared-memory byte offsets, ring
// positions). Comparisons are unsigned: kernel coordinates are never negative.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_KITBUILDER_H
#define TESSERA_PASSES_GPU_KIT_KITBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::tessera::kit {

/// Emits arithmetic at the insertion point of `b`. Each helper creates its
/// operands' constants first, then the op, so builders written with it emit
/// the same IR as the same expressions written out by hand.
class KitBuilder {
public:
  explicit KitBuilder(ImplicitLocOpBuilder &b)
      : b(b), ctx(b.getContext()), i32(b.getI32Type()), i64(b.getI64Type()) {}

  ImplicitLocOpBuilder &b;
  MLIRContext *ctx;
  Type i32, i64;

  // Constants.
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }
  Value c32(int64_t v) { return b.create<arith::ConstantIntOp>(i32, v); }
  Value c64(int64_t v) { return b.create<arith::ConstantIntOp>(i64, v); }
  Value f32(double v) {
    return b.create<arith::ConstantOp>(b.getF32FloatAttr(v));
  }
  // Casts between index and i32 (values known to fit).
  Value toI32(Value index) {
    return b.create<arith::IndexCastUIOp>(i32, index);
  }
  Value toIndex(Value v) {
    return b.create<arith::IndexCastUIOp>(b.getIndexType(), v);
  }
  // Unsigned comparisons.
  Value lt(Value x, Value y) { return cmp(arith::CmpIPredicate::ult, x, y); }
  Value le(Value x, Value y) { return cmp(arith::CmpIPredicate::ule, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Value ne(Value x, Value y) { return cmp(arith::CmpIPredicate::ne, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return b.create<arith::CmpIOp>(p, x, y);
  }
  // Integer arithmetic of two values of the same type.
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubIOp>(x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivUIOp>(x, y); }
  Value rem(Value x, Value y) { return b.create<arith::RemUIOp>(x, y); }
  Value minu(Value x, Value y) { return b.create<arith::MinUIOp>(x, y); }
  Value maxu(Value x, Value y) { return b.create<arith::MaxUIOp>(x, y); }
  Value andi(Value x, Value y) { return b.create<arith::AndIOp>(x, y); }
  Value ori(Value x, Value y) { return b.create<arith::OrIOp>(x, y); }
  Value select(Value p, Value x, Value y) {
    return b.create<arith::SelectOp>(p, x, y);
  }
  // The same with an index constant on the right.
  Value add(Value x, int64_t y) { return add(x, idx(y)); }
  Value mul(Value x, int64_t y) { return mul(x, idx(y)); }
  Value div(Value x, int64_t y) { return div(x, idx(y)); }
  Value rem(Value x, int64_t y) { return rem(x, idx(y)); }
  /// ceil(x / y) of index values.
  Value cdiv(Value x, int64_t y) { return div(add(x, idx(y - 1)), idx(y)); }
  Value cdiv(Value x, Value y) { return div(add(x, sub(y, idx(1))), y); }
  /// max(x - y, 0) of index values.
  Value subSat(Value x, Value y) { return select(lt(y, x), sub(x, y), idx(0)); }

  // Thread coordinates (x dimension).
  Value threadId() { return b.create<gpu::ThreadIdOp>(gpu::Dimension::x); }
  Value blockId(gpu::Dimension d) { return b.create<gpu::BlockIdOp>(d); }
  Value gridDim(gpu::Dimension d) { return b.create<gpu::GridDimOp>(d); }
};

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_KITBUILDER_H
