//===- MatmulSchedule.cpp - Schedules and kernel configs of matmuls -------===//
//
// Chooses the #tessera.schedule of a tessera.matmul for a GPU target,
// checks schedules that are already there (one validator, used by schedule
// selection and kernel building alike), and derives the kernel
// configuration of a schedule. The heuristic is documented in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Matmul/MatmulKernels.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::gpu_matmul;

namespace {

/// The GEMM a matmul op computes, as far as the schedule cares.
struct GemmShape {
  int64_t batch = 1; // ShapedType::kDynamic when unknown
  int64_t m, n, k;   // ShapedType::kDynamic when dynamic
  int64_t elementBytes, outputBytes;
};

GemmShape getGemmShape(MatmulOp op) {
  RankedTensorType a = op.getA().getType(), b = op.getB().getType();
  RankedTensorType result = op.getResult().getType();
  int64_t rank = result.getRank();
  GemmShape shape;
  for (int64_t d = 0; d + 2 < rank; ++d)
    shape.batch = ShapedType::isDynamic(result.getDimSize(d)) ||
                          ShapedType::isDynamic(shape.batch)
                      ? ShapedType::kDynamic
                      : shape.batch * result.getDimSize(d);
  shape.m = result.getDimSize(rank - 2);
  shape.n = result.getDimSize(rank - 1);
  shape.k = op.getTransposeA() ? a.getDimSize(a.getRank() - 2)
                               : a.getDimSize(a.getRank() - 1);
  if (ShapedType::isDynamic(shape.k))
    shape.k = op.getTransposeB() ? b.getDimSize(b.getRank() - 1)
                                 : b.getDimSize(b.getRank() - 2);
  shape.elementBytes =
      llvm::divideCeil(a.getElementType().getIntOrFloatBitWidth(), 8);
  shape.outputBytes = result.getElementType().getIntOrFloatBitWidth() / 8;
  return shape;
}

/// The split of K that fills the SMs when the grid alone does not.
int64_t chooseSplitK(const GpuTarget &target, const GemmShape &shape,
                     int64_t maxM, int64_t blockM, int64_t blockN,
                     int64_t blockK) {
  int64_t m = ShapedType::isDynamic(shape.m) ? maxM : shape.m;
  if (m <= 0 || ShapedType::isDynamic(shape.n) ||
      ShapedType::isDynamic(shape.k) || ShapedType::isDynamic(shape.batch))
    return 1;
  int64_t grid = shape.batch * llvm::divideCeil(m, blockM) *
                 llvm::divideCeil(shape.n, blockN);
  // Split only a grid that leaves most SMs idle: the workspace, its
  // clearing and the extra epilogue launch cost more than a half-full
  // machine loses (measured on the H100, M = 16, N = K = 4096: 64 blocks
  // unsplit ran at 0.94x cuBLAS, split in two at 0.57x).
  if (grid * 4 >= target.numSMs)
    return 1;
  int64_t split = target.numSMs / grid;
  // At least 4 block_k steps per split, so the pipeline still fills.
  split = std::min(split, shape.k / (4 * blockK));
  return std::max<int64_t>(split, 1);
}

/// The wgmma schedule (sm_90a) of the M class up to `maxM`: the largest of
/// 256 x 128, 128 x 256, 128 x 128 and 128 x 64 tiles (two consumer
/// warpgroups; fp8: the last two) whose tile count fills most SMs, else the
/// smallest; the largest when M is unknown. Then as many stages as shared
/// memory holds (at most 8; fp8: 4). Measured on the H100 (bf16): 256 x 128
/// x 64 with 4 stages ran at 1.00-1.04x cuBLAS on 2048^3 and 4096^3,
/// 128 x 256 at 0.89-1.02x; at M = 128, N = K = 4096, 128 x 64 (64 tiles)
/// ran at 1.15x, 128 x 128 (32 tiles) at 0.67x.
ScheduleAttr chooseWgmmaSchedule(MLIRContext *ctx, const GpuTarget &target,
                                 const GemmShape &shape, int64_t maxM) {
  int64_t m = ShapedType::isDynamic(shape.m) ? maxM : shape.m;
  bool known = m > 0 && !ShapedType::isDynamic(shape.n) &&
               !ShapedType::isDynamic(shape.batch);
  // fp8 keeps a second set of accumulators (promotion), which leaves room
  // for 128 x 128 tiles.
  static const std::pair<int64_t, int64_t> kTiles[] = {
      {256, 128}, {128, 256}, {128, 128}, {128, 64}};
  ArrayRef<std::pair<int64_t, int64_t>> tiles = kTiles;
  if (shape.elementBytes == 1)
    tiles = tiles.drop_front(2);
  auto [blockM, blockN] = tiles[0];
  for (auto [tm, tn] : tiles) {
    std::tie(blockM, blockN) = std::make_pair(tm, tn);
    if (!known)
      break;
    int64_t count = shape.batch * llvm::divideCeil(m, tm) *
                    llvm::divideCeil(shape.n, tn);
    if (count * 5 >= target.numSMs * 4 && (tm <= 128 || m > 128))
      break;
  }
  if (!ShapedType::isDynamic(shape.n) && shape.n <= 64)
    blockN = 64;
  // fp8 (128 x 128 x 128, H100, 4096^3 and 8192^3): 4 stages ran at
  // 0.86-0.93x cuBLASLt, 5 and 6 at 0.82-0.87x, 3 at 0.63-0.70x.
  int64_t blockK = 128 / shape.elementBytes;
  int64_t stages = shape.elementBytes == 1 ? 4 : 8;
  while (stages > 2 &&
         getWgmmaSharedMemoryBytes(blockM, blockN, blockK, stages, 12,
                                   shape.elementBytes, shape.outputBytes,
                                   /*swapAB=*/false, /*splitK=*/1) >
             target.sharedMemoryBytes)
    --stages;
  return ScheduleAttr::get(ctx, blockM, blockN, blockK, stages, /*warps=*/12,
                           /*cluster_m=*/1, /*cluster_n=*/1, /*swizzle=*/8,
                           /*split_k=*/1, maxM, "wgmma", /*swap_ab=*/false);
}

/// The swap_ab wgmma schedule (sm_90a) of a decode class (M <= 64, B stored
/// [N, K]): 64 rows of B per block on wgmma's m side, M rounded up to 8 on
/// its n side, one consumer warpgroup; K split over a cluster of 2 or 4
/// blocks while the tiles fill at most half the SMs (and each share keeps 8
/// K steps); as many stages as two blocks per SM leave room for, at most 8.
/// This is the shape of cuBLAS's decode kernels on the H100 (ncu, M = 16,
/// N = 4096, K = 14336: nvjet 64x16 tiles, split-K 2, 2.67 TB/s).
ScheduleAttr chooseSwapSchedule(MLIRContext *ctx, const GpuTarget &target,
                                const GemmShape &shape, int64_t maxM) {
  int64_t m = ShapedType::isDynamic(shape.m) ? maxM : shape.m;
  int64_t blockM = std::max<int64_t>(8, llvm::alignTo(m, 8)), blockN = 64;
  int64_t blockK = 128 / shape.elementBytes, split = 1;
  if (!ShapedType::isDynamic(shape.n) && !ShapedType::isDynamic(shape.batch) &&
      !ShapedType::isDynamic(shape.k)) {
    int64_t tiles = shape.batch * llvm::divideCeil(shape.n, blockN) *
                    llvm::divideCeil(m, blockM);
    int64_t kSteps = llvm::divideCeil(shape.k, blockK);
    while (split < 4 && tiles * split * 2 <= target.numSMs &&
           kSteps / (split * 2) >= 8)
      split *= 2;
  }
  int64_t stages = 8;
  while (stages > 2 &&
         2 * getWgmmaSharedMemoryBytes(blockM, blockN, blockK, stages, 8,
                                       shape.elementBytes, shape.outputBytes,
                                       /*swapAB=*/true, split) >
             target.sharedMemoryBytes)
    --stages;
  return ScheduleAttr::get(ctx, blockM, blockN, blockK, stages, /*warps=*/8,
                           /*cluster_m=*/1, /*cluster_n=*/1, /*swizzle=*/1,
                           split, maxM, "wgmma", /*swap_ab=*/true);
}

/// Which kernel family serves an op on the target.
enum class Family { MmaSync, Wgmma, WgmmaSwap };

/// The schedule of the M class up to `maxM` (0: unbounded).
ScheduleAttr chooseSchedule(MLIRContext *ctx, const GpuTarget &target,
                            const GemmShape &shape, int64_t maxM,
                            Family family) {
  int64_t blockM, blockN, blockK, stages, warps, swizzle = 1;
  bool skinny = maxM > 0 && maxM <= 64;
  if (family != Family::MmaSync && !skinny)
    return chooseWgmmaSchedule(ctx, target, shape, maxM);
  if (family == Family::WgmmaSwap)
    return chooseSwapSchedule(ctx, target, shape, maxM);
  if (skinny) {
    blockM = 32, blockN = 64, blockK = 64, stages = 4, warps = 4;
  } else {
    // The fastest of six schedules measured on the H100 at 4096^3 (bf16):
    // 128 x 128 x 64 with 3 stages and 8 warps.
    blockM = 128, blockN = 128, blockK = 64, stages = 3, warps = 8;
    swizzle = 8;
  }
  if (!ShapedType::isDynamic(shape.n) && shape.n < 128)
    blockN = std::min<int64_t>(blockN, 64);
  // Decode shapes are bound by reading the weights: narrower tiles put
  // every SM to work when 64-wide ones would leave some idle (ncu on the
  // H100, M = 16, N = K = 4096: 64 blocks, 6% achieved occupancy, 1.2 TB/s).
  // Such blocks are few (one per SM at most), so each keeps more bytes in
  // flight: 128-wide K steps, 6 deep (M = 16, N = 4096 on the H100: K =
  // 14336 went from 0.64x to 0.92x cuBLAS, K = 4096 from 0.89x to 1.44x).
  if (skinny && !ShapedType::isDynamic(shape.n) &&
      !ShapedType::isDynamic(shape.batch) &&
      shape.batch * static_cast<int64_t>(llvm::divideCeil(shape.n, blockN)) <
          target.numSMs) {
    blockN = 32;
    blockK = 128;
    stages = 6;
  }
  int64_t splitK =
      chooseSplitK(target, shape, maxM, blockM, blockN, blockK);
  return ScheduleAttr::get(ctx, blockM, blockN, blockK, stages, warps,
                           /*cluster_m=*/1, /*cluster_n=*/1, swizzle, splitK,
                           maxM, "mma_sync", /*swap_ab=*/false);
}

/// Checks `schedule` against `target` for `op`; emits an error naming the
/// parameter at fault.
LogicalResult checkSchedule(MatmulOp op, const GpuTarget &target,
                            const GemmShape &shape, ScheduleAttr s) {
  auto fail = [&]() {
    return op.emitOpError() << "schedule " << s << " does not fit "
                            << target.name << ": ";
  };
  if (s.getClusterM() != 1 || s.getClusterN() != 1)
    return fail() << "thread block clusters are not implemented yet";
  if (shape.elementBytes == 1 && s.getMma() != "wgmma")
    return fail() << "fp8 operands need mma = \"wgmma\"";
  if (s.getMma() == "wgmma") {
    if (!target.wgmma)
      return fail() << "wgmma needs sm_90a";
    if (s.getBlockK() * shape.elementBytes != 128)
      return fail() << "block_k must fill a 128-byte swizzled row ("
                    << 128 / shape.elementBytes << " elements)";
    // fp8 doubles the accumulators: at most 64 x 128 per consumer (its
    // share of the tile, swapped or not).
    int64_t accumulators =
        s.getBlockM() * s.getBlockN() / (s.getWarps() / 4 - 1);
    if (shape.elementBytes == 1 && accumulators > 64 * 128)
      return fail() << "fp8 accumulators are promoted into a second set, so "
                       "a consumer warpgroup computes at most 64 x 128 of "
                       "the tile, not "
                    << accumulators;
    if (!tmaCanLoad(op))
      return fail() << "TMA needs operands whose contiguous dimension is a "
                       "static multiple of 16 bytes";
    if (s.getSwapAb() && (op.getTransposeA() || !op.getTransposeB()))
      return fail() << "swap_ab needs B stored [N, K] (transpose_b) and A "
                       "stored [M, K]";
    int64_t bytes = getWgmmaSharedMemoryBytes(
        s.getBlockM(), s.getBlockN(), s.getBlockK(), s.getStages(),
        s.getWarps(), shape.elementBytes, shape.outputBytes, s.getSwapAb(),
        s.getSplitK());
    if (bytes > target.sharedMemoryBytes)
      return fail() << "its pipeline needs " << bytes
                    << " bytes of shared memory, more than the "
                    << target.sharedMemoryBytes << " available";
    return success();
  }
  // The kernels pad each shared-memory row by 16 bytes.
  int64_t rowBytes = (s.getBlockK() + 8) * shape.elementBytes;
  int64_t bytes = s.getStages() * (s.getBlockM() + s.getBlockN()) * rowBytes;
  if (bytes > target.sharedMemoryBytes)
    return fail() << "its pipeline needs about " << bytes
                  << " bytes of shared memory (stages x (block_m + block_n) "
                     "x (block_k + 8) x "
                  << shape.elementBytes << "), more than the "
                  << target.sharedMemoryBytes << " available";
  if (s.getBlockM() % 16 || s.getBlockN() % 16)
    return fail() << "block_m and block_n must be multiples of 16 (mma.sync "
                     "warp tiles)";
  return success();
}

/// Checks that the tensor cores of `target` take `op`'s operands.
LogicalResult checkOperands(MatmulOp op, const GpuTarget &target) {
  // The op's verifier has made 'a' and 'b' agree.
  Type a = op.getA().getType().getElementType();
  bool half = isa<BFloat16Type, Float16Type>(a);
  bool fp8 = isa<Float8E4M3FNType, Float8E5M2Type>(a);
  if (!half && !(fp8 && target.wgmma))
    return op.emitOpError() << "has " << a << " operands 'a' and 'b': "
                            << target.name
                            << " tensor-core GEMMs take bf16 or f16"
                            << (target.wgmma ? " or fp8" : "")
                            << (fp8 ? " (fp8 tensor cores need sm_90a)" : "");
  if (fp8 && (op.getTransposeA() || !op.getTransposeB()))
    return op.emitOpError() << "has fp8 operands, which wgmma reads K-major "
                               "only: A stored [M, K] and B stored [N, K] "
                               "(transpose_b)";
  if (fp8 && !tmaCanLoad(op))
    return op.emitOpError() << "has fp8 operands, which TMA loads: K must be "
                               "a static multiple of 16 (rows of 16-byte "
                               "multiples) and there may be one batch "
                               "dimension at most";
  if (op.getA().getType().getRank() > 3 || op.getB().getType().getRank() > 3)
    return op.emitOpError() << "has operands of rank > 3: GPU kernels take at "
                               "most one batch dimension";
  return success();
}

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

} // namespace

