// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a | FileCheck %s

// A pinned schedule is kept.
// CHECK-LABEL: func.func @pinned
// CHECK: schedules = [#tessera.attention_schedule<block_q = 128, block_kv = 64, stages = 2, warps = 12, split_kv = 3>]
func.func @pinned(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>, %v: tensor<1x4x?x64xbf16>) -> tensor<1x4x?x64xbf16> {
  %o = tessera.attention %q, %k, %v {schedules = [#tessera.attention_schedule<block_q = 128, block_kv = 64, stages = 2, warps = 12, split_kv = 3>]} : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16> -> tensor<1x4x?x64xbf16>
  return %o : tensor<1x4x?x64xbf16>
}
