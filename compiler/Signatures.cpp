//===- Signatures.cpp - Function signatures for the artifact --------------===//
//
// A union-find over (tensor value, dimension) pairs: linalg indexing maps,
// shape-preserving tensor ops and tensor.empty sizes taken from tensor.dim
// tie sizes together; a class with a function argument in it becomes a
// manifest symbol the runtime checks.
//
//===----------------------------------------------------------------------===//

#include "compiler/Signatures.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"

#include <cctype>

using namespace mlir;
using namespace mlir::tessera;
namespace artifact = ::tessera::artifact;

std::string mlir::tessera::getPackedSymbol(StringRef name) {
  return ("tessera_packed_" + name).str();
}

StringRef mlir::tessera::getExportName(func::FuncOp func) {
  auto name = func->getAttrOfType<StringAttr>(getExportNameAttrName());
  return name ? name.getValue() : func.getSymName();
}

std::string mlir::tessera::getInternalFunctionName(StringRef name) {
  return ("__tessera_fn_" + name).str();
}

FailureOr<artifact::DType> mlir::tessera::getDType(Type t) {
  if (t.isF32())
    return artifact::DType::F32;
  if (t.isF16())
    return artifact::DType::F16;
  if (t.isBF16())
    return artifact::DType::BF16;
  if (t.isF64())
    return artifact::DType::F64;
  if (t.isInteger(8))
    return artifact::DType::I8;
  if (t.isInteger(32))
    return artifact::DType::I32;
  if (t.isInteger(64) || t.isIndex())
    return artifact::DType::I64;
  if (isa<Float8E4M3FNType>(t))
    return artifact::DType::F8E4M3FN;
  if (isa<Float8E5M2Type>(t))
    return artifact::DType::F8E5M2;
  return failure();
}

namespace {
/// Union-find over opaque (pointer, index) keys.
class SizeClasses {
public:
  using Key = std::pair<const void *, int64_t>;

  unsigned id(Key key) {
    auto [it, inserted] = ids.try_emplace(key, parent.size());
    if (inserted) {
      parent.push_back(parent.size());
      staticSize.push_back(-1);
    }
    return it->second;
  }
  unsigned find(unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(Key a, Key b) {
    unsigned ra = find(id(a)), rb = find(id(b));
    if (ra == rb)
      return;
    parent[rb] = ra;
    if (staticSize[ra] < 0)
      staticSize[ra] = staticSize[rb];
    else if (staticSize[rb] >= 0 && staticSize[rb] != staticSize[ra])
      conflict = true;
  }
  void setStatic(Key k, int64_t size) {
    unsigned r = find(id(k));
    if (staticSize[r] >= 0 && staticSize[r] != size)
      conflict = true;
    staticSize[r] = size;
  }
  int64_t getStatic(Key k) { return staticSize[find(id(k))]; }

  bool conflict = false;

private:
  llvm::DenseMap<Key, unsigned> ids;
  std::vector<unsigned> parent;
  std::vector<int64_t> staticSize;
};

SizeClasses::Key dimKey(Value v, int64_t d) {
  return {v.getAsOpaquePointer(), d};
}

/// Records that the sizes of `v` (a ranked tensor) exist, static ones
/// included.
void addValue(SizeClasses &classes, Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type)
    return;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    classes.id(dimKey(v, d));
    if (!type.isDynamicDim(d))
      classes.setStatic(dimKey(v, d), type.getDimSize(d));
  }
}

/// Ties the dynamic size `size` used to build dimension `d` of `v` to the
/// tensor it was read from, when it is a `tensor.dim` of a constant index.
void tieToDimSource(SizeClasses &classes, Value v, int64_t d, Value size) {
  auto dimOp = size.getDefiningOp<tensor::DimOp>();
  if (!dimOp)
    return;
  std::optional<int64_t> index = dimOp.getConstantIndex();
  if (index)
    classes.unite(dimKey(v, d), dimKey(dimOp.getSource(), *index));
}

void tieSameShape(SizeClasses &classes, Value a, Value b) {
  auto ta = dyn_cast<RankedTensorType>(a.getType());
  auto tb = dyn_cast<RankedTensorType>(b.getType());
  if (!ta || !tb || ta.getRank() != tb.getRank())
    return;
  for (int64_t d = 0; d < ta.getRank(); ++d)
    classes.unite(dimKey(a, d), dimKey(b, d));
}

void tieReshape(SizeClasses &classes, Value collapsed, Value expanded,
                ArrayRef<ReassociationIndices> groups) {
  for (auto [i, group] : llvm::enumerate(groups))
    if (group.size() == 1)
      classes.unite(dimKey(collapsed, i), dimKey(expanded, group[0]));
}

/// Adds the size relations that `op` requires or implies.
void addRelations(SizeClasses &classes, Operation *op) {
  for (Value v : op->getResults())
    addValue(classes, v);
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<RankedTensorType>(operand.get().getType()))
        continue;
      AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
      for (auto [i, expr] : llvm::enumerate(map.getResults()))
        if (auto dim = dyn_cast<AffineDimExpr>(expr))
          classes.unite(dimKey(operand.get(), i),
                        {op, static_cast<int64_t>(dim.getPosition())});
    }
    for (auto [result, init] :
         llvm::zip(op->getResults(), linalgOp.getDpsInits()))
      tieSameShape(classes, result, init);
    return;
  }
  if (auto empty = dyn_cast<tensor::EmptyOp>(op)) {
    auto type = empty.getType();
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        tieToDimSource(classes, empty.getResult(), d, empty.getDynamicSize(d));
    return;
  }
  if (auto castOp = dyn_cast<tensor::CastOp>(op))
    return tieSameShape(classes, castOp.getSource(), castOp.getResult());
  if (auto convert = dyn_cast<sparse_tensor::ConvertOp>(op))
    return tieSameShape(classes, convert.getSource(), convert.getResult());
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    tieReshape(classes, expand.getSrc(), expand.getResult(),
               expand.getReassociationIndices());
    for (auto [d, size] : llvm::enumerate(expand.getMixedOutputShape()))
      if (auto v = dyn_cast<Value>(size))
        tieToDimSource(classes, expand.getResult(), d, v);
    return;
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
    return tieReshape(classes, collapse.getResult(), collapse.getSrc(),
                      collapse.getReassociationIndices());
}

