#!/usr/bin/env python3
"""Writes the GEMM cases of the GPU numerics test as model graphs, compiles
each with tessera-compile for the requested targets and records them in
<out>/cases.json for gemm_numerics.py (run on the GPU machine).

Graphs have a dynamic M, so one artifact serves every M of the test, except
those whose A is M-contiguous for sm_90a's TMA, which fix M.

  test/gpu/make_gemm_cases.py --compiler build/bin/tessera-compile \
      --out artifacts/gpu --targets sm_80 sm_90a
"""
import argparse
import itertools
import json
import os
import subprocess
import sys

SIZES = [1, 17, 127, 1000, 4097]
# An M in every class of a dynamic-M artifact whose B is stored [N, K] on
# sm_90a (passes/Gpu/Matmul/MatmulSchedule.cpp, kTokenClasses), and past
# both ends of most.
CLASS_SIZES = [1, 7, 9, 17, 25, 33, 49, 65, 77, 97, 113, 129, 193, 255, 257,
               333, 385, 513, 1025, 2049, 4097]


def cases():
    # Every (N, K) of SIZES in both input types, plain layout.
    for dtype, (n, k) in itertools.product(["bf16", "f16"],
                                           itertools.product(SIZES, SIZES)):
        yield dict(dtype=dtype, out="f32", n=n, k=k)
    # Layouts, epilogues, output casts and bias types.
    yield dict(dtype="bf16", out="bf16", n=1000, k=127, trans_b=True)
    yield dict(dtype="f16", out="f16", n=127, k=1000, trans_a=True)
    yield dict(dtype="bf16", out="f32", n=256, k=4097, trans_a=True, trans_b=True)
    for epilogue in ["relu", "gelu_tanh", "silu"]:
        yield dict(dtype="bf16", out="bf16", n=1000, k=256, trans_b=True,
                   bias="f32", epilogue=epilogue, alpha=0.5)
    yield dict(dtype="f16", out="f16", n=4097, k=64, bias="f16",
               epilogue="gelu_tanh")
    yield dict(dtype="bf16", out="bf16", n=17, k=4097, bias="bf16", alpha=2.0)
    # Batch: equal batches, and a broadcast (2-D) weight.
    yield dict(dtype="bf16", out="f32", n=127, k=64, batch=3)
    yield dict(dtype="f16", out="f16", n=256, k=1000, batch=2,
               broadcast_b=True, trans_b=True, epilogue="silu")
    # sm_90a's wgmma kernel takes operands whose rows are 16-byte multiples
    # (M > 64): N and K tails of its 256 x 64 and 128 x 64 tiles, a single
    # partial K tile, N below one TMA box, long K.
    for dtype, (n, k) in itertools.product(
            ["bf16", "f16"], [(8, 8), (264, 4104), (4096, 1000), (1000, 4096)]):
        yield dict(dtype=dtype, out=dtype, n=n, k=k)
    yield dict(dtype="bf16", out="bf16", n=4096, k=4096, trans_b=True,
               bias="bf16", epilogue="gelu_tanh", ms=CLASS_SIZES)
    # The token classes' schedules (swapped tiles of 64 and 128 rows of B,
    # split K over clusters of 2 to 8 blocks, persistent tiles): a narrow
    # layer (k/v projection), N and K tails, a broadcast batch.
    yield dict(dtype="bf16", out="bf16", n=1024, k=4096, trans_b=True,
               ms=CLASS_SIZES)
    yield dict(dtype="f16", out="f32", n=264, k=4104, trans_b=True,
               bias="f32", epilogue="silu", ms=CLASS_SIZES)
    yield dict(dtype="bf16", out="bf16", n=1000, k=1000, trans_b=True, batch=2,
               broadcast_b=True, ms=CLASS_SIZES)
    # Stream-K (sm_90a), pinned: tiles shared by 2 to 100+ blocks, partial
    # tiles at every edge, B in both layouts, a batch, bias and epilogue.
    wgmma = "stages = 4, warps = 12, swizzle = 8, mma = \"wgmma\", stream_k = true"
    for (bm, bn), extra in [((128, 64), dict(n=1000, k=1000, trans_b=True)),
                            ((128, 128), dict(n=264, k=4104, trans_b=True, bias="f32",
                                              epilogue="relu", alpha=0.5)),
                            ((256, 128), dict(n=256, k=1000, batch=3)),
                            ((128, 256), dict(n=4096, k=4096, trans_b=True))]:
        yield dict(dtype="bf16", out="bf16", ms=CLASS_SIZES, targets=["sm_90a"],
                   schedule=f"#tessera.schedule<block_m = {bm}, block_n = {bn}, "
                            f"block_k = 64, {wgmma}>", tag=f"sk{bm}x{bn}", **extra)
    # An M-contiguous A needs a static M (TMA rows): both transposes, batch.
    yield dict(dtype="bf16", out="bf16", m=1000, n=1000, k=264, trans_a=True)
    yield dict(dtype="f16", out="f32", m=264, n=520, k=4104, trans_a=True,
               trans_b=True, batch=2, bias="f32", epilogue="relu", alpha=0.5)


