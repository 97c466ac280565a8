// Attention on the GPU targets: PTX from LLVM's NVPTX backend, the plan in
// the manifest, and a function of several kernel families in one plan.
// RUN: tessera-compile %s --target sm_90a --emit ptx -o %t.sm90a.ptx
// RUN: FileCheck %s --check-prefix=SM90A < %t.sm90a.ptx
// RUN: tessera-compile %s --target sm_80 --emit ptx -o %t.sm80.ptx
// RUN: FileCheck %s --check-prefix=SM80 < %t.sm80.ptx
// RUN: tessera-compile %s --target sm_90a -o %t.tsm
// RUN: tessera-run %t.tsm --list | FileCheck %s --check-prefix=LIST
// RUN: grep -a -E "^(buffer|variant|launch|memset)" %t.tsm | FileCheck %s --check-prefix=PLAN

// The sm_90a kernels: TMA descriptors by value, 4-D bulk tensor copies
// into mbarrier rings, setmaxnreg, wgmma from shared memory (Q K^T) and
// from registers (P V), in whatever order the backend lays the roles out.
// SM90A-LABEL: .visible .entry tessera_attention_0(
// SM90A-NEXT: .param .align 64 .b8 tessera_attention_0_param_0[128],
// SM90A-NEXT: .param .align 64 .b8 tessera_attention_0_param_1[128],
// SM90A-NEXT: .param .align 64 .b8 tessera_attention_0_param_2[128],
// SM90A-DAG: mbarrier.init.shared.b64
// SM90A-DAG: setmaxnreg.dec.sync.aligned.u32 40;
// SM90A-DAG: cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// SM90A-DAG: setmaxnreg.inc.sync.aligned.u32
// SM90A-DAG: mbarrier.try_wait.parity.shared.b64
// SM90A-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// SM90A-DAG: shfl.sync.bfly.b32
// SM90A-DAG: ex2.approx.ftz.f32
// SM90A-DAG: wgmma.wait_group.sync.aligned 1;
// SM90A-LABEL: .visible .entry tessera_attention_0_merge(
// SM90A-LABEL: .visible .entry tessera_attention_1(
// SM90A-LABEL: .visible .entry tessera_merge_attention_0(
// SM90A-LABEL: .visible .entry tessera_matmul_0(

// The sm_80 kernels: cp.async, ldmatrix (.trans for V), mma.sync.
// SM80: .visible .entry tessera_attention_0(
// SM80: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{.*}};
// SM80: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM80: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// SM80: .visible .entry tessera_merge_attention_0(

// LIST: function attend
// LIST-NEXT: arg arg0 bf16 s0x8xs1x128
// LIST: function prefix_suffix

// One artifact serves decode and prefill: Sq <= 16 (the 4 query heads of a
// KV head in one 64-row block) splits KV at run time into f32 partials
// sized by the same expression (the most splits whose blocks fit the 132
// SMs in one wave, two KV tiles each at least), which the merge kernel
// combines. Both kernels are persistent: at most 132 blocks walk the tiles.
// PLAN: buffer t0 f32 (max(min(div(132,cdiv(s1,16)*s0*2),cdiv(cdiv(s2,128),2)),1))xs0x8xs1x128
// PLAN-NEXT: buffer t1 f32 (max(min(div(132,cdiv(s1,16)*s0*2),cdiv(cdiv(s2,128),2)),1))xs0x8xs1
// PLAN-NEXT: variant s1 <= 16
// PLAN-NEXT: launch tessera_attention_0 grid min(cdiv(s1,16)*s0*2*max(min(div(132,cdiv(s1,16)*s0*2),cdiv(cdiv(s2,128),2)),1),132) 1 1 block 256 1 1 smem {{[0-9]+}} params tmap:arg0:64x16x4x1:128 tmap:arg1:64x128x1x1:128 tmap:arg2:64x128x1x1:128 memref:arg0 memref:arg1 memref:t0 memref:t1 i64:max(min(div(132,cdiv(s1,16)*s0*2),cdiv(cdiv(s2,128),2)),1)
// PLAN-NEXT: launch tessera_attention_0_merge grid cdiv(s0*8*s1,4) 1 1 block 128 1 1 smem 0 params memref:t0 memref:t1 memref:result0 memref:result1
// PLAN-NEXT: variant always
// PLAN-NEXT: launch tessera_attention_1 grid min(cdiv(s1,128)*s0*8*1,132) 1 1 block 384 1 1 smem {{[0-9]+}} params tmap:arg0:64x128x1x1:128 tmap:arg1:64x128x1x1:128 tmap:arg2:64x128x1x1:128 memref:arg0 memref:arg1 memref:result0 memref:result1 i64:1
// Shared-prefix decoding in one plan: the prefix and suffix attentions into
// temporaries (their lse too), merged; and a matmul beside them.
// Static sizes fold (the prefix's 2048 keys over 32 blocks: 4 splits).
// PLAN: buffer t2 f32 4x4x8x1x128
// PLAN: launch tessera_attention_2 grid 128 1 1 {{.*}} memref:t2 memref:t3 i64:4
// PLAN-NEXT: launch tessera_attention_2_merge grid 8 1 1 {{.*}} params memref:t2 memref:t3 memref:t0 memref:t1
// PLAN-NEXT: launch tessera_attention_3 grid min(cdiv(1,64)*4*8*max(min(div(132,cdiv(1,64)*4*8),cdiv(cdiv(s0,128),2)),1),132) 1 1
// PLAN-NEXT: launch tessera_attention_3_merge
// PLAN-NEXT: launch tessera_merge_attention_0 grid 8 1 1 block 128 1 1 smem 0 params memref:t0 memref:t1 memref:t4 memref:t5 memref:result0 memref:result1
// PLAN-NEXT: launch tessera_matmul_0 grid 1 16 1

func.func @attend(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> (tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal} : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
  return %o, %lse : tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
}

func.func @prefix_suffix(%q: tensor<4x8x1x128xbf16>, %kp: tensor<4x8x2048x128xbf16>, %vp: tensor<4x8x2048x128xbf16>, %ks: tensor<4x8x?x128xbf16>, %vs: tensor<4x8x?x128xbf16>, %x: tensor<4x1024xbf16>, %w: tensor<1024x1024xbf16>) -> (tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>, tensor<4x1024xbf16>) {
  %o1, %l1 = tessera.attention %q, %kp, %vp : tensor<4x8x1x128xbf16>, tensor<4x8x2048x128xbf16>, tensor<4x8x2048x128xbf16> -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
  %o2, %l2 = tessera.attention %q, %ks, %vs {causal} : tensor<4x8x1x128xbf16>, tensor<4x8x?x128xbf16>, tensor<4x8x?x128xbf16> -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>, tensor<4x8x1x128xbf16>, tensor<4x8x1xf32> -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
  %y = tessera.matmul %x, %w {transpose_b} : tensor<4x1024xbf16>, tensor<1024x1024xbf16> -> tensor<4x1024xbf16>
  return %o, %l, %y : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>, tensor<4x1024xbf16>
}