LogicalResult gpu_matmul::selectMatmulSchedules(MatmulOp op,
                                                const GpuTarget &target) {
  MLIRContext *ctx = op.getContext();
  if (failed(checkOperands(op, target)))
    return failure();
  GemmShape shape = getGemmShape(op);
  if (ArrayAttr pinned = op.getSchedulesAttr()) {
    for (Attribute attr : pinned)
      if (failed(checkSchedule(op, target, shape, cast<ScheduleAttr>(attr))))
        return failure();
    return success();
  }
  SmallVector<Attribute> schedules;
  Family family = Family::MmaSync;
  if (target.wgmma && tmaCanLoad(op))
    family = op.getTransposeB() && !op.getTransposeA() ? Family::WgmmaSwap
                                                      : Family::Wgmma;
  if (!ShapedType::isDynamic(shape.m)) {
    // One class: the static M itself (0 would mean unbounded).
    ScheduleAttr s = chooseSchedule(ctx, target, shape, shape.m, family);
    schedules.push_back(ScheduleAttr::get(
        ctx, s.getBlockM(), s.getBlockN(), s.getBlockK(), s.getStages(),
        s.getWarps(), s.getClusterM(), s.getClusterN(), s.getSwizzle(),
        s.getSplitK(), /*max_m=*/0, s.getMma(), s.getSwapAb()));
  } else {
    // wgmma serves M > 64 on sm_90a, with its own tiles up to 256 rows
    // (every dynamic-M matmul of a function takes the same classes).
    SmallVector<int64_t> classes = {64, 0};
    if (target.wgmma)
      classes = {64, 256, 0};
    for (int64_t maxM : classes)
      schedules.push_back(chooseSchedule(ctx, target, shape, maxM, family));
  }
  op.setSchedulesAttr(ArrayAttr::get(ctx, schedules));
  return success();
}

