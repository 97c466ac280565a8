//===- ReferenceProgram.cpp - The graph for tessera-run --check -----------===//
//
// One line per op; linalg.generic bodies as small register programs.
//
//===----------------------------------------------------------------------===//

#include "compiler/ReferenceProgram.h"

#include "mlir/IR/TypeUtilities.h"

#include "compiler/Signatures.h"
#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensorType.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Prints a double so that it reads back exactly.
std::string number(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.17g", v);
  return s;
}

/// An integer constant as the reference format holds it: booleans are 0/1
/// (like the results of comparisons), other integers signed.
int64_t integerValue(IntegerAttr attr) {
  if (attr.getType().isInteger(1))
    return attr.getValue().getZExtValue();
  return attr.getValue().getSExtValue();
}

/// The narrowest floating-point type any op of `func` stores a result in, when
/// it is narrower than f32 ("f8e4m3fn", "f8e5m2", "bf16" or "f16"; the
/// least precise wins), else "". The reference computes in float64 without
/// rounding to it, so --check must allow its error.
StringRef getStoragePrecision(func::FuncOp func) {
  // Ordered from the least precise.
  static const std::pair<StringRef, int> kinds[] = {
      {"f8e5m2", 0}, {"f8e4m3fn", 1}, {"bf16", 2}, {"f16", 3}};
  int best = 4;
  auto visit = [&](Type t) {
    Type e = getElementTypeOrSelf(t);
    int rank = isa<Float8E5M2Type>(e)     ? 0
               : isa<Float8E4M3FNType>(e) ? 1
               : isa<BFloat16Type>(e)     ? 2
               : isa<Float16Type>(e)      ? 3
                                          : 4;
    best = std::min(best, rank);
  };
  // Arguments are exact in their type; only what the graph computes and
  // stores narrowly is rounded. fp8 tensor cores add products with fewer
  // bits than f32 (about 14, as cuBLASLt's fp8 GEMM does): such a matmul is
  // checked at f16's tolerance.
  func.walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      visit(t);
    if (auto mm = dyn_cast<MatmulOp>(op);
        mm && isa<Float8E4M3FNType, Float8E5M2Type>(
                  mm.getA().getType().getElementType()))
      best = std::min(best, 3);
  });
  return best < 4 ? kinds[best].first : StringRef();
}

/// Serializes one function; fails with a reason for an op it cannot express.
class FunctionWriter {
public:
  explicit FunctionWriter(llvm::raw_ostream &os) : os(os) {}

  LogicalResult write(func::FuncOp func, std::string &reason) {
    os << "function " << getExportName(func) << " " << func.getNumArguments()
       << "\n";
    if (StringRef precision = getStoragePrecision(func); !precision.empty())
      os << "precision " << precision << "\n";
    for (auto [i, arg] : llvm::enumerate(func.getArguments()))
      os << defFresh(arg) << " = arg " << i << "\n";
    for (Operation &op : func.getBody().front()) {
      if (failed(writeOp(&op))) {
        reason = "'" + op.getName().getStringRef().str() + "' " + why;
        return failure();
      }
    }
    os << "end\n";
    return success();
  }

private:
  llvm::raw_ostream &os;
  llvm::DenseMap<Value, unsigned> ids;
  std::string why;

  std::string ref(Value v) {
    auto it = ids.find(v);
    if (it == ids.end()) {
      why = "uses a value the reference cannot express";
      return "%?";
    }
    return "%" + std::to_string(it->second);
  }
  std::string size(OpFoldResult s) {
    if (auto v = dyn_cast<Value>(s))
      return ref(v);
    return std::to_string(*getConstantIntValue(s));
  }
  std::string sizes(ArrayRef<OpFoldResult> s) {
    std::string out = std::to_string(s.size());
    for (OpFoldResult x : s)
      out += " " + size(x);
    return out;
  }
  LogicalResult fail(StringRef reason) {
    why = reason.str();
    return failure();
  }
  LogicalResult checked() { return why.empty() ? success() : failure(); }

  /// Number of ids taken by helper `dim` / `index.mul` lines.
  unsigned extra = 0;

  /// Defines `v` with a fresh id; helper lines take ids from the same count.
  std::string defFresh(Value v) {
    unsigned id = ids.size() + extra;
    ids[v] = id;
    return "%" + std::to_string(id);
  }

