"""fullyconnect: MATLAB's fully connected operation, weights * flatten(X) + bias."""
import math

from .. import validate
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
    # Reversing the S and C axes turns MATLAB's column-major flattening into a row-major reshape.
    kept = X.shape[channel + 1:]
    flipped = transpose_raw(X, tuple(range(channel, -1, -1)) + tuple(range(channel + 1, X.ndim)), "") \
        if channel else relabel(X, "")
    columns = reshape_raw(flipped, (in_size, math.prod(kept)), "")
    Y = mtimes(relabel(W, ""), columns) + reshape_raw(b, (out_size, 1), "")
    return reshape_raw(Y, (out_size,) + kept, "C" + X.fmt[channel + 1:])
