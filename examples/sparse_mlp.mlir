// A sparse MLP over a dynamic number of tokens S, width 256, hidden 512,
// with pruned weights multiplied in sparse formats:
//   h = relu(W1 x)   with W1 in CSR (@sparse_mlp) or 2:4 (@sparse_mlp_24)
//   y = W2 h         with W2 in block CSR (4x4 blocks)
// Weights are [out, in]; activations are handled transposed, [features, S].
// Dense weights are converted in the graph (their zeros are the pruned
// entries); 2:4 weights arrive in their storage form: for every row and
// group of 4 columns, the in-group coordinates and values of 2 entries.

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#BSR = #sparse_tensor.encoding<{ map = (i, j) -> (i floordiv 4 : dense, j floordiv 4 : compressed, i mod 4 : dense, j mod 4 : dense) }>
#NV24 = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j floordiv 4 : dense, j mod 4 : structured[2, 4]) }>
#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

func.func private @relu(%h: tensor<512x?xf32>) -> tensor<512x?xf32> {
  %c1 = arith.constant 1 : index
  %s = tensor.dim %h, %c1 : tensor<512x?xf32>
  %e = tensor.empty(%s) : tensor<512x?xf32>
  %hr = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<512x?xf32>) outs(%e : tensor<512x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %v, %z : f32
    linalg.yield %r : f32
  } -> tensor<512x?xf32>
  return %hr : tensor<512x?xf32>
}

func.func @sparse_mlp(%xt: tensor<256x?xf32>, %w1: tensor<512x256xf32>, %w2: tensor<256x512xf32>) -> tensor<256x?xf32> {
  %w1s = sparse_tensor.convert %w1 : tensor<512x256xf32> to tensor<512x256xf32, #CSR>
  %h = tessera.spmm %w1s, %xt : tensor<512x256xf32, #CSR>, tensor<256x?xf32> -> tensor<512x?xf32>
  %hr = func.call @relu(%h) : (tensor<512x?xf32>) -> tensor<512x?xf32>
  %w2s = sparse_tensor.convert %w2 : tensor<256x512xf32> to tensor<256x512xf32, #BSR>
  %y = tessera.spmm %w2s, %hr : tensor<256x512xf32, #BSR>, tensor<512x?xf32> -> tensor<256x?xf32>
  return %y : tensor<256x?xf32>
}

func.func @sparse_mlp_24(%xt: tensor<256x?xf32>, %crd: tensor<65536xindex>, %vals: tensor<65536xf32>, %w2: tensor<256x512xf32>) -> tensor<256x?xf32> {
  %w1s = sparse_tensor.assemble (%crd), %vals : (tensor<65536xindex>), tensor<65536xf32> to tensor<512x256xf32, #NV24>
  %h = tessera.spmm %w1s, %xt : tensor<512x256xf32, #NV24>, tensor<256x?xf32> -> tensor<512x?xf32>
  %hr = func.call @relu(%h) : (tensor<512x?xf32>) -> tensor<512x?xf32>
  %w2s = sparse_tensor.convert %w2 : tensor<256x512xf32> to tensor<256x512xf32, #BSR>
  %y = tessera.spmm %w2s, %hr : tensor<256x512xf32, #BSR>, tensor<512x?xf32> -> tensor<256x?xf32>
  return %y : tensor<256x?xf32>
}

// A valid 2:4 pattern for @sparse_mlp_24's W1: groups alternate between
// keeping columns {0, 2} and {1, 3}.
func.func @nv24_coordinates() -> tensor<65536xindex> {
  %e = tensor.empty() : tensor<65536xindex>
  %c = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e : tensor<65536xindex>) {
  ^bb0(%o: index):
    %i = linalg.index 0 : index
    %c2 = arith.constant 2 : index
    %slot = arith.remui %i, %c2 : index
    %group = arith.divui %i, %c2 : index
    %odd = arith.remui %group, %c2 : index
    %twice = arith.muli %slot, %c2 : index
    %r = arith.addi %twice, %odd : index
    linalg.yield %r : index
  } -> tensor<65536xindex>
  return %c : tensor<65536xindex>
}
