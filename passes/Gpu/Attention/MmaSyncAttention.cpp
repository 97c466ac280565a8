//===- MmaSyncAttention.cpp - The sm_80 attention kernel ------------------===//
//
// FlashAttention-2's design, built from the kit, for sm_80 and later (and
// for sm_90a operands TMA cannot load). A block of `warps` warps computes
// block_q rows, 16 x R per warp, over its share of the KV tiles:
//
// - cp.async copies Q once and K/V tiles through a `stages`-deep ring of
//   padded shared memory (rows padded by 16 bytes, so that the 8 rows an
//   ldmatrix reads fall in different banks), zero-filled past Sq, Skv and
//   the head dimension.
// - Each warp keeps its Q fragments in registers (ldmatrix), computes
//   S = Q K^T with mma.sync.m16n8k16 (K fragments by ldmatrix), runs the
//   online softmax in f32 on its accumulators, and O += P V with P from
//   registers and V fragments by ldmatrix.trans. Rows never leave a warp:
//   no shared-memory reduction.
// - Masks are applied only on the tiles they cross; the epilogue divides by
//   the row sums and stores the output and lse, or the split's partials.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Attention/AttentionKernels.h"

#include "passes/Gpu/Kit/AsyncCopy.h"
#include "passes/Gpu/Kit/Fragment.h"
#include "passes/Gpu/Kit/MmaSync.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::attention;
using kit::KitBuilder;

namespace {

/// Columns loaded per row (16-element multiples, zero-filled past the
/// head dimension) and the padded row widths in shared memory.
struct Widths {
  int64_t qk, v, qkRow, vRow;
  explicit Widths(const AttentionConfig &c)
      : qk((c.headDim + 15) / 16 * 16), v((c.valueDim + 15) / 16 * 16),
        qkRow(qk + 8), vRow(v + 8) {}
};

class MmaSyncAttentionBuilder {
public:
  MmaSyncAttentionBuilder(ImplicitLocOpBuilder &b, const AttentionConfig &c)
      : b(b), k(b), c(c), widths(c), groups(c.blockQ / (16 * c.warps)) {}

  gpu::GPUFuncOp build(StringRef name);

private:
  /// Copies KV tile `tile` into ring slot `slot` (one cp.async group).
  void loadTile(Value tile, Value slot);
  /// S = Q K^T of the tile in `slot`, per row group (Fragment layout).
  SmallVector<SmallVector<Value>> scores(Value slot,
                                         ArrayRef<SmallVector<Value>> qFrag);
  /// O += P V of the tile in `slot`.
  void accumulate(Value slot, ArrayRef<SmallVector<Value>> p,
                  SmallVector<SmallVector<Value>> &o);
  /// `s` masked where tile `tile` needs it.
  void mask(SmallVector<SmallVector<Value>> &s, Value tile);

