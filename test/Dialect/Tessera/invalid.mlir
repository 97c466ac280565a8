// RUN: tessera-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

func.func @matmul_rank_a(%a: tensor<8xf32>, %b: tensor<8x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'a' must have rank >= 2 ([*batch, M, K]), got rank 1}}
  %0 = tessera.matmul %a, %b : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_rank_b(%a: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'b' must have rank >= 2 ([*batch, K, N]), got rank 1}}
  %0 = tessera.matmul %a, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_scales_not_fp8(%a: tensor<2x8xbf16>, %b: tensor<8x4xbf16>, %s: tensor<f32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'scale_a' and 'scale_b' scale fp8 operands, 'a' has 'bf16'}}
  %0 = tessera.matmul %a, %b scales(%s, %s) : tensor<2x8xbf16>, tensor<8x4xbf16> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_one_scale(%a: tensor<2x8xf8E4M3FN>, %b: tensor<8x4xf8E4M3FN>, %s: tensor<f32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{has 'scale_a' without 'scale_b': per-tensor scales come in pairs}}
  %0 = "tessera.matmul"(%a, %b, %s) {operandSegmentSizes = array<i32: 1, 1, 0, 1, 0>} : (tensor<2x8xf8E4M3FN>, tensor<8x4xf8E4M3FN>, tensor<f32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_scale_rank(%a: tensor<2x8xf8E4M3FN>, %b: tensor<8x4xf8E4M3FN>, %s: tensor<1xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{operand #2 must be 0-D tensor of f32 (a per-tensor scale), but got 'tensor<1xf32>'}}
  %0 = "tessera.matmul"(%a, %b, %s, %s) {operandSegmentSizes = array<i32: 1, 1, 0, 1, 1>} : (tensor<2x8xf8E4M3FN>, tensor<8x4xf8E4M3FN>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @matmul_sparse_a(%a: tensor<2x8xf32, #CSR>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'a' must be a dense tensor (no sparse encoding)}}
  %0 = tessera.matmul %a, %b : tensor<2x8xf32, #CSR>, tensor<8x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_element_mismatch(%a: tensor<2x8xbf16>, %b: tensor<8x4xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'b' element type 'f16' does not match 'a' element type 'bf16'}}
  %0 = tessera.matmul %a, %b : tensor<2x8xbf16>, tensor<8x4xf16> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_bad_element(%a: tensor<2x8xi16>, %b: tensor<8x4xi16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = tessera.matmul %a, %b : tensor<2x8xi16>, tensor<8x4xi16> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_i32_from_float(%a: tensor<2x8xf16>, %b: tensor<8x4xf16>) -> tensor<2x4xi32> {
  // expected-error @+1 {{result element type i32 requires i8 operands, 'a' has 'f16'}}
  %0 = tessera.matmul %a, %b : tensor<2x8xf16>, tensor<8x4xf16> -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @matmul_i32_with_epilogue(%a: tensor<2x8xi8>, %b: tensor<8x4xi8>) -> tensor<2x4xi32> {
  // expected-error @+1 {{an i32 result cannot have 'alpha', 'bias' or 'epilogue'}}
  %0 = tessera.matmul %a, %b {epilogue = #tessera.epilogue<relu>} : tensor<2x8xi8>, tensor<8x4xi8> -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @matmul_contraction(%a: tensor<2x8xf32>, %b: tensor<4x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{contraction size of 'a' (K = 8) does not match that of 'b' (K = 4)}}
  %0 = tessera.matmul %a, %b : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @matmul_contraction_transposed(%a: tensor<8x2xf32>, %b: tensor<4x6xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{contraction size of 'a' (K = 8) does not match that of 'b' (K = 6)}}
  %0 = tessera.matmul %a, %b {transpose_a, transpose_b} : tensor<8x2xf32>, tensor<4x6xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_batch_broadcast(%a: tensor<3x2x8xf32>, %b: tensor<5x8x4xf32>) -> tensor<3x2x4xf32> {
  // expected-error @+1 {{batch dimension 0 of 'a' (3) and of 'b' (5) do not broadcast}}
  %0 = tessera.matmul %a, %b : tensor<3x2x8xf32>, tensor<5x8x4xf32> -> tensor<3x2x4xf32>
  return %0 : tensor<3x2x4xf32>
}

// -----

func.func @matmul_result_shape(%a: tensor<3x2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'result' has shape [2, 4], expected [3, 2, 4]}}
  %0 = tessera.matmul %a, %b : tensor<3x2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_result_dim(%a: tensor<?x8xf32>, %b: tensor<8x4xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{'result' has shape [?, 5], expected [?, 4]}}
  %0 = tessera.matmul %a, %b : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i) -> (i : compressed) }>
func.func @matmul_sparse_bias(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>, %bias: tensor<4xf32, #CSR>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'bias' must be a dense tensor (no sparse encoding)}}
  %0 = tessera.matmul %a, %b, %bias : tensor<2x8xf32>, tensor<8x4xf32>, tensor<4xf32, #CSR> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_bias_shape(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>, %bias: tensor<2xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'bias' has shape [2], expected [4]}}
  %0 = tessera.matmul %a, %b, %bias : tensor<2x8xf32>, tensor<8x4xf32>, tensor<2xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_bias_element(%a: tensor<2x8xbf16>, %b: tensor<8x4xbf16>, %bias: tensor<4xf16>) -> tensor<2x4xbf16> {
  // expected-error @+1 {{'bias' element type 'f16' must be f32 or the result element type 'bf16'}}
  %0 = tessera.matmul %a, %b, %bias : tensor<2x8xbf16>, tensor<8x4xbf16>, tensor<4xf16> -> tensor<2x4xbf16>
  return %0 : tensor<2x4xbf16>
}

// -----

func.func @matmul_bad_epilogue(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{expected ::mlir::tessera::Epilogue to be one of: none, relu, gelu_tanh, silu}}
  // expected-error @+1 {{failed to parse Tessera_EpilogueAttr parameter 'value'}}
  %0 = tessera.matmul %a, %b {epilogue = #tessera.epilogue<tanh>} : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

func.func @attention_rank_q(%q: tensor<8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'q' must have rank 4 ([B, Hq, Sq, D]), got rank 3}}
  %o = tessera.attention %q, %k, %v : tensor<8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_rank_k(%q: tensor<1x8x16x64xf16>, %k: tensor<8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'k' must have rank 4 ([B, Hkv, Skv, D]), got rank 3}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_rank_v(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'v' must have rank 4 ([B, Hkv, Skv, Dv]), got rank 3}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

#COO = #sparse_tensor.encoding<{ map = (a, b, c, d) -> (a : compressed(nonunique), b : singleton(nonunique), c : singleton(nonunique), d : singleton) }>
func.func @attention_sparse_k(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32, #COO>, %v: tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'k' must be a dense tensor (no sparse encoding)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32, #COO>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @attention_element_k(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xbf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'k' element type 'bf16' does not match 'q' element type 'f16'}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xbf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_element_v(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'v' element type 'f32' does not match 'q' element type 'f16'}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_dynamic_heads(%q: tensor<1x?x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x?x16x64xf16> {
  // expected-error @+1 {{head count of 'q' (dimension 1) must be static}}
  %o = tessera.attention %q, %k, %v : tensor<1x?x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x?x16x64xf16>
  return %o : tensor<1x?x16x64xf16>
}

// -----

func.func @attention_dynamic_head_dim(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x?xf16>) -> tensor<1x8x16x?xf16> {
  // expected-error @+1 {{head dimension of 'v' (dimension 3) must be static}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x?xf16> -> tensor<1x8x16x?xf16>
  return %o : tensor<1x8x16x?xf16>
}

// -----

func.func @attention_batch(%q: tensor<2x8x16x64xf16>, %k: tensor<3x8x16x64xf16>, %v: tensor<3x8x16x64xf16>) -> tensor<2x8x16x64xf16> {
  // expected-error @+1 {{batch size of 'k' (3) does not match that of 'q' (2)}}
  %o = tessera.attention %q, %k, %v : tensor<2x8x16x64xf16>, tensor<3x8x16x64xf16>, tensor<3x8x16x64xf16> -> tensor<2x8x16x64xf16>
  return %o : tensor<2x8x16x64xf16>
}

// -----

func.func @attention_batch_v(%q: tensor<2x8x16x64xf16>, %k: tensor<2x8x16x64xf16>, %v: tensor<3x8x16x64xf16>) -> tensor<2x8x16x64xf16> {
  // expected-error @+1 {{batch size of 'v' (3) does not match that of 'q' (2)}}
  %o = tessera.attention %q, %k, %v : tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<3x8x16x64xf16> -> tensor<2x8x16x64xf16>
  return %o : tensor<2x8x16x64xf16>
}

// -----

func.func @attention_head_dim(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{head dimension of 'k' (128) does not match that of 'q' (64)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_kv_heads(%q: tensor<1x8x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x4x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{head count of 'v' (4) does not match that of 'k' (2)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x4x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_kv_length(%q: tensor<1x8x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x32x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{sequence length of 'v' (32) does not match that of 'k' (16)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x32x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_gqa(%q: tensor<1x8x16x64xf16>, %k: tensor<1x3x16x64xf16>, %v: tensor<1x3x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{head count of 'q' (8) must be a multiple of the head count of 'k' (3)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x3x16x64xf16>, tensor<1x3x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_zero_kv_heads(%q: tensor<1x8x16x64xf16>, %k: tensor<1x0x16x64xf16>, %v: tensor<1x0x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{head count of 'q' (8) must be a multiple of the head count of 'k' (0)}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x0x16x64xf16>, tensor<1x0x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_zero_head_dim(%q: tensor<1x8x16x0xf16>, %k: tensor<1x8x16x0xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{head dimension of 'q' must be positive}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x0xf16>, tensor<1x8x16x0xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_out_shape(%q: tensor<1x8x16x64xf16>, %k: tensor<1x2x32x64xf16>, %v: tensor<1x2x32x32xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'out' has shape [1, 8, 16, 64], expected [1, 8, 16, 32]}}
  %o = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x2x32x64xf16>, tensor<1x2x32x32xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_lse_shape(%q: tensor<1x8x?x64xf16>, %k: tensor<1x2x32x64xf16>, %v: tensor<1x2x32x64xf16>) -> tensor<1x2x?xf32> {
  // expected-error @+1 {{'lse' has shape [1, 2, ?], expected [1, 8, ?]}}
  %o, %lse = tessera.attention %q, %k, %v : tensor<1x8x?x64xf16>, tensor<1x2x32x64xf16>, tensor<1x2x32x64xf16> -> tensor<1x8x?x64xf16>, tensor<1x2x?xf32>
  return %lse : tensor<1x2x?xf32>
}

// -----

func.func @attention_lse_type(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16xf16> {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values}}
  %o, %lse = tessera.attention %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>, tensor<1x8x16xf16>
  return %lse : tensor<1x8x16xf16>
}

// -----

func.func @attention_scale(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'scale' must be finite, got INF}}
  %o = tessera.attention %q, %k, %v {scale = 0x7F800000 : f32} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_window_value(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'window' must be at least 1, got 0}}
  %o = tessera.attention %q, %k, %v {causal, window = 0} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_window_needs_causal(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'window' requires 'causal'}}
  %o = tessera.attention %q, %k, %v {window = 4} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

//===----------------------------------------------------------------------===//
// merge_attention
//===----------------------------------------------------------------------===//

func.func @merge_rank(%o1: tensor<f32>, %l1: tensor<f32>, %o2: tensor<f32>, %l2: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'o1' must have rank >= 1 ([..., Dv])}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32> -> tensor<f32>, tensor<f32>
  return %o : tensor<f32>
}

// -----

func.func @merge_element(%o1: tensor<4x8xf32>, %l1: tensor<4xf32>, %o2: tensor<4x8xbf16>, %l2: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'o2' element type 'bf16' does not match 'o1' element type 'f32'}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xbf16>, tensor<4xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return %o : tensor<4x8xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @merge_sparse(%o1: tensor<4x8xf32, #CSR>, %l1: tensor<4xf32>, %o2: tensor<4x8xf32>, %l2: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'o1' must be a dense tensor (no sparse encoding)}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32, #CSR>, tensor<4xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @merge_o2_shape(%o1: tensor<4x8xf32>, %l1: tensor<4xf32>, %o2: tensor<4x16xf32>, %l2: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'o2' has shape [4, 16], expected [4, 8]}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32>, tensor<4xf32>, tensor<4x16xf32>, tensor<4xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @merge_lse1_shape(%o1: tensor<4x8xf32>, %l1: tensor<4x8xf32>, %o2: tensor<4x8xf32>, %l2: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'lse1' has shape [4, 8], expected [4]}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @merge_lse2_shape(%o1: tensor<?x8xf32>, %l1: tensor<?xf32>, %o2: tensor<3x8xf32>, %l2: tensor<5xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'lse2' has shape [5], expected [3]}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<?x8xf32>, tensor<?xf32>, tensor<3x8xf32>, tensor<5xf32> -> tensor<?x8xf32>, tensor<?xf32>
  return %o : tensor<?x8xf32>
}

// -----

func.func @merge_out_shape(%o1: tensor<4x8xf32>, %l1: tensor<4xf32>, %o2: tensor<4x8xf32>, %l2: tensor<4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'out' has shape [4, 4], expected [4, 8]}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<4x4xf32>, tensor<4xf32>
  return %o : tensor<4x4xf32>
}

// -----

func.func @merge_lse_shape(%o1: tensor<4x8xf32>, %l1: tensor<4xf32>, %o2: tensor<4x8xf32>, %l2: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'lse' has shape [2], expected [4]}}
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>, tensor<2xf32>
  return %l : tensor<2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// fftconv
//===----------------------------------------------------------------------===//

func.func @fftconv_rank_u(%u: tensor<4x64xf32>, %k: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'u' must have rank 3 ([B, H, N]), got rank 2}}
  %y = tessera.fftconv %u, %k : tensor<4x64xf32>, tensor<4x64xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

func.func @fftconv_rank_k(%u: tensor<2x4x64xf32>, %k: tensor<64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'k' must have rank 2 ([H, L]), got rank 1}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<64xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @fftconv_sparse_k(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32, #CSR>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'k' must be a dense tensor (no sparse encoding)}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<4x64xf32, #CSR> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_element_k(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf16>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'k' element type 'f16' does not match 'u' element type 'f32'}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<4x64xf16> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_channels(%u: tensor<2x4x64xf32>, %k: tensor<8x64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{channel count of 'k' (8) does not match that of 'u' (4)}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<8x64xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_filter_length(%u: tensor<2x4x64xf32>, %k: tensor<4x65xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{filter length of 'k' (L = 65) exceeds the sequence length of 'u' (N = 64)}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<4x65xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_empty_filter(%u: tensor<2x4x64xf32>, %k: tensor<4x0xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{filter length of 'k' must be at least 1}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<4x0xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_rank_d(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>, %d: tensor<4x1xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'d' must have rank 1 ([H]), got rank 2}}
  %y = tessera.fftconv %u, %k, %d : tensor<2x4x64xf32>, tensor<4x64xf32>, tensor<4x1xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

#SV = #sparse_tensor.encoding<{ map = (i) -> (i : compressed) }>
func.func @fftconv_sparse_d(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>, %d: tensor<4xf32, #SV>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'d' must be a dense tensor (no sparse encoding)}}
  %y = tessera.fftconv %u, %k, %d : tensor<2x4x64xf32>, tensor<4x64xf32>, tensor<4xf32, #SV> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_element_d(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>, %d: tensor<4xbf16>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'d' element type 'bf16' does not match 'u' element type 'f32'}}
  %y = tessera.fftconv %u, %k, %d : tensor<2x4x64xf32>, tensor<4x64xf32>, tensor<4xbf16> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_channels_d(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>, %d: tensor<3xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{channel count of 'd' (3) does not match that of 'u' (4)}}
  %y = tessera.fftconv %u, %k, %d : tensor<2x4x64xf32>, tensor<4x64xf32>, tensor<3xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_keep(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'keep_frequencies' must be at least 1, got 0}}
  %y = tessera.fftconv %u, %k {keep_frequencies = 0} : tensor<2x4x64xf32>, tensor<4x64xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

func.func @fftconv_result(%u: tensor<2x4x64xf32>, %k: tensor<4x64xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'result' has shape [2, 4, 32], expected [2, 4, 64]}}
  %y = tessera.fftconv %u, %k : tensor<2x4x64xf32>, tensor<4x64xf32> -> tensor<2x4x32xf32>
  return %y : tensor<2x4x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// spmm / spgemm
//===----------------------------------------------------------------------===//

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_rank_a(%a: tensor<2x8x8xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'a' must have rank 2 ([M, K]), got rank 3}}
  %y = tessera.spmm %a, %b : tensor<2x8x8xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_rank_b(%a: tensor<8x8xf32, #CSR>, %b: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'b' must have rank 2 ([K, N]), got rank 1}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32, #CSR>, tensor<8xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_element(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf16>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'b' element type 'f16' does not match 'a' element type 'f32'}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf16> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @spmm_dense_a(%a: tensor<8x8xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'a' must be a sparse tensor (with a #sparse_tensor.encoding)}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_contraction(%a: tensor<8x6xf32, #CSR>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{contraction size of 'a' (K = 6) does not match that of 'b' (K = 8)}}
  %y = tessera.spmm %a, %b : tensor<8x6xf32, #CSR>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_result(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'result' has shape [4, 8], expected [8, 4]}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_sparse_b(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32, #CSR>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'b' must be a dense tensor (no sparse encoding)}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32, #CSR> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm_sparse_result(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32>) -> tensor<8x4xf32, #CSR> {
  // expected-error @+1 {{'result' must be a dense tensor (no sparse encoding)}}
  %y = tessera.spmm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32> -> tensor<8x4xf32, #CSR>
  return %y : tensor<8x4xf32, #CSR>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spgemm_dense_b(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32>) -> tensor<8x4xf32, #CSR> {
  // expected-error @+1 {{'b' must be a sparse tensor (with a #sparse_tensor.encoding)}}
  %y = tessera.spgemm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32> -> tensor<8x4xf32, #CSR>
  return %y : tensor<8x4xf32, #CSR>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#CSC = #sparse_tensor.encoding<{ map = (i, j) -> (j : dense, i : compressed) }>
func.func @spgemm_result_format(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32, #CSR>) -> tensor<8x4xf32, #CSC> {
  // expected-error @+1 {{result must be a CSR tensor (map = (i, j) -> (i : dense, j : compressed))}}
  %y = tessera.spgemm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32, #CSR> -> tensor<8x4xf32, #CSC>
  return %y : tensor<8x4xf32, #CSC>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spgemm_dense_result(%a: tensor<8x8xf32, #CSR>, %b: tensor<8x4xf32, #CSR>) -> tensor<8x4xf32> {
  // expected-error @+1 {{result must be a CSR tensor}}
  %y = tessera.spgemm %a, %b : tensor<8x8xf32, #CSR>, tensor<8x4xf32, #CSR> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @schedule_0(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_m' must be a positive multiple of 16, got 24}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 24, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_1(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_n' must be a positive multiple of 8, got 0}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 0, block_k = 64, stages = 2, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_2(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_k' must be a positive multiple of 16, got 8}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 8, stages = 2, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_3(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'stages' must be in [1, 16], got 0}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 0, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_4(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'warps' must be in [1, 32] (at most 1024 threads), got 33}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 33>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_5(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'cluster_n' must be a power of 2 in [1, 8], got 3}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, cluster_n = 3>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_6(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{a cluster of 4 x 4 exceeds the portable maximum of 8 thread blocks}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, cluster_m = 4, cluster_n = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_7(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'swizzle' must be >= 1, got 0}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, swizzle = 0>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_8(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'split_k' must be >= 1, got 0}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, split_k = 0>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_mma(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'mma' must be "mma_sync" or "wgmma", got "hmma"}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, mma = "hmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_warps(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'warps' of a wgmma schedule must be a multiple of 4 and at least 8 (a producer warpgroup and a consumer), got 4}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_block_m(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_m' of a wgmma schedule must be a multiple of 64 x 2 consumer warpgroups up to 256, got 64}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 12, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_block_n(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_n' of a wgmma schedule must be 64, 128, 192 or 256, got 96}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 96, block_k = 64, stages = 2, warps = 12, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_split_k(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'split_k' must be 1 in a wgmma schedule without swap_ab, got 2}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 2, warps = 12, split_k = 2, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_swap_mma_sync(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'swap_ab' needs mma = "wgmma"}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, swap_ab = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_stream_k_mma_sync(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'stream_k' needs mma = "wgmma"}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, stream_k = true>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_stream_k_swap(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'stream_k' and 'swap_ab' exclude each other (a swap_ab schedule splits K with 'split_k')}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 2, warps = 8, mma = "wgmma", swap_ab = true, stream_k = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_swap_block_n(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_n' of a swap_ab schedule must be a multiple of 64 x 1 consumer warpgroups up to 256, got 32}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 16, block_n = 32, block_k = 64, stages = 2, warps = 8, mma = "wgmma", swap_ab = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_swap_block_m(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_m' of a swap_ab schedule must be at most 256 (wgmma's n), got 264}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 264, block_n = 64, block_k = 64, stages = 2, warps = 8, mma = "wgmma", swap_ab = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_swap_split(%a: tensor<?x64xbf16>, %b: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'split_k' of a swap_ab schedule is a cluster of at most 8 thread blocks, got 16}}
  %0 = tessera.matmul %a, %b {transpose_b, schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 2, warps = 8, split_k = 16, mma = "wgmma", swap_ab = true>]} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_stages(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'stages' of a wgmma schedule must be at least 2, got 1}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128, block_n = 128, block_k = 64, stages = 1, warps = 12, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_wgmma_box(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'block_m' of a wgmma schedule must be a multiple of 64 x 2 consumer warpgroups up to 256, got 384}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 384, block_n = 128, block_k = 64, stages = 2, warps = 12, mma = "wgmma">]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedule_9(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'max_m' must be >= 0 (0: unbounded), got -1}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, max_m = -1>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedules_0(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'tessera.matmul' op 'schedules' must not be empty}}
  %0 = tessera.matmul %a, %b {schedules = []} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedules_1(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'schedules' #0 has max_m = 64: only the last schedule, and it always, is unbounded (max_m = 0)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, max_m = 64>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedules_2(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'schedules' #0 has max_m = 0: only the last schedule, and it always, is unbounded (max_m = 0)}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>, #tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedules_3(%a: tensor<?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'schedules' must have increasing max_m, but #1 has 32 after 64}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, max_m = 64>, #tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, max_m = 32>, #tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<?x64xbf16>, tensor<64x32xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @schedules_4(%a: tensor<16x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<16x32xf32> {
  // expected-error @+1 {{has a static M (16) but 2 schedules; M classes need a dynamic M}}
  %0 = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4, max_m = 64>, #tessera.schedule<block_m = 64, block_n = 64, block_k = 64, stages = 2, warps = 4>]} : tensor<16x64xbf16>, tensor<64x32xbf16> -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

func.func @attention_schedule_block_q(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'block_q' must be a positive multiple of 16, got 24}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 24, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_block_kv(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'block_kv' must be a multiple of 16 in [16, 256], got 272}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 128, block_kv = 272, stages = 2, warps = 12>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_consumers(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'block_q' of a wgmma schedule is 64 rows per consumer warpgroup (64 x 2), got 64}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 2, warps = 12>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_warps(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'warps' of a wgmma schedule must be 8, 12 or 16 (a producer warpgroup and 1 to 3 consumers), got 4}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 2, warps = 4>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_stages(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'stages' of a wgmma schedule must be at least 2, got 1}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 1, warps = 8>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_pingpong(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'pingpong' needs at least two consumer warpgroups (warps >= 12)}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 2, warps = 8, pingpong = true>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_mma_rows(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'block_q' of an mma_sync schedule must be a multiple of 16 rows per warp (16 x 8), got 64}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 8, mma = "mma_sync">]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_split(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'split_kv' must be in [0, 1024] (0: chosen at run time), got -1}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, split_kv = -1, mma = "mma_sync">]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_schedule_mma(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{'mma' must be "wgmma" or "mma_sync", got "wmma"}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "wmma">]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_classes_static(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{has a static Sq (16) but 2 schedules; Sq classes need a dynamic Sq}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, max_sq = 16, mma = "mma_sync">, #tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @attention_classes_order(%q: tensor<1x2x?x64xbf16>) -> tensor<1x2x?x64xbf16> {
  // expected-error @below {{'schedules' #0 has max_sq = 0: only the last schedule, and it always, is unbounded (max_sq = 0)}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">, #tessera.attention_schedule<block_q = 64, block_kv = 64, stages = 2, warps = 4, mma = "mma_sync">]} : tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16> -> tensor<1x2x?x64xbf16>
  return %o : tensor<1x2x?x64xbf16>
}

// -----

func.func @kernel_param_kind(%a: tensor<4x4xbf16>) -> tensor<4x4xf32> {
  // expected-error @below {{kernel parameter 'kind' must be memref, tmap, i64 or i32, got 'ptr'}}
  // expected-error @below {{failed to parse Tessera_KernelAbiAttr parameter 'params'}}
  // expected-error @below {{failed to parse Tessera_LaunchPlanAttr parameter 'launches'}}
  %0 = tessera.matmul %a, %a {tessera.launch_plans = [#tessera.launch_plan<temporaries = [], launches = [#tessera.kernel_abi<kernel = @k, grid = ["1", "1", "1"], block = [32, 1, 1], shared_memory = 0, params = [#tessera.kernel_param<kind = "ptr", value = 0>]>]>]} : tensor<4x4xbf16>, tensor<4x4xbf16> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @kernel_param_box(%a: tensor<4x4xbf16>) -> tensor<4x4xf32> {
  // expected-error @below {{tensor map box sizes are in [1, 256], got 512}}
  // expected-error @below {{failed to parse Tessera_KernelAbiAttr parameter 'params'}}
  // expected-error @below {{failed to parse Tessera_LaunchPlanAttr parameter 'launches'}}
  %0 = tessera.matmul %a, %a {tessera.launch_plans = [#tessera.launch_plan<temporaries = [], launches = [#tessera.kernel_abi<kernel = @k, grid = ["1", "1", "1"], block = [32, 1, 1], shared_memory = 0, params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 512], swizzle = 128>]>]>]} : tensor<4x4xbf16>, tensor<4x4xbf16> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @kernel_abi_grid(%a: tensor<4x4xbf16>) -> tensor<4x4xf32> {
  // expected-error @below {{'grid' must be three expressions (strings)}}
  // expected-error @below {{failed to parse Tessera_LaunchPlanAttr parameter 'launches'}}
  %0 = tessera.matmul %a, %a {tessera.launch_plans = [#tessera.launch_plan<temporaries = [], launches = [#tessera.kernel_abi<kernel = @k, grid = ["1", "1"], block = [32, 1, 1], shared_memory = 0, params = []>]>]} : tensor<4x4xbf16>, tensor<4x4xbf16> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
