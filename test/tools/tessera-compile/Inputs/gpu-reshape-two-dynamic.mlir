// [T, 64] split as [T / n, n, 64] for a run-time n: the result has sizes
// that no argument binds.
func.func @split(%x: tensor<?x64xbf16>, %w: tensor<64x64xbf16>, %n: tensor<?xbf16>) -> tensor<?x?x64xbf16> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x64xbf16>
  %g = tensor.dim %n, %c0 : tensor<?xbf16>
  %r = arith.divui %t, %g : index
  %y = tessera.matmul %x, %w : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %y3 = tensor.expand_shape %y [[0, 1], [2]] output_shape [%r, %g, 64] : tensor<?x64xbf16> into tensor<?x?x64xbf16>
  return %y3 : tensor<?x?x64xbf16>
}
