// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a | FileCheck %s

// Large square: 128 x 256 tiles, 64-element (128-byte) K slices, 4 stages,
// a producer and two consumer warpgroups, 2 x 1 clusters.
// CHECK-LABEL: func.func @square
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, cluster_m = 2, swizzle = 8>]
func.func @square(%a: tensor<4096x4096xbf16>, %b: tensor<4096x4096xbf16>) -> tensor<4096x4096xbf16> {
  %0 = tessera.matmul %a, %b : tensor<4096x4096xbf16>, tensor<4096x4096xbf16> -> tensor<4096x4096xbf16>
  return %0 : tensor<4096x4096xbf16>
}

// Decode (M = 16): 64 x 128 tiles; 32 tiles fill too few of the 132 SMs, so
// K = 4096 is split 4 ways (132 / 32), keeping >= 4 K steps per split.
// CHECK-LABEL: func.func @decode
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 64, block_n = 128, block_k = 128, stages = 4, warps = 8, split_k = 4>]
func.func @decode(%x: tensor<16x4096xf16>, %w: tensor<4096x4096xf16>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<16x4096xf16>, tensor<4096x4096xf16> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}

// fp8 doubles block_k (128 bytes per row either way).
// CHECK-LABEL: func.func @fp8
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 128, block_n = 256, block_k = 128, stages = 4, warps = 12, cluster_m = 2, swizzle = 8>]
func.func @fp8(%a: tensor<8192x8192xf8E4M3FN>, %b: tensor<8192x8192xf8E4M3FN>) -> tensor<8192x8192xbf16> {
  %0 = tessera.matmul %a, %b : tensor<8192x8192xf8E4M3FN>, tensor<8192x8192xf8E4M3FN> -> tensor<8192x8192xbf16>
  return %0 : tensor<8192x8192xbf16>
}

// Dynamic M (tokens): one schedule per M class, picked at launch. The
// decode class fills the SMs without split-K (112 tiles of N).
// CHECK-LABEL: func.func @tokens
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 64, block_n = 128, block_k = 128, stages = 4, warps = 8, max_m = 64>, #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 5, warps = 12, swizzle = 8, max_m = 256>, #tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 4, warps = 12, cluster_m = 2, swizzle = 8>]
func.func @tokens(%x: tensor<?x4096xbf16>, %w: tensor<14336x4096xbf16>) -> tensor<?x14336xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<?x4096xbf16>, tensor<14336x4096xbf16> -> tensor<?x14336xbf16>
  return %0 : tensor<?x14336xbf16>
}

// Narrow N takes 64-wide tiles (and 32 tiles split K 4 ways); a pinned
// schedule is kept as written.
// CHECK-LABEL: func.func @narrow_and_pinned
// CHECK: schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 4, warps = 12, cluster_m = 2, swizzle = 8, split_k = 4>]
// CHECK: schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]
func.func @narrow_and_pinned(%a: tensor<4096x1024xbf16>, %b: tensor<1024x17xbf16>) -> (tensor<4096x17xf32>, tensor<4096x17xf32>) {
  %0 = tessera.matmul %a, %b : tensor<4096x1024xbf16>, tensor<1024x17xbf16> -> tensor<4096x17xf32>
  %1 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<4096x1024xbf16>, tensor<1024x17xbf16> -> tensor<4096x17xf32>
  return %0, %1 : tensor<4096x17xf32>, tensor<4096x17xf32>
}
