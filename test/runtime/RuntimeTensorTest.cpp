//===- RuntimeTensorTest.cpp - The tensor part of the runtime C API -------===//
//
// Allocation, wrapping, shape validation, reference counting, accessors and
// copies of tessera_tensor_t, on the host and (where there is one) a CUDA
// device.
//
//===----------------------------------------------------------------------===//

#include "StatusOutcome.h"
#include "tessera/tessera_runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
void expectInvalid(tessera_status_t s, const std::string &message) {
  Outcome o = take(s);
  EXPECT_EQ(o.code, TESSERA_STATUS_INVALID_ARGUMENT) << o.message;
  EXPECT_NE(o.message.find(message), std::string::npos)
      << "message: " << o.message << "\nexpected to contain: " << message;
}

/// Whether the CUDA driver sees a device (the GPU tests skip otherwise).
bool haveCudaDevice() {
  int count = 0;
  Outcome o = take(tessera_cuda_device_count(&count));
  return o.code == TESSERA_STATUS_OK && count > 0;
}
} // namespace

TEST(Tensor, DTypeSizesAndNames) {
  EXPECT_EQ(tessera_dtype_size(TESSERA_DTYPE_F32), 4u);
  EXPECT_EQ(tessera_dtype_size(TESSERA_DTYPE_BF16), 2u);
  EXPECT_EQ(tessera_dtype_size(TESSERA_DTYPE_F64), 8u);
  EXPECT_EQ(tessera_dtype_size(TESSERA_DTYPE_I8), 1u);
  EXPECT_EQ(tessera_dtype_size(TESSERA_DTYPE_F8E5M2), 1u);
  EXPECT_EQ(tessera_dtype_size(static_cast<tessera_dtype_t>(0)), 0u);
  EXPECT_STREQ(tessera_dtype_name(TESSERA_DTYPE_I64), "i64");
  EXPECT_STREQ(tessera_dtype_name(TESSERA_DTYPE_F8E4M3FN), "f8e4m3fn");
  EXPECT_STREQ(tessera_dtype_name(static_cast<tessera_dtype_t>(99)), "unknown");
}

TEST(Tensor, AllocateIsZeroedAndDescribed) {
  int64_t dims[] = {3, 5};
  tessera_tensor_t t = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F64, 2, dims, &t), nullptr);
  ASSERT_NE(t, nullptr);
  dims[0] = 100; // the tensor keeps its own copy of the dims
  EXPECT_EQ(tessera_tensor_dtype(t), TESSERA_DTYPE_F64);
  EXPECT_EQ(tessera_tensor_rank(t), 2);
  EXPECT_EQ(tessera_tensor_dims(t)[0], 3);
  EXPECT_EQ(tessera_tensor_dims(t)[1], 5);
  EXPECT_EQ(tessera_tensor_element_count(t), 15);
  auto *data = static_cast<double *>(tessera_tensor_data(t));
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(data[i], 0.0);
  data[14] = 2.5; // writable end to end
  EXPECT_EQ(static_cast<double *>(tessera_tensor_data(t))[14], 2.5);
  tessera_tensor_release(t);
}

TEST(Tensor, ScalarAndEmptyTensors) {
  tessera_tensor_t scalar = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_I32, 0, nullptr, &scalar),
            nullptr);
  EXPECT_EQ(tessera_tensor_rank(scalar), 0);
  EXPECT_EQ(tessera_tensor_element_count(scalar), 1);
  ASSERT_NE(tessera_tensor_data(scalar), nullptr);
  EXPECT_EQ(*static_cast<int32_t *>(tessera_tensor_data(scalar)), 0);
  tessera_tensor_release(scalar);

  // A zero size makes the tensor empty even when the other sizes are huge.
  int64_t dims[] = {int64_t(1) << 62, 0, int64_t(1) << 62};
  tessera_tensor_t empty = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F32, 3, dims, &empty),
            nullptr);
  EXPECT_EQ(tessera_tensor_element_count(empty), 0);
  tessera_tensor_release(empty);

  // Wrapping no data is fine when there is no element.
  tessera_tensor_t wrapped = nullptr;
  ASSERT_EQ(tessera_tensor_wrap(TESSERA_DTYPE_F32, 3, dims, nullptr, &wrapped),
            nullptr);
  EXPECT_EQ(tessera_tensor_data(wrapped), nullptr);
  tessera_tensor_release(wrapped);
}

