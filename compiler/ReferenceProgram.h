//===- ReferenceProgram.h - The graph for tessera-run --check ---*- C++ -*-===//
//
// Serializes a model graph (tessera ops and linalg/tensor/arith glue) into the
// reference program of docs/reference-format.md, which the float64 reference
// interpreter evaluates independently of every Tessera lowering.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_REFERENCEPROGRAM_H
#define TESSERA_COMPILER_REFERENCEPROGRAM_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::tessera {

/// Serializes every public function of `module` (helpers inlined, linalg
/// named ops generalized, tessera ops not yet lowered) that the format can
/// express. Functions it cannot express are left out and named in
/// `skipped` with the op at fault, one "<function>: <reason>" per line.
std::string serializeReferenceProgram(ModuleOp module, std::string &skipped);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_REFERENCEPROGRAM_H
