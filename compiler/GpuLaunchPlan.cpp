//===- GpuLaunchPlan.cpp - Launch plans from kernel ABIs ------------------===//

#include "compiler/GpuLaunchPlan.h"

#include "compiler/Signatures.h"
#include "dialects/Tessera/TesseraOps.h"
#include "passes/Gpu/KernelFamily.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/STLExtras.h"

#include <cctype>
#include <deque>

using namespace mlir;
using namespace mlir::tessera;
namespace artifact = ::tessera::artifact;

namespace {
/// A size in a plan: a static number, a symbol sN, or an expression.
struct Size {
  int64_t value = -1;
  int64_t symbol = -1;
  std::string expr;
  bool known() const { return value >= 0 || symbol >= 0 || !expr.empty(); }
  /// As an operand of a plan expression.
  std::string str() const {
    if (value >= 0)
      return std::to_string(value);
    if (symbol >= 0)
      return "s" + std::to_string(symbol);
    return "(" + expr + ")";
  }
};

/// Where a tensor of the function lives in the plan, and its sizes.
struct PlanValue {
  std::string name; // arg0, result0, t0
  SmallVector<Size> dims;
};

SmallVector<Size> sizesOf(const artifact::ValueDesc &v) {
  SmallVector<Size> dims;
  for (auto [d, s] : llvm::zip(v.dims, v.symbols))
    dims.push_back(Size{d, s, ""});
  return dims;
}

/// A size from a substituted expression: plain numbers and symbols stay
/// what they are.
Size parseSize(const std::string &text) {
  if (!text.empty() && llvm::all_of(text, ::isdigit))
    return Size{std::stoll(text), -1, ""};
  if (text.size() > 1 && text[0] == 's' &&
      llvm::all_of(StringRef(text).drop_front(), ::isdigit))
    return Size{-1, std::stoll(text.substr(1)), ""};
  return Size{-1, -1, text};
}

/// A dynamic size of a collapse's result: the product of the source's
/// dimensions `group`. Unknown where a source size is.
Size collapsedSize(ArrayRef<Size> from, ArrayRef<int64_t> group) {
  std::string expr;
  int64_t product = 1;
  for (int64_t d : group) {
    if (!from[d].known())
      return Size{};
    if (from[d].value >= 0)
      product *= from[d].value;
    else
      expr += (expr.empty() ? "" : "*") + from[d].str();
  }
  if (expr.empty())
    return Size{product, -1, ""};
  if (product == 1 && group.size() == 1)
    return from[group.front()];
  return Size{-1, -1, product == 1 ? expr
                                   : expr + "*" + std::to_string(product)};
}

/// The one dynamic size of an expansion's group: the source's size `from`
/// divided by the static product of the group's other sizes (the runtime
/// checks that the view has its base's element count).
Size expandedSize(const Size &from, int64_t staticProduct) {
  if (!from.known() || staticProduct == 0)
    return Size{};
  if (from.value >= 0)
    return Size{from.value / staticProduct, -1, ""};
  if (staticProduct == 1)
    return from;
  return Size{-1, -1,
              "div(" + from.str() + "," + std::to_string(staticProduct) + ")"};
}

/// One op of the function with the plan values its launch plans number.
struct PlannedOp {
  Operation *op;
  ArrayAttr plans;
  /// Operands then results; each plan's temporaries follow (per plan).
  SmallVector<const PlanValue *> values;
  SmallVector<SmallVector<PlanValue>> temporaries;
};

class PlanBuilder {
public:
  PlanBuilder(func::FuncOp func, artifact::FunctionDesc &desc,
              llvm::StringMap<unsigned> &tensorMaps)
      : func(func), desc(desc), tensorMaps(tensorMaps) {}

  LogicalResult build();

private:
  LogicalResult addOp(Operation *op);
  /// A reshape: a view of its source's storage (or the returned result it
  /// is).
  LogicalResult addReshape(Operation *op);
  /// The size `size` is, where it is a `tensor.dim` of a planned value of
  /// known size (an expansion's output size); unknown otherwise.
  Size getDimSize(OpFoldResult size) const;
  /// Finds the values whose storage is a result, seen through the reshapes
  /// between them and the return.
  LogicalResult findReshapedResults(func::ReturnOp returnOp);
  /// The sizes of result `result` of kernel op `op`.
  FailureOr<SmallVector<Size>> resultSizes(Operation *op, unsigned result);
  FailureOr<PlanValue> intermediate(Operation *op, unsigned result);
  /// A view named v<N> of `base` with `dims`.
  const PlanValue *newView(const PlanValue &base, artifact::DType dtype,
                           ArrayRef<Size> dims);
  /// `text` with every `v<i>.<d>` replaced by that size of `values`.
  FailureOr<std::string> substitute(Operation *op, StringRef text,
                                    ArrayRef<const PlanValue *> values);
  /// The same for an expression, folded to a number when it names no
  /// symbol.
  FailureOr<std::string> substituteExpression(
      Operation *op, StringRef text, ArrayRef<const PlanValue *> values);
  /// The values a plan of `p` numbers.
  SmallVector<const PlanValue *> planValues(const PlannedOp &p,
                                            unsigned plan) const;
  LogicalResult addSteps(const PlannedOp &p, unsigned plan,
                         artifact::Variant &variant);
  std::string newBuffer(artifact::ValueDesc buffer);

