#!/usr/bin/env bash
# The main job: set up, build, compile the decoder-block example for the CPU
# into a .tsm artifact, run it on random inputs and check every output
# against the independent float64 reference (exits non-zero on FAIL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"

"$build/bin/tessera-compile" "$root/examples/decoder_block.mlir" \
  -o "$build/decoder_block.tsm"
"$build/bin/tessera-run" "$build/decoder_block.tsm" --list
"$build/bin/tessera-run" "$build/decoder_block.tsm" --size s0=113 --check
