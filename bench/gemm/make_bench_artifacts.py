#!/usr/bin/env python3
"""Compiles the GEMM benchmark's shapes (docs/benchmarks.md) for the GPU:
  bf16 and f16 squares 8192, 4096, 2048 (C = A B, output in the input type);
  LLM layers y = x W^T (bf16, W [N, K]) with M in {16, 128, 4096} and
  (N, K) in {(4096, 4096), (14336, 4096), (4096, 14336)};
  fp8 e4m3 squares 4096 and 8192, y = (s_x x)(s_w W)^T with per-tensor
  scales and a bf16 output, as torch._scaled_mm computes them.
With --sweep: the token-count sweep (SWEEP_M x SWEEP_LAYERS below), static
and dynamic M; with --sweep --explore also the persistent tiles pinned, with
and without stream-K, where the sweep's tiles fill few waves.

  bench/gemm/make_bench_artifacts.py --compiler build/bin/tessera-compile \
      --out artifacts/bench --target sm_90a
"""
import argparse
import itertools
import json
import os
import subprocess
import sys


# Pinned schedules tried besides the heuristic's choice (--explore), as
# (block_m, block_n, block_k, stages, warps, extra parameters).
EXPLORE_SQUARE = [(128, 128, 64, 6, 12, 'mma = "wgmma"'),
                  (128, 256, 64, 3, 12, 'mma = "wgmma"'),
                  (256, 128, 64, 4, 12, 'mma = "wgmma"')]
SWAP = 'mma = "wgmma", swap_ab = true'
EXPLORE_DECODE = [(32, 32, 128, 6, 4, ""), (32, 64, 64, 4, 4, ""),
                  (16, 64, 64, 8, 8, SWAP), (16, 64, 64, 10, 8, SWAP),
                  (16, 64, 64, 8, 8, SWAP + ", split_k = 2"),
                  (16, 64, 64, 10, 8, SWAP + ", split_k = 2"),
                  (16, 64, 64, 8, 8, SWAP + ", split_k = 4"),
                  (16, 128, 64, 8, 12, SWAP), (16, 128, 64, 8, 12, SWAP + ", split_k = 2")]
EXPLORE_PREFILL = [(128, 64, 64, 8, 12, 'mma = "wgmma"'),
                   (64, 64, 64, 4, 4, ""), (64, 32, 64, 6, 4, ""),
                   (128, 128, 64, 4, 12, 'mma = "wgmma"')]
EXPLORE_FP8 = [(128, 128, 128, st, 12, 'mma = "wgmma"') for st in (3, 4, 5, 6)] + [
    (128, 128, 128, 4, 12, f'mma = "wgmma", swizzle = {g}') for g in (1, 4, 16)] + [
    (128, 64, 128, 8, 12, 'mma = "wgmma"')]
LLM = [(4096, 4096), (14336, 4096), (4096, 14336)]
FP8 = dict(dtype="f8e4m3fn", out="bf16", trans_b=True, scales=True)


def pinned(name, dtype, m, n, k, trans_b, bm, bn, bk, st, w, extra, **more):
    params = f"block_m = {bm}, block_n = {bn}, block_k = {bk}, stages = {st}, warps = {w}"
    if extra:
        params += ", " + extra
    tag = "_".join(filter(None, [f"{bm}x{bn}x{bk}_s{st}_w{w}",
                                 extra.replace(SWAP, "swap")
                                      .replace('mma = "wgmma"', "wgmma")
                                      .replace("split_k = ", "splitk")
                                      .replace("swizzle = ", "swizzle")
                                      .replace("stream_k = true", "streamk")
                                      .replace(", ", "_")]))
    if "swizzle" not in extra:
        params += ", swizzle = 8"
    return dict(more, name=f"{name}_{tag}", dtype=dtype, m=m, n=n, k=k, trans_b=trans_b,
                schedule=f"#tessera.schedule<{params}>")


def shapes(explore):
    if explore:
        for size in [4096, 2048]:
            for p in EXPLORE_SQUARE:
                yield pinned(f"bf16_square_{size}", "bf16", size, size, size, False, *p)
        for m, choices in [(16, EXPLORE_DECODE), (128, EXPLORE_PREFILL)]:
            for n, k in LLM:
                for p in choices:
                    yield pinned(f"bf16_llm_m{m}_n{n}_k{k}", "bf16", m, n, k, True, *p)
        for size in [8192, 4096]:
            for p in EXPLORE_FP8:
                yield pinned(f"fp8_square_{size}", "f8e4m3fn", size, size, size,
                             True, *p, out="bf16", scales=True)
    for t in ["bf16", "f16"]:
        for s in [8192, 4096, 2048]:
            yield dict(name=f"{t}_square_{s}", dtype=t, m=s, n=s, k=s, trans_b=False)
    for m in [16, 128, 4096]:
        for n, k in LLM:
            yield dict(name=f"bf16_llm_m{m}_n{n}_k{k}", dtype="bf16", m=m, n=n,
                       k=k, trans_b=True)
    for s in [8192, 4096]:
        yield dict(FP8, name=f"fp8_square_{s}", m=s, n=s, k=s)


