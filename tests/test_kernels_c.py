"""The CUDA C bodies of the CuPy kernels, compiled for the CPU and compared with the NumPy kernels.

No GPU here, so each ElementwiseKernel body is pasted into a C function that declares
the kernel's parameter names and loops the body over ``i``, built with the system gcc and
called through ctypes. A body that is wrong for the CPU is wrong for the GPU too.
"""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.kernels import im2col as kernels
from minidl.kernels.im2col import Window

C_TYPES = {"double": (np.float64, ctypes.c_double), "float": (np.float32, ctypes.c_float)}
KERNELS = {"im2col": (kernels.IM2COL_PARAMS, kernels.IM2COL_OUTPUT, kernels.IM2COL_BODY),
           "col2im": (kernels.COL2IM_PARAMS, kernels.COL2IM_OUTPUT, kernels.COL2IM_BODY)}


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


@pytest.fixture(scope="module", params=sorted(C_TYPES))
def library(request, tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc not found: the CUDA C kernel bodies cannot be compiled on the CPU")
    c_type = request.param
    folder = tmp_path_factory.mktemp(f"kernels_{c_type}")
    source = f"#include <stddef.h>\ntypedef {c_type} T;\n" + "".join(
        c_function(name, *parts) for name, parts in KERNELS.items())
    (folder / "kernels.c").write_text(source)
    built = subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Werror", "-shared", "-fPIC",
                            "-o", str(folder / "kernels.so"), str(folder / "kernels.c")],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return ctypes.CDLL(str(folder / "kernels.so")), *C_TYPES[c_type]


def call(library, name, out_shape, raw, window, image_size, *extra):
    """Run the compiled body the way ElementwiseKernel would, with the dispatcher's arguments."""
    lib, dtype, c_scalar = library
    out = np.empty(out_shape, dtype=dtype)
    raw = np.ascontiguousarray(raw, dtype=dtype)
    ints = kernels._kernel_args(window, *image_size, out_shape[3] if name == "im2col" else out_shape[1])
    pointer = ctypes.POINTER(c_scalar)
    getattr(lib, name)(out.ctypes.data_as(pointer), ctypes.c_ssize_t(out.size), raw.ctypes.data_as(pointer),
                       *[ctypes.c_int(v) for v in ints], *[c_scalar(v) for v in extra])
    return out


@st.composite
def cases(draw):
    size = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride, dilation = draw(st.tuples(st.integers(1, 3), st.integers(1, 3))), \
        draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    padding = draw(st.tuples(*[st.integers(0, 2)] * 4))
    hw = tuple(draw(st.integers(max(1, d * (f - 1) + 1 - a - b), 6))
               for f, d, a, b in zip(size, dilation, padding[::2], padding[1::2]))
    window = Window(size, stride, dilation, padding)
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(
        hw + (draw(st.integers(1, 3)), draw(st.integers(1, 2))))
    return x, window, draw(st.sampled_from([0.0, -np.inf]))


@settings(max_examples=30, deadline=None)
@given(case=cases())
def test_c_bodies_match_numpy_kernels(library, case):
    x, window, pad_value = case
    x = x.astype(library[1])
    H, W, C, N = x.shape
    image = x.transpose(2, 3, 0, 1)  # the kernels' (C, N, H, W) buffer
    cols = kernels.im2col(x, window, pad_value)
    np.testing.assert_array_equal(call(library, "im2col", cols.shape, image, window, (H, W), pad_value), cols)
    c = np.random.default_rng(0).standard_normal(cols.shape).astype(x.dtype)
    expected = kernels.col2im(c, window, (H, W)).transpose(2, 3, 0, 1)
    tolerance = 1e-6 if x.dtype == np.float32 else 1e-13  # the sums run in a different order
    np.testing.assert_allclose(call(library, "col2im", (C, N, H, W), c, window, (H, W)), expected,
                               rtol=tolerance, atol=tolerance)
