//===- Artifact.cpp - Reading and writing .tsm artifacts --------*- C++ -*-===//
//
// The container of docs/artifact-format.md (header, section table, FNV-1a
// checksums) and its text manifest. No exception, no assertion: malformed
// input is an error message.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "GpuTargets.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace tessera::artifact;

namespace {
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fnvUpdate(uint64_t hash, const uint8_t *bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= kFnvPrime;
  }
  return hash;
}

uint32_t readU32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint64_t readU64(const uint8_t *p) {
  return static_cast<uint64_t>(readU32(p)) |
         static_cast<uint64_t>(readU32(p + 4)) << 32;
}

void writeU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void writeU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool isKnownKind(uint32_t kind) { return getSectionKindName(kind)[0] != 0; }

std::string quotedKindName(uint32_t kind) {
  return std::string("'") + getSectionKindName(kind) + "'";
}

std::string hex(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    unsigned d = (v >> shift) & 0xf;
    if (d || started || shift == 0) {
      s += digits[d];
      started = true;
    }
  }
  return s;
}
} // namespace

const char *tessera::artifact::getSectionKindName(uint32_t kind) {
  switch (kind) {
  case static_cast<uint32_t>(SectionKind::Manifest):
    return "manifest";
  case static_cast<uint32_t>(SectionKind::CpuObject):
    return "cpu-object";
  case static_cast<uint32_t>(SectionKind::Ptx):
    return "ptx";
  case static_cast<uint32_t>(SectionKind::Cubin):
    return "cubin";
  case static_cast<uint32_t>(SectionKind::Reference):
    return "reference";
  }
  return "";
}

uint64_t tessera::artifact::fnv1a64(const void *data, size_t size) {
  return fnvUpdate(kFnvOffsetBasis, static_cast<const uint8_t *>(data), size);
}

std::vector<uint8_t>
tessera::artifact::writeArtifact(const std::vector<Section> &sections) {
  if (sections.size() > kMaxSections)
    return {};
  uint64_t total = kHeaderSize + kSectionEntrySize * sections.size();
  for (size_t i = 0; i < sections.size(); ++i) {
    uint32_t kind = static_cast<uint32_t>(sections[i].kind);
    if (!isKnownKind(kind))
      return {};
    for (size_t j = 0; j < i; ++j)
      if (sections[j].kind == sections[i].kind)
        return {};
    total += sections[i].bytes.size();
  }

  std::vector<uint8_t> file(total, 0);
  uint8_t *table = file.data() + kHeaderSize;
  uint64_t offset = kHeaderSize + kSectionEntrySize * sections.size();
  for (size_t i = 0; i < sections.size(); ++i) {
    const std::vector<uint8_t> &bytes = sections[i].bytes;
    uint8_t *entry = table + kSectionEntrySize * i;
    writeU32(entry, static_cast<uint32_t>(sections[i].kind));
    writeU32(entry + 4, 0);
    writeU64(entry + 8, offset);
    writeU64(entry + 16, bytes.size());
    writeU64(entry + 24, fnv1a64(bytes.data(), bytes.size()));
    if (!bytes.empty())
      std::memcpy(file.data() + offset, bytes.data(), bytes.size());
    offset += bytes.size();
  }

  std::memcpy(file.data(), kMagic, sizeof(kMagic));
  writeU32(file.data() + 8, kFormatVersion);
  writeU32(file.data() + 12, static_cast<uint32_t>(sections.size()));
  writeU64(file.data() + 16, total);
  writeU64(file.data() + 24,
           fnv1a64(table, kSectionEntrySize * sections.size()));
  writeU64(file.data() + 32, fnv1a64(file.data(), 32));
  return file;
}

const SectionView *ArtifactView::find(SectionKind kind) const {
  for (const SectionView &s : sections)
    if (s.kind == kind)
      return &s;
  return nullptr;
}

ReadError tessera::artifact::readArtifact(const void *data, size_t size,
                                          ArtifactView &out,
                                          std::string &message) {
  out.sections.clear();
  const auto *bytes = static_cast<const uint8_t *>(data);
  auto corrupt = [&](std::string text) {
    message = std::move(text);
    return ReadError::Corrupt;
  };
  const std::string fileDesc = std::to_string(size) + "-byte file";

  // Magic: a prefix of it in a file shorter than the magic is a truncated
  // artifact, anything else is not an artifact.
  if (size == 0)
    return corrupt("artifact truncated: the file is empty");
  if (!bytes)
    return corrupt("artifact data is NULL");
  size_t magicBytes = std::min(size, sizeof(kMagic));
  if (std::memcmp(bytes, kMagic, magicBytes) != 0) {
    message = "not a Tessera artifact: the file does not start with the "
              "magic bytes \"TESSERA\\0\"";
    return ReadError::NotAnArtifact;
  }
  if (size < kHeaderSize)
    return corrupt("artifact truncated: the " + std::to_string(kHeaderSize) +
                   "-byte header ends at byte " + std::to_string(kHeaderSize) +
                   " of a " + fileDesc);

  // Header. Its checksum comes first so that a flipped bit anywhere in it is
  // reported as corruption; a genuine header of another version has a valid
  // checksum.
  uint32_t version = readU32(bytes + 8);
  uint64_t headerSum = readU64(bytes + 32);
  if (fnv1a64(bytes, 32) != headerSum) {
    std::string text = "checksum mismatch in the header";
    if (version != kFormatVersion)
      text += " (its version field reads " + std::to_string(version) +
              "; this runtime reads version " + std::to_string(kFormatVersion) +
              ")";
    return corrupt(text);
  }
  if (version != kFormatVersion) {
    message = "unsupported artifact format version " + std::to_string(version) +
              " (this runtime reads version " + std::to_string(kFormatVersion) +
              ")";
    return ReadError::UnsupportedVersion;
  }
  uint32_t count = readU32(bytes + 12);
  uint64_t recordedSize = readU64(bytes + 16);
  if (count > kMaxSections)
    return corrupt("artifact has " + std::to_string(count) +
                   " sections (at most " + std::to_string(kMaxSections) + ")");

  // Section table.
  uint64_t tableEnd = kHeaderSize + uint64_t(kSectionEntrySize) * count;
  if (tableEnd > size)
    return corrupt("artifact truncated: the section table ends at byte " +
                   std::to_string(tableEnd) + " of a " + fileDesc);
  const uint8_t *table = bytes + kHeaderSize;
  if (fnv1a64(table, tableEnd - kHeaderSize) != readU64(bytes + 24))
    return corrupt("checksum mismatch in the section table");

  struct Entry {
    uint32_t index;
    SectionView view;
    uint64_t checksum;
  };
  std::vector<Entry> entries;
  entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *e = table + kSectionEntrySize * i;
    uint32_t kind = readU32(e);
    uint32_t flags = readU32(e + 4);
    uint64_t offset = readU64(e + 8);
    uint64_t length = readU64(e + 16);
    std::string what = "section " + std::to_string(i);
    if (!isKnownKind(kind))
      return corrupt(what + " has unknown kind " + std::to_string(kind));
    what += " (" + quotedKindName(kind) + ")";
    if (flags != 0)
      return corrupt(what + " has flags " + hex(flags) + " (version " +
                     std::to_string(kFormatVersion) + " defines none)");
    if (length > size || offset > size - length)
      return corrupt("artifact truncated: section " + quotedKindName(kind) +
                     " ends at byte " +
                     (offset > std::numeric_limits<uint64_t>::max() - length
                          ? std::string("(offset ") + std::to_string(offset) +
                                " + size " + std::to_string(length) +
                                " overflows)"
                          : std::to_string(offset + length)) +
                     " of a " + fileDesc);
    if (offset < tableEnd && length > 0)
      return corrupt(what + " at byte " + std::to_string(offset) +
                     " overlaps the header and section table (bytes 0 to " +
                     std::to_string(tableEnd) + ")");
    for (const Entry &prev : entries)
      if (static_cast<uint32_t>(prev.view.kind) == kind)
        return corrupt(
            "section " + quotedKindName(kind) + " appears twice (sections " +
            std::to_string(prev.index) + " and " + std::to_string(i) + ")");
    entries.push_back({i,
                       {static_cast<SectionKind>(kind), offset, bytes + offset,
                        static_cast<size_t>(length)},
                       readU64(e + 24)});
  }

  // Overlaps, between neighbours in file order.
  std::vector<const Entry *> byOffset;
  for (const Entry &e : entries)
    if (e.view.size > 0)
      byOffset.push_back(&e);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const Entry *a, const Entry *b) {
              return a->view.offset < b->view.offset;
            });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const SectionView &a = byOffset[i - 1]->view, &b = byOffset[i]->view;
    if (a.offset + a.size > b.offset)
      return corrupt("section " + quotedKindName(uint32_t(a.kind)) +
                     " (bytes " + std::to_string(a.offset) + " to " +
                     std::to_string(a.offset + a.size) + ") overlaps section " +
                     quotedKindName(uint32_t(b.kind)) + " (bytes " +
                     std::to_string(b.offset) + " to " +
                     std::to_string(b.offset + b.size) + ")");
  }

  if (recordedSize > size)
    return corrupt("artifact truncated: the header records a " +
                   std::to_string(recordedSize) + "-byte file, got " +
                   std::to_string(size) + " bytes");
  if (recordedSize < size)
    return corrupt("artifact has trailing bytes: the header records a " +
                   std::to_string(recordedSize) + "-byte file, got " +
                   std::to_string(size) + " bytes");

  for (const Entry &e : entries)
    if (fnv1a64(e.view.data, e.view.size) != e.checksum)
      return corrupt("checksum mismatch in section " +
                     quotedKindName(uint32_t(e.view.kind)));

  for (const Entry &e : entries)
    out.sections.push_back(e.view);
  message.clear();
  return ReadError::None;
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

