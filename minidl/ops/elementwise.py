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
from .shape import reshape_raw, sum_to


def _common_dtype(a, b):
    """MATLAB's result class: single if either is single, else double (logical arithmetic gives double)."""
    return np.float32 if any(x.dtype == np.float32 for x in (a, b)) else np.float64


def _align(a, b):
    """Both operands as dlarrays with data that broadcast, plus the result format."""
    if not isinstance(a, dlarray) and not isinstance(b, dlarray):
        raise TypeError("at least one operand must be a dlarray")
    a = as_dlarray(a, like=b if isinstance(b, dlarray) else None, argname="A")
    b = as_dlarray(b, like=a, argname="B")
    dtype = _common_dtype(a, b)
    a, b = _cast(a, dtype), _cast(b, dtype)
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
    return record(dlarray._wrap(x.data.astype(dtype), x.fmt), (x,),
                  lambda g: (_cast(g, x.dtype) if x.dtype.kind == "f" else None,))


def _binary(a, b, compute, vjp):
    a, b, fmt = _align(a, b)
    try:
        data = compute(a.data, b.data)
    except ValueError as err:
        raise ValueError(f"Arrays have incompatible sizes {a.shape} and {b.shape} "
                         f"(formats {a.fmt or 'none'}): {err}") from None

    def unbroadcast(g, needs):
        # The operands broadcast against each other, so each gradient sums back to its operand's size.
        return tuple(None if gx is None or not need else sum_to(gx, x.shape, x.fmt)
                     for gx, x, need in zip(vjp(g, a, b, needs), (a, b), needs))
    return record(dlarray._wrap(data, fmt), (a, b), unbroadcast, with_needs=True)


def plus(A, B):
    return _binary(A, B, lambda x, y: x + y, lambda g, a, b, needs: (g, g))


def minus(A, B):
    return _binary(A, B, lambda x, y: x - y, lambda g, a, b, needs: (g, -g if needs[1] else None))


def times(A, B):
    # A mask or other constant factor needs no gradient: its product with g is skipped.
    return _binary(A, B, lambda x, y: x * y,
                   lambda g, a, b, needs: (g * b if needs[0] else None, g * a if needs[1] else None))


def rdivide(A, B):
    return _binary(A, B, lambda x, y: x / y,
                   lambda g, a, b, needs: (g / b if needs[0] else None, -(g * a) / (b * b) if needs[1] else None))


def power(A, B):
    def vjp(g, a, b, needs):
        # At a == b == 0 the exponent b - 1 is bumped to 0, so 0 ** -1 never meets the factor b = 0
        # (elsewhere the rule is untouched, second derivatives included).
        both_zero = constant(((a.data == 0) & (b.data == 0)).astype(b.dtype), b.fmt)
        ga = g * b * a ** (b - 1 + both_zero) if needs[0] else None
        if not needs[1]:
            return ga, None
        # d/db = a**b * log(a); at a == 0 that is 0 (for b > 0), so log(1) stands in for log(0).
        zero_a = constant((a.data == 0).astype(a.dtype), a.fmt)
        return ga, g * a ** b * log(a + zero_a)
    return _binary(A, B, lambda x, y: x ** y, vjp)


def _pick(A, B, name, wins):
    """Elementwise fmax/fmin: NaN loses (MATLAB's 'omitnan'); tied entries share the gradient equally."""
    def vjp(g, a, b, needs):
        xp = array_module(a.data)
        share = (wins(a.data, b.data) | xp.isnan(b.data)) + 0.5 * (a.data == b.data)
        mask = constant(xp.broadcast_to(share, g.shape).astype(g.dtype), g.fmt)
        return g * mask, g * (1 - mask)
    return _binary(A, B, lambda x, y: getattr(array_module(x), name)(x, y), vjp)


def maximum(A, B):
    """Elementwise larger value, ignoring NaN as MATLAB's max(A, B) does."""
    return _pick(A, B, "fmax", lambda x, y: x > y)


def minimum(A, B):
    """Elementwise smaller value, ignoring NaN as MATLAB's min(A, B) does."""
    return _pick(A, B, "fmin", lambda x, y: x < y)


def compare(A, B, name):
    """Comparison as a logical dlarray, without derivative."""
    a, b, fmt = _align(A, B)
    xp = array_module(a.data, b.data)
    return constant(getattr(xp, name)(a.data, b.data), fmt)


def _floating(X, name):
    """X as single or double (logical becomes double, as in MATLAB arithmetic)."""
    require_dlarray(X, "X")
    if X.dtype.kind == "b":
        return _cast(X, np.float64)
    if X.dtype.kind != "f":
        raise TypeError(f"{name}: X must be single, double or logical; got {X.dtype}")
    return X


def uminus(X):
    X = _floating(X, "uminus")
    return record(dlarray._wrap(-X.data, X.fmt), (X,), lambda g: (-g,))


def _unary(X, name, fn, vjp):
    """Elementwise function; ``vjp(g, x, y)`` may use the output y."""
    X = _floating(X, name)
    return record(dlarray._wrap(fn(array_module(X.data), X.data), X.fmt), (X,), lambda g, y: (vjp(g, X, y),),
                  with_output=True)


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
