//===- fake_cuda.h - The fake CUDA driver's test hooks ----------*- C++ -*-===//
//
// Shared by Inputs/fake_cuda.cpp and the tests that look into it. The fake's
// cuTensorMapEncodeTiled writes its arguments (data type, rank, sizes,
// strides, box, element strides, interleave, swizzle, L2 promotion, fill) as
// the 128 descriptor bytes, so that a test reads what the runtime asked for
// both from the driver and from the descriptor a kernel received. The fake
// also records the size of every device allocation.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TEST_FAKE_CUDA_H
#define TESSERA_TEST_FAKE_CUDA_H

#include <cstddef>
#include <cstdint>

/// A descriptor of the fake driver: the arguments of the call that encoded
/// it (unused dimensions 0).
struct alignas(64) FakeTensorMap {
  uint64_t globalAddress;
  uint64_t globalDim[5];
  uint64_t globalStrides[4];
  uint32_t boxDim[5];
  uint32_t elementStrides[5];
  uint8_t dataType, rank, interleave, swizzle, l2Promotion, oobFill;
  uint8_t unused[2];
};
static_assert(sizeof(FakeTensorMap) == 128, "a CUtensorMap has 128 bytes");

/// Test hook of the fake driver: the number of successful
/// cuTensorMapEncodeTiled calls so far; copies the last descriptor to
/// `last` where it is not null and there was one.
extern "C" size_t fake_cuda_tensor_maps(FakeTensorMap *last);

/// Test hook of the fake driver: the number of successful device
/// allocations so far (cuMemAlloc and cuMemAllocAsync); copies the byte
/// sizes of allocations `first` to `first + count - 1` (those there are) to
/// `sizes`.
extern "C" size_t fake_cuda_allocations(size_t first, size_t *sizes,
                                        size_t count);

#endif // TESSERA_TEST_FAKE_CUDA_H
