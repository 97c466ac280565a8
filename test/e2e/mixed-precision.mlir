// A bf16 hidden layer under an f32 result: the reference (float64, no
// rounding of intermediates) allows the hidden layer's bf16 error.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm --size s0=33 --check | FileCheck %s
// RUN: tessera-compile %s --target sm_80 -o %t.gpu.tsm
// RUN: tessera-run %t.gpu.tsm --list | FileCheck %s --check-prefix=GPU

// CHECK: result0 f32 [33x64]: {{.*}} (tol 0.03) PASS
// GPU: function mlp
func.func @mlp(%x: tensor<?x64xbf16>, %w1: tensor<128x64xbf16>, %b1: tensor<128xf32>, %w2: tensor<64x128xbf16>) -> tensor<?x64xf32> {
  %h = tessera.matmul %x, %w1, %b1 {transpose_b, epilogue = #tessera.epilogue<silu>} : tensor<?x64xbf16>, tensor<128x64xbf16>, tensor<128xf32> -> tensor<?x128xbf16>
  %y = tessera.matmul %h, %w2 {transpose_b} : tensor<?x128xbf16>, tensor<64x128xbf16> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
