"""dlnetwork(prunableNet): the masked network equals the exported one, dead filters, groups, blocking."""
import numpy as np
import pytest
from helpers import seed
from helpers.pruning_nets import (build, chain, conv_block, head, image_input, images, residual_net, scored,
                          targets)

from minidl import crossentropy, dlarray, dlfeval, dlgradient
from minidl.io import load, save
from minidl.layers import (additionLayer, convolution2dLayer, flattenLayer, globalAveragePooling2dLayer,
                           groupNormalizationLayer, maxPooling2dLayer, reluLayer)
from minidl.network import dlnetwork, forward, predict
from minidl.network.summary import count_learnables
from minidl.optim import sgdmupdate
from minidl.pruning import taylorPrunableNetwork, updatePrunables
from minidl.table import Table
from helpers.device import assert_allclose, assert_array_equal, host


def edited(net, changes):
    """A copy of ``net`` with learnables replaced: {(layer, parameter): function of the old NumPy value}."""
    table = net.Learnables
    values = [dlarray(changes[(l, p)](v.data.copy())) if (l, p) in changes else v
              for l, p, v in zip(table.Layer, table.Parameter, table.Value)]
    new = dlnetwork(net)
    new.Learnables = Table(Layer=table.Layer, Parameter=table.Parameter, Value=values)
    return new


def dead(index):
    """Zero one filter (last axis of a convolution's Weights, channel axis of a Bias or Offset)."""
    def change(value):
        value[..., index] = 0
        return value
    return change


def value(net, layer, parameter):
    return getattr(net.graph.layer(layer), parameter).data


def prune_rounds(prunable, X, T, rounds, max_to_prune):
    for _ in range(rounds):
        prunable = updatePrunables(scored(prunable, X, T), MaxToPrune=max_to_prune)
    return prunable


def prunable_after(prunable, X, T):
    return prune_rounds(prunable, X, T, rounds=2, max_to_prune=2)


def assert_masked_equals_exported(prunable, X):
    """predict of the prunable network runs the exported one; with Outputs= it runs the masked full network."""
    exported = dlnetwork(prunable)
    assert type(exported) is dlnetwork and exported.Initialized
    assert_array_equal(predict(exported, X).data, predict(prunable, X).data)
    masked = predict(prunable, X, Outputs=exported.OutputNames[0])
    assert_allclose(predict(exported, X).data, masked.data, rtol=1e-5, atol=1e-7)
    return exported


def num_filters(net):
    return {layer.Name: layer.NumFilters for layer in net.graph.layers if layer.class_name == "Convolution2DLayer"}


# -- the seed network -----------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_data():
    return images(28, n=3), targets(n=3, classes=10)


def test_seed_network_masked_equals_exported(seed_data):
    X, T = seed_data
    net = dlnetwork(seed.digits_layers())
    prunable = prune_rounds(taylorPrunableNetwork(net), X, T, rounds=3, max_to_prune=8)
    assert prunable.NumPrunables == 24
    exported = assert_masked_equals_exported(prunable, X)
    filters = num_filters(exported)
    assert sum(filters.values()) == 60 - 24
    assert [layer.Name for layer in exported.graph.layers] == [layer.Name for layer in net.graph.layers]
    by_name = {layer.Name: layer for layer in exported.graph.layers}
    assert by_name["conv2"].NumChannels == filters["conv1"] and by_name["conv3"].NumChannels == filters["conv2"]
    assert by_name["bn3"].NumChannels == filters["conv3"]
    assert by_name["fc"].InputSize == 24 * 24 * filters["conv3"]
    assert exported.State.height == 6


def test_seed_network_dead_filter_removal_changes_nothing(seed_data):
    X, T = seed_data
    net = edited(dlnetwork(seed.digits_layers()), {("conv2", "Weights"): dead(3), ("conv2", "Bias"): dead(3),
                                             ("bn2", "Offset"): dead(3)})
    pruned = updatePrunables(scored(taylorPrunableNetwork(net), X, T), MaxToPrune=1)
    exported = dlnetwork(pruned)
    assert num_filters(exported) == {"conv1": 20, "conv2": 19, "conv3": 20}
    keep = np.arange(20) != 3
    assert_array_equal(value(exported, "conv3", "Weights"), value(net, "conv3", "Weights")[:, :, keep])
    assert_array_equal(value(exported, "bn2", "TrainedVariance"),
                       value(net, "bn2", "TrainedVariance")[:, :, keep])
    assert_allclose(predict(exported, X).data, predict(net, X).data, rtol=1e-5, atol=1e-7)


