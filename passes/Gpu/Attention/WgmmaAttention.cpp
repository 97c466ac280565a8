//===- WgmmaAttention.cpp - The sm_90a attention kernel -------------------===//
//
// FlashAttention-3's design, built from the kit. The kernel is persistent:
// at most one block per SM walks the tiles (row tiles x batch x heads x KV
// splits, in the L2-aware order of getTileWork). A tile is block_q =
// 64 x consumers rows (query positions x, with pack_gqa, the query heads of
// one KV head) over its share of the KV tiles:
//
// - Warpgroup 0 is the producer: one thread loads each tile's Q once (one
//   TMA box per 64 columns of D; the next tile's as soon as the consumers'
//   last Q K^T of this one completed) and streams K and V tiles into two
//   `stages`-deep rings (separate full/empty mbarriers, so that Q K^T can
//   start before V lands). Rows and columns past the tensors read zero, so
//   any Sq, Skv and head dimension up to 256 runs without copies.
// - Each consumer warpgroup owns 64 rows. S = Q K^T is a wgmma with both
//   operands in shared memory; O += P V takes P from registers (converted
//   to 16 bits in registers) and V from shared memory. The online softmax
//   runs in f32 with exp2 and log2(e) folded into the scale, one division
//   at the end. Tile t's softmax runs while tile t - 1's P V is in flight,
//   and tile t + 1's Q K^T is issued before it: one K and one V slot are
//   released as their wgmma complete.
// - Masks (causal, sliding window, keys past Skv) are applied only on the
//   tiles they cross; tiles no row sees are never loaded.
// - The output is divided by the row sums and stored through shared memory
//   as 16-byte rows (Dv <= 128), with the f32 lse; or, for split-KV, the f32
//   partial output and lse of the tile's split. The producer already loads
//   the next tile meanwhile.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Attention/AttentionKernels.h"

#include "passes/Gpu/Kit/Fragment.h"
#include "passes/Gpu/Kit/Mbarrier.h"
#include "passes/Gpu/Kit/WarpRoles.h"
#include "passes/Gpu/Kit/Wgmma.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::attention;
using kit::KitBuilder;
using kit::kSwizzleBytes;

namespace {

/// Byte layout of the kernel's shared memory (every tile region a multiple
/// of the swizzle's 1 KiB period).
struct Layout {
  int64_t qChunk, kChunk, kSlot, vSlot, q, k, v, staging, stagingRow, qBar,
      qEmpty, kBars, vBars, end;

  explicit Layout(const AttentionConfig &c) {
    qChunk = c.blockQ * kSwizzleBytes;
    kChunk = c.blockKV * kSwizzleBytes;
    kSlot = c.headChunks() * kChunk;
    vSlot = c.valueChunks() * kChunk;
    kit::SharedLayout l;
    q = l.add("q", c.headChunks() * qChunk, 1024);
    k = l.add("k", c.stages * kSlot, 1024);
    v = l.add("v", c.stages * vSlot, 1024);
    // Each consumer warp's 16 output rows, padded by 16 bytes so that the
    // rows of a fragment store fall in different banks.
    stagingRow = c.valueDim * c.output.getIntOrFloatBitWidth() / 8 + 16;
    staging = l.add("staging", c.staged() ? 4 * c.consumers() * 16 * stagingRow
                                          : 0,
                    16);
    qBar = l.add("q_full", 8, 8);
    qEmpty = l.add("q_empty", 8, 8);
    kBars = l.add("k_ring", kit::MbarrierRing::bytes(c.stages), 8);
    vBars = l.add("v_ring", kit::MbarrierRing::bytes(c.stages), 8);
    end = l.launchBytes();
  }
};

class WgmmaAttentionBuilder {
public:
  WgmmaAttentionBuilder(ImplicitLocOpBuilder &b, const AttentionConfig &c)
      : b(b), k(b), c(c), layout(c) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  /// Emits `body(base, n)` for every tile of this block, after setting `w`:
  /// `base` is the ring position of the tile's first KV tile, `n` the
  /// number of tiles before it (Q's phase).
  void forEachTile(function_ref<void(Value base, Value n)> body);
  void produce(Value base, Value n);
  void consume(Value consumer, Value base, Value n);
  /// Waits for K tile `position` and issues S = Q K^T (one group, after a
  /// wgmma.fence: the wait's loop in between would make ptxas add one).
  Value issueScores(Value position, Value consumer);
  /// Waits for V tile `position` and issues O += P V (one group);
  /// `accumulate` (i32) 0 starts O from zero.
  Value issueValues(Value position, Value o, ArrayRef<SmallVector<Value>> p,
                    Value accumulate);
  /// Ping-pong: waits for this consumer's turn to issue wgmma groups, and
  /// passes the turn to the next consumer (no-ops without pingpong).
  void beginTurn(Value consumer);
  void endTurn(Value consumer);
  /// Releases slot `position` of `ring`: one arrive per consumer warp.
  void release(const kit::MbarrierRing &ring, Value position);
  /// The scores of a tile, masked where the tile needs it.
  SmallVector<Value> scoresOf(Value s, Value tile, Value rowInBlock,
                              Value column0);
  Value i32(Value index) { return k.toI32(index); }

