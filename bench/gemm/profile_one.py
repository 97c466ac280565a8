#!/usr/bin/env python3
"""Runs one benchmark artifact once (after a warm-up), for a profiler:

  ncu --section SpeedOfLight --section Occupancy --section WarpStateStats \
      -k regex:tessera_matmul -c 1 \
      python3 bench/gemm/profile_one.py artifacts/bench/bf16_square_4096.tsm build-rt

With --cublas, runs torch.matmul (fp8: torch._scaled_mm) on the artifact's
shape and inputs instead, to profile the peer (ncu -k regex:. -s 2 -c 1 ...
--cublas).
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
types = {"bf16": torch.bfloat16, "f16": torch.float16, "f8e4m3fn": torch.float8_e4m3fn}
t, out_name = types[shape["dtype"]], shape.get("out", shape["dtype"])
a = torch.randn(shape["m"], shape["k"], device="cuda").to(t)
w = torch.randn(*((shape["n"], shape["k"]) if shape["trans_b"] else (shape["k"], shape["n"])),
                device="cuda").to(t)
scales = [torch.tensor(v, device="cuda") for v in (0.75, 1.25)] if shape.get("scales") else []
if "--cublas" in sys.argv:
    b = w.t() if shape["trans_b"] else w
    for _ in range(3):
        if scales:
            torch._scaled_mm(a, b, *scales, out_dtype=types[out_name])
        else:
            torch.matmul(a, b)
    torch.cuda.synchronize()
    sys.exit(0)
rt = tessera_rt.Runtime(tessera_rt.find_library(build))
module = rt.load(path)
fn = module.function("gemm")
args = [module.wrap(a, shape["dtype"]), module.wrap(w, shape["dtype"])]
args += [module.wrap(x, "f32") for x in scales]
c = torch.empty(shape["m"], shape["n"], device="cuda", dtype=types[out_name])
out = module.wrap(c, out_name)
for _ in range(2):
    module.invoke_into(fn, args, [out])
    torch.cuda.synchronize()
module.release(out)
