#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @spmm(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = sparse_tensor.convert %a : tensor<?x?xf32> to tensor<?x?xf32, #CSR>
  %0 = tessera.spmm %s, %b : tensor<?x?xf32, #CSR>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
