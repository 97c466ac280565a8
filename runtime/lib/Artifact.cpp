//===- Artifact.cpp - Reading and writing .tsm artifacts --------*- C++ -*-===//
//
// The container of docs/artifact-format.md (header, section table, FNV-1a
// checksums) and its text manifest. No exception, no assertion: malformed
// input is an error message.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"

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
  return t == "cpu" || t == "sm_90a" || t == "sm_80";
}

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

/// Parses the dims of a value; returns "" or what is wrong.
std::string parseDims(std::string_view text, ValueDesc &value) {
  value.dims.clear();
  value.symbols.clear();
  if (text == "scalar")
    return "";
  size_t start = 0;
  while (true) {
    size_t end = text.find('x', start);
    std::string_view size = text.substr(start, end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : end - start);
    if (value.dims.size() == kMaxRank)
      return "rank exceeds the limit of " + std::to_string(kMaxRank);
    int64_t n;
    if (size == "?") {
      value.dims.push_back(-1);
      value.symbols.push_back(-1);
    } else if (!size.empty() && size[0] == 's' &&
               parseNumber(size.substr(1), n)) {
      value.dims.push_back(-1);
      value.symbols.push_back(n);
    } else if (parseNumber(size, n)) {
      value.dims.push_back(n);
      value.symbols.push_back(-1);
    } else {
      return "size " + std::to_string(value.dims.size()) + " is '" +
             std::string(size) +
             "' (expected a number, '?' or 's<N>'; dims are 'x'-separated "
             "sizes or 'scalar')";
    }
    if (end == std::string_view::npos)
      return "";
    start = end + 1;
  }
}

/// Checks one value built in memory; returns "" or what is wrong.
std::string verifyValue(const ValueDesc &v) {
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
  return "";
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

std::string tessera::artifact::parseManifest(std::string_view text,
                                             Manifest &out) {
  out = Manifest();
  size_t lineNo = 0;
  auto error = [&](const std::string &what) {
    return "manifest line " + std::to_string(lineNo) + ": " + what;
  };
  bool haveTarget = false;
  size_t targetLine = 0;
  FunctionDesc *current = nullptr;
  size_t functionLine = 0;
  std::vector<size_t> functionLines;

  size_t pos = 0;
  while (pos < text.size() || lineNo == 0) {
    size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos
                                                       : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++lineNo;

    if (lineNo == 1) {
      if (line.substr(0, 17) == "tessera-manifest ") {
        int64_t version;
        if (!parseNumber(line.substr(17), version))
          return error("expected 'tessera-manifest 1', got '" +
                       std::string(line) + "'");
        if (version != kManifestVersion)
          return error("unsupported manifest version " +
                       std::to_string(version) +
                       " (this runtime reads version " +
                       std::to_string(kManifestVersion) + ")");
        continue;
      }
      if (line.empty() && text.empty())
        return error("empty manifest (expected 'tessera-manifest 1')");
      return error("expected 'tessera-manifest 1', got '" + std::string(line) +
                   "'");
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

    if (directive == "target") {
      if (std::string e = expectOperands(1, "cpu, sm_90a or sm_80"); !e.empty())
        return e;
      if (haveTarget)
        return error("second 'target' (the first is on line " +
                     std::to_string(targetLine) + ")");
      if (current || !out.functions.empty())
        return error("'target' must come before the first function");
      if (!isValidTarget(tokens[1]))
        return error("unknown target '" + std::string(tokens[1]) +
                     "' (expected cpu, sm_90a or sm_80)");
      out.target = std::string(tokens[1]);
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
      if (!isValidSymbol(tokens[2]))
        return error("invalid symbol '" + std::string(tokens[2]) +
                     "' (expected a C identifier)");
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
    } else if (directive == "arg" || directive == "result") {
      bool isArg = directive == "arg";
      if (std::string e = expectOperands(3, "name, dtype, dims"); !e.empty())
        return e;
      if (!current)
        return error("'" + std::string(directive) + "' outside a function");
      if (isArg && !current->results.empty())
        return error("'arg' after a 'result' in function '" + current->name +
                     "' (arguments come first)");
      std::vector<ValueDesc> &list = isArg ? current->args : current->results;
      ValueDesc value;
      value.name = std::string(tokens[1]);
      if (!isValidName(value.name))
        return error("invalid " + std::string(directive) + " name '" +
                     value.name + "' (use [A-Za-z0-9_.-])");
      for (const ValueDesc &prev : list)
        if (prev.name == value.name)
          return error("duplicate " + std::string(directive) + " '" +
                       value.name + "' in function '" + current->name + "'");
      if (!parseDType(tokens[2], value.dtype))
        return error("unknown dtype '" + std::string(tokens[2]) + "' of '" +
                     value.name + "' (expected one of " + dtypeList() + ")");
      if (std::string e = parseDims(tokens[3], value); !e.empty())
        return error("bad dims '" + std::string(tokens[3]) + "' of '" +
                     value.name + "': " + e);
      list.push_back(std::move(value));
    } else if (directive == "end") {
      if (std::string e = expectOperands(0, ""); !e.empty())
        return e;
      if (!current)
        return error("'end' outside a function");
      current = nullptr;
    } else if (directive == "tessera-manifest") {
      return error("'tessera-manifest' must be the first line only");
    } else {
      return error("unknown directive '" + std::string(directive) +
                   "' (expected target, function, arg, result or end)");
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

std::string tessera::artifact::verifyManifest(const Manifest &manifest) {
  if (!isValidTarget(manifest.target))
    return "unknown target '" + manifest.target +
           "' (expected cpu, sm_90a or sm_80)";
  for (const std::string &feature : manifest.cpuFeatures)
    if (!isCpuFeatureName(feature))
      return "unknown CPU feature '" + feature + "'";
  for (size_t f = 0; f < manifest.functions.size(); ++f) {
    const FunctionDesc &fn = manifest.functions[f];
    if (!isValidName(fn.name))
      return "invalid function name '" + fn.name + "' (use [A-Za-z0-9_.-])";
    if (!isValidSymbol(fn.symbol))
      return "function '" + fn.name + "': invalid symbol '" + fn.symbol +
             "' (expected a C identifier)";
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
        if (std::string e = verifyValue(values[i]); !e.empty())
          return prefix + e;
        for (size_t j = 0; j < i; ++j)
          if (values[j].name == values[i].name)
            return prefix + "duplicate name";
      }
    }
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
  for (const FunctionDesc &fn : manifest.functions) {
    s += "function " + fn.name + " " + fn.symbol + "\n";
    for (const ValueDesc &v : fn.args)
      s += "arg " + v.name + " " + getDTypeName(v.dtype) + " " + printDims(v) +
           "\n";
    for (const ValueDesc &v : fn.results)
      s += "result " + v.name + " " + getDTypeName(v.dtype) + " " +
           printDims(v) + "\n";
    s += "end\n";
  }
  return s;
}