namespace {
struct DTypeEntry {
  DType dtype;
  const char *name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F32, "f32", 4},       {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},     {DType::F64, "f64", 8},
    {DType::I8, "i8", 1},         {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},       {DType::F8E4M3FN, "f8e4m3fn", 1},
    {DType::F8E5M2, "f8e5m2", 1},
};

const DTypeEntry *lookupDType(DType dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == dtype)
      return &e;
  return nullptr;
}

std::string dtypeList() {
  std::string s;
  for (const DTypeEntry &e : kDTypes) {
    if (!s.empty())
      s += ' ';
    s += e.name;
  }
  return s;
}

constexpr std::string_view kCpuFeatures[] = {
    "x86-64-v2", "x86-64-v3", "x86-64-v4", "sse4.2",  "avx",
    "avx2",      "fma",       "f16c",      "avx512f", "avx512bw",
    "avx512dq",  "avx512vl",  "avx512bf16"};

bool isValidTarget(std::string_view t) {
  return t == "cpu" || tessera::findGpuTarget(t);
}

/// "cpu, sm_90a or sm_80".
std::string listTargets() { return "cpu, " + tessera::listGpuTargets(); }

/// Function and value names: [A-Za-z0-9_.-]+.
bool isValidName(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

/// Exported symbols: C identifiers.
bool isValidSymbol(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

/// Parses a non-negative decimal number that fits int64_t.
bool parseNumber(std::string_view text, int64_t &value) {
  if (text.empty())
    return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return false;
  }
  value = static_cast<int64_t>(v);
  return true;
}

/// Whether `size` is one parenthesized expression: its first '(' closes at
/// its last character.
bool isParenthesized(std::string_view size) {
  if (size.size() < 2 || size.front() != '(' || size.back() != ')')
    return false;
  int depth = 0;
  for (size_t i = 0; i < size.size(); ++i) {
    depth += size[i] == '(' ? 1 : size[i] == ')' ? -1 : 0;
    if (depth == 0)
      return i + 1 == size.size();
  }
  return false;
}

/// Splits dims at the 'x's outside parentheses (`max(` has an 'x'). Returns
/// false where the parentheses do not balance.
bool splitDims(std::string_view text, std::vector<std::string_view> &sizes) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      if (--depth < 0)
        return false;
    } else if (text[i] == 'x' && depth == 0) {
      sizes.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  sizes.push_back(text.substr(start));
  return depth == 0;
}

/// Parses one size into the dims, symbols and expressions of a value.
std::string parseSize(std::string_view size, ValueDesc &value,
                      std::vector<std::string> &exprs) {
  int64_t n;
  int64_t dim = -1, symbol = -1;
  std::string expr;
  if (size == "?") {
    // Dynamic and unconstrained: no size, no symbol.
  } else if (!size.empty() && size[0] == 's' &&
             parseNumber(size.substr(1), n)) {
    symbol = n;
  } else if (parseNumber(size, n)) {
    dim = n;
  } else if (isParenthesized(size) && size.size() > 2) {
    expr = std::string(size.substr(1, size.size() - 2));
  } else {
    return "size " + std::to_string(value.dims.size()) + " is '" +
           std::string(size) +
           "' (expected a number, '?', 's<N>' or '(<expr>)'; dims are "
           "'x'-separated sizes or 'scalar')";
  }
  value.dims.push_back(dim);
  value.symbols.push_back(symbol);
  exprs.push_back(std::move(expr));
  return "";
}

/// Parses the dims of a value; returns "" or what is wrong.
std::string parseDims(std::string_view text, ValueDesc &value) {
  value.dims.clear();
  value.symbols.clear();
  value.exprs.clear();
  if (text == "scalar")
    return "";
  std::vector<std::string_view> sizes;
  if (!splitDims(text, sizes))
    return "unbalanced parentheses";
  if (sizes.size() > kMaxRank)
    return "rank exceeds the limit of " + std::to_string(kMaxRank);
  std::vector<std::string> exprs;
  for (std::string_view size : sizes)
    if (std::string e = parseSize(size, value, exprs); !e.empty())
      return e;
  for (const std::string &e : exprs)
    if (!e.empty()) {
      value.exprs = std::move(exprs);
      break;
    }
  return "";
}

/// The expression of dimension `d` of `v`, or "".
const std::string &exprOf(const ValueDesc &v, size_t d) {
  static const std::string none;
  return d < v.exprs.size() ? v.exprs[d] : none;
}

/// Checks the expression sizes of a value built in memory (their syntax and
/// symbols are checked with the function's). `allowed`: only buffers and
/// views have them.
std::string verifyExprs(const ValueDesc &v, bool allowed) {
  if (!v.exprs.empty() && v.exprs.size() != v.dims.size())
    return "has " + std::to_string(v.dims.size()) + " dims but " +
           std::to_string(v.exprs.size()) + " exprs";
  for (size_t i = 0; i < v.exprs.size(); ++i) {
    if (v.exprs[i].empty())
      continue;
    std::string what = "dimension " + std::to_string(i) +
                       " is the expression '(" + v.exprs[i] + ")'";
    if (!allowed)
      return what + ", but only buffers and views have expression sizes";
    if (v.dims[i] != -1 || v.symbols[i] != -1)
      return what + " and has size " + std::to_string(v.dims[i]) +
             " and symbol " + std::to_string(v.symbols[i]) +
             " (both must be -1)";
  }
  return "";
}

/// Checks one value built in memory; returns "" or what is wrong.
/// `allowExprs`: whether its sizes may be expressions (buffers, views).
std::string verifyValue(const ValueDesc &v, bool allowExprs) {
  if (!isValidName(v.name))
    return "invalid name '" + v.name + "' (use [A-Za-z0-9_.-])";
  if (!lookupDType(v.dtype))
    return "unknown dtype " + std::to_string(static_cast<uint32_t>(v.dtype));
  if (v.dims.size() != v.symbols.size())
    return "has " + std::to_string(v.dims.size()) + " dims but " +
           std::to_string(v.symbols.size()) + " symbols";
  if (v.dims.size() > kMaxRank)
    return "rank " + std::to_string(v.dims.size()) + " exceeds the limit of " +
           std::to_string(kMaxRank);
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (v.dims[i] < -1 || v.symbols[i] < -1)
      return "dimension " + std::to_string(i) + " has size " +
             std::to_string(v.dims[i]) + " and symbol " +
             std::to_string(v.symbols[i]) + " (each must be >= -1)";
    if (v.dims[i] >= 0 && v.symbols[i] >= 0)
      return "dimension " + std::to_string(i) + " is static (" +
             std::to_string(v.dims[i]) + ") and has symbol s" +
             std::to_string(v.symbols[i]);
  }
  return verifyExprs(v, allowExprs);
}

std::string printDims(const ValueDesc &v) {
  if (v.dims.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (i)
      s += 'x';
    int64_t symbol = i < v.symbols.size() ? v.symbols[i] : -1;
    if (v.dims[i] >= 0)
      s += std::to_string(v.dims[i]);
    else if (symbol >= 0)
      s += "s" + std::to_string(symbol);
    else if (!exprOf(v, i).empty())
      s += "(" + exprOf(v, i) + ")";
    else
      s += '?';
  }
  return s;
}

std::vector<std::string_view> splitTokens(std::string_view line, bool &ok) {
  std::vector<std::string_view> tokens;
  ok = true;
  size_t start = 0;
  while (true) {
    size_t end = line.find(' ', start);
    std::string_view token = line.substr(start, end == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : end - start);
    if (token.empty())
      ok = false;
    tokens.push_back(token);
    if (end == std::string_view::npos)
      return tokens;
    start = end + 1;
  }
}

//===--- Plans ------------------------------------------------------------===//

