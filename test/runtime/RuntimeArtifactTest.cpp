//===- RuntimeArtifactTest.cpp - The .tsm container and manifest ----------===//
//
// Unit tests of runtime/lib/Artifact.h: FNV-1a, writer, reader (every way a
// file can be malformed) and the manifest parser and printer.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace tessera::artifact;

namespace {
std::vector<uint8_t> bytesOf(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

void putU32(std::vector<uint8_t> &f, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void putU64(std::vector<uint8_t> &f, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t getU64(const std::vector<uint8_t> &f, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(f[at + i]) << (8 * i);
  return v;
}

/// Recomputes the table and header checksums after a test edited them.
void reseal(std::vector<uint8_t> &f) {
  uint32_t n = f[12] | f[13] << 8 | f[14] << 16 | uint32_t(f[15]) << 24;
  size_t tableBytes = std::min<size_t>(32 * n, f.size() - 40);
  putU64(f, 24, fnv1a64(f.data() + 40, tableBytes));
  putU64(f, 32, fnv1a64(f.data(), 32));
}

/// Reads `f`, expecting failure of `kind` with `message` in the text.
void expectError(const std::vector<uint8_t> &f, ReadError kind,
                 const std::string &message) {
  ArtifactView view;
  std::string text;
  EXPECT_EQ(readArtifact(f.data(), f.size(), view, text), kind) << text;
  EXPECT_NE(text.find(message), std::string::npos)
      << "message: " << text << "\nexpected to contain: " << message;
  EXPECT_TRUE(view.sections.empty());
}

std::vector<uint8_t> sampleFile() {
  return writeArtifact({{SectionKind::Manifest, bytesOf("hello manifest")},
                        {SectionKind::CpuObject, bytesOf("0123456789")}});
}
} // namespace

TEST(Fnv1a64, KnownValues) {
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
}

TEST(ArtifactWriter, LayoutFollowsTheSpec) {
  std::vector<uint8_t> f = sampleFile();
  ASSERT_EQ(f.size(), 40u + 2 * 32 + 14 + 10);
  EXPECT_EQ(std::memcmp(f.data(), "TESSERA\0", 8), 0);
  EXPECT_EQ(f[8], 1);
  EXPECT_EQ(f[12], 2);
  EXPECT_EQ(getU64(f, 16), f.size());
  EXPECT_EQ(getU64(f, 24), fnv1a64(f.data() + 40, 64));
  EXPECT_EQ(getU64(f, 32), fnv1a64(f.data(), 32));
  // First entry: manifest at 104, 14 bytes.
  EXPECT_EQ(f[40], 1);
  EXPECT_EQ(getU64(f, 48), 104u);
  EXPECT_EQ(getU64(f, 56), 14u);
  EXPECT_EQ(getU64(f, 64), fnv1a64("hello manifest", 14));
  // Second entry: cpu-object right after it.
  EXPECT_EQ(f[72], 2);
  EXPECT_EQ(getU64(f, 80), 118u);
  EXPECT_EQ(getU64(f, 88), 10u);
  EXPECT_EQ(std::string(f.begin() + 118, f.end()), "0123456789");
}

TEST(ArtifactWriter, RejectsInvalidSectionLists) {
  EXPECT_TRUE(
      writeArtifact({{SectionKind::Manifest, {}}, {SectionKind::Manifest, {}}})
          .empty());
  EXPECT_TRUE(writeArtifact({{static_cast<SectionKind>(9), {1}}}).empty());
  std::vector<Section> many(65, {SectionKind::Ptx, {}});
  EXPECT_TRUE(writeArtifact(many).empty());
  // No section at all is a valid (useless) file.
  EXPECT_EQ(writeArtifact({}).size(), 40u);
}

TEST(ArtifactReader, RoundTrip) {
  std::vector<uint8_t> f =
      writeArtifact({{SectionKind::CpuObject, bytesOf("obj")},
                     {SectionKind::Ptx, {}},
                     {SectionKind::Manifest, bytesOf("text")}});
  ArtifactView view;
  std::string message = "stale";
  ASSERT_EQ(readArtifact(f.data(), f.size(), view, message), ReadError::None)
      << message;
  EXPECT_EQ(message, "");
  ASSERT_EQ(view.sections.size(), 3u);
  EXPECT_EQ(view.sections[0].kind, SectionKind::CpuObject);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(view.sections[0].data),
                        view.sections[0].size),
            "obj");
  EXPECT_EQ(view.sections[1].size, 0u);
  const SectionView *manifest = view.find(SectionKind::Manifest);
  ASSERT_NE(manifest, nullptr);
  EXPECT_EQ(manifest->offset, 40u + 3 * 32 + 3);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(manifest->data),
                        manifest->size),
            "text");
  EXPECT_EQ(view.find(SectionKind::Cubin), nullptr);
}

