"""Losses: crossentropy (single-label classification) and mse (half mean squared error).

Both return an unformatted scalar dlarray built from differentiable ops.
"""
import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..backend import array_module
from ..formats import find_dims, parse_format
from ._util import as_dlarray, constant, require_dlarray
from .elementwise import log, maximum
from .reduce import sum_over
from .shape import label, reshape_raw


def _predictions(Y, name, need_channel):
    validate.floating(require_dlarray(Y, "Y"), "Y")
    if need_channel and not find_dims(Y.fmt, "C"):
        raise ValueError(f"{name}: Y must be a formatted dlarray with a 'C' (channel) dimension; "
                         f"its format is {Y.fmt!r}")
    if Y.size == 0:
        raise ValueError(f"{name}: Y is empty (size {Y.shape}); it needs at least one observation")
    return Y


def _trimmed(shape):
    """Shape without trailing singletons: MATLAB sizes that differ only there are the same size."""
    shape = list(shape)
    while shape and shape[-1] == 1:
        shape.pop()
    return tuple(shape)


def _targets(T, Y, name):
    """T as a dlarray laid out like Y. An unformatted T is read in Y's dimension order, as MATLAB does."""
    T = as_dlarray(T, like=Y, argname="T")
    validate.floating(T, "T")
    if T.fmt and T.fmt != Y.fmt:
        raise ValueError(f"{name}: T has format {T.fmt!r} but Y has format {Y.fmt!r}; they must match")
    if _trimmed(T.shape) != _trimmed(Y.shape):
        raise ValueError(f"{name}: T must have the same size as Y {Y.shape}; got {T.shape}")
    return reshape_raw(T, Y.shape, Y.fmt)


def _observations(Y):
    """N: the size of the 'B' dimension, or 1 when Y has none (the whole array is one observation)."""
    batch = find_dims(Y.fmt, "B")
    return Y.shape[batch[0]] if batch else 1


def _total(x):
    return sum_over(x, tuple(range(x.ndim)), drop=True)


@namevalue
def crossentropy(Y, T, *, NormalizationFactor="batch", DataFormat=None):
    """Single-label cross-entropy ``-sum(T .* log(Y)) / N`` as an unformatted scalar dlarray.

    Y holds probabilities (e.g. softmax output) formatted with a 'C' dimension (such as
    "CB" or "SSCB"); T the targets (one-hot or soft) of the same size, as a NumPy
    array or a dlarray, formatted like Y or unformatted. Before the log, Y is bounded
    away from zero by clamping it at eps of its class (2.2e-16 for double, 1.2e-7 for
    single), so a zero probability costs -log(eps) instead of infinity; clamped
    entries get no gradient. A NaN in Y gives a NaN loss, as in MATLAB.

    DataFormat labels an unformatted Y (and an unformatted T), e.g. "CB", as MATLAB's
    DataFormat argument does; a formatted Y already carries its labels.

    NormalizationFactor: "batch" (default) divides by the number of observations N
    (size of 'B', 1 if Y has none), "all-elements" by the number of elements of Y,
    "none" not at all. ("mask-included" needs MATLAB's Mask argument, which is not
    implemented.)
    """
    name = "crossentropy"
    if DataFormat is not None:
        Y, T = _labelled(Y, T, DataFormat, name)
    Y = _predictions(Y, name, need_channel=True)
    T = _targets(T, Y, name)
    divisors = {"batch": _observations(Y), "all-elements": Y.size, "none": 1}
    if NormalizationFactor not in divisors:
        raise ValueError(f"{name}: NormalizationFactor must be 'batch', 'all-elements' or 'none'; "
                         f"got {NormalizationFactor!r}")
    floor = float(np.finfo(Y.dtype).eps)
    # maximum ignores NaN (as MATLAB's max), so NaN predictions are put back: a diverged loss must show.
    xp = array_module(Y.data)
    nan_back = constant(xp.where(xp.isnan(Y.data), xp.asarray(np.nan, Y.dtype), xp.asarray(0, Y.dtype)), Y.fmt)
    return -_total(T * (log(maximum(Y, floor)) + nan_back)) / divisors[NormalizationFactor]


def _labelled(Y, T, fmt, name):
    """Y and an unformatted T labelled with DataFormat (differentiable)."""
    require_dlarray(Y, "Y")
    if Y.fmt:
        raise ValueError(f"{name}: DataFormat is only for an unformatted Y; Y has format {Y.fmt!r}")
    fmt = parse_format(fmt, "DataFormat")
    T = as_dlarray(T, like=Y, argname="T")
    return label(Y, fmt), (T if T.fmt else label(T, fmt))


def mse(Y, T):
    """MATLAB's half mean squared error ``sum((Y - T).^2) / (2*N)`` as an unformatted scalar dlarray.

    N is the number of observations: the size of the 'B' dimension when Y has one,
    otherwise 1 (an unformatted Y, or one without 'B', counts as a single observation).
    T has the size of Y, as a NumPy array or dlarray, formatted like Y or unformatted.
    """
    name = "mse"
    Y = _predictions(Y, name, need_channel=False)
    d = Y - _targets(T, Y, name)
    return _total(d * d) / (2 * _observations(Y))

