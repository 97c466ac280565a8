// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a | FileCheck %s

// Large square: wgmma, 256 x 128 x 64 tiles for a producer and two consumer
// warpgroups, as many stages (4) as shared memory holds, rasterized in
// groups of 8 block rows.
// CHECK-LABEL: func.func @square
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 256, block_n = 128, block_k = 64, stages = 4, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @square(%a: tensor<4096x4096xbf16>, %b: tensor<4096x4096xbf16>) -> tensor<4096x4096xbf16> {
  %0 = tessera.matmul %a, %b : tensor<4096x4096xbf16>, tensor<4096x4096xbf16> -> tensor<4096x4096xbf16>
  return %0 : tensor<4096x4096xbf16>
}

// Decode (M = 16, W stored [N, K]): wgmma with A and B swapped, 64 rows of
// W by the 16 tokens per block; 64 tiles fill at most half the 132 SMs, so
// K splits over clusters of 2 blocks.
// CHECK-LABEL: func.func @decode
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]
func.func @decode(%x: tensor<16x4096xf16>, %w: tensor<4096x4096xf16>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<16x4096xf16>, tensor<4096x4096xf16> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}

// Dynamic M (tokens): one schedule per M class, picked at launch: swapped
// wgmma for decode (up to 64 tokens; 224 tiles of W: no split), wgmma above
// (M <= 256: 112 tiles of 256 x 128 fill 85% of the SMs).
// CHECK-LABEL: func.func @tokens
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 7, warps = 8, max_m = 64, mma = "wgmma", swap_ab = true>, #tessera.schedule<block_m = 256, block_n = 128, block_k = 64, stages = 4, warps = 12, swizzle = 8, max_m = 256, mma = "wgmma">, #tessera.schedule<block_m = 256, block_n = 128, block_k = 64, stages = 4, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @tokens(%x: tensor<?x4096xbf16>, %w: tensor<14336x4096xbf16>) -> tensor<?x14336xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<?x4096xbf16>, tensor<14336x4096xbf16> -> tensor<?x14336xbf16>
  return %0 : tensor<?x14336xbf16>
}

// B's rows (17 elements) are no 16-byte multiple, so TMA cannot load it:
// mma.sync. Narrow N takes 64-wide tiles (and 32 tiles split K 4 ways); a
// pinned schedule is kept as written.
// CHECK-LABEL: func.func @narrow_and_pinned
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 3, warps = 8, swizzle = 8, split_k = 4>]
// CHECK: schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]
func.func @narrow_and_pinned(%a: tensor<4096x1024xbf16>, %b: tensor<1024x17xbf16>) -> (tensor<4096x17xf32>, tensor<4096x17xf32>) {
  %0 = tessera.matmul %a, %b : tensor<4096x1024xbf16>, tensor<1024x17xbf16> -> tensor<4096x17xf32>
  %1 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<4096x1024xbf16>, tensor<1024x17xbf16> -> tensor<4096x17xf32>
  return %0, %1 : tensor<4096x17xf32>, tensor<4096x17xf32>
}

// M = 128, N = 4096: no tile fills the SMs (128 x 64 gives 64 tiles), so the
// smallest, 8 stages deep. Transposed operands take wgmma too.
// CHECK-LABEL: func.func @prefill_transposed
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 8, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @prefill_transposed(%a: tensor<4096x128xf16>, %b: tensor<4096x4096xf16>) -> tensor<128x4096xf16> {
  %0 = tessera.matmul %a, %b {transpose_a, transpose_b} : tensor<4096x128xf16>, tensor<4096x4096xf16> -> tensor<128x4096xf16>
  return %0 : tensor<128x4096xf16>
}

// Decode with W stored [K, N]: mma.sync (32-wide tiles where 64-wide ones
// would leave SMs idle, 128-wide K steps 6 deep).
// CHECK-LABEL: func.func @decode_kn
// CHECK: schedules = [#tessera.schedule<block_m = 32, block_n = 32, block_k = 128, stages = 6, warps = 4>]
func.func @decode_kn(%x: tensor<16x4096xbf16>, %w: tensor<4096x4096xbf16>) -> tensor<16x4096xbf16> {
  %0 = tessera.matmul %x, %w : tensor<16x4096xbf16>, tensor<4096x4096xbf16> -> tensor<16x4096xbf16>
  return %0 : tensor<16x4096xbf16>
}

// fp8 (per-tensor scales): 128 x 128 x 128 tiles (fp8 keeps its
// accumulators twice, so no 256-wide tiles), 4 stages.
// CHECK-LABEL: func.func @fp8_square
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 128, stages = 4, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @fp8_square(%a: tensor<4096x4096xf8E4M3FN>, %b: tensor<4096x4096xf8E4M3FN>, %sa: tensor<f32>, %sb: tensor<f32>) -> tensor<4096x4096xbf16> {
  %0 = tessera.matmul %a, %b scales(%sa, %sb) {transpose_b} : tensor<4096x4096xf8E4M3FN>, tensor<4096x4096xf8E4M3FN> -> tensor<4096x4096xbf16>
  return %0 : tensor<4096x4096xbf16>
}

// fp8 decode: swapped, 128-element K steps, split over a cluster of 2.
// CHECK-LABEL: func.func @fp8_decode
// CHECK: schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 128, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]
func.func @fp8_decode(%x: tensor<16x4096xf8E4M3FN>, %w: tensor<4096x4096xf8E5M2>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<16x4096xf8E4M3FN>, tensor<4096x4096xf8E5M2> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}
