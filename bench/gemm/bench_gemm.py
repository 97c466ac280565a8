#!/usr/bin/env python3
"""GEMM benchmark on the GPU machine: Tessera against cuBLAS (torch.matmul)
and a Triton matmul, in one process, timed with CUDA events.

Each contender runs `--iters` times back to back between two events after
`--warmup` runs; the contenders take turns for `--reps` rounds and the
median per-call time is reported (TFLOP/s = 2 M N K / time), with the ratio
to cuBLAS. Calls cycle through enough copies of the inputs (up to 8) that
the weights come from HBM, not L2. Tessera writes into a result buffer
allocated once (tessera_module_invoke_into), as torch's caching allocator
serves cuBLAS. The inputs are random normal (never zeros). fp8 shapes
(per-tensor scales, bf16 output) are timed against cuBLASLt through
torch._scaled_mm (no fast accumulation, the default), with no Triton
contender.

  python3 bench/gemm/bench_gemm.py --artifacts artifacts/bench --build build-rt
  python3 bench/gemm/bench_gemm.py --artifacts artifacts/sweep --build build-rt --no-triton

Rows of a dynamic-M artifact (the token-count sweep) share one module; the
sweep ends with a table per layer of static and dynamic artifacts.
"""
import argparse
import json
import math
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import tessera_rt  # noqa: E402

try:
    import triton
    import triton.language as tl
except ImportError:  # the table then says so
    triton = None

TORCH = {"bf16": torch.bfloat16, "f16": torch.float16,
         "f8e4m3fn": torch.float8_e4m3fn}

if triton is not None:
    @triton.autotune(
        configs=[
            triton.Config({"BM": 128, "BN": 256, "BK": 64, "G": 8}, num_stages=3, num_warps=8),
            triton.Config({"BM": 128, "BN": 128, "BK": 64, "G": 8}, num_stages=4, num_warps=8),
            triton.Config({"BM": 64, "BN": 128, "BK": 64, "G": 8}, num_stages=4, num_warps=4),
            triton.Config({"BM": 128, "BN": 64, "BK": 64, "G": 8}, num_stages=4, num_warps=4),
            triton.Config({"BM": 64, "BN": 64, "BK": 128, "G": 8}, num_stages=4, num_warps=4),
            triton.Config({"BM": 16, "BN": 128, "BK": 128, "G": 8}, num_stages=4, num_warps=4),
        ],
        key=["M", "N", "K"])
    @triton.jit
    def triton_matmul(a, b, c, M, N, K, sam, sak, sbk, sbn, scm, scn,
                      BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                      G: tl.constexpr):
        pid = tl.program_id(0)
        tiles_m, tiles_n = tl.cdiv(M, BM), tl.cdiv(N, BN)
        group = pid // (G * tiles_n)
        first = group * G
        rows = min(tiles_m - first, G)
        pm = first + (pid % (G * tiles_n)) % rows
        pn = (pid % (G * tiles_n)) // rows
        om = pm * BM + tl.arange(0, BM)
        on = pn * BN + tl.arange(0, BN)
        ok = tl.arange(0, BK)
        pa = a + om[:, None] * sam + ok[None, :] * sak
        pb = b + ok[:, None] * sbk + on[None, :] * sbn
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BK)):
            x = tl.load(pa, mask=(om[:, None] < M) & (ok[None, :] < K - k * BK), other=0.0)
            y = tl.load(pb, mask=(ok[:, None] < K - k * BK) & (on[None, :] < N), other=0.0)
            acc = tl.dot(x, y, acc)
            pa += BK * sak
            pb += BK * sbk
        pc = c + om[:, None] * scm + on[None, :] * scn
        tl.store(pc, acc.to(c.dtype.element_ty), mask=(om[:, None] < M) & (on[None, :] < N))

    def run_triton(a, b, out):
        M, K = a.shape
        N = b.shape[1]
        grid = lambda meta: (triton.cdiv(M, meta["BM"]) * triton.cdiv(N, meta["BN"]),)
        triton_matmul[grid](a, b, out, M, N, K, a.stride(0), a.stride(1),
                            b.stride(0), b.stride(1), out.stride(0), out.stride(1))


