"""dlnetwork: construction, properties, MATLAB display, summary, forward/predict, value semantics, bad input."""
import copy

import numpy as np
import pytest

from helpers import seed
from helpers.network_nets import images, small_layers, small_net, snapshot
from minidl import dlarray
from minidl.layers import (batchNormalizationLayer, convolution2dLayer, fullyConnectedLayer, imageInputLayer,
                           reluLayer, softmaxLayer)
from minidl.network import dlnetwork, forward, initialize, predict, summary
from minidl.table import Table
from helpers.device import assert_allclose, assert_array_equal, host

DIGITS_DISPLAY = """\
  dlnetwork with properties:

         Layers: [12x1 nnet.cnn.layer.Layer]
    Connections: [11x2 table]
     Learnables: [14x3 table]
          State: [6x3 table]
     InputNames: {'input'}
    OutputNames: {'softmax'}
    Initialized: 1

  View summary with summary.
"""


def assert_same_arrays(table, arrays):
    for value, saved in zip(table.Value, arrays):
        assert value.dtype == saved.dtype
        assert_array_equal(value.data, saved)


@pytest.fixture(scope="module")
def digits():
    net = dlnetwork(seed.digits_layers(), Initialize=False)
    return initialize(net, generator=np.random.default_rng(0))


# -- properties and display ---------------------------------------------------------------
def test_digits_network_properties(digits):
    assert digits.Learnables.size == (14, 3) and digits.State.size == (6, 3) and digits.Connections.size == (11, 2)
    assert digits.InputNames == ["input"] and digits.OutputNames == ["softmax"] and digits.Initialized is True
    learnables = digits.Learnables
    assert learnables.VariableNames == ["Layer", "Parameter", "Value"]
    assert learnables.Layer == ["conv1", "conv1", "bn1", "bn1", "conv2", "conv2", "bn2", "bn2",
                                "conv3", "conv3", "bn3", "bn3", "fc", "fc"]
    assert learnables.Parameter == ["Weights", "Bias", "Offset", "Scale"] * 3 + ["Weights", "Bias"]
    shapes = [v.shape for v in learnables.Value]
    assert shapes[:4] == [(5, 5, 1, 20), (1, 1, 20), (1, 1, 20), (1, 1, 20)]
    assert shapes[4] == shapes[8] == (3, 3, 20, 20) and shapes[12:] == [(10, 24 * 24 * 20), (10, 1)]
    assert all(isinstance(v, dlarray) and v.dtype == np.float32 for v in learnables.Value)
    state = digits.State
    assert state.Parameter == ["TrainedMean", "TrainedVariance"] * 3
    assert all(np.all(host(v.data) == (0 if p == "TrainedMean" else 1)) for p, v in zip(state.Parameter, state.Value))
    connections = digits.Connections
    names = [layer.Name for layer in digits.Layers]
    assert connections.Source == names[:-1] and connections.Destination == names[1:]


def test_digits_display_is_matlabs(digits):
    assert repr(digits) == DIGITS_DISPLAY
    assert repr(digits.Layers).splitlines()[0] == "  12x1 Layer array with layers:"


def test_learnables_table_display():
    assert repr(small_net().Learnables) == """\
  6x3 table

  Layer     Parameter          Value
  ______    _________    _________________

  "conv"    "Weights"    {3x3x1x4 dlarray}
  "conv"    "Bias"       {1x1x4 dlarray}
  "bn"      "Offset"     {1x1x4 dlarray}
  "bn"      "Scale"      {1x1x4 dlarray}
  "fc"      "Weights"    {3x64 dlarray}
  "fc"      "Bias"       {3x1 dlarray}
"""
    uninitialised = dlnetwork(small_layers(), Initialize=False)
    assert '"conv"    "Weights"    {0x0 double}' in repr(uninitialised.Learnables)


def test_summary_prints_matlabs_text(digits, capsys):
    assert summary(digits) is None
    # 520 + 3620 + 3620 (convolutions) + 3 * 40 (batch norm) + 115210 (fc) = 123090
    assert capsys.readouterr().out == (
        "   Initialized: true\n\n   Number of learnables: 123k\n\n   Inputs:\n"
        "      1   'input'   28x28x1 images with 'zerocenter' normalization\n\n")
    digits.summary()
    assert "123k" in capsys.readouterr().out


