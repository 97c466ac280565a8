//===- tessera-run.cpp - Run, check and benchmark a .tsm artifact ---------===//
//
// Runtime-only (no MLIR): loads an artifact, runs one function on random or
// .npy inputs, writes .npy outputs, checks them against the independent
// float64 reference interpreter and times the function. GPU artifacts run
// on the CUDA device: the inputs are generated on the host and copied to
// device tensors, the results copied back.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "Npy.h"
#include "tessera/tessera_runtime.h"
#include "test/lib/Reference/Interpreter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <new>
#include <random>
#include <type_traits>

namespace ref = tessera::reference;
namespace artifact = tessera::artifact;
namespace npy = tessera::npy;

namespace {

constexpr int kExitCheckFailed = 1;
constexpr int kExitError = 2;

int fail(const std::string &message) {
  std::fprintf(stderr, "tessera-run: error: %s\n", message.c_str());
  return kExitError;
}

int failStatus(const std::string &what, tessera_status_t status) {
  std::string message = what + ": " + tessera_status_message(status) + " [" +
                        tessera_status_code_name(tessera_status_code(status)) +
                        "]";
  tessera_status_free(status);
  return fail(message);
}

//===----------------------------------------------------------------------===//
// Element conversion
//===----------------------------------------------------------------------===//

/// Value of an fp8 code (e4m3fn: bias 7, no infinities, 0x7f/0xff NaN;
/// e5m2: bias 15, IEEE-like).
double fromFP8(uint8_t code, bool e4m3) {
  int sign = code >> 7;
  int expBits = e4m3 ? 4 : 5, mantBits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
  int exp = (code >> mantBits) & ((1 << expBits) - 1);
  int mant = code & ((1 << mantBits) - 1);
  double v;
  if (e4m3 && exp == 15 && mant == 7)
    v = NAN;
  else if (!e4m3 && exp == 31)
    v = mant ? NAN : INFINITY;
  else if (exp == 0)
    v = std::ldexp(mant, 1 - bias - mantBits);
  else
    v = std::ldexp(mant + (1 << mantBits), exp - bias - mantBits);
  return sign ? -v : v;
}

/// Nearest fp8 code (ties to the even code), saturating to the largest
/// finite value.
uint8_t toFP8(double v, bool e4m3) {
  if (std::isnan(v))
    return e4m3 ? 0x7f : 0x7e;
  uint8_t best = 0;
  double bestErr = INFINITY;
  for (int c = 0; c < 256; ++c) {
    double x = fromFP8(c, e4m3);
    if (!std::isfinite(x))
      continue;
    double err = std::fabs(x - v);
    if (err < bestErr || (err == bestErr && (c & 1) == 0)) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}

void store(tessera_dtype_t dtype, void *data, int64_t i, double v) {
  switch (dtype) {
  case TESSERA_DTYPE_F32:
    static_cast<float *>(data)[i] = static_cast<float>(v);
    return;
  case TESSERA_DTYPE_F64:
    static_cast<double *>(data)[i] = v;
    return;
  case TESSERA_DTYPE_F16: {
    _Float16 h = static_cast<_Float16>(v);
    std::memcpy(static_cast<uint16_t *>(data) + i, &h, 2);
    return;
  }
  case TESSERA_DTYPE_BF16:
    static_cast<uint16_t *>(data)[i] = ref::toBFloat16(static_cast<float>(v));
    return;
  case TESSERA_DTYPE_I8:
    static_cast<int8_t *>(data)[i] = static_cast<int8_t>(v);
    return;
  case TESSERA_DTYPE_I32:
    static_cast<int32_t *>(data)[i] = static_cast<int32_t>(v);
    return;
  case TESSERA_DTYPE_I64:
    static_cast<int64_t *>(data)[i] = static_cast<int64_t>(v);
    return;
  case TESSERA_DTYPE_F8E4M3FN:
  case TESSERA_DTYPE_F8E5M2:
    static_cast<uint8_t *>(data)[i] = toFP8(v, dtype == TESSERA_DTYPE_F8E4M3FN);
    return;
  }
}

double load(tessera_dtype_t dtype, const void *data, int64_t i) {
  switch (dtype) {
  case TESSERA_DTYPE_F32:
    return static_cast<const float *>(data)[i];
  case TESSERA_DTYPE_F64:
    return static_cast<const double *>(data)[i];
  case TESSERA_DTYPE_F16: {
    _Float16 h;
    std::memcpy(&h, static_cast<const uint16_t *>(data) + i, 2);
    return static_cast<double>(h);
  }
  case TESSERA_DTYPE_BF16:
    return ref::fromBFloat16(static_cast<const uint16_t *>(data)[i]);
  case TESSERA_DTYPE_I8:
    return static_cast<const int8_t *>(data)[i];
  case TESSERA_DTYPE_I32:
    return static_cast<const int32_t *>(data)[i];
  case TESSERA_DTYPE_I64:
    return static_cast<double>(static_cast<const int64_t *>(data)[i]);
  case TESSERA_DTYPE_F8E4M3FN:
  case TESSERA_DTYPE_F8E5M2:
    return fromFP8(static_cast<const uint8_t *>(data)[i],
                   dtype == TESSERA_DTYPE_F8E4M3FN);
  }
  return NAN;
}

bool isInteger(tessera_dtype_t d) {
  return d == TESSERA_DTYPE_I8 || d == TESSERA_DTYPE_I32 ||
         d == TESSERA_DTYPE_I64;
}

/// Relative tolerance (to the largest reference magnitude) of an output
/// computed in f32 and stored as `dtype`.
double tolerance(tessera_dtype_t d) {
  switch (d) {
  case TESSERA_DTYPE_F32:
  case TESSERA_DTYPE_F64:
    return 1e-4;
  case TESSERA_DTYPE_F16:
    return 5e-3;
  case TESSERA_DTYPE_BF16:
    return 3e-2;
  case TESSERA_DTYPE_F8E4M3FN:
  case TESSERA_DTYPE_F8E5M2:
    return 0.25;
  default:
    return 0.0;
  }
}

std::string npyDescr(tessera_dtype_t d) {
  switch (d) {
  case TESSERA_DTYPE_F64:
    return "<f8";
  case TESSERA_DTYPE_F16:
    return "<f2";
  case TESSERA_DTYPE_I8:
    return "<i1";
  case TESSERA_DTYPE_I32:
    return "<i4";
  case TESSERA_DTYPE_I64:
    return "<i8";
  default:
    return "<f4"; // f32, and bf16 / fp8 widened
  }
}

std::string shapeString(const std::vector<int64_t> &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s.empty() ? "scalar" : s;
}

std::string declString(const tessera_value_info_t &info) {
  std::string s;
  for (int32_t i = 0; i < info.rank; ++i) {
    s += i ? "x" : "";
    if (info.dims[i] >= 0)
      s += std::to_string(info.dims[i]);
    else if (info.symbols[i] >= 0)
      s += "s" + std::to_string(info.symbols[i]);
    else
      s += "?";
  }
  return std::string(tessera_dtype_name(info.dtype)) + " " +
         (s.empty() ? "scalar" : s);
}

/// Parses "key=value" options into a map.
bool parsePairs(const std::vector<std::string> &items,
                std::map<std::string, std::string> &out, std::string &error) {
  for (const std::string &item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "expected NAME=VALUE, got '" + item + "'";
      return false;
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return true;
}

bool parseDims(const std::string &text, std::vector<int64_t> &dims) {
  dims.clear();
  if (text == "scalar")
    return true;
  size_t start = 0;
  while (start <= text.size()) {
    size_t x = text.find('x', start);
    std::string item = text.substr(
        start, x == std::string::npos ? std::string::npos : x - start);
    char *end = nullptr;
    long long d = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || d < 0)
      return false;
    dims.push_back(d);
    if (x == std::string::npos)
      break;
    start = x + 1;
  }
  return true;
}

} // namespace

/// The tool; main reports what it leaves uncaught.
static int runTool(int argc, char **argv) {
  const char *usage =
      "usage: tessera-run MODEL.tsm [options]\n"
      "Run, check and benchmark a Tessera artifact without the compiler.\n"
      "  --list                 list the functions and their signatures\n"
      "  -f, --function NAME    function to run (default: the only one)\n"
      "  --input NAME=FILE.npy  an argument from a .npy file (NAME: the\n"
      "                         argument's name or index); others are random\n"
      "  --size sN=VALUE        value of the dynamic size symbol sN\n"
      "  --shape NAME=AxB       shape of a random argument with dynamic sizes\n"
      "  --default-size N       dynamic sizes nothing else fixes (default 16)\n"
      "  --seed N               seed of the random inputs (default 0)\n"
      "  --output-dir DIR       write each result to DIR/<result>.npy\n"
      "  --check                compare every result with the float64\n"
      "                         reference interpreter (exit 1 on FAIL)\n"
      "  --bench N              time N runs and print the median\n"
      "  --device cuda|cpu      where to run (default: cuda for GPU\n"
      "                         artifacts, cpu otherwise; it must match)\n"
      "  --flops N              operations of one run, for GFLOP/s (with\n"
      "                         --check: counted by the reference)\n";
  std::string model, function, outputDir, device;
  std::vector<std::string> inputs, sizes, shapes;
  bool list = false, check = false;
  unsigned long long seed = 0, bench = 0;
  long long defaultSize = 16;
  double flops = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool hasValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      hasValue = true;
    }
    auto next = [&](std::string &out) {
      if (hasValue) {
        out = value;
        return true;
      }
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    auto number = [&](auto &out) {
      std::string text;
      if (!next(text))
        return false;
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end || v < 0)
        return false;
      out = static_cast<std::remove_reference_t<decltype(out)>>(v);
      return true;
    };
    std::string item;
    bool ok = true;
    if (arg == "-h" || arg == "--help") {
      std::printf("%s", usage);
      return 0;
    } else if (arg == "--list") {
      list = true;
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "-f" || arg == "--function") {
      ok = next(function);
    } else if (arg == "--input" || arg == "--size" || arg == "--shape") {
      ok = next(item);
      (arg == "--input"  ? inputs
       : arg == "--size" ? sizes
                         : shapes)
          .push_back(item);
    } else if (arg == "--output-dir") {
      ok = next(outputDir);
    } else if (arg == "--device") {
      ok = next(device);
      if (ok && device != "cuda" && device != "cpu")
        return fail("--device expects cuda or cpu, got '" + device + "'");
    } else if (arg == "--default-size") {
      ok = number(defaultSize);
    } else if (arg == "--seed") {
      ok = number(seed);
    } else if (arg == "--bench") {
      ok = number(bench);
    } else if (arg == "--flops") {
      ok = number(flops);
    } else if (arg.rfind("-", 0) == 0 || !model.empty()) {
      return fail("unknown argument '" + arg + "'\n" + usage);
    } else {
      model = arg;
    }
    if (!ok)
      return fail("option '" + arg + "' needs a valid value");
  }
  if (model.empty())
    return fail(std::string("no artifact given\n") + usage);

  tessera_module_t module = nullptr;
  if (tessera_status_t s = tessera_module_load_file(model.c_str(), &module))
    return failStatus("cannot load", s);
  struct Release {
    tessera_module_t m;
    ~Release() { tessera_module_release(m); }
  } releaseModule{module};

  // GPU artifacts run on the device, CPU ones on the host.
  std::string target = tessera_module_target(module);
  bool gpu = target != "cpu";
  if (device.empty())
    device = gpu ? "cuda" : "cpu";
  if (device != (gpu ? "cuda" : "cpu"))
    return fail("--device " + device + ": the artifact is compiled for " +
                target + ", which runs on " + (gpu ? "cuda" : "cpu"));

  size_t count = tessera_module_function_count(module);
  if (list) {
    for (size_t f = 0; f < count; ++f) {
      std::printf("function %s\n", tessera_module_function_name(module, f));
      tessera_value_info_t info;
      for (size_t i = 0; i < tessera_function_arg_count(module, f); ++i)
        if (!tessera_function_arg_info(module, f, i, &info))
          std::printf("  arg %s %s\n", info.name, declString(info).c_str());
      for (size_t i = 0; i < tessera_function_result_count(module, f); ++i)
        if (!tessera_function_result_info(module, f, i, &info))
          std::printf("  result %s %s\n", info.name, declString(info).c_str());
    }
    return 0;
  }

  size_t fn = 0;
  if (function.empty()) {
    if (count != 1)
      return fail("the artifact has " + std::to_string(count) +
                  " functions; choose one with --function");
    function = tessera_module_function_name(module, 0);
  } else if (tessera_status_t s =
                 tessera_module_find_function(module, function.c_str(), &fn)) {
    return failStatus("function '" + function + "'", s);
  }

  std::map<std::string, std::string> inputFiles, sizeValues, shapeValues;
  std::string error;
  if (!parsePairs(inputs, inputFiles, error) ||
      !parsePairs(sizes, sizeValues, error) ||
      !parsePairs(shapes, shapeValues, error))
    return fail(error);

  // Symbol bindings: --size first, then .npy shapes, then the default.
  std::map<int64_t, int64_t> symbols;
  for (auto &[name, value] : sizeValues) {
    char *end = nullptr;
    long long v = std::strtoll(value.c_str(), &end, 10);
    bool digits = name.size() >= 2 && name[0] == 's' &&
                  name.find_first_not_of("0123456789", 1) == std::string::npos;
    if (!digits || value.empty() || *end || v < 0)
      return fail("--size expects sN=VALUE, got '" + name + "=" + value + "'");
    symbols[std::atoll(name.c_str() + 1)] = v;
  }

  size_t argCount = tessera_function_arg_count(module, fn);
  std::vector<tessera_value_info_t> argInfo(argCount);
  std::vector<npy::Array> npyArgs(argCount);
  std::vector<bool> fromFile(argCount, false);
  for (size_t i = 0; i < argCount; ++i) {
    if (tessera_status_t s =
            tessera_function_arg_info(module, fn, i, &argInfo[i]))
      return failStatus("argument info", s);
    std::string name = argInfo[i].name;
    auto it = inputFiles.find(name);
    if (it == inputFiles.end())
      it = inputFiles.find(std::to_string(i));
    if (it == inputFiles.end())
      continue;
    if (std::string e = npy::readNpy(it->second, npyArgs[i]); !e.empty())
      return fail(e);
    fromFile[i] = true;
    inputFiles.erase(it);
    for (int32_t d = 0; d < argInfo[i].rank &&
                        d < static_cast<int32_t>(npyArgs[i].shape.size());
         ++d)
      if (argInfo[i].symbols[d] >= 0)
        symbols.emplace(argInfo[i].symbols[d], npyArgs[i].shape[d]);
  }
  if (!inputFiles.empty())
    return fail("--input names no argument: '" + inputFiles.begin()->first +
                "'");

  // Build the arguments.
  std::vector<tessera_tensor_t> args(argCount, nullptr);
  std::vector<ref::Tensor> refArgs(argCount);
  struct ReleaseAll {
    std::vector<tessera_tensor_t> &v;
    ~ReleaseAll() {
      for (tessera_tensor_t t : v)
        tessera_tensor_release(t);
    }
  } releaseArgs{args};
  for (size_t i = 0; i < argCount; ++i) {
    const tessera_value_info_t &info = argInfo[i];
    std::vector<int64_t> dims(info.rank);
    auto shapeIt = shapeValues.find(info.name);
    if (shapeIt == shapeValues.end())
      shapeIt = shapeValues.find(std::to_string(i));
    std::vector<int64_t> explicitShape;
    if (shapeIt != shapeValues.end()) {
      if (!parseDims(shapeIt->second, explicitShape))
        return fail("--shape " + shapeIt->first + ": cannot parse '" +
                    shapeIt->second + "'");
      if (explicitShape.size() != size_t(info.rank))
        return fail("--shape " + shapeIt->first + ": rank " +
                    std::to_string(explicitShape.size()) +
                    ", the argument has rank " + std::to_string(info.rank));
      shapeValues.erase(shapeIt);
    }
    for (int32_t d = 0; d < info.rank; ++d) {
      if (fromFile[i])
        dims[d] = d < static_cast<int32_t>(npyArgs[i].shape.size())
                      ? npyArgs[i].shape[d]
                      : -1;
      else if (info.dims[d] >= 0)
        dims[d] = info.dims[d];
      else if (!explicitShape.empty() &&
               d < static_cast<int32_t>(explicitShape.size()))
        dims[d] = explicitShape[d];
      else if (info.symbols[d] >= 0 && symbols.count(info.symbols[d]))
        dims[d] = symbols[info.symbols[d]];
      else
        dims[d] = defaultSize;
      if (info.symbols[d] >= 0)
        symbols.emplace(info.symbols[d], dims[d]);
    }
    if (fromFile[i] && npyArgs[i].shape.size() != size_t(info.rank))
      return fail("argument " + std::string(info.name) +
                  ": the .npy file has "
                  "rank " +
                  std::to_string(npyArgs[i].shape.size()) + ", expected " +
                  std::to_string(info.rank));
    if (tessera_status_t s = tessera_tensor_allocate(info.dtype, info.rank,
                                                     dims.data(), &args[i]))
      return failStatus("argument " + std::string(info.name), s);
    void *data = tessera_tensor_data(args[i]);
    int64_t n = tessera_tensor_element_count(args[i]);
    std::mt19937_64 gen(seed * 1000003ull + i);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    // --check only: the reference's float64 copy (sized by the input).
    if (check) {
      refArgs[i].shape = dims;
      refArgs[i].data.resize(n);
    }
    for (int64_t e = 0; e < n; ++e) {
      double v = fromFile[i]             ? npyArgs[i].values[e]
                 : isInteger(info.dtype) ? std::floor(dist(gen) * 8)
                                         : dist(gen);
      store(info.dtype, data, e, v);
      // The reference sees the values as the kernel sees them.
      if (check)
        refArgs[i].data[e] = load(info.dtype, data, e);
    }
  }

  if (!shapeValues.empty())
    return fail("--shape names no argument: '" + shapeValues.begin()->first +
                "'");
  for (const auto &[symbol, value] : symbols) {
    bool used = false;
    for (const tessera_value_info_t &info : argInfo)
      for (int32_t d = 0; d < info.rank; ++d)
        used |= info.symbols[d] == symbol;
    if (!used)
      return fail("--size s" + std::to_string(symbol) +
                  ": no argument of '" + function + "' has that size symbol");
  }

  // On a GPU, the function reads device copies of the arguments.
  std::vector<tessera_tensor_t> deviceArgs;
  ReleaseAll releaseDeviceArgs{deviceArgs};
  if (gpu)
    for (size_t i = 0; i < argCount; ++i) {
      deviceArgs.push_back(nullptr);
      if (tessera_status_t s = tessera_tensor_copy_to(
              args[i], TESSERA_DEVICE_CUDA, &deviceArgs.back()))
        return failStatus("copying argument " + std::string(argInfo[i].name) +
                              " to the device",
                          s);
    }
  std::vector<tessera_tensor_t> &runArgs = gpu ? deviceArgs : args;

  size_t resultCount = tessera_function_result_count(module, fn);
  std::vector<tessera_tensor_t> results(resultCount, nullptr);
  ReleaseAll releaseResults{results};
  if (tessera_status_t s = tessera_module_invoke(
          module, fn, runArgs.data(), argCount, results.data(), resultCount))
    return failStatus("invoking '" + function + "'", s);
  std::printf("ran %s\n", function.c_str());
  // Device results come back to the host for --output-dir and --check.
  for (tessera_tensor_t &r : results) {
    if (tessera_tensor_device(r) == TESSERA_DEVICE_HOST)
      continue;
    tessera_tensor_t host = nullptr;
    if (tessera_status_t s =
            tessera_tensor_copy_to(r, TESSERA_DEVICE_HOST, &host))
      return failStatus("copying the results to the host", s);
    tessera_tensor_release(r);
    r = host;
  }

  auto resultArray = [&](size_t r) {
    npy::Array a;
    const int64_t *dims = tessera_tensor_dims(results[r]);
    a.shape.assign(dims, dims + tessera_tensor_rank(results[r]));
    int64_t n = tessera_tensor_element_count(results[r]);
    a.values.resize(n);
    for (int64_t e = 0; e < n; ++e)
      a.values[e] = load(tessera_tensor_dtype(results[r]),
                         tessera_tensor_data(results[r]), e);
    return a;
  };

  if (!outputDir.empty()) {
    for (size_t r = 0; r < resultCount; ++r) {
      tessera_value_info_t info;
      if (tessera_status_t s =
              tessera_function_result_info(module, fn, r, &info))
        return failStatus("result info", s);
      std::string path = outputDir + "/" + info.name + ".npy";
      if (std::string e =
              npy::writeNpy(path, resultArray(r), npyDescr(info.dtype));
          !e.empty())
        return fail(e);
      std::printf("wrote %s\n", path.c_str());
    }
  }

  int exitCode = 0;
  if (check) {
    std::ifstream in(model, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    artifact::ArtifactView view;
    std::string message;
    if (artifact::readArtifact(bytes.data(), bytes.size(), view, message) !=
        artifact::ReadError::None)
      return fail("cannot read '" + model + "': " + message);
    const artifact::SectionView *section =
        view.find(artifact::SectionKind::Reference);
    if (!section)
      return fail("the artifact has no reference program; --check needs "
                  "one (recompile with a current tessera-compile)");
    ref::ReferenceProgram program;
    if (std::string e = ref::parseReferenceProgram(
            std::string_view(reinterpret_cast<const char *>(section->data),
                             section->size),
            program);
        !e.empty())
      return fail("reference program: " + e);
    if (!ref::hasReferenceFunction(program, function))
      return fail("no reference for '" + function +
                  "': its graph uses an op the reference format cannot "
                  "express (tessera-compile reports which)");
    std::vector<ref::Tensor> expected;
    double counted = 0;
    if (std::string e =
            ref::runReference(program, function, refArgs, expected, &counted);
        !e.empty())
      return fail("reference evaluation failed: " + e);
    if (flops == 0)
      flops = counted;
    if (expected.size() != resultCount)
      return fail("the reference has " + std::to_string(expected.size()) +
                  " results, the function " + std::to_string(resultCount));
    double storageTolerance = 0;
    std::string precision = ref::referencePrecision(program, function);
    for (tessera_dtype_t d : {TESSERA_DTYPE_BF16, TESSERA_DTYPE_F16,
                              TESSERA_DTYPE_F8E4M3FN, TESSERA_DTYPE_F8E5M2})
      if (precision == tessera_dtype_name(d))
        storageTolerance = tolerance(d);
    for (size_t r = 0; r < resultCount; ++r) {
      tessera_value_info_t info;
      tessera_function_result_info(module, fn, r, &info);
      npy::Array got = resultArray(r);
      ref::Tensor gotT{got.shape, got.values};
      double scale = 0;
      for (double v : expected[r].data)
        if (std::isfinite(v))
          scale = std::max(scale, std::fabs(v));
      double absErr = ref::maxAbsDiff(gotT, expected[r]);
      double relErr = scale > 0 ? absErr / scale : absErr;
      // The reference does not round the graph's narrow intermediates
      // (a bf16 hidden layer of an f32 result): allow their error too.
      double tol = std::max(tolerance(info.dtype), storageTolerance);
      bool pass = gotT.shape == expected[r].shape && relErr <= tol;
      std::printf("%s %s [%s]: max abs err %.3g, max rel err %.3g (tol %.3g) "
                  "%s\n",
                  info.name, tessera_dtype_name(info.dtype),
                  shapeString(got.shape).c_str(), absErr, relErr, tol,
                  pass ? "PASS" : "FAIL");
      if (!pass)
        exitCode = kExitCheckFailed;
    }
  }

  if (bench) {
    std::vector<double> times;
    double bytes = 0;
    for (size_t i = 0; i < argCount; ++i)
      bytes += tessera_tensor_element_count(args[i]) *
               double(tessera_dtype_size(tessera_tensor_dtype(args[i])));
    for (size_t r = 0; r < resultCount; ++r)
      bytes += tessera_tensor_element_count(results[r]) *
               double(tessera_dtype_size(tessera_tensor_dtype(results[r])));
    // Each invoke is synchronous (on a GPU: from device tensors to device
    // tensors, its launches finished when it returns).
    for (unsigned it = 0; it <= bench; ++it) {
      std::vector<tessera_tensor_t> out(resultCount, nullptr);
      auto start = std::chrono::steady_clock::now();
      tessera_status_t s = tessera_module_invoke(
          module, fn, runArgs.data(), argCount, out.data(), resultCount);
      auto stop = std::chrono::steady_clock::now();
      for (tessera_tensor_t t : out)
        tessera_tensor_release(t);
      if (s)
        return failStatus("benchmark run", s);
      if (it > 0) // the first run warms up
        times.push_back(std::chrono::duration<double>(stop - start).count());
    }
    std::sort(times.begin(), times.end());
    double median = times[times.size() / 2];
    std::printf("bench: %llu runs, median %.4f ms, %.2f GB/s (arguments + "
                "results)",
                bench, median * 1e3, bytes / median * 1e-9);
    if (flops > 0)
      std::printf(", %.2f GFLOP/s", flops / median * 1e-9);
    std::printf("\n");
  }
  return exitCode;
}

int main(int argc, char **argv) {
  // What input sizes (files, shapes, sizes) make too large for this machine,
  // such as the reference's float64 tensors under --check, is an error, not
  // an abort.
  try {
    return runTool(argc, argv);
  } catch (const std::bad_alloc &) {
    return fail("out of memory: an input, --shape or --size is too large for "
                "this machine (the float64 reference of --check needs 8 bytes "
                "per element of every tensor)");
  }
}
