//===- MatmulFamily.cpp - tessera.matmul on the GPU targets --------------===//
//
// The matmul family: schedules from MatmulSchedule.cpp, kernels from
// WgmmaKernel.cpp and MmaSyncKernel.cpp, and the launch plan of each
// schedule: one launch (persistent wgmma, a swap_ab cluster per tile, or an
// mma.sync grid), or for mma.sync split-K a zeroed f32 workspace, the
// partial-sum kernel and an epilogue kernel.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/KernelFamily.h"
#include "passes/Gpu/Kit/KernelSignature.h"
#include "passes/Gpu/Matmul/MatmulKernels.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::kernels;
using namespace mlir::tessera::gpu_matmul;
using kit::cdivExpr;
using kit::valueDim;

namespace {

class MatmulFamily final : public KernelFamily {
public:
  StringRef getOpName() const override { return MatmulOp::getOperationName(); }

  LogicalResult selectSchedules(Operation *op,
                                const GpuTarget &target) const override {
    return selectMatmulSchedules(cast<MatmulOp>(op), target);
  }

  FailureOr<SmallVector<Attribute>>
  buildKernels(Operation *op, KernelBuildState &state) const override;

  SmallVector<DimSource> getResultDimSources(Operation *operation, unsigned,
                                             unsigned dim) const override {
    auto op = cast<MatmulOp>(operation);
    int64_t rankA = op.getA().getType().getRank();
    int64_t rankB = op.getB().getType().getRank();
    int64_t rank = op.getResult().getType().getRank();
    if (dim + 2 == rank)
      return {{0, static_cast<unsigned>(op.getTransposeA() ? rankA - 1
                                                           : rankA - 2)}};
    if (dim + 1 == rank)
      return {{1, static_cast<unsigned>(op.getTransposeB() ? rankB - 2
                                                           : rankB - 1)}};
    // The batch: the operand's that is not a broadcast.
    SmallVector<DimSource> sources;
    if (rankB == 3)
      sources.push_back({1, 0});
    if (rankA == 3)
      sources.push_back({0, 0});
    return sources;
  }
};

/// `s` without its M class: schedules of two classes that are equal but
/// for it share their kernels.
ScheduleAttr withoutClass(ScheduleAttr s) {
  return ScheduleAttr::get(s.getContext(), s.getBlockM(), s.getBlockN(),
                           s.getBlockK(), s.getStages(), s.getWarps(),
                           s.getClusterM(), s.getClusterN(), s.getSwizzle(),
                           s.getSplitK(), /*max_m=*/0, s.getMma(),
                           s.getSwapAb(), s.getStreamK());
}

/// The plan of one schedule of `op`: its kernels are built into `state`,
/// unless `built` names those of an equal schedule of another class.
FailureOr<Attribute>
buildSchedule(MatmulOp op, ScheduleAttr s, bool conditional,
              KernelBuildState &state,
              llvm::DenseMap<Attribute, std::string> &built) {
  MLIRContext *ctx = op.getContext();
  FailureOr<KernelConfig> config = getKernelConfig(op, s, state.target);
  if (failed(config))
    return failure();
  const KernelConfig &c = *config;
  // The op's values: a, b, then its optional bias and scales, then the
  // result and the temporaries.
  auto operandIndex = [&](unsigned group) {
    return static_cast<unsigned>(op.getODSOperandIndexAndLength(group).first);
  };
  unsigned a = 0, b = 1, bias = operandIndex(2), scaleA = operandIndex(3),
           scaleB = operandIndex(4);
  unsigned result = op->getNumOperands(), workspace = result + 1;
  int64_t rank = op.getResult().getType().getRank();
  std::string m = valueDim(result, rank - 2), n = valueDim(result, rank - 1);
  std::string batch = rank == 3 ? valueDim(result, 0) : "1";
  std::string tilesM = cdivExpr(m, c.blockM), tilesN = cdivExpr(n, c.blockN);

  auto [known, fresh] = built.try_emplace(withoutClass(s));
  if (fresh) {
    known->second = state.uniqueName("tessera_matmul");
    state.symbols.insert(c.wgmma
                             ? buildWgmmaKernel(state.b, c, known->second)
                             : buildMmaSyncKernel(state.b, c, known->second));
  }
  std::string name = known->second;
  kit::KernelSignature main(ctx, name);
  main.block(32 * c.warps).sharedMemory(c.sharedMemoryBytes());
  if (c.wgmma) {
    main.tensorMap(a, getTensorMapBox(c, /*operandB=*/false), 128)
        .tensorMap(b, getTensorMapBox(c, /*operandB=*/true), 128);
    if (c.swapAB) { // a cluster of split_k blocks along x per tile
      main.grid(std::to_string(c.splitK), tilesM + "*" + tilesN, batch);
      if (c.splitK > 1)
        main.cluster(c.splitK);
    } else if (c.streamK) { // persistent: every SM shares the K steps
      main.grid(std::to_string(c.maxBlocks), "1", "1");
    } else { // persistent: one block per SM at most, walking the tiles
      main.grid("min(" + batch + "*" + tilesM + "*" + tilesN + "," +
                    std::to_string(c.maxBlocks) + ")",
                "1", "1");
    }
  } else {
    main.grid(tilesN, tilesM, batch);
  }
  main.memref(a).memref(b);
  if (op.getScaleA())
    main.memref(scaleA).memref(scaleB);
  std::string condition =
      conditional && s.getMaxM() ? m + " <= " + std::to_string(s.getMaxM())
                                 : "";
  if (c.splitK == 1 || c.wgmma) {
    if (op.getBias())
      main.memref(bias);
    main.memref(result);
    if (!c.streamK)
      return Attribute(kit::makeLaunchPlan(ctx, condition, {}, {main.get()}));
    // stream_k: a partial-sum slot and a flag (zeroed) per block.
    main.memref(workspace).memref(workspace + 1);
    std::string blocks = std::to_string(c.maxBlocks);
    Attribute partialSums = kit::makeTemporary(
        ctx, Float32Type::get(ctx),
        {std::to_string(c.maxBlocks * c.blockM * c.blockN)}, /*zero=*/false);
    Attribute flags = kit::makeTemporary(ctx, IntegerType::get(ctx, 32),
                                         {blocks}, /*zero=*/true);
    return Attribute(kit::makeLaunchPlan(ctx, condition, {partialSums, flags},
                                         {main.get()}));
  }
  // mma.sync split-K: partial sums into a zeroed f32 workspace [batch, M,
  // N], then the epilogue kernel.
  main.grid(tilesN, tilesM, batch + "*" + std::to_string(c.splitK));
  main.memref(workspace);
  KernelConfig finish = c;
  RankedTensorType cType = op.getResult().getType();
  finish.output = cType.getElementType();
  finish.biasElement =
      op.getBias()
          ? cast<RankedTensorType>(op.getBias().getType()).getElementType()
          : Type();
  finish.rankC = cType.getRank();
  finish.alpha = op.getAlpha().convertToFloat();
  finish.epilogue = op.getEpilogue();
  if (fresh)
    state.symbols.insert(
        buildSplitKEpilogue(state.b, finish, name + "_epilogue"));
  kit::KernelSignature epilogue(ctx, name + "_epilogue");
  epilogue.grid(cdivExpr(batch + "*" + m + "*" + n, 256), "1", "1")
      .block(256)
      .memref(workspace);
  if (op.getBias())
    epilogue.memref(bias);
  epilogue.memref(result);
  Attribute temporary = kit::makeTemporary(ctx, Float32Type::get(ctx),
                                           {batch, m, n}, /*zero=*/true);
  return Attribute(kit::makeLaunchPlan(ctx, condition, {temporary},
                                       {main.get(), epilogue.get()}));
}

FailureOr<SmallVector<Attribute>>
MatmulFamily::buildKernels(Operation *operation,
                           KernelBuildState &state) const {
  auto op = cast<MatmulOp>(operation);
  ArrayAttr schedules = op.getSchedulesAttr();
  if (!schedules)
    return op.emitOpError() << "has no 'schedules': run "
                               "tessera-gpu-select-schedule first";
  SmallVector<Attribute> plans;
  llvm::DenseMap<Attribute, std::string> built;
  for (Attribute attr : schedules) {
    FailureOr<Attribute> plan = buildSchedule(
        op, cast<ScheduleAttr>(attr), schedules.size() > 1, state, built);
    if (failed(plan))
      return failure();
    plans.push_back(*plan);
  }
  return plans;
}

} // namespace

const KernelFamily &mlir::tessera::kernels::getMatmulFamily() {
  static const MatmulFamily family;
  return family;
}
