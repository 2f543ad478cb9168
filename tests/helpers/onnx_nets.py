"""Shared by the ONNX tests: running a model file in onnxruntime on minidl-layout data, pruning a net once, and
writing models with onnx.helper in the patterns PyTorch's exporter emits."""
import numpy as np
import onnxruntime
from onnx import TensorProto, checker, helper, numpy_helper, save

import minidl
from minidl import dlarray
from helpers import pruning_nets
from helpers.device import host


def run_onnxruntime(path, X):
    """onnxruntime's output for the "SSCB" or "CB" dlarray X, back in minidl's layout (C x N or H x W x C x N)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    data = host(X.data)  # onnxruntime reads host arrays: the copy a GPU user makes with gather
    x = data.transpose(3, 2, 0, 1) if X.fmt == "SSCB" else data.T
    (y,) = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x)})
    return y.T if y.ndim == 2 else y.transpose(2, 3, 1, 0)


def scores(net, X):
    return host(minidl.extractdata(minidl.predict(net, X)))


def pruned_once(net, X, classes):
    """(prunable network after one updateScore + updatePrunables round, dlnetwork of it), as the seed prunes."""
    T = pruning_nets.targets(X.shape[-1], classes)
    prunable = minidl.updatePrunables(pruning_nets.scored(minidl.taylorPrunableNetwork(net), X, T))
    return prunable, minidl.dlnetwork(prunable)


RNG = np.random.default_rng(7)


def const(name, array, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def normal(*shape, scale=0.5):
    return RNG.normal(0, scale, shape).astype(np.float32)


def model_file(tmp_path, nodes, initializers, input_shape, opset=13, input_name="input.1", output_rank=2):
    output_shape = ["batch_size"] + [f"d{k}" for k in range(1, output_rank)]
    graph = helper.make_graph(nodes, "torch_jit", [helper.make_tensor_value_info(
        input_name, TensorProto.FLOAT, ["batch_size", *input_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, output_shape)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="pytorch")
    model.ir_version = 8
    checker.check_model(model)
    path = tmp_path / f"model{len(list(tmp_path.iterdir()))}.onnx"
    save(model, path)
    return path


def images(shape, n=4, seed=0):
    C, H, W = shape
    return dlarray(np.random.default_rng(seed).normal(size=(H, W, C, n)).astype(np.float32), "SSCB")


def bn_initializers(prefix, channels):
    return [const(f"{prefix}.weight", RNG.uniform(0.5, 1.5, channels)), const(f"{prefix}.bias", normal(channels)),
            const(f"{prefix}.running_mean", normal(channels)),
            const(f"{prefix}.running_var", RNG.uniform(0.5, 1.5, channels))]


def bn_node(prefix, x, y):
    return helper.make_node("BatchNormalization", [x] + [f"{prefix}.{k}" for k in
                            ("weight", "bias", "running_mean", "running_var")], [y], name=f"/{prefix}/BatchNormalization",
                            epsilon=1e-5)
