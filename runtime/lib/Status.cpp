//===- Status.cpp - tessera_status_t ----------------------------*- C++ -*-===//
//
// Status objects of the runtime C API.
//
//===----------------------------------------------------------------------===//

#include "tessera/tessera_runtime.h"

#include <cstdlib>
#include <cstring>
#include <new>

struct tessera_status {
  tessera_status_code_t code;
  char *message;
};

/// Returned when a status cannot be allocated; never freed.
static tessera_status outOfMemoryStatus = {
    TESSERA_STATUS_OUT_OF_MEMORY,
    const_cast<char *>("out of memory while reporting an error")};

extern "C" tessera_status_t tessera_status_create(tessera_status_code_t code,
                                                  const char *message) {
  if (code == TESSERA_STATUS_OK)
    return nullptr;
  auto *status = new (std::nothrow) tessera_status;
  if (!status)
    return &outOfMemoryStatus;
  status->code = code;
  status->message = strdup(message ? message : "");
  if (!status->message) {
    delete status;
    return &outOfMemoryStatus;
  }
  return status;
}

extern "C" tessera_status_code_t tessera_status_code(tessera_status_t status) {
  return status ? status->code : TESSERA_STATUS_OK;
}

extern "C" const char *tessera_status_message(tessera_status_t status) {
  return status ? status->message : "";
}

extern "C" const char *tessera_status_code_name(tessera_status_code_t code) {
  switch (code) {
  case TESSERA_STATUS_OK:
    return "OK";
  case TESSERA_STATUS_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case TESSERA_STATUS_NOT_FOUND:
    return "NOT_FOUND";
  case TESSERA_STATUS_UNAVAILABLE:
    return "UNAVAILABLE";
  case TESSERA_STATUS_OUT_OF_MEMORY:
    return "OUT_OF_MEMORY";
  case TESSERA_STATUS_DATA_LOSS:
    return "DATA_LOSS";
  case TESSERA_STATUS_INTERNAL:
    return "INTERNAL";
  }
  return "UNKNOWN";
}

extern "C" void tessera_status_free(tessera_status_t status) {
  if (!status || status == &outOfMemoryStatus)
    return;
  std::free(status->message);
  delete status;
}

extern "C" const char *tessera_runtime_version(void) { return "0.1.0"; }
