// Helpers that use tessera ops are inlined (the tessera dialect is
// inlinable), so the graph gets a reference program and size symbols.
// RUN: tessera-compile %s -o %t.tsm 2>&1 | FileCheck %s --allow-empty --check-prefix=COMPILE
// RUN: tessera-run %t.tsm --list | FileCheck %s --check-prefix=LIST
// RUN: tessera-run %t.tsm --size s0=9 --check | FileCheck %s --check-prefix=CHECK

// COMPILE-NOT: warning
// LIST: arg arg0 f32 s0x32
// LIST: result result0 f32 s0x32
// CHECK: result0 f32 [9x32]: {{.*}} PASS

func.func private @project(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %0 = tessera.matmul %x, %w {transpose_b, epilogue = #tessera.epilogue<gelu_tanh>} : tensor<?x32xf32>, tensor<32x32xf32> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

func.func @two_layers(%x: tensor<?x32xf32>, %w1: tensor<32x32xf32>, %w2: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %h = func.call @project(%x, %w1) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y = func.call @project(%h, %w2) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
