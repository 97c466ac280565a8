// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_80 --tessera-gpu-build-kernels=target=sm_80 | FileCheck %s

// d = 80 (not a multiple of 64): rows of 80 elements zero-filled to 80
// loaded columns plus 8 of padding (88 per shared-memory row).
// CHECK-LABEL: func.func @layer
// CHECK: kernel = @[[DECODE:tessera_attention_[0-9]+]], grid = ["cdiv(v0.2,64)", "v0.0*8", "max(min(div(108,cdiv(v0.2,64)*v0.0*8),cdiv(cdiv(v1.2,64),2)),1)"], block = [128, 1, 1]
// CHECK-SAME: params = [#tessera.kernel_param<kind = "memref", value = 0>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "memref", value = 2>, #tessera.kernel_param<kind = "memref", value = 4>, #tessera.kernel_param<kind = "memref", value = 5>]
// CHECK-SAME: kernel = @[[DECODE]]_merge
// CHECK-SAME: kernel = @[[PREFILL:tessera_attention_[0-9]+]], grid = ["cdiv(v0.2,64)", "v0.0*8", "1"], block = [128, 1, 1], shared_memory = 101376
func.func @layer(%q: tensor<?x8x?x80xf16>, %k: tensor<?x8x?x80xf16>, %v: tensor<?x8x?x80xf16>) -> tensor<?x8x?x80xf32> {
  %o = tessera.attention %q, %k, %v {causal} : tensor<?x8x?x80xf16>, tensor<?x8x?x80xf16>, tensor<?x8x?x80xf16> -> tensor<?x8x?x80xf32>
  return %o : tensor<?x8x?x80xf32>
}

// tessera.merge_attention: one merge kernel over rows of the [3, 8] lse.
// CHECK-LABEL: func.func @merge
// CHECK: kernel = @[[MERGE:tessera_merge_attention_[0-9]+]], grid = ["cdiv(1*v4.0*v4.1,4)", "1", "1"], block = [128, 1, 1], shared_memory = 0, params = [#tessera.kernel_param<kind = "memref", value = 0>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "memref", value = 2>, #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "memref", value = 4>, #tessera.kernel_param<kind = "memref", value = 5>]
func.func @merge(%o1: tensor<3x8x128xbf16>, %l1: tensor<3x8xf32>, %o2: tensor<3x8x128xbf16>, %l2: tensor<3x8xf32>) -> (tensor<3x8x128xf32>, tensor<3x8xf32>) {
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<3x8x128xbf16>, tensor<3x8xf32>, tensor<3x8x128xbf16>, tensor<3x8xf32> -> tensor<3x8x128xf32>, tensor<3x8xf32>
  return %o, %l : tensor<3x8x128xf32>, tensor<3x8xf32>
}

// The sm_80 kernel: Q (64 x 88), then 4-stage K and V rings in padded
// shared memory; cp.async 16-byte copies, zero-filled past the tensors.
// CHECK: gpu.func @[[DECODE]](%{{.*}}: memref<?x?x?x?xf16>, %{{.*}}: memref<?x?x?x?xf16>, %{{.*}}: memref<?x?x?x?xf16>, %{{.*}}: memref<?x?x?x?x?xf32>, %{{.*}}: memref<?x?x?x?xf32>) kernel
// CHECK: gpu.dynamic_shared_memory
// CHECK: memref.view {{.*}} to memref<64x88xf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<256x88xf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy %arg0[{{.*}}], %{{.*}}[{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_copy %arg1
// CHECK: nvgpu.device_async_copy %arg2
// Q fragments once, then per tile: wait, S = Q K^T (ldmatrix of K rows),
// mask, softmax, O += P V (ldmatrix.trans of V), refill the slot.
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 3 : i32}
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK: nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: nvvm.shfl.sync  bfly
// CHECK: llvm.nvvm.ex2.approx.ftz.f32
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync
// CHECK: nvgpu.device_async_create_group
// CHECK: vector.store %{{.*}} : memref<?x?x?x?x?xf32>, vector<2xf32>

// CHECK: gpu.func @[[MERGE]](%{{.*}}: memref<?x?x?xbf16>, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?x?xbf16>, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?x?xf32>, %{{.*}}: memref<?x?xf32>) kernel
// CHECK: arith.extf %{{.*}} : bf16 to f32
