//===- CpuTileAndVectorize.cpp - tessera-cpu-tile-and-vectorize -----------===//
//
// Tiles linalg ops on tensors for the CPU and vectorizes the tiles with
// masks; hoists accumulators out of reduction loops.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERACPUTILEANDVECTORIZE
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;

namespace {

/// Tile sizes (one per loop, all >= 1) for `op`.
SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op, int64_t mTile,
                                     int64_t nTile, int64_t vectorWidth) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> tiles(numLoops, 1);
  if (numLoops == 0)
    return {};
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (succeeded(dims) && !dims->m.empty() && !dims->n.empty() &&
      !dims->k.empty()) {
    tiles[dims->m.back()] = mTile;
    tiles[dims->n.back()] = nTile;
    return tiles;
  }
  tiles[numLoops - 1] = vectorWidth;
  return tiles;
}

/// For a contraction in generic form whose operand reads the vectorized N
/// dimension with a stride (e.g. `transpose_b` weights), inserts a
/// linalg.transpose that makes N the innermost dimension of that operand, so
/// the kernel loads contiguous vectors. Returns the transposes created.
SmallVector<linalg::LinalgOp> makeNContiguous(RewriterBase &rewriter,
                                              linalg::GenericOp op) {
  SmallVector<linalg::LinalgOp> created;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->n.empty() || dims->m.empty() || dims->k.empty())
    return created;
  MLIRContext *ctx = op.getContext();
  AffineExpr n = getAffineDimExpr(dims->n.back(), ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool changed = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = maps[input->getOperandNumber()];
    std::optional<unsigned> pos = map.getResultPosition(n);
    unsigned rank = map.getNumResults();
    if (!pos || *pos == rank - 1 ||
        !isa<RankedTensorType>(input->get().getType()))
      continue;
    SmallVector<int64_t> perm;
    for (unsigned i = 0; i < rank; ++i)
      if (i != *pos)
        perm.push_back(i);
    perm.push_back(*pos);
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input->get());
    SmallVector<OpFoldResult> permuted;
    SmallVector<AffineExpr> exprs;
    for (int64_t p : perm) {
      permuted.push_back(sizes[p]);
      exprs.push_back(map.getResult(p));
    }
    Type elementType =
        cast<RankedTensorType>(input->get().getType()).getElementType();
    Value init = tensor::EmptyOp::create(rewriter, loc, permuted, elementType);
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, input->get(), init, perm);
    created.push_back(cast<linalg::LinalgOp>(transpose.getOperation()));
    rewriter.modifyOpInPlace(op, [&] { input->set(transpose->getResult(0)); });
    maps[input->getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, exprs, ctx);
    changed = true;
  }
  if (changed)
    rewriter.modifyOpInPlace(op, [&] {
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
  return created;
}

/// Cache blocks of a contraction (M x N x K = 128 x 512 x 256 on the
/// innermost M, N and K dimensions, 1 on the others), or empty for other
/// ops.
SmallVector<int64_t> chooseCacheBlocks(linalg::LinalgOp op) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return {};
  SmallVector<int64_t> blocks(op.getNumLoops(), 1);
  blocks[dims->m.back()] = 128;
  blocks[dims->n.back()] = 512;
  blocks[dims->k.back()] = 256;
  return blocks;
}

/// Loop order of the cache blocks: every other loop, then N, K, M.
SmallVector<int64_t> cacheBlockOrder(linalg::LinalgOp op) {
  linalg::ContractionDimensions dims = *linalg::inferContractionDims(op);
  int64_t m = dims.m.back(), n = dims.n.back(), k = dims.k.back();
  SmallVector<int64_t> order;
  for (int64_t i = 0, e = op.getNumLoops(); i < e; ++i)
    if (i != m && i != n && i != k)
      order.push_back(i);
  order.append({n, k, m});
  return order;
}

bool isDenseTensorOp(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics())
    return false;
  auto isSparse = [](Type t) {
    return static_cast<bool>(sparse_tensor::getSparseTensorEncoding(t));
  };
  return !llvm::any_of(op->getOperandTypes(), isSparse) &&
         !llvm::any_of(op->getResultTypes(), isSparse);
}

