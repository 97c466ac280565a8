// Matmuls with an empty result (N, the batch or M 0) and K = 0 compile for
// both GPU targets: the schedule choice must not divide by their empty
// grids (it did: SIGFPE in the split-K choice). Launches with an empty grid
// are skipped at run time; K = 0 launches its tiles, which write zeros.
// RUN: tessera-compile %s --target sm_80 -o %t.sm80.tsm
// RUN: grep -a -E "^(function|launch)" %t.sm80.tsm | FileCheck %s --check-prefix=SM80
// RUN: tessera-compile %s --target sm_90a -o %t.sm90a.tsm
// RUN: grep -a -E "^(function|launch)" %t.sm90a.tsm | FileCheck %s --check-prefix=SM90A

// SM80: function n0 -
// SM80-NEXT: launch tessera_matmul_0 grid 0 1 1
// SM80: function n0_kn -
// SM80-NEXT: launch tessera_matmul_1 grid 0 1 1
// SM80: function batch0 -
// SM80-NEXT: launch tessera_matmul_2 grid 1 1 0
// SM80: function batch0_tokens -
// SM80-NEXT: launch tessera_matmul_3 grid 2 cdiv(s0,32) 0
// SM80-NEXT: launch tessera_matmul_4 grid 1 cdiv(s0,128) 0
// SM80: function m0 -
// SM80-NEXT: launch tessera_matmul_5 grid 1 0 1
// SM80: function k0 -
// SM80-NEXT: launch tessera_matmul_6 grid 2 1 1

// SM90A: function n0 -
// SM90A-NEXT: launch tessera_matmul_0 grid 0 1 1
// SM90A: function n0_kn -
// SM90A-NEXT: launch tessera_matmul_1 grid 0 1 1
// SM90A: function batch0 -
// SM90A-NEXT: launch tessera_matmul_2 grid 0 1 1
// SM90A: function batch0_tokens -
// SM90A-NEXT: launch tessera_matmul_3 grid min(0*cdiv(s0,{{[0-9]+}})*cdiv(64,{{[0-9]+}}),132) 1 1
// SM90A: function m0 -
// SM90A-NEXT: launch tessera_matmul_4 grid 0 1 1
// SM90A: function k0 -
// SM90A-NEXT: launch tessera_matmul_5 grid 2 1 1

func.func @n0(%a: tensor<16x64xbf16>, %b: tensor<0x64xbf16>) -> tensor<16x0xbf16> {
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<16x64xbf16>, tensor<0x64xbf16> -> tensor<16x0xbf16>
  return %0 : tensor<16x0xbf16>
}

func.func @n0_kn(%a: tensor<16x64xbf16>, %b: tensor<64x0xbf16>) -> tensor<16x0xbf16> {
  %0 = tessera.matmul %a, %b : tensor<16x64xbf16>, tensor<64x0xbf16> -> tensor<16x0xbf16>
  return %0 : tensor<16x0xbf16>
}

func.func @batch0(%a: tensor<0x128x64xbf16>, %b: tensor<0x64x64xbf16>) -> tensor<0x128x64xbf16> {
  %0 = tessera.matmul %a, %b : tensor<0x128x64xbf16>, tensor<0x64x64xbf16> -> tensor<0x128x64xbf16>
  return %0 : tensor<0x128x64xbf16>
}

func.func @batch0_tokens(%a: tensor<0x?x64xbf16>, %b: tensor<0x64x64xbf16>) -> tensor<0x?x64xbf16> {
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<0x?x64xbf16>, tensor<0x64x64xbf16> -> tensor<0x?x64xbf16>
  return %0 : tensor<0x?x64xbf16>
}

func.func @m0(%a: tensor<0x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<0x64xbf16> {
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<0x64xbf16>, tensor<64x64xbf16> -> tensor<0x64xbf16>
  return %0 : tensor<0x64xbf16>
}

func.func @k0(%a: tensor<16x0xbf16>, %b: tensor<64x0xbf16>) -> tensor<16x64xbf16> {
  %0 = tessera.matmul %a, %b {transpose_b} : tensor<16x0xbf16>, tensor<64x0xbf16> -> tensor<16x64xbf16>
  return %0 : tensor<16x64xbf16>
}
