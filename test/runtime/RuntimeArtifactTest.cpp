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
#include <utility>
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
const char *const kSpecExample = "tessera-manifest 2\n"
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
  std::string text = "tessera-manifest 2\n"
                     "# a comment\n"
                     "\n"
                     "target cpu\n"
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
  EXPECT_EQ(m.target, "cpu");
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
  EXPECT_EQ(text, "tessera-manifest 2\n"
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

TEST(Manifest, ReadsVersions1And2) {
  for (const char *version : {"1", "2"}) {
    SCOPED_TRACE(version);
    std::string text = std::string("tessera-manifest ") + version +
                       "\ntarget cpu\nfunction f f_sym\narg a f32 "
                       "s0x4\nresult r f32 s0\nend\n";
    Manifest m;
    ASSERT_EQ(parseManifest(text, m), "");
    EXPECT_EQ(verifyManifest(m), "");
    // The printer writes the current version.
    EXPECT_EQ(printManifest(m), "tessera-manifest 2\ntarget cpu\nfunction f "
                                "f_sym\narg a f32 s0x4\nresult r f32 "
                                "s0\nend\n");
  }
  EXPECT_EQ(kManifestVersion, 2);
}

TEST(Manifest, SyntaxErrorsNameTheLine) {
  const std::string head = "tessera-manifest 2\ntarget cpu\n";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "manifest line 1: empty manifest (expected 'tessera-manifest 2')"},
      {"tessera-manifest 3\ntarget cpu\n",
       "manifest line 1: unsupported manifest version 3 (this runtime reads "
       "versions 1 to 2)"},
      {"tessera-manifest 0\ntarget cpu\n",
       "manifest line 1: unsupported manifest version 0 (this runtime reads "
       "versions 1 to 2)"},
      {"tessera-manifest x\ntarget cpu\n",
       "manifest line 1: expected 'tessera-manifest 2', got 'tessera-manifest "
       "x'"},
      {"target cpu\n", "manifest line 1: expected 'tessera-manifest 2', got "
                       "'target cpu'"},
      {"tessera-manifest 2\r\ntarget cpu\n",
       "manifest line 1: expected 'tessera-manifest 2'"},
      {"tessera-manifest 2\n", "manifest line 1: no 'target' line"},
      {"tessera-manifest 2\ntarget tpu\n",
       "manifest line 2: unknown target 'tpu' (expected cpu, sm_90a or "
       "sm_80)"},
      {head + "target cpu\n",
       "manifest line 3: second 'target' (the first is on line 2)"},
      {"tessera-manifest 2\nfunction f g\nend\n",
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
       "requires, function, arg, result, buffer, view, variant, memset, "
       "launch or end)"},
      {head + "tessera-manifest 2\n",
       "manifest line 3: 'tessera-manifest' must be the first line only"},
      {head + "function f g\narg x f32 (s0)\nend\n",
       "manifest line 4: arg 'x': dimension 0 is the expression '(s0)', but "
       "only buffers and views have expression sizes"},
      {head + "function f g\narg x f32 4\nresult y f32 4x(s0+1)\nend\n",
       "manifest line 5: result 'y': dimension 1 is the expression '(s0+1)', "
       "but only buffers and views have expression sizes"},
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
  bad = m;
  bad.functions[0].args[0].symbols[0] = -1;
  bad.functions[0].args[0].exprs = {"s1+1", ""};
  EXPECT_EQ(verifyManifest(bad),
            "function 'decoder_block', arg 0 ('x'): dimension 0 is the "
            "expression '(s1+1)', but only buffers and views have expression "
            "sizes");
  bad = m;
  bad.functions[0].results[0].exprs = {"s0"};
  EXPECT_EQ(verifyManifest(bad), "function 'decoder_block', result 0 "
                                 "('out0'): has 2 dims but 1 exprs");
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

//===----------------------------------------------------------------------===//
// GPU plans
//===----------------------------------------------------------------------===//

namespace {
/// The first example of docs/artifact-format.md, "GPU functions".
const char *const kGpuExample =
    "tessera-manifest 2\n"
    "target sm_80\n"
    "function mm -\n"
    "arg arg0 bf16 s0x4096\n"
    "arg arg1 bf16 4096x4096\n"
    "result result0 f32 s0x4096\n"
    "buffer t0 f32 s0x4096\n"
    "variant s0 <= 64\n"
    "memset t0\n"
    "launch tessera_mm_0 grid cdiv(4096,64) cdiv(s0,32) 4 block 128 1 1 smem "
    "49152 params memref:arg0 memref:arg1 memref:t0 i64:s0\n"
    "launch tessera_mm_0_epilogue grid cdiv(s0*4096,256) 1 1 block 256 1 1 "
    "smem 0 params memref:t0 memref:result0\n"
    "variant always\n"
    "launch tessera_mm_1 grid cdiv(4096,128) cdiv(s0,128) 1 block 256 1 1 "
    "smem 65536 params memref:arg0 memref:arg1 memref:result0\n"
    "end\n";

/// The second example of docs/artifact-format.md, "GPU functions": 4-D
/// tensor maps, a condition on two sizes and buffers sized by an expression.
const char *const kAttentionExample =
    "tessera-manifest 2\n"
    "target sm_90a\n"
    "function attn -\n"
    "arg arg0 bf16 s0x32xs1x128\n"
    "arg arg1 bf16 s0x8xs2x128\n"
    "arg arg2 bf16 s0x8xs2x128\n"
    "result result0 bf16 s0x32xs1x128\n"
    "buffer t0 f32 (max(min(cdiv(132,s0*32),16),1))xs0x32xs1x128\n"
    "buffer t1 f32 (max(min(cdiv(132,s0*32),16),1))xs0x32xs1\n"
    "variant s1 <= 16 and s2 >= 4096\n"
    "launch tessera_attn_split grid cdiv(s1,64) 32*s0 "
    "max(min(cdiv(132,s0*32),16),1) block 384 1 1 smem 196608 params "
    "tmap:arg0:64x64x1x1:128 tmap:arg1:64x128x1x1:128 "
    "tmap:arg2:64x128x1x1:128 memref:t0 memref:t1 i64:s2\n"
    "launch tessera_attn_merge grid cdiv(s0*32*s1,128) 1 1 block 128 1 1 "
    "smem 0 params memref:t0 memref:t1 memref:result0 "
    "i32:max(min(cdiv(132,s0*32),16),1)\n"
    "variant always\n"
    "launch tessera_attn grid cdiv(s1,128) 32*s0 1 block 384 1 1 smem 196608 "
    "params tmap:arg0:64x128x1x1:128 tmap:arg1:64x128x1x1:128 "
    "tmap:arg2:64x128x1x1:128 memref:result0 i64:s2\n"
    "end\n";

/// A GPU function built in memory that verifyManifest accepts.
Manifest gpuManifest() {
  Manifest m;
  m.target = "sm_90a";
  FunctionDesc f;
  f.name = "f";
  f.symbol = "-";
  f.args.push_back({"a", DType::F32, {-1, 8}, {0, -1}});
  f.results.push_back({"r", DType::F32, {-1, 8}, {0, -1}});
  f.buffers.push_back({"t0", DType::F32, {-1}, {0}});
  Variant small;
  small.condition = "s0*8 < 1024";
  PlanStep memset;
  memset.kind = PlanStep::Kind::Memset;
  memset.buffer = "t0";
  small.steps.push_back(memset);
  PlanStep launch;
  launch.kind = PlanStep::Kind::Launch;
  launch.launch.kernel = "k_small";
  launch.launch.grid = {"cdiv(s0,4)", "1", "max(s0,1)"};
  launch.launch.block = {32, 4, 1};
  launch.launch.sharedMemoryBytes = 1024;
  launch.launch.params = {{KernelParam::Kind::Memref, "a"},
                          {KernelParam::Kind::Memref, "t0"},
                          {KernelParam::Kind::Memref, "r"},
                          {KernelParam::Kind::I64, "s0*8"},
                          {KernelParam::Kind::I32, "min(s0,7)"}};
  small.steps.push_back(launch);
  Variant always;
  PlanStep empty;
  empty.kind = PlanStep::Kind::Launch;
  empty.launch.kernel = "k_none";
  empty.launch.grid = {"1", "1", "1"};
  always.steps.push_back(empty);
  f.variants = {small, always};
  m.functions.push_back(f);
  return m;
}
} // namespace

TEST(GpuPlan, ParsesTheSpecExample) {
  Manifest m;
  ASSERT_EQ(parseManifest(kGpuExample, m), "");
  EXPECT_EQ(m.target, "sm_80");
  ASSERT_EQ(m.functions.size(), 1u);
  const FunctionDesc &f = m.functions[0];
  EXPECT_EQ(f.symbol, "-");
  ASSERT_EQ(f.buffers.size(), 1u);
  EXPECT_EQ(f.buffers[0].name, "t0");
  EXPECT_EQ(f.buffers[0].dtype, DType::F32);
  EXPECT_EQ(f.buffers[0].symbols, (std::vector<int64_t>{0, -1}));
  ASSERT_EQ(f.variants.size(), 2u);
  EXPECT_EQ(f.variants[0].condition, "s0 <= 64");
  EXPECT_EQ(f.variants[1].condition, "");
  ASSERT_EQ(f.variants[0].steps.size(), 3u);
  EXPECT_EQ(f.variants[0].steps[0].kind, PlanStep::Kind::Memset);
  EXPECT_EQ(f.variants[0].steps[0].buffer, "t0");
  const PlanStep &step = f.variants[0].steps[1];
  EXPECT_EQ(step.kind, PlanStep::Kind::Launch);
  const LaunchStep &l = step.launch;
  EXPECT_EQ(l.kernel, "tessera_mm_0");
  EXPECT_EQ(l.grid, (std::array<std::string, 3>{"cdiv(4096,64)", "cdiv(s0,32)",
                                                 "4"}));
  EXPECT_EQ(l.block, (std::array<int64_t, 3>{128, 1, 1}));
  EXPECT_EQ(l.sharedMemoryBytes, 49152);
  ASSERT_EQ(l.params.size(), 4u);
  EXPECT_EQ(l.params[0].kind, KernelParam::Kind::Memref);
  EXPECT_EQ(l.params[0].value, "arg0");
  EXPECT_EQ(l.params[2].value, "t0");
  EXPECT_EQ(l.params[3].kind, KernelParam::Kind::I64);
  EXPECT_EQ(l.params[3].value, "s0");
  EXPECT_EQ(f.variants[1].steps[0].launch.sharedMemoryBytes, 65536);
  EXPECT_EQ(verifyManifest(m), "");
}

TEST(GpuPlan, ParsesTheAttentionExample) {
  Manifest m;
  ASSERT_EQ(parseManifest(kAttentionExample, m), "");
  ASSERT_EQ(verifyManifest(m), "");
  EXPECT_EQ(printManifest(m), kAttentionExample);
  const FunctionDesc &f = m.functions[0];
  ASSERT_EQ(f.buffers.size(), 2u);
  const ValueDesc &t0 = f.buffers[0];
  EXPECT_EQ(t0.dims, (std::vector<int64_t>{-1, -1, 32, -1, 128}));
  EXPECT_EQ(t0.symbols, (std::vector<int64_t>{-1, 0, -1, 1, -1}));
  EXPECT_EQ(t0.exprs, (std::vector<std::string>{
                          "max(min(cdiv(132,s0*32),16),1)", "", "", "", ""}));
  EXPECT_EQ(f.buffers[1].exprs.size(), 4u);
  EXPECT_TRUE(f.args[0].exprs.empty());
  EXPECT_TRUE(f.results[0].exprs.empty());
  ASSERT_EQ(f.variants.size(), 2u);
  EXPECT_EQ(f.variants[0].condition, "s1 <= 16 and s2 >= 4096");
  const std::vector<KernelParam> &params = f.variants[0].steps[0].launch.params;
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0].kind, KernelParam::Kind::TensorMap);
  EXPECT_EQ(params[0].value, "arg0");
  EXPECT_EQ(params[0].box, (std::vector<int64_t>{64, 64, 1, 1}));
  EXPECT_EQ(params[0].swizzle, 128);
  EXPECT_EQ(params[1].box, (std::vector<int64_t>{64, 128, 1, 1}));
  EXPECT_EQ(printKernelParam(params[1]), "tmap:arg1:64x128x1x1:128");
}

