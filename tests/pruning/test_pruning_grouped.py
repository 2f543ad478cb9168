"""Pruning through grouped convolution: a depthwise one joins its producer's group, another grouped one blocks."""
import numpy as np
import pytest
from helpers.pruning_nets import build, conv_block, head, image_input, images, inject, mobilenet_block, scored, targets

from minidl import crossentropy, groupedConvolution2dLayer
from minidl.io import load, save
from minidl.layers import convolution2dLayer, reluLayer
from minidl.network import dlnetwork, predict
from minidl.network.summary import count_learnables
from minidl.pruning import compressNetworkUsingTaylorPruning, taylorPrunableNetwork, updatePrunables
from helpers.device import assert_allclose, assert_array_equal


def mobilenet_learnables(k1, kpw, m):
    """Hand count with k1 filters left in conv1 (so k1 depthwise groups) and kpw in the pointwise conv."""
    return ((9 * 3 * k1 + k1) + 2 * k1           # conv1, bn1
            + (9 * 1 * m * k1 + m * k1) + 2 * m * k1  # dw: 3x3x1xm per group, bndw
            + (m * k1 * kpw + kpw) + 2 * kpw     # pointwise 1x1, bnpw
            + 3 * kpw + 3)                       # fc


def masked_equals_exported(prunable, X):
    exported = dlnetwork(prunable)
    assert_allclose(predict(exported, X).data, predict(prunable, X).data, rtol=1e-5, atol=1e-6)
    return exported


@pytest.mark.parametrize("m", [1, 2])
def test_depthwise_groups_follow_their_producer(m):
    net = mobilenet_block(m)
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["conv1", "convpw"]
    assert list(prunable._analysis.groups.values()) == [["conv1"], ["convpw"]]
    assert prunable.NumPrunables == (6 - 2) + (8 - 2)
    assert count_learnables(net) == mobilenet_learnables(6, 8, m)
    # conv1 loses filters 1 and 4, the pointwise convolution 0 and 5.
    scores = [np.where(np.isin(np.arange(6), [1, 4]), 0.0, 1.0), np.where(np.isin(np.arange(8), [0, 5]), 0.0, 1.0)]
    pruned = updatePrunables(inject(prunable, scores), MaxToPrune=4)
    exported = masked_equals_exported(pruned, images(8, channels=3))
    assert count_learnables(exported) == mobilenet_learnables(4, 6, m)
    keep = np.isin(np.arange(6), [1, 4], invert=True)
    dw, dw0 = exported.graph.layer("dw"), net.graph.layer("dw")
    assert (dw.NumGroups, dw.NumChannelsPerGroup, dw.NumFiltersPerGroup) == (4, 1, m)
    assert_array_equal(dw.Weights.data, dw0.Weights.data[..., keep])
    assert_array_equal(dw.Bias.data, dw0.Bias.data[..., keep])
    # Group g's m outputs are channels g*m ... g*m+m-1: the batch norm after it loses whole blocks.
    assert_array_equal(exported.graph.layer("bndw").TrainedMean.data,
                       net.graph.layer("bndw").TrainedMean.data[:, :, np.repeat(keep, m)])
    assert exported.graph.layer("convpw").NumChannels == 4 * m


def test_real_scores_over_rounds_and_the_pruned_network_saves(tmp_path):
    X, T = images(8, channels=3), targets()
    prunable = taylorPrunableNetwork(mobilenet_block(2, seed=3))
    for _ in range(3):
        prunable = updatePrunables(scored(prunable, X, T), MaxToPrune=3)
    assert prunable.NumPrunables == 10 - 9
    exported = masked_equals_exported(prunable, X)
    filters = {name: exported.graph.layer(name).NumFilters for name in ("conv1", "convpw")}
    assert sum(filters.values()) == 14 - 9
    assert count_learnables(exported) == mobilenet_learnables(filters["conv1"], filters["convpw"], 2)
    save(tmp_path / "pruned.mat", net=exported)
    assert_array_equal(predict(load(tmp_path / "pruned.mat").net, X).data, predict(exported, X).data)


def test_compress_prunes_through_the_depthwise_convolution():
    X, T = images(8, n=8, channels=3), targets(n=8)
    net = mobilenet_block()
    pruned, info = compressNetworkUsingTaylorPruning(net, (X, T), crossentropy, LearnablesReductionGoal=0.2,
                                                     NumImportanceScoreIterations=1, NumFineTuningIterations=1,
                                                     MiniBatchSize=4, generator=np.random.default_rng(0))
    assert info.StopReason == "LearnablesReductionGoal"
    dw = pruned.graph.layer("dw")
    assert dw.NumGroups == pruned.graph.layer("conv1").NumFilters == pruned.graph.layer("convpw").NumChannels
    assert count_learnables(pruned) == mobilenet_learnables(dw.NumGroups, pruned.graph.layer("convpw").NumFilters, 1)
    assert set(info.PrunedLayerNames) <= {"conv1", "convpw"} and info.PrunedLayerNames


def test_a_grouped_convolution_with_several_channels_per_group_blocks_its_producer():
    net = build([[image_input(6), *conv_block(1, 6), groupedConvolution2dLayer(3, 2, 3, Padding="same", Name="g"),
                  reluLayer(Name="relug"), *conv_block(2, 5), *head()]])
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["conv2"]
    pruned = updatePrunables(inject(prunable, [np.arange(5.0)]), MaxToPrune=2)
    exported = masked_equals_exported(pruned, images(6))
    g = exported.graph.layer("g")
    assert (g.NumGroups, g.NumChannelsPerGroup, g.NumFiltersPerGroup) == (3, 2, 2)
    assert exported.graph.layer("conv2").NumChannels == 6 and exported.graph.layer("conv2").NumFilters == 3


def test_a_depthwise_convolution_on_the_input_image_prunes_nothing_upstream():
    net = build([[image_input(6, 3), groupedConvolution2dLayer(3, 2, "channel-wise", Name="dw"),
                  convolution2dLayer(1, 4, Name="pw"), reluLayer(Name="relu"), *head()]])
    prunable = taylorPrunableNetwork(net)
    assert prunable._prunable_layers == ["pw"]
    exported = masked_equals_exported(updatePrunables(inject(prunable, [np.arange(4.0)]), MaxToPrune=3), images(6, 4, 3))
    assert exported.graph.layer("dw").NumGroups == 3 and exported.graph.layer("pw").NumFilters == 1
