//===- Artifact.h - Reading and writing .tsm artifacts ----------*- C++ -*-===//
//
// The container format and the manifest of docs/artifact-format.md. Shared by
// the runtime (reader, manifest parser) and the compiler (writer, manifest
// printer): it depends on nothing but the C++ standard library, throws
// nothing and aborts on no input; every failure is an error message.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_ARTIFACT_H
#define TESSERA_RUNTIME_ARTIFACT_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::artifact {

/// The format version this code reads and writes.
constexpr uint32_t kFormatVersion = 1;
/// The manifest version this code writes.
constexpr int64_t kManifestVersion = 2;
/// The oldest manifest version parseManifest reads (with its own meaning).
constexpr int64_t kOldestManifestVersion = 1;
constexpr size_t kHeaderSize = 40;
constexpr size_t kSectionEntrySize = 32;
constexpr uint32_t kMaxSections = 64;
/// The largest rank the runtime passes (and the manifest parser accepts).
constexpr size_t kMaxRank = 16;
/// The largest rank of a tensor map (cuTensorMapEncodeTiled).
constexpr size_t kMaxTensorMapRank = 5;
/// The magic bytes at offset 0: "TESSERA" and a NUL.
constexpr char kMagic[8] = {'T', 'E', 'S', 'S', 'E', 'R', 'A', '\0'};

/// Section kinds.
enum class SectionKind : uint32_t {
  Manifest = 1,
  CpuObject = 2,
  Ptx = 3,
  Cubin = 4,
  /// The float64 reference program of docs/reference-format.md (not yet in
  /// the kind table of docs/artifact-format.md).
  Reference = 5,
};

/// The name of a section kind ("manifest", "cpu-object", ...), or "" for a
/// kind version 1 does not define.
const char *getSectionKindName(uint32_t kind);

/// 64-bit FNV-1a of `size` bytes at `data`.
uint64_t fnv1a64(const void *data, size_t size);

/// A section to write.
struct Section {
  SectionKind kind;
  std::vector<uint8_t> bytes;
};

/// Returns a version-1 artifact holding `sections`, in order, packed right
/// after the section table (every byte of the file is then covered by a
/// checksum). Returns an empty vector when `sections` cannot form a valid
/// file: more than kMaxSections, a kind twice or a kind not in the format.
std::vector<uint8_t> writeArtifact(const std::vector<Section> &sections);

/// A section of an artifact read in memory: a view of the caller's bytes.
struct SectionView {
  SectionKind kind;
  /// Offset of the section's bytes in the file.
  uint64_t offset;
  const uint8_t *data;
  size_t size;
};

/// What is wrong with bytes that are not a valid artifact.
enum class ReadError {
  None,
  /// The bytes do not start with the magic: not an artifact at all.
  NotAnArtifact,
  /// A valid header of a format version this code does not read.
  UnsupportedVersion,
  /// Truncated, corrupted (a checksum mismatch) or inconsistent.
  Corrupt,
};

/// The sections of a valid artifact, in the order of its section table.
struct ArtifactView {
  std::vector<SectionView> sections;

  /// The section of `kind`, or null.
  const SectionView *find(SectionKind kind) const;
};

/// Validates `size` bytes at `data` as an artifact: magic, version, sizes,
/// bounds, overlaps, duplicate kinds and every checksum. On success fills
/// `out` (views of `data`) and returns ReadError::None; otherwise returns
/// the category and sets `message` to what is wrong.
ReadError readArtifact(const void *data, size_t size, ArtifactView &out,
                       std::string &message);

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

/// Element types; the values are those of tessera_dtype_t.
enum class DType : uint32_t {
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  F64 = 4,
  I8 = 5,
  I32 = 6,
  I64 = 7,
  F8E4M3FN = 8,
  F8E5M2 = 9,
};

/// Manifest name of `dtype` ("f32", ...), or "" for a value not in DType.
const char *getDTypeName(DType dtype);
/// Parses a manifest dtype name; returns false for an unknown one.
bool parseDType(std::string_view name, DType &dtype);
/// Size in bytes of one element, 0 for a value not in DType.
size_t getDTypeSize(DType dtype);