# -- a residual network with addition and concatenation ------------------------------------
def residual_learnables(kA, kC, kD, kE):
    """Hand count for residual_net with kA filters in convA/convB, kC in convC, kD in convD, kE in convE."""
    return ((9 * 2 * kA + kA) + 2 * kA          # convA, bnA
            + (9 * kA * kA + kA) + 2 * kA       # convB, bnB
            + (kA * kC + kC)                    # convC (1x1)
            + (9 * kA * kD + kD)                # convD
            + (9 * (kC + kD) * kE + kE) + 2 * kE  # convE, bnE
            + 3 * 16 * (kE + kC) + 3)           # fc on 4x4x(kE + kC)


@pytest.fixture(scope="module")
def residual():
    net = edited(residual_net(), {("convA", "Bias"): lambda b: np.arange(6.0).reshape(b.shape) / 10,
                                  ("convB", "Bias"): lambda b: 1 + np.arange(6.0).reshape(b.shape) / 10})
    return net, images(8, n=4, channels=2), targets(n=4)


def test_residual_groups_and_floors(residual):
    net, _, _ = residual
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["convA", "convB", "convC", "convE", "convD"]  # layer order
    assert list(prunable._analysis.groups.values()) == [["convA", "convB"], ["convC"], ["convE"], ["convD"]]
    # Floors 2 (of 6), 1 (of 5), 1 (of 4), 2 (of 7); the addition group counts once.
    assert prunable.NumPrunables == 4 + 4 + 3 + 5


def test_residual_masked_equals_exported_and_groups_keep_the_same_channels(residual):
    net, X, T = residual
    prunable = prune_rounds(taylorPrunableNetwork(net), X, T, rounds=3, max_to_prune=3)
    assert prunable.NumPrunables == 16 - 9
    exported = assert_masked_equals_exported(prunable, X)
    filters = num_filters(exported)
    assert filters["convA"] == filters["convB"]
    # The biases encode the original filter index, so both members must show the same indices.
    kept_a = np.round(host(value(exported, "convA", "Bias")).ravel() * 10).astype(int)
    kept_b = np.round((host(value(exported, "convB", "Bias")).ravel() - 1) * 10).astype(int)
    assert_array_equal(kept_a, kept_b)
    assert_array_equal(value(exported, "convB", "Weights"),
                       value(net, "convB", "Weights")[:, :, kept_a][..., kept_a])
    assert count_learnables(net) == residual_learnables(6, 5, 4, 7) == 1890
    assert count_learnables(exported) == residual_learnables(filters["convA"], filters["convC"], filters["convD"],
                                                             filters["convE"])


def test_residual_dead_filters_in_a_group_and_behind_a_concatenation(residual):
    net, X, T = residual
    net = edited(net, {**{(layer, p): dead(2) for layer in ("convA", "convB") for p in ("Weights", "Bias")},
                       ("bnA", "Offset"): dead(2), ("bnB", "Offset"): dead(2),
                       ("convD", "Weights"): dead(1), ("convD", "Bias"): dead(1)})
    pruned = updatePrunables(scored(taylorPrunableNetwork(net), X, T), MaxToPrune=2)
    exported = dlnetwork(pruned)
    assert num_filters(exported) == {"convA": 5, "convB": 5, "convC": 5, "convD": 3, "convE": 7}
    assert_allclose(predict(exported, X).data, predict(net, X).data, rtol=1e-5, atol=1e-7)


def test_exported_network_saves_loads_and_trains(residual, tmp_path):
    net, X, T = residual
    exported = dlnetwork(prune_rounds(taylorPrunableNetwork(net), X, T, rounds=1, max_to_prune=4))
    save(tmp_path / "pruned.mat", net=exported)
    loaded = load(tmp_path / "pruned.mat").net
    assert_array_equal(predict(loaded, X).data, predict(exported, X).data)

    def loss_and_gradients(n):
        loss = crossentropy(forward(n, X)[0], T)
        return loss, dlgradient(loss, n.Learnables)

    loss, gradients = dlfeval(loss_and_gradients, loaded)
    stepped, _ = sgdmupdate(loaded, gradients, None, 0.01, 0.0)
    assert type(stepped) is dlnetwork
    after, _ = dlfeval(loss_and_gradients, stepped)
    assert float(after.data) < float(loss.data)


