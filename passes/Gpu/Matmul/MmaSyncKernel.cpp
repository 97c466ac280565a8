//===- GpuMatmulKernels.cpp - tessera-gpu-build-matmul-kernels ------------===//
//
// Builds, for every schedule of every tessera.matmul, a tensor-core kernel in
// a gpu.module of the module: thread block tiles of block_m x block_n, a
// `stages`-deep cp.async pipeline from global to padded shared memory,
// ldmatrix fragments, mma.sync.m16n8k16 with f32 accumulators in registers,
// and a predicated epilogue (alpha, bias, activation, output cast). The
// kernels take the operands as memrefs and read M, N and K from them, so one
// kernel serves every size; operands whose rows are not 16-byte multiples
// are loaded element by element instead of with cp.async.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/GpuMatmulKernels.h"

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

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAGPUBUILDMATMULKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::gpu_matmul;

namespace {

/// The warp grid: warpsM x warpsN = warps with warp tiles that are
/// multiples of 16 x 16, as square as possible (ties: taller).
std::optional<std::pair<int64_t, int64_t>>
chooseWarpGrid(int64_t blockM, int64_t blockN, int64_t warps) {
  std::optional<std::pair<int64_t, int64_t>> best;
  int64_t bestDiff = 0;
  for (int64_t wm = 1; wm <= warps; ++wm) {
    if (warps % wm)
      continue;
    int64_t wn = warps / wm;
    if (blockM % (16 * wm) || blockN % (16 * wn))
      continue;
    int64_t diff = std::abs(blockM / wm - blockN / wn);
    if (!best || diff < bestDiff) {
      best = {wm, wn};
      bestDiff = diff;
    }
  }
  return best;
}

/// Emits one kernel. The builder's insertion point is inside the gpu.module.
class KernelBuilder {
public:
  KernelBuilder(ImplicitLocOpBuilder &b, const KernelConfig &c)
      : b(b), c(c) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  Value cst(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(x, y); }
  Value mul(Value x, int64_t y) { return mul(x, cst(y)); }
  Value add(Value x, int64_t y) { return add(x, cst(y)); }
  Value div(Value x, int64_t y) { return b.create<arith::DivUIOp>(x, cst(y)); }
  Value rem(Value x, int64_t y) { return b.create<arith::RemUIOp>(x, cst(y)); }
  Value lt(Value x, Value y) {
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, x, y);
  }
  Value andi(Value x, Value y) { return b.create<arith::AndIOp>(x, y); }
  Value select(Value p, Value x, Value y) {
    return b.create<arith::SelectOp>(p, x, y);
  }
  Value minu(Value x, Value y) { return b.create<arith::MinUIOp>(x, y); }
  Value subSat(Value x, Value y) {
    // max(x - y, 0) on index values.
    return select(lt(y, x), b.create<arith::SubIOp>(x, y), cst(0));
  }

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

  /// Packs two 16-bit values (a vector<2xT>) into the operand form of
  /// nvvm.mma.sync.
  Value packOperand(Value pair);

  ImplicitLocOpBuilder &b;
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
    Value chunk = add(tid, first);
    Value inRange = lt(chunk, cst(chunks));
    Value r = div(chunk, chunksPerRow);
    Value col = mul(rem(chunk, chunksPerRow), 8);
    Value gRow = add(row0, r), gCol = add(col0, col);
    // Clamp addresses into the operand; predicated-off copies read nothing.
    Value rowOk = andi(inRange, lt(gRow, rowLimit));
    Value valid = select(rowOk, minu(subSat(colLimit, gCol), cst(8)), cst(0));
    Value safeRow = select(rowOk, gRow, cst(0));
    Value safeCol = select(lt(gCol, colLimit), gCol, cst(0));
    Value sRow = add(sharedRow0, select(inRange, r, cst(0)));
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
      Value ok = lt(cst(e), valid);
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
                                ValueRange{sRow, add(col, e)});
    }
  }
}

