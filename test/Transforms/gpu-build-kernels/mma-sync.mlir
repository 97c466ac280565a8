// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_80 --tessera-gpu-build-kernels=target=sm_80 | FileCheck %s

// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @aligned
// CHECK: tessera.matmul
// CHECK-SAME: tessera.launch_plans = [#tessera.launch_plan<condition = "v2.0 <= 64"
// CHECK-SAME: kernel = @[[SMALL:tessera_matmul_[0-9]+]], grid = ["cdiv(v2.1,32)", "cdiv(v2.0,32)", "1"], block = [128, 1, 1], shared_memory = 113664
// CHECK-SAME: kernel = @[[LARGE:tessera_matmul_[0-9]+]]
func.func @aligned(%a: tensor<?x256xbf16>, %b: tensor<256x512xbf16>) -> tensor<?x512xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x256xbf16>, tensor<256x512xbf16> -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// Rows of 127 f16 are not 16-byte multiples: element loads, one buffer.
// CHECK-LABEL: func.func @unaligned_epilogue
// CHECK: tessera.matmul
// CHECK-SAME: kernel = @[[UNALIGNED:tessera_matmul_[0-9]+]]
func.func @unaligned_epilogue(%a: tensor<17x127xf16>, %b: tensor<33x127xf16>, %bias: tensor<33xf32>) -> tensor<17x33xf16> {
  %0 = tessera.matmul %a, %b, %bias {transpose_b, epilogue = #tessera.epilogue<gelu_tanh>, alpha = 0.5 : f32, schedules = [#tessera.schedule<block_m = 32, block_n = 64, block_k = 64, stages = 4, warps = 4>]} : tensor<17x127xf16>, tensor<33x127xf16>, tensor<33xf32> -> tensor<17x33xf16>
  return %0 : tensor<17x33xf16>
}

// Split-K (pinned): partial sums into the workspace, then an epilogue
// kernel.
// CHECK-LABEL: func.func @split_k
// CHECK: tessera.matmul
// The workspace [batch, M, N] is value 3 (after a, b and the result),
// zeroed before the partial sums; the epilogue kernel has one thread per
// element.
// CHECK-SAME: temporaries = [#tessera.temporary<element = f32, dims = ["1", "v2.0", "v2.1"], zero = true>]
// CHECK-SAME: kernel = @[[SPLIT:tessera_matmul_[0-9]+]], grid = ["cdiv(v2.1,64)", "cdiv(v2.0,32)", "1*4"]
// CHECK-SAME: #tessera.kernel_param<kind = "memref", value = 3>]>
// CHECK-SAME: kernel = @[[SPLIT]]_epilogue, grid = ["cdiv(1*v2.0*v2.1,256)", "1", "1"], block = [256, 1, 1], shared_memory = 0, params = [#tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "memref", value = 2>]
func.func @split_k(%x: tensor<16x4096xbf16>, %w: tensor<1024x4096xbf16>) -> tensor<16x1024xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b, epilogue = #tessera.epilogue<silu>, schedules = [#tessera.schedule<block_m = 32, block_n = 64, block_k = 64, stages = 4, warps = 4, split_k = 4>]} : tensor<16x4096xbf16>, tensor<1024x4096xbf16> -> tensor<16x1024xbf16>
  return %0 : tensor<16x1024xbf16>
}

// CHECK: gpu.module @tessera_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// The decode-class kernel: 4 warps, a 6-stage cp.async ring of 128-wide K
// steps.
// CHECK: gpu.func @[[SMALL]](%{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xf32>) kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK: gpu.dynamic_shared_memory
// CHECK: nvgpu.device_async_copy {{.*}}, 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_create_group
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 4 : i32}
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// B is [K, N]: its fragments load transposed.
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// Each stage's sums join the running f32 sums with IEEE additions.
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: scf.yield
// Bounds-checked stores.
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x?xf32>
// CHECK: gpu.func @[[LARGE]]
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: gpu.func @[[UNALIGNED]](%{{.*}}: memref<?x?xf16>, %{{.*}}: memref<?x?xf16>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?x?xf16>) kernel
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: memref.load %{{.*}} : memref<?x?xf16>
// B is [N, K] (transpose_b): its fragments load without .trans.
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// alpha, bias, gelu (2^x on the SFU), cast.
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: memref.load %{{.*}} : memref<?xf32>
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: gpu.func @[[SPLIT]](%{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?x?xf32>) kernel
// CHECK: memref.atomic_rmw addf
// CHECK: gpu.func @[[SPLIT]]_epilogue(%{{.*}}: memref<?x?x?xf32>, %{{.*}}: memref<?x?xbf16>) kernel
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// CHECK: arith.truncf %{{.*}} : f32 to bf16
