"""ctypes bindings of Tessera's runtime C API (runtime/include/tessera/
tessera_runtime.h) for the GPU numerics test and the GEMM benchmark: load a
.tsm artifact, wrap torch CUDA tensors as device tensors, invoke on a stream.
"""
import ctypes
import glob
import os

DTYPES = {"f32": 1, "f16": 2, "bf16": 3, "f64": 4, "i8": 5, "i32": 6, "i64": 7,
          "f8e4m3fn": 8, "f8e5m2": 9}
HOST, CUDA = 0, 1


class TesseraError(RuntimeError):
    pass


def find_library(build_dir):
    names = glob.glob(os.path.join(build_dir, "**", "libtessera_runtime.so"),
                      recursive=True)
    if not names:
        raise FileNotFoundError("libtessera_runtime.so not found under "
                                + build_dir)
    return names[0]


class Runtime:
    def __init__(self, library):
        lib = ctypes.CDLL(library)
        self.lib = lib
        vp, sz, i64p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)
        lib.tessera_status_message.restype = ctypes.c_char_p
        lib.tessera_status_message.argtypes = [vp]
        lib.tessera_status_free.argtypes = [vp]
        lib.tessera_status_code.argtypes = [vp]
        lib.tessera_module_load_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
        lib.tessera_module_load_file.restype = vp
        lib.tessera_module_release.argtypes = [vp]
        lib.tessera_module_find_function.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(sz)]
        lib.tessera_module_find_function.restype = vp
        lib.tessera_tensor_wrap_device.argtypes = [ctypes.c_int, ctypes.c_int32, i64p, ctypes.c_uint64, ctypes.POINTER(vp)]
        lib.tessera_tensor_wrap_device.restype = vp
        lib.tessera_tensor_release.argtypes = [vp]
        lib.tessera_tensor_device_pointer.argtypes = [vp]
        lib.tessera_tensor_device_pointer.restype = ctypes.c_uint64
        lib.tessera_tensor_rank.argtypes = [vp]
        lib.tessera_tensor_rank.restype = ctypes.c_int32
        lib.tessera_tensor_dims.argtypes = [vp]
        lib.tessera_tensor_dims.restype = i64p
        lib.tessera_module_invoke_async.argtypes = [vp, sz, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz, vp]
        lib.tessera_module_invoke_async.restype = vp
        lib.tessera_module_invoke_into.argtypes = [vp, sz, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz, vp]
        lib.tessera_module_invoke_into.restype = vp
        lib.tessera_module_invoke.argtypes = [vp, sz, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz]
        lib.tessera_module_invoke.restype = vp
        lib.tessera_tensor_copy_to.argtypes = [vp, ctypes.c_int, ctypes.POINTER(vp)]
        lib.tessera_tensor_copy_to.restype = vp
        lib.tessera_tensor_data.argtypes = [vp]
        lib.tessera_tensor_data.restype = vp

    def check(self, status, what):
        if status:
            message = self.lib.tessera_status_message(status).decode()
            self.lib.tessera_status_free(status)
            raise TesseraError(f"{what}: {message}")

    def load(self, path):
        module = ctypes.c_void_p()
        self.check(self.lib.tessera_module_load_file(path.encode(), ctypes.byref(module)),
                   "load " + path)
        return Module(self, module)


class Module:
    def __init__(self, rt, handle):
        self.rt, self.handle = rt, handle

    def __del__(self):
        self.rt.lib.tessera_module_release(self.handle)

    def function(self, name):
        index = ctypes.c_size_t()
        self.rt.check(self.rt.lib.tessera_module_find_function(
            self.handle, name.encode(), ctypes.byref(index)), "find " + name)
        return index.value

    def wrap(self, tensor, dtype):
        dims = (ctypes.c_int64 * tensor.dim())(*tensor.shape)
        out = ctypes.c_void_p()
        self.rt.check(self.rt.lib.tessera_tensor_wrap_device(
            DTYPES[dtype], tensor.dim(), dims, tensor.data_ptr(), ctypes.byref(out)),
            "wrap")
        return out

    def invoke(self, function, args, result_count, stream=None):
        """Runs on `stream` (a torch.cuda.Stream or None); returns the result
        handles (device tensors the caller releases)."""
        arr = (ctypes.c_void_p * len(args))(*[a.value for a in args])
        res = (ctypes.c_void_p * result_count)()
        s = ctypes.c_void_p(stream.cuda_stream if stream is not None else None)
        self.rt.check(self.rt.lib.tessera_module_invoke_async(
            self.handle, function, arr, len(args), res, result_count, s), "invoke")
        return [ctypes.c_void_p(r) for r in res]

    def invoke_into(self, function, args, outputs, stream=None):
        """Runs on `stream`, writing the results into `outputs` (wrapped
        device tensors of the results' shapes): nothing is allocated."""
        arr = (ctypes.c_void_p * len(args))(*[a.value for a in args])
        out = (ctypes.c_void_p * len(outputs))(*[o.value for o in outputs])
        s = ctypes.c_void_p(stream.cuda_stream if stream is not None else None)
        self.rt.check(self.rt.lib.tessera_module_invoke_into(
            self.handle, function, arr, len(args), out, len(outputs), s),
            "invoke_into")

    def release(self, tensor):
        self.rt.lib.tessera_tensor_release(tensor)

    def as_torch(self, tensor, torch_dtype):
        """A host torch copy of a device result."""
        import numpy as np
        import torch
        lib = self.rt.lib
        host = ctypes.c_void_p()
        self.rt.check(lib.tessera_tensor_copy_to(tensor, HOST, ctypes.byref(host)),
                      "copy to host")
        try:
            rank = lib.tessera_tensor_rank(host)
            dims = lib.tessera_tensor_dims(host)
            shape = [dims[i] for i in range(rank)]
            count = int(np.prod(shape)) if shape else 1
            size = torch.empty((), dtype=torch_dtype).element_size()
            raw = ctypes.string_at(lib.tessera_tensor_data(host), count * size)
            array = np.frombuffer(raw, dtype={2: np.uint16, 4: np.uint32}[size]).copy()
            return torch.from_numpy(array).view(torch_dtype).reshape(shape)
        finally:
            lib.tessera_tensor_release(host)
