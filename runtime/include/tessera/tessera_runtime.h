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
#include <stdint.h>

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

/*===----------------------------------------------------------------------===*
 * Tensors
 *===----------------------------------------------------------------------===*/

/** Element types. */
typedef enum tessera_dtype_t {
  TESSERA_DTYPE_F32 = 1,
  TESSERA_DTYPE_F16 = 2,
  TESSERA_DTYPE_BF16 = 3,
  TESSERA_DTYPE_F64 = 4,
  TESSERA_DTYPE_I8 = 5,
  TESSERA_DTYPE_I32 = 6,
  TESSERA_DTYPE_I64 = 7,
  TESSERA_DTYPE_F8E4M3FN = 8,
  TESSERA_DTYPE_F8E5M2 = 9
} tessera_dtype_t;

/** Size in bytes of one element of `dtype` (0 for an unknown value). */
size_t tessera_dtype_size(tessera_dtype_t dtype);
/** Manifest name of `dtype` ("f32", ...; "unknown" for an unknown value). */
const char *tessera_dtype_name(tessera_dtype_t dtype);

/** A dense row-major tensor on the host; reference counted. */
typedef struct tessera_tensor *tessera_tensor_t;

/** Wraps caller memory (not copied, not freed). `dims` has `rank` entries,
 * each >= 0; `data` may be NULL only when the tensor has no element. */
tessera_status_t tessera_tensor_wrap(tessera_dtype_t dtype, int32_t rank,
                                     const int64_t *dims, void *data,
                                     tessera_tensor_t *out);
/** Allocates a zero-initialized tensor owned by the runtime. */
tessera_status_t tessera_tensor_allocate(tessera_dtype_t dtype, int32_t rank,
                                         const int64_t *dims,
                                         tessera_tensor_t *out);
void tessera_tensor_retain(tessera_tensor_t tensor);
void tessera_tensor_release(tessera_tensor_t tensor);
tessera_dtype_t tessera_tensor_dtype(tessera_tensor_t tensor);
int32_t tessera_tensor_rank(tessera_tensor_t tensor);
/** Pointer to `rank` sizes, valid while the tensor lives. */
const int64_t *tessera_tensor_dims(tessera_tensor_t tensor);
int64_t tessera_tensor_element_count(tessera_tensor_t tensor);
void *tessera_tensor_data(tessera_tensor_t tensor);

/*===----------------------------------------------------------------------===*
 * Modules (loaded .tsm artifacts) and their functions
 *===----------------------------------------------------------------------===*/

typedef struct tessera_module *tessera_module_t;

/** Loads an artifact from a file. */
tessera_status_t tessera_module_load_file(const char *path,
                                          tessera_module_t *out);
/** Loads an artifact from memory (the bytes are copied). */
tessera_status_t tessera_module_load_memory(const void *data, size_t size,
                                            tessera_module_t *out);
void tessera_module_retain(tessera_module_t module);
void tessera_module_release(tessera_module_t module);

/** The compilation target recorded in the artifact ("cpu", ...). */
const char *tessera_module_target(tessera_module_t module);
size_t tessera_module_function_count(tessera_module_t module);
/** Name of function `index`, or NULL when out of range. */
const char *tessera_module_function_name(tessera_module_t module,
                                         size_t index);
/** Index of the function called `name`; NOT_FOUND otherwise. */
tessera_status_t tessera_module_find_function(tessera_module_t module,
                                              const char *name, size_t *index);

/** The declared type of an argument or result. `dims[i]` is the static size,
 * or -1 where dynamic; `symbols[i]` is -1, or the symbol number N of a
 * dynamic size `sN` (equal symbols denote equal sizes). */
typedef struct tessera_value_info_t {
  const char *name;
  tessera_dtype_t dtype;
  int32_t rank;
  const int64_t *dims;
  const int64_t *symbols;
} tessera_value_info_t;

size_t tessera_function_arg_count(tessera_module_t module, size_t function);
size_t tessera_function_result_count(tessera_module_t module, size_t function);
tessera_status_t tessera_function_arg_info(tessera_module_t module,
                                           size_t function, size_t index,
                                           tessera_value_info_t *info);
tessera_status_t tessera_function_result_info(tessera_module_t module,
                                              size_t function, size_t index,
                                              tessera_value_info_t *info);

/** Runs `function` synchronously. Checks the number, dtypes and shapes of
 * `args` against the signature (static sizes exactly; dynamic sizes named by
 * the same symbol must agree, see docs/artifact-format.md) and fills
 * `results[0..result_count)` with new tensors the caller releases.
 * Safe to call from several threads at once on one module. */
tessera_status_t tessera_module_invoke(tessera_module_t module,
                                       size_t function,
                                       const tessera_tensor_t *args,
                                       size_t arg_count,
                                       tessera_tensor_t *results,
                                       size_t result_count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_RUNTIME_H */
