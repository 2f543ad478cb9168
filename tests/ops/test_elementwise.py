"""Elementwise operators and functions: values, broadcasting, format rules, dtypes, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as dl
from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.ops.elementwise import maximum, minimum
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal

SMALL = settings(max_examples=20)


def arrays(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))


def away_from_zero(shape, low=0.5, high=2.0):
    magnitude = st.floats(low, high)
    return hnp.arrays(np.float64, shape, elements=st.one_of(magnitude, magnitude.map(lambda v: -v)))


def grid(shape, offset):
    """Values k/7 + offset: two grids with different offsets never tie."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-14, 14).map(lambda k: k / 7 + offset))


BINARY = {
    "plus": (lambda a, b: a + b, np.add, arrays, arrays),
    "minus": (lambda a, b: a - b, np.subtract, arrays, arrays),
    "times": (lambda a, b: a * b, np.multiply, arrays, arrays),
    "rdivide": (lambda a, b: a / b, np.divide, arrays, away_from_zero),
    "power": (lambda a, b: a ** b, np.power, lambda s: arrays(s, 0.5, 2.0), arrays),
    "max": (dl.max, np.maximum, lambda s: grid(s, 0.0), lambda s: grid(s, 1 / 14)),
    "min": (dl.min, np.minimum, lambda s: grid(s, 0.0), lambda s: grid(s, 1 / 14)),
}

UNARY = {
    "exp": (dl.exp, np.exp, arrays),
    "log": (dl.log, np.log, lambda s: arrays(s, 0.2, 3.0)),
    "sqrt": (dl.sqrt, np.sqrt, lambda s: arrays(s, 0.2, 3.0)),
    "abs": (dl.abs, np.abs, away_from_zero),
    "tanh": (dl.tanh, np.tanh, arrays),
    "uminus": (lambda x: -x, np.negative, arrays),
}


# -- unformatted operands: NumPy broadcasting -------------------------------

@pytest.mark.parametrize("name", BINARY)
@SMALL
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_binary_op_broadcasts_like_numpy(name, data, shapes):
    op, ref, left, right = BINARY[name]
    a = data.draw(left(shapes.input_shapes[0]))
    b = data.draw(right(shapes.input_shapes[1]))
    a0, b0 = a.copy(), b.copy()
    y = op(dlarray(a), dlarray(b))
    assert y.shape == shapes.result_shape and dl.dims(y) == "" and y.dtype == np.float64
    assert_allclose(extractdata(y), ref(a, b), rtol=1e-12)
    assert gradcheck(op, dlarray(a), dlarray(b))
    assert_array_equal(a, a0)
    assert_array_equal(b, b0)


@pytest.mark.parametrize("name", ["plus", "minus", "times", "rdivide", "power"])
@SMALL
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
def test_binary_op_second_derivatives(name, data, shapes):
    op, _, left, right = BINARY[name]
    a = data.draw(left(shapes.input_shapes[0]))
    b = data.draw(right(shapes.input_shapes[1]))
    assert gradgradcheck(op, dlarray(a), dlarray(b))


@pytest.mark.parametrize("name", UNARY)
@SMALL
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_unary_function_values_and_derivatives(name, data, shape):
    op, ref, values = UNARY[name]
    x = data.draw(values(shape))
    y = op(dlarray(x, "SCB"[:x.ndim]) if x.ndim else dlarray(x))
    assert_allclose(extractdata(y), ref(x), rtol=1e-12)
    assert dl.dims(y) == "SCB"[:x.ndim]
    assert gradcheck(op, dlarray(x))
    assert gradgradcheck(op, dlarray(x))


@pytest.mark.parametrize("op", [lambda s, x: s + x, lambda s, x: s - x, lambda s, x: s * x,
                                lambda s, x: s / x, lambda s, x: s ** x])
