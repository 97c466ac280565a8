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

/** A dense row-major tensor on the host or a CUDA device; reference
 * counted. */
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
/** Where a tensor's elements live. */
typedef enum tessera_device_t {
  TESSERA_DEVICE_HOST = 0,
  /** Device memory of the current CUDA device: the runtime works in the
   * calling thread's current CUDA context, or, where there is none, makes
   * the primary context of device 0 current and works there. */
  TESSERA_DEVICE_CUDA = 1
} tessera_device_t;

/** Wraps caller device memory (a CUdeviceptr; not copied, not freed).
 * Needs no CUDA: the pointer is only used by later calls.
 * `device_pointer` may be 0 only when the tensor has no element. */
tessera_status_t tessera_tensor_wrap_device(tessera_dtype_t dtype,
                                            int32_t rank, const int64_t *dims,
                                            uint64_t device_pointer,
                                            tessera_tensor_t *out);
/** Allocates an uninitialized device tensor owned by the runtime (with
 * cuMemAlloc; releasing its last reference frees it with cuMemFree, which
 * may wait for the device). UNAVAILABLE without a CUDA device;
 * OUT_OF_MEMORY with the CUDA error name when the allocation fails. */
tessera_status_t tessera_tensor_allocate_device(tessera_dtype_t dtype,
                                                int32_t rank,
                                                const int64_t *dims,
                                                tessera_tensor_t *out);
/** Copies `tensor` to `device` (host or CUDA, from either) into a new
 * tensor the caller releases. Synchronous: the copy is complete when it
 * returns, and it follows the work queued on the legacy default stream
 * (so, the synchronous invokes and tessera_module_invoke_async on a NULL
 * stream). */
tessera_status_t tessera_tensor_copy_to(tessera_tensor_t tensor,
                                        tessera_device_t device,
                                        tessera_tensor_t *out);
tessera_device_t tessera_tensor_device(tessera_tensor_t tensor);
/** The CUdeviceptr of a device tensor (0 for a host tensor). */
uint64_t tessera_tensor_device_pointer(tessera_tensor_t tensor);
void tessera_tensor_retain(tessera_tensor_t tensor);
void tessera_tensor_release(tessera_tensor_t tensor);
tessera_dtype_t tessera_tensor_dtype(tessera_tensor_t tensor);
int32_t tessera_tensor_rank(tessera_tensor_t tensor);
/** Pointer to `rank` sizes, valid while the tensor lives. */
const int64_t *tessera_tensor_dims(tessera_tensor_t tensor);
int64_t tessera_tensor_element_count(tessera_tensor_t tensor);
/** Host data pointer (NULL for a device tensor). */
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
 * Safe to call from several threads at once on one module.
 * GPU modules: with host arguments, they are copied to the device, the
 * function runs on a stream of its own and the results come back as host
 * tensors; with device arguments, results are device tensors (a function
 * without arguments returns host tensors). Mixing host and device
 * arguments is INVALID_ARGUMENT. Either way the call returns when the
 * function's work is done; the runtime's streams follow the work queued
 * before on the legacy default stream. Without a CUDA device (or driver)
 * this is an UNAVAILABLE status "function '<name>': no CUDA device: ...";
 * loading the module and listing its functions still work there. CUDA
 * failures are statuses naming the call and the CUDA error (see
 * docs/artifact-format.md, "Running a GPU function").
 * With the environment variable TESSERA_POISON_RESULTS=1, every result
 * buffer of a GPU function is filled with 0xFF bytes (NaN for floats)
 * before the function runs, so unwritten elements show. */
tessera_status_t tessera_module_invoke(tessera_module_t module,
                                       size_t function,
                                       const tessera_tensor_t *args,
                                       size_t arg_count,
                                       tessera_tensor_t *results,
                                       size_t result_count);

/** Runs a GPU function asynchronously on `stream` (a CUstream of the
 * current context; NULL means the legacy default stream). Every argument
 * must be a device tensor (else INVALID_ARGUMENT); the results are new
 * device tensors whose contents are ready once the stream reaches this
 * point. Temporaries are stream-ordered allocations freed on `stream` after
 * the function's work; where the device has no memory pools, the call
 * instead synchronizes `stream` before freeing them (only when the function
 * has any). Launch failures come back as statuses naming the CUDA error;
 * faults during the work show on the stream. For CPU modules this is
 * tessera_module_invoke (the stream is ignored). */
tessera_status_t tessera_module_invoke_async(tessera_module_t module,
                                             size_t function,
                                             const tessera_tensor_t *args,
                                             size_t arg_count,
                                             tessera_tensor_t *results,
                                             size_t result_count,
                                             void *stream);

/** tessera_module_invoke_async into caller-owned results: `outputs` are
 * device tensors of the results' dtypes and shapes that overlap neither the
 * arguments nor each other (INVALID_ARGUMENT names the first that does not
 * qualify, before any device work), and the function writes
 * them on `stream`; nothing is allocated for results, and nothing is
 * returned. With memory pools (or without temporaries) the call never
 * synchronizes, so it can run back to back like a cuBLAS call and be
 * captured in a CUDA graph. GPU modules only (INVALID_ARGUMENT for a CPU
 * module). */
tessera_status_t tessera_module_invoke_into(tessera_module_t module,
                                            size_t function,
                                            const tessera_tensor_t *args,
                                            size_t arg_count,
                                            const tessera_tensor_t *outputs,
                                            size_t output_count,
                                            void *stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_RUNTIME_H */
