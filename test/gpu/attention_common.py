"""Shared pieces of the GPU attention numerics test and benchmark.

The first half (model graphs, schedules, compiling) needs only the Python
standard library: make_attention_cases.py and bench/attention/
make_bench_artifacts.py run it on the development machine, which has the
compiler but no torch. The second half (references, masks) imports torch
lazily and runs on the GPU machine.

Attention semantics (dialects/Tessera/TesseraOps.td, tessera.attention):
q [B, Hq, Sq, D], k [B, Hkv, Skv, D], v [B, Hkv, Skv, Dv]; query head h
reads kv head h // (Hq / Hkv). `causal` is aligned to the bottom-right
corner: query i sees key j iff j <= i + Skv - Sq; `window = W` also hides
keys j <= i + Skv - Sq - W. A query that sees no key has out = 0 and
lse = -inf. lse is the natural-log log-sum-exp of the scaled scores over
the visible keys. scale defaults to 1 / sqrt(D) (computed in f32).
"""
import math
import os
import struct
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RT_DIR = os.path.join(REPO, "bench", "gemm")  # tessera_rt.py lives there

# ---------------------------------------------------------------------------
# Graphs (no torch)
# ---------------------------------------------------------------------------


def f32(x):
    """`x` rounded to the nearest float32, as a Python float."""
    return struct.unpack("f", struct.pack("f", x))[0]


def default_scale(d):
    """The compiler's default scale, 1.0f / sqrtf(D), in f32."""
    return f32(1.0 / f32(math.sqrt(d)))


def effective_scale(scale, d):
    """The scale the kernels use: the f32 `scale` attribute or the default."""
    return default_scale(d) if scale is None else f32(scale)


def dim(x):
    """An MLIR dimension: '?' for None (dynamic), else the size."""
    return "?" if x is None else str(x)


def tensor(shape, t):
    return "tensor<" + "x".join([dim(s) for s in shape] + [t]) + ">"


def attention_schedule(target, split, block_q=None, block_kv=None, stages=2,
                       warps=None, mma=None, pack_gqa=False, pingpong=False):
    """A pinned #tessera.attention_schedule forcing `split` KV splits (0: the
    runtime chooses): by default on sm_90a 128 x 128 tiles, 2 stages, 12
    warps (wgmma: a producer and two consumer warpgroups of 64 rows); on
    sm_80 64 x 64 tiles, 2 stages, 4 warps, mma.sync."""
    if target == "sm_80":
        block_q, block_kv = block_q or 64, block_kv or 64
        warps, mma = warps or 4, mma or "mma_sync"
    else:
        block_q, block_kv, warps = block_q or 128, block_kv or 128, warps or 12
    params = (f"block_q = {block_q}, block_kv = {block_kv}, stages = {stages}, "
              f"warps = {warps}, split_kv = {split}")
    if pack_gqa:
        params += ", pack_gqa = true"
    if pingpong:
        params += ", pingpong = true"
    if mma:
        params += f', mma = "{mma}"'
    return f"#tessera.attention_schedule<{params}>"


def attention_attrs(causal=False, window=None, scale=None, schedule=None):
    attrs = []
    if causal or window is not None:
        attrs.append("causal")
    if window is not None:
        attrs.append(f"window = {window}")
    if scale is not None:
        attrs.append(f"scale = {scale!r} : f32")
    if schedule:
        attrs.append(f"schedules = [{schedule}]")
    return " {" + ", ".join(attrs) + "}" if attrs else ""


def attention_graph(name, dtype, out, b, hq, hkv, sq, skv, d, dv=None,
                    causal=False, window=None, scale=None, lse=True,
                    schedule=None):
    """func.func @<name>(q, k, v) -> (out[, lse]) holding one
    tessera.attention. b, sq, skv: None for dynamic sizes."""
    dv = dv or d
    tq = tensor([b, hq, sq, d], dtype)
    tk = tensor([b, hkv, skv, d], dtype)
    tv = tensor([b, hkv, skv, dv], dtype)
    to = tensor([b, hq, sq, dv], out)
    tl = tensor([b, hq, sq], "f32")
    results = f"{to}, {tl}" if lse else to
    names = "%o, %lse" if lse else "%o"
    attr = attention_attrs(causal, window, scale, schedule)
    return (f"func.func @{name}(%q: {tq}, %k: {tk}, %v: {tv}) -> ({results}) {{\n"
            f"  {names} = tessera.attention %q, %k, %v{attr}\n"
            f"      : {tq}, {tk}, {tv} -> {results}\n"
            f"  return {names} : {results}\n}}\n")


