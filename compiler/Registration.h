//===- Registration.h - What Tessera's tools register -----------*- C++ -*-===//
//
// One place that registers the dialects, passes and pipelines of Tessera and
// the upstream ones its pipelines use, for tessera-opt and the drivers.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_REGISTRATION_H
#define TESSERA_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace tessera {

/// Adds the tessera dialect, every upstream dialect and their extensions.
void registerTesseraAndUpstreamDialects(DialectRegistry &registry);

/// Registers Tessera's passes, every upstream pass and the upstream
/// pipelines Tessera builds on (sparsifier, GPU to NVVM).
void registerTesseraAndUpstreamPasses();

} // namespace tessera
} // namespace mlir

#endif // TESSERA_COMPILER_REGISTRATION_H
