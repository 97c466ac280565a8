// fftconv (direct and frequency-sparse) on the CPU against the float64
// reference interpreter, at odd and dynamic lengths.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm -f conv --size s0=2 --size s1=113 --shape arg1=3x7 --check | FileCheck %s --check-prefix=CONV
// RUN: tessera-run %t.tsm -f conv --size s0=1 --size s1=255 --shape arg1=3x255 --check | FileCheck %s --check-prefix=CONV
// RUN: tessera-run %t.tsm -f conv --size s0=3 --size s1=1 --shape arg1=3x1 --check | FileCheck %s --check-prefix=CONV
// RUN: tessera-run %t.tsm -f conv_f16 --check | FileCheck %s --check-prefix=F16
// RUN: tessera-run %t.tsm -f truncated --check | FileCheck %s --check-prefix=TRUNC

// CONV: result0 f32 [{{[0-9]+}}x3x{{[0-9]+}}]: {{.*}} PASS
// F16: result0 f16 [2x4x64]: {{.*}} PASS
// TRUNC: result0 f32 [2x3x16]: {{.*}} PASS

func.func @conv(%u: tensor<?x3x?xf32>, %k: tensor<3x?xf32>, %d: tensor<3xf32>) -> tensor<?x3x?xf32> {
  %y = tessera.fftconv %u, %k, %d : tensor<?x3x?xf32>, tensor<3x?xf32>, tensor<3xf32> -> tensor<?x3x?xf32>
  return %y : tensor<?x3x?xf32>
}

func.func @conv_f16(%u: tensor<2x4x64xf16>, %k: tensor<4x64xf16>, %d: tensor<4xf16>) -> tensor<2x4x64xf16> {
  %y = tessera.fftconv %u, %k, %d : tensor<2x4x64xf16>, tensor<4x64xf16>, tensor<4xf16> -> tensor<2x4x64xf16>
  return %y : tensor<2x4x64xf16>
}

func.func @truncated(%u: tensor<2x3x16xf32>, %k: tensor<3x9xf32>) -> tensor<2x3x16xf32> {
  %y = tessera.fftconv %u, %k {keep_frequencies = 5} : tensor<2x3x16xf32>, tensor<3x9xf32> -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}
