"""Reductions (sum, mean, max, min) and shape ops (reshape, permute, indexing, relabelling)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as dl
from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.ops.shape import widened
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal, host

SMALL = settings(max_examples=20)
FORMATS = ["", "C", "CB", "SC", "SSCB", "SCBT", "CBU"]
REDUCTIONS = {"sum": (dl.sum, np.sum), "mean": (dl.mean, np.mean), "max": (dl.max, np.max), "min": (dl.min, np.min)}


@st.composite
def array_and_format(draw, unique=False, max_dims=4):
    fmt = draw(st.sampled_from([f for f in FORMATS if len(f) <= max_dims]))
    ndim = len(fmt) if fmt else draw(st.integers(1, 3))
    shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, max_side=3))
    values = st.floats(-2, 2, allow_subnormal=False)
    if unique:  # distinct values: no ties for max/min
        values = st.integers(-50, 50).map(lambda k: k / 13)
    return draw(hnp.arrays(np.float64, shape, elements=values, unique=unique)), fmt


@pytest.mark.parametrize("name", REDUCTIONS)
@SMALL
@given(data=st.data())
def test_reduction_over_dims(name, data):
    op, ref = REDUCTIONS[name]
    x, fmt = data.draw(array_and_format(unique=name in ("max", "min")))
    dims = data.draw(st.lists(st.integers(1, x.ndim + 1), min_size=1, max_size=3, unique=True))
    X = dlarray(x, fmt or None)
    y = op(X, dim=dims) if name in ("max", "min") else op(X, dims)
    axes = tuple(d - 1 for d in dims if d <= x.ndim)
    assert_allclose(extractdata(y), ref(x, axis=axes, keepdims=True), rtol=1e-12)
    assert dl.dims(y) == fmt
    assert gradcheck(lambda v: op(v, dim=dims), X)
    assert gradgradcheck(lambda v: op(v, dim=dims) ** 2, X)


@pytest.mark.parametrize("name", REDUCTIONS)
@SMALL
@given(data=st.data())
def test_reduction_all_and_default_dim(name, data):
    op, ref = REDUCTIONS[name]
    x, fmt = data.draw(array_and_format(unique=name in ("max", "min")))
    X = dlarray(x, fmt or None)
    total = op(X, dim="all")
    assert total.shape == () and dl.dims(total) == ""
    assert_allclose(float(total), ref(x), rtol=1e-12)
    first = next((i for i, n in enumerate(x.shape) if n != 1), 0)  # MATLAB: first non-singleton dimension
    assert_allclose(extractdata(op(X)), ref(x, axis=first, keepdims=True), rtol=1e-12)
    assert gradcheck(lambda v: op(v, dim="all"), X)


def test_positional_dim_forms():
    X = dlarray(np.arange(6.0).reshape(2, 3), "CB")
    assert_array_equal(extractdata(dl.sum(X, 2)), [[3.0], [12.0]])
    assert_array_equal(extractdata(dl.mean(X, [1, 2])), [[2.5]])
    assert_array_equal(extractdata(dl.max(X, [], 1)), [[3.0, 4.0, 5.0]])
    assert_array_equal(extractdata(dl.min(X, [], np.int64(2))), [[0.0], [3.0]])
    assert dl.dims(dl.sum(X, 2)) == "CB"


@pytest.mark.parametrize("dim", [0, -1, 1.5, "first", [1, 0]])
def test_bad_dim_is_an_error(dim):
    with pytest.raises(ValueError, match="dim"):
        dl.sum(dlarray(np.ones((2, 2))), dim)


def test_max_min_ties_share_the_gradient():
    x = dlarray(np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]))
    for op in (dl.max, dl.min):
        g = dlfeval(lambda v: dlgradient(dl.sum(op(v, dim=2), "all"), v), x)
        assert np.allclose(host(extractdata(g)).sum(axis=1), 1.0)
    g = dlfeval(lambda v: dlgradient(dl.sum(dl.max(v, dim=2), "all"), v), x)
    assert_allclose(extractdata(g), [[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_max_min_omit_nan():
    x = dlarray(np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]]))
    assert_array_equal(extractdata(dl.max(x, dim=2)), [[3.0], [np.nan]])
    assert_array_equal(extractdata(dl.min(x, dim=2)), [[1.0], [np.nan]])
    g = dlfeval(lambda v: dlgradient(dl.max(v, dim="all"), v), x)
    assert_array_equal(extractdata(g), [[0, 0, 1], [0, 0, 0]])


def test_logical_sum_and_mean_are_double():
    t = dlarray(np.array([True, True, False]))
    assert float(dl.sum(t)) == 2.0 and dl.sum(t).dtype == np.float64
    assert dl.mean(t).dtype == np.float64


# -- reshape / permute ----------------------------------------------------------

@SMALL
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
def test_reshape_is_column_major(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    target = list(data.draw(st.permutations(shape))) + [1] * data.draw(st.integers(0, 1))
    y = dl.reshape(dlarray(x), target)
    assert_array_equal(extractdata(y), x.reshape(target, order="F"))
    fill = data.draw(st.integers(0, len(target) - 1))
    sizes = target[:fill] + [None] + target[fill + 1:]
    assert_array_equal(extractdata(dl.reshape(dlarray(x), *sizes)), x.reshape(target, order="F"))
    assert gradcheck(lambda v: dl.reshape(v, target) * np.arange(1.0, 1 + x.size).reshape(target), dlarray(x))


def test_reshape_examples_and_errors():
    x = dlarray(np.arange(6.0).reshape(2, 3))  # MATLAB [0 1 2; 3 4 5]
    assert_array_equal(extractdata(dl.reshape(x, 3, 2)), [[0, 4], [3, 2], [1, 5]])
    assert_array_equal(extractdata(dl.reshape(x, [], 1)).ravel(), [0, 3, 1, 4, 2, 5])
    with pytest.raises(ValueError, match="reshape"):
        dl.reshape(x, 4, 2)
    with pytest.raises(ValueError, match="unformatted"):
        dl.reshape(dlarray(np.ones((2, 3)), "CB"), 3, 2)


@SMALL
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
def test_permute_is_one_based_transpose(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    extra = data.draw(st.integers(0, 1))
    order = list(data.draw(st.permutations(range(1, x.ndim + extra + 1))))
    y = dl.permute(dlarray(x), order)
    want = x.reshape(x.shape + (1,) * extra).transpose([k - 1 for k in order])
    assert_array_equal(extractdata(y), want)
    assert gradcheck(lambda v: dl.permute(v, order) * np.arange(1.0, 1 + x.size).reshape(want.shape), dlarray(x))


@pytest.mark.parametrize("order", [[1], [1, 1, 2], [0, 1], [2, 3]])
def test_permute_rejects_bad_orders(order):
    with pytest.raises(ValueError, match="permutation"):
        dl.permute(dlarray(np.ones((2, 3))), order)


def test_permute_needs_unformatted():
    with pytest.raises(ValueError, match="unformatted"):
        dl.permute(dlarray(np.ones((2, 3)), "CB"), [2, 1])


# -- indexing -------------------------------------------------------------------

def test_index_gradient_accumulates_repeated_indices(rng):
    x = rng.standard_normal(5)
    idx = [0, 3, 3, 1, 3]
    w = rng.standard_normal(len(idx))

    def fun(v):
        return dlgradient(dl.sum(v[idx] * w, "all"), v)

    want = np.zeros(5)
    np.add.at(want, idx, w)
    assert_allclose(extractdata(dlfeval(fun, dlarray(x))), want)
    assert gradcheck(lambda v: v[idx], dlarray(x), elementwise=True)
    assert gradgradcheck(lambda v: v[idx] ** 3, dlarray(x))


KEYS = [
    (slice(None), slice(0, 2)),
    (slice(None, None, -1), Ellipsis),
    (1, slice(None)),
    ([1, 1, 0], slice(None)),
    (slice(None), np.array([2, 0, 2])),
    (np.array([True, False, True]), slice(None)),
    ([0, 2], [1, 1]),
    (None, 0),
]


@pytest.mark.parametrize("key", KEYS)
def test_index_values_gradients_and_format(rng, key):
    x = rng.standard_normal((3, 3))
    X = dlarray(x, "CB")
    y = X[key]
    assert_array_equal(extractdata(y), x[key])
    keeps = y.ndim == 2 and not isinstance(key[0], int) and key[0] is not None and \
        sum(not isinstance(k, slice) and k is not Ellipsis for k in key) <= 1
    assert dl.dims(y) == ("CB" if keeps else "")
    assert gradcheck(lambda v: v[key], X, elementwise=True)


def test_index_with_a_logical_dlarray_mask(rng):
    x = rng.standard_normal(6)
    X = dlarray(x)
    g = dlfeval(lambda v: dlgradient(dl.sum(v[v > 0] ** 2, "all"), v), X)
    assert_allclose(extractdata(g), np.where(x > 0, 2 * x, 0))


# -- relabelling --------------------------------------------------------------

def test_stripdims_and_relabel_pass_gradients(rng):
    x = rng.standard_normal((2, 3))
    w = rng.standard_normal((3, 2))

    def fun(v):
        y = dlarray(dl.stripdims(v), "TC")  # (2, 3) read as T x C -> canonical C x T = (3, 2)
        assert dl.dims(y) == "CT"
        return dlgradient(dl.sum(y * w, "all"), v)

    assert_allclose(extractdata(dlfeval(fun, dlarray(x, "CB"))), w.T)
    assert gradcheck(lambda v: dlarray(v, "TC") * w, dlarray(x))


# -- widening one axis (a pruned network's full-size activations) -------------------------------------

def test_widened_places_x_in_zeros_and_hands_x_back(rng):
    x = rng.standard_normal((2, 3, 4))
    full, again = widened(dlarray(x, "SCB"), 1, np.array([0, 3, 4]), 6)
    want = np.zeros((2, 6, 4))
    want[:, [0, 3, 4]] = x
    assert_array_equal(extractdata(full), want)
    assert_array_equal(extractdata(again), x)
    assert dl.dims(full) == dl.dims(again) == "SCB"


@pytest.mark.parametrize("full_read_directly", [False, True], ids=["only-through-x_again", "full-also-read"])
def test_widened_gradients_match_finite_differences(rng, full_read_directly):
    """The loss reads x_again (and, in the second case, full itself too): the gradient with respect to x,
    and the one with respect to full, are those of the plain expressions."""
    x = rng.standard_normal((3, 3, 2))
    kept = np.array([1, 2, 5])
    w_full, w_again = rng.standard_normal((3, 6, 2)), rng.standard_normal((3, 3, 2))

    def loss(v):
        full, again = widened(v, 1, kept, 6)
        value = dl.sum(again ** 2 * w_again, "all")
        return (value + dl.sum(full * w_full, "all") if full_read_directly else value), full

    assert gradcheck(lambda v: loss(v)[0], dlarray(x))

    def both(v):
        value, full = loss(v)
        return dlgradient(value, v, full)
    g_x, g_full = dlfeval(both, dlarray(x))
    want_full = np.zeros((3, 6, 2))
    want_full[:, kept] = 2 * x * w_again
    if full_read_directly:
        want_full += w_full
    assert_allclose(extractdata(g_full), want_full, rtol=1e-12)
    assert_allclose(extractdata(g_x), want_full[:, kept], rtol=1e-12)
    assert gradgradcheck(lambda v: dl.sum(widened(v, 1, kept, 6)[1] ** 3, "all"), dlarray(x))
