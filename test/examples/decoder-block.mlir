// The decoder-block example verifies, lowers completely to linalg, and the
// result compiles to the LLVM dialect with the upstream sparsifier pipeline.
// RUN: tessera-opt %tessera_examples/decoder_block.mlir --tessera-lower-to-linalg | FileCheck %s
// RUN: tessera-opt %tessera_examples/decoder_block.mlir --tessera-lower-to-linalg --sparsifier="enable-runtime-library=false" | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @decoder_block
// CHECK-NOT: tessera.
// The q/k/v projections, then attention with heads regrouped for GQA (scores,
// row max, row sum, PV), then the output and the three MLP projections.
// CHECK-COUNT-3: iterator_types = [{{.*}}"reduction"]
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 2, 4, %{{.+}}, 32]
// CHECK-COUNT-8: iterator_types = [{{.*}}"reduction"]
// CHECK-NOT: tessera.
// CHECK: return

// LLVM: llvm.func @decoder_block
// LLVM-NOT: func.func
