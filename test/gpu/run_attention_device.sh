#!/usr/bin/env bash
# Run on the GPU machine (device tool), from the repository root, with the
# artifacts of make_attention_cases.py in artifacts/attn-cases and those of
# bench/attention/make_bench_artifacts.py in artifacts/attn-bench:
#   bash test/gpu/run_attention_device.sh [numerics|bench|kernels|ncu|all] [--ncu] [--ncu-peers]
# Builds the runtime (no MLIR there), then
#   numerics  test/gpu/attention_numerics.py on artifacts/attn-cases (~3 min);
#   bench     bench/attention/bench_attention.py on artifacts/attn-bench (~4 min),
#             JSON to $OUT/attn_bench.json;
#   kernels   the CUDA kernels of Tessera and of each SDPA backend at d = 128,
#             S = 8K (torch.profiler; nsys too when it is installed);
#   all       the three (may not fit one 10-minute command: run them apart);
#   ncu, --ncu  ncu --set full on Tessera's kernels at d = 128, S = 8K (causal
#             and not; 2 launches each), reports and text pages in $OUT;
#   --ncu-peers  the same for the cuDNN and FLASH backends.
# Logs go to $OUT. NUMERICS_ARGS / BENCH_ARGS pass extra arguments (e.g.
# NUMERICS_ARGS="--targets sm_90a", BENCH_ARGS="--only d128").
set -u
what=${1:-all}
shift || true
ncu=0
ncu_peers=0
[ "$what" = ncu ] && ncu=1
for a in "$@"; do
  case "$a" in
    --ncu) ncu=1 ;;
    --ncu-peers) ncu=1; ncu_peers=1 ;;
    *) echo "unknown option $a"; exit 2 ;;
  esac
done
OUT=${OUT:-/tmp/tessera-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > "$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"
cmake -G Ninja -S . -B build-rt -DTESSERA_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "$OUT/cmake.log" 2>&1 || { tail -20 "$OUT/cmake.log"; exit 1; }
ninja -C build-rt > "$OUT/ninja.log" 2>&1 || { tail -30 "$OUT/ninja.log"; exit 1; }
status=0

if [ "$what" = all ] || [ "$what" = numerics ]; then
  # shellcheck disable=SC2086
  timeout "${NUMERICS_TIMEOUT:-480}" python3 -u test/gpu/attention_numerics.py \
    --cases artifacts/attn-cases --build build-rt ${NUMERICS_ARGS:-} \
    > "$OUT/attn_numerics.log" 2>&1 || status=1
  grep -E "^(FAIL|WARNING)" "$OUT/attn_numerics.log" | head -40
  tail -4 "$OUT/attn_numerics.log"
fi

if [ "$what" = all ] || [ "$what" = bench ]; then
  # shellcheck disable=SC2086
  timeout "${BENCH_TIMEOUT:-500}" python3 -u bench/attention/bench_attention.py \
    --artifacts artifacts/attn-bench --build build-rt --json "$OUT/attn_bench.json" \
    ${BENCH_ARGS:-} > "$OUT/attn_bench.log" 2>&1 || status=1
  grep -v '^{' "$OUT/attn_bench.log" | tail -90
fi

if [ "$what" = all ] || [ "$what" = kernels ]; then
  for mask in "" "--causal"; do
    python3 -u bench/attention/profile_one.py --list-kernels --d 128 --seqlen 8192 $mask \
      --artifacts artifacts/attn-bench --build build-rt
  done > "$OUT/attn_kernels.log" 2>&1 || status=1
  python3 -u bench/attention/profile_one.py --list-kernels --decode 8,32768 \
    --artifacts artifacts/attn-bench --build build-rt >> "$OUT/attn_kernels.log" 2>&1 || status=1
  cat "$OUT/attn_kernels.log"
  if command -v nsys > /dev/null; then
    for c in tessera cudnn flash efficient; do
      nsys profile --capture-range=cudaProfilerApi --force-overwrite true \
        -o "$OUT/nsys_$c" python3 bench/attention/profile_one.py --contender "$c" \
        --d 128 --seqlen 8192 --artifacts artifacts/attn-bench --build build-rt \
        > "$OUT/nsys_$c.log" 2>&1 &&
        nsys stats --report cuda_gpu_kern_sum --format csv "$OUT/nsys_$c.nsys-rep" \
          > "$OUT/nsys_${c}_kernels.csv" 2>> "$OUT/nsys_$c.log"
      echo "== nsys $c"; head -6 "$OUT/nsys_${c}_kernels.csv" 2>/dev/null
    done
  else
    echo "(nsys not installed: kernel names from torch.profiler only)"
  fi
fi

if [ "$ncu" = 1 ]; then
  if ! command -v ncu > /dev/null; then
    echo "ncu not installed"; status=1
  else
    contenders="tessera"
    [ "$ncu_peers" = 1 ] && contenders="tessera cudnn flash"
    for c in $contenders; do
      for mask in full causal; do
        flag=""; [ "$mask" = causal ] && flag="--causal"
        rep="$OUT/ncu_${c}_d128_s8k_$mask"
        # Only the profiled calls run between cudaProfilerStart/Stop; two
        # kernel launches (a split-KV kernel and its merge, or two calls).
        timeout "${NCU_TIMEOUT:-240}" ncu --set full --profile-from-start off \
          --launch-count "${NCU_LAUNCHES:-2}" --force-overwrite -o "$rep" \
          python3 bench/attention/profile_one.py --contender "$c" --d 128 --seqlen 8192 \
          $flag --iters 2 --artifacts artifacts/attn-bench --build build-rt \
          > "$rep.log" 2>&1 || { status=1; tail -5 "$rep.log"; continue; }
        ncu --import "$rep.ncu-rep" --page details > "$rep.txt" 2>&1
        echo "== ncu $c $mask"
        grep -E "^  [a-zA-Z_].*\(|Duration|DRAM Throughput|Compute \(SM\) Throughput|Registers Per Thread|Achieved Occupancy|Block Size|Grid Size|Dynamic Shared" \
          "$rep.txt" | head -30
      done
    done
  fi
fi
exit $status
