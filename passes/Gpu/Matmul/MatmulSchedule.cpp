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
  // An empty grid (N or the batch 0) has nothing to split.
  if (grid == 0 || grid * 4 >= target.numSMs)
    return 1;
  int64_t split = target.numSMs / grid;
  // At least 4 block_k steps per split, so the pipeline still fills.
  split = std::min(split, shape.k / (4 * blockK));
  return std::max<int64_t>(split, 1);
}

/// The deepest ring (at most 8 stages, fp8 4 without swap_ab) with which
/// `blocksPerSM` blocks of the schedule fit in shared memory, or 0.
int64_t chooseStages(const GpuTarget &target, const GemmShape &shape,
                     int64_t blockM, int64_t blockN, int64_t warps, bool swapAB,
                     int64_t splitK, int64_t blocksPerSM) {
  int64_t blockK = 128 / shape.elementBytes;
  int64_t stages = shape.elementBytes == 1 && !swapAB ? 4 : 8;
  for (; stages >= 2; --stages)
    if (blocksPerSM * getWgmmaSharedMemoryBytes(blockM, blockN, blockK, stages,
                                                warps, shape.elementBytes,
                                                shape.outputBytes, swapAB,
                                                splitK) <=
        target.sharedMemoryBytes)
      return stages;
  return 0;
}

/// The persistent wgmma kernel's tiles (two consumer warpgroups), largest
/// first: 256 x 128, 128 x 256, 128 x 128, 128 x 64. fp8 keeps a second set
/// of accumulators (promotion), which leaves room for the last two only.
ArrayRef<std::pair<int64_t, int64_t>>
getPersistentTiles(const GemmShape &shape) {
  static const std::pair<int64_t, int64_t> kTiles[] = {
      {256, 128}, {128, 256}, {128, 128}, {128, 64}};
  ArrayRef<std::pair<int64_t, int64_t>> tiles = kTiles;
  return shape.elementBytes == 1 ? tiles.drop_front(2) : tiles;
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
  ArrayRef<std::pair<int64_t, int64_t>> tiles = getPersistentTiles(shape);
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
  // At least 2 stages: a schedule that does not fit is the checker's error.
  int64_t blockK = 128 / shape.elementBytes;
  int64_t stages = std::max<int64_t>(
      2, chooseStages(target, shape, blockM, blockN, /*warps=*/12,
                      /*swapAB=*/false, /*splitK=*/1, /*blocksPerSM=*/1));
  return ScheduleAttr::get(ctx, blockM, blockN, blockK, stages, /*warps=*/12,
                           /*cluster_m=*/1, /*cluster_n=*/1, /*swizzle=*/8,
                           /*split_k=*/1, maxM, "wgmma", /*swap_ab=*/false,
                           /*stream_k=*/false);
}

/// Blocks of a swap_ab kernel per SM: two for small tiles (one consumer,
/// at most 64 tokens), whose blocks are short and wait on memory; one
/// otherwise.
int64_t swapBlocksPerSM(int64_t tokens, int64_t warps) {
  return tokens <= 64 && warps == 8 ? 2 : 1;
}

