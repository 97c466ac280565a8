//===- WgmmaKernel.cpp - The sm_90a matmul kernel -------------------------===//
//
// A persistent, warp-specialized Hopper GEMM built from the kit. At most
// one block per SM; each walks the output tiles (batch-major, then grouped
// rows) with a stride of the grid size.
//
// - Warpgroup 0 is the producer. Its first thread walks the tiles' K steps
//   and, for each, waits until the ring slot is free (the slot's `empty`
//   mbarrier), announces the slot's bytes on its `full` mbarrier and issues
//   TMA copies (cp.async.bulk.tensor) of the A and B tiles into 128-byte
//   swizzled shared memory. It runs ahead into the next tile while the
//   consumers finish the last one. It gives up registers (setmaxnreg).
// - Warpgroups 1..consumers each compute `consumerRows` rows of the
//   block_m x block_n tile with wgmma.mma_async m64nNk16 (fp8: k32),
//   reading both operands from shared memory through matrix descriptors and
//   holding f32 accumulators in registers. One wgmma group stays in flight: a
//   slot is released (one arrive per warp on `empty`) once the group after it
//   has been issued.
// - The epilogue applies alpha, the bias, the activation and the output cast
//   to the accumulators. Where the whole tile is in bounds, each warp stages
//   16 x 64 blocks in shared memory and writes them as 16-byte rows;
//   elsewhere it stores element by element with bounds checks.
//
// With swap_ab (decode: few rows of A against B stored [N, K]) the kernel
// computes each tile transposed: B's rows fill wgmma's 64-row side and A's
// rows its n side. It is not persistent: a cluster of split_k blocks along x
// shares one tile, each block a share of K; the others send their f32
// partial sums to the first block's shared memory (distributed shared
// memory), which adds them after a cluster barrier and stores element by
// element.
//
// fp8 (e4m3fn/e5m2, both operands K-major) uses k32 instructions over
// 128-element K steps. The tensor cores add fp8 products with fewer bits
// than f32, so the consumers promote: each step's wgmma start from zero
// (scale-d = 0) in one of two alternating register sets, and once complete
// they are added into f32 accumulators while the next step's run (results
// equal cuBLASLt's). Per-tensor scales are read once and multiplied in
// with alpha. A swapped kernel with an f32 output promotes too: 16-bit
// products are added with truncation as well, and its few accumulators
// make the second set cheap.
//
// TMA zero-fills reads past M, N and K, so any size runs. Transposed
// operands (M- or N-contiguous) use the wgmma transpose bits; their tiles are
// loaded as 64-element-wide boxes.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Matmul/MatmulKernels.h"

#include "passes/Gpu/Kit/Epilogue.h"
#include "passes/Gpu/Kit/Mbarrier.h"
#include "passes/Gpu/Kit/Tma.h"
#include "passes/Gpu/Kit/WarpRoles.h"
#include "passes/Gpu/Kit/Wgmma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::gpu_matmul;
using kit::kSwizzleBytes;

namespace {

class WgmmaBuilder {
public:
  WgmmaBuilder(ImplicitLocOpBuilder &b, const KernelConfig &c)
      : b(b), k(b), c(c), ctx(b.getContext()), i32(b.getI32Type()),
        i64(b.getI64Type()) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  /// Byte layout of the (1 KiB aligned) shared memory.
  /// A ring slot holds the tile of wgmma's A side (block_m rows of A, or
  /// block_n rows of B with swap_ab) then that of its B side.
  int64_t aStageBytes() const {
    return (c.swapAB ? c.blockN : c.blockM) * c.blockK * c.elementBytes();
  }
  int64_t bStageBytes() const {
    return c.mmaN() * c.blockK * c.elementBytes();
  }
  int64_t ringBytes() const {
    return c.stages * (aStageBytes() + bStageBytes());
  }
  /// swap_ab with split_k: the f32 partial sums that block 0 receives from
  /// the cluster's others, over the ring (idle by then).
  int64_t partialSumBytes() const {
    return c.swapAB ? (c.splitK - 1) * c.blockM * c.blockN * 4 : 0;
  }
  int64_t barrierOffset() const {
    return std::max(ringBytes(), partialSumBytes());
  }
  /// Bytes of one 64-element-wide box of an M- or N-contiguous (16-bit)
  /// tile.
  int64_t chunkBytes() const { return kSwizzleBytes * c.blockK; }
  /// Offsets (i32) of ring slot `s`'s A and B tiles.
  Value aTileAt(Value s) { return k.mul(s, k.c32(aStageBytes())); }
  Value bTileAt(Value s) {
    return k.add(k.c32(c.stages * aStageBytes()), k.mul(s, k.c32(bStageBytes())));
  }
  /// The consumer warps' epilogue staging rows follow the barriers;
  /// swap_ab's partial sums start at the ring.
  int64_t stagingOffset() const {
    return c.swapAB ? 0 : barrierOffset() + 16 * c.stages;
  }

