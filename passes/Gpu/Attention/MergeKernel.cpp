//===- MergeKernel.cpp - Merging partial attentions by log-sum-exp --------===//
//
// One warp per row: the parts' log-sum-exps give each part's weight
// exp(lse_p - max) (0 for a part that saw no key), the lanes sum the
// weighted outputs along Dv, and one division finishes the row. Serves
// split-KV attention (parts stacked in dimension 0 of f32 temporaries) and
// tessera.merge_attention (two parts of any shape).
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Attention/AttentionKernels.h"

#include "passes/Gpu/Kit/Epilogue.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::attention;
using kit::KitBuilder;

gpu::GPUFuncOp mlir::tessera::attention::buildMergeKernel(
    ImplicitLocOpBuilder &b, const MergeConfig &c, StringRef name) {
  KitBuilder k(b);
  Type f32 = b.getF32Type();
  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  SmallVector<Type> args;
  if (c.stacked)
    args = {dynamic(c.rank + 1, c.partElement), dynamic(c.rank, f32)};
  else
    args = {dynamic(c.rank, c.partElement), dynamic(c.rank - 1, f32),
            dynamic(c.rank, c.partElement), dynamic(c.rank - 1, f32)};
  args.push_back(dynamic(c.rank, c.output));
  if (c.lse)
    args.push_back(dynamic(c.rank - 1, f32));
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(32 * kMergeRowsPerBlock), 1, 1}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());

  unsigned outArg = c.stacked ? 2 : 4;
  Value out = func.getArgument(outArg);
  Value lseOut = c.lse ? func.getArgument(outArg + 1) : Value();
  Value tid = k.threadId();
  Value lane = k.rem(tid, 32);
  Value row = k.add(k.mul(k.blockId(gpu::Dimension::x), kMergeRowsPerBlock),
                    k.div(tid, 32));
  // The row's indices in out[..., Dv].
  SmallVector<Value> dims;
  Value rows = k.idx(1);
  for (int64_t d = 0; d + 1 < c.rank; ++d) {
    dims.push_back(b.create<memref::DimOp>(out, d));
    rows = k.mul(rows, dims.back());
  }
  Value dv = b.create<memref::DimOp>(out, c.rank - 1);
  auto inRange = b.create<scf::IfOp>(k.lt(row, rows), /*withElse=*/false);
  b.setInsertionPointToStart(inRange.thenBlock());
  SmallVector<Value> index(c.rank - 1);
  Value rest = row;
  for (int64_t d = c.rank - 2; d >= 0; --d) {
    index[d] = k.rem(rest, dims[d]);
    rest = k.div(rest, dims[d]);
  }
  Value parts = c.stacked ? b.create<memref::DimOp>(func.getArgument(0), 0)
                                .getResult()
                          : k.idx(2);
  // Part p's lse and output at column `col` (null: the lse).
  auto load = [&](Value p, Value col) -> Value {
    SmallVector<Value> at;
    Value memref;
    if (c.stacked) {
      at.push_back(p);
      memref = func.getArgument(col ? 0 : 1);
    } else {
      // Two parts: select between the two memrefs' values.
      Value first = func.getArgument(col ? 0 : 1);
      Value second = func.getArgument(col ? 2 : 3);
      SmallVector<Value> idx(index);
      if (col)
        idx.push_back(col);
      Value a = b.create<memref::LoadOp>(first, idx);
      Value bb = b.create<memref::LoadOp>(second, idx);
      Value v = k.select(k.eq(p, k.idx(0)), a, bb);
      return v.getType() == f32 ? v : b.create<arith::ExtFOp>(f32, v);
    }
    at.append(index);
    if (col)
      at.push_back(col);
    Value v = b.create<memref::LoadOp>(memref, at);
    return v.getType() == f32 ? v : b.create<arith::ExtFOp>(f32, v);
  };
  Value inf = k.f32(-std::numeric_limits<double>::infinity());
  Value zero = k.f32(0);
  auto overParts = [&](Value init,
                       function_ref<Value(Value p, Value acc)> body) {
    auto loop = b.create<scf::ForOp>(k.idx(0), parts, k.idx(1), init);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(loop.getBody());
    b.create<scf::YieldOp>(
        body(loop.getInductionVar(), loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  };
  Value max = overParts(inf, [&](Value p, Value acc) -> Value {
    return b.create<arith::MaximumFOp>(acc, load(p, Value()));
  });
  Value use = k.select(
      b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, max, inf), zero, max);
  auto weight = [&](Value p) {
    return kit::fastExp(b, b.create<arith::SubFOp>(load(p, Value()), use));
  };
  Value sum = overParts(zero, [&](Value p, Value acc) -> Value {
    return b.create<arith::AddFOp>(acc, weight(p));
  });
  Value positive =
      b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, sum, zero);
  Value inverse =
      k.select(positive, b.create<arith::DivFOp>(k.f32(1), sum), zero);
  {
    auto columns = b.create<scf::ForOp>(lane, dv, k.idx(32));
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(columns.getBody());
    Value col = columns.getInductionVar();
    Value acc = overParts(zero, [&](Value p, Value acc) -> Value {
      return b.create<arith::AddFOp>(
          acc, b.create<arith::MulFOp>(weight(p), load(p, col)));
    });
    Value v = b.create<arith::MulFOp>(acc, inverse);
    if (c.output != f32)
      v = b.create<arith::TruncFOp>(c.output, v);
    SmallVector<Value> at(index);
    at.push_back(col);
    b.create<memref::StoreOp>(v, out, at);
  }
  if (c.lse) {
    auto leader = b.create<scf::IfOp>(k.eq(lane, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(leader.thenBlock());
    Value logSum = b.create<arith::AddFOp>(
        use, b.create<arith::MulFOp>(kit::fastLog2(b, sum),
                                     k.f32(0.6931471805599453)));
    b.create<memref::StoreOp>(k.select(positive, logSum, inf), lseOut, index);
  }
  b.setInsertionPointAfter(inRange);
  b.create<gpu::ReturnOp>();
  return func;
}
