//===- Interpreter.cpp - Float64 interpreter of reference programs --------===//
//
// Part of the Tessera project.
//
//===----------------------------------------------------------------------===//
//
// The parser turns every function into a list of `Op`s over value slots (one
// slot per SSA value `%N`) and every generic body into a list of `BodyInst`s
// over a small register file (block arguments, scalar captures, then the
// body's own values). The evaluator walks the ops in order, releasing each
// slot after its last use. All checks that need shapes happen at run time,
// since shapes come from the arguments.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Reference/Interpreter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <unordered_map>
#include <utility>

namespace tessera::reference {
namespace detail {

/// Largest number of elements, and largest dimension, of any tensor the
/// interpreter creates or accepts.
constexpr int64_t kMaxElements = int64_t(1) << 31;
/// Largest iteration space of one generic.
constexpr int64_t kMaxPoints = int64_t(1) << 40;
/// Deepest nesting of an affine expression (bounds parser recursion).
constexpr int kMaxExprDepth = 64;

//===----------------------------------------------------------------------===//
// Program representation
//===----------------------------------------------------------------------===//

/// A `<size>` (or integer) operand: a literal or a rank-0 value.
struct SizeRef {
  /// Value slot, or -1 for a literal.
  int slot = -1;
  int64_t literal = 0;
};

/// A `<value>` operand: a literal or a rank-0 value.
struct ScalarRef {
  /// Value slot, or -1 for a literal.
  int slot = -1;
  double literal = 0.0;
};

/// A node of an affine expression. The nodes of one generic share a pool.
struct AffineNode {
  enum Kind { Dim, Const, Add, Mul, FloorDiv, CeilDiv, Mod };
  Kind kind = Const;
  /// Loop number (Dim) or constant (Const).
  int64_t value = 0;
  int lhs = -1, rhs = -1;
};

enum class BodyKind {
  ConstF,
  ConstI,
  AddF,
  SubF,
  MulF,
  DivF,
  MaximumF,
  MinimumF,
  PowF,
  NegF,
  AbsF,
  Exp,
  Log,
  Tanh,
  Sqrt,
  Rsqrt,
  Cos,
  Sin,
  Erf,
  AddI,
  SubI,
  MulI,
  DivSI,
  RemSI,
  DivUI,
  RemUI,
  MinSI,
  MaxSI,
  MinUI,
  MaxUI,
  AndI,
  OrI,
  XOrI,
  CmpF,
  CmpI,
  Select,
  Cast,
  FpToSi,
  Index,
  Extract
};

enum class CmpFPred {
  OEQ,
  OGT,
  OGE,
  OLT,
  OLE,
  ONE,
  ORD,
  UEQ,
  UGT,
  UGE,
  ULT,
  ULE,
  UNE,
  UNO,
  True,
  False
};

enum class CmpIPred { EQ, NE, SLT, SLE, SGT, SGE, ULT, ULE, UGT, UGE };

/// One line of a generic body.
struct BodyInst {
  BodyKind kind = BodyKind::Cast;
  std::string name;
  int64_t line = 0;
  /// Register written.
  int result = 0;
  /// Registers read (-1 when unused).
  int operands[3] = {-1, -1, -1};
  /// Extract: registers holding the indices.
  std::vector<int> indices;
  /// Extract: captured tensor.
  int capture = -1;
  /// CmpF/CmpI predicate.
  int pred = 0;
  /// Index: loop number.
  int64_t loop = 0;
  /// ConstF/ConstI value.
  double imm = 0.0;
};

/// A parsed `generic` block.
struct Generic {
  int64_t numLoops = 0;
  /// Value slots of the operands.
  std::vector<int> ins, outs, captures;
  std::vector<AffineNode> nodes;
  /// Per operand (ins, then outs): the root node of each result expression.
  std::vector<std::vector<int>> maps;
  std::vector<int64_t> mapLines;
  /// Per loop: the (operand, dimension) giving its bound.
  std::vector<std::pair<int, int>> loopBounds;
  std::vector<BodyInst> body;
  /// Registers yielded, one per output.
  std::vector<int> yields;
  /// Per capture: whether the body reads it as a scalar.
  std::vector<bool> scalarCaptures;
  int numRegs = 0;
};

enum class OpKind {
  Arg,
  Const,
  Splat,
  Dense,
  Dim,
  Empty,
  Reshape,
  Pad,
  Index,
  Matmul,
  Attention,
  MergeAttention,
  FftConv,
  Spmm,
  Spgemm,
  Convert,
  AssembleNM,
  Generic
};

enum class IndexOp { Add, Sub, Mul, Div, Rem, Min, Max };

/// One op line of a function.
struct Op {
  OpKind kind = OpKind::Const;
  std::string name;
  int64_t line = 0;
  /// Value slots defined and read.
  std::vector<int> results, operands;
  /// Shape operands; also the dimension of `dim` and the operands of `index`.
  std::vector<SizeRef> dims, dimsHigh;
  /// const/splat/pad value.
  ScalarRef scalar;
  /// dense values.
  std::vector<double> values;
  /// arg index, IndexOp, fftconv keep, attention window, assemble_nm n.
  int64_t intAttr = 0;
  /// assemble_nm m.
  int64_t intAttr2 = 0;
  /// matmul transposeA/transposeB, attention causal.
  bool flagA = false, flagB = false;
  /// matmul alpha, attention scale.
  double floatAttr = 0.0;
  Epilogue epilogue = Epilogue::None;
  /// matmul bias / fftconv d present (last operand).
  bool hasOptional = false;
  /// matmul scale_a and scale_b present (operands 2 and 3).
  bool hasScales = false;
  std::unique_ptr<Generic> generic;
};

} // namespace detail

struct ReferenceFunction {
  std::string name;
  /// The `precision` line's type name, or "".
  std::string precision;
  int64_t line = 0;
  int64_t numArgs = 0;
  /// The `N` of `%N` for each slot.
  std::vector<int64_t> slotIds;
  std::vector<detail::Op> ops;
  std::vector<int> returns;
  /// Per op: the slots whose last use it is.
  std::vector<std::vector<int>> releaseAfter;
};

namespace detail {
namespace {

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string numberString(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

/// Computes the element count of `shape` into `count`. Returns a message for
/// negative dimensions and for shapes above kMaxElements (elements or
/// dimension), without overflowing.
std::string checkedCount(const std::vector<int64_t> &shape, int64_t &count) {
  bool hasZero = false;
  for (int64_t dim : shape) {
    if (dim < 0)
      return "negative dimension in shape " + shapeString(shape);
    if (dim > kMaxElements)
      return "shape " + shapeString(shape) +
             " has a dimension above the limit of 2^31";
    hasZero |= dim == 0;
  }
  count = 1;
  if (hasZero) {
    count = 0;
    return "";
  }
  for (int64_t dim : shape) {
    if (count > kMaxElements / dim)
      return "shape " + shapeString(shape) +
             " has more elements than the limit of 2^31";
    count *= dim;
  }
  return "";
}

/// Converts an integer value held as a double to int64. Fails for NaN,
/// infinities and values outside the int64 range; rounds anything else to
/// the nearest integer.
bool toInt64(double v, int64_t &out) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
    return false;
  out = static_cast<int64_t>(std::llround(v));
  return true;
}

int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) +
                              static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) *
                              static_cast<uint64_t>(b));
}

/// Overflow-checked int64 arithmetic for affine expressions.
bool checkedAdd(int64_t a, int64_t b, int64_t &out) {
  if ((b > 0 && a > std::numeric_limits<int64_t>::max() - b) ||
      (b < 0 && a < std::numeric_limits<int64_t>::min() - b))
    return false;
  out = a + b;
  return true;
}

bool checkedMul(int64_t a, int64_t b, int64_t &out) {
  if (a == 0 || b == 0) {
    out = 0;
    return true;
  }
  if ((a == -1 && b == std::numeric_limits<int64_t>::min()) ||
      (b == -1 && a == std::numeric_limits<int64_t>::min()))
    return false;
  int64_t r = wrapMul(a, b);
  if (r / b != a)
    return false;
  out = r;
  return true;
}

/// Division rounding toward negative infinity; false on zero or overflow.
bool floorDiv(int64_t a, int64_t b, int64_t &out) {
  if (b == 0 || (b == -1 && a == std::numeric_limits<int64_t>::min()))
    return false;
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0)))
    --q;
  out = q;
  return true;
}

/// Division rounding toward positive infinity; false on zero or overflow.
bool ceilDiv(int64_t a, int64_t b, int64_t &out) {
  if (b == 0 || (b == -1 && a == std::numeric_limits<int64_t>::min()))
    return false;
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) == (b < 0)))
    ++q;
  out = q;
  return true;
}

/// a - floorDiv(a, b) * b (the sign of the divisor); false on zero.
bool floorMod(int64_t a, int64_t b, int64_t &out) {
  if (b == 0)
    return false;
  if (b == -1) {
    out = 0;
    return true;
  }
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  out = r;
  return true;
}

/// Evaluates affine node `n`; false on division by zero or overflow.
bool evalAffine(const std::vector<AffineNode> &nodes, int n, const int64_t *idx,
                int64_t &out) {
  const AffineNode &node = nodes[n];
  switch (node.kind) {
  case AffineNode::Dim:
    out = idx[node.value];
    return true;
  case AffineNode::Const:
    out = node.value;
    return true;
  default:
    break;
  }
  int64_t a, b;
  if (!evalAffine(nodes, node.lhs, idx, a) ||
      !evalAffine(nodes, node.rhs, idx, b))
    return false;
  switch (node.kind) {
  case AffineNode::Add:
    return checkedAdd(a, b, out);
  case AffineNode::Mul:
    return checkedMul(a, b, out);
  case AffineNode::FloorDiv:
    return floorDiv(a, b, out);
  case AffineNode::CeilDiv:
    return ceilDiv(a, b, out);
  case AffineNode::Mod:
    return floorMod(a, b, out);
  default:
    return false;
  }
}

