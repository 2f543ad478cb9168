"""Elementwise arithmetic with MATLAB's format rules, and the unary math functions.

Operands combine as follows: two formatted operands line up by label (a label missing
on one side is a singleton there); a formatted and an unformatted operand line up
MATLAB-style from the first dimension (the unformatted one gets trailing singletons);
two unformatted operands follow NumPy broadcasting.
"""
import numpy as np

from ..autodiff.trace import record
from ..backend import array_module
from ..dlarray import dlarray
from ..formats import broadcast_formats, expanded_shape
from ._util import as_dlarray, constant, require_dlarray
from .shape import reshape_raw


def _common_dtype(a, b):
    kinds = [x.dtype for x in (a, b) if x.dtype.kind == "f"]
    if not kinds:
        return None
    return np.float32 if any(k == np.float32 for k in kinds) else kinds[0]


def _align(a, b):
    """Both operands as dlarrays with data that broadcast, plus the result format."""
    if not isinstance(a, dlarray) and not isinstance(b, dlarray):
        raise TypeError("at least one operand must be a dlarray")
    a = as_dlarray(a, like=b if isinstance(b, dlarray) else None, argname="A")
    b = as_dlarray(b, like=a, argname="B")
    dtype = _common_dtype(a, b)
    if dtype is not None:
        a, b = (_cast(x, dtype) for x in (a, b))
    if a.fmt and b.fmt:
        fmt = broadcast_formats(a.fmt, b.fmt)
        return reshape_raw(a, expanded_shape(a.shape, a.fmt, fmt), fmt), \
            reshape_raw(b, expanded_shape(b.shape, b.fmt, fmt), fmt), fmt
    if a.fmt or b.fmt:
        fmt = a.fmt or b.fmt
        return _pad(a, fmt), _pad(b, fmt), fmt
    return a, b, ""


def _pad(x, fmt):
    if x.fmt:
        return x
    if x.ndim > len(fmt):
        raise ValueError(f"Cannot combine an unformatted array of size {x.shape} with a {fmt!r} dlarray: "
                         f"it has more than {len(fmt)} dimensions")
    return reshape_raw(x, x.shape + (1,) * (len(fmt) - x.ndim), fmt)


def _cast(x, dtype):
    if x.dtype == dtype:
        return x
    return record(x.data.astype(dtype), x.fmt, (x,), lambda g: (_cast(g, x.dtype),))


def _binary(a, b, compute, vjp):
    a, b, fmt = _align(a, b)
    try:
        data = compute(a.data, b.data)
    except ValueError as err:
        raise ValueError(f"Arrays have incompatible sizes {a.shape} and {b.shape} "
                         f"(formats {a.fmt or 'none'}): {err}") from None
    return record(data, fmt, (a, b), lambda g: vjp(g, a, b))


def plus(A, B):
    return _binary(A, B, lambda x, y: x + y, lambda g, a, b: (g, g))


def minus(A, B):
    return _binary(A, B, lambda x, y: x - y, lambda g, a, b: (g, -g))


def times(A, B):
    return _binary(A, B, lambda x, y: x * y, lambda g, a, b: (g * b, g * a))


def rdivide(A, B):
    return _binary(A, B, lambda x, y: x / y, lambda g, a, b: (g / b, -(g * a) / (b * b)))


def power(A, B):
    def vjp(g, a, b):
        ga = g * b * a ** (b - 1)
        # d/db needs log(a); only computed when b is itself traced.
        gb = g * a ** b * log(a) if b._node is not None else None
        return ga, gb
    return _binary(A, B, lambda x, y: x ** y, vjp)


def maximum(A, B):
    """Elementwise larger value; where equal, the gradient goes to A."""
    def vjp(g, a, b):
        mask = constant((a.data >= b.data).astype(g.dtype), g.fmt)
        return g * mask, g * (1 - mask)
    return _binary(A, B, lambda x, y: array_module(x).maximum(x, y), vjp)


def minimum(A, B):
    """Elementwise smaller value; where equal, the gradient goes to A."""
    def vjp(g, a, b):
        mask = constant((a.data <= b.data).astype(g.dtype), g.fmt)
        return g * mask, g * (1 - mask)
    return _binary(A, B, lambda x, y: array_module(x).minimum(x, y), vjp)


def compare(A, B, name):
    """Comparison as a logical dlarray, without derivative."""
    a, b, fmt = _align(A, B)
    xp = array_module(a.data, b.data)
    return constant(getattr(xp, name)(a.data, b.data), fmt)


def uminus(X):
    return record(-X.data, X.fmt, (X,), lambda g: (-g,))


def _unary(X, name, fn, vjp):
    require_dlarray(X, "X")
    if X.dtype.kind != "f":
        raise TypeError(f"{name}: X must be single or double; got {X.dtype}")
    out = record(fn(array_module(X.data), X.data), X.fmt, (X,), None)
    if out._node is not None:
        out._node.vjp = lambda g: (vjp(g, X, out),)
    return out


def exp(X):
    return _unary(X, "exp", lambda xp, x: xp.exp(x), lambda g, x, y: g * y)


def log(X):
    return _unary(X, "log", lambda xp, x: xp.log(x), lambda g, x, y: g / x)


def sqrt(X):
    return _unary(X, "sqrt", lambda xp, x: xp.sqrt(x), lambda g, x, y: g / (2 * y))


def abs(X):
    return _unary(X, "abs", lambda xp, x: xp.abs(x),
                  lambda g, x, y: g * constant(array_module(x.data).sign(x.data), x.fmt))


def tanh(X):
    return _unary(X, "tanh", lambda xp, x: xp.tanh(x), lambda g, x, y: g * (1 - y * y))


def max(X, Y=None, dim=None):
    """MATLAB max: ``max(A, B)`` elementwise, or ``max(X, dim=...)`` a reduction."""
    if Y is not None:
        return maximum(X, Y)
    from .reduce import max_over
    return max_over(X, dim)


def min(X, Y=None, dim=None):
    """MATLAB min: ``min(A, B)`` elementwise, or ``min(X, dim=...)`` a reduction."""
    if Y is not None:
        return minimum(X, Y)
    from .reduce import min_over
    return min_over(X, dim)
