//===- Kit.cpp - Shared memory, mbarriers, TMA and warp roles -------------===//
//
// The kit pieces that emit a few NVVM ops each (see their headers).
//
//===----------------------------------------------------------------------===//

#include "passes/Gpu/Kit/AsyncCopy.h"
#include "passes/Gpu/Kit/Mbarrier.h"
#include "passes/Gpu/Kit/Tma.h"
#include "passes/Gpu/Kit/WarpRoles.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::tessera::kit;

//===----------------------------------------------------------------------===//
// SharedMemory
//===----------------------------------------------------------------------===//

int64_t SharedLayout::add(StringRef name, int64_t bytes, int64_t alignment) {
  int64_t at = (end + alignment - 1) / alignment * alignment;
  offsets[name] = at;
  end = at + bytes;
  return at;
}

void SharedMemory::declare(KitBuilder &k) {
  ImplicitLocOpBuilder &b = k.b;
  Operation *module = b.getInsertionBlock()->getParentOp();
  if (SymbolTable::lookupSymbolIn(module, kDynamicSharedSymbol))
    return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(b.getInsertionBlock());
  b.create<LLVM::GlobalOp>(LLVM::LLVMArrayType::get(b.getI8Type(), 0),
                           /*isConstant=*/false, LLVM::Linkage::External,
                           kDynamicSharedSymbol, Attribute(),
                           /*alignment=*/kSharedAlignment, /*addrSpace=*/3);
}

SharedMemory SharedMemory::get(KitBuilder &k) {
  ImplicitLocOpBuilder &b = k.b;
  auto ptr3 = LLVM::LLVMPointerType::get(k.ctx, 3);
  Value raw = b.create<LLVM::AddressOfOp>(ptr3, kDynamicSharedSymbol);
  Value rawBase = b.create<LLVM::PtrToIntOp>(k.i32, raw);
  SharedMemory s;
  s.base = b.create<arith::AndIOp>(k.add(rawBase, k.c32(kSharedAlignment - 1)),
                                   k.c32(~(kSharedAlignment - 1)));
  s.pointer = b.create<LLVM::GEPOp>(
      ptr3, b.getI8Type(), raw,
      ValueRange{b.create<arith::SubIOp>(s.base, rawBase)});
  return s;
}

Value SharedMemory::at(KitBuilder &k, Value offset) const {
  return k.b.create<LLVM::GEPOp>(LLVM::LLVMPointerType::get(k.ctx, 3),
                                 k.b.getI8Type(), pointer, ValueRange{offset});
}

//===----------------------------------------------------------------------===//
// Mbarrier
//===----------------------------------------------------------------------===//

void mlir::tessera::kit::waitParity(KitBuilder &k, Value bar, Value parity) {
  k.b.create<NVVM::MBarrierTryWaitParityOp>(bar, parity, k.c32(kWaitTicks));
}

void mlir::tessera::kit::arrive(KitBuilder &k, Value bar) {
  k.b.create<NVVM::MBarrierArriveOp>(Type(), bar, Value());
}

void mlir::tessera::kit::arriveExpectTx(KitBuilder &k, Value bar,
                                        int64_t bytes) {
  k.b.create<NVVM::MBarrierArriveExpectTxOp>(Type(), bar, k.c32(bytes),
                                             NVVM::MemScopeKind::CTA,
                                             /*relaxed=*/false, Value());
}

void mlir::tessera::kit::initBarrier(KitBuilder &k, Value bar, int64_t count) {
  k.b.create<NVVM::MBarrierInitOp>(bar, k.c32(count), Value());
}

void mlir::tessera::kit::fenceBarrierInit(KitBuilder &k) {
  k.b.create<NVVM::FenceMbarrierInitOp>();
  k.b.create<NVVM::FenceProxyOp>(
      NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(k.ctx, NVVM::SharedSpace::shared_cta));
}

Value MbarrierRing::barrier(KitBuilder &k, bool full, Value stage) const {
  int64_t first = offset + (full ? 0 : 8 * stages);
  return shared.at(k, k.add(k.c32(first), k.mul(stage, k.c32(8))));
}

std::pair<Value, Value> MbarrierRing::slotOf(KitBuilder &k,
                                             Value position) const {
  Value p = k.toI32(position);
  Value s = k.b.create<arith::RemUIOp>(p, k.c32(stages));
  Value round = k.b.create<arith::DivUIOp>(p, k.c32(stages));
  return {s, k.b.create<arith::AndIOp>(round, k.c32(1))};
}

void MbarrierRing::init(KitBuilder &k, int64_t emptyArrives) const {
  for (int64_t s = 0; s < stages; ++s) {
    initBarrier(k, full(k, k.c32(s)), 1);
    initBarrier(k, empty(k, k.c32(s)), emptyArrives);
  }
}