void KernelBuilder::loadStage(Value kTile, Value stage,
                              SmallVectorImpl<Value> &tokens) {
  Value k0 = mul(kTile, c.blockK);
  Value aRow0 = mul(stage, c.aRows()), bRow0 = mul(stage, c.bRows());
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

Value KernelBuilder::packOperand(Value pair) {
  if (c.element.isBF16())
    return b.create<LLVM::BitcastOp>(b.getI32Type(), pair);
  return pair; // f16: vector<2xf16> is the operand form
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
  Value aRow0 = mul(stage, c.aRows()), bRow0 = mul(stage, c.bRows());
  Value laneMod8 = rem(lane, 8), laneDiv16 = div(lane, 16),
        laneBit3 = rem(div(lane, 8), 2), laneMod16 = rem(lane, 16);
  auto fragType4 = VectorType::get({4, 2}, c.element);
  Type mmaResult = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(4, b.getF32Type()));
  NVVM::MMATypes ptxType =
      c.element.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  for (int64_t kk = 0; kk < c.blockK; kk += 16) {
    // A fragments: one ldmatrix.x4 per 16 rows of the warp tile.
    SmallVector<SmallVector<Value>> aFrag(tilesM);
    for (int64_t i = 0; i < tilesM; ++i) {
      Value m0 = add(mul(warpM, c.tileM()), i * 16);
      Value row, col;
      if (!c.transposeA) {
        row = add(aRow0, add(m0, laneMod16));
        col = add(mul(laneDiv16, 8), kk);
      } else {
        row = add(aRow0, add(add(laneMod8, mul(laneDiv16, 8)), kk));
        col = add(m0, mul(laneBit3, 8));
      }
      Value frag = b.create<nvgpu::LdMatrixOp>(fragType4, sharedA,
                                               ValueRange{row, col},
                                               c.transposeA, 4);
      for (int64_t r = 0; r < 4; ++r)
        aFrag[i].push_back(
            packOperand(b.create<vector::ExtractOp>(frag, r)));
    }
    // B fragments: one ldmatrix.x4 per 16 columns (two n8 tiles).
    SmallVector<SmallVector<Value>> bFrag(tilesN);
    for (int64_t j = 0; j < tilesN; j += 2) {
      Value n0 = add(mul(warpN, c.tileN()), j * 8);
      Value row, col;
      if (c.transposeB) {
        row = add(bRow0, add(n0, add(laneMod8, mul(laneDiv16, 8))));
        col = add(mul(laneBit3, 8), kk);
      } else {
        row = add(bRow0, add(add(laneMod8, mul(laneBit3, 8)), kk));
        col = add(n0, mul(laneDiv16, 8));
      }
      Value frag = b.create<nvgpu::LdMatrixOp>(fragType4, sharedB,
                                               ValueRange{row, col},
                                               !c.transposeB, 4);
      for (int64_t r = 0; r < 4; ++r)
        bFrag[j + r / 2].push_back(
            packOperand(b.create<vector::ExtractOp>(frag, r)));
    }
    for (int64_t i = 0; i < tilesM; ++i)
      for (int64_t j = 0; j < tilesN; ++j) {
        Value &accum = result[i * tilesN + j];
        SmallVector<Value> cIn;
        for (int64_t e = 0; e < 4; ++e)
          cIn.push_back(b.create<vector::ExtractOp>(accum, e));
        auto mma = b.create<NVVM::MmaOp>(
            mmaResult, aFrag[i], bFrag[j], cIn,
            ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
            std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
            std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                           NVVM::MMALayout::col});
        Value next = b.create<arith::ConstantOp>(
            b.getZeroAttr(VectorType::get({4}, b.getF32Type())));
        for (int64_t e = 0; e < 4; ++e)
          next = b.create<vector::InsertOp>(
              b.create<LLVM::ExtractValueOp>(mma, e), next, e);
        accum = next;
      }
  }
  for (auto [sum, partial] : llvm::zip(result, acc))
    sum = b.create<arith::AddFOp>(partial, sum);
  return result;
}

} // namespace