/// IEEE 754 maximum / minimum: NaN propagates and -0 < +0.
double maximumF(double x, double y) {
  if (std::isnan(x) || std::isnan(y))
    return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0 && y == 0.0)
    return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

double minimumF(double x, double y) {
  if (std::isnan(x) || std::isnan(y))
    return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0 && y == 0.0)
    return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

bool compareF(CmpFPred pred, double x, double y) {
  bool unordered = std::isnan(x) || std::isnan(y);
  switch (pred) {
  case CmpFPred::OEQ:
    return !unordered && x == y;
  case CmpFPred::OGT:
    return !unordered && x > y;
  case CmpFPred::OGE:
    return !unordered && x >= y;
  case CmpFPred::OLT:
    return !unordered && x < y;
  case CmpFPred::OLE:
    return !unordered && x <= y;
  case CmpFPred::ONE:
    return !unordered && x != y;
  case CmpFPred::ORD:
    return !unordered;
  case CmpFPred::UEQ:
    return unordered || x == y;
  case CmpFPred::UGT:
    return unordered || x > y;
  case CmpFPred::UGE:
    return unordered || x >= y;
  case CmpFPred::ULT:
    return unordered || x < y;
  case CmpFPred::ULE:
    return unordered || x <= y;
  case CmpFPred::UNE:
    return unordered || x != y;
  case CmpFPred::UNO:
    return unordered;
  case CmpFPred::True:
    return true;
  case CmpFPred::False:
    return false;
  }
  return false;
}

bool compareI(CmpIPred pred, int64_t a, int64_t b) {
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (pred) {
  case CmpIPred::EQ:
    return a == b;
  case CmpIPred::NE:
    return a != b;
  case CmpIPred::SLT:
    return a < b;
  case CmpIPred::SLE:
    return a <= b;
  case CmpIPred::SGT:
    return a > b;
  case CmpIPred::SGE:
    return a >= b;
  case CmpIPred::ULT:
    return ua < ub;
  case CmpIPred::ULE:
    return ua <= ub;
  case CmpIPred::UGT:
    return ua > ub;
  case CmpIPred::UGE:
    return ua >= ub;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Lexing
//===----------------------------------------------------------------------===//

/// A non-empty line, split into tokens, with comments removed.
struct Line {
  int64_t number = 0;
  std::vector<std::string_view> tokens;
};

/// Token separators: the format uses single spaces; tabs, carriage returns
/// and NUL padding are tolerated.
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
         c == '\0';
}

std::vector<Line> splitLines(std::string_view text) {
  std::vector<Line> lines;
  int64_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    size_t hash = line.find('#');
    if (hash != std::string_view::npos)
      line = line.substr(0, hash);
    Line parsed;
    parsed.number = number;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && isSpace(line[i]))
        ++i;
      size_t j = i;
      while (j < line.size() && !isSpace(line[j]))
        ++j;
      if (j > i)
        parsed.tokens.push_back(line.substr(i, j - i));
      i = j;
    }
    if (!parsed.tokens.empty())
      lines.push_back(std::move(parsed));
  }
  return lines;
}

bool parseInt(std::string_view tok, int64_t &out) {
  if (tok.empty())
    return false;
  const char *begin = tok.data(), *end = tok.data() + tok.size();
  auto res = std::from_chars(begin, end, out);
  return res.ec == std::errc() && res.ptr == end;
}

bool parseDouble(std::string_view tok, double &out) {
  if (!tok.empty() && tok[0] == '+') {
    tok.remove_prefix(1);
    if (!tok.empty() && tok[0] == '-')
      return false;
  }
  if (tok.empty())
    return false;
  const char *begin = tok.data(), *end = tok.data() + tok.size();
  auto res = std::from_chars(begin, end, out, std::chars_format::general);
  return res.ec == std::errc() && res.ptr == end;
}

/// Parses `<prefix><digits>` (e.g. `%3`, `t0`) into `id`.
bool parseName(std::string_view tok, char prefix, int64_t &id) {
  if (tok.size() < 2 || tok[0] != prefix)
    return false;
  for (char c : tok.substr(1))
    if (c < '0' || c > '9')
      return false;
  return parseInt(tok.substr(1), id);
}

/// Reads the tokens of one line in order.
struct Cursor {
  const std::vector<std::string_view> &tokens;
  size_t pos;

  bool done() const { return pos >= tokens.size(); }
  size_t left() const { return done() ? 0 : tokens.size() - pos; }
  std::string_view peek() const {
    return done() ? std::string_view() : tokens[pos];
  }
};

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

class Parser {
public:
  explicit Parser(std::vector<Line> input) : lines(std::move(input)) {}

  /// Parses all lines into `program`; returns "" or a message.
  std::string parse(ReferenceProgram &program);

private:
  /// Records `msg` for the current line; returns false.
  bool fail(const std::string &msg) {
    if (error.empty())
      error = "reference line " + std::to_string(lineNo) + ": " + msg;
    return false;
  }

  bool parseFunction(const Line &header, ReferenceProgram &program);
  bool parseOpLine(const Line &line);
  bool parseOp(std::string_view opName, Cursor &c, Op &op, size_t numResults);
  bool parseGeneric(Cursor &c, Op &op, size_t numResults);
  bool parseBodyLine(const Line &line, Generic &g,
                     std::unordered_map<int64_t, int> &temps);
  bool parseAffine(std::string_view s, size_t &pos, int depth, Generic &g,
                   int &node);

  // Token readers; each fails with a message naming `what`.
  bool take(Cursor &c, std::string_view &tok, const std::string &what);
  bool expect(Cursor &c, std::string_view keyword);
  bool expectEnd(Cursor &c);
  bool takeInt(Cursor &c, int64_t &out, const std::string &what);
  bool takeCount(Cursor &c, int64_t &out, const std::string &what);
  bool takeFlag(Cursor &c, bool &out, const std::string &what);
  bool takeDouble(Cursor &c, double &out, const std::string &what);
  bool takeValue(Cursor &c, int &slot);
  bool takeSize(Cursor &c, SizeRef &out, bool allowNegative);
  bool takeDims(Cursor &c, std::vector<SizeRef> &out);
  bool takeScalar(Cursor &c, ScalarRef &out);
  bool takeBodyRef(Cursor &c, Generic &g,
                   const std::unordered_map<int64_t, int> &temps, int &reg);

  /// Marks `slot` as read by the op being parsed.
  void use(int slot) { lastUse[slot] = opIndex; }

  std::vector<Line> lines;
  size_t next = 0;
  int64_t lineNo = 1;
  std::string error;

  // State of the function being parsed.
  ReferenceFunction *fn = nullptr;
  std::unordered_map<int64_t, int> slotOf;
  std::vector<size_t> lastUse;
  size_t opIndex = 0;
};

bool Parser::take(Cursor &c, std::string_view &tok, const std::string &what) {
  if (c.done())
    return fail("expected " + what + " at the end of the line");
  tok = c.tokens[c.pos++];
  return true;
}

bool Parser::expect(Cursor &c, std::string_view keyword) {
  std::string_view tok;
  if (!take(c, tok, "'" + std::string(keyword) + "'"))
    return false;
  if (tok != keyword)
    return fail("expected '" + std::string(keyword) + "', got '" +
                std::string(tok) + "'");
  return true;
}

bool Parser::expectEnd(Cursor &c) {
  if (!c.done())
    return fail("unexpected token '" + std::string(c.peek()) + "'");
  return true;
}

bool Parser::takeInt(Cursor &c, int64_t &out, const std::string &what) {
  std::string_view tok;
  if (!take(c, tok, what))
    return false;
  if (!parseInt(tok, out))
    return fail("bad number '" + std::string(tok) + "' for " + what);
  return true;
}

bool Parser::takeCount(Cursor &c, int64_t &out, const std::string &what) {
  if (!takeInt(c, out, what))
    return false;
  if (out < 0)
    return fail(what + " must be non-negative, got " + std::to_string(out));
  if (static_cast<uint64_t>(out) > c.left())
    return fail(what + " is " + std::to_string(out) + " but only " +
                std::to_string(c.left()) + " tokens follow");
  return true;
}

bool Parser::takeFlag(Cursor &c, bool &out, const std::string &what) {
  int64_t v;
  if (!takeInt(c, v, what))
    return false;
  if (v != 0 && v != 1)
    return fail(what + " must be 0 or 1, got " + std::to_string(v));
  out = v == 1;
  return true;
}

bool Parser::takeDouble(Cursor &c, double &out, const std::string &what) {
  std::string_view tok;
  if (!take(c, tok, what))
    return false;
  if (!parseDouble(tok, out))
    return fail("bad number '" + std::string(tok) + "' for " + what);
  return true;
}

bool Parser::takeValue(Cursor &c, int &slot) {
  std::string_view tok;
  if (!take(c, tok, "a value"))
    return false;
  int64_t id;
  if (!parseName(tok, '%', id))
    return fail("expected a value '%N', got '" + std::string(tok) + "'");
  auto it = slotOf.find(id);
  if (it == slotOf.end())
    return fail("undefined value " + std::string(tok));
  slot = it->second;
  use(slot);
  return true;
}

bool Parser::takeSize(Cursor &c, SizeRef &out, bool allowNegative) {
  std::string_view tok = c.peek();
  if (!tok.empty() && tok[0] == '%') {
    out.literal = 0;
    return takeValue(c, out.slot);
  }
  out.slot = -1;
  if (!takeInt(c, out.literal, allowNegative ? "an integer" : "a size"))
    return false;
  if (!allowNegative && out.literal < 0)
    return fail("negative size " + std::to_string(out.literal));
  return true;
}

