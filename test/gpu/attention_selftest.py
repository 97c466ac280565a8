#!/usr/bin/env python3
"""Self-test of the attention numerics harness, without a GPU or compiler.

1. attention_common's float64 reference against a brute-force loop over
   every query row (bottom-right causal, windows, GQA, Sq > Skv with rows
   that see no key), with and without chunking; the naive bf16 attention
   near it.
2. make_attention_cases.py with a stand-in compiler (writes a dummy
   artifact), then attention_numerics.py's main() on the CPU through a fake
   runtime whose "kernels" emulate a flash kernel's rounding (f32 scores and
   online softmax over 128-key tiles, P rounded to the input type before
   the P V product): every run must pass. Then with injected bugs (top-left
   causal, lse of rows without keys not -inf, a row left unwritten, scores
   rounded to bf16 before the softmax plus P V in bf16): runs must fail.

Needs torch (CPU is enough):  python3 test/gpu/attention_selftest.py
"""
import json
import math
import os
import stat
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import attention_common as ac  # noqa: E402


def brute(q, k, v, scale, causal, window):
    B, hq, sq, _ = q.shape
    hkv, skv, dv = k.shape[1], k.shape[2], v.shape[3]
    out = torch.zeros(B, hq, sq, dv, dtype=torch.float64)
    lse = torch.full((B, hq, sq), -math.inf, dtype=torch.float64)
    for b in range(B):
        for h in range(hq):
            kh = h // (hq // hkv)
            for i in range(sq):
                keys = [j for j in range(skv)
                        if (not causal or j <= i + skv - sq)
                        and (window is None or j > i + skv - sq - window)]
                if not keys:
                    continue
                s = torch.stack([(q[b, h, i].double() * k[b, kh, j].double()).sum() * scale
                                 for j in keys])
                m = s.max()
                e = torch.exp(s - m)
                lse[b, h, i] = m + torch.log(e.sum())
                p = e / e.sum()
                out[b, h, i] = sum(p[n] * v[b, kh, j].double() for n, j in enumerate(keys))
    return out, lse


def check_references():
    g = torch.Generator().manual_seed(0)
    count = 0
    for sq, skv in [(1, 7), (5, 9), (9, 5), (9, 9), (6, 1)]:
        for causal, window in [(False, None), (True, None), (True, 3)]:
            q = torch.randn(2, 4, sq, 8, generator=g).bfloat16()
            k = torch.randn(2, 2, skv, 8, generator=g).bfloat16()
            v = torch.randn(2, 2, skv, 6, generator=g).bfloat16()
            scale = ac.default_scale(8)
            want_o, want_l = brute(q, k, v, scale, causal, window)
            for chunk in (1 << 25, 7):
                ac.CHUNK_ELEMENTS = chunk
                o, lse = ac.reference_attention(q, k, v, scale, causal, window)
                assert (o - want_o).abs().max() < 1e-12, (sq, skv, causal, window, chunk)
                assert torch.equal(torch.isinf(lse), torch.isinf(want_l))
                fin = ~torch.isinf(want_l)
                assert (lse[fin] - want_l[fin]).abs().max() < 1e-12 if fin.any() else True
                n = ac.naive_attention(q, k, v, scale, causal, window)
                assert not torch.isnan(n).any()
                assert (n.double() - want_o).abs().max() < 0.1
                assert (n[torch.isinf(want_l)] == 0).all()
            ac.CHUNK_ELEMENTS = 1 << 25
            count += 1
    mask = ac.sdpa_mask(3, 5, True, 2, "cpu")
    assert mask.tolist() == [[False, True, True, False, False],
                             [False, False, True, True, False],
                             [False, False, False, True, True]], mask
    assert ac.half_ulp("bf16", 1.5) == 2.0 ** -8 and ac.half_ulp("f16", 3.0) == 2.0 ** -10
    print(f"references: {count} configurations match the brute-force loop")