FailureOr<KernelConfig> gpu_matmul::getKernelConfig(MatmulOp op,
                                                    ScheduleAttr s,
                                                    const GpuTarget &target) {
  MLIRContext *ctx = op.getContext();
  if (failed(checkOperands(op, target)) ||
      failed(checkSchedule(op, target, getGemmShape(op), s)))
    return failure();
  RankedTensorType aType = op.getA().getType(), bType = op.getB().getType();
  RankedTensorType cType = op.getResult().getType();
  KernelConfig config;
  config.wgmma = s.getMma() == "wgmma";
  config.swapAB = s.getSwapAb();
  config.maxBlocks = target.numSMs;
  std::optional<std::pair<int64_t, int64_t>> grid = {{1, 1}};
  if (!config.wgmma) {
    grid = chooseWarpGrid(s.getBlockM(), s.getBlockN(), s.getWarps());
    if (!grid)
      return op.emitOpError() << "schedule " << s
                              << " has no warp grid with 16 x 16 warp tiles";
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
  config.element = aType.getElementType();
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
  config.alpha = workspace ? 1.0f : op.getAlpha().convertToFloat();
  config.epilogue = workspace ? Epilogue::None : op.getEpilogue();
  if (config.sharedMemoryBytes() > target.sharedMemoryBytes)
    return op.emitOpError() << "schedule " << s << " needs "
                            << config.sharedMemoryBytes()
                            << " bytes of shared memory";
  return config;
}
