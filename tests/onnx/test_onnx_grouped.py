"""Grouped and channel-wise convolution through ONNX: exported networks run the same in onnxruntime, and
Conv nodes with group > 1 import as groupedConvolution2dLayer, prune, and export again."""
import numpy as np
import pytest
from onnx import helper

import minidl
from helpers import pruning_nets
from minidl import exportONNXNetwork, groupedConvolution2dLayer, importNetworkFromONNX
from minidl.layers import globalAveragePooling2dLayer
from helpers.onnx_nets import (bn_initializers, bn_node, const, images, model_file, normal, pruned_once,
                               run_onnxruntime, scores)

TOLERANCE = 1e-5


def grouped_net():
    """Two groups of two channels each, stride 2 and dilation 2: every index of the layout matters."""
    return pruning_nets.build([[pruning_nets.image_input(9, 4),
                                groupedConvolution2dLayer([3, 2], 3, 2, Stride=[2, 1], DilationFactor=[1, 2],
                                                          Padding=[1, 0, 2, 1], Name="g"),
                                globalAveragePooling2dLayer(Name="gap"), *pruning_nets.head()]])


def largest_difference(net, path, X):
    return np.max(np.abs(scores(net, X) - run_onnxruntime(path, X)))


@pytest.mark.parametrize("make", [grouped_net, lambda: pruning_nets.mobilenet_block(1),
                                  lambda: pruning_nets.mobilenet_block(2)])
def test_exported_grouped_networks_run_the_same_in_onnxruntime(tmp_path, make):
    net = make()
    channels = net.Layers[0].InputSize[2]
    X = pruning_nets.images(net.Layers[0].InputSize[0], n=3, channels=channels)
    exportONNXNetwork(net, tmp_path / "net.onnx")
    assert largest_difference(net, tmp_path / "net.onnx", X) < TOLERANCE
    # and back: the imported network computes the same
    assert np.max(np.abs(scores(importNetworkFromONNX(tmp_path / "net.onnx"), X) - scores(net, X))) < TOLERANCE


def test_pruned_mobilenet_block_exports_what_the_masked_network_computes(tmp_path):
    net = pruning_nets.mobilenet_block(2)
    X = pruning_nets.images(8, n=4, channels=3)
    prunable, pruned = pruned_once(net, X, 3)
    assert pruned.Layers[4].NumGroups < net.Layers[4].NumGroups  # the depthwise layer lost whole groups
    exportONNXNetwork(pruned, tmp_path / "pruned.onnx")
    assert np.max(np.abs(scores(prunable, X) - scores(pruned, X))) < TOLERANCE
    assert largest_difference(pruned, tmp_path / "pruned.onnx", X) < TOLERANCE


def test_depthwise_and_grouped_conv_nodes_import_prune_and_export_again(tmp_path):
    """PyTorch's pattern for a MobileNet block: Conv -> BN -> Relu -> depthwise Conv (group = channels) -> Relu ->
    grouped 1x1 Conv (group 2) -> Conv -> GlobalAveragePool -> Flatten -> Gemm."""
    make = helper.make_node
    nodes = [make("Conv", ["input.1", "c1.weight", "c1.bias"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             bn_node("bn1", "c1", "b1"),
             make("Relu", ["b1"], ["r1"]),
             make("Conv", ["r1", "dw.weight", "dw.bias"], ["dw"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=6),
             make("Relu", ["dw"], ["r2"]),
             make("Conv", ["r2", "pw.weight", "pw.bias"], ["pw"], kernel_shape=[1, 1], group=2),
             make("Conv", ["pw", "c3.weight", "c3.bias"], ["c3"], kernel_shape=[1, 1]),
             make("GlobalAveragePool", ["c3"], ["gap"]),
             make("Flatten", ["gap"], ["flat"], axis=1),
             make("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], transB=1)]
    initializers = [const("c1.weight", normal(6, 3, 3, 3)), const("c1.bias", normal(6)), *bn_initializers("bn1", 6),
                    const("dw.weight", normal(6, 1, 3, 3)), const("dw.bias", normal(6)),
                    const("pw.weight", normal(4, 3, 1, 1)), const("pw.bias", normal(4)),
                    const("c3.weight", normal(5, 4, 1, 1)), const("c3.bias", normal(5)),
                    const("fc.weight", normal(5, 5)), const("fc.bias", normal(5))]
    path = model_file(tmp_path, nodes, initializers, (3, 7, 7))
    net = importNetworkFromONNX(path)
    X = images((3, 7, 7))
    assert np.max(np.abs(scores(net, X) - run_onnxruntime(path, X))) < TOLERANCE
    grouped = [layer for layer in net.Layers if isinstance(layer, minidl.layers.GroupedConvolution2DLayer)]
    assert [(g.NumGroups, g.NumChannelsPerGroup, g.NumFiltersPerGroup) for g in grouped] == [(6, 1, 1), (2, 3, 2)]
    # The depthwise layer joins conv1's group, which the 2-group layer blocks, so only the last conv prunes.
    prunable, pruned = pruned_once(net, X, 5)
    assert [layer.NumFilters for layer in pruned.Layers if hasattr(layer, "NumFilters")][0] == 6
    assert pruned.Layers[-3].NumFilters < 5
    exportONNXNetwork(pruned, tmp_path / "pruned.onnx", OpsetVersion=13)
    masked, physical = scores(prunable, X), scores(pruned, X)
    assert np.max(np.abs(masked - physical)) < TOLERANCE
    assert np.max(np.abs(physical - run_onnxruntime(tmp_path / "pruned.onnx", X))) < TOLERANCE


def test_a_conv_group_that_does_not_divide_its_filters_is_refused(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["output"], kernel_shape=[1, 1], group=4)]
    path = tmp_path / "bad.onnx"
    model = helper.make_model(helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", 1, ["N", 4, 3, 3])],
        [helper.make_tensor_value_info("output", 1, ["N", 6, 3, 3])], [const("w", normal(6, 1, 1, 1))]),
        opset_imports=[helper.make_opsetid("", 13)])
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ValueError, match="group=4"):
        importNetworkFromONNX(path)
