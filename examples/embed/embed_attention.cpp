//===- embed_attention.cpp - Embedding Tessera's JIT in an application ----===//
//
// Builds a causal attention graph for the sizes on its command line,
// JIT-compiles it with the C++ API, runs it on random inputs, checks the
// output against a plain float64 attention written here, and prints the
// time of the first call (compile, or disk cache) and the second (memory
// cache).
//
//   embed_attention [batch heads seq head_dim]     (default 1 4 128 64)
//
//===----------------------------------------------------------------------===//

#include "tessera/Jit.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

static std::string buildGraph(int64_t b, int64_t h, int64_t s, int64_t d) {
  std::string t = "tensor<" + std::to_string(b) + "x" + std::to_string(h) +
                  "x" + std::to_string(s) + "x" + std::to_string(d) + "xf32>";
  return "func.func @attention(%q: " + t + ", %k: " + t + ", %v: " + t +
         ") -> " + t + " {\n  %o = tessera.attention %q, %k, %v {causal} : " +
         t + ", " + t + ", " + t + " -> " + t + "\n  return %o : " + t +
         "\n}\n";
}

/// softmax(q k^T / sqrt(d)) v with a causal mask, in double.
static std::vector<double> naiveAttention(const std::vector<float> &q,
                                          const std::vector<float> &k,
                                          const std::vector<float> &v,
                                          int64_t bh, int64_t s, int64_t d) {
  std::vector<double> out(q.size());
  std::vector<double> p(s);
  double scale = 1.0 / std::sqrt(static_cast<double>(d));
  for (int64_t x = 0; x < bh; ++x)
    for (int64_t i = 0; i < s; ++i) {
      const float *qi = &q[(x * s + i) * d];
      double max = -INFINITY, sum = 0;
      for (int64_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < d; ++c)
          dot += double(qi[c]) * k[(x * s + j) * d + c];
        p[j] = dot * scale;
        max = std::max(max, p[j]);
      }
      for (int64_t j = 0; j <= i; ++j)
        sum += (p[j] = std::exp(p[j] - max));
      for (int64_t c = 0; c < d; ++c) {
        double acc = 0;
        for (int64_t j = 0; j <= i; ++j)
          acc += p[j] * v[(x * s + j) * d + c];
        out[(x * s + i) * d + c] = acc / sum;
      }
    }
  return out;
}

static void fail(const char *what, tessera_status_t status) {
  std::fprintf(stderr, "%s: %s\n", what, tessera_status_message(status));
  tessera_status_free(status);
  std::exit(1);
}

int main(int argc, char **argv) {
  int64_t dims[4] = {1, 4, 128, 64};
  if (argc != 1 && argc != 5) {
    std::fprintf(stderr, "usage: %s [batch heads seq head_dim]\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    char *end;
    dims[i - 1] = std::strtoll(argv[i], &end, 10);
    if (*end || dims[i - 1] <= 0) {
      std::fprintf(stderr, "bad size '%s'\n", argv[i]);
      return 2;
    }
  }
  std::string graph = buildGraph(dims[0], dims[1], dims[2], dims[3]);

  std::string error;
  std::unique_ptr<tessera::jit::Session> session =
      tessera::jit::Session::create(tessera::jit::Options(), error);
  if (!session) {
    std::fprintf(stderr, "session: %s\n", error.c_str());
    return 1;
  }
  static const char *sources[] = {"compiled", "memory cache", "disk cache"};
  tessera::jit::Report report;
  tessera::jit::Module module = session->load(graph, report, "attention");
  if (!module) {
    for (const tessera::jit::Diagnostic &d : report.diagnostics)
      std::fprintf(stderr, "%s:%u:%u: %s\n", d.file.c_str(), d.line, d.column,
                   d.message.c_str());
    return 1;
  }
  std::printf("first call:  %8.2f ms (%s)\n", report.seconds * 1e3,
              sources[report.source]);
  // The same graph again, as an application would on its next request.
  module = session->load(graph, report, "attention");
  if (!module) {
    std::fprintf(stderr, "second call failed: %s\n",
                 report.firstError().c_str());
    return 1;
  }
  std::printf("second call: %8.2f ms (%s)\n", report.seconds * 1e3,
              sources[report.source]);

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> qkv[3];
  tessera_tensor_t args[3];
  for (int i = 0; i < 3; ++i) {
    qkv[i].resize(dims[0] * dims[1] * dims[2] * dims[3]);
    for (float &x : qkv[i])
      x = dist(rng);
    if (tessera_status_t s = tessera_tensor_wrap(TESSERA_DTYPE_F32, 4, dims,
                                                 qkv[i].data(), &args[i]))
      fail("wrap", s);
  }
  size_t function;
  if (tessera_status_t s =
          tessera_module_find_function(module.get(), "attention", &function))
    fail("find", s);
  tessera_tensor_t out;
  if (tessera_status_t s =
          tessera_module_invoke(module.get(), function, args, 3, &out, 1))
    fail("invoke", s);

  std::vector<double> want = naiveAttention(qkv[0], qkv[1], qkv[2],
                                            dims[0] * dims[1], dims[2],
                                            dims[3]);
  const float *got = static_cast<const float *>(tessera_tensor_data(out));
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double diff = std::fabs(got[i] - want[i]);
    if (!(diff <= worst)) // NaN counts as the worst.
      worst = std::isnan(diff) ? INFINITY : diff;
  }
  std::printf("o[0, 0, 0, 0:4] = %.6f %.6f %.6f %.6f\n", got[0], got[1],
              got[2], got[3]);
  std::printf("max abs error against float64: %.3g\n", worst);
  for (tessera_tensor_t t : args)
    tessera_tensor_release(t);
  tessera_tensor_release(out);
  bool ok = worst < 1e-4;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
