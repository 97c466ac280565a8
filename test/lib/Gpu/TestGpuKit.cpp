//===- TestGpuKit.cpp - Each GPU kit piece on a small input of its own ----===//
//
// tessera-test-gpu-kit fills in every `gpu.func` of the input that names a
// kit piece in its `tessera.test_kit` attribute: the body becomes that
// piece, emitted on the function's arguments with small fixed parameters,
// then `gpu.return`. test/Transforms/gpu-kit/ checks the IR of each piece
// and lowers it to PTX, as upstream's nvgpu-to-nvvm.mlir tests the NVGPU
// ops one by one, so that a broken piece shows up on its own and not only
// through a whole kernel.
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Kit/AsyncCopy.h"
#include "passes/Gpu/Kit/Epilogue.h"
#include "passes/Gpu/Kit/KernelSignature.h"
#include "passes/Gpu/Kit/KitBuilder.h"
#include "passes/Gpu/Kit/Mbarrier.h"
#include "passes/Gpu/Kit/MmaSync.h"
#include "passes/Gpu/Kit/SharedMemory.h"
#include "passes/Gpu/Kit/TileScheduler.h"
#include "passes/Gpu/Kit/Tma.h"
#include "passes/Gpu/Kit/WarpRoles.h"
#include "passes/Gpu/Kit/Wgmma.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::tessera;

