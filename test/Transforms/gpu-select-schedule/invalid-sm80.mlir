// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_80
// RUN: not tessera-opt %s --tessera-gpu-select-schedule=target=sm_75 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: tessera-gpu-select-schedule: unknown target 'sm_75' (expected sm_90a or sm_80)

func.func @fp8(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has 'f8E4M3FN' operands 'a' and 'b': sm_80 tensor-core GEMMs take bf16 or f16}}
  %0 = tessera.matmul %a, %b : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @cluster(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{thread block clusters need sm_90}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 32, stages = 2, warps = 4, cluster_m = 2>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
