"""A batch norm layer whose output only a ReLU reads runs fused with it (Layer.fused, network/run.py): same
values, gradients and state as the two layers run one after the other, and only where nothing else needs
the batch norm's own output."""
import numpy as np

from minidl import (batchNormalizationLayer, batchnorm, convolution2dLayer, crossentropy, dlarray, dlfeval,
                    dlgradient, extractdata, fullyConnectedLayer, imageInputLayer, relu, reluLayer, rng,
                    softmaxLayer, taylorPrunableNetwork)
from minidl.layers import additionLayer, groupedConvolution2dLayer
from minidl.layers.conv import Convolution2DLayer
from minidl.layers.norm import BatchNormalizationLayer
from minidl.network import dlnetwork, forward, predict
from minidl.network.run import _fusions
from minidl.optim import dlupdate
from minidl.ops.conv import dlconv
from minidl.ops.fc import fullyconnect
from minidl.ops.activation import softmax
from helpers.device import assert_allclose, assert_array_equal, host


def net_and_batch():
    rng(3)
    layers = [imageInputLayer([7, 6, 2], Normalization="none", Name="in"),
              convolution2dLayer(3, 5, Padding="same", Name="conv"), batchNormalizationLayer(Name="bn"),
              reluLayer(Name="relu"), fullyConnectedLayer(4, Name="fc"), softmaxLayer(Name="sm")]
    net = dlnetwork(layers)
    X = dlarray(np.random.default_rng(0).standard_normal((7, 6, 2, 9)).astype(np.float32), "SSCB")
    T = dlarray(np.eye(4, dtype=np.float32)[:, np.arange(9) % 4], "CB")
    return net, X, T


def learnable(net, layer, name):
    t = net.Learnables
    return next(v for l, p, v in zip(t.Layer, t.Parameter, t.Value) if l == layer and p == name)


def state(net, name):
    t = net.State
    return next(v for l, p, v in zip(t.Layer, t.Parameter, t.Value) if l == "bn" and p == name)


def composed(net, X, training):
    """The network's arithmetic from the public ops, batch norm and ReLU as two calls."""
    c = dlconv(X, learnable(net, "conv", "Weights"), learnable(net, "conv", "Bias"), Padding="same")
    offset, scale = learnable(net, "bn", "Offset"), learnable(net, "bn", "Scale")
    if training:
        b, _, _ = batchnorm(c, offset, scale)
    else:
        b = batchnorm(c, offset, scale, state(net, "TrainedMean"), state(net, "TrainedVariance"))
    return softmax(fullyconnect(relu(b), learnable(net, "fc", "Weights"), learnable(net, "fc", "Bias"))), b


def chains(graph, hook, kept, training):
    return {head: names for head, (_, names) in _fusions(graph, hook, kept, training).items()}


def test_the_plan_fuses_only_outputs_nobody_else_reads():
    net, _, _ = net_and_batch()
    graph = net.graph
    outputs = frozenset(graph.outputs)
    assert chains(graph, None, outputs, True) == {"bn": ("bn", "relu")}
    assert chains(graph, None, outputs, False) == {"conv": ("conv", "bn", "relu")}  # predict: the conv too
    assert chains(graph, None, None, False) == {}  # every value wanted (analyzeNetwork)
    assert chains(graph, None, outputs | {("bn", "out")}, True) == {}  # Outputs asks for the batch norm's output
    assert chains(graph, None, outputs | {("conv", "out")}, False) == {"bn": ("bn", "relu")}
    assert chains(graph, lambda layer, args, call: call(layer, args), outputs, True) == {}  # a hook that may touch any layer

    def touching(layer, args, call):
        return call(layer, args)
    touching.touches = frozenset({"relu"})
    assert chains(graph, touching, outputs, True) == {}
    touching.touches = frozenset({"conv"})
    assert chains(graph, touching, outputs, False) == {"bn": ("bn", "relu")}


def test_a_batch_norm_output_read_twice_is_not_fused():
    rng(1)
    layers = [imageInputLayer([4, 4, 3], Normalization="none", Name="in"), batchNormalizationLayer(Name="bn"),
              reluLayer(Name="relu"), additionLayer(2, Name="add")]
    net = dlnetwork(layers, Initialize=False)
    from minidl.network import connectLayers
    net = connectLayers(net, "bn", "add/in2")
    assert chains(net.graph, None, frozenset(net.graph.outputs), False) == {}