bool Parser::takeDims(Cursor &c, std::vector<SizeRef> &out) {
  int64_t count;
  if (!takeCount(c, count, "the dimension count"))
    return false;
  out.resize(static_cast<size_t>(count));
  for (SizeRef &size : out)
    if (!takeSize(c, size, /*allowNegative=*/false))
      return false;
  return true;
}

bool Parser::takeScalar(Cursor &c, ScalarRef &out) {
  std::string_view tok = c.peek();
  if (!tok.empty() && tok[0] == '%') {
    out.literal = 0.0;
    return takeValue(c, out.slot);
  }
  out.slot = -1;
  return takeDouble(c, out.literal, "a value");
}

std::string Parser::parse(ReferenceProgram &program) {
  program.functions.clear();
  if (lines.empty()) {
    lineNo = 1;
    fail("missing header 'tessera-reference 1'");
    return error;
  }
  const Line &header = lines[next++];
  lineNo = header.number;
  if (header.tokens[0] != "tessera-reference" || header.tokens.size() != 2) {
    fail("expected header 'tessera-reference 1'");
    return error;
  }
  if (header.tokens[1] != "1") {
    fail("unsupported reference format version '" +
         std::string(header.tokens[1]) + "'");
    return error;
  }
  while (next < lines.size()) {
    const Line &line = lines[next++];
    lineNo = line.number;
    if (line.tokens[0] != "function") {
      fail("expected 'function', got '" + std::string(line.tokens[0]) + "'");
      break;
    }
    if (!parseFunction(line, program))
      break;
  }
  if (!error.empty())
    program.functions.clear();
  return error;
}

bool Parser::parseFunction(const Line &header, ReferenceProgram &program) {
  Cursor c{header.tokens, 1};
  std::string_view name;
  int64_t numArgs;
  if (!take(c, name, "a function name") ||
      !takeInt(c, numArgs, "the argument count") || !expectEnd(c))
    return false;
  if (numArgs < 0)
    return fail("negative argument count " + std::to_string(numArgs));
  for (const auto &other : program.functions)
    if (other->name == name)
      return fail("function '" + std::string(name) + "' is defined twice");

  auto function = std::make_shared<ReferenceFunction>();
  function->name = std::string(name);
  function->line = header.number;
  function->numArgs = numArgs;
  fn = function.get();
  slotOf.clear();
  lastUse.clear();
  bool returned = false;

  while (true) {
    if (next >= lines.size()) {
      lineNo = header.number;
      return fail("function '" + fn->name + "' is missing 'end'");
    }
    const Line &line = lines[next++];
    lineNo = line.number;
    std::string_view first = line.tokens[0];
    if (first == "end") {
      Cursor end{line.tokens, 1};
      if (!expectEnd(end))
        return false;
      if (!returned)
        return fail("function '" + fn->name + "' ends without 'return'");
      break;
    }
    if (first == "function")
      return fail("missing 'end' of function '" + fn->name +
                  "' before this line");
    if (first == "precision") {
      static const char *const names[] = {"f8e5m2", "f8e4m3fn", "bf16", "f16"};
      if (line.tokens.size() != 2 ||
          std::find(std::begin(names), std::end(names), line.tokens[1]) ==
              std::end(names))
        return fail("'precision' takes one of f8e5m2, f8e4m3fn, bf16, f16");
      if (!fn->ops.empty() || !fn->precision.empty())
        return fail("'precision' must come once, before the first op");
      fn->precision = std::string(line.tokens[1]);
      continue;
    }
    if (returned)
      return fail("expected 'end' after 'return', got '" + std::string(first) +
                  "'");
    if (first == "return") {
      opIndex = fn->ops.size();
      Cursor ret{line.tokens, 1};
      while (!ret.done()) {
        int slot;
        if (!takeValue(ret, slot))
          return false;
        fn->returns.push_back(slot);
      }
      returned = true;
      continue;
    }
    if (first[0] != '%')
      return fail("expected an op line, 'return' or 'end', got '" +
                  std::string(first) + "'");
    if (!parseOpLine(line))
      return false;
  }

  fn->releaseAfter.assign(fn->ops.size(), {});
  for (size_t slot = 0; slot < lastUse.size(); ++slot)
    if (lastUse[slot] < fn->ops.size())
      fn->releaseAfter[lastUse[slot]].push_back(static_cast<int>(slot));
  program.functions.push_back(std::move(function));
  fn = nullptr;
  return true;
}

bool Parser::parseOpLine(const Line &line) {
  const auto &tokens = line.tokens;
  size_t eq = 0;
  while (eq < tokens.size() && tokens[eq] != "=")
    ++eq;
  if (eq == tokens.size())
    return fail("expected '=' after the results");
  std::vector<int64_t> ids;
  for (size_t i = 0; i < eq; ++i) {
    int64_t id;
    if (!parseName(tokens[i], '%', id))
      return fail("expected a result '%N', got '" + std::string(tokens[i]) +
                  "'");
    ids.push_back(id);
  }
  if (eq + 1 >= tokens.size())
    return fail("expected an op name after '='");

  opIndex = fn->ops.size();
  Op op;
  op.line = line.number;
  op.name = std::string(tokens[eq + 1]);
  Cursor c{tokens, eq + 2};
  if (!parseOp(tokens[eq + 1], c, op, ids.size()))
    return false;
  if (op.kind != OpKind::Generic && !expectEnd(c))
    return false;

  // Define the results after reading the operands.
  for (int64_t id : ids) {
    if (slotOf.count(id))
      return fail("value %" + std::to_string(id) + " is defined twice");
    int slot = static_cast<int>(fn->slotIds.size());
    slotOf[id] = slot;
    fn->slotIds.push_back(id);
    lastUse.push_back(opIndex);
    op.results.push_back(slot);
  }
  fn->ops.push_back(std::move(op));
  return true;
}

bool Parser::parseOp(std::string_view opName, Cursor &c, Op &op,
                     size_t numResults) {
  auto needResults = [&](size_t lo, size_t hi) {
    if (numResults >= lo && numResults <= hi)
      return true;
    std::string want = std::to_string(lo);
    if (hi != lo)
      want += " or " + std::to_string(hi);
    return fail("'" + std::string(opName) + "' has " + want + " results, got " +
                std::to_string(numResults));
  };
  auto takeValues = [&](size_t count) {
    op.operands.resize(count);
    for (int &slot : op.operands)
      if (!takeValue(c, slot))
        return false;
    return true;
  };

  if (opName == "arg") {
    op.kind = OpKind::Arg;
    if (!needResults(1, 1) || !takeInt(c, op.intAttr, "the argument index"))
      return false;
    if (op.intAttr < 0 || op.intAttr >= fn->numArgs)
      return fail("argument index " + std::to_string(op.intAttr) +
                  " out of range (function '" + fn->name + "' has " +
                  std::to_string(fn->numArgs) + " arguments)");
    return true;
  }
  if (opName == "const") {
    op.kind = OpKind::Const;
    return needResults(1, 1) &&
           takeDouble(c, op.scalar.literal, "the constant");
  }
  if (opName == "splat") {
    op.kind = OpKind::Splat;
    return needResults(1, 1) && takeScalar(c, op.scalar) &&
           takeDims(c, op.dims);
  }
  if (opName == "dense") {
    op.kind = OpKind::Dense;
    if (!needResults(1, 1) || !takeDims(c, op.dims))
      return false;
    while (!c.done()) {
      double v;
      if (!takeDouble(c, v, "a dense element"))
        return false;
      op.values.push_back(v);
    }
    // Static shapes are checked now, dynamic ones when run.
    std::vector<int64_t> shape;
    for (const SizeRef &size : op.dims) {
      if (size.slot >= 0)
        return true;
      shape.push_back(size.literal);
    }
    int64_t count;
    std::string msg = checkedCount(shape, count);
    if (!msg.empty())
      return fail(msg);
    if (static_cast<uint64_t>(count) != op.values.size())
      return fail("dense shape " + shapeString(shape) + " needs " +
                  std::to_string(count) + " values, got " +
                  std::to_string(op.values.size()));
    return true;
  }
  if (opName == "dim") {
    op.kind = OpKind::Dim;
    op.dims.resize(1);
    return needResults(1, 1) && takeValues(1) &&
           takeSize(c, op.dims[0], /*allowNegative=*/false);
  }
  if (opName == "empty") {
    op.kind = OpKind::Empty;
    return needResults(1, 1) && takeDims(c, op.dims);
  }
  if (opName == "reshape") {
    op.kind = OpKind::Reshape;
    return needResults(1, 1) && takeValues(1) && takeDims(c, op.dims);
  }
  if (opName == "pad") {
    op.kind = OpKind::Pad;
    return needResults(1, 1) && takeValues(1) && takeScalar(c, op.scalar) &&
           takeDims(c, op.dims) && takeDims(c, op.dimsHigh);
  }
  if (opName.substr(0, 6) == "index.") {
    static const std::pair<const char *, IndexOp> kIndexOps[] = {
        {"add", IndexOp::Add}, {"sub", IndexOp::Sub}, {"mul", IndexOp::Mul},
        {"div", IndexOp::Div}, {"rem", IndexOp::Rem}, {"min", IndexOp::Min},
        {"max", IndexOp::Max}};
    op.kind = OpKind::Index;
    bool known = false;
    for (const auto &entry : kIndexOps) {
      if (opName.substr(6) == entry.first) {
        op.intAttr = static_cast<int64_t>(entry.second);
        known = true;
      }
    }
    if (!known)
      return fail("unknown op '" + std::string(opName) + "'");
    op.dims.resize(2);
    return needResults(1, 1) &&
           takeSize(c, op.dims[0], /*allowNegative=*/true) &&
           takeSize(c, op.dims[1], /*allowNegative=*/true);
  }
  if (opName == "matmul") {
    op.kind = OpKind::Matmul;
    if (!needResults(1, 1))
      return false;
    // a b [scale_a scale_b] [bias], then four attributes.
    if (c.left() < 6 || c.left() > 9)
      return fail("'matmul' takes 6 to 9 operands, got " +
                  std::to_string(c.left()));
    size_t values = c.left() - 4;
    op.hasOptional = values % 2 == 1;
    op.hasScales = values >= 4;
    if (!takeValues(values) ||
        !takeFlag(c, op.flagA, "the transpose-a flag") ||
        !takeFlag(c, op.flagB, "the transpose-b flag") ||
        !takeDouble(c, op.floatAttr, "alpha"))
      return false;
    std::string_view epilogue;
    if (!take(c, epilogue, "the epilogue"))
      return false;
    if (epilogue == "none")
      op.epilogue = Epilogue::None;
    else if (epilogue == "relu")
      op.epilogue = Epilogue::Relu;
    else if (epilogue == "gelu_tanh")
      op.epilogue = Epilogue::GeluTanh;
    else if (epilogue == "silu")
      op.epilogue = Epilogue::Silu;
    else
      return fail("unknown epilogue '" + std::string(epilogue) + "'");
    return true;
  }
  if (opName == "attention") {
    op.kind = OpKind::Attention;
    if (!needResults(1, 2) || !takeValues(3) ||
        !takeDouble(c, op.floatAttr, "the scale") ||
        !takeFlag(c, op.flagA, "the causal flag") ||
        !takeInt(c, op.intAttr, "the window"))
      return false;
    if (op.intAttr < 0)
      return fail("negative attention window " + std::to_string(op.intAttr));
    return true;
  }
  if (opName == "merge_attention") {
    op.kind = OpKind::MergeAttention;
    return needResults(2, 2) && takeValues(4);
  }
  if (opName == "fftconv") {
    op.kind = OpKind::FftConv;
    if (!needResults(1, 1))
      return false;
    if (c.left() != 3 && c.left() != 4)
      return fail("'fftconv' takes 3 or 4 operands, got " +
                  std::to_string(c.left()));
    op.hasOptional = c.left() == 4;
    if (!takeValues(op.hasOptional ? 3 : 2) ||
        !takeInt(c, op.intAttr, "the kept frequencies"))
      return false;
    if (op.intAttr < 0)
      return fail("negative kept frequencies " + std::to_string(op.intAttr));
    return true;
  }
  if (opName == "spmm" || opName == "spgemm") {
    op.kind = opName == "spmm" ? OpKind::Spmm : OpKind::Spgemm;
    return needResults(1, 1) && takeValues(2);
  }
  if (opName == "convert") {
    op.kind = OpKind::Convert;
    return needResults(1, 1) && takeValues(1);
  }
  if (opName == "assemble_nm") {
    op.kind = OpKind::AssembleNM;
    if (!needResults(1, 1) || !takeValues(2) || !takeInt(c, op.intAttr, "n") ||
        !takeInt(c, op.intAttr2, "m") || !takeDims(c, op.dims))
      return false;
    if (op.intAttr < 1 || op.intAttr2 < op.intAttr)
      return fail("'assemble_nm' needs 1 <= n <= m, got n = " +
                  std::to_string(op.intAttr) +
                  ", m = " + std::to_string(op.intAttr2));
    if (op.dims.size() != 2)
      return fail("'assemble_nm' builds a matrix: it takes 2 sizes");
    return true;
  }
  if (opName == "generic") {
    op.kind = OpKind::Generic;
    return parseGeneric(c, op, numResults);
  }
  return fail("unknown op '" + std::string(opName) + "'");
}

