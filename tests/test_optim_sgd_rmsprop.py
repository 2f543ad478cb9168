"""sgdupdate and rmspropupdate against hand-written float64 formulas; defaults; bad input."""
import numpy as np
import pytest
from helpers.network_nets import small_net, snapshot

from minidl import dlarray, rmspropupdate, sgdupdate
from minidl.table import Table
from helpers.device import assert_allclose, assert_array_equal, host


def test_sgd_two_steps_by_hand_and_default_learn_rate():
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    g1, g2 = np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([[1.0, 0.0], [2.0, -1.0]])
    w1 = sgdupdate(dlarray(w0), dlarray(g1), 0.1)
    w2 = sgdupdate(w1, dlarray(g2), learnRate=0.1)
    assert_allclose(w1.data, w0 - 0.1 * g1, rtol=1e-15)
    assert_allclose(w2.data, w0 - 0.1 * g1 - 0.1 * g2, rtol=1e-15)
    assert_allclose(sgdupdate(dlarray(w0), dlarray(g1)).data, w0 - 0.01 * g1, rtol=1e-15)


def test_rmsprop_three_iterations_on_a_dict_by_hand():
    rng = np.random.default_rng(7)
    w = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal((4,))}
    grads = [{k: rng.standard_normal(v.shape) for k, v in w.items()} for _ in range(3)]
    lr, rho, eps = 0.02, 0.7, 1e-6
    params, avg = {k: dlarray(v) for k, v in w.items()}, None
    hand_w, hand_v = dict(w), {k: np.zeros_like(x) for k, x in w.items()}
    for g in grads:
        params, avg = rmspropupdate(params, {k: dlarray(x) for k, x in g.items()}, avg, lr, rho, eps)
        for k in w:
            hand_v[k] = rho * hand_v[k] + (1 - rho) * g[k] ** 2
            hand_w[k] = hand_w[k] - lr * g[k] / (np.sqrt(hand_v[k]) + eps)
    for k in w:
        assert_allclose(params[k].data, hand_w[k], rtol=1e-12)
        assert_allclose(avg[k].data, hand_v[k], rtol=1e-12)


def test_rmsprop_defaults_on_a_network_first_step():
    net = small_net()
    saved = snapshot(net.Learnables)
    rng = np.random.default_rng(3)
    grad = net.Learnables.with_column(
        "Value", [dlarray(rng.standard_normal(v.shape).astype(np.float32)) for v in net.Learnables.Value])
    new, avg = rmspropupdate(net, grad, [])
    for old, g, w, v in zip(saved, grad.Value, new.Learnables.Value, avg.Value):
        g64 = host(g.data).astype(np.float64)
        # defaults learnRate 0.001, sqGradDecay 0.9, epsilon 1e-8: v = 0.1 g^2, step 0.001 g / (sqrt(0.1)|g| + 1e-8)
        assert_allclose(v.data, 0.1 * g64 ** 2, rtol=1e-6)
        assert_allclose(w.data, old - 0.001 * g64 / (np.sqrt(0.1 * g64 ** 2) + 1e-8), rtol=1e-5, atol=1e-8)
        assert w.dtype == v.dtype == np.float32
    for value, old in zip(net.Learnables.Value, saved):
        assert_array_equal(value.data, old)  # the old network is untouched
    assert isinstance(avg, Table) and avg.Layer == grad.Layer


@pytest.mark.parametrize("call, kind, message", [
    (lambda w: sgdupdate(w, w, 0), ValueError, r"learnRate must be in \(0, inf\); got 0"),
    (lambda w: sgdupdate(w, dlarray(np.ones(4))), ValueError, r"grad entry 1 has size \(4,\); net has size \(3,\)"),
    (lambda w: rmspropupdate(w, w, None, 0.1, 1.0), ValueError, r"sqGradDecay must be in \[0, 1\); got 1.0"),
    (lambda w: rmspropupdate(w, w, None, 0.1, 0.9, 0), ValueError, r"epsilon must be in \(0, inf\); got 0"),
    (lambda w: rmspropupdate(w, w, dlarray(np.ones(2))), ValueError, "averageSqGrad entry 1 has size"),
    (lambda w: rmspropupdate("w", w), TypeError, "net must be a network"),
])
def test_bad_arguments_are_refused_by_name(call, kind, message):
    with pytest.raises(kind, match=message):
        call(dlarray(np.ones(3)))
