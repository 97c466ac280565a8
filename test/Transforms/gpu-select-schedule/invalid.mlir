// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_90a

func.func @f32(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @below {{'tessera.matmul' op has 'f32' operands 'a' and 'b': sm_90a tensor-core GEMMs take bf16 or f16 or fp8}}
  %0 = tessera.matmul %a, %b : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_n_major(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has fp8 operands, which wgmma reads K-major only: A stored [M, K] and B stored [N, K] (transpose_b)}}
  %0 = tessera.matmul %a, %b : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_m_major(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has fp8 operands, which wgmma reads K-major only}}
  %0 = tessera.matmul %a, %b {transpose_a, transpose_b} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// 24 fp8 bytes per row: TMA copies 16-byte multiples.
func.func @fp8_unaligned_k(%a: tensor<64x24xf8E4M3FN>, %b: tensor<64x24xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has fp8 operands, which TMA loads: K must be a static multiple of 16 (rows of 16-byte multiples)}}
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<64x24xf8E4M3FN>, tensor<64x24xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_dynamic_k(%a: tensor<64x?xf8E4M3FN>, %b: tensor<64x?xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{has fp8 operands, which TMA loads: K must be a static multiple of 16}}
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<64x?xf8E4M3FN>, tensor<64x?xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_mma_sync(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{fp8 operands need mma = "wgmma"}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_block_k(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{block_k must fill a 128-byte swizzled row (128 elements)}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 4, warps = 12, mma = "wgmma">]} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @fp8_accumulators(%a: tensor<64x64xf8E4M3FN>, %b: tensor<64x64xf8E4M3FN>) -> tensor<64x64xf32> {
  // expected-error @below {{fp8 accumulators are promoted into a second set, so a consumer warpgroup computes at most 64 x 128 of the tile, not 16384}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 256, block_n = 128, block_k = 128, stages = 3, warps = 12, mma = "wgmma">]} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// An f32 output of swap_ab promotes its accumulators as fp8 does: 256
// tokens by 64 rows of B are too many for one consumer.
func.func @f32_swap_accumulators(%a: tensor<256x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<256x64xf32> {
  // expected-error @below {{f32 swap_ab accumulators are promoted into a second set, so a consumer warpgroup computes at most 64 x 128 of the tile, not 16384}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 256, block_n = 64, block_k = 64, stages = 3, warps = 8, mma = "wgmma", swap_ab = true>]} : tensor<256x64xbf16>, tensor<64x64xbf16> -> tensor<256x64xf32>
  return %0 : tensor<256x64xf32>
}

// -----

func.func @too_much_shared_memory(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{its pipeline needs about 442368 bytes of shared memory}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 8, warps = 12>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @warp_tiles(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{block_m and block_n must be multiples of 16 (mma.sync warp tiles)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 40, block_k = 32, stages = 2, warps = 4>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @cluster(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{thread block clusters are not implemented yet}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 32, stages = 2, warps = 4, cluster_m = 2>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_unaligned(%a: tensor<64x20xbf16>, %b: tensor<20x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{TMA needs operands whose contiguous dimension is a static multiple of 16 bytes}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 4, warps = 12, mma = "wgmma">]} : tensor<64x20xbf16>, tensor<20x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_block_k(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{block_k must fill a 128-byte swizzled row (64 elements)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 32, stages = 4, warps = 12, mma = "wgmma">]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wgmma_shared_memory(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{its pipeline needs 281680 bytes of shared memory, more than the 232448 available}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 256, block_k = 64, stages = 5, warps = 12, mma = "wgmma">]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @swap_layout(%a: tensor<64x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<64x64xf32> {
  // expected-error @below {{swap_ab needs B stored [N, K] (transpose_b) and A stored [M, K]}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 4, warps = 8, mma = "wgmma", swap_ab = true>]} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
