// Each GPU kit piece (passes/Gpu/Kit, docs/gpu-kit.md) on an input of its
// own: the IR it emits, then through NVVM to PTX that ptxas accepts.
// RUN: tessera-opt %s --tessera-test-gpu-kit | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline="builtin.module(tessera-test-gpu-kit,gpu.module(convert-scf-to-cf,convert-gpu-to-nvvm,convert-nvgpu-to-nvvm,canonicalize,cse,convert-vector-to-llvm,convert-to-llvm,convert-nvvm-to-llvm,reconcile-unrealized-casts),gpu-module-to-binary{format=isa})" -o %t.mlir
// RUN: FileCheck %s --check-prefix=PTX < %t.mlir

// Regions with their alignment, and the launch's slack for aligning the
// array at run time.
// CHECK-LABEL: gpu.func @shared_layout
// CHECK-SAME: tessera.test_kit.offsets = array<i64: 0, 16384, 17408, 26624>

// Full barriers for the producer's one arrive, empty ones for the
// consumers'; slot p % 2, parity (p / 2) & 1 in 32 bits.
// CHECK-LABEL: gpu.func @mbarrier_ring
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c4_i32
// CHECK: nvvm.fence.mbarrier.init
// CHECK: %[[P:.*]] = arith.index_castui %arg0 : index to i32
// CHECK: arith.remui %[[P]], %c2_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.arrive

// A 4-D box of 64 x 128 bf16 (16 KiB expected on the barrier).
// CHECK-LABEL: gpu.func @tma_load
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg0, %{{.*}}, box[%arg1, %arg2, %arg3, %arg4]

// Descriptors for the 128-byte swizzle; wgmma from shared memory, then
// from registers with the accumulators pinned around it.
// CHECK-LABEL: gpu.func @wgmma
// CHECK: %c4611686293305360384_i64
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: llvm.inline_asm has_side_effects "{\0A.reg .pred p;\0Asetp.ne.b32 p, $133, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK: llvm.inline_asm has_side_effects "", "r,r,r,r" %arg0, %arg1, %arg2, %arg3

// CHECK-LABEL: gpu.func @mma_sync
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync A[{{.*}}]  B[{{.*}}]  C[{{.*}}] {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>

// 32 x 64 bf16 = 256 16-byte chunks over 128 threads: two predicated
// copies each (zero bytes past row `arg2`), one group.
// CHECK-LABEL: gpu.func @async_copy
// CHECK-COUNT-2: nvgpu.device_async_copy %arg0[{{.*}}], %view[{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}

// CHECK-LABEL: gpu.func @warp_roles
// CHECK: nvvm.setmaxregister  decrease 40
// CHECK: nvvm.setmaxregister  increase 232
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32
// CHECK: nvvm.barrier.arrive id = %c3_i32 number_of_threads =

// CHECK-LABEL: gpu.func @tile_scheduler
// CHECK-COUNT-4: memref.store

// CHECK-LABEL: gpu.func @fast_math
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"(%arg0)
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"(%arg0)

// CHECK-LABEL: gpu.func @kernel_signature
// CHECK-SAME: #tessera.kernel_abi<kernel = @kernel_signature, grid = ["cdiv(v0.2,128)", "v0.0", "1"], block = [384, 1, 1]
// CHECK-SAME: params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 128, 1, 1], swizzle = 128>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "i64", expr = "max(cdiv(v1.2,128),1)">]

// PTX: mbarrier.try_wait.parity.shared.b64
// PTX: cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// PTX: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX: cp.async.cg.shared.global
// PTX: setmaxnreg.inc.sync.aligned.u32 {{.*}}232;
// PTX: bar.arrive 3, 256;
// PTX: ex2.approx.ftz.f32

gpu.module @kit [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">] {
  gpu.func @shared_layout() kernel attributes {tessera.test_kit = "shared_layout"} { gpu.return }
  gpu.func @mbarrier_ring(%position: index) kernel attributes {tessera.test_kit = "mbarrier_ring"} { gpu.return }
  gpu.func @tma_load(%map: !llvm.ptr, %c0: i32, %c1: i32, %c2: i32, %c3: i32) kernel attributes {tessera.test_kit = "tma_load"} { gpu.return }
  gpu.func @wgmma(%p0: i32, %p1: i32, %p2: i32, %p3: i32, %out: memref<2xf32>) kernel attributes {tessera.test_kit = "wgmma"} { gpu.return }
  gpu.func @mma_sync(%out: memref<4xf32>) kernel attributes {tessera.test_kit = "mma_sync"} { gpu.return }
  gpu.func @async_copy(%src: memref<?x64xbf16>, %row: index, %rows: index) kernel attributes {tessera.test_kit = "async_copy"} { gpu.return }
  gpu.func @warp_roles() kernel attributes {tessera.test_kit = "warp_roles"} { gpu.return }
  gpu.func @tile_scheduler(%m: index, %n: index, %tile: index, %begin: index, %end: index, %part: index, %parts: index, %out: memref<4xindex>) kernel attributes {tessera.test_kit = "tile_scheduler"} { gpu.return }
  gpu.func @fast_math(%x: f32, %out: memref<2xf32>) kernel attributes {tessera.test_kit = "fast_math"} { gpu.return }
  gpu.func @kernel_signature() kernel attributes {tessera.test_kit = "kernel_signature"} { gpu.return }
}