bool Parser::parseAffine(std::string_view s, size_t &pos, int depth, Generic &g,
                         int &node) {
  if (depth > kMaxExprDepth)
    return fail("affine expression nested too deeply");
  auto bad = [&]() {
    return fail("bad affine expression '" + std::string(s) + "'");
  };
  if (pos >= s.size())
    return bad();
  AffineNode result;
  auto readInt = [&](int64_t &out) {
    size_t start = pos;
    if (pos < s.size() && s[pos] == '-')
      ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
      ++pos;
    return parseInt(s.substr(start, pos - start), out);
  };
  char first = s[pos];
  if (first == 'd') {
    ++pos;
    if (pos >= s.size() || s[pos] < '0' || s[pos] > '9' ||
        !readInt(result.value))
      return bad();
    if (result.value >= g.numLoops)
      return fail("loop d" + std::to_string(result.value) +
                  " out of range (generic has " + std::to_string(g.numLoops) +
                  " loops)");
    result.kind = AffineNode::Dim;
  } else if (first == '-' || (first >= '0' && first <= '9')) {
    if (!readInt(result.value))
      return bad();
    result.kind = AffineNode::Const;
  } else {
    size_t open = s.find('(', pos);
    if (open == std::string_view::npos)
      return bad();
    std::string_view fnName = s.substr(pos, open - pos);
    if (fnName == "add")
      result.kind = AffineNode::Add;
    else if (fnName == "mul")
      result.kind = AffineNode::Mul;
    else if (fnName == "floordiv")
      result.kind = AffineNode::FloorDiv;
    else if (fnName == "ceildiv")
      result.kind = AffineNode::CeilDiv;
    else if (fnName == "mod")
      result.kind = AffineNode::Mod;
    else
      return bad();
    pos = open + 1;
    if (!parseAffine(s, pos, depth + 1, g, result.lhs))
      return false;
    if (pos >= s.size() || s[pos] != ',')
      return bad();
    ++pos;
    if (!parseAffine(s, pos, depth + 1, g, result.rhs))
      return false;
    if (pos >= s.size() || s[pos] != ')')
      return bad();
    ++pos;
  }
  node = static_cast<int>(g.nodes.size());
  g.nodes.push_back(result);
  return true;
}

bool Parser::takeBodyRef(Cursor &c, Generic &g,
                         const std::unordered_map<int64_t, int> &temps,
                         int &reg) {
  std::string_view tok;
  if (!take(c, tok, "a body operand"))
    return false;
  int64_t id;
  size_t numOperands = g.ins.size() + g.outs.size();
  if (parseName(tok, 'a', id)) {
    if (static_cast<uint64_t>(id) >= numOperands)
      return fail("block argument " + std::string(tok) +
                  " out of range (generic has " + std::to_string(numOperands) +
                  " operands)");
    reg = static_cast<int>(id);
    return true;
  }
  if (parseName(tok, 'c', id)) {
    if (static_cast<uint64_t>(id) >= g.captures.size())
      return fail("capture " + std::string(tok) +
                  " out of range (generic has " +
                  std::to_string(g.captures.size()) + " captures)");
    g.scalarCaptures[id] = true;
    reg = static_cast<int>(numOperands + id);
    return true;
  }
  if (parseName(tok, 't', id)) {
    auto it = temps.find(id);
    if (it == temps.end())
      return fail("undefined value " + std::string(tok));
    reg = it->second;
    return true;
  }
  return fail("expected a body operand 'a<i>', 'c<i>' or 't<i>', got '" +
              std::string(tok) + "'");
}