  ImplicitLocOpBuilder &b;
  KitBuilder k;
  const AttentionConfig &c;
  Widths widths;
  int64_t groups;
  Value Q, K, V, out, lse, tid, lane, warp, rowInBlock, column0;
  Value sharedQ, sharedK, sharedV;
  BlockWork w;
};

void MmaSyncAttentionBuilder::loadTile(Value tile, Value slot) {
  SmallVector<Value> tokens;
  int64_t threads = 32 * c.warps;
  Value key = k.mul(tile, c.blockKV);
  Value row0 = k.mul(slot, c.blockKV);
  kit::asyncCopyTile(
      k,
      {K, {w.batch, w.kvHead}, key, k.idx(0), w.skv, k.idx(c.headDim),
       sharedK, row0, c.blockKV, widths.qk},
      threads, tid, tokens);
  kit::asyncCopyTile(
      k,
      {V, {w.batch, w.kvHead}, key, k.idx(0), w.skv, k.idx(c.valueDim),
       sharedV, row0, c.blockKV, widths.v},
      threads, tid, tokens);
  b.create<nvgpu::DeviceAsyncCreateGroupOp>(
      nvgpu::DeviceAsyncTokenType::get(k.ctx), tokens);
}

SmallVector<SmallVector<Value>>
MmaSyncAttentionBuilder::scores(Value slot,
                                ArrayRef<SmallVector<Value>> qFrag) {
  Value laneMod8 = k.rem(lane, 8), laneDiv16 = k.div(lane, 16),
        laneBit3 = k.rem(k.div(lane, 8), 2);
  Value row0 = k.mul(slot, c.blockKV);
  int64_t steps = widths.qk / 16, blocks = c.blockKV / 8;
  Value zero = k.f32(0);
  SmallVector<SmallVector<Value>> s(groups,
                                    SmallVector<Value>(4 * blocks, zero));
  for (int64_t ks = 0; ks < steps; ++ks)
    for (int64_t j = 0; j < blocks; j += 2) {
      // K stored [kv, d]: B = K^T is K-contiguous (matmul's transpose_b).
      Value row = k.add(row0, k.add(k.idx(8 * j),
                                    k.add(laneMod8, k.mul(laneDiv16, 8))));
      Value col = k.add(k.mul(laneBit3, 8), 16 * ks);
      SmallVector<Value, 4> regs =
          kit::ldmatrixX4(k, sharedK, row, col, /*transpose=*/false);
      for (int64_t half = 0; half < 2; ++half) {
        SmallVector<Value> bFrag = {kit::packMmaOperand(k, regs[2 * half]),
                                    kit::packMmaOperand(k, regs[2 * half + 1])};
        for (int64_t g = 0; g < groups; ++g) {
          int64_t at = 4 * (j + half);
          ArrayRef<Value> cIn = ArrayRef<Value>(s[g]).slice(at, 4);
          SmallVector<Value, 4> d = kit::mmaM16N8K16(
              k, c.element, qFrag[g * steps + ks], bFrag, cIn);
          for (int64_t e = 0; e < 4; ++e)
            s[g][at + e] = d[e];
        }
      }
    }
  return s;
}

void MmaSyncAttentionBuilder::accumulate(Value slot,
                                         ArrayRef<SmallVector<Value>> p,
                                         SmallVector<SmallVector<Value>> &o) {
  Value laneMod8 = k.rem(lane, 8), laneDiv16 = k.div(lane, 16),
        laneBit3 = k.rem(k.div(lane, 8), 2);
  Value row0 = k.mul(slot, c.blockKV);
  int64_t slices = c.blockKV / 16, blocks = widths.v / 8;
  for (int64_t ks = 0; ks < slices; ++ks)
    for (int64_t j = 0; j < blocks; j += 2) {
      // V stored [kv, dv]: B is N-contiguous, read transposed.
      Value row =
          k.add(row0, k.add(k.add(laneMod8, k.mul(laneBit3, 8)), 16 * ks));
      Value col = k.add(k.idx(8 * j), k.mul(laneDiv16, 8));
      SmallVector<Value, 4> regs =
          kit::ldmatrixX4(k, sharedV, row, col, /*transpose=*/true);
      for (int64_t half = 0; half < 2; ++half) {
        SmallVector<Value> bFrag = {kit::packMmaOperand(k, regs[2 * half]),
                                    kit::packMmaOperand(k, regs[2 * half + 1])};
        for (int64_t g = 0; g < groups; ++g) {
          int64_t at = 4 * (j + half);
          ArrayRef<Value> cIn = ArrayRef<Value>(o[g]).slice(at, 4);
          SmallVector<Value, 4> d = kit::mmaM16N8K16(
              k, c.element, p[g * slices + ks], bFrag, cIn);
          for (int64_t e = 0; e < 4; ++e)
            o[g][at + e] = d[e];
        }
      }
    }
}

void MmaSyncAttentionBuilder::mask(SmallVector<SmallVector<Value>> &s,
                                   Value tile) {
  SmallVector<Value> flat;
  for (const SmallVector<Value> &g : s)
    flat.append(g);
  SmallVector<Type> types(flat.size(), b.getF32Type());
  auto masked = b.create<scf::IfOp>(types, tileNeedsMask(k, c, w, tile),
                                    /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(masked.thenBlock());
    Value inf = k.f32(-std::numeric_limits<double>::infinity());
    Value key0 = k.add(k.mul(tile, c.blockKV), column0);
    SmallVector<Value> result;
    for (auto [g, values] : llvm::enumerate(s)) {
      Value rows[2];
      for (int64_t half = 0; half < 2; ++half)
        rows[half] = k.add(w.rowLo, k.rem(k.add(rowInBlock, 16 * g + 8 * half),
                                          c.rowsPerHead()));
      for (auto [e, v] : llvm::enumerate(values)) {
        Value key = k.add(key0, kit::AccumulatorLayout::columnOffset(e));
        Value row = rows[kit::AccumulatorLayout::rowOffset(e) / 8];
        result.push_back(k.select(isVisible(k, c, w, row, key), v, inf));
      }
    }
    b.create<scf::YieldOp>(result);
    b.setInsertionPointToStart(masked.elseBlock());
    b.create<scf::YieldOp>(flat);
  }
  size_t at = 0;
  for (SmallVector<Value> &g : s)
    for (Value &v : g)
      v = masked.getResult(at++);
}

gpu::GPUFuncOp MmaSyncAttentionBuilder::build(StringRef name) {
  auto dynamic = [&](int64_t rank, Type t) {
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t);
  };
  Type f32 = b.getF32Type();
  SmallVector<Type> args = {dynamic(4, c.element), dynamic(4, c.element),
                            dynamic(4, c.element)};
  int64_t extra = c.partial() ? 1 : 0;
  args.push_back(dynamic(4 + extra, c.partial() ? f32 : c.output));
  bool lseArg = c.lse || c.partial();
  if (lseArg)
    args.push_back(dynamic(3 + extra, f32));
  auto func = b.create<gpu::GPUFuncOp>(name, b.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(32 * c.warps), 1, 1}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  Q = func.getArgument(0);
  K = func.getArgument(1);
  V = func.getArgument(2);
  out = func.getArgument(3);
  lse = lseArg ? func.getArgument(4) : Value();
  tid = k.threadId();
  lane = k.rem(tid, 32);
  warp = k.div(tid, 32);
  rowInBlock = k.add(k.mul(warp, 16 * groups), k.div(lane, 4));
  column0 = k.mul(k.rem(lane, 4), 2);
  w = getBlockWork(k, c, b.create<memref::DimOp>(Q, 2),
                   b.create<memref::DimOp>(K, 2));

