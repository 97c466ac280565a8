// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_90a

func.func @f32(%q: tensor<1x2x16x64xf32>) -> tensor<1x2x16x64xf32> {
  // expected-error @below {{'tessera.attention' op has 'f32' operands 'q', 'k' and 'v': sm_90a attention kernels take bf16 or f16}}
  %o = tessera.attention %q, %q, %q : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x2x16x64xf32>
  return %o : tensor<1x2x16x64xf32>
}

// -----

func.func @head_dim_unaligned(%q: tensor<1x2x16x100xbf16>) -> tensor<1x2x16x100xbf16> {
  // expected-error @below {{has a head dimension of 'q' (100) that the GPU kernels cannot load: they take up to 256, in multiples of 8 (rows of 16-byte multiples)}}
  %o = tessera.attention %q, %q, %q : tensor<1x2x16x100xbf16>, tensor<1x2x16x100xbf16>, tensor<1x2x16x100xbf16> -> tensor<1x2x16x100xbf16>
  return %o : tensor<1x2x16x100xbf16>
}

// -----

func.func @head_dim_large(%q: tensor<1x2x16x64xbf16>, %v: tensor<1x2x16x512xbf16>) -> tensor<1x2x16x512xbf16> {
  // expected-error @below {{has a head dimension of 'v' (512) that the GPU kernels cannot load}}
  %o = tessera.attention %q, %q, %v : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x512xbf16> -> tensor<1x2x16x512xbf16>
  return %o : tensor<1x2x16x512xbf16>
}

// -----

func.func @pack_gqa(%q: tensor<1x6x16x64xbf16>, %k: tensor<1x2x16x64xbf16>) -> tensor<1x6x16x64xbf16> {
  // expected-error @below {{pack_gqa puts the 3 query heads of a KV head in one block: block_q must be a multiple of 3}}
  %o = tessera.attention %q, %k, %k {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 2, warps = 8, pack_gqa = true>]} : tensor<1x6x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x6x16x64xbf16>
  return %o : tensor<1x6x16x64xbf16>
}

// -----

func.func @shared_memory(%q: tensor<1x2x16x256xbf16>) -> tensor<1x2x16x256xbf16> {
  // expected-error @below {{does not fit sm_90a: it needs 1148048 bytes of shared memory, more than the 232448 available}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 192, block_kv = 256, stages = 4, warps = 16>]} : tensor<1x2x16x256xbf16>, tensor<1x2x16x256xbf16>, tensor<1x2x16x256xbf16> -> tensor<1x2x16x256xbf16>
  return %o : tensor<1x2x16x256xbf16>
}

// -----

func.func @merge_fp8(%o1: tensor<4x8xf8E4M3FN>, %l1: tensor<4xf32>) -> (tensor<4x8xbf16>, tensor<4xf32>) {
  // expected-error @below {{has 'f8E4M3FN' partial outputs: the GPU merge kernel takes f32, bf16 or f16}}
  %o, %l = tessera.merge_attention %o1, %l1, %o1, %l1 : tensor<4x8xf8E4M3FN>, tensor<4xf32>, tensor<4x8xf8E4M3FN>, tensor<4xf32> -> tensor<4x8xbf16>, tensor<4xf32>
  return %o, %l : tensor<4x8xbf16>, tensor<4xf32>
}