TEST(ArtifactReader, EmptyAndNotAnArtifact) {
  expectError({}, ReadError::Corrupt, "artifact truncated: the file is empty");
  expectError(bytesOf("\x7f"
                      "ELF\2\1\1\0 and more bytes than a header holds"),
              ReadError::NotAnArtifact, "not a Tessera artifact");
  // A prefix of the magic is a truncated artifact, not a foreign file.
  expectError(bytesOf("TESS"), ReadError::Corrupt,
              "the 40-byte header ends at byte 40 of a 4-byte file");
  expectError(bytesOf("TESSX"), ReadError::NotAnArtifact,
              "not a Tessera artifact");
}

TEST(ArtifactReader, EveryTruncationIsAnError) {
  std::vector<uint8_t> f = sampleFile();
  for (size_t len = 0; len < f.size(); ++len) {
    std::vector<uint8_t> cut(f.begin(), f.begin() + len);
    ArtifactView view;
    std::string message;
    EXPECT_EQ(readArtifact(cut.data(), cut.size(), view, message),
              ReadError::Corrupt)
        << "length " << len;
    EXPECT_NE(message.find("truncated"), std::string::npos)
        << "length " << len << ": " << message;
  }
  std::vector<uint8_t> cut(f.begin(), f.end() - 1);
  expectError(cut, ReadError::Corrupt,
              "artifact truncated: section 'cpu-object' ends at byte 128 of "
              "a 127-byte file");
  cut.assign(f.begin(), f.begin() + 50);
  expectError(cut, ReadError::Corrupt,
              "artifact truncated: the section table ends at byte 104 of a "
              "50-byte file");
}

TEST(ArtifactReader, EveryFlippedByteIsDetected) {
  std::vector<uint8_t> f = sampleFile();
  for (size_t i = 0; i < f.size(); ++i) {
    std::vector<uint8_t> g = f;
    g[i] ^= 0x10;
    std::string expected = i < 8     ? "not a Tessera artifact"
                           : i < 40  ? "checksum mismatch in the header"
                           : i < 104 ? "checksum mismatch in the section table"
                           : i < 118 ? "checksum mismatch in section 'manifest'"
                                     : "checksum mismatch in section "
                                       "'cpu-object'";
    SCOPED_TRACE("byte " + std::to_string(i));
    expectError(g, i < 8 ? ReadError::NotAnArtifact : ReadError::Corrupt,
                expected);
  }
}

TEST(ArtifactReader, UnsupportedVersion) {
  std::vector<uint8_t> f = sampleFile();
  putU32(f, 8, 7);
  reseal(f);
  expectError(f, ReadError::UnsupportedVersion,
              "unsupported artifact format version 7 (this runtime reads "
              "version 1)");
  // Without a valid header checksum it is corruption, and says so.
  f[32] ^= 1;
  expectError(f, ReadError::Corrupt,
              "checksum mismatch in the header (its version field reads 7; "
              "this runtime reads version 1)");
}

