//===- LowerToLinalg.cpp - tessera-lower-to-linalg ------------------------===//
//
// The `tessera-lower-to-linalg` pass, and the patterns for the product ops
// (matmul, spmm, spgemm) and merge_attention. Attention and fftconv live in
// their own files.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tessera/TesseraOps.h"
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERALOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

/// Applies the activation `epilogue` to the f32 value `x`.
static Value applyEpilogue(OpBuilder &b, Location loc, Epilogue epilogue,
                           Value x) {
  Type f32 = b.getF32Type();
  switch (epilogue) {
  case Epilogue::None:
    return x;
  case Epilogue::Relu:
    return arith::MaximumFOp::create(b, loc, x, floatConst(b, loc, f32, 0.0));
  case Epilogue::GeluTanh: {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value inner = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, floatConst(b, loc, f32, 0.044715), x3));
    Value t = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(
            b, loc, floatConst(b, loc, f32, std::sqrt(2.0 / M_PI)), inner));
    Value onePlus =
        arith::AddFOp::create(b, loc, floatConst(b, loc, f32, 1.0), t);
    return arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, floatConst(b, loc, f32, 0.5), x),
        onePlus);
  }
  case Epilogue::Silu: {
    // x / (1 + exp(-x))
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value den = arith::AddFOp::create(b, loc, floatConst(b, loc, f32, 1.0), e);
    return arith::DivFOp::create(b, loc, x, den);
  }
  }
  llvm_unreachable("unknown epilogue");
}

namespace {
struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value a = op.getA(), bMat = op.getB();
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(bMat.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type resultElt = resultType.getElementType();
    bool isInt = aType.getElementType().isInteger(8);
    Type accElt =
        isInt ? Type(rewriter.getI32Type()) : Type(rewriter.getF32Type());

    int64_t rank = resultType.getRank();
    int64_t batch = rank - 2;
    int64_t aBatch = aType.getRank() - 2, bBatch = bType.getRank() - 2;
    unsigned dm = batch, dn = batch + 1, dk = batch + 2, numLoops = batch + 3;

    // Indexing maps: a batch dim of static size 1 broadcasts (index 0), a
    // missing one is dropped.
    auto operandMap = [&](RankedTensorType type, int64_t opBatch,
                          AffineExpr row, AffineExpr col) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < opBatch; ++i) {
        int64_t loop = i + (batch - opBatch);
        exprs.push_back(type.getDimSize(i) == 1 ? getAffineConstantExpr(0, ctx)
                                                : getAffineDimExpr(loop, ctx));
      }
      exprs.push_back(row);
      exprs.push_back(col);
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    AffineExpr m = getAffineDimExpr(dm, ctx), n = getAffineDimExpr(dn, ctx),
               k = getAffineDimExpr(dk, ctx);
    AffineMap aMap = op.getTransposeA() ? operandMap(aType, aBatch, k, m)
                                        : operandMap(aType, aBatch, m, k);
    AffineMap bMap = op.getTransposeB() ? operandMap(bType, bBatch, n, k)
                                        : operandMap(bType, bBatch, k, n);
    SmallVector<unsigned> outDims;
    for (unsigned i = 0; i < numLoops - 1; ++i)
      outDims.push_back(i);
    AffineMap outMap = selectDims(ctx, numLoops, outDims);

