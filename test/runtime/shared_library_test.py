"""Loads libtessera_runtime.so the way a Python benchmark does (ctypes) and
checks that it exports the C API, and only the C API.

usage: python3 shared_library_test.py path/to/libtessera_runtime.so
"""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
c_void_p, c_int64 = ctypes.c_void_p, ctypes.c_int64

lib.tessera_runtime_version.restype = ctypes.c_char_p
assert lib.tessera_runtime_version() == b"0.1.0", lib.tessera_runtime_version()

lib.tessera_status_code.argtypes = [c_void_p]
lib.tessera_status_message.argtypes = [c_void_p]
lib.tessera_status_message.restype = ctypes.c_char_p
lib.tessera_status_free.argtypes = [c_void_p]

# A host tensor.
lib.tessera_tensor_allocate.argtypes = [ctypes.c_int, ctypes.c_int32,
                                        ctypes.POINTER(c_int64),
                                        ctypes.POINTER(c_void_p)]
lib.tessera_tensor_allocate.restype = c_void_p
lib.tessera_tensor_element_count.argtypes = [c_void_p]
lib.tessera_tensor_element_count.restype = c_int64
lib.tessera_tensor_device.argtypes = [c_void_p]
lib.tessera_tensor_release.argtypes = [c_void_p]
dims = (c_int64 * 2)(3, 4)
tensor = c_void_p()
status = lib.tessera_tensor_allocate(1, 2, dims, ctypes.byref(tensor))
assert status is None, lib.tessera_status_message(status)
assert lib.tessera_tensor_element_count(tensor) == 12
assert lib.tessera_tensor_device(tensor) == 0
lib.tessera_tensor_release(tensor)

# A status with a message.
lib.tessera_module_load_memory.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                           ctypes.POINTER(c_void_p)]
lib.tessera_module_load_memory.restype = c_void_p
module = c_void_p()
data = b"not an artifact, but longer than the forty bytes of a header"
status = lib.tessera_module_load_memory(data, len(data), ctypes.byref(module))
assert status is not None
assert lib.tessera_status_code(status) == 1  # INVALID_ARGUMENT
assert b"not a Tessera artifact" in lib.tessera_status_message(status)
lib.tessera_status_free(status)

# The device functions are there, whether or not there is a GPU.
for name in ["tessera_cuda_device_count", "tessera_tensor_wrap_device",
             "tessera_tensor_allocate_device", "tessera_tensor_copy_to",
             "tessera_tensor_device_pointer", "tessera_module_invoke",
             "tessera_module_invoke_async", "tessera_module_invoke_into"]:
    getattr(lib, name)

# The C++ internals are not exported.
for name in ["_ZN7tessera8artifact7fnv1a64EPKvm",
             "_ZN7tessera7runtime10checkShapeEPKc15tessera_dtype_tiPKlRlRm"]:
    try:
        getattr(lib, name)
    except AttributeError:
        continue
    raise AssertionError(name + " is exported")
print("ok")
