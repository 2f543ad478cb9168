"""batchnorm, batchnorm_running_update and groupnorm against naive-loop NumPy oracles."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minidl import dlarray, dlfeval, dlgradient
from minidl.ops.norm import batchnorm, batchnorm_running_update, groupnorm
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal, host

FORMATS = ["CB", "SCB", "SSCB", "SSCBT"]


def _channel_slices(x, channel):
    """(c, view of channel c) pairs of an array whose channel axis is ``channel``."""
    return [(c, np.take(x, c, axis=channel)) for c in range(x.shape[channel])]


def oracle_batchnorm(x, channel, offset, scale, eps, mean=None, var=None):
    """Per-channel loop: statistics over every other dimension (or the given ones)."""
    y = np.empty_like(x)
    mus, variances = np.empty(x.shape[channel]), np.empty(x.shape[channel])
    for c, values in _channel_slices(x, channel):
        mu = values.mean() if mean is None else mean[c]
        v = ((values - values.mean()) ** 2).mean() if var is None else var[c]
        index = [slice(None)] * x.ndim
        index[channel] = c
        y[tuple(index)] = scale[c] * (values - mu) / np.sqrt(v + eps) + offset[c]
        mus[c], variances[c] = mu, v
    return y, mus, variances


def oracle_groupnorm(x, channel, batch, groups, offset, scale, eps):
    """Loop over observations and groups of consecutive channels."""
    y = np.empty_like(x)
    per_group = x.shape[channel] // groups
    observations = x.shape[batch] if batch is not None else 1
    for n in range(observations):
        for g in range(groups):
            index = [slice(None)] * x.ndim
            index[channel] = slice(g * per_group, (g + 1) * per_group)
            if batch is not None:
                index[batch] = slice(n, n + 1)
            values = x[tuple(index)]
            normalised = (values - values.mean()) / np.sqrt(values.var() + eps)
            for k in range(per_group):
                c = g * per_group + k
                y_index = list(index)
                y_index[channel] = slice(c, c + 1)
                y[tuple(y_index)] = scale[c] * np.take(normalised, [k], axis=channel) + offset[c]
    return y


@st.composite
def batches(draw, formats=FORMATS):
    fmt = draw(st.sampled_from(formats))
    shape = tuple(draw(st.integers(1, 3)) for _ in fmt)
    channel = fmt.index("C")
    if "B" in fmt:  # a single value per channel has zero variance: keep at least two
        shape = shape[:channel + 1] + (draw(st.integers(2, 4)),) + shape[channel + 2:]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    C = shape[channel]
    param_shape = draw(st.sampled_from([(C,), (1, 1, C), (C, 1)]))
    return rng, fmt, rng.standard_normal(shape) * 3 + 1, param_shape


@settings(max_examples=30, deadline=None)
@given(batches())
def test_batchnorm_training_matches_oracle(case):
    rng, fmt, x, pshape = case
    offset, scale = rng.standard_normal(pshape), rng.standard_normal(pshape)
    Y, mu, sigmaSq = batchnorm(dlarray(x, fmt), offset, scale, Epsilon=1e-3)
    y, mus, variances = oracle_batchnorm(x, fmt.index("C"), offset.ravel(), scale.ravel(), 1e-3)
    assert Y.fmt == fmt and Y.shape == x.shape
    assert_allclose(Y.data, y, rtol=1e-10, atol=1e-10)
    assert mu.shape == pshape and sigmaSq.shape == pshape and mu.fmt == ""
    assert_allclose(mu.data.ravel(), mus, rtol=1e-12, atol=1e-12)
    assert_allclose(sigmaSq.data.ravel(), variances, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(batches())
def test_batchnorm_inference_matches_oracle_and_training_form(case):
    rng, fmt, x, pshape = case
    offset, scale = rng.standard_normal(pshape), rng.standard_normal(pshape)
    mean, var = rng.standard_normal(pshape), rng.uniform(0.5, 2, pshape)
    X = dlarray(x, fmt)
    Y = batchnorm(X, offset, scale, mean, var)
    y, _, _ = oracle_batchnorm(x, fmt.index("C"), offset.ravel(), scale.ravel(), 1e-5, mean.ravel(), var.ravel())
    assert_allclose(Y.data, y, rtol=1e-10, atol=1e-10)
    # Inference with the batch's own statistics reproduces the training form exactly.
    Yt, mu, sigmaSq = batchnorm(X, offset, scale)
    assert_allclose(batchnorm(X, offset, scale, mu, sigmaSq).data, Yt.data, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(batches(formats=["CB", "SCB", "SSCB", "SSC", "SSCBT"]), st.data())
def test_groupnorm_matches_oracle(case, data):
    rng, fmt, x, pshape = case
    C = x.shape[fmt.index("C")]
    spelled = data.draw(st.sampled_from(["int", "all-channels", "channel-wise"]))
    groups = {"int": data.draw(st.sampled_from([g for g in range(1, C + 1) if C % g == 0])),
              "all-channels": 1, "channel-wise": C}[spelled]
    offset, scale = rng.standard_normal(pshape), rng.standard_normal(pshape)
    Y = groupnorm(dlarray(x, fmt), groups if spelled == "int" else spelled, offset, scale, Epsilon=1e-4)
    batch = fmt.index("B") if "B" in fmt else None
    y = oracle_groupnorm(x, fmt.index("C"), batch, groups, offset.ravel(), scale.ravel(), 1e-4)
    assert Y.fmt == fmt
    assert_allclose(Y.data, y, rtol=1e-9, atol=1e-9)


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 4, 3, 5)).astype(np.float32)
    X = dlarray(x, "SSCB")
    offset, scale = np.zeros(3), np.ones((1, 1, 3))  # float64 parameters: single wins, as in MATLAB
    Y, mu, sigmaSq = batchnorm(X, offset, scale)
    outputs = [Y, mu, sigmaSq, batchnorm(X, offset, scale, mu, sigmaSq), groupnorm(X, 3, offset, scale)]
    outputs += list(batchnorm_running_update(np.zeros(3, np.float32), np.ones(3, np.float32), mu, sigmaSq))
    assert all(out.dtype == np.float32 for out in outputs)
    y, _, _ = oracle_batchnorm(x.astype(np.float64), 2, offset, scale.ravel(), 1e-5)
    assert_allclose(Y.data, y, rtol=1e-4, atol=1e-4)


def _small(rng, shape=(2, 2, 2, 3)):
    return dlarray(rng.standard_normal(shape), "SSCB")


def test_batchnorm_gradients_training_form():
    rng = np.random.default_rng(2)
    X = _small(rng)
    offset, scale = rng.standard_normal(2), rng.standard_normal((1, 1, 2))
    gradcheck(lambda x, o, s: batchnorm(x, o, s)[0], X, offset, scale, elementwise=True)
    # The returned statistics are differentiable too.
    gradcheck(lambda x, o, s: batchnorm(x, o, s)[2] * batchnorm(x, o, s)[1], X, offset, scale, elementwise=True)


def test_batchnorm_gradients_inference_form():
    rng = np.random.default_rng(3)
    X = _small(rng)
    params = [rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal((1, 1, 2)),
              rng.uniform(0.5, 2, (1, 1, 2))]
    gradcheck(lambda x, o, s, m, v: batchnorm(x, o, s, m, v, Epsilon=1e-3), X, *params, elementwise=True)


def test_groupnorm_gradients():
    rng = np.random.default_rng(4)
    X = dlarray(rng.standard_normal((2, 2, 4, 2)), "SSCB")
    offset, scale = rng.standard_normal(4), rng.standard_normal((4, 1))
    gradcheck(lambda x, o, s: groupnorm(x, 2, o, s), X, offset, scale, elementwise=True)


def test_second_derivatives():
    rng = np.random.default_rng(5)
    X = _small(rng)
    offset, scale = rng.standard_normal(2), rng.standard_normal(2)
    gradgradcheck(lambda x, o, s: batchnorm(x, o, s)[0], X, offset, scale, rtol=1e-4, atol=1e-6)
    gradgradcheck(lambda x, o, s: groupnorm(x, "all-channels", o, s), X, offset, scale, rtol=1e-4, atol=1e-6)


def test_running_update_by_hand():
    old_mean = np.array([1.0, 2.0]).reshape(1, 1, 2)
    old_var = np.array([1.0, 1.0]).reshape(1, 1, 2)
    mu, sigmaSq = dlarray(np.array([3.0, 5.0])), dlarray(np.array([4.0, 0.0]))
    new_mean, new_var = batchnorm_running_update(old_mean, old_var, mu, sigmaSq, VarianceDecay=0.2)
    assert new_mean.shape == (1, 1, 2) and new_var.shape == (1, 1, 2)
    assert_allclose(new_mean.data.ravel(), [0.1 * 3 + 0.9 * 1, 0.1 * 5 + 0.9 * 2])  # 1.2, 2.3
    assert_allclose(new_var.data.ravel(), [0.2 * 4 + 0.8 * 1, 0.2 * 0 + 0.8 * 1])  # 1.6, 0.8


def test_running_update_uses_biased_batch_variance():
    # Default decays and a whole training step: the running variance moves towards
    # the biased (divide by M) variance that batchnorm normalised with.
    x = np.array([1.0, 3.0, 5.0, 7.0]).reshape(1, 4)
    _, mu, sigmaSq = batchnorm(dlarray(x, "CB"), np.zeros(1), np.ones(1))
    new_mean, new_var = batchnorm_running_update(np.zeros(1), np.ones(1), mu, sigmaSq)
    assert_allclose(sigmaSq.data, [5.0])  # mean 4, squared deviations 9+1+1+9 over 4
    assert_allclose(new_mean.data, [0.4])
    assert_allclose(new_var.data, [0.1 * 5 + 0.9])


def test_inputs_not_mutated():
    rng = np.random.default_rng(6)
    x, offset, scale = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal(4), rng.standard_normal(4)
    mean, var = rng.standard_normal(4), rng.uniform(1, 2, 4)
    copies = [a.copy() for a in (x, offset, scale, mean, var)]

    def loss(X, o, s):
        Y, mu, sigmaSq = batchnorm(X, o, s)
        total = dlsum(Y * Y, "all") + dlsum(groupnorm(X, 2, o, s) ** 3, "all")
        total = total + dlsum(batchnorm(X, o, s, mean, var) ** 3, "all")
        return dlgradient(total, X, o, s)

    dlfeval(loss, dlarray(x, "SSCB"), dlarray(offset), dlarray(scale))
    batchnorm_running_update(mean, var, offset, scale)
    for before, after in zip(copies, (x, offset, scale, mean, var)):
        assert_array_equal(before, after)


GOOD = dict(X=dlarray(np.ones((2, 2, 3, 2)), "SSCB"), offset=np.zeros(3), scaleFactor=np.ones(3))


@pytest.mark.parametrize("fn", [lambda X, o, s, **kw: batchnorm(X, o, s, **kw),
                                lambda X, o, s, **kw: groupnorm(X, 1, o, s, **kw)], ids=["batchnorm", "groupnorm"])
def test_bad_inputs(fn):
    X, o, s = GOOD["X"], GOOD["offset"], GOOD["scaleFactor"]
    with pytest.raises(ValueError, match=r"X.*'SSB'"):
        fn(dlarray(np.ones((2, 2, 2)), "SSB"), o, s)
    with pytest.raises(ValueError, match=r"X.*''"):
        fn(dlarray(np.ones((3, 2))), o, s)
    with pytest.raises(ValueError, match="offset.*3 elements"):
        fn(X, np.zeros(4), s)
    with pytest.raises(ValueError, match="scaleFactor.*3 elements"):
        fn(X, o, np.ones((3, 3)))
    with pytest.raises(TypeError, match="offset"):
        fn(X, np.zeros(3, dtype=np.int64), s)
    with pytest.raises(TypeError, match="X"):
        fn(dlarray(np.ones((2, 2, 3, 2), dtype=bool), "SSCB"), o, s)
    with pytest.raises(TypeError, match="X"):
        fn(np.ones((2, 2, 3, 2)), o, s)
    with pytest.raises(ValueError, match="empty"):
        fn(dlarray(np.ones((2, 2, 3, 0)), "SSCB"), o, s)
    with pytest.raises(ValueError, match="Epsilon"):
        fn(X, o, s, Epsilon=1e-6)
    with pytest.raises(ValueError, match="Epsilon"):
        fn(X, o, s, epsilon=1e-6)  # names are case-insensitive, as in MATLAB
    with pytest.raises(TypeError):
        fn(X, o, s, Epsilom=1e-3)
    fn(X, o, s, Epsilon=1e-5)  # MATLAB's minimum itself is allowed


def test_bad_inputs_specific():
    X, o, s = GOOD["X"], GOOD["offset"], GOOD["scaleFactor"]
    with pytest.raises(TypeError, match="trainedVariance"):
        batchnorm(X, o, s, np.zeros(3))
    with pytest.raises(ValueError, match="trainedVariance.*3 elements"):
        batchnorm(X, o, s, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="numGroups"):
        groupnorm(X, 2, o, s)
    with pytest.raises(ValueError, match="numGroups"):
        groupnorm(X, "per-channel", o, s)
    with pytest.raises(ValueError, match="groupnorm: numGroups must be a positive integer; got 1.5"):
        groupnorm(X, 1.5, o, s)
    with pytest.raises(TypeError, match="groupnorm: numGroups must be a positive integer; got None"):
        groupnorm(X, None, o, s)
    with pytest.raises(ValueError, match="MeanDecay"):
        batchnorm_running_update(o, s, o, s, MeanDecay=1.5)
    with pytest.raises(ValueError, match="sigmaSq.*trainedVariance"):
        batchnorm_running_update(o, s, o, np.ones(2))
    with pytest.raises(TypeError):
        batchnorm_running_update(o, s, o, s, Decay=0.5)


def _composed_batchnorm(X, offset, scale, eps):
    """The training form written out with differentiable primitive ops (no fused kernel)."""
    from minidl.ops.elementwise import sqrt
    from minidl.ops.reduce import sum_over
    axes = tuple(i for i, label in enumerate(X.fmt) if label != "C")
    count = int(np.prod([X.shape[a] for a in axes]))
    mu = sum_over(X, axes) / count
    xc = X - mu
    var = sum_over(xc * xc, axes) / count
    return xc / sqrt(var + eps) * scale + offset, mu, var


@pytest.mark.parametrize("layout", ["C-contiguous", "channel-major"])
def test_fused_training_matches_composed_float32(layout):
    """Values and first-order gradients (through Y, mu and sigmaSq) agree to float32 rounding."""
    rng = np.random.default_rng(7)
    buffer = (rng.standard_normal((5, 16, 6, 6)) * 3 + 2).astype(np.float32)  # (C, N, H, W)
    x = buffer.transpose(2, 3, 0, 1)  # (H, W, C, N) view, as conv outputs are
    if layout == "C-contiguous":
        x = np.ascontiguousarray(x)
    weights = [rng.standard_normal(s).astype(np.float32) for s in (x.shape, (1, 1, 5, 1), (1, 1, 5, 1))]
    offset, scale = (rng.standard_normal((1, 1, 5, 1)).astype(np.float32) for _ in range(2))

    def loss(norm):
        def f(X, o, s):
            Y, mu, var = norm(X, o, s)
            value = dlsum(dlsum(dlsum(dlsum(Y * Y * dlarray(weights[0], "SSCB")))))
            value = value + dlsum(dlsum(dlsum(dlsum(mu * weights[1] + var * weights[2]))))
            return (Y, mu, var), dlgradient(value, X, o, s)
        return dlfeval(f, dlarray(x, "SSCB"), dlarray(offset), dlarray(scale))

    fused = loss(lambda X, o, s: batchnorm(X, o, s))
    composed = loss(lambda X, o, s: _composed_batchnorm(X, o, s, 1e-5))
    for got, want in zip(fused[0] + fused[1], composed[0] + composed[1]):
        assert got.dtype == np.float32 and got.shape == want.shape
        assert_allclose(got.data.reshape(want.shape), want.data,
                        rtol=1e-4, atol=1e-5 * float(np.max(np.abs(host(want.data)))))


def test_higher_derivative_path_gives_same_first_gradients():
    """With EnableHigherDerivatives the gradients come from the composed closed form: same values."""
    rng = np.random.default_rng(8)
    X = dlarray(rng.standard_normal((3, 2, 4, 5)), "SSCB")
    offset, scale = dlarray(rng.standard_normal(4)), dlarray(rng.standard_normal(4))
    w = dlarray(rng.standard_normal(X.shape), "SSCB")

    def f(X, o, s, higher):
        Y = batchnorm(X, o, s)[0]
        return dlgradient(dlsum(dlsum(dlsum(dlsum(Y * Y * w)))), X, o, s, EnableHigherDerivatives=higher)

    for fused, composed in zip(dlfeval(f, X, offset, scale, False), dlfeval(f, X, offset, scale, True)):
        assert_allclose(fused.data, composed.data, rtol=1e-10, atol=1e-12)


def test_training_form_mixed_precision_types():
    """Statistics keep X's type; Y is single when any operand is single (MATLAB's rule)."""
    x = np.random.default_rng(9).standard_normal((3, 3, 2, 4))
    for x_type, p_type, y_type in [(np.float64, np.float32, np.float32), (np.float32, np.float64, np.float32),
                                   (np.float64, np.float64, np.float64)]:
        Y, mu, sigmaSq = batchnorm(dlarray(x.astype(x_type), "SSCB"), dlarray(np.zeros(2, p_type)),
                                   dlarray(np.ones(2, p_type)))
        assert (Y.dtype, mu.dtype, sigmaSq.dtype) == (y_type, x_type, x_type)