def merge_graph(name, dtype, out, shape):
    """func.func @<name>(o1, lse1, o2, lse2) -> (out, lse): one
    tessera.merge_attention on o of `shape` ([..., Dv]; None = dynamic)."""
    to_in = tensor(shape, dtype)
    to_out = tensor(shape, out)
    tl = tensor(shape[:-1], "f32")
    return (f"func.func @{name}(%o1: {to_in}, %lse1: {tl}, %o2: {to_in}, %lse2: {tl})"
            f" -> ({to_out}, {tl}) {{\n"
            f"  %o, %lse = tessera.merge_attention %o1, %lse1, %o2, %lse2\n"
            f"      : {to_in}, {tl}, {to_in}, {tl} -> {to_out}, {tl}\n"
            f"  return %o, %lse : {to_out}, {tl}\n}}\n")


def pipeline_graph(name, dtype, e, hq, hkv, d, causal=True):
    """QKV projection -> attention -> output projection for one sequence:
    x is [S, E]; the per-head projections w_q [Hq, E, D], w_k / w_v
    [Hkv, E, D] broadcast x over the heads, so q = x @ w_q is [Hq, S, D],
    reshaped (a view, no copy) to the attention's [1, Hq, S, D]; the output
    [1, Hq, S, D] is reshaped back to [Hq, S, D] for the per-head output
    projection w_o [Hq, D, E], giving y [Hq, S, E] (f32): the heads'
    contributions before their sum (the sum and the head transposes are
    glue ops, which the GPU targets do not compile yet)."""
    tx = tensor([None, e], dtype)
    twq, twk = tensor([hq, e, d], dtype), tensor([hkv, e, d], dtype)
    two = tensor([hq, d, e], dtype)
    tq3, tk3 = tensor([hq, None, d], dtype), tensor([hkv, None, d], dtype)
    tq, tk = tensor([1, hq, None, d], dtype), tensor([1, hkv, None, d], dtype)
    ty = tensor([hq, None, e], "f32")
    attr = " {causal}" if causal else ""

    def expand(dst, src, heads, t3, t4):
        return (f"  %{dst} = tensor.expand_shape %{src} [[0, 1], [2], [3]] "
                f"output_shape [1, {heads}, %s, {d}] : {t3} into {t4}\n")
    return (f"func.func @{name}(%x: {tx}, %wq: {twq}, %wk: {twk}, %wv: {twk}, %wo: {two})"
            f" -> {ty} {{\n"
            f"  %c0 = arith.constant 0 : index\n"
            f"  %s = tensor.dim %x, %c0 : {tx}\n"
            f"  %q3 = tessera.matmul %x, %wq : {tx}, {twq} -> {tq3}\n"
            f"  %k3 = tessera.matmul %x, %wk : {tx}, {twk} -> {tk3}\n"
            f"  %v3 = tessera.matmul %x, %wv : {tx}, {twk} -> {tk3}\n"
            + expand("q", "q3", hq, tq3, tq) + expand("k", "k3", hkv, tk3, tk)
            + expand("v", "v3", hkv, tk3, tk) +
            f"  %o = tessera.attention %q, %k, %v{attr} : {tq}, {tk}, {tk} -> {tq}\n"
            f"  %o3 = tensor.collapse_shape %o [[0, 1], [2], [3]] : {tq} into {tq3}\n"
            f"  %y = tessera.matmul %o3, %wo : {tq3}, {two} -> {ty}\n"
            f"  return %y : {ty}\n}}\n")


def compile_graph(compiler, src, target, tsm):
    """Runs tessera-compile; returns (ok, message)."""
    try:
        r = subprocess.run([compiler, src, "--target", target, "-o", tsm],
                           capture_output=True, text=True)
    except OSError as e:
        return False, str(e)
    return r.returncode == 0, (r.stderr or r.stdout).strip()


def megabytes(n):
    return n / (1 << 20)


# ---------------------------------------------------------------------------
# References (torch, on the GPU machine)
# ---------------------------------------------------------------------------

# Largest score block (elements) materialized at once: 32M doubles, 256 MiB.
CHUNK_ELEMENTS = 1 << 25


def torch_dtype(name):
    import torch
    return {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16,
            "f64": torch.float64}[name]


