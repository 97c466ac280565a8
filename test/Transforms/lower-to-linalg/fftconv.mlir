// RUN: tessera-opt %s --tessera-lower-to-linalg --split-input-file | FileCheck %s

// The direct causal convolution: u padded with L-1 zeros on the left, the
// filter reversed, then sum_j' kRev[h, j'] uPad[b, h, t + j'].
// CHECK-DAG: #[[KREV:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[UPAD:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + d3)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[D:.+]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @direct
// CHECK-SAME: (%[[U:.+]]: tensor<?x4x?xf16>, %[[K:.+]]: tensor<4x?xf16>, %[[DV:.+]]: tensor<4xf16>)
// CHECK: %[[L:.+]] = tensor.dim %[[K]], %{{.+}} : tensor<4x?xf16>
// CHECK: %[[LM1:.+]] = arith.subi %[[L]], %{{.+}} : index
// CHECK: %[[PAD:.+]] = tensor.pad %[[U]] low[0, 0, %[[LM1]]] high[0, 0, 0]
// CHECK: %[[REV:.+]] = linalg.generic {{.*}} outs(
// CHECK: %[[H:.+]] = linalg.index 0
// CHECK: %[[J:.+]] = linalg.index 1
// CHECK: %[[SRC:.+]] = arith.subi %[[LM1]], %[[J]]
// CHECK: tensor.extract %[[K]][%[[H]], %[[SRC]]]
// CHECK: %[[CONV:.+]] = linalg.generic {indexing_maps = [#[[KREV]], #[[UPAD]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[REV]], %[[PAD]] :
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%[[CONV]], %[[U]], %[[DV]] :
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: return %[[RES]]
func.func @direct(%u: tensor<?x4x?xf16>, %k: tensor<4x?xf16>, %d: tensor<4xf16>) -> tensor<?x4x?xf16> {
  %y = tessera.fftconv %u, %k, %d : tensor<?x4x?xf16>, tensor<4x?xf16>, tensor<4xf16> -> tensor<?x4x?xf16>
  return %y : tensor<?x4x?xf16>
}

// -----

// keep_frequencies: the kept-frequency mask over P = 2N, the low-pass kernel
// c, the filter k' = k (*) c (circular), then y = u (*) k' (circular).
// CHECK-LABEL: func @truncated
// CHECK-SAME: (%[[U:.+]]: tensor<2x3x7xf32>, %[[K:.+]]: tensor<3x5xf32>)
// CHECK-DAG: %[[F:.+]] = arith.constant 3 : index
// CHECK: %[[MASK:.+]] = linalg.generic
// CHECK: arith.minui
// CHECK: arith.cmpi ult, %{{.+}}, %[[F]]
// CHECK: %[[C:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[MASK]] :
// CHECK: arith.remui
// CHECK: math.cos
// CHECK: %[[KP:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[K]] :
// CHECK: tensor.extract %[[C]]
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[U]] :
// CHECK: tensor.extract %[[KP]]
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[U]] :
// CHECK: return %[[RES]]
func.func @truncated(%u: tensor<2x3x7xf32>, %k: tensor<3x5xf32>) -> tensor<2x3x7xf32> {
  %y = tessera.fftconv %u, %k {keep_frequencies = 3} : tensor<2x3x7xf32>, tensor<3x5xf32> -> tensor<2x3x7xf32>
  return %y : tensor<2x3x7xf32>
}