std::string plural(size_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

const char *const kAxes[3] = {"x", "y", "z"};

/// The largest block dimensions CUDA allows, and the largest block.
constexpr int64_t kMaxBlock[3] = {1024, 1024, 64};
constexpr int64_t kMaxBlockThreads = 1024;

/// The largest TMA box size, per dimension (cuTensorMapEncodeTiled).
constexpr int64_t kMaxTensorMapBox = 256;
/// The inner box dimension of a tensor map spans a multiple of 16 bytes (TMA
/// copies 16-byte chunks) and, swizzled, at most the swizzle span.
constexpr int64_t kTensorMapChunkBytes = 16;
/// The swizzle a version-1 tensor map has.
constexpr int64_t kVersion1Swizzle = 128;

bool isTensorMapSwizzle(int64_t swizzle) {
  return swizzle == 0 || swizzle == 32 || swizzle == 64 || swizzle == 128;
}

/// Whether a tensor map may describe a value of `dtype` (the dtypes whose
/// TMA data type docs/artifact-format.md gives: those GPU kernels stage
/// through shared memory).
bool isTensorMapDType(DType dtype) {
  switch (dtype) {
  case DType::BF16:
  case DType::F16:
  case DType::F32:
  case DType::F8E4M3FN:
  case DType::F8E5M2:
  case DType::I8:
    return true;
  default:
    return false;
  }
}

/// The view of `fn` called `name`, or null.
const ViewDesc *findView(const FunctionDesc &fn, std::string_view name) {
  for (const ViewDesc &view : fn.views)
    if (view.value.name == name)
      return &view;
  return nullptr;
}

/// The argument, result, buffer or view of `fn` called `name`, or null;
/// `kind` becomes "arg", "result", "buffer" or "view".
const ValueDesc *findValue(const FunctionDesc &fn, std::string_view name,
                           const char *&kind) {
  const std::vector<ValueDesc> *lists[3] = {&fn.args, &fn.results,
                                            &fn.buffers};
  const char *kinds[3] = {"arg", "result", "buffer"};
  for (int l = 0; l < 3; ++l)
    for (const ValueDesc &v : *lists[l])
      if (v.name == name) {
        kind = kinds[l];
        return &v;
      }
  if (const ViewDesc *view = findView(fn, name)) {
    kind = "view";
    return &view->value;
  }
  return nullptr;
}

/// The argument, result or buffer whose storage the value `name` of `fn`
/// is: the value itself, or the root of its chain of views. Null where
/// `name` names nothing or a chain does not end in one (not in a verified
/// manifest). `kind` as findValue.
const ValueDesc *findStorage(const FunctionDesc &fn, std::string_view name,
                             const char *&kind) {
  for (size_t hops = 0; hops <= fn.views.size(); ++hops) {
    const ViewDesc *view = findView(fn, name);
    if (!view)
      return findValue(fn, name, kind);
    name = view->base;
  }
  return nullptr;
}

/// Whether some argument of `fn` has a dimension `sN`.
bool isBoundSymbol(const FunctionDesc &fn, int64_t symbol) {
  for (const ValueDesc &v : fn.args)
    for (int64_t s : v.symbols)
      if (s == symbol)
        return true;
  return false;
}

/// Parses `text` and checks that the arguments bind its symbols.
std::string checkBoundExpression(const FunctionDesc &fn,
                                 std::string_view text) {
  Expression e;
  if (std::string error = parseExpression(text, e); !error.empty())
    return error;
  for (int64_t symbol : e.symbols())
    if (!isBoundSymbol(fn, symbol))
      return "symbol s" + std::to_string(symbol) + " in '" + std::string(text) +
             "' is not bound by an argument";
  return "";
}

/// Checks that every size of `v` is a number, a symbol an argument binds or
/// an expression of such symbols; `unknown` says why a '?' is not.
std::string checkBoundDims(const FunctionDesc &fn, const ValueDesc &v,
                           const char *unknown) {
  for (size_t d = 0; d < v.dims.size() && d < v.symbols.size(); ++d) {
    if (const std::string &expr = exprOf(v, d); !expr.empty()) {
      if (std::string e = checkBoundExpression(fn, expr); !e.empty())
        return "dimension " + std::to_string(d) + " '(" + expr + ")': " + e;
      continue;
    }
    if (v.dims[d] >= 0)
      continue;
    if (v.symbols[d] < 0)
      return "dimension " + std::to_string(d) + " is '?', but " + unknown;
    if (!isBoundSymbol(fn, v.symbols[d]))
      return "dimension " + std::to_string(d) + " is s" +
             std::to_string(v.symbols[d]) + ", which no argument binds";
  }
  return "";
}

/// A result or buffer of a GPU function, which the runtime allocates: every
/// size is a number, a symbol an argument binds or (buffers) an expression of
/// such symbols.
std::string checkAllocatedDims(const FunctionDesc &fn, const ValueDesc &v) {
  return checkBoundDims(
      fn, v,
      "the runtime allocates this value: its sizes must be numbers or "
      "symbols bound by the arguments (or, for buffers, expressions of "
      "them)");
}

/// A view of a GPU function, whose sizes the runtime computes to check them
/// against its base's.
std::string checkViewDims(const FunctionDesc &fn, const ValueDesc &v) {
  return checkBoundDims(fn, v,
                        "the runtime computes the sizes of a view: they must "
                        "be numbers, symbols bound by the arguments or "
                        "expressions of them");
}

/// Checks that no arg, result, buffer or view of the GPU function `fn` is
/// called `name` yet (plans name values without saying which list they are
/// in).
std::string checkUniqueValueName(const FunctionDesc &fn,
                                 const std::string &name) {
  const char *other = nullptr;
  if (findValue(fn, name, other))
    return "duplicate value name '" + name + "' in function '" + fn.name +
           "' (" + (std::string(other) == "arg" ? "an " : "a ") + other +
           " has it; the args, results, buffers and views of a GPU function "
           "need distinct names)";
  return "";
}

std::string checkCondition(const FunctionDesc &fn, std::string_view text) {
  Condition c;
  if (std::string error = parseCondition(text, c); !error.empty())
    return error;
  for (const Comparison &term : c.terms)
    for (const Expression *e : {&term.lhs, &term.rhs})
      for (int64_t symbol : e->symbols())
        if (!isBoundSymbol(fn, symbol))
          return "condition '" + std::string(text) + "': symbol s" +
                 std::to_string(symbol) + " is not bound by an argument";
  return "";
}

std::string checkMemset(const FunctionDesc &fn, const std::string &name) {
  const char *kind = nullptr;
  if (!findValue(fn, name, kind))
    return "memset of '" + name + "', which is no result, buffer or view " +
           "of function '" + fn.name + "'";
  if (std::string(kind) == "arg")
    return "memset of argument '" + name + "' (arguments are read-only)";
  if (std::string(kind) != "view")
    return "";
  const ValueDesc *storage = findStorage(fn, name, kind);
  if (storage && std::string(kind) == "arg")
    return "memset of view '" + name + "' of argument '" + storage->name +
           "' (arguments are read-only)";
  return "";
}

/// Checks the kernel name, grid, block and shared memory of a launch.
std::string checkLaunchShape(const FunctionDesc &fn, const LaunchStep &l) {
  if (!isValidSymbol(l.kernel))
    return "invalid kernel name '" + l.kernel + "' (expected a C identifier)";
  std::string what = "launch '" + l.kernel + "': ";
  for (int i = 0; i < 3; ++i)
    if (std::string e = checkBoundExpression(fn, l.grid[i]); !e.empty())
      return what + "grid " + kAxes[i] + ": " + e;
  int64_t threads = 1;
  for (int i = 0; i < 3; ++i) {
    if (l.block[i] < 1)
      return what + "block " + kAxes[i] + " is " + std::to_string(l.block[i]) +
             " (must be >= 1)";
    if (l.block[i] > kMaxBlock[i])
      return what + "block " + kAxes[i] + " is " + std::to_string(l.block[i]) +
             " (at most " + std::to_string(kMaxBlock[i]) + ")";
    threads *= l.block[i];
  }
  if (threads > kMaxBlockThreads)
    return what + "a block of " + std::to_string(l.block[0]) + "x" +
           std::to_string(l.block[1]) + "x" + std::to_string(l.block[2]) +
           " threads exceeds " + std::to_string(kMaxBlockThreads);
  if (l.sharedMemoryBytes < 0 || l.sharedMemoryBytes > 0xffffffffLL)
    return what + "smem " + std::to_string(l.sharedMemoryBytes) +
           " is outside [0, 4294967295]";
  return "";
}

/// Checks the inner box of a tensor map of `dtype` (its sizes are in
/// range): whole 16-byte chunks, and with a swizzle at most its span.
std::string checkInnerBox(const KernelParam &param, DType dtype,
                          const std::string &text) {
  int64_t bytes = param.box[0] * static_cast<int64_t>(getDTypeSize(dtype));
  if (bytes % kTensorMapChunkBytes == 0 &&
      (param.swizzle == 0 || bytes <= param.swizzle))
    return "";
  std::string swizzle = std::to_string(param.swizzle);
  return text + ": the inner box size " + std::to_string(param.box[0]) +
         " spans " + std::to_string(bytes) + " bytes of " +
         getDTypeName(dtype) +
         (param.swizzle ? " (TMA with " + swizzle +
                              "-byte swizzling needs a multiple of 16 bytes, "
                              "at most " +
                              swizzle + ")"
                        : std::string(" (TMA needs a multiple of 16 bytes)"));
}

/// Checks the tensor map `param`, which the manifest writes `text`.
std::string checkTensorMap(const FunctionDesc &fn, const KernelParam &param,
                           const std::string &text) {
  const char *kind = nullptr;
  const ValueDesc *v = findValue(fn, param.value, kind);
  if (!v)
    return text + " names no argument, result, buffer or view";
  std::string name = "'" + v->name + "'";
  size_t rank = v->dims.size();
  if (rank < 1 || rank > kMaxTensorMapRank)
    return text + ": " + name + " has rank " + std::to_string(rank) +
           " (a tensor map takes rank 1 to " +
           std::to_string(kMaxTensorMapRank) + ")";
  if (!isTensorMapDType(v->dtype))
    return text + ": " + name + " is " + getDTypeName(v->dtype) +
           " (a tensor map takes bf16, f16, f32, f8e4m3fn, f8e5m2 or i8)";
  if (param.box.size() != rank)
    return text + ": the box has " + plural(param.box.size(), "size") +
           ", but " + name + " has rank " + std::to_string(rank) +
           " (one size per dimension, innermost first)";
  for (size_t i = 0; i < rank; ++i)
    if (param.box[i] < 1 || param.box[i] > kMaxTensorMapBox)
      return text + ": box size " + std::to_string(param.box[i]) +
             " of dimension " + std::to_string(i) +
             " (innermost first) is outside [1, " +
             std::to_string(kMaxTensorMapBox) + "]";
  if (!isTensorMapSwizzle(param.swizzle))
    return text + ": swizzle " + std::to_string(param.swizzle) +
           " is not 0, 32, 64 or 128 (bytes)";
  return checkInnerBox(param, v->dtype, text);
}

/// Checks a parameter of a launch, which the manifest writes `text` (quoted).
std::string checkParam(const FunctionDesc &fn, const KernelParam &param,
                       const std::string &text) {
  switch (param.kind) {
  case KernelParam::Kind::Memref: {
    const char *kind = nullptr;
    if (!findValue(fn, param.value, kind))
      return text + " names no argument, result, buffer or view";
    return "";
  }
  case KernelParam::Kind::I64:
  case KernelParam::Kind::I32:
    if (std::string e = checkBoundExpression(fn, param.value); !e.empty())
      return text + ": " + e;
    return "";
  case KernelParam::Kind::TensorMap:
    return checkTensorMap(fn, param, text);
  }
  return "has an unknown kind";
}

/// Checks a launch. `texts`: the parameters as the manifest line writes
/// them, or empty (a launch built in memory: as printKernelParam does).
std::string checkLaunch(const FunctionDesc &fn, const LaunchStep &l,
                        const std::vector<std::string_view> &texts = {}) {
  if (std::string e = checkLaunchShape(fn, l); !e.empty())
    return e;
  for (size_t p = 0; p < l.params.size(); ++p) {
    const KernelParam &param = l.params[p];
    std::string text =
        p < texts.size() ? std::string(texts[p]) : printKernelParam(param);
    if (std::string e = checkParam(fn, param, "'" + text + "'"); !e.empty())
      return "launch '" + l.kernel + "': param " + std::to_string(p) + " " + e;
  }
  return "";
}

/// Gives the tensor maps of a version-1 launch their meaning: the box
/// {inner, outer} padded with 1s to the value's rank (2 or 3), 128-byte
/// swizzling. `texts` as for checkLaunch.
std::string
upgradeVersion1TensorMaps(const FunctionDesc &fn, LaunchStep &l,
                          const std::vector<std::string_view> &texts) {
  for (size_t p = 0; p < l.params.size(); ++p) {
    KernelParam &param = l.params[p];
    const char *kind = nullptr;
    const ValueDesc *v = param.kind == KernelParam::Kind::TensorMap
                             ? findValue(fn, param.value, kind)
                             : nullptr;
    if (!v)
      continue; // checkLaunch reports a map of an unknown value
    size_t rank = v->dims.size();
    if (rank != 2 && rank != 3)
      return "launch '" + l.kernel + "': param " + std::to_string(p) + " '" +
             std::string(texts[p]) + "': '" + v->name + "' has rank " +
             std::to_string(rank) +
             " (a version-1 tensor map takes rank 2 or 3)";
    param.box.resize(rank, 1);
    param.swizzle = kVersion1Swizzle;
  }
  return "";
}

/// Parses what follows `tmap:<value>:`: `<b0>x<b1>...:<swizzle>` (version
/// 2) or `<inner>x<outer>` (version 1). Returns false on a syntax error.
bool parseTensorMapBox(std::string_view text, int64_t version,
                       KernelParam &param) {
  std::string_view box = text;
  if (version >= 2) {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos ||
        !parseNumber(text.substr(colon + 1), param.swizzle))
      return false;
    box = text.substr(0, colon);
  }
  param.box.clear();
  for (size_t start = 0;;) {
    size_t x = box.find('x', start);
    int64_t size;
    if (!parseNumber(box.substr(start, x == std::string_view::npos
                                           ? std::string_view::npos
                                           : x - start),
                     size))
      return false;
    param.box.push_back(size);
    if (x == std::string_view::npos)
      break;
    start = x + 1;
  }
  return version >= 2 || param.box.size() == 2;
}

