// A dynamic-M layer whose weights are stored [N, K] (nn.Linear's layout)
// on sm_90a: one variant per token class, in order; the launch takes the
// first whose condition holds for M (s0). Classes with the same schedule
// share a kernel. Up to 192 tokens, swapped kernels (64 rows of W by 8 to
// 96 tokens per block, 256 threads); from 193, the persistent kernel (at
// most 132 blocks of 384 threads) with 128 x 64, 128 x 128 and 128 x 256
// tiles.
// RUN: tessera-compile %s --target sm_90a -o %t.tsm
// RUN: grep -a -E "^(variant|launch)" %t.tsm | FileCheck %s --check-prefix=PLAN

// PLAN: variant s0 <= 8
// PLAN-NEXT: launch tessera_matmul_0 grid 1 cdiv(s0,8)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 16
// PLAN-NEXT: launch tessera_matmul_1 grid 1 cdiv(s0,16)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 24
// PLAN-NEXT: launch tessera_matmul_2 grid 1 cdiv(s0,24)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 32
// PLAN-NEXT: launch tessera_matmul_3 grid 1 cdiv(s0,32)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 48
// PLAN-NEXT: launch tessera_matmul_4 grid 1 cdiv(s0,48)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 64
// PLAN-NEXT: launch tessera_matmul_5 grid 1 cdiv(s0,64)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 96
// PLAN-NEXT: launch tessera_matmul_6 grid 1 cdiv(s0,96)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 128
// PLAN-NEXT: launch tessera_matmul_5 grid 1 cdiv(s0,64)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 192
// PLAN-NEXT: launch tessera_matmul_6 grid 1 cdiv(s0,96)*cdiv(4096,64) 1 block 256 1 1
// PLAN-NEXT: variant s0 <= 256
// PLAN-NEXT: launch tessera_matmul_7 grid min(1*cdiv(s0,128)*cdiv(4096,64),132) 1 1 block 384 1 1
// PLAN-NEXT: variant s0 <= 384
// PLAN-NEXT: launch tessera_matmul_8 grid min(1*cdiv(s0,128)*cdiv(4096,128),132) 1 1 block 384 1 1
// PLAN-NEXT: variant s0 <= 512
// PLAN-NEXT: launch tessera_matmul_8 grid min(1*cdiv(s0,128)*cdiv(4096,128),132) 1 1 block 384 1 1
// PLAN-NEXT: variant s0 <= 1024
// PLAN-NEXT: launch tessera_matmul_9 grid min(1*cdiv(s0,128)*cdiv(4096,256),132) 1 1 block 384 1 1
// PLAN-NEXT: variant s0 <= 2048
// PLAN-NEXT: launch tessera_matmul_8 grid min(1*cdiv(s0,128)*cdiv(4096,128),132) 1 1 block 384 1 1
// PLAN-NEXT: variant always
// PLAN-NEXT: launch tessera_matmul_8 grid min(1*cdiv(s0,128)*cdiv(4096,128),132) 1 1 block 384 1 1
// PLAN-NOT: variant

func.func @q_proj(%x: tensor<?x4096xbf16>, %w: tensor<4096x4096xbf16>) -> tensor<?x4096xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<?x4096xbf16>, tensor<4096x4096xbf16> -> tensor<?x4096xbf16>
  return %0 : tensor<?x4096xbf16>
}
