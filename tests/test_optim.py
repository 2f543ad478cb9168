"""sgdmupdate, adamupdate, dlupdate against hand formulas; networks, tables, dlarrays, containers; bad input."""
import numpy as np
import pytest
from helpers.network_nets import images, small_layers, small_net, snapshot

import minidl
from minidl import crossentropy, dlarray, dlfeval, dlgradient
from minidl.network import dlnetwork, forward
from minidl.optim import adamupdate, dlupdate, sgdmupdate
from minidl.table import Table
from helpers.device import assert_allclose, assert_array_equal, host


def grads_like(table, seed=0):
    rng = np.random.default_rng(seed)
    return table.with_column("Value", [dlarray(rng.standard_normal(v.shape).astype(v.dtype)) for v in table.Value])


def test_sgdm_on_dlarrays_two_steps():
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    g1, g2 = np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([[1.0, 0.0], [2.0, -1.0]])
    w1, vel = sgdmupdate(dlarray(w0), dlarray(g1), None, 0.1, 0.8)
    v1 = -0.1 * g1
    assert_allclose(vel.data, v1, rtol=1e-15)
    assert_allclose(w1.data, w0 + v1, rtol=1e-15)
    w2, vel = sgdmupdate(w1, dlarray(g2), vel, learnRate=0.1, momentum=0.8)
    v2 = 0.8 * v1 - 0.1 * g2
    assert_allclose(vel.data, v2, rtol=1e-15)
    assert_allclose(w2.data, w0 + v1 + v2, rtol=1e-15)
    w_default, _ = sgdmupdate(dlarray(w0), dlarray(g1), [])
    assert_allclose(w_default.data, w0 - 0.01 * g1, rtol=1e-15)  # learnRate 0.01, zero velocity


def test_sgdm_on_a_network_leaves_the_old_network_bit_identical():
    net = small_net()
    saved = snapshot(net.Learnables)
    grad = grads_like(net.Learnables)
    new, vel = sgdmupdate(net, grad, None, 0.05, 0.9)
    for old, g, w, v in zip(saved, grad.Value, new.Learnables.Value, vel.Value):
        expected_v = (-0.05 * host(g.data)).astype(np.float32)
        assert_array_equal(v.data, expected_v)
        assert_array_equal(w.data, old + expected_v)
        assert w.dtype == v.dtype == np.float32
    for value, old in zip(net.Learnables.Value, saved):
        assert_array_equal(value.data, old)  # bit-identical, not just close
    assert isinstance(vel, Table) and vel.Layer == grad.Layer and vel.Parameter == grad.Parameter
    assert new.State.Value[0] is net.State.Value[0]
    newer, vel2 = sgdmupdate(new, grad, vel, 0.05, 0.9)
    assert_allclose(vel2.Value[0].data, 0.9 * vel.Value[0].data - 0.05 * grad.Value[0].data, rtol=1e-6)


def test_adam_three_iterations_on_a_dict_by_hand():
    rng = np.random.default_rng(4)
    w = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal((4,))}
    grads = [{k: rng.standard_normal(v.shape) for k, v in w.items()} for _ in range(3)]
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    params = {k: dlarray(v) for k, v in w.items()}
    m = v = None
    hand_w = dict(w)
    hand_m = {k: np.zeros_like(x) for k, x in w.items()}
    hand_v = {k: np.zeros_like(x) for k, x in w.items()}
    for t, g in enumerate(grads, 1):
        params, m, v = adamupdate(params, {k: dlarray(x) for k, x in g.items()}, m, v, t, lr, b1, b2, eps)
        for k in w:
            hand_m[k] = b1 * hand_m[k] + (1 - b1) * g[k]
            hand_v[k] = b2 * hand_v[k] + (1 - b2) * g[k] ** 2
            hand_w[k] = hand_w[k] - lr * (hand_m[k] / (1 - b1 ** t)) / (np.sqrt(hand_v[k] / (1 - b2 ** t)) + eps)
    assert set(params) == set(m) == set(v) == {"a", "b"}
    for k in w:
        assert_allclose(params[k].data, hand_w[k], rtol=1e-12)
        assert_allclose(m[k].data, hand_m[k], rtol=1e-12)
        assert_allclose(v[k].data, hand_v[k], rtol=1e-12)


def test_adam_first_step_on_a_network_moves_each_weight_by_about_learn_rate():
    net = small_net()
    grad = grads_like(net.Learnables, seed=5)
    new, m, v = adamupdate(net, grad, [], [], 1)
    for old, g, w in zip(net.Learnables.Value, grad.Value, new.Learnables.Value):
        # t = 1: m_hat = g, v_hat = g^2, so the step is 0.001 * g / (|g| + 1e-8).
        g = host(g.data)
        assert_allclose(w.data, host(old.data) - 0.001 * g / (np.abs(g) + 1e-8), rtol=1e-6, atol=1e-9)
    assert m.Layer == grad.Layer and v.size == grad.size


