//===- AttentionFamily.cpp - tessera.attention / merge_attention on GPUs --===//
//
// Schedules (one validator for selection and building), kernel
// configurations and launch plans of the attention family, and the
// merge_attention family that reuses its merge kernel. The heuristic is
// documented in Passes.td (tessera-gpu-select-schedule).
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Attention/AttentionKernels.h"

#include "passes/Gpu/KernelFamily.h"
#include "passes/Gpu/Kit/KernelSignature.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::attention;
using namespace mlir::tessera::kernels;
using kit::cdivExpr;
using kit::valueDim;

AttentionConfig mlir::tessera::attention::getAttentionConfig(
    AttentionOp op, AttentionScheduleAttr s) {
  RankedTensorType q = op.getQ().getType(), k = op.getK().getType(),
                   v = op.getV().getType();
  AttentionConfig c;
  c.blockQ = s.getBlockQ();
  c.blockKV = s.getBlockKv();
  c.stages = s.getStages();
  c.warps = s.getWarps();
  c.splitKV = s.getSplitKv();
  c.packGqa = s.getPackGqa();
  c.pingpong = s.getPingpong();
  c.wgmma = s.getMma() == "wgmma";
  c.hq = q.getDimSize(1);
  c.hkv = k.getDimSize(1);
  c.headDim = q.getDimSize(3);
  c.valueDim = v.getDimSize(3);
  c.causal = op.getCausal();
  c.window = op.getWindow().value_or(0);
  c.scale = op.getScaleOrDefault();
  c.element = q.getElementType();
  c.output = op.getOut().getType().getElementType();
  c.lse = static_cast<bool>(op.getLse());
  return c;
}

/// Whether TMA and cp.async can copy rows of `d` elements of `t`: 16-byte
/// multiples.
static bool hasAlignedRows(int64_t d, Type t) {
  return d * t.getIntOrFloatBitWidth() % 128 == 0;
}

/// Checks what every schedule needs of the op on `target`.
static LogicalResult checkOperands(AttentionOp op, const GpuTarget &target) {
  Type element = op.getQ().getType().getElementType();
  if (!isa<BFloat16Type, Float16Type>(element))
    return op.emitOpError() << "has " << element
                            << " operands 'q', 'k' and 'v': " << target.name
                            << " attention kernels take bf16 or f16";
  int64_t d = op.getQ().getType().getDimSize(3);
  int64_t dv = op.getV().getType().getDimSize(3);
  for (auto [name, size] : {std::pair<StringRef, int64_t>{"q", d}, {"v", dv}})
    if (size > 256 || !hasAlignedRows(size, element))
      return op.emitOpError()
             << "has a head dimension of '" << name << "' (" << size
             << ") that the GPU kernels cannot load: they take up to 256, "
                "in multiples of 8 (rows of 16-byte multiples)";
  return success();
}

LogicalResult mlir::tessera::attention::checkAttentionSchedule(
    AttentionOp op, AttentionScheduleAttr s, const GpuTarget &target) {
  auto fail = [&]() {
    return op.emitOpError() << "schedule " << s << " does not fit "
                            << target.name << ": ";
  };
  AttentionConfig c = getAttentionConfig(op, s);
  if (c.wgmma && !target.wgmma)
    return fail() << "wgmma needs sm_90a";
  if (c.packGqa && (c.blockQ % c.group() || c.rowsPerHead() > 256))
    return fail() << "pack_gqa puts the " << c.group()
                  << " query heads of a KV head in one block: block_q must "
                     "be a multiple of "
                  << c.group();
  if (!c.wgmma && c.blockKV % 16)
    return fail() << "block_kv must be a multiple of 16";
  int64_t bytes = c.sharedMemoryBytes();
  if (bytes > target.sharedMemoryBytes)
    return fail() << "it needs " << bytes
                  << " bytes of shared memory, more than the "
                  << target.sharedMemoryBytes << " available";
  return success();
}

namespace {

/// The schedule of a family on `target` for one class.
AttentionScheduleAttr makeSchedule(AttentionOp op, const GpuTarget &target,
                                   bool wgmma, bool decode, int64_t maxSq) {
  MLIRContext *ctx = op.getContext();
  int64_t d = std::max(op.getQ().getType().getDimSize(3),
                       op.getV().getType().getDimSize(3));
  int64_t group =
      op.getQ().getType().getDimSize(1) / op.getK().getType().getDimSize(1);
  int64_t blockQ, blockKV, warps;
  if (wgmma) {
    // FlashAttention-3's tiles: 192 rows (3 consumers) for d <= 64, 128
    // rows otherwise; 80-key tiles at d = 256 keep O and S in registers.
    // Decode: one consumer of 64 rows (the query heads of a KV head).
    blockQ = decode ? 64 : (d <= 64 ? 192 : 128);
    blockKV = d <= 128 ? 128 : 80;
    warps = 4 * (blockQ / 64 + 1);
  } else {
    // FlashAttention-2's sm_80 design: 4 warps of 16 rows; 64-key tiles
    // (32 above d = 128, for shared memory).
    blockQ = 64;
    blockKV = d <= 128 ? 64 : 32;
    warps = 4;
  }
  bool pack = decode && group > 1 && blockQ % group == 0;
  // As deep a ring as shared memory holds, 2 to 4 stages.
  AttentionScheduleAttr s;
  for (int64_t stages = 4; stages >= 2; --stages) {
    s = AttentionScheduleAttr::get(ctx, blockQ, blockKV, stages, warps,
                                   /*split_kv=*/decode ? 0 : 1, pack,
                                   /*pingpong=*/false, maxSq,
                                   wgmma ? "wgmma" : "mma_sync");
    if (getAttentionConfig(op, s).sharedMemoryBytes() <=
        target.sharedMemoryBytes)
      break;
  }
  return s;
}

} // namespace