struct CpuTileAndVectorizePass
    : tessera::impl::TesseraCpuTileAndVectorizeBase<CpuTileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (isDenseTensorOp(op))
        ops.push_back(op);
    });

    IRRewriter rewriter(ctx);
    SmallVector<linalg::LinalgOp> transposes;
    for (linalg::LinalgOp op : ops)
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        llvm::append_range(transposes, makeNContiguous(rewriter, generic));
    llvm::append_range(ops, transposes);
    // Tile every op; mark each tile with its vector sizes. Loops whose trip
    // count may not divide by the tile size are peeled (innermost first, so
    // the outer peel copies both inner versions): the main loops then hold
    // full static tiles that vectorize without masks, and only the partial
    // tiles pay for masking.
    constexpr StringLiteral kVectorSizes = "tessera.vector_sizes";
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> tiles =
          chooseTileSizes(op, mTile, nTile, vectorWidth);
      if (tiles.empty())
        continue;
      // Contractions are first blocked for the caches (loop order N, K, M:
      // a K x N panel of B stays in L2 while M sweeps under it), then
      // register-tiled inside the block.
      Operation *target = op.getOperation();
      SmallVector<int64_t> blocks = chooseCacheBlocks(op);
      if (!blocks.empty()) {
        rewriter.setInsertionPoint(target);
        scf::SCFTilingOptions blockOptions;
        blockOptions.setTileSizes(getAsIndexOpFoldResult(ctx, blocks));
        blockOptions.setInterchange(cacheBlockOrder(op));
        FailureOr<scf::SCFTilingResult> blocked = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(target), blockOptions);
        if (succeeded(blocked) && blocked->tiledOps.size() == 1) {
          rewriter.replaceOp(target, blocked->replacements);
          target = blocked->tiledOps.front();
        }
      }
      rewriter.setInsertionPoint(target);
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(target), options);
      if (failed(tiled))
        continue;
      rewriter.replaceOp(target, tiled->replacements);
      for (Operation *tile : tiled->tiledOps)
        tile->setAttr(kVectorSizes, rewriter.getDenseI64ArrayAttr(tiles));
      for (LoopLikeOpInterface loop : llvm::reverse(tiled->loops)) {
        auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
        scf::ForOp partial;
        if (forOp)
          (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
      }
    }

    // Vectorize every tile (masked where its size is not static); tiles
    // that cannot be vectorized stay scalar.
    SmallVector<linalg::LinalgOp> tiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kVectorSizes))
        tiles.push_back(op);
    });
    for (linalg::LinalgOp tile : tiles) {
      SmallVector<int64_t> sizes(
          cast<DenseI64ArrayAttr>(tile->getAttr(kVectorSizes)).asArrayRef());
      tile->removeAttr(kVectorSizes);
      SmallVector<bool> scalable(sizes.size(), false);
      if (failed(linalg::vectorizeOpPrecondition(tile, sizes, scalable)))
        continue;
      rewriter.setInsertionPoint(tile);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tile, sizes, scalable);
      if (succeeded(vectorized))
        rewriter.replaceOp(tile, vectorized->replacements);
    }

    // Masked transfers become transfers with a mask operand (folding must
    // not move other ops into vector.mask regions), then fold the tiling
    // and masking arithmetic and keep accumulators in registers across
    // reduction loops.
    RewritePatternSet maskPatterns(ctx);
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(maskPatterns);
    if (failed(applyPatternsGreedily(func, std::move(maskPatterns))))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    // Transfers read and write the whole tensor at the tile's offsets, not
    // a slice of it: fewer slice pairs for bufferization's (costly)
    // equivalent-subset analysis to prove.
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      name.getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    // Only innermost loops: that is where the accumulators of the register
    // tiles live, and the subset analysis (Presburger-based) costs seconds
    // per function when it runs on every loop of a model.
    func.walk([&](scf::ForOp loop) {
      bool innermost = true;
      loop.getBody()->walk([&](scf::ForOp) {
        innermost = false;
        return WalkResult::interrupt();
      });
      if (innermost)
        (void)hoistLoopInvariantSubsets(rewriter,
                                        cast<LoopLikeOpInterface>(*loop));
    });
  }
};
} // namespace
