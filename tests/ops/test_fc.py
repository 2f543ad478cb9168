"""fullyconnect against a naive loop that applies MATLAB's column-major flattening by hand."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minidl import dlarray, dlfeval, dlgradient
from minidl.ops.fc import fullyconnect
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal


def oracle_fullyconnect(x, fmt, W, b):
    """Loop over outputs, observations (and time) and every S/C position.

    The input column of position (s1, s2, ..., c) is s1 + s2*S1 + ... + c*S1*S2*...,
    MATLAB's column-major order (first dimension fastest).
    """
    channel = fmt.index("C")
    feature_dims, kept = x.shape[:channel + 1], x.shape[channel + 1:]
    y = np.zeros((W.shape[0],) + kept)
    for o in range(W.shape[0]):
        for rest in itertools.product(*(range(n) for n in kept)):
            total = b[o]
            for position in itertools.product(*(range(n) for n in feature_dims)):
                column, stride = 0, 1
                for i, n in zip(position, feature_dims):
                    column += i * stride
                    stride *= n
                total += W[o, column] * x[position + rest]
            y[(o,) + rest] = total
    return y


@st.composite
def cases(draw):
    fmt = draw(st.sampled_from(["CB", "SCB", "SSCB", "SSSCB", "CBT", "SSCBT"]))
    shape = tuple(draw(st.integers(1, 3)) for _ in fmt)
    out_size = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    in_size = int(np.prod(shape[:fmt.index("C") + 1]))
    bias_shape = draw(st.sampled_from([(out_size,), (out_size, 1)]))
    return fmt, rng.standard_normal(shape), rng.standard_normal((out_size, in_size)), rng.standard_normal(bias_shape)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_matches_oracle(case):
    fmt, x, W, b = case
    Y = fullyconnect(dlarray(x, fmt), W, b)
    assert Y.fmt == "C" + fmt[fmt.index("C") + 1:]  # "CB" for image batches, "CBT" for sequences
    assert_allclose(Y.data, oracle_fullyconnect(x, fmt, W, b.ravel()), rtol=1e-12, atol=1e-12)


def test_flattening_by_hand():
    # X is 2 x 2 x 2 (H x W x C), one observation; MATLAB's X(:) is
    # X(1,1,1), X(2,1,1), X(1,2,1), X(2,2,1), X(1,1,2), ...
    x = np.zeros((2, 2, 2, 1))
    x[0, 0, 0], x[1, 0, 0], x[0, 1, 0], x[1, 1, 0] = 1, 2, 3, 4
    x[0, 0, 1], x[1, 0, 1], x[0, 1, 1], x[1, 1, 1] = 5, 6, 7, 8
    W = 10.0 ** np.arange(8).reshape(1, 8)
    Y = fullyconnect(dlarray(x, "SSCB"), W, np.array([0.5]))
    assert Y.shape == (1, 1) and Y.fmt == "CB"
    assert Y.data[0, 0] == 87654321.5


def test_gradients():
    rng = np.random.default_rng(0)
    X = dlarray(rng.standard_normal((2, 3, 2, 2)), "SSCB")
    W, b = rng.standard_normal((3, 12)), rng.standard_normal((3, 1))
    gradcheck(fullyconnect, X, W, b, elementwise=True)
    gradcheck(fullyconnect, dlarray(rng.standard_normal((4, 3)), "CB"), W[:, :4], b.ravel(), elementwise=True)


def test_second_derivatives():
    rng = np.random.default_rng(1)
    X = dlarray(rng.standard_normal((2, 2, 3, 2)), "SSCB")
    W, b = rng.standard_normal((2, 12)), rng.standard_normal(2)
    # A nonlinear function of the output, so the Hessian couples X and W.
    gradgradcheck(lambda x, w, c: fullyconnect(x, w, c) ** 2, X, W, b)


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    X = dlarray(rng.standard_normal((3, 3, 2, 4)).astype(np.float32), "SSCB")
    Y = fullyconnect(X, rng.standard_normal((5, 18)), np.zeros(5))  # float64 weights: single wins
    assert Y.dtype == np.float32

    def grads(x, w, c):
        return dlgradient(dlsum(fullyconnect(x, w, c), "all"), x, w, c)

    W32, b32 = dlarray(rng.standard_normal((5, 18)).astype(np.float32)), dlarray(np.zeros(5, np.float32))
    assert all(g.dtype == np.float32 for g in dlfeval(grads, X, W32, b32))


def test_inputs_not_mutated():
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((2, 2, 2, 3)), rng.standard_normal((4, 8)), rng.standard_normal(4)
    copies = [a.copy() for a in (x, W, b)]
    dlfeval(lambda X, w, c: dlgradient(dlsum(fullyconnect(X, w, c) ** 2, "all"), X, w, c),
            dlarray(x, "SSCB"), dlarray(W), dlarray(b))
    for before, after in zip(copies, (x, W, b)):
        assert_array_equal(before, after)


def test_bad_inputs():
    X = dlarray(np.ones((2, 2, 3, 4)), "SSCB")
    W, b = np.ones((5, 12)), np.zeros(5)
    with pytest.raises(ValueError, match=r"weights.*12 columns.*got 10"):
        fullyconnect(X, np.ones((5, 10)), b)
    with pytest.raises(ValueError, match="weights"):
        fullyconnect(X, np.ones((5, 12, 1, 2)), b)
    with pytest.raises(ValueError, match="bias.*5 elements"):
        fullyconnect(X, W, np.zeros(4))
    with pytest.raises(ValueError, match=r"X.*'SSB'"):
        fullyconnect(dlarray(np.ones((2, 2, 4)), "SSB"), W, b)
    with pytest.raises(ValueError, match=r"X.*''"):
        fullyconnect(dlarray(np.ones((12, 4))), W, b)
    with pytest.raises(ValueError, match="U"):
        fullyconnect(dlarray(np.ones((12, 4, 2)), "CBU"), W, b)
    with pytest.raises(TypeError, match="weights"):
        fullyconnect(X, np.ones((5, 12), dtype=np.int32), b)
    with pytest.raises(TypeError, match="X"):
        fullyconnect(np.ones((2, 2, 3, 4)), W, b)
    with pytest.raises(ValueError, match="empty"):
        fullyconnect(dlarray(np.ones((2, 2, 3, 0)), "SSCB"), W, b)
    with pytest.raises(TypeError):
        fullyconnect(X, W, b, Bias=b)


def _batch_outermost(x):
    """x's values in a buffer whose memory order is B, then the other axes shuffled (conv outputs are B, S, S, C)."""
    order = (x.ndim - 1, *np.random.default_rng(x.size).permutation(x.ndim - 1))
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