bool Parser::parseBodyLine(const Line &line, Generic &g,
                           std::unordered_map<int64_t, int> &temps) {
  const auto &tokens = line.tokens;
  int64_t id;
  if (!parseName(tokens[0], 't', id))
    return fail("expected a body line 't<i> = ...' or 'yield', got '" +
                std::string(tokens[0]) + "'");
  if (tokens.size() < 3 || tokens[1] != "=")
    return fail("expected '<op>' after '" + std::string(tokens[0]) + " ='");
  if (temps.count(id))
    return fail("value " + std::string(tokens[0]) + " is defined twice");

  BodyInst inst;
  inst.line = line.number;
  std::string_view opName = tokens[2];
  inst.name = std::string(opName);
  Cursor c{tokens, 3};

  static const std::pair<const char *, BodyKind> kBinary[] = {
      {"addf", BodyKind::AddF},         {"subf", BodyKind::SubF},
      {"mulf", BodyKind::MulF},         {"divf", BodyKind::DivF},
      {"maximumf", BodyKind::MaximumF}, {"minimumf", BodyKind::MinimumF},
      {"powf", BodyKind::PowF},         {"addi", BodyKind::AddI},
      {"subi", BodyKind::SubI},         {"muli", BodyKind::MulI},
      {"divsi", BodyKind::DivSI},       {"remsi", BodyKind::RemSI},
      {"divui", BodyKind::DivUI},       {"remui", BodyKind::RemUI},
      {"minsi", BodyKind::MinSI},       {"maxsi", BodyKind::MaxSI},
      {"minui", BodyKind::MinUI},       {"maxui", BodyKind::MaxUI},
      {"andi", BodyKind::AndI},         {"ori", BodyKind::OrI},
      {"xori", BodyKind::XOrI}};
  static const std::pair<const char *, BodyKind> kUnary[] = {
      {"negf", BodyKind::NegF},   {"absf", BodyKind::AbsF},
      {"exp", BodyKind::Exp},     {"log", BodyKind::Log},
      {"tanh", BodyKind::Tanh},   {"sqrt", BodyKind::Sqrt},
      {"rsqrt", BodyKind::Rsqrt}, {"cos", BodyKind::Cos},
      {"sin", BodyKind::Sin},     {"erf", BodyKind::Erf},
      {"cast", BodyKind::Cast},   {"fptosi", BodyKind::FpToSi}};
  static const char *const kCmpF[] = {
      "oeq", "ogt", "oge", "olt", "ole", "one", "ord",  "ueq",
      "ugt", "uge", "ult", "ule", "une", "uno", "true", "false"};
  static const char *const kCmpI[] = {"eq",  "ne",  "slt", "sle", "sgt",
                                      "sge", "ult", "ule", "ugt", "uge"};

  bool known = false;
  for (const auto &entry : kBinary) {
    if (opName == entry.first) {
      inst.kind = entry.second;
      if (!takeBodyRef(c, g, temps, inst.operands[0]) ||
          !takeBodyRef(c, g, temps, inst.operands[1]))
        return false;
      known = true;
    }
  }
  for (const auto &entry : kUnary) {
    if (opName == entry.first) {
      inst.kind = entry.second;
      if (!takeBodyRef(c, g, temps, inst.operands[0]))
        return false;
      known = true;
    }
  }
  if (known) {
    // Handled above.
  } else if (opName == "constf") {
    inst.kind = BodyKind::ConstF;
    if (!takeDouble(c, inst.imm, "the constant"))
      return false;
  } else if (opName == "consti") {
    inst.kind = BodyKind::ConstI;
    std::string_view tok = c.peek();
    if (tok == "true" || tok == "false") {
      inst.imm = tok == "true" ? 1.0 : 0.0;
      ++c.pos;
    } else {
      int64_t v;
      if (!takeInt(c, v, "the constant"))
        return false;
      inst.imm = static_cast<double>(v);
    }
  } else if (opName == "cmpf" || opName == "cmpi") {
    bool isF = opName == "cmpf";
    inst.kind = isF ? BodyKind::CmpF : BodyKind::CmpI;
    std::string_view pred;
    if (!take(c, pred, "a predicate"))
      return false;
    inst.pred = -1;
    if (isF) {
      for (size_t i = 0; i < std::size(kCmpF); ++i)
        if (pred == kCmpF[i])
          inst.pred = static_cast<int>(i);
    } else {
      for (size_t i = 0; i < std::size(kCmpI); ++i)
        if (pred == kCmpI[i])
          inst.pred = static_cast<int>(i);
    }
    if (inst.pred < 0)
      return fail("unknown " + std::string(opName) + " predicate '" +
                  std::string(pred) + "'");
    if (!takeBodyRef(c, g, temps, inst.operands[0]) ||
        !takeBodyRef(c, g, temps, inst.operands[1]))
      return false;
  } else if (opName == "select") {
    inst.kind = BodyKind::Select;
    for (int &reg : inst.operands)
      if (!takeBodyRef(c, g, temps, reg))
        return false;
  } else if (opName == "index") {
    inst.kind = BodyKind::Index;
    if (!takeInt(c, inst.loop, "the loop number"))
      return false;
    if (inst.loop < 0 || inst.loop >= g.numLoops)
      return fail("index loop " + std::to_string(inst.loop) +
                  " out of range (generic has " + std::to_string(g.numLoops) +
                  " loops)");
  } else if (opName == "extract") {
    inst.kind = BodyKind::Extract;
    std::string_view tok;
    int64_t capture;
    if (!take(c, tok, "a capture"))
      return false;
    if (!parseName(tok, 'c', capture))
      return fail("'extract' needs a capture 'c<i>', got '" + std::string(tok) +
                  "'");
    if (static_cast<uint64_t>(capture) >= g.captures.size())
      return fail("capture " + std::string(tok) +
                  " out of range (generic has " +
                  std::to_string(g.captures.size()) + " captures)");
    inst.capture = static_cast<int>(capture);
    while (!c.done()) {
      int reg;
      if (!takeBodyRef(c, g, temps, reg))
        return false;
      inst.indices.push_back(reg);
    }
  } else {
    return fail("unknown body op '" + std::string(opName) + "'");
  }
  if (!expectEnd(c))
    return false;
  inst.result = g.numRegs++;
  temps[id] = inst.result;
  g.body.push_back(std::move(inst));
  return true;
}

bool Parser::parseGeneric(Cursor &c, Op &op, size_t numResults) {
  op.generic = std::make_unique<Generic>();
  Generic &g = *op.generic;
  int64_t headerLine = lineNo;
  if (!takeInt(c, g.numLoops, "the loop count"))
    return false;
  if (g.numLoops < 0)
    return fail("negative loop count " + std::to_string(g.numLoops));
  // With zero loops the iterator string is empty and may be left out.
  if (g.numLoops > 0 || c.peek() != "ins") {
    std::string_view iterators;
    if (!take(c, iterators, "the iterator types"))
      return false;
    if (iterators.size() != static_cast<uint64_t>(g.numLoops) ||
        iterators.find_first_not_of("pr") != std::string_view::npos)
      return fail("iterator types '" + std::string(iterators) + "' must be " +
                  std::to_string(g.numLoops) + " letters 'p' or 'r'");
  }
  auto takeGroup = [&](std::string_view keyword, std::vector<int> &slots) {
    int64_t count;
    if (!expect(c, keyword) ||
        !takeCount(c, count, "the '" + std::string(keyword) + "' count"))
      return false;
    slots.resize(static_cast<size_t>(count));
    for (int &slot : slots)
      if (!takeValue(c, slot))
        return false;
    return true;
  };
  if (!takeGroup("ins", g.ins) || !takeGroup("outs", g.outs))
    return false;
  if (!c.done() && !takeGroup("captures", g.captures))
    return false;
  if (!expectEnd(c))
    return false;
  if (numResults != g.outs.size())
    return fail("'generic' has " + std::to_string(g.outs.size()) +
                " outs but " + std::to_string(numResults) + " results");

  size_t numOperands = g.ins.size() + g.outs.size();
  g.scalarCaptures.assign(g.captures.size(), false);
  g.numRegs = static_cast<int>(numOperands + g.captures.size());
  auto nextLine = [&]() -> const Line * {
    if (next >= lines.size()) {
      lineNo = headerLine;
      fail("'generic' is missing 'endgeneric'");
      return nullptr;
    }
    const Line *line = &lines[next++];
    lineNo = line->number;
    return line;
  };

  // Maps.
  for (size_t o = 0; o < numOperands; ++o) {
    const Line *line = nextLine();
    if (!line)
      return false;
    if (line->tokens[0] != "map")
      return fail("expected 'map' for operand " + std::to_string(o) +
                  " of 'generic', got '" + std::string(line->tokens[0]) + "'");
    std::vector<int> roots;
    for (size_t i = 1; i < line->tokens.size(); ++i) {
      std::string_view expr = line->tokens[i];
      size_t pos = 0;
      int root;
      if (!parseAffine(expr, pos, 0, g, root))
        return false;
      if (pos != expr.size())
        return fail("bad affine expression '" + std::string(expr) + "'");
      roots.push_back(root);
    }
    g.maps.push_back(std::move(roots));
    g.mapLines.push_back(line->number);
  }

  // Loop bounds: the first operand dimension whose expression is `d<i>`.
  g.loopBounds.assign(static_cast<size_t>(g.numLoops), {-1, -1});
  for (size_t o = numOperands; o-- > 0;) {
    for (size_t r = g.maps[o].size(); r-- > 0;) {
      const AffineNode &node = g.nodes[g.maps[o][r]];
      if (node.kind == AffineNode::Dim)
        g.loopBounds[node.value] = {static_cast<int>(o), static_cast<int>(r)};
    }
  }
  for (int64_t d = 0; d < g.numLoops; ++d) {
    if (g.loopBounds[d].first < 0) {
      lineNo = headerLine;
      return fail("loop d" + std::to_string(d) +
                  " has no bound: no operand dimension is exactly d" +
                  std::to_string(d));
    }
  }

  // Body.
  std::unordered_map<int64_t, int> temps;
  while (true) {
    const Line *line = nextLine();
    if (!line)
      return false;
    if (line->tokens[0] != "yield") {
      if (!parseBodyLine(*line, g, temps))
        return false;
      continue;
    }
    Cursor y{line->tokens, 1};
    while (!y.done()) {
      int reg;
      if (!takeBodyRef(y, g, temps, reg))
        return false;
      g.yields.push_back(reg);
    }
    if (g.yields.size() != g.outs.size())
      return fail("'yield' gives " + std::to_string(g.yields.size()) +
                  " values for " + std::to_string(g.outs.size()) + " outs");
    break;
  }
  const Line *end = nextLine();
  if (!end)
    return false;
  if (end->tokens[0] != "endgeneric" || end->tokens.size() != 1)
    return fail("expected 'endgeneric', got '" + std::string(end->tokens[0]) +
                "'");
  return true;
}

//===----------------------------------------------------------------------===//
// Evaluator
//===----------------------------------------------------------------------===//

class Evaluator {
public:
  explicit Evaluator(const ReferenceFunction &function) : fn(function) {}

  std::string run(const std::vector<Tensor> &args,
                  std::vector<Tensor> &results);

  /// Floating-point operations counted so far (see runReference).
  double flops = 0;

private:
  /// Formats `msg` as an error of `op`.
  std::string fail(const Op &op, const std::string &msg) const {
    return "reference line " + std::to_string(op.line) + ": " + msg;
  }
  std::string valueName(int slot) const {
    return "%" + std::to_string(fn.slotIds[slot]);
  }

  std::string runOp(const Op &op, const std::vector<Tensor> &args);
  std::string runGeneric(const Op &op);
  bool runBody(const Generic &g, double *regs,
               const std::vector<const Tensor *> &captures, const int64_t *idx,
               std::string &err) const;

  std::string scalarOf(const Op &op, int slot, double &out) const;
  std::string sizeOf(const Op &op, const SizeRef &size, bool allowNegative,
                     int64_t &out) const;
  std::string sizesOf(const Op &op, const std::vector<SizeRef> &dims,
                      std::vector<int64_t> &sizes) const;
  std::string shapeOf(const Op &op, const std::vector<SizeRef> &dims,
                      std::vector<int64_t> &shape, int64_t &count) const;

  const ReferenceFunction &fn;
  std::vector<Tensor> slots;
};

std::string Evaluator::scalarOf(const Op &op, int slot, double &out) const {
  const Tensor &t = slots[slot];
  if (!t.shape.empty() || t.data.size() != 1)
    return fail(op, valueName(slot) + " must be a rank-0 value, got shape " +
                        shapeString(t.shape));
  out = t.data[0];
  return "";
}

