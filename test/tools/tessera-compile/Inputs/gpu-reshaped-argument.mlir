// A result that is an argument seen through a reshape needs a copy kernel.
func.func @alias(%x: tensor<4x256xbf16>) -> tensor<4x4x64xbf16> {
  %y = tensor.expand_shape %x [[0], [1, 2]] output_shape [4, 4, 64] : tensor<4x256xbf16> into tensor<4x4x64xbf16>
  return %y : tensor<4x4x64xbf16>
}
