#!/usr/bin/env python3
"""GPU numerics of Tessera's attention kernels (run on the GPU machine).

For every artifact of make_attention_cases.py and every (B, Sq, Skv) run of
its case: random normal inputs (never zeros) rounded to the input type,
results written by tessera_module_invoke_into into buffers we fill with NaN,
with TESSERA_POISON_RESULTS=1 so the runtime also fills them with 0xFF
bytes before the launch; then a second run through tessera_module_invoke
(results allocated by the runtime, poisoned the same way). Both are
compared with
  ref    float64 on the GPU from the same rounded inputs: materialized
         softmax attention with the op's exact masks (bottom-right causal,
         windows, rows without keys give out = 0 and lse = -inf), GQA by
         repeating kv heads (query head h reads kv head h // (Hq / Hkv));
  naive  the same materialized math in the input type (bf16 / f16 scores,
         softmax and products, as FlashAttention's attention_ref with
         upcast=False), cast to the output type.
A run passes (FlashAttention-3's rule) when
  max|out - ref| <= 2 * max|naive - ref| + eps,
eps being the output type's rounding noise at the outputs' magnitude: half
an ulp of bf16 / f16 at max|ref|, and 1e-5 for f32 outputs; when no
element is NaN or inf; when the rows that see no key are exactly 0; and, for
the lse result, when |lse - ref| <= 1e-3 * max(1, |ref|) on rows with keys
and lse is exactly -inf on rows without. merge_attention cases use the same
rule with an f32 naive (the op computes in f32); the attention-between-
matmuls case with bf16 projections, bf16 attention and an f32 output
projection as its naive.

  python3 test/gpu/attention_numerics.py --cases artifacts/attn-cases --build build-rt
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_common as ac  # noqa: E402

sys.path.insert(0, ac.RT_DIR)
import tessera_rt  # noqa: E402

LSE_TOLERANCE = 1e-3
DEVICE = "cuda"  # a self-test may point this at the CPU with a fake runtime
FUNCTION = {"attention": "attn", "merge": "merge", "pipeline": "block"}


def randn(shape, generator, dtype):
    return torch.randn(shape, generator=generator, device=DEVICE).to(dtype).contiguous()


def nan_buffer(shape, dtype):
    return torch.full(shape, float("nan"), device=DEVICE, dtype=dtype)


class Outcome:
    """What one result of a run measured; ok says whether it passed."""

    def __init__(self):
        self.ok, self.err, self.naive, self.bound = True, 0.0, 0.0, 0.0
        self.lse_err, self.empty, self.notes = 0.0, 0, []

    def fail(self, note):
        self.ok = False
        self.notes.append(note)


def max_abs(x):
    return x.abs().max().item() if x.numel() else 0.0


def check(got, ref, naive, out_type, got_lse=None, ref_lse=None):
    """Applies the pass rule to `got` (and `got_lse`) against ref / naive."""
    o = Outcome()
    g = got.double()
    if g.shape != ref.shape:
        o.fail(f"shape {tuple(g.shape)} != {tuple(ref.shape)}")
        return o
    if not torch.isfinite(g).all().item():
        o.fail(f"{int((~torch.isfinite(g)).sum().item())} NaN/inf")
    o.err = max_abs(torch.nan_to_num(g - ref, nan=math.inf))
    o.naive = max_abs(naive.double() - ref)
    o.bound = 2 * o.naive + ac.half_ulp(out_type, max_abs(ref))
    if not o.err <= o.bound:
        o.fail("error above bound")
    if ref_lse is not None:
        empty = torch.isinf(ref_lse)
        o.empty = int(empty.sum().item())
        if o.empty and not (g[empty] == 0).all().item():
            o.fail("rows without keys are not 0")
        if got_lse is not None:
            gl = got_lse.double()
            if torch.isnan(gl).any().item():
                o.fail("lse NaN")
            if o.empty and not (gl[empty] == -math.inf).all().item():
                o.fail("lse not -inf on rows without keys")
            seen = ~empty
            if seen.any().item():
                rel = (gl[seen] - ref_lse[seen]).abs() / ref_lse[seen].abs().clamp(min=1.0)
                o.lse_err = max_abs(torch.nan_to_num(rel, nan=math.inf))
                if not o.lse_err <= LSE_TOLERANCE:
                    o.fail("lse error")
    return o


def run_both(module, fn, args, outputs, out_types):
    """invoke_into into `outputs` (NaN-filled torch tensors), then invoke;
    returns (into results, invoke results) as torch CUDA tensors."""
    handles = [module.wrap(a, t) for a, t in args]
    outs = [module.wrap(o, t) for o, t in zip(outputs, out_types)]
    try:
        module.invoke_into(fn, handles, outs)
        torch.cuda.synchronize()
        results = module.invoke(fn, handles, len(outputs))
        torch.cuda.synchronize()
        second = []
        try:
            for r, t in zip(results, out_types):
                second.append(module.as_torch(r, ac.torch_dtype(t)).to(DEVICE))
        finally:
            for r in results:
                module.release(r)
    finally:
        for h in handles + outs:
            module.release(h)
    return outputs, second


def run_attention(module, fn, c, run, gen):
    b, sq, skv = run
    t, to = ac.torch_dtype(c["dtype"]), ac.torch_dtype(c["out"])
    hq, hkv, d = c["hq"], c["hkv"], c["d"]
    dv = c.get("dv") or d
    q = randn([b, hq, sq, d], gen, t)
    k = randn([b, hkv, skv, d], gen, t)
    v = randn([b, hkv, skv, dv], gen, t)
    scale = ac.effective_scale(c["scale"], d)
    outputs, types = [nan_buffer([b, hq, sq, dv], to)], [c["out"]]
    if c["lse"]:
        outputs.append(nan_buffer([b, hq, sq], torch.float32))
        types.append("f32")
    args = [(q, c["dtype"]), (k, c["dtype"]), (v, c["dtype"])]
    first, second = run_both(module, fn, args, outputs, types)
    ref, ref_lse = ac.reference_attention(q, k, v, scale, c["causal"], c["window"])
    naive = ac.naive_attention(q, k, v, scale, c["causal"], c["window"]).to(to)
    lse = (lambda r: r[1] if c["lse"] else None)
    return [check(r[0], ref, naive, c["out"], lse(r), ref_lse) for r in (first, second)]


def merge_reference(o1, l1, o2, l2, dtype):
    """The merge formula in `dtype` (f64 reference, f32 naive)."""
    o1, o2, l1, l2 = o1.to(dtype), o2.to(dtype), l1.to(dtype), l2.to(dtype)
    m = torch.maximum(l1, l2)
    none = torch.isinf(m) & (m < 0)
    safe = torch.where(none, torch.zeros_like(m), m)
    w1, w2 = torch.exp(l1 - safe), torch.exp(l2 - safe)
    total = torch.where(none, torch.ones_like(m), w1 + w2)
    out = (w1[..., None] * o1 + w2[..., None] * o2) / total[..., None]
    out = torch.where(none[..., None], torch.zeros_like(out), out)
    lse = torch.where(none, m, m + torch.log(total))
    return out, lse


def run_merge(module, fn, c, run, gen):
    b, s = run
    t, to = ac.torch_dtype(c["dtype"]), ac.torch_dtype(c["out"])
    shape = [b, c["h"], s, c["dv"]]
    o1, o2 = randn(shape, gen, t), randn(shape, gen, t)
    # lse of partial attentions: spread over ~±15 so one side often
    # dominates, with -inf rows on either side and on both.
    l1 = randn(shape[:-1], gen, torch.float32) * 5 + 3
    l2 = randn(shape[:-1], gen, torch.float32) * 5 + 3
    u = torch.rand(shape[:-1], generator=gen, device=DEVICE)
    l1[u < 0.15] = -math.inf
    l2[(u > 0.10) & (u < 0.25)] = -math.inf
    l1[:, 0, 0] = -math.inf  # at least one row of each kind, whatever S
    l2[:, 0, 0] = -math.inf
    if c["h"] > 1:
        l1[:, 1, 0] = -math.inf
    if c["h"] > 2:
        l2[:, 2, 0] = -math.inf
    outputs = [nan_buffer(shape, to), nan_buffer(shape[:-1], torch.float32)]
    args = [(o1, c["dtype"]), (l1, "f32"), (o2, c["dtype"]), (l2, "f32")]
    first, second = run_both(module, fn, args, outputs, [c["out"], "f32"])
    ref, ref_lse = merge_reference(o1, l1, o2, l2, torch.float64)
    naive = merge_reference(o1, l1, o2, l2, torch.float32)[0].to(to)
    return [check(r[0], ref, naive, c["out"], r[1], ref_lse) for r in (first, second)]


def run_pipeline(module, fn, c, run, gen):
    b, s = run
    t = ac.torch_dtype(c["dtype"])
    e, hq, hkv, d = c["e"], c["hq"], c["hkv"], c["d"]
    assert b == 1, "the pipeline graph is one sequence"
    x = randn([s, e], gen, t)
    wq = (torch.randn([hq, e, d], generator=gen, device=DEVICE) / math.sqrt(e)).to(t)
    wk = (torch.randn([hkv, e, d], generator=gen, device=DEVICE) / math.sqrt(e)).to(t)
    wv = (torch.randn([hkv, e, d], generator=gen, device=DEVICE) / math.sqrt(e)).to(t)
    wo = (torch.randn([hq, d, e], generator=gen, device=DEVICE) / math.sqrt(d)).to(t)
    scale = ac.default_scale(d)
    outputs = [nan_buffer([hq, s, e], torch.float32)]
    args = [(x, c["dtype"]), (wq, c["dtype"]), (wk, c["dtype"]), (wv, c["dtype"]),
            (wo, c["dtype"])]
    first, second = run_both(module, fn, args, outputs, ["f32"])
    xd = x.double()
    o, _ = ac.reference_attention(*[(xd @ w.double())[None] for w in (wq, wk, wv)],
                                  scale, c["causal"], None)
    ref = o[0] @ wo.double()
    on = ac.naive_attention(*[(x @ w)[None] for w in (wq, wk, wv)], scale, c["causal"], None)
    naive = on[0].float() @ wo.float()
    return [check(r[0], ref, naive, "f32") for r in (first, second)]


RUNNERS = {"attention": run_attention, "merge": run_merge, "pipeline": run_pipeline}


def describe(c, run):
    if c["kind"] == "attention":
        return "B={} Sq={} Skv={}".format(*run)
    return "B={} S={}".format(*run)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--targets", nargs="*")
    p.add_argument("--only", default="", help="cases whose name contains this")
    p.add_argument("--max-len", type=int, default=0,
                   help="skip runs with a sequence longer than this (0: none)")
    p.add_argument("--seed", type=int, default=1234)
    args = p.parse_args()
    os.environ["TESSERA_POISON_RESULTS"] = "1"
    # The naive side's matmuls: no TF32, no reduced-precision reductions.
    for flag in ["allow_tf32", "allow_bf16_reduced_precision_reduction",
                 "allow_fp16_reduced_precision_reduction"]:
        try:
            setattr(torch.backends.cuda.matmul, flag, False)
        except (AssertionError, AttributeError):  # an older torch lacks it
            pass
    rt = tessera_rt.Runtime(tessera_rt.find_library(args.build))
    with open(os.path.join(args.cases, "cases.json")) as f:
        cases = json.load(f)
    skipped_path = os.path.join(args.cases, "skipped.json")
    if os.path.exists(skipped_path):
        with open(skipped_path) as f:
            for s in json.load(f):
                kind = "optional case" if s.get("optional") else "WARNING: case"
                first = s["error"].splitlines()[0] if s["error"] else ""
                print(f"{kind} {s['name']} ({s['target']}) was not compiled: {first}")
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    generator = torch.Generator(device=DEVICE)
    generator.manual_seed(args.seed)
    start = time.time()
    passed = failed = 0
    worst = {}  # kind -> largest err / naive error
    for c in cases:
        if args.targets and c["target"] not in args.targets:
            continue
        if args.only not in c["name"]:
            continue
        runs = [r for r in c["runs"]
                if not args.max_len or max(r[1:]) <= args.max_len]
        if not runs:
            continue
        t0 = time.time()
        try:
            module = rt.load(os.path.join(args.cases, c["artifact"]))
            fn = module.function(FUNCTION[c["kind"]])
        except Exception as e:  # every run of the case fails
            for run in runs:
                print(f"FAIL {c['target']} {c['name']} {describe(c, run)}: load: {e}")
            failed += len(runs)
            continue
        print(f"# {c['target']} {c['name']}: {ac.megabytes(c.get('bytes', 0)):.2f} MiB, "
              f"loaded in {time.time() - t0:.2f} s")
        for run in runs:
            try:
                outcomes = RUNNERS[c["kind"]](module, fn, c, run, generator)
            except Exception as e:  # a failed launch is a failed run
                print(f"FAIL {c['target']} {c['name']} {describe(c, run)}: ERROR {e}")
                failed += 1
                continue
            into, again = outcomes
            ok = into.ok and again.ok
            notes = into.notes + [f"invoke: {n}" for n in again.notes]
            if into.naive > 0 and math.isfinite(into.err):
                worst[c["kind"]] = max(worst.get(c["kind"], 0.0), into.err / into.naive)
            line = (f"{c['target']} {c['name']} {describe(c, run)}: err {into.err:.3g} "
                    f"naive {into.naive:.3g} bound {into.bound:.3g}")
            if c["kind"] != "pipeline":
                line += f" lse {into.lse_err:.2g} empty_rows {into.empty}"
            line += f" | invoke err {again.err:.3g}"
            if notes:
                line += " [" + "; ".join(notes) + "]"
            print(("ok   " if ok else "FAIL ") + line)
            if ok:
                passed += 1
            else:
                failed += 1
        del module
        torch.cuda.empty_cache()
    ratios = ", ".join(f"{k} {v:.2f}" for k, v in sorted(worst.items()))
    print(f"attention numerics: {time.time() - start:.0f} s; worst error / naive "
          f"error: {ratios or 'n/a'}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
