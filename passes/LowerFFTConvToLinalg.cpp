//===- LowerFFTConvToLinalg.cpp - tessera.fftconv to linalg ---------------===//
//
// The reference lowering of tessera.fftconv: the direct causal convolution,
// or, for the frequency-sparse variant, the explicit truncated-spectrum
// filter applied as a circular convolution. All sums are in f32.
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

/// y[b, h, t] = sum_j k[h, j] u[b, h, t - j] (zero for t - j < 0) as
/// sum_j' kRev[h, j'] uPad[b, h, t + j'] with L-1 zeros on the left of u and
/// kRev[h, j'] = k[h, L-1-j'].
static Value directConvolution(OpBuilder &b, Location loc, FFTConvOp op,
                               ArrayRef<OpFoldResult> ySizes) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value u = op.getU(), k = op.getK();
  auto uType = cast<RankedTensorType>(u.getType());
  Value l = tensor::DimOp::create(b, loc, k, 1);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lMinusOne = arith::SubIOp::create(b, loc, l, one);

  Value zero = floatConst(b, loc, uType.getElementType(), 0.0);
  OpFoldResult z = b.getIndexAttr(0);
  SmallVector<int64_t> padShape(uType.getShape());
  padShape[2] = ShapedType::kDynamic;
  Value uPad = tensor::PadOp::create(
      b, loc, RankedTensorType::get(padShape, uType.getElementType()), u,
      ArrayRef<OpFoldResult>{z, z, lMinusOne}, ArrayRef<OpFoldResult>{z, z, z},
      zero);

  SmallVector<OpFoldResult> kSizes = tensor::getMixedSizes(b, loc, k);
  Value kRevInit = emptyTensor(b, loc, kSizes, f32);
  AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  Value kRev =
      linalg::GenericOp::create(
          b, loc, kRevInit.getType(), ValueRange{}, ValueRange{kRevInit},
          ArrayRef<AffineMap>{id2}, iterators(2, 0),
          [&](OpBuilder &nb, Location nl, ValueRange) {
            Value h = linalg::IndexOp::create(nb, nl, 0);
            Value j = linalg::IndexOp::create(nb, nl, 1);
            Value src = arith::SubIOp::create(nb, nl, lMinusOne, j);
            Value kv = tensor::ExtractOp::create(nb, nl, k, ValueRange{h, src});
            yieldValue(nb, nl, convertScalar(nb, nl, kv, f32));
          })
          .getResult(0);

  // Loops (b, h, t, j'), j' a reduction.
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  Value acc = filledTensor(b, loc, ySizes, f32, 0.0);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), ValueRange{kRev, uPad}, ValueRange{acc},
             ArrayRef<AffineMap>{AffineMap::get(4, 0, {d1, d3}, ctx),
                                 AffineMap::get(4, 0, {d0, d1, d2 + d3}, ctx),
                                 AffineMap::get(4, 0, {d0, d1, d2}, ctx)},
             iterators(3, 1),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value prod = arith::MulFOp::create(
                   nb, nl, args[0], convertScalar(nb, nl, args[1], f32));
               yieldValue(nb, nl, arith::AddFOp::create(nb, nl, args[2], prod));
             })
      .getResult(0);
}

