#!/usr/bin/env python3
"""Writes the attention cases of the GPU numerics test as model graphs,
compiles each with tessera-compile for the requested targets and records
them in <out>/cases.json for attention_numerics.py (run on the GPU machine).

The sweep is FlashAttention-3's: Sq and Skv in {1, 113, 239, 799, 1023,
4224} with Sq != Skv (every pair for d = 128, GQA 4, causal; a near-diagonal
subset elsewhere), head dims 64, 80, 96, 128, 256, GQA ratios 1, 4, 8
(Hq = 8, Hkv = 8, 2, 1), causal, sliding windows of 64 and 256 and no mask,
lse, batch 1 and 3, KV splits forced to 1 and 3 by a pinned schedule, bf16
and f16 inputs, bf16, f16 and f32 outputs. Most graphs have dynamic B, Sq
and Skv, so one artifact serves all of its (B, Sq, Skv) runs; two have
static shapes. One pinned schedule packs the query heads of a KV head into
a block's rows (pack_gqa); two make the consumer warpgroups take turns
(pingpong, sm_90a). Also tessera.merge_attention (rank 4, bf16 and f32, rows
whose lse is -inf) and attention between matmuls with reshapes (one
launch plan: QKV projection, attention, output projection).

  test/gpu/make_attention_cases.py --compiler build/bin/tessera-compile \
      --out artifacts/attn-cases --targets sm_80 sm_90a
  test/gpu/make_attention_cases.py --dry-run          # print the graphs only
"""
import argparse
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_common as ac  # noqa: E402

SIZES = [1, 113, 239, 799, 1023, 4224]
# Every (Sq, Skv) with Sq != Skv: the full sweep of one configuration.
ALL_PAIRS = [(a, b) for a, b in itertools.product(SIZES, SIZES) if a != b]
# Neighbours in SIZES both ways, and one long-KV decode step.
NEAR_PAIRS = ([(a, b) for a, b in zip(SIZES, SIZES[1:])]
              + [(b, a) for a, b in zip(SIZES, SIZES[1:])] + [(1, 4224)])
EQUAL_PAIRS = [(239, 239), (1023, 1023), (4224, 4224)]


def runs(pairs, batch1=True, batch3=()):
    """(B, Sq, Skv) runs: every pair at B = 1, and `batch3` pairs at B = 3."""
    out = [(1, sq, skv) for sq, skv in pairs] if batch1 else []
    return out + [(3, sq, skv) for sq, skv in batch3]


B3 = [(113, 239), (1023, 799)]
B3_MAIN = B3 + [(1, 4224), (799, 1023)]
DECODE = [(1, 799), (1, 1023)]


def A(**kw):
    """An attention case: defaults of the main configuration."""
    c = dict(kind="attention", dtype="bf16", out="bf16", hq=8, hkv=2, d=128,
             causal=True, window=None, lse=True, split=None, scale=None,
             static=None)
    c.update(kw)
    return c


