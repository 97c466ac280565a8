// A Hyena-style long-convolution block over a dynamic number of tokens S
// (at least the filter length, 64), model width 128:
//   v, a, b = x Wv, x Wa, x Wb
//   y = b * fftconv(a * v, k, d)       (per channel, along the sequence)
//   out = x + y Wo
// Weights are [out, in] (transpose_b), activations f32.

#id2 = affine_map<(d0, d1) -> (d0, d1)>

func.func private @mul(%a: tensor<?x128xf32>, %b: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %a, %c0 : tensor<?x128xf32>
  %init = tensor.empty(%s) : tensor<?x128xf32>
  %r = linalg.mul ins(%a, %b : tensor<?x128xf32>, tensor<?x128xf32>) outs(%init : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

func.func @hyena_block(%x: tensor<?x128xf32>, %wv: tensor<128x128xf32>,
                       %wa: tensor<128x128xf32>, %wb: tensor<128x128xf32>,
                       %k: tensor<128x64xf32>, %d: tensor<128xf32>,
                       %wo: tensor<128x128xf32>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x128xf32>
  %v = tessera.matmul %x, %wv {transpose_b} : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  %a = tessera.matmul %x, %wa {transpose_b} : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  %b = tessera.matmul %x, %wb {transpose_b} : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  %av = func.call @mul(%a, %v) : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>

  // [S, H] -> [1, H, S]: channels first, the sequence innermost.
  %t_init = tensor.empty(%s) : tensor<128x?xf32>
  %t = linalg.transpose ins(%av : tensor<?x128xf32>) outs(%t_init : tensor<128x?xf32>) permutation = [1, 0]
  %u = tensor.expand_shape %t [[0, 1], [2]] output_shape [1, 128, %s] : tensor<128x?xf32> into tensor<1x128x?xf32>
  %conv = tessera.fftconv %u, %k, %d : tensor<1x128x?xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<1x128x?xf32>
  %c2 = tensor.collapse_shape %conv [[0, 1], [2]] : tensor<1x128x?xf32> into tensor<128x?xf32>
  %back_init = tensor.empty(%s) : tensor<?x128xf32>
  %back = linalg.transpose ins(%c2 : tensor<128x?xf32>) outs(%back_init : tensor<?x128xf32>) permutation = [1, 0]

  %gated = func.call @mul(%b, %back) : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  %o = tessera.matmul %gated, %wo {transpose_b} : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  %out_init = tensor.empty(%s) : tensor<?x128xf32>
  %out = linalg.add ins(%x, %o : tensor<?x128xf32>, tensor<?x128xf32>) outs(%out_init : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %out : tensor<?x128xf32>
}