TEST(Tensor, WrapSharesCallerMemory) {
  float storage[6] = {1, 2, 3, 4, 5, 6};
  int64_t dims[] = {2, 3};
  tessera_tensor_t t = nullptr;
  ASSERT_EQ(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, dims, storage, &t),
            nullptr);
  EXPECT_EQ(tessera_tensor_data(t), storage);
  EXPECT_EQ(tessera_tensor_element_count(t), 6);
  storage[4] = 50;
  EXPECT_EQ(static_cast<float *>(tessera_tensor_data(t))[4], 50);
  tessera_tensor_release(t); // must not free the stack array
  EXPECT_EQ(storage[5], 6);
}

TEST(Tensor, ShapeErrors) {
  tessera_tensor_t t = reinterpret_cast<tessera_tensor_t>(0x1);
  int64_t negative[] = {4, -2};
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, 2, negative, &t),
                "tessera_tensor_allocate: dimension 1 is -2 (must be >= 0)");
  EXPECT_EQ(t, nullptr); // cleared on failure
  int64_t ok[] = {2, 2};
  float data[4] = {};
  expectInvalid(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, negative, data, &t),
                "tessera_tensor_wrap: dimension 1 is -2");
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, 2, ok, nullptr),
                "tessera_tensor_allocate: 'out' is NULL");
  expectInvalid(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, ok, data, nullptr),
                "tessera_tensor_wrap: 'out' is NULL");
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, -1, ok, &t),
                "rank -1 is outside [0, 16]");
  int64_t many[17] = {};
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, 17, many, &t),
                "rank 17 is outside [0, 16]");
  EXPECT_EQ(take(tessera_tensor_allocate(TESSERA_DTYPE_F32, 16, many, &t)).code,
            TESSERA_STATUS_OK);
  tessera_tensor_release(t);
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, 2, nullptr, &t),
                "'dims' is NULL for rank 2");
  expectInvalid(
      tessera_tensor_allocate(static_cast<tessera_dtype_t>(0), 2, ok, &t),
      "unknown dtype 0");
  expectInvalid(tessera_tensor_wrap(TESSERA_DTYPE_F32, 2, ok, nullptr, &t),
                "'data' is NULL for a tensor of 4 elements");
}

TEST(Tensor, OverflowIsAnError) {
  tessera_tensor_t t = nullptr;
  int64_t elements[] = {int64_t(1) << 40, int64_t(1) << 40};
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_I8, 2, elements, &t),
                "a i8 tensor of dims [1099511627776, 1099511627776] has more "
                "bytes than fit in memory (overflow)");
  // The element count fits in int64 but not its size in bytes.
  int64_t bytes[] = {int64_t(1) << 62};
  expectInvalid(tessera_tensor_allocate(TESSERA_DTYPE_F32, 1, bytes, &t),
                "overflow");
  expectInvalid(tessera_tensor_wrap(TESSERA_DTYPE_F32, 1, bytes,
                                    reinterpret_cast<void *>(0x1000), &t),
                "overflow");
  EXPECT_EQ(t, nullptr);
}