def attention_cases():
    near = runs(NEAR_PAIRS, batch3=B3)
    # The full (Sq, Skv) sweep: d = 128, GQA 4 (Hq 8, Hkv 2), causal, bf16.
    yield A(runs=runs(ALL_PAIRS + EQUAL_PAIRS, batch3=B3_MAIN))
    # Head dims, GQA ratios, masks, types, lse or not, a non-default scale.
    yield A(d=64, hkv=8, runs=near)
    yield A(d=80, dtype="f16", out="f16", causal=False, runs=near)
    yield A(d=80, hkv=1, runs=near)
    yield A(d=96, out="f32", hkv=1, window=64, runs=near)
    yield A(d=256, runs=near)
    yield A(d=256, dtype="f16", out="f16", hkv=8, causal=False, lse=False, runs=near)
    yield A(hkv=1, window=256, runs=near)
    yield A(dtype="f16", out="f32", hkv=8, causal=False, scale=0.5, runs=near)
    yield A(out="f16", lse=False, runs=near)
    # KV splits forced by a pinned schedule (a merge kernel follows the
    # split kernel): 3 splits with causal, no mask and a window; 1 split.
    yield A(split=3, runs=runs(NEAR_PAIRS + DECODE, batch3=B3 + [(1, 4224)]))
    yield A(split=1, runs=near)
    yield A(split=3, d=64, dtype="f16", out="f16", hkv=8, causal=False, runs=near)
    yield A(split=3, out="f32", hkv=1, window=256, runs=near)
    # The query heads of a KV head packed into a block's rows (head-major),
    # with 3 splits: decode steps and prefill blocks.
    yield A(split=3, pack_gqa=True, runs=runs(NEAR_PAIRS + DECODE, batch3=B3 + [(1, 4224)]))
    # Consumer warpgroups taking turns (ping-pong, sm_90a; sm_80 compiles
    # the same tiles without it): 2 consumers, and 3 at d = 64.
    yield A(split=1, pingpong=True, runs=near)
    yield A(split=1, pingpong=True, tile=(192, 64, 16), d=64, hkv=8, causal=False,
            window=None, runs=near)
    # Static shapes: a decode step over a window, a prefill block.
    yield A(static=(2, 1, 4224), window=256, runs=[(2, 1, 4224)])
    yield A(static=(3, 799, 1023), d=64, dtype="f16", out="f16",
            runs=[(3, 799, 1023)])


def merge_cases():
    # o [B, H, S, Dv], lse [B, H, S]; runs are (B, S).
    yield dict(kind="merge", dtype="bf16", out="bf16", h=8, dv=128, static=None,
               runs=[(1, 1), (3, 239), (2, 4224)])
    yield dict(kind="merge", dtype="f32", out="f32", h=4, dv=64, static=None,
               runs=[(1, 113), (3, 1023)])
    yield dict(kind="merge", dtype="bf16", out="f32", h=8, dv=128, static=(4, 1),
               runs=[(4, 1)])


def pipeline_cases():
    # QKV projections -> attention -> per-head output projection for one
    # sequence; runs (B = 1, S): the decode and the prefill kernels.
    for causal in (True, False):
        yield dict(kind="pipeline", dtype="bf16", out="f32", e=256, hq=8, hkv=2, d=64,
                   causal=causal, runs=[(1, 1), (1, 7), (1, 239), (1, 1023)])


def name(c):
    if c["kind"] == "merge":
        parts = ["merge", c["dtype"], c["out"], f"h{c['h']}", f"dv{c['dv']}"]
        if c["static"]:
            parts.append("static_b{}_s{}".format(*c["static"]))
        return "_".join(parts)
    if c["kind"] == "pipeline":
        return (f"pipeline_{c['dtype']}_{c['out']}_e{c['e']}_h{c['hq']}kv{c['hkv']}"
                f"_d{c['d']}" + ("_causal" if c["causal"] else ""))
    mask = ("window{}".format(c["window"]) if c["window"] is not None
            else "causal" if c["causal"] else "nomask")
    parts = ["attn", c["dtype"], c["out"], f"h{c['hq']}kv{c['hkv']}", f"d{c['d']}", mask]
    parts.append("lse" if c["lse"] else "nolse")
    if c["scale"] is not None:
        parts.append(f"scale{c['scale']}")
    parts.append(f"split{c['split']}" if c["split"] else "auto")
    if c.get("pack_gqa"):
        parts.append("packgqa")
    if c.get("tile"):
        parts.append("q{}_kv{}_w{}".format(*c["tile"]))
    if c.get("pingpong"):
        parts.append("pingpong")
    if c["static"]:
        parts.append("static_b{}_q{}_k{}".format(*c["static"]))
    return "_".join(parts)


