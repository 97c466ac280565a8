// Bad input gives a diagnostic with file:line:col and a non-zero exit.
// RUN: not tessera-compile %S/Inputs/syntax-error.mlir -o %t.tsm 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not tessera-compile %S/Inputs/verifier-error.mlir -o %t.tsm 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not tessera-compile %s --target sm_90a -o %t.tsm 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not tessera-compile %s --emit ptx -o %t.tsm 2>&1 | FileCheck %s --check-prefix=PTX
// RUN: not tessera-compile %s --target tpu -o %t.tsm 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tessera-compile %S/Inputs/scalar-arg.mlir -o %t.tsm 2>&1 | FileCheck %s --check-prefix=SCALAR
// RUN: not tessera-compile %S/Inputs/no-function.mlir -o %t.tsm 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not tessera-compile %s --schedule m-tile=0 -o %t.tsm 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not tessera-compile %s --schedule warps=4 -o %t.tsm 2>&1 | FileCheck %s --check-prefix=KEY
// RUN: not tessera-compile %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING

// SYNTAX: syntax-error.mlir:3:{{[0-9]+}}: error:
// VERIFY: verifier-error.mlir:3:{{[0-9]+}}: error: 'tessera.matmul' op contraction size of 'a' (K = 8) does not match that of 'b' (K = 4)
// GPU: errors.mlir:[[@LINE+9]]:8: error: 'tessera.matmul' op has 'f32' operands 'a' and 'b': sm_90a tensor-core GEMMs take bf16 or f16
// PTX: error: --emit ptx needs a GPU target (sm_90a or sm_80)
// TARGET: --target: unknown target 'tpu' (expected cpu, sm_90a or sm_80)
// SCALAR: scalar-arg.mlir:1:1: error: argument #1 of @scaled has type 'f32', which the runtime cannot pass
// EMPTY: error: the module exports no function
// TILE: error: CPU schedule key 'm-tile' needs an integer in [1, 64], got '0'
// KEY: error: unknown CPU schedule key 'warps' (expected m-tile, n-tile or vector-width)
// MISSING: tessera-compile: cannot open input file
func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %0 = tessera.matmul %a, %b : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
