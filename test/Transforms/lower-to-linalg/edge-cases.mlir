// Verifier-valid corner cases: every one lowers, and the result compiles
// with the upstream sparsifier pipeline down to LLVM.
// RUN: tessera-opt %s --tessera-lower-to-linalg | FileCheck %s
// RUN: tessera-opt %s --tessera-lower-to-linalg --sparsifier="enable-runtime-library=false" | FileCheck %s --check-prefix=LLVM

#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
#COO = #sparse_tensor.encoding<{ map = (i, j) -> (i : compressed(nonunique), j : singleton) }>
#CSC = #sparse_tensor.encoding<{ map = (i, j) -> (j : dense, i : compressed) }>
#DCSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : compressed, j : compressed) }>

// Rank-1 partial outputs merge into a rank-0 lse.
// CHECK-LABEL: func @merge_rank1
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = []
// LLVM-LABEL: llvm.func @merge_rank1
func.func @merge_rank1(%o1: tensor<8xf32>, %l1: tensor<f32>, %o2: tensor<8xf32>, %l2: tensor<f32>) -> (tensor<8xf32>, tensor<f32>) {
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<8xf32>, tensor<f32>, tensor<8xf32>, tensor<f32> -> tensor<8xf32>, tensor<f32>
  return %o, %l : tensor<8xf32>, tensor<f32>
}

// Zero query heads and zero-sized matmuls are empty computations.
// CHECK-LABEL: func @empty_sizes
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 2, 0, 4, 8]
// CHECK: tensor.empty() : tensor<0x0xbf16>
// LLVM-LABEL: llvm.func @empty_sizes
func.func @empty_sizes(%q: tensor<1x0x4x8xf32>, %k: tensor<1x2x4x8xf32>, %a: tensor<0x4xf32>, %b: tensor<4x0xf32>, %bias: tensor<0xf32>) -> (tensor<1x0x4x8xf32>, tensor<0x0xbf16>) {
  %o = tessera.attention %q, %k, %k : tensor<1x0x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x0x4x8xf32>
  %m = tessera.matmul %a, %b, %bias {epilogue = #tessera.epilogue<relu>} : tensor<0x4xf32>, tensor<4x0xf32>, tensor<0xf32> -> tensor<0x0xbf16>
  return %o, %m : tensor<1x0x4x8xf32>, tensor<0x0xbf16>
}

// i8 with dynamic batch dims broadcast against a dynamic batch, float out.
// CHECK-LABEL: func @int8_dynamic_batch
// CHECK: arith.extsi
// CHECK: arith.sitofp
// LLVM-LABEL: llvm.func @int8_dynamic_batch
func.func @int8_dynamic_batch(%a: tensor<?x?x4xi8>, %b: tensor<?x4x3xi8>, %bias: tensor<3xf32>) -> tensor<?x?x3xf32> {
  %o = tessera.matmul %a, %b, %bias : tensor<?x?x4xi8>, tensor<?x4x3xi8>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %o : tensor<?x?x3xf32>
}

// Other sparse encodings go to the sparsifier as they are. When the sparse
// operand's contraction size is dynamic and the other's static, the other is
// cast so the sparsifier never reshapes the sparse operand.
// CHECK-LABEL: func @sparse_formats
// CHECK-SAME: %[[DCSR:[^:]+]]: tensor<?x?xf32, #{{[^>]+}}>, %[[B:[^:]+]]: tensor<8x3xf32>
// CHECK: %[[CAST:.+]] = tensor.cast %[[B]] : tensor<8x3xf32> to tensor<?x3xf32>
// CHECK: linalg.matmul ins(%[[DCSR]], %[[CAST]] :
// LLVM-LABEL: llvm.func @sparse_formats
func.func @sparse_formats(%a: tensor<8x8xf32, #COO>, %c: tensor<8x8xf32, #CSC>, %d: tensor<?x?xf32, #DCSR>, %b: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<?x3xf32>) {
  %0 = tessera.spmm %a, %b : tensor<8x8xf32, #COO>, tensor<8x3xf32> -> tensor<8x3xf32>
  %1 = tessera.spmm %c, %b : tensor<8x8xf32, #CSC>, tensor<8x3xf32> -> tensor<8x3xf32>
  %2 = tessera.spmm %d, %b : tensor<?x?xf32, #DCSR>, tensor<8x3xf32> -> tensor<?x3xf32>
  return %0, %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<?x3xf32>
}

// CHECK-LABEL: func @spgemm_mixed_static
// CHECK: tensor.cast %{{.+}} : tensor<8x3xf32, #{{.+}}> to tensor<?x3xf32, #{{.+}}>
// LLVM-LABEL: llvm.func @spgemm_mixed_static
func.func @spgemm_mixed_static(%a: tensor<?x?xf32, #CSR>, %b: tensor<8x3xf32, #CSR>) -> tensor<?x3xf32, #CSR> {
  %0 = tessera.spgemm %a, %b : tensor<?x?xf32, #CSR>, tensor<8x3xf32, #CSR> -> tensor<?x3xf32, #CSR>
  return %0 : tensor<?x3xf32, #CSR>
}

// The smallest fftconv, with every frequency kept (F > N).
// CHECK-LABEL: func @fftconv_one
// CHECK: math.cos
// LLVM-LABEL: llvm.func @fftconv_one
func.func @fftconv_one(%u: tensor<1x1x1xbf16>, %k: tensor<1x1xbf16>) -> tensor<1x1x1xf32> {
  %y = tessera.fftconv %u, %k {keep_frequencies = 1000} : tensor<1x1x1xbf16>, tensor<1x1xbf16> -> tensor<1x1x1xf32>
  return %y : tensor<1x1x1xf32>
}
