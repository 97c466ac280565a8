//===- TesseraOps.cpp - Tessera op verifiers --------------------*- C++ -*-===//
//
// Verifiers of the `tessera` ops. Every message names the operand, result or
// attribute at fault; relations between dynamic sizes are left to run time.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensorType.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Prints a dimension size for a diagnostic (`?` when dynamic).
static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Two sizes conflict when both are static and differ.
static bool conflict(int64_t a, int64_t b) {
  return ShapedType::isStatic(a) && ShapedType::isStatic(b) && a != b;
}

static LogicalResult checkRank(Operation *op, StringRef name,
                               RankedTensorType type, int64_t rank,
                               StringRef layout) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << "'" << name << "' must have rank " << rank << " ("
                           << layout << "), got rank " << type.getRank();
}

/// Checks that `type` has the shape `expected` up to dynamic sizes.
static LogicalResult checkShape(Operation *op, StringRef name,
                                RankedTensorType type,
                                ArrayRef<int64_t> expected) {
  auto fail = [&]() -> LogicalResult {
    InFlightDiagnostic diag = op->emitOpError()
                              << "'" << name << "' has shape [";
    llvm::interleaveComma(type.getShape(), diag,
                          [&](int64_t d) { diag << dimStr(d); });
    diag << "], expected [";
    llvm::interleaveComma(expected, diag,
                          [&](int64_t d) { diag << dimStr(d); });
    return diag << "]";
  };
  if (type.getRank() != static_cast<int64_t>(expected.size()))
    return fail();
  for (auto [got, want] : llvm::zip_equal(type.getShape(), expected))
    if (conflict(got, want))
      return fail();
  return success();
}

static LogicalResult checkSameElementType(Operation *op, StringRef name,
                                          Type type, StringRef refName,
                                          Type refType) {
  if (getElementTypeOrSelf(type) == getElementTypeOrSelf(refType))
    return success();
  return op->emitOpError() << "'" << name << "' element type "
                           << getElementTypeOrSelf(type) << " does not match '"
                           << refName << "' element type "
                           << getElementTypeOrSelf(refType);
}

static LogicalResult checkDense(Operation *op, StringRef name,
                                RankedTensorType type) {
  if (!sparse_tensor::getSparseTensorEncoding(type))
    return success();
  return op->emitOpError() << "'" << name
                           << "' must be a dense tensor (no sparse encoding)";
}

/// Checks one size against another: `what` of `name` must equal `what` of
/// `refName`.
static LogicalResult checkDim(Operation *op, StringRef what, StringRef name,
                              int64_t got, StringRef refName, int64_t want) {
  if (!conflict(got, want))
    return success();
  return op->emitOpError() << what << " of '" << name << "' (" << got
                           << ") does not match that of '" << refName << "' ("
                           << want << ")";
}