    // Result sizes: each batch size from an operand where it does not
    // broadcast.
    SmallVector<OpFoldResult> aSizes = tensor::getMixedSizes(rewriter, loc, a);
    SmallVector<OpFoldResult> bSizes =
        tensor::getMixedSizes(rewriter, loc, bMat);
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < batch; ++i) {
      int64_t ia = i - (batch - aBatch), ib = i - (batch - bBatch);
      if (ia >= 0 && aType.getDimSize(ia) != 1)
        sizes.push_back(aSizes[ia]);
      else if (ib >= 0)
        sizes.push_back(bSizes[ib]);
      else
        sizes.push_back(aSizes[ia]);
    }
    int64_t ar = aType.getRank(), br = bType.getRank();
    sizes.push_back(op.getTransposeA() ? aSizes[ar - 1] : aSizes[ar - 2]);
    sizes.push_back(op.getTransposeB() ? bSizes[br - 2] : bSizes[br - 1]);

    Value acc = filledTensor(rewriter, loc, sizes, accElt, 0.0);
    auto contraction = linalg::GenericOp::create(
        rewriter, loc, acc.getType(), ValueRange{a, bMat}, ValueRange{acc},
        ArrayRef<AffineMap>{aMap, bMap, outMap}, iterators(numLoops - 1, 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = convertScalar(b, l, args[0], accElt);
          Value y = convertScalar(b, l, args[1], accElt);
          Value sum =
              isInt ? Value(arith::AddIOp::create(
                          b, l, args[2], arith::MulIOp::create(b, l, x, y)))
                    : Value(arith::AddFOp::create(
                          b, l, args[2], arith::MulFOp::create(b, l, x, y)));
          yieldValue(b, l, sum);
        });
    Value result = contraction.getResult(0);

    float alpha = op.getAlpha().convertToFloat();
    Value bias = op.getBias();
    Epilogue epilogue = op.getEpilogue();
    // Per-tensor scales (the verifier pairs them): one factor, read once.
    Value scale;
    if (op.getScaleA())
      scale = arith::MulFOp::create(
          rewriter, loc,
          tensor::ExtractOp::create(rewriter, loc, op.getScaleA()),
          tensor::ExtractOp::create(rewriter, loc, op.getScaleB()));
    bool needsEpilogue = alpha != 1.0f || bias || scale ||
                         epilogue != Epilogue::None || resultElt != accElt;
    if (needsEpilogue) {
      AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
      SmallVector<Value> inputs = {result};
      SmallVector<AffineMap> maps = {id};
      if (bias) {
        inputs.push_back(bias);
        maps.push_back(
            selectDims(ctx, rank, {static_cast<unsigned>(rank - 1)}));
      }
      maps.push_back(id);
      Value init = emptyTensor(rewriter, loc, sizes, resultElt);
      auto generic = linalg::GenericOp::create(
          rewriter, loc, init.getType(), inputs, ValueRange{init}, maps,
          iterators(rank, 0), [&](OpBuilder &b, Location l, ValueRange args) {
            if (resultElt.isInteger(32)) {
              yieldValue(b, l, args[0]);
              return;
            }
            Type f32 = b.getF32Type();
            Value x = convertScalar(b, l, args[0], f32);
            if (scale)
              x = arith::MulFOp::create(b, l, x, scale);
            if (alpha != 1.0f)
              x = arith::MulFOp::create(b, l, x, floatConst(b, l, f32, alpha));
            if (bias)
              x = arith::AddFOp::create(b, l, x,
                                        convertScalar(b, l, args[1], f32));
            x = applyEpilogue(b, l, epilogue, x);
            yieldValue(b, l, convertScalar(b, l, x, resultElt));
          });
      result = generic.getResult(0);
    }
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, result, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// merge_attention
//===----------------------------------------------------------------------===//

/// The stable merge weights of two log-sum-exps: returns (mSafe, w1, w2,
/// bothEmpty), with mSafe = max(lse1, lse2), or 0 where both are -inf.
struct MergeWeights {
  Value mSafe, w1, w2, empty;
};
static MergeWeights mergeWeights(OpBuilder &b, Location loc, Value lse1,
                                 Value lse2) {
  Type f32 = b.getF32Type();
  Value m = arith::MaximumFOp::create(b, loc, lse1, lse2);
  Value negInf = floatConst(b, loc, f32, -INFINITY);
  Value empty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, negInf);
  Value mSafe =
      arith::SelectOp::create(b, loc, empty, floatConst(b, loc, f32, 0.0), m);
  Value w1 =
      math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, lse1, mSafe));
  Value w2 =
      math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, lse2, mSafe));
  return {mSafe, w1, w2, empty};
}

struct LowerMergeAttention : OpRewritePattern<MergeAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MergeAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto outType = cast<RankedTensorType>(op.getOut().getType());
    Type outElt = outType.getElementType();
    Type f32 = rewriter.getF32Type();
    int64_t rank = outType.getRank();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getO1());
    SmallVector<OpFoldResult> rowSizes(
        ArrayRef<OpFoldResult>(sizes).drop_back());

    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap rowMap = id.dropResult(rank - 1);
    Value outInit = emptyTensor(rewriter, loc, sizes, outElt);
    auto outOp = linalg::GenericOp::create(
        rewriter, loc, outInit.getType(),
        ValueRange{op.getO1(), op.getLse1(), op.getO2(), op.getLse2()},
        ValueRange{outInit}, ArrayRef<AffineMap>{id, rowMap, id, rowMap, id},
        iterators(rank, 0), [&](OpBuilder &b, Location l, ValueRange args) {
          MergeWeights w = mergeWeights(b, l, args[1], args[3]);
          Value o1 = convertScalar(b, l, args[0], f32);
          Value o2 = convertScalar(b, l, args[2], f32);
          Value part1 = arith::MulFOp::create(b, l, w.w1, o1);
          Value part2 = arith::MulFOp::create(b, l, w.w2, o2);
          Value num = arith::AddFOp::create(b, l, part1, part2);
          Value den = arith::AddFOp::create(b, l, w.w1, w.w2);
          Value zero = floatConst(b, l, f32, 0.0);
          Value ratio = arith::DivFOp::create(b, l, num, den);
          Value res = arith::SelectOp::create(b, l, w.empty, zero, ratio);
          yieldValue(b, l, convertScalar(b, l, res, outElt));
        });

    AffineMap rowId = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
    Value lseInit = emptyTensor(rewriter, loc, rowSizes, f32);
    auto lseOp = linalg::GenericOp::create(
        rewriter, loc, lseInit.getType(),
        ValueRange{op.getLse1(), op.getLse2()}, ValueRange{lseInit},
        ArrayRef<AffineMap>{rowId, rowId, rowId}, iterators(rank - 1, 0),
        [&](OpBuilder &b, Location l, ValueRange args) {
          MergeWeights w = mergeWeights(b, l, args[0], args[1]);
          Value den = arith::AddFOp::create(b, l, w.w1, w.w2);
          Value lse = arith::AddFOp::create(b, l, w.mSafe,
                                            math::LogOp::create(b, l, den));
          yieldValue(b, l, lse);
        });

    rewriter.replaceOp(
        op, {castIfNeeded(rewriter, loc, outOp.getResult(0), outType),
             castIfNeeded(rewriter, loc, lseOp.getResult(0),
                          op.getLse().getType())});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// spmm / spgemm
