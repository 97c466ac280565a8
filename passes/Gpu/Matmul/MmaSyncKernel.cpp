//===- MmaSyncKernel.cpp - The mma.sync matmul kernel --------------------===//
//
// A tensor-core kernel built from the kit for sm_80 and later: thread block
// tiles of block_m x block_n, a `stages`-deep cp.async pipeline from global
// to padded shared memory, ldmatrix fragments, mma.sync.m16n8k16 with f32
// accumulators in registers, and a predicated epilogue (alpha, bias,
// activation, output cast). The kernels take the operands as memrefs and
// read M, N and K from them, so one kernel serves every size; operands
// whose rows are not 16-byte multiples are loaded element by element
// instead of with cp.async.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Matmul/MatmulKernels.h"

#include "passes/Gpu/Kit/KitBuilder.h"
#include "passes/Gpu/Kit/MmaSync.h"
#include "passes/Gpu/Kit/TileScheduler.h"

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::gpu_matmul;

namespace {

/// Emits one kernel. The builder's insertion point is inside the gpu.module.
class KernelBuilder {
public:
  KernelBuilder(ImplicitLocOpBuilder &b, const KernelConfig &c)
      : b(b), k(b), c(c) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  /// Indices into an operand of `rank` with the batch index prepended.
  SmallVector<Value> index(Value batch, int64_t rank, Value i, Value j) {
    SmallVector<Value> idx;
    if (rank == 3)
      idx.push_back(batch);
    idx.append({i, j});
    return idx;
  }

  /// Copies a rows x cols tile of `global` (its last two dims, `rowLimit` x
  /// `colLimit` valid) starting at (row0, col0) into `shared` rows at
  /// `sharedRow0`; out-of-bounds elements become zero.
  void loadTile(Value global, int64_t rank, Value batch, Value row0,
                Value col0, Value rowLimit, Value colLimit, Value shared,
                Value sharedRow0, int64_t rows, int64_t cols, bool async,
                SmallVectorImpl<Value> &tokens);

  /// Loads stage `stage` of k tile `kTile` (both index values).
  void loadStage(Value kTile, Value stage, SmallVectorImpl<Value> &tokens);

  /// mma over one stage; returns the new accumulators.
  SmallVector<Value> computeStage(Value stage, ValueRange acc);

  void epilogue(ValueRange acc);

  ImplicitLocOpBuilder &b;
  kit::KitBuilder k;
  const KernelConfig &c;
  // Kernel-wide values.
  Value A, B, bias, C, M, N, K, batchA, batchB, batchC, mBase, nBase, lane,
      warpM, warpN, tid, sharedA, sharedB;
};

void KernelBuilder::loadTile(Value global, int64_t rank, Value batch,
                             Value row0, Value col0, Value rowLimit,
                             Value colLimit, Value shared, Value sharedRow0,
                             int64_t rows, int64_t cols, bool async,
                             SmallVectorImpl<Value> &tokens) {
  int64_t threads = 32 * c.warps;
  int64_t chunksPerRow = cols / 8;
  int64_t chunks = rows * chunksPerRow;
  for (int64_t first = 0; first < chunks; first += threads) {
    Value chunk = k.add(tid, first);
    Value inRange = k.lt(chunk, k.idx(chunks));
    Value r = k.div(chunk, chunksPerRow);
    Value col = k.mul(k.rem(chunk, chunksPerRow), 8);
    Value gRow = k.add(row0, r), gCol = k.add(col0, col);
    // Clamp addresses into the operand; predicated-off copies read nothing.
    Value rowOk = k.andi(inRange, k.lt(gRow, rowLimit));
    Value valid = k.select(rowOk, k.minu(k.subSat(colLimit, gCol), k.idx(8)), k.idx(0));
    Value safeRow = k.select(rowOk, gRow, k.idx(0));
    Value safeCol = k.select(k.lt(gCol, colLimit), gCol, k.idx(0));
    Value sRow = k.add(sharedRow0, k.select(inRange, r, k.idx(0)));
    if (async) {
      // A chunk past the tile's end copies nothing (0 source elements) into
      // a row that exists: harmless.
      tokens.push_back(b.create<nvgpu::DeviceAsyncCopyOp>(
          nvgpu::DeviceAsyncTokenType::get(b.getContext()), shared,
          ValueRange{sRow, col}, global,
          index(batch, rank, safeRow, safeCol), b.getIndexAttr(8), valid,
          b.getUnitAttr()));
      continue;
    }
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(c.element));
    auto ifInRange = b.create<scf::IfOp>(inRange, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifInRange.thenBlock());
    for (int64_t e = 0; e < 8; ++e) {
      Value ok = k.lt(k.idx(e), valid);
      auto load = b.create<scf::IfOp>(
          ok,
          [&](OpBuilder &nb, Location loc) {
            Value gc = arith::AddIOp::create(
                nb, loc, gCol, arith::ConstantIndexOp::create(nb, loc, e));
            Value v = memref::LoadOp::create(
                nb, loc, global, index(batch, rank, safeRow, gc));
            scf::YieldOp::create(nb, loc, v);
          },
          [&](OpBuilder &nb, Location loc) {
            scf::YieldOp::create(nb, loc, zero);
          });
      b.create<memref::StoreOp>(load.getResult(0), shared,
                                ValueRange{sRow, k.add(col, e)});
    }
  }
}

