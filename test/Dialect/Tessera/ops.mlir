// RUN: tessera-opt %s | tessera-opt | FileCheck %s
// RUN: tessera-opt %s --mlir-print-op-generic | tessera-opt | FileCheck %s

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#BSR = #sparse_tensor.encoding<{ map = (i, j) -> (i floordiv 16 : dense, j floordiv 16 : compressed, i mod 16 : dense, j mod 16 : dense) }>
#NV24 = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j floordiv 4 : dense, j mod 4 : structured[2, 4]) }>

// CHECK-LABEL: func @matmul_plain
// CHECK: tessera.matmul %{{.*}}, %{{.*}} : tensor<128x64xf32>, tensor<64x32xf32> -> tensor<128x32xf32>
func.func @matmul_plain(%a: tensor<128x64xf32>, %b: tensor<64x32xf32>) -> tensor<128x32xf32> {
  %0 = tessera.matmul %a, %b : tensor<128x64xf32>, tensor<64x32xf32> -> tensor<128x32xf32>
  return %0 : tensor<128x32xf32>
}

// CHECK-LABEL: func @matmul_stream_k_schedule
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 8, warps = 12, mma = "wgmma", stream_k = true>]
func.func @matmul_stream_k_schedule(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 8, warps = 12, mma = "wgmma", stream_k = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// fp8 with per-tensor scales (0-D f32 tensors) and a bias.
// CHECK-LABEL: func @matmul_fp8_scales
// CHECK: tessera.matmul %{{.*}}, %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) {transpose_b} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E5M2>, tensor<32xbf16> -> tensor<?x32xbf16>
func.func @matmul_fp8_scales(%a: tensor<?x64xf8E4M3FN>, %b: tensor<32x64xf8E5M2>, %sa: tensor<f32>, %sb: tensor<f32>, %bias: tensor<32xbf16>) -> tensor<?x32xbf16> {
  %0 = tessera.matmul %a, %b, %bias scales(%sa, %sb) {transpose_b} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E5M2>, tensor<32xbf16> -> tensor<?x32xbf16>
  return %0 : tensor<?x32xbf16>
}

// Schedules print their defaults (cluster, swizzle, split_k, max_m) only
// when they differ.
// CHECK-LABEL: func @matmul_swap_schedule
// CHECK: schedules = [#tessera.schedule<block_m = 8, block_n = 64, block_k = 64, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]
func.func @matmul_swap_schedule(%a: tensor<1x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<1x32xf32> {
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 8, block_n = 64, block_k = 64, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]} : tensor<1x64xbf16>, tensor<32x64xbf16> -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// CHECK-LABEL: func @matmul_schedules
// CHECK: schedules = [#tessera.schedule<block_m = 64, block_n = 128, block_k = 128, stages = 4, warps = 8, split_k = 2, max_m = 64>, #tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, cluster_m = 2, swizzle = 8, mma = "wgmma">]
func.func @matmul_schedules(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 128, block_k = 128, stages = 4, warps = 8, split_k = 2, max_m = 64>, #tessera.schedule<warps = 12, block_m = 128, block_n = 256, block_k = 64, stages = 4, cluster_m = 2, cluster_n = 1, swizzle = 8, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// CHECK-LABEL: func @matmul_full
// CHECK: tessera.matmul %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, epilogue = #tessera.epilogue<gelu_tanh>, transpose_a, transpose_b}
// CHECK-SAME: : tensor<?x3x64x?xbf16>, tensor<4096x64xbf16>, tensor<4096xf32> -> tensor<?x3x?x4096xbf16>
func.func @matmul_full(%a: tensor<?x3x64x?xbf16>, %b: tensor<4096x64xbf16>, %bias: tensor<4096xf32>) -> tensor<?x3x?x4096xbf16> {
  %0 = tessera.matmul %a, %b, %bias {transpose_a, transpose_b, alpha = 0.5 : f32, epilogue = #tessera.epilogue<gelu_tanh>}
      : tensor<?x3x64x?xbf16>, tensor<4096x64xbf16>, tensor<4096xf32> -> tensor<?x3x?x4096xbf16>
  return %0 : tensor<?x3x?x4096xbf16>
}

// CHECK-LABEL: func @matmul_broadcast_batch
// CHECK: tessera.matmul {{.*}} : tensor<1x5x8x16xf16>, tensor<3x1x16x4xf16> -> tensor<3x5x8x4xf32>
func.func @matmul_broadcast_batch(%a: tensor<1x5x8x16xf16>, %b: tensor<3x1x16x4xf16>) -> tensor<3x5x8x4xf32> {
  %0 = tessera.matmul %a, %b : tensor<1x5x8x16xf16>, tensor<3x1x16x4xf16> -> tensor<3x5x8x4xf32>
  return %0 : tensor<3x5x8x4xf32>
}

// CHECK-LABEL: func @matmul_fp8
// CHECK: tessera.matmul {{.*}} {epilogue = #tessera.epilogue<relu>} : tensor<16x32xf8E4M3FN>, tensor<32x8xf8E5M2> -> tensor<16x8xbf16>
func.func @matmul_fp8(%a: tensor<16x32xf8E4M3FN>, %b: tensor<32x8xf8E5M2>) -> tensor<16x8xbf16> {
  %0 = tessera.matmul %a, %b {epilogue = #tessera.epilogue<relu>} : tensor<16x32xf8E4M3FN>, tensor<32x8xf8E5M2> -> tensor<16x8xbf16>
  return %0 : tensor<16x8xbf16>
}

// CHECK-LABEL: func @matmul_i8
// CHECK: tessera.matmul {{.*}} : tensor<16x32xi8>, tensor<32x8xi8> -> tensor<16x8xi32>
func.func @matmul_i8(%a: tensor<16x32xi8>, %b: tensor<32x8xi8>) -> tensor<16x8xi32> {
  %0 = tessera.matmul %a, %b : tensor<16x32xi8>, tensor<32x8xi8> -> tensor<16x8xi32>
  return %0 : tensor<16x8xi32>
}

// CHECK-LABEL: func @attention_gqa
// CHECK: %{{.*}}, %{{.*}} = tessera.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.250000e-01 : f32, window = 256 : i64}
// CHECK-SAME: : tensor<2x8x?x64xbf16>, tensor<2x2x?x64xbf16>, tensor<2x2x?x32xbf16> -> tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>
func.func @attention_gqa(%q: tensor<2x8x?x64xbf16>, %k: tensor<2x2x?x64xbf16>, %v: tensor<2x2x?x32xbf16>) -> (tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal, scale = 0.125 : f32, window = 256}
      : tensor<2x8x?x64xbf16>, tensor<2x2x?x64xbf16>, tensor<2x2x?x32xbf16> -> tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>
}

// CHECK-LABEL: func @attention_no_lse
// CHECK: tessera.attention {{.*}} : tensor<?x4x7x128xf16>, tensor<?x1x113x128xf16>, tensor<?x1x113x128xf16> -> tensor<?x4x7x128xf16>
// CHECK-NOT: f32>
func.func @attention_no_lse(%q: tensor<?x4x7x128xf16>, %k: tensor<?x1x113x128xf16>, %v: tensor<?x1x113x128xf16>) -> tensor<?x4x7x128xf16> {
  %o = tessera.attention %q, %k, %v : tensor<?x4x7x128xf16>, tensor<?x1x113x128xf16>, tensor<?x1x113x128xf16> -> tensor<?x4x7x128xf16>
  return %o : tensor<?x4x7x128xf16>
}

// CHECK-LABEL: func @merge
// CHECK: tessera.merge_attention {{.*}} : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>, tensor<4x8x1x128xbf16>, tensor<4x8x1xf32> -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
func.func @merge(%o1: tensor<4x8x1x128xbf16>, %l1: tensor<4x8x1xf32>, %o2: tensor<4x8x1x128xbf16>, %l2: tensor<4x8x1xf32>) -> (tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>) {
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2
      : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>, tensor<4x8x1x128xbf16>, tensor<4x8x1xf32> -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
  return %o, %l : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
}

// CHECK-LABEL: func @fftconv
// CHECK: tessera.fftconv %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x768x?xf16>, tensor<768x?xf16>, tensor<768xf16> -> tensor<?x768x?xf16>
// CHECK: tessera.fftconv %{{.*}}, %{{.*}} {keep_frequencies = 64 : i64} : tensor<?x768x?xf16>, tensor<768x?xf16> -> tensor<?x768x?xf32>
func.func @fftconv(%u: tensor<?x768x?xf16>, %k: tensor<768x?xf16>, %d: tensor<768xf16>) -> (tensor<?x768x?xf16>, tensor<?x768x?xf32>) {
  %y = tessera.fftconv %u, %k, %d : tensor<?x768x?xf16>, tensor<768x?xf16>, tensor<768xf16> -> tensor<?x768x?xf16>
  %z = tessera.fftconv %u, %k {keep_frequencies = 64} : tensor<?x768x?xf16>, tensor<768x?xf16> -> tensor<?x768x?xf32>
  return %y, %z : tensor<?x768x?xf16>, tensor<?x768x?xf32>
}

// CHECK-LABEL: func @sparse
// CHECK: tessera.spmm {{.*}} : tensor<4096x4096xf16, #{{.*}}>, tensor<4096x?xf16> -> tensor<4096x?xf16>
// CHECK: tessera.spmm {{.*}} : tensor<64x64xbf16, #{{.*}}>, tensor<64x16xbf16> -> tensor<64x16xf32>
// CHECK: tessera.spmm {{.*}} : tensor<64x64xf16, #{{.*}}>, tensor<64x16xf16> -> tensor<64x16xf16>
// CHECK: tessera.spgemm {{.*}} : tensor<?x?xf32, #{{.*}}>, tensor<?x?xf32, #{{.*}}> -> tensor<?x?xf32, #{{.*}}>
func.func @sparse(%w: tensor<4096x4096xf16, #CSR>, %x: tensor<4096x?xf16>,
                  %bw: tensor<64x64xbf16, #BSR>, %bx: tensor<64x16xbf16>,
                  %nw: tensor<64x64xf16, #NV24>, %nx: tensor<64x16xf16>,
                  %a: tensor<?x?xf32, #CSR>) -> (tensor<4096x?xf16>, tensor<64x16xf32>, tensor<64x16xf16>, tensor<?x?xf32, #CSR>) {
  %0 = tessera.spmm %w, %x : tensor<4096x4096xf16, #CSR>, tensor<4096x?xf16> -> tensor<4096x?xf16>
  %1 = tessera.spmm %bw, %bx : tensor<64x64xbf16, #BSR>, tensor<64x16xbf16> -> tensor<64x16xf32>
  %2 = tessera.spmm %nw, %nx : tensor<64x64xf16, #NV24>, tensor<64x16xf16> -> tensor<64x16xf16>
  %3 = tessera.spgemm %a, %a : tensor<?x?xf32, #CSR>, tensor<?x?xf32, #CSR> -> tensor<?x?xf32, #CSR>
  return %0, %1, %2, %3 : tensor<4096x?xf16>, tensor<64x16xf32>, tensor<64x16xf16>, tensor<?x?xf32, #CSR>
}

// CHECK-LABEL: func @attention_schedules
// CHECK: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 4, warps = 8, split_kv = 0, pack_gqa = true, max_sq = 16>, #tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">]
func.func @attention_schedules(%q: tensor<1x8x?x64xbf16>, %k: tensor<1x2x?x64xbf16>, %v: tensor<1x2x?x64xbf16>) -> tensor<1x8x?x64xbf16> {
  %o = tessera.attention %q, %k, %v {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 4, warps = 8, split_kv = 0, pack_gqa = true, max_sq = 16>, #tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">]} : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16> -> tensor<1x8x?x64xbf16>
  return %o : tensor<1x8x?x64xbf16>
}

// The kernel ABI and launch plans tessera-gpu-build-kernels records.
// CHECK-LABEL: func @launch_plan
// CHECK: tessera.launch_plans = [#tessera.launch_plan<condition = "v2.0 <= 64", temporaries = [#tessera.temporary<element = f32, dims = ["1", "v2.0", "v2.1"], zero = true>], launches = [#tessera.kernel_abi<kernel = @k, grid = ["cdiv(v2.1,64)", "1", "1"], block = [128, 1, 1], cluster = [2, 1, 1], shared_memory = 1024, params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 128], swizzle = 128>, #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "i64", expr = "v0.0*2">]>]>]
func.func @launch_plan(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  %0 = tessera.matmul %a, %b {tessera.launch_plans = [#tessera.launch_plan<condition = "v2.0 <= 64", temporaries = [#tessera.temporary<element = f32, dims = ["1", "v2.0", "v2.1"], zero = true>], launches = [#tessera.kernel_abi<kernel = @k, grid = ["cdiv(v2.1,64)", "1", "1"], block = [128, 1, 1], cluster = [2, 1, 1], shared_memory = 1024, params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 128], swizzle = 128>, #tessera.kernel_param<kind = "memref", value = 3>, #tessera.kernel_param<kind = "i64", expr = "v0.0*2">]>]>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}
