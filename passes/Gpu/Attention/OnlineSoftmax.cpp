//===- OnlineSoftmax.cpp - Attention pieces both kernels share ------------===//
//
// Which rows and KV tiles a block works on, the causal/window masks, the
// online softmax on accumulators in the Fragment layout, P as MMA operands
// and the final division and stores.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Attention/AttentionKernels.h"

#include "passes/Gpu/Kit/Epilogue.h"
#include "passes/Gpu/Kit/Fragment.h"
#include "passes/Gpu/Kit/TileScheduler.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::attention;
using kit::KitBuilder;

namespace {
Value smax(KitBuilder &k, Value x, Value y) {
  return k.b.create<arith::MaxSIOp>(x, y);
}
Value smin(KitBuilder &k, Value x, Value y) {
  return k.b.create<arith::MinSIOp>(x, y);
}
Value sle(KitBuilder &k, Value x, Value y) {
  return k.cmp(arith::CmpIPredicate::sle, x, y);
}
Value sgt(KitBuilder &k, Value x, Value y) {
  return k.cmp(arith::CmpIPredicate::sgt, x, y);
}
Value negInf(KitBuilder &k) {
  return k.f32(-std::numeric_limits<double>::infinity());
}
} // namespace

BlockWork mlir::tessera::attention::getBlockWork(KitBuilder &k,
                                                 const AttentionConfig &c,
                                                 Value sq, Value skv) {
  BlockWork w;
  w.sq = sq;
  w.skv = skv;
  w.offset = k.sub(skv, sq);
  Value rowTiles = k.cdiv(sq, c.rowsPerHead());
  Value x = k.blockId(gpu::Dimension::x);
  // Causal: the tiles with the most keys first.
  Value tile = c.causal ? k.sub(k.sub(rowTiles, k.idx(1)), x) : x;
  Value y = k.blockId(gpu::Dimension::y);
  int64_t heads = c.packGqa ? c.hkv : c.hq;
  w.batch = k.div(y, heads);
  Value head = k.rem(y, heads);
  w.kvHead = c.packGqa ? head : k.div(head, c.group());
  w.headBase = c.packGqa ? k.mul(head, c.group()) : head;
  w.firstRow = k.mul(tile, c.rowsPerHead());
  w.rowLo = w.firstRow;
  w.rowHi = k.sub(k.minu(k.add(w.firstRow, c.rowsPerHead()), sq), k.idx(1));
  // The keys some row of the block sees: [keyBegin, keyEnd).
  Value zero = k.idx(0);
  Value keyEnd = skv, keyBegin = zero;
  if (c.causal)
    keyEnd = smin(k, smax(k, k.add(k.add(w.rowHi, w.offset), k.idx(1)), zero),
                  skv);
  if (c.window)
    keyBegin = smin(k, smax(k, k.add(k.sub(k.add(w.rowLo, w.offset),
                                           k.idx(c.window)),
                                     k.idx(1)),
                            zero),
                    skv);
  Value first = k.div(keyBegin, c.blockKV);
  Value last = k.select(k.lt(keyBegin, keyEnd), k.cdiv(keyEnd, c.blockKV),
                        first);
  w.split = k.blockId(gpu::Dimension::z);
  w.splits = k.gridDim(gpu::Dimension::z);
  std::tie(w.tileBegin, w.tileEnd) =
      kit::splitRange(k, first, last, w.split, w.splits);
  return w;
}

Value mlir::tessera::attention::isVisible(KitBuilder &k,
                                          const AttentionConfig &c,
                                          const BlockWork &w, Value row,
                                          Value key) {
  Value visible = k.cmp(arith::CmpIPredicate::slt, key, w.skv);
  Value diagonal = k.add(row, w.offset);
  if (c.causal)
    visible = k.andi(visible, sle(k, key, diagonal));
  if (c.window)
    visible =
        k.andi(visible, sgt(k, key, k.sub(diagonal, k.idx(c.window))));
  return visible;
}

