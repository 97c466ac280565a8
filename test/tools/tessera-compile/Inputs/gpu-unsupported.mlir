func.func @convolve(%u: tensor<1x4x64xbf16>, %k: tensor<4x64xbf16>) -> tensor<1x4x64xbf16> {
  %y = tessera.fftconv %u, %k : tensor<1x4x64xbf16>, tensor<4x64xbf16> -> tensor<1x4x64xbf16>
  return %y : tensor<1x4x64xbf16>
}