  func::FuncOp func;
  artifact::FunctionDesc &desc;
  llvm::StringMap<unsigned> &tensorMaps;
  /// Stable storage for plan values (pointers into it are kept).
  std::deque<PlanValue> storage;
  DenseMap<Value, const PlanValue *> values;
  DenseMap<Value, size_t> returned;
  /// Kernel outputs that are reshaped into result #i: stored as its view.
  DenseMap<Value, size_t> reshapedResults;
  SmallVector<PlannedOp> ops;
};

std::string PlanBuilder::newBuffer(artifact::ValueDesc buffer) {
  buffer.name = "t" + std::to_string(desc.buffers.size());
  desc.buffers.push_back(buffer);
  return desc.buffers.back().name;
}

FailureOr<std::string>
PlanBuilder::substitute(Operation *op, StringRef text,
                        ArrayRef<const PlanValue *> vals) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool reference = text[i] == 'v' && i + 1 < text.size() &&
                     isdigit(text[i + 1]) &&
                     (i == 0 || !isalnum(text[i - 1]));
    if (!reference) {
      out += text[i++];
      continue;
    }
    size_t dot = text.find('.', i);
    size_t end = dot;
    while (end + 1 < text.size() && isdigit(text[end + 1]))
      ++end;
    unsigned value, dim;
    if (dot == StringRef::npos ||
        text.slice(i + 1, dot).getAsInteger(10, value) ||
        text.slice(dot + 1, end + 1).getAsInteger(10, dim) ||
        value >= vals.size() || dim >= vals[value]->dims.size())
      return op->emitOpError() << "launch plan expression '" << text
                               << "' names a size the op does not have";
    const Size &size = vals[value]->dims[dim];
    if (!size.known())
      return op->emitOpError() << "has a dynamic size the plan cannot name "
                                  "(it is not tied to an argument)";
    out += size.str();
    i = end + 1;
  }
  return out;
}

FailureOr<std::string>
PlanBuilder::substituteExpression(Operation *op, StringRef text,
                                  ArrayRef<const PlanValue *> vals) {
  FailureOr<std::string> out = substitute(op, text, vals);
  if (failed(out))
    return failure();
  artifact::Expression expr;
  if (!artifact::parseExpression(*out, expr).empty())
    return op->emitOpError() << "launch plan expression '" << text
                             << "' is not a plan expression";
  int64_t value;
  if (expr.symbols().empty() &&
      artifact::evaluateExpression(expr, {}, value).empty())
    return std::to_string(value);
  return out;
}

FailureOr<SmallVector<Size>> PlanBuilder::resultSizes(Operation *op,
                                                      unsigned result) {
  auto type = cast<RankedTensorType>(op->getResult(result).getType());
  const kernels::KernelFamily *family = kernels::lookupKernelFamily(op);
  SmallVector<Size> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    Size size{type.getDimSize(d), -1, ""};
    if (type.isDynamicDim(d)) {
      // The first source that the arguments name, preferring symbols.
      size = Size{};
      for (kernels::DimSource s : family->getResultDimSources(op, result, d)) {
        const Size &candidate = values[op->getOperand(s.operand)]->dims[s.dim];
        if (candidate.symbol >= 0 || !candidate.expr.empty()) {
          size = candidate;
          break;
        }
      }
    }
    if (!size.known())
      return op->emitOpError() << "has a dynamic size the plan cannot name "
                                  "(it is not tied to an argument)";
    dims.push_back(size);
  }
  return dims;
}

