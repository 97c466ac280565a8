#!/usr/bin/env bash
# The main job: set up, build, then parse, verify and lower the decoder-block
# example with tessera-opt, and compile the result to LLVM with the upstream
# pipeline to show it goes all the way down.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"

example="$root/examples/decoder_block.mlir"
opt="$build/bin/tessera-opt"
echo "== verify $example"
"$opt" "$example" > /dev/null
echo "== lower tessera ops to linalg (first lines)"
"$opt" "$example" --tessera-lower-to-linalg --canonicalize --cse | tee "$build/decoder_block.linalg.mlir" | sed -n '/func.func @decoder_block/,+12p'
remaining=$(grep -c "tessera\." "$build/decoder_block.linalg.mlir" || true)
echo "== tessera ops left after lowering: $remaining"
[ "$remaining" -eq 0 ]
echo "== compile to the LLVM dialect"
"$opt" "$build/decoder_block.linalg.mlir" --sparsifier="enable-runtime-library=false" > "$build/decoder_block.llvm.mlir"
echo "llvm.func count: $(grep -c 'llvm.func @' "$build/decoder_block.llvm.mlir")"
echo "quickstart: OK"