/// Parses one parameter of a launch line; returns "" or the problem.
std::string parseParam(std::string_view token, int64_t version,
                       KernelParam &param) {
  const char *tmapSyntax = version >= 2 ? "tmap:<value>:<b0>x<b1>...:<swizzle>"
                                        : "tmap:<value>:<inner>x<outer>";
  struct Prefix {
    std::string_view text;
    KernelParam::Kind kind;
  };
  const Prefix prefixes[] = {{"memref:", KernelParam::Kind::Memref},
                             {"i64:", KernelParam::Kind::I64},
                             {"i32:", KernelParam::Kind::I32},
                             {"tmap:", KernelParam::Kind::TensorMap}};
  for (const Prefix &prefix : prefixes) {
    if (token.substr(0, prefix.text.size()) != prefix.text)
      continue;
    param.kind = prefix.kind;
    std::string_view rest = token.substr(prefix.text.size());
    if (prefix.kind != KernelParam::Kind::TensorMap) {
      param.value = std::string(rest);
      return "";
    }
    // tmap:<value>:<box>...; value names have no ':'.
    size_t colon = rest.find(':');
    param.value = std::string(rest.substr(0, colon));
    if (colon == std::string_view::npos ||
        !parseTensorMapBox(rest.substr(colon + 1), version, param))
      return "param '" + std::string(token) + "' (expected " + tmapSyntax +
             (version >= 2 ? ", the box sizes (innermost first) and the "
                             "swizzle numbers)"
                           : ", the box sizes numbers)");
    return "";
  }
  return "param '" + std::string(token) + "' (expected memref:<value>, " +
         (version >= 2 ? "tmap:<value>:<box>:<swizzle>"
                       : "tmap:<value>:<inner>x<outer>") +
         ", i64:<expr> or i32:<expr>)";
}

/// Parses a `launch` line's tokens into `out`; returns "" or the problem.
std::string parseLaunch(const std::vector<std::string_view> &tokens,
                        int64_t version, LaunchStep &out) {
  if (tokens.size() < 13)
    return "'launch' expects '<kernel> grid <x> <y> <z> block <x> <y> <z> "
           "smem <bytes> params <param>...', got " +
           std::to_string(tokens.size() - 1) + " operands";
  out.kernel = std::string(tokens[1]);
  struct Keyword {
    size_t at;
    const char *word, *after;
  };
  const Keyword keywords[] = {{2, "grid", "the kernel name"},
                              {6, "block", "the grid"},
                              {10, "smem", "the block"},
                              {12, "params", "smem"}};
  for (const Keyword &k : keywords)
    if (tokens[k.at] != k.word)
      return "'launch': expected '" + std::string(k.word) + "' after " +
             k.after + ", got '" + std::string(tokens[k.at]) + "'";
  std::string what = "launch '" + out.kernel + "': ";
  for (int i = 0; i < 3; ++i) {
    out.grid[i] = std::string(tokens[3 + i]);
    if (!parseNumber(tokens[7 + i], out.block[i]))
      return what + "block " + kAxes[i] + " '" + std::string(tokens[7 + i]) +
             "' is not a number";
  }
  if (!parseNumber(tokens[11], out.sharedMemoryBytes))
    return what + "smem '" + std::string(tokens[11]) + "' is not a number";
  for (size_t t = 13; t < tokens.size(); ++t) {
    KernelParam param;
    if (std::string e = parseParam(tokens[t], version, param); !e.empty())
      return what + e;
    out.params.push_back(std::move(param));
  }
  return "";
}
} // namespace

const char *tessera::artifact::getDTypeName(DType dtype) {
  const DTypeEntry *e = lookupDType(dtype);
  return e ? e->name : "";
}

bool tessera::artifact::parseDType(std::string_view name, DType &dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (name == e.name) {
      dtype = e.dtype;
      return true;
    }
  return false;
}

size_t tessera::artifact::getDTypeSize(DType dtype) {
  const DTypeEntry *e = lookupDType(dtype);
  return e ? e->size : 0;
}