//===----------------------------------------------------------------------===//

/// Converts every element of `value` to `eltType` with an elementwise
/// linalg.generic whose result has `resultType` (sparse or dense).
static Value convertElements(OpBuilder &b, Location loc, Value value,
                             RankedTensorType resultType,
                             ArrayRef<OpFoldResult> sizes) {
  auto srcType = cast<RankedTensorType>(value.getType());
  if (srcType.getElementType() == resultType.getElementType())
    return value;
  Value init = tensor::EmptyOp::create(
      b, loc, sizes, resultType.getElementType(), resultType.getEncoding());
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{value}, ValueRange{init},
      ArrayRef<AffineMap>{id, id}, iterators(2, 0),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        yieldValue(nb, l,
                   convertScalar(nb, l, args[0], resultType.getElementType()));
      });
  return generic.getResult(0);
}

/// `b` with the contraction size of the sparse `a` (static or dynamic), so
/// that the sparsifier never has to reshape `a` to match `b`.
static Value matchContractionSize(OpBuilder &b, Location loc, Value a,
                                  Value bMat) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bMat.getType());
  auto matched =
      RankedTensorType::get({aType.getDimSize(1), bType.getDimSize(1)},
                            bType.getElementType(), bType.getEncoding());
  return castIfNeeded(b, loc, bMat, matched);
}

/// Sizes [M, N] of a * b.
static SmallVector<OpFoldResult> productSizes(OpBuilder &b, Location loc,
                                              Value a, Value bMat) {
  return {tensor::getMixedSize(b, loc, a, 0),
          tensor::getMixedSize(b, loc, bMat, 1)};
}

struct LowerSpMM : OpRewritePattern<SpMMOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SpMMOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes =
        productSizes(rewriter, loc, op.getA(), op.getB());
    Value acc = filledTensor(rewriter, loc, sizes, rewriter.getF32Type(), 0.0);
    Value bMat = matchContractionSize(rewriter, loc, op.getA(), op.getB());
    Value product =
        linalg::MatmulOp::create(rewriter, loc, ValueRange{op.getA(), bMat},
                                 ValueRange{acc})
            .getResult(0);
    auto convertedType =
        RankedTensorType::get(staticShape(sizes), resultType.getElementType());
    Value result =
        convertElements(rewriter, loc, product, convertedType, sizes);
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, result, resultType));
    return success();
  }
};

struct LowerSpGEMM : OpRewritePattern<SpGEMMOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SpGEMMOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes =
        productSizes(rewriter, loc, op.getA(), op.getB());
    SmallVector<int64_t> shape = staticShape(sizes);
    // A sparse output is built by insertion: its init is a plain
    // tensor.empty, which the sparsifier recognizes as all-zero.
    Value acc = tensor::EmptyOp::create(
        rewriter, loc, sizes, rewriter.getF32Type(), resultType.getEncoding());
    Value bMat = matchContractionSize(rewriter, loc, op.getA(), op.getB());
    Value product =
        linalg::MatmulOp::create(rewriter, loc, ValueRange{op.getA(), bMat},
                                 ValueRange{acc})
            .getResult(0);
    auto convertedType = RankedTensorType::get(
        shape, resultType.getElementType(), resultType.getEncoding());
    Value result =
        convertElements(rewriter, loc, product, convertedType, sizes);
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, result, resultType));
    return success();
  }
};
} // namespace

void tessera::populateLowerProductsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerMatmul, LowerMergeAttention, LowerSpMM, LowerSpGEMM>(
      patterns.getContext());
}

void tessera::populateTesseraToLinalgPatterns(RewritePatternSet &patterns) {
  populateLowerProductsToLinalgPatterns(patterns);
  populateLowerAttentionToLinalgPatterns(patterns);
  populateLowerFFTConvToLinalgPatterns(patterns);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct TesseraLowerToLinalgPass
    : tessera::impl::TesseraLowerToLinalgBase<TesseraLowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<TesseraDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateTesseraToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
