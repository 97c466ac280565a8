// Attention (MHA/GQA/MQA, causal, sliding window) and merge_attention on the
// CPU against the float64 reference interpreter.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm -f gqa_causal --size s0=7 --size s1=113 --check | FileCheck %s --check-prefix=GQA
// RUN: tessera-run %t.tsm -f gqa_causal --size s0=113 --size s1=7 --check | FileCheck %s --check-prefix=GQA
// RUN: tessera-run %t.tsm -f gqa_causal --size s0=1 --size s1=1 --check | FileCheck %s --check-prefix=GQA
// RUN: tessera-run %t.tsm -f mqa_window_bf16 --default-size 33 --check | FileCheck %s --check-prefix=WINDOW
// RUN: tessera-run %t.tsm -f split_kv_decode --size s0=255 --check | FileCheck %s --check-prefix=SPLIT

// GQA: result0 f32 [2x8x{{[0-9]+}}x32]: {{.*}} PASS
// GQA: result1 f32 [2x8x{{[0-9]+}}]: {{.*}} PASS
// WINDOW: result0 bf16 [1x4x33x64]: {{.*}} PASS
// SPLIT: result0 f32 [3x4x1x16]: {{.*}} PASS

func.func @gqa_causal(%q: tensor<2x8x?x32xf32>, %k: tensor<2x2x?x32xf32>, %v: tensor<2x2x?x32xf32>) -> (tensor<2x8x?x32xf32>, tensor<2x8x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal} : tensor<2x8x?x32xf32>, tensor<2x2x?x32xf32>, tensor<2x2x?x32xf32> -> tensor<2x8x?x32xf32>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x32xf32>, tensor<2x8x?xf32>
}

func.func @mqa_window_bf16(%q: tensor<1x4x33x64xbf16>, %k: tensor<1x1x33x64xbf16>, %v: tensor<1x1x33x64xbf16>) -> tensor<1x4x33x64xbf16> {
  %o = tessera.attention %q, %k, %v {causal, window = 8} : tensor<1x4x33x64xbf16>, tensor<1x1x33x64xbf16>, tensor<1x1x33x64xbf16> -> tensor<1x4x33x64xbf16>
  return %o : tensor<1x4x33x64xbf16>
}

// Split-KV decoding: one query per sequence attends to two halves of the
// keys separately, and the partial results are merged exactly.
func.func @split_kv_decode(%q: tensor<3x4x1x16xf32>, %k1: tensor<3x4x?x16xf32>, %v1: tensor<3x4x?x16xf32>, %k2: tensor<3x4x100x16xf32>, %v2: tensor<3x4x100x16xf32>) -> tensor<3x4x1x16xf32> {
  %o1, %l1 = tessera.attention %q, %k1, %v1 : tensor<3x4x1x16xf32>, tensor<3x4x?x16xf32>, tensor<3x4x?x16xf32> -> tensor<3x4x1x16xf32>, tensor<3x4x1xf32>
  %o2, %l2 = tessera.attention %q, %k2, %v2 : tensor<3x4x1x16xf32>, tensor<3x4x100x16xf32>, tensor<3x4x100x16xf32> -> tensor<3x4x1x16xf32>, tensor<3x4x1xf32>
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2 : tensor<3x4x1x16xf32>, tensor<3x4x1xf32>, tensor<3x4x1x16xf32>, tensor<3x4x1xf32> -> tensor<3x4x1x16xf32>, tensor<3x4x1xf32>
  return %o : tensor<3x4x1x16xf32>
}
