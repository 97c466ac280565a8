/*===- tessera_runtime.h - Tessera runtime C API ------------------*- C -*-===*
 *
 * The runtime's C API. Every fallible call returns a tessera_status_t: NULL
 * means success, anything else carries a code and a message and must be
 * released with tessera_status_free. No C++ types cross this header.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error categories. */
typedef enum tessera_status_code_t {
  TESSERA_STATUS_OK = 0,
  TESSERA_STATUS_INVALID_ARGUMENT = 1,
  TESSERA_STATUS_NOT_FOUND = 2,
  TESSERA_STATUS_UNAVAILABLE = 3,
  TESSERA_STATUS_OUT_OF_MEMORY = 4,
  TESSERA_STATUS_DATA_LOSS = 5,
  TESSERA_STATUS_INTERNAL = 6
} tessera_status_code_t;

/** An error: NULL is success. */
typedef struct tessera_status *tessera_status_t;

/** Creates a status with a code and a message (copied). Returns NULL for
 * TESSERA_STATUS_OK. Never fails: on allocation failure it returns a static
 * out-of-memory status that tessera_status_free ignores. */
tessera_status_t tessera_status_create(tessera_status_code_t code,
                                       const char *message);
/** The code of `status` (TESSERA_STATUS_OK for NULL). */
tessera_status_code_t tessera_status_code(tessera_status_t status);
/** The message of `status` ("" for NULL); valid until the status is freed. */
const char *tessera_status_message(tessera_status_t status);
/** The name of a code, e.g. "INVALID_ARGUMENT". */
const char *tessera_status_code_name(tessera_status_code_t code);
/** Releases `status`; NULL is allowed. */
void tessera_status_free(tessera_status_t status);

/** The runtime version, "MAJOR.MINOR.PATCH". */
const char *tessera_runtime_version(void);

/** Number of CUDA devices. Loads libcuda.so.1 on first use; where there is no
 * driver or no device, returns an UNAVAILABLE status saying why (it never
 * aborts). `count` must not be NULL. */
tessera_status_t tessera_cuda_device_count(int *count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_RUNTIME_H */
