//===- Epilogue.h - Finishing accumulators into results ---------*- C++ -*-===//
//
// The elementwise end of every kernel: scale, alpha, bias, activation and
// the cast to the result type, on one f32 value; and the one definition of
// each activation, shared with the CPU lowering's meaning (TesseraOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_GPU_KIT_EPILOGUE_H
#define TESSERA_PASSES_GPU_KIT_EPILOGUE_H

#include "dialects/Tessera/TesseraOps.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::tessera::kit {

/// exp(x) as 2^(x log2 e) on the special-function unit (relative error
/// about 2^-22), so that kernels need no libdevice.
Value fastExp(ImplicitLocOpBuilder &b, Value x);
/// 2^x on the special-function unit (ex2.approx.f32).
Value fastExp2(ImplicitLocOpBuilder &b, Value x);
/// log2(x) on the special-function unit (lg2.approx.f32).
Value fastLog2(ImplicitLocOpBuilder &b, Value x);

/// The activation `epilogue` of f32 `x`.
Value activate(ImplicitLocOpBuilder &b, Epilogue epilogue, Value x);

/// What the epilogue applies, in order.
struct EpilogueSpec {
  float alpha = 1.0f;
  Epilogue activation = Epilogue::None;
  /// The result element type (f32, bf16 or f16).
  Type output;
};

/// scale (null: none), alpha, bias[n] (null: none; any float type), the
/// activation and the output cast of one f32 result `v`.
Value finishElement(ImplicitLocOpBuilder &b, const EpilogueSpec &spec, Value v,
                    Value bias, Value n, Value scale = Value());

} // namespace mlir::tessera::kit

#endif // TESSERA_PASSES_GPU_KIT_EPILOGUE_H
