//===- KernelFamily.h - One GPU kernel family per op kind -------*- C++ -*-===//
//
// The GPU targets compile an op through its family: the family chooses (or
// checks) the op's schedules, builds the kernels of each schedule from the
// kit (passes/Gpu/Kit) and describes how to launch them as one
// #tessera.launch_plan per schedule. The passes tessera-gpu-select-schedule
// and tessera-gpu-build-kernels and the compiler's launch-plan builder are
// thin drivers over this interface; a new op kind is a new family.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KERNELFAMILY_H
#define TESSERA_PASSES_GPU_KERNELFAMILY_H

#include "runtime/lib/GpuTargets.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace mlir::tessera::kernels {

using ::tessera::GpuTarget;

/// What a family builds kernels into.
struct KernelBuildState {
  KernelBuildState(ImplicitLocOpBuilder &b, SymbolTable &symbols,
                   const GpuTarget &target)
      : b(b), symbols(symbols), target(target) {}

  /// Its insertion point is in the body of `@tessera_kernels`.
  ImplicitLocOpBuilder &b;
  SymbolTable &symbols;
  const GpuTarget &target;
  /// `<prefix>_<n>` with n counting from 0 per prefix.
  std::string uniqueName(StringRef prefix);

private:
  llvm::StringMap<int64_t> counters;
};

/// Where the size of one dimension of a result comes from: dimension `dim`
/// of operand `operand`.
struct DimSource {
  unsigned operand, dim;
};

class KernelFamily {
public:
  virtual ~KernelFamily() = default;

  /// The op this family compiles ("tessera.matmul").
  virtual StringRef getOpName() const = 0;

  /// Checks that `op` can run on `target` and chooses its schedules, or
  /// checks the ones it carries; on failure, has emitted an error naming
  /// what is at fault.
  virtual LogicalResult selectSchedules(Operation *op,
                                        const GpuTarget &target) const = 0;

  /// Builds the kernels of every schedule of `op` (chosen by
  /// selectSchedules) and returns one #tessera.launch_plan per schedule, in
  /// order.
  virtual FailureOr<SmallVector<Attribute>>
  buildKernels(Operation *op, KernelBuildState &state) const = 0;

  /// The operand dimensions a dynamic dimension `dim` of result `result`
  /// equals, best first (a launch plan sizes intermediates from them).
  virtual SmallVector<DimSource> getResultDimSources(Operation *op,
                                                     unsigned result,
                                                     unsigned dim) const = 0;
};

/// The family of `op`, or null when no GPU kernel computes it.
const KernelFamily *lookupKernelFamily(Operation *op);

/// The ops that have a family, for messages: "tessera.matmul, ...".
std::string listKernelFamilyOps();

/// The families (each defined in its folder).
const KernelFamily &getMatmulFamily();
const KernelFamily &getAttentionFamily();
const KernelFamily &getMergeAttentionFamily();

} // namespace mlir::tessera::kernels

#endif // TESSERA_PASSES_GPU_KERNELFAMILY_H
