"""crossentropy and mse against hand-computed values and naive-loop NumPy oracles."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minidl import dlarray, dlfeval, dlgradient, softmax
from minidl.ops.loss import crossentropy, mse
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal, host


def oracle_crossentropy(y, t, fmt, normalisation):
    total = 0.0
    for index in itertools.product(*(range(n) for n in y.shape)):
        total -= t[index] * np.log(y[index])
    N = y.shape[fmt.index("B")] if "B" in fmt else 1
    return total / {"batch": N, "all-elements": y.size, "none": 1}[normalisation]


def oracle_mse(y, t, fmt):
    total = sum((y[i] - t[i]) ** 2 for i in itertools.product(*(range(n) for n in y.shape)))
    return total / (2 * (y.shape[fmt.index("B")] if "B" in fmt else 1))


@st.composite
def cases(draw, formats=("CB", "SCB", "SSCB", "CBT", "C")):
    fmt = draw(st.sampled_from(formats))
    shape = tuple(draw(st.integers(1, 3)) for _ in fmt)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    logits = dlarray(rng.standard_normal(shape), fmt)
    y = host(softmax(logits).data if "C" in fmt else logits.data)
    t = rng.uniform(0, 1, shape)
    return fmt, y, t


def _as_target(t, fmt, kind):
    """T as a NumPy array, an unformatted dlarray, or a formatted dlarray."""
    return {"numpy": t, "unformatted": dlarray(t), "formatted": dlarray(t, fmt)}[kind]


@settings(max_examples=40, deadline=None)
@given(cases(), st.sampled_from(["batch", "all-elements", "none"]),
       st.sampled_from(["numpy", "unformatted", "formatted"]))
def test_crossentropy_matches_oracle(case, normalisation, kind):
    fmt, y, t = case
    loss = crossentropy(dlarray(y, fmt), _as_target(t, fmt, kind), NormalizationFactor=normalisation)
    assert loss.fmt == "" and loss.shape == ()
    assert_allclose(float(loss), oracle_crossentropy(y, t, fmt, normalisation), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(cases(formats=("CB", "SSCB", "CBT", "C", "")), st.sampled_from(["numpy", "unformatted", "formatted"]))
def test_mse_matches_oracle(case, kind):
    fmt, y, t = case
    loss = mse(dlarray(y, fmt), _as_target(t, fmt, kind))
    assert loss.fmt == "" and loss.shape == ()
    assert_allclose(float(loss), oracle_mse(y, t, fmt), rtol=1e-12)


def test_crossentropy_by_hand():
    # Two observations of three classes; targets are class 1 and class 2 (1-based).
    Y = dlarray(np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]]), "CB")
    T = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # -(ln 0.7 + ln 0.5) = 0.356675 + 0.693147 = 1.049822
    assert_allclose(float(crossentropy(Y, T)), 1.049822 / 2, rtol=1e-6)
    assert_allclose(float(crossentropy(Y, T, NormalizationFactor="all-elements")), 1.049822 / 6,
                    rtol=1e-6)
    assert_allclose(float(crossentropy(Y, T, NormalizationFactor="none")), 1.049822, rtol=1e-6)
    # The same targets given observation-first with their own labels line up by label.
    assert_allclose(float(crossentropy(Y, dlarray(T.T, "BC"))), 1.049822 / 2, rtol=1e-6)


def test_mse_by_hand():
    Y = dlarray(np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]), "CB")
    T = np.array([[0.0, 2.0], [1.0, 1.0], [0.0, 2.0]])
    # squared errors 1 + 0 + 4 + 9 + 0 + 4 = 18 over 2 * (N = 2 observations)
    assert float(mse(Y, T)) == 4.5
    assert float(mse(dlarray(Y.data), T)) == 9.0  # unformatted: one observation


def test_zero_probability_is_bounded():
    for dtype in (np.float64, np.float32):
        Y = dlarray(np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype), "CB")
        T = np.array([[1.0, 1.0], [0.0, 0.0]])
        loss, grad = dlfeval(lambda y: (lambda l: (l, dlgradient(l, y)))(crossentropy(y, T)), Y)
        assert_allclose(float(loss), -np.log(np.finfo(dtype).eps) / 2, rtol=1e-6)
        assert loss.dtype == dtype and np.all(np.isfinite(host(grad.data)))
        assert grad.data[0, 0] == 0  # the clamped entry gets no gradient


def test_gradients():
    rng = np.random.default_rng(0)
    Y = dlarray(rng.uniform(0.1, 1, (3, 2, 4)), "SCB")
    T = dlarray(rng.uniform(0, 1, (3, 2, 4)), "SCB")
    for normalisation in ("batch", "all-elements", "none"):
        gradcheck(lambda y, t: crossentropy(y, t, NormalizationFactor=normalisation), Y, T, elementwise=True)
    gradcheck(mse, Y, T, elementwise=True)
    gradcheck(lambda y, t: crossentropy(softmax(y), t), Y, T, elementwise=True)


def test_second_derivatives():
    rng = np.random.default_rng(1)
    Y = dlarray(rng.uniform(0.1, 1, (3, 4)), "CB")
    T = dlarray(rng.uniform(0, 1, (3, 4)), "CB")
    gradgradcheck(crossentropy, Y, T, rtol=1e-4, atol=1e-6)
    gradgradcheck(lambda y, t: crossentropy(softmax(y), t), Y, T, rtol=1e-4, atol=1e-6)
    gradgradcheck(mse, Y, T)


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    Y = dlarray(rng.uniform(0.1, 1, (3, 4)).astype(np.float32), "CB")
    T = rng.uniform(0, 1, (3, 4))  # float64 targets: single wins
    assert crossentropy(Y, T).dtype == np.float32 and mse(Y, T).dtype == np.float32


def test_inputs_not_mutated():
    rng = np.random.default_rng(3)
    y, t = rng.uniform(0, 1, (3, 4)), rng.uniform(0, 1, (3, 4))
    y[0, 0] = 0.0  # clamping must not write into the caller's array
    copies = y.copy(), t.copy()

    def both(Y):
        return dlgradient(crossentropy(Y, t) + mse(Y, t), Y)

    dlfeval(both, dlarray(y, "CB"))
    assert_array_equal(copies[0], y)
    assert_array_equal(copies[1], t)


@pytest.mark.parametrize("loss", [crossentropy, mse])
def test_bad_inputs(loss):
    Y = dlarray(np.full((3, 4), 0.25), "CB")
    T = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"T.*size"):
        loss(Y, np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"T.*format 'SCB'"):
        loss(Y, dlarray(np.ones((1, 3, 4)), "SCB"))
    with pytest.raises(TypeError, match="T"):
        loss(Y, np.ones((3, 4), dtype=np.int64))
    with pytest.raises(TypeError, match="Y"):
        loss(T, T)
    with pytest.raises(TypeError, match="Y"):
        loss(dlarray(np.ones((3, 4), dtype=bool), "CB"), T)
    with pytest.raises(ValueError, match="empty"):
        loss(dlarray(np.ones((3, 0)), "CB"), np.ones((3, 0)))
    with pytest.raises(TypeError):
        loss(Y, T, Normalization="batch")


def test_crossentropy_bad_inputs():
    T = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"Y.*'SB'"):
        crossentropy(dlarray(np.full((3, 4), 0.25), "SB"), T)
    with pytest.raises(ValueError, match=r"Y.*''"):
        crossentropy(dlarray(np.full((3, 4), 0.25)), T)
    with pytest.raises(ValueError, match="NormalizationFactor"):
        crossentropy(dlarray(T, "CB"), T, NormalizationFactor="mask-included")