TEST(Tensor, HugeAllocationIsOutOfMemoryNotACrash) {
  // 2^61 bytes passes the overflow checks but no machine has it.
  int64_t dims[] = {int64_t(1) << 58};
  tessera_tensor_t t = nullptr;
  Outcome o = take(tessera_tensor_allocate(TESSERA_DTYPE_F64, 1, dims, &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_OUT_OF_MEMORY) << o.message;
  EXPECT_NE(o.message.find("cannot allocate 2305843009213693952 bytes"),
            std::string::npos)
      << o.message;
  EXPECT_EQ(t, nullptr);
}

TEST(Tensor, RetainReleaseAcrossThreads) {
  int64_t dims[] = {4};
  tessera_tensor_t t = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_I32, 1, dims, &t), nullptr);
  static_cast<int32_t *>(tessera_tensor_data(t))[3] = 42;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([t] {
      for (int k = 0; k < 10000; ++k) {
        tessera_tensor_retain(t);
        tessera_tensor_release(t);
      }
    });
  for (std::thread &th : threads)
    th.join();
  // Still alive: the one reference of the test remains.
  EXPECT_EQ(static_cast<int32_t *>(tessera_tensor_data(t))[3], 42);
  tessera_tensor_retain(t);
  tessera_tensor_release(t);
  EXPECT_EQ(tessera_tensor_element_count(t), 4);
  tessera_tensor_release(t);
}

TEST(Tensor, NullHandlesAreHarmless) {
  tessera_tensor_retain(nullptr);
  tessera_tensor_release(nullptr);
  EXPECT_EQ(tessera_tensor_rank(nullptr), 0);
  EXPECT_EQ(tessera_tensor_dims(nullptr), nullptr);
  EXPECT_EQ(tessera_tensor_data(nullptr), nullptr);
  EXPECT_EQ(tessera_tensor_element_count(nullptr), 0);
}

//===----------------------------------------------------------------------===//
// Device tensors
//===----------------------------------------------------------------------===//

TEST(DeviceTensor, WrapDescribesCallerMemory) {
  // Wrapping never touches the memory: no GPU needed.
  int64_t dims[] = {3, 5};
  tessera_tensor_t t = nullptr;
  ASSERT_EQ(tessera_tensor_wrap_device(TESSERA_DTYPE_BF16, 2, dims,
                                       0xdead0000ull, &t),
            nullptr);
  EXPECT_EQ(tessera_tensor_device(t), TESSERA_DEVICE_CUDA);
  EXPECT_EQ(tessera_tensor_device_pointer(t), 0xdead0000ull);
  EXPECT_EQ(tessera_tensor_data(t), nullptr);
  EXPECT_EQ(tessera_tensor_dtype(t), TESSERA_DTYPE_BF16);
  EXPECT_EQ(tessera_tensor_rank(t), 2);
  EXPECT_EQ(tessera_tensor_dims(t)[1], 5);
  EXPECT_EQ(tessera_tensor_element_count(t), 15);
  tessera_tensor_release(t); // not owned: nothing is freed

  // A host tensor is on the host and has no device pointer.
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F32, 2, dims, &t), nullptr);
  EXPECT_EQ(tessera_tensor_device(t), TESSERA_DEVICE_HOST);
  EXPECT_EQ(tessera_tensor_device_pointer(t), 0u);
  tessera_tensor_release(t);
  EXPECT_EQ(tessera_tensor_device(nullptr), TESSERA_DEVICE_HOST);
  EXPECT_EQ(tessera_tensor_device_pointer(nullptr), 0u);

  // Empty tensors may have a null pointer.
  int64_t empty[] = {0, 7};
  ASSERT_EQ(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 2, empty, 0, &t),
            nullptr);
  EXPECT_EQ(tessera_tensor_element_count(t), 0);
  tessera_tensor_release(t);
}