//===----------------------------------------------------------------------===//
// ScheduleAttr
//===----------------------------------------------------------------------===//

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t blockM, int64_t blockN,
                                   int64_t blockK, int64_t stages,
                                   int64_t warps, int64_t clusterM,
                                   int64_t clusterN, int64_t swizzle,
                                   int64_t splitK, int64_t maxM, StringRef mma,
                                   bool swapAB, bool streamK) {
  // Tensor-core fragments are 16 x 8 x 16 at the smallest.
  auto multiple = [&](StringRef name, int64_t value,
                      int64_t of) -> LogicalResult {
    if (value > 0 && value % of == 0)
      return success();
    return emitError() << "'" << name << "' must be a positive multiple of "
                       << of << ", got " << value;
  };
  // With swap_ab, block_m is wgmma's n side: multiples of 8.
  if (failed(multiple("block_m", blockM, swapAB ? 8 : 16)) ||
      failed(multiple("block_n", blockN, 8)) ||
      failed(multiple("block_k", blockK, 16)))
    return failure();
  if (stages < 1 || stages > 16)
    return emitError() << "'stages' must be in [1, 16], got " << stages;
  if (warps < 1 || warps > 32)
    return emitError() << "'warps' must be in [1, 32] (at most 1024 "
                          "threads), got "
                       << warps;
  for (auto [name, value] : {std::pair<StringRef, int64_t>{"cluster_m",
                                                           clusterM},
                             {"cluster_n", clusterN}})
    if (value < 1 || value > 8 || !llvm::isPowerOf2_64(value))
      return emitError() << "'" << name
                         << "' must be a power of 2 in [1, 8], got " << value;
  if (clusterM * clusterN > 8)
    return emitError() << "a cluster of " << clusterM << " x " << clusterN
                       << " exceeds the portable maximum of 8 thread blocks";
  if (swizzle < 1)
    return emitError() << "'swizzle' must be >= 1, got " << swizzle;
  if (splitK < 1)
    return emitError() << "'split_k' must be >= 1, got " << splitK;
  if (maxM < 0)
    return emitError() << "'max_m' must be >= 0 (0: unbounded), got "
                       << maxM;
  if (mma == "mma_sync") {
    if (swapAB)
      return emitError() << "'swap_ab' needs mma = \"wgmma\"";
    if (streamK)
      return emitError() << "'stream_k' needs mma = \"wgmma\"";
    return success();
  }
  if (mma != "wgmma")
    return emitError() << "'mma' must be \"mma_sync\" or \"wgmma\", got \""
                       << mma << "\"";
  // wgmma: a producer warpgroup and consumers of 64-row multiples; the
  // B tile is loaded in 64-column boxes and an instruction is at most n256.
  if (warps % 4 || warps < 8)
    return emitError() << "'warps' of a wgmma schedule must be a multiple of "
                          "4 and at least 8 (a producer warpgroup and a "
                          "consumer), got "
                       << warps;
  int64_t consumers = warps / 4 - 1;
  // A ring slot is released only once the next one's wgmma are issued.
  if (stages < 2)
    return emitError() << "'stages' of a wgmma schedule must be at least 2, "
                          "got "
                       << stages;
  if (swapAB && streamK)
    return emitError() << "'stream_k' and 'swap_ab' exclude each other (a "
                          "swap_ab schedule splits K with 'split_k')";
  if (swapAB) {
    // B's rows are wgmma's m side, A's rows its n side.
    // B's rows are one TMA box: at most 256.
    if (blockN % (64 * consumers) || blockN > 256)
      return emitError() << "'block_n' of a swap_ab schedule must be a "
                            "multiple of 64 x "
                         << consumers << " consumer warpgroups up to 256, got "
                         << blockN;
    if (blockM > 256)
      return emitError() << "'block_m' of a swap_ab schedule must be at most "
                            "256 (wgmma's n), got "
                         << blockM;
    if (splitK > 8)
      return emitError() << "'split_k' of a swap_ab schedule is a cluster "
                            "of at most 8 thread blocks, got "
                         << splitK;
    return success();
  }
  // A's rows are one TMA box (K-contiguous A): at most 256.
  if (blockM % (64 * consumers) || blockM > 256)
    return emitError() << "'block_m' of a wgmma schedule must be a multiple "
                          "of 64 x "
                       << consumers << " consumer warpgroups up to 256, got "
                       << blockM;
  if (blockN % 64 || blockN > 256)
    return emitError() << "'block_n' of a wgmma schedule must be 64, 128, "
                          "192 or 256, got "
                       << blockN;
  if (splitK != 1)
    return emitError() << "'split_k' must be 1 in a wgmma schedule without "
                          "swap_ab, got "
                       << splitK;
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionScheduleAttr
//===----------------------------------------------------------------------===//

LogicalResult AttentionScheduleAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, int64_t blockQ,
    int64_t blockKV, int64_t stages, int64_t warps, int64_t splitKV,
    bool packGqa, bool pingpong, int64_t maxSq, StringRef mma) {
  // S = Q K^T has block_kv columns and is P V's contraction: k16 steps.
  if (blockQ <= 0 || blockQ % 16)
    return emitError() << "'block_q' must be a positive multiple of 16, got "
                       << blockQ;
  if (blockKV <= 0 || blockKV % 16 || blockKV > 256)
    return emitError() << "'block_kv' must be a multiple of 16 in [16, 256], "
                          "got "
                       << blockKV;
  if (stages < 1 || stages > 16)
    return emitError() << "'stages' must be in [1, 16], got " << stages;
  if (warps < 1 || warps > 32)
    return emitError() << "'warps' must be in [1, 32] (at most 1024 "
                          "threads), got "
                       << warps;
  if (splitKV < 0 || splitKV > 1024)
    return emitError() << "'split_kv' must be in [0, 1024] (0: chosen at run "
                          "time), got "
                       << splitKV;
  if (maxSq < 0)
    return emitError() << "'max_sq' must be >= 0 (0: unbounded), got "
                       << maxSq;
  if (mma == "mma_sync") {
    if (pingpong)
      return emitError() << "'pingpong' needs mma = \"wgmma\"";
    if (blockQ % (16 * warps))
      return emitError() << "'block_q' of an mma_sync schedule must be a "
                            "multiple of 16 rows per warp (16 x "
                         << warps << "), got " << blockQ;
    return success();
  }
  if (mma != "wgmma")
    return emitError() << "'mma' must be \"wgmma\" or \"mma_sync\", got \""
                       << mma << "\"";
  if (warps % 4 || warps < 8 || warps > 16)
    return emitError() << "'warps' of a wgmma schedule must be 8, 12 or 16 "
                          "(a producer warpgroup and 1 to 3 consumers), got "
                       << warps;
  int64_t consumers = warps / 4 - 1;
  if (blockQ != 64 * consumers)
    return emitError() << "'block_q' of a wgmma schedule is 64 rows per "
                          "consumer warpgroup (64 x "
                       << consumers << "), got " << blockQ;
  if (stages < 2)
    return emitError() << "'stages' of a wgmma schedule must be at least 2, "
                          "got "
                       << stages;
  if (pingpong && consumers < 2)
    return emitError() << "'pingpong' needs at least two consumer "
                          "warpgroups (warps >= 12)";
  return success();
}

