#!/usr/bin/env bash
# Run on the GPU machine (device tool), from the repository root, with the
# artifacts of make_gemm_cases.py carried in artifacts/gpu, those of
# bench/gemm/make_bench_artifacts.py in artifacts/bench (and, with --sweep,
# artifacts/sweep):
#   bash test/gpu/run_device.sh [numerics|bench|sweep|all]...
# Builds the runtime (no MLIR there), runs its tests (the GPU-gated ones
# included), the GEMM numerics, the GEMM benchmark and/or the token-count
# sweep ("all": the first two); GEMM_TARGETS="sm_90a" limits the numerics
# to those targets, GEMM_ONLY="fp8 sk" to the cases whose name contains a
# word of it. Logs go to $OUT.
set -u
modes=" ${*:-all} "
wants() { [[ $modes == *" $1 "* || ( $modes == *" all "* && $1 != sweep ) ]]; }
OUT=${OUT:-/tmp/tessera-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > "$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"
cmake -G Ninja -S . -B build-rt -DTESSERA_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "$OUT/cmake.log" 2>&1 || { tail -20 "$OUT/cmake.log"; exit 1; }
ninja -C build-rt > "$OUT/ninja.log" 2>&1 || { tail -30 "$OUT/ninja.log"; exit 1; }
status=0
if wants numerics; then
  (cd build-rt && ctest --output-on-failure > "$OUT/ctest.log" 2>&1) || status=1
  grep -E "tests passed|Failed|\*\*\*" "$OUT/ctest.log" | tail -8
  python3 test/gpu/gemm_numerics.py --cases artifacts/gpu --build build-rt ${GEMM_TARGETS:+--targets $GEMM_TARGETS} ${GEMM_ONLY:+--only $GEMM_ONLY} > "$OUT/numerics.log" 2>&1 || status=1
  tail -25 "$OUT/numerics.log"
fi
if wants bench; then
  python3 bench/gemm/bench_gemm.py --artifacts artifacts/bench --build build-rt > "$OUT/bench.log" 2>&1 || status=1
  tail -40 "$OUT/bench.log"
fi
if wants sweep; then
  python3 bench/gemm/bench_gemm.py --artifacts artifacts/sweep --build build-rt --no-triton --reps 10 > "$OUT/sweep.log" 2>&1 || status=1
  tail -100 "$OUT/sweep.log"
fi
exit $status