std::string tessera::artifact::printKernelParam(const KernelParam &param) {
  switch (param.kind) {
  case KernelParam::Kind::Memref:
    return "memref:" + param.value;
  case KernelParam::Kind::I64:
    return "i64:" + param.value;
  case KernelParam::Kind::I32:
    return "i32:" + param.value;
  case KernelParam::Kind::TensorMap: {
    std::string s = "tmap:" + param.value + ":";
    for (size_t i = 0; i < param.box.size(); ++i)
      s += (i ? "x" : "") + std::to_string(param.box[i]);
    return s + ":" + std::to_string(param.swizzle);
  }
  }
  return "?:" + param.value;
}

namespace {
/// Reads the first line, `tessera-manifest <version>`; returns "" or what
/// is wrong.
std::string parseVersionLine(std::string_view line, bool emptyText,
                             int64_t &version) {
  const std::string expected =
      "expected 'tessera-manifest " + std::to_string(kManifestVersion) + "'";
  if (line.substr(0, 17) != "tessera-manifest ") {
    if (line.empty() && emptyText)
      return "empty manifest (" + expected + ")";
    return expected + ", got '" + std::string(line) + "'";
  }
  if (!parseNumber(line.substr(17), version))
    return expected + ", got '" + std::string(line) + "'";
  if (version < kOldestManifestVersion || version > kManifestVersion)
    return "unsupported manifest version " + std::to_string(version) +
           " (this runtime reads versions " +
           std::to_string(kOldestManifestVersion) + " to " +
           std::to_string(kManifestVersion) + ")";
  return "";
}

/// Checks the expression sizes of a value of an `arg`, `result` or `buffer`
/// line: only buffers (and views, parsed elsewhere) have them, from version 2.
std::string checkExprLine(const ValueDesc &v, std::string_view directive,
                          int64_t version) {
  for (size_t d = 0; d < v.exprs.size(); ++d) {
    if (v.exprs[d].empty())
      continue;
    std::string what = "dimension " + std::to_string(d) +
                       " is the expression '(" + v.exprs[d] + ")'";
    if (directive != "buffer")
      return what + ", but only buffers and views have expression sizes";
    if (version < 2)
      return what + " (expression sizes need manifest version 2)";
  }
  return "";
}

/// Parses the condition of a `variant` line that is not `variant always`
/// into `variant`.
std::string parseVariantLine(const std::vector<std::string_view> &tokens,
                             int64_t version, const FunctionDesc &fn,
                             Variant &variant) {
  size_t operands = tokens.size() - 1;
  const char *expected =
      version >= 2 ? "'always' or '<expr> <op> <expr>', alone or joined by "
                     "'and'"
                   : "'always' or '<expr> <op> <expr>'";
  if (operands == 1)
    return std::string("'variant' expects ") + expected + ", got '" +
           std::string(tokens[1]) + "'";
  if (operands < 3 || (version < 2 && operands != 3))
    return std::string("'variant' expects ") + expected + ", got " +
           plural(operands, "operand") +
           (version < 2 && operands > 3
                ? " (conditions joined by 'and' need manifest version 2)"
                : "");
  for (size_t t = 1; t < tokens.size(); ++t)
    variant.condition += (t > 1 ? " " : "") + std::string(tokens[t]);
  return checkCondition(fn, variant.condition);
}

/// Parses `view <name> <base> <dims>` of `fn`, whose earlier lines are
/// parsed, into `view`: a new name, a base among the values so far (so an
/// earlier view), the base's dtype and sizes bound by the arguments.
std::string parseViewLine(const std::vector<std::string_view> &tokens,
                          const FunctionDesc &fn, ViewDesc &view) {
  ValueDesc &value = view.value;
  value.name = std::string(tokens[1]);
  view.base = std::string(tokens[2]);
  if (!isValidName(value.name))
    return "invalid view name '" + value.name + "' (use [A-Za-z0-9_.-])";
  if (std::string e = checkUniqueValueName(fn, value.name); !e.empty())
    return e;
  std::string what = "view '" + value.name + "'";
  if (view.base == value.name)
    return what + " is a view of itself";
  const char *kind = nullptr;
  const ValueDesc *base = findValue(fn, view.base, kind);
  if (!base)
    return what + " of '" + view.base + "', which is no argument, result, " +
           "buffer or earlier view of function '" + fn.name + "'";
  value.dtype = base->dtype;
  if (std::string e = parseDims(tokens[3], value); !e.empty())
    return "bad dims '" + std::string(tokens[3]) + "' of '" + value.name +
           "': " + e;
  if (std::string e = checkViewDims(fn, value); !e.empty())
    return what + ": " + e;
  return "";
}
} // namespace

