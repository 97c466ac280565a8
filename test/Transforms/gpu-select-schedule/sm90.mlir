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

// W stored [N, K]: the cost model's choice. Decode (M = 16): A and B
// swapped, 64 rows of W by the 16 tokens per block; 64 blocks of two per SM
// draw enough of the DRAM bandwidth without splitting K.
// CHECK-LABEL: func.func @decode
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 8, warps = 8, mma = "wgmma", swap_ab = true>]
func.func @decode(%x: tensor<16x4096xf16>, %w: tensor<4096x4096xf16>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<16x4096xf16>, tensor<4096x4096xf16> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}

// Mid M: 333 tokens by 4096 rows of W take swapped 168 x 64 tiles (two token
// tiles by 64 row tiles: 128 blocks, 1% padding); 77 tokens by 14336 rows
// 128 x 128 tiles (112, one wave); 768 tokens by 1024 rows swapped
// 96 x 64 tiles (8 x 16 blocks).
// CHECK-LABEL: func.func @mid_tokens
// CHECK: schedules = [#tessera.schedule<block_m = 168, block_n = 64, block_k = 64, stages = 7, warps = 8, mma = "wgmma", swap_ab = true>]
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, mma = "wgmma">]
// CHECK: schedules = [#tessera.schedule<block_m = 96, block_n = 64, block_k = 64, stages = 8, warps = 8, mma = "wgmma", swap_ab = true>]
func.func @mid_tokens(%x: tensor<333x4096xbf16>, %w: tensor<4096x4096xbf16>, %y: tensor<77x4096xbf16>, %u: tensor<14336x4096xbf16>, %z: tensor<768x4096xbf16>, %v: tensor<1024x4096xbf16>) -> (tensor<333x4096xbf16>, tensor<77x14336xbf16>, tensor<768x1024xbf16>) {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<333x4096xbf16>, tensor<4096x4096xbf16> -> tensor<333x4096xbf16>
  %1 = tessera.matmul %y, %u {transpose_b} : tensor<77x4096xbf16>, tensor<14336x4096xbf16> -> tensor<77x14336xbf16>
  %2 = tessera.matmul %z, %v {transpose_b} : tensor<768x4096xbf16>, tensor<1024x4096xbf16> -> tensor<768x1024xbf16>
  return %0, %1, %2 : tensor<333x4096xbf16>, tensor<77x14336xbf16>, tensor<768x1024xbf16>
}

// Dynamic M (tokens) with W stored [N, K]: one schedule per token class,
// picked at launch by `M <= max_m`: the model's least worst ratio to each
// exact M's best over the class.
// CHECK-LABEL: func.func @tokens
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 8, block_n = 64, block_k = 64, stages = 8, warps = 8, max_m = 8, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 8, warps = 8, max_m = 16, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 24, block_n = 64, block_k = 64, stages = 8, warps = 8, max_m = 24, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 32, block_n = 64, block_k = 64, stages = 8, warps = 8, max_m = 32, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 48, block_n = 64, block_k = 64, stages = 8, warps = 8, max_m = 48, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, max_m = 64, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, max_m = 96, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, max_m = 128, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 192, block_n = 128, block_k = 64, stages = 5, warps = 12, max_m = 192, mma = "wgmma", swap_ab = true>,
// CHECK-SAME: #tessera.schedule<block_m = 256, block_n = 128, block_k = 64, stages = 4, warps = 12, swizzle = 8, max_m = 256, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, max_m = 384, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, swizzle = 8, max_m = 512, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 6, warps = 12, swizzle = 8, max_m = 1024, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, swizzle = 8, max_m = 2048, mma = "wgmma">,
// CHECK-SAME: #tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @tokens(%x: tensor<?x4096xbf16>, %w: tensor<14336x4096xbf16>) -> tensor<?x14336xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<?x4096xbf16>, tensor<14336x4096xbf16> -> tensor<?x14336xbf16>
  return %0 : tensor<?x14336xbf16>
}

// Dynamic M with W stored [K, N]: no cost model; the decode class takes
// mma.sync (32 x 32 x 128 tiles), M <= 256 and larger M wgmma.
// CHECK-LABEL: func.func @tokens_kn
// CHECK: schedules = [#tessera.schedule<block_m = 32, block_n = 32, block_k = 128, stages = 6, warps = 4, max_m = 64>, #tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 8, warps = 12, swizzle = 8, max_m = 256, mma = "wgmma">, #tessera.schedule<block_m = 256, block_n = 128, block_k = 64, stages = 4, warps = 12, swizzle = 8, mma = "wgmma">]
func.func @tokens_kn(%x: tensor<?x4096xbf16>, %w: tensor<4096x4096xbf16>) -> tensor<?x4096xbf16> {
  %0 = tessera.matmul %x, %w : tensor<?x4096xbf16>, tensor<4096x4096xbf16> -> tensor<?x4096xbf16>
  return %0 : tensor<?x4096xbf16>
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

// fp8 decode: swapped, 128-element K steps, no split (as bf16).
// CHECK-LABEL: func.func @fp8_decode
// CHECK: schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 128, stages = 8, warps = 8, mma = "wgmma", swap_ab = true>]
func.func @fp8_decode(%x: tensor<16x4096xf8E4M3FN>, %w: tensor<4096x4096xf8E5M2>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<16x4096xf8E4M3FN>, tensor<4096x4096xf8E5M2> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}
