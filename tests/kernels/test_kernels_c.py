"""The CUDA C bodies of the im2col/col2im CuPy kernels, compiled for the CPU (tests/c_harness.py)
and compared with the NumPy kernels. A body that is wrong for the CPU is wrong for the GPU too."""
import ctypes

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.c_harness import library_fixture

from minidl.kernels import im2col as kernels
from minidl.kernels.im2col import Window

PREFIX = "im2col"
KERNELS = {"im2col": (kernels.IM2COL_PARAMS, kernels.IM2COL_OUTPUT, kernels.IM2COL_BODY),
           "col2im": (kernels.COL2IM_PARAMS, kernels.COL2IM_OUTPUT, kernels.COL2IM_BODY)}


library = library_fixture(KERNELS, PREFIX)


def call(library, name, out_shape, raw, window, image_size, *extra):
    """Run the compiled body the way ElementwiseKernel would, with the dispatcher's arguments."""
    lib, dtype, c_scalar = library
    out = np.empty(out_shape, dtype=dtype)
    raw = np.ascontiguousarray(raw, dtype=dtype)
    ints = kernels._kernel_args(window, *image_size, out_shape[-1])  # C: last axis of either output
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
    image = x.transpose(3, 0, 1, 2)  # the kernels' (N, H, W, C) buffer
    cols = kernels.im2col(x, window, pad_value)
    np.testing.assert_array_equal(call(library, "im2col", cols.shape, image, window, (H, W), pad_value), cols)
    c = np.random.default_rng(0).standard_normal(cols.shape).astype(x.dtype)
    expected = kernels.col2im(c, window, (H, W)).transpose(3, 0, 1, 2)
    tolerance = 1e-6 if x.dtype == np.float32 else 1e-13  # the sums run in a different order
    np.testing.assert_allclose(call(library, "col2im", (N, H, W, C), c, window, (H, W)), expected,
                               rtol=tolerance, atol=tolerance)


@settings(max_examples=30, deadline=None)
@given(case=cases(), one_channel=st.booleans())
def test_window_rows_are_the_c_bodys_columns_as_a_matrix(library, case, one_channel):
    """The GEMM's window rows (tap-major and transposed for one channel on NumPy) hold im2col's columns."""
    x, window, _ = case
    x = (x[:, :, :1] if one_channel else x).astype(library[1])
    H, W, C, N = x.shape
    rows = kernels.window_rows(x, window)
    Ho, Wo = window.output_size(H, W)
    cols = call(library, "im2col", (N, Ho, Wo, *window.size, C), x.transpose(3, 0, 1, 2), window, (H, W), 0.0)
    assert rows.shape == (N * Ho * Wo, window.size[0] * window.size[1] * C)
    np.testing.assert_array_equal(rows, cols.reshape(rows.shape))
