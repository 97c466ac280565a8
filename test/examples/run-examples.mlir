// Every example compiles for the CPU and passes tessera-run --check against
// the float64 reference interpreter, at several dynamic sizes.
// RUN: tessera-compile %tessera_examples/decoder_block.mlir -o %t.decoder.tsm
// RUN: tessera-run %t.decoder.tsm --size s0=1 --check | FileCheck %s --check-prefix=DECODER
// RUN: tessera-run %t.decoder.tsm --size s0=113 --check | FileCheck %s --check-prefix=DECODER
// RUN: tessera-compile %tessera_examples/hyena_block.mlir -o %t.hyena.tsm
// RUN: tessera-run %t.hyena.tsm --size s0=64 --check | FileCheck %s --check-prefix=HYENA
// RUN: tessera-run %t.hyena.tsm --size s0=255 --check | FileCheck %s --check-prefix=HYENA
// RUN: tessera-compile %tessera_examples/sparse_mlp.mlir -o %t.sparse.tsm
// RUN: tessera-run %t.sparse.tsm -f sparse_mlp --size s0=7 --check | FileCheck %s --check-prefix=SPARSE
// The 2:4 variant takes its weight in storage form: a valid pattern from
// @nv24_coordinates, random values.
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: tessera-run %t.sparse.tsm -f nv24_coordinates --output-dir %t.dir
// RUN: tessera-run %t.sparse.tsm -f sparse_mlp_24 --input arg1=%t.dir/result0.npy --size s0=7 --check | FileCheck %s --check-prefix=SPARSE
// RUN: tessera-compile %tessera_examples/shared_prefix_decode.mlir -o %t.prefix.tsm
// RUN: tessera-run %t.prefix.tsm --size s0=4 --size s1=255 --size s2=7 --check | FileCheck %s --check-prefix=PREFIX
// RUN: tessera-run %t.prefix.tsm --size s0=1 --size s1=1 --size s2=1 --check | FileCheck %s --check-prefix=PREFIX

// DECODER: result0 f32 [{{1|113}}x256]: {{.*}} PASS
// HYENA: result0 f32 [{{64|255}}x128]: {{.*}} PASS
// SPARSE: result0 f32 [256x7]: {{.*}} PASS
// PREFIX: result0 f32 [{{4|1}}x8x1x64]: {{.*}} PASS
