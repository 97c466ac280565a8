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

BlockWork mlir::tessera::attention::getWork(KitBuilder &k,
                                            const AttentionConfig &c, Value sq,
                                            Value skv, Value rowTile,
                                            Value batchHead, Value split,
                                            Value splits) {
  BlockWork w;
  w.sq = sq;
  w.skv = skv;
  w.offset = k.sub(skv, sq);
  int64_t heads = c.packGqa ? c.hkv : c.hq;
  w.batch = k.div(batchHead, heads);
  Value head = k.rem(batchHead, heads);
  w.kvHead = c.packGqa ? head : k.div(head, c.group());
  w.headBase = c.packGqa ? k.mul(head, c.group()) : head;
  w.firstRow = k.mul(rowTile, c.rowsPerHead());
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
  w.split = split;
  w.splits = splits;
  std::tie(w.tileBegin, w.tileEnd) =
      kit::splitRange(k, first, last, w.split, w.splits);
  return w;
}

/// Causal masks give the last row tiles the most keys: they go first.
static Value orderRowTile(KitBuilder &k, const AttentionConfig &c, Value sq,
                          Value rank) {
  Value rowTiles = k.cdiv(sq, c.rowsPerHead());
  return c.causal ? k.sub(k.sub(rowTiles, k.idx(1)), rank) : rank;
}

BlockWork mlir::tessera::attention::getBlockWork(KitBuilder &k,
                                                 const AttentionConfig &c,
                                                 Value sq, Value skv) {
  Value rowTile = orderRowTile(k, c, sq, k.blockId(gpu::Dimension::x));
  return getWork(k, c, sq, skv, rowTile, k.blockId(gpu::Dimension::y),
                 k.blockId(gpu::Dimension::z), k.gridDim(gpu::Dimension::z));
}

Value mlir::tessera::attention::countTiles(KitBuilder &k,
                                           const AttentionConfig &c, Value sq,
                                           Value batch, Value splits) {
  int64_t heads = c.packGqa ? c.hkv : c.hq;
  return k.mul(k.mul(k.cdiv(sq, c.rowsPerHead()), k.mul(batch, heads)),
               splits);
}

BlockWork mlir::tessera::attention::getTileWork(KitBuilder &k,
                                                const AttentionConfig &c,
                                                Value sq, Value skv,
                                                Value batch, Value splits,
                                                Value tile) {
  int64_t heads = c.packGqa ? c.hkv : c.hq;
  Value rowTiles = k.cdiv(sq, c.rowsPerHead());
  Value rank, stream;
  if (!c.causal) {
    rank = k.rem(tile, rowTiles);
    stream = k.div(tile, rowTiles);
  } else {
    // Groups of `width` streams (the last one may be narrower), each row
    // rank of the group's streams in turn.
    Value streams = k.mul(k.mul(batch, heads), splits);
    Value streamBytes = k.mul(k.cdiv(skv, splits),
                              (c.headDim + c.valueDim) * c.elementBytes());
    Value group = k.b.create<arith::MaxSIOp>(
        k.idx(1),
        k.div(k.idx(std::max<int64_t>(c.l2Bytes / 2, 1)), streamBytes));
    Value section = k.div(tile, k.mul(group, rowTiles));
    Value first = k.mul(section, group);
    Value width = k.b.create<arith::MinSIOp>(group, k.sub(streams, first));
    Value within = k.sub(tile, k.mul(first, rowTiles));
    rank = k.div(within, width);
    stream = k.add(first, k.rem(within, width));
  }
  return getWork(k, c, sq, skv, orderRowTile(k, c, sq, rank),
                 k.div(stream, splits), k.rem(stream, splits), splits);
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

namespace {
/// A thread's finished rows: 1 / sum, the query head and position of each
/// row slot, and whether the position is in range.
struct FinishedRow {
  Value inverse, head, position, valid, positive, sum;
};

SmallVector<FinishedRow> finishRows(KitBuilder &k, const AttentionConfig &c,
                                    const BlockWork &w, size_t groups,
                                    const SoftmaxState &state,
                                    Value rowInBlock) {
  ImplicitLocOpBuilder &b = k.b;
  Value zero = k.f32(0);
  SmallVector<FinishedRow> rows;
  for (size_t r = 0; r < groups; ++r)
    for (int64_t half = 0; half < 2; ++half) {
      FinishedRow f;
      Value row = k.add(rowInBlock, 16 * r + 8 * half);
      f.head = k.add(w.headBase, k.div(row, c.rowsPerHead()));
      f.position = k.add(w.rowLo, k.rem(row, c.rowsPerHead()));
      f.valid = k.le(f.position, w.rowHi);
      f.sum = quadReduce(k, state.sum[2 * r + half], /*max=*/false);
      f.positive =
          b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, f.sum, zero);
      f.inverse = k.select(f.positive,
                           b.create<arith::DivFOp>(k.f32(1), f.sum), zero);
      rows.push_back(f);
    }
  return rows;
}

/// The pair of elements e, e + 1 of a row, divided by its sum and cast.
Value finishedPair(KitBuilder &k, Type stored, Value first, Value second,
                   Value inverse) {
  ImplicitLocOpBuilder &b = k.b;
  SmallVector<Value> values;
  for (Value x : {first, second}) {
    Value y = b.create<arith::MulFOp>(x, inverse);
    values.push_back(stored.isF32()
                         ? y
                         : b.create<arith::TruncFOp>(stored, y).getResult());
  }
  return b.create<vector::FromElementsOp>(VectorType::get({2}, stored),
                                          values);
}
} // namespace