Value mlir::tessera::attention::tileNeedsMask(KitBuilder &k,
                                              const AttentionConfig &c,
                                              const BlockWork &w, Value tile) {
  Value keyLo = k.mul(tile, c.blockKV);
  Value keyHi = k.add(keyLo, c.blockKV - 1);
  Value needs = k.cmp(arith::CmpIPredicate::sge, keyHi, w.skv);
  if (c.causal)
    needs = k.ori(needs, sgt(k, keyHi, k.add(w.rowLo, w.offset)));
  if (c.window)
    needs = k.ori(needs, sle(k, keyLo, k.sub(k.add(w.rowHi, w.offset),
                                            k.idx(c.window))));
  return needs;
}

Value mlir::tessera::attention::quadReduce(KitBuilder &k, Value v, bool max) {
  for (int64_t offset : {1, 2}) {
    Value other = k.b.create<NVVM::ShflOp>(
        k.b.getF32Type(), k.c32(-1), v, k.c32(offset), k.c32(0x1f),
        NVVM::ShflKind::bfly, UnitAttr());
    v = max ? k.b.create<arith::MaximumFOp>(v, other).getResult()
            : k.b.create<arith::AddFOp>(v, other).getResult();
  }
  return v;
}

SmallVector<Value>
mlir::tessera::attention::softmaxStep(KitBuilder &k, const AttentionConfig &c,
                                      SmallVector<SmallVector<Value>> &s,
                                      SoftmaxState &state) {
  ImplicitLocOpBuilder &b = k.b;
  float scale = c.scaleLog2();
  Value scaleValue = k.f32(scale);
  Value inf = negInf(k), zero = k.f32(0);
  SmallVector<Value> alpha;
  for (auto [r, group] : llvm::enumerate(s)) {
    // A negative scale turns the max of the scores into their min: scale
    // first then.
    if (scale <= 0)
      for (Value &v : group)
        v = b.create<arith::MulFOp>(v, scaleValue);
    for (int64_t half = 0; half < 2; ++half) {
      size_t row = 2 * r + half;
      Value rowMax;
      for (auto [e, v] : llvm::enumerate(group)) {
        if (kit::AccumulatorLayout::rowOffset(e) != 8 * half)
          continue;
        rowMax = rowMax ? b.create<arith::MaximumFOp>(rowMax, v).getResult()
                        : v;
      }
      rowMax = quadReduce(k, rowMax, /*max=*/true);
      if (scale > 0)
        rowMax = b.create<arith::MulFOp>(rowMax, scaleValue);
      Value previous = state.max[row];
      Value next = b.create<arith::MaximumFOp>(previous, rowMax);
      // A row that has seen no key yet keeps max = -inf; exponents then
      // subtract 0 so that its masked scores give 0, not NaN.
      Value use = k.select(
          b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, next, inf), zero,
          next);
      Value factor =
          kit::fastExp2(b, b.create<arith::SubFOp>(previous, use));
      Value negUse = b.create<arith::NegFOp>(use);
      Value sum;
      for (auto [e, v] : llvm::enumerate(group)) {
        if (kit::AccumulatorLayout::rowOffset(e) != 8 * half)
          continue;
        Value x = scale > 0
                      ? b.create<LLVM::FMAOp>(v, scaleValue, negUse).getResult()
                      : b.create<arith::AddFOp>(v, negUse).getResult();
        v = kit::fastExp2(b, x);
        sum = sum ? b.create<arith::AddFOp>(sum, v).getResult() : v;
      }
      state.sum[row] = b.create<arith::AddFOp>(
          b.create<arith::MulFOp>(state.sum[row], factor), sum);
      state.max[row] = next;
      alpha.push_back(factor);
    }
  }
  return alpha;
}