std::string Evaluator::sizeOf(const Op &op, const SizeRef &size,
                              bool allowNegative, int64_t &out) const {
  if (size.slot < 0) {
    out = size.literal;
  } else {
    double v;
    std::string msg = scalarOf(op, size.slot, v);
    if (!msg.empty())
      return msg;
    if (!toInt64(v, out))
      return fail(op, valueName(size.slot) + " is not an integer (" +
                          numberString(v) + ")");
  }
  if (allowNegative)
    return "";
  if (out < 0)
    return fail(op, "negative size " + std::to_string(out));
  if (out > kMaxElements)
    return fail(op,
                "size " + std::to_string(out) + " is above the limit of 2^31");
  return "";
}

/// Resolves `dims` to sizes in [0, 2^31].
std::string Evaluator::sizesOf(const Op &op, const std::vector<SizeRef> &dims,
                               std::vector<int64_t> &sizes) const {
  sizes.resize(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string msg = sizeOf(op, dims[i], /*allowNegative=*/false, sizes[i]);
    if (!msg.empty())
      return msg;
  }
  return "";
}

/// Resolves `dims` to a tensor shape and its element count.
std::string Evaluator::shapeOf(const Op &op, const std::vector<SizeRef> &dims,
                               std::vector<int64_t> &shape,
                               int64_t &count) const {
  std::string msg = sizesOf(op, dims, shape);
  if (!msg.empty())
    return msg;
  msg = checkedCount(shape, count);
  return msg.empty() ? "" : fail(op, msg);
}

std::string Evaluator::run(const std::vector<Tensor> &args,
                           std::vector<Tensor> &results) {
  slots.assign(fn.slotIds.size(), Tensor());
  for (size_t i = 0; i < fn.ops.size(); ++i) {
    std::string msg = runOp(fn.ops[i], args);
    if (!msg.empty())
      return msg;
    for (int slot : fn.releaseAfter[i])
      slots[slot] = Tensor();
  }
  results.clear();
  for (int slot : fn.returns)
    results.push_back(slots[slot]);
  return "";
}

std::string Evaluator::runOp(const Op &op, const std::vector<Tensor> &args) {
  std::string msg;
  auto result = [&](size_t i) -> Tensor & { return slots[op.results[i]]; };
  auto operand = [&](size_t i) -> const Tensor & {
    return slots[op.operands[i]];
  };
  auto kernelError = [&](const std::string &err) {
    return fail(op, err.empty() ? op.name + " failed" : err);
  };
  // Refuses a kernel result shape above the element limit.
  auto checkResultShape = [&](const std::vector<int64_t> &shape) {
    int64_t count;
    std::string err = checkedCount(shape, count);
    return err.empty() ? "" : fail(op, op.name + ": result " + err);
  };

  switch (op.kind) {
  case OpKind::Arg:
    result(0) = args[static_cast<size_t>(op.intAttr)];
    return "";

  case OpKind::Const:
    result(0) = Tensor{{}, {op.scalar.literal}};
    return "";

  case OpKind::Splat:
  case OpKind::Empty: {
    double value = 0.0;
    if (op.kind == OpKind::Splat) {
      value = op.scalar.literal;
      if (op.scalar.slot >= 0 &&
          !(msg = scalarOf(op, op.scalar.slot, value)).empty())
        return msg;
    }
    std::vector<int64_t> shape;
    int64_t count;
    if (!(msg = shapeOf(op, op.dims, shape, count)).empty())
      return msg;
    Tensor t;
    t.shape = std::move(shape);
    t.data.assign(static_cast<size_t>(count), value);
    result(0) = std::move(t);
    return "";
  }

  case OpKind::Dense: {
    std::vector<int64_t> shape;
    int64_t count;
    if (!(msg = shapeOf(op, op.dims, shape, count)).empty())
      return msg;
    if (static_cast<uint64_t>(count) != op.values.size())
      return fail(op, "dense shape " + shapeString(shape) + " needs " +
                          std::to_string(count) + " values, got " +
                          std::to_string(op.values.size()));
    result(0) = Tensor{std::move(shape), op.values};
    return "";
  }

  case OpKind::Dim: {
    const Tensor &x = operand(0);
    int64_t d;
    if (!(msg = sizeOf(op, op.dims[0], /*allowNegative=*/true, d)).empty())
      return msg;
    if (d < 0 || static_cast<uint64_t>(d) >= x.shape.size())
      return fail(op, "dimension " + std::to_string(d) + " out of range for " +
                          valueName(op.operands[0]) + " of shape " +
                          shapeString(x.shape));
    result(0) = Tensor{{}, {static_cast<double>(x.shape[d])}};
    return "";
  }

  case OpKind::Reshape: {
    const Tensor &x = operand(0);
    std::vector<int64_t> shape;
    int64_t count;
    if (!(msg = shapeOf(op, op.dims, shape, count)).empty())
      return msg;
    if (static_cast<uint64_t>(count) != x.data.size())
      return fail(op, "reshape of " + valueName(op.operands[0]) + " from " +
                          shapeString(x.shape) + " (" +
                          std::to_string(x.data.size()) + " elements) to " +
                          shapeString(shape) + " (" + std::to_string(count) +
                          " elements): element counts differ");
    Tensor t{std::move(shape), x.data};
    result(0) = std::move(t);
    return "";
  }

  case OpKind::Pad: {
    const Tensor &x = operand(0);
    size_t rank = x.shape.size();
    if (op.dims.size() != rank || op.dimsHigh.size() != rank)
      return fail(op, "pad of " + valueName(op.operands[0]) + " of shape " +
                          shapeString(x.shape) + " needs " +
                          std::to_string(rank) + " low and high sizes, got " +
                          std::to_string(op.dims.size()) + " and " +
                          std::to_string(op.dimsHigh.size()));
    double value = op.scalar.literal;
    if (op.scalar.slot >= 0 &&
        !(msg = scalarOf(op, op.scalar.slot, value)).empty())
      return msg;
    std::vector<int64_t> low, high;
    if (!(msg = sizesOf(op, op.dims, low)).empty() ||
        !(msg = sizesOf(op, op.dimsHigh, high)).empty())
      return msg;
    std::vector<int64_t> shape(rank);
    for (size_t i = 0; i < rank; ++i)
      shape[i] = low[i] + x.shape[i] + high[i]; // Each term is <= 2^31.
    int64_t count;
    std::string err = checkedCount(shape, count);
    if (!err.empty())
      return fail(op, "pad result " + err);
    Tensor t;
    t.shape = shape;
    t.data.assign(static_cast<size_t>(count), value);
    // Copy x into place, walking its elements in row-major order.
    std::vector<int64_t> idx(rank, 0);
    for (size_t flat = 0; flat < x.data.size(); ++flat) {
      int64_t offset = 0;
      for (size_t i = 0; i < rank; ++i)
        offset = offset * shape[i] + idx[i] + low[i];
      t.data[static_cast<size_t>(offset)] = x.data[flat];
      for (size_t i = rank; i-- > 0;) {
        if (++idx[i] < x.shape[i])
          break;
        idx[i] = 0;
      }
    }
    result(0) = std::move(t);
    return "";
  }

  case OpKind::Index: {
    int64_t a, b;
    if (!(msg = sizeOf(op, op.dims[0], /*allowNegative=*/true, a)).empty() ||
        !(msg = sizeOf(op, op.dims[1], /*allowNegative=*/true, b)).empty())
      return msg;
    int64_t r = 0;
    switch (static_cast<IndexOp>(op.intAttr)) {
    case IndexOp::Add:
      r = wrapAdd(a, b);
      break;
    case IndexOp::Sub:
      r = wrapSub(a, b);
      break;
    case IndexOp::Mul:
      r = wrapMul(a, b);
      break;
    case IndexOp::Div:
    case IndexOp::Rem:
      if (b == 0)
        return fail(op, op.name + ": division by zero");
      if (b == -1)
        r = op.intAttr == static_cast<int64_t>(IndexOp::Div) ? wrapSub(0, a)
                                                             : 0;
      else
        r = op.intAttr == static_cast<int64_t>(IndexOp::Div) ? a / b : a % b;
      break;
    case IndexOp::Min:
      r = std::min(a, b);
      break;
    case IndexOp::Max:
      r = std::max(a, b);
      break;
    }
    result(0) = Tensor{{}, {static_cast<double>(r)}};
    return "";
  }

  case OpKind::Matmul: {
    const Tensor &a = operand(0), &b = operand(1);
    const Tensor *bias =
        op.hasOptional ? &operand(op.hasScales ? 4 : 2) : nullptr;
    double scale = 1.0;
    if (op.hasScales) {
      const Tensor &scaleA = operand(2), &scaleB = operand(3);
      if (scaleA.data.size() != 1 || scaleB.data.size() != 1)
        return kernelError("matmul: a scale has " +
                           std::to_string(scaleA.data.size() != 1
                                              ? scaleA.data.size()
                                              : scaleB.data.size()) +
                           " elements, not 1");
      scale = scaleA.data[0] * scaleB.data[0];
    }
    size_t rankA = a.shape.size(), rankB = b.shape.size();
    if (rankA >= 2 && rankB >= 2) {
      // Upper bound of the result shape: broadcast batch, M, N.
      size_t batch = std::max(rankA, rankB) - 2;
      std::vector<int64_t> shape(batch + 2, 1);
      for (size_t i = 0; i < batch; ++i) {
        if (i + 2 < rankA)
          shape[batch - 1 - i] = a.shape[rankA - 3 - i];
        if (i + 2 < rankB)
          shape[batch - 1 - i] =
              std::max(shape[batch - 1 - i], b.shape[rankB - 3 - i]);
      }
      shape[batch] = op.flagA ? a.shape[rankA - 1] : a.shape[rankA - 2];
      shape[batch + 1] = op.flagB ? b.shape[rankB - 2] : b.shape[rankB - 1];
      if (!(msg = checkResultShape(shape)).empty())
        return msg;
    }
    MatmulOptions options;
    options.transposeA = op.flagA;
    options.transposeB = op.flagB;
    options.alpha = op.floatAttr * scale;
    options.epilogue = op.epilogue;
    std::string err;
    std::optional<Tensor> r = matmul(a, b, bias, options, &err);
    if (!r)
      return kernelError(err);
    double k = static_cast<double>(op.flagA ? a.shape[a.shape.size() - 2]
                                            : a.shape.back());
    flops += 2.0 * k * static_cast<double>(r->data.size());
    result(0) = std::move(*r);
    return "";
  }

  case OpKind::Attention: {
    const Tensor &q = operand(0), &k = operand(1), &v = operand(2);
    if (q.shape.size() == 4 && v.shape.size() == 4 &&
        !(msg = checkResultShape(
              {q.shape[0], q.shape[1], q.shape[2], v.shape[3]}))
             .empty())
      return msg;
    AttentionOptions options;
    options.scale = op.floatAttr;
    options.causal = op.flagA;
    options.window = op.intAttr;
    std::string err;
    std::optional<AttentionResult> r = attention(q, k, v, options, &err);
    if (!r)
      return kernelError(err);
    // Both products over every (query, key) pair, half of them when causal.
    flops += 2.0 * static_cast<double>(q.shape[0] * q.shape[1] * q.shape[2]) *
             static_cast<double>(k.shape[2]) *
             static_cast<double>(q.shape[3] + v.shape[3]) *
             (op.flagA ? 0.5 : 1.0);
    result(0) = std::move(r->out);
    if (op.results.size() > 1)
      result(1) = std::move(r->lse);
    return "";
  }

  case OpKind::MergeAttention: {
    std::string err;
    std::optional<AttentionResult> r =
        mergeAttention(operand(0), operand(1), operand(2), operand(3), &err);
    if (!r)
      return kernelError(err);
    result(0) = std::move(r->out);
    result(1) = std::move(r->lse);
    return "";
  }

  case OpKind::FftConv: {
    const Tensor &u = operand(0);
    int64_t keep = op.intAttr;
    // The truncated path keeps 2N-point spectra.
    if (u.shape.size() == 3 && keep != 0 && keep <= u.shape[2] &&
        u.shape[2] > kMaxElements / 2)
      return fail(op, "fftconv: sequence length " + std::to_string(u.shape[2]) +
                          " is too long for frequency truncation");
    std::string err;
    std::optional<Tensor> r = fftconv(
        u, operand(1), op.hasOptional ? &operand(2) : nullptr, keep, &err);
    if (!r)
      return kernelError(err);
    // The direct causal convolution: one multiply-add per visible tap.
    double n = static_cast<double>(u.shape[2]);
    double l = keep ? n : static_cast<double>(operand(1).shape[1]);
    flops += 2.0 * static_cast<double>(u.shape[0] * u.shape[1]) *
             (n * l - l * (l - 1) / 2);
    result(0) = std::move(*r);
    return "";
  }

  case OpKind::Spmm:
  case OpKind::Spgemm: {
    const Tensor &a = operand(0), &b = operand(1);
    if (a.shape.size() == 2 && b.shape.size() == 2 &&
        !(msg = checkResultShape({a.shape[0], b.shape[1]})).empty())
      return msg;
    if (b.shape.size() != 2)
      return kernelError(op.name + ": b has rank " +
                         std::to_string(b.shape.size()) + ", expected 2");
    std::string err;
    std::optional<Csr> csrA = denseToCsr(a, &err);
    if (!csrA)
      return kernelError(op.name + ": a: " + err);
    flops += 2.0 * static_cast<double>(csrA->values.size()) *
             static_cast<double>(b.shape[1]);
    if (op.kind == OpKind::Spmm) {
      std::optional<Tensor> r = spmm(*csrA, b, &err);
      if (!r)
        return kernelError(err);
      result(0) = std::move(*r);
      return "";
    }
    std::optional<Csr> csrB = denseToCsr(b, &err);
    if (!csrB)
      return kernelError(op.name + ": b: " + err);
    std::optional<Csr> product = spgemm(*csrA, *csrB, &err);
    if (!product)
      return kernelError(err);
    std::optional<Tensor> dense = csrToDense(*product, &err);
    if (!dense)
      return kernelError(err);
    result(0) = std::move(*dense);
    return "";
  }

  case OpKind::Convert:
    result(0) = operand(0);
    return "";

  case OpKind::AssembleNM: {
    // N:M storage: for every row and group of m columns, n (coordinate in
    // the group, value) pairs, groups in row-major order.
    std::vector<int64_t> shape;
    int64_t count;
    if (!(msg = shapeOf(op, op.dims, shape, count)).empty())
      return msg;
    const Tensor &crd = operand(0), &vals = operand(1);
    int64_t n = op.intAttr, m = op.intAttr2, cols = shape[1];
    if (cols % m != 0)
      return fail(
          op, "assemble_nm: " + std::to_string(cols) +
                  " columns are not a multiple of m = " + std::to_string(m));
    int64_t groups = shape[0] * (cols / m);
    if (static_cast<int64_t>(crd.data.size()) != groups * n ||
        static_cast<int64_t>(vals.data.size()) != groups * n)
      return fail(op, "assemble_nm: expected " + std::to_string(groups * n) +
                          " coordinates and values, got " +
                          std::to_string(crd.data.size()) + " and " +
                          std::to_string(vals.data.size()));
    Tensor t;
    t.shape = shape;
    t.data.assign(static_cast<size_t>(count), 0.0);
    for (int64_t group = 0; group < groups; ++group)
      for (int64_t slot = 0; slot < n; ++slot) {
        int64_t idx = group * n + slot;
        double c = crd.data[idx];
        if (!(c >= 0 && c < m && c == std::floor(c)))
          return fail(op, "assemble_nm: coordinate " + std::to_string(c) +
                              " at entry " + std::to_string(idx) +
                              " is not in [0, " + std::to_string(m) + ")");
        int64_t row = group / (cols / m), first = (group % (cols / m)) * m;
        t.data[row * cols + first + static_cast<int64_t>(c)] += vals.data[idx];
      }
    result(0) = std::move(t);
    return "";
  }

  case OpKind::Generic:
    return runGeneric(op);
  }
  return fail(op, "unknown op '" + op.name + "'");
}