std::string tessera::artifact::parseManifest(std::string_view text,
                                             Manifest &out) {
  out = Manifest();
  size_t lineNo = 0;
  auto error = [&](const std::string &what) {
    return "manifest line " + std::to_string(lineNo) + ": " + what;
  };
  int64_t version = kManifestVersion;
  bool haveTarget = false;
  bool gpu = false;
  size_t targetLine = 0;
  FunctionDesc *current = nullptr;
  size_t functionLine = 0;
  std::vector<size_t> functionLines;
  // Where the current function is: 0 args, 1 results, 2 buffers, 3 views,
  // 4 variants; the line of its `variant always` and of its last variant.
  int stage = 0;
  size_t alwaysLine = 0, variantLine = 0;
  static const char *const kStageNames[] = {"arg", "result", "buffer", "view",
                                            "variant"};

  size_t pos = 0;
  while (pos < text.size() || lineNo == 0) {
    size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos
                                                       : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++lineNo;

    if (lineNo == 1) {
      if (std::string e = parseVersionLine(line, text.empty(), version);
          !e.empty())
        return error(e);
      continue;
    }
    if (line.empty() || line[0] == '#')
      continue;
    for (char c : line)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        static const char digits[] = "0123456789abcdef";
        unsigned u = static_cast<unsigned char>(c);
        return error(std::string("unexpected control character 0x") +
                     digits[u >> 4] + digits[u & 0xf]);
      }

    bool ok;
    std::vector<std::string_view> tokens = splitTokens(line, ok);
    if (!ok)
      return error("tokens must be separated by single spaces, without "
                   "leading or trailing spaces");
    std::string_view directive = tokens[0];
    size_t operands = tokens.size() - 1;
    auto expectOperands = [&](size_t n, const char *names) -> std::string {
      if (operands == n)
        return "";
      return error("'" + std::string(directive) + "' expects " +
                   std::to_string(n) + " operand" + (n == 1 ? "" : "s") +
                   (n ? std::string(" (") + names + ")" : "") + ", got " +
                   std::to_string(operands));
    };
    // Checks that `directive` may come at `newStage` of the current function.
    auto checkOrder = [&](int newStage) -> std::string {
      if (stage <= newStage)
        return "";
      if (newStage == 0 && stage == 1)
        return error("'arg' after a 'result' in function '" + current->name +
                     "' (arguments come first)");
      return error("'" + std::string(directive) + "' after a '" +
                   kStageNames[stage] + "' in function '" + current->name +
                   "' (the order is arg, result, buffer, view, variant)");
    };
    // The plan directives: only inside a function of a GPU target.
    auto checkPlanDirective = [&]() -> std::string {
      if (!current)
        return error("'" + std::string(directive) + "' outside a function");
      if (!gpu)
        return error("'" + std::string(directive) + "' in function '" +
                     current->name + "' of target " + out.target +
                     " (plans are for GPU targets)");
      return "";
    };

    if (directive == "target") {
      if (std::string e = expectOperands(1, listTargets().c_str()); !e.empty())
        return e;
      if (haveTarget)
        return error("second 'target' (the first is on line " +
                     std::to_string(targetLine) + ")");
      if (current || !out.functions.empty())
        return error("'target' must come before the first function");
      if (!isValidTarget(tokens[1]))
        return error("unknown target '" + std::string(tokens[1]) +
                     "' (expected " + listTargets() + ")");
      out.target = std::string(tokens[1]);
      gpu = isGpuTarget(out.target);
      haveTarget = true;
      targetLine = lineNo;
    } else if (directive == "requires") {
      if (tokens.size() < 2)
        return error("'requires' needs at least one CPU feature");
      if (current || !out.functions.empty())
        return error("'requires' must come before the first function");
      for (size_t t = 1; t < tokens.size(); ++t) {
        if (!isCpuFeatureName(tokens[t]))
          return error("unknown CPU feature '" + std::string(tokens[t]) + "'");
        out.cpuFeatures.emplace_back(tokens[t]);
      }
    } else if (directive == "function") {
      if (std::string e = expectOperands(2, "name, symbol"); !e.empty())
        return e;
      if (current)
        return error("'function' inside function '" + current->name +
                     "' (opened on line " + std::to_string(functionLine) +
                     ", missing 'end')");
      if (!haveTarget)
        return error("'function' before 'target'");
      if (!isValidName(tokens[1]))
        return error("invalid function name '" + std::string(tokens[1]) +
                     "' (use [A-Za-z0-9_.-])");
      if (!isValidSymbol(tokens[2]) && !(gpu && tokens[2] == "-"))
        return error("invalid symbol '" + std::string(tokens[2]) +
                     (gpu ? "' (expected '-' or a C identifier)"
                          : "' (expected a C identifier)"));
      for (size_t i = 0; i < out.functions.size(); ++i)
        if (out.functions[i].name == tokens[1])
          return error("duplicate function '" + std::string(tokens[1]) +
                       "' (first on line " + std::to_string(functionLines[i]) +
                       ")");
      out.functions.emplace_back();
      current = &out.functions.back();
      current->name = std::string(tokens[1]);
      current->symbol = std::string(tokens[2]);
      functionLine = lineNo;
      functionLines.push_back(lineNo);
      stage = 0;
      alwaysLine = variantLine = 0;
    } else if (directive == "arg" || directive == "result" ||
               directive == "buffer") {
      int valueStage = directive == "arg" ? 0 : directive == "result" ? 1 : 2;
      if (std::string e = expectOperands(3, "name, dtype, dims"); !e.empty())
        return e;
      if (valueStage == 2) {
        if (std::string e = checkPlanDirective(); !e.empty())
          return e;
      } else if (!current) {
        return error("'" + std::string(directive) + "' outside a function");
      }
      if (std::string e = checkOrder(valueStage); !e.empty())
        return e;
      stage = valueStage;
      std::vector<ValueDesc> &list = valueStage == 0   ? current->args
                                     : valueStage == 1 ? current->results
                                                       : current->buffers;
      ValueDesc value;
      value.name = std::string(tokens[1]);
      if (valueStage == 2) {
        std::string expected = "t" + std::to_string(list.size());
        if (value.name != expected)
          return error("buffers are named t0, t1, ... in order: expected '" +
                       expected + "', got '" + value.name + "'");
      } else if (!isValidName(value.name)) {
        return error("invalid " + std::string(directive) + " name '" +
                     value.name + "' (use [A-Za-z0-9_.-])");
      }
      for (const ValueDesc &prev : list)
        if (prev.name == value.name)
          return error("duplicate " + std::string(directive) + " '" +
                       value.name + "' in function '" + current->name + "'");
      if (gpu)
        if (std::string e = checkUniqueValueName(*current, value.name);
            !e.empty())
          return error(e);
      if (!parseDType(tokens[2], value.dtype))
        return error("unknown dtype '" + std::string(tokens[2]) + "' of '" +
                     value.name + "' (expected one of " + dtypeList() + ")");
      if (std::string e = parseDims(tokens[3], value); !e.empty())
        return error("bad dims '" + std::string(tokens[3]) + "' of '" +
                     value.name + "': " + e);
      if (std::string e = checkExprLine(value, directive, version); !e.empty())
        return error(std::string(directive) + " '" + value.name + "': " + e);
      if (gpu && valueStage > 0)
        if (std::string e = checkAllocatedDims(*current, value); !e.empty())
          return error(std::string(directive) + " '" + value.name + "': " + e);
      list.push_back(std::move(value));
    } else if (directive == "view") {
      if (version < 2)
        return error("'view' needs manifest version 2 (this manifest is "
                     "version " +
                     std::to_string(version) + ")");
      if (std::string e = checkPlanDirective(); !e.empty())
        return e;
      if (std::string e = expectOperands(3, "name, base, dims"); !e.empty())
        return e;
      if (std::string e = checkOrder(3); !e.empty())
        return e;
      stage = 3;
      ViewDesc view;
      if (std::string e = parseViewLine(tokens, *current, view); !e.empty())
        return error(e);
      current->views.push_back(std::move(view));
    } else if (directive == "variant") {
      if (std::string e = checkPlanDirective(); !e.empty())
        return e;
      bool always = operands == 1 && tokens[1] == "always";
      if (alwaysLine && (always || operands >= 3))
        return error("'variant' after the 'variant always' of function '" +
                     current->name + "' (line " + std::to_string(alwaysLine) +
                     "), which would never run");
      Variant variant;
      if (!always) {
        if (std::string e =
                parseVariantLine(tokens, version, *current, variant);
            !e.empty())
          return error(e);
      } else {
        alwaysLine = lineNo;
      }
      stage = 4;
      variantLine = lineNo;
      current->variants.push_back(std::move(variant));
    } else if (directive == "memset" || directive == "launch") {
      if (std::string e = checkPlanDirective(); !e.empty())
        return e;
      if (current->variants.empty())
        return error("'" + std::string(directive) +
                     "' before the first 'variant' of function '" +
                     current->name + "'");
      PlanStep step;
      if (directive == "memset") {
        if (std::string e = expectOperands(1, "result, buffer or view");
            !e.empty())
          return e;
        step.kind = PlanStep::Kind::Memset;
        step.buffer = std::string(tokens[1]);
        if (std::string e = checkMemset(*current, step.buffer); !e.empty())
          return error(e);
      } else {
        step.kind = PlanStep::Kind::Launch;
        if (std::string e = parseLaunch(tokens, version, step.launch);
            !e.empty())
          return error(e);
        std::vector<std::string_view> texts(tokens.begin() + 13, tokens.end());
        if (version < 2)
          if (std::string e =
                  upgradeVersion1TensorMaps(*current, step.launch, texts);
              !e.empty())
            return error(e);
        if (std::string e = checkLaunch(*current, step.launch, texts);
            !e.empty())
          return error(e);
      }
      current->variants.back().steps.push_back(std::move(step));
    } else if (directive == "end") {
      if (std::string e = expectOperands(0, ""); !e.empty())
        return e;
      if (!current)
        return error("'end' outside a function");
      if (gpu && current->variants.empty())
        return error("GPU function '" + current->name +
                     "' has no 'variant' (its plan needs at least 'variant "
                     "always')");
      if (gpu && !alwaysLine)
        return error("the last variant of function '" + current->name +
                     "' (line " + std::to_string(variantLine) +
                     ") is not 'variant always'");
      current = nullptr;
    } else if (directive == "tessera-manifest") {
      return error("'tessera-manifest' must be the first line only");
    } else {
      return error("unknown directive '" + std::string(directive) +
                   "' (expected target, requires, function, arg, result, "
                   "buffer, view, variant, memset, launch or end)");
    }
  }

  if (current)
    return error("function '" + current->name + "' opened on line " +
                 std::to_string(functionLine) + " has no 'end'");
  if (!haveTarget)
    return error("no 'target' line");
  return "";
}

bool tessera::artifact::isCpuFeatureName(std::string_view name) {
  for (std::string_view f : kCpuFeatures)
    if (f == name)
      return true;
  return false;
}

bool tessera::artifact::isGpuTarget(std::string_view target) {
  return tessera::findGpuTarget(target) != nullptr;
}

