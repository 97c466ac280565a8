//===- Mma.cpp - wgmma and mma.sync emission ------------------------------===//

#include "passes/Gpu/Kit/MmaSync.h"
#include "passes/Gpu/Kit/Wgmma.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <string>

using namespace mlir;
using namespace mlir::tessera::kit;

//===----------------------------------------------------------------------===//
// wgmma
//===----------------------------------------------------------------------===//

NVVM::WGMMATypes mlir::tessera::kit::getWgmmaType(Type t) {
  if (t.isBF16())
    return NVVM::WGMMATypes::bf16;
  if (t.isF16())
    return NVVM::WGMMATypes::f16;
  return isa<Float8E4M3FNType>(t) ? NVVM::WGMMATypes::e4m3
                                  : NVVM::WGMMATypes::e5m2;
}

Type mlir::tessera::kit::getAccumulatorType(MLIRContext *ctx, int64_t n) {
  return LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(n / 2, Float32Type::get(ctx)));
}

Value mlir::tessera::kit::smemDescriptor(KitBuilder &k, Value base,
                                         Value offset, int64_t leadingBytes) {
  Value address = k.b.create<arith::ExtUIOp>(
      k.i64, k.b.create<arith::ShRUIOp>(k.add(base, offset), k.c32(4)));
  int64_t fixed = ((leadingBytes >> 4) << 16) |
                  (int64_t(kSwizzleAtom >> 4) << 32) | (int64_t(1) << 62);
  return k.b.create<arith::OrIOp>(address, k.c64(fixed));
}

Value mlir::tessera::kit::advanceDescriptor(KitBuilder &k, Value desc,
                                            int64_t bytes) {
  return bytes ? k.b.create<arith::AddIOp>(desc, k.c64(bytes >> 4)).getResult()
               : desc;
}

Value mlir::tessera::kit::wgmmaSS(KitBuilder &k, const WgmmaShape &shape,
                                  Value acc, Value descA, Value descB,
                                  bool accumulate, bool transposeA,
                                  bool transposeB) {
  return k.b.create<NVVM::WgmmaMmaAsyncOp>(
      getAccumulatorType(k.ctx, shape.n), acc, descA, descB,
      NVVM::MMAShapeAttr::get(k.ctx, 64, shape.n, shape.k),
      getWgmmaType(shape.typeA), getWgmmaType(shape.typeB),
      NVVM::WGMMATypes::f32,
      accumulate ? NVVM::WGMMAScaleOut::one : NVVM::WGMMAScaleOut::zero,
      NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
      transposeA ? NVVM::MMALayout::col : NVVM::MMALayout::row,
      transposeB ? NVVM::MMALayout::col : NVVM::MMALayout::row,
      NVVM::MMAIntOverflowAttr());
}

Value mlir::tessera::kit::wgmmaRS(KitBuilder &k, const WgmmaShape &shape,
                                  Value acc, ArrayRef<Value> a, Value descB,
                                  bool accumulate, bool transposeB) {
  return wgmmaRS(k, shape, acc, a, descB, k.c32(accumulate ? 1 : 0),
                 transposeB);
}

Value mlir::tessera::kit::wgmmaRS(KitBuilder &k, const WgmmaShape &shape,
                                  Value acc, ArrayRef<Value> a, Value descB,
                                  Value accumulate, bool transposeB) {
  int64_t n = shape.n / 2;
  auto name = [](Type t) { return t.isBF16() ? "bf16" : "f16"; };
  // Operands: the n accumulators (outputs, tied to the same-numbered
  // inputs), the four A registers, B's descriptor, scale-d.
  std::string text = "{\n.reg .pred p;\nsetp.ne.b32 p, $" +
                     std::to_string(2 * n + 5) + ", 0;\n" +
                     "wgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(shape.n) + "k16.f32." + name(shape.typeA) +
                     "." + name(shape.typeB) + " {";
  std::string constraints;
  SmallVector<Value> operands;
  for (int64_t e = 0; e < n; ++e) {
    text += "$" + std::to_string(e) + (e + 1 < n ? ", " : "}, {");
    constraints += "=f,";
    operands.push_back(k.b.create<LLVM::ExtractValueOp>(acc, e));
  }
  for (int64_t e = 0; e < n; ++e)
    constraints += std::to_string(e) + ",";
  for (int64_t r = 0; r < 4; ++r) {
    text += "$" + std::to_string(2 * n + r) + (r < 3 ? ", " : "}, ");
    constraints += "r,";
    operands.push_back(a[r]);
  }
  // imm-trans-b is 0 for K-major B (stored [N, K], as wgmmaSS's
  // transposeB), 1 for N-major.
  text += "$" + std::to_string(2 * n + 4) + ", p, 1, 1, " +
          (transposeB ? "0" : "1") + ";\n}\n";
  constraints += "l,r";
  operands.push_back(descB);
  operands.push_back(accumulate);
  return k.b
      .create<LLVM::InlineAsmOp>(getAccumulatorType(k.ctx, shape.n), operands,
                                 text, constraints, /*has_side_effects=*/true,
                                 /*is_align_stack=*/false,
                                 LLVM::tailcallkind::TailCallKind::None,
                                 LLVM::AsmDialectAttr(), ArrayAttr())
      .getResult(0);
}