void KernelBuilder::loadStage(Value kTile, Value stage,
                              SmallVectorImpl<Value> &tokens) {
  Value k0 = k.mul(kTile, c.blockK);
  Value aRow0 = k.mul(stage, c.aRows()), bRow0 = k.mul(stage, c.bRows());
  if (c.transposeA)
    loadTile(A, c.rankA, batchA, k0, mBase, K, M, sharedA, aRow0, c.blockK,
             c.blockM, c.asyncCopyA, tokens);
  else
    loadTile(A, c.rankA, batchA, mBase, k0, M, K, sharedA, aRow0, c.blockM,
             c.blockK, c.asyncCopyA, tokens);
  if (c.transposeB)
    loadTile(B, c.rankB, batchB, nBase, k0, N, K, sharedB, bRow0, c.blockN,
             c.blockK, c.asyncCopyB, tokens);
  else
    loadTile(B, c.rankB, batchB, k0, nBase, K, N, sharedB, bRow0, c.blockK,
             c.blockN, c.asyncCopyB, tokens);
}

SmallVector<Value> KernelBuilder::computeStage(Value stage, ValueRange acc) {
  int64_t tilesM = c.tileM() / 16, tilesN = c.tileN() / 8;
  // The tensor cores truncate when they add into an f32 accumulator, so a
  // long chain of mma.sync drifts (about 5e-6 relative at K = 4096). Each
  // stage accumulates from zero and is added to the running sums with
  // IEEE f32 additions, as cuBLAS's error level requires.
  Value zero = b.create<arith::ConstantOp>(
      b.getZeroAttr(VectorType::get({4}, b.getF32Type())));
  SmallVector<Value> result(acc.size(), zero);
  Value aRow0 = k.mul(stage, c.aRows()), bRow0 = k.mul(stage, c.bRows());
  Value laneMod8 = k.rem(lane, 8), laneDiv16 = k.div(lane, 16),
        laneBit3 = k.rem(k.div(lane, 8), 2), laneMod16 = k.rem(lane, 16);
  for (int64_t kk = 0; kk < c.blockK; kk += 16) {
    // A fragments: one ldmatrix.x4 per 16 rows of the warp tile.
    SmallVector<SmallVector<Value>> aFrag(tilesM);
    for (int64_t i = 0; i < tilesM; ++i) {
      Value m0 = k.add(k.mul(warpM, c.tileM()), i * 16);
      Value row, col;
      if (!c.transposeA) {
        row = k.add(aRow0, k.add(m0, laneMod16));
        col = k.add(k.mul(laneDiv16, 8), kk);
      } else {
        row = k.add(aRow0, k.add(k.add(laneMod8, k.mul(laneDiv16, 8)), kk));
        col = k.add(m0, k.mul(laneBit3, 8));
      }
      for (Value reg : kit::ldmatrixX4(k, sharedA, row, col, c.transposeA))
        aFrag[i].push_back(kit::packMmaOperand(k, reg));
    }
    // B fragments: one ldmatrix.x4 per 16 columns (two n8 tiles).
    SmallVector<SmallVector<Value>> bFrag(tilesN);
    for (int64_t j = 0; j < tilesN; j += 2) {
      Value n0 = k.add(k.mul(warpN, c.tileN()), j * 8);
      Value row, col;
      if (c.transposeB) {
        row = k.add(bRow0, k.add(n0, k.add(laneMod8, k.mul(laneDiv16, 8))));
        col = k.add(k.mul(laneBit3, 8), kk);
      } else {
        row = k.add(bRow0, k.add(k.add(laneMod8, k.mul(laneBit3, 8)), kk));
        col = k.add(n0, k.mul(laneDiv16, 8));
      }
      SmallVector<Value, 4> regs =
          kit::ldmatrixX4(k, sharedB, row, col, !c.transposeB);
      for (int64_t r = 0; r < 4; ++r)
        bFrag[j + r / 2].push_back(kit::packMmaOperand(k, regs[r]));
    }
    for (int64_t i = 0; i < tilesM; ++i)
      for (int64_t j = 0; j < tilesN; ++j) {
        Value &accum = result[i * tilesN + j];
        SmallVector<Value> cIn;
        for (int64_t e = 0; e < 4; ++e)
          cIn.push_back(b.create<vector::ExtractOp>(accum, e));
        SmallVector<Value, 4> out =
            kit::mmaM16N8K16(k, c.element, aFrag[i], bFrag[j], cIn);
        accum = b.create<vector::FromElementsOp>(
            VectorType::get({4}, b.getF32Type()), out);
      }
  }
  for (auto [sum, partial] : llvm::zip(result, acc))
    sum = b.create<arith::AddFOp>(partial, sum);
  return result;
}

} // namespace

