//===- CpuCodegen.h - LLVM dialect to a host shared object ------*- C++ -*-===//
//
// Translates a module in the LLVM dialect to LLVM IR, adds the packed entry
// points of the artifact calling convention, optimizes for the host CPU and
// emits an object file and a shared object.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CPUCODEGEN_H
#define TESSERA_COMPILER_CPUCODEGEN_H

#include "compiler/Signatures.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::tessera {

/// The x86-64 psABI level of this machine ("x86-64-v3", ...). CPU code is
/// generated for that level, so that it runs on every machine of the level
/// (the artifact records it and the runtime checks it).
std::string getHostCpuLevel();

/// Translates `module` (LLVM dialect, functions carrying
/// `llvm.emit_c_interface`) to LLVM IR with a packed entry point per
/// signature, optimized at `optLevel` for the host CPU. Emits a diagnostic
/// on `module` and returns null on failure.
std::unique_ptr<llvm::Module>
translateForHost(ModuleOp module, llvm::LLVMContext &context,
                 ArrayRef<::tessera::artifact::FunctionDesc> signatures,
                 unsigned optLevel);

/// Emits a relocatable object for the host.
FailureOr<std::vector<char>>
emitHostObject(ModuleOp diagAnchor, llvm::Module &module, unsigned optLevel);

/// Links a relocatable object into a shared object with the system C
/// compiler driver (`cc`), which must be on PATH.
FailureOr<std::vector<char>> linkSharedObject(ModuleOp diagAnchor,
                                              ArrayRef<char> object);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CPUCODEGEN_H