  LogicalResult writeOp(Operation *op);
  LogicalResult writeGeneric(linalg::GenericOp op);
  LogicalResult writeConstant(arith::ConstantOp op);
};

std::string affine(AffineExpr e) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return "d" + std::to_string(d.getPosition());
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return std::to_string(c.getValue());
  if (auto bin = dyn_cast<AffineBinaryOpExpr>(e)) {
    const char *name = nullptr;
    switch (e.getKind()) {
    case AffineExprKind::Add:
      name = "add";
      break;
    case AffineExprKind::Mul:
      name = "mul";
      break;
    case AffineExprKind::FloorDiv:
      name = "floordiv";
      break;
    case AffineExprKind::CeilDiv:
      name = "ceildiv";
      break;
    case AffineExprKind::Mod:
      name = "mod";
      break;
    default:
      return "";
    }
    std::string l = affine(bin.getLHS()), r = affine(bin.getRHS());
    if (l.empty() || r.empty())
      return "";
    return std::string(name) + "(" + l + "," + r + ")";
  }
  return ""; // symbols are not expressible
}

} // namespace

LogicalResult FunctionWriter::writeConstant(arith::ConstantOp op) {
  Attribute value = op.getValue();
  if (auto f = dyn_cast<FloatAttr>(value)) {
    os << defFresh(op) << " = const " << number(f.getValueAsDouble()) << "\n";
    return success();
  }
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    os << defFresh(op) << " = const " << integerValue(i) << "\n";
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!dense || !type || !type.hasStaticShape())
    return fail("constant kind is not supported");
  auto element = [&](Attribute a) -> double {
    if (auto f = dyn_cast<FloatAttr>(a))
      return f.getValueAsDouble();
    return static_cast<double>(integerValue(cast<IntegerAttr>(a)));
  };
  std::string dims = std::to_string(type.getRank());
  for (int64_t d : type.getShape())
    dims += " " + std::to_string(d);
  if (dense.isSplat()) {
    os << defFresh(op) << " = splat "
       << number(element(dense.getSplatValue<Attribute>())) << " " << dims
       << "\n";
    return success();
  }
  if (type.getNumElements() > (1 << 20))
    return fail("constant is too large for the reference program");
  os << defFresh(op) << " = dense " << dims;
  for (Attribute a : dense.getValues<Attribute>())
    os << " " << number(element(a));
  os << "\n";
  return success();
}