  ImplicitLocOpBuilder &b;
  KitBuilder k;
  const AttentionConfig &c;
  Layout layout;
  Value tmapQ, tmapK, tmapV, Q, K, out, lse, tid;
  /// Sq, Skv and the KV split count (index values).
  Value sq, skv, splits;
  kit::SharedMemory smem;
  kit::MbarrierRing kRing, vRing;
  BlockWork w;
};

void WgmmaAttentionBuilder::release(const kit::MbarrierRing &ring,
                                    Value position) {
  Value lane = k.rem(tid, 32);
  auto first = b.create<scf::IfOp>(k.eq(lane, k.idx(0)), /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(first.thenBlock());
  kit::arrive(k, ring.empty(k, ring.slotOf(k, position).first));
}

void WgmmaAttentionBuilder::forEachTile(
    function_ref<void(Value base, Value n)> body) {
  Value batch = b.create<memref::DimOp>(Q, 0);
  Value total = countTiles(k, c, sq, batch, splits);
  auto loop = b.create<scf::ForOp>(
      k.blockId(gpu::Dimension::x), total, k.gridDim(gpu::Dimension::x),
      ValueRange{k.idx(0), k.idx(0)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value base = loop.getRegionIterArgs()[0], n = loop.getRegionIterArgs()[1];
  w = getTileWork(k, c, sq, skv, batch, splits, loop.getInductionVar());
  body(base, n);
  b.create<scf::YieldOp>(ValueRange{
      k.add(base, k.sub(w.tileEnd, w.tileBegin)), k.add(n, k.idx(1))});
}

void WgmmaAttentionBuilder::produce(Value base, Value n) {
  // Q's buffer is free once the consumers' last Q K^T of the previous tile
  // completed (the first tile's wait passes).
  Value parity = k.toI32(k.rem(n, 2));
  kit::waitParity(k, smem.at(k, k.c32(layout.qEmpty)),
                  b.create<arith::XOrIOp>(parity, k.c32(1)));
  Value qBar = smem.at(k, k.c32(layout.qBar));
  kit::arriveExpectTx(k, qBar, c.headChunks() * layout.qChunk);
  Value batch = i32(w.batch);
  for (int64_t ch = 0; ch < c.headChunks(); ++ch)
    kit::tmaLoad(k, tmapQ, smem.at(k, k.c32(layout.q + ch * layout.qChunk)),
                 ValueRange{k.c32(64 * ch), i32(w.rowLo), i32(w.headBase),
                            batch},
                 qBar);
  auto loop = b.create<scf::ForOp>(w.tileBegin, w.tileEnd, k.idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value tile = loop.getInductionVar();
  Value position = k.add(base, k.sub(tile, w.tileBegin));
  Value key = i32(k.mul(tile, c.blockKV));
  auto load = [&](const kit::MbarrierRing &ring, Value tmap, int64_t base,
                  int64_t slotBytes, int64_t chunks) {
    auto [s, parity] = ring.slotOf(k, position);
    // A slot starts free: waiting on the phase before the first passes.
    kit::waitParity(k, ring.empty(k, s),
                    b.create<arith::XOrIOp>(parity, k.c32(1)));
    Value full = ring.full(k, s);
    kit::arriveExpectTx(k, full, slotBytes);
    Value slot = k.add(k.c32(base), k.mul(s, k.c32(slotBytes)));
    for (int64_t ch = 0; ch < chunks; ++ch)
      kit::tmaLoad(k, tmap, smem.at(k, k.add(slot, k.c32(ch * layout.kChunk))),
                   ValueRange{k.c32(64 * ch), key, i32(w.kvHead), batch},
                   full);
  };
  load(kRing, tmapK, layout.k, layout.kSlot, c.headChunks());
  load(vRing, tmapV, layout.v, layout.vSlot, c.valueChunks());
}

Value WgmmaAttentionBuilder::issueScores(Value position, Value consumer) {
  auto [s, parity] = kRing.slotOf(k, position);
  kit::waitParity(k, kRing.full(k, s), parity);
  kit::wgmmaFence(k);
  Value kTile = k.add(k.c32(layout.k), k.mul(s, k.c32(layout.kSlot)));
  Value qRows = k.add(k.c32(layout.q),
                      k.mul(i32(consumer), k.c32(64 * kSwizzleBytes)));
  Value acc = b.create<LLVM::UndefOp>(kit::getAccumulatorType(k.ctx, c.blockKV));
  kit::WgmmaShape shape{c.blockKV, 16, c.element, c.element};
  int64_t steps = (c.headDim + 15) / 16;
  for (int64_t ch = 0; ch < c.headChunks(); ++ch) {
    // A k16 step moves 32 bytes along the chunk's swizzled rows.
    Value descQ = kit::smemDescriptor(
        k, smem.base, k.add(qRows, k.c32(ch * layout.qChunk)), 16);
    Value descK = kit::smemDescriptor(
        k, smem.base, k.add(kTile, k.c32(ch * layout.kChunk)), 16);
    for (int64_t kk = 0; kk < 4 && 4 * ch + kk < steps; ++kk)
      acc = kit::wgmmaSS(k, shape, acc, kit::advanceDescriptor(k, descQ, 32 * kk),
                         kit::advanceDescriptor(k, descK, 32 * kk),
                         /*accumulate=*/ch + kk > 0, /*transposeA=*/false,
                         /*transposeB=*/true);
  }
  kit::wgmmaCommit(k);
  return acc;
}

Value WgmmaAttentionBuilder::issueValues(Value position, Value o,
                                         ArrayRef<SmallVector<Value>> p,
                                         Value accumulate) {
  auto [s, parity] = vRing.slotOf(k, position);
  kit::waitParity(k, vRing.full(k, s), parity);
  kit::wgmmaFence(k);
  Value vTile = k.add(k.c32(layout.v), k.mul(s, k.c32(layout.vSlot)));
  // V is N-major ([Skv, Dv], Dv contiguous): 64-column chunks kChunk bytes
  // apart; a k16 step moves down 16 rows.
  Value descV = kit::smemDescriptor(k, smem.base, vTile, layout.kChunk);
  kit::WgmmaShape shape{c.valueColumns(), 16, c.element, c.element};
  for (auto [step, a] : llvm::enumerate(p))
    o = kit::wgmmaRS(k, shape, o, a,
                     kit::advanceDescriptor(k, descV,
                                            step * 16 * kSwizzleBytes),
                     step ? k.c32(1) : accumulate, /*transposeB=*/false);
  kit::wgmmaCommit(k);
  return o;
}

SmallVector<Value> WgmmaAttentionBuilder::scoresOf(Value s, Value tile,
                                                   Value rowInBlock,
                                                   Value column0) {
  SmallVector<Value> values;
  for (int64_t e = 0; e < c.blockKV / 2; ++e)
    values.push_back(b.create<LLVM::ExtractValueOp>(s, e));
  SmallVector<Type> types(values.size(), b.getF32Type());
  auto masked = b.create<scf::IfOp>(types, tileNeedsMask(k, c, w, tile),
                                    /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(masked.thenBlock());
  Value inf = k.f32(-std::numeric_limits<double>::infinity());
  Value key0 = k.add(k.mul(tile, c.blockKV), column0);
  SmallVector<Value> rows;
  for (int64_t half = 0; half < 2; ++half)
    rows.push_back(
        k.add(w.rowLo, k.rem(k.add(rowInBlock, 8 * half), c.rowsPerHead())));
  SmallVector<Value> result;
  for (auto [e, v] : llvm::enumerate(values)) {
    Value key = k.add(key0, kit::AccumulatorLayout::columnOffset(e));
    Value row = rows[kit::AccumulatorLayout::rowOffset(e) / 8];
    result.push_back(k.select(isVisible(k, c, w, row, key), v, inf));
  }
  b.create<scf::YieldOp>(result);
  b.setInsertionPointToStart(masked.elseBlock());
  b.create<scf::YieldOp>(values);
  return llvm::to_vector_of<Value>(masked.getResults());
}

// Consumer i waits on named barrier kTurnBarrier + i, which the previous
// consumer (i - 1 mod C) arrives at when it has issued its groups: two
// warpgroups per barrier. The last consumer arrives once at the start so
// that consumer 0 goes first. Every consumer of a block issues the same
// number of turns (they share the block's KV tiles), so the turns stay
// paired across the persistent loop's tiles.
constexpr int64_t kTurnBarrier = 1;

void WgmmaAttentionBuilder::beginTurn(Value consumer) {
  if (c.pingpong)
    kit::namedBarrierSync(
        k, k.toI32(k.add(consumer, k.idx(kTurnBarrier))), 256);
}

void WgmmaAttentionBuilder::endTurn(Value consumer) {
  if (!c.pingpong)
    return;
  Value next = k.rem(k.add(consumer, k.idx(1)), k.idx(c.consumers()));
  kit::namedBarrierArrive(k, k.toI32(k.add(next, k.idx(kTurnBarrier))), 256);
}

void WgmmaAttentionBuilder::consume(Value consumer, Value base, Value n) {
  Value inGroup = k.rem(tid, 128);
  Value lane = k.rem(inGroup, 32);
  Value rowInBlock =
      k.add(k.add(k.mul(consumer, 64), k.mul(k.div(inGroup, 32), 16)),
            k.div(lane, 4));
  Value column0 = k.mul(k.rem(lane, 4), 2);
  int64_t oCount = c.valueColumns() / 2;
  Type oType = kit::getAccumulatorType(k.ctx, c.valueColumns());
  Type f32 = b.getF32Type();
  Value inf = k.f32(-std::numeric_limits<double>::infinity());
  Value zero = k.f32(0);
  kit::waitParity(k, smem.at(k, k.c32(layout.qBar)), k.toI32(k.rem(n, 2)));
  // Q is free for the next tile once this one's last Q K^T completed.
  auto releaseQ = [&]() {
    auto first = b.create<scf::IfOp>(k.eq(lane, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(first.thenBlock());
    kit::arrive(k, smem.at(k, k.c32(layout.qEmpty)));
  };

  // Loop state: O, the previous tile's packed P, the row maxima and sums.
  int64_t pCount = c.blockKV / 16 * 4;
  auto unpackP = [&](ValueRange flat) {
    SmallVector<SmallVector<Value>> p;
    for (int64_t i = 0; i < pCount; i += 4)
      p.push_back(llvm::to_vector(flat.slice(i, 4)));
    return p;
  };
  auto flatten = [](ArrayRef<SmallVector<Value>> p) {
    SmallVector<Value> flat;
    for (const SmallVector<Value> &regs : p)
      flat.append(regs);
    return flat;
  };
  Value count = k.sub(w.tileEnd, w.tileBegin);
  SmallVector<Type> stateTypes = {oType, f32, f32, f32, f32};
  auto any = b.create<scf::IfOp>(stateTypes, k.lt(k.idx(0), count),
                                 /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(any.thenBlock());
    SoftmaxState state{{inf, inf}, {zero, zero}};
    // The first tile: scores, softmax, no O yet.
    beginTurn(consumer);
    Value s = issueScores(base, consumer);
    endTurn(consumer);
    kit::wgmmaWait(k, 0);
    s = kit::pinAccumulator(k, s, c.blockKV / 2);
    release(kRing, base);
    SmallVector<SmallVector<Value>> scores = {
        scoresOf(s, w.tileBegin, rowInBlock, column0)};
    softmaxStep(k, c, scores, state);
    SmallVector<Value> init = {b.create<LLVM::UndefOp>(oType)};
    init.append(flatten(packP(k, c.element, scores[0])));
    init.append({state.max[0], state.max[1], state.sum[0], state.sum[1]});
    auto loop = b.create<scf::ForOp>(k.idx(1), count, k.idx(1), init);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(loop.getBody());
      Value t = loop.getInductionVar();
      ValueRange args = loop.getRegionIterArgs();
      Value o = args[0];
      SmallVector<SmallVector<Value>> p = unpackP(args.slice(1, pCount));
      SoftmaxState st{{args[1 + pCount], args[2 + pCount]},
                      {args[3 + pCount], args[4 + pCount]}};
      Value previous = k.add(base, k.sub(t, k.idx(1)));
      beginTurn(consumer);
      Value sNext = issueScores(k.add(base, t), consumer);
      o = issueValues(previous, o, p,
                      k.b.create<arith::ExtUIOp>(k.i32, k.lt(k.idx(1), t)));
      endTurn(consumer);
      // The scores are complete once at most the P V group is pending.
      kit::wgmmaWait(k, 1);
      sNext = kit::pinAccumulator(k, sNext, c.blockKV / 2);
      release(kRing, k.add(base, t));
      SmallVector<SmallVector<Value>> next = {
          scoresOf(sNext, k.add(w.tileBegin, t), rowInBlock, column0)};
      SmallVector<Value> alpha = softmaxStep(k, c, next, st);
      kit::wgmmaWait(k, 0);
      kit::keepAlive(k, flatten(p));
      o = kit::pinAccumulator(k, o, oCount);
      release(vRing, previous);
      for (int64_t e = 0; e < oCount; ++e) {
        Value v = b.create<LLVM::ExtractValueOp>(o, e);
        v = b.create<arith::MulFOp>(
            v, alpha[kit::AccumulatorLayout::rowOffset(e) / 8]);
        o = b.create<LLVM::InsertValueOp>(o, v, e);
      }
      SmallVector<Value> yield = {o};
      yield.append(flatten(packP(k, c.element, next[0])));
      yield.append({st.max[0], st.max[1], st.sum[0], st.sum[1]});
      b.create<scf::YieldOp>(yield);
    }
    releaseQ();
    // The last tile's P V.
    ValueRange results = loop.getResults();
    SmallVector<SmallVector<Value>> p = unpackP(results.slice(1, pCount));
    Value last = k.add(base, k.sub(count, k.idx(1)));
    beginTurn(consumer);
    Value o = issueValues(last, results[0], p,
                          b.create<arith::ExtUIOp>(k.i32, k.lt(k.idx(1), count)));
    endTurn(consumer);
    kit::wgmmaWait(k, 0);
    kit::keepAlive(k, flatten(p));
    o = kit::pinAccumulator(k, o, oCount);
    release(vRing, last);
    b.create<scf::YieldOp>(ValueRange{o, results[1 + pCount],
                                      results[2 + pCount],
                                      results[3 + pCount],
                                      results[4 + pCount]});
  }
  {
    // No key for any row of the block: O = 0, lse = -inf.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(any.elseBlock());
    releaseQ();
    b.create<scf::YieldOp>(
        ValueRange{b.create<LLVM::ZeroOp>(oType), inf, inf, zero, zero});
  }
  SmallVector<Value> o;
  for (int64_t e = 0; e < oCount; ++e)
    o.push_back(b.create<LLVM::ExtractValueOp>(any.getResult(0), e));
  SoftmaxState final{{any.getResult(1), any.getResult(2)},
                     {any.getResult(3), any.getResult(4)}};
  if (!c.staged()) {
    storeRows(k, c, w, {o}, final, rowInBlock, column0, out, lse);
    return;
  }
  Value warp = k.add(k.mul(consumer, 4), k.div(inGroup, 32));
  StagingRows rows{
      smem.at(k, k.add(k.c32(layout.staging),
                       k.mul(k.toI32(warp), k.c32(16 * layout.stagingRow)))),
      layout.stagingRow};
  storeRows(k, c, w, {o}, final, rowInBlock, column0, out, lse, &rows);
}

gpu::GPUFuncOp WgmmaAttentionBuilder::build(StringRef name) {
  kit::SharedMemory::declare(k);
  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  Type f32 = b.getF32Type();
  auto pointer = LLVM::LLVMPointerType::get(k.ctx);
  SmallVector<Type> args = {pointer, pointer, pointer,
                            dynamic(4, c.element), dynamic(4, c.element)};
  int64_t extra = c.partial() ? 1 : 0;
  args.push_back(dynamic(4 + extra, c.partial() ? f32 : c.output));
  bool lseArg = c.lse || c.partial();
  if (lseArg)
    args.push_back(dynamic(3 + extra, f32));
  args.push_back(k.i64);
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  int64_t threads = 32 * c.warps;
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(threads), 1, 1}));
  kit::setLaunchBounds(k, func, threads, /*blocksPerSM=*/1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  tmapQ = func.getArgument(0);
  tmapK = func.getArgument(1);
  tmapV = func.getArgument(2);
  Q = func.getArgument(3);
  K = func.getArgument(4);
  out = func.getArgument(5);
  lse = lseArg ? func.getArgument(6) : Value();
  splits = b.create<arith::IndexCastOp>(b.getIndexType(),
                                        func.getArguments().back());
  sq = b.create<memref::DimOp>(Q, 2);
  skv = b.create<memref::DimOp>(K, 2);
  tid = k.threadId();
  smem = kit::SharedMemory::get(k);
  kRing = {smem, layout.kBars, c.stages};
  vRing = {smem, layout.vBars, c.stages};
  {
    auto first = b.create<scf::IfOp>(k.eq(tid, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(first.thenBlock());
    kit::initBarrier(k, smem.at(k, k.c32(layout.qBar)), 1);
    kit::initBarrier(k, smem.at(k, k.c32(layout.qEmpty)), 4 * c.consumers());
    kRing.init(k, 4 * c.consumers());
    vRing.init(k, 4 * c.consumers());
    kit::fenceBarrierInit(k);
  }
  b.create<gpu::BarrierOp>();
  Value warpGroup = k.div(tid, 128);
  kit::RegisterSplit registers =
      kit::splitRegisters(threads, /*blocksPerSM=*/1, /*producerMax=*/40);
  auto roles = b.create<scf::IfOp>(k.eq(warpGroup, k.idx(0)),
                                   /*withElse=*/true);
  b.setInsertionPointToStart(roles.thenBlock());
  kit::setRegisters(k, registers.producer, /*increase=*/false);
  {
    auto issuer = b.create<scf::IfOp>(k.eq(tid, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(issuer.thenBlock());
    forEachTile([&](Value base, Value n) { produce(base, n); });
  }
  b.setInsertionPointToStart(roles.elseBlock());
  kit::setRegisters(k, registers.consumer, /*increase=*/true);
  Value consumer = k.sub(warpGroup, k.idx(1));
  if (c.pingpong) {
    // Consumer 0's first turn.
    auto last = b.create<scf::IfOp>(
        k.eq(consumer, k.idx(c.consumers() - 1)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(last.thenBlock());
    kit::namedBarrierArrive(k, k.c32(kTurnBarrier), 256);
  }
  forEachTile([&](Value base, Value n) { consume(consumer, base, n); });
  b.setInsertionPointAfter(roles);
  b.create<gpu::ReturnOp>();
  return func;
}

} // namespace

int64_t mlir::tessera::attention::getWgmmaAttentionSharedMemory(
    const AttentionConfig &c) {
  return Layout(c).end;
}

gpu::GPUFuncOp
mlir::tessera::attention::buildWgmmaAttention(ImplicitLocOpBuilder &b,
                                              const AttentionConfig &c,
                                              StringRef name) {
  return WgmmaAttentionBuilder(b, c).build(name);
}