def fp8_cases():
    """sm_90a only: fp8 wgmma reads A [M, K] and B [N, K]; TMA needs K to be
    a multiple of 16 bytes (as cuBLASLt's fp8 GEMM does)."""
    e4m3 = dict(dtype="f8e4m3fn", trans_b=True, scales=True)
    for n, k in itertools.product(SIZES, [16, 1008, 4112]):
        yield dict(e4m3, out="bf16", n=n, k=k)
    yield dict(e4m3, out="f32", n=4096, k=4096, ms=CLASS_SIZES)
    yield dict(e4m3, out="bf16", n=1000, k=256, bias="bf16",
               epilogue="gelu_tanh", alpha=0.5)
    yield dict(e4m3, out="f16", n=4097, k=1008, bias="f32", epilogue="relu")
    yield dict(e4m3, out="bf16", n=255, k=4112, batch=2, broadcast_b=True,
               epilogue="silu")
    yield dict(e4m3, out="f32", n=1024, k=1008, dtype_b="f8e5m2")
    yield dict(dtype="f8e4m3fn", trans_b=True, out="bf16", n=127, k=4112)


def graph(c):
    mlir = {"f8e4m3fn": "f8E4M3FN", "f8e5m2": "f8E5M2"}
    t, o = mlir.get(c["dtype"], c["dtype"]), c["out"]
    tb = mlir.get(c.get("dtype_b"), t)
    n, k = c["n"], c["k"]
    batch = c.get("batch")
    prefix = f"{batch}x" if batch else ""
    m = c.get("m", "?")
    a = f"tensor<{prefix}{k}x{m}x{t}>" if c.get("trans_a") else f"tensor<{prefix}{m}x{k}x{t}>"
    bprefix = "" if c.get("broadcast_b") else prefix
    b = (f"tensor<{bprefix}{n}x{k}x{tb}>" if c.get("trans_b")
         else f"tensor<{bprefix}{k}x{n}x{tb}>")
    r = f"tensor<{prefix}{m}x{n}x{o}>"
    attrs = []
    if c.get("trans_a"):
        attrs.append("transpose_a")
    if c.get("trans_b"):
        attrs.append("transpose_b")
    if c.get("alpha", 1.0) != 1.0:
        attrs.append(f"alpha = {c['alpha']} : f32")
    if c.get("epilogue"):
        attrs.append(f"epilogue = #tessera.epilogue<{c['epilogue']}>")
    if c.get("schedule"):
        attrs.append(f"schedules = [{c['schedule']}]")
    attr = " {" + ", ".join(attrs) + "}" if attrs else ""
    args = f"%a: {a}, %b: {b}"
    operands, types = "%a, %b", f"{a}, {b}"
    if c.get("scales"):
        args += ", %sa: tensor<f32>, %sb: tensor<f32>"
    if c.get("bias"):
        bt = f"tensor<{n}x{c['bias']}>"
        args += f", %bias: {bt}"
        operands += ", %bias"
        types += f", {bt}"
    if c.get("scales"):
        operands += " scales(%sa, %sb)"
    return (f"func.func @gemm({args}) -> {r} {{\n"
            f"  %0 = tessera.matmul {operands}{attr} : {types} -> {r}\n"
            f"  return %0 : {r}\n}}\n")


def name(c):
    parts = [c["dtype"]] + ([c["dtype_b"]] if "dtype_b" in c else []) + [c["out"]] + ([f"m{c['m']}"] if "m" in c else []) + [
        f"n{c['n']}", f"k{c['k']}"]
    for key in ["trans_a", "trans_b", "broadcast_b", "scales"]:
        if c.get(key):
            parts.append(key.replace("_", ""))
    for key in ["batch", "bias", "epilogue"]:
        if c.get(key):
            parts.append(f"{key}{c[key]}")
    if c.get("alpha", 1.0) != 1.0:
        parts.append(f"alpha{c['alpha']}")
    if c.get("tag"):
        parts.append(c["tag"])
    return "_".join(parts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compiler", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--targets", nargs="+", default=["sm_80", "sm_90a"])
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    records = []
    every = [(c, [t for t in args.targets if t in c.get("targets", args.targets)])
             for c in cases()]
    if "sm_90a" in args.targets:
        every += [(c, ["sm_90a"]) for c in fp8_cases()]
    for c, targets in every:
        c["name"] = name(c)
        src = os.path.join(args.out, c["name"] + ".mlir")
        with open(src, "w") as f:
            f.write(graph(c))
        for target in targets:
            tsm = os.path.join(args.out, f"{c['name']}.{target}.tsm")
            r = subprocess.run([args.compiler, src, "--target", target, "-o", tsm],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{c['name']} ({target}): {r.stderr}")
            ms = [c["m"]] if "m" in c else c.get("ms", SIZES)
            records.append(dict(c, target=target, artifact=os.path.basename(tsm),
                                ms=ms))
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(records, f, indent=1)
    print(f"{len(records)} artifacts in {args.out}")


if __name__ == "__main__":
    main()