LogicalResult FunctionWriter::writeGeneric(linalg::GenericOp op) {
  // Captures: values from above used in the body.
  SmallVector<Value> captures;
  llvm::DenseMap<Value, unsigned> captureIndex;
  op.getRegion().walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (v.getParentRegion() != &op.getRegion() &&
          !op.getRegion().isAncestor(v.getParentRegion()) &&
          !captureIndex.count(v)) {
        captureIndex[v] = captures.size();
        captures.push_back(v);
      }
  });
  std::string header;
  for (Value r : op->getResults())
    header += (header.empty() ? "" : " ") + defFresh(r);
  os << header << " = generic " << op.getNumLoops() << " ";
  for (utils::IteratorType it : op.getIteratorTypesArray())
    os << (it == utils::IteratorType::parallel ? "p" : "r");
  os << " ins " << op.getNumDpsInputs();
  for (Value v : op.getDpsInputs())
    os << " " << ref(v);
  os << " outs " << op.getNumDpsInits();
  for (Value v : op.getDpsInits())
    os << " " << ref(v);
  os << " captures " << captures.size();
  for (Value v : captures)
    os << " " << ref(v);
  os << "\n";
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (map.getNumSymbols())
      return fail("indexing map has symbols");
    os << "map";
    for (AffineExpr e : map.getResults()) {
      std::string s = affine(e);
      if (s.empty())
        return fail("indexing map is not expressible");
      os << " " << s;
    }
    os << "\n";
  }

  Block &body = op.getRegion().front();
  llvm::DenseMap<Value, std::string> names;
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    names[arg] = "a" + std::to_string(i);
  for (auto [v, i] : captureIndex)
    names[v] = "c" + std::to_string(i);
  unsigned temps = 0;
  auto name = [&](Value v) -> std::string {
    auto it = names.find(v);
    return it == names.end() ? std::string("?") : it->second;
  };
  for (Operation &inner : body) {
    std::string line;
    std::string lhs;
    if (inner.getNumResults() == 1) {
      lhs = "t" + std::to_string(temps++);
      names[inner.getResult(0)] = lhs;
    }
    auto operands = [&]() {
      std::string s;
      for (Value v : inner.getOperands())
        s += " " + name(v);
      return s;
    };
    StringRef mnemonic =
        llvm::TypeSwitch<Operation *, StringRef>(&inner)
            .Case<arith::AddFOp>([](auto) { return "addf"; })
            .Case<arith::SubFOp>([](auto) { return "subf"; })
            .Case<arith::MulFOp>([](auto) { return "mulf"; })
            .Case<arith::DivFOp>([](auto) { return "divf"; })
            .Case<arith::MaximumFOp, arith::MaxNumFOp>(
                [](auto) { return "maximumf"; })
            .Case<arith::MinimumFOp, arith::MinNumFOp>(
                [](auto) { return "minimumf"; })
            .Case<math::PowFOp>([](auto) { return "powf"; })
            .Case<arith::NegFOp>([](auto) { return "negf"; })
            .Case<math::AbsFOp>([](auto) { return "absf"; })
            .Case<math::ExpOp>([](auto) { return "exp"; })
            .Case<math::LogOp>([](auto) { return "log"; })
            .Case<math::TanhOp>([](auto) { return "tanh"; })
            .Case<math::SqrtOp>([](auto) { return "sqrt"; })
            .Case<math::RsqrtOp>([](auto) { return "rsqrt"; })
            .Case<math::CosOp>([](auto) { return "cos"; })
            .Case<math::SinOp>([](auto) { return "sin"; })
            .Case<math::ErfOp>([](auto) { return "erf"; })
            .Case<arith::AddIOp>([](auto) { return "addi"; })
            .Case<arith::SubIOp>([](auto) { return "subi"; })
            .Case<arith::MulIOp>([](auto) { return "muli"; })
            .Case<arith::DivSIOp>([](auto) { return "divsi"; })
            .Case<arith::RemSIOp>([](auto) { return "remsi"; })
            .Case<arith::DivUIOp>([](auto) { return "divui"; })
            .Case<arith::RemUIOp>([](auto) { return "remui"; })
            .Case<arith::MinSIOp>([](auto) { return "minsi"; })
            .Case<arith::MaxSIOp>([](auto) { return "maxsi"; })
            .Case<arith::MinUIOp>([](auto) { return "minui"; })
            .Case<arith::MaxUIOp>([](auto) { return "maxui"; })
            .Case<arith::AndIOp>([](auto) { return "andi"; })
            .Case<arith::OrIOp>([](auto) { return "ori"; })
            .Case<arith::XOrIOp>([](auto) { return "xori"; })
            .Case<arith::SelectOp>([](auto) { return "select"; })
            .Case<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp,
                  arith::UIToFPOp, arith::ExtSIOp, arith::ExtUIOp,
                  arith::TruncIOp, arith::IndexCastOp>(
                [](auto) { return "cast"; })
            .Case<arith::FPToSIOp>([](auto) { return "fptosi"; })
            .Default([](Operation *) { return ""; });
    if (!mnemonic.empty()) {
      line = lhs + " = " + mnemonic.str() + operands();
    } else if (auto c = dyn_cast<arith::ConstantOp>(inner)) {
      if (auto f = dyn_cast<FloatAttr>(c.getValue()))
        line = lhs + " = constf " + number(f.getValueAsDouble());
      else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
        line = lhs + " = consti " + std::to_string(integerValue(i));
      else
        return fail("body constant kind is not supported");
    } else if (auto cmp = dyn_cast<arith::CmpFOp>(inner)) {
      line = lhs + " = cmpf " +
             arith::stringifyCmpFPredicate(cmp.getPredicate()).str() +
             operands();
    } else if (auto cmp = dyn_cast<arith::CmpIOp>(inner)) {
      line = lhs + " = cmpi " +
             arith::stringifyCmpIPredicate(cmp.getPredicate()).str() +
             operands();
    } else if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      line = lhs + " = index " + std::to_string(index.getDim());
    } else if (auto extract = dyn_cast<tensor::ExtractOp>(inner)) {
      if (!captureIndex.count(extract.getTensor()))
        return fail("extracts from a tensor that is not captured");
      line = lhs + " = extract" + operands();
    } else if (isa<linalg::YieldOp>(inner)) {
      line = "yield" + operands();
    } else {
      return fail("has a body op '" + inner.getName().getStringRef().str() +
                  "' the reference cannot express");
    }
    if (line.find('?') != std::string::npos)
      return fail("body uses a value it cannot name");
    os << line << "\n";
  }
  os << "endgeneric\n";
  return checked();
}