//===----------------------------------------------------------------------===//
// Kernel ABI
//===----------------------------------------------------------------------===//

LogicalResult
KernelParamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        StringRef kind, int64_t value,
                        DenseI64ArrayAttr boxAttr, int64_t swizzle,
                        StringRef expr) {
  ArrayRef<int64_t> box =
      boxAttr ? boxAttr.asArrayRef() : ArrayRef<int64_t>();
  if (kind == "i64" || kind == "i32") {
    if (expr.empty())
      return emitError() << "an '" << kind << "' kernel parameter needs 'expr'";
    return success();
  }
  if (kind != "memref" && kind != "tmap")
    return emitError() << "kernel parameter 'kind' must be memref, tmap, i64 "
                          "or i32, got '"
                       << kind << "'";
  if (value < 0)
    return emitError() << "a '" << kind
                       << "' kernel parameter needs the value it binds";
  if (kind == "memref")
    return success();
  if (box.empty() || box.size() > 5)
    return emitError() << "a tensor map's 'box' has 1 to 5 sizes, got "
                       << box.size();
  for (int64_t size : box)
    if (size < 1 || size > 256)
      return emitError() << "tensor map box sizes are in [1, 256], got "
                         << size;
  if (swizzle != 0 && swizzle != 32 && swizzle != 64 && swizzle != 128)
    return emitError() << "tensor map 'swizzle' must be 0, 32, 64 or 128, got "
                       << swizzle;
  return success();
}