def visible(rows, skv, sq, causal, window, device):
    """Boolean [len(rows), skv]: which keys the query rows `rows` see."""
    import torch
    cols = torch.arange(skv, device=device)[None, :]
    i = rows[:, None]
    if not causal and window is None:
        return torch.ones(len(rows), skv, dtype=torch.bool, device=device)
    last = i + (skv - sq)
    ok = cols <= last
    if window is not None:
        ok = ok & (cols > last - window)
    return ok


def attention_chunks(q, k, v, scale, causal, window, fn):
    """Calls fn(b, heads, rows, qc, kc, vc, mask) for blocks of query rows of
    one kv head's group: qc [G, R, D], kc [Skv, D], vc [Skv, Dv], mask [R, Skv]
    (None when everything is visible). Keeps G * R * Skv <= CHUNK_ELEMENTS."""
    import torch
    B, hq, sq, _ = q.shape
    hkv, skv = k.shape[1], k.shape[2]
    g = hq // hkv
    rows_per = max(1, CHUNK_ELEMENTS // max(1, g * skv))
    for b in range(B):
        for kh in range(hkv):
            heads = slice(kh * g, (kh + 1) * g)
            for r0 in range(0, sq, rows_per):
                rows = torch.arange(r0, min(sq, r0 + rows_per), device=q.device)
                mask = (None if not causal and window is None
                        else visible(rows, skv, sq, causal, window, q.device))
                fn(b, heads, slice(r0, r0 + len(rows)), q[b, heads, r0:r0 + len(rows)],
                   k[b, kh], v[b, kh], mask)


def reference_attention(q, k, v, scale, causal, window):
    """float64 out [B, Hq, Sq, Dv] and lse [B, Hq, Sq] (-inf where no key is
    visible; out is 0 there), from the (rounded) inputs, on their device."""
    import torch
    B, hq, sq, _ = q.shape
    dv = v.shape[3]
    out = torch.zeros(B, hq, sq, dv, dtype=torch.float64, device=q.device)
    lse = torch.full((B, hq, sq), float("-inf"), dtype=torch.float64, device=q.device)
    if k.shape[2] == 0:
        return out, lse

    def block(b, heads, rows, qc, kc, vc, mask):
        s = torch.matmul(qc.double(), kc.double().t()) * scale
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf"))
        m = torch.logsumexp(s, dim=-1)  # -inf for rows without keys
        safe = torch.where(torch.isinf(m), torch.zeros_like(m), m)
        p = torch.exp(s - safe[..., None])
        if mask is not None:
            p = p.masked_fill(~mask, 0.0)
        out[b, heads, rows] = torch.matmul(p, vc.double())
        lse[b, heads, rows] = m

    attention_chunks(q, k, v, scale, causal, window, block)
    return out, lse


def naive_attention(q, k, v, scale, causal, window):
    """The same materialized attention in the inputs' type (bf16 or f16), as
    FlashAttention's tests' attention_ref(upcast=False): scores q k^T rounded
    to the input type, scaled, masked, softmax rounded to the input type,
    times v rounded to the input type. Rows without keys give 0."""
    import torch
    B, hq, sq, _ = q.shape
    dv = v.shape[3]
    out = torch.zeros(B, hq, sq, dv, dtype=q.dtype, device=q.device)
    if k.shape[2] == 0:
        return out

    def block(b, heads, rows, qc, kc, vc, mask):
        s = torch.matmul(qc, kc.t()) * scale
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf"))
        p = torch.softmax(s, dim=-1)
        if mask is not None:
            p = p.masked_fill(~mask.any(dim=-1)[:, None], 0.0)
        out[b, heads, rows] = torch.matmul(p, vc)

    attention_chunks(q, k, v, scale, causal, window, block)
    return out


def sdpa_mask(sq, skv, causal, window, device):
    """A boolean SDPA attn_mask ([Sq, Skv], True = visible) with the
    bottom-right causal and window semantics (SDPA's is_causal is top-left
    aligned), or None without a mask."""
    import torch
    if not causal and window is None:
        return None
    return visible(torch.arange(sq, device=device), skv, sq, causal, window, device)


MANTISSA_BITS = {"bf16": 7, "f16": 10, "f32": 23}


def half_ulp(out, magnitude):
    """Half an ulp of the output type at `magnitude` (the rounding step of a
    value there); for f32 outputs a fixed 1e-5 (accumulation-order noise of
    f32 at the outputs' O(1) magnitude)."""
    if out == "f32":
        return 1e-5
    if magnitude <= 0 or not math.isfinite(magnitude):
        return 2.0 ** -24
    return 0.5 * 2.0 ** (math.floor(math.log2(magnitude)) - MANTISSA_BITS[out])