# The token-count sweep (--sweep): bf16 y = x W^T on Llama-3-8B's layers
# (q/o, k/v, gate/up and down projections), static-M artifacts for each M
# and one dynamic-M artifact per layer.
SWEEP_M = [1, 2, 4, 8, 16, 32, 48, 64, 77, 96, 128, 192, 256, 333, 512, 768,
           1024, 2048, 4096, 8192]
SWEEP_LAYERS = [(4096, 4096), (1024, 4096), (14336, 4096), (4096, 14336)]


# Pinned persistent tiles of the sweep (--sweep --explore), each also with
# stream-K, at the token counts whose tiles leave SMs idle.
EXPLORE_SWEEP_M = [128, 256, 333, 512, 768, 1024]
EXPLORE_SWEEP_TILES = [(128, 64, 8), (128, 128, 6), (128, 256, 4), (256, 128, 4)]


def sweep(explore):
    if explore:
        for n, k in SWEEP_LAYERS[:3]:
            for m in EXPLORE_SWEEP_M:
                for (bm, bn, st), sk in itertools.product(EXPLORE_SWEEP_TILES,
                                                          ["", ", stream_k = true"]):
                    yield pinned(f"bf16_pinned_m{m}_n{n}_k{k}", "bf16", m, n, k, True,
                                 bm, bn, 64, st, 12, 'mma = "wgmma"' + sk)
    for n, k in SWEEP_LAYERS:
        dynamic = f"bf16_dyn_n{n}_k{k}"
        for m in SWEEP_M:
            yield dict(name=f"bf16_static_m{m}_n{n}_k{k}", dtype="bf16", m=m, n=n,
                       k=k, trans_b=True)
            yield dict(name=f"bf16_dynamic_m{m}_n{n}_k{k}", dtype="bf16", m=m, n=n,
                       k=k, trans_b=True, artifact_of=dynamic)


def graph(s):
    t = {"f8e4m3fn": "f8E4M3FN"}.get(s["dtype"], s["dtype"])
    o = s.get("out", t)
    m, n, k = "?" if s.get("artifact_of") else s["m"], s["n"], s["k"]
    b = f"tensor<{n}x{k}x{t}>" if s["trans_b"] else f"tensor<{k}x{n}x{t}>"
    attrs = ["transpose_b"] if s["trans_b"] else []
    if s.get("schedule"):
        attrs.append(f"schedules = [{s['schedule']}]")
    attr = " {" + ", ".join(attrs) + "}" if attrs else ""
    args, scales = f"%a: tensor<{m}x{k}x{t}>, %b: {b}", ""
    if s.get("scales"):
        args += ", %sa: tensor<f32>, %sb: tensor<f32>"
        scales = " scales(%sa, %sb)"
    return (f"func.func @gemm({args}) -> tensor<{m}x{n}x{o}> {{\n"
            f"  %0 = tessera.matmul %a, %b{scales}{attr} : tensor<{m}x{k}x{t}>, {b} -> tensor<{m}x{n}x{o}>\n"
            f"  return %0 : tensor<{m}x{n}x{o}>\n}}\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compiler", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target", default="sm_90a")
    p.add_argument("--explore", action="store_true",
                   help="also pinned schedules (the squares and M = 16, 128; with "
                        "--sweep: the persistent tiles at mid M)")
    p.add_argument("--sweep", action="store_true",
                   help="the token-count sweep instead of the shapes above")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    records = []
    for s in sweep(args.explore) if args.sweep else shapes(args.explore):
        # Rows of a dynamic-M artifact share it: compiled once.
        stem = s.get("artifact_of", s["name"])
        tsm = os.path.join(args.out, stem + ".tsm")
        if not os.path.exists(tsm) or not s.get("artifact_of"):
            src = os.path.join(args.out, stem + ".mlir")
            with open(src, "w") as f:
                f.write(graph(s))
            r = subprocess.run([args.compiler, src, "--target", args.target, "-o", tsm],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"{stem}: {r.stderr}")
            if r.stderr:
                print(f"{stem}: {r.stderr.strip()}")
        records.append(dict(s, artifact=os.path.basename(tsm), target=args.target))
    with open(os.path.join(args.out, "shapes.json"), "w") as f:
        json.dump(records, f, indent=1)
    print(f"{len(records)} artifacts in {args.out}")


if __name__ == "__main__":
    main()
