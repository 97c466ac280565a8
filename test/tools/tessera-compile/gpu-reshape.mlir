// Reshapes between kernels are views of one storage: QKV projection,
// attention and output projection in one plan with no copy.
// RUN: tessera-compile %s --target sm_90a -o %t.tsm
// RUN: grep -a -E "^(function|buffer|view|variant|launch)" %t.tsm | FileCheck %s
// RUN: tessera-compile %s --target sm_80 -o %t.sm80.tsm
// RUN: not tessera-compile %S/Inputs/gpu-reshaped-argument.mlir --target sm_90a 2>&1 | FileCheck %s --check-prefix=ARG
// RUN: not tessera-compile %S/Inputs/gpu-reshape-two-dynamic.mlir --target sm_90a 2>&1 | FileCheck %s --check-prefix=TWO

// CHECK-LABEL: function block
// CHECK: buffer t0 bf16 8xs0x64
// CHECK-NEXT: buffer t1 bf16 2xs0x64
// CHECK-NEXT: buffer t2 bf16 2xs0x64
// CHECK-NEXT: buffer t3 bf16 1x8xs0x64
// CHECK: view v0 t0 1x8xs0x64
// CHECK-NEXT: view v1 t1 1x2xs0x64
// CHECK-NEXT: view v2 t2 1x2xs0x64
// CHECK-NEXT: view v3 t3 8xs0x64
// CHECK: variant
// CHECK: launch tessera_matmul_{{[0-9]+}} {{.*}} params memref:arg0 memref:arg1 memref:t0
// CHECK: launch tessera_attention_{{[0-9]+}} {{.*}} params tmap:v0:{{.*}} tmap:v1:{{.*}} tmap:v2:{{.*}} memref:v0 memref:v1
// CHECK: launch tessera_matmul_{{[0-9]+}} {{.*}} params memref:v3 memref:arg4 memref:result0
// CHECK: variant always

// A kernel writes in place into the result it is reshaped into, through a
// view of the result.
// CHECK-LABEL: function heads
// CHECK-NOT: buffer
// CHECK: view v0 result0 s0x256
// CHECK-NOT: buffer
// CHECK: launch tessera_matmul_{{[0-9]+}} {{.*}} params memref:arg0 memref:arg1 memref:v0

// A collapse of dynamic sizes multiplies them; an expansion takes the size
// its output_shape names (a tensor.dim) or divides by the group's static
// sizes; views of views.
// CHECK-LABEL: function flat
// CHECK: buffer t0 bf16 (s0*2)x128
// CHECK-NEXT: view v0 arg0 (s0*2)x128
// CHECK-NEXT: view v1 t0 s0x2x128
// CHECK-NEXT: view v2 v1 s0x256
// CHECK: launch tessera_matmul_{{[0-9]+}} {{.*}} params memref:v0 memref:arg1 memref:t0
// CHECK: launch tessera_matmul_{{[0-9]+}} {{.*}} params memref:v2 memref:arg2 memref:result0

// ARG: error: 'func.return' op result #0 is a reshape of an argument or of a value that is returned or reshaped into another result; the GPU targets need each result to be its own kernel's output
// TWO: gpu-reshape-two-dynamic.mlir:8:8: error: 'tessera.matmul' op has a dynamic size the plan cannot name (it is not tied to an argument)

func.func @block(%x: tensor<?x256xbf16>, %wq: tensor<8x256x64xbf16>, %wk: tensor<2x256x64xbf16>, %wv: tensor<2x256x64xbf16>, %wo: tensor<8x64x256xbf16>) -> tensor<8x?x256xf32> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x256xbf16>
  %q3 = tessera.matmul %x, %wq : tensor<?x256xbf16>, tensor<8x256x64xbf16> -> tensor<8x?x64xbf16>
  %k3 = tessera.matmul %x, %wk : tensor<?x256xbf16>, tensor<2x256x64xbf16> -> tensor<2x?x64xbf16>
  %v3 = tessera.matmul %x, %wv : tensor<?x256xbf16>, tensor<2x256x64xbf16> -> tensor<2x?x64xbf16>
  %q = tensor.expand_shape %q3 [[0, 1], [2], [3]] output_shape [1, 8, %s, 64] : tensor<8x?x64xbf16> into tensor<1x8x?x64xbf16>
  %k = tensor.expand_shape %k3 [[0, 1], [2], [3]] output_shape [1, 2, %s, 64] : tensor<2x?x64xbf16> into tensor<1x2x?x64xbf16>
  %v = tensor.expand_shape %v3 [[0, 1], [2], [3]] output_shape [1, 2, %s, 64] : tensor<2x?x64xbf16> into tensor<1x2x?x64xbf16>
  %o = tessera.attention %q, %k, %v {causal} : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16> -> tensor<1x8x?x64xbf16>
  %o3 = tensor.collapse_shape %o [[0, 1], [2], [3]] : tensor<1x8x?x64xbf16> into tensor<8x?x64xbf16>
  %y = tessera.matmul %o3, %wo : tensor<8x?x64xbf16>, tensor<8x64x256xbf16> -> tensor<8x?x256xf32>
  return %y : tensor<8x?x256xf32>
}

// [S, 256] x [256, 256] -> [S, 4, 64] (the heads of each token), returned.
func.func @heads(%x: tensor<?x256xbf16>, %w: tensor<256x256xbf16>) -> tensor<?x4x64xbf16> {
  %c0 = arith.constant 0 : index
  %s = tensor.dim %x, %c0 : tensor<?x256xbf16>
  %y = tessera.matmul %x, %w : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
  %y3 = tensor.expand_shape %y [[0], [1, 2]] output_shape [%s, 4, 64] : tensor<?x256xbf16> into tensor<?x4x64xbf16>
  return %y3 : tensor<?x4x64xbf16>
}

// [2, S, 128] read as [2 S, 128] and, per token pair, as [S, 256].
func.func @flat(%x: tensor<2x?x128xbf16>, %w: tensor<128x128xbf16>, %w2: tensor<256x64xbf16>) -> tensor<?x64xbf16> {
  %c1 = arith.constant 1 : index
  %s = tensor.dim %x, %c1 : tensor<2x?x128xbf16>
  %x2 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x?x128xbf16> into tensor<?x128xbf16>
  %y = tessera.matmul %x2, %w : tensor<?x128xbf16>, tensor<128x128xbf16> -> tensor<?x128xbf16>
  %y2 = tensor.expand_shape %y [[0, 1], [2]] output_shape [%s, 2, 128] : tensor<?x128xbf16> into tensor<?x2x128xbf16>
  %y3 = tensor.collapse_shape %y2 [[0], [1, 2]] : tensor<?x2x128xbf16> into tensor<?x256xbf16>
  %z = tessera.matmul %y3, %w2 : tensor<?x256xbf16>, tensor<256x64xbf16> -> tensor<?x64xbf16>
  return %z : tensor<?x64xbf16>
}