TEST(DeviceTensor, WrapErrors) {
  int64_t dims[] = {3};
  tessera_tensor_t t = reinterpret_cast<tessera_tensor_t>(0x1);
  expectInvalid(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 1, dims, 0, &t),
                "tessera_tensor_wrap_device: 'device_pointer' is 0 for a "
                "tensor of 3 elements");
  EXPECT_EQ(t, nullptr);
  expectInvalid(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 1, dims, 0x100,
                                           nullptr),
                "tessera_tensor_wrap_device: 'out' is NULL");
  int64_t negative[] = {-2};
  expectInvalid(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 1, negative,
                                           0x100, &t),
                "tessera_tensor_wrap_device: dimension 0 is -2 (must be >= "
                "0)");
  expectInvalid(tessera_tensor_wrap_device(static_cast<tessera_dtype_t>(0), 1,
                                           dims, 0x100, &t),
                "tessera_tensor_wrap_device: unknown dtype 0");
}

TEST(DeviceTensor, CopyToTheHost) {
  int64_t dims[] = {2, 3};
  tessera_tensor_t t = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_I32, 2, dims, &t), nullptr);
  for (int i = 0; i < 6; ++i)
    static_cast<int32_t *>(tessera_tensor_data(t))[i] = i * i;
  tessera_tensor_t copy = nullptr;
  ASSERT_EQ(tessera_tensor_copy_to(t, TESSERA_DEVICE_HOST, &copy), nullptr);
  EXPECT_NE(tessera_tensor_data(copy), tessera_tensor_data(t));
  EXPECT_EQ(tessera_tensor_dims(copy)[1], 3);
  EXPECT_EQ(std::memcmp(tessera_tensor_data(copy), tessera_tensor_data(t),
                        6 * sizeof(int32_t)),
            0);
  tessera_tensor_release(copy);

  expectInvalid(tessera_tensor_copy_to(t, static_cast<tessera_device_t>(5),
                                       &copy),
                "tessera_tensor_copy_to: unknown device 5");
  EXPECT_EQ(copy, nullptr);
  expectInvalid(tessera_tensor_copy_to(nullptr, TESSERA_DEVICE_HOST, &copy),
                "tessera_tensor_copy_to: 'tensor' is NULL");
  expectInvalid(tessera_tensor_copy_to(t, TESSERA_DEVICE_HOST, nullptr),
                "tessera_tensor_copy_to: 'out' is NULL");
  tessera_tensor_release(t);
}

TEST(DeviceTensor, WithoutCudaEveryDeviceAllocationIsUnavailable) {
  if (haveCudaDevice())
    GTEST_SKIP() << "this machine has a CUDA device";
  int64_t dims[] = {4};
  tessera_tensor_t t = reinterpret_cast<tessera_tensor_t>(0x1);
  Outcome o = take(tessera_tensor_allocate_device(TESSERA_DTYPE_F32, 1, dims,
                                                  &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE);
  EXPECT_EQ(o.message.rfind("tessera_tensor_allocate_device: no CUDA device: ",
                            0),
            0u)
      << o.message;
  EXPECT_EQ(t, nullptr);

  tessera_tensor_t host = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F32, 1, dims, &host),
            nullptr);
  o = take(tessera_tensor_copy_to(host, TESSERA_DEVICE_CUDA, &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE);
  EXPECT_EQ(o.message.rfind("tessera_tensor_copy_to: no CUDA device: ", 0), 0u)
      << o.message;
  tessera_tensor_release(host);

  // Reading back a wrapped device tensor needs CUDA too.
  ASSERT_EQ(tessera_tensor_wrap_device(TESSERA_DTYPE_F32, 1, dims, 0x1000, &t),
            nullptr);
  o = take(tessera_tensor_copy_to(t, TESSERA_DEVICE_HOST, &host));
  EXPECT_EQ(o.code, TESSERA_STATUS_UNAVAILABLE);
  EXPECT_EQ(host, nullptr);
  tessera_tensor_release(t);
}