TEST(ArtifactReader, TooManySections) {
  std::vector<uint8_t> f = sampleFile();
  putU32(f, 12, 65);
  reseal(f);
  expectError(f, ReadError::Corrupt, "artifact has 65 sections (at most 64)");
}

TEST(ArtifactReader, RecordedSizeMustMatch) {
  std::vector<uint8_t> f = sampleFile();
  putU64(f, 16, f.size() + 1);
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "artifact truncated: the header records a 129-byte file, got "
              "128 bytes");
  f = sampleFile();
  f.push_back(0);
  expectError(f, ReadError::Corrupt,
              "artifact has trailing bytes: the header records a 128-byte "
              "file, got 129 bytes");
}

TEST(ArtifactReader, BadTableEntries) {
  // Entry fields: kind at 40, flags at 44, offset at 48, size at 56; the
  // second entry starts at 72.
  std::vector<uint8_t> f = sampleFile();
  putU32(f, 72, 1);
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "section 'manifest' appears twice (sections 0 and 1)");

  f = sampleFile();
  putU32(f, 72, 9);
  reseal(f);
  expectError(f, ReadError::Corrupt, "section 1 has unknown kind 9");

  f = sampleFile();
  putU32(f, 44, 1);
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "section 0 ('manifest') has flags 0x1 (version 1 defines none)");

  f = sampleFile();
  putU64(f, 80, 110); // cpu-object now starts inside the manifest
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "section 'manifest' (bytes 104 to 118) overlaps section "
              "'cpu-object' (bytes 110 to 120)");

  f = sampleFile();
  putU64(f, 48, 60); // manifest inside the section table
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "section 0 ('manifest') at byte 60 overlaps the header and "
              "section table (bytes 0 to 104)");

  f = sampleFile();
  putU64(f, 80, ~uint64_t(0) - 4);
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "artifact truncated: section 'cpu-object' ends at byte (offset "
              "18446744073709551611 + size 10 overflows) of a 128-byte file");

  f = sampleFile();
  putU64(f, 88, 1u << 20);
  reseal(f);
  expectError(f, ReadError::Corrupt,
              "artifact truncated: section 'cpu-object' ends at byte 1048694 "
              "of a 128-byte file");
}

