"""Bad input to the ONNX functions: clear errors, raised before anything is written."""
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

import minidl
from helpers import pruning_nets
from minidl import exportONNXNetwork, importNetworkFromONNX
from minidl.layers import Layer, fullyConnectedLayer, imageInputLayer, reluLayer
from minidl.onnx import check_with_onnxruntime


class Doubling(Layer):
    """A custom layer with no ONNX mapping."""
    Type = "Doubling"
    class_name = "DoublingLayer"
    base_name = "double"

    def predict(self, X):
        return X * 2


def small_net():
    return minidl.dlnetwork([imageInputLayer([4, 4, 1], Normalization="none", Name="input"), reluLayer(Name="relu"),
                             fullyConnectedLayer(2, Name="fc")])


def model_file(path, nodes, opset=13, initializers=(), rank=4):
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "d1", "d2", "d3"][:rank])
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
                              [output], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    save(model, path)
    return path


def test_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    net = minidl.dlnetwork([imageInputLayer([4, 4, 1], Normalization="none"), Doubling(Name="twice"),
                            reluLayer()])
    target = tmp_path / "net.onnx"
    target.write_bytes(b"previous contents")
    with pytest.raises(ValueError, match=r"no ONNX mapping for layer\(s\) 'twice' \(DoublingLayer\)"):
        exportONNXNetwork(net, target)
    assert target.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]  # no temporary file left behind


def test_export_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="OpsetVersion must be an integer from 8"):
        exportONNXNetwork(small_net(), tmp_path / "a.onnx", OpsetVersion=7)
    with pytest.raises(TypeError, match="OpsetVersion must be an integer from 8"):
        exportONNXNetwork(small_net(), tmp_path / "a.onnx", OpsetVersion="13")
    with pytest.raises(TypeError, match="net must be a dlnetwork"):
        exportONNXNetwork(small_net().Layers, tmp_path / "a.onnx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        exportONNXNetwork(small_net(), tmp_path / "missing" / "a.onnx")
    uninitialised = minidl.dlnetwork([imageInputLayer([4, 4, 1], Normalization="none"), reluLayer()],
                                     Initialize=False)
    with pytest.raises(ValueError, match="not initialized"):
        exportONNXNetwork(uninitialised, tmp_path / "a.onnx")
    assert list(tmp_path.iterdir()) == []


def test_export_overwrites_an_existing_file_atomically(tmp_path):
    target = tmp_path / "net.onnx"
    target.write_bytes(b"old")
    exportONNXNetwork(small_net(), target)
    assert importNetworkFromONNX(target).Layers[-1].OutputSize == 2
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]


def test_unsupported_operators_are_all_listed_at_once(tmp_path):
    path = model_file(tmp_path / "m.onnx", [helper.make_node("Elu", ["x"], ["e"]),
                                            helper.make_node("HardSigmoid", ["e"], ["r"]),
                                            helper.make_node("Relu", ["r"], ["y"])])
    with pytest.raises(ValueError, match="operators minidl does not import: Elu, HardSigmoid "):
        importNetworkFromONNX(path)


def test_missing_truncated_and_random_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        importNetworkFromONNX(tmp_path / "absent.onnx")
    exportONNXNetwork(small_net(), tmp_path / "good.onnx")
    data = (tmp_path / "good.onnx").read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="truncated.onnx' is not a valid ONNX model"):
        importNetworkFromONNX(tmp_path / "truncated.onnx")
    (tmp_path / "random.onnx").write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match="random.onnx' is not a valid ONNX model"):
        importNetworkFromONNX(tmp_path / "random.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match="not a valid ONNX model"):
        importNetworkFromONNX(tmp_path / "empty.onnx")
    with pytest.raises(TypeError, match="filename must be a string or path"):
        importNetworkFromONNX(3)


def test_an_opset_older_than_8_is_refused(tmp_path):
    path = model_file(tmp_path / "old.onnx", [helper.make_node("Relu", ["x"], ["y"])], opset=7)
    with pytest.raises(ValueError, match="uses ONNX opset 7; minidl reads opset 8 and newer"):
        importNetworkFromONNX(path)


@pytest.mark.parametrize("nodes, initializers, rank, message", [
    ([helper.make_node("Reshape", ["x", "s"], ["y"], name="view")],
     [numpy_helper.from_array(np.array([-1, 4, 4], np.int64), "s")], 3,
     "Reshape node 'view': only a constant flattening shape"),
    ([helper.make_node("Conv", ["x", "w"], ["y"], group=1, auto_pad="SAME_LOWER")],
     [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")], 4, "auto_pad='SAME_LOWER' is not supported"),
    ([helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Relu", ["f"], ["y"])], [], 2,
     "imports only when a Gemm or MatMul reads it"),
    ([helper.make_node("Mul", ["x", "x"], ["y"])], [], 4, "operators minidl does not import: Mul"),
    ([helper.make_node("Sub", ["x", "x"], ["y"])], [], 4, "Sub and Div import only as the input normalisation"),
    ([helper.make_node("BatchNormalization", ["x", "one", "zero", "zero", "one"], ["y"], name="bn", epsilon=1e-7)],
     [numpy_helper.from_array(np.ones(1, np.float32), "one"), numpy_helper.from_array(np.zeros(1, np.float32), "zero")],
     4, "BatchNormalization node 'bn': epsilon 1e-07 is below 1e-05"),
])
def test_patterns_minidl_cannot_express_name_the_node(tmp_path, nodes, initializers, rank, message):
    path = model_file(tmp_path / "m.onnx", nodes, initializers=initializers, rank=rank)
    with pytest.raises(ValueError, match=message):
        importNetworkFromONNX(path)


def test_without_onnx_installed_the_functions_say_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "minidl\[onnx\]"'):
        exportONNXNetwork(small_net(), tmp_path / "a.onnx")
    with pytest.raises(ImportError, match=r'pip install "minidl\[onnx\]"'):
        importNetworkFromONNX(tmp_path / "a.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match="'onnxruntime' package"):
        check_with_onnxruntime(small_net(), tmp_path / "a.onnx", pruning_nets.images(4, n=1))
    assert list(tmp_path.iterdir()) == []


def test_check_with_onnxruntime_refuses_a_file_of_another_network(tmp_path):
    exportONNXNetwork(small_net(), tmp_path / "small.onnx")
    other = pruning_nets.chain([2], size=4)
    with pytest.raises(ValueError, match="is .* exported from this network"):
        check_with_onnxruntime(other, tmp_path / "small.onnx", pruning_nets.images(4, n=2))
    with pytest.raises(TypeError, match="X must be an 'SSCB' or 'CB' dlarray"):
        check_with_onnxruntime(small_net(), tmp_path / "small.onnx", np.zeros((4, 4, 1, 2), np.float32))
