// RUN: tessera-compile %s --emit mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: tessera-compile %s --emit llvm -o - | FileCheck %s --check-prefix=LLVMIR
// RUN: tessera-compile %s --emit obj -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: tessera-compile %s --dump-after tessera-lower-to-linalg -o %t.tsm 2>&1 | FileCheck %s --check-prefix=DUMP
// RUN: tessera-compile %s --timing -o %t.tsm 2>&1 | FileCheck %s --check-prefix=TIMING

// Functions are renamed into Tessera's namespace inside the object.
// MLIR: llvm.func @__tessera_fn_attention_block(
// MLIR: llvm.func @_mlir_ciface___tessera_fn_attention_block(
// MLIR-NOT: tessera.attention
// MLIR-NOT: linalg.

// The packed entry point of the artifact calling convention: results first
// in the C interface, last in the packed argument array.
// LLVMIR-LABEL: define void @tessera_packed_attention_block(ptr
// LLVMIR: %[[RES:.+]] = getelementptr i8, ptr %0, i64 24
// LLVMIR: load ptr, ptr %[[RES]]

// Only the packed entry point is exported.
// OBJ-NOT: {{ [TD] }}__tessera_fn
// OBJ: T tessera_packed_attention_block
// OBJ-NOT: {{ [TD] }}__tessera_fn

// DUMP: IR Dump After TesseraLowerToLinalg (tessera-lower-to-linalg)
// DUMP: linalg.generic
// DUMP-NOT: IR Dump After

// TIMING: Execution time report
// TIMING: TesseraLowerToLinalg
func.func @attention_block(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> (tensor<1x4x?x16xf32>, tensor<1x4x?xf32>) {
  %o, %lse = tessera.attention %q, %k, %v {causal} : tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x4x?x16xf32>, tensor<1x4x?xf32>
  return %o, %lse : tensor<1x4x?x16xf32>, tensor<1x4x?xf32>
}
