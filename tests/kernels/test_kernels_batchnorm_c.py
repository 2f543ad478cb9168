"""The CUDA C bodies of the batch-norm CuPy kernels, compiled for the CPU and compared with the NumPy kernels.

Same harness (tests/c_harness.py): each ElementwiseKernel body runs in a C loop over ``i``.
"""
import ctypes
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers.c_harness import library_fixture

from minidl.kernels import batchnorm as kernels

PREFIX = "batchnorm"
KERNELS = {"apply": (kernels.APPLY_PARAMS, kernels.APPLY_OUTPUT, kernels.APPLY_BODY),
           "backward": (kernels.BACKWARD_PARAMS, kernels.BACKWARD_OUTPUT, kernels.BACKWARD_BODY)}


library = library_fixture(KERNELS, PREFIX)


def call(library, name, shape, arrays, scalars, C, B):
    """Run a compiled body as ElementwiseKernel would: raw arrays, then T scalars, then C and B."""
    lib, dtype, c_scalar = library
    out = np.empty(shape, dtype=dtype)
    arrays = [np.ascontiguousarray(a, dtype=dtype) for a in arrays]
    pointer = ctypes.POINTER(c_scalar)
    getattr(lib, name)(out.ctypes.data_as(pointer), ctypes.c_ssize_t(out.size),
                       *[a.ctypes.data_as(pointer) for a in arrays], *[c_scalar(v) for v in scalars],
                       ctypes.c_int(C), ctypes.c_int(B))
    return out


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 6)), seed=st.integers(0, 2**32 - 1))
def test_c_bodies_match_numpy_kernels(library, shape, seed):
    dtype = library[1]
    A, C, B = shape
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal(shape) * 2 + 1).astype(dtype), rng.standard_normal(shape).astype(dtype)
    scale, offset = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    y, mean, _, saved = kernels.forward(x, scale, offset, 1e-5)
    inv_std = saved[1]
    tolerance = 1e-5 if dtype == np.float32 else 1e-12  # same formula, different rounding order
    np.testing.assert_allclose(call(library, "apply", shape, (x, mean, inv_std, scale, offset), (), C, B), y,
                               rtol=tolerance, atol=tolerance)
    dx, dscale, doffset = kernels.backward(dy, scale, saved)
    got = call(library, "backward", shape, (dy, x, mean, inv_std, scale, doffset, dscale), (A * B,), C, B)
    terms = np.max(np.abs(scale * inv_std)) * np.max(np.abs(dy)) * (2 + A * B)  # bounds dx's terms; they cancel
    np.testing.assert_allclose(got, dx, rtol=tolerance, atol=tolerance * terms)