/// The swap_ab wgmma schedule (sm_90a, B stored [N, K]): `rows` rows of B
/// per block on wgmma's m side (64: one consumer warpgroup, 128: two),
/// `tokens` rows of A on its n side, K split over a cluster of `splitK`
/// blocks; or null where it does not fit (registers, shared memory, the
/// cluster, 4 K steps per share).
ScheduleAttr getSwapSchedule(MLIRContext *ctx, const GpuTarget &target,
                             const GemmShape &shape, int64_t tokens,
                             int64_t rows, int64_t splitK, int64_t maxM) {
  int64_t warps = rows == 64 ? 8 : 12;
  // f32 accumulators per consumer thread: tokens / 2 (promoted: twice).
  int64_t limit = promotesAccumulators(shape.elementBytes, shape.outputBytes,
                                       /*swapAB=*/true)
                      ? 128
                      : 256;
  int64_t blockK = 128 / shape.elementBytes;
  if (tokens % 8 || tokens > limit || splitK > target.maxClusterBlocks ||
      (!ShapedType::isDynamic(shape.k) && splitK > 1 &&
       static_cast<int64_t>(llvm::divideCeil(shape.k, blockK)) < 4 * splitK))
    return {};
  int64_t stages =
      chooseStages(target, shape, tokens, rows, warps, /*swapAB=*/true, splitK,
                   swapBlocksPerSM(tokens, warps));
  if (stages < 3)
    return {};
  return ScheduleAttr::get(ctx, tokens, rows, blockK, stages, warps,
                           /*cluster_m=*/1, /*cluster_n=*/1, /*swizzle=*/1,
                           splitK, maxM, "wgmma", /*swap_ab=*/true,
                           /*stream_k=*/false);
}

/// The cost model's constants, fitted (least squares on log time) to 140
/// schedules timed on the H100 across the token-count sweep
/// (docs/benchmarks.md): wgmma n side at which a tensor core runs at half
/// rate, swap_ab's rate, the factor by which the busy SMs' DRAM draw
/// exceeds their share, swap_ab's element-wise stores against 16-byte
/// rows, and a cluster reduction's fixed seconds and bytes/s.
constexpr double kHalfRateN = 37.7, kSwapRate = 0.91, kDramDraw = 2.7,
                 kSwapStoreCost = 2.07, kClusterReduceSeconds = 4.9e-6,
                 kClusterReduceBytesPerSecond = 12.6e9;

/// The modelled seconds of schedule `s` (wgmma) on `shape` with `m` rows
/// (static N, K and batch): the slowest of the busiest SM's tensor-core
/// time, its operand reads from L2, all blocks' L2 reads together and the
/// DRAM traffic at the bandwidth the busy SMs can draw (B read again at
/// half cost by each tile row of A after the first), plus the epilogue's
/// stores and, for split K, the cluster reduction. Tiles are computed
/// whole: padding rows cost time.
double estimateSeconds(const GpuTarget &target, const GemmShape &shape,
                       int64_t m, ScheduleAttr s) {
  double sms = static_cast<double>(target.numSMs);
  int64_t eb = shape.elementBytes, split = s.getSplitK();
  int64_t tileRows = llvm::divideCeil(m, s.getBlockM());
  int64_t tiles =
      shape.batch * tileRows * llvm::divideCeil(shape.n, s.getBlockN());
  int64_t kSteps = llvm::divideCeil(shape.k, s.getBlockK());
  // Work in K steps: per SM (the busiest) and in all.
  int64_t steps = tiles * llvm::alignTo(kSteps, split);
  double perSM =
      static_cast<double>(llvm::divideCeil(tiles * split, target.numSMs)) *
      llvm::divideCeil(kSteps, split);
  int64_t mmaN = s.getSwapAb() ? s.getBlockM() : s.getBlockN();
  double rate = target.tensorFlops * (eb == 1 ? 2 : 1) / sms * mmaN /
                (mmaN + kHalfRateN) * (s.getSwapAb() ? kSwapRate : 1.0);
  double stepFlops = 2.0 * s.getBlockM() * s.getBlockN() * s.getBlockK();
  double stepBytes =
      static_cast<double>(s.getBlockM() + s.getBlockN()) * s.getBlockK() * eb;
  double compute = perSM * stepFlops / rate;
  double smReads = perSM * stepBytes / target.smL2BytesPerSecond;
  double l2Reads = steps * stepBytes / target.l2BytesPerSecond;
  double active = static_cast<double>(std::min(tiles * split, target.numSMs));
  double dramBytes =
      static_cast<double>(shape.batch) *
      ((m + shape.n * (1 + 0.5 * (tileRows - 1))) * shape.k * eb +
       m * shape.n * shape.outputBytes);
  double dram = dramBytes / (target.memoryBytesPerSecond *
                             std::min(1.0, kDramDraw * active / sms));
  double tileBytes =
      static_cast<double>(s.getBlockM()) * s.getBlockN() * shape.outputBytes;
  double stores = static_cast<double>(llvm::divideCeil(tiles, target.numSMs)) *
                  tileBytes * (s.getSwapAb() ? kSwapStoreCost : 1.0) /
                  (target.memoryBytesPerSecond / sms);
  double reduce = 0;
  if (s.getSwapAb() && split > 1)
    reduce = kClusterReduceSeconds + (split - 1) * s.getBlockM() *
                                         s.getBlockN() * 4.0 /
                                         kClusterReduceBytesPerSecond;
  return std::max({compute, smReads, l2Reads, dram}) + stores + reduce;
}