LogicalResult
KernelAbiAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      FlatSymbolRefAttr kernel, ArrayAttr grid,
                      DenseI64ArrayAttr block, DenseI64ArrayAttr cluster,
                      int64_t sharedMemory, ArrayAttr params) {
  if (grid.size() != 3 || !llvm::all_of(grid, llvm::IsaPred<StringAttr>))
    return emitError() << "'grid' must be three expressions (strings)";
  if (!block || block.size() != 3 || (cluster && cluster.size() != 3))
    return emitError() << "'block' (and 'cluster', when given) must have "
                          "three sizes";
  if (sharedMemory < 0)
    return emitError() << "'shared_memory' must be >= 0";
  if (!llvm::all_of(params, llvm::IsaPred<KernelParamAttr>))
    return emitError() << "'params' must be #tessera.kernel_param attributes";
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Schedules serve increasing classes of one size (M of a matmul, Sq of an
/// attention), each up to its bound (`boundName`), and end with an
/// unbounded one; a static size takes exactly one.
static LogicalResult
verifyScheduleClasses(Operation *op, ArrayAttr schedules,
                      function_ref<int64_t(Attribute)> getBound,
                      StringRef boundName, StringRef sizeName,
                      int64_t staticSize) {
  if (!schedules)
    return success();
  if (schedules.empty())
    return op->emitOpError() << "'schedules' must not be empty";
  int64_t previous = 0;
  for (auto [i, attr] : llvm::enumerate(schedules)) {
    int64_t bound = getBound(attr);
    bool last = i + 1 == schedules.size();
    if (last != (bound == 0))
      return op->emitOpError()
             << "'schedules' #" << i << " has " << boundName << " = " << bound
             << ": only the last schedule, and it always, is unbounded ("
             << boundName << " = 0)";
    if (!last && bound <= previous)
      return op->emitOpError() << "'schedules' must have increasing "
                               << boundName << ", but #" << i << " has "
                               << bound << " after " << previous;
    previous = bound;
  }
  if (schedules.size() > 1 && !ShapedType::isDynamic(staticSize))
    return op->emitOpError()
           << "has a static " << sizeName << " (" << staticSize << ") but "
           << schedules.size() << " schedules; " << sizeName
           << " classes need a dynamic " << sizeName;
  return success();
}

static LogicalResult verifySchedules(MatmulOp op) {
  // The result's rank is checked after this; M is only read when there.
  RankedTensorType result = op.getResult().getType();
  int64_t m = result.getRank() >= 2 ? result.getDimSize(result.getRank() - 2)
                                    : ShapedType::kDynamic;
  return verifyScheduleClasses(
      op, op.getSchedulesAttr(),
      [](Attribute a) { return cast<ScheduleAttr>(a).getMaxM(); }, "max_m",
      "M", m);
}

LogicalResult MatmulOp::verify() {
  if (failed(verifySchedules(*this)))
    return failure();
  Operation *op = getOperation();
  RankedTensorType aType = getA().getType(), bType = getB().getType();
  RankedTensorType resultType = getResult().getType();
  if (aType.getRank() < 2)
    return emitOpError()
           << "'a' must have rank >= 2 ([*batch, M, K]), got rank "
           << aType.getRank();
  if (bType.getRank() < 2)
    return emitOpError()
           << "'b' must have rank >= 2 ([*batch, K, N]), got rank "
           << bType.getRank();
  if (failed(checkDense(op, "a", aType)) || failed(checkDense(op, "b", bType)))
    return failure();

  Type aElt = aType.getElementType(), bElt = bType.getElementType();
  Type resultElt = resultType.getElementType();
  bool bothFp8 = isa<Float8E4M3FNType, Float8E5M2Type>(aElt) &&
                 isa<Float8E4M3FNType, Float8E5M2Type>(bElt);
  if (aElt != bElt && !bothFp8)
    return checkSameElementType(op, "b", bType, "a", aType);
  bool isInt = aElt.isInteger(8);
  if (resultElt.isInteger(32)) {
    if (!isInt)
      return emitOpError() << "result element type i32 requires i8 operands, "
                              "'a' has "
                           << aElt;
    if (getAlpha().convertToFloat() != 1.0f ||
        getEpilogue() != Epilogue::None || getBias())
      return emitOpError() << "an i32 result cannot have 'alpha', 'bias' or "
                              "'epilogue'; produce a float result instead";
  }

  if (getScaleA() || getScaleB()) {
    if (!getScaleA() || !getScaleB())
      return emitOpError() << "has '" << (getScaleA() ? "scale_a" : "scale_b")
                           << "' without '"
                           << (getScaleA() ? "scale_b" : "scale_a")
                           << "': per-tensor scales come in pairs";
    if (!bothFp8)
      return emitOpError() << "'scale_a' and 'scale_b' scale fp8 operands, "
                              "'a' has "
                           << aElt;
  }

  // Operand layouts.
  int64_t aRank = aType.getRank(), bRank = bType.getRank();
  ArrayRef<int64_t> aShape = aType.getShape(), bShape = bType.getShape();
  int64_t m = getTransposeA() ? aShape[aRank - 1] : aShape[aRank - 2];
  int64_t kA = getTransposeA() ? aShape[aRank - 2] : aShape[aRank - 1];
  int64_t kB = getTransposeB() ? bShape[bRank - 1] : bShape[bRank - 2];
  int64_t n = getTransposeB() ? bShape[bRank - 2] : bShape[bRank - 1];
  if (conflict(kA, kB))
    return emitOpError() << "contraction size of 'a' (K = " << kA
                         << ") does not match that of 'b' (K = " << kB << ")";

  // Batch broadcasting, aligned from the right.
  int64_t aBatch = aRank - 2, bBatch = bRank - 2;
  int64_t batch = std::max(aBatch, bBatch);
  SmallVector<int64_t> expected;
  for (int64_t i = 0; i < batch; ++i) {
    int64_t ia = i - (batch - aBatch), ib = i - (batch - bBatch);
    if (ia < 0) {
      expected.push_back(bShape[ib]);
      continue;
    }
    if (ib < 0) {
      expected.push_back(aShape[ia]);
      continue;
    }
    int64_t da = aShape[ia], db = bShape[ib];
    if (da == db || db == 1) {
      expected.push_back(da);
    } else if (da == 1) {
      expected.push_back(db);
    } else if (ShapedType::isDynamic(da)) {
      expected.push_back(db);
    } else if (ShapedType::isDynamic(db)) {
      expected.push_back(da);
    } else {
      return emitOpError() << "batch dimension " << i << " of 'a' (" << da
                           << ") and of 'b' (" << db << ") do not broadcast";
    }
  }
  expected.push_back(m);
  expected.push_back(n);
  if (failed(checkShape(op, "result", resultType, expected)))
    return failure();

  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (failed(checkDense(op, "bias", biasType)) ||
        failed(checkShape(op, "bias", biasType, {n})))
      return failure();
    Type biasElt = biasType.getElementType();
    if (!biasElt.isF32() && biasElt != resultElt)
      return emitOpError() << "'bias' element type " << biasElt
                           << " must be f32 or the result element type "
                           << resultElt;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

float AttentionOp::getScaleOrDefault() {
  if (FloatAttr scale = getScaleAttr())
    return scale.getValue().convertToFloat();
  int64_t d = getQ().getType().getDimSize(3);
  return 1.0f / std::sqrt(static_cast<float>(d));
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  RankedTensorType qType = getQ().getType(), kType = getK().getType(),
                   vType = getV().getType();
  if (failed(checkRank(op, "q", qType, 4, "[B, Hq, Sq, D]")) ||
      failed(checkRank(op, "k", kType, 4, "[B, Hkv, Skv, D]")) ||
      failed(checkRank(op, "v", vType, 4, "[B, Hkv, Skv, Dv]")) ||
      failed(checkDense(op, "q", qType)) ||
      failed(checkDense(op, "k", kType)) ||
      failed(checkDense(op, "v", vType)) ||
      failed(checkSameElementType(op, "k", kType, "q", qType)) ||
      failed(checkSameElementType(op, "v", vType, "q", qType)))
    return failure();

  auto requireStatic = [&](StringRef name, RankedTensorType type, int64_t dim,
                           StringRef what) -> LogicalResult {
    if (!type.isDynamicDim(dim))
      return success();
    return emitOpError() << what << " of '" << name << "' (dimension " << dim
                         << ") must be static";
  };
  if (failed(requireStatic("q", qType, 1, "head count")) ||
      failed(requireStatic("k", kType, 1, "head count")) ||
      failed(requireStatic("v", vType, 1, "head count")) ||
      failed(requireStatic("q", qType, 3, "head dimension")) ||
      failed(requireStatic("k", kType, 3, "head dimension")) ||
      failed(requireStatic("v", vType, 3, "head dimension")))
    return failure();

  int64_t batch = qType.getDimSize(0), hq = qType.getDimSize(1),
          sq = qType.getDimSize(2), d = qType.getDimSize(3);
  int64_t hkv = kType.getDimSize(1), skv = kType.getDimSize(2),
          dv = vType.getDimSize(3);
  if (failed(
          checkDim(op, "batch size", "k", kType.getDimSize(0), "q", batch)) ||
      failed(
          checkDim(op, "batch size", "v", vType.getDimSize(0), "q", batch)) ||
      failed(
          checkDim(op, "head dimension", "k", kType.getDimSize(3), "q", d)) ||
      failed(checkDim(op, "head count", "v", vType.getDimSize(1), "k", hkv)) ||
      failed(
          checkDim(op, "sequence length", "v", vType.getDimSize(2), "k", skv)))
    return failure();
  if (hkv == 0 || hq % hkv != 0)
    return emitOpError() << "head count of 'q' (" << hq
                         << ") must be a multiple of the head count of 'k' ("
                         << hkv << ")";
  if (d == 0)
    return emitOpError() << "head dimension of 'q' must be positive";

  if (failed(checkShape(op, "out", getOut().getType(), {batch, hq, sq, dv})))
    return failure();
  if (Value lse = getLse())
    if (failed(checkShape(op, "lse", cast<RankedTensorType>(lse.getType()),
                          {batch, hq, sq})))
      return failure();

  if (FloatAttr scale = getScaleAttr())
    if (!scale.getValue().isFinite())
      return emitOpError() << "'scale' must be finite, got "
                           << scale.getValueAsDouble();
  if (std::optional<int64_t> window = getWindow()) {
    if (*window < 1)
      return emitOpError() << "'window' must be at least 1, got " << *window;
    if (!getCausal())
      return emitOpError() << "'window' requires 'causal'";
  }
  return verifyScheduleClasses(
      op, getSchedulesAttr(),
      [](Attribute a) { return cast<AttentionScheduleAttr>(a).getMaxSq(); },
      "max_sq", "Sq", sq);
}

//===----------------------------------------------------------------------===//
// MergeAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult MergeAttentionOp::verify() {
  Operation *op = getOperation();
  RankedTensorType o1Type = getO1().getType(), o2Type = getO2().getType();
  if (o1Type.getRank() < 1)
    return emitOpError() << "'o1' must have rank >= 1 ([..., Dv])";
  if (failed(checkDense(op, "o1", o1Type)) ||
      failed(checkDense(op, "o2", o2Type)) ||
      failed(checkSameElementType(op, "o2", o2Type, "o1", o1Type)) ||
      failed(checkShape(op, "o2", o2Type, o1Type.getShape())))
    return failure();

  // Each check refines the expected shape with the static sizes it has seen.
  auto refine = [](SmallVector<int64_t> &shape, ArrayRef<int64_t> other) {
    for (auto [s, o] : llvm::zip_equal(shape, other))
      if (ShapedType::isDynamic(s))
        s = o;
  };
  SmallVector<int64_t> full(o1Type.getShape());
  refine(full, o2Type.getShape());
  SmallVector<int64_t> rows(ArrayRef<int64_t>(full).drop_back());
  for (auto [name, value] :
       {std::make_pair("lse1", getLse1()), std::make_pair("lse2", getLse2()),
        std::make_pair("lse", getLse())}) {
    auto type = cast<RankedTensorType>(value.getType());
    if (failed(checkShape(op, name, type, rows)))
      return failure();
    refine(rows, type.getShape());
  }
  return checkShape(op, "out", getOut().getType(), full);
}

//===----------------------------------------------------------------------===//
// FFTConvOp
//===----------------------------------------------------------------------===//

LogicalResult FFTConvOp::verify() {
  Operation *op = getOperation();
  RankedTensorType uType = getU().getType(), kType = getK().getType();
  if (failed(checkRank(op, "u", uType, 3, "[B, H, N]")) ||
      failed(checkRank(op, "k", kType, 2, "[H, L]")) ||
      failed(checkDense(op, "u", uType)) ||
      failed(checkDense(op, "k", kType)) ||
      failed(checkSameElementType(op, "k", kType, "u", uType)))
    return failure();
  int64_t h = uType.getDimSize(1), n = uType.getDimSize(2);
  int64_t l = kType.getDimSize(1);
  if (failed(checkDim(op, "channel count", "k", kType.getDimSize(0), "u", h)))
    return failure();
  if (l == 0)
    return emitOpError() << "filter length of 'k' must be at least 1";
  if (ShapedType::isStatic(l) && ShapedType::isStatic(n) && l > n)
    return emitOpError() << "filter length of 'k' (L = " << l
                         << ") exceeds the sequence length of 'u' (N = " << n
                         << ")";
  if (Value d = getD()) {
    auto dType = cast<RankedTensorType>(d.getType());
    if (failed(checkRank(op, "d", dType, 1, "[H]")) ||
        failed(checkDense(op, "d", dType)) ||
        failed(checkSameElementType(op, "d", dType, "u", uType)) ||
        failed(checkDim(op, "channel count", "d", dType.getDimSize(0), "u", h)))
      return failure();
  }
  if (std::optional<int64_t> keep = getKeepFrequencies())
    if (*keep < 1)
      return emitOpError() << "'keep_frequencies' must be at least 1, got "
                           << *keep;
  return checkShape(op, "result", getResult().getType(), uType.getShape());
}

//===----------------------------------------------------------------------===//
// SpMMOp / SpGEMMOp
//===----------------------------------------------------------------------===//

SparseFormat mlir::tessera::classifySparseFormat(RankedTensorType type) {
  sparse_tensor::SparseTensorType stt(type);
  if (!stt.hasEncoding() || stt.isAllDense())
    return SparseFormat::Dense;
  if (type.getRank() != 2)
    return SparseFormat::Other;
  auto isOrderedUnique = [&](sparse_tensor::Level l) {
    return stt.isOrderedLvl(l) && stt.isUniqueLvl(l);
  };
  if (stt.isIdentity() && stt.getLvlRank() == 2 && stt.isDenseLvl(0) &&
      stt.isCompressedLvl(1) && isOrderedUnique(1))
    return SparseFormat::CSR;
  if (stt.getLvlRank() == 3 && stt.isDenseLvl(0) && stt.isDenseLvl(1) &&
      stt.isNOutOfMLvl(2))
    return SparseFormat::NOutOfM;
  if (stt.getLvlRank() == 4 &&
      sparse_tensor::isBlockSparsity(stt.getDimToLvl()) && stt.isDenseLvl(0) &&
      stt.isCompressedLvl(1) && isOrderedUnique(1) && stt.isDenseLvl(2) &&
      stt.isDenseLvl(3))
    return SparseFormat::BSR;
  return SparseFormat::Other;
}

/// Common checks of a sparse matrix product `result = a * b`.
static LogicalResult verifySparseProduct(Operation *op, RankedTensorType aType,
                                         RankedTensorType bType,
                                         RankedTensorType resultType) {
  if (failed(checkRank(op, "a", aType, 2, "[M, K]")) ||
      failed(checkRank(op, "b", bType, 2, "[K, N]")) ||
      failed(checkSameElementType(op, "b", bType, "a", aType)))
    return failure();
  if (!sparse_tensor::getSparseTensorEncoding(aType))
    return op->emitOpError()
           << "'a' must be a sparse tensor (with a #sparse_tensor.encoding)";
  if (conflict(aType.getDimSize(1), bType.getDimSize(0)))
    return op->emitOpError()
           << "contraction size of 'a' (K = " << aType.getDimSize(1)
           << ") does not match that of 'b' (K = " << bType.getDimSize(0)
           << ")";
  return checkShape(op, "result", resultType,
                    {aType.getDimSize(0), bType.getDimSize(1)});
}

LogicalResult SpMMOp::verify() {
  Operation *op = getOperation();
  if (failed(verifySparseProduct(op, getA().getType(), getB().getType(),
                                 getResult().getType())) ||
      failed(checkDense(op, "b", getB().getType())) ||
      failed(checkDense(op, "result", getResult().getType())))
    return failure();
  return success();
}

LogicalResult SpGEMMOp::verify() {
  Operation *op = getOperation();
  if (failed(verifySparseProduct(op, getA().getType(), getB().getType(),
                                 getResult().getType())))
    return failure();
  if (!sparse_tensor::getSparseTensorEncoding(getB().getType()))
    return emitOpError()
           << "'b' must be a sparse tensor (with a #sparse_tensor.encoding)";
  if (classifySparseFormat(getResult().getType()) != SparseFormat::CSR)
    return emitOpError() << "result must be a CSR tensor "
                            "(map = (i, j) -> (i : dense, j : compressed))";
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Tessera/TesseraOps.cpp.inc"
