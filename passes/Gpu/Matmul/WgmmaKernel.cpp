//===- GpuWgmmaKernel.cpp - The sm_90a matmul kernel ----------------------===//
//
// A persistent, warp-specialized Hopper GEMM built from NVVM ops. At most
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
//   holding f32 accumulators in registers. One wgmma group stays in flight: a slot is
//   released (one arrive per warp on `empty`) once the group after it has
//   been issued.
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
// with alpha.
//
// TMA zero-fills reads past M, N and K, so any size runs. Transposed
// operands (M- or N-contiguous) use the wgmma transpose bits; their tiles are
// loaded as 64-element-wide boxes.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuMatmulKernels.h"

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

namespace {

/// Bytes of a 128-byte swizzle row: the inner box of every TMA copy.
constexpr int64_t kSwizzleBytes = 128;
/// The 8-row period of the 128-byte swizzle (wgmma's stride byte offset).
constexpr int64_t kSwizzleAtom = 8 * kSwizzleBytes;
/// Suspend-time hint of mbarrier.try_wait, in nanoseconds.
constexpr int64_t kWaitTicks = 10000000;
/// The dynamic shared memory of every wgmma kernel.
constexpr StringLiteral kSharedSymbol = "tessera_wgmma_smem";

class WgmmaBuilder {
public:
  WgmmaBuilder(ImplicitLocOpBuilder &b, const KernelConfig &c)
      : b(b), c(c), ctx(b.getContext()), i32(b.getI32Type()),
        i64(b.getI64Type()) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  // Constants and index arithmetic.
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }
  Value c32(int64_t v) { return b.create<arith::ConstantIntOp>(i32, v); }
  Value c64(int64_t v) { return b.create<arith::ConstantIntOp>(i64, v); }
  Value toI32(Value index) {
    return b.create<arith::IndexCastUIOp>(i32, index);
  }
  Value lt(Value x, Value y) {
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, x, y);
  }
  Value le(Value x, Value y) {
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::ule, x, y);
  }
  Value eq(Value x, Value y) {
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, x, y);
  }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(x, y); }

  /// Byte layout of the (1 KiB aligned) shared memory.
  /// A ring slot holds the tile of wgmma's A side (block_m rows of A, or
  /// block_n rows of B with swap_ab) then that of its B side.
  int64_t aStageBytes() const {
    return (c.swapAB ? c.blockN : c.blockM) * c.blockK * c.elementBytes();
  }
  int64_t bStageBytes() const {
    return c.mmaN() * c.blockK * c.elementBytes();
  }
  int64_t barrierOffset() const {
    return c.stages * (aStageBytes() + bStageBytes());
  }
  /// Bytes of one 64-element-wide box of an M- or N-contiguous (16-bit)
  /// tile.
  int64_t chunkBytes() const { return kSwizzleBytes * c.blockK; }
  /// Offsets (i32) of ring slot `s`'s A and B tiles.
  Value aTileAt(Value s) { return mul(s, c32(aStageBytes())); }
  Value bTileAt(Value s) {
    return add(c32(c.stages * aStageBytes()), mul(s, c32(bStageBytes())));
  }
  /// The consumer warps' epilogue staging rows follow the barriers.
  int64_t stagingOffset() const { return barrierOffset() + 16 * c.stages; }

  /// A pointer `offset` (i32) bytes into the aligned shared memory.
  Value sharedAt(Value offset) {
    return b.create<LLVM::GEPOp>(LLVM::LLVMPointerType::get(ctx, 3),
                                 b.getI8Type(), shared, ValueRange{offset});
  }
  /// The full (producer -> consumers) or empty (consumers -> producer)
  /// mbarrier of ring slot `stage` (i32).
  Value barrier(bool full, Value stage) {
    int64_t first = barrierOffset() + (full ? 0 : 8 * c.stages);
    return sharedAt(add(c32(first), mul(stage, c32(8))));
  }
  /// The slot and phase parity of K tile `kt` (index).
  /// In 32 bits: a ring position stays far below 2^32, and a 64-bit
  /// division by a constant that is not a power of two costs a dozen
  /// instructions on every K step.
  std::pair<Value, Value> slotOf(Value kt) {
    Value position = toI32(kt);
    Value s = b.create<arith::RemUIOp>(position, c32(c.stages));
    Value round = b.create<arith::DivUIOp>(position, c32(c.stages));
    return {s, b.create<arith::AndIOp>(round, c32(1))};
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
        b.create<arith::AndIOp>(lt(m, M), lt(n, N)), /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(inBounds.thenBlock());
    b.create<memref::StoreOp>(finishElement(b, c, v, bias, n, scale), C,
                              at(m, n));
  }
  void wait(Value bar, Value parity) {
    b.create<NVVM::MBarrierTryWaitParityOp>(bar, parity, c32(kWaitTicks));
  }

  /// A wgmma shared-memory matrix descriptor for the 128-byte swizzle, at
  /// byte `offset` (i32, a multiple of 16) of the aligned shared memory.
  Value descriptor(Value offset, int64_t leadingBytes) {
    Value address = b.create<arith::ExtUIOp>(
        i64, b.create<arith::ShRUIOp>(add(sharedBase, offset), c32(4)));
    int64_t fixed = ((leadingBytes >> 4) << 16) |
                    (int64_t(kSwizzleAtom >> 4) << 32) | (int64_t(1) << 62);
    return b.create<arith::OrIOp>(address, c64(fixed));
  }
  /// `desc` with its start address `bytes` (a multiple of 16) further: the
  /// address field (bits 0-13, in 16-byte units) cannot carry, as shared
  /// memory ends below 256 KiB.
  Value advance(Value desc, int64_t bytes) {
    return bytes ? b.create<arith::AddIOp>(desc, c64(bytes >> 4)).getResult()
                 : desc;
  }

  /// Emits `body(first)` in a loop over this block's tiles, after
  /// setting mBase, nBase and batch for the tile; `first` is the ring
  /// position (index) of the tile's first K step.
  void forEachTile(function_ref<void(Value first)> body);
  void produce(Value first);
  /// The f32 accumulators of one m64 row block: a struct of mmaN / 2.
  Type accumulatorType();
  /// Waits for the K step at ring `position` (index) and issues its wgmma
  /// (one per m64 row block, block_k / kStep deep) onto `acc`, or from zero
  /// with `fresh`; commits the group and returns the results (pending).
  SmallVector<Value> issueStep(Value position, Value consumer,
                               ArrayRef<Value> acc, bool fresh);
  /// `acc` through an empty volatile inline asm that ties each register
  /// (CUTLASS's warpgroup_fence_operand): code that reads the result
  /// cannot move above it, nor code that writes `acc` below it.
  Value pin(Value acc);
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
  /// The interior epilogue: 16 x 64 blocks through shared memory, written
  /// as 16-byte rows.
  void stagedEpilogue(ArrayRef<Value> acc, Value consumer, Value warp,
                      Value lane, Value warpRow0);

  ImplicitLocOpBuilder &b;
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
  /// The aligned shared memory as a pointer and as a shared-window address.
  Value shared, sharedBase;
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
    Value tilesN = b.create<arith::DivUIOp>(add(N, idx(c.blockN - 1)),
                                            idx(c.blockN));
    nBase = mul(b.create<arith::RemUIOp>(tile, tilesN), idx(c.blockN));
    mBase = mul(b.create<arith::DivUIOp>(tile, tilesN), idx(c.blockM));
    Value share = b.create<arith::DivUIOp>(add(kTiles, idx(c.splitK - 1)),
                                           idx(c.splitK));
    kBegin = b.create<arith::MinUIOp>(mul(rank, share), kTiles);
    kCount = b.create<arith::SubIOp>(
        b.create<arith::MinUIOp>(add(kBegin, share), kTiles), kBegin);
    body(idx(0));
    return;
  }
  kBegin = idx(0);
  kCount = kTiles;
  Value tilesM = b.create<arith::DivUIOp>(add(M, idx(c.blockM - 1)),
                                          idx(c.blockM));
  Value tilesN = b.create<arith::DivUIOp>(add(N, idx(c.blockN - 1)),
                                          idx(c.blockN));
  Value perBatch = mul(tilesM, tilesN);
  Value batches = c.rankC == 3 ? b.create<memref::DimOp>(C, 0).getResult()
                               : idx(1);
  Value block = b.create<gpu::BlockIdOp>(gpu::Dimension::x);
  Value grid = b.create<gpu::GridDimOp>(gpu::Dimension::x);
  auto loop = b.create<scf::ForOp>(block, mul(perBatch, batches), grid);
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
  body(mul(done, kTiles));
}

