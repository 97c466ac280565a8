// RUN: tessera-opt %s --pass-pipeline="builtin.module(func.func(tessera-dealloc-sparse-tensors))" | FileCheck %s

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#NV24 = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j floordiv 4 : dense, j mod 4 : structured[2, 4]) }>

// A converted tensor is released after its last use; an assembled one wraps
// the caller's buffers and is left alone.
// CHECK-LABEL: func @converted
// CHECK: %[[S:.+]] = sparse_tensor.convert
// CHECK: %[[Y:.+]] = tessera.spmm %[[S]]
// CHECK: %[[Z:.+]] = tessera.spmm %[[S]]
// CHECK-NEXT: bufferization.dealloc_tensor %[[S]]
// CHECK: %[[A:.+]] = sparse_tensor.assemble
// CHECK: tessera.spmm %[[A]]
// CHECK-NOT: bufferization.dealloc_tensor
// CHECK: return
func.func @converted(%w: tensor<8x8xf32>, %x: tensor<8x4xf32>, %crd: tensor<16xindex>, %vals: tensor<16xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  %s = sparse_tensor.convert %w : tensor<8x8xf32> to tensor<8x8xf32, #CSR>
  %y = tessera.spmm %s, %x : tensor<8x8xf32, #CSR>, tensor<8x4xf32> -> tensor<8x4xf32>
  %z = tessera.spmm %s, %y : tensor<8x8xf32, #CSR>, tensor<8x4xf32> -> tensor<8x4xf32>
  %a = sparse_tensor.assemble (%crd), %vals : (tensor<16xindex>), tensor<16xf32> to tensor<8x8xf32, #NV24>
  %u = tessera.spmm %a, %x : tensor<8x8xf32, #NV24>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %y, %z, %u : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// A returned sparse tensor is the caller's.
// CHECK-LABEL: func @returned
// CHECK-NOT: bufferization.dealloc_tensor
// CHECK: return
func.func @returned(%w: tensor<8x8xf32>) -> tensor<8x8xf32, #CSR> {
  %s = sparse_tensor.convert %w : tensor<8x8xf32> to tensor<8x8xf32, #CSR>
  return %s : tensor<8x8xf32, #CSR>
}
