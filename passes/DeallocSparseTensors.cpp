//===- DeallocSparseTensors.cpp - tessera-dealloc-sparse-tensors ----------===//
//
// Adds bufferization.dealloc_tensor after the last use of each sparse tensor
// a function converts into existence and does not return.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERADEALLOCSPARSETENSORS
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;

namespace {
struct DeallocSparseTensorsPass
    : tessera::impl::TesseraDeallocSparseTensorsBase<DeallocSparseTensorsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    // Only conversions are known to allocate storage of their own: an
    // assembled tensor wraps its operands' buffers, and the sparsifier
    // manages the outputs of sparse kernels itself.
    SmallVector<Value> sparse;
    for (Operation &op : body)
      if (auto convert = dyn_cast<sparse_tensor::ConvertOp>(op))
        if (sparse_tensor::getSparseTensorEncoding(convert.getType()))
          sparse.push_back(convert.getResult());

    OpBuilder b(&getContext());
    for (Value v : sparse) {
      // The last op of the function's block that uses `v`, directly or in a
      // nested region; none if the function returns it.
      Operation *last = v.getDefiningOp();
      bool returned = false;
      for (Operation *user : v.getUsers()) {
        Operation *inBlock = body.findAncestorOpInBlock(*user);
        if (!inBlock)
          continue;
        if (isa<func::ReturnOp>(inBlock))
          returned = true;
        else if (last->isBeforeInBlock(inBlock))
          last = inBlock;
      }
      if (returned)
        continue;
      b.setInsertionPointAfter(last);
      bufferization::DeallocTensorOp::create(b, v.getLoc(), v);
    }
  }
};
} // namespace
