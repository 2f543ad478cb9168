"""maxpool and avgpool against naive loop oracles, their gradients, and their errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.ops.elementwise import tanh
from minidl.ops.pool import avgpool, maxpool
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.checks import assert_refused, on_real_gpu
from helpers.window_oracles import explicit_padding, windows
from helpers.device import assert_allclose, assert_array_equal, host

SETTINGS = settings(max_examples=40, deadline=None)


# -- oracles: plain loops over output positions -----------------------------------------------

def pool_oracle(x, size, stride, padding, reduce):
    patches = list(windows(x, size, stride, (1, 1), padding, value=np.nan))
    out = np.zeros((patches[-1][0] + 1, patches[-1][1] + 1) + x.shape[2:])
    for ho, wo, patch in patches:
        out[ho, wo] = reduce(patch)
    return out


def max_oracle(patch):
    return np.nanmax(patch, axis=(0, 1))


def mean_with_padding_oracle(patch):
    return np.nan_to_num(patch).mean(axis=(0, 1))


def mean_of_pixels_oracle(patch):
    return np.nanmean(patch, axis=(0, 1))


# -- strategies ------------------------------------------------------------------------------

@st.composite
def pool_cases(draw):
    size = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    kind = draw(st.sampled_from(["none", "pair", "four", "same"]))
    padding = {"none": st.just(0),
               "pair": st.tuples(st.integers(0, size[0] - 1), st.integers(0, size[1] - 1)).map(list),
               "four": st.tuples(*[st.integers(0, size[k // 2] - 1) for k in range(4)]).map(list),
               "same": st.just("same")}[kind]
    padding = draw(padding)
    hw = tuple(draw(st.integers(size[k], size[k] + 3)) for k in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(hw + (draw(st.integers(1, 3)), draw(st.integers(1, 2))))
    stride_arg = list(stride) if stride[0] != stride[1] or draw(st.booleans()) else stride[0]
    size_arg = list(size) if size[0] != size[1] or draw(st.booleans()) else size[0]
    return x, size_arg, dict(Stride=stride_arg, Padding=padding), \
        (size, stride, explicit_padding(padding, x.shape, size, stride, (1, 1)))


# -- forward --------------------------------------------------------------------------------

@SETTINGS
@given(pool_cases())
def test_maxpool_matches_loop_oracle(case):
    x, poolsize, kwargs, (size, stride, padding) = case
    y = maxpool(dlarray(x, "SSCB"), poolsize, **kwargs)
    assert y.fmt == "SSCB"
    assert_array_equal(extractdata(y), pool_oracle(x, size, stride, padding, max_oracle))


@SETTINGS
@given(pool_cases(), st.sampled_from([0, "mean"]))
def test_avgpool_matches_loop_oracle(case, padding_value):
    x, poolsize, kwargs, (size, stride, padding) = case
    y = avgpool(dlarray(x, "SSCB"), poolsize, PaddingValue=padding_value, **kwargs)
    oracle = mean_with_padding_oracle if padding_value == 0 else mean_of_pixels_oracle
    assert y.fmt == "SSCB"
    assert_allclose(extractdata(y), pool_oracle(x, size, stride, padding, oracle), rtol=1e-12)


def test_global_pooling_and_defaults():
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2))
    assert_array_equal(extractdata(maxpool(dlarray(x, "SSCB"), "global"))[0, 0], x.max(axis=(0, 1)))
    assert_allclose(extractdata(avgpool(dlarray(x, "SSCB"), "global"))[0, 0], x.mean(axis=(0, 1)))
    # MATLAB's functional default stride is 1, not the pool size.
    assert maxpool(dlarray(x, "SSCB"), 2).shape == (3, 2, 2, 2)


def test_ssc_input_data_format_and_single_precision():
    x = np.random.default_rng(2).standard_normal((5, 4, 3, 2)).astype(np.float32)
    expected = extractdata(maxpool(dlarray(x, "SSCB"), [2, 3], Stride=2))
    assert expected.dtype == np.float32
    single = avgpool(dlarray(x[..., 1], "SSC"), [2, 3], Stride=2)
    assert single.fmt == "SSC" and single.dtype == np.float32
    moved = maxpool(dlarray(x.transpose(3, 2, 0, 1)), [2, 3], Stride=2, DataFormat="BCSS")
    assert moved.fmt == ""
    assert_array_equal(extractdata(moved), expected.transpose(3, 2, 0, 1))


# -- gradients ------------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(pool_cases())
def test_gradients_match_finite_differences(case):
    x, poolsize, kwargs, _ = case  # continuous random data: no ties, so max is differentiable here
    gradcheck(lambda x: maxpool(x, poolsize, **kwargs), dlarray(x, "SSCB"))
    gradcheck(lambda x: avgpool(x, poolsize, **kwargs), dlarray(x, "SSCB"))
    gradcheck(lambda x: avgpool(x, poolsize, PaddingValue="mean", **kwargs), dlarray(x, "SSCB"))


def test_every_partial_derivative_on_a_tiny_case():
    x = dlarray(np.random.default_rng(3).standard_normal((4, 5, 2, 1)), "SSCB")
    for pool in (maxpool, avgpool):
        gradcheck(lambda x: pool(x, [2, 3], Stride=[1, 2], Padding=[1, 0, 2, 1]), x, elementwise=True)


@settings(max_examples=8, deadline=None)
@given(pool_cases())
def test_second_order_gradients(case):
    x, poolsize, kwargs, _ = case
    for pool in (maxpool, avgpool):
        gradgradcheck(lambda x: tanh(pool(tanh(x), poolsize, **kwargs)), dlarray(x, "SSCB"))


def test_max_gradient_goes_to_the_first_maximum_in_column_major_order():
    # Window [[5 7] [7 1]]: the 7s tie; MATLAB's column-major order (h fastest) meets (1, 0) first.
    x = dlarray(np.array([[5.0, 7.0], [7.0, 1.0]]).reshape(2, 2, 1, 1), "SSCB")
    grad = dlfeval(lambda x: dlgradient(dlsum(maxpool(x, 2), "all"), x), x)
    assert_array_equal(extractdata(grad)[:, :, 0, 0], [[0, 0], [1, 0]])
    zeros = dlarray(np.zeros((3, 3, 1, 1)), "SSCB")
    grad = dlfeval(lambda x: dlgradient(dlsum(maxpool(x, 3, Padding=1), "all"), x), zeros)
    assert extractdata(grad).sum() == 9 and extractdata(grad)[0, 0, 0, 0] == 4  # top-left is first in 4 windows


def test_inputs_are_not_mutated():
    data = np.random.default_rng(4).standard_normal((5, 5, 2, 2))
    copy = data.copy()
    for pool in (maxpool, avgpool):
        dlfeval(lambda x: dlgradient(dlsum(pool(x, 2, Padding="same"), "all"), x), dlarray(data, "SSCB"))
    assert_array_equal(data, copy)


# -- windows that tile the image: a reshape of the buffer instead of im2col's rows -------------

@pytest.mark.parametrize("shape, poolsize, kwargs, tiles", [
    ((4, 6), 2, dict(Stride=2), True),
    ((6, 6), [3, 2], dict(Stride=[3, 2]), True),
    ((4, 6), "global", {}, True),  # one window: the stride does not matter
    ((2, 6), [2, 3], dict(Stride=[1, 3]), True),
    ((4, 6), 2, {}, False),  # stride 1: windows overlap
    ((5, 6), 2, dict(Stride=2), False),  # a row left over
    ((4, 6), 2, dict(Stride=2, Padding=1), False),
    ((4, 6), 2, dict(Stride=3), False),  # gaps between windows
])
def test_which_windows_tile_the_image(shape, poolsize, kwargs, tiles):
    from minidl.ops import pool
    x = dlarray(np.zeros(shape + (2, 3)), "SSCB")
    _, window, _ = pool._pooling_input(x, poolsize, kwargs.get("Stride", 1), kwargs.get("Padding", 0), None, "maxpool")
    assert (pool._tiles(x, window) is not None) == tiles


def _without_tiles(monkeypatch, fn):
    from minidl.ops import pool
    with monkeypatch.context() as m:
        m.setattr(pool, "_tiles", lambda x, window: None)
        return fn()


TILED = [(lambda x: maxpool(x, 2, Stride=2), "max"), (lambda x: maxpool(x, [3, 1], Stride=[3, 1]), "max"),
         (lambda x: avgpool(x, 2, Stride=2), "avg"), (lambda x: avgpool(x, 2, Stride=2, PaddingValue="mean"), "avg"),
         (lambda x: maxpool(x, "global"), "max"), (lambda x: avgpool(x, "global"), "avg")]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("pool, kind", TILED)
def test_tiled_pooling_matches_the_oracle_and_the_general_path(monkeypatch, pool, kind, dtype):
    rng = np.random.default_rng(5)
    data = rng.standard_normal((6, 4, 3, 2)).astype(dtype)
    data[0, 0, 0, 0] = data[1, 1, 0, 0] = data[0:2, 0:2, 0, 0].max() + 1  # a tie inside one 2x2 tile
    data[2, 2, 1, 1] = np.nan  # a NaN wins its window
    x = dlarray(data, "SSCB")
    r = rng.standard_normal(extractdata(pool(x)).shape).astype(dtype)

    def run(x):
        y = pool(x)
        return y, dlgradient(dlsum(y * dlarray(r, "SSCB"), "all"), x)
    tiled = dlfeval(run, x)
    general = _without_tiles(monkeypatch, lambda: dlfeval(run, x))
    assert tiled[0].fmt == "SSCB" and tiled[0].dtype == dtype and tiled[1].dtype == dtype
    if kind == "max":  # the same element of each window, the same bits
        assert_array_equal(extractdata(tiled[0]), extractdata(general[0]))
        assert_array_equal(extractdata(tiled[1]), extractdata(general[1]))
    else:
        tol = 1e-6 if dtype == np.float32 else 1e-12
        assert_allclose(extractdata(tiled[0]), extractdata(general[0]), rtol=tol, atol=tol)
        assert_allclose(extractdata(tiled[1]), extractdata(general[1]), rtol=tol, atol=tol)


@pytest.mark.parametrize("fill", ["ties", "nan"])
def test_first_maximum_of_large_tiles(monkeypatch, fill):
    """Global max pooling over 25 pixels (the argmax branch of the mask) puts the gradient on the
    first maximum (or first NaN) in column-major order, as the general path does."""
    data = np.zeros((5, 5, 2, 2))
    data[3, 1, 0, 0] = data[1, 3, 0, 0] = 2.0  # column-major: (3, 1) comes first
    if fill == "nan":
        data[4, 2, 1, 1] = data[0, 4, 1, 1] = np.nan  # (4, 2) comes first
    x = dlarray(data, "SSCB")

    def run(x):
        return dlgradient(dlsum(maxpool(x, "global"), "all"), x)
    grad = host(extractdata(dlfeval(run, x)))
    assert grad[3, 1, 0, 0] == 1 and grad[:, :, 0, 0].sum() == 1
    assert grad[0, 0, 0, 1] == 1 and grad[:, :, 0, 1].sum() == 1  # all zeros: the first pixel
    if fill == "nan":
        assert grad[4, 2, 1, 1] == 1 and grad[:, :, 1, 1].sum() == 1
    assert_array_equal(grad, extractdata(_without_tiles(monkeypatch, lambda: dlfeval(run, x))))


def test_tiled_pooling_gradients_of_gradients():
    x = dlarray(np.random.default_rng(6).standard_normal((4, 6, 2, 2)), "SSCB")
    for pool in (lambda x: maxpool(x, 2, Stride=2), lambda x: avgpool(x, [2, 3], Stride=[2, 3])):
        gradcheck(pool, x)
        gradgradcheck(lambda x: tanh(pool(tanh(x))), x)


# -- bad input ------------------------------------------------------------------------------

X = dlarray(np.zeros((5, 5, 3, 2)), "SSCB")


@pytest.mark.parametrize("call, error, words", [
    (lambda: maxpool(X, 0), ValueError, ["poolsize"]),
    (lambda: maxpool(X, 6), ValueError, ["poolsize", "larger"]),
    (lambda: avgpool(X, 2, Padding=2), ValueError, ["Padding", "smaller than poolsize"]),
    (lambda: avgpool(X, 2, PaddingValue=1), ValueError, ["PaddingValue"]),
    (lambda: maxpool(X, 2, Stride=[1, 2, 3]), ValueError, ["Stride"]),
    (lambda: maxpool(X, 2, DilationFactor=2), TypeError, ["DilationFactor"]),
    (lambda: avgpool(dlarray(np.zeros((5, 3))), 2), ValueError, ["X"]),
    (lambda: maxpool(dlarray(np.zeros((5, 5, 3), bool), "SSC"), 2), TypeError, ["X"]),
    (lambda: avgpool(dlarray(np.zeros((5, 5, 3, 0)), "SSCB"), 2), ValueError, ["empty batch"]),
])
def test_bad_input_is_refused_with_a_clear_message(call, error, words):
    assert_refused(call, error, words)


# -- GPU ------------------------------------------------------------------------------------

@on_real_gpu("pooling")
def test_gpu_matches_numpy():
    import cupy
    x = np.random.default_rng(5).standard_normal((7, 6, 3, 2))
    for pool, kwargs in ((maxpool, {}), (avgpool, dict(PaddingValue="mean"))):
        def run(x):
            y = pool(x, [3, 2], Stride=2, Padding="same", **kwargs)
            return y, dlgradient(dlsum(y * y, "all"), x)
        expected = dlfeval(run, dlarray(x, "SSCB"))
        got = dlfeval(run, dlarray(cupy.asarray(x), "SSCB"))
        for e, g in zip(expected, got):
            assert_allclose(extractdata(g).get(), extractdata(e), rtol=1e-12)
