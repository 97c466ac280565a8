// Compile every matmul variant for the CPU and check it against the float64
// reference interpreter at odd and dynamic sizes.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm -f plain --size s0=1 --check | FileCheck %s --check-prefix=PLAIN
// RUN: tessera-run %t.tsm -f plain --size s0=113 --check | FileCheck %s --check-prefix=PLAIN
// RUN: tessera-run %t.tsm -f weights_bf16 --size s0=7 --check | FileCheck %s --check-prefix=BF16
// RUN: tessera-run %t.tsm -f weights_bf16 --size s0=255 --check | FileCheck %s --check-prefix=BF16
// RUN: tessera-run %t.tsm -f batched_f16 --size s0=3 --check | FileCheck %s --check-prefix=F16
// RUN: tessera-run %t.tsm -f int8 --check | FileCheck %s --check-prefix=I8
// RUN: tessera-run %t.tsm -f epilogues --size s0=17 --check | FileCheck %s --check-prefix=EPI
// --bench with --check reports GFLOP/s from the reference's count.
// RUN: tessera-run %t.tsm -f plain --size s0=64 --check --bench 2 | FileCheck %s --check-prefix=BENCH

// PLAIN: result0 f32 [{{1|113}}x255]: {{.*}} PASS
// BF16: result0 bf16 [{{7|255}}x33]: {{.*}} PASS
// F16: result0 f32 [3x5x7x4]: {{.*}} PASS
// I8: result0 i32 [13x9]: max abs err 0, {{.*}} PASS
// EPI: result0 f32 [17x64]: {{.*}} PASS
// EPI: result1 f32 [17x64]: {{.*}} PASS
// EPI: result2 bf16 [17x64]: {{.*}} PASS
// BENCH: bench: 2 runs, median {{[0-9.]+}} ms, {{[0-9.]+}} GB/s (arguments + results), {{[0-9.]+}} GFLOP/s

func.func @plain(%a: tensor<?x113xf32>, %b: tensor<113x255xf32>) -> tensor<?x255xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x113xf32>, tensor<113x255xf32> -> tensor<?x255xf32>
  return %0 : tensor<?x255xf32>
}

func.func @weights_bf16(%x: tensor<?x64xbf16>, %w: tensor<33x64xbf16>, %bias: tensor<33xf32>) -> tensor<?x33xbf16> {
  %0 = tessera.matmul %x, %w, %bias {transpose_b, epilogue = #tessera.epilogue<silu>} : tensor<?x64xbf16>, tensor<33x64xbf16>, tensor<33xf32> -> tensor<?x33xbf16>
  return %0 : tensor<?x33xbf16>
}

func.func @batched_f16(%a: tensor<?x1x16x7xf16>, %b: tensor<5x4x16xf16>) -> tensor<?x5x7x4xf32> {
  %0 = tessera.matmul %a, %b {transpose_a, transpose_b, alpha = 0.5 : f32} : tensor<?x1x16x7xf16>, tensor<5x4x16xf16> -> tensor<?x5x7x4xf32>
  return %0 : tensor<?x5x7x4xf32>
}

func.func @int8(%a: tensor<13x255xi8>, %b: tensor<255x9xi8>) -> tensor<13x9xi32> {
  %0 = tessera.matmul %a, %b : tensor<13x255xi8>, tensor<255x9xi8> -> tensor<13x9xi32>
  return %0 : tensor<13x9xi32>
}

func.func @epilogues(%a: tensor<?x32xf32>, %b: tensor<32x64xf32>, %bias: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xbf16>) {
  %0 = tessera.matmul %a, %b, %bias {epilogue = #tessera.epilogue<relu>} : tensor<?x32xf32>, tensor<32x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %1 = tessera.matmul %a, %b, %bias {epilogue = #tessera.epilogue<gelu_tanh>, alpha = 2.0 : f32} : tensor<?x32xf32>, tensor<32x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %2 = tessera.matmul %a, %b {epilogue = #tessera.epilogue<silu>} : tensor<?x32xf32>, tensor<32x64xf32> -> tensor<?x64xbf16>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xbf16>
}