/// The frequency-sparse variant, following the op's definition with P = 2N:
///   mask[f]   = min(f, P - f) < F
///   c[x]      = (1/P) sum_f mask[f] cos(2 pi (f x mod P) / P)
///   k'[h, tau] = sum_{t<L} k[h, t] c[(tau - t) mod P]
///   y[b, h, t] = sum_{s<N} k'[h, (t - s) mod P] u[b, h, s]
/// (c is the inverse DFT of the kept set, real because the set is symmetric.)
static Value truncatedConvolution(OpBuilder &b, Location loc, FFTConvOp op,
                                  int64_t keep, ArrayRef<OpFoldResult> ySizes) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value u = op.getU(), k = op.getK();
  Value n = tensor::DimOp::create(b, loc, u, 2);
  Value p = arith::MulIOp::create(b, loc, n,
                                  arith::ConstantIndexOp::create(b, loc, 2));
  Value keepIdx = arith::ConstantIndexOp::create(b, loc, keep);
  auto toFloat = [&](OpBuilder &nb, Location nl, Value idx) -> Value {
    Value i64 = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx);
    return arith::SIToFPOp::create(nb, nl, f32, i64);
  };
  Value pFloat = toFloat(b, loc, p);
  AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);

  Value maskInit = emptyTensor(b, loc, {OpFoldResult(p)}, f32);
  Value mask =
      linalg::GenericOp::create(
          b, loc, maskInit.getType(), ValueRange{}, ValueRange{maskInit},
          ArrayRef<AffineMap>{id1}, iterators(1, 0),
          [&](OpBuilder &nb, Location nl, ValueRange) {
            Value f = linalg::IndexOp::create(nb, nl, 0);
            Value mirror = arith::SubIOp::create(nb, nl, p, f);
            Value dist = arith::MinUIOp::create(nb, nl, f, mirror);
            Value kept = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::ult, dist, keepIdx);
            Value one = floatConst(nb, nl, f32, 1.0);
            Value zero = floatConst(nb, nl, f32, 0.0);
            yieldValue(nb, nl,
                       arith::SelectOp::create(nb, nl, kept, one, zero));
          })
          .getResult(0);

  // c over loops (x, f), f a reduction.
  Value cInit = filledTensor(b, loc, {OpFoldResult(p)}, f32, 0.0);
  Value c =
      linalg::GenericOp::create(
          b, loc, cInit.getType(), ValueRange{mask}, ValueRange{cInit},
          ArrayRef<AffineMap>{selectDims(ctx, 2, {1}), selectDims(ctx, 2, {0})},
          iterators(1, 1),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = linalg::IndexOp::create(nb, nl, 0);
            Value f = linalg::IndexOp::create(nb, nl, 1);
            // Reduce the phase in integers so that cos stays accurate.
            Value phase = arith::RemUIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, f, x), p);
            Value twoPi = floatConst(nb, nl, f32, 2 * M_PI);
            Value angle = arith::DivFOp::create(
                nb, nl,
                arith::MulFOp::create(nb, nl, twoPi, toFloat(nb, nl, phase)),
                pFloat);
            Value weighted = arith::MulFOp::create(
                nb, nl, args[0], math::CosOp::create(nb, nl, angle));
            Value term = arith::DivFOp::create(nb, nl, weighted, pFloat);
            yieldValue(nb, nl, arith::AddFOp::create(nb, nl, args[1], term));
          })
          .getResult(0);

  // k' over loops (h, tau, t), t a reduction.
  // Sized by u's channels: the final generic reads k' at u's channel index.
  OpFoldResult h = tensor::getMixedSize(b, loc, u, 1);
  Value kpInit = filledTensor(b, loc, {h, OpFoldResult(p)}, f32, 0.0);
  Value kPrime =
      linalg::GenericOp::create(
          b, loc, kpInit.getType(), ValueRange{k}, ValueRange{kpInit},
          ArrayRef<AffineMap>{selectDims(ctx, 3, {0, 2}),
                              selectDims(ctx, 3, {0, 1})},
          iterators(2, 1),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value tau = linalg::IndexOp::create(nb, nl, 1);
            Value t = linalg::IndexOp::create(nb, nl, 2);
            Value idx = arith::RemUIOp::create(
                nb, nl,
                arith::SubIOp::create(nb, nl,
                                      arith::AddIOp::create(nb, nl, tau, p), t),
                p);
            Value cv = tensor::ExtractOp::create(nb, nl, c, ValueRange{idx});
            Value prod = arith::MulFOp::create(
                nb, nl, convertScalar(nb, nl, args[0], f32), cv);
            yieldValue(nb, nl, arith::AddFOp::create(nb, nl, args[1], prod));
          })
          .getResult(0);

  // y over loops (b, h, t, s), s a reduction.
  Value acc = filledTensor(b, loc, ySizes, f32, 0.0);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), ValueRange{u}, ValueRange{acc},
             ArrayRef<AffineMap>{selectDims(ctx, 4, {0, 1, 3}),
                                 selectDims(ctx, 4, {0, 1, 2})},
             iterators(3, 1),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value hh = linalg::IndexOp::create(nb, nl, 1);
               Value t = linalg::IndexOp::create(nb, nl, 2);
               Value s = linalg::IndexOp::create(nb, nl, 3);
               Value idx = arith::RemUIOp::create(
                   nb, nl,
                   arith::SubIOp::create(
                       nb, nl, arith::AddIOp::create(nb, nl, t, p), s),
                   p);
               Value kv = tensor::ExtractOp::create(nb, nl, kPrime,
                                                    ValueRange{hh, idx});
               Value prod = arith::MulFOp::create(
                   nb, nl, kv, convertScalar(nb, nl, args[0], f32));
               yieldValue(nb, nl, arith::AddFOp::create(nb, nl, args[1], prod));
             })
      .getResult(0);
}

namespace {
struct LowerFFTConv : OpRewritePattern<FFTConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FFTConvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type();
    SmallVector<OpFoldResult> ySizes =
        tensor::getMixedSizes(rewriter, loc, op.getU());
    std::optional<int64_t> keep = op.getKeepFrequencies();
    Value conv = keep ? truncatedConvolution(rewriter, loc, op, *keep, ySizes)
                      : directConvolution(rewriter, loc, op, ySizes);

    // y = conv + d[h] u, converted to the result element type.
    auto resultType = cast<RankedTensorType>(op.getType());
    Type resultElt = resultType.getElementType();
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    SmallVector<Value> inputs = {conv, op.getU()};
    SmallVector<AffineMap> maps = {id, id};
    Value d = op.getD();
    if (d) {
      inputs.push_back(d);
      maps.push_back(selectDims(ctx, 3, {1}));
    }
    maps.push_back(id);
    Value init = emptyTensor(rewriter, loc, ySizes, resultElt);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, init.getType(), inputs, ValueRange{init}, maps,
                  iterators(3, 0),
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value res = args[0];
                    if (d) {
                      Value dv = convertScalar(b, l, args[2], f32);
                      Value uv = convertScalar(b, l, args[1], f32);
                      Value skip = arith::MulFOp::create(b, l, dv, uv);
                      res = arith::AddFOp::create(b, l, res, skip);
                    }
                    yieldValue(b, l, convertScalar(b, l, res, resultElt));
                  })
                  .getResult(0);
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, y, resultType));
    return success();
  }
};
} // namespace

void tessera::populateLowerFFTConvToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerFFTConv>(patterns.getContext());
}