/// exp(x) as 2^(x log2 e) on the special-function unit (relative error
/// about 2^-22), so that kernels need no libdevice.
static Value fastExp(ImplicitLocOpBuilder &b, Value x) {
  Type f32 = b.getF32Type();
  Value scaled = b.create<arith::MulFOp>(
      x, b.create<arith::ConstantOp>(b.getFloatAttr(f32, 1.4426950408889634)));
  return LLVM::CallIntrinsicOp::create(
             b, f32, b.getStringAttr("llvm.nvvm.ex2.approx.f32"),
             ValueRange{scaled})
      .getResult(0);
}

/// The activation of `epilogue` on f32 `x`.
static Value activate(ImplicitLocOpBuilder &b, Epilogue epilogue, Value x) {
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

Value gpu_matmul::finishElement(ImplicitLocOpBuilder &b,
                                const KernelConfig &c, Value v, Value bias,
                                Value n, Value scale) {
  Type f32 = b.getF32Type();
  if (scale)
    v = b.create<arith::MulFOp>(v, scale);
  if (c.alpha != 1.0f)
    v = b.create<arith::MulFOp>(
        v, b.create<arith::ConstantOp>(b.getF32FloatAttr(c.alpha)));
  if (bias) {
    Value bv = b.create<memref::LoadOp>(bias, ValueRange{n});
    if (bv.getType() != f32)
      bv = b.create<arith::ExtFOp>(f32, bv);
    v = b.create<arith::AddFOp>(v, bv);
  }
  v = activate(b, c.epilogue, v);
  if (c.output != f32)
    v = b.create<arith::TruncFOp>(c.output, v);
  return v;
}

std::optional<GpuTarget> gpu_matmul::getGpuTarget(StringRef name) {
  if (name == "sm_90a")
    return GpuTarget{132, 227 * 1024, true};
  if (name == "sm_80")
    return GpuTarget{108, 163 * 1024, false};
  return std::nullopt;
}

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
  int64_t epilogue = (warps - 4) * 16 * (64 * outputBytes + 16);
  if (swapAB) // each consumer thread's blockN / consumers / 64 x blockM / 2
    epilogue = (splitK - 1) * 32 * blockN / 16 * blockM / 2 * 4;
  return stages * ((blockM + blockN) * blockK * elementBytes + 16) +
         epilogue + 1024;
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
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(v);
  };
  auto cdiv = [&](Value x, int64_t y) -> Value {
    return b.create<arith::DivUIOp>(b.create<arith::AddIOp>(x, cst(y - 1)),
                                    cst(y));
  };
  Value tilesN = cdiv(N, c.blockN), tilesM = cdiv(M, c.blockM);
  Value perGroup = b.create<arith::MulIOp>(tilesN, cst(c.swizzle));
  Value group = b.create<arith::DivUIOp>(linear, perGroup);
  Value firstM = b.create<arith::MulIOp>(group, cst(c.swizzle));
  Value groupRows = b.create<arith::MinUIOp>(
      b.create<arith::SubIOp>(tilesM, firstM), cst(c.swizzle));
  Value inGroup = b.create<arith::RemUIOp>(linear, perGroup);
  Value tileM = b.create<arith::AddIOp>(
      firstM, b.create<arith::RemUIOp>(inGroup, groupRows));
  Value tileN = b.create<arith::DivUIOp>(inGroup, groupRows);
  return {b.create<arith::MulIOp>(tileM, cst(c.blockM)),
          b.create<arith::MulIOp>(tileN, cst(c.blockN))};
}