def test_numpy_kernels_match_closed_form():
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((2, 3, 5)) * 3 + 1, rng.standard_normal((2, 3, 5))
    scale, offset = rng.standard_normal(3), rng.standard_normal(3)
    y, mean, var, saved = kernels.forward(x, scale, offset, 1e-3)
    M = 10
    mu = x.mean(axis=(0, 2), keepdims=True)
    sigma_sq = ((x - mu) ** 2).mean(axis=(0, 2), keepdims=True)
    inv_std = 1 / np.sqrt(sigma_sq + 1e-3)
    xhat = (x - mu) * inv_std
    s = scale[:, None]
    np.testing.assert_allclose(y, xhat * s + offset[:, None], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean, mu.ravel(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, sigma_sq.ravel(), rtol=1e-12, atol=1e-12)
    dx, dscale, doffset = kernels.backward(dy, scale, saved)
    expected = inv_std / M * (M * dy * s - (dy * s).sum(axis=(0, 2), keepdims=True)
                              - xhat * (dy * s * xhat).sum(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(dx, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dscale, (dy * xhat).sum(axis=(0, 2)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(doffset, dy.sum(axis=(0, 2)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (2, 3, 0, 1), (3, 2, 1, 0)])
def test_rows_round_trip(order):
    """Rows puts the channel axis in the middle of x's memory order and restores views of x's shape."""
    buffer = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    x = buffer.transpose(np.argsort(order))  # logical (H, W, C, N) view of a buffer in some memory order
    layout = kernels.Rows(x, 2)
    rows = layout.rows(x)
    assert np.shares_memory(rows, x) and rows.shape[1] == x.shape[2]
    np.testing.assert_array_equal(layout.restore(rows), x)
    other = np.ascontiguousarray(x.transpose(3, 1, 0, 2)).transpose(2, 1, 3, 0)  # same values, other layout
    np.testing.assert_array_equal(layout.restore(layout.rows(other)), x)


class _CompiledKernel:
    """What cupy.ElementwiseKernel gives, run by the compiled C body: array arguments, scalars, then the output."""

    def __init__(self, library, params, name):
        self.lib, self.dtype, self.c_scalar = library
        self.params, self.name = [p.split() for p in params.split(",")], name

    def __call__(self, *args):
        *inputs, out = args
        pointer = ctypes.POINTER(self.c_scalar)
        converted = []
        for words, value in zip(self.params, inputs):
            if words[0] == "raw":
                converted.append(np.ascontiguousarray(value, self.dtype).ctypes.data_as(pointer))
            else:
                converted.append(self.c_scalar(value) if words[0] == "T" else ctypes.c_int(value))
        result = np.empty(out.shape, self.dtype)
        getattr(self.lib, self.name)(result.ctypes.data_as(pointer), ctypes.c_ssize_t(result.size), *converted)
        out[...] = result


def _fake_cupy(library):
    """A cupy module for the CuPy functions of the kernels: NumPy's functions, ElementwiseKernel compiled as C."""
    bodies = {kernels.APPLY_BODY: "apply", kernels.BACKWARD_BODY: "backward"}
    fake = types.ModuleType("cupy")
    for name in ("empty_like", "square", "sqrt", "maximum"):
        setattr(fake, name, getattr(np, name))
    fake.ElementwiseKernel = lambda params, output, body, name: _CompiledKernel(library, params, bodies[body])
    return fake


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(1, 40), st.integers(1, 4), st.integers(1, 3)), relu=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_cupy_functions_with_the_compiled_bodies_match_the_numpy_kernels(library, shape, relu, seed):
    """_forward_cupy / _backward_cupy (the ReLU-fused forms included) run as on a GPU, their ElementwiseKernels
    being the C bodies compiled for the CPU and cupy's other functions NumPy's."""
    dtype = library[1]
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype), rng.standard_normal(shape).astype(dtype)
    scale, offset = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    previous = sys.modules.get("cupy")
    sys.modules["cupy"] = _fake_cupy(library)
    kernels._cupy_kernels.cache_clear()
    try:
        y, mean, var, saved = kernels._forward_cupy(x, scale, offset, 1e-5, relu)
        dx, dscale, doffset = kernels._backward_cupy(dy, scale, saved)
    finally:
        kernels._cupy_kernels.cache_clear()
        if previous is None:
            del sys.modules["cupy"]
        else:
            sys.modules["cupy"] = previous
    want_y, want_mean, want_var, want_saved = kernels.forward(x, scale, offset, 1e-5, relu)
    want = kernels.backward(dy, scale, want_saved)
    tolerance = 1e-4 if dtype == np.float32 else 1e-10  # the sums run in another order
    np.testing.assert_allclose(y, want_y, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(mean, want_mean, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(var, want_var, rtol=tolerance, atol=tolerance)
    if relu and not np.array_equal(y > 0, want_y > 0):
        return  # a value at the ReLU's edge rounded to the other side: the gradients differ there
    terms = np.max(np.abs(scale / np.sqrt(want_var + 1e-5))) * np.max(np.abs(dy)) * (2 + x.size)
    np.testing.assert_allclose(dx, want[0], rtol=tolerance, atol=tolerance * terms)
    np.testing.assert_allclose(dscale, want[1], rtol=tolerance, atol=tolerance * x.size)
    np.testing.assert_allclose(doffset, want[2], rtol=tolerance, atol=tolerance * x.size)