std::string Evaluator::runGeneric(const Op &op) {
  const Generic &g = *op.generic;
  size_t numIns = g.ins.size(), numOuts = g.outs.size();
  size_t numOperands = numIns + numOuts;
  size_t numLoops = static_cast<size_t>(g.numLoops);

  // Outputs start as copies of the outs operands.
  std::vector<Tensor> outputs(numOuts);
  std::vector<const Tensor *> operands(numOperands);
  for (size_t i = 0; i < numIns; ++i)
    operands[i] = &slots[g.ins[i]];
  for (size_t j = 0; j < numOuts; ++j) {
    outputs[j] = slots[g.outs[j]];
    operands[numIns + j] = &outputs[j];
  }

  auto operandName = [&](size_t o) {
    return std::string(o < numIns ? "in " : "out ") +
           std::to_string(o < numIns ? o : o - numIns) + " (" +
           valueName(o < numIns ? g.ins[o] : g.outs[o - numIns]) + ")";
  };
  auto failAt = [&](int64_t line, const std::string &msg) {
    return "reference line " + std::to_string(line) + ": " + msg;
  };

  // Maps must match the operand ranks; precompute row-major strides.
  std::vector<std::vector<int64_t>> strides(numOperands);
  for (size_t o = 0; o < numOperands; ++o) {
    const std::vector<int64_t> &shape = operands[o]->shape;
    if (g.maps[o].size() != shape.size())
      return failAt(g.mapLines[o], "map of generic " + operandName(o) +
                                       " has " +
                                       std::to_string(g.maps[o].size()) +
                                       " results but the operand has shape " +
                                       shapeString(shape));
    strides[o].assign(shape.size(), 1);
    for (size_t r = shape.size(); r-- > 1;)
      strides[o][r - 1] = strides[o][r] * shape[r];
  }

  // Loop bounds and the size of the iteration space.
  std::vector<int64_t> bounds(numLoops);
  int64_t points = 1;
  for (size_t d = 0; d < numLoops; ++d) {
    auto [o, r] = g.loopBounds[d];
    bounds[d] = operands[o]->shape[r];
    if (bounds[d] == 0)
      points = 0;
  }
  if (points != 0) {
    for (int64_t bound : bounds) {
      if (points > kMaxPoints / bound)
        return fail(op, "generic iteration space is larger than 2^40 points");
      points *= bound;
    }
  }

  // One operation per floating-point body instruction and point.
  int64_t floatInsts = 0;
  for (const BodyInst &inst : g.body)
    if (inst.kind >= BodyKind::AddF && inst.kind <= BodyKind::Erf)
      ++floatInsts;
  flops += static_cast<double>(floatInsts) * static_cast<double>(points);

  // Registers: block arguments, scalar captures, body values.
  std::vector<double> regs(static_cast<size_t>(g.numRegs), 0.0);
  std::vector<const Tensor *> captures(g.captures.size());
  for (size_t i = 0; i < g.captures.size(); ++i) {
    captures[i] = &slots[g.captures[i]];
    if (!g.scalarCaptures[i])
      continue;
    if (!captures[i]->shape.empty() || captures[i]->data.size() != 1)
      return fail(op, "capture c" + std::to_string(i) + " (" +
                          valueName(g.captures[i]) +
                          ") is used as a scalar but has shape " +
                          shapeString(captures[i]->shape));
    regs[numOperands + i] = captures[i]->data[0];
  }

  std::vector<int64_t> idx(numLoops, 0);
  std::vector<size_t> outOffsets(numOuts);
  std::string err;
  for (int64_t p = 0; p < points; ++p) {
    for (size_t o = 0; o < numOperands; ++o) {
      const Tensor &t = *operands[o];
      const std::vector<int> &roots = g.maps[o];
      int64_t offset = 0;
      for (size_t r = 0; r < roots.size(); ++r) {
        const AffineNode &node = g.nodes[roots[r]];
        int64_t v;
        if (node.kind == AffineNode::Dim) {
          v = idx[node.value];
        } else if (!evalAffine(g.nodes, roots[r], idx.data(), v)) {
          return failAt(g.mapLines[o],
                        "map of generic " + operandName(o) +
                            " divides by zero or overflows at point " +
                            shapeString(idx));
        }
        if (v < 0 || v >= t.shape[r])
          return failAt(g.mapLines[o], "generic " + operandName(o) + " index " +
                                           std::to_string(v) +
                                           " out of bounds for dimension " +
                                           std::to_string(r) + " of shape " +
                                           shapeString(t.shape) + " at point " +
                                           shapeString(idx));
        offset += v * strides[o][r];
      }
      regs[o] = t.data[static_cast<size_t>(offset)];
      if (o >= numIns)
        outOffsets[o - numIns] = static_cast<size_t>(offset);
    }
    if (!runBody(g, regs.data(), captures, idx.data(), err))
      return err;
    for (size_t j = 0; j < numOuts; ++j)
      outputs[j].data[outOffsets[j]] = regs[g.yields[j]];
    for (size_t d = numLoops; d-- > 0;) {
      if (++idx[d] < bounds[d])
        break;
      idx[d] = 0;
    }
  }

  for (size_t j = 0; j < numOuts; ++j)
    slots[op.results[j]] = std::move(outputs[j]);
  return "";
}