void WgmmaBuilder::produce(Value first) {
  // Batch coordinates; an operand whose batch size is 1 broadcasts.
  auto batchOf = [&](Value v, int64_t rank) -> Value {
    if (rank != 3)
      return Value();
    Value one = eq(b.create<memref::DimOp>(v, 0), idx(1));
    return toI32(b.create<arith::SelectOp>(one, idx(0), batch));
  };
  Value batchA = batchOf(A, c.rankA), batchB = batchOf(B, c.rankB);
  auto loop = b.create<scf::ForOp>(idx(0), kCount, idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value kt = loop.getInductionVar();
  auto [s, parity] = slotOf(add(first, kt));
  // A slot starts free: waiting on the phase before the first passes.
  wait(barrier(/*full=*/false, s), b.create<arith::XOrIOp>(parity, c32(1)));
  Value full = barrier(/*full=*/true, s);
  b.create<NVVM::MBarrierArriveExpectTxOp>(
      Type(), full, c32(aStageBytes() + bStageBytes()),
      NVVM::MemScopeKind::CTA, /*relaxed=*/false, Value());
  Value k0 = toI32(mul(add(kBegin, kt), idx(c.blockK)));
  auto copy = [&](Value tmap, Value dstOffset, Value inner, Value outer,
                  Value batch) {
    SmallVector<Value> coords = {inner, outer};
    if (batch)
      coords.push_back(batch);
    Value dst = b.create<LLVM::AddrSpaceCastOp>(
        LLVM::LLVMPointerType::get(ctx, 7), sharedAt(dstOffset));
    b.create<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(
        dst, tmap, coords, full, ValueRange{}, Value(), Value(),
        NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
        NVVM::CTAGroupKindAttr(), Value());
  };
  // A K-contiguous tile is one box of block_k x block_m; an M- or
  // N-contiguous one is a row of 64-wide boxes, each block_k deep.
  Value aTile = aTileAt(s), bTile = bTileAt(s);
  Value m0 = toI32(mBase), n0 = toI32(nBase);
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
      copy(tmapA, add(aTile, c32(ch * chunkBytes())), add(m0, c32(64 * ch)),
           k0, batchA);
  if (c.transposeB)
    copy(tmapB, bTile, k0, n0, batchB);
  else
    for (int64_t ch = 0; ch < c.blockN / 64; ++ch)
      copy(tmapB, add(bTile, c32(ch * chunkBytes())), add(n0, c32(64 * ch)),
           k0, batchB);
}

Type WgmmaBuilder::accumulatorType() {
  return LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(c.mmaN() / 2, b.getF32Type()));
}

