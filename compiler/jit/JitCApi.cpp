//===- JitCApi.cpp - tessera_jit.h on top of the C++ Session --------------===//

#include "tessera/Jit.h"
#include "tessera/tessera_jit.h"

#include <cstdlib>
#include <cstring>

using namespace tessera::jit;

struct tessera_jit {
  std::unique_ptr<Session> session;
};

struct tessera_jit_report {
  Report report;
};

static tessera_status_t invalid(const std::string &message) {
  return tessera_status_create(TESSERA_STATUS_INVALID_ARGUMENT,
                               message.c_str());
}

extern "C" void tessera_jit_options_init(tessera_jit_options_t *options) {
  if (!options)
    return;
  *options = tessera_jit_options_t{};
  options->opt_level = -1;
  options->cache_mode = TESSERA_JIT_CACHE_ENABLED;
}

extern "C" tessera_status_t
tessera_jit_create(const tessera_jit_options_t *options, tessera_jit_t *jit) {
  if (!jit)
    return invalid("tessera_jit_create: 'jit' is NULL");
  *jit = nullptr;
  Options cpp;
  if (options) {
    if (options->target)
      cpp.target = options->target;
    if (options->opt_level >= 0)
      cpp.optLevel = static_cast<unsigned>(options->opt_level);
    if (options->schedule)
      cpp.schedule = options->schedule;
    if (options->cache_dir)
      cpp.cacheDir = options->cache_dir;
    if (options->cache_mode < TESSERA_JIT_CACHE_ENABLED ||
        options->cache_mode > TESSERA_JIT_CACHE_DISABLED)
      return invalid("tessera_jit_create: unknown cache_mode " +
                     std::to_string(options->cache_mode));
    cpp.cacheMode = options->cache_mode;
    if (options->memory_cache_entries)
      cpp.memoryCacheEntries = options->memory_cache_entries;
  }
  std::string error;
  std::unique_ptr<Session> session = Session::create(cpp, error);
  if (!session)
    return invalid("tessera_jit_create: " + error);
  *jit = new tessera_jit{std::move(session)};
  return nullptr;
}

extern "C" void tessera_jit_destroy(tessera_jit_t jit) { delete jit; }

extern "C" size_t
tessera_jit_report_diagnostic_count(tessera_jit_report_t report) {
  return report ? report->report.diagnostics.size() : 0;
}

extern "C" tessera_status_t
tessera_jit_report_diagnostic(tessera_jit_report_t report, size_t index,
                              tessera_jit_diagnostic_t *out) {
  if (!report || !out)
    return invalid("tessera_jit_report_diagnostic: NULL argument");
  if (index >= report->report.diagnostics.size())
    return tessera_status_create(
        TESSERA_STATUS_NOT_FOUND,
        ("tessera_jit_report_diagnostic: index " + std::to_string(index) +
         " is past the " + std::to_string(report->report.diagnostics.size()) +
         " diagnostics")
            .c_str());
  const Diagnostic &d = report->report.diagnostics[index];
  out->severity = d.severity;
  out->file = d.file.c_str();
  out->line = d.line;
  out->column = d.column;
  out->message = d.message.c_str();
  return nullptr;
}

extern "C" tessera_jit_source_t
tessera_jit_report_source(tessera_jit_report_t report) {
  return report ? report->report.source : TESSERA_JIT_SOURCE_COMPILED;
}

extern "C" double tessera_jit_report_seconds(tessera_jit_report_t report) {
  return report ? report->report.seconds : 0;
}

extern "C" const char *
tessera_jit_report_cache_key(tessera_jit_report_t report) {
  return report ? report->report.cacheKey.c_str() : "";
}

extern "C" void tessera_jit_report_free(tessera_jit_report_t report) {
  delete report;
}

/// The status of a failed call: the first error diagnostic as the message.
static tessera_status_t failure(const char *function, const Report &report) {
  std::string error = report.firstError();
  return invalid(std::string(function) + ": " +
                 (error.empty() ? "compilation failed" : error));
}

/// Hands `report` to the caller when asked for.
static void giveReport(Report &&report, tessera_jit_report_t *out) {
  if (out)
    *out = new tessera_jit_report{std::move(report)};
}

extern "C" tessera_status_t
tessera_jit_load_string(tessera_jit_t jit, const char *text, size_t size,
                        const char *buffer_name, tessera_module_t *module,
                        tessera_jit_report_t *report) {
  if (report)
    *report = nullptr;
  if (!jit || !module || (!text && size))
    return invalid("tessera_jit_load_string: NULL argument");
  *module = nullptr;
  Report result;
  Module loaded = jit->session->load(std::string_view(text, size), result,
                                     buffer_name ? buffer_name : "<jit>");
  tessera_status_t status =
      loaded ? nullptr : failure("tessera_jit_load_string", result);
  *module = loaded.release();
  giveReport(std::move(result), report);
  return status;
}

extern "C" tessera_status_t tessera_jit_load_file(tessera_jit_t jit,
                                                  const char *path,
                                                  tessera_module_t *module,
                                                  tessera_jit_report_t *report) {
  if (report)
    *report = nullptr;
  if (!jit || !path || !module)
    return invalid("tessera_jit_load_file: NULL argument");
  *module = nullptr;
  Report result;
  Module loaded = jit->session->loadFile(path, result);
  tessera_status_t status =
      loaded ? nullptr : failure("tessera_jit_load_file", result);
  *module = loaded.release();
  giveReport(std::move(result), report);
  return status;
}

extern "C" tessera_status_t
tessera_jit_compile_string(tessera_jit_t jit, const char *text, size_t size,
                           const char *buffer_name, void **data,
                           size_t *data_size, tessera_jit_report_t *report) {
  if (report)
    *report = nullptr;
  if (!jit || !data || !data_size || (!text && size))
    return invalid("tessera_jit_compile_string: NULL argument");
  *data = nullptr;
  *data_size = 0;
  Report result;
  std::vector<char> bytes;
  if (!jit->session->compile(std::string_view(text, size), bytes, result,
                             buffer_name ? buffer_name : "<jit>")) {
    tessera_status_t status = failure("tessera_jit_compile_string", result);
    giveReport(std::move(result), report);
    return status;
  }
  void *copy = std::malloc(bytes.size() ? bytes.size() : 1);
  if (!copy) {
    giveReport(std::move(result), report);
    return tessera_status_create(TESSERA_STATUS_OUT_OF_MEMORY,
                                 "tessera_jit_compile_string: cannot "
                                 "allocate the artifact buffer");
  }
  std::memcpy(copy, bytes.data(), bytes.size());
  *data = copy;
  *data_size = bytes.size();
  giveReport(std::move(result), report);
  return nullptr;
}

extern "C" void tessera_jit_free_buffer(void *data) { std::free(data); }

extern "C" void tessera_jit_get_stats(tessera_jit_t jit,
                                      tessera_jit_stats_t *stats) {
  if (!stats)
    return;
  *stats = tessera_jit_stats_t{};
  if (!jit)
    return;
  Stats s = jit->session->stats();
  stats->compiles = s.compiles;
  stats->memory_hits = s.memoryHits;
  stats->disk_hits = s.diskHits;
  stats->discarded_entries = s.discardedEntries;
}

extern "C" const char *tessera_jit_cache_dir(tessera_jit_t jit) {
  return jit ? jit->session->cacheDir().c_str() : "";
}
