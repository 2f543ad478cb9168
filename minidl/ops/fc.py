"""fullyconnect: MATLAB's fully connected operation, weights * flatten(X) + bias."""
import math

from .. import validate
from ..autodiff.trace import record
from ..backend import array_module
from ..dlarray import dlarray
from ._util import as_dlarray
from .matmul import mtimes
from .norm import as_vector, checked_input
from .shape import relabel, reshape_raw, transpose_raw


def fullyconnect(X, weights, bias):
    """Y = weights * reshape(X, InputSize, []) + bias, formatted "CB".

    X is a formatted dlarray with a 'C' dimension, optional 'S' dimensions before it
    and optional 'B' and 'T' after it. All S and C dimensions are flattened into
    InputSize in MATLAB's column-major order: for "SSCB" data of size H x W x C x N
    the 0-based flat index is ``h + w*H + c*H*W``, so MATLAB weights mean the same
    here. B (and T) are kept: the output is "CB" (or "CBT"), with OutputSize channels.
    ``weights`` is OutputSize x InputSize; ``bias`` has OutputSize elements
    (an OutputSize-vector or OutputSize x 1).
    """
    name = "fullyconnect"
    channel = checked_input(X, name, allowed="SCBT")
    W = as_dlarray(weights, like=X, argname="weights")
    validate.floating(W, "weights")
    in_size = math.prod(X.shape[:channel + 1])
    if W.ndim != 2:
        raise ValueError(f"{name}: weights must be an OutputSize x InputSize matrix; got size {W.shape}")
    if W.shape[1] != in_size:
        raise ValueError(f"{name}: weights must have InputSize = {in_size} columns to match X of size {X.shape} "
                         f"(format {X.fmt!r}); got {W.shape[1]} (weights size {W.shape})")
    out_size = W.shape[0]
    b = as_vector(bias, out_size, X, "bias", "one per output of weights")
    kept = X.shape[channel + 1:]
    if len(kept) == 1 and X.data.strides[-1] == max(X.data.strides):
        return _rows_first(X, W, b, channel)
    # Reversing the S and C axes turns MATLAB's column-major flattening into a row-major reshape.
    flipped = transpose_raw(X, tuple(range(channel, -1, -1)) + tuple(range(channel + 1, X.ndim)), "") \
        if channel else relabel(X, "")
    columns = reshape_raw(flipped, (in_size, math.prod(kept)), "")
    Y = mtimes(relabel(W, ""), columns) + reshape_raw(b, (out_size, 1), "")
    return reshape_raw(Y, (out_size,) + kept, "C" + X.fmt[channel + 1:])


def _rows_first(X, W, b, channel):
    """The product for X whose batch axis is outermost in memory (channel-last conv outputs): one row per
    observation, flattened in memory order, against the weights' columns permuted to that order (a copy
    of the small weight matrix instead of the activations; the input gradient comes back in X's layout)."""
    out_size, N = W.shape[0], X.shape[-1]
    memory = sorted(range(channel + 1), key=lambda a: -X.data.strides[a])  # S and C axes in memory order
    rows = reshape_raw(transpose_raw(X, (channel + 1, *memory), ""), (N, W.shape[1]), "")
    # W's columns in MATLAB's order are the row-major flattening of X's S and C axes reversed.
    per_axis = reshape_raw(relabel(W, ""), (out_size, *X.shape[channel::-1]), "")
    W_rows = reshape_raw(transpose_raw(per_axis, (0, *(channel - a + 1 for a in memory)), ""), W.shape, "")
    Y = mtimes(rows, transpose_raw(W_rows, (1, 0), "")) + reshape_raw(b, (1, out_size), "")
    # Y comes back in the plain path's row-major layout, so what follows (losses) sums in the same order.
    Y = transpose_raw(Y, (1, 0), "C" + X.fmt[-1])
    return record(dlarray._wrap(array_module(Y.data).ascontiguousarray(Y.data), Y.fmt), (Y,), lambda g: (g,))