TEST(GpuPlan, Version1PlansStillLoad) {
  std::string v1 = kGpuExample;
  v1.replace(0, 18, "tessera-manifest 1");
  Manifest m;
  ASSERT_EQ(parseManifest(v1, m), "");
  EXPECT_EQ(verifyManifest(m), "");
  EXPECT_EQ(printManifest(m), kGpuExample);
  EXPECT_TRUE(m.functions[0].buffers[0].exprs.empty());
}

TEST(GpuPlan, PrintRoundTrips) {
  Manifest m;
  ASSERT_EQ(parseManifest(kGpuExample, m), "");
  EXPECT_EQ(printManifest(m), kGpuExample);

  Manifest built = gpuManifest();
  ASSERT_EQ(verifyManifest(built), "");
  std::string text = printManifest(built);
  EXPECT_EQ(text, "tessera-manifest 2\n"
                  "target sm_90a\n"
                  "function f -\n"
                  "arg a f32 s0x8\n"
                  "result r f32 s0x8\n"
                  "buffer t0 f32 s0\n"
                  "variant s0*8 < 1024\n"
                  "memset t0\n"
                  "launch k_small grid cdiv(s0,4) 1 max(s0,1) block 32 4 1 "
                  "smem 1024 params memref:a memref:t0 memref:r i64:s0*8 "
                  "i32:min(s0,7)\n"
                  "variant always\n"
                  "launch k_none grid 1 1 1 block 1 1 1 smem 0 params\n"
                  "end\n");
  Manifest back;
  ASSERT_EQ(parseManifest(text, back), "");
  EXPECT_EQ(printManifest(back), text);
  EXPECT_EQ(back.functions[0].variants[0].steps[1].launch.params[4].kind,
            KernelParam::Kind::I32);
  EXPECT_TRUE(back.functions[0].variants[1].steps[0].launch.params.empty());
  // A GPU function may also name a symbol, and a variant may have no step.
  built.functions[0].symbol = "f_kernel";
  built.functions[0].variants[1].steps.clear();
  ASSERT_EQ(verifyManifest(built), "");
  ASSERT_EQ(parseManifest(printManifest(built), back), "");
  EXPECT_EQ(printManifest(back), printManifest(built));
}

