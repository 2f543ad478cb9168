"""Compiling CuPy ElementwiseKernel bodies as C for the CPU, so their code is tested without a GPU.

Each body is pasted into a C function that declares the kernel's parameter names and loops
the body over ``i``; the functions are built with the system gcc and called through ctypes.
"""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

C_TYPES = {"double": (np.float64, ctypes.c_double), "float": (np.float32, ctypes.c_float)}

def c_function(name, params, output, body):
    """C source running an ElementwiseKernel body for every i, with CuPy's names as C variables."""
    declarations = []
    for param in params.split(","):
        words = param.split()
        if words[0] == "raw":
            declarations.append(f"const T *{words[2]}")
        else:
            declarations.append({"int32": "int", "T": "T"}[words[0]] + f" {words[1]}")
    out_type, out_name = output.split()
    return (f"void {name}({out_type} *out_, ptrdiff_t size_, {', '.join(declarations)}) {{\n"
            f"    for (ptrdiff_t i = 0; i < size_; ++i) {{\n"
            f"        {out_type} {out_name};\n{body}\n"
            f"        out_[i] = {out_name};\n    }}\n}}\n")


def build_library(kernels, c_type, folder):
    """(ctypes library, NumPy dtype, ctypes scalar) for {name: (params, output, body)} in C type ``c_type``."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not found: the CUDA C kernel bodies cannot be compiled on the CPU")
    source = f"#include <stddef.h>\ntypedef {c_type} T;\n" + "".join(
        c_function(name, *parts) for name, parts in kernels.items())
    (folder / "kernels.c").write_text(source)
    built = subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Werror", "-shared", "-fPIC",
                            "-o", str(folder / "kernels.so"), str(folder / "kernels.c")],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return ctypes.CDLL(str(folder / "kernels.so")), *C_TYPES[c_type]


def library_fixture(kernels, prefix):
    """A module-scoped pytest fixture giving build_library's result, once for float and once for double."""
    @pytest.fixture(scope="module", params=sorted(C_TYPES))
    def library(request, tmp_path_factory):
        return build_library(kernels, request.param, tmp_path_factory.mktemp(f"{prefix}_{request.param}"))
    return library
