#!/usr/bin/env bash
# bench/cpu: Tessera's CPU code against NumPy (OpenBLAS) on this machine, in
# one run. Usage: bench/cpu/run.sh [RUNS]  (prints a Markdown table)
# Needs Debian's python3-numpy and libopenblas0-pthread
# (apt-get install python3-numpy libopenblas0-pthread).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${TESSERA_BUILD_DIR:-$root/build}"
runs="${1:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  echo "bench/cpu: needs /usr/bin/python3 with NumPy (apt-get install python3-numpy libopenblas0-pthread)" >&2
  exit 1
fi

# FLOPs of one run (matmul 2n^3; causal attention 4*B*H*S*S*D/2; the direct
# causal convolution B*H*N*(N+1) multiply-adds).
declare -A flops=(
  [matmul_1024]=$((2 * 1024 * 1024 * 1024))
  [matmul_2048]=$((2 * 2048 * 2048 * 2048))
  [attention]=$((4 * 8 * 1024 * 1024 * 64 / 2))
  [fftconv]=$((4 * 64 * 1024 * 1025))
)
declare -A tessera
for case in matmul_1024 matmul_2048 attention fftconv; do
  "$build/bin/tessera-compile" "$root/bench/cpu/$case.mlir" -o "$work/$case.tsm"
  line=$("$build/bin/tessera-run" "$work/$case.tsm" --bench "$runs" | grep '^bench:')
  tessera[$case]=$(echo "$line" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')
done
declare -A peer
while read -r case seconds; do
  peer[$case]=$(awk -v s="$seconds" 'BEGIN { printf "%.4f", s * 1000 }')
done < <(/usr/bin/python3 "$root/bench/cpu/numpy_peer.py" "$runs")

# GFLOP/s count the FLOPs of the direct algorithm for both sides (NumPy's
# convolution goes through FFTs, so its figure is an effective rate).
echo "| case | Tessera ms | Tessera GFLOP/s | NumPy ms | NumPy GFLOP/s | Tessera / NumPy speed |"
echo "| --- | --- | --- | --- | --- | --- |"
for case in matmul_1024 matmul_2048 attention fftconv; do
  awk -v c="$case" -v t="${tessera[$case]}" -v p="${peer[$case]}" -v f="${flops[$case]}" \
    'BEGIN { printf "| %s | %.2f | %.1f | %.2f | %.1f | %.2fx |\n", c, t, f / t / 1e6, p, f / p / 1e6, p / t }'
done