TEST(GpuPlan, Version1TensorMapsKeepTheirMeaning) {
  // Version 1 writes the inner and outer box sizes; the others are 1, and
  // every map is swizzled 128B.
  const std::string text =
      "tessera-manifest 1\n"
      "target sm_90a\n"
      "function f -\n"
      "arg arg0 bf16 s0x4096\n"
      "arg arg1 f8e4m3fn 4xs1x128\n"
      "result result0 f32 s0x4096\n"
      "variant always\n"
      "launch k grid cdiv(s0,128) 1 1 block 128 1 1 smem 0 params "
      "tmap:arg0:64x128 i32:s1 tmap:arg1:128x256 tmap:result0:4x1 "
      "memref:result0\n"
      "end\n";
  Manifest m;
  ASSERT_EQ(parseManifest(text, m), "");
  const std::vector<KernelParam> &params =
      m.functions[0].variants[0].steps[0].launch.params;
  ASSERT_EQ(params.size(), 5u);
  EXPECT_EQ(params[0].kind, KernelParam::Kind::TensorMap);
  EXPECT_EQ(params[0].value, "arg0");
  EXPECT_EQ(params[0].box, (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(params[0].swizzle, 128);
  EXPECT_EQ(params[1].kind, KernelParam::Kind::I32);
  EXPECT_EQ(params[2].value, "arg1");
  EXPECT_EQ(params[2].box, (std::vector<int64_t>{128, 256, 1}));
  EXPECT_EQ(params[2].swizzle, 128);
  EXPECT_EQ(params[3].box, (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(params[4].kind, KernelParam::Kind::Memref);
  EXPECT_EQ(verifyManifest(m), "");
  // Printed as version 2, which means the same.
  std::string printed = printManifest(m);
  std::string expected = text;
  expected.replace(0, 18, "tessera-manifest 2");
  const std::pair<std::string, std::string> edits[] = {
      {"arg0:64x128 ", "arg0:64x128:128 "},
      {"arg1:128x256 ", "arg1:128x256x1:128 "},
      {"result0:4x1 ", "result0:4x1:128 "}};
  for (const auto &[from, to] : edits)
    expected.replace(expected.find(from), from.size(), to);
  EXPECT_EQ(printed, expected);
  Manifest back;
  ASSERT_EQ(parseManifest(printed, back), "");
  EXPECT_EQ(printManifest(back), printed);
}

TEST(GpuPlan, TensorMapsOfRank1To5RoundTrip) {
  const std::string text =
      "tessera-manifest 2\n"
      "target sm_90a\n"
      "function f -\n"
      "arg a1 bf16 s0\n"
      "arg a2 bf16 s0x64\n"
      "arg a3 f16 4xs0x64\n"
      "arg a4 bf16 s1x8xs0x128\n"
      "arg a5 i8 2x2x2xs0x256\n"
      "result r f32 s0x4\n"
      "variant always\n"
      "launch k grid 1 1 1 block 128 1 1 smem 0 params tmap:a1:64:128 "
      "tmap:a2:64x128:128 tmap:a3:16x8x1:32 tmap:a4:64x128x1x1:128 "
      "tmap:a5:256x1x2x1x1:0 tmap:a2:32x8:64 tmap:r:4x4:0\n"
      "end\n";
  Manifest m;
  ASSERT_EQ(parseManifest(text, m), "");
  ASSERT_EQ(verifyManifest(m), "");
  EXPECT_EQ(printManifest(m), text);
  const std::vector<KernelParam> &params =
      m.functions[0].variants[0].steps[0].launch.params;
  ASSERT_EQ(params.size(), 7u);
  struct Expected {
    const char *value;
    std::vector<int64_t> box;
    int64_t swizzle;
  };
  const Expected expected[] = {{"a1", {64}, 128},
                               {"a2", {64, 128}, 128},
                               {"a3", {16, 8, 1}, 32},
                               {"a4", {64, 128, 1, 1}, 128},
                               {"a5", {256, 1, 2, 1, 1}, 0},
                               {"a2", {32, 8}, 64},
                               {"r", {4, 4}, 0}};
  for (size_t i = 0; i < params.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(params[i].kind, KernelParam::Kind::TensorMap);
    EXPECT_EQ(params[i].value, expected[i].value);
    EXPECT_EQ(params[i].box, expected[i].box);
    EXPECT_EQ(params[i].swizzle, expected[i].swizzle);
  }

  // Built in memory: the swizzle defaults to 128 bytes.
  Manifest built = gpuManifest();
  KernelParam map;
  map.kind = KernelParam::Kind::TensorMap;
  map.value = "r";
  map.box = {8, 16};
  built.functions[0].variants[0].steps[1].launch.params.push_back(map);
  ASSERT_EQ(verifyManifest(built), "");
  std::string printed = printManifest(built);
  EXPECT_NE(printed.find(" i32:min(s0,7) tmap:r:8x16:128\n"), std::string::npos)
      << printed;
  Manifest back;
  ASSERT_EQ(parseManifest(printed, back), "");
  EXPECT_EQ(printManifest(back), printed);
}

TEST(GpuPlan, ConditionsAndExpressionSizesRoundTrip) {
  const std::string text =
      "tessera-manifest 2\n"
      "target sm_80\n"
      "function f -\n"
      "arg a f32 s0xs1\n"
      "result r f32 s0\n"
      "buffer t0 f32 (max(min(cdiv(132,s0*8),16),1))xs0x32xs1x128\n"
      "buffer t1 i32 (s0)\n"
      "buffer t2 f32 4x(cdiv(s1,64)*2+1)x(max(s0,s1))\n"
      "variant s0 <= 4 and s1 >= 8\n"
      "memset t0\n"
      "variant s0 == 1 and max(s0,s1) < 1024 and cdiv(s1,2)*2 == s1\n"
      "memset t1\n"
      "variant always\n"
      "memset t2\n"
      "end\n";
  Manifest m;
  ASSERT_EQ(parseManifest(text, m), "");
  ASSERT_EQ(verifyManifest(m), "");
  EXPECT_EQ(printManifest(m), text);
  const FunctionDesc &f = m.functions[0];
  EXPECT_EQ(f.buffers[1].dims, (std::vector<int64_t>{-1}));
  EXPECT_EQ(f.buffers[1].symbols, (std::vector<int64_t>{-1}));
  EXPECT_EQ(f.buffers[1].exprs, (std::vector<std::string>{"s0"}));
  EXPECT_EQ(f.buffers[2].dims, (std::vector<int64_t>{4, -1, -1}));
  EXPECT_EQ(f.buffers[2].exprs,
            (std::vector<std::string>{"", "cdiv(s1,64)*2+1", "max(s0,s1)"}));
  EXPECT_EQ(f.variants[1].condition,
            "s0 == 1 and max(s0,s1) < 1024 and cdiv(s1,2)*2 == s1");

  // Built in memory.
  Manifest built = gpuManifest();
  ValueDesc t1 = {"t1", DType::F16, {-1, 16}, {-1, -1}, {"s0*2", ""}};
  built.functions[0].buffers.push_back(t1);
  built.functions[0].variants[0].condition = "s0*8 < 1024 and s0 > 2";
  ASSERT_EQ(verifyManifest(built), "");
  std::string printed = printManifest(built);
  EXPECT_NE(printed.find("\nbuffer t1 f16 (s0*2)x16\nvariant s0*8 < 1024 "
                         "and s0 > 2\n"),
            std::string::npos)
      << printed;
  Manifest back;
  ASSERT_EQ(parseManifest(printed, back), "");
  EXPECT_EQ(printManifest(back), printed);
}

TEST(GpuPlan, SyntaxErrorsNameTheLine) {
  const std::string gpu = "tessera-manifest 2\ntarget sm_80\n";
  const std::string cpu = "tessera-manifest 2\ntarget cpu\n";
  // A function with one 2-D argument binding s0, and a result.
  const std::string fn = gpu + "function f -\narg a f32 s0x4\nresult r f32 "
                               "s0x4\n";
  const std::string launchHead = "launch k grid 1 1 1 block 1 1 1 smem 0 ";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      // Symbols, order, where plans may appear.
      {cpu + "function f -\nend\n",
       "manifest line 3: invalid symbol '-' (expected a C identifier)"},
      {gpu + "function f 9x\nend\n",
       "manifest line 3: invalid symbol '9x' (expected '-' or a C "
       "identifier)"},
      {fn + "buffer t0 f32 4\nresult q f32 4\nvariant always\nend\n",
       "manifest line 7: 'result' after a 'buffer' in function 'f' (the "
       "order is arg, result, buffer, view, variant)"},
      {fn + "variant always\nbuffer t0 f32 4\nend\n",
       "manifest line 7: 'buffer' after a 'variant' in function 'f' (the "
       "order is arg, result, buffer, view, variant)"},
      {fn + "variant always\narg b f32 4\nend\n",
       "manifest line 7: 'arg' after a 'variant' in function 'f'"},
      {gpu + "buffer t0 f32 4\n", "manifest line 3: 'buffer' outside a function"},
      {gpu + "variant always\n", "manifest line 3: 'variant' outside a function"},
      {gpu + "memset t0\n", "manifest line 3: 'memset' outside a function"},
      {gpu + launchHead + "params\n",
       "manifest line 3: 'launch' outside a function"},
      {cpu + "function f g\nvariant always\nend\n",
       "manifest line 4: 'variant' in function 'f' of target cpu (plans are "
       "for GPU targets)"},
      {cpu + "function f g\nbuffer t0 f32 4\nend\n",
       "manifest line 4: 'buffer' in function 'f' of target cpu"},
      {cpu + "function f g\nmemset x\nend\n",
       "manifest line 4: 'memset' in function 'f' of target cpu"},
      // Values.
      {fn + "buffer tmp f32 4\nvariant always\nend\n",
       "manifest line 6: buffers are named t0, t1, ... in order: expected "
       "'t0', got 'tmp'"},
      {fn + "buffer t0 f32 4\nbuffer t2 f32 4\nvariant always\nend\n",
       "manifest line 7: buffers are named t0, t1, ... in order: expected "
       "'t1', got 't2'"},
      {fn + "buffer t0 f32\nvariant always\nend\n",
       "manifest line 6: 'buffer' expects 3 operands (name, dtype, dims), got "
       "2"},
      {fn + "buffer t0 q8 4\nvariant always\nend\n",
       "manifest line 6: unknown dtype 'q8' of 't0'"},
      {fn + "buffer t0 f32 4x-1\nvariant always\nend\n",
       "manifest line 6: bad dims '4x-1' of 't0': size 1 is '-1'"},
      {fn + "buffer t0 f32 ?x4\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 0 is '?', but the runtime "
       "allocates this value: its sizes must be numbers or symbols bound by "
       "the arguments (or, for buffers, expressions of them)"},
      {fn + "buffer t0 f32 4xs1\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 1 is s1, which no argument "
       "binds"},
      {gpu + "function f -\narg a f32 ?\nresult r f32 ?\nvariant always\nend\n",
       "manifest line 5: result 'r': dimension 0 is '?'"},
      {gpu + "function f -\narg a f32 s0\nresult r f32 s0xs3\nvariant "
             "always\nend\n",
       "manifest line 5: result 'r': dimension 1 is s3, which no argument "
       "binds"},
      {gpu + "function f -\narg a f32 4\nresult a f32 4\nvariant always\nend\n",
       "manifest line 5: duplicate value name 'a' in function 'f' (an arg has "
       "it; the args, results, buffers and views of a GPU function need "
       "distinct names)"},
      {gpu + "function f -\narg t0 f32 4\nbuffer t0 f32 4\nvariant "
             "always\nend\n",
       "manifest line 5: duplicate value name 't0' in function 'f' (an arg "
       "has it"},
      {gpu + "function f -\nresult t0 f32 4\nbuffer t0 f32 4\nvariant "
             "always\nend\n",
       "manifest line 5: duplicate value name 't0' in function 'f' (a result "
       "has it"},
      // Buffers sized by expressions.
      {fn + "buffer t0 f32 (s1+1)\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 0 '(s1+1)': symbol s1 in "
       "'s1+1' is not bound by an argument"},
      {fn + "buffer t0 f32 4x(max(s0,s7))\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 1 '(max(s0,s7))': symbol s7 "
       "in 'max(s0,s7)' is not bound by an argument"},
      {fn + "buffer t0 f32 (s0+)\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 0 '(s0+)': 's0+' ends early"},
      {fn + "buffer t0 f32 4x(s0\nvariant always\nend\n",
       "manifest line 6: bad dims '4x(s0' of 't0': unbalanced parentheses"},
      {fn + "buffer t0 f32 s0)x(4\nvariant always\nend\n",
       "manifest line 6: bad dims 's0)x(4' of 't0': unbalanced parentheses"},
      {fn + "buffer t0 f32 4x()\nvariant always\nend\n",
       "manifest line 6: bad dims '4x()' of 't0': size 1 is '()' (expected a "
       "number, '?', 's<N>' or '(<expr>)'"},
      {fn + "buffer t0 f32 (s0)+(s0)\nvariant always\nend\n",
       "manifest line 6: bad dims '(s0)+(s0)' of 't0': size 0 is "
       "'(s0)+(s0)'"},
      {fn + "buffer t0 f32 (s0)4\nvariant always\nend\n",
       "manifest line 6: bad dims '(s0)4' of 't0': size 0 is '(s0)4'"},
      // Variants.
      {fn + "end\n", "manifest line 6: GPU function 'f' has no 'variant' (its "
                     "plan needs at least 'variant always')"},
      {fn + "variant s0 < 4\nend\n",
       "manifest line 7: the last variant of function 'f' (line 6) is not "
       "'variant always'"},
      {fn + "variant always\nvariant s0 < 4\nend\n",
       "manifest line 7: 'variant' after the 'variant always' of function "
       "'f' (line 6), which would never run"},
      {fn + "variant\nend\n",
       "manifest line 6: 'variant' expects 'always' or '<expr> <op> <expr>', "
       "alone or joined by 'and', got 0 operands"},
      {fn + "variant s0 <\nend\n",
       "manifest line 6: 'variant' expects 'always' or '<expr> <op> <expr>', "
       "alone or joined by 'and', got 2 operands"},
      {fn + "variant sometimes\nend\n",
       "manifest line 6: 'variant' expects 'always' or '<expr> <op> <expr>', "
       "alone or joined by 'and', got 'sometimes'"},
      {fn + "variant s0 <> 4\nvariant always\nend\n",
       "manifest line 6: condition 's0 <> 4': unknown comparison '<>' "
       "(expected <=, <, >=, > or ==)"},
      {fn + "variant s0 <= 4+\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4+': '4+' ends early (expected a "
       "number, a symbol sN, cdiv(, div(, min(, max( or '(')"},
      {fn + "variant s1 == 4\nvariant always\nend\n",
       "manifest line 6: condition 's1 == 4': symbol s1 is not bound by an "
       "argument"},
      // Conjunctions.
      {fn + "variant s0 <= 4 and\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and' ends early (expected '<expr> "
       "<op> <expr>' after 'and')"},
      {fn + "variant s0 <= 4 and s0\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and s0' ends early"},
      {fn + "variant s0 <= 4 and s0 >\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and s0 >' ends early"},
      {fn + "variant s0 <= 4 or s0 > 1\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 or s0 > 1': expected 'and' after "
       "'s0 <= 4', got 'or'"},
      {fn + "variant s0 <= 4 and s0 > 1 s0\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and s0 > 1 s0': expected 'and' "
       "after 's0 > 1', got 's0'"},
      {fn + "variant s0 <= 4 and s0 <> 1\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and s0 <> 1': unknown comparison "
       "'<>' (expected <=, <, >=, > or ==)"},
      {fn + "variant s0 <= 4 and s1 > 1\nvariant always\nend\n",
       "manifest line 6: condition 's0 <= 4 and s1 > 1': symbol s1 is not "
       "bound by an argument"},
      {fn + "variant s0 <= 4 and  s0 > 1\nvariant always\nend\n",
       "manifest line 6: tokens must be separated by single spaces"},
      // Memset.
      {fn + "memset r\nvariant always\nend\n",
       "manifest line 6: 'memset' before the first 'variant' of function 'f'"},
      {fn + "variant always\nmemset\nend\n",
       "manifest line 7: 'memset' expects 1 operand (result, buffer or "
       "view), got 0"},
      {fn + "variant always\nmemset t7\nend\n",
       "manifest line 7: memset of 't7', which is no result, buffer or view "
       "of function 'f'"},
      {fn + "variant always\nmemset a\nend\n",
       "manifest line 7: memset of argument 'a' (arguments are read-only)"},
      // Launch syntax.
      {fn + "variant always\nlaunch k grid 1 1 1\nend\n",
       "manifest line 7: 'launch' expects '<kernel> grid <x> <y> <z> block "
       "<x> <y> <z> smem <bytes> params <param>...', got 5 operands"},
      {fn + "variant always\nlaunch k grod 1 1 1 block 1 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: 'launch': expected 'grid' after the kernel name, got "
       "'grod'"},
      {fn + "variant always\nlaunch k grid 1 1 1 blocks 1 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: 'launch': expected 'block' after the grid, got "
       "'blocks'"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 1 1 shared 0 "
            "params\nend\n",
       "manifest line 7: 'launch': expected 'smem' after the block, got "
       "'shared'"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 1 1 smem 0 "
            "args\nend\n",
       "manifest line 7: 'launch': expected 'params' after smem, got 'args'"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 two 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': block y 'two' is not a number"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 1 1 smem -1 "
            "params\nend\n",
       "manifest line 7: launch 'k': smem '-1' is not a number"},
      {fn + "variant always\n" + launchHead + "params f32:s0\nend\n",
       "manifest line 7: launch 'k': param 'f32:s0' (expected "
       "memref:<value>, tmap:<value>:<box>:<swizzle>, i64:<expr> or "
       "i32:<expr>)"},
      {fn + "variant always\n" + launchHead + "params tmap:a\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>, the box sizes (innermost first) "
       "and the swizzle numbers)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x:128\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x:128' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x-8:128\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x-8:128' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8:\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8:' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8:128:0\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8:128:0' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8:-32\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8:-32' (expected "
       "tmap:<value>:<b0>x<b1>...:<swizzle>"},
      // Launch checks.
      {fn + "variant always\nlaunch 9k grid 1 1 1 block 1 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: invalid kernel name '9k' (expected a C identifier)"},
      {fn + "variant always\nlaunch k grid 1 s4 1 block 1 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': grid y: symbol s4 in 's4' is not bound "
       "by an argument"},
      {fn + "variant always\nlaunch k grid 1 1 cdiv(s0) block 1 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': grid z: unexpected ')' at column 8 of "
       "'cdiv(s0)' (expected ',')"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 0 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': block x is 0 (must be >= 1)"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 2048 1 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': block x is 2048 (at most 1024)"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 1 65 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': block z is 65 (at most 64)"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 64 32 1 smem 0 "
            "params\nend\n",
       "manifest line 7: launch 'k': a block of 64x32x1 threads exceeds 1024"},
      {fn + "variant always\nlaunch k grid 1 1 1 block 1 1 1 smem "
            "4294967296 params\nend\n",
       "manifest line 7: launch 'k': smem 4294967296 is outside [0, "
       "4294967295]"},
      {fn + "variant always\n" + launchHead + "params memref:a memref:q\nend\n",
       "manifest line 7: launch 'k': param 1 'memref:q' names no argument, "
       "result, buffer or view"},
      {fn + "variant always\n" + launchHead + "params i64:s0*\nend\n",
       "manifest line 7: launch 'k': param 0 'i64:s0*': 's0*' ends early"},
      {fn + "variant always\n" + launchHead + "params memref:r i32:s2\nend\n",
       "manifest line 7: launch 'k': param 1 'i32:s2': symbol s2 in 's2' is "
       "not bound by an argument"},
      // Tensor maps (`a` is f32 s0x4).
      {fn + "variant always\n" + launchHead + "params tmap:q:32x8:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:q:32x8:128' names no "
       "argument, result, buffer or view"},
      {gpu + "function f -\narg v f32 scalar\nresult r f32 4\nvariant "
             "always\n" +
           launchHead + "params memref:r tmap:v:4:128\nend\n",
       "manifest line 7: launch 'k': param 1 'tmap:v:4:128': 'v' has rank 0 "
       "(a tensor map takes rank 1 to 5)"},
      {gpu + "function f -\narg v f32 2x2x2x2x2xs0\nresult r f32 4\nvariant "
             "always\n" +
           launchHead + "params tmap:v:4x1x1x1x1x1:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:v:4x1x1x1x1x1:128': 'v' "
       "has rank 6 (a tensor map takes rank 1 to 5)"},
      {gpu + "function f -\narg v f64 s0x8\nresult r f32 4\nvariant "
             "always\n" +
           launchHead + "params tmap:v:16x8:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:v:16x8:128': 'v' is f64 (a "
       "tensor map takes bf16, f16, f32, f8e4m3fn, f8e5m2 or i8)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:32:128': the box has 1 "
       "size, but 'a' has rank 2 (one size per dimension, innermost first)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8x1:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:32x8x1:128': the box has "
       "3 sizes, but 'a' has rank 2 (one size per dimension, innermost "
       "first)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:0x8:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:0x8:128': box size 0 of "
       "dimension 0 (innermost first) is outside [1, 256]"},
      {fn + "variant always\n" + launchHead + "params tmap:r:32x257:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:r:32x257:128': box size "
       "257 of dimension 1 (innermost first) is outside [1, 256]"},
      {fn + "variant always\n" + launchHead + "params tmap:a:8x8:48\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:8x8:48': swizzle 48 is "
       "not 0, 32, 64 or 128 (bytes)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:8x8:256\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:8x8:256': swizzle 256 is "
       "not 0, 32, 64 or 128 (bytes)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:64x8:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:64x8:128': the inner box "
       "size 64 spans 256 bytes of f32 (TMA with 128-byte swizzling needs a "
       "multiple of 16 bytes, at most 128)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:16x8:32\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:16x8:32': the inner box "
       "size 16 spans 64 bytes of f32 (TMA with 32-byte swizzling needs a "
       "multiple of 16 bytes, at most 32)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8:64\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:32x8:64': the inner box "
       "size 32 spans 128 bytes of f32 (TMA with 64-byte swizzling needs a "
       "multiple of 16 bytes, at most 64)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:6x8:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:6x8:128': the inner box "
       "size 6 spans 24 bytes of f32 (TMA with 128-byte swizzling"},
      {fn + "variant always\n" + launchHead + "params tmap:a:6x8:0\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:6x8:0': the inner box "
       "size 6 spans 24 bytes of f32 (TMA needs a multiple of 16 bytes)"},
      {gpu + "function f -\narg v i8 s0x256\nresult r f32 4\nvariant "
             "always\n" +
           launchHead + "params tmap:v:256x1:128\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:v:256x1:128': the inner "
       "box size 256 spans 256 bytes of i8"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "manifest:\n"
        << c.text << "\nerror: " << error << "\nexpected: " << c.message;
  }
}

TEST(GpuPlan, Version1SyntaxErrors) {
  const std::string gpu = "tessera-manifest 1\ntarget sm_80\n";
  const std::string fn = gpu + "function f -\narg a f32 s0x4\nresult r f32 "
                               "s0x4\n";
  const std::string launchHead = "launch k grid 1 1 1 block 1 1 1 smem 0 ";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      // Tensor maps have a box of two sizes and no swizzle.
      {fn + "variant always\n" + launchHead + "params f32:s0\nend\n",
       "manifest line 7: launch 'k': param 'f32:s0' (expected "
       "memref:<value>, tmap:<value>:<inner>x<outer>, i64:<expr> or "
       "i32:<expr>)"},
      {fn + "variant always\n" + launchHead + "params tmap:a\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a' (expected "
       "tmap:<value>:<inner>x<outer>, the box sizes numbers)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32' (expected "
       "tmap:<value>:<inner>x<outer>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x' (expected "
       "tmap:<value>:<inner>x<outer>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x-8\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x-8' (expected "
       "tmap:<value>:<inner>x<outer>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8x1\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8x1' (expected "
       "tmap:<value>:<inner>x<outer>"},
      {fn + "variant always\n" + launchHead + "params tmap:a:32x8:128\nend\n",
       "manifest line 7: launch 'k': param 'tmap:a:32x8:128' (expected "
       "tmap:<value>:<inner>x<outer>"},
      // ... of values of rank 2 or 3; messages quote the line's text.
      {fn + "variant always\n" + launchHead + "params tmap:q:32x8\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:q:32x8' names no "
       "argument, result, buffer or view"},
      {gpu + "function f -\narg v f32 s0\nresult r f32 s0\nvariant always\n" +
           launchHead + "params memref:r tmap:v:32x8\nend\n",
       "manifest line 7: launch 'k': param 1 'tmap:v:32x8': 'v' has rank 1 "
       "(a version-1 tensor map takes rank 2 or 3)"},
      {gpu + "function f -\narg v f32 2x2x2x2\nresult r f32 4\nvariant "
             "always\n" +
           launchHead + "params tmap:v:32x8\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:v:32x8': 'v' has rank 4 "
       "(a version-1 tensor map takes rank 2 or 3)"},
      {fn + "variant always\n" + launchHead + "params tmap:a:0x8\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:0x8': box size 0 of "
       "dimension 0 (innermost first) is outside [1, 256]"},
      {fn + "variant always\n" + launchHead + "params tmap:r:32x257\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:r:32x257': box size 257 of "
       "dimension 1 (innermost first) is outside [1, 256]"},
      {fn + "variant always\n" + launchHead + "params tmap:a:64x8\nend\n",
       "manifest line 7: launch 'k': param 0 'tmap:a:64x8': the inner box "
       "size 64 spans 256 bytes of f32 (TMA with 128-byte swizzling needs a "
       "multiple of 16 bytes, at most 128)"},
      // No conjunctions, no expression sizes.
      {fn + "variant s0 <= 4 and s0 > 1\nvariant always\nend\n",
       "manifest line 6: 'variant' expects 'always' or '<expr> <op> <expr>', "
       "got 7 operands (conditions joined by 'and' need manifest version 2)"},
      {fn + "variant s0 <\nvariant always\nend\n",
       "manifest line 6: 'variant' expects 'always' or '<expr> <op> <expr>', "
       "got 2 operands"},
      {fn + "buffer t0 f32 (s0*2)\nvariant always\nend\n",
       "manifest line 6: buffer 't0': dimension 0 is the expression '(s0*2)' "
       "(expression sizes need manifest version 2)"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "manifest:\n"
        << c.text << "\nerror: " << error << "\nexpected: " << c.message;
  }
}

TEST(GpuPlan, VerifyRejectsBadPlans) {
  const Manifest good = gpuManifest();
  ASSERT_EQ(verifyManifest(good), "");
  struct Case {
    void (*edit)(Manifest &);
    std::string message;
  };
  const Case cases[] = {
      {[](Manifest &m) { m.functions[0].symbol = ""; },
       "function 'f': invalid symbol '' (expected '-' or a C identifier)"},
      {[](Manifest &m) { m.target = "cpu"; },
       "function 'f': invalid symbol '-' (expected a C identifier)"},
      {[](Manifest &m) {
         m.target = "cpu";
         m.functions[0].symbol = "f";
       },
       "function 'f': target cpu has no plans, but the function has 1 buffer, "
       "0 views and 2 variants"},
      {[](Manifest &m) { m.functions[0].buffers[0].name = "tmp"; },
       "function 'f', buffer 0 ('tmp'): buffers are named t0, t1, ... in "
       "order (expected 't0')"},
      {[](Manifest &m) {
         m.functions[0].buffers[0].dtype = static_cast<DType>(42);
       },
       "function 'f', buffer 0 ('t0'): unknown dtype 42"},
      {[](Manifest &m) { m.functions[0].buffers[0].symbols[0] = 7; },
       "function 'f', buffer 0 ('t0'): dimension 0 is s7, which no argument "
       "binds"},
      {[](Manifest &m) { m.functions[0].results[0].symbols[0] = -1; },
       "function 'f', result 0 ('r'): dimension 0 is '?', but the runtime "
       "allocates this value: its sizes must be numbers or symbols bound by "
       "the arguments (or, for buffers, expressions of them)"},
      {[](Manifest &m) {
         m.functions[0].results[0].symbols[0] = -1;
         m.functions[0].results[0].exprs = {"s0", ""};
       },
       "function 'f', result 0 ('r'): dimension 0 is the expression '(s0)', "
       "but only buffers and views have expression sizes"},
      {[](Manifest &m) {
         m.functions[0].buffers[0].symbols[0] = -1;
         m.functions[0].buffers[0].exprs = {"s0*2+s3"};
       },
       "function 'f', buffer 0 ('t0'): dimension 0 '(s0*2+s3)': symbol s3 in "
       "'s0*2+s3' is not bound by an argument"},
      {[](Manifest &m) {
         m.functions[0].buffers[0].symbols[0] = -1;
         m.functions[0].buffers[0].exprs = {"s0)x(s0"};
       },
       "function 'f', buffer 0 ('t0'): dimension 0 '(s0)x(s0)': unexpected "
       "')' at column 3 of 's0)x(s0' (expected '+', '*' or the end)"},
      {[](Manifest &m) { m.functions[0].buffers[0].exprs = {"s0"}; },
       "function 'f', buffer 0 ('t0'): dimension 0 is the expression '(s0)' "
       "and has size -1 and symbol 0 (both must be -1)"},
      {[](Manifest &m) {
         m.functions[0].buffers[0].exprs = {"s0", "s0"};
       },
       "function 'f', buffer 0 ('t0'): has 1 dims but 2 exprs"},
      {[](Manifest &m) { m.functions[0].results[0].name = "a"; },
       "function 'f': arg 0 and result 0 are both named 'a' (the values of a "
       "GPU function need distinct names)"},
      {[](Manifest &m) { m.functions[0].args[0].name = "t0"; },
       "function 'f': arg 0 and buffer 0 are both named 't0' (the values of a "
       "GPU function need distinct names)"},
      {[](Manifest &m) { m.functions[0].variants.clear(); },
       "function 'f': a GPU function needs a plan (at least 'variant "
       "always')"},
      {[](Manifest &m) { m.functions[0].variants[0].condition = ""; },
       "function 'f', variant 0: 'always' must be the last variant (the ones "
       "after it would never run)"},
      {[](Manifest &m) { m.functions[0].variants[1].condition = "s0 < 4"; },
       "function 'f', variant 1: the last variant must be 'always', not 's0 "
       "< 4'"},
      {[](Manifest &m) { m.functions[0].variants[0].condition = "s0<4"; },
       "function 'f', variant 0: condition 's0<4' is not '<expr> <op> "
       "<expr>' with single spaces"},
      {[](Manifest &m) { m.functions[0].variants[0].condition = "s0 < 4 and"; },
       "function 'f', variant 0: condition 's0 < 4 and' ends early (expected "
       "'<expr> <op> <expr>' after 'and')"},
      {[](Manifest &m) {
         m.functions[0].variants[0].condition = "s0 < 4 and s2 > 1";
       },
       "function 'f', variant 0: condition 's0 < 4 and s2 > 1': symbol s2 is "
       "not bound by an argument"},
      {[](Manifest &m) { m.functions[0].variants[0].condition = "s0  < 4"; },
       "function 'f', variant 0: condition 's0  < 4' is not '<expr> <op> "
       "<expr>' with single spaces"},
      {[](Manifest &m) {
         m.functions[0].variants[0].condition = "s0 >= max(s9,1)";
       },
       "function 'f', variant 0: condition 's0 >= max(s9,1)': symbol s9 is "
       "not bound by an argument"},
      {[](Manifest &m) { m.functions[0].variants[0].steps[0].buffer = "a"; },
       "function 'f', variant 0, step 0: memset of argument 'a' (arguments "
       "are read-only)"},
      {[](Manifest &m) { m.functions[0].variants[0].steps[0].buffer = "t1"; },
       "function 'f', variant 0, step 0: memset of 't1', which is no result, "
       "buffer or view of function 'f'"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[0].kind =
             static_cast<PlanStep::Kind>(9);
       },
       "function 'f', variant 0, step 0: unknown step kind"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.kernel = "k-1";
       },
       "function 'f', variant 0, step 1: invalid kernel name 'k-1' (expected "
       "a C identifier)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.grid[0] = "";
       },
       "function 'f', variant 0, step 1: launch 'k_small': grid x: empty "
       "expression"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.grid[2] = "s0 + 1";
       },
       "function 'f', variant 0, step 1: launch 'k_small': grid z: "
       "unexpected ' ' at column 3 of 's0 + 1' (expected '+', '*' or the "
       "end)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.block = {32, -4, 1};
       },
       "function 'f', variant 0, step 1: launch 'k_small': block y is -4 "
       "(must be >= 1)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.sharedMemoryBytes = -1;
       },
       "function 'f', variant 0, step 1: launch 'k_small': smem -1 is outside "
       "[0, 4294967295]"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[1].value = "t9";
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 1 "
       "'memref:t9' names no argument, result, buffer or view"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[3].value = "s1";
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 3 'i64:s1': "
       "symbol s1 in 's1' is not bound by an argument"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[4].value = "min(";
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 4 "
       "'i32:min(': 'min(' ends early (expected a number, a symbol sN, "
       "cdiv(, div(, min(, max( or '(')"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[1] = {
             KernelParam::Kind::TensorMap, "t0", {8, 8}};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 1 "
       "'tmap:t0:8x8:128': the box has 2 sizes, but 't0' has rank 1 (one "
       "size per dimension, innermost first)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[1] = {
             KernelParam::Kind::TensorMap, "t0", {}};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 1 "
       "'tmap:t0::128': the box has 0 sizes, but 't0' has rank 1 (one size "
       "per dimension, innermost first)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[2] = {
             KernelParam::Kind::TensorMap, "r", {-8, 8}};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 2 "
       "'tmap:r:-8x8:128': box size -8 of dimension 0 (innermost first) is "
       "outside [1, 256]"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[2] = {
             KernelParam::Kind::TensorMap, "r", {8, 8}, 16};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 2 "
       "'tmap:r:8x8:16': swizzle 16 is not 0, 32, 64 or 128 (bytes)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[2] = {
             KernelParam::Kind::TensorMap, "r", {16, 8}, 32};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 2 "
       "'tmap:r:16x8:32': the inner box size 16 spans 64 bytes of f32 (TMA "
       "with 32-byte swizzling needs a multiple of 16 bytes, at most 32)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params[0].kind =
             static_cast<KernelParam::Kind>(7);
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 0 has an "
       "unknown kind"},
  };
  for (const Case &c : cases) {
    Manifest m = good;
    c.edit(m);
    EXPECT_EQ(verifyManifest(m), c.message);
  }
}

