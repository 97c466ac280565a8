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
// Schedules
//===----------------------------------------------------------------------===//

def Tessera_ScheduleAttr : AttrDef<Tessera_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "how a GPU kernel tiles one op";
  let description = [{
    The tiling decision for a tensor-core kernel, as data: a thread block
    computes a `block_m` x `block_n` tile of the result, stepping through K
    in `block_k` slices that a `stages`-deep shared-memory pipeline keeps in
    flight. `warps` is the thread block's size in warps. Thread blocks form
    `cluster_m` x `cluster_n` clusters (today's kernels take 1 x 1) and are
    rasterized in groups of `swizzle` block rows for L2 reuse. `split_k` > 1
    splits K across that many thread blocks whose partial sums are reduced.

    `mma` names the kernel family: `"mma_sync"` (the default; sm_80 and
    later: cp.async, ldmatrix, mma.sync) or `"wgmma"` (sm_90a: TMA loads
    into 128-byte-swizzled shared memory, an mbarrier ring, wgmma from
    shared memory). A wgmma block is one producer warpgroup and
    `warps / 4 - 1` consumer warpgroups, each computing `block_m /
    consumers` rows (a multiple of 64) of the tile. Its `block_k` fills a
    128-byte swizzled row: 64 bf16/f16 or 128 fp8 elements.

    `swap_ab` (wgmma, for decode: few rows of A against a weight B stored
    `[N, K]`) computes each tile transposed, so that B's rows fill wgmma's
    64-row side and A's `block_m` rows its n side: each consumer takes
    `block_n / consumers` columns (a multiple of 64). Its `split_k` splits
    K over a cluster of that many thread blocks, whose partial sums meet in
    the first block's shared memory.

    An op whose M is dynamic can carry several schedules, each serving the
    M up to its `max_m` (0: unbounded); the runtime picks one per launch.

    `tessera-gpu-select-schedule` chooses schedules per target and shape; a
    schedule already on an op is kept (after checking it against the target),
    so tests and autotuners can pin one:

    ```mlir
    %c = tessera.matmul %a, %b {schedules = [#tessera.schedule<block_m = 128,
        block_n = 128, block_k = 64, stages = 3, warps = 8, swizzle = 8>]}
        : tensor<4096x4096xbf16>, tensor<4096x4096xbf16> -> tensor<4096x4096xbf16>
    ```
  }];
  let parameters = (ins
    "int64_t":$block_m,
    "int64_t":$block_n,
    "int64_t":$block_k,
    "int64_t":$stages,
    "int64_t":$warps,
    DefaultValuedParameter<"int64_t", "1">:$cluster_m,
    DefaultValuedParameter<"int64_t", "1">:$cluster_n,
    DefaultValuedParameter<"int64_t", "1">:$swizzle,
    DefaultValuedParameter<"int64_t", "1">:$split_k,
    DefaultValuedParameter<"int64_t", "0">:$max_m,
    StringRefParameter<"tensor-core instruction", "\"mma_sync\"">:$mma,
    DefaultValuedParameter<"bool", "false">:$swap_ab
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Tessera_ScheduleArrayAttr
    : TypedArrayAttrBase<Tessera_ScheduleAttr, "array of schedules">;

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
/// A per-tensor scale: a 0-D f32 tensor, so that it is a run-time value.
def Tessera_ScaleTensor
    : Type<And<[TensorOf<[F32]>.predicate, HasAnyRankOfPred<[0]>]>,
           "0-D tensor of f32 (a per-tensor scale)",
           "::mlir::TensorType">,
      BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;

#endif // TESSERA_BASE_TD
