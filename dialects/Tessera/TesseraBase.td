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

    `stream_k` (wgmma without `swap_ab`) shares the K steps of all tiles
    evenly between the persistent thread blocks, so that a grid of few
    tiles still fills the SMs: a block that takes up a tile after its first
    K step leaves its f32 partial sums in a workspace, and the block that
    computed the tile's first steps adds them before the epilogue. The
    schedule selector does not choose it: on the H100 it measured 1.1-2x
    slower than the same tile without it (each block's run of K steps spans
    several tiles, so the tiles in flight lie far apart and miss in L2).

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
    DefaultValuedParameter<"bool", "false">:$swap_ab,
    DefaultValuedParameter<"bool", "false">:$stream_k
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Tessera_ScheduleArrayAttr
    : TypedArrayAttrBase<Tessera_ScheduleAttr, "array of schedules">;

def Tessera_AttentionScheduleAttr
    : AttrDef<Tessera_Dialect, "AttentionSchedule"> {
  let mnemonic = "attention_schedule";
  let summary = "how a GPU kernel tiles one attention";
  let description = [{
    The tiling of a fused attention kernel, as data. A thread block computes
    `block_q` rows of the output of one KV head and streams that head's
    keys and values in tiles of `block_kv` through a `stages`-deep
    shared-memory ring. A row is a (query position, query head) pair: one
    query head per block, or with `pack_gqa` all `Hq / Hkv` query heads of
    the KV head (rows ordered head-major: `block_q / (Hq / Hkv)` positions
    of each head), so that decoding reads each KV byte once per KV head.

    `split_kv` > 1 splits every row's keys into that many parts computed by
    different blocks, each writing a partial output and its log-sum-exp to
    device temporaries that a second kernel merges (flash-decoding); 0
    chooses the count at run time from the sizes (the smallest that fills
    the SMs); 1 writes the output directly.

    `mma` names the kernel family. `"wgmma"` (sm_90a, the FlashAttention-3
    design): one producer warpgroup loads Q once and K/V tiles by TMA;
    `warps / 4 - 1` consumer warpgroups own 64 rows each (`block_q` = 64 x
    consumers), compute S = Q K^T and O += P V with wgmma (P from
    registers) and the online softmax in f32, and overlap one tile's
    softmax with the next tile's Q K^T; `pingpong` also orders the
    consumers' GEMMs with named barriers so that one's softmax runs under
    the other's GEMMs. `"mma_sync"` (sm_80 and later, the FlashAttention-2
    design): `warps` warps own 16 rows each of `block_q`, with cp.async
    loads, ldmatrix and mma.sync.

    An attention with a dynamic Sq can carry several schedules, each
    serving Sq up to its `max_sq` (0: unbounded, last); the runtime picks
    one per launch. `tessera-gpu-select-schedule` chooses them unless the
    op pins them:

    ```mlir
    %o = tessera.attention %q, %k, %v {causal, schedules = [
        #tessera.attention_schedule<block_q = 128, block_kv = 128, stages = 2,
                                    warps = 12, split_kv = 3>]} : ...
    ```
  }];
  let parameters = (ins
    "int64_t":$block_q,
    "int64_t":$block_kv,
    "int64_t":$stages,
    "int64_t":$warps,
    DefaultValuedParameter<"int64_t", "1">:$split_kv,
    DefaultValuedParameter<"bool", "false">:$pack_gqa,
    DefaultValuedParameter<"bool", "false">:$pingpong,
    DefaultValuedParameter<"int64_t", "0">:$max_sq,
    StringRefParameter<"tensor-core instruction", "\"wgmma\"">:$mma
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Tessera_AttentionScheduleArrayAttr
    : TypedArrayAttrBase<Tessera_AttentionScheduleAttr,
                         "array of attention schedules">;

//===----------------------------------------------------------------------===//
// Kernel ABI and launch plans
//===----------------------------------------------------------------------===//

def Tessera_KernelParamAttr : AttrDef<Tessera_Dialect, "KernelParam"> {
  let mnemonic = "kernel_param";
  let summary = "one parameter of a kernel launch and what it binds";
  let description = [{
    `kind` is `"memref"` (the MLIR memref descriptor of value `value`),
    `"tmap"` (a TMA tensor map of value `value`, passed by value: `box` in
    elements, innermost dimension first, one size per dimension of the
    value, and `swizzle` in bytes: 0, 32, 64 or 128), `"i64"` or `"i32"`
    (the integer expression `expr`).

    Values are numbered per op: its operands first, then its results, then
    the temporaries of its launch plan. Expressions are those of the
    artifact's plans (integers, `+`, `*`, `cdiv`, `min`, `max`) over value
    sizes written `v<value>.<dimension>` (`v0.1`: dimension 1 of operand 0).
  }];
  let parameters = (ins
    StringRefParameter<"memref, tmap, i64 or i32">:$kind,
    DefaultValuedParameter<"int64_t", "-1">:$value,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$box,
    DefaultValuedParameter<"int64_t", "0">:$swizzle,
    StringRefParameter<"an integer expression", "\"\"">:$expr
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Tessera_KernelAbiAttr : AttrDef<Tessera_Dialect, "KernelAbi"> {
  let mnemonic = "kernel_abi";
  let summary = "how to launch one kernel: its grid, block and parameters";
  let description = [{
    The contract between a kernel built for an op and the launch plan: the
    `kernel` (a `gpu.func` of `@tessera_kernels`), the `grid` (three
    expressions over the op's value sizes, see `#tessera.kernel_param`), the
    `block` size in threads, the thread-block `cluster` (empty: none; the
    kernel then carries `nvvm.cluster_dim`), the dynamic `shared_memory` in
    bytes and the `params` in order. The compiler builds the artifact's
    launch steps from it alone.
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$kernel,
    "::mlir::ArrayAttr":$grid,
    "::mlir::DenseI64ArrayAttr":$block,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$cluster,
    "int64_t":$shared_memory,
    "::mlir::ArrayAttr":$params
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Tessera_TemporaryAttr : AttrDef<Tessera_Dialect, "Temporary"> {
  let mnemonic = "temporary";
  let summary = "a device buffer a launch plan allocates for one invoke";
  let description = [{
    A temporary of `element` type whose `dims` are expressions over the
    op's value sizes (see `#tessera.kernel_param`); with `zero`, it is
    filled with zero bytes before the op's first launch.
  }];
  let parameters = (ins
    "::mlir::Type":$element,
    "::mlir::ArrayAttr":$dims,
    DefaultValuedParameter<"bool", "false">:$zero
  );
  let assemblyFormat = "`<` struct(params) `>`";
}

def Tessera_LaunchPlanAttr : AttrDef<Tessera_Dialect, "LaunchPlan"> {
  let mnemonic = "launch_plan";
  let summary = "the kernels one schedule of an op runs, in order";
  let description = [{
    What `tessera-gpu-build-kernels` records for each schedule of an op (in
    `tessera.launch_plans`, in schedule order): the `condition` under which
    the runtime picks this schedule (a comparison `<expr> <= <expr>` over
    the op's value sizes; empty for the last, unconditional one), the
    `temporaries` it needs and the `launches`, each a
    `#tessera.kernel_abi`.
  }];
  let parameters = (ins
    StringRefParameter<"a size comparison, or empty", "\"\"">:$condition,
    "::mlir::ArrayAttr":$temporaries,
    "::mlir::ArrayAttr":$launches
  );
  let assemblyFormat = "`<` struct(params) `>`";
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
/// A per-tensor scale: a 0-D f32 tensor, so that it is a run-time value.
def Tessera_ScaleTensor
    : Type<And<[TensorOf<[F32]>.predicate, HasAnyRankOfPred<[0]>]>,
           "0-D tensor of f32 (a per-tensor scale)",
           "::mlir::TensorType">,
      BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;

#endif // TESSERA_BASE_TD
