// RUN: tessera-opt %s --tessera-lower-to-linalg | FileCheck %s
// The lowered IR is accepted and compiled by the upstream sparsifier without
// its runtime library (no calls into MLIR's sparse support library).
// RUN: tessera-opt %s --tessera-lower-to-linalg --sparsifier="enable-runtime-library=false" | FileCheck %s --check-prefix=SPARSIFIED

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#BSR = #sparse_tensor.encoding<{ map = (i, j) -> (i floordiv 2 : dense, j floordiv 2 : compressed, i mod 2 : dense, j mod 2 : dense) }>
#NV24 = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j floordiv 4 : dense, j mod 4 : structured[2, 4]) }>

// CHECK-LABEL: func @spmm_csr
// CHECK-SAME: (%[[A:.+]]: tensor<?x?xbf16, #{{.+}}>, %[[B:.+]]: tensor<?x?xbf16>)
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: %[[P:.+]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<?x?xbf16, #{{.+}}>, tensor<?x?xbf16>) outs(%[[ACC]] : tensor<?x?xf32>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[P]] : tensor<?x?xf32>) outs(%{{.+}} : tensor<?x?xbf16>)
// CHECK: arith.truncf
// CHECK: return %[[R]]
// SPARSIFIED-LABEL: llvm.func @spmm_csr
// SPARSIFIED-NOT: llvm.call @sparse
func.func @spmm_csr(%a: tensor<?x?xbf16, #CSR>, %b: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %0 = tessera.spmm %a, %b : tensor<?x?xbf16, #CSR>, tensor<?x?xbf16> -> tensor<?x?xbf16>
  return %0 : tensor<?x?xbf16>
}

// CHECK-LABEL: func @spmm_bsr
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x8xf32, #{{.+}}>, tensor<8x3xf32>) outs(%{{.+}} : tensor<8x3xf32>)
// CHECK-NOT: linalg.generic
// SPARSIFIED-LABEL: llvm.func @spmm_bsr
func.func @spmm_bsr(%a: tensor<8x8xf32, #BSR>, %b: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = tessera.spmm %a, %b : tensor<8x8xf32, #BSR>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// CHECK-LABEL: func @spmm_24
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x16xf16, #{{.+}}>, tensor<16x?xf16>) outs(%{{.+}} : tensor<?x?xf32>)
// SPARSIFIED-LABEL: llvm.func @spmm_24
func.func @spmm_24(%a: tensor<?x16xf16, #NV24>, %b: tensor<16x?xf16>) -> tensor<?x?xf32> {
  %0 = tessera.spmm %a, %b : tensor<?x16xf16, #NV24>, tensor<16x?xf16> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// A sparse output is built by insertion from a plain tensor.empty.
// CHECK-LABEL: func @spgemm
// CHECK-SAME: (%[[A:.+]]: tensor<?x?xf16, #[[ENC:.+]]>, %[[B:.+]]: tensor<?x?xf16, #{{.+}}>)
// CHECK: %[[E:.+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?xf32, #[[ENC]]>
// CHECK: %[[P:.+]] = linalg.matmul ins(%[[A]], %[[B]] : {{.*}}) outs(%[[E]] : tensor<?x?xf32, #[[ENC]]>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[P]] : tensor<?x?xf32, #[[ENC]]>) outs(%{{.+}} : tensor<?x?xf16, #[[ENC]]>)
// CHECK: return %[[R]]
// SPARSIFIED-LABEL: llvm.func @spgemm
func.func @spgemm(%a: tensor<?x?xf16, #CSR>, %b: tensor<?x?xf16, #CSR>) -> tensor<?x?xf16, #CSR> {
  %0 = tessera.spgemm %a, %b : tensor<?x?xf16, #CSR>, tensor<?x?xf16, #CSR> -> tensor<?x?xf16, #CSR>
  return %0 : tensor<?x?xf16, #CSR>
}
