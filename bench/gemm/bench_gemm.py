#!/usr/bin/env python3
"""GEMM benchmark on the GPU machine: Tessera against cuBLAS (torch.matmul)
and a Triton matmul, in one process, timed with CUDA events.

Each variant runs `--iters` times back to back between two events after
`--warmup` runs; that is repeated `--reps` times and the median per-call
time is reported (TFLOP/s = 2 M N K / time), with the ratio to cuBLAS. The
inputs are random normal (never zeros). fp8 (torch._scaled_mm) is reported
for cuBLASLt alone: Tessera has no fp8 kernel yet.

  python3 bench/gemm/bench_gemm.py --artifacts artifacts/bench --build build-rt
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

TORCH = {"bf16": torch.bfloat16, "f16": torch.float16}

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
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / iters)
    return statistics.median(times), (max(times) - min(times)) / statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--artifacts", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--only", default="",
                   help="run the shapes whose name contains this (and skip fp8)")
    args = p.parse_args()
    rt = tessera_rt.Runtime(tessera_rt.find_library(args.build))
    with open(os.path.join(args.artifacts, "shapes.json")) as f:
        shapes = json.load(f)
    torch.manual_seed(0)
    rows = []
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
          f"triton {triton.__version__ if triton else 'absent'}")
    for s in shapes:
        if args.only not in s["name"]:
            continue
        t, m, n, k = TORCH[s["dtype"]], s["m"], s["n"], s["k"]
        a = torch.randn(m, k, device="cuda", dtype=t)
        w = torch.randn(n, k, device="cuda", dtype=t) if s["trans_b"] else \
            torch.randn(k, n, device="cuda", dtype=t)
        bt = w.t() if s["trans_b"] else w
        flop = 2.0 * m * n * k
        module = rt.load(os.path.join(args.artifacts, s["artifact"]))
        fn = module.function("gemm")
        ha, hw = module.wrap(a, s["dtype"]), module.wrap(w, s["dtype"])
        results = []

        def tessera_call():
            results.extend(module.invoke(fn, [ha, hw], 1))

        # Check once against cuBLAS before timing.
        (r,) = module.invoke(fn, [ha, hw], 1)
        torch.cuda.synchronize()
        got = module.as_torch(r, t).cuda().float()
        module.release(r)
        ref = torch.matmul(a, bt).float()
        rel = ((got - ref).norm() / ref.norm()).item()
        ms_t, spread_t = time_it(tessera_call, args.warmup, args.iters, args.reps)
        for h in results:
            module.release(h)
        ms_c, spread_c = time_it(lambda: torch.matmul(a, bt), args.warmup, args.iters, args.reps)
        ms_tr = None
        if triton is not None:
            out = torch.empty(m, n, device="cuda", dtype=t)
            try:
                ms_tr, _ = time_it(lambda: run_triton(a, bt, out), args.warmup, args.iters, args.reps)
            except Exception as e:  # report, keep going
                print(f"triton failed on {s['name']}: {e}")
        module.release(ha)
        module.release(hw)
        row = dict(name=s["name"], m=m, n=n, k=k, tessera_ms=ms_t,
                   cublas_ms=ms_c, triton_ms=ms_tr, rel_err_vs_cublas=rel,
                   spread_tessera=spread_t, spread_cublas=spread_c,
                   tessera_tflops=flop / ms_t / 1e9, cublas_tflops=flop / ms_c / 1e9,
                   triton_tflops=flop / ms_tr / 1e9 if ms_tr else None,
                   weight_tbps=(n * k * 2) / ms_t / 1e9)
        rows.append(row)
        print(json.dumps(row))
        del module
    # fp8: the peer alone.
    fp8 = []
    for size in [] if args.only else [4096, 8192]:
        a = torch.randn(size, size, device="cuda").to(torch.float8_e4m3fn)
        b = torch.randn(size, size, device="cuda").to(torch.float8_e4m3fn).t()
        one = torch.tensor(1.0, device="cuda")
        ms, _ = time_it(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one,
                                                 out_dtype=torch.bfloat16),
                        args.warmup, args.iters, args.reps)
        fp8.append((size, 2.0 * size ** 3 / ms / 1e9))
    print()
    print("| shape | Tessera TFLOP/s | cuBLAS TFLOP/s | Triton TFLOP/s | Tessera / cuBLAS | Tessera weights TB/s | rel. err vs cuBLAS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    ratios = {}
    for r in rows:
        ratio = r["cublas_ms"] / r["tessera_ms"]
        ratios.setdefault(r["name"].split("_")[0] + ("_llm" if "llm" in r["name"] else "_square"), []).append(ratio)
        tr = f"{r['triton_tflops']:.0f}" if r["triton_tflops"] else "n/a"
        print(f"| {r['name']} | {r['tessera_tflops']:.1f} | {r['cublas_tflops']:.1f} | {tr} | "
              f"{ratio:.2f}x | {r['weight_tbps']:.2f} | {r['rel_err_vs_cublas']:.1e} |")
    for size, tf in fp8:
        print(f"| fp8 e4m3 {size}^3 | n/a (no fp8 kernel yet) | {tf:.0f} (cuBLASLt, _scaled_mm) | | | | |")
    print()
    for key, values in ratios.items():
        gm = math.exp(sum(math.log(v) for v in values) / len(values))
        print(f"geomean Tessera/cuBLAS {key}: {gm:.3f}x over {len(values)} shapes")


if __name__ == "__main__":
    main()