/// A value description with `dims` (expressions only where one is).
static artifact::ValueDesc describeValue(artifact::DType dtype,
                                         ArrayRef<Size> dims) {
  artifact::ValueDesc desc;
  desc.dtype = dtype;
  for (const Size &size : dims) {
    desc.dims.push_back(size.value);
    desc.symbols.push_back(size.symbol);
    desc.exprs.push_back(size.expr);
  }
  if (llvm::all_of(desc.exprs, [](const std::string &e) { return e.empty(); }))
    desc.exprs.clear();
  return desc;
}

FailureOr<PlanValue> PlanBuilder::intermediate(Operation *op,
                                               unsigned result) {
  FailureOr<artifact::DType> dtype = getDType(
      cast<RankedTensorType>(op->getResult(result).getType()).getElementType());
  if (failed(dtype))
    return op->emitOpError() << "result type has no runtime dtype";
  FailureOr<SmallVector<Size>> dims = resultSizes(op, result);
  if (failed(dims))
    return failure();
  PlanValue v{"", *dims};
  v.name = newBuffer(describeValue(*dtype, *dims));
  return v;
}

const PlanValue *PlanBuilder::newView(const PlanValue &base,
                                      artifact::DType dtype,
                                      ArrayRef<Size> dims) {
  artifact::ViewDesc view;
  view.value = describeValue(dtype, dims);
  view.value.name = "v" + std::to_string(desc.views.size());
  view.base = base.name;
  desc.views.push_back(view);
  storage.push_back(PlanValue{view.value.name, SmallVector<Size>(dims)});
  return &storage.back();
}

LogicalResult PlanBuilder::findReshapedResults(func::ReturnOp returnOp) {
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands())) {
    Value source = v;
    while (auto *def = source.getDefiningOp()) {
      if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
        break;
      source = def->getOperand(0);
    }
    if (source == v)
      continue;
    if (isa<BlockArgument>(source) || returned.count(source) ||
        !reshapedResults.try_emplace(source, i).second)
      return returnOp.emitOpError()
             << "result #" << i
             << " is a reshape of an argument or of a value that is returned "
                "or reshaped into another result; the GPU targets need each "
                "result to be its own kernel's output";
  }
  return success();
}

Size PlanBuilder::getDimSize(OpFoldResult size) const {
  auto dim = dyn_cast_if_present<Value>(size)
                 ? cast<Value>(size).getDefiningOp<tensor::DimOp>()
                 : nullptr;
  if (!dim)
    return Size{};
  std::optional<int64_t> index = dim.getConstantIndex();
  const PlanValue *source = values.lookup(dim.getSource());
  if (!index || !source || *index < 0 ||
      *index >= static_cast<int64_t>(source->dims.size()))
    return Size{};
  return source->dims[*index];
}

LogicalResult PlanBuilder::addReshape(Operation *op) {
  Value result = op->getResult(0);
  if (auto it = returned.find(result); it != returned.end()) {
    // The end of a chain that findReshapedResults rooted in the result.
    storage.push_back(PlanValue{desc.results[it->second].name,
                                sizesOf(desc.results[it->second])});
    values[result] = &storage.back();
    return success();
  }
  auto type = cast<RankedTensorType>(result.getType());
  FailureOr<artifact::DType> dtype = getDType(type.getElementType());
  if (failed(dtype))
    return op->emitOpError() << "result type has no runtime dtype";
  const PlanValue &source = *values[op->getOperand(0)];
  SmallVector<Size> dims;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    for (auto [g, group] : llvm::enumerate(collapse.getReassociationIndices()))
      dims.push_back(type.isDynamicDim(g)
                         ? collapsedSize(source.dims, group)
                         : Size{type.getDimSize(g), -1, ""});
  } else {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    for (auto [g, group] : llvm::enumerate(expand.getReassociationIndices())) {
      int64_t product = 1, dynamic = 0;
      for (int64_t d : group) {
        if (type.isDynamicDim(d))
          ++dynamic;
        else
          product *= type.getDimSize(d);
      }
      for (int64_t d : group) {
        if (!type.isDynamicDim(d))
          dims.push_back(Size{type.getDimSize(d), -1, ""});
        else if (Size named = getDimSize(expand.getMixedOutputShape()[d]);
                 named.known())
          dims.push_back(named);
        else
          dims.push_back(dynamic == 1 ? expandedSize(source.dims[g], product)
                                      : Size{});
      }
    }
  }
  if (!llvm::all_of(dims, [](const Size &s) { return s.known(); }))
    return op->emitOpError() << "has a dynamic size the plan cannot name "
                                "(a group of the reshape has two dynamic "
                                "sizes)";
  values[result] = newView(source, *dtype, dims);
  return success();
}

