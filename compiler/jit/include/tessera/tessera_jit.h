/*===- tessera_jit.h - Tessera's embeddable JIT, C API ------------*- C -*-===*
 *
 * Compiles MLIR model graphs inside an application at run time and hands the
 * result to the runtime (tessera_runtime.h) as a loaded module. Compiled
 * artifacts are cached in memory and on disk, keyed by a hash of the
 * canonicalized input, the target, the options and the compiler's version.
 * Every function returns a status (NULL on success, see tessera_runtime.h);
 * none aborts on bad input. A session may be used from several threads at
 * once. See docs/embedding.md.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TESSERA_JIT_H
#define TESSERA_JIT_H

#include "tessera/tessera_runtime.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the compiler, part of every cache key. */
const char *tessera_jit_version(void);

typedef enum tessera_jit_cache_mode_t {
  /** Memory and disk (the default). */
  TESSERA_JIT_CACHE_ENABLED = 0,
  /** Memory only: nothing is read from or written to disk. */
  TESSERA_JIT_CACHE_MEMORY_ONLY = 1,
  /** No cache: every call compiles. */
  TESSERA_JIT_CACHE_DISABLED = 2
} tessera_jit_cache_mode_t;

/** Session options. Fill with tessera_jit_options_init, then set what
 * differs from the defaults; NULL strings take their default. */
typedef struct tessera_jit_options_t {
  /** "cpu" (default), "sm_90a" or "sm_80". */
  const char *target;
  /** Optimization level 0-3 (0 is -O0, not the default); negative means
   * the default, 2. */
  int opt_level;
  /** Schedule overrides, "key=value" pairs separated by commas (CPU keys:
   * m-tile, n-tile, vector-width). */
  const char *schedule;
  /** The cache directory. Default: $TESSERA_CACHE_DIR, else
   * $XDG_CACHE_HOME/tessera, else ~/.cache/tessera. */
  const char *cache_dir;
  tessera_jit_cache_mode_t cache_mode;
  /** Modules kept loaded by the memory cache (least recently used ones are
   * dropped first); 0 means the default, 64. */
  size_t memory_cache_entries;
} tessera_jit_options_t;

/** Sets every field of `options` to its default (opt_level -1, NULL
 * strings, cache enabled). */
void tessera_jit_options_init(tessera_jit_options_t *options);

typedef struct tessera_jit *tessera_jit_t;

/** Creates a session. `options` may be NULL (all defaults). Fails only on
 * invalid options (an unknown target, a bad schedule or opt level). */
tessera_status_t tessera_jit_create(const tessera_jit_options_t *options,
                                    tessera_jit_t *jit);
void tessera_jit_destroy(tessera_jit_t jit);

/** Where a compile's result came from. */
typedef enum tessera_jit_source_t {
  TESSERA_JIT_SOURCE_COMPILED = 0,
  TESSERA_JIT_SOURCE_MEMORY_CACHE = 1,
  TESSERA_JIT_SOURCE_DISK_CACHE = 2
} tessera_jit_source_t;

typedef enum tessera_jit_severity_t {
  TESSERA_JIT_ERROR = 0,
  TESSERA_JIT_WARNING = 1,
  TESSERA_JIT_NOTE = 2,
  TESSERA_JIT_REMARK = 3
} tessera_jit_severity_t;

/** One diagnostic. `file` is "" and `line`/`column` are 0 where the
 * diagnostic has no source location. The strings live as long as the report
 * that holds them. */
typedef struct tessera_jit_diagnostic_t {
  tessera_jit_severity_t severity;
  const char *file;
  uint32_t line;
  uint32_t column;
  const char *message;
} tessera_jit_diagnostic_t;

/** What one compile call did: diagnostics, cache source, time. */
typedef struct tessera_jit_report *tessera_jit_report_t;

size_t tessera_jit_report_diagnostic_count(tessera_jit_report_t report);
tessera_status_t tessera_jit_report_diagnostic(tessera_jit_report_t report,
                                               size_t index,
                                               tessera_jit_diagnostic_t *out);
tessera_jit_source_t tessera_jit_report_source(tessera_jit_report_t report);
/** Wall time of the call in seconds. */
double tessera_jit_report_seconds(tessera_jit_report_t report);
/** The cache key (64 hex digits), or "" when the input did not parse. */
const char *tessera_jit_report_cache_key(tessera_jit_report_t report);
void tessera_jit_report_free(tessera_jit_report_t report);

/** Compiles MLIR text (`size` bytes; `buffer_name` names it in diagnostics,
 * may be NULL) and loads the result. On success `*module` is a new
 * reference the caller releases with tessera_module_release. `report` may be
 * NULL; when not, `*report` is set once the arguments are valid (also when
 * the compile fails) and freed by the caller; on a NULL-argument error it
 * is NULL. Invalid IR fails with TESSERA_STATUS_INVALID_ARGUMENT and the
 * diagnostics in the report; the status message is the first error. */
tessera_status_t tessera_jit_load_string(tessera_jit_t jit, const char *text,
                                         size_t size, const char *buffer_name,
                                         tessera_module_t *module,
                                         tessera_jit_report_t *report);

/** As tessera_jit_load_string, for the MLIR file at `path`. */
tessera_status_t tessera_jit_load_file(tessera_jit_t jit, const char *path,
                                       tessera_module_t *module,
                                       tessera_jit_report_t *report);

/** Compiles MLIR text into `.tsm` artifact bytes without loading them (for
 * example to ship them elsewhere). `*data` is freed with
 * tessera_jit_free_buffer. */
tessera_status_t tessera_jit_compile_string(tessera_jit_t jit,
                                            const char *text, size_t size,
                                            const char *buffer_name,
                                            void **data, size_t *data_size,
                                            tessera_jit_report_t *report);
void tessera_jit_free_buffer(void *data);

/** Counters of a session since its creation. */
typedef struct tessera_jit_stats_t {
  /** Calls that ran the pass pipeline. */
  uint64_t compiles;
  uint64_t memory_hits;
  uint64_t disk_hits;
  /** Disk entries that failed their checksum or did not load, and were
   * discarded and recompiled. */
  uint64_t discarded_entries;
} tessera_jit_stats_t;

void tessera_jit_get_stats(tessera_jit_t jit, tessera_jit_stats_t *stats);

/** The cache directory this session uses ("" when the disk cache is off). */
const char *tessera_jit_cache_dir(tessera_jit_t jit);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_JIT_H */