SmallVector<SmallVector<Value>>
mlir::tessera::attention::packP(KitBuilder &k, Type element,
                                ArrayRef<Value> p) {
  ImplicitLocOpBuilder &b = k.b;
  auto pairF32 = VectorType::get({2}, b.getF32Type());
  auto pair = VectorType::get({2}, element);
  SmallVector<SmallVector<Value>> slices;
  for (size_t base = 0; base + 8 <= p.size(); base += 8) {
    SmallVector<Value> regs;
    for (size_t q = 0; q < 8; q += 2) {
      Value v = b.create<vector::FromElementsOp>(
          pairF32, ValueRange{p[base + q], p[base + q + 1]});
      v = b.create<arith::TruncFOp>(pair, v);
      regs.push_back(b.create<LLVM::BitcastOp>(k.i32, v));
    }
    slices.push_back(regs);
  }
  return slices;
}

void mlir::tessera::attention::storeRows(KitBuilder &k,
                                         const AttentionConfig &c,
                                         const BlockWork &w,
                                         ArrayRef<SmallVector<Value>> o,
                                         const SoftmaxState &state,
                                         Value rowInBlock, Value column0,
                                         Value out, Value lse) {
  ImplicitLocOpBuilder &b = k.b;
  Type f32 = b.getF32Type();
  Type stored = c.partial() ? f32 : c.output;
  auto pair = VectorType::get({2}, stored);
  Value zero = k.f32(0), inf = negInf(k);
  Value lane = k.rem(k.threadId(), 32);
  Value quadLeader = k.eq(k.rem(lane, 4), k.idx(0));
  for (auto [r, group] : llvm::enumerate(o))
    for (int64_t half = 0; half < 2; ++half) {
      size_t slot = 2 * r + half;
      Value row = k.add(rowInBlock, 16 * r + 8 * half);
      Value head = k.add(w.headBase, k.div(row, c.rowsPerHead()));
      Value position = k.add(w.rowLo, k.rem(row, c.rowsPerHead()));
      Value sum = quadReduce(k, state.sum[slot], /*max=*/false);
      Value positive =
          b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, sum, zero);
      Value inverse = k.select(
          positive, b.create<arith::DivFOp>(k.f32(1), sum), zero);
      auto inRows = b.create<scf::IfOp>(k.le(position, w.rowHi),
                                        /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(inRows.thenBlock());
      auto at = [&](Value col) {
        SmallVector<Value> index;
        if (c.partial())
          index.push_back(w.split);
        index.append({w.batch, head, position});
        if (col)
          index.push_back(col);
        return index;
      };
      for (auto [e, v] : llvm::enumerate(group)) {
        if (e % 2 || kit::AccumulatorLayout::rowOffset(e) != 8 * half)
          continue;
        Value col = k.add(column0, kit::AccumulatorLayout::columnOffset(e));
        if (kit::AccumulatorLayout::columnOffset(e) >= c.valueColumns())
          continue;
        SmallVector<Value> values;
        for (Value x : {v, group[e + 1]}) {
          Value y = b.create<arith::MulFOp>(x, inverse);
          values.push_back(stored == f32 ? y
                                         : b.create<arith::TruncFOp>(stored, y)
                                               .getResult());
        }
        auto inColumns = b.create<scf::IfOp>(
            k.lt(col, k.idx(c.valueDim)), /*withElse=*/false);
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(inColumns.thenBlock());
        b.create<vector::StoreOp>(
            b.create<vector::FromElementsOp>(pair, values), out, at(col));
      }
      if (!lse)
        continue;
      // lse = ln 2 (max + log2 sum), max in scaled log2 units; -inf for a
      // row that saw no key.
      Value m = state.max[slot];
      Value logSum = b.create<arith::MulFOp>(
          b.create<arith::AddFOp>(m, kit::fastLog2(b, sum)),
          k.f32(0.6931471805599453));
      Value value = k.select(positive, logSum, inf);
      auto leader = b.create<scf::IfOp>(quadLeader, /*withElse=*/false);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(leader.thenBlock());
      b.create<memref::StoreOp>(value, lse, at(Value()));
    }
}