//===----------------------------------------------------------------------===//
// Tma
//===----------------------------------------------------------------------===//

int64_t TensorMapSpec::boxBytes(int64_t elementBytes) const {
  int64_t bytes = elementBytes;
  for (int64_t size : box)
    bytes *= size;
  return bytes;
}

void mlir::tessera::kit::tmaLoad(KitBuilder &k, Value tmap, Value dst,
                                 ValueRange coords, Value bar) {
  Value cluster = k.b.create<LLVM::AddrSpaceCastOp>(
      LLVM::LLVMPointerType::get(k.ctx, 7), dst);
  k.b.create<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(
      cluster, tmap, coords, bar, ValueRange{}, Value(), Value(),
      NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false, NVVM::CTAGroupKindAttr(),
      Value());
}

//===----------------------------------------------------------------------===//
// WarpRoles
//===----------------------------------------------------------------------===//

RegisterSplit mlir::tessera::kit::splitRegisters(int64_t threads,
                                                 int64_t blocksPerSM,
                                                 int64_t producerMax,
                                                 int64_t consumerMax) {
  RegisterSplit r;
  r.entry = std::min<int64_t>(248, 65536 / (threads * blocksPerSM) / 8 * 8);
  r.producer = std::min<int64_t>(producerMax, r.entry);
  int64_t consumers = threads / 128 - 1;
  r.consumer = std::min<int64_t>(
      consumerMax, (threads * r.entry - 128 * r.producer) / (128 * consumers) /
                       8 * 8);
  return r;
}

void mlir::tessera::kit::setLaunchBounds(KitBuilder &k, Operation *func,
                                         int64_t threads,
                                         int64_t blocksPerSM) {
  int32_t t = static_cast<int32_t>(threads);
  func->setAttr("nvvm.maxntid", k.b.getDenseI32ArrayAttr({t, 1, 1}));
  func->setAttr("nvvm.minctasm", k.b.getI32IntegerAttr(blocksPerSM));
}

void mlir::tessera::kit::setRegisters(KitBuilder &k, int64_t registers,
                                      bool increase) {
  k.b.create<NVVM::SetMaxRegisterOp>(
      registers, increase ? NVVM::SetMaxRegisterAction::increase
                          : NVVM::SetMaxRegisterAction::decrease);
}

void mlir::tessera::kit::namedBarrierSync(KitBuilder &k, Value id,
                                          int64_t threads) {
  k.b.create<NVVM::BarrierOp>(TypeRange{}, id, k.c32(threads),
                              NVVM::BarrierReductionAttr(), Value());
}

void mlir::tessera::kit::namedBarrierArrive(KitBuilder &k, Value id,
                                            int64_t threads) {
  k.b.create<NVVM::BarrierArriveOp>(id, k.c32(threads));
}

//===----------------------------------------------------------------------===//
// AsyncCopy
//===----------------------------------------------------------------------===//

void mlir::tessera::kit::asyncCopyTile(KitBuilder &k, const TileCopy &t,
                                       int64_t threads, Value tid,
                                       SmallVectorImpl<Value> &tokens) {
  int64_t perRow = t.cols / 8, chunks = t.rows * perRow;
  for (int64_t first = 0; first < chunks; first += threads) {
    Value chunk = k.add(tid, first);
    Value inRange = k.lt(chunk, k.idx(chunks));
    Value r = k.div(chunk, perRow);
    Value col = k.mul(k.rem(chunk, perRow), 8);
    Value gRow = k.add(t.row0, r), gCol = k.add(t.col0, col);
    // Clamp addresses into the tensor; predicated-off copies read nothing.
    Value rowOk = k.andi(inRange, k.lt(gRow, t.rowLimit));
    Value valid =
        k.select(rowOk, k.minu(k.subSat(t.colLimit, gCol), k.idx(8)), k.idx(0));
    SmallVector<Value> src(t.prefix);
    src.push_back(k.select(rowOk, gRow, k.idx(0)));
    src.push_back(k.select(k.lt(gCol, t.colLimit), gCol, k.idx(0)));
    Value sRow = k.add(t.sharedRow0, k.select(inRange, r, k.idx(0)));
    Value sCol = k.select(inRange, col, k.idx(t.cols));
    tokens.push_back(k.b.create<nvgpu::DeviceAsyncCopyOp>(
        nvgpu::DeviceAsyncTokenType::get(k.ctx), t.shared,
        ValueRange{sRow, sCol}, t.global, src, k.b.getIndexAttr(8), valid,
        k.b.getUnitAttr()));
  }
}