void mlir::tessera::kit::wgmmaFence(KitBuilder &k) {
  k.b.create<NVVM::WgmmaFenceAlignedOp>();
}
void mlir::tessera::kit::wgmmaCommit(KitBuilder &k) {
  k.b.create<NVVM::WgmmaGroupSyncAlignedOp>();
}
void mlir::tessera::kit::wgmmaWait(KitBuilder &k, int64_t pending) {
  k.b.create<NVVM::WgmmaWaitGroupSyncOp>(pending);
}

Value mlir::tessera::kit::pinAccumulator(KitBuilder &k, Value acc,
                                         int64_t count) {
  SmallVector<Value> values;
  std::string constraints;
  for (int64_t e = 0; e < count; ++e) {
    values.push_back(k.b.create<LLVM::ExtractValueOp>(acc, e));
    constraints += "=f,";
  }
  for (int64_t e = 0; e < count; ++e)
    constraints += std::to_string(e) + (e + 1 < count ? "," : "");
  return k.b
      .create<LLVM::InlineAsmOp>(acc.getType(), values, "", constraints,
                                 /*has_side_effects=*/true,
                                 /*is_align_stack=*/false,
                                 LLVM::tailcallkind::TailCallKind::None,
                                 LLVM::AsmDialectAttr(), ArrayAttr())
      .getResult(0);
}

void mlir::tessera::kit::keepAlive(KitBuilder &k, ValueRange values) {
  std::string constraints;
  for (size_t i = 0; i < values.size(); ++i)
    constraints += i ? ",r" : "r";
  k.b.create<LLVM::InlineAsmOp>(Type(), values, "", constraints,
                                /*has_side_effects=*/true,
                                /*is_align_stack=*/false,
                                LLVM::tailcallkind::TailCallKind::None,
                                LLVM::AsmDialectAttr(), ArrayAttr());
}

//===----------------------------------------------------------------------===//
// mma.sync
//===----------------------------------------------------------------------===//

SmallVector<Value, 4> mlir::tessera::kit::ldmatrixX4(KitBuilder &k,
                                                     Value shared, Value row,
                                                     Value col,
                                                     bool transpose) {
  Type element = cast<MemRefType>(shared.getType()).getElementType();
  auto fragType = VectorType::get({4, 2}, element);
  Value frag = k.b.create<nvgpu::LdMatrixOp>(
      fragType, shared, ValueRange{row, col}, transpose, 4);
  SmallVector<Value, 4> regs;
  for (int64_t r = 0; r < 4; ++r)
    regs.push_back(k.b.create<vector::ExtractOp>(frag, r));
  return regs;
}

Value mlir::tessera::kit::packMmaOperand(KitBuilder &k, Value pair) {
  if (cast<VectorType>(pair.getType()).getElementType().isBF16())
    return k.b.create<LLVM::BitcastOp>(k.i32, pair);
  return pair; // f16: vector<2xf16> is the operand form
}

SmallVector<Value, 4> mlir::tessera::kit::mmaM16N8K16(KitBuilder &k,
                                                      Type element,
                                                      ValueRange a,
                                                      ValueRange b,
                                                      ValueRange c) {
  Type result = LLVM::LLVMStructType::getLiteral(
      k.ctx, SmallVector<Type>(4, k.b.getF32Type()));
  NVVM::MMATypes type =
      element.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  auto mma = k.b.create<NVVM::MmaOp>(
      result, a, b, c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt,
      std::nullopt, std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value, 4> out;
  for (int64_t e = 0; e < 4; ++e)
    out.push_back(k.b.create<LLVM::ExtractValueOp>(mma, e));
  return out;
}
