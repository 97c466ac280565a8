#!/usr/bin/env python3
"""Compiles the attention benchmark's graphs (docs/benchmarks.md) for the GPU:

  prefill, as in the FlashAttention-3 paper: batch x seqlen = 16K tokens,
  hidden 2048 (H = 2048 / d heads, MHA), head dim 64, 128 and 256, seqlen
  512 to 16K, causal and not, bf16 (and f16 for d = 128), output in the
  input type and no lse (what SDPA returns): one artifact per (head dim,
  causal, dtype) with dynamic B and S, so every seqlen shares it;
  decode: Hq = 32, Hkv = 8, d = 128, one query token (Sq = 1, static),
  batch in {1, 8, 64}, KV length in {1K, 8K, 32K, 128K} (rows whose K + V
  exceed 40 GB are left out): one artifact with dynamic B and Skv.

The compiler chooses the schedules; --explore adds artifacts with pinned
#tessera.attention_schedule variants, which the benchmark times as extra
Tessera contenders of the same rows.

  bench/attention/make_bench_artifacts.py --compiler build/bin/tessera-compile \
      --out artifacts/attn-bench --target sm_90a
  bench/attention/make_bench_artifacts.py --dry-run       # print the graphs only
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "test", "gpu"))
import attention_common as ac  # noqa: E402

TOKENS, HIDDEN = 16384, 2048
SEQLENS = [512, 1024, 2048, 4096, 8192, 16384]
HEAD_DIMS = [64, 128, 256]
DECODE = dict(hq=32, hkv=8, d=128, batches=[1, 8, 64],
              kv_lens=[1024, 8192, 32768, 131072])
KV_LIMIT_BYTES = 40e9

# Pinned schedules tried besides the compiler's choice (--explore), by head
# dim (wgmma: block_q is 64 rows per consumer warpgroup, warps / 4 - 1
# consumers). FlashAttention-3 uses 192 x 128 tiles at d = 64, 128 x 128 /
# 128 x 176 at d = 128 and 128 x 80 at d = 256.
def S(block_q, block_kv, stages, warps, split_kv=1, **flags):
    return dict(block_q=block_q, block_kv=block_kv, stages=stages, warps=warps,
                split_kv=split_kv, **flags)


EXPLORE = {64: [S(192, 64, 3, 16), S(192, 64, 3, 16, pingpong=True), S(192, 96, 2, 16),
                S(128, 128, 2, 12), S(128, 128, 2, 12, pingpong=True), S(128, 192, 2, 12)],
           128: [S(128, 128, 2, 12), S(128, 128, 2, 12, pingpong=True),
                 S(128, 64, 3, 12)],
           256: [S(128, 80, 2, 12), S(128, 64, 2, 12), S(64, 64, 2, 8)]}
# Decode: one consumer, the query heads of a KV head packed into the rows,
# KV split 4, 8, 16 ways or as the runtime chooses (0).
EXPLORE_DECODE = [S(64, 128, 2, 8, split, pack_gqa=True) for split in (0, 8, 16, 32)] + [
    S(64, 128, 2, 8, 0)]


def tag(p):
    t = "q{block_q}_kv{block_kv}_s{stages}_w{warps}_split{split_kv}".format(**p)
    return t + "".join(f"_{k}" for k in ("pack_gqa", "pingpong") if p.get(k))


def decode_rows():
    for b in DECODE["batches"]:
        for skv in DECODE["kv_lens"]:
            kv_bytes = 2 * b * DECODE["hkv"] * skv * DECODE["d"] * 2
            if kv_bytes <= KV_LIMIT_BYTES:
                yield [b, skv]


def schedule_text(target, p):
    return ac.attention_schedule(target, p["split_kv"], block_q=p["block_q"],
                                 block_kv=p["block_kv"], stages=p["stages"],
                                 warps=p["warps"], pack_gqa=p.get("pack_gqa", False),
                                 pingpong=p.get("pingpong", False))


def shapes(explore, target):
    for d in HEAD_DIMS:
        for dtype in (["bf16", "f16"] if d == 128 else ["bf16"]):
            for causal in (False, True):
                base = dict(kind="prefill", d=d, heads=HIDDEN // d, causal=causal,
                            dtype=dtype, tokens=TOKENS, seqlens=SEQLENS,
                            variant="default", schedule=None)
                name = f"prefill_d{d}_{'causal' if causal else 'full'}_{dtype}"
                yield dict(base, name=name)
                if explore and dtype == "bf16":
                    for p in EXPLORE[d]:
                        yield dict(base, name=f"{name}_{tag(p)}", variant=tag(p),
                                   schedule=schedule_text(target, p))
    base = dict(kind="decode", hq=DECODE["hq"], hkv=DECODE["hkv"], d=DECODE["d"],
                dtype="bf16", rows=list(decode_rows()), variant="default",
                schedule=None)
    yield dict(base, name="decode_h32kv8_d128_bf16")
    if explore:
        for p in EXPLORE_DECODE:
            yield dict(base, name=f"decode_h32kv8_d128_bf16_{tag(p)}", variant=tag(p),
                       schedule=schedule_text(target, p))


def graph(s):
    if s["kind"] == "prefill":
        h = s["heads"]
        return ac.attention_graph("attn", s["dtype"], s["dtype"], None, h, h, None,
                                  None, s["d"], causal=s["causal"], lse=False,
                                  schedule=s["schedule"])
    return ac.attention_graph("attn", s["dtype"], s["dtype"], None, s["hq"], s["hkv"],
                              1, None, s["d"], lse=False, schedule=s["schedule"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--compiler", help="tessera-compile (not needed with --dry-run)")
    p.add_argument("--out", default="artifacts/attn-bench")
    p.add_argument("--target", default="sm_90a")
    p.add_argument("--explore", action="store_true",
                   help="also pinned schedule variants (extra Tessera contenders)")
    p.add_argument("--only", default="", help="graphs whose name contains this")
    p.add_argument("--dry-run", action="store_true",
                   help="print the graphs; compile nothing")
    p.add_argument("--keep-going", action="store_true",
                   help="leave out graphs that fail to compile instead of stopping")
    args = p.parse_args()
    if not args.dry_run and not args.compiler:
        p.error("--compiler is required unless --dry-run")
    every = [s for s in shapes(args.explore, args.target) if args.only in s["name"]]
    if args.dry_run:
        for s in every:
            rows = s.get("rows") or [[TOKENS // n, n] for n in s["seqlens"]]
            print(f"// {s['name']}: (B, S) = {rows}")
            print(graph(s))
        print(f"// {len(every)} artifacts")
        return
    os.makedirs(args.out, exist_ok=True)
    records, total = [], 0
    for s in every:
        src = os.path.join(args.out, s["name"] + ".mlir")
        with open(src, "w") as f:
            f.write(graph(s))
        tsm = os.path.join(args.out, s["name"] + ".tsm")
        ok, message = ac.compile_graph(args.compiler, src, args.target, tsm)
        if not ok:
            if args.keep_going or s["variant"] != "default":
                print(f"skipped {s['name']}: {message.splitlines()[0] if message else ''}")
                continue
            sys.exit(f"{s['name']}: {message}")
        size = os.path.getsize(tsm)
        total += size
        records.append(dict(s, artifact=os.path.basename(tsm), target=args.target,
                            bytes=size))
        print(f"{os.path.basename(tsm)}: {ac.megabytes(size):.2f} MiB")
    with open(os.path.join(args.out, "shapes.json"), "w") as f:
        json.dump(records, f, indent=1)
    print(f"{len(records)} artifacts in {args.out}, {ac.megabytes(total):.1f} MiB in all")


if __name__ == "__main__":
    main()
