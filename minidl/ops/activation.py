"""Activations: relu, leakyrelu, sigmoid, softmax (over the channel dimension)."""
from .. import validate
from .._namevalue import namevalue
from ..autodiff.trace import is_recording, record
from ..backend import array_module
from ..dlarray import dlarray
from ..formats import find_dims, parse_format
from ..kernels import relu as relu_kernels
from ._util import constant, require_dlarray
from .reduce import sum_over


def relu(X):
    """max(X, 0); the derivative at 0 is taken as 0."""
    validate.floating(require_dlarray(X, "X"), "X", where="relu")
    # The mask is built only if a gradient is asked for, so predict pays for one pass.
    return record(dlarray._wrap(relu_kernels.forward(X.data), X.fmt), (X,), lambda g: (_relu_gradient(g, X),))


def _relu_gradient(g, X):
    if is_recording() or g.dtype != X.dtype:  # differentiated again, or mixed types: g times a constant mask
        return g * constant((X.data > 0).astype(X.dtype), X.fmt)
    return constant(relu_kernels.backward(g.data, X.data), X.fmt)


def leakyrelu(X, scaleFactor=0.01):
    """X where X > 0, scaleFactor*X elsewhere (MATLAB's default scale 0.01)."""
    validate.floating(require_dlarray(X, "X"), "X", where="leakyrelu")
    validate.real(scaleFactor, "scaleFactor", where="leakyrelu")
    slope = array_module(X.data).where(X.data > 0, 1, scaleFactor).astype(X.dtype)
    return record(dlarray._wrap(X.data * slope, X.fmt), (X,), lambda g: (g * constant(slope, X.fmt),))


def sigmoid(X):
    """1 / (1 + exp(-X)), computed without overflow for large |X|."""
    validate.floating(require_dlarray(X, "X"), "X", where="sigmoid")
    xp = array_module(X.data)
    z = xp.exp(-xp.abs(X.data))
    data = xp.where(X.data >= 0, 1 / (1 + z), z / (1 + z)).astype(X.dtype)
    return record(dlarray._wrap(data, X.fmt), (X,), lambda g, y: (g * y * (1 - y),), with_output=True)


@namevalue
def softmax(X, *, DataFormat=None):
    """Softmax over the 'C' dimension of a formatted dlarray (DataFormat labels an unformatted one)."""
    validate.floating(require_dlarray(X, "X"), "X", where="softmax")
    if X.fmt and DataFormat:
        raise ValueError("softmax: DataFormat is only for unformatted input; X already has format " + repr(X.fmt))
    fmt = X.fmt or parse_format(DataFormat, "DataFormat")
    if not fmt:
        raise ValueError("softmax: X must be formatted with a 'C' dimension (or give DataFormat=...)")
    if len(fmt) < X.ndim:
        raise ValueError(f"softmax: DataFormat {fmt!r} has fewer labels than X has dimensions {X.shape}")
    channel = find_dims(fmt, "C")
    if not channel:
        raise ValueError(f"softmax: X must have a 'C' (channel) dimension; its format is {fmt!r}")
    axis = channel[0]
    xp = array_module(X.data)
    shifted = X.data - X.data.max(axis=axis, keepdims=True)
    e = xp.exp(shifted)
    data = e / e.sum(axis=axis, keepdims=True)
    # dX = Y * (g - sum_c(g * Y)), written with differentiable ops.
    return record(dlarray._wrap(data, X.fmt), (X,), lambda g, y: (y * (g - sum_over(g * y, (axis,))),),
                  with_output=True)
