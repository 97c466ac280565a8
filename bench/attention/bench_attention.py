#!/usr/bin/env python3
"""Attention benchmark on the GPU machine: Tessera against PyTorch SDPA's
cuDNN, FLASH (FlashAttention-2) and EFFICIENT (memory-efficient) backends
and a fused Triton kernel written here, in one process, timed with CUDA
events as bench/gemm/bench_gemm.py does.

Each contender is first run `--warmup` times, then its per-call time is
estimated and it runs `iters` calls back to back between two events, iters
chosen so a turn lasts about `--target-ms` (at most `--max-iters` calls);
the contenders take turns for `--reps` rounds and the median per-call time
is reported, with the spread between rounds. Tessera writes into a result
buffer allocated once (tessera_module_invoke_into), as torch's caching
allocator serves SDPA. Inputs are random normal (never zeros).

Prefill (FlashAttention-3's setting): batch x seqlen = 16K tokens, hidden
2048, H = 2048 / d heads (MHA), d in {64, 128, 256}, seqlen 512 to 16K,
causal and not, bf16 (and f16 at d = 128); TFLOP/s count 4 B H S^2 d,
halved for causal. Every contender's output is compared once per shape with
torch's own SDPA result (its default backend): relative Frobenius error.

Decode: Hq = 32, Hkv = 8, d = 128, one query token, batch 1, 8, 64, KV
length 1K to 128K; time and TB/s of the K/V bytes read (2 B Hkv Skv d 2 /
time). SDPA gets the grouped K/V with enable_gqa=True where the backend
takes it ("gqa"); otherwise K/V repeated to Hq heads once, outside the
timing ("repeat": that backend then reads 4x the bytes, the TB/s column
still counts the grouped K/V). Small K/V are cycled through copies so that
calls read HBM, not L2. Triton is not run on decode.

  python3 bench/attention/bench_attention.py --artifacts artifacts/attn-bench \
      --build build-rt --json /tmp/attn_bench.json
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gemm"))
import tessera_rt  # noqa: E402

try:
    import triton
    import triton.language as tl
except ImportError:  # the table then says so
    triton = None

TORCH = {"bf16": torch.bfloat16, "f16": torch.float16}
BACKENDS = [("cudnn", SDPBackend.CUDNN_ATTENTION),
            ("flash", SDPBackend.FLASH_ATTENTION),
            ("efficient", SDPBackend.EFFICIENT_ATTENTION)]
LABEL = {"tessera": "Tessera", "cudnn": "cuDNN", "flash": "FA2 (flash)",
         "efficient": "mem-efficient", "triton": "Triton"}
PEERS = ["cudnn", "flash", "efficient", "triton"]
REPEAT_LIMIT_BYTES = 24e9  # repeated K/V beyond this: n/a

# ---------------------------------------------------------------------------
# Triton: fused attention forward (online softmax, causal tile skipping)
# ---------------------------------------------------------------------------

if triton is not None:
    @triton.jit
    def _attention_fwd(Q, K, V, O, Sq, Skv, H, G, qk_scale,
                       sqb, sqh, sqm, skb, skh, skn, svb, svh, svn, sob, soh, som,
                       D: tl.constexpr, CAUSAL: tl.constexpr,
                       BM: tl.constexpr, BN: tl.constexpr):
        # Causal blocks get heavier with the row index: start the heavy ones
        # first.
        block = tl.program_id(0)
        if CAUSAL:
            block = tl.num_programs(0) - 1 - block
        bh = tl.program_id(1)
        b = (bh // H).to(tl.int64)
        h = bh % H
        kvh = h // G
        rows = block * BM + tl.arange(0, BM)
        cols = tl.arange(0, BN)
        dims = tl.arange(0, D)
        q = tl.load(Q + b * sqb + h * sqh + rows[:, None] * sqm + dims[None, :],
                    mask=rows[:, None] < Sq, other=0.0)
        k_base = K + b * skb + kvh * skh
        v_base = V + b * svb + kvh * svh
        m_i = tl.full([BM], float("-inf"), tl.float32)
        l_i = tl.zeros([BM], tl.float32)
        acc = tl.zeros([BM, D], tl.float32)
        diag = Skv - Sq  # bottom-right causal: row i sees keys j <= i + diag
        if CAUSAL:
            hi = tl.maximum(tl.minimum(Skv, block * BM + BM + diag), 0)
            # Tiles every row of the block sees entirely.
            full = tl.maximum(tl.minimum((block * BM + diag + 1) // BN, Skv // BN), 0) * BN
        else:
            hi = Skv
            full = (Skv // BN) * BN
        for n0 in range(0, full, BN):
            k = tl.load(k_base + (n0 + cols)[None, :] * skn + dims[:, None])
            s = tl.dot(q, k) * qk_scale
            m_new = tl.maximum(m_i, tl.max(s, 1))
            alpha = tl.math.exp2(m_i - m_new)
            p = tl.math.exp2(s - m_new[:, None])
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_base + (n0 + cols)[:, None] * svn + dims[None, :])
            acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
            m_i = m_new
        # The diagonal and the Skv tail: masked tiles.
        for n0 in range(full, hi, BN):
            keys = n0 + cols
            k = tl.load(k_base + keys[None, :] * skn + dims[:, None],
                        mask=keys[None, :] < Skv, other=0.0)
            s = tl.dot(q, k) * qk_scale
            seen = keys[None, :] < Skv
            if CAUSAL:
                seen = seen & (keys[None, :] <= rows[:, None] + diag)
            s = tl.where(seen, s, float("-inf"))
            m_new = tl.maximum(m_i, tl.max(s, 1))
            m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
            alpha = tl.math.exp2(m_i - m_safe)
            p = tl.math.exp2(s - m_safe[:, None])
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_base + keys[:, None] * svn + dims[None, :],
                        mask=keys[:, None] < Skv, other=0.0)
            acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
            m_i = m_new
        l_safe = tl.where(l_i == 0.0, 1.0, l_i)
        out = acc / l_safe[:, None]
        tl.store(O + b * sob + h * soh + rows[:, None] * som + dims[None, :],
                 out.to(O.dtype.element_ty), mask=rows[:, None] < Sq)

    def _configs(shapes):
        return [triton.Config({"BM": bm, "BN": bn}, num_warps=w, num_stages=st)
                for bm, bn, w, st in shapes]

    # A few block sizes / warps / stages per head dim (shared memory bounds
    # the d = 256 tiles); tuned once per (d, causal, dtype).
    TRITON_KERNELS = {
        64: triton.autotune(_configs([(128, 64, 4, 3), (128, 128, 8, 3),
                                      (64, 64, 4, 4), (128, 64, 8, 4)]),
                            key=["D", "CAUSAL"])(_attention_fwd),
        128: triton.autotune(_configs([(128, 64, 8, 3), (128, 128, 8, 2),
                                       (64, 64, 4, 3), (128, 32, 4, 3)]),
                             key=["D", "CAUSAL"])(_attention_fwd),
        256: triton.autotune(_configs([(64, 64, 4, 2), (128, 64, 8, 2),
                                       (64, 32, 4, 3), (128, 32, 8, 2)]),
                             key=["D", "CAUSAL"])(_attention_fwd),
    }

    def triton_attention(q, k, v, out, causal):
        """out = attention(q, k, v) (bottom-right causal when `causal`)."""
        b, h, sq, d = q.shape
        skv = k.shape[2]
        kernel = TRITON_KERNELS[d]
        scale = 1.0 / math.sqrt(d) * 1.4426950408889634  # log2(e)
        grid = lambda meta: (triton.cdiv(sq, meta["BM"]), b * h)  # noqa: E731
        kernel[grid](q, k, v, out, sq, skv, h, h // k.shape[1], scale,
                     q.stride(0), q.stride(1), q.stride(2),
                     k.stride(0), k.stride(1), k.stride(2),
                     v.stride(0), v.stride(1), v.stride(2),
                     out.stride(0), out.stride(1), out.stride(2),
                     D=d, CAUSAL=causal)
        return out

# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def event_ms(run, n):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    run(n)
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / n


def time_interleaved(runs, warmup, reps, target_ms, max_iters):
    """runs: name -> run(n) issuing n calls. Median per-call ms and spread
    ((max - min) / median over the rounds) of each, taking turns round by
    round so that clock and temperature drift reach every contender alike."""
    iters = {}
    for name, run in runs.items():
        run(warmup)
        torch.cuda.synchronize()
        estimate = event_ms(run, 2)
        iters[name] = max(1, min(max_iters, int(math.ceil(target_ms / max(estimate, 1e-3)))))
    times = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            times[name].append(event_ms(run, iters[name]))
    return {name: (statistics.median(t), (max(t) - min(t)) / statistics.median(t), iters[name])
            for name, t in times.items()}


def repeat_calls(call):
    def run(n):
        for _ in range(n):
            call()
    return run


def rotating_calls(calls):
    """run(n): n calls, cycling through `calls` (one per input copy)."""
    state = {"i": 0}

    def run(n):
        for _ in range(n):
            calls[state["i"] % len(calls)]()
            state["i"] += 1
    return run


def sdpa_run(backend, calls):
    """run(n) inside sdpa_kernel(backend), entered once per turn."""
    inner = rotating_calls(calls)

    def run(n):
        with sdpa_kernel(backend):
            inner(n)
    return run


def rel_err(x, ref):
    ref = ref.float()
    return ((x.float() - ref).norm() / ref.norm().clamp(min=1e-30)).item()


def first_line(e):
    text = str(e).strip().splitlines()
    return text[0][:160] if text else type(e).__name__


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


class Tessera:
    """The artifacts of make_bench_artifacts.py, loaded once."""

    def __init__(self, rt, directory, records):
        self.rt, self.directory, self.records = rt, directory, records
        self.modules = {}

    def variants(self, **match):
        """(record, (module, function) or the load error) of each artifact
        whose record matches."""
        for r in self.records:
            if all(r.get(k) == v for k, v in match.items()):
                if r["artifact"] not in self.modules:
                    try:
                        m = self.rt.load(os.path.join(self.directory, r["artifact"]))
                        self.modules[r["artifact"]] = (m, m.function("attn"))
                    except Exception as e:  # the rows then say n/a
                        self.modules[r["artifact"]] = e
                yield r, self.modules[r["artifact"]]


def tessera_runs(tessera, match, inputs, out_shape, dtype, runs, outputs, errors):
    """Adds one contender per Tessera variant: invoke_into a NaN-filled
    buffer allocated once, cycling through the input copies."""
    for r, loaded in tessera.variants(**match):
        name = "tessera" if r["variant"] == "default" else f"tessera:{r['variant']}"
        if isinstance(loaded, Exception):
            errors[name] = "load: " + first_line(loaded)
            continue
        module, fn = loaded
        out = torch.full(out_shape, float("nan"), device="cuda", dtype=TORCH[dtype])
        ho = module.wrap(out, dtype)
        handles = [[module.wrap(x, dtype) for x in copy] for copy in inputs]
        calls = [lambda h=h: module.invoke_into(fn, h, [ho]) for h in handles]
        try:
            calls[0]()
            torch.cuda.synchronize()
        except Exception as e:  # report it, keep going
            errors[name] = first_line(e)
            continue
        runs[name] = rotating_calls(calls)
        outputs[name] = out


def tune_triton(d, causal, dtype, s=4096):
    """Autotunes the Triton kernel of (d, causal, dtype) at seqlen `s` (its
    key leaves the seqlen out, so every row then uses this choice)."""
    b, h = 16384 // s, 2048 // d
    q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=TORCH[dtype]) for _ in range(3))
    t0 = time.time()
    triton_attention(q, k, v, torch.empty_like(q), causal)
    torch.cuda.synchronize()
    print(f"triton d={d} causal={causal} {dtype}: tuned in {time.time() - t0:.1f} s, "
          f"{TRITON_KERNELS[d].best_config}", flush=True)


def prefill_row(args, tessera, d, s, causal, dtype):
    b, h = 16384 // s, 2048 // d
    t = TORCH[dtype]
    q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=t) for _ in range(3))
    flop = 4.0 * b * h * s * s * d * (0.5 if causal else 1.0)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    runs, outputs, errors = {}, {}, {}
    tessera_runs(tessera, dict(kind="prefill", d=d, causal=causal, dtype=dtype),
                 [(q, k, v)], (b, h, s, d), dtype, runs, outputs, errors)
    for name, backend in BACKENDS:
        call = (lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
        try:
            with sdpa_kernel(backend):
                outputs[name] = call()
            torch.cuda.synchronize()
        except Exception as e:  # the backend rejects the shape
            errors[name] = first_line(e)
            continue
        runs[name] = sdpa_run(backend, [call])
    if triton is not None and not args.no_triton:
        out = torch.empty_like(q)
        try:
            triton_attention(q, k, v, out, causal)
            torch.cuda.synchronize()
            runs["triton"] = repeat_calls(lambda: triton_attention(q, k, v, out, causal))
            outputs["triton"] = out
        except Exception as e:  # report, keep going
            errors["triton"] = first_line(e)
    checks = {name: rel_err(o, ref) for name, o in outputs.items()}
    timed = time_interleaved(runs, args.warmup, args.reps, args.target_ms, args.max_iters)
    row = dict(kind="prefill", name=f"prefill_d{d}_s{s}_{'causal' if causal else 'full'}_{dtype}",
               d=d, seqlen=s, batch=b, heads=h, causal=causal, dtype=dtype, flop=flop,
               errors=errors, rel_err_vs_torch=checks, contenders={})
    for name, (ms, spread, iters) in timed.items():
        row["contenders"][name] = dict(ms=ms, spread=spread, iters=iters,
                                       tflops=flop / ms / 1e9)
    if triton is not None and "triton" in runs:
        best = TRITON_KERNELS[d].best_config
        row["triton_config"] = str(best) if best is not None else None
    return row


def decode_row(args, tessera, b, skv):
    hq, hkv, d = 32, 8, 128
    t = torch.bfloat16
    kv_bytes = 2 * b * hkv * skv * d * 2
    l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 50 << 20)
    copies = max(1, min(16, math.ceil(3 * l2 / kv_bytes)))
    inputs = [(torch.randn(b, hq, 1, d, device="cuda", dtype=t),
               torch.randn(b, hkv, skv, d, device="cuda", dtype=t),
               torch.randn(b, hkv, skv, d, device="cuda", dtype=t)) for _ in range(copies)]
    runs, outputs, errors, modes = {}, {}, {}, {}
    tessera_runs(tessera, dict(kind="decode"), inputs, (b, hq, 1, d), "bf16",
                 runs, outputs, errors)
    ref = None
    for name, backend in BACKENDS:
        gqa = [lambda x=x: F.scaled_dot_product_attention(*x, enable_gqa=True)
               for x in inputs]
        try:
            with sdpa_kernel(backend):
                outputs[name] = gqa[0]()
            torch.cuda.synchronize()
            runs[name], modes[name] = sdpa_run(backend, gqa), "gqa"
            continue
        except Exception as e:  # the backend rejects the shape
            reason = first_line(e)
        if 4 * kv_bytes * copies > REPEAT_LIMIT_BYTES:
            errors[name] = f"no enable_gqa ({reason}); repeated K/V would need " \
                           f"{4 * kv_bytes * copies / 1e9:.0f} GB"
            continue
        repeated = [(qq, kk.repeat_interleave(hq // hkv, dim=1),
                     vv.repeat_interleave(hq // hkv, dim=1)) for qq, kk, vv in inputs]
        rep = [lambda x=x: F.scaled_dot_product_attention(*x) for x in repeated]
        try:
            with sdpa_kernel(backend):
                outputs[name] = rep[0]()
            torch.cuda.synchronize()
            runs[name], modes[name] = sdpa_run(backend, rep), "repeat"
        except Exception as e:  # the backend rejects the shape
            errors[name] = first_line(e)
    for name in ("flash", "cudnn", "efficient"):
        if name in outputs:
            ref = outputs[name]
            break
    checks = {name: rel_err(o, ref) for name, o in outputs.items()} if ref is not None else {}
    timed = time_interleaved(runs, args.warmup, args.reps, args.target_ms, args.max_iters)
    row = dict(kind="decode", name=f"decode_b{b}_kv{skv}", batch=b, kv_len=skv, hq=hq,
               hkv=hkv, d=d, kv_bytes=kv_bytes, copies=copies, modes=modes,
               errors=errors, rel_err_vs_torch=checks, contenders={})
    for name, (ms, spread, iters) in timed.items():
        row["contenders"][name] = dict(ms=ms, spread=spread, iters=iters,
                                       tbps=kv_bytes / ms / 1e9)
    return row


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def seq(n):
    return f"{n // 1024}K" if n >= 1024 and n % 1024 == 0 else str(n)


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def prefill_table(rows):
    lines = ["| head dim | seqlen (B x S = 16K) | mask | dtype | Tessera TFLOP/s | "
             "cuDNN | FA2 (flash) | mem-efficient | Triton | Tessera / cuDNN | "
             "Tessera / FA2 | Tessera / mem-eff | Tessera / Triton |",
             "| --- " * 13 + "|"]
    ratios = {p: [] for p in PEERS}
    for r in rows:
        c = r["contenders"]
        cells = [str(r["d"]), seq(r["seqlen"]), "causal" if r["causal"] else "none", r["dtype"]]
        cells.append(f"{c['tessera']['tflops']:.1f}" if "tessera" in c else "n/a")
        for p in PEERS:
            cells.append(f"{c[p]['tflops']:.1f}" if p in c else "n/a")
        for p in PEERS:
            if "tessera" in c and p in c:
                ratio = c[p]["ms"] / c["tessera"]["ms"]
                ratios[p].append(ratio)
                cells.append(f"{ratio:.2f}x")
            else:
                cells.append("n/a")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for p in PEERS:
        g = geomean(ratios[p])
        if g:
            lines.append(f"geomean Tessera / {LABEL[p]} (prefill): {g:.3f}x over "
                         f"{len(ratios[p])} shapes")
    return lines


def decode_table(rows):
    peers = [p for p in PEERS if p != "triton"]
    lines = ["| batch | KV length | Tessera µs | Tessera TB/s | cuDNN µs (TB/s) | "
             "FA2 (flash) µs (TB/s) | mem-efficient µs (TB/s) | Tessera / cuDNN | "
             "Tessera / FA2 | Tessera / mem-eff |", "| --- " * 10 + "|"]
    for r in rows:
        c = r["contenders"]
        cells = [str(r["batch"]), seq(r["kv_len"])]
        if "tessera" in c:
            cells += [f"{c['tessera']['ms'] * 1e3:.1f}", f"{c['tessera']['tbps']:.2f}"]
        else:
            cells += ["n/a", "n/a"]
        for p in peers:
            if p in c:
                mode = r["modes"].get(p, "")
                cells.append(f"{c[p]['ms'] * 1e3:.1f} ({c[p]['tbps']:.2f}, {mode})")
            else:
                cells.append("n/a")
        for p in peers:
            cells.append(f"{c[p]['ms'] / c['tessera']['ms']:.2f}x"
                         if "tessera" in c and p in c else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def variant_lines(rows, unit):
    lines = []
    for r in rows:
        c = r["contenders"]
        extra = {n: v for n, v in c.items() if n.startswith("tessera:")}
        if extra and "tessera" in c:
            parts = [f"{n[8:]} {v[unit]:.1f} ({c['tessera']['ms'] / v['ms']:.2f}x default)"
                     for n, v in extra.items()]
            lines.append(f"- {r['name']}: default {c['tessera'][unit]:.1f}; " + "; ".join(parts))
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--artifacts", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--json", help="write the results here (after every row)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--target-ms", type=float, default=8.0,
                   help="length of one contender's turn (sets the calls per turn)")
    p.add_argument("--max-iters", type=int, default=20)
    p.add_argument("--only", default="", help="rows whose name contains this")
    p.add_argument("--no-triton", action="store_true")
    p.add_argument("--no-prefill", action="store_true")
    p.add_argument("--no-decode", action="store_true")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    rt = tessera_rt.Runtime(tessera_rt.find_library(args.build))
    with open(os.path.join(args.artifacts, "shapes.json")) as f:
        records = json.load(f)
    tessera = Tessera(rt, args.artifacts, records)
    info = dict(device=torch.cuda.get_device_name(), torch=torch.__version__,
                triton=triton.__version__ if triton else None,
                cudnn=torch.backends.cudnn.version(),
                artifacts={r["artifact"]: r.get("bytes") for r in records})
    print(f"device: {info['device']}, torch {info['torch']}, triton {info['triton']}, "
          f"cuDNN {info['cudnn']}; artifacts "
          f"{sum(b or 0 for b in info['artifacts'].values()) / (1 << 20):.1f} MiB")
    results = dict(info, prefill=[], decode=[])

    def save():
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)

    start = time.time()
    with torch.inference_mode():
        if not args.no_prefill:
            for r in records:
                if r["kind"] != "prefill" or r["variant"] != "default":
                    continue
                names = [(s, f"prefill_d{r['d']}_s{s}_{'causal' if r['causal'] else 'full'}_{r['dtype']}")
                         for s in r["seqlens"]]
                names = [(s, n) for s, n in names if args.only in n]
                if names and triton is not None and not args.no_triton:
                    try:
                        tune_triton(r["d"], r["causal"], r["dtype"])
                    except Exception as e:  # the rows then say n/a
                        print(f"triton tuning failed: {first_line(e)}")
                for s, name in names:
                    try:
                        row = prefill_row(args, tessera, r["d"], s, r["causal"], r["dtype"])
                    except Exception as e:  # report, keep going
                        print(f"{name}: ERROR {first_line(e)}")
                        continue
                    results["prefill"].append(row)
                    print(json.dumps(row), flush=True)
                    save()
                    torch.cuda.empty_cache()
        if not args.no_decode:
            decode = next((r for r in records if r["kind"] == "decode"
                           and r["variant"] == "default"), None)
            for b, skv in (decode["rows"] if decode else []):
                if args.only not in f"decode_b{b}_kv{skv}":
                    continue
                try:
                    row = decode_row(args, tessera, b, skv)
                except Exception as e:  # report, keep going
                    print(f"decode_b{b}_kv{skv}: ERROR {first_line(e)}")
                    continue
                results["decode"].append(row)
                print(json.dumps(row), flush=True)
                save()
                torch.cuda.empty_cache()
    print(f"\nbenchmark took {time.time() - start:.0f} s\n")
    if results["prefill"]:
        print("\n".join(prefill_table(results["prefill"])))
        print("\n".join(variant_lines(results["prefill"], "tflops")))
        print()
    if results["decode"]:
        print("\n".join(decode_table(results["decode"])))
        print("\n".join(variant_lines(results["decode"], "tbps")))
    for row in results["prefill"] + results["decode"]:
        bad = {n: e for n, e in row["rel_err_vs_torch"].items() if not e <= 2e-2}
        if bad:
            print(f"MISMATCH {row['name']}: relative error vs torch {bad}")
        for n, e in row["errors"].items():
            print(f"n/a {row['name']} {n}: {e}")
    save()


if __name__ == "__main__":
    main()
