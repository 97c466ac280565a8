//===- LowerAttentionToLinalg.cpp - tessera.attention to linalg -----------===//
//
// The reference lowering of tessera.attention: explicit scores, mask,
// numerically stable softmax and PV product, all in f32.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tessera/TesseraOps.h"
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

namespace {
struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type();
    Value q = op.getQ(), k = op.getK(), v = op.getV();
    auto qType = cast<RankedTensorType>(q.getType());
    int64_t hq = qType.getDimSize(1);
    int64_t hkv = cast<RankedTensorType>(k.getType()).getDimSize(1);
    int64_t g = hq / hkv;

    OpFoldResult batch = tensor::getMixedSize(rewriter, loc, q, 0);
    OpFoldResult sq = tensor::getMixedSize(rewriter, loc, q, 2);
    OpFoldResult d = tensor::getMixedSize(rewriter, loc, q, 3);
    OpFoldResult skv = tensor::getMixedSize(rewriter, loc, k, 2);
    OpFoldResult dv = tensor::getMixedSize(rewriter, loc, v, 3);
    OpFoldResult hkvSize = rewriter.getIndexAttr(hkv);
    OpFoldResult gSize = rewriter.getIndexAttr(g);

    // Regroup the query heads as [B, Hkv, G, Sq, D]: query head h = kv * G +
    // g reads kv head h / G, and every indexing map stays a projected
    // permutation.
    SmallVector<ReassociationIndices> headGroups = {{0}, {1, 2}, {3}, {4}};
    SmallVector<OpFoldResult> qgSizes = {batch, hkvSize, gSize, sq, d};
    auto qgType =
        RankedTensorType::get(staticShape(qgSizes), qType.getElementType());
    Value qg = tensor::ExpandShapeOp::create(rewriter, loc, qgType, q,
                                             headGroups, qgSizes);

    // Loop dims: b=0, h=1, g=2, i=3, then j (keys) or e (value dim).
    SmallVector<OpFoldResult> scoreSizes = {batch, hkvSize, gSize, sq, skv};
    SmallVector<OpFoldResult> rowSizes = {batch, hkvSize, gSize, sq};
    AffineMap scoreId = AffineMap::getMultiDimIdentityMap(5, ctx);
    AffineMap rowOf5 = selectDims(ctx, 5, {0, 1, 2, 3});

