#!/usr/bin/env python3
"""GPU numerics of Tessera's GEMM kernels (run on the GPU machine).

For every artifact of make_gemm_cases.py and every M of its case: random
inputs (never zeros), results poisoned with NaN before the run
(TESSERA_POISON_RESULTS=1), and these outputs compared by
||out - ref|| / ||ref||:
  ref     float64 on the GPU, from the same (rounded) inputs;
  naive   f32 products and sums on the CUDA cores (no TF32), epilogue in
          f32, cast to the output type;
  cublas  the same GEMM on the tensor cores through cuBLAS (torch.mm with
          an f32 output), epilogue in f32, cast: tensor cores add their f32
          partial sums with less care than IEEE f32 (truncation), which is
          the floor of any mma-based kernel. fp8: cuBLASLt through
          torch._scaled_mm (f32 output, no fast accumulation) where torch
          takes the shape (2-D, N and K multiples of 16), else naive's;
  tessera.
A case passes when tessera's error is at most 2x the larger of naive's and
cuBLAS's (plus 1e-6 for outputs exact in both), within the output type's
tolerance, and free of NaN.

  python3 test/gpu/gemm_numerics.py --cases artifacts/gpu --build build-rt
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "gemm"))
import tessera_rt  # noqa: E402

TORCH = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16,
         "f8e4m3fn": torch.float8_e4m3fn, "f8e5m2": torch.float8_e5m2}
TOLERANCE = {"f32": 1e-4, "f16": 5e-3, "bf16": 3e-2}
# fp8 tensor cores add a step's products with fewer than f32's bits: an f32
# result is as far as cuBLASLt's (1.2e-4 at K = 4096 on the H100).
FP8_F32_TOLERANCE = 5e-4


def epilogue(x, c, bias, scale=1.0):
    x = x * (c.get("alpha", 1.0) * scale)
    if bias is not None:
        x = x + bias.to(x.dtype)
    e = c.get("epilogue")
    if e == "relu":
        x = torch.relu(x)
    elif e == "silu":
        x = x * torch.sigmoid(x)
    elif e == "gelu_tanh":
        x = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return x


def run_case(rt, directory, c, m, generator):
    module = rt.load(os.path.join(directory, c["artifact"]))
    fn = module.function("gemm")
    t, n, k, batch = TORCH[c["dtype"]], c["n"], c["k"], c.get("batch")
    tb = TORCH[c.get("dtype_b", c["dtype"])]
    a_shape = [k, m] if c.get("trans_a") else [m, k]
    b_shape = [n, k] if c.get("trans_b") else [k, n]
    if batch:
        a_shape = [batch] + a_shape
        if not c.get("broadcast_b"):
            b_shape = [batch] + b_shape
    a = torch.randn(a_shape, generator=generator, device="cuda").to(t)
    b = torch.randn(b_shape, generator=generator, device="cuda").to(tb)
    bias = None
    args = [module.wrap(a, c["dtype"]), module.wrap(b, c.get("dtype_b", c["dtype"]))]
    scale, scales = 1.0, None
    if c.get("scales"):
        # Per-tensor scales in [0.5, 2), 0-D f32 tensors as torch._scaled_mm
        # takes them.
        scales = [(torch.rand([], generator=generator, device="cuda") * 1.5 + 0.5)
                  for _ in range(2)]
        args += [module.wrap(x, "f32") for x in scales]
        scale = scales[0].item() * scales[1].item()
    if c.get("bias"):
        bias = torch.randn([n], generator=generator, device="cuda").to(TORCH[c["bias"]])
        args.append(module.wrap(bias, c["bias"]))
    (result,) = module.invoke(fn, args, 1)
    torch.cuda.synchronize()
    got = module.as_torch(result, TORCH[c["out"]]).cuda().double()
    for h in args + [result]:
        module.release(h)

    def product(dtype):
        aa = a.to(dtype).transpose(-1, -2) if c.get("trans_a") else a.to(dtype)
        bb = b.to(dtype).transpose(-1, -2) if c.get("trans_b") else b.to(dtype)
        return torch.matmul(aa, bb)

    def cublas():
        if c["dtype"].startswith("f8"):
            # cuBLASLt's fp8 GEMM (no fast accumulation), where torch takes
            # the shape: 2-D, N and K multiples of 16.
            one = torch.ones([], device="cuda")
            try:
                return torch._scaled_mm(a, b.t(), one, one, out_dtype=torch.float32,
                                        use_fast_accum=False)
            except RuntimeError:
                return None
        aa = a.transpose(-1, -2) if c.get("trans_a") else a
        bb = b.transpose(-1, -2) if c.get("trans_b") else b
        if aa.dim() == 3:
            if bb.dim() == 2:
                bb = bb.expand(aa.shape[0], *bb.shape)
            return torch.bmm(aa, bb, out_dtype=torch.float32)
        return torch.mm(aa, bb, out_dtype=torch.float32)

    fb = None if bias is None else bias.float()
    ref = epilogue(product(torch.float64), c, None if bias is None else bias.double(),
                   scale)
    naive = epilogue(product(torch.float32), c, fb, scale).to(TORCH[c["out"]]).double()
    peer = cublas()
    norm = ref.norm().item() or 1.0
    err = (got - ref).norm().item() / norm
    naive_err = (naive - ref).norm().item() / norm
    peer_err = naive_err
    if peer is not None:
        peer = epilogue(peer, c, fb, scale).to(TORCH[c["out"]]).double()
        peer_err = (peer - ref).norm().item() / norm
    nan = bool(torch.isnan(got).any().item())
    bound = 2 * max(naive_err, peer_err) + 1e-6
    tolerance = TOLERANCE[c["out"]]
    if c["dtype"].startswith("f8") and c["out"] == "f32":
        tolerance = FP8_F32_TOLERANCE
    ok = (not nan and got.shape == ref.shape and err <= bound
          and err <= tolerance)
    return ok, err, naive_err, peer_err, nan


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--targets", nargs="*")
    p.add_argument("--only", nargs="*",
                   help="run the cases whose name contains one of these")
    args = p.parse_args()
    os.environ["TESSERA_POISON_RESULTS"] = "1"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    rt = tessera_rt.Runtime(tessera_rt.find_library(args.build))
    with open(os.path.join(args.cases, "cases.json")) as f:
        cases = json.load(f)
    generator = torch.Generator(device="cuda")
    generator.manual_seed(1234)
    failures, total, worst = 0, 0, 0.0
    for c in cases:
        if args.targets and c["target"] not in args.targets:
            continue
        if args.only and not any(part in c["name"] for part in args.only):
            continue
        for m in c["ms"]:
            total += 1
            try:
                ok, err, naive, peer, nan = run_case(rt, args.cases, c, m, generator)
            except Exception as e:  # a failed launch is a failed case
                ok, err, naive, peer, nan = (False, float("nan"), float("nan"),
                                             float("nan"), False)
                print(f"ERROR {c['target']} {c['name']} M={m}: {e}")
            floor = max(naive, peer)
            worst = max(worst, err / floor if floor > 0 else 0)
            line = (f"{c['target']} {c['name']} M={m}: err {err:.3g} naive "
                    f"{naive:.3g} cublas {peer:.3g} nan {nan}")
            print(("ok   " if ok else "FAIL ") + line)
            if not ok:
                failures += 1
    print(f"gemm numerics: {total - failures}/{total} passed; worst error "
          f"ratio to max(naive, cuBLAS) {worst:.2f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