def test_dlupdate_tables_networks_containers_and_several_outputs():
    net = small_net()
    grads = grads_like(net.Learnables)
    l2 = 1e-3
    regularised = dlupdate(lambda g, w: g + l2 * w, grads, net.Learnables)  # MATLAB's L2 recipe
    assert isinstance(regularised, Table) and regularised.Layer == grads.Layer
    for r, g, w in zip(regularised.Value, grads.Value, net.Learnables.Value):
        assert_allclose(r.data, g.data + l2 * w.data, rtol=1e-6)
    doubled = dlupdate(lambda w: 2 * w, net)
    assert type(doubled) is type(net)
    assert_array_equal(doubled.Learnables.Value[0].data, 2 * net.Learnables.Value[0].data)
    as64 = dlupdate(lambda w: dlarray(w.data.astype(np.float64)), net)
    assert all(v.dtype == np.float64 for v in as64.Learnables.Value)
    halves, squares = dlupdate(lambda x: (x / 2, x * x), [dlarray(np.array([2.0, 4.0])), dlarray(np.array(3.0))])
    assert_array_equal(halves[0].data, [1.0, 2.0])
    assert_array_equal(squares[1].data, 9.0)
    new_net, table = dlupdate(lambda w: (w, w.data * 0), net)  # numeric results become dlarrays
    assert type(new_net) is type(net) and isinstance(table, Table) and isinstance(table.Value[0], dlarray)


def test_dlgradient_of_learnables_returns_a_table_with_the_same_rows():
    net = small_net()
    X = images(n=6)
    T = np.eye(3, dtype=np.float32)[:, [0, 1, 2, 0, 1, 2]]

    def model_loss(net, X):
        Y, state = forward(net, X)
        loss = crossentropy(Y, T)
        return loss, dlgradient(loss, net.Learnables), Y

    loss, grads, Y = dlfeval(model_loss, net, X)
    assert isinstance(grads, Table) and grads.Layer == net.Learnables.Layer
    assert grads.Parameter == net.Learnables.Parameter
    assert [g.shape for g in grads.Value] == [w.shape for w in net.Learnables.Value]
    # softmax + cross-entropy: d loss / d fc output = (Y - T) / N, so the fc bias gradient is its row sum.
    assert_allclose(grads.Value[5].data.ravel(), ((host(Y.data) - T) / 6).sum(axis=1), rtol=1e-4, atol=1e-7)
    new, _ = sgdmupdate(net, grads, None)
    assert new.Learnables.size == (6, 3)


def test_bad_arguments_raise_before_anything_changes():
    net = small_net()
    grads = grads_like(net.Learnables)
    vel = grads_like(net.Learnables, seed=9)
    saved_vel = snapshot(vel)
    w = dlarray(np.ones(3))
    cases = [
        (lambda: sgdmupdate(net, grads[[1, 0, 2, 3, 4, 5]]), ValueError,
         r"grad must have the rows of net; row 1 is \('conv', 'Bias'\), expected \('conv', 'Weights'\)"),
        (lambda: sgdmupdate(net, grads[:5]), ValueError, "row 6 is no row, expected \\('fc', 'Bias'\\)"),
        (lambda: sgdmupdate(w, dlarray(np.ones(4))), ValueError, r"grad entry 1 has size \(4,\); net has size \(3,\)"),
        (lambda: sgdmupdate(net, grads, vel[:3]), ValueError, "vel must have the rows of the learnables"),
        (lambda: sgdmupdate(w, w, None, -0.1), ValueError, r"learnRate must be in \(0, inf\); got -0.1"),
        (lambda: sgdmupdate(w, w, None, float("nan")), ValueError, r"learnRate must be in \(0, inf\); got nan"),
        (lambda: sgdmupdate(w, w, None, "0.1"), TypeError, "learnRate must be a real number; got '0.1'"),
        (lambda: sgdmupdate(w, w, None, 0.1, 1.5), ValueError, r"momentum must be in \[0, 1\]; got 1.5"),
        (lambda: sgdmupdate("abc", w), TypeError, "net must be a network, a table of learnables, a dlarray"),
        (lambda: adamupdate(w, w, None, None, 0), ValueError, "iteration must be a positive integer"),
        (lambda: adamupdate(w, w, None, None, 1.5), ValueError, "iteration must be a positive integer; got 1.5"),
        (lambda: adamupdate(w, w, None, None, "1"), TypeError, "iteration must be a positive integer; got '1'"),
        (lambda: adamupdate(w, w, None, None, 1, epsilon=0), ValueError, "epsilon must be in"),
        (lambda: adamupdate(w, w, None, None, 1, gradDecay=1), ValueError, r"gradDecay must be in \[0, 1\)"),
        (lambda: adamupdate(w, w, dlarray(np.ones(2)), None, 1), ValueError, "averageGrad entry 1 has size"),
        (lambda: dlupdate("f", w), TypeError, "fun must be callable"),
        (lambda: dlupdate(lambda x: x), TypeError, "at least one network"),
        (lambda: dlupdate(lambda x: "s", w), TypeError, "fun must return dlarrays or numeric arrays; got str"),
        (lambda: dlupdate(lambda x, y: x, w, [w, w]), ValueError, "X2 has 2 arrays; X1 has 1"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    with pytest.raises(ValueError, match="values that are not dlarrays .*initialize"):
        sgdmupdate(dlnetwork(small_layers(), Initialize=False), grads)
    for value, saved in zip(vel.Value, saved_vel):
        assert_array_equal(value.data, saved)
    sgdmupdate(net, grads, vel)
    for value, saved in zip(vel.Value, saved_vel):
        assert_array_equal(value.data, saved)  # the velocity passed in is not written into


def test_dlupdate_of_a_network_without_learnables_gives_a_network():
    net = dlnetwork([minidl.featureInputLayer(3), minidl.reluLayer()])
    called = []
    out = dlupdate(lambda w: called.append(w) or w, net)
    assert isinstance(out, dlnetwork) and out.Learnables.height == 0 and not called
    assert_array_equal(out.predict(dlarray(np.array([[-1.0], [2.0], [0.5]]), "CB")).data, [[0.0], [2.0], [0.5]])