LogicalResult FunctionWriter::writeOp(Operation *op) {
  auto bit = [](bool b) { return b ? "1" : "0"; };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](func::ReturnOp ret) {
        os << "return";
        for (Value v : ret.getOperands())
          os << " " << ref(v);
        os << "\n";
        return checked();
      })
      .Case([&](arith::ConstantOp c) { return writeConstant(c); })
      .Case([&](tensor::DimOp dim) {
        std::optional<int64_t> index = dim.getConstantIndex();
        if (!index)
          return fail("has a non-constant dimension");
        std::string src = ref(dim.getSource());
        os << defFresh(dim) << " = dim " << src << " " << *index << "\n";
        return checked();
      })
      .Case([&](tensor::EmptyOp empty) {
        std::string s = sizes(empty.getMixedSizes());
        os << defFresh(empty) << " = empty " << s << "\n";
        return checked();
      })
      .Case([&](tensor::ExpandShapeOp expand) {
        std::string src = ref(expand.getSrc());
        std::string s = sizes(expand.getMixedOutputShape());
        os << defFresh(expand) << " = reshape " << src << " " << s << "\n";
        return checked();
      })
      .Case<tensor::CollapseShapeOp, tensor::CastOp>([&](Operation *o) {
        // Result sizes: static ones from the type, dynamic ones computed
        // from the source by `dim` and `index.mul` lines.
        Value src = o->getOperand(0);
        auto srcType = cast<RankedTensorType>(src.getType());
        auto resType = cast<RankedTensorType>(o->getResult(0).getType());
        SmallVector<ReassociationIndices> groups;
        if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(o))
          groups = collapse.getReassociationIndices();
        else
          for (int64_t d = 0; d < srcType.getRank(); ++d)
            groups.push_back({d});
        std::string srcRef = ref(src);
        std::string dims = std::to_string(resType.getRank());
        for (auto [i, group] : llvm::enumerate(groups)) {
          if (!resType.isDynamicDim(i)) {
            dims += " " + std::to_string(resType.getDimSize(i));
            continue;
          }
          std::string acc;
          for (int64_t d : group) {
            std::string term = "%" + std::to_string(ids.size() + extra++);
            os << term << " = dim " << srcRef << " " << d << "\n";
            if (!acc.empty()) {
              std::string prod = "%" + std::to_string(ids.size() + extra++);
              os << prod << " = index.mul " << acc << " " << term << "\n";
              term = prod;
            }
            acc = term;
          }
          dims += " " + acc;
        }
        os << defFresh(o->getResult(0)) << " = reshape " << srcRef << " "
           << dims << "\n";
        return checked();
      })
      .Case([&](tensor::PadOp pad) {
        Value padValue = pad.getConstantPaddingValue();
        auto cst = padValue ? padValue.getDefiningOp<arith::ConstantOp>()
                            : arith::ConstantOp();
        auto f = cst ? dyn_cast<FloatAttr>(cst.getValue()) : FloatAttr();
        if (!f)
          return fail("pads with a non-constant value");
        std::string src = ref(pad.getSource());
        std::string low = sizes(pad.getMixedLowPad());
        std::string high = sizes(pad.getMixedHighPad());
        os << defFresh(pad) << " = pad " << src << " "
           << number(f.getValueAsDouble()) << " " << low << " " << high << "\n";
        return checked();
      })
      .Case<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::DivSIOp,
            arith::RemSIOp, arith::MinSIOp, arith::MaxSIOp>(
          [&](Operation *o) -> LogicalResult {
            if (!o->getResult(0).getType().isIndex())
              return fail("integer arithmetic outside a generic must be on "
                          "index values");
            StringRef kind =
                llvm::TypeSwitch<Operation *, StringRef>(o)
                    .Case<arith::AddIOp>([](auto) { return "add"; })
                    .Case<arith::SubIOp>([](auto) { return "sub"; })
                    .Case<arith::MulIOp>([](auto) { return "mul"; })
                    .Case<arith::DivSIOp>([](auto) { return "div"; })
                    .Case<arith::RemSIOp>([](auto) { return "rem"; })
                    .Case<arith::MinSIOp>([](auto) { return "min"; })
                    .Default([](auto) { return "max"; });
            std::string a = ref(o->getOperand(0)), b = ref(o->getOperand(1));
            os << defFresh(o->getResult(0)) << " = index." << kind << " " << a
               << " " << b << "\n";
            return checked();
          })
      .Case([&](MatmulOp mm) {
        std::string a = ref(mm.getA()), b = ref(mm.getB());
        std::string bias = mm.getBias() ? " " + ref(mm.getBias()) : "";
        std::string scales =
            mm.getScaleA()
                ? " " + ref(mm.getScaleA()) + " " + ref(mm.getScaleB())
                : "";
        os << defFresh(mm) << " = matmul " << a << " " << b << scales << bias
           << " "
           << bit(mm.getTransposeA()) << " " << bit(mm.getTransposeB()) << " "
           << number(mm.getAlpha().convertToDouble()) << " "
           << stringifyEpilogue(mm.getEpilogue()) << "\n";
        return checked();
      })
      .Case([&](AttentionOp att) {
        std::string q = ref(att.getQ()), k = ref(att.getK()),
                    v = ref(att.getV());
        std::string results = defFresh(att.getOut());
        if (att.getLse())
          results += " " + defFresh(att.getLse());
        os << results << " = attention " << q << " " << k << " " << v << " "
           << number(att.getScaleOrDefault()) << " " << bit(att.getCausal())
           << " " << att.getWindow().value_or(0) << "\n";
        return checked();
      })
      .Case([&](MergeAttentionOp merge) {
        std::string operands;
        for (Value x : merge->getOperands())
          operands += " " + ref(x);
        std::string out = defFresh(merge.getOut());
        os << out << " " << defFresh(merge.getLse()) << " = merge_attention"
           << operands << "\n";
        return checked();
      })
      .Case([&](FFTConvOp conv) {
        std::string u = ref(conv.getU()), k = ref(conv.getK());
        std::string d = conv.getD() ? " " + ref(conv.getD()) : "";
        os << defFresh(conv) << " = fftconv " << u << " " << k << d << " "
           << conv.getKeepFrequencies().value_or(0) << "\n";
        return checked();
      })
      .Case<SpMMOp, SpGEMMOp>([&](Operation *o) {
        std::string a = ref(o->getOperand(0)), b = ref(o->getOperand(1));
        os << defFresh(o->getResult(0))
           << (isa<SpMMOp>(o) ? " = spmm " : " = spgemm ") << a << " " << b
           << "\n";
        return checked();
      })
      .Case([&](sparse_tensor::ConvertOp convert) {
        std::string src = ref(convert.getSource());
        os << defFresh(convert) << " = convert " << src << "\n";
        return checked();
      })
      .Case([&](sparse_tensor::AssembleOp assemble) -> LogicalResult {
        auto type = cast<RankedTensorType>(assemble.getType());
        sparse_tensor::SparseTensorType stt(type);
        if (classifySparseFormat(type) != SparseFormat::NOutOfM ||
            !type.hasStaticShape() || assemble.getLevels().size() != 1)
          return fail("only assembles N:M matrices of static shape");
        sparse_tensor::LevelType lt = stt.getLvlType(2);
        std::string crd = ref(assemble.getLevels()[0]);
        std::string vals = ref(assemble.getValues());
        os << defFresh(assemble) << " = assemble_nm " << crd << " " << vals
           << " " << lt.getN() << " " << lt.getM() << " 2 "
           << type.getDimSize(0) << " " << type.getDimSize(1) << "\n";
        return checked();
      })
      .Case([&](linalg::GenericOp generic) { return writeGeneric(generic); })
      .Default([&](Operation *) { return fail("is not supported"); });
}

std::string mlir::tessera::serializeReferenceProgram(ModuleOp module,
                                                     std::string &skipped) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "tessera-reference 1\n";
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    std::string body, reason;
    llvm::raw_string_ostream fos(body);
    FunctionWriter writer(fos);
    if (failed(writer.write(func, reason))) {
      skipped += getExportName(func).str() + ": " + reason + "\n";
      continue;
    }
    os << body;
  }
  return text;
}