# -- blocking and other topologies -----------------------------------------------------------
def test_group_normalisation_blocks_only_its_own_convolution():
    net = build([[image_input(6), convolution2dLayer(3, 4, Padding="same", Name="conv1"),
                  groupNormalizationLayer(2, Name="gn"), reluLayer(Name="relu1"), *conv_block(2, 5), *head()]])
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["conv2"] and prunable.NumPrunables == 4
    X, T = images(6), targets()
    assert len(forward(prunable, X)[2]) == 1
    exported = assert_masked_equals_exported(prunable_after(prunable, X, T), X)
    assert num_filters(exported)["conv1"] == 4 and num_filters(exported)["conv2"] < 5


def test_an_addition_with_the_input_image_blocks_its_convolution():
    net = build([[image_input(6, 3), convolution2dLayer(3, 3, Padding="same", Name="conv1"),
                  additionLayer(2, Name="add"), reluLayer(Name="relu1"), *conv_block(2, 5), *head()]],
                [("input", "add/in2")])
    assert taylorPrunableNetwork(net)._prunable_layers == ["conv2"]


def pool_net():
    """conv -> maxpool -> conv, and conv -> global average pooling -> fc."""
    return build([[image_input(8), convolution2dLayer(3, 5, Padding="same", Name="conv1"), reluLayer(Name="relu1"),
                   maxPooling2dLayer(2, Stride=2, Name="pool"), convolution2dLayer(3, 6, Name="conv2"),
                   reluLayer(Name="relu2"), globalAveragePooling2dLayer(Name="gap"), *head()]])


def flatten_net():
    return build([[image_input(6), convolution2dLayer(3, 4, Name="conv1"), reluLayer(Name="relu1"),
                   flattenLayer(Name="flat"), *head()]])


@pytest.mark.parametrize("make, dead_filters, expected", [
    (pool_net, {"conv1": 1, "conv2": 4}, {"conv1": 4, "conv2": 5}),
    (flatten_net, {"conv1": 2}, {"conv1": 3}),
])
def test_pooling_and_flatten_paths(make, dead_filters, expected):
    X, T = images(make().graph.layers[0].InputSize[0]), targets()
    net = edited(make(), {(layer, p): dead(i) for layer, i in dead_filters.items() for p in ("Weights", "Bias")})
    prunable = taylorPrunableNetwork(net)
    pruned = updatePrunables(scored(prunable, X, T), MaxToPrune=len(dead_filters))
    exported = dlnetwork(pruned)
    assert num_filters(exported) == expected
    assert_allclose(predict(exported, X).data, predict(net, X).data, rtol=1e-5, atol=1e-7)
    assert_masked_equals_exported(prunable_after(pruned, X, T), X)


def test_dlnetwork_of_an_unpruned_network_is_the_network():
    net = chain((3, 4))
    exported = dlnetwork(taylorPrunableNetwork(net))
    assert count_learnables(exported) == count_learnables(net)
    X = images(6)
    assert_array_equal(predict(exported, X).data, predict(net, X).data)
    with pytest.raises(TypeError, match="no other arguments"):
        dlnetwork(taylorPrunableNetwork(net), X)


def test_pruning_stays_on_the_device():
    strict = pytest.importorskip("minidl.testing_strict")
    from minidl.autodiff.containers import map_dlarrays

    def on_device(obj):
        return map_dlarrays(obj, lambda x: dlarray._wrap(strict.asarray(x.data), x.fmt))

    with strict.host_kernels():
        net, X = on_device(residual_net()), on_device(images(8, n=4, channels=2))
        prunable = prune_rounds(taylorPrunableNetwork(net), X, on_device(dlarray(targets(n=4), "CB")),
                                rounds=2, max_to_prune=3)
        exported = dlnetwork(prunable)
        Y = predict(exported, X)
        assert all(isinstance(v.data, strict.StrictArray) for v in exported.Learnables.Value)
        assert isinstance(Y.data, strict.StrictArray)
        assert_allclose(Y.data.get(), predict(prunable, X).data.get(), rtol=1e-5, atol=1e-7)