LogicalResult PlanBuilder::addOp(Operation *op) {
  auto plans = op->getAttrOfType<ArrayAttr>("tessera.launch_plans");
  if (!plans || plans.empty())
    return op->emitOpError() << "has no launch plan (run "
                                "tessera-gpu-build-kernels first)";
  PlannedOp p{op, plans, {}, {}};
  for (Value operand : op->getOperands())
    p.values.push_back(values[operand]);
  for (OpResult result : op->getResults()) {
    if (auto it = returned.find(result); it != returned.end()) {
      // The manifest's result sizes are the runtime's truth; they agree.
      storage.push_back(PlanValue{desc.results[it->second].name,
                                  sizesOf(desc.results[it->second])});
    } else if (auto root = reshapedResults.find(result);
               root != reshapedResults.end()) {
      // Written in place into the result it is reshaped into.
      FailureOr<SmallVector<Size>> dims =
          resultSizes(op, result.getResultNumber());
      if (failed(dims))
        return failure();
      PlanValue base{desc.results[root->second].name, {}};
      values[result] = newView(base, desc.results[root->second].dtype, *dims);
      p.values.push_back(values[result]);
      continue;
    } else {
      FailureOr<PlanValue> v = intermediate(op, result.getResultNumber());
      if (failed(v))
        return failure();
      storage.push_back(*v);
    }
    values[result] = &storage.back();
    p.values.push_back(&storage.back());
  }
  // Each plan's temporaries, sized from the op's values.
  for (Attribute attr : plans) {
    auto plan = cast<LaunchPlanAttr>(attr);
    SmallVector<PlanValue> temporaries;
    for (Attribute t : plan.getTemporaries()) {
      auto temporary = cast<TemporaryAttr>(t);
      artifact::ValueDesc buffer;
      FailureOr<artifact::DType> dtype = getDType(temporary.getElement());
      if (failed(dtype))
        return op->emitOpError() << "temporary type has no runtime dtype";
      buffer.dtype = *dtype;
      PlanValue v;
      for (Attribute d : temporary.getDims()) {
        FailureOr<std::string> text = substituteExpression(
            op, cast<StringAttr>(d).getValue(), p.values);
        if (failed(text))
          return failure();
        Size size = parseSize(*text);
        v.dims.push_back(size);
        buffer.dims.push_back(size.value);
        buffer.symbols.push_back(size.symbol);
        buffer.exprs.push_back(size.expr);
      }
      if (llvm::all_of(buffer.exprs,
                       [](const std::string &e) { return e.empty(); }))
        buffer.exprs.clear();
      v.name = newBuffer(buffer);
      temporaries.push_back(v);
    }
    p.temporaries.push_back(std::move(temporaries));
  }
  ops.push_back(std::move(p));
  return success();
}

SmallVector<const PlanValue *> PlanBuilder::planValues(const PlannedOp &p,
                                                       unsigned plan) const {
  SmallVector<const PlanValue *> vals(p.values);
  for (const PlanValue &t : p.temporaries[plan])
    vals.push_back(&t);
  return vals;
}

LogicalResult PlanBuilder::addSteps(const PlannedOp &p, unsigned index,
                                    artifact::Variant &variant) {
  auto plan = cast<LaunchPlanAttr>(p.plans[index]);
  SmallVector<const PlanValue *> vals = planValues(p, index);
  unsigned firstTemporary = p.values.size();
  for (auto [i, t] : llvm::enumerate(plan.getTemporaries()))
    if (cast<TemporaryAttr>(t).getZero()) {
      artifact::PlanStep clear;
      clear.kind = artifact::PlanStep::Kind::Memset;
      clear.buffer = vals[firstTemporary + i]->name;
      variant.steps.push_back(clear);
    }
  for (Attribute attr : plan.getLaunches()) {
    auto abi = cast<KernelAbiAttr>(attr);
    artifact::PlanStep step;
    step.kind = artifact::PlanStep::Kind::Launch;
    artifact::LaunchStep &launch = step.launch;
    launch.kernel = abi.getKernel().getValue().str();
    for (auto [i, g] : llvm::enumerate(abi.getGrid())) {
      FailureOr<std::string> text =
          substituteExpression(p.op, cast<StringAttr>(g).getValue(), vals);
      if (failed(text))
        return failure();
      launch.grid[i] = *text;
    }
    for (auto [i, size] : llvm::enumerate(abi.getBlock().asArrayRef()))
      launch.block[i] = size;
    launch.sharedMemoryBytes = abi.getSharedMemory();
    unsigned maps = 0;
    for (Attribute a : abi.getParams()) {
      auto param = cast<KernelParamAttr>(a);
      artifact::KernelParam out;
      if (param.getKind() == "i64" || param.getKind() == "i32") {
        out.kind = param.getKind() == "i64" ? artifact::KernelParam::Kind::I64
                                            : artifact::KernelParam::Kind::I32;
        FailureOr<std::string> text =
            substituteExpression(p.op, param.getExpr(), vals);
        if (failed(text))
          return failure();
        out.value = *text;
      } else {
        if (param.getValue() >= static_cast<int64_t>(vals.size()))
          return p.op->emitOpError() << "launch of @" << launch.kernel
                                     << " binds value #" << param.getValue()
                                     << ", which the op does not have";
        out.value = vals[param.getValue()]->name;
        out.kind = artifact::KernelParam::Kind::Memref;
        if (param.getKind() == "tmap") {
          out.kind = artifact::KernelParam::Kind::TensorMap;
          out.box.assign(param.getBox().asArrayRef().begin(),
                         param.getBox().asArrayRef().end());
          out.swizzle = param.getSwizzle();
          ++maps;
        }
      }
      launch.params.push_back(out);
    }
    tensorMaps[launch.kernel] = maps;
    variant.steps.push_back(step);
  }
  return success();
}

