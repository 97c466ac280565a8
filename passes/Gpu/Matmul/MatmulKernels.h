//===- MatmulKernels.h - The matmul family's kernels ------------*- C++ -*-===//
//
// The matmul family (MatmulFamily.cpp) builds two kernels from the kit:
// mma.sync (MmaSyncKernel.cpp, sm_80 and later) and wgmma (WgmmaKernel.cpp,
// sm_90a). Both read this configuration; MatmulSchedule.cpp chooses and
// checks the schedules it comes from.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_MATMUL_MATMULKERNELS_H
#define TESSERA_PASSES_GPU_MATMUL_MATMULKERNELS_H

#include "passes/Gpu/Kit/Epilogue.h"
#include "runtime/lib/GpuTargets.h"

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::tessera::gpu_matmul {

using ::tessera::GpuTarget;

/// Whether `t`'s rows (its contiguous dimension) are a static multiple of
/// 16 bytes, as cp.async and TMA copy them.
bool hasAlignedRows(RankedTensorType t);

/// Whether TMA can load both operands of `op`: aligned, non-empty rows and
/// at most one batch dimension.
bool tmaCanLoad(MatmulOp op);

/// Whether a wgmma kernel promotes its accumulators: each K step's products
/// start from zero in a second register set, added into the f32
/// accumulators in IEEE f32. The tensor cores add with fewer bits than f32
/// (truncating), which fp8 always needs undone, and an f32 output of the
/// swapped kernel, whose few accumulators make it cheap (its error then
/// matches the mma.sync kernels', not the 20x larger unpromoted one).
bool promotesAccumulators(int64_t elementBytes, int64_t outputBytes,
                          bool swapAB);

/// Everything a kernel's code depends on.
struct KernelConfig {
  int64_t blockM, blockN, blockK, stages, warps, swizzle, splitK;
  bool wgmma;
  /// wgmma with A and B swapped (decode): B's rows are wgmma's m side.
  bool swapAB;
  /// wgmma kernels are persistent: at most this many blocks (the SMs).
  int64_t maxBlocks;
  /// wgmma: the blocks that share an SM (launch bounds, register split).
  int64_t blocksPerSM = 1;
  /// wgmma without swap_ab: the blocks share all tiles' K steps evenly;
  /// the kernel takes an f32 workspace of maxBlocks x blockM x blockN and
  /// maxBlocks zeroed i32 flags after C.
  bool streamK = false;
  int64_t warpsM, warpsN; // mma.sync warp grid
  Type element;           // A's: bf16, f16 or (wgmma) an fp8 type
  Type elementB;          // B's: element, or the other fp8 type
  Type output;            // f32, bf16 or f16
  Type biasElement;       // null without bias
  /// The kernel takes scale_a and scale_b (0-D f32) after A and B.
  bool scaled = false;
  bool transposeA, transposeB;
  /// mma.sync, 16-byte rows: cp.async; otherwise element loads.
  bool asyncCopyA, asyncCopyB;
  int64_t rankA, rankB, rankC;
  float alpha;
  Epilogue epilogue;

  int64_t elementBytes() const { return element.getIntOrFloatBitWidth() / 8; }
  /// wgmma: each K step's products go to fresh accumulators that are then
  /// added in f32 (promotesAccumulators).
  bool promote() const {
    return promotesAccumulators(elementBytes(),
                                output.getIntOrFloatBitWidth() / 8, swapAB);
  }
  int64_t tileM() const { return blockM / warpsM; }
  int64_t tileN() const { return blockN / warpsN; }
  /// mma.sync shared-memory tiles, padded by 8 elements (16 bytes) per row
  /// so that the 8 rows an ldmatrix reads fall in different banks.
  int64_t aRows() const { return transposeA ? blockK : blockM; }
  int64_t aCols() const { return (transposeA ? blockM : blockK) + 8; }
  int64_t bRows() const { return transposeB ? blockN : blockK; }
  int64_t bCols() const { return (transposeB ? blockK : blockN) + 8; }
  int64_t stageElements() const {
    return aRows() * aCols() + bRows() * bCols();
  }
  /// wgmma: consumer warpgroups, the rows of the wgmma m side each
  /// computes, and the n side of the instructions.
  int64_t consumers() const { return warps / 4 - 1; }
  int64_t consumerRows() const {
    return (swapAB ? blockN : blockM) / consumers();
  }
  int64_t mmaN() const { return swapAB ? blockM : blockN; }
  int64_t sharedMemoryBytes() const;
  kit::EpilogueSpec epilogueSpec() const {
    return {alpha, epilogue, output};
  }
};

/// The configuration of `op`'s kernel for schedule `s` on `target`, or an
/// error on `op` naming what the kernel cannot do.
FailureOr<KernelConfig> getKernelConfig(MatmulOp op, ScheduleAttr s,
                                        const GpuTarget &target);

/// Chooses the schedules of `op` for `target` (Passes.td documents the
/// heuristic) or checks the ones it carries.
LogicalResult selectMatmulSchedules(MatmulOp op, const GpuTarget &target);

/// Shared memory of a wgmma kernel: a `stages`-deep ring of A and B tiles
/// (with `swapAB`, or the f32 partial sums of `splitK` - 1 blocks of the
/// cluster where those are larger) with a full and an empty mbarrier per
/// stage; without `swapAB` each consumer warp's epilogue staging rows
/// (16 x 64 elements of `outputBytes`, padded by 16 bytes); and 1 KiB to
/// align the ring to the 128-byte swizzle's period.
int64_t getWgmmaSharedMemoryBytes(int64_t blockM, int64_t blockN,
                                  int64_t blockK, int64_t stages,
                                  int64_t warps, int64_t elementBytes,
                                  int64_t outputBytes, bool swapAB,
                                  int64_t splitK);

/// The (row, column) origin of tile `linear` (an index value) of an M x N
/// result: tiles are walked in groups of `swizzle` tile rows so that
/// consecutive ones share B panels in L2.
std::pair<Value, Value> placeTile(ImplicitLocOpBuilder &b,
                                  const KernelConfig &c, Value M, Value N,
                                  Value linear);

/// The sm_90a kernel of `c` (see WgmmaKernel.cpp). Its first two
/// arguments are the TMA descriptors of A and B, passed by value.
gpu::GPUFuncOp buildWgmmaKernel(ImplicitLocOpBuilder &b,
                                const KernelConfig &c, StringRef name);
/// The mma.sync kernel of `c` (see MmaSyncKernel.cpp).
gpu::GPUFuncOp buildMmaSyncKernel(ImplicitLocOpBuilder &b,
                                  const KernelConfig &c, StringRef name);
/// The second kernel of an mma.sync split-K matmul: reads the f32 workspace
/// [batch, M, N] and applies the epilogue of `c`.
gpu::GPUFuncOp buildSplitKEpilogue(ImplicitLocOpBuilder &b,
                                   const KernelConfig &c, StringRef name);

/// The TMA boxes (innermost first, padded with 1 to the operand's rank) of
/// A and B in the wgmma kernel of `c`.
SmallVector<int64_t> getTensorMapBox(const KernelConfig &c, bool operandB);

} // namespace mlir::tessera::gpu_matmul

#endif // TESSERA_PASSES_GPU_MATMUL_MATMULKERNELS_H
