// RUN: tessera-opt %s --tessera-lower-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ROWID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @merge
// CHECK-SAME: (%[[O1:.+]]: tensor<?x3x4xf32>, %[[L1:.+]]: tensor<?x3xf32>, %[[O2:.+]]: tensor<?x3x4xf32>, %[[L2:.+]]: tensor<?x3xf32>)
// CHECK: %[[OUT:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[O1]], %[[L1]], %[[O2]], %[[L2]] :
// CHECK: ^bb0(%[[A1:.+]]: f32, %[[B1:.+]]: f32, %[[A2:.+]]: f32, %[[B2:.+]]: f32, %{{.+}}: bf16):
// CHECK: %[[M:.+]] = arith.maximumf %[[B1]], %[[B2]]
// CHECK: %[[EMPTY:.+]] = arith.cmpf oeq, %[[M]], %{{.+}}
// CHECK: %[[MS:.+]] = arith.select %[[EMPTY]], %{{.+}}, %[[M]]
// CHECK: %[[D1:.+]] = arith.subf %[[B1]], %[[MS]]
// CHECK: %[[W1:.+]] = math.exp %[[D1]]
// CHECK: %[[D2:.+]] = arith.subf %[[B2]], %[[MS]]
// CHECK: %[[W2:.+]] = math.exp %[[D2]]
// CHECK: %[[P1:.+]] = arith.mulf %[[W1]], %[[A1]]
// CHECK: %[[P2:.+]] = arith.mulf %[[W2]], %[[A2]]
// CHECK: %[[NUM:.+]] = arith.addf %[[P1]], %[[P2]]
// CHECK: %[[DEN:.+]] = arith.addf %[[W1]], %[[W2]]
// CHECK: %[[R:.+]] = arith.divf %[[NUM]], %[[DEN]]
// CHECK: %[[SEL:.+]] = arith.select %[[EMPTY]], %{{.+}}, %[[R]]
// CHECK: arith.truncf %[[SEL]] : f32 to bf16
// CHECK: %[[LSE:.+]] = linalg.generic {indexing_maps = [#[[ROWID]], #[[ROWID]], #[[ROWID]]]
// CHECK-SAME: ins(%[[L1]], %[[L2]] :
// CHECK: math.log
// CHECK: return %[[OUT]], %[[LSE]]
func.func @merge(%o1: tensor<?x3x4xf32>, %l1: tensor<?x3xf32>, %o2: tensor<?x3x4xf32>, %l2: tensor<?x3xf32>) -> (tensor<?x3x4xbf16>, tensor<?x3xf32>) {
  %o, %l = tessera.merge_attention %o1, %l1, %o2, %l2
      : tensor<?x3x4xf32>, tensor<?x3xf32>, tensor<?x3x4xf32>, tensor<?x3xf32> -> tensor<?x3x4xbf16>, tensor<?x3xf32>
  return %o, %l : tensor<?x3x4xbf16>, tensor<?x3xf32>
}
