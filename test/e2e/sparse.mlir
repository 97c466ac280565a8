// Sparse products on the CPU (through the upstream sparsifier) against the
// float64 reference interpreter. The sparse operands are built in the graph
// from dense tensors whose zeros are the pruned entries.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm -f csr --size s0=113 --size s1=7 --check | FileCheck %s --check-prefix=CSR
// RUN: tessera-run %t.tsm -f bsr --check | FileCheck %s --check-prefix=BSR
// RUN: tessera-run %t.tsm -f spgemm --check | FileCheck %s --check-prefix=SPGEMM

// CSR: result0 f32 [113x7]: {{.*}} PASS
// BSR: result0 f32 [16x5]: {{.*}} PASS
// SPGEMM: result0 f32 [33x17]: {{.*}} PASS

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#BSR = #sparse_tensor.encoding<{ map = (i, j) -> (i floordiv 2 : dense, j floordiv 2 : compressed, i mod 2 : dense, j mod 2 : dense) }>

func.func @csr(%w: tensor<?x64xf32>, %x: tensor<64x?xf32>) -> tensor<?x?xf32> {
  %s = sparse_tensor.convert %w : tensor<?x64xf32> to tensor<?x64xf32, #CSR>
  %y = tessera.spmm %s, %x : tensor<?x64xf32, #CSR>, tensor<64x?xf32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

func.func @bsr(%w: tensor<16x24xf32>, %x: tensor<24x5xf32>) -> tensor<16x5xf32> {
  %s = sparse_tensor.convert %w : tensor<16x24xf32> to tensor<16x24xf32, #BSR>
  %y = tessera.spmm %s, %x : tensor<16x24xf32, #BSR>, tensor<24x5xf32> -> tensor<16x5xf32>
  return %y : tensor<16x5xf32>
}

// The CSR product is read back densely through an identity (spmm).
func.func @spgemm(%a: tensor<33x40xf32>, %b: tensor<40x17xf32>, %eye: tensor<17x17xf32>) -> tensor<33x17xf32> {
  %sa = sparse_tensor.convert %a : tensor<33x40xf32> to tensor<33x40xf32, #CSR>
  %sb = sparse_tensor.convert %b : tensor<40x17xf32> to tensor<40x17xf32, #CSR>
  %c = tessera.spgemm %sa, %sb : tensor<33x40xf32, #CSR>, tensor<40x17xf32, #CSR> -> tensor<33x17xf32, #CSR>
  %y = tessera.spmm %c, %eye : tensor<33x17xf32, #CSR>, tensor<17x17xf32> -> tensor<33x17xf32>
  return %y : tensor<33x17xf32>
}
