"""Shape primitives: relabel/reshape, permute, broadcast/sum-to (adjoint pair), index/scatter (adjoint pair)."""
import numpy as np

from .. import validate
from ..autodiff.trace import record
from ..backend import array_module
from ..dlarray import dlarray
from ..formats import canonical, canonical_permutation, labelled_shape
from ..kernels import channels
from ..kernels.scatter import scatter_add
from ._util import require_dlarray


def reshape_raw(x, shape, fmt):
    """Row-major reshape of the data with a new format (internal; no format checks)."""
    shape = tuple(shape)
    if tuple(x.shape) == shape and x.fmt == fmt:
        return x
    return record(dlarray._wrap(x.data.reshape(shape), fmt), (x,), lambda g: (reshape_raw(g, x.shape, x.fmt),),
                  view=True)


def relabel(x, fmt):
    """Same data, new dimension labels (differentiable)."""
    return reshape_raw(x, x.shape, fmt)


def stripdims(X):
    """X without its dimension labels; the data keep their canonical order and trace."""
    return relabel(require_dlarray(X, "X"), "")


def identity(x):
    """A new dlarray with x's value and its own graph node."""
    return record(dlarray._wrap(x.data, x.fmt), (x,), lambda g: (g,), view=True)


def label(x, fmt):
    """dlarray(x, fmt) for a dlarray x: its data, in stored order, labelled by ``fmt`` (differentiable)."""
    padded = reshape_raw(x, labelled_shape(x.shape, fmt), "")
    perm = canonical_permutation(fmt)
    return transpose_raw(padded, perm, canonical(fmt))


def transpose_raw(x, axes, fmt):
    axes = tuple(axes)
    if axes == tuple(range(len(axes))):
        return relabel(x, fmt)
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return record(dlarray._wrap(x.data.transpose(axes), fmt), (x,), lambda g: (transpose_raw(g, inverse, x.fmt),),
                  view=True)


def broadcast_to(x, shape, fmt):
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return relabel(x, fmt)
    xp = array_module(x.data)
    return record(dlarray._wrap(xp.broadcast_to(x.data, shape), fmt), (x,), lambda g: (sum_to(g, x.shape, x.fmt),))


