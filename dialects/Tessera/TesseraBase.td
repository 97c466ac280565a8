//===- TesseraBase.td - Tessera dialect definition ---------*- tablegen -*-===//
//
// The `tessera` dialect: its definition, enums and shared type constraints.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_BASE_TD
#define TESSERA_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tessera_Dialect : Dialect {
  let name = "tessera";
  let cppNamespace = "::mlir::tessera";
  let summary = "Tensor-level ops for attention, GEMM, FFT convolution and sparse kernels";
  let description = [{
    The `tessera` dialect describes the compute-heavy ops of LLM and
    long-sequence models at tensor level: matrix multiplication with fused
    epilogues, fused (grouped-query, causal, sliding-window) attention and the
    log-sum-exp merge of partial attentions, causal long convolution
    (computed through FFTs when lowered for speed) and sparse-dense and
    sparse-sparse matrix products.

    Ops have value (tensor) semantics and no side effects. Batch and
    sequence dimensions may be dynamic (`?`); verifiers check every relation
    between static sizes and leave the dynamic ones to run-time checks.
    Floating-point ops accumulate in f32 whatever their operand types; the
    element type of the result is chosen by the result type.

    `tessera-lower-to-linalg` gives every op its reference meaning in
    upstream `linalg`, `tensor`, `arith` and `math` ops.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let useDefaultAttributePrinterParser = 1;
}

class Tessera_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tessera_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tessera_Epilogue : I32EnumAttr<"Epilogue",
    "elementwise activation fused after a matmul", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Relu", 1, "relu">,
      I32EnumAttrCase<"GeluTanh", 2, "gelu_tanh">,
      I32EnumAttrCase<"Silu", 3, "silu">
    ]> {
  let cppNamespace = "::mlir::tessera";
  let genSpecializedAttr = 0;
}

def Tessera_EpilogueAttr : EnumAttr<Tessera_Dialect, Tessera_Epilogue,
                                    "epilogue"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

/// Floating-point element types Tessera computes with.
def Tessera_FloatElement : AnyTypeOf<[F32, F16, BF16, F8E4M3FN, F8E5M2]>;
/// Matmul also takes 8-bit integers (accumulated in i32).
def Tessera_MatmulElement : AnyTypeOf<[F32, F16, BF16, F8E4M3FN, F8E5M2, I8]>;
/// Results and outputs are written in f32, f16 or bf16 (matmul also allows
/// i32 for integer products).
def Tessera_ResultElement : AnyTypeOf<[F32, F16, BF16]>;

def Tessera_FloatTensor : RankedTensorOf<[Tessera_FloatElement]>;
def Tessera_MatmulTensor : RankedTensorOf<[Tessera_MatmulElement]>;
def Tessera_ResultTensor : RankedTensorOf<[Tessera_ResultElement]>;
def Tessera_F32Tensor : RankedTensorOf<[F32]>;

#endif // TESSERA_BASE_TD
