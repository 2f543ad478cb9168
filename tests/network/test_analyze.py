"""analyzeNetwork and the learnables count (numel over Learnables) against hand-computed sizes of the seed net."""
import numpy as np
import pytest
from helpers.seed import digits_layers

import minidl
from minidl import analyzeNetwork, dlarray, dlnetwork, numel

# conv1 5x5x1x20 + 20, bn 2x20 (x3), conv2/conv3 3x3x20x20 + 20, fc 10 x (24*24*20) + 10
SEED_LEARNABLES = {"conv1": 520, "bn1": 40, "conv2": 3620, "bn2": 40, "conv3": 3620, "bn3": 40, "fc": 115210}


def test_numel_matches_matlab():
    assert numel(dlarray(np.zeros((2, 3, 4)))) == 24 and numel(np.zeros((5,))) == 5 and numel(None) == 0
    assert numel([[1, 2], [3, 4]]) == 4 and numel(3.0) == 1
    assert numel(minidl.categorical(np.array([["a"], ["b"]]))) == 2


def test_analysis_of_the_seed_network(capsys):
    net = dlnetwork(digits_layers())
    analysis = analyzeNetwork(net)
    printed = capsys.readouterr().out
    info = analysis.LayerInfo
    assert list(info.Name) == [layer.Name for layer in net.Layers]
    assert dict((n, c) for n, c in zip(info.Name, info.NumLearnables) if c) == SEED_LEARNABLES
    assert analysis.TotalLearnables == sum(SEED_LEARNABLES.values()) == 123090
    assert analysis.TotalLearnables == sum(numel(v) for v in net.Learnables.Value)  # MATLAB's idiom
    sizes = dict(zip(info.Name, info.ActivationSizes))
    assert sizes["input"] == "28(S) x 28(S) x 1(C) x 1(B)"
    assert sizes["conv1"] == "24(S) x 24(S) x 20(C) x 1(B)"  # 5x5, no padding: 28 - 4
    assert sizes["conv3"] == "24(S) x 24(S) x 20(C) x 1(B)" and sizes["fc"] == "10(C) x 1(B)"
    assert dict(zip(info.Name, info.LearnableSizes))["conv2"] == "Weights 3x3x20x20, Bias 1x1x20"
    assert "Total learnables: 123,090" in printed and "'conv2'" in printed
    assert analyzeNetwork(net, Plots="none").TotalLearnables == 123090 and capsys.readouterr().out == ""


def test_analysis_of_a_pruned_prunable_network():
    net = dlnetwork(digits_layers())
    prunable = minidl.taylorPrunableNetwork(net)
    gen = np.random.default_rng(0)
    X = dlarray(gen.random((28, 28, 1, 16)).astype(np.float32), "SSCB")
    T = dlarray(np.eye(10, dtype=np.float32)[:, gen.integers(0, 10, 16)], "CB")

    def loss_fn(p, X, T):
        Y, _, acts = minidl.forward(p, X)
        loss = minidl.crossentropy(Y, T)
        return loss, acts, minidl.dlgradient(loss, acts)

    _, acts, grads = minidl.dlfeval(loss_fn, prunable, X, T)
    prunable = minidl.updatePrunables(minidl.updateScore(prunable, acts, grads), MaxToPrune=8)
    pruned = dlnetwork(prunable)
    analysis = analyzeNetwork(prunable, Plots="none")
    info = analysis.LayerInfo
    filters = {layer.Name: layer.NumFilters for layer in pruned.Layers if hasattr(layer, "NumFilters")}
    assert dict((n, f) for n, f in zip(info.Name, info.NumPrunedFilters) if f is not None) == \
        {name: 20 - kept for name, kept in filters.items()}
    assert analysis.NumPrunedFilters == 8
    expected_total = sum(numel(v) for v in pruned.Learnables.Value)
    assert analysis.TotalLearnables == expected_total < 123090
    assert analysis.LearnablesReduction == pytest.approx(1 - expected_total / 123090)
    conv2 = list(info.Name).index("conv2")
    # conv2 keeps k2 filters of k1 input channels: 3*3*k1*k2 + k2 of the original 3620
    k1, k2 = filters["conv1"], filters["conv2"]
    assert info.LearnablesReduction[conv2] == pytest.approx(1 - (9 * k1 * k2 + k2) / 3620)
    assert "Pruned filters: 8" in repr(analysis)


def test_bad_input():
    with pytest.raises(TypeError, match="net must be a dlnetwork, a layer array or a TaylorPrunableNetwork"):
        analyzeNetwork("digits")
    with pytest.raises(ValueError, match="Plots must be one of 'analyzer', 'none'"):
        analyzeNetwork(dlnetwork(digits_layers()), Plots="app")


def test_a_layer_array_or_an_uninitialised_network_is_analysed_and_Plots_takes_a_pair(capsys):
    import minidl as m
    layers = [m.imageInputLayer([8, 8, 1], Normalization="none"), m.convolution2dLayer(3, 4), m.reluLayer(),
              m.fullyConnectedLayer(2), m.softmaxLayer()]
    hand = (3 * 3 * 1 * 4 + 4) + (6 * 6 * 4 * 2 + 2)  # conv 3x3x1x4 + bias; fc over the 6x6x4 map
    assert m.analyzeNetwork(layers, "Plots", "none").TotalLearnables == hand
    assert m.analyzeNetwork(m.dlnetwork(layers, Initialize=False), plots="NONE").TotalLearnables == hand
    assert capsys.readouterr().out == ""
