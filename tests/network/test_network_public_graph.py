"""net.graph (a read-only NetworkGraph), the one hook of network.run, methods with thin function forms."""
import types

import numpy as np
import pytest
from helpers.network_nets import images, residual_images, residual_net, small_net

import minidl.network.graph as graph_module
from minidl import dlarray, sgdmupdate, taylorPrunableNetwork
from minidl.layers import featureInputLayer, fullyConnectedLayer, imageInputLayer, reluLayer
from minidl.network import (NetworkGraph, addLayers, connectLayers, dlnetwork, forward, initialize, predict,
                            summary)
from minidl.network.run import run
from helpers.device import assert_allclose, assert_array_equal, host


def out_of_order_net():
    """Layers listed input, second, first; connected input -> first -> second."""
    net = addLayers(dlnetwork(), featureInputLayer(2, Name="input", Normalization="none"))
    net = addLayers(net, fullyConnectedLayer(2, Name="second"))
    net = addLayers(net, fullyConnectedLayer(2, Name="first"))
    net = connectLayers(net, "input", "first")
    net = connectLayers(net, "first", "second")
    return initialize(net, generator=np.random.default_rng(0))


def test_graph_describes_the_network():
    net = residual_net()
    g = net.graph
    assert g.names == ("input", "conv1", "relu1", "conv2", "add", "relu2", "fc", "softmax")
    assert g.connections[-1] == (("relu1", "out"), ("add", "in2"))
    assert g.sources[("add", "in2")] == ("relu1", "out") and g.sources[("add", "in1")] == ("conv2", "out")
    assert g.inputs == (("input", None),) and g.input_names == ("input",)
    assert g.outputs == (("softmax", "out"),) and g.output_names == ("softmax",)
    assert g.chosen_output_names is None
    assert [layer.Name for layer in g.layers] == list(g.names)
    assert list(net.InputNames) == list(g.input_names) and list(net.OutputNames) == list(g.output_names)
    # unfed ports are inputs, named as MATLAB names them
    unfed = dlnetwork(residual_net().graph.layers, Initialize=False)
    assert unfed.graph.inputs == (("input", None), ("add", "in2")) and unfed.graph.input_names == ("input", "add/in2")


def test_order_follows_the_connections_not_the_list():
    net = out_of_order_net()
    assert net.graph.names == ("input", "second", "first")
    assert net.graph.order == ("input", "first", "second")
    x = dlarray(np.array([[1.0], [-2.0]], np.float32), "CB")
    first, second = net.graph.layer("first"), net.graph.layer("second")
    expected = second.Weights.data @ (first.Weights.data @ x.data + first.Bias.data) + second.Bias.data
    assert_allclose(predict(net, x).data, expected, rtol=1e-6)


def test_the_graph_cannot_change_the_network():
    net = small_net()
    before = predict(net, images()).data.copy()
    g = net.graph
    for attempt in (lambda: setattr(g, "order", ()), lambda: setattr(g, "new_attribute", 1),
                    lambda: delattr(g, "connections"), lambda: setattr(net, "graph", g)):
        with pytest.raises(AttributeError):
            attempt()
    with pytest.raises(TypeError):
        g.sources[("fc", "in")] = ("input", "out")  # a read-only mapping
    assert isinstance(g.sources, types.MappingProxyType)
    assert isinstance(g.connections, tuple) and isinstance(g.order, tuple) and isinstance(g.inputs, tuple)
    # layers come as copies: changing one changes no network
    g.layers[1].Name = "renamed"
    g.layer("conv").Weights = dlarray(np.zeros((3, 3, 1, 4), np.float32))
    assert net.graph.names[1] == "conv" and net.graph is g
    assert_array_equal(predict(net, images()).data, before)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        g.layer("nope")


def test_the_order_is_sorted_once_and_reused(monkeypatch):
    calls = []
    sort = graph_module.topological_order
    monkeypatch.setattr(graph_module, "topological_order", lambda *a: calls.append(1) or sort(*a))
    net = small_net()
    made = len(calls)
    assert made >= 1
    order = net.graph.order
    X = images()
    forward(net, X)
    predict(net, X)
    net.predict(X, Outputs=["relu", "fc"])
    grads = net.Learnables  # any table of the same rows
    moved, _ = sgdmupdate(net, grads)
    changed = dlnetwork(moved)  # a copy
    changed.Learnables = net.Learnables
    changed.State = net.State
    initialize(changed)
    assert len(calls) == made
    assert moved.graph.order is order and changed.graph.order is order and net.graph.order is order
    # a change of the graph sorts once more
    connectLayers(addLayers(net, reluLayer(Name="extra")), "softmax", "extra")
    assert len(calls) > made


