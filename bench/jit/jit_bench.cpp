//===- jit_bench.cpp - JIT compile and cache-load times -------------------===//
//
//   jit_bench MODEL.mlir [repeats]
//
// Times, as medians over `repeats` (default 5; 4x as many for the cached
// loads), in this process:
//   session     Session::create (pass registration happens once, first)
//   first       load() in a fresh session over an empty cache directory
//               (parse, pipeline, codegen, link, load, cache write)
//   disk        load() in a fresh session over a warm cache directory (text
//               index, read, checksum, load)
//   respelled   the same for text the directory has not seen but which
//               canonicalizes to a cached graph (adds parse, canonicalize,
//               print, hash)
//   memory      load() of the same text again in the same session
//
//===----------------------------------------------------------------------===//

#include "tessera/Jit.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace tessera::jit;

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

static std::unique_ptr<Session> makeSession(const std::string &dir,
                                            double *seconds = nullptr) {
  Options options;
  options.cacheDir = dir;
  std::string error;
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Session> session = Session::create(options, error);
  if (seconds)
    *seconds = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - start)
                   .count();
  if (!session) {
    std::fprintf(stderr, "jit_bench: %s\n", error.c_str());
    std::exit(1);
  }
  return session;
}

static void expect(const Module &module, const Report &report,
                   tessera_jit_source_t source) {
  if (!module || report.source != source) {
    std::fprintf(stderr, "jit_bench: unexpected result (source %d): %s\n",
                 report.source, report.firstError().c_str());
    std::exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODEL.mlir [repeats]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  int repeats = argc == 3 ? std::max(1, std::atoi(argv[2])) : 5;
  std::vector<double> session, first, disk, respelled, memory;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  if (!file) {
    std::fprintf(stderr, "jit_bench: cannot read %s\n", path.c_str());
    return 1;
  }
  std::string text = (*file)->getBuffer().str();
  std::vector<std::string> dirs;
  for (int i = 0; i < repeats; ++i) {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("tessera-jit-bench", dir))
      return 1;
    dirs.push_back(std::string(dir));
    double created;
    std::unique_ptr<Session> s = makeSession(dirs.back(), &created);
    if (i > 0) // the first one also registers every pass
      session.push_back(created);
    Report report;
    Module m = s->loadFile(path, report);
    expect(m, report, TESSERA_JIT_SOURCE_COMPILED);
    first.push_back(report.seconds);
  }
  for (int i = 0; i < 4 * repeats; ++i) {
    std::unique_ptr<Session> s = makeSession(dirs[i % dirs.size()]);
    Report report;
    Module m = s->loadFile(path, report);
    expect(m, report, TESSERA_JIT_SOURCE_DISK_CACHE);
    disk.push_back(report.seconds);
    m = s->loadFile(path, report);
    expect(m, report, TESSERA_JIT_SOURCE_MEMORY_CACHE);
    memory.push_back(report.seconds);
    std::unique_ptr<Session> fresh = makeSession(dirs[i % dirs.size()]);
    m = fresh->load("// spelling " + std::to_string(i) + "\n" + text, report);
    expect(m, report, TESSERA_JIT_SOURCE_DISK_CACHE);
    respelled.push_back(report.seconds);
  }
  for (const std::string &dir : dirs)
    llvm::sys::fs::remove_directories(dir);
  std::printf("| model | session | first compile | disk-cached load | "
              "disk-cached, new spelling | memory-cached load |\n"
              "| --- | --- | --- | --- | --- | --- |\n"
              "| %s | %.2f ms | %.0f ms | %.2f ms | %.2f ms | %.3f ms |\n",
              path.c_str(), session.empty() ? 0.0 : median(session) * 1e3,
              median(first) * 1e3, median(disk) * 1e3,
              median(respelled) * 1e3, median(memory) * 1e3);
  return 0;
}