@pytest.mark.host_only("compares the NumPy strides of a hand-made host view; the rows-first product itself runs on "
                       "the stand-in in every network test where a convolution's output feeds fullyconnect")
@settings(max_examples=25, deadline=None)
@given(cases())
def test_batch_outermost_layout_matches_oracle_and_keeps_the_layout_in_the_gradient(case):
    fmt, x, W, b = case
    if fmt.endswith("T"):
        return  # only a trailing B takes the rows-first product
    view = _batch_outermost(x)
    X = dlarray._wrap(view, fmt)
    Y = fullyconnect(X, W, b)
    assert Y.fmt == "C" + fmt[-1]
    np.testing.assert_allclose(Y.data, oracle_fullyconnect(x, fmt, W, b.ravel()), rtol=1e-12, atol=1e-12)

    def grads(x_, w, c):
        return dlgradient(dlsum(fullyconnect(x_, w, c) ** 2, "all"), x_, w, c)

    fast = dlfeval(grads, X, dlarray(W), dlarray(b))
    plain = dlfeval(grads, dlarray(x, fmt), dlarray(W), dlarray(b))  # the path test_gradients checks
    for got, want in zip(fast, plain):
        np.testing.assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-12)
    if x.shape[-1] > 1:  # (with one observation any layout has B outermost, and the plain path may run)
        assert _memory_order(fast[0].data) == _memory_order(view)  # what the next kernels expect, no transposes


def _memory_order(a):
    return [k for k in np.argsort(a.strides, kind="stable") if a.shape[k] > 1]