bool gpu_matmul::hasAlignedRows(RankedTensorType t) {
  int64_t inner = t.getDimSize(t.getRank() - 1);
  int64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return !ShapedType::isDynamic(inner) && inner * bits % 128 == 0;
}

bool gpu_matmul::tmaCanLoad(MatmulOp op) {
  for (RankedTensorType t : {op.getA().getType(), op.getB().getType()})
    if (!hasAlignedRows(t) || t.getDimSize(t.getRank() - 1) == 0 ||
        t.getRank() > 3)
      return false;
  return true;
}

int64_t gpu_matmul::getWgmmaSharedMemoryBytes(
    int64_t blockM, int64_t blockN, int64_t blockK, int64_t stages,
    int64_t warps, int64_t elementBytes, int64_t outputBytes, bool swapAB,
    int64_t splitK) {
  int64_t ring = stages * (blockM + blockN) * blockK * elementBytes;
  int64_t barriers = 16 * stages;
  if (swapAB)
    return std::max(ring, (splitK - 1) * blockM * blockN * 4) + barriers + 1024;
  int64_t epilogue = (warps - 4) * 16 * (64 * outputBytes + 16);
  return ring + barriers + epilogue + 1024;
}

bool gpu_matmul::promotesAccumulators(int64_t elementBytes, int64_t outputBytes,
                                      bool swapAB) {
  return elementBytes == 1 || (swapAB && outputBytes == 4);
}

int64_t KernelConfig::sharedMemoryBytes() const {
  if (!wgmma)
    return stages * stageElements() * 2;
  return getWgmmaSharedMemoryBytes(blockM, blockN, blockK, stages, warps,
                                   elementBytes(),
                                   output.getIntOrFloatBitWidth() / 8, swapAB,
                                   splitK);
}

std::pair<Value, Value> gpu_matmul::placeTile(ImplicitLocOpBuilder &b,
                                              const KernelConfig &c, Value M,
                                              Value N, Value linear) {
  kit::KitBuilder k(b);
  return kit::placeGroupedTile(k, c.blockM, c.blockN, c.swizzle, M, N, linear);
}

namespace {

void KernelBuilder::epilogue(ValueRange acc) {
  int64_t tilesM = c.tileM() / 16, tilesN = c.tileN() / 8;
  Type f32 = b.getF32Type();
  Value g = k.div(lane, 4), t2 = k.mul(k.rem(lane, 4), 2);
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t j = 0; j < tilesN; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value m = k.add(k.add(k.add(mBase, k.mul(warpM, c.tileM())), i * 16),
                      k.add(g, (e / 2) * 8));
        Value n = k.add(k.add(k.add(nBase, k.mul(warpN, c.tileN())), j * 8),
                      k.add(t2, e % 2));
        auto inBounds = b.create<scf::IfOp>(k.andi(k.lt(m, M), k.lt(n, N)),
                                            /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inBounds.thenBlock());
        Value v = b.create<vector::ExtractOp>(acc[i * tilesN + j], e);
        if (c.splitK > 1) {
          // Partial sums of the K splits meet in the f32 workspace; the
          // epilogue kernel finishes them.
          b.create<memref::AtomicRMWOp>(arith::AtomicRMWKind::addf, v, C,
                                        index(batchC, 3, m, n));
          continue;
        }
        v = kit::finishElement(b, c.epilogueSpec(), v, bias, n);
        b.create<memref::StoreOp>(v, C, index(batchC, c.rankC, m, n));
      }
}