//===----------------------------------------------------------------------===//
// Views
//===----------------------------------------------------------------------===//

namespace {
/// Views of every kind of value: of an argument, a result, a buffer and a
/// view, of rank 0 to 4, sized by numbers, symbols and expressions, used by
/// memset, memref and tmap.
const char *const kViewExample =
    "tessera-manifest 2\n"
    "target sm_90a\n"
    "function f -\n"
    "arg q bf16 s0x8xs1x64\n"
    "arg kv bf16 s0x8xs1x64\n"
    "result o bf16 s0x8xs1x64\n"
    "result n f32 scalar\n"
    "buffer t0 bf16 (s0*8)xs1x64\n"
    "view v0 t0 s0x8xs1x64\n"
    "view v1 q 1x(s0*8)xs1x64\n"
    "view v2 v1 (s0*8*s1)x64\n"
    "view v3 n scalar\n"
    "view v4 o s0x8x(s1*64)\n"
    "view v5 v3 1\n"
    "variant s1 <= 128\n"
    "memset v0\n"
    "launch k grid 1 1 1 block 128 1 1 smem 0 params tmap:v1:64x64x1x1:128 "
    "memref:v2 memref:v0 tmap:v4:64x1x1:128 memref:v3 memref:kv\n"
    "variant always\n"
    "memset v5\n"
    "end\n";

/// gpuManifest() with two views: v0 of the result r (s0x8) and v1 of v0.
Manifest viewManifest() {
  Manifest m = gpuManifest();
  FunctionDesc &f = m.functions[0];
  f.views.push_back({{"v0", DType::F32, {-1, 2, 4}, {0, -1, -1}}, "r"});
  f.views.push_back({{"v1", DType::F32, {-1}, {-1}, {"s0*8"}}, "v0"});
  f.variants[0].steps[1].launch.params.push_back(
      {KernelParam::Kind::Memref, "v1"});
  f.variants[0].steps[1].launch.params.push_back(
      {KernelParam::Kind::TensorMap, "v0", {4, 2, 1}, 0});
  return m;
}
} // namespace

