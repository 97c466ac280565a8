//===- Signatures.h - Function signatures for the artifact ------*- C++ -*-===//
//
// Computes, for every exported function of a model graph, the types of its
// arguments and results and which dynamic sizes the compiled code requires
// to be equal (the symbols of the artifact manifest).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_SIGNATURES_H
#define TESSERA_COMPILER_SIGNATURES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir::tessera {

/// One argument or result.
struct TensorSignature {
  std::string name;
  /// Manifest name of the element type ("f32", "bf16", ...).
  std::string dtype;
  /// Static size, or -1 where dynamic.
  std::vector<int64_t> dims;
  /// Symbol number of a dynamic size, or -1.
  std::vector<int64_t> symbols;
};

struct FunctionSignature {
  std::string name;
  std::vector<TensorSignature> args;
  std::vector<TensorSignature> results;
};

/// Manifest name of an element type, or "" when the runtime cannot pass it.
std::string getDTypeName(Type elementType);

/// Signatures of the public functions of `module`, which must be at tensor
/// level after tessera-lower-to-linalg with the helpers inlined. Emits a
/// diagnostic and fails on a signature the runtime cannot call (a
/// non-tensor or sparse argument, an unsupported element type) or on static
/// sizes the code requires to be equal but that differ.
FailureOr<std::vector<FunctionSignature>> computeSignatures(ModuleOp module);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_SIGNATURES_H