def test_automatic_names_and_empty_network():
    layers = [imageInputLayer([6, 6, 1], Normalization="none"), convolution2dLayer(3, 2), batchNormalizationLayer(),
              reluLayer(), convolution2dLayer(3, 2), fullyConnectedLayer(2), softmaxLayer()]
    net = dlnetwork(layers)
    assert all(layer.Name == "" and getattr(layer, "Weights", None) is None for layer in layers)  # caller's untouched
    assert [layer.Name for layer in net.Layers] == ["imageinput", "conv_1", "batchnorm", "relu", "conv_2", "fc",
                                                    "softmax"]
    empty = dlnetwork()
    assert empty.Layers == [] and empty.Learnables.size == (0, 3) and not empty.Initialized
    assert "Layers: [0x1 nnet.cnn.layer.Layer]" in repr(empty) and "InputNames: {}" in repr(empty)


# -- initialisation -------------------------------------------------------------------------
def test_initialize_false_then_initialize_keeps_set_values():
    weights = np.random.default_rng(3).standard_normal((3, 3, 1, 4)).astype(np.float32)
    layers = small_layers()
    layers[1] = convolution2dLayer(3, 4, Padding="same", Name="conv", Weights=weights)
    net = dlnetwork(layers, Initialize=False)
    assert not net.Initialized
    values = dict(zip(zip(net.Learnables.Layer, net.Learnables.Parameter), net.Learnables.Value))
    assert values[("conv", "Bias")] is None and values[("fc", "Weights")] is None
    assert_array_equal(values[("conv", "Weights")].data, weights)
    with pytest.raises(ValueError, match="not initialized.*initialize"):
        predict(net, images())
    done = initialize(net)
    assert done.Initialized and not net.Initialized
    table = done.Learnables
    assert_array_equal(table.Value[0].data, weights)
    assert table.Value[4].shape == (3, 4 * 4 * 4)
    assert initialize(done).Learnables.Value[4] is table.Value[4]  # set values stay


def test_initialize_is_repeatable_with_a_generator():
    a, b = small_net(seed=7), small_net(seed=7)
    for x, y in zip(a.Learnables.Value, b.Learnables.Value):
        assert_array_equal(x.data, y.data)
    assert not np.array_equal(host(small_net(seed=8).Learnables.Value[0].data), host(a.Learnables.Value[0].data))


# -- forward / predict ---------------------------------------------------------------------------
def test_forward_and_predict_shapes_formats_and_outputs():
    net = small_net()
    X = images(n=5)
    Y, state = forward(net, X)
    assert Y.fmt == "CB" and Y.shape == (3, 5)
    assert_allclose(Y.data.sum(axis=0), 1, rtol=1e-5)
    assert isinstance(state, Table) and state.Layer == net.State.Layer and state.Parameter == net.State.Parameter
    P = predict(net, X)
    assert P.fmt == "CB" and P.shape == (3, 5)
    conv, soft = predict(net, X, Outputs=["conv", "softmax"])
    assert conv.fmt == "SSCB" and conv.shape == (8, 8, 4, 5)
    assert_array_equal(soft.data, P.data)
    (only,) = predict(net, X, Outputs=["relu"])  # a list asks for a tuple, even of one
    assert only.shape == (8, 8, 4, 5) and np.all(host(only.data) >= 0)
    assert predict(net, X, Outputs="pool").shape == (4, 4, 4, 5)
    y1, y2, state2 = forward(net, X, Outputs=["fc", "softmax"])
    assert_array_equal(y2.data, Y.data)
    assert state2.size == (2, 3)
    assert_array_equal(net.forward(X)[0].data, Y.data)
    assert_array_equal(net.predict(X).data, P.data)


def test_forward_and_predict_leave_inputs_and_network_alone():
    net = small_net()
    X = images()
    saved_x = np.array(host(X.data), copy=True)
    learnables, state = snapshot(net.Learnables), snapshot(net.State)
    forward(net, X)
    predict(net, X)
    assert_array_equal(X.data, saved_x)
    assert_same_arrays(net.Learnables, learnables)
    assert_same_arrays(net.State, state)


def test_state_and_learnables_assignment():
    net = small_net()
    other = dlnetwork(net)  # a separate network value holding the same layers
    old_state = net.State
    saved = snapshot(old_state)
    _, state = forward(net, images())
    net.State = state
    assert net.State.Value[0] is state.Value[0]
    assert_same_arrays(old_state, saved)  # tables already handed out do not change
    assert_same_arrays(other.State, saved)  # nor does another network
    doubled = Table(Layer=net.Learnables.Layer, Parameter=net.Learnables.Parameter,
                    Value=[2 * v for v in net.Learnables.Value])
    net.Learnables = doubled
    assert_array_equal(net.Learnables.Value[0].data, doubled.Value[0].data)
    reordered = doubled[[1, 0, 2, 3, 4, 5]]  # rows are matched by Layer and Parameter
    net.Learnables = reordered
    assert net.Learnables.Value[0] is doubled.Value[0]
    # Plain arrays are taken as dlarrays (copied).
    plain = doubled.with_column("Value", [np.array(host(v.data)) for v in doubled.Value])
    net.Learnables = plain
    assert isinstance(net.Learnables.Value[0], dlarray)


