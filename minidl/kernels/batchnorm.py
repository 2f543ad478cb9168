"""Fused batch-norm passes: training statistics with the apply, the closed-form backward, the inference apply.

The kernels work on (A, C, B) C-contiguous arrays: the data's axes in memory order with the
channel axis in the middle (:class:`Rows` makes them), so the per-channel statistics are sums
over axes 0 and 2 and the outputs keep the input's memory layout (for conv outputs, channel-last
(N, H, W, C) buffers: B = 1). M = A*B values per channel; x_hat = (x - mean)*inv_std.

    forward:  y = x_hat*scale + offset, with the mean and biased variance of each channel
    backward: dx = inv_std/M * (M*dy*scale - sum(dy*scale) - x_hat*sum(dy*scale*x_hat)),
              dscale = sum(dy*x_hat), doffset = sum(dy)
    inference (:func:`normalize`): y = (x - mean)*factor + offset

Each can end with a ReLU (``relu=True``: a batch-norm layer whose output only a ReLU reads), done in
the same pass: the network skips a pass over memory each way and never stores the pre-ReLU values;
the backward masks with the ReLU's output (positive exactly where its input was).

The NumPy versions run their elementwise passes on long-row views (:func:`long_rows`) one
cache-sized range at a time (minidl.kernels.parallel, which may also spread the ranges over threads).
"""
import math
from functools import cache

import numpy as np

from ..backend import array_module
from . import dispatch, parallel
from .sums import folded_sums


class Rows:
    """The (A, C, B) form of arrays shaped like ``x``: axes in x's memory order, C = x's ``channel`` axis."""

    def __init__(self, x, channel):
        self.order = tuple(sorted(range(x.ndim), key=lambda a: -abs(x.strides[a])))  # stable: size-1 ties keep order
        self.inverse = tuple(sorted(range(x.ndim), key=self.order.__getitem__))
        self.shape = tuple(x.shape[a] for a in self.order)
        pos = self.order.index(channel)
        self.rows_shape = (math.prod(self.shape[:pos]), self.shape[pos], math.prod(self.shape[pos + 1:]))

    def rows(self, a):
        """``a`` (shaped like x) as (A, C, B); a copy only where its memory order differs from x's."""
        return array_module(a).ascontiguousarray(a.transpose(self.order)).reshape(self.rows_shape)

    def restore(self, a):
        """An (A, C, B) array back in x's shape (a view)."""
        return a.reshape(self.shape).transpose(self.inverse)


# CUDA C bodies of the CuPy ElementwiseKernels, one thread per element ``i`` of the (A, C, B)
# output (gather form). tests/test_kernels_batchnorm_c.py compiles these strings with the host
# C compiler and compares them with the NumPy code.
APPLY_PARAMS = "raw T x, raw T mean, raw T inv_std, raw T scale, raw T offset, int32 C, int32 B"
APPLY_OUTPUT = "T y"
APPLY_BODY = """
const ptrdiff_t c = (i / B) % C;
y = (x[i] - mean[c]) * inv_std[c] * scale[c] + offset[c];
"""

BACKWARD_PARAMS = ("raw T dy, raw T x, raw T mean, raw T inv_std, raw T scale, raw T sum_dy, raw T sum_dy_xhat, "
                   "T M, int32 C, int32 B")
BACKWARD_OUTPUT = "T dx"
BACKWARD_BODY = """
// sum_dy and sum_dy_xhat are per-channel sums of dy and dy*x_hat; scale is factored out of them.
const ptrdiff_t c = (i / B) % C;
const T xhat = (x[i] - mean[c]) * inv_std[c];
dx = inv_std[c] / M * scale[c] * (M * dy[i] - sum_dy[c] - xhat * sum_dy_xhat[c]);
"""


def _count(x):
    return x.shape[0] * x.shape[2]


# -- NumPy ---------------------------------------------------------------------

_ROW = 2048  # elements per row of the long-row view of channel-last data (measured: 1024-4096 alike)


