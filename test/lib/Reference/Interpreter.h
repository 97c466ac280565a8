//===- Interpreter.h - Float64 reference program interpreter ----*- C++ -*-===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//
//
// Parses and evaluates the reference program text format described in
// docs/reference-format.md: the pre-lowering model graph that the compiler
// records in the `reference` section of a .tsm artifact. `tessera` ops are
// evaluated with the float64 kernels of Reference.h, everything else
// (linalg.generic, tensor ops, index arithmetic) directly. Only the C++17
// standard library is used.
//
// Error handling: the input is a user-supplied file, so nothing here asserts,
// aborts or throws on bad input; every failure is reported as a message.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TEST_LIB_REFERENCE_INTERPRETER_H
#define TESSERA_TEST_LIB_REFERENCE_INTERPRETER_H

#include "test/lib/Reference/Reference.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::reference {

/// One parsed function of a reference program. Its layout is private to
/// Interpreter.cpp.
struct ReferenceFunction;

/// The parsed functions of one reference program, in file order. Functions
/// are immutable after parsing and shared, so copies are cheap.
struct ReferenceProgram {
  std::vector<std::shared_ptr<const ReferenceFunction>> functions;
};

/// Parses `text` (the whole `reference` section) into `out`, replacing its
/// previous contents. Returns "" on success, otherwise a message of the form
/// "reference line N: ..." (N is 1-based); `out` is then left empty.
std::string parseReferenceProgram(std::string_view text, ReferenceProgram &out);

/// Returns true if `program` has a function called `name`.
bool hasReferenceFunction(const ReferenceProgram &program,
                          const std::string &name);

/// The narrowest type `function` stores a tensor in, from its `precision`
/// line ("bf16", ...), or "" (f32 and wider, or no such function).
std::string referencePrecision(const ReferenceProgram &program,
                               const std::string &function);

/// Returns the names of the functions of `program`, in file order.
std::vector<std::string>
referenceFunctionNames(const ReferenceProgram &program);

/// Evaluates `function` of `program` on `args` in float64 and stores its
/// return values in `results`. Shapes are taken from the arguments, so
/// functions with dynamic shapes work for any consistent input. Returns ""
/// on success, otherwise a message (errors raised by an op line start with
/// "reference line N: ") and `results` is left empty. Tensors of more than
/// 2^31 elements are refused rather than allocated.
///
/// When `flops` is not null it receives the floating-point operations of the
/// evaluation, for GFLOP/s figures: 2 per multiply-add of matmul, of
/// attention's two products (half of them when causal) and of the direct
/// convolution, 2 per stored entry of a sparse operand and column of the
/// other, and 1 per floating-point body instruction of every generic point.
std::string runReference(const ReferenceProgram &program,
                         const std::string &function,
                         const std::vector<Tensor> &args,
                         std::vector<Tensor> &results,
                         double *flops = nullptr);

} // namespace tessera::reference

#endif // TESSERA_TEST_LIB_REFERENCE_INTERPRETER_H