TEST(ArtifactReader, GapsAndEmptySectionsAreAllowed) {
  std::vector<uint8_t> f = sampleFile();
  // Move the cpu-object 2 bytes later over 2 new bytes: a gap of 2.
  f.insert(f.begin() + 118, {0xaa, 0xbb});
  putU64(f, 80, 120);
  putU64(f, 16, f.size());
  reseal(f);
  ArtifactView view;
  std::string message;
  ASSERT_EQ(readArtifact(f.data(), f.size(), view, message), ReadError::None)
      << message;
  EXPECT_EQ(view.sections[1].offset, 120u);
  // An empty section may lie anywhere, even at offset 0.
  f = writeArtifact({{SectionKind::Ptx, {}}});
  putU64(f, 48, 0);
  reseal(f);
  EXPECT_EQ(readArtifact(f.data(), f.size(), view, message), ReadError::None)
      << message;
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

namespace {
const char *const kSpecExample = "tessera-manifest 1\n"
                                 "target cpu\n"
                                 "function decoder_block "
                                 "tessera_packed_decoder_block\n"
                                 "arg x f32 s0x256\n"
                                 "arg norm1 f32 256\n"
                                 "result out0 f32 s0x256\n"
                                 "end\n";

std::string parseError(const std::string &text) {
  Manifest m;
  return parseManifest(text, m);
}
} // namespace

TEST(Manifest, ParsesTheSpecExample) {
  Manifest m;
  ASSERT_EQ(parseManifest(kSpecExample, m), "");
  EXPECT_EQ(m.target, "cpu");
  ASSERT_EQ(m.functions.size(), 1u);
  const FunctionDesc &f = m.functions[0];
  EXPECT_EQ(f.name, "decoder_block");
  EXPECT_EQ(f.symbol, "tessera_packed_decoder_block");
  ASSERT_EQ(f.args.size(), 2u);
  ASSERT_EQ(f.results.size(), 1u);
  EXPECT_EQ(f.args[0].name, "x");
  EXPECT_EQ(f.args[0].dtype, DType::F32);
  EXPECT_EQ(f.args[0].dims, (std::vector<int64_t>{-1, 256}));
  EXPECT_EQ(f.args[0].symbols, (std::vector<int64_t>{0, -1}));
  EXPECT_EQ(f.args[1].dims, (std::vector<int64_t>{256}));
  EXPECT_EQ(f.args[1].symbols, (std::vector<int64_t>{-1}));
  EXPECT_EQ(f.results[0].name, "out0");
  EXPECT_EQ(f.results[0].symbols, (std::vector<int64_t>{0, -1}));
}

TEST(Manifest, AllDTypesDimsCommentsAndBlankLines) {
  std::string text = "tessera-manifest 1\n"
                     "# a comment\n"
                     "\n"
                     "target sm_90a\n"
                     "function f f_sym\n"
                     "arg a f16 ?x0\n"
                     "arg b bf16 scalar\n"
                     "arg c f64 s12xs3x?\n"
                     "arg d i8 1\n"
                     "arg e i32 2\n"
                     "arg g i64 3\n"
                     "arg h f8e4m3fn 4\n"
                     "result k f8e5m2 s3\n"
                     "end\n"
                     "function empty empty_sym\n"
                     "end"; // no final newline
  Manifest m;
  ASSERT_EQ(parseManifest(text, m), "");
  EXPECT_EQ(m.target, "sm_90a");
  ASSERT_EQ(m.functions.size(), 2u);
  const FunctionDesc &f = m.functions[0];
  ASSERT_EQ(f.args.size(), 7u);
  EXPECT_EQ(f.args[0].dtype, DType::F16);
  EXPECT_EQ(f.args[0].dims, (std::vector<int64_t>{-1, 0}));
  EXPECT_EQ(f.args[1].dtype, DType::BF16);
  EXPECT_TRUE(f.args[1].dims.empty());
  EXPECT_EQ(f.args[2].dtype, DType::F64);
  EXPECT_EQ(f.args[2].dims, (std::vector<int64_t>{-1, -1, -1}));
  EXPECT_EQ(f.args[2].symbols, (std::vector<int64_t>{12, 3, -1}));
  EXPECT_EQ(f.args[3].dtype, DType::I8);
  EXPECT_EQ(f.args[4].dtype, DType::I32);
  EXPECT_EQ(f.args[5].dtype, DType::I64);
  EXPECT_EQ(f.args[6].dtype, DType::F8E4M3FN);
  EXPECT_EQ(f.results[0].dtype, DType::F8E5M2);
  EXPECT_TRUE(m.functions[1].args.empty());
  EXPECT_TRUE(m.functions[1].results.empty());
}

TEST(Manifest, PrintRoundTrips) {
  Manifest m;
  ASSERT_EQ(parseManifest(kSpecExample, m), "");
  EXPECT_EQ(printManifest(m), kSpecExample);

  Manifest built;
  built.target = "cpu";
  FunctionDesc f;
  f.name = "attn";
  f.symbol = "tessera_packed_attn";
  f.args.push_back({"q", DType::BF16, {-1, -1, 64}, {0, -1, -1}});
  f.args.push_back({"scale", DType::F32, {}, {}});
  f.results.push_back({"o", DType::BF16, {-1, 7, 64}, {0, -1, -1}});
  built.functions.push_back(f);
  ASSERT_EQ(verifyManifest(built), "");
  std::string text = printManifest(built);
  EXPECT_EQ(text, "tessera-manifest 1\n"
                  "target cpu\n"
                  "function attn tessera_packed_attn\n"
                  "arg q bf16 s0x?x64\n"
                  "arg scale f32 scalar\n"
                  "result o bf16 s0x7x64\n"
                  "end\n");
  Manifest back;
  ASSERT_EQ(parseManifest(text, back), "");
  EXPECT_EQ(printManifest(back), text);
  EXPECT_EQ(back.functions[0].args[0].symbols, f.args[0].symbols);
}

TEST(Manifest, SyntaxErrorsNameTheLine) {
  const std::string head = "tessera-manifest 1\ntarget cpu\n";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "manifest line 1: empty manifest (expected 'tessera-manifest 1')"},
      {"tessera-manifest 2\ntarget cpu\n",
       "manifest line 1: unsupported manifest version 2 (this runtime reads "
       "version 1)"},
      {"target cpu\n", "manifest line 1: expected 'tessera-manifest 1', got "
                       "'target cpu'"},
      {"tessera-manifest 1\r\ntarget cpu\n",
       "manifest line 1: expected 'tessera-manifest 1'"},
      {"tessera-manifest 1\n", "manifest line 1: no 'target' line"},
      {"tessera-manifest 1\ntarget tpu\n",
       "manifest line 2: unknown target 'tpu' (expected cpu, sm_90a or "
       "sm_80)"},
      {head + "target cpu\n",
       "manifest line 3: second 'target' (the first is on line 2)"},
      {"tessera-manifest 1\nfunction f g\nend\n",
       "manifest line 2: 'function' before 'target'"},
      {head + "function f\n",
       "manifest line 3: 'function' expects 2 operands (name, symbol), got 1"},
      {head + "function f g\narg x f32 4\n",
       "manifest line 4: function 'f' opened on line 3 has no 'end'"},
      {head + "function f g\nfunction h i\n",
       "manifest line 4: 'function' inside function 'f' (opened on line 3, "
       "missing 'end')"},
      {head + "end\n", "manifest line 3: 'end' outside a function"},
      {head + "function f g\nend now\n",
       "manifest line 4: 'end' expects 0 operands, got 1"},
      {head + "arg x f32 4\n", "manifest line 3: 'arg' outside a function"},
      {head + "function f g\nresult y f32 4\narg x f32 4\nend\n",
       "manifest line 5: 'arg' after a 'result' in function 'f' (arguments "
       "come first)"},
      {head + "function f g\narg x f32\nend\n",
       "manifest line 4: 'arg' expects 3 operands (name, dtype, dims), got 2"},
      {head + "function f g\narg x f128 4\nend\n",
       "manifest line 4: unknown dtype 'f128' of 'x' (expected one of f32 f16 "
       "bf16 f64 i8 i32 i64 f8e4m3fn f8e5m2)"},
      {head + "function f g\narg x f32 4xx4\nend\n",
       "manifest line 4: bad dims '4xx4' of 'x': size 1 is ''"},
      {head + "function f g\narg x f32 -4\nend\n",
       "manifest line 4: bad dims '-4' of 'x': size 0 is '-4'"},
      {head + "function f g\narg x f32 sx4\nend\n",
       "manifest line 4: bad dims 'sx4' of 'x': size 0 is 's'"},
      {head + "function f g\narg x f32 99999999999999999999\nend\n",
       "manifest line 4: bad dims '99999999999999999999' of 'x': size 0 is"},
      {head + "function f g\narg x f32 1x2x3x4x5x6x7x8x9x10x11x12x13x14x15x16x"
              "17\nend\n",
       "manifest line 4: bad dims '1x2x3x4x5x6x7x8x9x10x11x12x13x14x15x16x17' "
       "of 'x': rank exceeds the limit of 16"},
      {head + "function f g\narg x f32 4\narg x f32 4\nend\n",
       "manifest line 5: duplicate arg 'x' in function 'f'"},
      {head + "function f g\nend\nfunction f h\nend\n",
       "manifest line 5: duplicate function 'f' (first on line 3)"},
      {head + "function f 9g\nend\n",
       "manifest line 3: invalid symbol '9g' (expected a C identifier)"},
      {head + "function f/x g\nend\n",
       "manifest line 3: invalid function name 'f/x'"},
      {head + "function  f g\nend\n",
       "manifest line 3: tokens must be separated by single spaces"},
      {head + "function f g \nend\n",
       "manifest line 3: tokens must be separated by single spaces"},
      {head + "function f g\r\nend\n",
       "manifest line 3: unexpected control character 0x0d"},
      {head + "func f g\nend\n",
       "manifest line 3: unknown directive 'func' (expected target, "
       "function, arg, result or end)"},
      {head + "tessera-manifest 1\n",
       "manifest line 3: 'tessera-manifest' must be the first line only"},
      {head + "function f g\nend\ntarget cpu\n",
       "manifest line 5: second 'target'"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "manifest:\n"
        << c.text << "\nerror: " << error << "\nexpected: " << c.message;
    EXPECT_EQ(error.rfind("manifest line ", 0), 0u) << error;
  }
}