LogicalResult mlir::tessera::attention::selectAttentionSchedules(
    AttentionOp op, const GpuTarget &target) {
  if (failed(checkOperands(op, target)))
    return failure();
  if (ArrayAttr pinned = op.getSchedulesAttr()) {
    for (Attribute attr : pinned)
      if (failed(checkAttentionSchedule(
              op, cast<AttentionScheduleAttr>(attr), target)))
        return failure();
    return success();
  }
  bool wgmma = target.wgmma;
  int64_t group =
      op.getQ().getType().getDimSize(1) / op.getK().getType().getDimSize(1);
  // The decode class: the query rows of one KV head fit one block's 64.
  int64_t decodeRows = std::max<int64_t>(1, 64 / group);
  int64_t sq = op.getQ().getType().getDimSize(2);
  SmallVector<Attribute> schedules;
  if (ShapedType::isDynamic(sq)) {
    schedules.push_back(makeSchedule(op, target, wgmma, true, decodeRows));
    schedules.push_back(makeSchedule(op, target, wgmma, false, 0));
  } else {
    schedules.push_back(makeSchedule(op, target, wgmma, sq <= decodeRows, 0));
  }
  for (Attribute attr : schedules)
    if (failed(checkAttentionSchedule(op, cast<AttentionScheduleAttr>(attr),
                                      target)))
      return failure();
  op.setSchedulesAttr(ArrayAttr::get(op.getContext(), schedules));
  return success();
}

namespace {

/// The plan of one schedule: the attention kernel, and for split KV the
/// partial temporaries and the merge kernel.
FailureOr<Attribute> buildSchedule(AttentionOp op, AttentionScheduleAttr s,
                                   bool conditional, KernelBuildState &state) {
  MLIRContext *ctx = op.getContext();
  if (failed(checkAttentionSchedule(op, s, state.target)))
    return failure();
  AttentionConfig c = getAttentionConfig(op, s);
  c.l2Bytes = state.target.l2CacheBytes;
  unsigned q = 0, k = 1, v = 2, out = 3, lse = 4;
  unsigned oPart = 3 + op->getNumResults(), lsePart = oPart + 1;
  std::string batch = valueDim(q, 0), sq = valueDim(q, 2),
              skv = valueDim(k, 2);
  int64_t heads = c.packGqa ? c.hkv : c.hq;
  std::string rowTiles = cdivExpr(sq, c.rowsPerHead());
  std::string blocks = rowTiles + "*" + batch + "*" + std::to_string(heads);
  // Split KV at run time: the largest count whose blocks fit the SMs in
  // one wave (a second, partial wave would double a decode step's time),
  // keeping two KV tiles per split.
  std::string splits =
      c.splitKV ? std::to_string(c.splitKV)
                : "max(min(div(" + std::to_string(state.target.numSMs) + "," +
                      blocks + ")," + cdivExpr(cdivExpr(skv, c.blockKV), 2) +
                      "),1)";

  std::string name = state.uniqueName("tessera_attention");
  gpu::GPUFuncOp kernel = c.wgmma ? buildWgmmaAttention(state.b, c, name)
                                  : buildMmaSyncAttention(state.b, c, name);
  state.symbols.insert(kernel);
  kit::KernelSignature main(ctx, name);
  main.block(32 * c.warps).sharedMemory(c.sharedMemoryBytes());
  if (c.wgmma) {
    // Persistent: at most one block per SM walks the tiles.
    main.grid("min(" + blocks + "*" + splits + "," +
                  std::to_string(state.target.numSMs) + ")",
              "1", "1");
    main.tensorMap(q, {64, c.rowsPerHead(), c.headsPerBlock(), 1}, 128)
        .tensorMap(k, {64, c.blockKV, 1, 1}, 128)
        .tensorMap(v, {64, c.blockKV, 1, 1}, 128)
        .memref(q)
        .memref(k);
  } else {
    main.grid(rowTiles, batch + "*" + std::to_string(heads), splits)
        .memref(q)
        .memref(k)
        .memref(v);
  }
  std::string condition =
      conditional && s.getMaxSq() ? sq + " <= " + std::to_string(s.getMaxSq())
                                  : "";
  auto splitParam = [&]() {
    if (c.wgmma)
      main.i64(splits);
  };
  if (!c.partial()) {
    main.memref(out);
    if (c.lse)
      main.memref(lse);
    splitParam();
    return Attribute(kit::makeLaunchPlan(ctx, condition, {}, {main.get()}));
  }
  main.memref(oPart).memref(lsePart);
  splitParam();
  Type f32 = Float32Type::get(ctx);
  std::string hq = std::to_string(c.hq);
  Attribute partials = kit::makeTemporary(
      ctx, f32, {splits, batch, hq, sq, std::to_string(c.valueDim)}, false);
  Attribute lses =
      kit::makeTemporary(ctx, f32, {splits, batch, hq, sq}, false);
  MergeConfig m{/*stacked=*/true, /*rank=*/4, f32, c.output, c.lse};
  std::string mergeName = name + "_merge";
  state.symbols.insert(buildMergeKernel(state.b, m, mergeName));
  kit::KernelSignature merge(ctx, mergeName);
  merge
      .grid(cdivExpr(batch + "*" + hq + "*" + sq, kMergeRowsPerBlock), "1",
            "1")
      .block(32 * kMergeRowsPerBlock)
      .memref(oPart)
      .memref(lsePart)
      .memref(out);
  if (c.lse)
    merge.memref(lse);
  return Attribute(kit::makeLaunchPlan(ctx, condition, {partials, lses},
                                       {main.get(), merge.get()}));
}

class AttentionFamily final : public KernelFamily {
public:
  StringRef getOpName() const override {
    return AttentionOp::getOperationName();
  }

