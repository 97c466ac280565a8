// Function names that collide with C library or Tessera symbols, results
// that alias an argument or a constant, and calls to undefined functions.
// RUN: tessera-compile %s -o %t.tsm
// RUN: tessera-run %t.tsm -f free --check | FileCheck %s
// RUN: tessera-run %t.tsm -f expf --check | FileCheck %s
// RUN: tessera-run %t.tsm -f tessera_packed_free --check | FileCheck %s
// RUN: tessera-run %t.tsm -f identity --check | FileCheck %s
// RUN: tessera-run %t.tsm -f view --check | FileCheck %s --check-prefix=VIEW
// RUN: tessera-run %t.tsm -f constant --check | FileCheck %s
// RUN: not tessera-compile %S/Inputs/undefined-call.mlir -o %t.bad.tsm 2>&1 | FileCheck %s --check-prefix=UNDEF
// RUN: not tessera-compile %S/Inputs/bad-name.mlir -o %t.bad.tsm 2>&1 | FileCheck %s --check-prefix=NAME

// CHECK: result0 f32 [4]: {{.*}} PASS
// VIEW: result0 f32 [2x2]: {{.*}} PASS
// UNDEF: undefined reference to `ext'
// UNDEF: error: linking the CPU object failed
// NAME: error: exported function '@a.b' needs a C identifier as its name

// A SiLU epilogue calls expf: a model function of that name must not
// capture the call.
func.func @free(%a: tensor<4xf32>, %b: tensor<4x4xf32>) -> tensor<4xf32> {
  %e = tensor.expand_shape %a [[0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
  %0 = tessera.matmul %e, %b {epilogue = #tessera.epilogue<silu>} : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %c = tensor.collapse_shape %0 [[0, 1]] : tensor<1x4xf32> into tensor<4xf32>
  return %c : tensor<4xf32>
}

func.func @expf(%a: tensor<4xf32>, %b: tensor<4x4xf32>) -> tensor<4xf32> {
  %0 = func.call @free(%a, %b) : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

func.func @tessera_packed_free(%a: tensor<4xf32>) -> tensor<4xf32> {
  %z = arith.constant dense<1.0> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.add ins(%a, %z : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

func.func @identity(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

func.func @view(%a: tensor<4xf32>) -> tensor<2x2xf32> {
  %0 = tensor.expand_shape %a [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

func.func @constant() -> tensor<4xf32> {
  %0 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  return %0 : tensor<4xf32>
}
