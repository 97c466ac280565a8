// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_90a

func.func @f32(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @below {{'tessera.matmul' op has 'f32' operands 'a' and 'b': sm_90a tensor-core GEMMs take bf16 or f16, or f8E4M3FN / f8E5M2}}
  %0 = tessera.matmul %a, %b : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @too_much_shared_memory(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{its pipeline needs 393216 bytes of shared memory}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 8, warps = 12>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_m(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{block_m must be a multiple of 64 (the wgmma M)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 32, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_n(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{block_n must be a multiple of 8 up to 256 (the wgmma N)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 512, block_k = 32, stages = 1, warps = 4>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @warpgroups(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{warps must be a multiple of 4 (whole warpgroups)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 6>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @swizzle_row(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{a block_k row must be a multiple of 128 bytes (the TMA swizzle)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 32, stages = 2, warps = 4>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
