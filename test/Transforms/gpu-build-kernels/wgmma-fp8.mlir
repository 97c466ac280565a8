// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a --tessera-gpu-build-kernels=target=sm_90a | FileCheck %s

// fp8 with per-tensor scales, a bias and an epilogue; dynamic M: the token
// classes, swapped up to 192 tokens, then 128 x 64 and 128 x 128 tiles (fp8
// keeps a second set of accumulators, so no 256-row tiles).
// CHECK-LABEL: func.func @prefill
// CHECK: kernel = @[[DECODE:tessera_matmul_[0-9]+]]
// CHECK-SAME: kernel = @[[MID:tessera_matmul_[0-9]+]]
// CHECK-SAME: box = [128, 128], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [128, 64], swizzle = 128>
// The scales (values 3 and 4) follow A and B, then the bias, the result.
// CHECK-SAME: #tessera.kernel_param<kind = "memref", value = 0>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "memref", value = 4>, #tessera.kernel_param<kind = "memref", value = 2>, #tessera.kernel_param<kind = "memref", value = 5>]
// CHECK-SAME: kernel = @[[LARGE:tessera_matmul_[0-9]+]]
// CHECK-SAME: box = [128, 128], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [128, 128], swizzle = 128>
func.func @prefill(%x: tensor<?x4096xf8E4M3FN>, %w: tensor<4096x4096xf8E4M3FN>, %sx: tensor<f32>, %sw: tensor<f32>, %bias: tensor<4096xbf16>) -> tensor<?x4096xbf16> {
  %0 = tessera.matmul %x, %w, %bias scales(%sx, %sw) {transpose_b, epilogue = #tessera.epilogue<gelu_tanh>} : tensor<?x4096xf8E4M3FN>, tensor<4096x4096xf8E4M3FN>, tensor<4096xbf16> -> tensor<?x4096xbf16>
  return %0 : tensor<?x4096xbf16>
}

// Mixed fp8 types, swapped (K pinned split over a cluster of 2): B's e5m2
// rows are wgmma's A side.
// CHECK-LABEL: func.func @decode
// CHECK: kernel = @[[MIXED:tessera_matmul_[0-9]+]]
// CHECK-SAME: box = [128, 16], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [128, 64], swizzle = 128>
func.func @decode(%x: tensor<16x4096xf8E4M3FN>, %w: tensor<4096x4096xf8E5M2>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b, schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 128, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]} : tensor<16x4096xf8E4M3FN>, tensor<4096x4096xf8E5M2> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}

// The scales follow A and B as 0-D memrefs; the consumers read both once.
// CHECK: gpu.func @[[DECODE]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x?xf8E4M3FN>, %{{.*}}: memref<?x?xf8E4M3FN>, %[[SA:.*]]: memref<f32>, %[[SB:.*]]: memref<f32>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?x?xbf16>) kernel

// 128 x 64 tiles: TMA boxes 128 fp8 wide (one 128-byte swizzled row), 24 KiB
// a stage.
// CHECK: gpu.func @[[MID]](
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c24576_i32
// CHECK: nvvm.setmaxregister increase 224
// CHECK: %[[A:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[B:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[SCALE:.*]] = arith.mulf
// Promotion: K steps go in pairs with two sets of product registers. Each
// step's four k32 wgmma start from zero (scale-d = 0) in fresh registers;
// while step 2j + 1 runs, step 2j's slot is released and its products (and
// the previous pair's last) are pinned and added into the f32 accumulators.
// CHECK: %[[ZERO:.*]] = llvm.mlir.zero : !llvm.struct<(f32
// CHECK: %[[FRESH:.*]] = llvm.mlir.undef : !llvm.struct<(f32
// CHECK: %[[PAIRS:.*]] = arith.divui %{{.*}}, %c2
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[PAIRS]] step %{{.*}} iter_args(%{{.*}} = %[[ZERO]], %[[PENDING:.*]] = %[[ZERO]])
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[FRESH]], <m = 64, n = 64, k = 32>, D[<f32>, <zero>], A[<e4m3>, <one>, <row>], B[<e4m3>, <one>, <col>]
// CHECK-COUNT-3: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 32>, D[<f32>, <one>], A[<e4m3>, <one>, <row>], B[<e4m3>, <one>, <col>]
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.mbarrier.arrive
// CHECK: llvm.extractvalue %[[PENDING]][0]
// CHECK: llvm.inline_asm has_side_effects "", "=f,{{.*}},0,1,{{.*}},31"
// CHECK-COUNT-32: arith.addf
// CHECK: llvm.inline_asm has_side_effects
// CHECK: nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[FRESH]], <m = 64, n = 64, k = 32>, D[<f32>, <zero>]
// CHECK-COUNT-2: nvvm.wgmma.mma_async
// CHECK: %[[ODD:.*]] = nvvm.wgmma.mma_async
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.mbarrier.arrive
// CHECK-COUNT-32: arith.addf
// CHECK: scf.yield %{{.*}}, %[[ODD]] :
// An odd step count runs its last step alone; then everything completes.
// CHECK: arith.remui %{{.*}}, %c2
// CHECK: scf.if
// CHECK: nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[FRESH]]
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: } else {
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// The epilogue multiplies by scale_a * scale_b before the bias.
// CHECK: arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK-NEXT: memref.load %{{.*}} : memref<?xbf16>

// CHECK: gpu.func @[[LARGE]](
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c32768_i32
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>, D[<f32>, <zero>]

// CHECK: gpu.func @[[MIXED]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x?xf8E4M3FN>, %{{.*}}: memref<?x?xf8E5M2>, %{{.*}}: memref<?x?xf32>)
// CHECK-SAME: nvvm.cluster_dim = array<i32: 2, 1, 1>
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 16, k = 32>, D[<f32>, <zero>], A[<e5m2>, <one>, <row>], B[<e4m3>, <one>, <col>]