bool Evaluator::runBody(const Generic &g, double *regs,
                        const std::vector<const Tensor *> &captures,
                        const int64_t *idx, std::string &err) const {
  for (const BodyInst &inst : g.body) {
    auto bodyFail = [&](const std::string &msg) {
      err = "reference line " + std::to_string(inst.line) + ": " + inst.name +
            ": " + msg;
      return false;
    };
    double x = inst.operands[0] >= 0 ? regs[inst.operands[0]] : 0.0;
    double y = inst.operands[1] >= 0 ? regs[inst.operands[1]] : 0.0;
    double z = inst.operands[2] >= 0 ? regs[inst.operands[2]] : 0.0;
    double r = 0.0;
    int64_t a = 0, b = 0;
    bool isIntBinary =
        inst.kind >= BodyKind::AddI && inst.kind <= BodyKind::XOrI;
    if (isIntBinary || inst.kind == BodyKind::CmpI) {
      if (!toInt64(x, a) || !toInt64(y, b))
        return bodyFail("operand is not an integer (" +
                        numberString(toInt64(x, a) ? y : x) + ")");
    }
    uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    switch (inst.kind) {
    case BodyKind::ConstF:
    case BodyKind::ConstI:
      r = inst.imm;
      break;
    case BodyKind::AddF:
      r = x + y;
      break;
    case BodyKind::SubF:
      r = x - y;
      break;
    case BodyKind::MulF:
      r = x * y;
      break;
    case BodyKind::DivF:
      r = x / y;
      break;
    case BodyKind::MaximumF:
      r = maximumF(x, y);
      break;
    case BodyKind::MinimumF:
      r = minimumF(x, y);
      break;
    case BodyKind::PowF:
      r = std::pow(x, y);
      break;
    case BodyKind::NegF:
      r = -x;
      break;
    case BodyKind::AbsF:
      r = std::fabs(x);
      break;
    case BodyKind::Exp:
      r = std::exp(x);
      break;
    case BodyKind::Log:
      r = std::log(x);
      break;
    case BodyKind::Tanh:
      r = std::tanh(x);
      break;
    case BodyKind::Sqrt:
      r = std::sqrt(x);
      break;
    case BodyKind::Rsqrt:
      r = 1.0 / std::sqrt(x);
      break;
    case BodyKind::Cos:
      r = std::cos(x);
      break;
    case BodyKind::Sin:
      r = std::sin(x);
      break;
    case BodyKind::Erf:
      r = std::erf(x);
      break;
    case BodyKind::AddI:
      r = static_cast<double>(wrapAdd(a, b));
      break;
    case BodyKind::SubI:
      r = static_cast<double>(wrapSub(a, b));
      break;
    case BodyKind::MulI:
      r = static_cast<double>(wrapMul(a, b));
      break;
    case BodyKind::DivSI:
    case BodyKind::RemSI:
      if (b == 0)
        return bodyFail("division by zero");
      if (b == -1)
        r = inst.kind == BodyKind::DivSI ? static_cast<double>(wrapSub(0, a))
                                         : 0.0;
      else
        r = static_cast<double>(inst.kind == BodyKind::DivSI ? a / b : a % b);
      break;
    case BodyKind::DivUI:
    case BodyKind::RemUI:
      if (ub == 0)
        return bodyFail("division by zero");
      r = static_cast<double>(static_cast<int64_t>(
          inst.kind == BodyKind::DivUI ? ua / ub : ua % ub));
      break;
    case BodyKind::MinSI:
      r = static_cast<double>(std::min(a, b));
      break;
    case BodyKind::MaxSI:
      r = static_cast<double>(std::max(a, b));
      break;
    case BodyKind::MinUI:
      r = static_cast<double>(static_cast<int64_t>(std::min(ua, ub)));
      break;
    case BodyKind::MaxUI:
      r = static_cast<double>(static_cast<int64_t>(std::max(ua, ub)));
      break;
    case BodyKind::AndI:
      r = static_cast<double>(a & b);
      break;
    case BodyKind::OrI:
      r = static_cast<double>(a | b);
      break;
    case BodyKind::XOrI:
      r = static_cast<double>(a ^ b);
      break;
    case BodyKind::CmpF:
      r = compareF(static_cast<CmpFPred>(inst.pred), x, y) ? 1.0 : 0.0;
      break;
    case BodyKind::CmpI:
      r = compareI(static_cast<CmpIPred>(inst.pred), a, b) ? 1.0 : 0.0;
      break;
    case BodyKind::Select:
      r = x != 0.0 ? y : z;
      break;
    case BodyKind::Cast:
      r = x;
      break;
    case BodyKind::FpToSi:
      r = std::trunc(x);
      break;
    case BodyKind::Index:
      r = static_cast<double>(idx[inst.loop]);
      break;
    case BodyKind::Extract: {
      const Tensor &t = *captures[inst.capture];
      if (inst.indices.size() != t.shape.size())
        return bodyFail("capture c" + std::to_string(inst.capture) +
                        " has shape " + shapeString(t.shape) + " but " +
                        std::to_string(inst.indices.size()) +
                        " indices were given");
      int64_t offset = 0;
      for (size_t i = 0; i < inst.indices.size(); ++i) {
        double raw = regs[inst.indices[i]];
        int64_t v;
        if (!toInt64(raw, v))
          return bodyFail("index " + numberString(raw) + " is not an integer");
        if (v < 0 || v >= t.shape[i])
          return bodyFail("index " + std::to_string(v) +
                          " out of bounds for dimension " + std::to_string(i) +
                          " of capture c" + std::to_string(inst.capture) +
                          " of shape " + shapeString(t.shape));
        offset = offset * t.shape[i] + v;
      }
      r = t.data[static_cast<size_t>(offset)];
      break;
    }
    }
    regs[inst.result] = r;
  }
  return true;
}

} // namespace
} // namespace detail

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

namespace {

const ReferenceFunction *findFunction(const ReferenceProgram &program,
                                      const std::string &name) {
  for (const auto &function : program.functions)
    if (function && function->name == name)
      return function.get();
  return nullptr;
}

} // namespace

std::string parseReferenceProgram(std::string_view text,
                                  ReferenceProgram &out) {
  detail::Parser parser(detail::splitLines(text));
  return parser.parse(out);
}

bool hasReferenceFunction(const ReferenceProgram &program,
                          const std::string &name) {
  return findFunction(program, name) != nullptr;
}

std::string referencePrecision(const ReferenceProgram &program,
                               const std::string &name) {
  const ReferenceFunction *function = findFunction(program, name);
  return function ? function->precision : "";
}

std::vector<std::string>
referenceFunctionNames(const ReferenceProgram &program) {
  std::vector<std::string> names;
  for (const auto &function : program.functions)
    if (function)
      names.push_back(function->name);
  return names;
}

std::string runReference(const ReferenceProgram &program,
                         const std::string &function,
                         const std::vector<Tensor> &args,
                         std::vector<Tensor> &results, double *flops) {
  results.clear();
  const ReferenceFunction *fn = findFunction(program, function);
  if (!fn)
    return "no reference function '" + function + "'";
  if (static_cast<uint64_t>(fn->numArgs) != args.size())
    return "reference function '" + function + "' expects " +
           std::to_string(fn->numArgs) + " arguments, got " +
           std::to_string(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    int64_t count;
    std::string msg = detail::checkedCount(args[i].shape, count);
    if (!msg.empty())
      return "reference function '" + function + "': argument " +
             std::to_string(i) + ": " + msg;
    if (static_cast<uint64_t>(count) != args[i].data.size())
      return "reference function '" + function + "': argument " +
             std::to_string(i) + ": shape " +
             detail::shapeString(args[i].shape) + " needs " +
             std::to_string(count) + " elements, got " +
             std::to_string(args[i].data.size());
  }
  detail::Evaluator evaluator(*fn);
  std::vector<Tensor> values;
  std::string msg = evaluator.run(args, values);
  if (!msg.empty())
    return msg;
  if (flops)
    *flops = evaluator.flops;
  results = std::move(values);
  return "";
}

} // namespace tessera::reference
