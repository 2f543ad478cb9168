"""importNetworkFromONNX on models written with onnx.helper in the patterns PyTorch's exporter emits,
checked against onnxruntime on the same input, then pruned, exported again and run again."""
import numpy as np
import pytest
from onnx import helper

import minidl
from minidl import dlarray, importNetworkFromONNX
from minidl.onnx import exportONNXNetwork
from helpers.onnx_nets import (RNG, bn_initializers, bn_node, const, images, model_file, normal, pruned_once,
                               run_onnxruntime, scores)
from helpers.device import host

TOLERANCE = 1e-5
def conv_bn_relu_flatten_gemm(tmp_path):
    """Conv (no bias) -> BatchNormalization -> Relu -> MaxPool -> Conv (asymmetric pads) -> Relu -> Flatten -> Gemm."""
    nodes = [
        helper.make_node("Conv", ["input.1", "conv1.weight"], ["/conv1/Conv_output_0"], name="/conv1/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1),
        bn_node("bn1", "/conv1/Conv_output_0", "/bn1/BatchNormalization_output_0"),
        helper.make_node("Relu", ["/bn1/BatchNormalization_output_0"], ["/relu1/Relu_output_0"], name="/relu1/Relu"),
        helper.make_node("MaxPool", ["/relu1/Relu_output_0"], ["/pool/MaxPool_output_0"], name="/pool/MaxPool",
                         kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0),
        helper.make_node("Conv", ["/pool/MaxPool_output_0", "conv2.weight", "conv2.bias"], ["/conv2/Conv_output_0"],
                         name="/conv2/Conv", kernel_shape=[3, 2], pads=[0, 1, 1, 0], strides=[1, 1]),
        helper.make_node("Relu", ["/conv2/Conv_output_0"], ["/relu2/Relu_output_0"], name="/relu2/Relu"),
        helper.make_node("Flatten", ["/relu2/Relu_output_0"], ["/Flatten_output_0"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["/Flatten_output_0", "fc.weight", "fc.bias"], ["output"], name="/fc/Gemm",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    # input 3 x 9 x 7 -> conv1 4 x 9 x 7 -> pool 4 x 4 x 3 -> conv2 (3x2 kernel, pads t0 l1 b1 r0) 5 x 3 x 3
    initializers = [const("conv1.weight", normal(4, 3, 3, 3)), *bn_initializers("bn1", 4),
                    const("conv2.weight", normal(5, 4, 3, 2)), const("conv2.bias", normal(5)),
                    const("fc.weight", normal(6, 5 * 3 * 3)), const("fc.bias", normal(6))]
    return model_file(tmp_path, nodes, initializers, (3, 9, 7)), (3, 9, 7), 6


def residual_concat_reshape_matmul(tmp_path):
    """Conv/Relu, a residual Add, a Concat, AveragePool, x.view(x.size(0), -1) (Shape -> Gather ->
    Unsqueeze -> Concat -> Reshape), MatMul + Add, Dropout, Identity, Softmax."""
    make = helper.make_node
    nodes = [
        make("Conv", ["input.1", "a.weight", "a.bias"], ["a"], name="/a/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        make("Relu", ["a"], ["ra"], name="/a/Relu"),
        make("Conv", ["ra", "b.weight"], ["b"], name="/b/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        bn_node("bnb", "b", "nb"),
        make("Add", ["nb", "ra"], ["sum"], name="/Add"),
        make("Relu", ["sum"], ["rsum"], name="/Relu"),
        make("Conv", ["rsum", "c.weight", "c.bias"], ["c"], name="/c/Conv", kernel_shape=[1, 1]),
        make("Relu", ["c"], ["rc"], name="/c/Relu"),
        make("Identity", ["rc"], ["rc_id"], name="/Identity"),
        make("Concat", ["rsum", "rc_id"], ["cat"], name="/Concat", axis=1),
        make("AveragePool", ["cat"], ["pool"], name="/AveragePool", kernel_shape=[2, 2], strides=[2, 2]),
        make("Dropout", ["pool"], ["drop"], name="/Dropout"),
        make("Shape", ["drop"], ["shape"], name="/Shape"),
        make("Gather", ["shape", "zero"], ["batch"], name="/Gather", axis=0),
        make("Unsqueeze", ["batch", "axes0"], ["batch1"], name="/Unsqueeze"),
        make("Concat", ["batch1", "minus1"], ["target"], name="/Concat_1", axis=0),
        make("Reshape", ["drop", "target"], ["flat"], name="/Reshape"),
        make("MatMul", ["flat", "fc.weight_t"], ["mm"], name="/fc/MatMul"),
        make("Add", ["fc.bias", "mm"], ["logits"], name="/fc/Add"),
        make("Softmax", ["logits"], ["output"], name="/Softmax", axis=1),
    ]
    initializers = [const("a.weight", normal(4, 2, 3, 3)), const("a.bias", normal(4)),
                    const("b.weight", normal(4, 4, 3, 3)), *bn_initializers("bnb", 4),
                    const("c.weight", normal(3, 4, 1, 1)), const("c.bias", normal(3)),
                    const("zero", 0, np.int64), const("axes0", [0], np.int64), const("minus1", [-1], np.int64),
                    const("fc.weight_t", normal(7 * 3 * 3, 5)), const("fc.bias", normal(5))]
    return model_file(tmp_path, nodes, initializers, (2, 6, 6)), (2, 6, 6), 5


@pytest.mark.parametrize("build", [conv_bn_relu_flatten_gemm, residual_concat_reshape_matmul])
def test_imported_models_compute_what_onnxruntime_computes_and_stay_so_when_pruned(tmp_path, build):
    path, shape, classes = build(tmp_path)
    net = importNetworkFromONNX(path)
    X = images(shape)
    assert np.max(np.abs(scores(net, X) - run_onnxruntime(path, X))) < TOLERANCE
    prunable, pruned = pruned_once(net, X, classes)
    before = sum(layer.NumFilters for layer in net.Layers if layer.class_name == "Convolution2DLayer")
    after = sum(layer.NumFilters for layer in pruned.Layers if layer.class_name == "Convolution2DLayer")
    assert after < before  # filters were removed, so the comparison below is not vacuous
    exportONNXNetwork(pruned, tmp_path / "pruned.onnx", OpsetVersion=13)
    masked, physical, runtime = scores(prunable, X), scores(pruned, X), run_onnxruntime(tmp_path / "pruned.onnx", X)
    assert np.max(np.abs(masked - physical)) < TOLERANCE
    assert np.max(np.abs(physical - runtime)) < TOLERANCE


def test_residual_import_groups_the_addition_and_the_concatenation(tmp_path):
    path, _, _ = residual_concat_reshape_matmul(tmp_path)
    net = importNetworkFromONNX(path)
    kinds = {layer.Name: layer.class_name for layer in net.Layers}
    assert kinds["Add"] == "AdditionLayer" and kinds["Concat"] == "DepthConcatenationLayer"
    assert kinds["fc_MatMul"] == "FullyConnectedLayer" and "Shape" not in kinds and "Reshape" not in kinds
    assert kinds["Dropout"] == "DropoutLayer" and "Identity" not in kinds
    # a, b (through the addition) and c (through the concatenation) can all be pruned: 4 + 3 filters
    assert minidl.taylorPrunableNetwork(net).NumPrunables > 0
    fc = next(layer for layer in net.Layers if layer.Name == "fc_MatMul")
    assert fc.InputSize == 63 and np.any(host(fc.Bias.data) != 0)  # the Add became the bias
    _, pruned = pruned_once(net, images((2, 6, 6)), 5)
    filters = {layer.Name: layer.NumFilters for layer in pruned.Layers if layer.class_name == "Convolution2DLayer"}
    assert filters["a_Conv"] == filters["b_Conv"]  # the addition couples them into one group
    assert sum(filters.values()) < 11
    fc = next(layer for layer in pruned.Layers if layer.Name == "fc_MatMul")
    assert fc.InputSize == (filters["a_Conv"] + filters["c_Conv"]) * 9  # the concatenation's channels, 3 x 3 each


def test_imported_network_displays_trains_and_saves(tmp_path):
    path, shape, classes = conv_bn_relu_flatten_gemm(tmp_path)
    net = importNetworkFromONNX(path)
    shown = repr(net.Layers)
    assert "'input_1'" in shown and "'conv1_Conv'" in shown and "Fully Connected" in shown
    assert "Initialized: 1" in repr(net)
    X, T = images(shape, n=8, seed=3), np.eye(classes, dtype=np.float32)[:, np.arange(8) % classes]

    def loss_and_gradients(net, X, T):
        Y, state = minidl.forward(net, X)
        loss = minidl.crossentropy(minidl.softmax(Y), T)
        return loss, minidl.dlgradient(loss, net.Learnables)

    losses, velocity = [], None
    for _ in range(5):
        loss, gradients = minidl.dlfeval(loss_and_gradients, net, X, T)
        losses.append(float(minidl.extractdata(loss)))
        net, velocity = minidl.sgdmupdate(net, gradients, velocity, 0.05)
    assert losses[-1] < losses[0]
    minidl.save(tmp_path / "imported.mat", net=net)
    again = minidl.load(tmp_path / "imported.mat").net
    assert np.array_equal(scores(again, X), scores(net, X))


def _run_small(tmp_path, nodes, initializers, shape, opset=13, output_rank=4):
    path = model_file(tmp_path, nodes, initializers, shape, opset=opset, input_name="x", output_rank=output_rank)
    net = importNetworkFromONNX(path)
    X = images(shape, n=3, seed=4) if len(shape) == 3 else \
        dlarray(np.random.default_rng(4).normal(size=(shape[0], 3)).astype(np.float32), "CB")
    assert np.max(np.abs(scores(net, X) - run_onnxruntime(path, X))) < TOLERANCE
    return net


@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_same_padding_dilation_leaky_relu_and_average_pooling_with_padding(tmp_path, count_include_pad):
    make = helper.make_node
    nodes = [make("Conv", ["x", "w"], ["c"], kernel_shape=[3, 2], strides=[2, 1], auto_pad="SAME_UPPER"),
             make("Conv", ["c", "w2"], ["d"], kernel_shape=[2, 2], dilations=[1, 2], pads=[0, 2, 1, 1]),
             make("LeakyRelu", ["d"], ["l"], alpha=0.1),
             make("AveragePool", ["l"], ["p"], kernel_shape=[3, 3], pads=[1, 0, 1, 1], strides=[1, 2],
                  count_include_pad=count_include_pad),
             make("GlobalAveragePool", ["p"], ["output"])]
    net = _run_small(tmp_path, nodes, [const("w", normal(3, 2, 3, 2)), const("w2", normal(2, 3, 2, 2))], (2, 7, 6))
    assert net.Layers[1].PaddingMode == "same"


def test_input_normalisation_sum_of_three_and_group_normalization(tmp_path):
    make = helper.make_node
    nodes = [make("Sub", ["x", "mean"], ["s"]), make("Div", ["s", "std"], ["z"]),
             make("Conv", ["z", "w1"], ["a"], kernel_shape=[1, 1]), make("Conv", ["z", "w2"], ["b"], kernel_shape=[1, 1]),
             make("Relu", ["a"], ["ra"]), make("Sum", ["a", "b", "ra"], ["t"]),
             make("GroupNormalization", ["t", "gscale", "gbias"], ["output"], num_groups=2, epsilon=1e-5)]
    initializers = [const("mean", normal(1, 2, 1, 1)), const("std", RNG.uniform(0.5, 2, (1, 2, 1, 1))),
                    const("w1", normal(4, 2, 1, 1)), const("w2", normal(4, 2, 1, 1)),
                    const("gscale", RNG.uniform(0.5, 2, 4)), const("gbias", normal(4))]
    net = _run_small(tmp_path, nodes, initializers, (2, 4, 5), opset=21)
    assert net.Layers[0].Normalization == "zscore"
    assert {"AdditionLayer", "GroupNormalizationLayer"} <= {layer.class_name for layer in net.Layers}


def test_feature_input_with_gemm_and_a_constant_reshape(tmp_path):
    make = helper.make_node
    nodes = [make("Gemm", ["x", "w", "b"], ["h"], transB=0, alpha=0.5, beta=2.0), make("Relu", ["h"], ["r"]),
             make("Reshape", ["r", "shape"], ["f"]), make("MatMul", ["f", "w2"], ["output"])]
    initializers = [const("w", normal(5, 4)), const("b", normal(4)), const("shape", [-1, 4], np.int64),
                    const("w2", normal(4, 3))]
    net = _run_small(tmp_path, nodes, initializers, (5,), output_rank=2)
    assert net.Layers[0].class_name == "FeatureInputLayer"


@pytest.mark.parametrize("normalization", ["none", "zerocenter", "zscore", "rescale-zero-one", "rescale-symmetric"])
def test_every_input_normalisation_comes_back_from_its_export(tmp_path, normalization):
    stats = {"zerocenter": dict(Mean=normal(1, 1, 2)), "zscore": dict(Mean=normal(3, 4, 2), StandardDeviation=2.5),
             "rescale-zero-one": dict(Min=-1.5, Max=normal(1, 1, 2) + 2),
             "rescale-symmetric": dict(Min=normal(3, 4, 2) - 2, Max=1.5)}.get(normalization, {})
    net = minidl.dlnetwork([minidl.imageInputLayer([3, 4, 2], Normalization=normalization, **stats),
                            minidl.convolution2dLayer(2, 3), minidl.fullyConnectedLayer(2)])
    exportONNXNetwork(net, tmp_path / "n.onnx")
    again = importNetworkFromONNX(tmp_path / "n.onnx")
    # rescale-zero-one comes back as the zscore with Mean = Min and StandardDeviation = Max - Min it is
    expected = "zscore" if normalization == "rescale-zero-one" else normalization
    assert again.Layers[0].Normalization == expected
    X = images((2, 3, 4), n=3, seed=9)
    assert np.max(np.abs(scores(again, X) - scores(net, X))) < TOLERANCE
    assert np.max(np.abs(run_onnxruntime(tmp_path / "n.onnx", X) - scores(net, X))) < TOLERANCE