TEST(GpuPlan, ViewsRoundTrip) {
  Manifest m;
  ASSERT_EQ(parseManifest(kViewExample, m), "");
  ASSERT_EQ(verifyManifest(m), "");
  EXPECT_EQ(printManifest(m), kViewExample);
  const FunctionDesc &f = m.functions[0];
  ASSERT_EQ(f.views.size(), 6u);
  // The dtype is the base's.
  const DType dtypes[] = {DType::BF16, DType::BF16, DType::BF16,
                          DType::F32,  DType::BF16, DType::F32};
  const char *const bases[] = {"t0", "q", "v1", "n", "o", "v3"};
  for (size_t i = 0; i < f.views.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(f.views[i].value.name, "v" + std::to_string(i));
    EXPECT_EQ(f.views[i].value.dtype, dtypes[i]);
    EXPECT_EQ(f.views[i].base, bases[i]);
  }
  const ValueDesc &v1 = f.views[1].value;
  EXPECT_EQ(v1.dims, (std::vector<int64_t>{1, -1, -1, 64}));
  EXPECT_EQ(v1.symbols, (std::vector<int64_t>{-1, -1, 1, -1}));
  EXPECT_EQ(v1.exprs, (std::vector<std::string>{"", "s0*8", "", ""}));
  EXPECT_TRUE(f.views[0].value.exprs.empty());
  EXPECT_TRUE(f.views[3].value.dims.empty());
  EXPECT_EQ(f.views[5].value.dims, (std::vector<int64_t>{1}));
  const std::vector<KernelParam> &params = f.variants[0].steps[1].launch.params;
  EXPECT_EQ(params[0].value, "v1");
  EXPECT_EQ(params[0].box, (std::vector<int64_t>{64, 64, 1, 1}));
  EXPECT_EQ(params[3].box, (std::vector<int64_t>{64, 1, 1}));
  EXPECT_EQ(f.variants[1].steps[0].buffer, "v5");

  // Built in memory.
  Manifest built = viewManifest();
  ASSERT_EQ(verifyManifest(built), "");
  std::string printed = printManifest(built);
  EXPECT_NE(printed.find("\nbuffer t0 f32 s0\nview v0 r s0x2x4\nview v1 v0 "
                         "(s0*8)\nvariant s0*8 < 1024\n"),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find(" i32:min(s0,7) memref:v1 tmap:v0:4x2x1:0\n"),
            std::string::npos)
      << printed;
  Manifest back;
  ASSERT_EQ(parseManifest(printed, back), "");
  EXPECT_EQ(printManifest(back), printed);
  EXPECT_EQ(back.functions[0].views[1].base, "v0");
}

