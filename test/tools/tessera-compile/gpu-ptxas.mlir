// Every kernel the GPU targets generate assembles with ptxas.
// REQUIRES: ptxas
// RUN: tessera-compile %S/gpu.mlir --target sm_80 --emit ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: tessera-compile %S/gpu.mlir --target sm_90a --emit ptx -o %t.sm90a.ptx
// RUN: %ptxas -arch=sm_90a %t.sm90a.ptx -o %t.sm90a.cubin
// RUN: tessera-compile %S/../../Transforms/gpu-build-kernels/mma-sync.mlir --target sm_80 --emit ptx -o %t.more.ptx
// RUN: %ptxas -arch=sm_80 %t.more.ptx -o %t.more.cubin
// RUN: tessera-compile %S/../../Transforms/gpu-build-kernels/wgmma.mlir --target sm_90a --emit ptx -o %t.wgmma.ptx
// RUN: %ptxas -arch=sm_90a %t.wgmma.ptx -o %t.wgmma.cubin
// RUN: tessera-compile %S/../../Transforms/gpu-build-kernels/wgmma-fp8.mlir --target sm_90a --emit ptx -o %t.fp8.ptx
// RUN: %ptxas -arch=sm_90a %t.fp8.ptx -o %t.fp8.cubin
// RUN: tessera-compile %S/gpu-attention.mlir --target sm_90a --emit ptx -o %t.attn90.ptx
// RUN: %ptxas -arch=sm_90a %t.attn90.ptx -o %t.attn90.cubin
// RUN: tessera-compile %S/gpu-attention.mlir --target sm_80 --emit ptx -o %t.attn80.ptx
// RUN: %ptxas -arch=sm_80 %t.attn80.ptx -o %t.attn80.cubin
// RUN: tessera-compile %S/../../Transforms/gpu-build-kernels/attention-wgmma.mlir --target sm_90a --emit ptx -o %t.attnk90.ptx
// RUN: %ptxas -arch=sm_90a %t.attnk90.ptx -o %t.attnk90.cubin
// RUN: tessera-compile %S/../../Transforms/gpu-build-kernels/attention-mma-sync.mlir --target sm_80 --emit ptx -o %t.attnk80.ptx
// RUN: %ptxas -arch=sm_80 %t.attnk80.ptx -o %t.attnk80.cubin