  /// A pointer `offset` (i32) bytes into the aligned shared memory.
  Value sharedAt(Value offset) { return smem.at(k, offset); }
  /// The mbarriers of the ring: full (producer -> consumers) and empty
  /// (consumers -> producer) per slot.
  kit::MbarrierRing ring() const {
    return {smem, barrierOffset(), c.stages};
  }
  /// Indices of C at (m, n) of the current tile's batch.
  SmallVector<Value> at(Value m, Value n) {
    SmallVector<Value> index;
    if (batch)
      index.push_back(batch);
    index.append({m, n});
    return index;
  }
  /// Finishes f32 `v` and stores it at C[m, n] if that is in bounds.
  void storeChecked(Value m, Value n, Value v) {
    auto inBounds = b.create<scf::IfOp>(
        b.create<arith::AndIOp>(k.lt(m, M), k.lt(n, N)), /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(inBounds.thenBlock());
    b.create<memref::StoreOp>(kit::finishElement(b, c.epilogueSpec(), v, bias, n, scale), C,
                              at(m, n));
  }
  /// A wgmma descriptor of the 128-byte swizzle at byte `offset` (i32).
  Value descriptor(Value offset, int64_t leadingBytes) {
    return kit::smemDescriptor(k, smem.base, offset, leadingBytes);
  }

  /// Emits `body(first)` in a loop over this block's tiles, after
  /// setting mBase, nBase and batch for the tile; `first` is the ring
  /// position (index) of the tile's first K step.
  void forEachTile(function_ref<void(Value first)> body);
  void produce(Value first);
  /// The f32 accumulators of one m64 row block: a struct of mmaN / 2.
  Type accumulatorType() { return kit::getAccumulatorType(ctx, c.mmaN()); }
  /// Waits for the K step at ring `position` (index) and issues its wgmma
  /// (one per m64 row block, block_k / kStep deep) onto `acc`, or from zero
  /// with `fresh`; commits the group and returns the results (pending).
  SmallVector<Value> issueStep(Value position, Value consumer,
                               ArrayRef<Value> acc, bool fresh);
  /// `acc` pinned (kit::pinAccumulator).
  Value pin(Value acc) { return kit::pinAccumulator(k, acc, c.mmaN() / 2); }
  /// One arrive per warp on the `empty` barrier of `position`'s slot, when
  /// `when` (i1, null: always) holds.
  void release(Value position, Value when);
  /// The tile's accumulators (f32, in registers).
  SmallVector<Value> consume(Value first, Value consumer);
  /// fp8: each step's products start from zero and are added into f32
  /// accumulators once complete.
  SmallVector<Value> consumePromoted(Value first, Value consumer);
  void epilogue(ArrayRef<Value> acc, Value consumer);
  /// swap_ab: the cluster's partial sums meet in block 0, which stores the
  /// transposed tile element by element.
  void swapEpilogue(ArrayRef<Value> acc, Value consumer);
  /// Every thread of the block arrives at the cluster barrier and waits.
  void clusterSync() {
    b.create<NVVM::ClusterArriveOp>(UnitAttr());
    b.create<NVVM::ClusterWaitOp>(UnitAttr());
  }
  /// stream_k: a tile this block took up after its first K step leaves
  /// its partial sums in the workspace; one whose first steps it computed
  /// adds those of the blocks that took it up, then runs the epilogue.
  void streamKEpilogue(ArrayRef<Value> acc, Value consumer);
  /// stream_k: the first of all tiles' K steps in block `r`'s share (the
  /// share of r + 1 starts where it ends; with fewer steps than blocks,
  /// some shares are empty).
  Value shareStart(Value r) {
    return b.create<arith::DivUIOp>(k.mul(r, totalSteps), grid);
  }
  /// stream_k: the block whose share holds K step `step` (index) of all.
  Value ownerOf(Value step) {
    return b.create<arith::DivUIOp>(
        b.create<arith::SubIOp>(k.mul(k.add(step, k.idx(1)), grid), k.idx(1)),
        totalSteps);
  }
  /// stream_k: a pointer to flag `r` (index) of the plan's flags.
  Value flagAt(Value r);
  /// The interior epilogue: 16 x 64 blocks through shared memory, written
  /// as 16-byte rows.
  void stagedEpilogue(ArrayRef<Value> acc, Value consumer, Value warp,
                      Value lane, Value warpRow0);

  ImplicitLocOpBuilder &b;
  kit::KitBuilder k;
  const KernelConfig &c;
  MLIRContext *ctx;
  Type i32, i64;
  // Kernel-wide values.
  Value tmapA, tmapB, A, B, bias, C, M, N, K, kTiles, tid;
  /// The consumers' scale_a * scale_b (f32), null without scales.
  Value scale;
  /// This block's K steps: [kBegin, kBegin + kCount) (index values); with
  /// swap_ab, `rank` is its place in the cluster that splits K.
  Value kBegin, kCount, rank;
  /// The current tile's origin and batch (index values; batch is null for
  /// unbatched results).
  Value mBase, nBase, batch;
  /// stream_k: the partial-sum workspace and its flags, this block and the
  /// grid, the K steps of all tiles and the current tile's first.
  Value workspace, flags, block, grid, totalSteps, tileStart;
  /// The aligned shared memory.
  kit::SharedMemory smem;
};

void WgmmaBuilder::forEachTile(function_ref<void(Value first)> body) {
  if (c.swapAB) {
    // One tile per cluster of split_k blocks along x: the tile is block y,
    // the batch block z, and each block of the cluster takes a share of K.
    rank = b.create<gpu::BlockIdOp>(gpu::Dimension::x);
    Value tile = b.create<gpu::BlockIdOp>(gpu::Dimension::y);
    batch = c.rankC == 3
                ? b.create<gpu::BlockIdOp>(gpu::Dimension::z).getResult()
                : Value();
    Value tilesN = b.create<arith::DivUIOp>(k.add(N, k.idx(c.blockN - 1)),
                                            k.idx(c.blockN));
    nBase = k.mul(b.create<arith::RemUIOp>(tile, tilesN), k.idx(c.blockN));
    mBase = k.mul(b.create<arith::DivUIOp>(tile, tilesN), k.idx(c.blockM));
    Value share = b.create<arith::DivUIOp>(k.add(kTiles, k.idx(c.splitK - 1)),
                                           k.idx(c.splitK));
    kBegin = b.create<arith::MinUIOp>(k.mul(rank, share), kTiles);
    kCount = b.create<arith::SubIOp>(
        b.create<arith::MinUIOp>(k.add(kBegin, share), kTiles), kBegin);
    body(k.idx(0));
    return;
  }
  kBegin = k.idx(0);
  kCount = kTiles;
  Value tilesM = b.create<arith::DivUIOp>(k.add(M, k.idx(c.blockM - 1)),
                                          k.idx(c.blockM));
  Value tilesN = b.create<arith::DivUIOp>(k.add(N, k.idx(c.blockN - 1)),
                                          k.idx(c.blockN));
  Value perBatch = k.mul(tilesM, tilesN);
  Value batches = c.rankC == 3 ? b.create<memref::DimOp>(C, 0).getResult()
                               : k.idx(1);
  block = b.create<gpu::BlockIdOp>(gpu::Dimension::x);
  grid = b.create<gpu::GridDimOp>(gpu::Dimension::x);
  if (c.streamK) {
    // Block b takes K steps [b T / G, (b + 1) T / G) of the T steps of all
    // tiles (tile-major): the tiles it touches are its loop, each from its
    // first step in the share to its last.
    totalSteps = k.mul(k.mul(perBatch, batches), kTiles);
    Value begin = shareStart(block);
    Value end = shareStart(k.add(block, k.idx(1)));
    Value firstTile = b.create<arith::DivUIOp>(begin, kTiles);
    Value lastTile = b.create<arith::SelectOp>(k.lt(begin, end),
                                               k.cdiv(end, kTiles), firstTile);
    auto loop = b.create<scf::ForOp>(firstTile, lastTile, k.idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value tile = loop.getInductionVar();
    tileStart = k.mul(tile, kTiles);
    Value from = b.create<arith::MaxUIOp>(begin, tileStart);
    Value to = b.create<arith::MinUIOp>(end, k.add(tileStart, kTiles));
    kBegin = b.create<arith::SubIOp>(from, tileStart);
    kCount = b.create<arith::SubIOp>(to, from);
    batch = c.rankC == 3 ? b.create<arith::DivUIOp>(tile, perBatch).getResult()
                         : Value();
    std::tie(mBase, nBase) =
        placeTile(b, c, M, N, b.create<arith::RemUIOp>(tile, perBatch));
    // The ring position continues across the share's steps.
    body(b.create<arith::SubIOp>(from, begin));
    return;
  }
  auto loop = b.create<scf::ForOp>(block, k.mul(perBatch, batches), grid);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value tile = loop.getInductionVar();
  batch = c.rankC == 3 ? b.create<arith::DivUIOp>(tile, perBatch).getResult()
                       : Value();
  std::tie(mBase, nBase) =
      placeTile(b, c, M, N, b.create<arith::RemUIOp>(tile, perBatch));
  // Every tile has kTiles steps: the ring position continues across tiles.
  Value done = b.create<arith::DivUIOp>(
      b.create<arith::SubIOp>(tile, block), grid);
  body(k.mul(done, kTiles));
}

void WgmmaBuilder::produce(Value first) {
  // Batch coordinates; an operand whose batch size is 1 broadcasts.
  auto batchOf = [&](Value v, int64_t rank) -> Value {
    if (rank != 3)
      return Value();
    Value one = k.eq(b.create<memref::DimOp>(v, 0), k.idx(1));
    return k.toI32(b.create<arith::SelectOp>(one, k.idx(0), batch));
  };
  Value batchA = batchOf(A, c.rankA), batchB = batchOf(B, c.rankB);
  auto loop = b.create<scf::ForOp>(k.idx(0), kCount, k.idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value kt = loop.getInductionVar();
  kit::MbarrierRing bars = ring();
  auto [s, parity] = bars.slotOf(k, k.add(first, kt));
  // A slot starts free: waiting on the phase before the first passes.
  kit::waitParity(k, bars.empty(k, s),
                  b.create<arith::XOrIOp>(parity, k.c32(1)));
  Value full = bars.full(k, s);
  kit::arriveExpectTx(k, full, aStageBytes() + bStageBytes());
  Value k0 = k.toI32(k.mul(k.add(kBegin, kt), k.idx(c.blockK)));
  auto copy = [&](Value tmap, Value dstOffset, Value inner, Value outer,
                  Value batch) {
    SmallVector<Value> coords = {inner, outer};
    if (batch)
      coords.push_back(batch);
    kit::tmaLoad(k, tmap, sharedAt(dstOffset), coords, full);
  };
  // A K-contiguous tile is one box of block_k x block_m; an M- or
  // N-contiguous one is a row of 64-wide boxes, each block_k deep.
  Value aTile = aTileAt(s), bTile = bTileAt(s);
  Value m0 = k.toI32(mBase), n0 = k.toI32(nBase);
  if (c.swapAB) {
    // B ([N, K]) on wgmma's A side, A ([M, K]) on its B side.
    copy(tmapB, aTile, k0, n0, batchB);
    copy(tmapA, bTile, k0, m0, batchA);
    return;
  }
  if (!c.transposeA)
    copy(tmapA, aTile, k0, m0, batchA);
  else
    for (int64_t ch = 0; ch < c.blockM / 64; ++ch)
      copy(tmapA, k.add(aTile, k.c32(ch * chunkBytes())), k.add(m0, k.c32(64 * ch)),
           k0, batchA);
  if (c.transposeB)
    copy(tmapB, bTile, k0, n0, batchB);
  else
    for (int64_t ch = 0; ch < c.blockN / 64; ++ch)
      copy(tmapB, k.add(bTile, k.c32(ch * chunkBytes())), k.add(n0, k.c32(64 * ch)),
           k0, batchB);
}

SmallVector<Value> WgmmaBuilder::issueStep(Value position, Value consumer,
                                           ArrayRef<Value> acc, bool fresh) {
  kit::MbarrierRing bars = ring();
  auto [s, parity] = bars.slotOf(k, position);
  kit::waitParity(k, bars.full(k, s), parity);
  Value aTile = aTileAt(s), bTile = bTileAt(s);
  Value rows = k.mul(k.toI32(consumer), k.c32(c.consumerRows()));
  // A wgmma step covers 32 bytes of K: k16 (16-bit) or k32 (fp8).
  int64_t eb = c.elementBytes(), kStep = 32 / eb;
  SmallVector<Value> part(acc);
  kit::wgmmaFence(k);
  // The descriptors of the step's first k slice; the others advance their
  // start address by a constant (one 64-bit add each). K-contiguous tiles:
  // a k slice moves along the swizzled row; M/N-contiguous ones: it moves
  // down kStep rows of 128 bytes.
  auto sliceBytes = [&](bool contiguousK, int64_t kk) {
    return contiguousK ? kk * eb : kk * kSwizzleBytes;
  };
  Value descB0 = descriptor(bTile, c.transposeB ? 16 : chunkBytes());
  SmallVector<Value> descA0;
  for (size_t i = 0; i < part.size(); ++i) {
    Value row0 = k.add(rows, k.c32(i * 64));
    descA0.push_back(
        !c.transposeA
            ? descriptor(k.add(aTile, k.mul(row0, k.c32(kSwizzleBytes))), 16)
            : descriptor(k.add(aTile, k.mul(b.create<arith::DivUIOp>(row0, k.c32(64)),
                                        k.c32(chunkBytes()))),
                         chunkBytes()));
  }
  for (int64_t kk = 0; kk < c.blockK; kk += kStep) {
    Value descB =
        kit::advanceDescriptor(k, descB0, sliceBytes(c.transposeB, kk));
    for (size_t i = 0; i < part.size(); ++i) {
      Value descA =
          kit::advanceDescriptor(k, descA0[i], sliceBytes(!c.transposeA, kk));
      kit::WgmmaShape shape{c.mmaN(), kStep,
                            c.swapAB ? c.elementB : c.element,
                            c.swapAB ? c.element : c.elementB};
      part[i] = kit::wgmmaSS(k, shape, part[i], descA, descB,
                             /*accumulate=*/!(fresh && kk == 0), c.transposeA,
                             c.transposeB);
    }
  }
  kit::wgmmaCommit(k);
  return part;
}

void WgmmaBuilder::release(Value position, Value when) {
  Value lane = b.create<arith::RemUIOp>(tid, k.idx(32));
  Value first = k.eq(lane, k.idx(0));
  auto arrive = b.create<scf::IfOp>(
      when ? b.create<arith::AndIOp>(when, first).getResult() : first,
      /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(arrive.thenBlock());
  kit::MbarrierRing bars = ring();
  kit::arrive(k, bars.empty(k, bars.slotOf(k, position).first));
}

SmallVector<Value> WgmmaBuilder::consume(Value first, Value consumer) {
  if (c.promote())
    return consumePromoted(first, consumer);
  int64_t blocks = c.consumerRows() / 64;
  SmallVector<Type> types(blocks, accumulatorType());
  auto any = b.create<scf::IfOp>(types, k.lt(k.idx(0), kCount),
                                 /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  // No K step (an empty share of K): zeros.
  b.setInsertionPointToStart(any.elseBlock());
  b.create<scf::YieldOp>(
      SmallVector<Value>(blocks, b.create<LLVM::ZeroOp>(accumulatorType())));
  // The first step starts from zero (scale-d = 0) rather than from zeroed
  // registers: nothing but wgmma may write the accumulators between a
  // group's issue and its wait, or ptxas serializes the wgmma (C7515) or
  // injects waits (C7517/C7519).
  b.setInsertionPointToStart(any.thenBlock());
  SmallVector<Value> undef(blocks, b.create<LLVM::UndefOp>(accumulatorType()));
  SmallVector<Value> init = issueStep(first, consumer, undef, /*fresh=*/true);
  auto loop = b.create<scf::ForOp>(k.idx(1), kCount, k.idx(1), init);
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(loop.getBody());
    Value position = k.add(first, loop.getInductionVar());
    SmallVector<Value> acc = issueStep(
        position, consumer, llvm::to_vector_of<Value>(loop.getRegionIterArgs()),
        /*fresh=*/false);
    // The previous step's group is complete once at most this one is
    // pending: its slot goes back to the producer, one arrive per warp.
    kit::wgmmaWait(k, 1);
    release(b.create<arith::SubIOp>(position, k.idx(1)), Value());
    b.create<scf::YieldOp>(acc);
  }
  // The tile's last slot goes back once all its wgmma are done.
  kit::wgmmaWait(k, 0);
  release(b.create<arith::SubIOp>(k.add(first, kCount), k.idx(1)), Value());
  b.create<scf::YieldOp>(loop.getResults());
  return any.getResults();
}

SmallVector<Value> WgmmaBuilder::consumePromoted(Value first,
                                                 Value consumer) {
  int64_t blocks = c.consumerRows() / 64;
  Value zero = b.create<LLVM::ZeroOp>(accumulatorType());
  Value undef = b.create<LLVM::UndefOp>(accumulatorType());
  SmallVector<Value> fresh(blocks, undef);
  // Adds completed products into the accumulators. Both are pinned, so
  // that LLVM neither reads the products before the wait that completes
  // them nor moves the sums past the next wgmma (ptxas serializes wgmma
  // whose accumulators are read while in flight).
  auto addInto = [&](MutableArrayRef<Value> acc, ArrayRef<Value> part) {
    for (int64_t i = 0; i < blocks; ++i) {
      Value done = pin(part[i]);
      for (int64_t e = 0; e < c.mmaN() / 2; ++e)
        acc[i] = b.create<LLVM::InsertValueOp>(
            acc[i],
            b.create<arith::AddFOp>(b.create<LLVM::ExtractValueOp>(acc[i], e),
                                    b.create<LLVM::ExtractValueOp>(done, e)),
            e);
      acc[i] = pin(acc[i]);
    }
  };
  // Steps go in pairs with two sets of products, so that one group stays in
  // flight: while step 2j + 1's wgmma run, step 2j's products are added. A
  // slot goes back as soon as the wgmma that read it are complete.
  // The loop carries the accumulators and the last step's pending products.
  SmallVector<Value> init(2 * blocks, zero);
  auto loop = b.create<scf::ForOp>(
      k.idx(0), b.create<arith::DivUIOp>(kCount, k.idx(2)), k.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value position = k.add(first, k.mul(loop.getInductionVar(), k.idx(2)));
    SmallVector<Value> acc(loop.getRegionIterArgs().take_front(blocks));
    SmallVector<Value> pending(loop.getRegionIterArgs().drop_front(blocks));
    SmallVector<Value> even = issueStep(position, consumer, fresh, true);
    kit::wgmmaWait(k, 1);
    release(b.create<arith::SubIOp>(position, k.idx(1)),
            k.lt(k.idx(0), loop.getInductionVar()));
    addInto(acc, pending);
    SmallVector<Value> odd =
        issueStep(k.add(position, k.idx(1)), consumer, fresh, true);
    kit::wgmmaWait(k, 1);
    release(position, Value());
    addInto(acc, even);
    acc.append(odd);
    b.create<scf::YieldOp>(acc);
  }
  SmallVector<Value> acc(loop.getResults().take_front(blocks));
  SmallVector<Value> pending(loop.getResults().drop_front(blocks));
  // An odd step count leaves one step; then the pending products.
  Value last = b.create<arith::SubIOp>(k.add(first, kCount), k.idx(1));
  auto tail = b.create<scf::IfOp>(
      TypeRange(ValueRange(acc)),
      k.eq(b.create<arith::RemUIOp>(kCount, k.idx(2)), k.idx(1)), /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(tail.thenBlock());
  {
    SmallVector<Value> sum(acc);
    SmallVector<Value> part = issueStep(last, consumer, fresh, true);
    kit::wgmmaWait(k, 1);
    release(b.create<arith::SubIOp>(last, k.idx(1)), k.lt(k.idx(1), kCount));
    addInto(sum, pending);
    kit::wgmmaWait(k, 0);
    release(last, Value());
    addInto(sum, part);
    b.create<scf::YieldOp>(sum);
  }
  b.setInsertionPointToStart(tail.elseBlock());
  {
    SmallVector<Value> sum(acc);
    kit::wgmmaWait(k, 0);
    release(last, k.lt(k.idx(0), kCount));
    addInto(sum, pending);
    b.create<scf::YieldOp>(sum);
  }
  return tail.getResults();
}

void WgmmaBuilder::epilogue(ArrayRef<Value> acc, Value consumer) {
  // wgmma m64nN: warp w of the warpgroup holds rows 16w + lane/4 (+ 8);
  // each n8 column block j gives it columns 8j + 2(lane % 4) (+ 1).
  Value inGroup = b.create<arith::RemUIOp>(tid, k.idx(128));
  Value warp = b.create<arith::DivUIOp>(inGroup, k.idx(32));
  Value lane = b.create<arith::RemUIOp>(inGroup, k.idx(32));
  Value warpRow0 = k.add(k.add(mBase, k.mul(consumer, k.idx(c.consumerRows()))),
                       k.mul(warp, k.idx(16)));
  Value row0 = k.add(warpRow0, b.create<arith::DivUIOp>(lane, k.idx(4)));
  Value col0 = k.add(nBase, k.mul(b.create<arith::RemUIOp>(lane, k.idx(4)), k.idx(2)));
  // The staged path writes 16-byte rows: a whole tile in bounds, rows of
  // 16-byte multiples and an aligned C.
  int64_t outBytes = c.output.getIntOrFloatBitWidth() / 8;
  Value address = b.create<memref::ExtractAlignedPointerAsIndexOp>(C);
  Value interior = b.create<arith::AndIOp>(
      b.create<arith::AndIOp>(k.le(k.add(mBase, k.idx(c.blockM)), M),
                              k.le(k.add(nBase, k.idx(c.blockN)), N)),
      b.create<arith::AndIOp>(
          k.eq(b.create<arith::RemUIOp>(N, k.idx(16 / outBytes)), k.idx(0)),
          k.eq(b.create<arith::RemUIOp>(address, k.idx(16)), k.idx(0))));
  auto split = b.create<scf::IfOp>(interior, /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(split.thenBlock());
  stagedEpilogue(acc, consumer, warp, lane, warpRow0);
  b.setInsertionPointToStart(split.elseBlock());
  for (size_t i = 0; i < acc.size(); ++i)
    for (int64_t j = 0; j < c.blockN / 8; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value m = k.add(row0, k.idx(i * 64 + (e / 2) * 8));
        Value n = k.add(col0, k.idx(j * 8 + e % 2));
        storeChecked(m, n, b.create<LLVM::ExtractValueOp>(acc[i], 4 * j + e));
      }
}

void WgmmaBuilder::swapEpilogue(ArrayRef<Value> acc, Value consumer) {
  Value inGroup = b.create<arith::RemUIOp>(tid, k.idx(128));
  Value warp = b.create<arith::DivUIOp>(inGroup, k.idx(32));
  Value lane = b.create<arith::RemUIOp>(inGroup, k.idx(32));
  SmallVector<Value> values;
  for (Value a : acc)
    for (int64_t e = 0; e < c.mmaN() / 2; ++e)
      values.push_back(b.create<LLVM::ExtractValueOp>(a, e));
  int64_t perThread = values.size();
  auto quad = VectorType::get({4}, b.getF32Type());
  auto ptr7 = LLVM::LLVMPointerType::get(ctx, 7);
  // Where this thread's partial sums from block r of the cluster land in
  // block 0: one slot of 128 x consumers threads per block after the first.
  int64_t slotBytes = 4 * perThread * 128 * c.consumers();
  Value mine =
      k.add(k.c32(stagingOffset()),
          k.mul(k.toI32(k.add(k.mul(consumer, k.idx(128)), inGroup)), k.c32(4 * perThread)));
  auto slot = [&](Value r) {
    return k.add(mine, k.mul(k.toI32(b.create<arith::SubIOp>(r, k.idx(1))),
                         k.c32(slotBytes)));
  };
  OpBuilder::InsertionGuard guard(b);
  if (c.splitK > 1) {
    // The partial sums overwrite block 0's ring: every block of the
    // cluster is past its main loop once this barrier passes.
    clusterSync();
    auto send = b.create<scf::IfOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, rank, k.idx(0)),
        /*withElse=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(send.thenBlock());
      Value remote = b.create<NVVM::MapaOp>(ptr7, sharedAt(slot(rank)),
                                            k.c32(0));
      for (int64_t q = 0; q < perThread; q += 4) {
        Value v = b.create<vector::FromElementsOp>(
            quad, ArrayRef<Value>(values).slice(q, 4));
        Value at = b.create<LLVM::GEPOp>(ptr7, b.getI8Type(), remote,
                                         ArrayRef<LLVM::GEPArg>{4 * q});
        b.create<LLVM::StoreOp>(v, at, 16);
      }
    }
    clusterSync();
    auto receive = b.create<scf::IfOp>(k.eq(rank, k.idx(0)), /*withElse=*/false);
    b.setInsertionPointToStart(receive.thenBlock());
    for (int64_t r = 1; r < c.splitK; ++r)
      for (int64_t q = 0; q < perThread; q += 4) {
        Value v = b.create<LLVM::LoadOp>(
            quad, sharedAt(k.add(slot(k.idx(r)), k.c32(4 * q))), 16);
        for (int64_t e = 0; e < 4; ++e)
          values[q + e] = b.create<arith::AddFOp>(
              values[q + e], b.create<vector::ExtractOp>(v, e));
      }
  }
  // D = B A^T: its rows (B's, wgmma's m side) are C's columns.
  Value row0 = k.add(k.add(nBase, k.mul(consumer, k.idx(c.consumerRows()))),
                   k.add(k.mul(warp, k.idx(16)),
                       b.create<arith::DivUIOp>(lane, k.idx(4))));
  Value col0 = k.add(mBase, k.mul(b.create<arith::RemUIOp>(lane, k.idx(4)), k.idx(2)));
  int64_t perBlock = c.mmaN() / 2;
  for (int64_t i = 0; i < perThread; ++i) {
    int64_t block = i / perBlock, j = (i % perBlock) / 4, e = i % 4;
    Value n = k.add(row0, k.idx(block * 64 + (e / 2) * 8));
    Value m = k.add(col0, k.idx(j * 8 + e % 2));
    storeChecked(m, n, values[i]);
  }
}

Value WgmmaBuilder::flagAt(Value r) {
  Value base = b.create<memref::ExtractAlignedPointerAsIndexOp>(flags);
  Value address =
      b.create<arith::IndexCastUIOp>(i64, k.add(base, k.mul(r, k.idx(4))));
  return b.create<LLVM::IntToPtrOp>(LLVM::LLVMPointerType::get(ctx), address);
}

void WgmmaBuilder::streamKEpilogue(ArrayRef<Value> acc, Value consumer) {
  // A partial sum is the consumers' registers, element e of thread t at
  // e * threads + t of the block's slot (coalesced).
  int64_t threads = 128 * c.consumers(), perStruct = c.mmaN() / 2;
  int64_t slotElements = threads * perStruct * static_cast<int64_t>(acc.size());
  Value thread = b.create<arith::SubIOp>(tid, k.idx(128));
  auto elementAt = [&](Value r, int64_t e) {
    return k.add(k.mul(r, k.idx(slotElements)),
                 k.add(k.idx(e * threads), thread));
  };
  auto partial = b.create<scf::IfOp>(k.lt(k.idx(0), kBegin), /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(partial.thenBlock());
  for (auto [i, a] : llvm::enumerate(acc))
    for (int64_t e = 0; e < perStruct; ++e)
      b.create<memref::StoreOp>(b.create<LLVM::ExtractValueOp>(a, e), workspace,
                                elementAt(block, i * perStruct + e));
  // Every consumer's stores, then one release of the block's flag.
  kit::namedBarrierSync(k, k.c32(1), threads);
  {
    auto first =
        b.create<scf::IfOp>(k.eq(thread, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(first.thenBlock());
    b.create<LLVM::StoreOp>(k.c32(1), flagAt(block), 4, false, false, false,
                            LLVM::AtomicOrdering::release, "device");
  }
  b.setInsertionPointToStart(partial.elseBlock());
  // The tile's first steps: add the partial sums of the blocks whose shares
  // hold the rest, each once its flag is up (blocks between them with an
  // empty share have neither).
  Value last =
      ownerOf(k.add(tileStart, b.create<arith::SubIOp>(kTiles, k.idx(1))));
  auto others =
      b.create<scf::ForOp>(k.add(block, k.idx(1)), k.add(last, k.idx(1)),
                           k.idx(1), llvm::to_vector(acc));
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(others.getBody());
    Value r = others.getInductionVar();
    auto owns = b.create<scf::IfOp>(
        TypeRange(others.getRegionIterArgs()),
        k.lt(shareStart(r), shareStart(k.add(r, k.idx(1)))), /*withElse=*/true);
    b.setInsertionPointToStart(owns.elseBlock());
    b.create<scf::YieldOp>(others.getRegionIterArgs());
    b.setInsertionPointToStart(owns.thenBlock());
    auto wait = b.create<scf::WhileOp>(TypeRange{}, ValueRange{});
    {
      OpBuilder::InsertionGuard spin(b);
      b.setInsertionPointToStart(b.createBlock(&wait.getBefore()));
      Value flag =
          b.create<LLVM::LoadOp>(i32, flagAt(r), 4, false, false, false, false,
                                 LLVM::AtomicOrdering::acquire, "device");
      b.create<scf::ConditionOp>(k.eq(flag, k.c32(0)), ValueRange{});
      b.setInsertionPointToStart(b.createBlock(&wait.getAfter()));
      b.create<scf::YieldOp>();
    }
    SmallVector<Value> sum(others.getRegionIterArgs());
    for (auto [i, a] : llvm::enumerate(sum))
      for (int64_t e = 0; e < perStruct; ++e) {
        Value mine = b.create<LLVM::ExtractValueOp>(a, e);
        Value theirs = b.create<memref::LoadOp>(
            workspace, elementAt(r, i * perStruct + e));
        a = b.create<LLVM::InsertValueOp>(
            a, b.create<arith::AddFOp>(mine, theirs), e);
      }
    b.create<scf::YieldOp>(sum);
    b.setInsertionPointAfter(owns);
    b.create<scf::YieldOp>(owns.getResults());
  }
  epilogue(llvm::to_vector_of<Value>(others.getResults()), consumer);
}

void WgmmaBuilder::stagedEpilogue(ArrayRef<Value> acc, Value consumer,
                                  Value warp, Value lane, Value warpRow0) {
  int64_t outBytes = c.output.getIntOrFloatBitWidth() / 8;
  // This warp's 16 x 64 staging block, rows padded by 16 bytes so that the
  // 8 rows of a fragment store fall in different banks.
  int64_t rowBytes = 64 * outBytes + 16;
  Value consumerWarp = k.add(k.mul(consumer, k.idx(4)), warp);
  Value staging = k.add(k.c32(stagingOffset()),
                      k.mul(k.toI32(consumerWarp), k.c32(16 * rowBytes)));
  Value fragRow = k.toI32(b.create<arith::DivUIOp>(lane, k.idx(4)));
  Value fragCol = k.toI32(k.mul(b.create<arith::RemUIOp>(lane, k.idx(4)), k.idx(2)));
  auto pairType = VectorType::get({2}, c.output);
  int64_t perVector = 16 / outBytes;
  int64_t vectorsPerRow = 64 / perVector;
  auto vectorType = VectorType::get({perVector}, c.output);
  Value laneI32 = k.toI32(lane);
  Value colBase = k.add(nBase, k.mul(b.create<arith::RemUIOp>(lane, k.idx(4)),
                                 k.idx(2)));
  for (size_t i = 0; i < acc.size(); ++i)
    for (int64_t q = 0; q < c.blockN / 64; ++q) {
      // Fragments -> shared: pairs at (lane/4 (+8), 8j + 2(lane%4)).
      for (int64_t j = 0; j < 8; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t e = 4 * (q * 8 + j) + 2 * h;
          Value n = k.add(colBase, k.idx(q * 64 + j * 8));
          Value first = kit::finishElement(
              b, c.epilogueSpec(), b.create<LLVM::ExtractValueOp>(acc[i], e), bias, n, scale);
          Value second = kit::finishElement(
              b, c.epilogueSpec(), b.create<LLVM::ExtractValueOp>(acc[i], e + 1), bias,
              k.add(n, k.idx(1)), scale);
          Value pair = b.create<vector::FromElementsOp>(
              pairType, ValueRange{first, second});
          Value offset = k.add(
              staging,
              k.add(k.mul(k.add(fragRow, k.c32(8 * h)), k.c32(rowBytes)),
                  k.mul(k.add(fragCol, k.c32(8 * j)), k.c32(outBytes))));
          b.create<LLVM::StoreOp>(pair, sharedAt(offset), outBytes * 2);
        }
      b.create<NVVM::SyncWarpOp>(k.c32(-1));
      // Shared -> global: 16 rows of 64 elements as 16-byte vectors.
      for (int64_t p = 0; p < 16 * vectorsPerRow / 32; ++p) {
        Value v = k.add(laneI32, k.c32(32 * p));
        Value r = b.create<arith::DivUIOp>(v, k.c32(vectorsPerRow));
        Value cv = b.create<arith::RemUIOp>(v, k.c32(vectorsPerRow));
        Value offset = k.add(staging, k.add(k.mul(r, k.c32(rowBytes)),
                                        k.mul(cv, k.c32(16))));
        Value data =
            b.create<LLVM::LoadOp>(vectorType, sharedAt(offset), 16);
        Value m = k.add(k.add(warpRow0, k.idx(i * 64)),
                      b.create<arith::IndexCastUIOp>(b.getIndexType(), r));
        Value n = k.add(k.add(nBase, k.idx(q * 64)),
                      k.mul(b.create<arith::IndexCastUIOp>(b.getIndexType(), cv),
                          k.idx(perVector)));
        b.create<vector::StoreOp>(data, C, at(m, n), /*nontemporal=*/false,
                                  llvm::MaybeAlign(16));
      }
      b.create<NVVM::SyncWarpOp>(k.c32(-1));
    }
}

gpu::GPUFuncOp WgmmaBuilder::build(StringRef name) {
  kit::SharedMemory::declare(k);

  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  SmallVector<Type> args = {pointer, pointer, dynamic(c.rankA, c.element),
                            dynamic(c.rankB, c.elementB)};
  if (c.scaled)
    args.append(2, MemRefType::get({}, b.getF32Type()));
  if (c.biasElement)
    args.push_back(dynamic(1, c.biasElement));
  args.push_back(dynamic(c.rankC, c.output));
  if (c.streamK) // the partial-sum workspace and its flags (zeroed)
    args.append({dynamic(1, b.getF32Type()), dynamic(1, i32)});
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  int32_t threads = 32 * c.warps;
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({threads, 1, 1}));
  // A register cap at entry, which setmaxnreg needs: one block per SM, two
  // for small swap_ab tiles (decode).
  int64_t blocksPerSM = c.blocksPerSM;
  kit::setLaunchBounds(k, func, threads, blocksPerSM);
  // swap_ab: one tile per cluster of split_k blocks (grid: split_k, tiles,
  // batch), the cluster in the cubin so that a plain launch forms it.
  if (c.swapAB && c.splitK > 1)
    func->setAttr("nvvm.cluster_dim",
                  b.getDenseI32ArrayAttr(
                      {static_cast<int32_t>(c.splitK), 1, 1}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());

  tmapA = func.getArgument(0);
  tmapB = func.getArgument(1);
  A = func.getArgument(2);
  B = func.getArgument(3);
  unsigned next = 4;
  Value scaleA = c.scaled ? func.getArgument(next++) : Value();
  Value scaleB = c.scaled ? func.getArgument(next++) : Value();
  bias = c.biasElement ? func.getArgument(next) : Value();
  C = func.getArgument(next + (c.biasElement ? 1 : 0));
  if (c.streamK) {
    workspace = func.getArgument(next + (c.biasElement ? 2 : 1));
    flags = func.getArguments().back();
  }
  auto dim = [&](Value v, int64_t d) -> Value {
    return b.create<memref::DimOp>(v, d);
  };
  M = dim(C, c.rankC - 2);
  N = dim(C, c.rankC - 1);
  K = c.transposeA ? dim(A, c.rankA - 2) : dim(A, c.rankA - 1);
  tid = b.create<gpu::ThreadIdOp>(gpu::Dimension::x);
  kTiles = b.create<arith::DivUIOp>(k.add(K, k.idx(c.blockK - 1)), k.idx(c.blockK));

  // Shared memory, aligned up to 1 KiB (the 128-byte swizzle's period).
  smem = kit::SharedMemory::get(k);

  // Barriers: full expects the producer's arrive and the TMA bytes; empty
  // an arrive from every consumer warp.
  {
    auto first = b.create<scf::IfOp>(k.eq(tid, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(first.thenBlock());
    ring().init(k, 4 * c.consumers());
    kit::fenceBarrierInit(k);
  }
  b.create<gpu::BarrierOp>();
  // Blocks of a cluster write into the first one's shared memory: they all
  // have started once this barrier passes.
  if (c.swapAB && c.splitK > 1)
    clusterSync();

  Value warpGroup = b.create<arith::DivUIOp>(tid, k.idx(128));
  auto roles = b.create<scf::IfOp>(k.eq(warpGroup, k.idx(0)), /*withElse=*/true);
  b.setInsertionPointToStart(roles.thenBlock());
  // The producer needs few registers; the consumers take what it frees.
  kit::RegisterSplit registers = kit::splitRegisters(threads, blocksPerSM);
  kit::setRegisters(k, registers.producer, /*increase=*/false);
  {
    auto issuer = b.create<scf::IfOp>(k.eq(tid, k.idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(issuer.thenBlock());
    forEachTile([&](Value first) { produce(first); });
  }
  // The producers take part in the consumers' two cluster barriers (ring
  // free, partial sums sent).
  if (c.swapAB && c.splitK > 1) {
    clusterSync();
    clusterSync();
  }
  b.setInsertionPointToStart(roles.elseBlock());
  kit::setRegisters(k, registers.consumer, /*increase=*/true);
  Value consumer = b.create<arith::SubIOp>(warpGroup, k.idx(1));
  if (c.scaled)
    scale = b.create<arith::MulFOp>(b.create<memref::LoadOp>(scaleA),
                                    b.create<memref::LoadOp>(scaleB));
  forEachTile([&](Value first) {
    SmallVector<Value> acc = consume(first, consumer);
    if (c.swapAB)
      swapEpilogue(acc, consumer);
    else if (c.streamK)
      streamKEpilogue(acc, consumer);
    else
      epilogue(acc, consumer);
  });
  b.setInsertionPointAfter(roles);
  b.create<gpu::ReturnOp>();
  return func;
}

} // namespace

gpu::GPUFuncOp gpu_matmul::buildWgmmaKernel(ImplicitLocOpBuilder &b,
                                            const KernelConfig &c,
                                            StringRef name) {
  return WgmmaBuilder(b, c).build(name);
}

SmallVector<int64_t> gpu_matmul::getTensorMapBox(const KernelConfig &c,
                                                 bool operandB) {
  // A K-contiguous tile is one box of 128 bytes x its rows; an M- or
  // N-contiguous one is loaded as boxes 64 elements wide, block_k deep.
  int64_t inner = kSwizzleBytes / c.elementBytes();
  SmallVector<int64_t> box = {inner};
  if (!operandB)
    box.push_back(c.transposeA ? c.blockK : c.blockM);
  else
    box.push_back(c.transposeB ? c.blockN : c.blockK);
  box.resize(operandB ? c.rankB : c.rankA, 1);
  return box;
}