    // s = q k^T over (b, h, g, i, j, d).
    Value zeroScores = filledTensor(rewriter, loc, scoreSizes, f32, 0.0);
    Value scores =
        linalg::GenericOp::create(
            rewriter, loc, zeroScores.getType(), ValueRange{qg, k},
            ValueRange{zeroScores},
            ArrayRef<AffineMap>{selectDims(ctx, 6, {0, 1, 2, 3, 5}),
                                selectDims(ctx, 6, {0, 1, 4, 5}),
                                selectDims(ctx, 6, {0, 1, 2, 3, 4})},
            iterators(5, 1),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value qv = convertScalar(b, l, args[0], f32);
              Value kv = convertScalar(b, l, args[1], f32);
              Value prod = arith::MulFOp::create(b, l, qv, kv);
              yieldValue(b, l, arith::AddFOp::create(b, l, args[2], prod));
            })
            .getResult(0);

    // Scale and mask: query i sees key j iff j <= i + Skv - Sq (causal) and
    // j > i + Skv - Sq - window.
    Value offset;
    if (op.getCausal()) {
      Value skvValue = getValueOrCreateConstantIndexOp(rewriter, loc, skv);
      Value sqValue = getValueOrCreateConstantIndexOp(rewriter, loc, sq);
      offset = rewriter.createOrFold<arith::SubIOp>(loc, skvValue, sqValue);
    }
    std::optional<int64_t> window = op.getWindow();
    float scale = op.getScaleOrDefault();
    Value maskedInit = emptyTensor(rewriter, loc, scoreSizes, f32);
    Value masked =
        linalg::GenericOp::create(
            rewriter, loc, maskedInit.getType(), ValueRange{scores},
            ValueRange{maskedInit}, ArrayRef<AffineMap>{scoreId, scoreId},
            iterators(5, 0),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = arith::MulFOp::create(b, l, args[0],
                                              floatConst(b, l, f32, scale));
              if (offset) {
                Value i = linalg::IndexOp::create(b, l, 3);
                Value j = linalg::IndexOp::create(b, l, 4);
                Value last = arith::AddIOp::create(b, l, i, offset);
                Value visible = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::sle, j, last);
                if (window) {
                  // last - j < window: no overflow for huge windows.
                  Value distance = arith::SubIOp::create(b, l, last, j);
                  Value w = arith::ConstantIndexOp::create(b, l, *window);
                  visible = arith::AndIOp::create(
                      b, l, visible,
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                            distance, w));
                }
                s = arith::SelectOp::create(b, l, visible, s,
                                            floatConst(b, l, f32, -INFINITY));
              }
              yieldValue(b, l, s);
            })
            .getResult(0);

    // Row max; rows that see no key keep -inf and use 0 as their shift.
    Value negInfRows = filledTensor(rewriter, loc, rowSizes, f32, -INFINITY);
    Value rowMax =
        linalg::GenericOp::create(
            rewriter, loc, negInfRows.getType(), ValueRange{masked},
            ValueRange{negInfRows}, ArrayRef<AffineMap>{scoreId, rowOf5},
            iterators(4, 1),
            [&](OpBuilder &b, Location l, ValueRange args) {
              yieldValue(b, l,
                         arith::MaximumFOp::create(b, l, args[0], args[1]));
            })
            .getResult(0);
    auto safeMax = [&](OpBuilder &b, Location l, Value m) -> Value {
      Value empty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, m,
                                          floatConst(b, l, f32, -INFINITY));
      return arith::SelectOp::create(b, l, empty, floatConst(b, l, f32, 0.0),
                                     m);
    };

    // p = exp(s - max).
    Value probsInit = emptyTensor(rewriter, loc, scoreSizes, f32);
    Value probs =
        linalg::GenericOp::create(
            rewriter, loc, probsInit.getType(), ValueRange{masked, rowMax},
            ValueRange{probsInit},
            ArrayRef<AffineMap>{scoreId, rowOf5, scoreId}, iterators(5, 0),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value shifted =
                  arith::SubFOp::create(b, l, args[0], safeMax(b, l, args[1]));
              yieldValue(b, l, math::ExpOp::create(b, l, shifted));
            })
            .getResult(0);

    // Row sum of p.
    Value zeroRows = filledTensor(rewriter, loc, rowSizes, f32, 0.0);
    Value rowSum =
        linalg::GenericOp::create(
            rewriter, loc, zeroRows.getType(), ValueRange{probs},
            ValueRange{zeroRows}, ArrayRef<AffineMap>{scoreId, rowOf5},
            iterators(4, 1),
            [&](OpBuilder &b, Location l, ValueRange args) {
              yieldValue(b, l, arith::AddFOp::create(b, l, args[0], args[1]));
            })
            .getResult(0);

    // o = p v over (b, h, g, i, e, j).
    SmallVector<OpFoldResult> outSizes = {batch, hkvSize, gSize, sq, dv};
    Value zeroOut = filledTensor(rewriter, loc, outSizes, f32, 0.0);
    Value unnormalized =
        linalg::GenericOp::create(
            rewriter, loc, zeroOut.getType(), ValueRange{probs, v},
            ValueRange{zeroOut},
            ArrayRef<AffineMap>{selectDims(ctx, 6, {0, 1, 2, 3, 5}),
                                selectDims(ctx, 6, {0, 1, 5, 4}),
                                selectDims(ctx, 6, {0, 1, 2, 3, 4})},
            iterators(5, 1),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value prod = arith::MulFOp::create(
                  b, l, args[0], convertScalar(b, l, args[1], f32));
              yieldValue(b, l, arith::AddFOp::create(b, l, args[2], prod));
            })
            .getResult(0);

    // out = o / sum (0 for rows without keys), in the result element type.
    auto outType = cast<RankedTensorType>(op.getOut().getType());
    Type outElt = outType.getElementType();
    Value outInit = emptyTensor(rewriter, loc, outSizes, outElt);
    Value out =
        linalg::GenericOp::create(
            rewriter, loc, outInit.getType(), ValueRange{unnormalized, rowSum},
            ValueRange{outInit}, ArrayRef<AffineMap>{scoreId, rowOf5, scoreId},
            iterators(5, 0),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value zero = floatConst(b, l, f32, 0.0);
              Value empty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[1], zero);
              Value div = arith::DivFOp::create(b, l, args[0], args[1]);
              Value res = arith::SelectOp::create(b, l, empty, zero, div);
              yieldValue(b, l, convertScalar(b, l, res, outElt));
            })
            .getResult(0);
    SmallVector<OpFoldResult> collapsedOut = {batch, rewriter.getIndexAttr(hq),
                                              sq, dv};
    Value outCollapsed = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get(staticShape(collapsedOut), outElt),
        out, headGroups);
    SmallVector<Value> results = {
        castIfNeeded(rewriter, loc, outCollapsed, outType)};

    if (Value lseResult = op.getLse()) {
      // lse = max + log(sum): -inf for rows without keys.
      AffineMap rowId = AffineMap::getMultiDimIdentityMap(4, ctx);
      Value lseInit = emptyTensor(rewriter, loc, rowSizes, f32);
      Value lse = linalg::GenericOp::create(
                      rewriter, loc, lseInit.getType(),
                      ValueRange{rowMax, rowSum}, ValueRange{lseInit},
                      ArrayRef<AffineMap>{rowId, rowId, rowId}, iterators(4, 0),
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value logSum = math::LogOp::create(b, l, args[1]);
                        yieldValue(b, l,
                                   arith::AddFOp::create(
                                       b, l, safeMax(b, l, args[0]), logSum));
                      })
                      .getResult(0);
      SmallVector<OpFoldResult> collapsedRows = {batch,
                                                 rewriter.getIndexAttr(hq), sq};
      Value lseCollapsed = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get(staticShape(collapsedRows), f32),
          lse, SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}});
      results.push_back(
          castIfNeeded(rewriter, loc, lseCollapsed, lseResult.getType()));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void tessera::populateLowerAttentionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerAttention>(patterns.getContext());
}
