//===- Signatures.h - Function signatures for the artifact ------*- C++ -*-===//
//
// Computes, for every exported function of a model graph, the types of its
// arguments and results and which dynamic sizes the compiled code requires
// to be equal (the symbols of the artifact manifest).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_SIGNATURES_H
#define TESSERA_COMPILER_SIGNATURES_H

#include "Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir::tessera {

/// Symbol of the packed entry point of function `name` in the CPU object.
std::string getPackedSymbol(StringRef name);

/// The symbol a model function `name` gets inside the object (every
/// function is renamed so that none can collide with a C library or
/// runtime symbol); its original name is kept in the attribute
/// getExportNameAttrName() for the manifest.
std::string getInternalFunctionName(StringRef name);
inline constexpr StringLiteral getExportNameAttrName() {
  return "tessera.export_name";
}

/// The name `func` is exported under: its original name, whether or not it
/// has been renamed yet.
StringRef getExportName(func::FuncOp func);

/// The manifest dtype of an element type; fails when the runtime cannot
/// pass it.
FailureOr<::tessera::artifact::DType> getDType(Type elementType);

/// Signatures of the public functions of `module` (their manifest entries,
/// with the packed entry-point symbol), which must be at tensor
/// level after tessera-lower-to-linalg with the helpers inlined. Emits a
/// diagnostic and fails on a signature the runtime cannot call (a
/// non-tensor or sparse argument, an unsupported element type) or on static
/// sizes the code requires to be equal but that differ.
FailureOr<std::vector<::tessera::artifact::FunctionDesc>>
computeSignatures(ModuleOp module);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_SIGNATURES_H