@cache
def _repeats(A, C):
    """The largest k <= _ROW/C dividing A: (A, C) rows regroup as (A/k, k*C)."""
    return next(k for k in range(max(1, _ROW // C), 0, -1) if A % k == 0)


def long_rows(x):
    """A view of the (A, C, B) array ``x`` with long rows, and ``expand(v)`` broadcasting a (C,) vector over it.

    NumPy broadcasts a per-channel vector against channel-last (A, C) data C elements at a
    time, at a third of a plain pass's speed for C = 20; k channel runs per row, with the
    vector repeated k times, run as one long pass. Same values, same operations.
    """
    A, C, B = x.shape
    if B > 1:
        return x, lambda v: v[:, None]
    k = _repeats(A, C)
    return x.reshape(A // k, k * C), lambda v: np.tile(v, k)


def _range_sums(rows, x_shape, fn):
    """Per-channel sums over the long-row view ``rows``, made range by range: ``fn(start, stop)`` returns
    a tuple of terms for that range, each a tuple of one array (its sums) or two (the sums of their
    product). Each range is folded while it is in cache and the ranges are added in order, so the sums
    do not depend on the thread count. Returns one (C,) sum per term."""
    C, B = x_shape[1], x_shape[2]

    def part(start, stop):
        return [folded_sums(*(t.reshape(-1, C, B) for t in term)) for term in fn(start, stop)]
    parts = parallel.split(part, len(rows), rows.size)
    if len(parts) == 1:
        return parts[0]
    # the ranges' sums folded too, so accuracy does not fall with their number
    return [folded_sums(np.stack([p[k] for p in parts])[:, :, None]) for k in range(len(parts[0]))]


def _relu_mask(t, positive):
    """``t`` overwritten with 1 where ``positive`` holds, else 0 (a float mask: faster to multiply than a bool one)."""
    np.copyto(t, positive)
    return t


def _forward_numpy(x, scale, offset, eps, relu):
    M = _count(x)
    mean = folded_sums(x) / M
    rows, expand = long_rows(x)
    m = expand(mean)
    xc = np.empty_like(rows)

    def centre(start, stop):  # the deviations, and their squares' sums while the range is in cache
        part = np.subtract(rows[start:stop], m, out=xc[start:stop])
        return ((part, part),)
    # two passes (mean, then squared deviations) stay accurate in float32
    var = _range_sums(rows, x.shape, centre)[0] / M
    inv_std = 1 / np.sqrt(var + eps)
    a, b = expand(scale * inv_std), expand(offset)
    y = np.empty_like(rows)
    zeros = np.zeros(rows.shape[1:], rows.dtype) if relu else None

    def apply(start, stop):  # all passes over one range while it is in cache
        out = np.multiply(xc[start:stop], a, out=y[start:stop])
        out += b
        if relu:
            np.maximum(out, zeros, out=out)  # against a row of zeros: NumPy's vector loop (see kernels/relu.py)

    parallel.split(apply, len(rows), rows.size)
    y = y.reshape(x.shape)
    return y, mean, var, (xc.reshape(x.shape), inv_std, y if relu else None)


def _backward_numpy(dy, scale, saved):
    xc, inv_std, relu_output = saved
    M = _count(dy)
    dy_rows, expand = long_rows(dy)
    xc_rows = long_rows(xc)[0]
    relu_rows = None if relu_output is None else long_rows(relu_output)[0]
    dx = np.empty_like(dy_rows)

    def upstream(start, stop):  # dy (zeroed where the fused ReLU's output is not positive) into dx, and its sums
        d, c = dy_rows[start:stop], xc_rows[start:stop]
        if relu_rows is not None:  # its output is positive exactly where its input was (NaN in neither)
            part = relu_rows[start:stop]
            d = np.multiply(_relu_mask(dx[start:stop], part > 0), d, out=dx[start:stop])
        return (d,), (d, c)

    sum_dy, sum_dy_xc = _range_sums(dy_rows, dy.shape, upstream)
    sum_dy_xhat = sum_dy_xc * inv_std
    a = scale * inv_std
    a_row, k1, k0 = expand(a), expand(a * inv_std * sum_dy_xhat / M), expand(a * sum_dy / M)
    d_rows = dx if relu_rows is not None else dy_rows  # the masked dy, where it was made

    def apply(start, stop):
        out = np.multiply(d_rows[start:stop], a_row, out=dx[start:stop])
        out -= xc_rows[start:stop] * k1
        out -= k0

    parallel.split(apply, len(dx), dx.size)
    return dx.reshape(dy.shape), sum_dy_xhat, sum_dy


# -- CuPy ----------------------------------------------------------------------

@cache
def _cupy_kernels():
    import cupy
    return (cupy.ElementwiseKernel(APPLY_PARAMS, APPLY_OUTPUT, APPLY_BODY, "minidl_batchnorm_apply"),
            cupy.ElementwiseKernel(BACKWARD_PARAMS, BACKWARD_OUTPUT, BACKWARD_BODY, "minidl_batchnorm_backward"))


def _forward_cupy(x, scale, offset, eps, relu):
    import cupy
    M = _count(x)
    mean = x.sum(axis=(0, 2)) / M
    var = cupy.square(x - mean[:, None]).sum(axis=(0, 2)) / M
    inv_std = 1 / cupy.sqrt(var + eps)
    y = cupy.empty_like(x)
    _cupy_kernels()[0](x, mean, inv_std, scale, offset, x.shape[1], x.shape[2], y)
    if relu:
        cupy.maximum(y, 0, out=y)
    return y, mean, var, (x, mean, inv_std, y if relu else None)


def _backward_cupy(dy, scale, saved):
    import cupy
    x, mean, inv_std, relu_output = saved
    if relu_output is not None:  # the fused ReLU's gradient first: its output is positive where its input was
        dy = dy * (relu_output > 0).astype(dy.dtype)
    sum_dy = dy.sum(axis=(0, 2))
    sum_dy_xhat = (dy * (x - mean[:, None])).sum(axis=(0, 2)) * inv_std
    dx = cupy.empty_like(dy)
    _cupy_kernels()[1](dy, x, mean, inv_std, scale, sum_dy, sum_dy_xhat, dy.dtype.type(_count(dy)),
                       dy.shape[1], dy.shape[2], dx)
    return dx, sum_dy_xhat, sum_dy


# -- entry points (NumPy or CuPy by the data) ---------------------------------

def forward(x, scale, offset, eps, relu=False):
    """Training-mode batch norm of the (A, C, B) array ``x`` with (C,) ``scale`` and ``offset``, followed by
    ReLU (``max(y, 0)``, in the same pass) if ``relu``.

    Returns ``(y, mean, var, saved)``: y as (A, C, B), the (C,) mean and biased variance, and
    what :func:`backward` needs (with ``relu``, the gradient of both).
    """
    return dispatch.pick(x, _forward_numpy, _forward_cupy)(x, scale, offset, eps, relu)


def normalize(x, mean, factor, offset, relu=False, out=None):
    """``(x - mean)*factor + offset`` per channel of the (A, C, B) array ``x`` (the inference form), then
    ``max(., 0)`` if ``relu``; written into ``out`` (shaped like x, C-contiguous; may be x) if given.

    Same operations in the same order as the composed expression, range by range on long rows.
    """
    if type(x) is not np.ndarray:
        y = (x - mean[:, None]) * factor[:, None] + offset[:, None]
        y = array_module(y).maximum(y, 0) if relu else y
        if out is None:
            return y
        out[...] = y
        return out
    if out is not None and not (out.flags.c_contiguous and out.shape == x.shape):
        raise ValueError(f"normalize: out must be a C-contiguous array of x's shape {x.shape}; got shape "
                         f"{out.shape}, strides {out.strides}")
    rows, expand = long_rows(x)
    m, a, b = expand(mean), expand(factor), expand(offset)
    y = np.empty_like(rows) if out is None else out.reshape(rows.shape)
    zeros = np.zeros(rows.shape[1:], rows.dtype) if relu else None

    def apply(start, stop):
        part = np.subtract(rows[start:stop], m, out=y[start:stop])
        part *= a
        part += b
        if relu:
            np.maximum(part, zeros, out=part)

    parallel.split(apply, len(rows), rows.size)
    return y.reshape(x.shape)


def backward(dy, scale, saved):
    """``(dx, dscale, doffset)`` for the upstream gradient ``dy`` of :func:`forward`'s y (of the ReLU's
    output where forward had ``relu``), same layout."""
    return dispatch.pick(dy, _backward_numpy, _backward_cupy)(dy, scale, saved)