TEST(GpuPlan, ViewSyntaxErrors) {
  const std::string gpu = "tessera-manifest 2\ntarget sm_80\n";
  // A function with an argument binding s0, a result and a buffer.
  const std::string fn = gpu + "function f -\narg a f32 s0x4\nresult r f32 "
                               "s0x4\nbuffer t0 f32 (s0*4)\n";
  const std::string launchHead = "launch k grid 1 1 1 block 1 1 1 smem 0 ";
  const std::string tail = "variant always\nend\n";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      // Bases.
      {fn + "view v0 q 4xs0\n" + tail,
       "manifest line 7: view 'v0' of 'q', which is no argument, result, "
       "buffer or earlier view of function 'f'"},
      {fn + "view v0 v0 4xs0\n" + tail,
       "manifest line 7: view 'v0' is a view of itself"},
      {fn + "view v0 v1 4xs0\nview v1 a 4xs0\n" + tail,
       "manifest line 7: view 'v0' of 'v1', which is no argument, result, "
       "buffer or earlier view of function 'f'"},
      // Names.
      {fn + "view v0 a 4xs0\nview v0 t0 4xs0\n" + tail,
       "manifest line 8: duplicate value name 'v0' in function 'f' (a view "
       "has it; the args, results, buffers and views of a GPU function need "
       "distinct names)"},
      {fn + "view t0 a 4xs0\n" + tail,
       "manifest line 7: duplicate value name 't0' in function 'f' (a buffer "
       "has it"},
      {fn + "view a r 4xs0\n" + tail,
       "manifest line 7: duplicate value name 'a' in function 'f' (an arg has "
       "it"},
      {fn + "view r a 4xs0\n" + tail,
       "manifest line 7: duplicate value name 'r' in function 'f' (a result "
       "has it"},
      {fn + "view v! a 4xs0\n" + tail,
       "manifest line 7: invalid view name 'v!' (use [A-Za-z0-9_.-])"},
      // Sizes.
      {fn + "view v0 a ?x4\n" + tail,
       "manifest line 7: view 'v0': dimension 0 is '?', but the runtime "
       "computes the sizes of a view: they must be numbers, symbols bound by "
       "the arguments or expressions of them"},
      {fn + "view v0 a 4xs1\n" + tail,
       "manifest line 7: view 'v0': dimension 1 is s1, which no argument "
       "binds"},
      {fn + "view v0 a (s0*s2)\n" + tail,
       "manifest line 7: view 'v0': dimension 0 '(s0*s2)': symbol s2 in "
       "'s0*s2' is not bound by an argument"},
      {fn + "view v0 a (s0*)\n" + tail,
       "manifest line 7: view 'v0': dimension 0 '(s0*)': 's0*' ends early"},
      {fn + "view v0 a 4x(s0\n" + tail,
       "manifest line 7: bad dims '4x(s0' of 'v0': unbalanced parentheses"},
      {fn + "view v0 a 4xf32\n" + tail,
       "manifest line 7: bad dims '4xf32' of 'v0': size 1 is 'f32'"},
      {fn + "view v0 a 1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x(s0*4)\n" + tail,
       "manifest line 7: bad dims '1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x(s0*4)' of "
       "'v0': rank exceeds the limit of 16"},
      // Syntax and order.
      {fn + "view v0 a\n" + tail,
       "manifest line 7: 'view' expects 3 operands (name, base, dims), got 2"},
      {fn + "view v0 a f32 4xs0\n" + tail,
       "manifest line 7: 'view' expects 3 operands (name, base, dims), got 4"},
      {fn + "variant always\nview v0 a 4xs0\nend\n",
       "manifest line 8: 'view' after a 'variant' in function 'f' (the order "
       "is arg, result, buffer, view, variant)"},
      {fn + "view v0 a 4xs0\nbuffer t1 f32 4\n" + tail,
       "manifest line 8: 'buffer' after a 'view' in function 'f' (the order "
       "is arg, result, buffer, view, variant)"},
      {gpu + "function f -\narg a f32 s0x4\nview v0 a 4xs0\nresult r f32 4\n" +
           tail,
       "manifest line 6: 'result' after a 'view' in function 'f'"},
      {gpu + "view v0 a 4\n", "manifest line 3: 'view' outside a function"},
      {"tessera-manifest 2\ntarget cpu\nfunction f g\narg a f32 4\nview v0 a "
       "4\nend\n",
       "manifest line 5: 'view' in function 'f' of target cpu (plans are for "
       "GPU targets)"},
      {"tessera-manifest 1\ntarget sm_80\nfunction f -\narg a f32 s0x4\nview "
       "v0 a 4xs0\n" +
           tail,
       "manifest line 5: 'view' needs manifest version 2 (this manifest is "
       "version 1)"},
      // Uses: arguments are read-only, through views too.
      {fn + "view v0 a (s0*4)\nvariant always\nmemset v0\nend\n",
       "manifest line 9: memset of view 'v0' of argument 'a' (arguments are "
       "read-only)"},
      {fn + "view v0 a (s0*4)\nview v1 v0 4xs0\nvariant always\nmemset "
            "v1\nend\n",
       "manifest line 10: memset of view 'v1' of argument 'a' (arguments are "
       "read-only)"},
      {fn + "view v0 a 1xs0x4\nvariant always\n" + launchHead +
           "params tmap:v0:4x8:0\nend\n",
       "manifest line 9: launch 'k': param 0 'tmap:v0:4x8:0': the box has 2 "
       "sizes, but 'v0' has rank 3 (one size per dimension, innermost "
       "first)"},
      {fn + "view v0 a 1x1x1x1xs0x4\nvariant always\n" + launchHead +
           "params tmap:v0:4x1x1x1x1x1:0\nend\n",
       "manifest line 9: launch 'k': param 0 'tmap:v0:4x1x1x1x1x1:0': 'v0' "
       "has rank 6 (a tensor map takes rank 1 to 5)"},
      {fn + "view v0 a 4xs0\nvariant always\n" + launchHead +
           "params memref:v1\nend\n",
       "manifest line 9: launch 'k': param 0 'memref:v1' names no argument, "
       "result, buffer or view"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "manifest:\n"
        << c.text << "\nerror: " << error << "\nexpected: " << c.message;
  }
  // Views of results and buffers may be written.
  Manifest m;
  EXPECT_EQ(parseManifest(fn + "view v0 r (s0*4)\nview v1 t0 s0x4\nvariant "
                               "always\nmemset v0\nmemset v1\nend\n",
                          m),
            "");
}

