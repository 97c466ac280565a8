// A Llama-style decoder block over a dynamic number of tokens S:
//   h = x + Wo * attention(RoPE-free q, k, v of RMSNorm(x)), causal GQA 8/2
//   y = h + Wdown * (silu(Wgate * RMSNorm(h)) * (Wup * RMSNorm(h)))
// Model width 256, 8 query heads and 2 kv heads of dimension 32, MLP 688.
// Weights are [out, in] (transpose_b), activations f32.

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// RMSNorm over the last dimension: x / sqrt(mean(x^2) + 1e-5) * w.
func.func private @rmsnorm(%x: tensor<?x256xf32>, %w: tensor<256xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x256xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%s) : tensor<?xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %ss = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x256xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%v: f32, %a: f32):
    %sq = arith.mulf %v, %v : f32
    %r = arith.addf %a, %sq : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %init = tensor.empty(%s) : tensor<?x256xf32>
  %y = linalg.generic {indexing_maps = [#id2, #row, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %ss, %w : tensor<?x256xf32>, tensor<?xf32>, tensor<256xf32>) outs(%init : tensor<?x256xf32>) {
  ^bb0(%v: f32, %sum: f32, %g: f32, %o: f32):
    %n = arith.constant 256.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %mean = arith.divf %sum, %n : f32
    %me = arith.addf %mean, %eps : f32
    %inv = math.rsqrt %me : f32
    %t = arith.mulf %v, %inv : f32
    %r = arith.mulf %t, %g : f32
    linalg.yield %r : f32
  } -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// [S, H*32] -> [1, H, S, 32]
func.func private @split_heads_8(%x: tensor<?x256xf32>) -> tensor<1x8x?x32xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x256xf32>
  %e = tensor.expand_shape %x [[0, 1], [2, 3]] output_shape [1, %s, 8, 32] : tensor<?x256xf32> into tensor<1x?x8x32xf32>
  %init = tensor.empty(%s) : tensor<1x8x?x32xf32>
  %t = linalg.transpose ins(%e : tensor<1x?x8x32xf32>) outs(%init : tensor<1x8x?x32xf32>) permutation = [0, 2, 1, 3]
  return %t : tensor<1x8x?x32xf32>
}

func.func private @split_heads_2(%x: tensor<?x64xf32>) -> tensor<1x2x?x32xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.expand_shape %x [[0, 1], [2, 3]] output_shape [1, %s, 2, 32] : tensor<?x64xf32> into tensor<1x?x2x32xf32>
  %init = tensor.empty(%s) : tensor<1x2x?x32xf32>
  %t = linalg.transpose ins(%e : tensor<1x?x2x32xf32>) outs(%init : tensor<1x2x?x32xf32>) permutation = [0, 2, 1, 3]
  return %t : tensor<1x2x?x32xf32>
}

func.func private @add(%a: tensor<?x256xf32>, %b: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %a, %c0 : tensor<?x256xf32>
  %init = tensor.empty(%s) : tensor<?x256xf32>
  %r = linalg.add ins(%a, %b : tensor<?x256xf32>, tensor<?x256xf32>) outs(%init : tensor<?x256xf32>) -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

func.func @decoder_block(%x: tensor<?x256xf32>,
                         %norm1: tensor<256xf32>, %wq: tensor<256x256xf32>,
                         %wk: tensor<64x256xf32>, %wv: tensor<64x256xf32>,
                         %wo: tensor<256x256xf32>, %norm2: tensor<256xf32>,
                         %wgate: tensor<688x256xf32>, %wup: tensor<688x256xf32>,
                         %wdown: tensor<256x688xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x256xf32>

  // Attention.
  %xn = func.call @rmsnorm(%x, %norm1) : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %q2 = tessera.matmul %xn, %wq {transpose_b} : tensor<?x256xf32>, tensor<256x256xf32> -> tensor<?x256xf32>
  %k2 = tessera.matmul %xn, %wk {transpose_b} : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
  %v2 = tessera.matmul %xn, %wv {transpose_b} : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
  %q = func.call @split_heads_8(%q2) : (tensor<?x256xf32>) -> tensor<1x8x?x32xf32>
  %k = func.call @split_heads_2(%k2) : (tensor<?x64xf32>) -> tensor<1x2x?x32xf32>
  %v = func.call @split_heads_2(%v2) : (tensor<?x64xf32>) -> tensor<1x2x?x32xf32>
  %o = tessera.attention %q, %k, %v {causal}
      : tensor<1x8x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32> -> tensor<1x8x?x32xf32>
  %ot_init = tensor.empty(%s) : tensor<1x?x8x32xf32>
  %ot = linalg.transpose ins(%o : tensor<1x8x?x32xf32>) outs(%ot_init : tensor<1x?x8x32xf32>) permutation = [0, 2, 1, 3]
  %o2 = tensor.collapse_shape %ot [[0, 1], [2, 3]] : tensor<1x?x8x32xf32> into tensor<?x256xf32>
  %attn = tessera.matmul %o2, %wo {transpose_b} : tensor<?x256xf32>, tensor<256x256xf32> -> tensor<?x256xf32>
  %h = func.call @add(%x, %attn) : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>

  // SiLU-gated MLP.
  %hn = func.call @rmsnorm(%h, %norm2) : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %gate = tessera.matmul %hn, %wgate {transpose_b, epilogue = #tessera.epilogue<silu>}
      : tensor<?x256xf32>, tensor<688x256xf32> -> tensor<?x688xf32>
  %up = tessera.matmul %hn, %wup {transpose_b} : tensor<?x256xf32>, tensor<688x256xf32> -> tensor<?x688xf32>
  %gu_init = tensor.empty(%s) : tensor<?x688xf32>
  %gu = linalg.mul ins(%gate, %up : tensor<?x688xf32>, tensor<?x688xf32>) outs(%gu_init : tensor<?x688xf32>) -> tensor<?x688xf32>
  %down = tessera.matmul %gu, %wdown {transpose_b} : tensor<?x688xf32>, tensor<256x688xf32> -> tensor<?x256xf32>
  %y = func.call @add(%h, %down) : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}
