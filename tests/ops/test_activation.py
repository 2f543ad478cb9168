"""relu, leakyrelu, sigmoid, softmax: values, formats, stability, gradients."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as dl
from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal, host

SMALL = settings(max_examples=20)
FORMATS = ["CB", "SCB", "SSCB", "CBT", "SC"]


@st.composite
def formatted(draw, away_from_zero=False):
    fmt = draw(st.sampled_from(FORMATS))
    shape = draw(hnp.array_shapes(min_dims=len(fmt), max_dims=len(fmt), max_side=3))
    values = st.floats(-3, 3, allow_subnormal=False)
    if away_from_zero:  # no values near the kink at 0
        values = st.integers(-20, 20).map(lambda k: k / 7 + 1 / 14)
    return dlarray(draw(hnp.arrays(np.float64, shape, elements=values)), fmt)


def _softmax_ref(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@SMALL
@given(formatted(away_from_zero=True), st.sampled_from([0.01, 0.2, 2]))
def test_relu_and_leakyrelu(X, scale):
    x = host(extractdata(X))
    for y, want in ((dl.relu(X), np.maximum(x, 0)), (dl.leakyrelu(X, scale), np.where(x > 0, x, scale * x))):
        assert_array_equal(extractdata(y), want)
        assert dl.dims(y) == dl.dims(X)
    assert gradcheck(dl.relu, X)
    assert gradcheck(lambda v: dl.leakyrelu(v, scale), X)
    assert gradgradcheck(lambda v: dl.relu(v) ** 2, X)


def test_relu_derivative_at_zero_is_zero_and_leakyrelu_default_scale():
    x = dlarray(np.array([-2.0, 0.0, 3.0]))
    g = dlfeval(lambda v: dlgradient(dl.sum(dl.relu(v), "all"), v), x)
    assert_array_equal(extractdata(g), [0.0, 0.0, 1.0])
    assert_array_equal(extractdata(dl.leakyrelu(x)), [-0.02, 0.0, 3.0])


def test_leakyrelu_scale_must_be_a_number():
    for bad in ("0.1", True, [0.1]):
        with pytest.raises(TypeError, match="scaleFactor"):
            dl.leakyrelu(dlarray([1.0]), bad)
    assert dl.leakyrelu(dlarray([-1.0]), np.float32(0.5)).dtype == np.float64


@SMALL
@given(formatted())
def test_sigmoid(X):
    x = host(extractdata(X))
    assert_allclose(extractdata(dl.sigmoid(X)), 1 / (1 + np.exp(-x)), rtol=1e-12)
    assert dl.dims(dl.sigmoid(X)) == dl.dims(X)
    assert gradcheck(dl.sigmoid, X)
    assert gradgradcheck(dl.sigmoid, X)


def test_sigmoid_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = extractdata(dl.sigmoid(dlarray(np.array([-1000.0, 0.0, 1000.0], np.float32))))
    assert_array_equal(y, [0.0, 0.5, 1.0])
    assert y.dtype == np.float32


@SMALL
@given(formatted())
def test_softmax_over_the_channel_dimension(X):
    x = host(extractdata(X))
    axis = dl.finddim(X, "C")[0] - 1
    y = dl.softmax(X)
    assert dl.dims(y) == dl.dims(X)
    assert_allclose(extractdata(y), _softmax_ref(x, axis), rtol=1e-12)
    assert_allclose(extractdata(y).sum(axis=axis), 1.0)
    assert gradcheck(dl.softmax, X)
    assert gradgradcheck(dl.softmax, X)


def test_softmax_of_unformatted_data_with_dataformat(rng):
    x = rng.standard_normal((4, 3))  # B x C, in the order DataFormat gives
    y = dl.softmax(dlarray(x), DataFormat="BC")
    assert dl.dims(y) == ""
    assert_allclose(extractdata(y), _softmax_ref(x, 1))
    assert gradcheck(lambda v: dl.softmax(v, DataFormat="BC"), dlarray(x))


def test_softmax_is_stable_for_large_inputs():
    y = dl.softmax(dlarray(np.array([[1000.0, 1000.0], [0.0, 1000.0]]), "CB"))  # columns are observations
    assert_allclose(extractdata(y), [[1.0, 0.5], [0.0, 0.5]])


@pytest.mark.parametrize("X, kwargs, message", [
    (dlarray(np.ones((2, 3))), {}, "DataFormat"),
    (dlarray(np.ones((2, 3)), "SB"), {}, "'C'"),
    (dlarray(np.ones((2, 3)), "CB"), {"DataFormat": "CB"}, "unformatted"),
    (dlarray(np.ones((2, 3, 4))), {"DataFormat": "CB"}, "fewer labels"),
    (dlarray(np.ones((2, 3))), {"DataFormat": "CX"}, "'X'"),
])
def test_softmax_errors(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dl.softmax(X, **kwargs)


@pytest.mark.parametrize("fn", [dl.relu, dl.leakyrelu, dl.sigmoid, dl.softmax])
def test_activations_need_floating_dlarrays(fn):
    with pytest.raises(TypeError, match="single or double"):
        fn(dlarray(np.array([True, False]), "CB"))
    with pytest.raises(TypeError, match="X must be a dlarray"):
        fn(np.ones(3))