TEST(GpuPlan, VerifyRejectsBadViews) {
  const Manifest good = viewManifest();
  ASSERT_EQ(verifyManifest(good), "");
  struct Case {
    void (*edit)(Manifest &);
    std::string message;
  };
  const Case cases[] = {
      {[](Manifest &m) { m.functions[0].views[0].base = "q"; },
       "function 'f', view 0 ('v0'): a view of 'q', which is no argument, "
       "result, buffer or view"},
      {[](Manifest &m) { m.functions[0].views[0].base = "v0"; },
       "function 'f', view 0 ('v0'): a view of itself"},
      {[](Manifest &m) { m.functions[0].views[0].base = "v1"; },
       "function 'f', view 0 ('v0'): a view of 'v1', a later view (the base "
       "of a view comes before it)"},
      {[](Manifest &m) { m.functions[0].views[0].value.dtype = DType::BF16; },
       "function 'f', view 0 ('v0'): dtype bf16, but its base 'r' is f32 (a "
       "view has the dtype of its base)"},
      {[](Manifest &m) {
         m.functions[0].views[0].value.dtype = static_cast<DType>(42);
       },
       "function 'f', view 0 ('v0'): unknown dtype 42"},
      {[](Manifest &m) { m.functions[0].views[0].value.name = ""; },
       "function 'f', view 0 (''): invalid name '' (use [A-Za-z0-9_.-])"},
      {[](Manifest &m) { m.functions[0].views[1].value.name = "t0"; },
       "function 'f': buffer 0 and view 1 are both named 't0' (the values of "
       "a GPU function need distinct names)"},
      {[](Manifest &m) { m.functions[0].views[1].value.name = "v0"; },
       "function 'f': view 0 and view 1 are both named 'v0' (the values of a "
       "GPU function need distinct names)"},
      {[](Manifest &m) { m.functions[0].views[0].value.name = "a"; },
       "function 'f': arg 0 and view 0 are both named 'a' (the values of a "
       "GPU function need distinct names)"},
      {[](Manifest &m) { m.functions[0].views[0].value.symbols[0] = -1; },
       "function 'f', view 0 ('v0'): dimension 0 is '?', but the runtime "
       "computes the sizes of a view: they must be numbers, symbols bound by "
       "the arguments or expressions of them"},
      {[](Manifest &m) { m.functions[0].views[0].value.symbols[0] = 5; },
       "function 'f', view 0 ('v0'): dimension 0 is s5, which no argument "
       "binds"},
      {[](Manifest &m) { m.functions[0].views[1].value.exprs = {"s0*"}; },
       "function 'f', view 1 ('v1'): dimension 0 '(s0*)': 's0*' ends early "
       "(expected a number, a symbol sN, cdiv(, div(, min(, max( or '(')"},
      {[](Manifest &m) { m.functions[0].views[1].value.exprs = {"s0*s3"}; },
       "function 'f', view 1 ('v1'): dimension 0 '(s0*s3)': symbol s3 in "
       "'s0*s3' is not bound by an argument"},
      {[](Manifest &m) { m.functions[0].views[1].value.dims = {8}; },
       "function 'f', view 1 ('v1'): dimension 0 is the expression '(s0*8)' "
       "and has size 8 and symbol -1 (both must be -1)"},
      {[](Manifest &m) {
         ValueDesc &v = m.functions[0].views[0].value;
         v.dims.assign(17, 1);
         v.symbols.assign(17, -1);
       },
       "function 'f', view 0 ('v0'): rank 17 exceeds the limit of 16"},
      {[](Manifest &m) {
         FunctionDesc &f = m.functions[0];
         f.views.push_back({{"v2", DType::F32, {-1, 8}, {0, -1}}, "a"});
         f.variants[0].steps[0].buffer = "v2";
       },
       "function 'f', variant 0, step 0: memset of view 'v2' of argument 'a' "
       "(arguments are read-only)"},
      {[](Manifest &m) {
         m.functions[0].variants[0].steps[1].launch.params.back().box = {4, 2};
       },
       "function 'f', variant 0, step 1: launch 'k_small': param 6 "
       "'tmap:v0:4x2:0': the box has 2 sizes, but 'v0' has rank 3 (one size "
       "per dimension, innermost first)"},
      {[](Manifest &m) {
         m.target = "cpu";
         FunctionDesc &f = m.functions[0];
         f.symbol = "f";
         f.buffers.clear();
         f.variants.clear();
       },
       "function 'f': target cpu has no plans, but the function has 0 "
       "buffers, 2 views and 0 variants"},
  };
  for (const Case &c : cases) {
    Manifest m = good;
    c.edit(m);
    EXPECT_EQ(verifyManifest(m), c.message);
  }
}

//===----------------------------------------------------------------------===//
// Plan expressions
//===----------------------------------------------------------------------===//

namespace {
/// Evaluates `text` with s0 = 10, s1 = 3, s12 = 0; returns the value or
/// fails the test.
int64_t eval(const std::string &text) {
  int64_t value = -12345;
  std::string error =
      evaluateExpression(text, {{0, 10}, {1, 3}, {12, 0}}, value);
  EXPECT_EQ(error, "") << text;
  return value;
}

std::string evalError(const std::string &text,
                      const std::vector<SymbolValue> &symbols = {{0, 10}}) {
  int64_t value = -12345;
  std::string error = evaluateExpression(text, symbols, value);
  EXPECT_EQ(value, -12345) << "the value is set only on success: " << text;
  return error;
}
} // namespace

