// RUN: tessera-compile %s --print-pipeline | FileCheck %s
// RUN: tessera-compile %s --print-pipeline -O0 | FileCheck %s --check-prefix=O0
// RUN: tessera-compile %S/Inputs/spmm.mlir --print-pipeline | FileCheck %s --check-prefix=SPARSE
// RUN: tessera-compile %s --print-pipeline --schedule "m-tile=4, n-tile=8" | FileCheck %s --check-prefix=SCHEDULE

// CHECK: inline,symbol-dce,tessera-lower-to-linalg,canonicalize,cse,linalg-fuse-elementwise-ops
// CHECK-SAME: one-shot-bufferize{bufferize-function-boundaries=1
// CHECK-SAME: buffer-deallocation-pipeline
// CHECK-SAME: reconcile-unrealized-casts
// SCHEDULE: func.func(tessera-cpu-tile-and-vectorize{m-tile=4 n-tile=8})
// O0-NOT: linalg-fuse-elementwise-ops
// O0: one-shot-bufferize
// SPARSE: tessera-lower-to-linalg,canonicalize,cse,func.func(tessera-dealloc-sparse-tensors),sparsifier{enable-runtime-library=false}
func.func @f(%a: tensor<?x8xf32>, %b: tensor<8x4xf32>) -> tensor<?x4xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