gpu::GPUFuncOp KernelBuilder::build(StringRef name) {
  MLIRContext *ctx = b.getContext();
  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  SmallVector<Type> args = {dynamic(c.rankA, c.element),
                            dynamic(c.rankB, c.element)};
  if (c.biasElement)
    args.push_back(dynamic(1, c.biasElement));
  args.push_back(dynamic(c.rankC, c.output));
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(32 * c.warps), 1, 1}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());

  A = func.getArgument(0);
  B = func.getArgument(1);
  bias = c.biasElement ? func.getArgument(2) : Value();
  C = func.getArgument(c.biasElement ? 3 : 2);
  auto dim = [&](Value v, int64_t d) -> Value {
    return b.create<memref::DimOp>(v, d);
  };
  M = dim(C, c.rankC - 2);
  N = dim(C, c.rankC - 1);
  K = c.transposeA ? dim(A, c.rankA - 2) : dim(A, c.rankA - 1);

  Value linear = k.add(b.create<gpu::BlockIdOp>(gpu::Dimension::x),
                     k.mul(b.create<gpu::BlockIdOp>(gpu::Dimension::y),
                         b.create<gpu::GridDimOp>(gpu::Dimension::x)));
  std::tie(mBase, nBase) = placeTile(b, c, M, N, linear);

  // Batch: grid z; an operand whose batch size is 1 broadcasts.
  // With split-K, z enumerates (batch, split) pairs.
  Value z = b.create<gpu::BlockIdOp>(gpu::Dimension::z);
  Value bz = c.splitK > 1 ? k.div(z, c.splitK) : z;
  auto batchOf = [&](Value v, int64_t rank) -> Value {
    if (rank != 3)
      return Value();
    Value one = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, dim(v, 0),
                                        k.idx(1));
    return k.select(one, k.idx(0), bz);
  };
  batchA = batchOf(A, c.rankA);
  batchB = batchOf(B, c.rankB);
  batchC = c.rankC == 3 ? bz : Value();

  tid = b.create<gpu::ThreadIdOp>(gpu::Dimension::x);
  lane = k.rem(tid, 32);
  Value warp = k.div(tid, 32);
  warpM = k.div(warp, c.warpsN);
  warpN = k.rem(warp, c.warpsN);

  // Shared memory: `stages` A tiles, then `stages` B tiles.
  auto workgroup = gpu::AddressSpaceAttr::get(
      ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  Value raw = b.create<gpu::DynamicSharedMemoryOp>(
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr,
                      workgroup));
  int64_t aBytes = c.stages * c.aRows() * c.aCols() * 2;
  sharedA = b.create<memref::ViewOp>(
      MemRefType::get({c.stages * c.aRows(), c.aCols()}, c.element, nullptr,
                      workgroup),
      raw, k.idx(0), ValueRange{});
  sharedB = b.create<memref::ViewOp>(
      MemRefType::get({c.stages * c.bRows(), c.bCols()}, c.element, nullptr,
                      workgroup),
      raw, k.idx(aBytes), ValueRange{});

  // Split-K: this block's range of k tiles.
  Value kTiles = k.div(k.add(K, c.blockK - 1), c.blockK);
  Value kBegin = k.idx(0), kEnd = kTiles;
  if (c.splitK > 1) {
    Value split = k.rem(z, c.splitK);
    Value per = k.div(k.add(kTiles, c.splitK - 1), c.splitK);
    kBegin = k.minu(k.mul(split, per), kTiles);
    kEnd = k.minu(k.add(kBegin, per), kTiles);
  }
  Value kCount = b.create<arith::SubIOp>(kEnd, kBegin);

  int64_t accCount = (c.tileM() / 16) * (c.tileN() / 8);
  SmallVector<Value> init(
      accCount, b.create<arith::ConstantOp>(
                    b.getZeroAttr(VectorType::get({4}, b.getF32Type()))));
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(ctx);
  bool async = c.asyncCopyA || c.asyncCopyB;

  SmallVector<Value> acc;
  if (c.stages == 1 || !async) {
    // One buffer: load, wait, compute.
    auto loop = b.create<scf::ForOp>(k.idx(0), kCount, k.idx(1), init);
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kTile = k.add(kBegin, loop.getInductionVar());
    SmallVector<Value> tokens;
    b.create<gpu::BarrierOp>();
    loadStage(kTile, k.idx(0), tokens);
    if (!tokens.empty()) {
      Value group = b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType,
                                                              tokens);
      b.create<nvgpu::DeviceAsyncWaitOp>(group, b.getI32IntegerAttr(0));
    }
    b.create<gpu::BarrierOp>();
    SmallVector<Value> next =
        computeStage(k.idx(0), loop.getRegionIterArgs());
    b.create<scf::YieldOp>(next);
    acc = loop.getResults();
  } else {
    // Prologue: stages - 1 k tiles in flight (a group per tile, empty
    // copies past the end keep the group count uniform).
    Value lastTile = b.create<arith::SubIOp>(
        b.create<arith::MaxUIOp>(kEnd, k.add(kBegin, 1)), k.idx(1));
    SmallVector<Value> groups;
    for (int64_t s = 0; s + 1 < c.stages; ++s) {
      SmallVector<Value> tokens;
      Value kTile = k.minu(k.add(kBegin, s), lastTile);
      loadStage(kTile, k.idx(s), tokens);
      groups.push_back(
          b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType, tokens));
    }
    auto loop = b.create<scf::ForOp>(k.idx(0), kCount, k.idx(1), init);
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    // Tile kt's group is complete once at most stages - 2 are pending.
    b.create<nvgpu::DeviceAsyncWaitOp>(groups.front(),
                                       b.getI32IntegerAttr(c.stages - 2));
    b.create<gpu::BarrierOp>();
    SmallVector<Value> next =
        computeStage(k.rem(kt, c.stages), loop.getRegionIterArgs());
    // Refill the stage everyone finished with at the barrier above.
    Value fetch = k.add(kt, c.stages - 1);
    SmallVector<Value> tokens;
    Value kTile = k.minu(k.add(kBegin, fetch), lastTile);
    loadStage(kTile, k.rem(fetch, c.stages), tokens);
    b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType, tokens);
    b.create<scf::YieldOp>(next);
    acc = loop.getResults();
  }
  epilogue(acc);
  b.create<gpu::ReturnOp>();
  return func;
}

} // namespace

