"""Shared by the ONNX tests: running a model file in onnxruntime on minidl-layout data, and pruning a net once."""
import numpy as np
import onnxruntime

import minidl
import pruning_nets


def run_onnxruntime(path, X):
    """onnxruntime's output for the "SSCB" or "CB" dlarray X, back in minidl's layout (C x N or H x W x C x N)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = X.data.transpose(3, 2, 0, 1) if X.fmt == "SSCB" else X.data.T
    (y,) = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x)})
    return y.T if y.ndim == 2 else y.transpose(2, 3, 1, 0)


def scores(net, X):
    return minidl.extractdata(minidl.predict(net, X))


def pruned_once(net, X, classes):
    """(prunable network after one updateScore + updatePrunables round, dlnetwork of it), as the seed prunes."""
    T = pruning_nets.targets(X.shape[-1], classes)
    prunable = minidl.updatePrunables(pruning_nets.scored(minidl.taylorPrunableNetwork(net), X, T))
    return prunable, minidl.dlnetwork(prunable)