namespace {

void KernelBuilder::epilogue(ValueRange acc) {
  int64_t tilesM = c.tileM() / 16, tilesN = c.tileN() / 8;
  Type f32 = b.getF32Type();
  Value g = div(lane, 4), t2 = mul(rem(lane, 4), 2);
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t j = 0; j < tilesN; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value m = add(add(add(mBase, mul(warpM, c.tileM())), i * 16),
                      add(g, (e / 2) * 8));
        Value n = add(add(add(nBase, mul(warpN, c.tileN())), j * 8),
                      add(t2, e % 2));
        auto inBounds = b.create<scf::IfOp>(andi(lt(m, M), lt(n, N)),
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
        v = finishElement(b, c, v, bias, n);
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

  Value linear = add(b.create<gpu::BlockIdOp>(gpu::Dimension::x),
                     mul(b.create<gpu::BlockIdOp>(gpu::Dimension::y),
                         b.create<gpu::GridDimOp>(gpu::Dimension::x)));
  std::tie(mBase, nBase) = placeTile(b, c, M, N, linear);

  // Batch: grid z; an operand whose batch size is 1 broadcasts.
  // With split-K, z enumerates (batch, split) pairs.
  Value z = b.create<gpu::BlockIdOp>(gpu::Dimension::z);
  Value bz = c.splitK > 1 ? div(z, c.splitK) : z;
  auto batchOf = [&](Value v, int64_t rank) -> Value {
    if (rank != 3)
      return Value();
    Value one = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, dim(v, 0),
                                        cst(1));
    return select(one, cst(0), bz);
  };
  batchA = batchOf(A, c.rankA);
  batchB = batchOf(B, c.rankB);
  batchC = c.rankC == 3 ? bz : Value();

  tid = b.create<gpu::ThreadIdOp>(gpu::Dimension::x);
  lane = rem(tid, 32);
  Value warp = div(tid, 32);
  warpM = div(warp, c.warpsN);
  warpN = rem(warp, c.warpsN);

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
      raw, cst(0), ValueRange{});
  sharedB = b.create<memref::ViewOp>(
      MemRefType::get({c.stages * c.bRows(), c.bCols()}, c.element, nullptr,
                      workgroup),
      raw, cst(aBytes), ValueRange{});

  // Split-K: this block's range of k tiles.
  Value kTiles = div(add(K, c.blockK - 1), c.blockK);
  Value kBegin = cst(0), kEnd = kTiles;
  if (c.splitK > 1) {
    Value split = rem(z, c.splitK);
    Value per = div(add(kTiles, c.splitK - 1), c.splitK);
    kBegin = minu(mul(split, per), kTiles);
    kEnd = minu(add(kBegin, per), kTiles);
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
    auto loop = b.create<scf::ForOp>(cst(0), kCount, cst(1), init);
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kTile = add(kBegin, loop.getInductionVar());
    SmallVector<Value> tokens;
    b.create<gpu::BarrierOp>();
    loadStage(kTile, cst(0), tokens);
    if (!tokens.empty()) {
      Value group = b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType,
                                                              tokens);
      b.create<nvgpu::DeviceAsyncWaitOp>(group, b.getI32IntegerAttr(0));
    }
    b.create<gpu::BarrierOp>();
    SmallVector<Value> next =
        computeStage(cst(0), loop.getRegionIterArgs());
    b.create<scf::YieldOp>(next);
    acc = loop.getResults();
  } else {
    // Prologue: stages - 1 k tiles in flight (a group per tile, empty
    // copies past the end keep the group count uniform).
    Value lastTile = b.create<arith::SubIOp>(
        b.create<arith::MaxUIOp>(kEnd, add(kBegin, 1)), cst(1));
    SmallVector<Value> groups;
    for (int64_t s = 0; s + 1 < c.stages; ++s) {
      SmallVector<Value> tokens;
      Value kTile = minu(add(kBegin, s), lastTile);
      loadStage(kTile, cst(s), tokens);
      groups.push_back(
          b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType, tokens));
    }
    auto loop = b.create<scf::ForOp>(cst(0), kCount, cst(1), init);
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    // Tile kt's group is complete once at most stages - 2 are pending.
    b.create<nvgpu::DeviceAsyncWaitOp>(groups.front(),
                                       b.getI32IntegerAttr(c.stages - 2));
    b.create<gpu::BarrierOp>();
    SmallVector<Value> next =
        computeStage(rem(kt, c.stages), loop.getRegionIterArgs());
    // Refill the stage everyone finished with at the barrier above.
    Value fetch = add(kt, c.stages - 1);
    SmallVector<Value> tokens;
    Value kTile = minu(add(kBegin, fetch), lastTile);
    loadStage(kTile, rem(fetch, c.stages), tokens);
    b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType, tokens);
    b.create<scf::YieldOp>(next);
    acc = loop.getResults();
  }
  epilogue(acc);
  b.create<gpu::ReturnOp>();
  return func;
}

