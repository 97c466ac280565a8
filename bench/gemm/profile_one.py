#!/usr/bin/env python3
"""Runs one benchmark artifact once (after a warm-up), for a profiler:

  ncu --section SpeedOfLight --section Occupancy --section WarpStateStats \
      -k regex:tessera_matmul -c 1 \
      python3 bench/gemm/profile_one.py artifacts/bench/bf16_square_4096.tsm build-rt
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
rt = tessera_rt.Runtime(tessera_rt.find_library(build))
module = rt.load(path)
fn = module.function("gemm")
t = {"bf16": torch.bfloat16, "f16": torch.float16}[shape["dtype"]]
a = torch.randn(shape["m"], shape["k"], device="cuda", dtype=t)
w = torch.randn(*((shape["n"], shape["k"]) if shape["trans_b"] else (shape["k"], shape["n"])),
                device="cuda", dtype=t)
args = [module.wrap(a, shape["dtype"]), module.wrap(w, shape["dtype"])]
for _ in range(2):
    for r in module.invoke(fn, args, 1):
        torch.cuda.synchronize()
        module.release(r)