def test_reflected_operators_with_numbers_and_numpy_arrays(op, rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    for left in (1.5, rng.uniform(0.5, 2.0, 3)):
        y = op(left, dlarray(x))
        assert isinstance(y, dlarray)
        assert_allclose(extractdata(y), op(left, x))
        assert gradcheck(lambda v: op(left, v), dlarray(x))


def test_unary_plus_and_minus(rng):
    x = dlarray(rng.standard_normal(3), "C")
    assert +x is x
    assert_array_equal(extractdata(-x), -extractdata(x))
    assert dl.dims(-x) == "C"


# -- formats ----------------------------------------------------------------

UNIONS = ["C", "SC", "CB", "SSCB", "SCBT", "SSCBU", "CBTUU", "SS"]


def _keep_repeats_in_order(order, fmt):
    """A shuffled dimension order in which repeated labels (S, U) keep their relative order."""
    order = list(order)
    for label in set(fmt):
        slots = [p for p, i in enumerate(order) if fmt[i] == label]
        for p, i in zip(slots, sorted(order[p] for p in slots)):
            order[p] = i
    return order


@st.composite
def formatted_pair(draw):
    """Two formatted operands whose labels are subsets of one format; sizes full or 1."""
    union = draw(st.sampled_from(UNIONS))
    groups = sorted(set(union), key="SCBTU".index)
    full = {g: draw(st.lists(st.integers(1, 3), min_size=union.count(g), max_size=union.count(g)))
            for g in groups}
    operands = []
    for _ in range(2):
        chosen = draw(st.lists(st.sampled_from(groups), min_size=1, unique=True))
        fmt = "".join(g * union.count(g) for g in groups if g in chosen)
        shape = [n if draw(st.booleans()) else 1 for g in groups if g in chosen for n in full[g]]
        data = draw(arrays(tuple(shape)))
        order = _keep_repeats_in_order(draw(st.permutations(range(len(fmt)))), fmt)
        operands.append((data, fmt, data.transpose(order), "".join(fmt[i] for i in order)))
    result = "".join(g * union.count(g) for g in groups if any(g in op[1] for op in operands))
    return operands, result


def _embed(data, fmt, result):
    """data (canonical fmt) reshaped with singletons for the labels of result it lacks."""
    shape, k = [], 0
    for label in result:
        if k < len(fmt) and fmt[k] == label:
            shape.append(data.shape[k])
            k += 1
        else:
            shape.append(1)
    return data.reshape(shape)


DOMAIN = {  # maps values in [-2, 2] into each operator's smooth domain
    "rdivide": (lambda a: a, lambda b: np.where(b >= 0, b + 0.5, b - 0.5)),
    "power": (lambda a: np.abs(a) + 0.5, lambda b: b),
    "max": (lambda a: np.round(a * 7) / 7, lambda b: np.round(b * 7) / 7 + 1 / 14),
    "min": (lambda a: np.round(a * 7) / 7, lambda b: np.round(b * 7) / 7 + 1 / 14),
}


@pytest.mark.parametrize("name", BINARY)
@SMALL
@given(formatted_pair())
def test_formatted_operands_line_up_by_label(name, pair):
    op, ref = BINARY[name][:2]
    to_a, to_b = DOMAIN.get(name, (lambda a: a, lambda b: b))
    ((a, fa, a_given, fa_given), (b, fb, b_given, fb_given)), result = pair
    a, a_given, b, b_given = to_a(a), to_a(a_given), to_b(b), to_b(b_given)
    A, B = dlarray(a_given, fa_given), dlarray(b_given, fb_given)
    assert dl.dims(A) == fa and dl.dims(B) == fb
    assert_array_equal(extractdata(A), a)
    y = op(A, B)
    assert dl.dims(y) == result
    assert_allclose(extractdata(y), ref(_embed(a, fa, result), _embed(b, fb, result)), rtol=1e-12)
    assert gradcheck(op, A, B)


def test_formatted_and_unformatted_align_from_the_first_dimension(rng):
    X = rng.standard_normal((3, 4, 2))
    u = rng.standard_normal(3)
    y = dlarray(X, "SCB") + dlarray(u)
    assert dl.dims(y) == "SCB"
    assert_allclose(extractdata(y), X + u[:, None, None])
    m = rng.standard_normal((3, 4))
    y = dlarray(m) * dlarray(X, "SCB")
    assert dl.dims(y) == "SCB"
    assert_allclose(extractdata(y), X * m[:, :, None])
    assert gradcheck(lambda p, q: p * q, dlarray(X, "SCB"), dlarray(m))
    # NumPy would align u of size 4 with the last dimension; MATLAB-style alignment does not.
    with pytest.raises(ValueError, match="incompatible sizes"):
        dlarray(X, "SCB") + dlarray(rng.standard_normal(4))


def test_two_unformatted_follow_numpy(rng):
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert_allclose(extractdata(dlarray(m) + dlarray(v)), m + v)


@pytest.mark.parametrize("fa, fb", [("SSCB", "SCB"), ("SSC", "SC"), ("UU", "U")])
def test_incompatible_formats_raise(fa, fb):
    A = dlarray(np.ones((2,) * len(fa)), fa)
    B = dlarray(np.ones((2,) * len(fb)), fb)
    with pytest.raises(ValueError, match="Incompatible dlarray formats"):
        A + B


def test_incompatible_sizes_raise():
    with pytest.raises(ValueError, match="incompatible sizes"):
        dlarray(np.ones((2, 3)), "SC") + dlarray(np.ones((3, 2)), "SC")
    with pytest.raises(ValueError, match="more than 2 dimensions"):
        dlarray(np.ones((2, 3)), "SC") + dlarray(np.ones((2, 3, 2)))


# -- dtypes -----------------------------------------------------------------

@pytest.mark.parametrize("other", [2.5, 3, np.float64(2.0), np.ones(3), np.ones(3, np.float32), True,
                                   dlarray(np.ones(3)), dlarray(np.ones(3) > 0)])
def test_single_wins(other):
    x = dlarray(np.ones(3, np.float32))
    for y in (x + other, other * x, x / other, other - x, x ** other, dl.max(x, other)):
        assert y.dtype == np.float32


def test_float32_stays_float32_through_functions():
    x = dlarray(np.full((2, 3), 0.5, np.float32), "CB")
    for f in (dl.exp, dl.log, dl.sqrt, dl.abs, dl.tanh, dl.sigmoid, dl.relu, dl.softmax, dl.sum, dl.mean):
        assert f(x).dtype == np.float32


def test_double_with_numbers_stays_double():
    x = dlarray(np.ones(2))
    assert (x * 2).dtype == np.float64 and (x + np.ones(2)).dtype == np.float64


def test_logical_arithmetic_gives_double():
    t = dlarray(np.array([True, False]))
    for y in (t + t, t * 2, -t, dl.exp(t), dl.sum(t, "all")):
        assert y.dtype == np.float64
    assert_array_equal(extractdata(t + t), [2.0, 0.0])


def test_integer_operands_raise_type_error_naming_the_argument():
    x = dlarray(np.ones(3))
    with pytest.raises(TypeError, match="B must be"):
        x + np.arange(3)
    with pytest.raises(TypeError, match="A must be"):
        np.arange(3) - x


# -- comparisons ------------------------------------------------------------

def test_comparisons_are_logical_and_untraced(rng):
    a = rng.standard_normal((2, 3))
    x = dlarray(a, "CB")
    for op, ref in ((x.__lt__, np.less), (x.__le__, np.less_equal), (x.__gt__, np.greater),
                    (x.__ge__, np.greater_equal), (x.__eq__, np.equal), (x.__ne__, np.not_equal)):
        y = op(0.1)
        assert y.dtype == np.bool_ and dl.dims(y) == "CB"
        assert_array_equal(extractdata(y), ref(a, 0.1))

    def fun(x):
        mask = x > 0
        assert mask._node is None
        return dlgradient(dl.sum(x * mask, "all"), x)

    assert_array_equal(extractdata(dlfeval(fun, x)), a > 0)


# -- max / min ----------------------------------------------------------------

def test_elementwise_max_min_ties_share_the_gradient():
    a, b = dlarray([1.0, 2.0, 3.0]), dlarray([1.0, 5.0, 0.0])

    def fun(a, b):
        return dlgradient(dl.sum(maximum(a, b) + 10 * minimum(a, b), "all"), a, b)

    ga, gb = dlfeval(fun, a, b)
    assert_array_equal(extractdata(ga), [5.5, 10.0, 1.0])
    assert_array_equal(extractdata(gb), [5.5, 1.0, 10.0])


def test_elementwise_max_min_ignore_nan():
    a, b = dlarray([np.nan, 1.0, np.nan]), dlarray([2.0, np.nan, np.nan])
    assert_array_equal(extractdata(dl.max(a, b)), [2.0, 1.0, np.nan])
    assert_array_equal(extractdata(dl.min(a, b)), [2.0, 1.0, np.nan])
    ga, gb = dlfeval(lambda a, b: dlgradient(dl.sum(dl.max(a, b), "all"), a, b), a, b)
    assert_array_equal(extractdata(ga)[:2], [0.0, 1.0])
    assert_array_equal(extractdata(gb)[:2], [1.0, 0.0])


def test_max_with_array_and_dim_is_an_error():
    with pytest.raises(ValueError, match="not both"):
        dl.max(dlarray([1.0]), dlarray([2.0]), 1)


# -- matrix product -----------------------------------------------------------

@SMALL
@given(data=st.data(), m=st.integers(1, 3), k=st.integers(1, 3), n=st.integers(1, 3),
       batch=st.sampled_from([(), (2,), (2, 1)]), vector=st.sampled_from(["", "a", "b", "ab"]))
def test_mtimes_matches_numpy(data, m, k, n, batch, vector):
    sa = (k,) if "a" in vector else batch + (m, k)
    sb = (k,) if "b" in vector else (k, n)
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    y = dlarray(a) @ dlarray(b)
    assert_allclose(extractdata(y), a @ b, rtol=1e-12, atol=1e-12)
    assert y.shape == (a @ b).shape
    assert gradcheck(lambda p, q: p @ q, dlarray(a), dlarray(b))
    assert gradgradcheck(lambda p, q: dl.mtimes(p, q), dlarray(a), dlarray(b))


def test_mtimes_with_numpy_operand_and_errors(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    assert_allclose(extractdata(a @ dlarray(b)), a @ b)
    assert (dlarray(a.astype(np.float32)) @ b).dtype == np.float32
    with pytest.raises(ValueError, match="inner dimensions"):
        dlarray(a) @ dlarray(a)
    with pytest.raises(ValueError, match="unformatted"):
        dlarray(a, "CB") @ dlarray(b)
    with pytest.raises(TypeError, match="dlarray"):
        dl.mtimes(a, b)


def test_power_gradients_at_zero_are_finite_and_right():
    # d/dx x**0 = 0 everywhere (also at 0); d/dy x**y at x = 0, y > 0 is 0; d/dx x**3 = 3x^2.
    x = dlarray(np.array([0.0, 4.0]))
    with np.errstate(all="raise"):
        g0 = dlfeval(lambda x: dlgradient(dl.sum(x ** 0, "all"), x), x)
        gy = dlfeval(lambda x, y: dlgradient(dl.sum(x ** y, "all"), y), x, dlarray(np.array([2.0, 0.5])))
    assert_array_equal(extractdata(g0), [0.0, 0.0])
    assert_allclose(extractdata(gy), [0.0, 2.0 * np.log(4.0)])