SmallVector<Value> WgmmaBuilder::issueStep(Value position, Value consumer,
                                           ArrayRef<Value> acc, bool fresh) {
  auto [s, parity] = slotOf(position);
  wait(barrier(/*full=*/true, s), parity);
  Value aTile = aTileAt(s), bTile = bTileAt(s);
  Value rows = mul(toI32(consumer), c32(c.consumerRows()));
  auto wgmmaType = [](Type t) {
    if (t.isBF16())
      return NVVM::WGMMATypes::bf16;
    if (t.isF16())
      return NVVM::WGMMATypes::f16;
    return isa<Float8E4M3FNType>(t) ? NVVM::WGMMATypes::e4m3
                                    : NVVM::WGMMATypes::e5m2;
  };
  // A wgmma step covers 32 bytes of K: k16 (16-bit) or k32 (fp8).
  int64_t eb = c.elementBytes(), kStep = 32 / eb;
  SmallVector<Value> part(acc);
  b.create<NVVM::WgmmaFenceAlignedOp>();
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
    Value row0 = add(rows, c32(i * 64));
    descA0.push_back(
        !c.transposeA
            ? descriptor(add(aTile, mul(row0, c32(kSwizzleBytes))), 16)
            : descriptor(add(aTile, mul(b.create<arith::DivUIOp>(row0, c32(64)),
                                        c32(chunkBytes()))),
                         chunkBytes()));
  }
  for (int64_t kk = 0; kk < c.blockK; kk += kStep) {
    Value descB = advance(descB0, sliceBytes(c.transposeB, kk));
    for (size_t i = 0; i < part.size(); ++i) {
      Value descA = advance(descA0[i], sliceBytes(!c.transposeA, kk));
      part[i] = b.create<NVVM::WgmmaMmaAsyncOp>(
          accumulatorType(), part[i], descA, descB,
          NVVM::MMAShapeAttr::get(ctx, 64, c.mmaN(), kStep),
          wgmmaType(c.swapAB ? c.elementB : c.element),
          wgmmaType(c.swapAB ? c.element : c.elementB),
          NVVM::WGMMATypes::f32,
          fresh && kk == 0 ? NVVM::WGMMAScaleOut::zero
                           : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
          c.transposeA ? NVVM::MMALayout::col : NVVM::MMALayout::row,
          c.transposeB ? NVVM::MMALayout::col : NVVM::MMALayout::row,
          NVVM::MMAIntOverflowAttr());
    }
  }
  b.create<NVVM::WgmmaGroupSyncAlignedOp>();
  return part;
}