/// The second kernel of a split-K matmul: reads the f32 workspace
/// [batch, M, N] and applies alpha, bias, activation and the output cast.
/// One thread per element, 256 per block.
gpu::GPUFuncOp buildSplitKEpilogue(ImplicitLocOpBuilder &b,
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
  func->setAttr("tessera.shared_memory", b.getI64IntegerAttr(0));
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
  v = finishElement(b, c, v, bias, n);
  SmallVector<Value> at;
  if (c.rankC == 3)
    at.push_back(bi);
  at.append({m, n});
  b.create<memref::StoreOp>(v, out, at);
  b.setInsertionPointAfter(inRange);
  b.create<gpu::ReturnOp>();
  return func;
}

struct GpuBuildMatmulKernelsPass
    : tessera::impl::TesseraGpuBuildMatmulKernelsBase<
          GpuBuildMatmulKernelsPass> {
  using Base::Base;

  void runOnOperation() override;
};

void GpuBuildMatmulKernelsPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  std::optional<GpuTarget> gpu = getGpuTarget(target);
  if (!gpu) {
    module.emitError() << "tessera-gpu-build-matmul-kernels: unknown target '"
                       << target << "' (expected sm_90a or sm_80)";
    return signalPassFailure();
  }
  SmallVector<MatmulOp> ops;
  module.walk([&](MatmulOp op) { ops.push_back(op); });
  if (ops.empty())
    return;

  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(ctx));
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  b.setInsertionPointToEnd(module.getBody());
  // mma.sync kernels run on sm_80 and later; the module is built for the
  // requested chip.
  auto nvvmTarget = NVVM::NVVMTargetAttr::get(
      ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", target, "+ptx80");
  auto gpuModule = b.create<gpu::GPUModuleOp>(
      "tessera_kernels", b.getArrayAttr({nvvmTarget}));
  b.setInsertionPointToStart(gpuModule.getBody());
  SymbolTable symbols(gpuModule);
  int64_t kernelCount = 0;

  for (MatmulOp op : ops) {
    ArrayAttr schedules = op.getSchedulesAttr();
    if (!schedules) {
      op.emitOpError() << "has no 'schedules': run "
                          "tessera-gpu-select-schedule first";
      return signalPassFailure();
    }
    RankedTensorType aType = op.getA().getType(), bType = op.getB().getType();
    RankedTensorType cType = op.getResult().getType();
    Type element = aType.getElementType();
    bool fp8 = isa<Float8E4M3FNType, Float8E5M2Type>(element);
    if (!isa<BFloat16Type, Float16Type>(element) && !fp8) {
      op.emitOpError() << "has " << element
                       << " operands: the tensor-core kernels take bf16, f16 "
                          "or (sm_90a) fp8";
      return signalPassFailure();
    }
    if (aType.getRank() > 3 || bType.getRank() > 3) {
      op.emitOpError() << "has operands of rank > 3: GPU kernels take at "
                          "most one batch dimension";
      return signalPassFailure();
    }
    SmallVector<Attribute> kernelNames;
    for (auto [v, attr] : llvm::enumerate(schedules)) {
      auto s = cast<ScheduleAttr>(attr);
      KernelConfig config;
      config.wgmma = s.getMma() == "wgmma";
      config.swapAB = s.getSwapAb();
      config.maxBlocks = gpu->numSMs;
      std::optional<std::pair<int64_t, int64_t>> grid =
          chooseWarpGrid(s.getBlockM(), s.getBlockN(), s.getWarps());
      int64_t elementBytes = element.getIntOrFloatBitWidth() / 8;
      if (fp8 && (!config.wgmma || op.getTransposeA() ||
                  !op.getTransposeB())) {
        op.emitOpError() << "schedule " << s
                         << ": fp8 operands need a wgmma schedule with A "
                            "stored [M, K] and B stored [N, K] (transpose_b)";
        return signalPassFailure();
      }
      if (config.wgmma) {
        // TMA reads rows of 16-byte multiples into 128-byte swizzled rows.
        if (!gpu->wgmma || s.getBlockK() * elementBytes != 128 ||
            !tmaCanLoad(op)) {
          op.emitOpError()
              << "schedule " << s
              << " needs sm_90a, block_k = " << 128 / elementBytes
              << " (128 bytes) and operands whose contiguous dimension is a "
                 "static multiple of 16 bytes";
          return signalPassFailure();
        }
        if (config.swapAB && (op.getTransposeA() || !op.getTransposeB())) {
          op.emitOpError() << "schedule " << s
                           << " swaps A and B, which needs B stored [N, K] "
                              "(transpose_b) and A stored [M, K]";
          return signalPassFailure();
        }
        grid = {1, 1};
      } else if (!grid) {
        op.emitOpError() << "schedule " << s
                         << " has no warp grid with 16 x 16 warp tiles";
        return signalPassFailure();
      }
      config.blockM = s.getBlockM();
      config.blockN = s.getBlockN();
      config.blockK = s.getBlockK();
      config.stages = s.getStages();
      config.warps = s.getWarps();
      config.swizzle = s.getSwizzle();
      config.splitK = s.getSplitK();
      config.warpsM = grid->first;
      config.warpsN = grid->second;
      config.element = element;
      config.elementB = bType.getElementType();
      config.scaled = static_cast<bool>(op.getScaleA());
      // mma.sync split-K adds into an f32 workspace that a second kernel
      // finishes; wgmma reduces inside the kernel.
      bool workspace = config.splitK > 1 && !config.wgmma;
      config.output = workspace ? Float32Type::get(ctx) : cType.getElementType();
      config.biasElement =
          op.getBias() && !workspace
              ? cast<RankedTensorType>(op.getBias().getType()).getElementType()
              : Type();
      config.transposeA = op.getTransposeA();
      config.transposeB = op.getTransposeB();
      config.asyncCopyA = hasAlignedRows(aType);
      config.asyncCopyB = hasAlignedRows(bType);
      config.rankA = aType.getRank();
      config.rankB = bType.getRank();
      config.rankC = workspace ? 3 : cType.getRank();
      config.alpha =
          workspace ? 1.0f : op.getAlpha().convertToFloat();
      config.epilogue =
          workspace ? Epilogue::None : op.getEpilogue();
      if (config.sharedMemoryBytes() > gpu->sharedMemoryBytes) {
        op.emitOpError() << "schedule " << s << " needs "
                         << config.sharedMemoryBytes()
                         << " bytes of shared memory";
        return signalPassFailure();
      }
      std::string name = "tessera_matmul_" + std::to_string(kernelCount++);
      gpu::GPUFuncOp func;
      if (config.wgmma) {
        func = buildWgmmaKernel(b, config, name);
      } else {
        KernelBuilder builder(b, config);
        func = builder.build(name);
      }
      symbols.insert(func);
      func->setAttr("tessera.shared_memory",
                    b.getI64IntegerAttr(config.sharedMemoryBytes()));
      if (workspace) {
        KernelConfig finish = config;
        finish.output = cType.getElementType();
        finish.biasElement =
            op.getBias()
                ? cast<RankedTensorType>(op.getBias().getType())
                      .getElementType()
                : Type();
        finish.rankC = cType.getRank();
        finish.alpha = op.getAlpha().convertToFloat();
        finish.epilogue = op.getEpilogue();
        symbols.insert(buildSplitKEpilogue(b, finish, name + "_epilogue"));
      }
      kernelNames.push_back(FlatSymbolRefAttr::get(func.getNameAttr()));
    }
    op->setAttr("tessera.kernels", b.getArrayAttr(kernelNames));
  }
}

} // namespace
