//===- AttentionKernels.h - The attention family's kernels ------*- C++ -*-===//
//
// The attention family (AttentionFamily.cpp) builds, from the kit, the
// sm_90a FlashAttention-3-style kernel (WgmmaAttention.cpp), the sm_80
// FlashAttention-2-style kernel (MmaSyncAttention.cpp), and the merge of
// partial attentions by log-sum-exp (MergeKernel.cpp), which serves split-KV
// decoding and tessera.merge_attention. The pieces both attention kernels
// share (row bounds, masks, the online softmax) are in OnlineSoftmax.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_ATTENTION_ATTENTIONKERNELS_H
#define TESSERA_PASSES_GPU_ATTENTION_ATTENTIONKERNELS_H

#include "passes/Gpu/Kit/KitBuilder.h"
#include "runtime/lib/GpuTargets.h"

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::tessera::attention {

using ::tessera::GpuTarget;

struct AttentionConfig;
/// The dynamic shared memory of each kernel (its layout's one formula).
int64_t getWgmmaAttentionSharedMemory(const AttentionConfig &c);
int64_t getMmaSyncAttentionSharedMemory(const AttentionConfig &c);

/// Everything an attention kernel's code depends on.
struct AttentionConfig {
  // Schedule.
  int64_t blockQ, blockKV, stages, warps;
  /// 1: the kernel writes the output; otherwise it writes partial outputs
  /// and their log-sum-exp per KV split (0: the split count is the grid's z
  /// size, chosen at run time).
  int64_t splitKV;
  bool packGqa, wgmma;
  /// wgmma: the consumer warpgroups take turns issuing their tensor-core
  /// work (named barriers), so that one's softmax overlaps another's
  /// products (FlashAttention-3's ping-pong).
  bool pingpong;
  // The op.
  int64_t hq, hkv, headDim, valueDim;
  bool causal;
  /// 0: no window.
  int64_t window;
  float scale;
  Type element, output;
  bool lse;
  // The target.
  /// L2 bytes the persistent kernel's tile order counts on (0: none).
  int64_t l2Bytes = 0;

  int64_t group() const { return hq / hkv; }
  /// Query heads per block and query positions per head of a block.
  int64_t headsPerBlock() const { return packGqa ? group() : 1; }
  int64_t rowsPerHead() const { return blockQ / headsPerBlock(); }
  /// Whether the kernel writes partial results for a merge kernel.
  bool partial() const { return splitKV != 1; }
  int64_t elementBytes() const { return element.getIntOrFloatBitWidth() / 8; }
  /// 64-element (128-byte) column chunks of Q/K and of V rows.
  int64_t headChunks() const { return (headDim + 63) / 64; }
  int64_t valueChunks() const { return (valueDim + 63) / 64; }
  /// wgmma consumer warpgroups.
  int64_t consumers() const { return warps / 4 - 1; }
  /// The columns of O a consumer (wgmma) or warp (mma.sync) accumulates:
  /// Dv up to whole 64-column chunks (zero-filled by the loads).
  int64_t valueColumns() const { return valueChunks() * 64; }
  /// wgmma: whole output rows go through shared memory into 16-byte
  /// stores where a row is at most 256 bytes (Dv <= 128 in 16-bit types,
  /// <= 64 in f32), so that the staging buffer leaves room for the ring.
  bool staged() const {
    return wgmma && !partial() &&
           valueDim * output.getIntOrFloatBitWidth() <= 256 * 8;
  }
  /// softmax scale x log2(e), for exp2.
  float scaleLog2() const { return scale * 1.4426950408889634f; }
  /// Shared memory of the kernel.
  int64_t sharedMemoryBytes() const {
    return wgmma ? getWgmmaAttentionSharedMemory(*this)
                 : getMmaSyncAttentionSharedMemory(*this);
  }
};

/// The configuration of `op`'s kernel for schedule `s`.
AttentionConfig getAttentionConfig(AttentionOp op, AttentionScheduleAttr s);

/// Checks `s` against `target` and `op` (the family's one validator, for
/// schedule selection and kernel building); emits an error naming the
/// parameter at fault.
LogicalResult checkAttentionSchedule(AttentionOp op, AttentionScheduleAttr s,
                                     const GpuTarget &target);

/// Chooses `op`'s schedules for `target` (Passes.td documents the
/// heuristic), or checks the ones it carries.
LogicalResult selectAttentionSchedules(AttentionOp op,
                                       const GpuTarget &target);

/// The sm_90a kernel, persistent (its blocks walk the row tiles x batch x
/// heads x splits): arguments are the tensor maps of q, k, v (by value), the
/// memrefs q, k, then out [B, Hq, Sq, Dv] and lse [B, Hq, Sq] (when the op
/// has it), or with partial() the f32 partial outputs [S, B, Hq, Sq, Dv]
/// and log-sum-exps [S, B, Hq, Sq], and the split count (i64).
gpu::GPUFuncOp buildWgmmaAttention(ImplicitLocOpBuilder &b,
                                   const AttentionConfig &c, StringRef name);
/// The sm_80 kernel: the memrefs q, k, v, then the outputs as above.
gpu::GPUFuncOp buildMmaSyncAttention(ImplicitLocOpBuilder &b,
                                     const AttentionConfig &c,
                                     StringRef name);

/// How the merge kernel finds its parts.
struct MergeConfig {
  /// Stacked: the parts are dimension 0 of one output and one lse memref
  /// (split-KV); otherwise two parts from separate memrefs
  /// (tessera.merge_attention).
  bool stacked;
  /// Rank of one part's output ([..., Dv]).
  int64_t rank;
  Type partElement, output;
  bool lse;
};
/// The merge kernel: one warp per row. Arguments: stacked: o [P, ..., Dv]
/// (f32), lse [P, ...]; else o1, lse1, o2, lse2; then out [..., Dv] and
/// (with `lse`) lse [...].
gpu::GPUFuncOp buildMergeKernel(ImplicitLocOpBuilder &b,
                                const MergeConfig &c, StringRef name);
/// Threads (rows x 32) of a merge block.
constexpr int64_t kMergeRowsPerBlock = 4;

//===----------------------------------------------------------------------===//
// Shared by both attention kernels (OnlineSoftmax.cpp)
//===----------------------------------------------------------------------===//

/// The query rows and KV tiles one block works on (index values).
struct BlockWork {
  Value batch, kvHead, headBase, firstRow;
  /// Query positions [rowLo, rowHi] (inclusive; rowHi clamped to Sq - 1)
  /// and the block's KV tiles [tileBegin, tileEnd).
  Value rowLo, rowHi, tileBegin, tileEnd;
  /// Sq, Skv and Skv - Sq (signed index).
  Value sq, skv, offset;
  /// The KV split of the block and the split count.
  Value split, splits;
};

/// The work of row tile `rowTile` of (batch, head) pair `batchHead` (heads
/// are KV heads with pack_gqa, query heads otherwise) in KV split `split`
/// of `splits`.
BlockWork getWork(kit::KitBuilder &k, const AttentionConfig &c, Value sq,
                  Value skv, Value rowTile, Value batchHead, Value split,
                  Value splits);
/// The work of this block, from the block ids: x the row tile (reversed for
/// causal masks, so that the longest run first), y the (batch, head) pair,
/// z the KV split.
BlockWork getBlockWork(kit::KitBuilder &k, const AttentionConfig &c, Value sq,
                       Value skv);
/// Persistent kernels: the number of tiles (row tiles x batch x heads x
/// splits), and the work of tile `tile`. The blocks running together take
/// consecutive tiles, so the order decides what they share in L2: without a
/// causal mask, a (batch, head, split) stream's row tiles come together
/// (they read the same K and V); under one, the streams go in groups whose
/// K and V fit half the L2, every stream's longest row tile first, then the
/// next longest of each, so that the blocks finish together.
Value countTiles(kit::KitBuilder &k, const AttentionConfig &c, Value sq,
                 Value batch, Value splits);
BlockWork getTileWork(kit::KitBuilder &k, const AttentionConfig &c, Value sq,
                      Value skv, Value batch, Value splits, Value tile);

/// Whether KV tile `tile` needs a mask for some row of the block: past Skv,
/// or crossed by the causal diagonal or the window's edge.
Value tileNeedsMask(kit::KitBuilder &k, const AttentionConfig &c,
                    const BlockWork &w, Value tile);

/// Whether key `key` is visible to query position `row` (index values).
Value isVisible(kit::KitBuilder &k, const AttentionConfig &c,
                const BlockWork &w, Value row, Value key);

/// The running max (in scaled log2 units) and sum of each row a thread
/// holds, two per 16-row group.
struct SoftmaxState {
  SmallVector<Value> max, sum;
};

/// One online-softmax step on a thread's scores `s` (f32, per 16-row group
/// an m16 x n accumulator in the Fragment layout: element e of group r is
/// in row 2 r + (e % 4) / 2 of `state`). Updates `state`, replaces `s` by
/// P = exp2(s * scale log2 e - max) and returns each row's rescale factor
/// for O.
SmallVector<Value> softmaxStep(kit::KitBuilder &k, const AttentionConfig &c,
                               SmallVector<SmallVector<Value>> &s,
                               SoftmaxState &state);

/// P (f32 pairs) as the packed 16-bit A operands of the P V products: for
/// each k16 slice, the four b32 registers of an m16n8k16 A fragment.
SmallVector<SmallVector<Value>> packP(kit::KitBuilder &k, Type element,
                                      ArrayRef<Value> p);

/// Quad reduction (lanes 4 g .. 4 g + 3 hold a row) with max or add.
Value quadReduce(kit::KitBuilder &k, Value v, bool max);

/// A warp's 16 staging rows in shared memory (`rowBytes` apart).
struct StagingRows {
  Value pointer;
  int64_t rowBytes;
  /// A pointer `offset` (i32) bytes into the rows.
  Value at(kit::KitBuilder &k, Value offset) const;
};

/// Stores a thread's finished rows: O / sum (`o[r]` the f32 values of 16-row
/// group r in the Fragment layout, columns from `column0`), and the
/// log-sum-exp; rows past Sq or columns past Dv are skipped. `rowInBlock`
/// is the thread's first row (16 w + lane / 4 within the block). With
/// `staging` (one 16-row group, Dv a multiple of 8, not partial()), the
/// warp's rows go through shared memory into 16-byte stores.
void storeRows(kit::KitBuilder &k, const AttentionConfig &c,
               const BlockWork &w, ArrayRef<SmallVector<Value>> o,
               const SoftmaxState &state, Value rowInBlock, Value column0,
               Value out, Value lse, const StagingRows *staging = nullptr);

} // namespace mlir::tessera::attention

#endif // TESSERA_PASSES_GPU_ATTENTION_ATTENTIONKERNELS_H