/// The schedules the cost model picks from for at most `maxM` rows (all
/// of sm_90a's wgmma ones when B is stored [N, K]): the persistent tiles
/// (256 x 128, 128 x 256, 128 x 128, 128 x 64; fp8 the last two), and
/// swap_ab with 64 or 128 rows of B by `maxM` split in 1 to 8 token tiles
/// (multiples of 8), unsplit or split over 2, 4 or 8 blocks. Not stream-K:
/// on the H100 it was slower than the same tile without it at every
/// token count measured (docs/benchmarks.md), as each block's run of K
/// steps spans several tiles, so the tiles computed at once lie far apart
/// and their operands miss in L2.
SmallVector<ScheduleAttr> getCandidates(MLIRContext *ctx,
                                        const GpuTarget &target,
                                        const GemmShape &shape, int64_t maxM,
                                        int64_t classMaxM) {
  SmallVector<ScheduleAttr> candidates;
  int64_t blockK = 128 / shape.elementBytes;
  for (auto [tm, tn] : getPersistentTiles(shape))
    if (int64_t stages =
            chooseStages(target, shape, tm, tn, 12, /*swapAB=*/false, 1, 1))
      candidates.push_back(ScheduleAttr::get(
          ctx, tm, tn, blockK, stages, /*warps=*/12, /*cluster_m=*/1,
          /*cluster_n=*/1, /*swizzle=*/8, /*split_k=*/1, classMaxM, "wgmma",
          /*swap_ab=*/false, /*stream_k=*/false));
  SmallVector<int64_t> tokenTiles;
  for (int64_t parts = 1; parts <= 8; ++parts) {
    int64_t tokens =
        std::max<int64_t>(8, llvm::alignTo(llvm::divideCeil(maxM, parts), 8));
    if (!llvm::is_contained(tokenTiles, tokens))
      tokenTiles.push_back(tokens);
  }
  for (int64_t tokens : tokenTiles)
    for (int64_t rows : {64, 128})
      for (int64_t split : {1, 2, 4, 8})
        if (ScheduleAttr s = getSwapSchedule(ctx, target, shape, tokens, rows,
                                             split, classMaxM))
          candidates.push_back(s);
  return candidates;
}

/// The candidate of least modelled time at `m` rows.
ScheduleAttr chooseModelledSchedule(MLIRContext *ctx, const GpuTarget &target,
                                    const GemmShape &shape, int64_t m) {
  ScheduleAttr best;
  double bestTime = 0;
  for (ScheduleAttr s : getCandidates(ctx, target, shape, m, m)) {
    double time = estimateSeconds(target, shape, m, s);
    if (!best || time < bestTime)
      std::tie(best, bestTime) = std::make_pair(s, time);
  }
  return best;
}

/// The M classes of dynamic-M matmuls whose B is stored [N, K] on sm_90a:
/// a class holds M up to its bound, after the previous bound (0: any M).
/// Fine enough that one schedule per class is within a few percent of the
/// schedule chosen for each exact M.
constexpr int64_t kTokenClasses[] = {8,   16,  24,  32,  48,   64,   96, 128,
                                     192, 256, 384, 512, 1024, 2048, 0};

