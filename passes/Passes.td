//===- Passes.td - Tessera passes --------------------------*- tablegen -*-===//
//
// Graph passes and lowerings of the `tessera` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_PASSES_TD
#define TESSERA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TesseraLowerToLinalg : Pass<"tessera-lower-to-linalg"> {
  let summary = "Lower tessera ops to their reference meaning in linalg";
  let description = [{
    Rewrites every `tessera` op into upstream `linalg`, `tensor`, `arith`
    and `math` ops on tensors that compute exactly the op's documented
    semantics:

    - `tessera.matmul`: a `linalg.generic` contraction over the broadcast
      batch dimensions accumulating in f32 (i32 for i8), then an elementwise
      `linalg.generic` for alpha, bias, activation and the output cast.
    - `tessera.attention`: queries are regrouped as `[B, Hkv, G, Sq, D]` so
      that every indexing map is a projected permutation; scaled `QK^T`, the
      causal / sliding-window mask built from `linalg.index`, a numerically
      stable softmax (row max, exponentials, row sum), `PV`, the final
      normalization and the log-sum-exp.
    - `tessera.merge_attention`: two elementwise `linalg.generic`s (the
      merged output and the merged log-sum-exp).
    - `tessera.fftconv`: the direct causal convolution (left-padded input,
      reversed filter); with `keep_frequencies`, the truncated-spectrum
      filter is built explicitly and applied as a circular convolution.
    - `tessera.spmm` / `tessera.spgemm`: `linalg.matmul` on sparse tensors,
      which the upstream `sparsifier` compiles.

    This is the starting point of the CPU path and the semantic reference
    for every faster lowering. It works on dynamic shapes: sizes are taken
    from the operands with `tensor.dim`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::sparse_tensor::SparseTensorDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def TesseraCpuTileAndVectorize
    : Pass<"tessera-cpu-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops on tensors for the CPU and vectorize the tiles";
  let description = [{
    A contraction whose operand reads the vectorized N dimension with a
    stride (`transpose_b` weights) first gets a `linalg.transpose` of that
    operand, so that its kernel loads contiguous vectors.

    For every linalg op on dense tensors: tiles it with `scf.for` loops,
    peels the loops whose trip count may not divide by the tile (so the main
    loops hold full, static tiles), and vectorizes every tile, with masks
    only in the partial ones; then hoists loop-invariant accumulator reads
    and writes out of reduction loops so they stay in registers.

    Tile sizes come from the op's structure:
    - contractions (matmul-like, as found by `linalg::inferContractionDims`):
      first cache blocks of 128 x 512 x 256 on the innermost M, N and K
      dimensions, in loop order N, K, M (a K x N panel of the right operand
      stays in L2 while M sweeps under it); inside a block, `m-tile` rows by
      `n-tile` columns, reduction step 1 (a register-blocked outer-product
      kernel); other dimensions 1;
    - other ops: `vector-width` along the innermost loop, 1 elsewhere.

    Ops whose tiles cannot be vectorized (non-projected indexing maps, data
    dependent gathers) keep their tiled scalar form.
  }];
  let options = [
    // 6 x 16 keeps 12 accumulators in AVX2's 16 vector registers; it was
    // the fastest of 3x32, 4x32, 5x16, 6x16, 8x16 and 8x32 measured for f32
    // matmul on this project's (AVX2) machines.
    Option<"mTile", "m-tile", "int64_t", /*default=*/"6",
           "Rows of the register tile of contractions">,
    Option<"nTile", "n-tile", "int64_t", /*default=*/"16",
           "Columns of the register tile of contractions">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Vector length of the innermost loop of other ops">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def TesseraMemRefCopyToLinalg
    : Pass<"tessera-memref-copy-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between non-contiguous
    buffers (subviews, from `tensor.pad` or tiling) to a call to
    `memrefCopy` from MLIR's C runner utilities, which Tessera's
    self-contained CPU objects cannot call. As `linalg.copy`, the copy
    becomes an ordinary loop nest.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TesseraDeallocSparseTensors
    : Pass<"tessera-dealloc-sparse-tensors", "::mlir::func::FuncOp"> {
  let summary = "Release converted sparse tensors after their last use";
  let description = [{
    The sparsifier allocates the storage of every sparse tensor that a
    `sparse_tensor.convert` creates but frees it only where
    `bufferization.dealloc_tensor` says so. This pass adds that op after the
    last use of each such tensor in its block, unless the function returns
    it, so compiled sparse code does not leak on every call. (Assembled
    tensors wrap their operands' buffers and are left alone.)
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def TesseraGpuSelectSchedule
    : Pass<"tessera-gpu-select-schedule", "::mlir::ModuleOp"> {
  let summary = "Choose the tensor-core schedule of every GPU op for a target";
  let description = [{
    Gives every `tessera.matmul` a `schedules` attribute (see
    `#tessera.schedule`) for `target`, and checks the schedules an op already
    carries against that target instead of replacing them. Operands must be
    bf16 or f16, or fp8 (e4m3fn, e5m2) on sm_90a; other element types are an
    error that names the op's operands. fp8 operands must be K-major (A
    stored `[M, K]`, B stored `[N, K]` with `transpose_b`, as wgmma reads
    fp8) and TMA-loadable (K a static multiple of 16), else an error says
    which. SMs: 132 on sm_90a (H100 SXM), 108 on sm_80 (A100).

    sm_90a, B stored `[N, K]` (`transpose_b`, A not transposed), both
    TMA-loadable, N, K and the batch static: a cost model picks among every
    wgmma schedule. The candidates are the persistent tiles (256 x 128,
    128 x 256, 128 x 128, 128 x 64; fp8 the last two) and `swap_ab` (A and
    B swapped: 64 or 128 rows of B on wgmma's m side, one or two consumer
    warpgroups, by the tokens split in 1 to 8 token tiles of multiples of
    8, K unsplit or split over a cluster of 2, 4 or 8 blocks); `stream_k`
    only when pinned (it measured slower, see `#tessera.schedule`). A
    schedule's modelled time is the slowest of the busiest SM's tensor-core
    time (wgmma's rate falls with a narrow n side), its reads from L2, all
    blocks' L2 reads and the DRAM traffic at the bandwidth the busy SMs can
    draw, plus the epilogue's stores and the cluster's reduction; its
    constants are fitted to schedules timed on the H100
    (docs/benchmarks.md). A
    static M gets the least modelled time; a dynamic M gets one schedule
    per token class (M up to 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
    512, 1024, 2048, then any), the one whose modelled time relative to the
    best schedule for each exact M is least at the worst of the class's
    first, middle and last M.

    sm_90a otherwise, M > 64, operands whose contiguous dimension is a
    static multiple of 16 bytes (TMA rows): the persistent wgmma kernel
    (`mma = "wgmma"`, 12 warps: a producer and two consumer warpgroups).
    The tile is the first of 256 x 128, 128 x 256, 128 x 128, 128 x 64
    (fp8: of the last two) whose tile count fills at least 80% of the SMs
    (256 rows only for M > 128), else the smallest; the first when M is
    unknown. `block_k` fills a 128-byte swizzled row (64 16-bit or 128 fp8
    elements); as many stages as shared memory holds, at most 8 (fp8: 4,
    measured best).

    sm_90a otherwise, M <= 64 (decode), B stored `[N, K]`, TMA-loadable
    (N, K or the batch dynamic): `swap_ab` with 64 rows of B by M rounded up
    to 8 per block, one consumer warpgroup, no split, and as many stages
    (at most 8) as two blocks per SM leave room for.

    Otherwise the mma.sync kernels:

    - M <= 64 (decode, memory-bound): 32 x 64 x 64 tiles, 4 stages, 4 warps;
      where 64-wide tiles would leave SMs idle, 32 x 32 x 128 with 6 stages
      (fewer blocks, each with more bytes in flight).
    - Larger M: 128 x 128 x 64, 3 stages, 8 warps, swizzle 8.
    - A smaller `block_n` (64) where N < 128.
    - Split-K: when the static grid (batch x M tiles x N tiles) fills
      fewer than a quarter of the SMs and K is static, K is split over up
      to SMs / grid thread blocks, keeping at least 4 `block_k` steps per
      split.

    Dynamic M outside the cost model: one schedule per M class, picked at
    launch: M <= 64, then unbounded (sm_80); M <= 64, M <= 256, then
    unbounded (sm_90a).

    Checks on every schedule: its shared memory fits the target (227 KiB on
    sm_90a, 163 KiB on sm_80); mma.sync tiles are multiples of 16; wgmma
    needs sm_90a, TMA-loadable operands and a 128-byte `block_k`; fp8 needs
    wgmma and at most 64 x 128 accumulators per consumer warpgroup (they
    are kept twice, see below); no `cluster_m`/`cluster_n` yet.

    `tessera.attention` gets one `#tessera.attention_schedule` per class of
    Sq (`tessera.merge_attention` needs none). Operands are bf16 or f16 with
    head dims up to 256 in multiples of 8 (16-byte rows); others are an
    error naming the operand. With G = Hq / Hkv query heads per KV head:

    - Decode class, Sq <= max(1, 64 / G) (all of a dynamic Sq's rows up to
      that bound, `max_sq`): one 64-row block per KV head with the G query
      heads packed into its rows (`pack_gqa`, when 64 % G == 0), so each KV
      byte is read once per KV head; KV split at run time (`split_kv = 0`)
      into the largest count whose blocks still fit the SMs in one wave,
      keeping two KV tiles per split (flash-decoding), the f32 partials
      merged by log-sum-exp in a second kernel.
    - Prefill class (every other Sq): sm_90a, the persistent
      warp-specialized wgmma kernel with FlashAttention-3's tiles: 192 query
      rows (three consumer warpgroups) at d <= 64, else 128 (two); 128-key
      tiles up to d = 128, 80 at d = 256 (S and O stay in registers); no
      split. sm_80: FlashAttention-2's four warps of 16 rows, 64-key tiles
      (32 above d = 128).
    - Stages: as many as shared memory holds, 4 down to 2 (the sm_90a kernel
      stages its output rows through shared memory when a row is at most
      256 bytes, which costs a stage at d = 128).
    - A static Sq gets the one class it falls in; a dynamic Sq gets both,
      chosen at launch by `Sq <= max_sq`.

    A pinned attention schedule is checked: wgmma needs sm_90a; `pack_gqa`
    needs `block_q` a multiple of G; mma.sync `block_kv` is a multiple of
    16; the shared memory fits (the attribute's own verifier checks the
    rest, such as `pingpong` needing wgmma and two consumer warpgroups).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90a\"",
           "GPU target: sm_90a or sm_80">
  ];
}

def TesseraGpuBuildKernels
    : Pass<"tessera-gpu-build-kernels", "::mlir::ModuleOp"> {
  let summary = "Build the tensor-core kernels of every op's schedules";
  let description = [{
    For every schedule of every op that has a GPU kernel family
    (`tessera.matmul`, `tessera.attention`, `tessera.merge_attention`; see
    `tessera-gpu-select-schedule`), adds its kernels to the
    `gpu.module @tessera_kernels` of the module and records on the op how
    to launch them: `tessera.launch_plans`, one `#tessera.launch_plan` per
    schedule (its condition, device temporaries and launches, each a
    `#tessera.kernel_abi`: grid, block, cluster, shared memory and
    parameters bound to the op's values). The op itself stays: the compiler
    turns the launch plans into the artifact's plan. Matmul kernels are
    named `tessera_matmul_<n>`, attention kernels
    `tessera_attention_<n>` (and `..._merge`), merge kernels
    `tessera_merge_attention_<n>`.

    wgmma kernel (sm_90a, `mma = "wgmma"`): persistent (at most one block
    per SM, walking the tiles), warp-specialized: a producer warpgroup
    issues TMA copies of A and B tiles into a `stages`-deep ring of
    128-byte-swizzled shared memory, synchronized by full/empty mbarriers;
    consumer warpgroups run wgmma.mma_async from shared memory with f32
    accumulators in registers and one wgmma group in flight. The epilogue
    stages interior tiles through shared memory into 16-byte stores and
    stores edge tiles element by element. The kernel takes the TMA
    descriptors of A and B first (the compiler passes them by value); its
    grid is at most one block per SM. With `swap_ab` (decode) the kernel is
    not persistent: B's rows fill wgmma's 64-row side and A's rows its n
    side, one tile per cluster of `split_k` blocks (`nvvm.cluster_dim`),
    whose partial sums meet in the first block's shared memory through
    distributed shared memory and a cluster barrier.

    fp8 (e4m3fn/e5m2, mixed allowed): k32 instructions, 128-element
    `block_k`, both operands K-major. The tensor cores add fp8 products with
    fewer bits than f32, so each K step's wgmma start from zero (scale-d =
    0) in one of two alternating register sets and are added into the f32
    accumulators once complete, while the next step's run. Per-tensor
    scales (`scales(%scale_a, %scale_b)`) are kernel arguments after A and
    B, read once and multiplied in before alpha.

    Kernel (mma.sync, sm_80 and later): a thread block computes a
    `block_m` x `block_n` tile with `warps` warps arranged as squarely as
    16 x 16 warp tiles allow. A `stages`-deep ring of shared-memory buffers
    (rows padded by 16 bytes against bank conflicts) is filled by
    `cp.async` 16-byte copies, zero-filled past M, N and K; each 16-wide k
    step loads fragments with `ldmatrix` (`.trans` for transposed
    operands) and issues `mma.sync.m16n8k16` with f32 accumulators held in
    registers. Operands whose contiguous dimension is not a static multiple
    of 8 elements are loaded element by element into a single buffer
    instead. Blocks are rasterized in groups of `swizzle` block rows; the
    grid's z dimension is the batch (an operand with batch 1 broadcasts).
    The epilogue applies alpha, the bias, the activation and the output
    cast in registers and stores with bounds checks.

    With `split_k` > 1, the grid's z dimension also enumerates the K
    splits, partial sums are added atomically into a zeroed f32 workspace,
    and a second kernel (`<kernel>_epilogue`, one thread per element)
    applies the epilogue.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90a\"",
           "GPU target: sm_90a or sm_80">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // TESSERA_PASSES_TD
