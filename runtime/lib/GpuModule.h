//===- GpuModule.h - The CUDA backend of a module ---------------*- C++ -*-===//
//
// The GPU half of a loaded module (docs/artifact-format.md, "GPU functions"):
// the plans of its functions, compiled at load time without CUDA, and the
// ptx/cubin code, loaded into a CUDA context on first use. Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_GPUMODULE_H
#define TESSERA_RUNTIME_GPUMODULE_H

#include "Artifact.h"
#include "tessera/tessera_runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera::runtime {

struct GpuCode;

struct GpuCodeDeleter {
  void operator()(GpuCode *code) const;
};
using GpuCodePtr = std::unique_ptr<GpuCode, GpuCodeDeleter>;

/// Prepares the GPU code of an artifact whose manifest (target sm_90a or
/// sm_80) parsed: checks the sections (a ptx or a cubin, no cpu-object) and
/// compiles every function's plan. Needs no CUDA. `prefix` starts every
/// message.
tessera_status_t createGpuCode(const artifact::Manifest &manifest,
                               const artifact::ArtifactView &artifact,
                               const std::string &prefix, GpuCodePtr &out);

/// Runs `function` of a GPU module. The caller checked the number, dtypes,
/// ranks and sizes of `args` against the signature and bound the symbols.
/// `async`: tessera_module_invoke_async on `stream`; otherwise the
/// synchronous invoke (host or device arguments). Fills `results` (the
/// function's result count) on success; with `outputs` (async only, checked
/// by the caller against the signature), the function writes those
/// caller-owned device tensors instead, and `results` stay null.
tessera_status_t invokeGpu(GpuCode &code, const artifact::Manifest &manifest,
                           size_t function, const tessera_tensor_t *args,
                           const std::vector<artifact::SymbolValue> &bindings,
                           tessera_tensor_t *results, bool async,
                           void *stream,
                           const tessera_tensor_t *outputs = nullptr);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_GPUMODULE_H