Value WgmmaBuilder::pin(Value acc) {
  int64_t n = c.mmaN() / 2;
  SmallVector<Value> values;
  std::string constraints;
  for (int64_t e = 0; e < n; ++e) {
    values.push_back(b.create<LLVM::ExtractValueOp>(acc, e));
    constraints += "=f,";
  }
  for (int64_t e = 0; e < n; ++e)
    constraints += std::to_string(e) + (e + 1 < n ? "," : "");
  return b
      .create<LLVM::InlineAsmOp>(accumulatorType(), values, "", constraints,
                                 /*has_side_effects=*/true,
                                 /*is_align_stack=*/false,
                                 LLVM::tailcallkind::TailCallKind::None,
                                 LLVM::AsmDialectAttr(), ArrayAttr())
      .getResult(0);
}

void WgmmaBuilder::release(Value position, Value when) {
  Value lane = b.create<arith::RemUIOp>(tid, idx(32));
  Value first = eq(lane, idx(0));
  auto arrive = b.create<scf::IfOp>(
      when ? b.create<arith::AndIOp>(when, first).getResult() : first,
      /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(arrive.thenBlock());
  b.create<NVVM::MBarrierArriveOp>(
      Type(), barrier(/*full=*/false, slotOf(position).first), Value());
}

SmallVector<Value> WgmmaBuilder::consume(Value first, Value consumer) {
  if (c.promote())
    return consumePromoted(first, consumer);
  int64_t blocks = c.consumerRows() / 64;
  SmallVector<Value> init(blocks, b.create<LLVM::ZeroOp>(accumulatorType()));
  auto loop = b.create<scf::ForOp>(idx(0), kCount, idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    Value position = add(first, kt);
    SmallVector<Value> acc = issueStep(
        position, consumer, llvm::to_vector_of<Value>(loop.getRegionIterArgs()),
        /*fresh=*/false);
    // The previous step's group is complete once at most this one is
    // pending: its slot goes back to the producer, one arrive per warp.
    b.create<NVVM::WgmmaWaitGroupSyncOp>(1);
    release(b.create<arith::SubIOp>(position, idx(1)), lt(idx(0), kt));
    b.create<scf::YieldOp>(acc);
  }
  // The tile's last slot goes back once all its wgmma are done.
  b.create<NVVM::WgmmaWaitGroupSyncOp>(0);
  release(b.create<arith::SubIOp>(add(first, kCount), idx(1)),
          lt(idx(0), kCount));
  return loop.getResults();
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
      idx(0), b.create<arith::DivUIOp>(kCount, idx(2)), idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value position = add(first, mul(loop.getInductionVar(), idx(2)));
    SmallVector<Value> acc(loop.getRegionIterArgs().take_front(blocks));
    SmallVector<Value> pending(loop.getRegionIterArgs().drop_front(blocks));
    SmallVector<Value> even = issueStep(position, consumer, fresh, true);
    b.create<NVVM::WgmmaWaitGroupSyncOp>(1);
    release(b.create<arith::SubIOp>(position, idx(1)),
            lt(idx(0), loop.getInductionVar()));
    addInto(acc, pending);
    SmallVector<Value> odd =
        issueStep(add(position, idx(1)), consumer, fresh, true);
    b.create<NVVM::WgmmaWaitGroupSyncOp>(1);
    release(position, Value());
    addInto(acc, even);
    acc.append(odd);
    b.create<scf::YieldOp>(acc);
  }
  SmallVector<Value> acc(loop.getResults().take_front(blocks));
  SmallVector<Value> pending(loop.getResults().drop_front(blocks));
  // An odd step count leaves one step; then the pending products.
  Value last = b.create<arith::SubIOp>(add(first, kCount), idx(1));
  auto tail = b.create<scf::IfOp>(
      TypeRange(ValueRange(acc)),
      eq(b.create<arith::RemUIOp>(kCount, idx(2)), idx(1)), /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(tail.thenBlock());
  {
    SmallVector<Value> sum(acc);
    SmallVector<Value> part = issueStep(last, consumer, fresh, true);
    b.create<NVVM::WgmmaWaitGroupSyncOp>(1);
    release(b.create<arith::SubIOp>(last, idx(1)), lt(idx(1), kCount));
    addInto(sum, pending);
    b.create<NVVM::WgmmaWaitGroupSyncOp>(0);
    release(last, Value());
    addInto(sum, part);
    b.create<scf::YieldOp>(sum);
  }
  b.setInsertionPointToStart(tail.elseBlock());
  {
    SmallVector<Value> sum(acc);
    b.create<NVVM::WgmmaWaitGroupSyncOp>(0);
    release(last, lt(idx(0), kCount));
    addInto(sum, pending);
    b.create<scf::YieldOp>(sum);
  }
  return tail.getResults();
}

void WgmmaBuilder::epilogue(ArrayRef<Value> acc, Value consumer) {
  // wgmma m64nN: warp w of the warpgroup holds rows 16w + lane/4 (+ 8);
  // each n8 column block j gives it columns 8j + 2(lane % 4) (+ 1).
  Value inGroup = b.create<arith::RemUIOp>(tid, idx(128));
  Value warp = b.create<arith::DivUIOp>(inGroup, idx(32));
  Value lane = b.create<arith::RemUIOp>(inGroup, idx(32));
  Value warpRow0 = add(add(mBase, mul(consumer, idx(c.consumerRows()))),
                       mul(warp, idx(16)));
  Value row0 = add(warpRow0, b.create<arith::DivUIOp>(lane, idx(4)));
  Value col0 = add(nBase, mul(b.create<arith::RemUIOp>(lane, idx(4)), idx(2)));
  // The staged path writes 16-byte rows: a whole tile in bounds, rows of
  // 16-byte multiples and an aligned C.
  int64_t outBytes = c.output.getIntOrFloatBitWidth() / 8;
  Value address = b.create<memref::ExtractAlignedPointerAsIndexOp>(C);
  Value interior = b.create<arith::AndIOp>(
      b.create<arith::AndIOp>(le(add(mBase, idx(c.blockM)), M),
                              le(add(nBase, idx(c.blockN)), N)),
      b.create<arith::AndIOp>(
          eq(b.create<arith::RemUIOp>(N, idx(16 / outBytes)), idx(0)),
          eq(b.create<arith::RemUIOp>(address, idx(16)), idx(0))));
  auto split = b.create<scf::IfOp>(interior, /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(split.thenBlock());
  stagedEpilogue(acc, consumer, warp, lane, warpRow0);
  b.setInsertionPointToStart(split.elseBlock());
  for (size_t i = 0; i < acc.size(); ++i)
    for (int64_t j = 0; j < c.blockN / 8; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value m = add(row0, idx(i * 64 + (e / 2) * 8));
        Value n = add(col0, idx(j * 8 + e % 2));
        storeChecked(m, n, b.create<LLVM::ExtractValueOp>(acc[i], 4 * j + e));
      }
}

void WgmmaBuilder::swapEpilogue(ArrayRef<Value> acc, Value consumer) {
  Value inGroup = b.create<arith::RemUIOp>(tid, idx(128));
  Value warp = b.create<arith::DivUIOp>(inGroup, idx(32));
  Value lane = b.create<arith::RemUIOp>(inGroup, idx(32));
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
      add(c32(stagingOffset()),
          mul(toI32(add(mul(consumer, idx(128)), inGroup)), c32(4 * perThread)));
  auto slot = [&](Value r) {
    return add(mine, mul(toI32(b.create<arith::SubIOp>(r, idx(1))),
                         c32(slotBytes)));
  };
  OpBuilder::InsertionGuard guard(b);
  if (c.splitK > 1) {
    auto send = b.create<scf::IfOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, rank, idx(0)),
        /*withElse=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(send.thenBlock());
      Value remote = b.create<NVVM::MapaOp>(ptr7, sharedAt(slot(rank)),
                                            c32(0));
      for (int64_t q = 0; q < perThread; q += 4) {
        Value v = b.create<vector::FromElementsOp>(
            quad, ArrayRef<Value>(values).slice(q, 4));
        Value at = b.create<LLVM::GEPOp>(ptr7, b.getI8Type(), remote,
                                         ArrayRef<LLVM::GEPArg>{4 * q});
        b.create<LLVM::StoreOp>(v, at, 16);
      }
    }
    clusterSync();
    auto receive = b.create<scf::IfOp>(eq(rank, idx(0)), /*withElse=*/false);
    b.setInsertionPointToStart(receive.thenBlock());
    for (int64_t r = 1; r < c.splitK; ++r)
      for (int64_t q = 0; q < perThread; q += 4) {
        Value v = b.create<LLVM::LoadOp>(
            quad, sharedAt(add(slot(idx(r)), c32(4 * q))), 16);
        for (int64_t e = 0; e < 4; ++e)
          values[q + e] = b.create<arith::AddFOp>(
              values[q + e], b.create<vector::ExtractOp>(v, e));
      }
  }
  // D = B A^T: its rows (B's, wgmma's m side) are C's columns.
  Value row0 = add(add(nBase, mul(consumer, idx(c.consumerRows()))),
                   add(mul(warp, idx(16)),
                       b.create<arith::DivUIOp>(lane, idx(4))));
  Value col0 = add(mBase, mul(b.create<arith::RemUIOp>(lane, idx(4)), idx(2)));
  int64_t perBlock = c.mmaN() / 2;
  for (int64_t i = 0; i < perThread; ++i) {
    int64_t block = i / perBlock, j = (i % perBlock) / 4, e = i % 4;
    Value n = add(row0, idx(block * 64 + (e / 2) * 8));
    Value m = add(col0, idx(j * 8 + e % 2));
    storeChecked(m, n, values[i]);
  }
}