def test_layers_property_gives_copies_and_construction_copies_layers():
    layers = small_layers()
    net = dlnetwork(layers, Initialize=False)
    layers[1].Name = "renamed"  # the caller's layer objects are not the network's
    shown = net.Layers
    shown[2].Name = "also_renamed"
    assert [layer.Name for layer in net.Layers][1:3] == ["conv", "bn"]
    assert copy.copy(net).Connections.Source == net.Connections.Source


def test_output_names_option_and_property():
    net = dlnetwork(small_layers(), OutputNames=["relu", "softmax"], Initialize=False)
    assert net.OutputNames == ["relu", "softmax"]
    net = initialize(net)
    relu, soft = predict(net, images())
    assert relu.shape == (8, 8, 4, 5) and soft.shape == (3, 5)
    net.OutputNames = "fc"
    assert net.OutputNames == ["fc"] and predict(net, images()).shape == (3, 5)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        net.OutputNames = ["nope"]
    assert net.OutputNames == ["fc"]


# -- bad input -----------------------------------------------------------------------------
def test_bad_forward_and_predict_arguments():
    net = small_net()
    with pytest.raises(TypeError, match="X1 .*input.* must be a dlarray; got ndarray"):
        predict(net, np.zeros((8, 8, 1, 2), np.float32))
    with pytest.raises(TypeError, match="1 input.*got 2"):
        predict(net, images(), images())
    with pytest.raises(ValueError, match="Layer 'input'.*size 9x9x1x5 \\(SSCB\\).*8x8x1"):
        predict(net, images(size=9))
    with pytest.raises(ValueError, match="Outputs entry 'nope'"):
        forward(net, images(), Outputs="nope")
    with pytest.raises(TypeError, match="Outputs must be"):
        predict(net, images(), Outputs=[])
    with pytest.raises(TypeError, match="net must be a dlnetwork"):
        forward("net", images())


def test_bad_construction_arguments():
    with pytest.raises(TypeError, match="Initialize must be True or False"):
        dlnetwork(small_layers(), Initialize="no")
    with pytest.raises(TypeError, match=r"layers\[1\] must be a layer; got int"):
        dlnetwork([imageInputLayer([4, 4, 1]), 3])
    with pytest.raises(TypeError, match="layers must be a layer or a list of layers"):
        dlnetwork("conv")
    with pytest.raises(ValueError, match="unique; repeated: \\['a'\\]"):
        dlnetwork([reluLayer(Name="a"), reluLayer(Name="a")], Initialize=False)
    with pytest.raises(TypeError, match="OutputNames must be a string or a list of strings"):
        dlnetwork(small_layers(), OutputNames=[1])
    with pytest.raises(TypeError, match="example inputs .* need Initialize=True"):
        dlnetwork(small_layers(), images(), Initialize=False)
    with pytest.raises(TypeError, match="net must be a dlnetwork"):
        initialize(small_layers())


def test_bad_learnables_assignment_changes_nothing():
    net = small_net()
    table = before = net.Learnables
    saved = snapshot(before)
    cases = [
        (TypeError, "Learnables must be a Table", "not a table"),
        (ValueError, "missing \\[\\('fc', 'Bias'\\)\\]", table[:5]),
        (ValueError, "repeated \\[\\('conv', 'Weights'\\)\\]",
         Table(Layer=table.Layer + ["conv"], Parameter=table.Parameter + ["Weights"],
               Value=table.Value + [table.Value[0]])),
        (ValueError, "conv/Weights has size \\(3, 3, 1, 5\\); expected \\(3, 3, 1, 4\\)",
         table.with_column("Value", [dlarray(np.zeros((3, 3, 1, 5), np.float32))] + table.Value[1:])),
        (TypeError, "Learnables value for conv/Weights", table.with_column("Value", ["abc"] + table.Value[1:])),
    ]
    for error, message, value in cases:
        with pytest.raises(error, match=message):
            net.Learnables = value
        assert all(a is b for a, b in zip(net.Learnables.Value, before.Value))
    assert_same_arrays(before, saved)
    with pytest.raises(TypeError, match="State must be a Table"):
        net.State = net.Learnables.Value