void mlir::tessera::attention::storeRows(KitBuilder &k,
                                         const AttentionConfig &c,
                                         const BlockWork &w,
                                         ArrayRef<SmallVector<Value>> o,
                                         const SoftmaxState &state,
                                         Value rowInBlock, Value column0,
                                         Value out, Value lse,
                                         const StagingRows *staging) {
  ImplicitLocOpBuilder &b = k.b;
  Type stored = c.partial() ? b.getF32Type() : c.output;
  Value inf = k.f32(-std::numeric_limits<double>::infinity());
  Value lane = k.rem(k.threadId(), 32);
  SmallVector<FinishedRow> rows =
      finishRows(k, c, w, o.size(), state, rowInBlock);
  auto at = [&](const FinishedRow &f, Value col) {
    SmallVector<Value> index;
    if (c.partial())
      index.push_back(w.split);
    index.append({w.batch, f.head, f.position});
    if (col)
      index.push_back(col);
    return index;
  };
  // Element e of row slot (group r, half) with its pair, for each pair.
  auto forEachPair = [&](function_ref<void(const FinishedRow &, int64_t half,
                                           int64_t e, Value pair)>
                             body) {
    for (auto [r, group] : llvm::enumerate(o))
      for (int64_t half = 0; half < 2; ++half)
        for (auto [e, v] : llvm::enumerate(group)) {
          if (e % 2 || kit::AccumulatorLayout::rowOffset(e) != 8 * half ||
              kit::AccumulatorLayout::columnOffset(e) >= c.valueDim)
            continue;
          const FinishedRow &f = rows[2 * r + half];
          body(f, half, e,
               finishedPair(k, stored, v, group[e + 1], f.inverse));
        }
  };
  auto direct = [&]() {
    forEachPair([&](const FinishedRow &f, int64_t, int64_t e, Value pair) {
      Value col = k.add(column0, kit::AccumulatorLayout::columnOffset(e));
      auto inBounds = b.create<scf::IfOp>(
          k.andi(f.valid, k.lt(col, k.idx(c.valueDim))), /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(inBounds.thenBlock());
      b.create<vector::StoreOp>(pair, out, at(f, col));
    });
  };
  if (!staging) {
    direct();
  } else {
    // Rows of 16-byte multiples through this warp's staging rows, then
    // 16-byte stores (when the output is 16-byte aligned).
    Value address = b.create<memref::ExtractAlignedPointerAsIndexOp>(out);
    auto aligned = b.create<scf::IfOp>(
        k.eq(k.rem(address, k.idx(16)), k.idx(0)), /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(aligned.elseBlock());
    direct();
    b.setInsertionPointToStart(aligned.thenBlock());
    int64_t bytes = stored.getIntOrFloatBitWidth() / 8;
    Value fragRow = k.toI32(k.div(lane, 4));
    forEachPair([&](const FinishedRow &, int64_t half, int64_t e,
                    Value pair) {
      int64_t col = kit::AccumulatorLayout::columnOffset(e);
      Value offset = k.add(
          k.mul(k.add(fragRow, k.c32(8 * half)), k.c32(staging->rowBytes)),
          k.add(k.mul(k.toI32(column0), k.c32(bytes)), k.c32(col * bytes)));
      b.create<LLVM::StoreOp>(pair, staging->at(k, offset), 2 * bytes);
    });
    b.create<NVVM::SyncWarpOp>(k.c32(-1));
    int64_t perVector = 16 / bytes, perRow = c.valueDim / perVector;
    auto vector = VectorType::get({perVector}, stored);
    Value warpRow0 = k.sub(rowInBlock, k.div(lane, 4));
    for (int64_t first = 0; first < 16 * perRow; first += 32) {
      Value v = k.add(lane, first);
      Value r = k.div(v, perRow), cv = k.rem(v, perRow);
      Value row = k.add(warpRow0, r);
      FinishedRow f;
      f.head = k.add(w.headBase, k.div(row, c.rowsPerHead()));
      f.position = k.add(w.rowLo, k.rem(row, c.rowsPerHead()));
      auto inRange = b.create<scf::IfOp>(
          k.andi(k.lt(v, k.idx(16 * perRow)), k.le(f.position, w.rowHi)),
          /*withElse=*/false);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(inRange.thenBlock());
      Value offset = k.add(k.mul(k.toI32(r), k.c32(staging->rowBytes)),
                           k.mul(k.toI32(cv), k.c32(16)));
      Value data =
          b.create<LLVM::LoadOp>(vector, staging->at(k, offset), 16);
      b.create<vector::StoreOp>(data, out, at(f, k.mul(cv, perVector)),
                                /*nontemporal=*/false, llvm::MaybeAlign(16));
    }
    b.create<NVVM::SyncWarpOp>(k.c32(-1));
  }
  if (!lse)
    return;
  // lse = ln 2 (max + log2 sum), max in scaled log2 units; -inf for a row
  // that saw no key. One lane of the row's quad stores it.
  Value quadLeader = k.eq(k.rem(lane, 4), k.idx(0));
  for (auto [slot, f] : llvm::enumerate(rows)) {
    Value logSum = b.create<arith::MulFOp>(
        b.create<arith::AddFOp>(state.max[slot], kit::fastLog2(b, f.sum)),
        k.f32(0.6931471805599453));
    Value value = k.select(f.positive, logSum, inf);
    auto leader = b.create<scf::IfOp>(k.andi(quadLeader, f.valid),
                                      /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(leader.thenBlock());
    b.create<memref::StoreOp>(value, lse, at(f, Value()));
  }
}

Value StagingRows::at(KitBuilder &k, Value offset) const {
  return k.b.create<LLVM::GEPOp>(LLVM::LLVMPointerType::get(k.ctx, 3),
                                 k.b.getI8Type(), pointer, ValueRange{offset});
}
