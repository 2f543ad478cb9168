"""The pruning rules table: every layer kind has one row, and a kind without a row blocks safely."""
import numpy as np
from helpers.pruning_nets import build, conv_block, head, image_input, images, inject

import minidl.layers
from minidl.layers import Layer, batchNormalizationLayer, convolution2dLayer, flattenLayer, reluLayer
from minidl.layers.activation import ReLULayer
from minidl.network import dlnetwork, predict
from minidl.ops.shape import index
from minidl.pruning import taylorPrunableNetwork, updatePrunables
from minidl.pruning.rules import PRESERVE, RULES, rule_for
from helpers.device import assert_allclose, assert_array_equal, host


class ChannelReverse(Layer):
    """A custom layer kind pruning has never heard of: channel c of the output is channel C-1-c of the input."""

    Type = "Channel reverse"
    class_name = "ChannelReverse"
    base_name = "reverse"

    def predict(self, X):
        return index(X, (slice(None), slice(None), slice(None, None, -1), slice(None)))


class ChannelHalf(Layer):
    """Keeps the first half of the channels."""

    class_name = "ChannelHalf"

    def predict(self, X):
        return index(X, (slice(None), slice(None), slice(0, X.shape[2] // 2), slice(None)))


class MyReLU(ReLULayer):
    """A subclass of a listed kind: it may compute anything, so it has no row of its own."""


def test_every_layer_kind_minidl_ships_has_a_row():
    kinds = {c for c in vars(minidl.layers).values() if isinstance(c, type) and issubclass(c, Layer) and c is not Layer}
    assert len(kinds) >= 16
    assert [k.__name__ for k in kinds if k not in RULES] == []


def between(middle, filters=(4, 5)):
    """input -> conv1 block -> ``middle`` -> conv2 block -> fc -> softmax."""
    return build([[image_input(6), *conv_block(1, filters[0]), middle, *conv_block(2, filters[1]), *head()]])


def prune_conv1_filter(net, f):
    """updatePrunables with scores that make filter f of conv1 the lowest of all."""
    prunable = taylorPrunableNetwork(net)
    filters = {name: net.graph.layer(name).NumFilters for name in prunable._prunable_layers}
    scores = [np.where(np.arange(n) == f, 0.0, 1.0) if name == "conv1" else np.ones(n) for name, n in filters.items()]
    return updatePrunables(inject(prunable, scores), MaxToPrune=1)


def test_an_unlisted_layer_kind_blocks_what_feeds_it_and_nothing_is_mis_grouped():
    net = between(ChannelReverse(Name="reverse"))
    assert rule_for(net.graph.layer("reverse")).role == "blocks"
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["conv2"] and prunable.NumPrunables == 5 - 1
    X = images(6)
    # conv2's filters still prune, and conv1 with the layers between keeps every channel.
    pruned = updatePrunables(inject(prunable, [np.arange(5.0)]), MaxToPrune=2)
    exported = dlnetwork(pruned)
    by_name = {layer.Name: layer for layer in exported.graph.layers}
    assert (by_name["conv1"].NumFilters, by_name["conv2"].NumChannels, by_name["conv2"].NumFilters) == (4, 4, 3)
    assert_allclose(predict(exported, X).data, predict(pruned, X).data, rtol=1e-5, atol=1e-7)


def test_the_same_layer_listed_wrongly_as_preserving_would_be_mis_grouped(monkeypatch):
    """What the blocking default prevents: channel i after the reversal is not conv1's filter i, so the
    network with the filter masked (what Outputs= runs) and the one without it compute different things."""
    net = between(ChannelReverse(Name="reverse"))
    monkeypatch.setitem(RULES, ChannelReverse, PRESERVE)
    pruned = prune_conv1_filter(net, 0)
    assert pruned._prunable_layers == ["conv1", "conv2"]
    X = images(6)
    masked, exported = host(predict(pruned, X, Outputs="softmax").data), host(predict(dlnetwork(pruned), X).data)
    assert np.abs(masked - exported).max() > 1e-3


def test_a_subclass_of_a_listed_kind_blocks():
    net = between(MyReLU(Name="mine"))
    assert taylorPrunableNetwork(net)._prunable_layers == ["conv2"]


def test_a_row_that_misstates_the_channel_count_blocks(monkeypatch):
    monkeypatch.setitem(RULES, ChannelHalf, PRESERVE)  # preserves, but 4 channels come out as 2
    assert taylorPrunableNetwork(between(ChannelHalf(Name="half")))._prunable_layers == ["conv2"]


def test_batch_norm_after_flatten_loses_the_columns_of_a_pruned_filter():
    """Per-channel values of a 'CB' batch norm are C x 1; a filter owns H*W of those channels."""
    net = build([[image_input(4), convolution2dLayer(3, 3, Padding="same", Name="conv1"), reluLayer(Name="relu1"),
                  flattenLayer(Name="flat"), batchNormalizationLayer(Name="bnflat"), *head()]])
    pruned = prune_conv1_filter(net, 1)
    exported = dlnetwork(pruned)
    bn = exported.graph.layer("bnflat")
    assert bn.Offset.shape == (2 * 16, 1) and bn.TrainedVariance.shape == (2 * 16, 1)
    keep = np.repeat(np.arange(3) != 1, 16)
    assert_array_equal(bn.TrainedMean.data, net.graph.layer("bnflat").TrainedMean.data[keep])
    X = images(4)
    assert_allclose(predict(exported, X).data, predict(pruned, X).data, rtol=1e-5, atol=1e-7)
