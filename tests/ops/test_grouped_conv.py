"""Grouped dlconv (5-D weights) against a naive loop oracle, its gradients against finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import dlarray, dlconv, dlfeval, dlgradient, extractdata
from minidl.ops.elementwise import tanh
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.window_oracles import explicit_padding, windows
from helpers.device import assert_allclose, assert_array_equal, host


def grouped_oracle(x, w, b, stride, dilation, padding):
    """Plain loops: output channel g*Fpg + f sums group g's input channels against filter f of group g."""
    fh, fw, per_group, filters, groups = w.shape
    patches = list(windows(x, (fh, fw), stride, dilation, padding))
    out = np.zeros((patches[-1][0] + 1, patches[-1][1] + 1, filters * groups, x.shape[3]))
    for ho, wo, patch in patches:
        for g in range(groups):
            for f in range(filters):
                for n in range(x.shape[3]):
                    value = np.sum(patch[:, :, g * per_group:(g + 1) * per_group, n] * w[:, :, :, f, g])
                    out[ho, wo, g * filters + f, n] = value + b[0, 0, f, g]
    return out


@st.composite
def grouped_cases(draw):
    size = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), 1)
    padding = draw(st.sampled_from([0, 1, [1, 0], [0, 1, 2, 0], "same"]))
    groups, per_group, filters = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hw = tuple(dilation[k] * (size[k] - 1) + 1 + draw(st.integers(0, 3)) for k in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(hw + (groups * per_group, draw(st.integers(1, 2))))
    w = rng.standard_normal(size + (per_group, filters, groups))
    b = rng.standard_normal((1, 1, filters, groups))
    options = dict(Stride=list(stride), DilationFactor=list(dilation), Padding=padding)
    return x, w, b, options, explicit_padding(padding, hw, size, stride, dilation)


@settings(max_examples=30, deadline=None)
@given(grouped_cases())
def test_forward_matches_loop_oracle(case):
    x, w, b, options, padding = case
    y = dlconv(dlarray(x, "SSCB"), w, b, **options)
    assert y.fmt == "SSCB"
    expected = grouped_oracle(x, w, b, options["Stride"], options["DilationFactor"], padding)
    assert_allclose(extractdata(y), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=12, deadline=None)
@given(grouped_cases())
def test_gradients_match_finite_differences(case):
    x, w, b, options, _ = case
    gradcheck(lambda x, w, b: dlconv(x, w, b, **options), dlarray(x, "SSCB"), w, b)


def test_every_partial_derivative_and_the_second_order_on_a_depthwise_case():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 5, 3, 2)), rng.standard_normal((2, 2, 1, 2, 3)), rng.standard_normal((1, 1, 2, 3))
    options = dict(Stride=[2, 1], DilationFactor=[1, 2], Padding=[1, 0, 0, 2])
    gradcheck(lambda x, w, b: dlconv(x, w, b, **options), dlarray(x, "SSCB"), w, b, elementwise=True)
    gradgradcheck(lambda x, w, b: tanh(dlconv(x, w, b, **options)), dlarray(x, "SSCB"), w, b)


def test_one_group_is_ordinary_convolution_and_depthwise_is_per_channel_convolution():
    rng = np.random.default_rng(1)
    x = dlarray(rng.standard_normal((5, 5, 3, 2)), "SSCB")
    w, b = rng.standard_normal((3, 3, 3, 4, 1)), rng.standard_normal((1, 1, 4, 1))
    assert_array_equal(extractdata(dlconv(x, w, b, Padding=1)),
                       extractdata(dlconv(x, w[..., 0], b[..., 0], Padding=1)))
    wd = rng.standard_normal((3, 3, 1, 1, 3))
    depthwise = extractdata(dlconv(x, wd, 0, Padding="same"))
    for c in range(3):
        alone = dlconv(dlarray(extractdata(x)[:, :, c:c + 1], "SSCB"), wd[:, :, :, :, c], 0, Padding="same")
        assert_array_equal(depthwise[:, :, c:c + 1], extractdata(alone))