  // Shared memory: Q, then the K ring, then the V ring.
  auto workgroup = gpu::AddressSpaceAttr::get(
      k.ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  Value raw = b.create<gpu::DynamicSharedMemoryOp>(MemRefType::get(
      {ShapedType::kDynamic}, b.getI8Type(), nullptr, workgroup));
  int64_t eb = c.elementBytes();
  auto view = [&](int64_t rows, int64_t cols, int64_t offset) -> Value {
    return b.create<memref::ViewOp>(
        MemRefType::get({rows, cols}, c.element, nullptr, workgroup), raw,
        k.idx(offset), ValueRange{});
  };
  int64_t qBytes = c.blockQ * widths.qkRow * eb;
  int64_t kBytes = c.stages * c.blockKV * widths.qkRow * eb;
  sharedQ = view(c.blockQ, widths.qkRow, 0);
  sharedK = view(c.stages * c.blockKV, widths.qkRow, qBytes);
  sharedV = view(c.stages * c.blockKV, widths.vRow, qBytes + kBytes);

  Value inf = k.f32(-std::numeric_limits<double>::infinity());
  Value zero = k.f32(0);
  int64_t oCount = widths.v / 2;
  Value count = k.sub(w.tileEnd, w.tileBegin);
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(k.ctx);

  // State: O per row group, then the max and sum of each row.
  SmallVector<Type> stateTypes(groups * oCount + 4 * groups, f32);
  auto any = b.create<scf::IfOp>(stateTypes, k.lt(k.idx(0), count),
                                 /*withElse=*/true);
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(any.thenBlock());
    // Q (its own group), then the ring's first stages - 1 tiles; tiles past
    // the block's last repeat it, keeping one group per step.
    // With pack_gqa the rows are head-major: a copy per head.
    SmallVector<Value> tokens;
    for (int64_t h = 0; h < c.headsPerBlock(); ++h)
      kit::asyncCopyTile(
          k,
          {Q, {w.batch, k.add(w.headBase, h)}, w.rowLo, k.idx(0), w.sq,
           k.idx(c.headDim), sharedQ, k.idx(h * c.rowsPerHead()),
           c.rowsPerHead(), widths.qk},
          32 * c.warps, tid, tokens);
    Value qGroup =
        b.create<nvgpu::DeviceAsyncCreateGroupOp>(tokenType, tokens);
    Value lastTile = k.sub(w.tileEnd, k.idx(1));
    for (int64_t s = 0; s + 1 < c.stages; ++s)
      loadTile(k.minu(k.add(w.tileBegin, s), lastTile), k.idx(s));
    // Q's group is complete once the tiles' are the only ones pending.
    b.create<nvgpu::DeviceAsyncWaitOp>(qGroup,
                                       b.getI32IntegerAttr(c.stages - 1));
    b.create<gpu::BarrierOp>();
    int64_t steps = widths.qk / 16;
    SmallVector<SmallVector<Value>> qFrag;
    Value laneMod16 = k.rem(lane, 16), laneDiv16 = k.div(lane, 16);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t ks = 0; ks < steps; ++ks) {
        Value row = k.add(k.add(k.mul(warp, 16 * groups), 16 * g), laneMod16);
        Value col = k.add(k.mul(laneDiv16, 8), 16 * ks);
        SmallVector<Value> regs;
        for (Value r : kit::ldmatrixX4(k, sharedQ, row, col, false))
          regs.push_back(kit::packMmaOperand(k, r));
        qFrag.push_back(regs);
      }