TEST(PlanExpression, Evaluates) {
  EXPECT_EQ(eval("0"), 0);
  EXPECT_EQ(eval("4096"), 4096);
  EXPECT_EQ(eval("007"), 7);
  EXPECT_EQ(eval("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(eval("s0"), 10);
  EXPECT_EQ(eval("s12"), 0);
  EXPECT_EQ(eval("s0+s1*2"), 16);
  EXPECT_EQ(eval("s1*2+s0"), 16);
  EXPECT_EQ(eval("(s0+s1)*2"), 26);
  EXPECT_EQ(eval("2*3*4+1+1"), 26);
  EXPECT_EQ(eval("((((s1))))"), 3);
  EXPECT_EQ(eval("cdiv(s0,3)"), 4);
  EXPECT_EQ(eval("cdiv(9,3)"), 3);
  EXPECT_EQ(eval("cdiv(0,64)"), 0);
  EXPECT_EQ(eval("cdiv(s0*4096,256)"), 160);
  EXPECT_EQ(eval("div(s0,3)"), 3);
  EXPECT_EQ(eval("div(9,3)"), 3);
  EXPECT_EQ(eval("div(2,3)"), 0);
  EXPECT_EQ(eval("max(div(132,s0*8),1)"), 1);
  EXPECT_EQ(eval("min(s0,s1)"), 3);
  EXPECT_EQ(eval("max(s0,s1)"), 10);
  EXPECT_EQ(eval("max(s12,1)*min(cdiv(s0,4),2)+1"), 3);
  EXPECT_EQ(eval("cdiv(min(s0,100)+max(s1,s12),2)*2"), 14);

  Expression e;
  ASSERT_EQ(parseExpression("cdiv(s3*s1,s3)+s7", e), "");
  EXPECT_EQ(e.text, "cdiv(s3*s1,s3)+s7");
  EXPECT_EQ(e.symbols(), (std::vector<int64_t>{3, 1, 7}));
  int64_t value = 0;
  EXPECT_EQ(evaluateExpression(e, {{7, 1}, {3, 5}, {1, 6}}, value), "");
  EXPECT_EQ(value, 7);
}

TEST(PlanExpression, SyntaxErrors) {
  struct Case {
    std::string text, message;
  };
  const Case cases[] = {
      {"", "empty expression"},
      {"+", "unexpected '+' at column 1 of '+' (expected a number, a symbol "
            "sN, cdiv(, div(, min(, max( or '(')"},
      {"-1", "unexpected '-' at column 1 of '-1' (expected a number"},
      {"s0-1", "unexpected '-' at column 3 of 's0-1' (expected '+', '*' or "
               "the end)"},
      {"s0 ", "unexpected ' ' at column 3 of 's0 ' (expected '+', '*' or the "
              "end)"},
      {"4/2", "unexpected '/' at column 2 of '4/2' (expected '+', '*' or the "
              "end)"},
      {"s0+", "'s0+' ends early (expected a number, a symbol sN, cdiv(, div(, min(, "
              "max( or '(')"},
      {"2**3", "unexpected '*' at column 3 of '2**3' (expected a number"},
      {"(s0", "'(s0' ends early (expected ')')"},
      {"s0)", "unexpected ')' at column 3 of 's0)' (expected '+', '*' or the "
              "end)"},
      {"()", "unexpected ')' at column 2 of '()' (expected a number"},
      {"cdiv", "'cdiv' ends early (expected '(')"},
      {"cdiv (1,2)", "unexpected ' ' at column 5 of 'cdiv (1,2)' (expected "
                     "'(')"},
      {"cdiv(1)", "unexpected ')' at column 7 of 'cdiv(1)' (expected ',')"},
      {"min(1,2,3)", "unexpected ',' at column 8 of 'min(1,2,3)' (expected "
                     "')')"},
      {"max(,2)", "unexpected ',' at column 5 of 'max(,2)' (expected a "
                  "number"},
      {"ceil(1,2)", "unknown name 'ceil' at column 1 of 'ceil(1,2)' (expected "
                    "a symbol sN, cdiv, div, min or max)"},
      {"S0", "unexpected 'S' at column 1 of 'S0' (expected a number"},
      {"s", "unknown name 's' at column 1 of 's'"},
      {"sx", "unknown name 'sx' at column 1 of 'sx'"},
      {"s0x", "unexpected 'x' at column 3 of 's0x' (expected '+', '*', ',', "
              "')' or the end after a symbol)"},
      {"4s0", "unexpected 's' at column 2 of '4s0' (expected '+', '*' or the "
              "end)"},
      {"9223372036854775808", "number '9223372036854775808' at column 1 of "
                              "'9223372036854775808' does not fit in 64 bits"},
      {"s99999999999999999999", "number 's99999999999999999999' at column 1 "
                                "of 's99999999999999999999' does not fit in "
                                "64 bits"},
      {std::string(40, '(') + "1" + std::string(40, ')'),
       "nests deeper than 32 levels"},
      {"max(" + std::string(40, '(') + "1" + std::string(40, ')') + ",1)",
       "nests deeper than 32 levels"},
  };
  for (const Case &c : cases) {
    Expression e;
    std::string error = parseExpression(c.text, e);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "expression: " << c.text << "\nerror: " << error
        << "\nexpected: " << c.message;
    EXPECT_TRUE(e.nodes.empty()) << c.text;
    EXPECT_NE(evalError(c.text).find(c.message), std::string::npos) << c.text;
  }
  // 32 levels are fine.
  EXPECT_EQ(eval(std::string(31, '(') + "1" + std::string(31, ')')), 1);
}

TEST(PlanExpression, OverflowDivisionByZeroAndUnboundSymbols) {
  const int64_t big = int64_t(1) << 32;
  EXPECT_EQ(evalError("s0*s0", {{0, big}}),
            "'s0*s0' overflows 64-bit integers (with s0=4294967296)");
  EXPECT_EQ(evalError("9223372036854775807+1"),
            "'9223372036854775807+1' overflows 64-bit integers");
  EXPECT_EQ(evalError("s0+s1", {{0, INT64_MAX}, {1, 1}}),
            "'s0+s1' overflows 64-bit integers (with s0=9223372036854775807, "
            "s1=1)");
  EXPECT_EQ(evalError("cdiv(s0,s1)", {{0, 5}, {1, 0}}),
            "'cdiv(s0,s1)' divides by zero (with s0=5, s1=0)");
  EXPECT_EQ(evalError("cdiv(1,0)"), "'cdiv(1,0)' divides by zero");
  EXPECT_EQ(evalError("s0+s3"), "symbol s3 of 's0+s3' is not bound");
  // The largest values that do not overflow.
  int64_t value = 0;
  EXPECT_EQ(evaluateExpression("s0*2+1", {{0, INT64_MAX / 2}}, value), "");
  EXPECT_EQ(value, INT64_MAX);
  EXPECT_EQ(evaluateExpression("cdiv(s0,2)", {{0, INT64_MAX}}, value), "");
  EXPECT_EQ(value, int64_t(1) << 62);
  // Negative bindings (never sizes) still divide without UB.
  EXPECT_EQ(evaluateExpression("cdiv(s0,s1)", {{0, -7}, {1, 2}}, value), "");
  EXPECT_EQ(value, -3);
  EXPECT_EQ(evaluateExpression("cdiv(s0,s1)", {{0, -7}, {1, -2}}, value), "");
  EXPECT_EQ(value, 4);
  EXPECT_EQ(evalError("cdiv(s0,s1)", {{0, INT64_MIN}, {1, -1}}),
            "'cdiv(s0,s1)' overflows 64-bit integers (with "
            "s0=-9223372036854775808, s1=-1)");
}

TEST(PlanCondition, ParsesAndEvaluates) {
  struct Case {
    std::string text;
    bool holds;
  };
  const Case cases[] = {
      {"s0 <= 10", true},   {"s0 <= 9", false},  {"s0 < 11", true},
      {"s0 < 10", false},   {"s0 >= 10", true},  {"s0 >= 11", false},
      {"s0 > 9", true},     {"s0 > 10", false},  {"s0 == 10", true},
      {"s0 == 11", false},  {"cdiv(s0,4) == 3", true},
      {"s0*s1 > s0+s1", true},
      // Conjunctions hold when every comparison does.
      {"s0 <= 10 and s1 == 3", true},
      {"s0 <= 10 and s1 == 4", false},
      {"s0 < 10 and s1 == 3", false},
      {"s0 > 1 and s1 > 1 and s0*s1 == 30", true},
      {"s0 > 1 and s1 > 1 and s0*s1 == 31", false},
  };
  for (const Case &c : cases) {
    Condition condition;
    ASSERT_EQ(parseCondition(c.text, condition), "") << c.text;
    bool holds = !c.holds;
    EXPECT_EQ(evaluateCondition(condition, {{0, 10}, {1, 3}}, holds), "")
        << c.text;
    EXPECT_EQ(holds, c.holds) << c.text;
  }
  Condition condition;
  EXPECT_EQ(parseCondition("s0 != 1", condition),
            "condition 's0 != 1': unknown comparison '!=' (expected <=, <, "
            ">=, > or ==)");
  EXPECT_EQ(parseCondition("s0<=1", condition),
            "condition 's0<=1' is not '<expr> <op> <expr>' with single spaces");
  EXPECT_EQ(parseCondition("s0 <= 1 <= 2", condition),
            "condition 's0 <= 1 <= 2': expected 'and' after 's0 <= 1', got "
            "'<='");
  EXPECT_EQ(parseCondition("s0 <= 4 and", condition),
            "condition 's0 <= 4 and' ends early (expected '<expr> <op> "
            "<expr>' after 'and')");
  EXPECT_EQ(parseCondition("s0 <= 4 and s1 <", condition),
            "condition 's0 <= 4 and s1 <' ends early (expected '<expr> <op> "
            "<expr>' after 'and')");
  EXPECT_EQ(parseCondition("s0 <= 4 and s1 < x", condition),
            "condition 's0 <= 4 and s1 < x': unknown name 'x' at column 1 of "
            "'x' (expected a symbol sN, cdiv, div, min or max)");
  EXPECT_EQ(parseCondition("s0 <= 4 and s1 < 2 ", condition),
            "condition 's0 <= 4 and s1 < 2 ' is not '<expr> <op> <expr>' with "
            "single spaces");
  EXPECT_EQ(parseCondition("", condition),
            "condition '' is not '<expr> <op> <expr>' with single spaces");
  EXPECT_EQ(parseCondition("s0* <= 1", condition),
            "condition 's0* <= 1': 's0*' ends early (expected a number, a "
            "symbol sN, cdiv(, div(, min(, max( or '(')");
  EXPECT_EQ(parseCondition("1 <= x", condition),
            "condition '1 <= x': unknown name 'x' at column 1 of 'x' "
            "(expected a symbol sN, cdiv, div, min or max)");
  ASSERT_EQ(parseCondition("s0*s0 > 1", condition), "");
  bool holds = false;
  EXPECT_EQ(evaluateCondition(condition, {{0, int64_t(1) << 40}}, holds),
            "'s0*s0' overflows 64-bit integers (with s0=1099511627776)");
  ASSERT_EQ(parseCondition("1 > s5", condition), "");
  EXPECT_EQ(evaluateCondition(condition, {}, holds),
            "symbol s5 of 's5' is not bound");

  // Terms are evaluated in order up to the first that does not hold.
  ASSERT_EQ(parseCondition("s0 > 4 and s1 < 8 and s2 == 1", condition), "");
  ASSERT_EQ(condition.terms.size(), 3u);
  EXPECT_EQ(condition.terms[0].lhs.text, "s0");
  EXPECT_EQ(condition.terms[0].op, Comparison::Op::GT);
  EXPECT_EQ(condition.terms[1].op, Comparison::Op::LT);
  EXPECT_EQ(condition.terms[2].op, Comparison::Op::EQ);
  EXPECT_EQ(condition.terms[2].rhs.text, "1");
  holds = true;
  EXPECT_EQ(evaluateCondition(condition, {{0, 1}}, holds), "");
  EXPECT_FALSE(holds);
  EXPECT_EQ(evaluateCondition(condition, {{0, 5}, {1, 2}}, holds),
            "symbol s2 of 's2' is not bound");
  EXPECT_EQ(evaluateCondition(condition, {{0, 5}, {1, 2}, {2, 1}}, holds), "");
  EXPECT_TRUE(holds);
  ASSERT_EQ(parseCondition("s0 < 2 and s0*s0 > 1", condition), "");
  EXPECT_EQ(evaluateCondition(condition, {{0, int64_t(1) << 40}}, holds), "");
  EXPECT_FALSE(holds);
  EXPECT_EQ(evaluateCondition(Condition(), {}, holds), "");
  EXPECT_TRUE(holds);
}