/// The schedule of the M class (`lowM`, `maxM`] (`maxM` 0: unbounded): of
/// the class's candidates, the one whose modelled time, relative to the
/// best schedule for each exact M, is least at the class's worst M of the
/// first, middle and last.
ScheduleAttr chooseClassSchedule(MLIRContext *ctx, const GpuTarget &target,
                                 const GemmShape &shape, int64_t lowM,
                                 int64_t maxM) {
  SmallVector<int64_t> samples = {lowM + 1, (lowM + 1 + maxM) / 2, maxM};
  if (maxM == 0)
    samples = {lowM + 1, 2 * lowM, 4 * lowM};
  SmallVector<double> best;
  for (int64_t m : samples)
    best.push_back(estimateSeconds(
        target, shape, m, chooseModelledSchedule(ctx, target, shape, m)));
  ScheduleAttr chosen;
  double chosenRatio = 0;
  for (ScheduleAttr s :
       getCandidates(ctx, target, shape, maxM ? maxM : 4 * lowM, maxM)) {
    double ratio = 0;
    for (auto [m, b] : llvm::zip(samples, best))
      ratio = std::max(ratio, estimateSeconds(target, shape, m, s) / b);
    if (!chosen || ratio < chosenRatio)
      std::tie(chosen, chosenRatio) = std::make_pair(s, ratio);
  }
  return chosen;
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
  if (family == Family::WgmmaSwap) // N unknown: one unsplit 64-row tile
    return getSwapSchedule(ctx, target, shape,
                           std::max<int64_t>(8, llvm::alignTo(maxM, 8)),
                           /*rows=*/64, /*splitK=*/1, maxM);
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
                           maxM, "mma_sync", /*swap_ab=*/false,
                           /*stream_k=*/false);
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
    // Promoted accumulators (fp8; an f32 output of swap_ab) are kept
    // twice: at most 64 x 128 per consumer (its share of the tile).
    int64_t accumulators =
        s.getBlockM() * s.getBlockN() / (s.getWarps() / 4 - 1);
    if (promotesAccumulators(shape.elementBytes, shape.outputBytes,
                             s.getSwapAb()) &&
        accumulators > 64 * 128)
      return fail() << (shape.elementBytes == 1 ? "fp8" : "f32 swap_ab")
                    << " accumulators are promoted into a second set, so "
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
  // B stored [N, K] with N, K and the batch known: the cost model's
  // choice among every wgmma schedule.
  bool modelled =
      family == Family::WgmmaSwap && !ShapedType::isDynamic(shape.n) &&
      !ShapedType::isDynamic(shape.k) && !ShapedType::isDynamic(shape.batch);
  if (!ShapedType::isDynamic(shape.m)) {
    // One class: the static M itself (0 would mean unbounded).
    ScheduleAttr s = modelled
                         ? chooseModelledSchedule(ctx, target, shape, shape.m)
                         : chooseSchedule(ctx, target, shape, shape.m, family);
    schedules.push_back(ScheduleAttr::get(
        ctx, s.getBlockM(), s.getBlockN(), s.getBlockK(), s.getStages(),
        s.getWarps(), s.getClusterM(), s.getClusterN(), s.getSwizzle(),
        s.getSplitK(), /*max_m=*/0, s.getMma(), s.getSwapAb(), s.getStreamK()));
  } else if (modelled) {
    int64_t lowM = 0;
    for (int64_t maxM : kTokenClasses) {
      schedules.push_back(chooseClassSchedule(ctx, target, shape, lowM, maxM));
      lowM = maxM;
    }
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
  config.blocksPerSM =
      config.swapAB ? swapBlocksPerSM(s.getBlockM(), s.getWarps()) : 1;
  config.streamK = s.getStreamK();
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
