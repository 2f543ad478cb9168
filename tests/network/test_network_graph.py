"""Graph networks: addLayers/connectLayers/disconnectLayers/removeLayers/replaceLayer, validation errors."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers.network_nets import residual_images, residual_layers, residual_net

from minidl import dlarray
from minidl.layers import (additionLayer, batchNormalizationLayer, convolution2dLayer, depthConcatenationLayer,
                           fullyConnectedLayer, imageInputLayer, leakyReluLayer, reluLayer)
from minidl.network import (addLayers, connectLayers, disconnectLayers, dlnetwork, initialize, predict, removeLayers,
                            replaceLayer)
from helpers.device import assert_allclose


def test_residual_network_connections_and_values():
    net = residual_net()
    assert net.Connections.Source == ["input", "conv1", "relu1", "conv2", "add", "relu2", "fc", "relu1"]
    assert net.Connections.Destination == ["conv1", "relu1", "conv2", "add/in1", "relu2", "fc", "softmax", "add/in2"]
    assert net.InputNames == ["input"] and net.OutputNames == ["softmax"] and net.Initialized
    X = residual_images()
    by_name = {layer.Name: layer for layer in net.Layers}
    r1 = by_name["relu1"].predict(by_name["conv1"].predict(X))
    summed = by_name["add"].predict(by_name["conv2"].predict(r1), r1)
    expected = by_name["softmax"].predict(by_name["fc"].predict(by_name["relu2"].predict(summed)))
    assert_allclose(predict(net, X).data, expected.data, rtol=1e-6)
    # The connection added last is evaluated in graph order, not list order.
    assert predict(net, X, Outputs="add").shape == (6, 6, 2, 3)


def test_unconnected_input_is_reported_and_can_be_connected_later():
    with pytest.raises(ValueError, match=r"\['add/in2'\] are not fed by an input layer: connect them"):
        dlnetwork(residual_layers())
    net = dlnetwork(residual_layers(), Initialize=False)
    assert net.InputNames == ["input", "add/in2"]
    assert "InputNames: {'input'  'add/in2'}" in repr(net)
    done = initialize(connectLayers(net, "relu1", "add/in2"))
    assert done.InputNames == ["input"] and done.Initialized


def test_example_inputs_for_inputs_without_input_layer():
    layers = [convolution2dLayer(3, 2, Name="conv"), reluLayer(Name="relu"), fullyConnectedLayer(2, Name="fc")]
    X = residual_images((5, 5, 2, 1))
    net = dlnetwork(layers, X)
    assert net.InputNames == ["conv"] and net.Initialized
    assert net.Learnables.Value[0].shape == (3, 3, 2, 2) and net.Learnables.Value[2].shape == (2, 18)
    assert predict(net, residual_images((5, 5, 2, 4))).shape == (2, 4)
    with pytest.raises(TypeError, match="example input for 'conv' must be a formatted dlarray"):
        dlnetwork(layers, dlarray(np.zeros((5, 5, 2, 1), np.float32)))
    with pytest.raises(TypeError, match="one example input per network input .*got 2"):
        dlnetwork(layers, X, X)


def test_size_mismatch_at_initialisation_names_layer_and_sizes():
    layers = residual_layers()
    layers[3] = convolution2dLayer(3, 2, Name="conv2")  # no padding: 4x4 maps meet 6x6 maps
    net = connectLayers(dlnetwork(layers, Initialize=False), "relu1", "add/in2")
    with pytest.raises(ValueError, match=r"Layer 'add'.*4x4x2x1 \(SSCB\), 6x6x2x1 \(SSCB\).*in2 has size"):
        initialize(net)
    preset = [imageInputLayer([2, 2, 1], Normalization="none", Name="input"),
              fullyConnectedLayer(3, Weights=np.zeros((3, 5), np.float32), Name="fc")]
    with pytest.raises(ValueError, match=r"Layer 'fc' cannot be initialised for input of size 2x2x1x1 \(SSCB\).*5"):
        dlnetwork(preset)


def test_cycle_is_named():
    net = dlnetwork(residual_layers(), Initialize=False)
    with pytest.raises(ValueError, match="The network has a cycle: add -> relu2 -> fc -> add"):
        connectLayers(disconnectLayers(connectLayers(net, "relu1", "add/in2"), "relu1", "add/in2"), "fc", "add/in2")
    with pytest.raises(ValueError, match="cycle: relu1 -> relu1"):
        connectLayers(disconnectLayers(net, "conv1", "relu1"), "relu1", "relu1")


def test_editing_returns_new_networks_and_leaves_the_old_one():
    net = residual_net()
    before = (net.Connections.Source, net.Connections.Destination, [layer.Name for layer in net.Layers])
    removed = removeLayers(net, "relu2")
    assert [layer.Name for layer in removed.Layers] == ["input", "conv1", "relu1", "conv2", "add", "fc", "softmax"]
    assert removed.InputNames == ["input", "fc"] and removed.OutputNames == ["add", "softmax"]
    assert not removed.Initialized
    disconnected = disconnectLayers(net, "relu1", "add/in2")
    assert disconnected.InputNames == ["input", "add/in2"]
    added = addLayers(net, [reluLayer(), reluLayer(Name="extra")])
    assert [layer.Name for layer in added.Layers][-2:] == ["relu", "extra"]
    assert added.Connections.Source[-1] == "relu" and added.OutputNames == ["softmax", "extra"]
    assert (net.Connections.Source, net.Connections.Destination, [layer.Name for layer in net.Layers]) == before
    assert net.Initialized


def test_added_unnamed_layers_avoid_existing_names():
    net = dlnetwork([reluLayer(Name="relu")], Initialize=False)
    net = addLayers(net, reluLayer())
    net = addLayers(net, [reluLayer(), reluLayer()])
    assert [layer.Name for layer in net.Layers] == ["relu", "relu_1", "relu_2", "relu_3"]


def test_replace_layer_keeps_connections_and_values():
    net = residual_net()
    new = replaceLayer(net, "relu1", leakyReluLayer(0.1, Name="leaky"))
    assert new.Connections.Source == ["input", "conv1", "leaky", "conv2", "add", "relu2", "fc", "leaky"]
    series = initialize(replaceLayer(net, "relu2", [batchNormalizationLayer(Name="bn"), reluLayer(Name="r")]))
    assert series.Connections.Destination == ["conv1", "relu1", "conv2", "add/in1", "bn", "fc", "softmax", "add/in2",
                                              "r"]
    assert series.Learnables.Value[0] is net.Learnables.Value[0]  # values already set are kept
    concat = replaceLayer(net, "add", depthConcatenationLayer(2, Name="cat"))
    assert "cat/in2" in concat.Connections.Destination
    with pytest.raises(ValueError, match="first layer 'add2' has no port matching relu2/in \\(ReconnectBy='name'\\)"):
        replaceLayer(net, "relu2", additionLayer(2, Name="add2"))
    by_order = replaceLayer(net, "relu2", additionLayer(2, Name="add2"), ReconnectBy="order")
    assert by_order.InputNames == ["input", "add2/in2"]
    named = dlnetwork(residual_layers(), OutputNames="relu2", Initialize=False)
    assert replaceLayer(named, "relu2", reluLayer(Name="r2")).OutputNames == ["r2"]


def test_editing_errors():
    net = residual_net()
    cases = [
        (lambda: connectLayers(net, "nope", "add/in2"), ValueError, "source 'nope': no layer named 'nope'"),
        (lambda: connectLayers(net, "relu1", "add/in3"), ValueError, r"no port 'in3'; its ports are \['in1', 'in2'\]"),
        (lambda: connectLayers(net, "relu1", "add"), ValueError, r"ports \['in1', 'in2'\]; name one, e.g. 'add/in1'"),
        (lambda: connectLayers(net, "conv1", "add/in2"), ValueError, "already connected to relu1/out"),
        (lambda: connectLayers(net, "relu1", "input"), ValueError, "an input layer takes no inputs"),
        (lambda: connectLayers(net, 3, "add/in2"), TypeError, "source must be a string"),
        (lambda: disconnectLayers(net, "conv1", "add/in2"), ValueError, "'conv1' is not connected to 'add/in2'"),
        (lambda: removeLayers(net, ["relu1", "nope"]), ValueError, r"no layers named \['nope'\]"),
        (lambda: removeLayers(net, 5), TypeError, "layerNames must be a string or a list of strings"),
        (lambda: replaceLayer(net, "nope", reluLayer()), ValueError, "no layer named 'nope'"),
        (lambda: replaceLayer(net, "relu2", reluLayer(Name="conv1")), ValueError, "unique; repeated: \\['conv1'\\]"),
        (lambda: replaceLayer(net, "relu2", []), ValueError, "at least one layer"),
        (lambda: replaceLayer(net, "relu2", reluLayer(), ReconnectBy="x"), ValueError, "ReconnectBy must be"),
        (lambda: addLayers(net, "relu"), TypeError, "layers must be a layer or a list of layers"),
        (lambda: addLayers([], reluLayer()), TypeError, "net must be a dlnetwork; got list"),
        (lambda: addLayers(net, reluLayer(Name="relu1")), ValueError, "unique; repeated: \\['relu1'\\]"),
        (lambda: addLayers(net, reluLayer(Name="relu/3")), ValueError, "must not contain '/'.*\\['relu/3'\\]"),
        (lambda: dlnetwork([imageInputLayer([4, 4, 1], Name="in/put")], Initialize=False), ValueError,
         "must not contain '/'"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    assert net.Connections.size == (8, 2)


# -- random graphs ----------------------------------------------------------------------
@st.composite
def random_graphs(draw):
    """Nodes 1..k are ReLUs (one earlier source) or additions (two); the list order is a random permutation."""
    k = draw(st.integers(1, 7))
    nodes = [("input", [])]
    for i in range(1, k + 1):
        count = draw(st.sampled_from([1, 2]))
        nodes.append(("relu" if count == 1 else "add", [draw(st.integers(0, i - 1)) for _ in range(count)]))
    order = draw(st.permutations(range(k + 1)))
    return nodes, order


def build_graph(nodes, order):
    net = dlnetwork()
    for i in order:
        kind = nodes[i][0]
        layer = (imageInputLayer([2, 2, 1], Normalization="none", Name="n0") if kind == "input" else
                 reluLayer(Name=f"n{i}") if kind == "relu" else additionLayer(2, Name=f"n{i}"))
        net = addLayers(net, layer)
    for i, (kind, sources) in enumerate(nodes):
        for port, j in enumerate(sources, 1):
            net = connectLayers(net, f"n{j}", f"n{i}" if kind == "relu" else f"n{i}/in{port}")
    return net


@settings(max_examples=30)
@given(random_graphs())
def test_random_graphs_evaluate_in_dependency_order(graph):
    nodes, order = graph
    net = initialize(build_graph(nodes, order))
    x = np.random.default_rng(len(nodes)).standard_normal((2, 2, 1, 3)).astype(np.float32)
    values = [x]
    for kind, sources in nodes[1:]:
        inputs = [values[j] for j in sources]
        values.append(np.maximum(inputs[0], 0) if kind == "relu" else inputs[0] + inputs[1])
    used = {j for _, sources in nodes for j in sources}
    sinks = [f"n{i}" for i in order if i not in used]
    assert net.OutputNames == sinks and net.InputNames == ["n0"]
    outputs = predict(net, dlarray(x, "SSCB"), Outputs=[f"n{i}" for i in range(len(nodes))])
    for value, expected in zip(outputs, values):
        assert_allclose(value.data, expected, rtol=1e-6)


@settings(max_examples=30)
@given(random_graphs(), st.data())
def test_random_back_edges_are_reported_as_cycles(graph, data):
    nodes, order = graph
    relus = [i for i, (kind, _) in enumerate(nodes) if kind == "relu"]
    if not relus:
        return
    i = data.draw(st.sampled_from(relus))
    descendants, changed = {i}, True
    while changed:
        grown = descendants | {n for n, (_, sources) in enumerate(nodes) if descendants & set(sources)}
        changed, descendants = grown != descendants, grown
    d = data.draw(st.sampled_from(sorted(descendants)))
    net = disconnectLayers(build_graph(nodes, order), f"n{nodes[i][1][0]}", f"n{i}")
    with pytest.raises(ValueError, match="The network has a cycle") as info:
        connectLayers(net, f"n{d}", f"n{i}")
    cycle = re.search(r"cycle: (.*)$", str(info.value)).group(1).split(" -> ")
    edges = {(f"n{j}", f"n{n}") for n, (_, sources) in enumerate(nodes) for j in sources if n != i}
    edges.add((f"n{d}", f"n{i}"))
    assert cycle[0] == cycle[-1] and all(pair in edges for pair in zip(cycle, cycle[1:]))


@settings(max_examples=40)
@given(st.integers(3, 10), st.integers(1, 5), st.sampled_from([0, 1, "same"]), st.integers(1, 2))
def test_initialisation_infers_sizes_or_names_the_layer(size, filter_size, padding, stride):
    layers = [imageInputLayer([size, size, 1], Normalization="none", Name="input"),
              convolution2dLayer(filter_size, 3, Padding=padding, Stride=stride, Name="conv"),
              fullyConnectedLayer(2, Name="fc")]
    if padding == "same":
        out = -(-size // stride)
    else:
        out = (size + 2 * padding - filter_size) // stride + 1
    if out < 1:
        with pytest.raises(ValueError, match=f"Layer 'conv'.*{size}x{size}x1x1"):
            dlnetwork(layers)
        return
    net = dlnetwork(layers)
    assert net.Learnables.Value[2].shape == (2, out * out * 3)
    assert predict(net, residual_images((size, size, 1, 2)), Outputs="conv").shape == (out, out, 3, 2)
