"""Reductions with MATLAB's dimension rules: sum, mean, max, min over dimensions.

``max``/``min`` also take MATLAB's two-array form, which is elementwise.

``dim`` is 1-based (an int or a list of ints) and keeps the reduced dimensions as
singletons, so formats survive; ``dim="all"`` reduces to an unformatted scalar;
``dim=None`` means MATLAB's default, the first dimension whose size is not 1.
"""
import builtins
import warnings

import numpy as np

from .. import validate
from ..autodiff.trace import record
from ..backend import array_module
from ..dlarray import dlarray
from ..kernels import sums as sum_kernels
from ..threads import compute
from ._util import constant, require_dlarray
from .elementwise import _cast, maximum, minimum
from .shape import broadcast_to, reshape_raw


def _axes(X, dim, name):
    """0-based axes to reduce, and whether the result drops its format (dim='all')."""
    require_dlarray(X, "X")
    if isinstance(dim, str):
        if dim != "all":
            raise ValueError(f"{name}: dim must be a positive integer, a list of them, or 'all'; got {dim!r}")
        return tuple(range(X.ndim)), True
    if dim is None:
        first = next((i for i, n in enumerate(X.shape) if n != 1), 0)
        return ((first,) if X.ndim else ()), False
    dims = [dim] if not isinstance(dim, (list, tuple)) else list(dim)
    dims = [validate.positive_int(d, "dim", where=name) for d in dims]
    # Dimensions past the end are trailing singletons in MATLAB: nothing to reduce there.
    return tuple(sorted({d - 1 for d in dims if d <= X.ndim})), False


def _reduced_shape(X, axes, drop):
    if drop:
        return ()
    return tuple(1 if i in axes else n for i, n in enumerate(X.shape))


def sum_over(X, axes, drop=False):
    """Differentiable sum over 0-based axes; keeps singletons unless ``drop``. Logical sums to double."""
    if X.dtype.kind != "f":
        X = _cast(X, np.float64)
    shape = _reduced_shape(X, axes, drop)
    fmt = "" if drop else X.fmt
    data = X.data.sum(axis=axes, keepdims=True).reshape(shape) if axes else X.data.reshape(shape)
    return record(dlarray._wrap(data, fmt), (X,), lambda g: (broadcast_to(
        reshape_raw(g, _reduced_shape(X, axes, False), X.fmt), X.shape, X.fmt),))


def float64_product_sums(triples):
    """Float64 sums of X*Y (dlarrays of one shape) over every dimension not in ``keep`` (ascending indices),
    for each ``(X, Y, keep)`` of ``triples``: a list of raw arrays of X's device; not recorded (the Taylor
    pruning score: minidl.kernels.sums, all in one pass of the thread pool). Called outside dlfeval
    (updateScore), so it opens minidl.threads.compute for the pool's threads itself."""
    with compute():
        return sum_kernels.float64_product_sums([(X.data, Y.data, keep) for X, Y, keep in triples])


def float64_product_sums_later(X, Y, keep):
    """:func:`float64_product_sums` of one pair, started for the thread pool's idle workers (inside
    dlfeval); returns a function that gives the raw array (minidl.kernels.sums.float64_product_sums_later)."""
    finish = sum_kernels.float64_product_sums_later([(X.data, Y.data, keep)])
    return lambda: finish()[0]


def sum(X, dim=None):
    axes, drop = _axes(X, dim, "sum")
    return sum_over(X, axes, drop)


def mean(X, dim=None):
    axes, drop = _axes(X, dim, "mean")
    count = 1
    for a in axes:
        count *= X.shape[a]
    return sum_over(X, axes, drop) / builtins.max(count, 1)


def _extreme(X, dim, name, pick):
    """max/min over dims, ignoring NaN (MATLAB's default 'omitnan'); ties share the gradient equally."""
    axes, drop = _axes(X, dim, name)
    keep = getattr(X.data, pick)(axis=axes, keepdims=True) if axes else X.data
    xp = array_module(X.data)
    if X.dtype.kind == "f" and axes and xp.isnan(keep).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as in MATLAB
            keep = getattr(xp, "nan" + pick)(X.data, axis=axes, keepdims=True)
    shape = _reduced_shape(X, axes, drop)

    def vjp(g):
        hit = (X.data == keep).astype(g.dtype)
        hit = hit / xp.maximum(hit.sum(axis=axes, keepdims=True), 1) if axes else hit
        spread = broadcast_to(reshape_raw(g, _reduced_shape(X, axes, False), X.fmt), X.shape, X.fmt)
        return (spread * constant(hit, X.fmt),)

    return record(dlarray._wrap(keep.reshape(shape), "" if drop else X.fmt), (X,), vjp)


def max_over(X, dim=None):
    return _extreme(X, dim, "max", "max")


def min_over(X, dim=None):
    return _extreme(X, dim, "min", "min")


def _reduction_or_pair(X, Y, dim, name):
    """True for MATLAB's reduction forms max(X), max(X, [], dim), max(X, dim=...)."""
    if Y is None or (isinstance(Y, (list, tuple)) and len(Y) == 0):
        return True
    if dim is not None:
        raise ValueError(f"{name}: give either a second array or a dimension, not both "
                         f"(use {name}(X, [], dim) for a reduction)")
    return False


def max(X, Y=None, dim=None):
    """MATLAB max: ``max(A, B)`` elementwise, or ``max(X)``, ``max(X, [], dim)``, ``max(X, dim=...)`` a reduction."""
    if _reduction_or_pair(X, Y, dim, "max"):
        return max_over(X, dim)
    return maximum(X, Y)


def min(X, Y=None, dim=None):
    """MATLAB min: ``min(A, B)`` elementwise, or ``min(X)``, ``min(X, [], dim)``, ``min(X, dim=...)`` a reduction."""
    if _reduction_or_pair(X, Y, dim, "min"):
        return min_over(X, dim)
    return minimum(X, Y)
