"""Checking and normalising the name-value arguments of the layer constructors.

Every check raises ValueError (a bad value) or TypeError (a value of the wrong kind)
naming the argument, so a caller sees which of MATLAB's arguments to fix.
"""
import numbers

import numpy as np


def is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _as_list(value, argname):
    """A scalar or a flat sequence/array as a Python list."""
    if isinstance(value, str):
        raise TypeError(f"{argname} must be numeric; got {value!r}")
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def name(value, argname="Name"):
    if not isinstance(value, str):
        raise TypeError(f"{argname} must be a string; got {type(value).__name__}")
    return value


def positive_int(value, argname):
    if not is_int(value) or value < 1:
        raise ValueError(f"{argname} must be a positive integer; got {value!r}")
    return int(value)


def real(value, argname, low=-np.inf, high=np.inf, high_open=False):
    """A real scalar in [low, high] (or [low, high) when ``high_open``)."""
    if not is_real(value) or not np.isfinite(value):
        raise ValueError(f"{argname} must be a finite real number; got {value!r}")
    if value < low or value > high or (high_open and value == high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{argname} must be in [{low:g}, {high:g}{bracket}; got {value!r}")
    return float(value)


def int_vector(value, argname, length, minimum=1):
    """A scalar or a vector of ``length`` integers >= minimum; a scalar is repeated (MATLAB's [a a])."""
    items = _as_list(value, argname)
    if len(items) == 1:
        items = items * length
    if len(items) != length or not all(is_int(v) and v >= minimum for v in items):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{argname} must be a {kind} integer or a vector of {length} of them; got {value!r}")
    return tuple(int(v) for v in items)


def padding(value, argname="Padding"):
    """(PaddingMode, PaddingSize) from MATLAB's Padding argument.

    "same", a scalar p ([p p p p]), [a b] (a top and bottom, b left and right) or
    [t b l r]. PaddingSize is None in "same" mode: it depends on the input size.
    """
    if isinstance(value, str):
        if value != "same":
            raise ValueError(f"{argname} must be 'same' or non-negative integers; got {value!r}")
        return "same", None
    items = _as_list(value, argname)
    if len(items) == 2:
        items = [items[0], items[0], items[1], items[1]]
    return "manual", int_vector(items, argname, 4, minimum=0)


def choice(value, options, argname):
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{argname} must be one of {listed}; got {value!r}")
    return value


def size_or(value, ndim, axis, fallback):
    """Size of ``value`` along ``axis`` when it is an array with ``ndim`` dimensions, else ``fallback``."""
    return value.shape[axis] if getattr(value, "ndim", None) == ndim else fallback


def padding_of(layer):
    """A layer's Padding argument from its PaddingMode and PaddingSize (what copy gives the constructor)."""
    return op_padding(layer.PaddingMode, layer.PaddingSize)


def op_padding(mode, size):
    """The Padding argument of dlconv/maxpool/avgpool for a layer's PaddingMode and PaddingSize."""
    return "same" if mode == "same" else size
