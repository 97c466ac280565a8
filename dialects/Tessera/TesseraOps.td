//===- TesseraOps.td - Tessera operations ------------------*- tablegen -*-===//
//
// The ops of the `tessera` dialect: matmul, attention, merge_attention,
// fftconv, spmm and spgemm.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_OPS_TD
#define TESSERA_OPS_TD

include "dialects/Tessera/TesseraBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

def Tessera_MatmulOp : Tessera_Op<"matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "batched matrix multiplication with a fused epilogue";
  let description = [{
    Computes, for every batch index,

    ```
    result[..., m, n] = epilogue(alpha * scale_a * scale_b
                                 * sum_k A[..., m, k] * B[..., k, n] + bias[n])
    ```

    `a` is `[*batch, M, K]` (`[*batch, K, M]` with `transpose_a`) and `b` is
    `[*batch, K, N]` (`[*batch, N, K]` with `transpose_b`). The batch
    dimensions of `a` and `b` broadcast against each other as in NumPy
    (aligned from the right; a missing dimension or a dimension of static
    size 1 broadcasts). A dynamic batch dimension only broadcasts when the
    other operand lacks it; two dynamic sizes must agree at run time.
    `bias`, when present, is `[N]` of f32 or of the result element type.

    Products are accumulated in f32 (in i32 when both operands are i8); the
    accumulator is then scaled by `alpha`, the bias added, the `epilogue`
    activation applied, and the value converted to the result element type.
    Activations: `relu(x) = max(x, 0)`,
    `gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`,
    `silu(x) = x / (1 + exp(-x))`.

    `a` and `b` have the same element type, except that the two fp8 types
    may be mixed. An i8 matmul may produce i32 only without alpha, bias or
    epilogue.

    fp8 operands may carry per-tensor scales, `scales(%scale_a, %scale_b)`:
    two 0-D f32 tensors, read at run time (the factors by which the fp8
    values were divided when they were quantized, as `torch._scaled_mm`
    takes them). Both are given or neither.

    Example:

    ```mlir
    %y = tessera.matmul %x, %w, %bias {transpose_b, epilogue = #tessera.epilogue<silu>}
        : tensor<?x4096xbf16>, tensor<11008x4096xbf16>, tensor<11008xf32>
        -> tensor<?x11008xbf16>
    %z = tessera.matmul %x8, %w8 scales(%sx, %sw) {transpose_b}
        : tensor<?x4096xf8E4M3FN>, tensor<4096x4096xf8E4M3FN>
        -> tensor<?x4096xbf16>
    ```

    `schedules` (optional) holds the GPU kernel's tiling, one
    `#tessera.schedule` per class of M (see the attribute); it is chosen by
    `tessera-gpu-select-schedule` unless the input pins it, and the CPU
    pipeline ignores it.
  }];

  let arguments = (ins Tessera_MatmulTensor:$a,
                       Tessera_MatmulTensor:$b,
                       Optional<Tessera_ResultTensor>:$bias,
                       Optional<Tessera_ScaleTensor>:$scale_a,
                       Optional<Tessera_ScaleTensor>:$scale_b,
                       UnitAttr:$transpose_a,
                       UnitAttr:$transpose_b,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedAttr<Tessera_EpilogueAttr,
                                         "::mlir::tessera::Epilogue::None">:$epilogue,
                       OptionalAttr<Tessera_ScheduleArrayAttr>:$schedules);
  let results = (outs RankedTensorOf<[F32, F16, BF16, I32]>:$result);

  let assemblyFormat = [{
    $a `,` $b (`,` $bias^)? (`scales` `(` $scale_a^ `,` $scale_b `)`)?
    attr-dict `:` type($a) `,` type($b)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

def Tessera_AttentionOp : Tessera_Op<"attention", [Pure]> {
  let summary = "fused scaled dot-product attention (MHA, GQA, MQA)";
  let description = [{
    `q` is `[B, Hq, Sq, D]`, `k` is `[B, Hkv, Skv, D]` and `v` is
    `[B, Hkv, Skv, Dv]`, with `Hq % Hkv == 0`. Query head `h` reads key/value
    head `h / (Hq / Hkv)` (grouped-query attention; `Hkv == 1` is multi-query
    attention). `B`, `Sq` and `Skv` may be dynamic; head counts and head
    dimensions are static.

    ```
    s[b, h, i, j] = scale * sum_d q[b, h, i, d] * k[b, h / G, j, d]
    p[b, h, i, :] = softmax_j(s[b, h, i, :] over the visible keys)
    out[b, h, i, e] = sum_j p[b, h, i, j] * v[b, h / G, j, e]
    lse[b, h, i] = log(sum_j exp(s[b, h, i, j]))   (visible keys, natural log)
    ```

    `scale` defaults to `1 / sqrt(D)`. Without `causal` every key is
    visible. With `causal`, the mask is aligned to the bottom-right corner as
    in FlashAttention: query `i` sees key `j` iff `j <= i + Skv - Sq`. A
    sliding `window` (which requires `causal`) further hides keys with
    `j <= i + Skv - Sq - window`, so each query sees at most `window` keys.
    A query that sees no key produces `out = 0` and `lse = -inf`.

    Scores, softmax and both products are computed in f32. The optional
    second result is the f32 log-sum-exp `[B, Hq, Sq]` that
    `tessera.merge_attention` consumes.

    `schedules` (optional) holds the GPU kernel's tiling, one
    `#tessera.attention_schedule` per class of Sq; it is chosen by
    `tessera-gpu-select-schedule` unless the input pins it, and the CPU
    pipeline ignores it.

    Example:

    ```mlir
    %o, %lse = tessera.attention %q, %k, %v {causal}
        : tensor<2x8x?x128xbf16>, tensor<2x2x?x128xbf16>, tensor<2x2x?x128xbf16>
        -> tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>
    ```
  }];

  let arguments = (ins Tessera_FloatTensor:$q,
                       Tessera_FloatTensor:$k,
                       Tessera_FloatTensor:$v,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<Tessera_AttentionScheduleArrayAttr>:$schedules);
  let results = (outs Tessera_ResultTensor:$out,
                      Optional<Tessera_F32Tensor>:$lse);

  let assemblyFormat = [{
    $q `,` $k `,` $v attr-dict `:` type($q) `,` type($k) `,` type($v)
    `->` type($out) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the `scale` attribute or 1/sqrt(D).
    float getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// merge_attention
//===----------------------------------------------------------------------===//

def Tessera_MergeAttentionOp : Tessera_Op<"merge_attention", [Pure]> {
  let summary = "exact log-sum-exp merge of two partial attentions";
  let description = [{
    Combines two attentions of the same queries over disjoint key sets (the
    primitive behind split-KV decoding and shared-prefix attention). With
    `o1`, `o2` of shape `[..., Dv]` and `lse1`, `lse2` of shape `[...]` (f32):

    ```
    m   = max(lse1, lse2)
    w1  = exp(lse1 - m), w2 = exp(lse2 - m)
    out = (w1 * o1 + w2 * o2) / (w1 + w2)
    lse = m + log(w1 + w2)
    ```

    which equals `(o1 e^lse1 + o2 e^lse2) / (e^lse1 + e^lse2)` without
    overflow. Where both `lse1` and `lse2` are `-inf` (no key seen by either
    part) the result is `out = 0`, `lse = -inf`. Computed in f32.

    Example:

    ```mlir
    %o, %lse = tessera.merge_attention %o1, %lse1, %o2, %lse2
        : tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>,
          tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
        -> tensor<4x8x1x128xbf16>, tensor<4x8x1xf32>
    ```
  }];

  let arguments = (ins Tessera_FloatTensor:$o1, Tessera_F32Tensor:$lse1,
                       Tessera_FloatTensor:$o2, Tessera_F32Tensor:$lse2);
  let results = (outs Tessera_ResultTensor:$out, Tessera_F32Tensor:$lse);

  let assemblyFormat = [{
    $o1 `,` $lse1 `,` $o2 `,` $lse2 attr-dict `:` type($o1) `,` type($lse1)
    `,` type($o2) `,` type($lse2) `->` type($out) `,` type($lse)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// fftconv
//===----------------------------------------------------------------------===//

def Tessera_FFTConvOp : Tessera_Op<"fftconv", [Pure]> {
  let summary = "causal long convolution (Hyena / FlashFFTConv)";
  let description = [{
    `u` is `[B, H, N]`, the per-channel filter `k` is `[H, L]` with
    `L <= N`, and the optional skip weight `d` is `[H]`:

    ```
    y[b, h, t] = sum_{s = max(0, t-L+1)}^{t} k[h, t-s] * u[b, h, s] + d[h] * u[b, h, t]
    ```

    Fast lowerings compute it with FFTs of size `2N` (the zero-padded linear
    convolution); this is its meaning. `B`, `N` and `L` may be dynamic.

    `keep_frequencies = F` (F >= 1) selects the frequency-sparse variant
    (FlashFFTConv's partial spectrum). Let `K[f]` be the length-`2N` DFT of
    the zero-padded filter, `K[f] = sum_{t<L} k[h, t] exp(-2 pi i f t / 2N)`.
    Only frequencies `f` with `min(f, 2N - f) < F` are kept (the `F` lowest
    and their conjugates, so the filter stays real), the others are set to
    zero. With `k'` the inverse DFT of the truncated spectrum (a real filter
    of length `2N`), the result is the first `N` samples of the circular
    convolution of the zero-padded `u` with `k'`:

    ```
    y[b, h, t] = sum_{s=0}^{N-1} k'[h, (t - s) mod 2N] * u[b, h, s] + d[h] * u[b, h, t]
    ```

    Truncation makes the filter non-causal and longer than `L`; `F > N`
    keeps every frequency and equals the plain convolution.

    `u`, `k` and `d` have the same element type; the sum is computed in f32.

    Example:

    ```mlir
    %y = tessera.fftconv %u, %k, %d
        : tensor<?x768x?xf16>, tensor<768x?xf16>, tensor<768xf16> -> tensor<?x768x?xf16>
    ```
  }];

  let arguments = (ins Tessera_FloatTensor:$u,
                       Tessera_FloatTensor:$k,
                       Optional<Tessera_FloatTensor>:$d,
                       OptionalAttr<I64Attr>:$keep_frequencies);
  let results = (outs Tessera_ResultTensor:$result);

  let assemblyFormat = [{
    $u `,` $k (`,` $d^)? attr-dict `:` type($u) `,` type($k)
    (`,` type($d)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// spmm / spgemm
//===----------------------------------------------------------------------===//

def Tessera_SpMMOp : Tessera_Op<"spmm", [Pure]> {
  let summary = "sparse times dense matrix multiplication";
  let description = [{
    `result[m, n] = sum_k A[m, k] * B[k, n]` with a sparse `A` `[M, K]` and
    a dense `B` `[K, N]`; the result is dense. `A`'s type carries a
    `#sparse_tensor.encoding`; Tessera recognizes CSR
    (`(i, j) -> (i : dense, j : compressed)`), BSR (block CSR: the map tiles
    both dimensions with `floordiv` / `mod` by the block shape, blocks stored
    dense) and 2:4 structured sparsity (`j mod 4 : structured[2, 4]`); other
    encodings the sparsifier understands (COO, CSC, DCSR) are accepted as
    well. Products are accumulated in f32.

    Example:

    ```mlir
    #CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
    %y = tessera.spmm %w, %x : tensor<4096x4096xf16, #CSR>, tensor<4096x?xf16>
        -> tensor<4096x?xf16>
    ```
  }];

  let arguments = (ins RankedTensorOf<[F32, F16, BF16]>:$a,
                       RankedTensorOf<[F32, F16, BF16]>:$b);
  let results = (outs RankedTensorOf<[F32, F16, BF16]>:$result);

  let assemblyFormat = [{
    $a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tessera_SpGEMMOp : Tessera_Op<"spgemm", [Pure]> {
  let summary = "sparse times sparse matrix multiplication";
  let description = [{
    `result[m, n] = sum_k A[m, k] * B[k, n]` with sparse `A` `[M, K]` and
    `B` `[K, N]`; the result is sparse in CSR
    (`(i, j) -> (i : dense, j : compressed)`). Products are accumulated in
    f32. An entry is stored in the result when some `k` has both `A[m, k]`
    and `B[k, n]` stored (even if the sum cancels to zero).

    Example:

    ```mlir
    #CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
    %c = tessera.spgemm %a, %b : tensor<?x?xf32, #CSR>, tensor<?x?xf32, #CSR>
        -> tensor<?x?xf32, #CSR>
    ```
  }];

  let arguments = (ins RankedTensorOf<[F32, F16, BF16]>:$a,
                       RankedTensorOf<[F32, F16, BF16]>:$b);
  let results = (outs RankedTensorOf<[F32, F16, BF16]>:$result);

  let assemblyFormat = [{
    $a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TESSERA_OPS_TD