void WgmmaBuilder::stagedEpilogue(ArrayRef<Value> acc, Value consumer,
                                  Value warp, Value lane, Value warpRow0) {
  int64_t outBytes = c.output.getIntOrFloatBitWidth() / 8;
  // This warp's 16 x 64 staging block, rows padded by 16 bytes so that the
  // 8 rows of a fragment store fall in different banks.
  int64_t rowBytes = 64 * outBytes + 16;
  Value consumerWarp = add(mul(consumer, idx(4)), warp);
  Value staging = add(c32(stagingOffset()),
                      mul(toI32(consumerWarp), c32(16 * rowBytes)));
  Value fragRow = toI32(b.create<arith::DivUIOp>(lane, idx(4)));
  Value fragCol = toI32(mul(b.create<arith::RemUIOp>(lane, idx(4)), idx(2)));
  auto pairType = VectorType::get({2}, c.output);
  int64_t perVector = 16 / outBytes;
  int64_t vectorsPerRow = 64 / perVector;
  auto vectorType = VectorType::get({perVector}, c.output);
  Value laneI32 = toI32(lane);
  Value colBase = add(nBase, mul(b.create<arith::RemUIOp>(lane, idx(4)),
                                 idx(2)));
  for (size_t i = 0; i < acc.size(); ++i)
    for (int64_t q = 0; q < c.blockN / 64; ++q) {
      // Fragments -> shared: pairs at (lane/4 (+8), 8j + 2(lane%4)).
      for (int64_t j = 0; j < 8; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t e = 4 * (q * 8 + j) + 2 * h;
          Value n = add(colBase, idx(q * 64 + j * 8));
          Value first = finishElement(
              b, c, b.create<LLVM::ExtractValueOp>(acc[i], e), bias, n, scale);
          Value second = finishElement(
              b, c, b.create<LLVM::ExtractValueOp>(acc[i], e + 1), bias,
              add(n, idx(1)), scale);
          Value pair = b.create<vector::FromElementsOp>(
              pairType, ValueRange{first, second});
          Value offset = add(
              staging,
              add(mul(add(fragRow, c32(8 * h)), c32(rowBytes)),
                  mul(add(fragCol, c32(8 * j)), c32(outBytes))));
          b.create<LLVM::StoreOp>(pair, sharedAt(offset), outBytes * 2);
        }
      b.create<NVVM::SyncWarpOp>(c32(-1));
      // Shared -> global: 16 rows of 64 elements as 16-byte vectors.
      for (int64_t p = 0; p < 16 * vectorsPerRow / 32; ++p) {
        Value v = add(laneI32, c32(32 * p));
        Value r = b.create<arith::DivUIOp>(v, c32(vectorsPerRow));
        Value cv = b.create<arith::RemUIOp>(v, c32(vectorsPerRow));
        Value offset = add(staging, add(mul(r, c32(rowBytes)),
                                        mul(cv, c32(16))));
        Value data =
            b.create<LLVM::LoadOp>(vectorType, sharedAt(offset), 16);
        Value m = add(add(warpRow0, idx(i * 64)),
                      b.create<arith::IndexCastUIOp>(b.getIndexType(), r));
        Value n = add(add(nBase, idx(q * 64)),
                      mul(b.create<arith::IndexCastUIOp>(b.getIndexType(), cv),
                          idx(perVector)));
        b.create<vector::StoreOp>(data, C, at(m, n), /*nontemporal=*/false,
                                  llvm::MaybeAlign(16));
      }
      b.create<NVVM::SyncWarpOp>(c32(-1));
    }
}