namespace {

using Piece = void (*)(kit::KitBuilder &k, gpu::GPUFuncOp func);

Value arg(gpu::GPUFuncOp func, unsigned i) { return func.getArgument(i); }

/// Stores `values` (index or f32) at [0, 1, ...] of the last argument, so
/// that the piece's results stay live.
void keep(kit::KitBuilder &k, gpu::GPUFuncOp func, ValueRange values) {
  Value out = func.getArguments().back();
  for (auto [i, v] : llvm::enumerate(values))
    k.b.create<memref::StoreOp>(v, out, ValueRange{k.idx(i)});
}

/// Regions of a kernel's shared memory: the offsets and the launch size
/// become attributes (no code).
void sharedLayout(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  kit::SharedLayout layout;
  SmallVector<int64_t> offsets = {layout.add("q", 16384, 1024),
                                  layout.add("bars", 40, 8),
                                  layout.add("k", 8192, 1024)};
  offsets.push_back(layout.launchBytes());
  func->setAttr("tessera.test_kit.offsets",
                k.b.getDenseI64ArrayAttr(offsets));
}

/// A 2-stage ring at byte 0: init (one thread), then position `arg0`'s
/// full barrier waited and its empty barrier arrived at.
void mbarrierRing(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  kit::SharedMemory smem = kit::SharedMemory::get(k);
  kit::MbarrierRing ring{smem, /*offset=*/0, /*stages=*/2};
  ring.init(k, /*emptyArrives=*/4);
  kit::fenceBarrierInit(k);
  auto [slot, parity] = ring.slotOf(k, arg(func, 0));
  kit::waitParity(k, ring.full(k, slot), parity);
  kit::arrive(k, ring.empty(k, slot));
}

/// One 4-D TMA box (tensor map `arg0`, coordinates `arg1`..`arg4`) into
/// shared byte 1024, completing on the barrier at byte 0.
void tmaLoad(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  kit::SharedMemory smem = kit::SharedMemory::get(k);
  Value bar = smem.at(k, k.c32(0));
  kit::initBarrier(k, bar, 1);
  kit::TensorMapSpec spec{{64, 128, 1, 1}, kit::kSwizzleBytes};
  kit::arriveExpectTx(k, bar, spec.boxBytes(2));
  kit::tmaLoad(k, arg(func, 0), smem.at(k, k.c32(1024)),
               func.getArguments().slice(1, 4), bar);
  kit::waitParity(k, bar, k.c32(0));
}

/// m64n128k16 bf16 from two shared-memory descriptors, then O += P V with
/// P (`arg0`..`arg3`) in registers; the accumulators stored to `arg4`.
void wgmma(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  ImplicitLocOpBuilder &b = k.b;
  kit::SharedMemory smem = kit::SharedMemory::get(k);
  Type bf16 = b.getBF16Type();
  Value descA = kit::smemDescriptor(k, smem.base, k.c32(0), 16);
  Value descB = kit::smemDescriptor(k, smem.base, k.c32(8192), 16);
  kit::WgmmaShape shape{128, 16, bf16, bf16};
  Value acc = b.create<LLVM::UndefOp>(kit::getAccumulatorType(k.ctx, 128));
  kit::wgmmaFence(k);
  acc = kit::wgmmaSS(k, shape, acc, descA, descB, /*accumulate=*/false,
                     /*transposeA=*/false, /*transposeB=*/true);
  kit::wgmmaCommit(k);
  kit::wgmmaWait(k, 0);
  acc = kit::pinAccumulator(k, acc, 64);
  SmallVector<Value> p(func.getArguments().slice(0, 4));
  Value descV = kit::advanceDescriptor(k, descB, 4096);
  acc = kit::wgmmaRS(k, shape, acc, p, descV, /*accumulate=*/true,
                     /*transposeB=*/false);
  kit::wgmmaCommit(k);
  kit::wgmmaWait(k, 0);
  kit::keepAlive(k, p);
  acc = kit::pinAccumulator(k, acc, 64);
  keep(k, func, {b.create<LLVM::ExtractValueOp>(acc, 0),
                 b.create<LLVM::ExtractValueOp>(acc, 63)});
}

/// ldmatrix.x4 of A and of B (transposed) from a 64 x 64 bf16 tile of
/// workgroup memory, one m16n8k16; the four results stored to `arg0`.
void mmaSync(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  ImplicitLocOpBuilder &b = k.b;
  Type bf16 = b.getBF16Type();
  auto workgroup = gpu::AddressSpaceAttr::get(
      k.ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  Value raw = b.create<gpu::DynamicSharedMemoryOp>(MemRefType::get(
      {ShapedType::kDynamic}, b.getI8Type(), nullptr, workgroup));
  Value tile = b.create<memref::ViewOp>(
      MemRefType::get({64, 64}, bf16, nullptr, workgroup), raw, k.idx(0),
      ValueRange{});
  Value lane = k.rem(k.threadId(), 32);
  SmallVector<Value, 4> a = kit::ldmatrixX4(k, tile, k.rem(lane, 16),
                                            k.mul(k.div(lane, 16), 8), false);
  SmallVector<Value, 4> bt = kit::ldmatrixX4(k, tile, k.rem(lane, 16),
                                             k.mul(k.div(lane, 16), 8), true);
  SmallVector<Value> pa, pb;
  for (Value v : a)
    pa.push_back(kit::packMmaOperand(k, v));
  for (Value v : ArrayRef<Value>(bt).take_front(2))
    pb.push_back(kit::packMmaOperand(k, v));
  Value zero = k.f32(0);
  keep(k, func, kit::mmaM16N8K16(k, bf16, pa, pb, {zero, zero, zero, zero}));
}

/// A 32 x 64 bf16 tile of the 2-D memref `arg0` at row `arg1`, rows past
/// `arg2` zero-filled, into workgroup memory by 128 threads.
void asyncCopy(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  ImplicitLocOpBuilder &b = k.b;
  auto workgroup = gpu::AddressSpaceAttr::get(
      k.ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  Value raw = b.create<gpu::DynamicSharedMemoryOp>(MemRefType::get(
      {ShapedType::kDynamic}, b.getI8Type(), nullptr, workgroup));
  Value shared = b.create<memref::ViewOp>(
      MemRefType::get({32, 72}, b.getBF16Type(), nullptr, workgroup), raw,
      k.idx(0), ValueRange{});
  SmallVector<Value> tokens;
  kit::asyncCopyTile(k,
                     {arg(func, 0), {}, arg(func, 1), k.idx(0), arg(func, 2),
                      k.idx(64), shared, k.idx(0), 32, 64},
                     128, k.threadId(), tokens);
  Value group = b.create<nvgpu::DeviceAsyncCreateGroupOp>(
      nvgpu::DeviceAsyncTokenType::get(k.ctx), tokens);
  b.create<nvgpu::DeviceAsyncWaitOp>(group, b.getI32IntegerAttr(0));
}

/// Producer and consumer warpgroups of 384 threads: the register split,
/// setmaxnreg on each side, and a named barrier between the consumers.
void warpRoles(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  ImplicitLocOpBuilder &b = k.b;
  kit::RegisterSplit split =
      kit::splitRegisters(384, /*blocksPerSM=*/1, /*producerMax=*/40);
  Value warpGroup = k.div(k.threadId(), 128);
  auto roles = b.create<scf::IfOp>(k.eq(warpGroup, k.idx(0)), true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(roles.thenBlock());
    kit::setRegisters(k, split.producer, /*increase=*/false);
    b.setInsertionPointToStart(roles.elseBlock());
    kit::setRegisters(k, split.consumer, /*increase=*/true);
    kit::namedBarrierSync(k, k.toI32(warpGroup), 256);
    kit::namedBarrierArrive(k, k.c32(3), 256);
  }
}

/// Tile placement and split ranges (arguments: M, N, linear tile, begin,
/// end, part, parts), stored to the last argument.
void tileScheduler(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  auto [row, col] = kit::placeGroupedTile(k, 128, 256, 8, arg(func, 0),
                                          arg(func, 1), arg(func, 2));
  auto [first, last] = kit::splitRange(k, arg(func, 3), arg(func, 4),
                                       arg(func, 5), arg(func, 6));
  keep(k, func, {row, col, first, last});
}

/// exp2 and log2 as the softmax uses them (`arg0`), stored to `arg1`.
void fastMath(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  keep(k, func, {kit::fastExp2(k.b, arg(func, 0)),
                 kit::fastLog2(k.b, arg(func, 0))});
}

/// A kernel ABI: a rank-4 tensor map with its box and swizzle, a memref, an
/// i64 expression, a grid of expressions (an attribute, no code).
void kernelSignature(kit::KitBuilder &k, gpu::GPUFuncOp func) {
  kit::KernelSignature sig(k.ctx, func.getName());
  sig.tensorMap(0, {64, 128, 1, 1}, kit::kSwizzleBytes)
      .memref(1)
      .i64("max(" + kit::cdivExpr(kit::valueDim(1, 2), 128) + ",1)")
      .grid(kit::cdivExpr(kit::valueDim(0, 2), 128), kit::valueDim(0, 0), "1")
      .block(384)
      .sharedMemory(4096);
  func->setAttr("tessera.test_kit.abi", sig.get());
}

const llvm::StringMap<Piece> &pieces() {
  static const llvm::StringMap<Piece> table = {
      {"shared_layout", sharedLayout},   {"mbarrier_ring", mbarrierRing},
      {"tma_load", tmaLoad},             {"wgmma", wgmma},
      {"mma_sync", mmaSync},             {"async_copy", asyncCopy},
      {"warp_roles", warpRoles},         {"tile_scheduler", tileScheduler},
      {"fast_math", fastMath},           {"kernel_signature", kernelSignature},
  };
  return table;
}

struct TestGpuKitPass
    : public PassWrapper<TestGpuKitPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestGpuKitPass)

  StringRef getArgument() const final { return "tessera-test-gpu-kit"; }
  StringRef getDescription() const final {
    return "Emit the GPU kit piece each gpu.func names in tessera.test_kit";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, NVVM::NVVMDialect, memref::MemRefDialect,
                    nvgpu::NVGPUDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  }

  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](gpu::GPUFuncOp func) {
      auto name = func->getAttrOfType<StringAttr>("tessera.test_kit");
      if (!name)
        return WalkResult::advance();
      auto it = pieces().find(name.getValue());
      if (it == pieces().end()) {
        func.emitOpError() << "names no GPU kit piece: '" << name.getValue()
                           << "'";
        return WalkResult::interrupt();
      }
      func.getBody().front().clear();
      ImplicitLocOpBuilder b(func.getLoc(), func.getContext());
      b.setInsertionPointToStart(&func->getParentOfType<gpu::GPUModuleOp>()
                                      .getBodyRegion()
                                      .front());
      kit::KitBuilder k(b);
      kit::SharedMemory::declare(k);
      b.setInsertionPointToStart(&func.getBody().front());
      it->second(k, func);
      b.create<gpu::ReturnOp>();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

namespace mlir::tessera {
void registerTestGpuKitPass() { PassRegistration<TestGpuKitPass>(); }
} // namespace mlir::tessera
