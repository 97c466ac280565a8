// RUN: tessera-opt %s --tessera-gpu-build-kernels=target=sm_90a | FileCheck %s

// GQA 8 / 2 with a causal sliding window and lse, two Sq classes, each a
// persistent kernel (at most one block per SM walks the tiles; the split
// count is its last parameter). The
// decode class packs the 4 query heads of a KV head into one block (Q box:
// 64 columns x 16 positions x 4 heads) and splits KV at run time into the
// f32 partials (values 5 and 6) that its merge kernel reads; the prefill
// class writes out (value 3) and lse (value 4) itself.
// CHECK-LABEL: func.func @layer
// CHECK: tessera.launch_plans = [#tessera.launch_plan<condition = "v0.2 <= 16"
// CHECK-SAME: temporaries = [#tessera.temporary<element = f32, dims = ["max(min(div(132,cdiv(v0.2,16)*v0.0*2),cdiv(cdiv(v1.2,128),2)),1)", "v0.0", "8", "v0.2", "128"]>, #tessera.temporary<element = f32, dims = ["max(min(div(132,cdiv(v0.2,16)*v0.0*2),cdiv(cdiv(v1.2,128),2)),1)", "v0.0", "8", "v0.2"]>]
// CHECK-SAME: kernel = @[[DECODE:tessera_attention_[0-9]+]], grid = ["min(cdiv(v0.2,16)*v0.0*2*max(min(div(132,cdiv(v0.2,16)*v0.0*2),cdiv(cdiv(v1.2,128),2)),1),132)", "1", "1"], block = [256, 1, 1]
// CHECK-SAME: params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 16, 4, 1], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [64, 128, 1, 1], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 2, box = [64, 128, 1, 1], swizzle = 128>, #tessera.kernel_param<kind = "memref", value = 0>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "memref", value = 5>, #tessera.kernel_param<kind = "memref", value = 6>, #tessera.kernel_param<kind = "i64", expr = "max(min(div(132,cdiv(v0.2,16)*v0.0*2),cdiv(cdiv(v1.2,128),2)),1)">]
// CHECK-SAME: kernel = @[[DECODE]]_merge, grid = ["cdiv(v0.0*8*v0.2,4)", "1", "1"], block = [128, 1, 1], shared_memory = 0, params = [#tessera.kernel_param<kind = "memref", value = 5>, #tessera.kernel_param<kind = "memref", value = 6>, #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "memref", value = 4>]
// CHECK-SAME: #tessera.launch_plan<temporaries = []
// CHECK-SAME: kernel = @[[PREFILL:tessera_attention_[0-9]+]], grid = ["min(cdiv(v0.2,128)*v0.0*8*1,132)", "1", "1"], block = [384, 1, 1]
// CHECK-SAME: box = [64, 128, 1, 1]
// CHECK-SAME: #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "memref", value = 4>, #tessera.kernel_param<kind = "i64", expr = "1">]
func.func @layer(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> (tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal, window = 256, schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 3, warps = 8, split_kv = 0, pack_gqa = true, max_sq = 16>, #tessera.attention_schedule<block_q = 128, block_kv = 128, stages = 2, warps = 12>]} : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
  return %o, %lse : tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
}

// The decode kernel: TMA descriptors of q, k, v first, the split count
// last; one consumer.
// CHECK: gpu.module @tessera_kernels
// CHECK: gpu.func @[[DECODE]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x?x?x?xbf16>, %{{.*}}: memref<?x?x?x?xbf16>, %{{.*}}: memref<?x?x?x?x?xf32>, %{{.*}}: memref<?x?x?x?xf32>, %{{.*}}: i64) kernel
// CHECK-SAME: nvvm.maxntid = array<i32: 256, 1, 1>
// Q's full barrier (one arrive) and its empty one (4 consumer warps: Q is
// reloaded per tile), then per stage of the K and V rings a full barrier
// (one arrive + the TMA bytes) and an empty one.
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32 :
// CHECK: nvvm.mbarrier.init %{{.*}}, %c4_i32 :
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32{{.*}} :
// CHECK: nvvm.mbarrier.init %{{.*}}, %c4_i32{{.*}} :
// CHECK-COUNT-10: nvvm.mbarrier.init
// CHECK: nvvm.fence.mbarrier.init
// The producer: Q once (two 64-column boxes, 4-D coordinates), then per
// KV tile a K and a V box per 64 columns.
// CHECK: nvvm.setmaxregister  decrease 40
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// CHECK-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg0, %{{.*}}, box[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: scf.for
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c32768_i32
// CHECK-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg1
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c32768_i32
// CHECK-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg2
// Consumers: S = Q K^T from shared memory (8 k16 steps over d = 128, the
// first from zero), pinned once complete; the softmax's row max across the
// four lanes of a row, exp2; O += P V with P from registers (inline PTX,
// V N-major: imm-trans-b 1), 8 k16 steps over the 128 keys.
// CHECK: nvvm.setmaxregister  increase 240
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-COUNT-7: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: llvm.inline_asm has_side_effects "", "=f,
// CHECK: nvvm.shfl.sync  bfly
// CHECK: llvm.nvvm.ex2.approx.ftz.f32
// The loop: next tile's Q K^T, then the previous tile's P V; the softmax
// between wait(1) and wait(0).
// CHECK: scf.for
// CHECK-COUNT-8: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// CHECK: llvm.inline_asm has_side_effects "{\0A.reg .pred p;\0Asetp.ne.b32 p, $133, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}} p, 1, 1, 1;
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: llvm.nvvm.ex2.approx.ftz.f32
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// The epilogue: row sums across the quad, the f32 partials and lse (log2).
// CHECK: vector.store %{{.*}} : memref<?x?x?x?x?xf32>, vector<2xf32>
// CHECK: llvm.nvvm.lg2.approx.f
// CHECK: memref.store %{{.*}} : memref<?x?x?x?xf32>

// The merge: one warp per row over the splits (dimension 0).
// CHECK: gpu.func @[[DECODE]]_merge(%{{.*}}: memref<?x?x?x?x?xf32>, %{{.*}}: memref<?x?x?x?xf32>, %{{.*}}: memref<?x?x?x?xbf16>, %{{.*}}: memref<?x?x?xf32>) kernel
// CHECK: memref.dim %arg0, %c0
// CHECK: arith.maximumf
// CHECK: llvm.nvvm.ex2.approx.f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16

// The prefill kernel: two consumers of 64 rows (384 threads).
// CHECK: gpu.func @[[PREFILL]](
// CHECK-SAME: memref<?x?x?x?xbf16>, %{{.*}}: memref<?x?x?xf32>, %{{.*}}: i64) kernel
// CHECK-SAME: nvvm.maxntid = array<i32: 384, 1, 1>
// CHECK: nvvm.setmaxregister  increase 232
// Its epilogue: whole rows through shared memory into 16-byte stores where
// the output is 16-byte aligned, direct 4-byte stores otherwise.
// CHECK-DAG: vector.store %{{.*}} : memref<?x?x?x?xbf16>, vector<2xbf16>
// CHECK-DAG: llvm.store %{{.*}} {alignment = 4 : i64} : vector<2xbf16>, !llvm.ptr<3>
// CHECK-DAG: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x?x?x?xbf16>, vector<8xbf16>