def test_predict_and_forward_equal_the_two_layers_run_apart():
    net, X, T = net_and_batch()
    want, b = composed(net, X, training=False)
    assert (host(extractdata(b)) < 0).any()  # the ReLU has something to cut
    assert_allclose(predict(net, X), want, rtol=1e-5, atol=1e-6)
    # the fused chain does the unfused operations: the very same values
    assert_array_equal(predict(net, X), predict(net, X, Outputs=["sm", "bn"])[0])
    assert_array_equal(forward(net, X)[0], forward(net, X, Outputs=["sm", "bn"])[0])
    # asking for the batch norm's output turns the fusion off for it and returns it, negative values included
    Y, bn_out = predict(net, X, Outputs=["sm", "bn"])
    assert_allclose(bn_out, b, rtol=1e-5, atol=1e-6)
    assert_allclose(Y, want, rtol=1e-5, atol=1e-6)
    Y, new_state = forward(net, X)
    assert_allclose(Y, composed(net, X, training=True)[0], rtol=1e-5, atol=1e-6)
    _, _, state_apart = forward(net, X, Outputs=["sm", "bn"])  # the batch norm run on its own
    for v, w in zip(new_state.Value, state_apart.Value):
        assert_allclose(v, w, rtol=1e-6, atol=1e-7)


def test_gradients_equal_the_two_layers_run_apart():
    net, X, T = net_and_batch()

    def loss_of(net, X, T, outputs):
        Y = forward(net, X, Outputs=outputs)[0]
        loss = crossentropy(Y, T)
        return loss, dlgradient(loss, net.Learnables)

    loss_fused, fused = dlfeval(loss_of, net, X, T, "sm")
    loss_apart, apart = dlfeval(loss_of, net, X, T, ["sm", "bn"])  # the BN output is asked for: not fused
    assert_allclose(loss_fused, loss_apart, rtol=1e-6)
    for g, h in zip(fused.Value, apart.Value):
        assert_allclose(g, h, rtol=1e-4, atol=1e-6)


def test_taylor_pruning_hook_lets_the_fusion_through():
    net, X, T = net_and_batch()
    prunable = taylorPrunableNetwork(net)
    Y, _, acts = forward(prunable, X)
    assert_allclose(Y, forward(net, X)[0], rtol=1e-6, atol=1e-7)
    assert len(acts) == 1 and acts[0].shape == (7, 6, 5, 9)


def apart_outputs(net):
    """Outputs that keep every convolution's and batch norm's own output: nothing is fused."""
    return list(net.OutputNames) + [name for name in net.graph.names if name.startswith(("conv", "bn"))]


def check_same_as_apart(net, X):
    outputs = apart_outputs(net)
    assert_array_equal(predict(net, X), predict(net, X, Outputs=outputs)[0])
    assert_array_equal(forward(net, X)[0], forward(net, X, Outputs=outputs)[0])


def test_conv_and_batch_norm_without_relu_and_the_fallbacks_give_the_layers_values():
    rng(5)
    X = dlarray(np.random.default_rng(1).standard_normal((6, 6, 4, 5)).astype(np.float32), "SSCB")
    head = [imageInputLayer([6, 6, 4], Normalization="none", Name="in")]
    tail = [fullyConnectedLayer(3, Name="fc")]
    plain = dlnetwork(head + [convolution2dLayer(3, 6, Name="conv"), batchNormalizationLayer(Name="bn")] + tail)
    assert chains(plain.graph, None, frozenset(plain.graph.outputs), False) == {"conv": ("conv", "bn")}
    check_same_as_apart(plain, X)
    grouped = dlnetwork(head + [groupedConvolution2dLayer(3, 2, 2, Name="conv"), batchNormalizationLayer(Name="bn"),
                                reluLayer(Name="relu")] + tail)  # 5-D weights: the ops in turn
    check_same_as_apart(grouped, X)
    double = dlupdate(lambda w: dlarray(host(extractdata(w)).astype(np.float64)), plain)  # float64 weights, float32 X
    check_same_as_apart(double, X)


class Doubled(Convolution2DLayer):
    def predict(self, X):
        return super().predict(X) * 2


class Shifted(BatchNormalizationLayer):
    def predict(self, X):
        return super().predict(X) + 1

    def forward(self, X):
        Y, state = super().forward(X)
        return Y + 1, state


def test_subclasses_that_compute_something_else_are_not_fused():
    X = dlarray(np.random.default_rng(2).standard_normal((5, 5, 2, 3)).astype(np.float32), "SSCB")
    for conv, bn in ((Doubled(3, 3, Name="conv"), batchNormalizationLayer(Name="bn")),
                     (convolution2dLayer(3, 3, Name="conv"), Shifted(Name="bn"))):
        rng(0)
        net = dlnetwork([imageInputLayer([5, 5, 2], Normalization="none", Name="in"), conv, bn,
                         reluLayer(Name="relu"), fullyConnectedLayer(2, Name="fc")])
        check_same_as_apart(net, X)