TEST(Manifest, VerifyRejectsBadStructs) {
  Manifest m;
  ASSERT_EQ(parseManifest(kSpecExample, m), "");
  ASSERT_EQ(verifyManifest(m), "");

  Manifest bad = m;
  bad.target = "gpu";
  EXPECT_EQ(verifyManifest(bad),
            "unknown target 'gpu' (expected cpu, sm_90a or sm_80)");
  bad = m;
  bad.functions[0].args[0].symbols.pop_back();
  EXPECT_EQ(verifyManifest(bad), "function 'decoder_block', arg 0 ('x'): has "
                                 "2 dims but 1 symbols");
  bad = m;
  bad.functions[0].results[0].dims[1] = -3;
  EXPECT_EQ(verifyManifest(bad),
            "function 'decoder_block', result 0 ('out0'): dimension 1 has "
            "size -3 and symbol -1 (each must be >= -1)");
  bad = m;
  bad.functions[0].args[1].symbols[0] = 2;
  EXPECT_EQ(verifyManifest(bad),
            "function 'decoder_block', arg 1 ('norm1'): dimension 0 is static "
            "(256) and has symbol s2");
  bad = m;
  bad.functions[0].args[1].dtype = static_cast<DType>(42);
  EXPECT_EQ(verifyManifest(bad),
            "function 'decoder_block', arg 1 ('norm1'): unknown dtype 42");
  bad = m;
  bad.functions[0].symbol = "has space";
  EXPECT_EQ(verifyManifest(bad), "function 'decoder_block': invalid symbol "
                                 "'has space' (expected a C identifier)");
  bad = m;
  bad.functions.push_back(m.functions[0]);
  EXPECT_EQ(verifyManifest(bad), "duplicate function 'decoder_block'");
  bad = m;
  bad.functions[0].args[0].dims.assign(17, 1);
  bad.functions[0].args[0].symbols.assign(17, -1);
  EXPECT_EQ(verifyManifest(bad), "function 'decoder_block', arg 0 ('x'): "
                                 "rank 17 exceeds the limit of 16");
}

TEST(Manifest, DTypeHelpers) {
  DType d;
  ASSERT_TRUE(parseDType("bf16", d));
  EXPECT_EQ(d, DType::BF16);
  EXPECT_FALSE(parseDType("F32", d));
  EXPECT_STREQ(getDTypeName(DType::F8E5M2), "f8e5m2");
  EXPECT_STREQ(getDTypeName(static_cast<DType>(0)), "");
  EXPECT_EQ(getDTypeSize(DType::F64), 8u);
  EXPECT_EQ(getDTypeSize(DType::BF16), 2u);
  EXPECT_EQ(getDTypeSize(static_cast<DType>(77)), 0u);
  EXPECT_STREQ(getSectionKindName(2), "cpu-object");
  EXPECT_STREQ(getSectionKindName(5), "reference");
  EXPECT_STREQ(getSectionKindName(6), "");
}