def graph(c, target):
    if c["kind"] == "merge":
        b, s = c["static"] or (None, None)
        return ac.merge_graph("merge", c["dtype"], c["out"], [b, c["h"], s, c["dv"]])
    if c["kind"] == "pipeline":
        return ac.pipeline_graph("block", c["dtype"], c["e"], c["hq"], c["hkv"],
                                 c["d"], c["causal"])
    b, sq, skv = c["static"] or (None, None, None)
    wgmma = target != "sm_80"
    block_q, block_kv, warps = c["tile"] if c.get("tile") and wgmma else (None, None, None)
    schedule = (ac.attention_schedule(target, c["split"], block_q=block_q, block_kv=block_kv,
                                      warps=warps, pack_gqa=c.get("pack_gqa", False),
                                      pingpong=c.get("pingpong", False) and wgmma)
                if c["split"] else None)
    return ac.attention_graph("attn", c["dtype"], c["out"], b, c["hq"], c["hkv"],
                              sq, skv, c["d"], causal=c["causal"],
                              window=c["window"], scale=c["scale"], lse=c["lse"],
                              schedule=schedule)


def all_cases():
    return list(attention_cases()) + list(merge_cases()) + list(pipeline_cases())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--compiler", help="tessera-compile (not needed with --dry-run)")
    p.add_argument("--out", default="artifacts/attn-cases")
    p.add_argument("--targets", nargs="+", default=["sm_80", "sm_90a"])
    p.add_argument("--only", default="", help="cases whose name contains this")
    p.add_argument("--dry-run", action="store_true",
                   help="print the graphs and the run counts; compile nothing")
    p.add_argument("--keep-going", action="store_true",
                   help="record cases that fail to compile in skipped.json "
                        "instead of stopping at the first")
    p.add_argument("--budget-mb", type=float, default=40.0,
                   help="warn when the artifacts exceed this many MiB")
    args = p.parse_args()
    if not args.dry_run and not args.compiler:
        p.error("--compiler is required unless --dry-run")

    cases = [c for c in all_cases() if args.only in name(c)]
    if args.dry_run:
        total_runs = 0
        for c in cases:
            c["name"] = name(c)
            for target in args.targets:
                print(f"// {c['name']} ({target}): {len(c['runs'])} runs: "
                      + " ".join("x".join(map(str, r)) for r in c["runs"]))
                print(graph(c, target))
                total_runs += len(c["runs"])
        print(f"// {len(cases)} graphs x {len(args.targets)} targets = "
              f"{len(cases) * len(args.targets)} artifacts, {total_runs} runs")
        return

    os.makedirs(args.out, exist_ok=True)
    records, skipped, total = [], [], 0
    for c in cases:
        c["name"] = name(c)
        for target in args.targets:
            src = os.path.join(args.out, f"{c['name']}.{target}.mlir")
            with open(src, "w") as f:
                f.write(graph(c, target))
            tsm = os.path.join(args.out, f"{c['name']}.{target}.tsm")
            ok, message = ac.compile_graph(args.compiler, src, target, tsm)
            if not ok:
                first = message.splitlines()[0] if message else "(no message)"
                if c.get("optional") or args.keep_going:
                    print(f"skipped {c['name']} ({target}): {first}")
                    skipped.append(dict(name=c["name"], target=target,
                                        optional=bool(c.get("optional")),
                                        error=message))
                    continue
                sys.exit(f"{c['name']} ({target}): {message}")
            size = os.path.getsize(tsm)
            total += size
            records.append(dict(c, target=target, artifact=os.path.basename(tsm),
                                bytes=size))
            print(f"{os.path.basename(tsm)}: {ac.megabytes(size):.2f} MiB, "
                  f"{len(c['runs'])} runs")
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(records, f, indent=1)
    with open(os.path.join(args.out, "skipped.json"), "w") as f:
        json.dump(skipped, f, indent=1)
    runs_total = sum(len(r["runs"]) for r in records)
    print(f"{len(records)} artifacts in {args.out}, {runs_total} runs, "
          f"{ac.megabytes(total):.1f} MiB in all; {len(skipped)} skipped")
    if ac.megabytes(total) > args.budget_mb:
        print(f"WARNING: the artifacts ({ac.megabytes(total):.1f} MiB) exceed "
              f"--budget-mb {args.budget_mb}: carry fewer (--targets, --only)")


if __name__ == "__main__":
    main()
