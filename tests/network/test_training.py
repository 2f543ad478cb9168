"""It trains: a custom loop learns a separable image task; whole-network gradients; batch-norm state updates."""
import copy

import numpy as np
from helpers.network_nets import images, small_layers

from minidl import crossentropy, dlarray, dlfeval, dlgradient
from minidl.network import dlnetwork, forward, initialize, predict
from minidl.optim import dlupdate, sgdmupdate
from minidl.table import Table
from minidl.testing import gradcheck
from helpers.device import assert_allclose, assert_array_equal, host


def bright_half(n, seed, size=8):
    """Class 0: the left half is brighter by 0.6; class 1: the right half. Pixel noise has sd 1, so single
    pixels tell little; the best possible accuracy is about 98%."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    X = rng.normal(0.0, 1.0, (size, size, 1, n))
    X[:, : size // 2, 0, labels == 0] += 0.6
    X[:, size // 2:, 0, labels == 1] += 0.6
    return dlarray(X.astype(np.float32), "SSCB"), np.eye(2, dtype=np.float32)[:, labels], labels


def model_loss(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def test_custom_training_loop_learns_a_separable_task():
    net = initialize(dlnetwork(small_layers(classes=2), Initialize=False), generator=np.random.default_rng(0))
    X_test, _, y_test = bright_half(400, seed=99)
    vel, losses = None, []
    for iteration in range(60):
        X, T, _ = bright_half(32, seed=iteration)
        loss, grads, state = dlfeval(model_loss, net, X, T)
        net.State = state
        net, vel = sgdmupdate(net, grads, vel, learnRate=0.02, momentum=0.9)
        losses.append(float(loss))
    assert np.mean(losses[-5:]) < 0.3 * np.mean(losses[:5])
    # predict normalises with the moving batch-norm statistics the loop assigned.
    accuracy = np.mean(np.argmax(host(predict(net, X_test).data), axis=0) == y_test)
    assert accuracy >= 0.93


def as_float64(table):
    return dlupdate(lambda v: dlarray(v.data.astype(np.float64)), table)


def test_whole_network_gradient_matches_finite_differences():
    # conv -> batch norm -> ReLU -> max pool -> fully connected -> softmax -> cross-entropy, in float64.
    net = initialize(dlnetwork(small_layers(size=6), Initialize=False), generator=np.random.default_rng(2))
    net.Learnables = as_float64(net.Learnables)
    net.State = as_float64(net.State)
    learnables = net.Learnables
    X = images(size=6, n=4, dtype=np.float64)
    T = np.eye(3)[:, [0, 1, 2, 1]]

    def loss_of(X, *values):
        trial = copy.copy(net)
        trial.Learnables = Table(Layer=learnables.Layer, Parameter=learnables.Parameter, Value=list(values))
        Y, _ = forward(trial, X)
        return crossentropy(Y, T)

    assert loss_of(X, *learnables.Value).dtype == np.float64
    assert gradcheck(loss_of, X, *learnables.Value, generator=0)
    assert gradcheck(loss_of, X, *learnables.Value, generator=1)


def test_forward_updates_batch_norm_state_by_matlabs_decay_and_predict_uses_it():
    net = initialize(dlnetwork(small_layers(), Initialize=False), generator=np.random.default_rng(3))
    X = images(n=6)
    conv = host(predict(net, X, Outputs="conv").data).astype(np.float64)
    mu, var = conv.mean(axis=(0, 1, 3)), conv.var(axis=(0, 1, 3))  # biased batch variance per channel
    per_channel = (1, 1, 4, 1)
    old_mean, old_var = np.full(4, 0.5), np.full(4, 2.0)
    net.State = Table(Layer=["bn", "bn"], Parameter=["TrainedMean", "TrainedVariance"],
                      Value=[dlarray(old_mean.reshape(1, 1, 4).astype(np.float32)),
                             dlarray(old_var.reshape(1, 1, 4).astype(np.float32))])
    _, state = forward(net, X)
    new_mean, new_var = (host(v.data).ravel() for v in state.Value)
    assert_allclose(new_mean, 0.1 * mu + 0.9 * old_mean, rtol=1e-5, atol=1e-6)
    assert_allclose(new_var, 0.1 * var + 0.9 * old_var, rtol=1e-5)
    assert_array_equal(net.State.Value[0].data.ravel(), old_mean.astype(np.float32))  # net unchanged
    net.State = state
    by_name = {layer.Name: layer for layer in net.Layers}
    scale, offset = host(by_name["bn"].Scale.data).ravel(), host(by_name["bn"].Offset.data).ravel()
    expected = ((conv - new_mean.reshape(per_channel)) / np.sqrt(new_var.reshape(per_channel) + 1e-5)
                * scale.reshape(per_channel) + offset.reshape(per_channel))
    assert_allclose(predict(net, X, Outputs="bn").data, expected, rtol=1e-4, atol=1e-5)
    # Training behaviour normalises with the batch statistics instead.
    trained, _ = forward(net, X, Outputs="bn")
    expected = ((conv - mu.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + 1e-5)
                * scale.reshape(per_channel) + offset.reshape(per_channel))
    assert_allclose(trained.data, expected, rtol=1e-4, atol=1e-4)