gpu::GPUFuncOp gpu_matmul::buildMmaSyncKernel(ImplicitLocOpBuilder &b,
                                              const KernelConfig &c,
                                              StringRef name) {
  return KernelBuilder(b, c).build(name);
}

/// One thread per element, 256 per block.
gpu::GPUFuncOp gpu_matmul::buildSplitKEpilogue(ImplicitLocOpBuilder &b,
                                   const KernelConfig &c, StringRef name) {
  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  SmallVector<Type> args = {dynamic(3, b.getF32Type())};
  if (c.biasElement)
    args.push_back(dynamic(1, c.biasElement));
  args.push_back(dynamic(c.rankC, c.output));
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({256, 1, 1}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(v);
  };
  Value ws = func.getArgument(0);
  Value bias = c.biasElement ? func.getArgument(1) : Value();
  Value out = func.getArguments().back();
  Value batch = b.create<memref::DimOp>(ws, 0);
  Value M = b.create<memref::DimOp>(ws, 1);
  Value N = b.create<memref::DimOp>(ws, 2);
  Value mn = b.create<arith::MulIOp>(M, N);
  Value total = b.create<arith::MulIOp>(batch, mn);
  Value idx = b.create<arith::AddIOp>(
      b.create<arith::MulIOp>(b.create<gpu::BlockIdOp>(gpu::Dimension::x),
                              cst(256)),
      b.create<gpu::ThreadIdOp>(gpu::Dimension::x));
  auto inRange = b.create<scf::IfOp>(
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, idx, total),
      /*withElse=*/false);
  b.setInsertionPointToStart(inRange.thenBlock());
  Value bi = b.create<arith::DivUIOp>(idx, mn);
  Value rest = b.create<arith::RemUIOp>(idx, mn);
  Value m = b.create<arith::DivUIOp>(rest, N);
  Value n = b.create<arith::RemUIOp>(rest, N);
  Value v = b.create<memref::LoadOp>(ws, ValueRange{bi, m, n});
  v = kit::finishElement(b, c.epilogueSpec(), v, bias, n);
  SmallVector<Value> at;
  if (c.rankC == 3)
    at.push_back(bi);
  at.append({m, n});
  b.create<memref::StoreOp>(v, out, at);
  b.setInsertionPointAfter(inRange);
  b.create<gpu::ReturnOp>();
  return func;
}