namespace {
/// A value of a GPU function, for messages: its name, list and index there.
struct NamedValue {
  const std::string *name;
  const char *kind;
  size_t index;
};

/// The args, results, buffers and views of `fn`, in order.
std::vector<NamedValue> listValues(const FunctionDesc &fn) {
  std::vector<NamedValue> values;
  const std::vector<ValueDesc> *lists[3] = {&fn.args, &fn.results, &fn.buffers};
  const char *kinds[3] = {"arg", "result", "buffer"};
  for (int l = 0; l < 3; ++l)
    for (size_t i = 0; i < lists[l]->size(); ++i)
      values.push_back({&(*lists[l])[i].name, kinds[l], i});
  for (size_t i = 0; i < fn.views.size(); ++i)
    values.push_back({&fn.views[i].value.name, "view", i});
  return values;
}

/// Checks that the values of the GPU function `fn` have distinct names.
std::string checkDistinctNames(const FunctionDesc &fn) {
  std::vector<NamedValue> values = listValues(fn);
  for (size_t a = 0; a < values.size(); ++a)
    for (size_t b = a + 1; b < values.size(); ++b)
      if (*values[a].name == *values[b].name)
        return "function '" + fn.name + "': " + values[a].kind + " " +
               std::to_string(values[a].index) + " and " + values[b].kind +
               " " + std::to_string(values[b].index) + " are both named '" +
               *values[a].name +
               "' (the values of a GPU function need distinct names)";
  return "";
}

/// Checks view `i` of `fn`, whose values have distinct names: its value,
/// sizes bound by the arguments, a base that is an argument, result, buffer
/// or earlier view, the base's dtype.
std::string verifyView(const FunctionDesc &fn, size_t i) {
  const ViewDesc &view = fn.views[i];
  const ValueDesc &v = view.value;
  if (std::string e = verifyValue(v, /*allowExprs=*/true); !e.empty())
    return e;
  if (std::string e = checkViewDims(fn, v); !e.empty())
    return e;
  if (view.base == v.name)
    return "a view of itself";
  const char *kind = nullptr;
  const ValueDesc *base = findValue(fn, view.base, kind);
  if (!base)
    return "a view of '" + view.base +
           "', which is no argument, result, buffer or view";
  if (std::string(kind) == "view" && findView(fn, view.base) > &view)
    return "a view of '" + view.base +
           "', a later view (the base of a view comes before it)";
  if (base->dtype != v.dtype)
    return std::string("dtype ") + getDTypeName(v.dtype) + ", but its base '" +
           base->name + "' is " + getDTypeName(base->dtype) +
           " (a view has the dtype of its base)";
  return "";
}

/// The GPU parts of a function of a verified target: buffers, allocated
/// sizes, distinct names, views, the plan.
std::string verifyPlan(const FunctionDesc &fn) {
  std::string function = "function '" + fn.name + "'";
  for (size_t i = 0; i < fn.buffers.size(); ++i) {
    const ValueDesc &b = fn.buffers[i];
    std::string prefix = function + ", buffer " + std::to_string(i) + " ('" +
                         b.name + "'): ";
    std::string expected = "t" + std::to_string(i);
    if (b.name != expected)
      return prefix + "buffers are named t0, t1, ... in order (expected '" +
             expected + "')";
    if (std::string e = verifyValue(b, /*allowExprs=*/true); !e.empty())
      return prefix + e;
  }
  for (int list = 0; list < 2; ++list) {
    const std::vector<ValueDesc> &values = list ? fn.buffers : fn.results;
    for (size_t i = 0; i < values.size(); ++i)
      if (std::string e = checkAllocatedDims(fn, values[i]); !e.empty())
        return function + ", " + (list ? "buffer " : "result ") +
               std::to_string(i) + " ('" + values[i].name + "'): " + e;
  }
  if (std::string e = checkDistinctNames(fn); !e.empty())
    return e;
  for (size_t i = 0; i < fn.views.size(); ++i)
    if (std::string e = verifyView(fn, i); !e.empty())
      return function + ", view " + std::to_string(i) + " ('" +
             fn.views[i].value.name + "'): " + e;

  if (fn.variants.empty())
    return function + ": a GPU function needs a plan (at least 'variant "
                      "always')";
  for (size_t v = 0; v < fn.variants.size(); ++v) {
    const Variant &variant = fn.variants[v];
    std::string prefix = function + ", variant " + std::to_string(v);
    bool last = v + 1 == fn.variants.size();
    if (variant.condition.empty() && !last)
      return prefix + ": 'always' must be the last variant (the ones after "
                      "it would never run)";
    if (!variant.condition.empty() && last)
      return prefix + ": the last variant must be 'always', not '" +
             variant.condition + "'";
    if (!variant.condition.empty())
      if (std::string e = checkCondition(fn, variant.condition); !e.empty())
        return prefix + ": " + e;
    for (size_t s = 0; s < variant.steps.size(); ++s) {
      const PlanStep &step = variant.steps[s];
      std::string e;
      if (step.kind == PlanStep::Kind::Memset)
        e = checkMemset(fn, step.buffer);
      else if (step.kind == PlanStep::Kind::Launch)
        e = checkLaunch(fn, step.launch);
      else
        e = "unknown step kind";
      if (!e.empty())
        return prefix + ", step " + std::to_string(s) + ": " + e;
    }
  }
  return "";
}
} // namespace

std::string tessera::artifact::verifyManifest(const Manifest &manifest) {
  if (!isValidTarget(manifest.target))
    return "unknown target '" + manifest.target + "' (expected " +
           listTargets() + ")";
  bool gpu = isGpuTarget(manifest.target);
  for (const std::string &feature : manifest.cpuFeatures)
    if (!isCpuFeatureName(feature))
      return "unknown CPU feature '" + feature + "'";
  for (size_t f = 0; f < manifest.functions.size(); ++f) {
    const FunctionDesc &fn = manifest.functions[f];
    if (!isValidName(fn.name))
      return "invalid function name '" + fn.name + "' (use [A-Za-z0-9_.-])";
    if (!isValidSymbol(fn.symbol) && !(gpu && fn.symbol == "-"))
      return "function '" + fn.name + "': invalid symbol '" + fn.symbol +
             (gpu ? "' (expected '-' or a C identifier)"
                  : "' (expected a C identifier)");
    for (size_t g = 0; g < f; ++g)
      if (manifest.functions[g].name == fn.name)
        return "duplicate function '" + fn.name + "'";
    for (int list = 0; list < 2; ++list) {
      const std::vector<ValueDesc> &values = list ? fn.results : fn.args;
      const char *kind = list ? "result" : "arg";
      for (size_t i = 0; i < values.size(); ++i) {
        std::string prefix = "function '" + fn.name + "', " + kind + " " +
                             std::to_string(i) + " ('" + values[i].name +
                             "'): ";
        if (std::string e = verifyValue(values[i], /*allowExprs=*/false);
            !e.empty())
          return prefix + e;
        for (size_t j = 0; j < i; ++j)
          if (values[j].name == values[i].name)
            return prefix + "duplicate name";
      }
    }
    if (!gpu) {
      if (!fn.buffers.empty() || !fn.views.empty() || !fn.variants.empty())
        return "function '" + fn.name + "': target " + manifest.target +
               " has no plans, but the function has " +
               plural(fn.buffers.size(), "buffer") + ", " +
               plural(fn.views.size(), "view") + " and " +
               plural(fn.variants.size(), "variant");
      continue;
    }
    if (std::string e = verifyPlan(fn); !e.empty())
      return e;
  }
  return "";
}