def test_bias_forms_follow_matlab_column_major_order():
    rng = np.random.default_rng(2)
    x = dlarray(rng.standard_normal((4, 4, 4, 1)), "SSCB")
    w, b = rng.standard_normal((2, 2, 2, 3, 2)), rng.standard_normal((1, 1, 3, 2))
    expected = extractdata(dlconv(x, w, b))
    flat = b[0, 0].T.ravel()  # MATLAB's b(:): filter f of group g at g*3 + f
    for bias in (flat, flat.reshape(6, 1), dlarray(flat), dlarray(b)):
        assert_allclose(extractdata(dlconv(x, w, bias)), expected, rtol=1e-12)
    assert_allclose(host(extractdata(dlconv(x, w, 0))) + flat.reshape(1, 1, 6, 1), expected, rtol=1e-12)
    assert_allclose(extractdata(dlconv(x, w, 1.5)), extractdata(dlconv(x, w, 0)) + 1.5, rtol=1e-12)


def test_unformatted_data_with_data_format_and_ssc_input():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((5, 6, 4, 2)), rng.standard_normal((3, 2, 2, 2, 2)), rng.standard_normal(4)
    expected = extractdata(dlconv(dlarray(x, "SSCB"), w, b, Stride=[2, 1]))
    moved = dlconv(dlarray(x.transpose(2, 3, 0, 1)), w, b, Stride=[2, 1], DataFormat="CBSS")
    assert moved.fmt == ""
    assert_array_equal(extractdata(moved), expected.transpose(2, 3, 0, 1))
    single = dlconv(dlarray(x[..., 0], "SSC"), w, b, Stride=[2, 1])
    assert single.fmt == "SSC"
    assert_array_equal(extractdata(single), expected[..., 0])


def test_float32_stays_float32_and_inputs_are_not_mutated():
    rng = np.random.default_rng(4)
    x_data = rng.standard_normal((5, 5, 4, 2)).astype(np.float32)
    w, b = rng.standard_normal((3, 3, 1, 2, 4)).astype(np.float32), rng.standard_normal((1, 1, 2, 4))
    copies = [a.copy() for a in (x_data, w, b)]

    def loss(x, w):
        y = dlconv(x, w, b, Padding="same")
        return y, dlgradient(dlsum(y * y, "all"), x, w)

    y, (gx, gw) = dlfeval(loss, dlarray(x_data, "SSCB"), dlarray(w))
    assert y.dtype == gx.dtype == gw.dtype == np.float32 and y.shape == (5, 5, 8, 2)
    for original, copy in zip((x_data, w, b), copies):
        assert_array_equal(original, copy)


@pytest.mark.parametrize("weights, bias, error, match", [
    (np.ones((2, 2, 2, 3, 3)), 0, ValueError, "3 groups of 2 channels"),
    (np.ones((2, 2, 2, 3, 2)), np.ones(5), ValueError, "NumFiltersPerGroup\\*NumGroups = 6"),
])
def test_errors_name_the_argument(weights, bias, error, match):
    x = dlarray(np.ones((4, 4, 4, 1)), "SSCB")
    with pytest.raises(error, match=match):
        dlconv(x, weights, bias)


def test_unformatted_data_without_data_format_is_refused():
    with pytest.raises(TypeError, match="give DataFormat"):
        dlconv(np.ones((4, 4, 2, 1)), np.ones((2, 2, 1, 1, 2)), 0)
    with pytest.raises(ValueError, match="'C' dimension"):
        dlconv(dlarray(np.ones((4, 4, 2)), "SSB"), np.ones((2, 2, 1, 1, 2)), 0)


def test_forward_and_backward_stay_on_the_device():
    strict = pytest.importorskip("minidl.testing_strict")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 4, 4, 2)).astype(np.float32)
    w, b = rng.standard_normal((3, 3, 2, 3, 2)).astype(np.float32), rng.standard_normal(6).astype(np.float32)

    def loss(x, w, b):
        y = dlconv(x, w, b, Stride=[2, 1], Padding="same")
        return dlsum(y * y, "all"), dlgradient(dlsum(y * y, "all"), x, w, b)

    host = dlfeval(loss, dlarray(x, "SSCB"), dlarray(w), dlarray(b))
    with strict.host_kernels():
        device = dlfeval(loss, dlarray(strict.asarray(x), "SSCB"), dlarray(strict.asarray(w)),
                         dlarray(strict.asarray(b)))
    for d, h in zip([device[0], *device[1]], [host[0], *host[1]]):
        assert isinstance(d.data, strict.StrictArray)
        assert_allclose(d.data.get(), h.data, rtol=2e-5, atol=2e-5)
