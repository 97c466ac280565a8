// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_80 | FileCheck %s

// CHECK-LABEL: func.func @square
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 3, warps = 8, swizzle = 8>]
func.func @square(%a: tensor<2048x2048xf16>, %b: tensor<2048x2048xf16>) -> tensor<2048x2048xf16> {
  %0 = tessera.matmul %a, %b : tensor<2048x2048xf16>, tensor<2048x2048xf16> -> tensor<2048x2048xf16>
  return %0 : tensor<2048x2048xf16>
}

// Batched: the grid counts the batch (4 x 1 x 4 = 16 tiles 32 wide for
// 108 SMs, so 128-wide K steps 6 deep): K is split 2 ways, as far as 1024
// allows with 4 K steps per split.
// CHECK-LABEL: func.func @batched_skinny
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 32, block_n = 32, block_k = 128, stages = 6, warps = 4, split_k = 2>]
func.func @batched_skinny(%a: tensor<4x1x1024xbf16>, %b: tensor<1024x128xbf16>) -> tensor<4x1x128xbf16> {
  %0 = tessera.matmul %a, %b : tensor<4x1x1024xbf16>, tensor<1024x128xbf16> -> tensor<4x1x128xbf16>
  return %0 : tensor<4x1x128xbf16>
}

// Two M classes on sm_80.
// CHECK-LABEL: func.func @tokens
// CHECK: tessera.matmul
// CHECK-SAME: schedules = [#tessera.schedule<block_m = 32, block_n = 32, block_k = 128, stages = 6, warps = 4, max_m = 64>, #tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 3, warps = 8, swizzle = 8>]
func.func @tokens(%x: tensor<?x512xbf16>, %w: tensor<512x512xbf16>) -> tensor<?x512xbf16> {
  %0 = tessera.matmul %x, %w : tensor<?x512xbf16>, tensor<512x512xbf16> -> tensor<?x512xbf16>
  return %0 : tensor<?x512xbf16>
}