  LogicalResult selectSchedules(Operation *op,
                                const GpuTarget &target) const override {
    return selectAttentionSchedules(cast<AttentionOp>(op), target);
  }

  FailureOr<SmallVector<Attribute>>
  buildKernels(Operation *operation, KernelBuildState &state) const override {
    auto op = cast<AttentionOp>(operation);
    ArrayAttr schedules = op.getSchedulesAttr();
    if (!schedules)
      return op.emitOpError() << "has no 'schedules': run "
                                 "tessera-gpu-select-schedule first";
    SmallVector<Attribute> plans;
    for (Attribute attr : schedules) {
      FailureOr<Attribute> plan =
          buildSchedule(op, cast<AttentionScheduleAttr>(attr),
                        schedules.size() > 1, state);
      if (failed(plan))
        return failure();
      plans.push_back(*plan);
    }
    return plans;
  }

  SmallVector<DimSource> getResultDimSources(Operation *, unsigned,
                                             unsigned dim) const override {
    // out [B, Hq, Sq, Dv] and lse [B, Hq, Sq]: B of q, k, v; Sq of q.
    if (dim == 0)
      return {{0, 0}, {1, 0}, {2, 0}};
    if (dim == 2)
      return {{0, 2}};
    return {};
  }
};

class MergeAttentionFamily final : public KernelFamily {
public:
  StringRef getOpName() const override {
    return MergeAttentionOp::getOperationName();
  }

  LogicalResult selectSchedules(Operation *operation,
                                const GpuTarget &target) const override {
    auto op = cast<MergeAttentionOp>(operation);
    Type element = op.getO1().getType().getElementType();
    if (!isa<Float32Type, BFloat16Type, Float16Type>(element))
      return op.emitOpError() << "has " << element
                              << " partial outputs: the GPU merge kernel "
                                 "takes f32, bf16 or f16";
    return success();
  }

  FailureOr<SmallVector<Attribute>>
  buildKernels(Operation *operation, KernelBuildState &state) const override {
    auto op = cast<MergeAttentionOp>(operation);
    MLIRContext *ctx = op.getContext();
    if (failed(selectSchedules(op, state.target)))
      return failure();
    RankedTensorType o1 = op.getO1().getType();
    int64_t rank = o1.getRank();
    MergeConfig m{/*stacked=*/false, rank, o1.getElementType(),
                  op.getOut().getType().getElementType(), /*lse=*/true};
    std::string name = state.uniqueName("tessera_merge_attention");
    state.symbols.insert(buildMergeKernel(state.b, m, name));
    // Rows: every dimension of the result but Dv.
    unsigned out = 4;
    std::string rows = "1";
    for (int64_t d = 0; d + 1 < rank; ++d)
      rows += "*" + valueDim(out, d);
    kit::KernelSignature merge(ctx, name);
    merge.grid(cdivExpr(rows, kMergeRowsPerBlock), "1", "1")
        .block(32 * kMergeRowsPerBlock)
        .memref(0)
        .memref(1)
        .memref(2)
        .memref(3)
        .memref(out)
        .memref(out + 1);
    return SmallVector<Attribute>{
        kit::makeLaunchPlan(ctx, "", {}, {merge.get()})};
  }

  SmallVector<DimSource> getResultDimSources(Operation *, unsigned result,
                                             unsigned dim) const override {
    // out is o1's shape, lse lse1's.
    if (result == 0)
      return {{0, dim}, {2, dim}};
    return {{1, dim}, {3, dim}};
  }
};

} // namespace

const KernelFamily &mlir::tessera::kernels::getAttentionFamily() {
  static const AttentionFamily family;
  return family;
}

const KernelFamily &mlir::tessera::kernels::getMergeAttentionFamily() {
  static const MergeAttentionFamily family;
  return family;
}