std::string tessera::artifact::printManifest(const Manifest &manifest) {
  std::string s = "tessera-manifest " + std::to_string(kManifestVersion) + "\n";
  s += "target " + manifest.target + "\n";
  if (!manifest.cpuFeatures.empty()) {
    s += "requires";
    for (const std::string &feature : manifest.cpuFeatures)
      s += " " + feature;
    s += "\n";
  }
  auto printValue = [&](const char *directive, const ValueDesc &v) {
    s += std::string(directive) + " " + v.name + " " + getDTypeName(v.dtype) +
         " " + printDims(v) + "\n";
  };
  for (const FunctionDesc &fn : manifest.functions) {
    s += "function " + fn.name + " " + fn.symbol + "\n";
    for (const ValueDesc &v : fn.args)
      printValue("arg", v);
    for (const ValueDesc &v : fn.results)
      printValue("result", v);
    for (const ValueDesc &v : fn.buffers)
      printValue("buffer", v);
    for (const ViewDesc &v : fn.views)
      s += "view " + v.value.name + " " + v.base + " " + printDims(v.value) +
           "\n";
    for (const Variant &variant : fn.variants) {
      s += "variant " +
           (variant.condition.empty() ? std::string("always")
                                      : variant.condition) +
           "\n";
      for (const PlanStep &step : variant.steps) {
        if (step.kind == PlanStep::Kind::Memset) {
          s += "memset " + step.buffer + "\n";
          continue;
        }
        const LaunchStep &l = step.launch;
        s += "launch " + l.kernel + " grid " + l.grid[0] + " " + l.grid[1] +
             " " + l.grid[2] + " block " + std::to_string(l.block[0]) + " " +
             std::to_string(l.block[1]) + " " + std::to_string(l.block[2]) +
             " smem " + std::to_string(l.sharedMemoryBytes) + " params";
        for (const KernelParam &p : l.params)
          s += " " + printKernelParam(p);
        s += "\n";
      }
    }
    s += "end\n";
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Plan expressions
//===----------------------------------------------------------------------===//

namespace {
/// How deep parentheses and calls may nest.
constexpr int kMaxExpressionDepth = 32;

/// Recursive descent over `sum := product ('+' product)*`, `product := atom
/// ('*' atom)*`, `atom := number | sN | (cdiv|min|max) '(' sum ',' sum ')' |
/// '(' sum ')'`, emitting postfix nodes.
class ExpressionParser {
public:
  ExpressionParser(std::string_view text, Expression &out)
      : text(text), out(out) {}

  std::string parse() {
    if (text.empty())
      return "empty expression";
    if (!parseSum(0))
      return error;
    if (pos != text.size()) {
      fail("'+', '*' or the end");
      return error;
    }
    return "";
  }

private:
  std::string_view text;
  Expression &out;
  size_t pos = 0;
  std::string error;

  std::string quoted() const { return "'" + std::string(text) + "'"; }

  bool fail(const std::string &expected) {
    if (pos < text.size())
      error = "unexpected '" + std::string(1, text[pos]) + "' at column " +
              std::to_string(pos + 1) + " of " + quoted();
    else
      error = quoted() + " ends early";
    error += " (expected " + expected + ")";
    return false;
  }

  bool expect(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return fail(std::string("'") + c + "'");
  }

  bool parseSum(int depth) {
    if (!parseProduct(depth))
      return false;
    while (pos < text.size() && text[pos] == '+') {
      ++pos;
      if (!parseProduct(depth))
        return false;
      out.nodes.push_back({Expression::Op::Add, 0});
    }
    return true;
  }

  bool parseProduct(int depth) {
    if (!parseAtom(depth))
      return false;
    while (pos < text.size() && text[pos] == '*') {
      ++pos;
      if (!parseAtom(depth))
        return false;
      out.nodes.push_back({Expression::Op::Mul, 0});
    }
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }
  static bool isLetter(char c) { return c >= 'a' && c <= 'z'; }

  /// Reads the digits at `pos` as a number; fails on overflow.
  bool parseDigits(size_t start, int64_t &value) {
    size_t end = pos;
    while (end < text.size() && isDigit(text[end]))
      ++end;
    std::string_view digits = text.substr(pos, end - pos);
    if (!parseNumber(digits, value)) {
      error = "number '" + std::string(text.substr(start, end - start)) +
              "' at column " + std::to_string(start + 1) + " of " + quoted() +
              " does not fit in 64 bits";
      return false;
    }
    pos = end;
    return true;
  }

  bool parseAtom(int depth) {
    if (depth > kMaxExpressionDepth) {
      error = quoted() + " nests deeper than " +
              std::to_string(kMaxExpressionDepth) + " levels";
      return false;
    }
    const char *expected =
        "a number, a symbol sN, cdiv(, div(, min(, max( or '('";
    if (pos >= text.size())
      return fail(expected);
    char c = text[pos];
    size_t start = pos;
    if (isDigit(c)) {
      int64_t value;
      if (!parseDigits(start, value))
        return false;
      out.nodes.push_back({Expression::Op::Constant, value});
      return true;
    }
    if (c == '(') {
      ++pos;
      return parseSum(depth + 1) && expect(')');
    }
    if (!isLetter(c))
      return fail(expected);
    if (c == 's' && pos + 1 < text.size() && isDigit(text[pos + 1])) {
      ++pos;
      int64_t symbol;
      if (!parseDigits(start, symbol))
        return false;
      if (pos < text.size() && (isLetter(text[pos]) || text[pos] == '_'))
        return fail("'+', '*', ',', ')' or the end after a symbol");
      out.nodes.push_back({Expression::Op::Symbol, symbol});
      return true;
    }
    size_t end = pos;
    while (end < text.size() &&
           (isLetter(text[end]) || isDigit(text[end]) || text[end] == '_'))
      ++end;
    std::string_view word = text.substr(pos, end - pos);
    Expression::Op op;
    if (word == "cdiv")
      op = Expression::Op::CeilDiv;
    else if (word == "div")
      op = Expression::Op::FloorDiv;
    else if (word == "min")
      op = Expression::Op::Min;
    else if (word == "max")
      op = Expression::Op::Max;
    else {
      error = "unknown name '" + std::string(word) + "' at column " +
              std::to_string(start + 1) + " of " + quoted() +
              " (expected a symbol sN, cdiv, div, min or max)";
      return false;
    }
    pos = end;
    if (!expect('(') || !parseSum(depth + 1) || !expect(',') ||
        !parseSum(depth + 1) || !expect(')'))
      return false;
    out.nodes.push_back({op, 0});
    return true;
  }
};

std::string symbolValuesString(const Expression &expr,
                               const std::vector<SymbolValue> &symbols) {
  std::string s;
  for (int64_t symbol : expr.symbols())
    for (const SymbolValue &v : symbols)
      if (v.symbol == symbol) {
        s += (s.empty() ? " (with s" : ", s") + std::to_string(symbol) + "=" +
             std::to_string(v.value);
        break;
      }
  return s.empty() ? s : s + ")";
}
} // namespace

std::vector<int64_t> tessera::artifact::Expression::symbols() const {
  std::vector<int64_t> result;
  for (const Node &n : nodes)
    if (n.op == Op::Symbol &&
        std::find(result.begin(), result.end(), n.value) == result.end())
      result.push_back(n.value);
  return result;
}

std::string tessera::artifact::parseExpression(std::string_view text,
                                               Expression &out) {
  out = Expression();
  out.text = std::string(text);
  std::string error = ExpressionParser(text, out).parse();
  if (!error.empty())
    out.nodes.clear();
  return error;
}

std::string
tessera::artifact::evaluateExpression(const Expression &expr,
                                      const std::vector<SymbolValue> &symbols,
                                      int64_t &value) {
  std::vector<int64_t> stack;
  stack.reserve(expr.nodes.size());
  auto overflow = [&] {
    return "'" + expr.text + "' overflows 64-bit integers" +
           symbolValuesString(expr, symbols);
  };
  for (const Expression::Node &n : expr.nodes) {
    switch (n.op) {
    case Expression::Op::Constant:
      stack.push_back(n.value);
      continue;
    case Expression::Op::Symbol: {
      const SymbolValue *bound = nullptr;
      for (const SymbolValue &v : symbols)
        if (v.symbol == n.value) {
          bound = &v;
          break;
        }
      if (!bound)
        return "symbol s" + std::to_string(n.value) + " of '" + expr.text +
               "' is not bound";
      stack.push_back(bound->value);
      continue;
    }
    default:
      break;
    }
    if (stack.size() < 2)
      return "malformed expression '" + expr.text + "'";
    int64_t b = stack.back();
    stack.pop_back();
    int64_t a = stack.back();
    int64_t &r = stack.back();
    switch (n.op) {
    case Expression::Op::Add:
      if (__builtin_add_overflow(a, b, &r))
        return overflow();
      break;
    case Expression::Op::Mul:
      if (__builtin_mul_overflow(a, b, &r))
        return overflow();
      break;
    case Expression::Op::CeilDiv:
    case Expression::Op::FloorDiv: {
      if (b == 0)
        return "'" + expr.text + "' divides by zero" +
               symbolValuesString(expr, symbols);
      if (a == std::numeric_limits<int64_t>::min() && b == -1)
        return overflow();
      int64_t q = a / b;
      bool ceil = n.op == Expression::Op::CeilDiv;
      if (a % b != 0 && ((a < 0) == (b < 0)) == ceil)
        q += ceil ? 1 : -1;
      r = q;
      break;
    }
    case Expression::Op::Min:
      r = std::min(a, b);
      break;
    case Expression::Op::Max:
      r = std::max(a, b);
      break;
    default:
      return "malformed expression '" + expr.text + "'";
    }
  }
  if (stack.size() != 1)
    return "malformed expression '" + expr.text + "'";
  value = stack.back();
  return "";
}

std::string
tessera::artifact::evaluateExpression(std::string_view text,
                                      const std::vector<SymbolValue> &symbols,
                                      int64_t &value) {
  Expression expr;
  if (std::string error = parseExpression(text, expr); !error.empty())
    return error;
  return evaluateExpression(expr, symbols, value);
}

namespace {
/// Parses `<expr> <op> <expr>` from three tokens; `quoted` is the whole
/// condition, for messages.
std::string parseComparison(std::string_view lhs, std::string_view op,
                            std::string_view rhs, const std::string &quoted,
                            Comparison &out) {
  if (op == "<=")
    out.op = Comparison::Op::LE;
  else if (op == "<")
    out.op = Comparison::Op::LT;
  else if (op == ">=")
    out.op = Comparison::Op::GE;
  else if (op == ">")
    out.op = Comparison::Op::GT;
  else if (op == "==")
    out.op = Comparison::Op::EQ;
  else
    return "condition " + quoted + ": unknown comparison '" + std::string(op) +
           "' (expected <=, <, >=, > or ==)";
  if (std::string e = parseExpression(lhs, out.lhs); !e.empty())
    return "condition " + quoted + ": " + e;
  if (std::string e = parseExpression(rhs, out.rhs); !e.empty())
    return "condition " + quoted + ": " + e;
  return "";
}

bool compare(int64_t a, Comparison::Op op, int64_t b) {
  switch (op) {
  case Comparison::Op::LE:
    return a <= b;
  case Comparison::Op::LT:
    return a < b;
  case Comparison::Op::GE:
    return a >= b;
  case Comparison::Op::GT:
    return a > b;
  case Comparison::Op::EQ:
    return a == b;
  }
  return false;
}
} // namespace

std::string tessera::artifact::parseCondition(std::string_view text,
                                              Condition &out) {
  out = Condition();
  std::string quoted = "'" + std::string(text) + "'";
  bool ok;
  std::vector<std::string_view> parts = splitTokens(text, ok);
  if (!ok || parts.size() < 3)
    return "condition " + quoted +
           " is not '<expr> <op> <expr>' with single spaces";
  // parts: a comparison, then `and` and a comparison, and so on.
  for (size_t at = 0;; ++at) {
    if (parts.size() < at + 3)
      return "condition " + quoted +
             " ends early (expected '<expr> <op> <expr>' after 'and')";
    Comparison term;
    if (std::string e = parseComparison(parts[at], parts[at + 1], parts[at + 2],
                                        quoted, term);
        !e.empty())
      return e;
    out.terms.push_back(std::move(term));
    at += 3;
    if (at == parts.size())
      return "";
    if (parts[at] != "and")
      return "condition " + quoted + ": expected 'and' after '" +
             std::string(parts[at - 3]) + " " + std::string(parts[at - 2]) +
             " " + std::string(parts[at - 1]) + "', got '" +
             std::string(parts[at]) + "'";
  }
}

std::string
tessera::artifact::evaluateCondition(const Condition &condition,
                                     const std::vector<SymbolValue> &symbols,
                                     bool &holds) {
  for (const Comparison &term : condition.terms) {
    int64_t a, b;
    if (std::string e = evaluateExpression(term.lhs, symbols, a); !e.empty())
      return e;
    if (std::string e = evaluateExpression(term.rhs, symbols, b); !e.empty())
      return e;
    if (!compare(a, term.op, b)) {
      holds = false;
      return "";
    }
  }
  holds = true;
  return "";
}