LogicalResult PlanBuilder::build() {
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    storage.push_back(PlanValue{desc.args[i].name, sizesOf(desc.args[i])});
    values[arg] = &storage.back();
  }
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands()))
    returned.try_emplace(v, i);
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands()))
    if (isa<BlockArgument>(v) || returned.lookup(v) != i)
      return returnOp.emitOpError()
             << "result #" << i
             << " returns an argument or a value returned twice; the GPU "
                "targets need each result to be its own kernel's output";
  if (failed(findReshapedResults(returnOp)))
    return failure();
  for (Operation &op : func.getBody().front().without_terminator()) {
    // Index arithmetic (a reshape's output sizes): the plan has the sizes.
    if (llvm::all_of(op.getResultTypes(),
                     [](Type t) { return isa<IndexType>(t); }) &&
        op.getNumResults() > 0 && isMemoryEffectFree(&op))
      continue;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      if (failed(addReshape(&op)))
        return failure();
      continue;
    }
    if (!kernels::lookupKernelFamily(&op))
      return op.emitOpError()
             << "is not supported by the GPU targets yet (functions may "
                "hold "
             << kernels::listKernelFamilyOps()
             << " ops, and tensor.expand_shape and tensor.collapse_shape, "
                "only)";
    if (failed(addOp(&op)))
      return failure();
  }

  // Variants: every combination of the ops' schedule classes. Ops whose
  // classes read the same conditions share one axis.
  SmallVector<std::vector<std::string>> axes;
  SmallVector<int64_t> axisOf(ops.size(), -1);
  for (auto [i, p] : llvm::enumerate(ops)) {
    if (p.plans.size() == 1)
      continue;
    std::vector<std::string> conditions;
    for (unsigned plan = 0; plan < p.plans.size(); ++plan) {
      FailureOr<std::string> text = substitute(
          p.op, cast<LaunchPlanAttr>(p.plans[plan]).getCondition(),
          planValues(p, plan));
      if (failed(text))
        return failure();
      conditions.push_back(*text);
    }
    auto *it = llvm::find(axes, conditions);
    axisOf[i] = it - axes.begin();
    if (it == axes.end())
      axes.push_back(conditions);
  }
  SmallVector<size_t> choice(axes.size(), 0);
  while (true) {
    artifact::Variant variant;
    for (auto [axis, c] : llvm::enumerate(choice)) {
      const std::string &condition = axes[axis][c];
      if (condition.empty())
        continue;
      if (!variant.condition.empty())
        variant.condition += " and ";
      variant.condition += condition;
    }
    for (auto [i, p] : llvm::enumerate(ops))
      if (failed(addSteps(p, axisOf[i] < 0 ? 0 : choice[axisOf[i]], variant)))
        return failure();
    desc.variants.push_back(std::move(variant));
    // The next combination, the last axis fastest.
    int64_t axis = static_cast<int64_t>(axes.size()) - 1;
    while (axis >= 0 && ++choice[axis] == axes[axis].size())
      choice[axis--] = 0;
    if (axis < 0)
      break;
  }
  return success();
}
} // namespace

LogicalResult
mlir::tessera::buildLaunchPlan(func::FuncOp func,
                               artifact::FunctionDesc &desc,
                               llvm::StringMap<unsigned> &tensorMaps) {
  return PlanBuilder(func, desc, tensorMaps).build();
}