# ---------------------------------------------------------------------------
# A fake runtime whose kernels emulate a flash kernel's rounding
# ---------------------------------------------------------------------------

class Handle:
    def __init__(self, t):
        self.t, self.value = t, id(t)


def flash_emulation(q, k, v, scale, causal, window, bug=None, tile=128):
    """Online softmax in f32 over `tile`-key tiles, P rounded to the input
    type before P V, as a FlashAttention kernel computes."""
    B, hq, sq, _ = q.shape
    hkv, skv = k.shape[1], k.shape[2]
    g = hq // hkv
    kk = k.repeat_interleave(g, dim=1).float()
    vv = v.repeat_interleave(g, dim=1)
    rows = torch.arange(sq)
    m = torch.full((B, hq, sq), -math.inf)
    l = torch.zeros(B, hq, sq)
    acc = torch.zeros(B, hq, sq, v.shape[3])
    for n0 in range(0, skv, tile):
        kt = kk[:, :, n0:n0 + tile]
        s = torch.matmul(q.float(), kt.transpose(-1, -2)) * scale
        if bug == "bf16-scores":
            s = s.to(q.dtype).float()
        if causal or window is not None:
            diag = 0 if bug == "topleft" else skv - sq
            cols = torch.arange(n0, n0 + kt.shape[2])[None, :]
            seen = cols <= rows[:, None] + diag
            if window is not None:
                seen = seen & (cols > rows[:, None] + diag - window)
            s = s.masked_fill(~seen, -math.inf)
        m_new = torch.maximum(m, s.max(dim=-1).values)
        safe = torch.where(torch.isinf(m_new), torch.zeros_like(m_new), m_new)
        alpha = torch.exp(m - safe)
        p = torch.exp(s - safe[..., None])
        l = l * alpha + p.sum(-1)
        pv = torch.matmul(p.to(q.dtype).float(), vv[:, :, n0:n0 + tile].float())
        if bug == "bf16-scores":
            pv = torch.matmul(p.to(q.dtype), vv[:, :, n0:n0 + tile]).float()
        acc = acc * alpha[..., None] + pv
        m = m_new
    none = l == 0
    out = acc / torch.where(none, torch.ones_like(l), l)[..., None]
    out = out.masked_fill(none[..., None], 0.0)
    lse = torch.where(none, torch.full_like(l, -math.inf), safe + torch.log(l))
    if bug == "lse-zero":
        lse = lse.masked_fill(none, 0.0)
    if bug == "unwritten" and sq > 1:
        out[:, :, -1] = math.nan
    return out, lse


class FakeModule:
    def __init__(self, case, bug):
        self.c, self.bug = case, bug

    def function(self, name):
        return 0

    def wrap(self, t, dtype):
        return Handle(t)

    def release(self, h):
        pass

    def compute(self, xs):
        c, bug = self.c, self.bug
        if c["kind"] == "merge":
            import attention_numerics as an
            out, lse = an.merge_reference(xs[0], xs[1], xs[2], xs[3], torch.float32)
            return [out.to(ac.torch_dtype(c["out"])), lse.float()]
        if c["kind"] == "pipeline":
            x, wq, wk, wv, wo = xs
            t = x.dtype
            qkv = [(x.float() @ w.float()).to(t)[None] for w in (wq, wk, wv)]
            o, _ = flash_emulation(*qkv, ac.default_scale(c["d"]), c["causal"], None, bug)
            return [o[0].to(t).float() @ wo.float()]
        q, k, v = xs
        out, lse = flash_emulation(q, k, v, ac.effective_scale(c["scale"], c["d"]),
                                   c["causal"], c["window"], bug)
        res = [out.to(ac.torch_dtype(c["out"]))]
        return res + [lse] if c["lse"] else res

    def invoke_into(self, fn, handles, outs):
        for o, r in zip(outs, self.compute([h.t for h in handles])):
            assert o.t.shape == r.shape, (o.t.shape, r.shape)
            o.t.copy_(r)

    def invoke(self, fn, handles, count):
        results = self.compute([h.t for h in handles])
        assert len(results) == count
        return [Handle(r) for r in results]

    def as_torch(self, h, dtype):
        assert h.t.dtype == dtype, (h.t.dtype, dtype)
        return h.t.clone()


