"""exportONNXNetwork, checked by onnxruntime (an independent implementation) against predict."""
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl
from helpers import pruning_nets
from minidl import dlarray, exportONNXNetwork
from minidl.layers import (averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer,
                           dropoutLayer, flattenLayer, fullyConnectedLayer, globalAveragePooling2dLayer,
                           groupNormalizationLayer, imageInputLayer, leakyReluLayer, maxPooling2dLayer, reluLayer,
                           softmaxLayer)
from minidl.onnx import check_with_onnxruntime
from helpers.onnx_nets import pruned_once, run_onnxruntime, scores

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def digits():
    return minidl.load(ROOT / "data" / "digitsCustom.mat").dlnet


def digit_images(n=16, seed=0):
    return dlarray(np.random.default_rng(seed).random((28, 28, 1, n), dtype=np.float32), "SSCB")


def exported(net, tmp_path, **options):
    path = tmp_path / "net.onnx"
    exportONNXNetwork(net, path, **options)
    onnx.checker.check_model(onnx.load(path))
    return path


@pytest.mark.parametrize("opset", [8, 13, 17])
def test_trained_digits_network_runs_the_same_in_onnxruntime(digits, tmp_path, opset):
    path = exported(digits, tmp_path, OpsetVersion=opset)
    X = digit_images()
    theirs, ours = run_onnxruntime(path, X), scores(digits, X)
    assert np.max(np.abs(theirs - ours)) < TOLERANCE
    assert (theirs.argmax(0) == ours.argmax(0)).all()
    model = onnx.load(path)
    assert model.opset_import[0].version == opset
    (graph_input,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    assert graph_input.name == "input" and dims == ["N", 1, 28, 28]  # NCHW, batch size free
    one = digit_images(1, seed=3)
    assert np.max(np.abs(run_onnxruntime(path, one) - scores(digits, one))) < TOLERANCE


def test_digits_network_after_the_seeds_pruning(digits, tmp_path):
    X = digit_images(16)
    prunable, pruned = pruned_once(digits, X, 10)
    assert prunable.NumPrunables == 40  # one round removed 8 filters, as the seed
    assert pruned.Layers[10].InputSize < digits.Layers[10].InputSize
    path = exported(pruned, tmp_path)
    Y = digit_images(16, seed=5)
    assert np.max(np.abs(run_onnxruntime(path, Y) - scores(pruned, Y))) < TOLERANCE
    assert np.max(np.abs(scores(prunable, Y) - scores(pruned, Y))) < TOLERANCE
    report = check_with_onnxruntime(pruned, path, Y)
    assert report["max_abs_difference"] < TOLERANCE and report["argmax_agreement"] == 1.0
    assert report["onnxruntime_seconds"] > 0 and report["minidl_seconds"] > 0


def test_residual_network_with_addition_and_concatenation(tmp_path):
    net = pruning_nets.residual_net()
    X = pruning_nets.images(8, n=5, channels=2)
    path = exported(net, tmp_path)
    assert np.max(np.abs(run_onnxruntime(path, X) - scores(net, X))) < TOLERANCE
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert {"Add", "Concat", "MaxPool", "Gemm"} <= ops
    _, pruned = pruned_once(net, X, 3)
    path = exported(pruned, tmp_path)
    assert np.max(np.abs(run_onnxruntime(path, X) - scores(pruned, X))) < TOLERANCE


def test_a_layer_named_input_and_awkward_names_get_unique_valid_names(tmp_path):
    layers = [imageInputLayer([5, 4, 1], Normalization="zerocenter", Mean=0.5, Name="1 in-put"),
              convolution2dLayer(3, 2, Padding="same", Name="input"), reluLayer(Name="input_normalized"),
              fullyConnectedLayer(3, Name="input_W"), softmaxLayer(Name="out put")]
    net = minidl.dlnetwork(layers)
    path = exported(net, tmp_path)
    graph = onnx.load(path).graph
    names = [t.name for t in graph.initializer] + [o for node in graph.node for o in node.output] + \
        [i.name for i in graph.input]
    assert len(names) == len(set(names))
    assert all(name.isidentifier() for name in names)
    X = dlarray(np.random.default_rng(1).random((5, 4, 1, 3), dtype=np.float32), "SSCB")
    assert np.max(np.abs(run_onnxruntime(path, X) - scores(net, X))) < TOLERANCE


def _statistic(draw, shape):
    kind = draw(st.sampled_from(["scalar", "channel", "element"]))
    size = {"scalar": (1, 1, 1), "channel": (1, 1, shape[2]), "element": shape}[kind]
    seed = draw(st.integers(0, 2 ** 16))
    return np.random.default_rng(seed).uniform(0.2, 1.0, size).astype(np.float32)


@st.composite
def networks(draw):
    """(layers, input size): an image input, one or two convolution blocks, optional pooling, a head."""
    H, W, C = draw(st.integers(5, 9)), draw(st.integers(5, 9)), draw(st.integers(1, 3))
    normalization = draw(st.sampled_from(["none", "zerocenter", "zscore", "rescale-zero-one", "rescale-symmetric"]))
    stats = {}
    if normalization in ("zerocenter", "zscore"):
        stats["Mean"] = _statistic(draw, (H, W, C))
    if normalization == "zscore":
        stats["StandardDeviation"] = _statistic(draw, (H, W, C))
    if normalization.startswith("rescale"):
        stats["Min"] = _statistic(draw, (H, W, C)) - 1
        stats["Max"] = stats["Min"] + 1 + _statistic(draw, (H, W, C))
    layers = [imageInputLayer([H, W, C], Normalization=normalization, **stats)]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    for _ in range(draw(st.integers(1, 2))):
        filters = draw(st.sampled_from([2, 4, 6]))
        padding = draw(st.one_of(st.just("same"), st.lists(st.integers(0, 2), min_size=4, max_size=4)))
        layers.append(convolution2dLayer([draw(st.integers(1, 3)), draw(st.integers(1, 3))], filters,
                                         Stride=[draw(st.integers(1, 2)), draw(st.integers(1, 2))],
                                         DilationFactor=[draw(st.integers(1, 2)), draw(st.integers(1, 2))],
                                         Padding=padding))
        norm = draw(st.sampled_from(["batch", "group", "none"]))
        if norm == "batch":
            layers.append(batchNormalizationLayer(
                Offset=rng.normal(size=filters), Scale=rng.uniform(0.5, 2, filters),
                TrainedMean=rng.normal(size=filters), TrainedVariance=rng.uniform(0.5, 2, filters)))
        elif norm == "group":
            groups = draw(st.sampled_from([1, 2, "all-channels", "channel-wise"]))
            layers.append(groupNormalizationLayer(groups, Offset=rng.normal(size=filters),
                                                  Scale=rng.uniform(0.5, 2, filters)))
        layers.append(draw(st.sampled_from([reluLayer(), leakyReluLayer(0.2)])))
    pool = draw(st.sampled_from(["max", "average", "none"]))
    if pool != "none":
        padding = draw(st.one_of(st.just("same"), st.lists(st.integers(0, 1), min_size=4, max_size=4)))
        options = dict(Stride=draw(st.integers(1, 2)), Padding=padding)
        if pool == "average":
            options["PaddingValue"] = draw(st.sampled_from([0, "mean"]))
        layers.append((maxPooling2dLayer if pool == "max" else averagePooling2dLayer)(2, **options))
    head = draw(st.sampled_from(["fc", "flatten", "global", "image softmax"]))
    if head == "image softmax":
        return layers + [softmaxLayer()], (H, W, C)
    if head == "flatten":
        layers.append(flattenLayer())
    if head == "global":
        layers.append(globalAveragePooling2dLayer())
    return layers + [dropoutLayer(0.3), fullyConnectedLayer(4), softmaxLayer()], (H, W, C)


@settings(max_examples=25)
@given(networks(), st.sampled_from([8, 13, 18, 21]), st.integers(0, 2 ** 16))
def test_drawn_networks_run_the_same_in_onnxruntime_and_import_back(tmp_path_factory, drawn, opset, seed):
    layers, (H, W, C) = drawn
    try:
        net = minidl.dlnetwork(layers)
    except ValueError:
        assume(False)  # a window larger than its input
    X = dlarray(np.random.default_rng(seed).uniform(-1, 2, (H, W, C, 3)).astype(np.float32), "SSCB")
    path = exported(net, tmp_path_factory.mktemp("drawn"), OpsetVersion=opset)
    ours = scores(net, X)
    tolerance = TOLERANCE * max(1, np.max(np.abs(ours)))
    assert np.max(np.abs(run_onnxruntime(path, X) - ours)) < tolerance
    kinds = {layer.class_name for layer in net.Layers}
    # Not imported: group norm written as InstanceNormalization (before opset 21), and softmax over the
    # channels of images written as Transpose -> Softmax -> Transpose (before opset 13).
    if not ("GroupNormalizationLayer" in kinds and opset < 21) and not (ours.ndim == 4 and opset < 13):
        assert np.max(np.abs(scores(minidl.importNetworkFromONNX(path), X) - ours)) < tolerance


def test_export_then_import_gives_back_the_same_network(tmp_path):
    net = pruning_nets.residual_net()
    X = pruning_nets.images(8, n=3, channels=2)
    again = minidl.importNetworkFromONNX(exported(net, tmp_path))
    assert sorted(layer.Name for layer in again.Layers) == sorted(layer.Name for layer in net.Layers)
    assert np.max(np.abs(scores(again, X) - scores(net, X))) < TOLERANCE


def test_feature_input_network(tmp_path):
    net = minidl.dlnetwork([minidl.featureInputLayer(5, Normalization="zscore", Mean=np.arange(5.0).reshape(5, 1),
                                                     StandardDeviation=2.0),
                            fullyConnectedLayer(4), leakyReluLayer(), batchNormalizationLayer(), fullyConnectedLayer(3),
                            softmaxLayer()])
    X = dlarray(np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32), "CB")
    path = exported(net, tmp_path)
    assert np.max(np.abs(run_onnxruntime(path, X) - scores(net, X))) < TOLERANCE
    assert np.max(np.abs(scores(minidl.importNetworkFromONNX(path), X) - scores(net, X))) < TOLERANCE


def test_a_network_on_the_device_exports_what_it_computes_on_the_host(digits, tmp_path):
    """On the strict CuPy stand-in: the learnables are gathered, nothing NumPy-only touches device data."""
    from minidl.autodiff.containers import map_dlarrays
    from minidl.testing_strict import StrictArray, asarray, host_kernels
    with host_kernels():
        on_device = map_dlarrays(digits, lambda x: dlarray._wrap(asarray(x.data), x.fmt))
        assert all(isinstance(value.data, StrictArray) for value in on_device.Learnables.Value)
        path = exported(on_device, tmp_path)
    X = digit_images(8, seed=11)
    assert np.max(np.abs(run_onnxruntime(path, X) - scores(digits, X))) < TOLERANCE