def time_it(fn, warmup, iters, reps):
    """Median per-call milliseconds of `fn` and the spread of the reps."""
    return time_interleaved([fn], warmup, iters, reps)[0]


def time_interleaved(fns, warmup, iters, reps):
    """Times each of `fns` as time_it does, taking turns rep by rep so that
    clock and temperature drift reach every contender alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    torch.cuda.synchronize()
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, out in zip(fns, times):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(iters):
                fn()
            stop.record()
            stop.synchronize()
            out.append(start.elapsed_time(stop) / iters)
    return [(statistics.median(t), (max(t) - min(t)) / statistics.median(t)) for t in times]


def rotating(calls):
    """One call per invocation, cycling through `calls` (one per input copy)."""
    state = {"i": 0}

    def call():
        calls[state["i"] % len(calls)]()
        state["i"] += 1
    return call


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--artifacts", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--only", default="",
                   help="run the shapes whose name contains this")
    p.add_argument("--no-triton", action="store_true",
                   help="time Tessera against cuBLAS only")
    args = p.parse_args()
    rt = tessera_rt.Runtime(tessera_rt.find_library(args.build))
    with open(os.path.join(args.artifacts, "shapes.json")) as f:
        shapes = json.load(f)
    torch.manual_seed(0)
    rows = []
    modules = {}  # rows of one dynamic-M artifact share its module
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
          f"triton {triton.__version__ if triton else 'absent'}")
    for s in shapes:
        if args.only not in s["name"]:
            continue
        t, m, n, k = TORCH[s["dtype"]], s["m"], s["n"], s["k"]
        out_dtype = TORCH[s.get("out", s["dtype"])]
        fp8 = s["dtype"].startswith("f8")
        size = t.itemsize
        # Enough copies of the inputs that consecutive calls cannot find
        # them in L2 (a model's layers each have their own weights).
        l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 50 << 20)
        copies = max(1, min(8, math.ceil(3 * l2 / ((m * k + n * k) * size))))
        As = [torch.randn(m, k, device="cuda").to(t) for _ in range(copies)]
        Ws = [torch.randn(n, k, device="cuda").to(t) if s["trans_b"] else
              torch.randn(k, n, device="cuda").to(t) for _ in range(copies)]
        Bs = [w.t() if s["trans_b"] else w for w in Ws]
        flop = 2.0 * m * n * k
        if s["artifact"] not in modules:
            modules[s["artifact"]] = rt.load(os.path.join(args.artifacts, s["artifact"]))
        module = modules[s["artifact"]]
        fn = module.function("gemm")
        scales = ([torch.tensor(v, device="cuda") for v in (0.75, 1.25)]
                  if s.get("scales") else [])
        handles = [(module.wrap(a, s["dtype"]), module.wrap(w, s["dtype"]),
                    *[module.wrap(x, "f32") for x in scales])
                   for a, w in zip(As, Ws)]
        # The result goes to a buffer allocated once, as cuBLAS's output
        # comes from torch's caching allocator: no allocation per call.
        c = torch.full((m, n), float("nan"), device="cuda", dtype=out_dtype)
        hc = module.wrap(c, s.get("out", s["dtype"]))
        tessera_calls = [lambda h=h: module.invoke_into(fn, list(h), [hc]) for h in handles]
        if fp8:
            cublas_calls = [lambda a=a, b=b: torch._scaled_mm(
                a, b, scales[0], scales[1], out_dtype=out_dtype) for a, b in zip(As, Bs)]
        else:
            cublas_calls = [lambda a=a, b=b: torch.matmul(a, b) for a, b in zip(As, Bs)]
        out = torch.empty(m, n, device="cuda", dtype=t)
        triton_calls = [lambda a=a, b=b: run_triton(a, b, out) for a, b in zip(As, Bs)]

        # Check once against cuBLAS before timing (c starts as NaN).
        tessera_calls[0]()
        torch.cuda.synchronize()
        got = c.float()
        ref = cublas_calls[0]().float()
        rel = ((got - ref).norm() / ref.norm()).item()
        contenders = [rotating(tessera_calls), rotating(cublas_calls)]
        if triton is not None and not fp8 and not args.no_triton:
            try:
                time_it(rotating(triton_calls), 1, 1, 1)  # autotune first
                contenders.append(rotating(triton_calls))
            except Exception as e:  # report, keep going
                print(f"triton failed on {s['name']}: {e}")
        timed = time_interleaved(contenders, args.warmup, args.iters, args.reps)
        (ms_t, spread_t), (ms_c, spread_c) = timed[0], timed[1]
        ms_tr = timed[2][0] if len(timed) > 2 else None
        module.release(hc)
        for h in handles:
            for x in h:
                module.release(x)
        row = dict(name=s["name"], m=m, n=n, k=k, tessera_ms=ms_t,
                   cublas_ms=ms_c, triton_ms=ms_tr, rel_err_vs_cublas=rel,
                   spread_tessera=spread_t, spread_cublas=spread_c,
                   tessera_tflops=flop / ms_t / 1e9, cublas_tflops=flop / ms_c / 1e9,
                   triton_tflops=flop / ms_tr / 1e9 if ms_tr else None,
                   weight_tbps=(n * k * size) / ms_t / 1e9)
        rows.append(row)
        print(json.dumps(row), flush=True)
        if not s.get("artifact_of"):
            del modules[s["artifact"]], module
    print()
    print("| shape | Tessera TFLOP/s | cuBLAS TFLOP/s | Triton TFLOP/s | Tessera / cuBLAS | Tessera weights TB/s | rel. err vs cuBLAS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    ratios = {}
    for r in rows:
        ratio = r["cublas_ms"] / r["tessera_ms"]
        kind = next((w for w in ("llm", "static", "dynamic", "pinned") if f"_{w}_" in r["name"]), "square")
        ratios.setdefault(r["name"].split("_")[0] + "_" + kind, []).append(ratio)
        tr = f"{r['triton_tflops']:.0f}" if r["triton_tflops"] else "n/a"
        print(f"| {r['name']} | {r['tessera_tflops']:.1f} | {r['cublas_tflops']:.1f} | {tr} | "
              f"{ratio:.2f}x | {r['weight_tbps']:.2f} | {r['rel_err_vs_cublas']:.1e} |")
    print()
    for key, values in ratios.items():
        gm = math.exp(sum(math.log(v) for v in values) / len(values))
        print(f"geomean Tessera/cuBLAS {key}: {gm:.3f}x over {len(values)} shapes "
              f"(lowest {min(values):.2f}x)")
    sweep_table(rows)


def sweep_table(rows):
    """The token-count sweep side by side: per layer and M, static and
    dynamic artifacts against cuBLAS."""
    cells = {}
    for r in rows:
        for kind in ("static", "dynamic"):
            if f"_{kind}_" in r["name"]:
                layer = f"{r['n']} x {r['k']}"
                cells.setdefault(layer, {}).setdefault(r["m"], {})[kind] = (
                    r["cublas_ms"] / r["tessera_ms"], r["cublas_tflops"])
    for layer, by_m in cells.items():
        print(f"\nW {layer} (N x K): Tessera / cuBLAS")
        print("| M | static | dynamic | cuBLAS TFLOP/s |")
        print("| --- | --- | --- | --- |")
        for m in sorted(by_m):
            st, dy = by_m[m].get("static"), by_m[m].get("dynamic")
            shown = [f"{c[0]:.2f}x" if c else "n/a" for c in (st, dy)]
            print(f"| {m} | {shown[0]} | {shown[1]} | {(st or dy)[1]:.1f} |")


if __name__ == "__main__":
    main()
