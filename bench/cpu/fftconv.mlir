// Causal long convolution, 4 x 64 channels, length 1024, full-length filter.
func.func @fftconv(%u: tensor<4x64x1024xf32>, %k: tensor<64x1024xf32>, %d: tensor<64xf32>) -> tensor<4x64x1024xf32> {
  %y = tessera.fftconv %u, %k, %d : tensor<4x64x1024xf32>, tensor<64x1024xf32>, tensor<64xf32> -> tensor<4x64x1024xf32>
  return %y : tensor<4x64x1024xf32>
}