def sum_to(g, shape, fmt):
    """Sum ``g`` down to ``shape`` under NumPy broadcasting rules: un-broadcasts the gradient of a broadcast operand."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return relabel(g, fmt)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    data = g.data.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.data.reshape(shape)
    return record(dlarray._wrap(data, fmt), (g,), lambda h: (broadcast_to(h, g.shape, g.fmt),))


def _raw_key(key):
    """Index key with any dlarray parts replaced by their data."""
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, dlarray) else k for k in key)
    return key.data if isinstance(key, dlarray) else key


def _keeps_dims(key):
    """True when indexing with ``key`` neither drops, adds nor reorders dimensions
    (slices, Ellipsis and at most one 1-D index array or mask)."""
    parts = key if isinstance(key, tuple) else (key,)
    advanced = [k for k in parts if not isinstance(k, slice) and k is not Ellipsis]
    return not advanced or (len(advanced) == 1 and np.ndim(advanced[0]) == 1)


def index(x, key, known=None):
    """x[key] with NumPy indexing; the format survives when no dimension is dropped, added or moved.

    ``known``: a dlarray the caller knows to hold exactly x[key] (a copy of it in another layout, say);
    its data is used instead of x's.
    """
    key = _raw_key(key)
    data = x.data[key] if known is None else known.data
    fmt = x.fmt if x.fmt and _keeps_dims(key) else ""
    return record(dlarray._wrap(data, fmt), (x,), lambda g: (scatter(g, key, x.shape, x.fmt),))


def scatter(g, key, shape, fmt):
    """Zeros of ``shape`` with ``g`` added at ``key`` (repeated indices add up): adjoint of index."""
    out = array_module(g.data).zeros(shape, dtype=g.dtype)
    scatter_add(out, key, g.data)
    return record(dlarray._wrap(out, fmt), (g,), lambda h: (index(h, key),))


def widened(x, axis, kept, size):
    """(``full``, ``x_again``): ``full`` has ``size`` entries along 0-based ``axis``, x's at the sorted
    positions ``kept`` and zeros elsewhere; ``x_again`` is x read back out of ``full`` (x's own data).

    Computation that goes on from ``x_again`` makes ``full`` a value on its path, so a caller can hand
    ``full`` out (a pruned network's activations at their original size) and its gradient is defined,
    while the work stays at x's size. ``full`` keeps x's memory layout.
    """
    key = (slice(None),) * axis + (kept,)
    handed_out = []  # the full-size gradient x_again's rule made, and the gradient it came from

    def widen(g):
        out = record(dlarray._wrap(channels.spread(g.data, axis, kept, size), g.fmt), (g,), lambda h: (index(h, key),))
        handed_out[:] = [out, g]
        return out

    def narrow(g):
        # Unless other uses of full added to it, g is what widen made: reading x's part back gives its input.
        return (handed_out[1],) if handed_out and g is handed_out[0] else (index(g, key),)

    full = record(dlarray._wrap(channels.spread(x.data, axis, kept, size), x.fmt), (x,), narrow)
    return full, record(dlarray._wrap(x.data, x.fmt), (full,), lambda g: (widen(g),))


def concatenate(xs, axis, fmt):
    """Join dlarrays along 0-based ``axis`` (same format, other sizes equal); the gradient is sliced back."""
    xp = array_module(*[x.data for x in xs])
    data = xp.concatenate([x.data for x in xs], axis=axis)
    bounds = np.cumsum([0] + [x.shape[axis] for x in xs])

    def vjp(g):
        return tuple(index(g, tuple(slice(a, b) if d == axis else slice(None) for d in range(g.ndim)))
                     for a, b in zip(bounds[:-1], bounds[1:]))
    return record(dlarray._wrap(data, fmt), tuple(xs), vjp)


def reshape(X, *sz):
    """MATLAB's reshape (column-major, sizes may include one None/[] for "fill") of an unformatted dlarray."""
    require_dlarray(X, "X")
    if X.fmt:
        raise ValueError(f"reshape needs an unformatted dlarray; X has format {X.fmt!r}. Use stripdims(X) first")
    if len(sz) == 1 and isinstance(sz[0], (list, tuple)):
        sz = tuple(sz[0])
    sz = tuple(-1 if s is None or (isinstance(s, list) and not s) else validate.integer(s, "sz", low=0, where="reshape")
               for s in sz)
    reversed_axes = tuple(range(X.ndim))[::-1]
    flat = transpose_raw(X, reversed_axes, "")
    try:
        moved = reshape_raw(flat, tuple(reversed(sz)), "")
    except ValueError as err:
        raise ValueError(f"reshape: cannot reshape X of size {X.shape} to {sz}: {err}") from None
    return transpose_raw(moved, tuple(range(moved.ndim))[::-1], "")


def permute(X, order):
    """MATLAB's permute with a 1-based dimension order, for unformatted dlarrays."""
    require_dlarray(X, "X")
    if X.fmt:
        raise ValueError(f"permute needs an unformatted dlarray; X has format {X.fmt!r}. Use stripdims(X) first")
    order = [validate.integer(k, "order", low=0, where="permute") for k in order]
    if sorted(order) != list(range(1, max(len(order), X.ndim) + 1)) or len(order) < X.ndim:
        raise ValueError(f"order must be a permutation of 1..{X.ndim} (1-based); got {order}")
    data = X if X.ndim == len(order) else reshape_raw(X, X.shape + (1,) * (len(order) - X.ndim), "")
    return transpose_raw(data, [k - 1 for k in order], "")


__all__ = ["reshape", "permute", "relabel", "stripdims"]
