// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a | FileCheck %s --check-prefix=SM90
// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_80 | FileCheck %s --check-prefix=SM80

// Prefill at d = 128 (static shapes): FlashAttention-3's 128-row tiles (two
// consumer warpgroups) of 128 keys, as many stages (2, beside the output's
// staging buffer) as shared memory holds; sm_80: four warps of 16 rows,
// 64-key tiles, 4 stages.
// SM90-LABEL: func.func @prefill
// SM90: schedules = [#tessera.attention_schedule<block_q = 128, block_kv = 128, stages = 2, warps = 12>]
// SM80-LABEL: func.func @prefill
// SM80: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 4, warps = 4, mma = "mma_sync">]
func.func @prefill(%q: tensor<2x16x4096x128xbf16>, %k: tensor<2x16x4096x128xbf16>, %v: tensor<2x16x4096x128xbf16>) -> tensor<2x16x4096x128xbf16> {
  %o = tessera.attention %q, %k, %v {causal} : tensor<2x16x4096x128xbf16>, tensor<2x16x4096x128xbf16>, tensor<2x16x4096x128xbf16> -> tensor<2x16x4096x128xbf16>
  return %o : tensor<2x16x4096x128xbf16>
}

// Dynamic Sq: a decode class (Sq <= 64 rows of one head, KV split at run
// time) and the prefill class; d = 64 takes 192-row tiles (three
// consumers).
// SM90-LABEL: func.func @head64
// SM90: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 4, warps = 8, split_kv = 0, max_sq = 64>, #tessera.attention_schedule<block_q = 192, block_kv = 128, stages = 4, warps = 16>]
// SM80-LABEL: func.func @head64
// SM80: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 4, warps = 4, split_kv = 0, max_sq = 64, mma = "mma_sync">, #tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 4, warps = 4, mma = "mma_sync">]
func.func @head64(%q: tensor<?x32x?x64xf16>, %k: tensor<?x32x?x64xf16>, %v: tensor<?x32x?x64xf16>) -> tensor<?x32x?x64xf32> {
  %o = tessera.attention %q, %k, %v : tensor<?x32x?x64xf16>, tensor<?x32x?x64xf16>, tensor<?x32x?x64xf16> -> tensor<?x32x?x64xf32>
  return %o : tensor<?x32x?x64xf32>
}

// Decode with GQA 32 / 8: the 4 query heads of a KV head share a block
// (pack_gqa), so each KV byte is read once per KV head.
// SM90-LABEL: func.func @decode
// SM90: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 3, warps = 8, split_kv = 0, pack_gqa = true>]
// SM80-LABEL: func.func @decode
// SM80: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 4, warps = 4, split_kv = 0, pack_gqa = true, mma = "mma_sync">]
func.func @decode(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %o, %l = tessera.attention %q, %k, %v : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %o, %l : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// d = 256: 80-key tiles (sm_80: 32) keep the pipeline in shared memory.
// SM90-LABEL: func.func @head256
// SM90: schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 80, stages = 2, warps = 8, split_kv = 0, max_sq = 64>, #tessera.attention_schedule<block_q = 128, block_kv = 80, stages = 2, warps = 12>]
// SM80-LABEL: func.func @head256
// SM80: block_kv = 32, stages = 3
func.func @head256(%q: tensor<1x8x?x256xbf16>, %k: tensor<1x8x?x256xbf16>, %v: tensor<1x8x?x256xbf16>) -> tensor<1x8x?x256xbf16> {
  %o = tessera.attention %q, %k, %v {causal, window = 128} : tensor<1x8x?x256xbf16>, tensor<1x8x?x256xbf16>, tensor<1x8x?x256xbf16> -> tensor<1x8x?x256xbf16>
  return %o : tensor<1x8x?x256xbf16>
}
