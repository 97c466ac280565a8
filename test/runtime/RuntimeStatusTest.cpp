//===- RuntimeStatusTest.cpp - Runtime status and device discovery --------===//
//
// Unit tests of the runtime C API that need no GPU.
//
//===----------------------------------------------------------------------===//

#include "tessera/tessera_runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <dlfcn.h>
#include <string>

TEST(RuntimeStatus, OkIsNull) {
  EXPECT_EQ(tessera_status_create(TESSERA_STATUS_OK, "ignored"), nullptr);
  EXPECT_EQ(tessera_status_code(nullptr), TESSERA_STATUS_OK);
  EXPECT_STREQ(tessera_status_message(nullptr), "");
  tessera_status_free(nullptr);
}

TEST(RuntimeStatus, CarriesCodeAndCopiedMessage) {
  std::string text = "shape mismatch on argument 'q'";
  tessera_status_t s =
      tessera_status_create(TESSERA_STATUS_INVALID_ARGUMENT, text.c_str());
  text[0] = 'X'; // the status owns a copy
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(tessera_status_code(s), TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(tessera_status_message(s), "shape mismatch on argument 'q'");
  tessera_status_free(s);
}

TEST(RuntimeStatus, NullMessageBecomesEmpty) {
  tessera_status_t s = tessera_status_create(TESSERA_STATUS_INTERNAL, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(tessera_status_message(s), "");
  tessera_status_free(s);
}

TEST(RuntimeStatus, CodeNames) {
  EXPECT_STREQ(tessera_status_code_name(TESSERA_STATUS_OK), "OK");
  EXPECT_STREQ(tessera_status_code_name(TESSERA_STATUS_UNAVAILABLE),
               "UNAVAILABLE");
  EXPECT_STREQ(tessera_status_code_name(TESSERA_STATUS_DATA_LOSS), "DATA_LOSS");
  EXPECT_STREQ(tessera_status_code_name(static_cast<tessera_status_code_t>(99)),
               "UNKNOWN");
}

TEST(RuntimeStatus, Version) {
  EXPECT_STREQ(tessera_runtime_version(), "0.1.0");
}

TEST(CudaDevices, NullCountIsInvalidArgument) {
  tessera_status_t s = tessera_cuda_device_count(nullptr);
  EXPECT_EQ(tessera_status_code(s), TESSERA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(tessera_status_message(s), "'count'"), nullptr);
  tessera_status_free(s);
}

TEST(CudaDevices, ReportsDevicesOrWhyNot) {
  // Where the driver cannot be loaded (CI), the call must say so; where it
  // can (the GPU machine), it must report at least one device.
  void *probe = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  int count = -1;
  tessera_status_t s = tessera_cuda_device_count(&count);
  if (!probe) {
    EXPECT_EQ(tessera_status_code(s), TESSERA_STATUS_UNAVAILABLE);
    EXPECT_NE(std::strstr(tessera_status_message(s), "libcuda.so.1"), nullptr)
        << tessera_status_message(s);
    EXPECT_EQ(count, 0);
  } else {
    dlclose(probe);
    if (s)
      EXPECT_EQ(tessera_status_code(s), TESSERA_STATUS_UNAVAILABLE)
          << tessera_status_message(s);
    else
      EXPECT_GE(count, 1);
  }
  tessera_status_free(s);
}
