#!/usr/bin/env python3
"""Runs one benchmark artifact once (after a warm-up), for a profiler:

  ncu --section SpeedOfLight --section Occupancy --section WarpStateStats \
      -k regex:tessera_matmul -c 1 \
      python3 bench/gemm/profile_one.py artifacts/bench/bf16_square_4096.tsm build-rt

With --cublas, runs torch.matmul on the artifact's shape and inputs instead,
to profile the peer (ncu -k regex:. -s 2 -c 1 ... --cublas).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import tessera_rt  # noqa: E402

path, build = sys.argv[1], sys.argv[2]
with open(os.path.join(os.path.dirname(path), "shapes.json")) as f:
    shape = next(s for s in json.load(f) if s["artifact"] == os.path.basename(path))
t = {"bf16": torch.bfloat16, "f16": torch.float16}[shape["dtype"]]
a = torch.randn(shape["m"], shape["k"], device="cuda", dtype=t)
w = torch.randn(*((shape["n"], shape["k"]) if shape["trans_b"] else (shape["k"], shape["n"])),
                device="cuda", dtype=t)
if "--cublas" in sys.argv:
    b = w.t() if shape["trans_b"] else w
    for _ in range(3):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    sys.exit(0)
rt = tessera_rt.Runtime(tessera_rt.find_library(build))
module = rt.load(path)
fn = module.function("gemm")
args = [module.wrap(a, shape["dtype"]), module.wrap(w, shape["dtype"])]
c = torch.empty(shape["m"], shape["n"], device="cuda", dtype=t)
out = module.wrap(c, shape["dtype"])
for _ in range(2):
    module.invoke_into(fn, args, [out])
    torch.cuda.synchronize()
module.release(out)
