// RUN: tessera-opt %s --tessera-lower-to-linalg --split-input-file | FileCheck %s

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func @batched_silu_bias
// CHECK-SAME: (%[[X:.+]]: tensor<?x8x16xbf16>, %[[W:.+]]: tensor<16x32xbf16>, %[[BV:.+]]: tensor<32xf32>)
// CHECK: %[[DIM:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8x16xbf16>
// CHECK: %[[E:.+]] = tensor.empty(%[[DIM]]) : tensor<?x8x32xf32>
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]]
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x8x16xbf16>, tensor<16x32xbf16>) outs(%[[Z]] : tensor<?x8x32xf32>)
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[BIAS]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[ACC]], %[[BV]] : tensor<?x8x32xf32>, tensor<32xf32>)
// CHECK: %[[ALPHA:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[S:.+]] = arith.mulf %{{.+}}, %[[ALPHA]]
// CHECK: %[[SB:.+]] = arith.addf %[[S]], %{{.+}}
// CHECK: %[[NEG:.+]] = arith.negf %[[SB]]
// CHECK: %[[EXP:.+]] = math.exp %[[NEG]]
// CHECK: %[[DEN:.+]] = arith.addf %{{.+}}, %[[EXP]]
// CHECK: %[[SILU:.+]] = arith.divf %[[SB]], %[[DEN]]
// CHECK: arith.truncf %[[SILU]] : f32 to bf16
// CHECK: return %[[Y]]
func.func @batched_silu_bias(%x: tensor<?x8x16xbf16>, %w: tensor<16x32xbf16>, %bias: tensor<32xf32>) -> tensor<?x8x32xbf16> {
  %y = tessera.matmul %x, %w, %bias {alpha = 0.5 : f32, epilogue = #tessera.epilogue<silu>}
      : tensor<?x8x16xbf16>, tensor<16x32xbf16>, tensor<32xf32> -> tensor<?x8x32xbf16>
  return %y : tensor<?x8x32xbf16>
}

// -----

// Transposed operands and broadcast batch dims: a size-1 batch dim reads
// index 0, a missing one is dropped; f32 out needs no epilogue op.
// CHECK-DAG: #[[TA:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d1, d4, d2)>
// CHECK-DAG: #[[TB:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d3, d4)>
// CHECK-DAG: #[[TC:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @transposed_broadcast
// CHECK: tensor.empty() : tensor<3x5x7x4xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[TA]], #[[TB]], #[[TC]]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @transposed_broadcast(%a: tensor<1x5x16x7xf16>, %b: tensor<3x1x4x16xf16>) -> tensor<3x5x7x4xf32> {
  %y = tessera.matmul %a, %b {transpose_a, transpose_b} : tensor<1x5x16x7xf16>, tensor<3x1x4x16xf16> -> tensor<3x5x7x4xf32>
  return %y : tensor<3x5x7x4xf32>
}

// -----

// Dynamic batch broadcast against a missing dim; relu; the gelu epilogue.
// CHECK-DAG: #[[RA:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[RB:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-LABEL: func @relu_and_gelu
// CHECK-SAME: (%[[A:.+]]: tensor<7x3xf32>, %[[B:.+]]: tensor<?x3x5xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x3x5xf32>
// CHECK: tensor.empty(%[[D]]) : tensor<?x7x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[RA]], #[[RB]],
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: math.tanh
func.func @relu_and_gelu(%a: tensor<7x3xf32>, %b: tensor<?x3x5xf32>) -> (tensor<?x7x5xf32>, tensor<?x7x5xf32>) {
  %r = tessera.matmul %a, %b {epilogue = #tessera.epilogue<relu>} : tensor<7x3xf32>, tensor<?x3x5xf32> -> tensor<?x7x5xf32>
  %g = tessera.matmul %a, %b {epilogue = #tessera.epilogue<gelu_tanh>} : tensor<7x3xf32>, tensor<?x3x5xf32> -> tensor<?x7x5xf32>
  return %r, %g : tensor<?x7x5xf32>, tensor<?x7x5xf32>
}

// -----

// i8 accumulates in i32.
// CHECK-LABEL: func @int8
// CHECK: linalg.fill ins(%{{.+}} : i32)
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @int8(%a: tensor<16x32xi8>, %b: tensor<32x8xi8>) -> tensor<16x8xi32> {
  %0 = tessera.matmul %a, %b : tensor<16x32xi8>, tensor<32x8xi8> -> tensor<16x8xi32>
  return %0 : tensor<16x8xi32>
}

// -----

// fp8 inputs are extended to f32; an i8 matmul with a float result converts
// the i32 accumulator.
// CHECK-LABEL: func @fp8_and_int8_float
// CHECK: arith.extf %{{.+}} : f8E4M3FN to f32
// CHECK: arith.extf %{{.+}} : f8E5M2 to f32
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK: arith.sitofp %{{.+}} : i32 to f32
func.func @fp8_and_int8_float(%a: tensor<4x32xf8E4M3FN>, %b: tensor<32x8xf8E5M2>, %c: tensor<4x32xi8>, %d: tensor<32x8xi8>) -> (tensor<4x8xf16>, tensor<4x8xf32>) {
  %0 = tessera.matmul %a, %b : tensor<4x32xf8E4M3FN>, tensor<32x8xf8E5M2> -> tensor<4x8xf16>
  %1 = tessera.matmul %c, %d {alpha = 0.25 : f32} : tensor<4x32xi8>, tensor<32x8xi8> -> tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf16>, tensor<4x8xf32>
}

// -----

// Per-tensor scales: read once, multiplied in before alpha.
// CHECK-LABEL: func @fp8_scales
// CHECK-SAME: %[[SA:[a-z0-9]+]]: tensor<f32>, %[[SB:[a-z0-9]+]]: tensor<f32>
// CHECK: linalg.generic
// CHECK: arith.extf %{{.+}} : f8E4M3FN to f32
// CHECK: arith.extf %{{.+}} : f8E5M2 to f32
// CHECK-DAG: %[[XA:.+]] = tensor.extract %[[SA]][] : tensor<f32>
// CHECK-DAG: %[[XB:.+]] = tensor.extract %[[SB]][] : tensor<f32>
// CHECK: %[[SCALE:.+]] = arith.mulf %[[XA]], %[[XB]] : f32
// CHECK: linalg.generic
// CHECK: %[[S:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: arith.mulf %[[S]], %{{.+}} : f32
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @fp8_scales(%a: tensor<4x32xf8E4M3FN>, %b: tensor<8x32xf8E5M2>, %sa: tensor<f32>, %sb: tensor<f32>) -> tensor<4x8xbf16> {
  %0 = tessera.matmul %a, %b scales(%sa, %sb) {transpose_b, alpha = 2.0 : f32} : tensor<4x32xf8E4M3FN>, tensor<8x32xf8E5M2> -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}
