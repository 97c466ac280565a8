// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_80
// RUN: not tessera-opt %s --tessera-gpu-select-schedule=target=sm_75 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: tessera-gpu-select-schedule: unknown target 'sm_75' (expected sm_90a or sm_80)

func.func @too_much_shared_memory(%a: tensor<64x64xf16>, %b: tensor<64x64xf16>) -> tensor<64x64xf32> {
  // expected-error @below {{does not fit sm_80: its pipeline needs about 184320 bytes of shared memory (stages x (block_m + block_n) x (block_k + 8) x 2), more than the 166912 available}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 5, warps = 8>]} : tensor<64x64xf16>, tensor<64x64xf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_on_ampere(%a: tensor<64x64xf16>, %b: tensor<64x64xf16>) -> tensor<64x64xf32> {
  // expected-error @below {{does not fit sm_80: wgmma needs sm_90a}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 4, warps = 12, mma = "wgmma">]} : tensor<64x64xf16>, tensor<64x64xf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_on_ampere(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has 'f8E4M3FN' operands 'a' and 'b': sm_80 tensor-core GEMMs take bf16 or f16 (fp8 tensor cores need sm_90a)}}
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