def test_one_hook_sees_each_layer_in_order_and_can_change_inputs_and_outputs():
    net = out_of_order_net()
    x = dlarray(np.array([[1.0, 0.5], [-2.0, 3.0]], np.float32), "CB")
    seen = []

    def hook(layer, args, call):
        seen.append(layer.Name)
        if layer.Name == "first":
            args = (args[0] * 2,)
        outs = call(layer, args)
        return (outs[0] + 1,) if layer.Name == "second" else outs

    values, states, layers = run(net, (x,), training=False, hook=hook)
    assert seen == list(net.graph.order)
    first, second = net.graph.layer("first"), net.graph.layer("second")
    hidden = first.Weights.data @ (2 * x.data) + first.Bias.data
    assert_allclose(values[("first", "out")].data, hidden, rtol=1e-6)
    assert_allclose(values[("second", "out")].data,
                    second.Weights.data @ hidden + second.Bias.data + 1, rtol=1e-6)
    assert set(layers) == set(net.graph.names) and states == {}
    # the hook may run another layer in place of the network's (initialisation does so)
    zero = second.copy(Weights=dlarray(np.zeros((2, 2), np.float32)))
    values, _, layers = run(net, (x,), training=False,
                            hook=lambda layer, args, call: call(zero if layer.Name == "second" else layer, args))
    assert_allclose(values[("second", "out")].data, np.broadcast_to(host(second.Bias.data), (2, 2)))
    assert layers["second"] is zero


def test_methods_and_their_function_forms_agree_and_refuse_other_objects(capsys):
    net = residual_net()
    X = residual_images()
    assert_array_equal(net.predict(X).data, predict(net, X).data)
    assert_array_equal(net.forward(X, "Outputs", "add")[0].data, forward(net, X, Outputs="add")[0].data)
    net.summary()
    method_text = capsys.readouterr().out
    summary(net)
    assert capsys.readouterr().out == method_text and "Number of learnables" in method_text
    layer = reluLayer(Name="relu")  # has forward, predict and initialize methods of its own, but is no network
    with pytest.raises(TypeError, match="net must be a dlnetwork or TaylorPrunableNetwork; got ReLULayer"):
        forward(layer, X)
    with pytest.raises(TypeError, match="net must be a dlnetwork; got ReLULayer"):
        initialize(layer)
    prunable = taylorPrunableNetwork(small_net())
    assert predict(prunable, images()).shape == (3, 5)
    with pytest.raises(TypeError, match="net must be a dlnetwork; got TaylorPrunableNetwork"):
        summary(prunable)


def test_from_graph_and_the_graph_checks():
    net = residual_net()
    X = residual_images()
    same = dlnetwork.from_graph(net.graph, Initialized=True)
    assert_array_equal(predict(same, X).data, predict(net, X).data)
    assert same.graph is net.graph  # nothing to copy: the graph cannot change
    unset = dlnetwork(residual_net().graph.layers[:3], Initialize=False)
    blank = dlnetwork([imageInputLayer([6, 6, 2], Name="input"), fullyConnectedLayer(2, Name="fc")], Initialize=False)
    with pytest.raises(ValueError, match="layer 'fc' of an initialised network has no Weights"):
        dlnetwork.from_graph(blank.graph, Initialized=True)
    assert not dlnetwork.from_graph(unset.graph).Initialized
    with pytest.raises(TypeError, match="graph must be a NetworkGraph; got list"):
        dlnetwork.from_graph([])
    relu = [reluLayer(Name="a"), reluLayer(Name="b")]
    with pytest.raises(ValueError, match="repeated: \\['a'\\]"):
        NetworkGraph([relu[0], relu[0]], [])
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        NetworkGraph(relu, [(("a", "out"), ("b", "in")), (("b", "out"), ("a", "in"))])
    with pytest.raises(ValueError, match="OutputNames entry 'c'"):
        NetworkGraph(relu, [(("a", "out"), ("b", "in"))], OutputNames="c")
    chosen = NetworkGraph(relu, [(("a", "out"), ("b", "in"))], OutputNames=["a"])
    assert chosen.outputs == (("a", "out"),) and chosen.chosen_output_names == ("a",)