/// An argument, result, buffer or view of a function.
struct ValueDesc {
  std::string name;
  DType dtype = DType::F32;
  /// The static size of each dimension, or -1 where dynamic.
  std::vector<int64_t> dims;
  /// The symbol number N of a dynamic size `sN`, or -1 (static sizes, `?`
  /// and expressions). Same length as `dims`.
  std::vector<int64_t> symbols;
  /// Buffers and views only: the expression of each dimension sized by one
  /// (written `(<expr>)`; its dims and symbols entries are -1), "" for the
  /// others. Same length as `dims` when some dimension is an expression,
  /// else empty.
  std::vector<std::string> exprs;
};

/// `view <name> <base> <dims>` of a GPU function (manifest version 2): the
/// storage of `base` (its device pointer, row-major, offset 0) seen with
/// other sizes of the same element count, which the runtime checks at every
/// invoke. A reshape between kernels, which moves no data.
struct ViewDesc {
  /// The view's name (distinct from every other value of the function), its
  /// dtype (the base's: the manifest does not write it, parseManifest copies
  /// it and verifyManifest checks it) and its sizes, as a buffer's: numbers,
  /// symbols the arguments bind or expressions (`exprs`), no '?'; rank 0 to
  /// kMaxRank.
  ValueDesc value;
  /// The argument, result, buffer or earlier view of the function whose
  /// storage it is.
  std::string base;
};

/// A parameter of a kernel launch of a GPU plan.
struct KernelParam {
  enum class Kind { Memref, I64, I32, TensorMap } kind = Kind::Memref;
  /// Memref/TensorMap: the name of an argument, result, buffer or view of
  /// the function (arg0, result0, t0, v0); I64/I32: the text of an
  /// expression.
  std::string value;
  /// TensorMap: the TMA box in elements, innermost dimension first, one size
  /// per dimension of the value (so its rank, 1..5; a view's own rank).
  std::vector<int64_t> box;
  /// TensorMap: the swizzle span in bytes: 0 (none), 32, 64 or 128.
  int64_t swizzle = 128;
};

/// The text of `param` in a launch line ("memref:t0", "i64:s0*2",
/// "tmap:arg0:64x128:128").
std::string printKernelParam(const KernelParam &param);

/// `launch <kernel> grid <x> <y> <z> block <x> <y> <z> smem <bytes> params
/// <param>...`.
struct LaunchStep {
  /// The kernel's name in the ptx/cubin module.
  std::string kernel;
  /// Expressions for the number of blocks in x, y and z.
  std::array<std::string, 3> grid;
  std::array<int64_t, 3> block = {1, 1, 1};
  /// Dynamic shared memory in bytes.
  int64_t sharedMemoryBytes = 0;
  std::vector<KernelParam> params;
};

/// A step of a variant: `memset <value>` or a launch.
struct PlanStep {
  enum class Kind { Memset, Launch } kind = Kind::Launch;
  /// Memset: the result, buffer or view (of a result or buffer) filled with
  /// zero bytes.
  std::string buffer;
  /// Launch: the launch.
  LaunchStep launch;
};

/// `variant <condition>` and its steps.
struct Variant {
  /// "" for `variant always`, else one or more "<expr> <op> <expr>" (op one
  /// of <= < >= > ==) joined by " and ", with single spaces.
  std::string condition;
  std::vector<PlanStep> steps;
};

struct FunctionDesc {
  std::string name;
  /// The exported symbol of the packed function (CPU); `-` for GPU functions
  /// (unused).
  std::string symbol;
  std::vector<ValueDesc> args;
  std::vector<ValueDesc> results;
  /// GPU functions: the device temporaries (`buffer` lines), named t0, t1...
  std::vector<ValueDesc> buffers;
  /// GPU functions: other views of the storage of the values above or of
  /// earlier views (`view` lines, version 2), which the compiler names v0,
  /// v1, ...
  std::vector<ViewDesc> views;
  /// GPU functions: the plan, at least one variant, the last one `always`.
  /// Empty for CPU functions.
  std::vector<Variant> variants;
};

struct Manifest {
  /// "cpu", "sm_90a" or "sm_80".
  std::string target;
  /// CPU features the code needs (names of isCpuFeatureName), checked by
  /// the runtime before it loads the object.
  std::vector<std::string> cpuFeatures;
  std::vector<FunctionDesc> functions;
};