def run_harness(cases_dir, bug, extra):
    import attention_numerics as an
    with open(os.path.join(cases_dir, "cases.json")) as f:
        by_artifact = {c["artifact"]: c for c in json.load(f)}

    class FakeRuntime:
        def __init__(self, library):
            pass

        def load(self, path):
            return FakeModule(by_artifact[os.path.basename(path)], bug)

    an.DEVICE = "cpu"
    # CPU torch may lack f16 matmuls and softmax: on the GPU both compute in
    # f32 and round their result, which these do.
    for op in ["matmul", "softmax"]:
        original = getattr(torch, op)
        if getattr(original, "emulated", False):
            continue

        def f16(*args, _original=original, **kwargs):
            if args[0].dtype == torch.float16 and args[0].device.type == "cpu":
                args = [a.float() if torch.is_tensor(a) else a for a in args]
                return _original(*args, **kwargs).half()
            return _original(*args, **kwargs)
        f16.emulated = True
        setattr(torch, op, f16)
    an.tessera_rt.Runtime = FakeRuntime
    an.tessera_rt.find_library = lambda build: "fake"
    torch.cuda.synchronize = lambda: None
    torch.cuda.get_device_name = lambda: "cpu (fake runtime)"
    torch.cuda.empty_cache = lambda: None
    log = os.path.join(cases_dir, f"log-{bug or 'good'}.txt")
    sys.argv = ["attention_numerics.py", "--cases", cases_dir, "--build", "none"] + extra
    stdout = sys.stdout
    with open(log, "w") as f:
        sys.stdout = f
        try:
            an.main()
            code = 0
        except SystemExit as e:
            code = e.code
        finally:
            sys.stdout = stdout
    with open(log) as f:
        lines = f.read().splitlines()
    return code, lines, log


def main():
    check_references()
    tmp = tempfile.mkdtemp(prefix="attn-selftest-")
    compiler = os.path.join(tmp, "fake-compile")
    with open(compiler, "w") as f:
        f.write("#!/bin/sh\n# stand-in for tessera-compile: $5 is the -o path\n"
                "printf 'TSM fake' > \"$5\"\n")
    os.chmod(compiler, os.stat(compiler).st_mode | stat.S_IEXEC)
    cases = os.path.join(tmp, "cases")
    subprocess.run([sys.executable, os.path.join(HERE, "make_attention_cases.py"),
                    "--compiler", compiler, "--out", cases], check=True,
                   stdout=subprocess.DEVNULL)
    extra = ["--max-len", os.environ.get("SELFTEST_MAX_LEN", "239")]
    code, lines, log = run_harness(cases, None, extra)
    print(lines[-2])
    print(lines[-1])
    assert code == 0, f"a correct kernel failed: see {log}"
    ok = [ln for ln in lines if ln.startswith("ok ")]
    worst = max(float(ln.split(" err ")[1].split()[0]) / max(float(ln.split(" naive ")[1].split()[0]), 1e-30)
                for ln in ok)
    print(f"harness: correct flash emulation passes ({len(ok)} runs; "
          f"worst err / naive {worst:.2f})")
    for bug, only in [("topleft", "causal"), ("lse-zero", "causal_lse"),
                      ("unwritten", "attn_"), ("bf16-scores", "attn_bf16_bf16")]:
        code, lines, log = run_harness(cases, bug, extra + ["--only", only])
        failed = [ln for ln in lines if ln.startswith("FAIL")]
        assert code != 0 and failed, f"bug {bug} was not caught: see {log}"
        print(f"harness: bug '{bug}' caught in {len(failed)} of "
              f"{len(failed) + sum(ln.startswith('ok ') for ln in lines)} runs: {failed[0][:110]}")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
