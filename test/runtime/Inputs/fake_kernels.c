/*===- fake_kernels.c - Packed CPU functions for the runtime tests -*- C -*-===*
 *
 * Hand-written stand-ins for compiled code: each function follows the CPU
 * calling convention of docs/artifact-format.md (void f(void **args), memref
 * descriptors in, result descriptors filled by the callee) and exercises one
 * way of returning results: a malloc'd buffer with an offset and an aligned
 * pointer that differs from the allocated one, a strided view of an
 * argument, two results sharing one allocation, a constant global (MLIR's
 * 0xdeadbeef marker), no result at all, and a shape that breaks the
 * manifest.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
} Memref0;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} Memref1;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} Memref2;

static float load2(const Memref2 *m, int64_t i, int64_t j) {
  return ((const float *)
              m->aligned)[m->offset + i * m->strides[0] + j * m->strides[1]];
}

/* Returns a malloc'd block whose aligned pointer is 64-byte aligned and
 * differs from the allocated one, with `offset` elements of padding. */
static void allocate2(Memref2 *out, int64_t rows, int64_t cols,
                      int64_t offset) {
  size_t bytes = (size_t)(rows * cols + offset) * sizeof(float) + 128;
  char *block = (char *)malloc(bytes);
  uintptr_t aligned = ((uintptr_t)block + 64) & ~(uintptr_t)63;
  out->allocated = block;
  out->aligned = (void *)aligned;
  out->offset = offset;
  out->sizes[0] = rows;
  out->sizes[1] = cols;
  out->strides[0] = cols;
  out->strides[1] = 1;
}

/* add(a: s0x4, b: s0x4) -> out: s0x4 = a + b. */
void tessera_packed_add(void **args) {
  const Memref2 *a = (const Memref2 *)args[0];
  const Memref2 *b = (const Memref2 *)args[1];
  Memref2 *out = (Memref2 *)args[2];
  int64_t rows = a->sizes[0], cols = a->sizes[1];
  allocate2(out, rows, cols, 3);
  float *o = (float *)out->aligned + out->offset;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      o[i * cols + j] = load2(a, i, j) + load2(b, i, j);
}

/* transpose(a: s0xs1) -> t: s1xs0, a view of `a` (nothing allocated). */
void tessera_packed_transpose(void **args) {
  const Memref2 *a = (const Memref2 *)args[0];
  Memref2 *t = (Memref2 *)args[1];
  t->allocated = a->allocated;
  t->aligned = a->aligned;
  t->offset = a->offset;
  t->sizes[0] = a->sizes[1];
  t->sizes[1] = a->sizes[0];
  t->strides[0] = a->strides[1];
  t->strides[1] = a->strides[0];
}

/* row_min_max(x: s0x?) -> (rowmin: s0, rowmax: s0), both in one block. */
void tessera_packed_row_min_max(void **args) {
  const Memref2 *x = (const Memref2 *)args[0];
  Memref1 *results = (Memref1 *)args[1];
  int64_t rows = x->sizes[0], cols = x->sizes[1];
  float *block = (float *)malloc((size_t)(2 * rows + 1) * sizeof(float));
  for (int64_t i = 0; i < rows; ++i) {
    float lo = load2(x, i, 0), hi = lo;
    for (int64_t j = 1; j < cols; ++j) {
      float v = load2(x, i, j);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    block[i] = lo;
    block[rows + i] = hi;
  }
  for (int r = 0; r < 2; ++r) {
    results[r].allocated = block;
    results[r].aligned = block;
    results[r].offset = r * rows;
    results[r].sizes[0] = rows;
    results[r].strides[0] = 1;
  }
}

/* sum(x: ?) -> total: scalar. */
void tessera_packed_sum(void **args) {
  const Memref1 *x = (const Memref1 *)args[0];
  Memref0 *total = (Memref0 *)args[1];
  float *value = (float *)malloc(sizeof(float));
  *value = 0;
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    *value += ((const float *)x->aligned)[x->offset + i * x->strides[0]];
  total->allocated = value;
  total->aligned = value;
  total->offset = 0;
}

static const float constantTable[2][3] = {{1, 2, 3}, {4, 5, 6}};

/* constant() -> table: 2x3, a global with MLIR's 0xdeadbeef marker. */
void tessera_packed_constant(void **args) {
  Memref2 *table = (Memref2 *)args[0];
  table->allocated = (void *)(uintptr_t)0xdeadbeef;
  table->aligned = (void *)constantTable;
  table->offset = 0;
  table->sizes[0] = 2;
  table->sizes[1] = 3;
  table->strides[0] = 3;
  table->strides[1] = 1;
}

/* iota(n: i64 scalar) -> out: i64 ? = 0, 1, ..., n - 1. */
void tessera_packed_iota(void **args) {
  const Memref0 *n = (const Memref0 *)args[0];
  Memref1 *out = (Memref1 *)args[1];
  int64_t count = ((const int64_t *)n->aligned)[n->offset];
  int64_t *data = (int64_t *)malloc((size_t)(count + 1) * sizeof(int64_t));
  for (int64_t i = 0; i < count; ++i)
    data[i] = i;
  out->allocated = data;
  out->aligned = data;
  out->offset = 0;
  out->sizes[0] = count;
  out->strides[0] = 1;
}

/* fill(out: ?): writes 7 into every element of its argument; no result, so
 * `args` holds only the argument. */
void tessera_packed_fill(void **args) {
  const Memref1 *out = (const Memref1 *)args[0];
  for (int64_t i = 0; i < out->sizes[0]; ++i)
    ((float *)out->aligned)[out->offset + i * out->strides[0]] = 7;
}

/* bad_shape(a: s0x4) -> out: s0x4, but returns (s0 + 1)x4: the runtime must
 * reject it and still free the buffer. */
void tessera_packed_bad_shape(void **args) {
  const Memref2 *a = (const Memref2 *)args[0];
  Memref2 *out = (Memref2 *)args[1];
  allocate2(out, a->sizes[0] + 1, a->sizes[1], 0);
}
