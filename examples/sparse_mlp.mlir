// A sparse MLP over a dynamic number of tokens S, width 256, hidden 512,
// with pruned weights (their zeros are the dropped entries) multiplied in
// sparse formats:
//   h = relu(W1 x)   with W1 in CSR
//   y = W2 h         with W2 in block CSR (4x4 blocks)
// Weights are [out, in]; activations are handled transposed, [features, S].

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#BSR = #sparse_tensor.encoding<{ map = (i, j) -> (i floordiv 4 : dense, j floordiv 4 : compressed, i mod 4 : dense, j mod 4 : dense) }>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

func.func @sparse_mlp(%xt: tensor<256x?xf32>, %w1: tensor<512x256xf32>, %w2: tensor<256x512xf32>) -> tensor<256x?xf32> {
  %c1 = arith.constant 1 : index
  %s = tensor.dim %xt, %c1 : tensor<256x?xf32>
  %w1s = sparse_tensor.convert %w1 : tensor<512x256xf32> to tensor<512x256xf32, #CSR>
  %h = tessera.spmm %w1s, %xt : tensor<512x256xf32, #CSR>, tensor<256x?xf32> -> tensor<512x?xf32>
  %e = tensor.empty(%s) : tensor<512x?xf32>
  %hr = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<512x?xf32>) outs(%e : tensor<512x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %v, %z : f32
    linalg.yield %r : f32
  } -> tensor<512x?xf32>
  %w2s = sparse_tensor.convert %w2 : tensor<256x512xf32> to tensor<256x512xf32, #BSR>
  %y = tessera.spmm %w2s, %hr : tensor<256x512xf32, #BSR>, tensor<512x?xf32> -> tensor<256x?xf32>
  return %y : tensor<256x?xf32>
}
