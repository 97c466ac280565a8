// GPU targets: PTX from LLVM's NVPTX backend, launch plans in the manifest.
// RUN: tessera-compile %s --target sm_80 --emit ptx -o %t.sm80.ptx
// RUN: FileCheck %s --check-prefixes=PTX,SM80 < %t.sm80.ptx
// RUN: tessera-compile %s --target sm_90a --emit ptx -o %t.sm90a.ptx
// RUN: FileCheck %s --check-prefixes=PTX,SM90A < %t.sm90a.ptx
// RUN: tessera-compile %s --target sm_80 -o %t.tsm
// RUN: tessera-run %t.tsm --list | FileCheck %s --check-prefix=LIST
// RUN: not tessera-compile %s --target sm_80 --emit llvm 2>&1 | FileCheck %s --check-prefix=EMIT
// RUN: not tessera-compile %s --target sm_80 --schedule m-tile=4 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// RUN: not tessera-compile %S/Inputs/gpu-unsupported.mlir --target sm_80 2>&1 | FileCheck %s --check-prefix=NOKERNEL

// PTX: .version 8.0
// SM80: .target sm_80
// SM90A: .target sm_90a
// PTX: .visible .entry tessera_matmul_0(
// PTX: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{.*}};
// PTX: cp.async.commit_group;
// PTX: cp.async.wait_group 4;
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// On sm_90a, M > 64 runs the wgmma kernels (two M classes): TMA descriptors
// by value, mbarriers, the producer's bulk tensor copies, the consumers'
// wgmma.
// SM90A: .visible .entry tessera_matmul_1(
// SM90A-NEXT: .param .align 64 .b8 tessera_matmul_1_param_0[128],
// SM90A-NEXT: .param .align 64 .b8 tessera_matmul_1_param_1[128],
// SM90A: .maxntid 384, 1, 1
// SM90A: .minnctapersm 1
// SM90A: mbarrier.init.shared.b64
// SM90A: fence.proxy.async.shared::cta;
// SM90A: setmaxnreg.inc.sync.aligned.u32 224;
// SM90A: mbarrier.try_wait.parity.shared.b64
// SM90A: wgmma.fence.sync.aligned;
// SM90A: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// SM90A: wgmma.commit_group.sync.aligned;
// SM90A: wgmma.wait_group.sync.aligned 1;
// SM90A: setmaxnreg.dec.sync.aligned.u32 56;
// SM90A: mbarrier.arrive.expect_tx.shared.b64
// SM90A: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// SM90A: .visible .entry tessera_matmul_2(
// SM90A: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// SM90A: .visible .entry tessera_matmul_3(
// SM90A: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM90A: .visible .entry tessera_matmul_3_epilogue(
// SM80: .visible .entry tessera_matmul_2(
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM80: .visible .entry tessera_matmul_2_epilogue(
// PTX: ex2.approx.f32

// LIST: function project
// LIST-NEXT: arg arg0 bf16 s0x256
// LIST: function decode
// LIST-NEXT: arg arg0 f16 16x4096
// EMIT: error: --emit llvm and --emit obj are for the cpu target
// SCHEDULE: error: schedule overrides for GPU targets are written on the op
// NOKERNEL: gpu-unsupported.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'tessera.fftconv' op is not supported by the GPU targets yet (functions may hold tessera.matmul, tessera.attention and tessera.merge_attention ops, and tensor.expand_shape and tensor.collapse_shape, only)

func.func @project(%a: tensor<?x256xbf16>, %b: tensor<256x512xbf16>) -> tensor<?x512xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x256xbf16>, tensor<256x512xbf16> -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

func.func @decode(%x: tensor<16x4096xf16>, %w: tensor<1024x4096xf16>) -> tensor<16x1024xf16> {
  %0 = tessera.matmul %x, %w {transpose_b, epilogue = #tessera.epilogue<silu>, schedules = [#tessera.schedule<block_m = 32, block_n = 64, block_k = 64, stages = 4, warps = 4, split_k = 4>]} : tensor<16x4096xf16>, tensor<1024x4096xf16> -> tensor<16x1024xf16>
  return %0 : tensor<16x1024xf16>
}
