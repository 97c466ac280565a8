// RUN: tessera-opt %s --tessera-lower-to-linalg --split-input-file | FileCheck %s

// Grouped-query, causal, sliding-window attention with dynamic sequence
// lengths: query heads are regrouped as [B, Hkv, G, Sq, D] so every map is a
// projected permutation.

// CHECK-DAG: #[[QMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[KMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[SMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[VMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @gqa_causal_window
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8x?x64xf16>, %[[K:.+]]: tensor<2x2x?x64xf16>, %[[V:.+]]: tensor<2x2x?x32xf16>)
// CHECK-DAG: %[[SQ:.+]] = tensor.dim %[[Q]], %{{.+}} : tensor<2x8x?x64xf16>
// CHECK-DAG: %[[SKV:.+]] = tensor.dim %[[K]], %{{.+}} : tensor<2x2x?x64xf16>
// CHECK: %[[QG:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 4, %[[SQ]], 64]
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[KMAP]], #[[SMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[QG]], %[[K]] :
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[OFF:.+]] = arith.subi %[[SKV]], %[[SQ]] : index
// CHECK: %[[MASKED:.+]] = linalg.generic {{.*}} ins(%[[S]] :
// CHECK: arith.constant 1.250000e-01 : f32
// CHECK: %[[I:.+]] = linalg.index 3 : index
// CHECK: %[[J:.+]] = linalg.index 4 : index
// CHECK: %[[LAST:.+]] = arith.addi %[[I]], %[[OFF]]
// CHECK: %[[CAUSAL:.+]] = arith.cmpi sle, %[[J]], %[[LAST]]
// CHECK: %[[DIST:.+]] = arith.subi %[[LAST]], %[[J]]
// CHECK: %[[W:.+]] = arith.constant 16 : index
// CHECK: %[[INWIN:.+]] = arith.cmpi slt, %[[DIST]], %[[W]]
// CHECK: %[[VIS:.+]] = arith.andi %[[CAUSAL]], %[[INWIN]]
// CHECK: arith.select %[[VIS]], %{{.+}}, %{{.+}} : f32
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[MASKED]] :
// CHECK: arith.maximumf
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[MASKED]], %[[MAX]] :
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[P]] :
// CHECK: %[[PV:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[VMAP]], #[[SMAP]]], {{.*}} ins(%[[P]], %[[V]] :
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[PV]], %[[SUM]] :
// CHECK: arith.divf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: %[[OC:.+]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x4x?x32xf16> into tensor<2x8x?x32xf16>
// CHECK: %[[LSE:.+]] = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]] :
// CHECK: math.log
// CHECK: %[[LC:.+]] = tensor.collapse_shape %[[LSE]] {{\[}}[0], [1, 2], [3]] : tensor<2x2x4x?xf32> into tensor<2x8x?xf32>
// CHECK: return %[[OC]], %[[LC]]
func.func @gqa_causal_window(%q: tensor<2x8x?x64xf16>, %k: tensor<2x2x?x64xf16>, %v: tensor<2x2x?x32xf16>) -> (tensor<2x8x?x32xf16>, tensor<2x8x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal, window = 16}
      : tensor<2x8x?x64xf16>, tensor<2x2x?x64xf16>, tensor<2x2x?x32xf16> -> tensor<2x8x?x32xf16>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x32xf16>, tensor<2x8x?xf32>
}

// -----

// Plain multi-head attention: no mask, default scale 1/sqrt(16), no lse.
// CHECK-LABEL: func @mha_no_mask
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2], [3], [4]] output_shape [%{{.+}}, 3, 1, 7, 16]
// CHECK: arith.constant 2.500000e-01 : f32
// CHECK-NOT: linalg.index
// CHECK-NOT: math.log
// CHECK: tensor.collapse_shape
// CHECK-NOT: math.log
// CHECK: return
func.func @mha_no_mask(%q: tensor<?x3x7x16xf32>, %k: tensor<?x3x113x16xf32>, %v: tensor<?x3x113x16xf32>) -> tensor<?x3x7x16xf32> {
  %o = tessera.attention %q, %k, %v : tensor<?x3x7x16xf32>, tensor<?x3x113x16xf32>, tensor<?x3x113x16xf32> -> tensor<?x3x7x16xf32>
  return %o : tensor<?x3x7x16xf32>
}

// -----

// A result type more static than the operands gets a tensor.cast.
// CHECK-LABEL: func @refined_result
// CHECK: %[[C:.+]] = tensor.collapse_shape %{{.+}} : tensor<1x1x1x?x8xbf16> into tensor<1x1x?x8xbf16>
// CHECK: %[[CAST:.+]] = tensor.cast %[[C]] : tensor<1x1x?x8xbf16> to tensor<1x1x5x8xbf16>
// CHECK: return %[[CAST]]
func.func @refined_result(%q: tensor<1x1x?x8xbf16>, %k: tensor<1x1x9x8xbf16>, %v: tensor<1x1x9x8xbf16>) -> tensor<1x1x5x8xbf16> {
  %o = tessera.attention %q, %k, %v {causal, scale = 2.0 : f32} : tensor<1x1x?x8xbf16>, tensor<1x1x9x8xbf16>, tensor<1x1x9x8xbf16> -> tensor<1x1x5x8xbf16>
  return %o : tensor<1x1x5x8xbf16>
}
