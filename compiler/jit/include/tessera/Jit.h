//===- Jit.h - Tessera's embeddable JIT, C++ API ----------------*- C++ -*-===//
//
// The C++ face of tessera_jit.h: a Session compiles MLIR text, a file or a
// module built with MLIR's C++ API, caches the artifact and returns a loaded
// runtime module. Errors come back as values (a Report with diagnostics),
// never as exceptions or aborts. See docs/embedding.md.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_JIT_JIT_H
#define TESSERA_JIT_JIT_H

#include "tessera/tessera_jit.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace tessera::jit {

struct Options {
  std::string target = "cpu";
  unsigned optLevel = 2;
  /// Schedule overrides, e.g. "m-tile=4,n-tile=8" on the CPU.
  std::string schedule;
  /// Empty: $TESSERA_CACHE_DIR, else $XDG_CACHE_HOME/tessera, else
  /// ~/.cache/tessera.
  std::string cacheDir;
  tessera_jit_cache_mode_t cacheMode = TESSERA_JIT_CACHE_ENABLED;
  size_t memoryCacheEntries = 64;
};

struct Diagnostic {
  tessera_jit_severity_t severity = TESSERA_JIT_ERROR;
  std::string file;
  uint32_t line = 0, column = 0;
  std::string message;
};

/// What one call did.
struct Report {
  std::vector<Diagnostic> diagnostics;
  tessera_jit_source_t source = TESSERA_JIT_SOURCE_COMPILED;
  double seconds = 0;
  std::string cacheKey;
  /// "file:line:col: message" of the first error, or "".
  std::string firstError() const;
};

/// An owning reference to a loaded runtime module.
class Module {
public:
  Module() = default;
  explicit Module(tessera_module_t adopted) : handle(adopted) {}
  Module(const Module &other);
  Module(Module &&other) noexcept : handle(other.handle) {
    other.handle = nullptr;
  }
  Module &operator=(Module other) noexcept {
    std::swap(handle, other.handle);
    return *this;
  }
  ~Module();
  tessera_module_t get() const { return handle; }
  explicit operator bool() const { return handle != nullptr; }
  /// Gives up ownership.
  tessera_module_t release() {
    tessera_module_t h = handle;
    handle = nullptr;
    return h;
  }

private:
  tessera_module_t handle = nullptr;
};

struct Stats {
  uint64_t compiles = 0, memoryHits = 0, diskHits = 0, discardedEntries = 0;
};

/// A compiler session. Thread-safe: any number of threads may call it at
/// once; with the memory cache on, concurrent calls for the same input
/// compile it once.
class Session {
public:
  /// Validates `options`; on failure returns null and sets `error`.
  static std::unique_ptr<Session> create(const Options &options,
                                         std::string &error);
  ~Session();

  /// Compiles MLIR text and loads it. An empty Module means failure; the
  /// report's diagnostics say why.
  Module load(std::string_view text, Report &report,
              std::string_view bufferName = "<jit>");
  Module loadFile(const std::string &path, Report &report);
  /// Compiles a module built in the caller's MLIRContext (not modified;
  /// diagnostics are captured from that context while the call runs, so do
  /// not use the same context from another thread meanwhile).
  Module load(mlir::ModuleOp module, Report &report);

  /// Compiles MLIR text into `.tsm` bytes without loading them. Returns
  /// false on failure.
  bool compile(std::string_view text, std::vector<char> &artifact,
               Report &report, std::string_view bufferName = "<jit>");

  /// Adds every dialect the JIT understands (tessera and upstream, with
  /// their extensions) to `registry`: a context that builds modules for
  /// load(mlir::ModuleOp) must be created from such a registry.
  static void registerDialects(mlir::DialectRegistry &registry);

  Stats stats() const;
  /// "" when the disk cache is off.
  const std::string &cacheDir() const;

  struct Impl;

private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace tessera::jit

#endif // TESSERA_JIT_JIT_H