artifact::ValueDesc makeSignature(std::string name, RankedTensorType type) {
  artifact::ValueDesc sig;
  sig.name = std::move(name);
  sig.dtype = *getDType(type.getElementType());
  for (int64_t d : type.getShape())
    sig.dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
  sig.symbols.assign(type.getRank(), -1);
  return sig;
}
} // namespace

FailureOr<std::vector<artifact::FunctionDesc>>
mlir::tessera::computeSignatures(ModuleOp module) {
  std::vector<artifact::FunctionDesc> result;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    artifact::FunctionDesc fs;
    fs.name = getExportName(func).str();
    fs.symbol = getPackedSymbol(fs.name);
    if (fs.name.empty() || std::isdigit(fs.name[0]) ||
        !llvm::all_of(fs.name, [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        }))
      return func.emitError() << "exported function '@" << fs.name
                              << "' needs a C identifier as its name";
    SizeClasses classes;

    auto checkType = [&](Type t, StringRef what,
                         unsigned i) -> FailureOr<RankedTensorType> {
      auto type = dyn_cast<RankedTensorType>(t);
      if (!type || sparse_tensor::getSparseTensorEncoding(type) ||
          failed(getDType(type.getElementType()))) {
        func.emitError() << what << " #" << i << " of @" << fs.name
                         << " has type " << t
                         << ", which the runtime cannot pass: use a dense "
                            "ranked tensor of f32, f16, bf16, f64, i8, i32, "
                            "i64 (or index) or fp8";
        return failure();
      }
      return type;
    };

    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      FailureOr<RankedTensorType> type =
          checkType(arg.getType(), "argument", i);
      if (failed(type))
        return failure();
      addValue(classes, arg);
      fs.args.push_back(makeSignature("arg" + std::to_string(i), *type));
    }
    for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
      FailureOr<RankedTensorType> type = checkType(t, "result", i);
      if (failed(type))
        return failure();
      fs.results.push_back(makeSignature("result" + std::to_string(i), *type));
    }

    func.walk([&](Operation *op) {
      addRelations(classes, op);
      if (auto ret = dyn_cast<func::ReturnOp>(op))
        for (auto [r, v] : llvm::enumerate(ret.getOperands()))
          for (int64_t d = 0;
               d < static_cast<int64_t>(fs.results[r].dims.size()); ++d)
            classes.unite(dimKey(v, d),
                          {func.getOperation(), -1 - (int64_t(r) << 16) - d});
    });
    if (classes.conflict)
      return func.emitError() << "@" << fs.name
                              << " requires two different static sizes to be "
                                 "equal";

    // Name a dynamic argument size with a symbol when another argument or
    // result size must equal it; a class with a static size pins it.
    llvm::DenseMap<unsigned, int64_t> symbolOf;
    llvm::DenseMap<unsigned, unsigned> uses;
    auto countUse = [&](SizeClasses::Key k) {
      ++uses[classes.find(classes.id(k))];
    };
    for (auto [i, arg] : llvm::enumerate(func.getArguments()))
      for (int64_t d = 0; d < static_cast<int64_t>(fs.args[i].dims.size()); ++d)
        countUse(dimKey(arg, d));
    for (auto [r, res] : llvm::enumerate(fs.results))
      for (int64_t d = 0; d < static_cast<int64_t>(res.dims.size()); ++d)
        countUse({func.getOperation(), -1 - (int64_t(r) << 16) - d});

    auto assign = [&](artifact::ValueDesc &sig, SizeClasses::Key k, int64_t d,
                      bool isArg) {
      if (sig.dims[d] >= 0)
        return;
      if (int64_t s = classes.getStatic(k); s >= 0) {
        sig.dims[d] = s;
        return;
      }
      unsigned root = classes.find(classes.id(k));
      auto it = symbolOf.find(root);
      if (it != symbolOf.end()) {
        sig.symbols[d] = it->second;
        return;
      }
      if (isArg && uses[root] > 1) {
        int64_t sym = symbolOf.size();
        symbolOf[root] = sym;
        sig.symbols[d] = sym;
      }
    };
    for (auto [i, arg] : llvm::enumerate(func.getArguments()))
      for (int64_t d = 0; d < static_cast<int64_t>(fs.args[i].dims.size()); ++d)
        assign(fs.args[i], dimKey(arg, d), d, /*isArg=*/true);
    for (auto [r, res] : llvm::enumerate(fs.results))
      for (int64_t d = 0; d < static_cast<int64_t>(res.dims.size()); ++d)
        assign(res, {func.getOperation(), -1 - (int64_t(r) << 16) - d}, d,
               /*isArg=*/false);
    result.push_back(std::move(fs));
  }
  return result;
}
