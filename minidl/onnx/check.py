"""check_with_onnxruntime: run an exported ONNX file in onnxruntime and compare it with predict."""
import time

import numpy as np

from ..dlarray import dlarray
from ..network import predict
from ._deps import require
from .export import host

# minidl layout -> ONNX layout, for one format: (H, W, C, N) <-> (N, C, H, W) and (C, N) <-> (N, C)
_TO_ONNX = {"SSCB": (3, 2, 0, 1), "CB": (1, 0)}


def _as_onnx(value, what):
    if not isinstance(value, dlarray) or value.fmt not in _TO_ONNX:
        got = f"format {value.fmt!r}" if isinstance(value, dlarray) else type(value).__name__
        raise TypeError(f"check_with_onnxruntime: {what} must be an 'SSCB' or 'CB' dlarray; got {got}")
    return np.ascontiguousarray(host(value).transpose(_TO_ONNX[value.fmt]))


def _best_time(run, repeats=3):
    """(fastest of ``repeats`` timed runs after one warm-up run, the result)."""
    result = run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def check_with_onnxruntime(net, filename, X):
    """Compare onnxruntime running the ONNX file ``filename`` (exported from ``net``) with predict(net, X).

    ``X``: an "SSCB" (or "CB") dlarray for the network's one input. Returns a dict:
    ``max_abs_difference`` (largest |onnxruntime - predict| over every output value),
    ``argmax_agreement`` (fraction of observations whose highest-scoring channel of the
    first output is the same), ``onnxruntime_seconds`` and ``minidl_seconds`` (the fastest
    of three timed runs of the batch each, after a warm-up run; the session is built beforehand).
    """
    ort = require("onnxruntime")
    x = _as_onnx(X, "X")
    session = ort.InferenceSession(str(filename), providers=["CPUExecutionProvider"])
    if len(session.get_inputs()) != 1:
        raise ValueError(f"check_with_onnxruntime: the model has {len(session.get_inputs())} inputs; it takes one")
    feed = {session.get_inputs()[0].name: x}
    onnxruntime_seconds, theirs = _best_time(lambda: session.run(None, feed))
    minidl_seconds, ours = _best_time(lambda: predict(net, X, Outputs=net.OutputNames))
    if len(ours) != len(theirs):
        raise ValueError(f"check_with_onnxruntime: net has {len(ours)} outputs but the ONNX model has {len(theirs)}")
    ours = [_as_onnx(y, "each output") for y in ours]
    for mine, other in zip(ours, theirs):
        if mine.shape != other.shape:
            raise ValueError(f"check_with_onnxruntime: predict gives size {mine.shape} (ONNX layout) but "
                             f"onnxruntime {other.shape}; is {filename!r} exported from this network?")
    difference = max(float(np.max(np.abs(mine - other))) for mine, other in zip(ours, theirs))
    agreement = float(np.mean(np.argmax(ours[0], axis=1) == np.argmax(theirs[0], axis=1)))
    return {"max_abs_difference": difference, "argmax_agreement": agreement,
            "onnxruntime_seconds": onnxruntime_seconds, "minidl_seconds": minidl_seconds}