TEST(DeviceTensor, AllocateAndCopyRoundTrip) {
  if (!haveCudaDevice())
    GTEST_SKIP() << "no CUDA device";
  int64_t dims[] = {5, 7};
  tessera_tensor_t host = nullptr;
  ASSERT_EQ(tessera_tensor_allocate(TESSERA_DTYPE_F64, 2, dims, &host),
            nullptr);
  for (int i = 0; i < 35; ++i)
    static_cast<double *>(tessera_tensor_data(host))[i] = 0.5 * i;

  tessera_tensor_t device = nullptr, device2 = nullptr, back = nullptr;
  Outcome o = take(tessera_tensor_copy_to(host, TESSERA_DEVICE_CUDA, &device));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(tessera_tensor_device(device), TESSERA_DEVICE_CUDA);
  EXPECT_NE(tessera_tensor_device_pointer(device), 0u);
  EXPECT_EQ(tessera_tensor_data(device), nullptr);
  EXPECT_EQ(tessera_tensor_element_count(device), 35);
  o = take(tessera_tensor_copy_to(device, TESSERA_DEVICE_CUDA, &device2));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_NE(tessera_tensor_device_pointer(device2),
            tessera_tensor_device_pointer(device));
  o = take(tessera_tensor_copy_to(device2, TESSERA_DEVICE_HOST, &back));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(tessera_tensor_device(back), TESSERA_DEVICE_HOST);
  EXPECT_EQ(std::memcmp(tessera_tensor_data(back), tessera_tensor_data(host),
                        35 * sizeof(double)),
            0);

  // A wrapped view of runtime device memory reads the same bytes.
  tessera_tensor_t view = nullptr, viewBack = nullptr;
  ASSERT_EQ(tessera_tensor_wrap_device(TESSERA_DTYPE_F64, 2, dims,
                                       tessera_tensor_device_pointer(device),
                                       &view),
            nullptr);
  o = take(tessera_tensor_copy_to(view, TESSERA_DEVICE_HOST, &viewBack));
  ASSERT_EQ(o.code, TESSERA_STATUS_OK) << o.message;
  EXPECT_EQ(static_cast<double *>(tessera_tensor_data(viewBack))[34], 17.0);
  for (tessera_tensor_t t : {host, device, device2, back, view, viewBack})
    tessera_tensor_release(t);

  // Empty device tensors need no memory.
  int64_t empty[] = {0};
  tessera_tensor_t e = nullptr;
  ASSERT_EQ(tessera_tensor_allocate_device(TESSERA_DTYPE_F32, 1, empty, &e),
            nullptr);
  EXPECT_EQ(tessera_tensor_device_pointer(e), 0u);
  tessera_tensor_t eBack = nullptr;
  ASSERT_EQ(tessera_tensor_copy_to(e, TESSERA_DEVICE_HOST, &eBack), nullptr);
  EXPECT_EQ(tessera_tensor_element_count(eBack), 0);
  tessera_tensor_release(e);
  tessera_tensor_release(eBack);
}

TEST(DeviceTensor, HugeAllocationIsOutOfMemory) {
  if (!haveCudaDevice())
    GTEST_SKIP() << "no CUDA device";
  int64_t dims[] = {int64_t(1) << 48}; // 2^50 bytes of f32
  tessera_tensor_t t = reinterpret_cast<tessera_tensor_t>(0x1);
  Outcome o = take(tessera_tensor_allocate_device(TESSERA_DTYPE_F32, 1, dims,
                                                  &t));
  EXPECT_EQ(o.code, TESSERA_STATUS_OUT_OF_MEMORY) << o.message;
  EXPECT_EQ(o.message, "tessera_tensor_allocate_device: cuMemAlloc_v2("
                       "1125899906842624 bytes): CUDA_ERROR_OUT_OF_MEMORY");
  EXPECT_EQ(t, nullptr);
  // The device still works afterwards.
  int64_t small[] = {16};
  ASSERT_EQ(tessera_tensor_allocate_device(TESSERA_DTYPE_F32, 1, small, &t),
            nullptr);
  tessera_tensor_release(t);
}
