// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-build-kernels=target=sm_80
// RUN: not tessera-opt %s --tessera-gpu-build-kernels=target=sm_70 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: tessera-gpu-build-kernels: unknown target 'sm_70' (expected sm_90a or sm_80)

func.func @no_schedule(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{has no 'schedules': run tessera-gpu-select-schedule first}}
  %0 = tessera.matmul %a, %b : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @warp_grid(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{has no warp grid with 16 x 16 warp tiles}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 16, block_n = 16, block_k = 32, stages = 2, warps = 8>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @rank4(%a: tensor<2x2x64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<2x2x64x64xf32> {
  // expected-error @below {{has operands of rank > 3: GPU kernels take at most one batch dimension}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 32, stages = 2, warps = 4>]} : tensor<2x2x64x64xbf16>, tensor<64x64xbf16> -> tensor<2x2x64x64xf32>
  return %0 : tensor<2x2x64x64xf32>
}
