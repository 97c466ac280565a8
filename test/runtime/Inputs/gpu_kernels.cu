// Kernels for the GPU tests of the runtime (RuntimeGpuTest.cpp). Each takes
// its memrefs the way the runtime passes them (docs/artifact-format.md, "GPU
// functions"): allocated pointer, aligned pointer, offset, sizes, strides,
// then the i64/i32 scalars of the plan.
//
// gpu_kernels.ptx was generated from this file (again when a kernel was
// added, the others' PTX unchanged) with
//   nvcc -ptx -arch=sm_80 gpu_kernels.cu -o gpu_kernels.ptx
// and its `.version` lowered to 7.0 (every driver that runs sm_80 reads it);
// `ptxas -arch=sm_80 gpu_kernels.ptx` accepts it. Nothing in the build needs
// nvcc.

#define MEMREF1(T, name)                                                       \
  T *name##Allocated, T *name, long long name##Offset, long long name##Size,   \
      long long name##Stride

// out[i] = in[i] + 1 for i < n.
extern "C" __global__ void add_one(MEMREF1(const float, in),
                                   MEMREF1(float, out), long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n)
    out[outOffset + i * outStride] = in[inOffset + i * inStride] + 1.0f;
}

// out[i] = value for i < n.
extern "C" __global__ void fill(MEMREF1(float, out), int value, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n)
    out[outOffset + i * outStride] = (float)value;
}

// acc[i] += in[i] for i < n.
extern "C" __global__ void accumulate(MEMREF1(float, acc),
                                      MEMREF1(const float, in), long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n)
    acc[accOffset + i * accStride] += in[inOffset + i * inStride];
}

// out[j][i] = in[i][j], sizes and strides from the descriptors.
extern "C" __global__ void transpose(const float *inAllocated, const float *in,
                                     long long inOffset, long long rows,
                                     long long cols, long long inStride0,
                                     long long inStride1, float *outAllocated,
                                     float *out, long long outOffset,
                                     long long outRows, long long outCols,
                                     long long outStride0,
                                     long long outStride1) {
  long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  long long i = blockIdx.y * (long long)blockDim.y + threadIdx.y;
  if (i < rows && j < cols && j < outRows && i < outCols)
    out[outOffset + j * outStride0 + i * outStride1] =
        in[inOffset + i * inStride0 + j * inStride1];
}

// out[i] = 2 * in[i] through 64000 bytes of dynamic shared memory (the
// launch asks for 65536, above the default limit of 48 KiB).
extern "C" __global__ void smem_double(MEMREF1(const float, in),
                                       MEMREF1(float, out), long long n) {
  extern __shared__ float buffer[];
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  unsigned slot = 15872 + threadIdx.x;
  buffer[slot] = i < n ? in[inOffset + i * inStride] : 0.0f;
  __syncthreads();
  if (i < n)
    out[outOffset + i * outStride] = 2.0f * buffer[slot];
}

// *out = in[0] + ... + in[n-1] (one thread; out is a rank-0 memref).
extern "C" __global__ void sum(MEMREF1(const float, in), float *outAllocated,
                               float *out, long long outOffset, long long n) {
  float total = 0.0f;
  for (long long i = 0; i < n; ++i)
    total += in[inOffset + i * inStride];
  out[outOffset] = total;
}

// Writes what it received into out (a memref<8xi64>): whether the allocated
// and aligned pointers agree, the offset, sizes and strides of a rank-2
// memref, then an i32 and an i64 scalar.
extern "C" __global__ void describe(const float *allocated, const float *aligned,
                                    long long offset, long long size0,
                                    long long size1, long long stride0,
                                    long long stride1,
                                    MEMREF1(long long, out), int i32Value,
                                    long long i64Value) {
  long long *o = out + outOffset;
  o[0] = allocated == aligned;
  o[1] = offset;
  o[2] = size0;
  o[3] = size1;
  o[4] = stride0;
  o[5] = stride1;
  o[6] = i32Value;
  o[7] = i64Value;
}

// Writes what it received into out (a memref<13xi64>), for a view `v` (a
// rank-4 memref) of the storage of `a` (a rank-1 memref): whether the aligned
// pointers of a and v agree, whether v's allocated and aligned pointers
// agree, v's offset, sizes and strides, v's aligned pointer, and v's last
// element (through its sizes and strides) converted to an integer, or -1
// where v is empty.
extern "C" __global__ void
describe_view(MEMREF1(const float, a), const float *vAllocated, const float *v,
              long long vOffset, long long size0, long long size1,
              long long size2, long long size3, long long stride0,
              long long stride1, long long stride2, long long stride3,
              MEMREF1(long long, out)) {
  long long *o = out + outOffset;
  o[0] = a == v;
  o[1] = vAllocated == v;
  o[2] = vOffset;
  o[3] = size0;
  o[4] = size1;
  o[5] = size2;
  o[6] = size3;
  o[7] = stride0;
  o[8] = stride1;
  o[9] = stride2;
  o[10] = stride3;
  o[11] = (long long)v;
  bool empty = size0 == 0 || size1 == 0 || size2 == 0 || size3 == 0;
  long long last = vOffset + (size0 - 1) * stride0 + (size1 - 1) * stride1 +
                   (size2 - 1) * stride2 + (size3 - 1) * stride3;
  o[12] = empty ? -1 : (long long)v[last];
}

// A TMA descriptor as the runtime passes a `tmap:` parameter: 128 bytes by
// value, which nvcc declares `.param .align 64 .b8 [128]` like a CUtensorMap.
struct alignas(64) TensorMap {
  unsigned long long words[16];
};

// Writes the 16 words of the tensor map it received, then `marker` (the
// parameter after the 128 bytes), into out (a memref<17xi64>).
extern "C" __global__ void tensor_map_bytes(const TensorMap map,
                                            MEMREF1(long long, out),
                                            long long marker) {
  for (int k = 0; k < 16; ++k)
    out[outOffset + k * outStride] = map.words[k];
  out[outOffset + 16 * outStride] = marker;
}
