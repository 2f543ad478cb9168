"""ReLU's passes over memory in order: ``max(x, 0)`` and its backward ``g * (x > 0)``.

NumPy's ``maximum(x, 0)`` runs a scalar loop (the 0 is a stride-0 operand); against a row of
zeros it takes the vector loop, 1.8x faster on the digits activations. Data whose axes are a
permutation of one contiguous block (conv outputs in any layout) are processed as (rows, ROW)
views in memory order, one range of rows at a time (minidl.kernels.parallel), and the results
keep x's memory layout, so the next layer's kernels find the layout they were given.
Other layouts take the plain expressions, and so do CuPy arrays (and the strict stand-in).
"""
from functools import cache

import numpy as np

from ..backend import array_module
from . import parallel

ROW = 1024  # elements per row of the memory-order view


@cache
def _zeros(dtype):
    zeros = np.zeros(ROW, dtype)
    zeros.flags.writeable = False
    return zeros


def _in_rows(fn, out, *arrays):
    """``fn(out_part, *parts)`` over (rows, ROW) views of the 1-D ``out`` and ``arrays``, then the tail."""
    head = out.size - out.size % ROW
    views = [a[:head].reshape(-1, ROW) for a in (out,) + arrays]
    parallel.split(lambda start, stop: fn(*(v[start:stop] for v in views)), len(views[0]), head)
    if head < out.size:
        fn(out[head:], *(a[head:] for a in arrays))


def _like(x, *others):
    """(result in x's layout, 1-D memory-order views of it, x and others) or None where they do not line up."""
    out = np.empty_like(x)
    flats = [parallel.memory_order(a) for a in (out, x) + others]
    if any(f is None for f in flats) or not all(_same_layout(a, x) for a in (out,) + others):
        return None
    return out, flats


def _same_layout(a, b):
    """Same shape and the same strides along every axis longer than 1 (elements at the same memory offsets)."""
    return a.shape == b.shape and all(s == t for s, t, n in zip(a.strides, b.strides, a.shape) if n > 1)


def _forward_numpy(x):
    like = _like(x)
    if like is None:
        return np.maximum(x, 0)
    out, (flat_out, flat_x) = like
    zeros = _zeros(x.dtype)
    _in_rows(lambda o, a: np.maximum(a, zeros[:a.shape[-1]], out=o), flat_out, flat_x)
    return out


def _backward_numpy(g, x):
    like = _like(x, g)
    if like is None:
        return g * (x > 0).astype(g.dtype)
    out, (flat_out, flat_x, flat_g) = like
    def masked(o, a, d):  # a float mask times d: 1.6x faster than NumPy's bool-times-float loop
        np.copyto(o, a > 0)
        np.multiply(o, d, out=o)

    _in_rows(masked, flat_out, flat_x, flat_g)
    return out


def forward(x):
    """max(x, 0), in x's memory layout where x is a permutation of a contiguous block."""
    if type(x) is np.ndarray:
        return _forward_numpy(x)
    return array_module(x).maximum(x, 0)


def backward(g, x):
    """The gradient of :func:`forward` for upstream ``g``: g where x > 0, else 0 (also at 0)."""
    if type(g) is np.ndarray and type(x) is np.ndarray:
        return _backward_numpy(g, x)
    return g * (x > 0).astype(g.dtype)