/// Whether `target` names a GPU (sm_90a, sm_80).
bool isGpuTarget(std::string_view target);

/// Whether `name` is an x86 feature a manifest may require: a psABI level
/// (x86-64-v2, x86-64-v3, x86-64-v4) or sse4.2, avx, avx2, fma, f16c,
/// avx512f, avx512bw, avx512dq, avx512vl, avx512bf16.
bool isCpuFeatureName(std::string_view name);

/// Parses manifest text of version kManifestVersion or, with its meaning
/// translated, kOldestManifestVersion (a version-1 `tmap:<v>:<i>x<o>` has
/// the box {i, o, 1, ...} and swizzle 128; version 1 has no views). Fills
/// the dtype of each view with its base's. Returns "" on success; otherwise
/// a message that starts with "manifest line N: " (N from 1) and `out` is
/// unspecified.
std::string parseManifest(std::string_view text, Manifest &out);

/// Checks what parseManifest checks on a manifest built in memory (names,
/// target, ranks, dims/symbols/exprs consistency, duplicates, GPU plans:
/// value references, views (a base that is an argument, result, buffer or
/// earlier view, its dtype), expressions (conditions, buffer and view sizes,
/// launches), symbols bound by the arguments, launch dimensions, tensor-map
/// boxes and swizzles, the variants' order). Returns "" or an error message
/// naming the function and value or step.
std::string verifyManifest(const Manifest &manifest);

/// Prints `manifest` as text parseManifest reads back, in version
/// kManifestVersion. A dimension prints as its static size where
/// dims[i] >= 0, as `sN` where symbols[i] = N >= 0, as `(<expr>)` where
/// exprs[i] is not empty and as `?` otherwise. Call verifyManifest first: a
/// manifest that fails it prints text that parseManifest rejects.
std::string printManifest(const Manifest &manifest);

//===----------------------------------------------------------------------===//
// Plan expressions
//===----------------------------------------------------------------------===//

/// The value of the size symbol `sN`.
struct SymbolValue {
  int64_t symbol;
  int64_t value;
};

/// A parsed expression of a plan: integers, symbols sN, `+`, `*`,
/// `cdiv(a,b)`, `min(a,b)`, `max(a,b)` and parentheses, without spaces.
struct Expression {
  enum class Op : uint8_t {
    Constant,
    Symbol,
    Add,
    Mul,
    CeilDiv,
    FloorDiv,
    Min,
    Max
  };
  struct Node {
    Op op;
    /// Constant: the number; Symbol: N of sN.
    int64_t value;
  };
  /// The text it was parsed from.
  std::string text;
  /// The nodes in postfix order.
  std::vector<Node> nodes;

  /// The symbols it uses, each once, in order of first use.
  std::vector<int64_t> symbols() const;
};

/// Parses `text`. Returns "" or what is wrong (naming the column).
std::string parseExpression(std::string_view text, Expression &out);

/// Evaluates `expr` with `symbols`. Returns "" and sets `value`, or an error:
/// an unbound symbol, an overflow of int64 or a division by zero.
std::string evaluateExpression(const Expression &expr,
                               const std::vector<SymbolValue> &symbols,
                               int64_t &value);

/// parseExpression, then evaluateExpression.
std::string evaluateExpression(std::string_view text,
                               const std::vector<SymbolValue> &symbols,
                               int64_t &value);

/// A comparison `<expr> <op> <expr>` of a variant's condition.
struct Comparison {
  enum class Op { LE, LT, GE, GT, EQ };
  Expression lhs;
  Op op = Op::LE;
  Expression rhs;
};

/// A variant's condition: comparisons joined by `and`, which holds when
/// every one does.
struct Condition {
  std::vector<Comparison> terms;
};

/// Parses one or more "<expr> <op> <expr>" joined by " and " (single
/// spaces). Returns "" or the problem.
std::string parseCondition(std::string_view text, Condition &out);

/// Evaluates the terms of `condition` in order, up to the first that does
/// not hold; returns "" and sets `holds`, or an error as evaluateExpression.
/// A condition without terms holds.
std::string evaluateCondition(const Condition &condition,
                              const std::vector<SymbolValue> &symbols,
                              bool &holds);

} // namespace tessera::artifact

#endif // TESSERA_RUNTIME_ARTIFACT_H
