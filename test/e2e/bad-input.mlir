// Bad input to tessera-run and the runtime gives a message and a non-zero
// exit, never a crash (`not` fails on a signal).
// RUN: tessera-compile %s -o %t.tsm
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: tessera-run %t.tsm -f mm --shape arg0=7x255 --shape arg1=255x3 --output-dir %t.dir | FileCheck %s --check-prefix=OK

// A truncated file, a flipped byte, a file that is no artifact at all.
// RUN: head -c 100 %t.tsm > %t.trunc
// RUN: not tessera-run %t.trunc 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: cp %t.tsm %t.flip && printf '\377' | dd of=%t.flip bs=1 seek=300 conv=notrunc 2>/dev/null
// RUN: not tessera-run %t.flip 2>&1 | FileCheck %s --check-prefix=FLIP
// RUN: cp %t.tsm %t.version && printf '\007' | dd of=%t.version bs=1 seek=8 conv=notrunc 2>/dev/null
// RUN: not tessera-run %t.version 2>&1 | FileCheck %s --check-prefix=VERSION
// RUN: not tessera-run %s 2>&1 | FileCheck %s --check-prefix=NOTTSM
// RUN: not tessera-run %t.missing 2>&1 | FileCheck %s --check-prefix=MISSING

// Unknown function; arguments of the wrong rank or static size; two dynamic
// sizes the code needs equal that differ.
// RUN: not tessera-run %t.tsm -f nope 2>&1 | FileCheck %s --check-prefix=NOFN
// RUN: not tessera-run %t.tsm -f fixed --input arg0=%t.dir/result0.npy 2>&1 | FileCheck %s --check-prefix=STATIC
// RUN: not tessera-run %t.tsm -f mm --shape arg0=7x3x1 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not tessera-run %t.tsm -f mm --shape arg0=7x10 --shape arg1=11x3 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// RUN: not tessera-run %t.tsm -f mm --input arg0=%t.missing.npy 2>&1 | FileCheck %s --check-prefix=NONPY
// A .npy whose element width (2^24) times its count (2^40) wraps to 0 bytes.
// RUN: printf "\223NUMPY\001\000M\000{'descr': '<f16777216', 'fortran_order': False, 'shape': (1099511627776,), }\n" > %t.wrap.npy
// RUN: not tessera-run %t.tsm -f mm --input arg0=%t.wrap.npy 2>&1 | FileCheck %s --check-prefix=NPYWRAP
// RUN: not tessera-run %t.tsm --bogus 2>&1 | FileCheck %s --check-prefix=USAGE
// In 400 MB of address space a 10000 x 5000 f32 argument (200 MB) runs; its
// float64 copy is made only for --check, which then runs out of memory and
// says so (it aborted with std::bad_alloc, the copy made even without it).
// RUN: prlimit --as=400000000 tessera-run %t.tsm -f mm --shape arg0=10000x5000 --shape arg1=5000x3 | FileCheck %s --check-prefix=NOCOPY
// RUN: not prlimit --as=400000000 tessera-run %t.tsm -f mm --shape arg0=10000x5000 --shape arg1=5000x3 --check 2>&1 | FileCheck %s --check-prefix=CHECKOOM
// RUN: not tessera-run %t.tsm -f mm --shape nope=3x3 2>&1 | FileCheck %s --check-prefix=SHAPENAME
// RUN: not tessera-run %t.tsm -f mm --size sX=3 2>&1 | FileCheck %s --check-prefix=SIZENAME
// RUN: not tessera-run %t.tsm -f mm --size=s9=3 2>&1 | FileCheck %s --check-prefix=SIZEUNUSED

// OK: wrote {{.*}}result0.npy
// TRUNC: tessera-run: error: cannot load{{.*}}truncated
// FLIP: tessera-run: error: cannot load{{.*}}checksum mismatch
// VERSION: tessera-run: error: cannot load{{.*}}version
// NOTTSM: tessera-run: error: cannot load{{.*}}not a Tessera artifact
// MISSING: tessera-run: error: cannot load
// NOFN: tessera-run: error: function 'nope'
// STATIC: tessera-run: error: invoking 'fixed': {{.*}}dimension 1 is 3, expected 113 [INVALID_ARGUMENT]
// RANK: tessera-run: error: --shape arg0: rank 3, the argument has rank 2
// DYNAMIC: tessera-run: error: invoking 'mm': {{.*}}argument 1 ('arg1'): dimension 0 is 11, but symbol s1 is 10 {{.*}}[INVALID_ARGUMENT]
// NONPY: tessera-run: error: cannot open
// NPYWRAP: tessera-run: error: '{{.*}}.wrap.npy' has unsupported dtype '<f16777216'
// USAGE: tessera-run: error: unknown argument '--bogus'
// NOCOPY: ran mm
// CHECKOOM: tessera-run: error: out of memory: an input, --shape or --size is too large for this machine
// SHAPENAME: tessera-run: error: --shape names no argument: 'nope'
// SIZENAME: tessera-run: error: --size expects sN=VALUE, got 'sX=3'
// SIZEUNUSED: tessera-run: error: --size s9: no argument of 'mm' has that size symbol

func.func @mm(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = tessera.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

func.func @fixed(%a: tensor<7x113xf32>, %b: tensor<113x4xf32>) -> tensor<7x4xf32> {
  %0 = tessera.matmul %a, %b : tensor<7x113xf32>, tensor<113x4xf32> -> tensor<7x4xf32>
  return %0 : tensor<7x4xf32>
}