gpu::GPUFuncOp WgmmaBuilder::build(StringRef name) {
  // The extern shared array every wgmma kernel of the module addresses.
  Operation *module = b.getInsertionBlock()->getParentOp();
  if (!SymbolTable::lookupSymbolIn(module, kSharedSymbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(b.getInsertionBlock());
    b.create<LLVM::GlobalOp>(LLVM::LLVMArrayType::get(b.getI8Type(), 0),
                             /*isConstant=*/false, LLVM::Linkage::External,
                             kSharedSymbol, Attribute(), /*alignment=*/1024,
                             /*addrSpace=*/3);
  }

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
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  int32_t threads = 32 * c.warps;
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({threads, 1, 1}));
  // A register cap at entry, which setmaxnreg needs: one block per SM, two
  // for swap_ab (decode tiles are small).
  int64_t blocksPerSM = c.swapAB ? 2 : 1;
  func->setAttr("nvvm.maxntid", b.getDenseI32ArrayAttr({threads, 1, 1}));
  func->setAttr("nvvm.minctasm", b.getI32IntegerAttr(blocksPerSM));
  if (c.swapAB) {
    // One tile per cluster of split_k blocks (grid: split_k, tiles, batch).
    func->setAttr("tessera.cluster_blocks", b.getI64IntegerAttr(c.splitK));
    if (c.splitK > 1)
      func->setAttr("nvvm.cluster_dim",
                    b.getDenseI32ArrayAttr(
                        {static_cast<int32_t>(c.splitK), 1, 1}));
  } else {
    // Persistent: the launch plan starts at most this many blocks.
    func->setAttr("tessera.max_blocks", b.getI64IntegerAttr(c.maxBlocks));
  }
  // TMA boxes (inner, outer) of A and B, for the launch plan.
  int64_t inner = kSwizzleBytes / c.elementBytes();
  int64_t aBox[2] = {inner, c.transposeA ? c.blockK : c.blockM};
  int64_t bBox[2] = {inner, c.transposeB ? c.blockN : c.blockK};
  func->setAttr("tessera.tensor_maps",
                b.getArrayAttr({b.getDenseI64ArrayAttr(aBox),
                                b.getDenseI64ArrayAttr(bBox)}));
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
  C = func.getArguments().back();
  auto dim = [&](Value v, int64_t d) -> Value {
    return b.create<memref::DimOp>(v, d);
  };
  M = dim(C, c.rankC - 2);
  N = dim(C, c.rankC - 1);
  K = c.transposeA ? dim(A, c.rankA - 2) : dim(A, c.rankA - 1);
  tid = b.create<gpu::ThreadIdOp>(gpu::Dimension::x);
  kTiles = b.create<arith::DivUIOp>(add(K, idx(c.blockK - 1)), idx(c.blockK));

  // Shared memory, aligned up to 1 KiB (the 128-byte swizzle's period).
  Value raw = b.create<LLVM::AddressOfOp>(LLVM::LLVMPointerType::get(ctx, 3),
                                          kSharedSymbol);
  Value rawBase = b.create<LLVM::PtrToIntOp>(i32, raw);
  sharedBase = b.create<arith::AndIOp>(add(rawBase, c32(1023)), c32(~1023));
  shared = b.create<LLVM::GEPOp>(
      LLVM::LLVMPointerType::get(ctx, 3), b.getI8Type(), raw,
      ValueRange{b.create<arith::SubIOp>(sharedBase, rawBase)});

  // Barriers: full expects the producer's arrive and the TMA bytes; empty
  // an arrive from every consumer warp.
  {
    auto first = b.create<scf::IfOp>(eq(tid, idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(first.thenBlock());
    for (int64_t s = 0; s < c.stages; ++s) {
      b.create<NVVM::MBarrierInitOp>(barrier(true, c32(s)), c32(1), Value());
      b.create<NVVM::MBarrierInitOp>(barrier(false, c32(s)),
                                     c32(4 * c.consumers()), Value());
    }
    b.create<NVVM::FenceMbarrierInitOp>();
    b.create<NVVM::FenceProxyOp>(
        NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
  }
  b.create<gpu::BarrierOp>();
  // Blocks of a cluster write into the first one's shared memory: they all
  // have started once this barrier passes.
  if (c.swapAB && c.splitK > 1)
    clusterSync();

  Value warpGroup = b.create<arith::DivUIOp>(tid, idx(128));
  auto roles = b.create<scf::IfOp>(eq(warpGroup, idx(0)), /*withElse=*/true);
  b.setInsertionPointToStart(roles.thenBlock());
  // The producer needs few registers; the consumers take what it frees.
  // The block starts with the cap that maxntid and minctasm imply (64K
  // registers / (threads x blocks per SM), in multiples of 8) for every
  // thread, and setmaxnreg only moves registers within that pool: asking
  // for more than it holds would block the consumers forever.
  int64_t entry =
      std::min<int64_t>(248, 65536 / (threads * blocksPerSM) / 8 * 8);
  int64_t producerRegisters = std::min<int64_t>(56, entry);
  int64_t consumerRegisters = std::min<int64_t>(
      240, (threads * entry - 128 * producerRegisters) /
               (128 * c.consumers()) / 8 * 8);
  b.create<NVVM::SetMaxRegisterOp>(producerRegisters,
                                   NVVM::SetMaxRegisterAction::decrease);
  {
    auto issuer = b.create<scf::IfOp>(eq(tid, idx(0)), /*withElse=*/false);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(issuer.thenBlock());
    forEachTile([&](Value first) { produce(first); });
  }
  if (c.swapAB && c.splitK > 1)
    clusterSync();
  b.setInsertionPointToStart(roles.elseBlock());
  b.create<NVVM::SetMaxRegisterOp>(consumerRegisters,
                                   NVVM::SetMaxRegisterAction::increase);
  Value consumer = b.create<arith::SubIOp>(warpGroup, idx(1));
  if (c.scaled)
    scale = b.create<arith::MulFOp>(b.create<memref::LoadOp>(scaleA),
                                    b.create<memref::LoadOp>(scaleB));
  forEachTile([&](Value first) {
    SmallVector<Value> acc = consume(first, consumer);
    if (c.swapAB)
      swapEpilogue(acc, consumer);
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
