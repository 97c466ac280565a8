#!/usr/bin/env python3
"""Runs one attention benchmark shape in a loop, for a profiler.

Prefill (the benchmark's setting: B x S = 16K tokens, H = 2048 / d heads):
  ncu --set full --profile-from-start off --launch-count 2 -o tessera_d128_s8k \
      python3 bench/attention/profile_one.py --d 128 --seqlen 8192 --contender tessera
--causal for the causal mask, --dtype f16, --decode B,SKV for a decode step
(Hq 32, Hkv 8, d 128) instead. Contenders: tessera, cudnn, flash,
efficient (SDPA backends) and triton (bench_attention.py's kernel). Only the
`--iters` calls after `--warmup` run inside cudaProfilerStart/Stop, so
`ncu --profile-from-start off` (or nsys --capture-range=cudaProfilerApi)
sees just them, not the input generation or a first call's module load.

--list-kernels runs every contender under torch.profiler instead and
prints the CUDA kernels each one launches, with their device time.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import sdpa_kernel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_attention as ba  # noqa: E402


def make_calls(args, tessera, name, q, k, v, causal, gqa):
    """A no-argument function making one call of contender `name`."""
    if name == "tessera":
        kind = "decode" if args.decode else "prefill"
        match = dict(kind=kind) if args.decode else dict(kind=kind, d=args.d, causal=causal,
                                                          dtype=args.dtype)
        match["variant"] = args.variant
        found = list(tessera.variants(**match))
        if not found:
            sys.exit(f"no Tessera artifact for {match} in {args.artifacts}")
        _, loaded = found[0]
        if isinstance(loaded, Exception):
            sys.exit(f"cannot load the Tessera artifact: {loaded}")
        module, fn = loaded
        out = torch.full(q.shape, float("nan"), device="cuda", dtype=q.dtype)
        handles = [module.wrap(x, args.dtype) for x in (q, k, v)]
        ho = module.wrap(out, args.dtype)
        return lambda: module.invoke_into(fn, handles, [ho])
    if name == "triton":
        out = torch.empty_like(q)
        return lambda: ba.triton_attention(q, k, v, out, causal)
    backend = dict(ba.BACKENDS)[name]
    extra = dict(enable_gqa=True) if gqa else {}

    def call():
        with sdpa_kernel(backend):
            F.scaled_dot_product_attention(q, k, v, is_causal=causal, **extra)
    return call


def kernel_table(prof):
    """(name, calls, total device µs) of the CUDA kernels in `prof`."""
    rows = {}
    for e in prof.events():
        if getattr(e, "device_type", None) != torch.autograd.DeviceType.CUDA:
            continue
        total = getattr(e, "device_time", None)
        if total is None:
            total = getattr(e, "cuda_time", 0.0)
        n, t = rows.get(e.name, (0, 0.0))
        rows[e.name] = (n + 1, t + total)
    return sorted(((n, c, t) for n, (c, t) in rows.items()), key=lambda r: -r[2])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--seqlen", type=int, default=8192)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f16"])
    p.add_argument("--decode", help="B,SKV: a decode step instead of prefill")
    p.add_argument("--contender", default="tessera",
                   choices=["tessera", "cudnn", "flash", "efficient", "triton"])
    p.add_argument("--variant", default="default", help="a Tessera --explore variant")
    p.add_argument("--artifacts", default="artifacts/attn-bench")
    p.add_argument("--build", default="build-rt")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--list-kernels", action="store_true",
                   help="print every contender's CUDA kernels (torch.profiler)")
    args = p.parse_args()
    torch.manual_seed(0)
    t = ba.TORCH[args.dtype]
    if args.decode:
        b, skv = (int(x) for x in args.decode.split(","))
        args.d, causal, gqa = 128, False, True
        q = torch.randn(b, 32, 1, 128, device="cuda", dtype=t)
        k, v = (torch.randn(b, 8, skv, 128, device="cuda", dtype=t) for _ in range(2))
        shape = f"decode B={b} Skv={skv} (Hq 32, Hkv 8, d 128)"
    else:
        b, h = 16384 // args.seqlen, 2048 // args.d
        causal, gqa = args.causal, False
        q, k, v = (torch.randn(b, h, args.seqlen, args.d, device="cuda", dtype=t)
                   for _ in range(3))
        shape = (f"prefill B={b} H={h} S={args.seqlen} d={args.d} "
                 f"{'causal' if causal else 'no mask'} {args.dtype}")
    rt = ba.tessera_rt.Runtime(ba.tessera_rt.find_library(args.build))
    with open(os.path.join(args.artifacts, "shapes.json")) as f:
        tessera = ba.Tessera(rt, args.artifacts, json.load(f))

    with torch.inference_mode():
        if args.list_kernels:
            from torch.profiler import ProfilerActivity, profile
            print(f"kernels per contender, {shape}, {args.iters} calls each:")
            names = ["tessera", "cudnn", "flash", "efficient"]
            if ba.triton is not None and not args.decode:
                names.append("triton")
            for name in names:
                try:
                    call = make_calls(args, tessera, name, q, k, v, causal, gqa)
                    for _ in range(args.warmup):
                        call()
                    torch.cuda.synchronize()
                    with profile(activities=[ProfilerActivity.CUDA]) as prof:
                        for _ in range(args.iters):
                            call()
                        torch.cuda.synchronize()
                except (Exception, SystemExit) as e:  # n/a, keep going
                    print(f"== {name}: n/a ({ba.first_line(e)})")
                    continue
                print(f"== {name}")
                for kernel, calls, us in kernel_table(prof):
                    print(f"   {calls:4d} x  {us / max(calls, 1):10.1f} us  {kernel}")
            return
        call = make_calls(args, tessera, args.contender, q, k, v, causal, gqa)
        for _ in range(args.warmup):
            call()
        torch.cuda.synchronize()
        torch.cuda.profiler.start()
        for _ in range(args.iters):
            call()
        torch.cuda.synchronize()
        torch.cuda.profiler.stop()
    print(f"{args.contender}: {args.iters} calls of {shape}")


if __name__ == "__main__":
    main()
