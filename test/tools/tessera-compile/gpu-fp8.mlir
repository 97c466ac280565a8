// fp8 on sm_90a: per-tensor scales travel as 0-D arguments after A and B.
// RUN: tessera-compile %s --target sm_90a --emit ptx -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: tessera-compile %s --target sm_90a -o %t.tsm
// RUN: tessera-run %t.tsm --list | FileCheck %s --check-prefix=LIST
// The manifest's launch plan (docs/artifact-format.md) is text in the file.
// RUN: grep -a "^launch" %t.tsm | FileCheck %s --check-prefix=PLAN
// RUN: grep -a -A10 "^function gemm" %t.tsm | FileCheck %s --check-prefix=REF
// RUN: not tessera-compile %s --target sm_80 2>&1 | FileCheck %s --check-prefix=SM80

// The float64 reference: the scales follow A and B. A bf16 result is
// checked at bf16's tolerance; fp8 tensor cores accumulate with fewer bits
// than f32, so an f32 result is checked at f16's.
// REF: function gemm 5
// REF-NEXT: precision bf16
// REF: = matmul %0 %1 %2 %3 %4 0 1 1 silu
// REF: function gemm_f32 2
// REF-NEXT: precision f16
// REF: = matmul %0 %1 0 1 1 none

// PTX: .visible .entry tessera_matmul_0(
// PTX: wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3
// PTX: .visible .entry tessera_matmul_8(
// PTX: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// PTX: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes

// LIST: function gemm
// LIST-NEXT: arg arg0 f8e4m3fn s0x4096
// LIST-NEXT: arg arg1 f8e4m3fn 1024x4096
// LIST-NEXT: arg arg2 f32 scalar
// LIST-NEXT: arg arg3 f32 scalar
// LIST-NEXT: arg arg4 bf16 1024
// LIST-NEXT: result result0 bf16 s0x1024
// LIST: function gemm_f32
// LIST-NEXT: arg arg0 f8e4m3fn 256x4096
// LIST-NEXT: arg arg1 f8e5m2 512x4096
// LIST-NEXT: result result0 f32 256x512

// The token classes (swapped kernels of 8 to 64 tokens up to M = 512, then
// 128 x 64 and 128 x 128 tiles); classes with the same schedule share a
// kernel. Every launch takes A's and B's tensor maps (boxes 128 fp8 wide),
// A, B, both scales, the bias and the result.
// PLAN: launch tessera_matmul_0 grid 1 cdiv(s0,8)*cdiv(1024,64) 1 {{.*}} params tmap:arg0:128x8:128 tmap:arg1:128x64:128 memref:arg0 memref:arg1 memref:arg2 memref:arg3 memref:arg4 memref:result0
// PLAN-NEXT: launch tessera_matmul_0 grid 1 cdiv(s0,8)*cdiv(1024,64) 1
// PLAN: launch tessera_matmul_7 {{.*}} params tmap:arg0:128x128:128 tmap:arg1:128x64:128 memref:arg0 memref:arg1 memref:arg2 memref:arg3 memref:arg4 memref:result0
// PLAN-NEXT: launch tessera_matmul_8 {{.*}} params tmap:arg0:128x128:128 tmap:arg1:128x128:128 memref:arg0 memref:arg1 memref:arg2 memref:arg3 memref:arg4 memref:result0
// PLAN-NEXT: launch tessera_matmul_8 {{.*}} params tmap:arg0:128x128:128 tmap:arg1:128x128:128

// SM80: error: 'tessera.matmul' op has 'f8E4M3FN' operands 'a' and 'b': sm_80 tensor-core GEMMs take bf16 or f16 (fp8 tensor cores need sm_90a)

func.func @gemm(%x: tensor<?x4096xf8E4M3FN>, %w: tensor<1024x4096xf8E4M3FN>, %sx: tensor<f32>, %sw: tensor<f32>, %bias: tensor<1024xbf16>) -> tensor<?x1024xbf16> {
  %0 = tessera.matmul %x, %w, %bias scales(%sx, %sw) {transpose_b, epilogue = #tessera.epilogue<silu>} : tensor<?x4096xf8E4M3FN>, tensor<1024x4096xf8E4M3FN>, tensor<1024xbf16> -> tensor<?x1024xbf16>
  return %0 : tensor<?x1024xbf16>
}

func.func @gemm_f32(%x: tensor<256x4096xf8E4M3FN>, %w: tensor<512x4096xf8E5M2>) -> tensor<256x512xf32> {
  %0 = tessera.matmul %x, %w {transpose_b} : tensor<256x4096xf8E4M3FN>, tensor<512x4096xf8E5M2> -> tensor<256x512xf32>
  return %0 : tensor<256x512xf32>
}
