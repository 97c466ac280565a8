//===- Wgmma.h - Hopper warpgroup MMA ---------------------------*- C++ -*-===//
//
// wgmma.mma_async pieces: shared-memory matrix descriptors for the 128-byte
// swizzle, instructions with both operands in shared memory (SS) or A in
// registers (RS, as FlashAttention-3 feeds P to its second GEMM), and the
// operand fence that keeps LLVM from moving accumulator reads into the
// asynchronous window. Every function is called by the whole warpgroup.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_WGMMA_H
#define TESSERA_PASSES_GPU_KIT_WGMMA_H

#include "passes/Gpu/Kit/Tma.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::tessera::kit {

/// The wgmma operand type of a bf16, f16, e4m3fn or e5m2 element type.
NVVM::WGMMATypes getWgmmaType(Type element);

/// The f32 accumulators of one m64nN instruction: a struct of n / 2 f32.
Type getAccumulatorType(MLIRContext *ctx, int64_t n);

/// A matrix descriptor for the 128-byte swizzle at byte `offset` (i32, a
/// multiple of 16) of shared memory whose shared-window address is `base`:
/// `leadingBytes` is the leading dimension byte offset, the stride byte
/// offset the swizzle's 8-row period.
Value smemDescriptor(KitBuilder &k, Value base, Value offset,
                     int64_t leadingBytes);
/// `desc` with its start address `bytes` (a multiple of 16) further: the
/// address field (bits 0-13, in 16-byte units) cannot carry, as shared
/// memory ends below 256 KiB.
Value advanceDescriptor(KitBuilder &k, Value desc, int64_t bytes);

/// One wgmma m64 x n x k on accumulators `acc` (a struct of n / 2 f32) with
/// A and B from shared memory; `accumulate` false starts from zero
/// (scale-d = 0). As for tessera.matmul, `transposeA` means A is stored
/// [K, M] (M-major) and `transposeB` that B is stored [N, K] (K-major).
struct WgmmaShape {
  int64_t n, k;
  Type typeA, typeB;
};
Value wgmmaSS(KitBuilder &k, const WgmmaShape &shape, Value acc, Value descA,
              Value descB, bool accumulate, bool transposeA, bool transposeB);
/// The same with A in registers: `a` holds the 4 b32 registers (8 16-bit
/// elements) of this thread's A fragment of the m64 x k16 slice, laid out
/// as an m16n8k16 A fragment per warp (rows 16 w + lane / 4 (+ 8), columns
/// 2 (lane % 4) (+ 1) (+ 8)). 16-bit types only; `transposeB` as for
/// wgmmaSS (B stored [N, K], K-major). Emitted as inline PTX: NVVM's op
/// takes descriptors only.
Value wgmmaRS(KitBuilder &k, const WgmmaShape &shape, Value acc,
              ArrayRef<Value> a, Value descB, bool accumulate,
              bool transposeB);
/// The same with scale-d decided at run time: `accumulate` an i32, 0 to
/// start from zero.
Value wgmmaRS(KitBuilder &k, const WgmmaShape &shape, Value acc,
              ArrayRef<Value> a, Value descB, Value accumulate,
              bool transposeB);

/// wgmma.fence, commit_group and wait_group<pending>.
void wgmmaFence(KitBuilder &k);
void wgmmaCommit(KitBuilder &k);
void wgmmaWait(KitBuilder &k, int64_t pending);

/// `acc` (a struct of `count` f32) through an empty volatile inline asm
/// that ties each register (CUTLASS's warpgroup_fence_operand): code that
/// reads the result cannot move above it, nor code that writes `acc` below
/// it.
Value pinAccumulator(KitBuilder &k, Value acc, int64_t count);

/// An empty volatile inline asm reading `values` (b32 registers): keeps
/// them alive, and so out of LLVM's hands, up to this point (registers an
/// asynchronous wgmma still reads).
void keepAlive(KitBuilder &k, ValueRange values);

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_WGMMA_H