    SmallVector<Value> init(groups * oCount, zero);
    for (int64_t g = 0; g < groups; ++g)
      init.append({inf, inf, zero, zero});
    auto loop = b.create<scf::ForOp>(k.idx(0), count, k.idx(1), init);
    {
      OpBuilder::InsertionGuard body(b);
      b.setInsertionPointToStart(loop.getBody());
      Value t = loop.getInductionVar();
      ValueRange args = loop.getRegionIterArgs();
      SmallVector<SmallVector<Value>> o;
      SoftmaxState state;
      for (int64_t g = 0; g < groups; ++g) {
        o.push_back(llvm::to_vector(args.slice(g * oCount, oCount)));
        ValueRange st = args.slice(groups * oCount + 4 * g, 4);
        state.max.append({st[0], st[1]});
        state.sum.append({st[2], st[3]});
      }
      // Tile t's group is complete once at most stages - 2 are pending.
      b.create<nvgpu::DeviceAsyncWaitOp>(qGroup,
                                         b.getI32IntegerAttr(c.stages - 2));
      b.create<gpu::BarrierOp>();
      Value slot = k.rem(t, c.stages);
      Value tile = k.add(w.tileBegin, t);
      SmallVector<SmallVector<Value>> s = scores(slot, qFrag);
      mask(s, tile);
      SmallVector<Value> alpha = softmaxStep(k, c, s, state);
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t e = 0; e < oCount; ++e)
          o[g][e] = b.create<arith::MulFOp>(
              o[g][e],
              alpha[2 * g + kit::AccumulatorLayout::rowOffset(e) / 8]);
      // P as mma.sync A operands: i32 for bf16, vector<2xf16> for f16.
      SmallVector<SmallVector<Value>> p;
      for (int64_t g = 0; g < groups; ++g)
        p.append(packP(k, c.element, s[g]));
      if (c.element.isF16())
        for (SmallVector<Value> &regs : p)
          for (Value &r : regs)
            r = b.create<LLVM::BitcastOp>(VectorType::get({2}, c.element), r);
      accumulate(slot, p, o);
      // Refill the slot every warp finished with at the barrier above.
      Value fetch = k.add(t, c.stages - 1);
      loadTile(k.minu(k.add(w.tileBegin, fetch), lastTile),
               k.rem(fetch, c.stages));
      SmallVector<Value> yield;
      for (int64_t g = 0; g < groups; ++g)
        yield.append(o[g]);
      for (int64_t g = 0; g < groups; ++g)
        yield.append({state.max[2 * g], state.max[2 * g + 1],
                      state.sum[2 * g], state.sum[2 * g + 1]});
      b.create<scf::YieldOp>(yield);
    }
    b.create<nvgpu::DeviceAsyncWaitOp>(qGroup, b.getI32IntegerAttr(0));
    b.create<scf::YieldOp>(loop.getResults());
  }
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(any.elseBlock());
    SmallVector<Value> none(groups * oCount, zero);
    for (int64_t g = 0; g < groups; ++g)
      none.append({inf, inf, zero, zero});
    b.create<scf::YieldOp>(none);
  }
  SmallVector<SmallVector<Value>> o;
  SoftmaxState state;
  ValueRange results = any.getResults();
  for (int64_t g = 0; g < groups; ++g) {
    o.push_back(llvm::to_vector(results.slice(g * oCount, oCount)));
    ValueRange st = results.slice(groups * oCount + 4 * g, 4);
    state.max.append({st[0], st[1]});
    state.sum.append({st[2], st[3]});
  }
  storeRows(k, c, w, o, state, rowInBlock, column0, out, lse);
  b.create<gpu::ReturnOp>();
  return func;
}

} // namespace

int64_t mlir::tessera::attention::getMmaSyncAttentionSharedMemory(
    const AttentionConfig &c) {
  Widths widths(c);
  return (c.blockQ * widths.qkRow +
          c.stages * c.blockKV * (widths.qkRow + widths.vRow)) *
         c.elementBytes();
}

gpu::GPUFuncOp
mlir::tessera::attention::buildMmaSyncAttention(ImplicitLocOpBuilder &b,
                                                const AttentionConfig &c,
                                                StringRef name) {
  return MmaSyncAttentionBuilder(b, c).build(name);
}
