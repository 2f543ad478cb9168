"""Argument validators shared by every public function, so every refusal reads the same.

Each check returns the value normalised (a Python int, float, tuple, the canonical spelling of
an option) or raises, before anything changes:

- TypeError when the value is of the wrong kind (a string where a number goes, a float array
  where a flag goes),
- ValueError when it is of the right kind but not allowed (0 for a positive integer, 1.5 for a
  probability, a whole-number check failing on 2.5, NaN or Inf anywhere a real number goes).

Every message has one form: ``[<where>: ]<argname> must be <expected>; got <what came>``, with
``where`` (the function) given where the argument's name alone would not say whose it is.

As in MATLAB, where numbers are doubles, a whole float (``3.0``) is an integer; ``True`` and
``False`` are flags, never numbers. This module is at the bottom of the import floors: it
imports only NumPy and the standard library, and every other module may use it.
"""
import math
import numbers

import numpy as np

# MATLAB's numeric class names (OutputCast, DataType, ...) and the NumPy types they are.
NUMERIC_TYPES = {"single": np.float32, "double": np.float64, "logical": np.bool_,
                 "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
                 "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


def is_int(value):
    """An integer that is not a bool (Python's or NumPy's)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def shown(value):
    """What came, for a message: the value itself when short, else its type (and size)."""
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, (str, numbers.Number, np.generic, list, tuple, type(None))):
        text = repr(value)
        if len(text) <= 80:
            return text
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return f"{type(value).__name__} of size {'x'.join(map(str, shape)) or '1x1'}"
    return type(value).__name__


def refuse(error, argname, expected, value, where=None):
    """Raise ``error`` with the common message; ``value`` is what came (any object)."""
    prefix = f"{where}: " if where else ""
    raise error(f"{prefix}{argname} must be {expected}; got {shown(value)}")


def _whole(value):
    """``value`` as an int when it is a whole number (an integer or a whole finite float), else None."""
    if is_int(value):
        return int(value)
    if is_real(value) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def integer(value, argname, low=None, high=None, where=None):
    """A whole number in [low, high] (either end may be None: unbounded)."""
    if low == 1 and high is None:
        expected = "a positive integer"
    elif low == 0 and high is None:
        expected = "a non-negative integer"
    elif low is not None and high is not None:
        expected = f"an integer from {low} to {high}"
    elif low is not None:
        expected = f"an integer >= {low}"
    else:
        expected = "an integer" if high is None else f"an integer <= {high}"
    if not is_real(value):
        refuse(TypeError, argname, expected, value, where)
    whole = _whole(value)
    if whole is None or (low is not None and whole < low) or (high is not None and whole > high):
        refuse(ValueError, argname, expected, value, where)
    return whole


def positive_int(value, argname, where=None):
    return integer(value, argname, low=1, where=where)


def real(value, argname, low=-math.inf, high=math.inf, low_open=False, high_open=False, where=None):
    """A finite real number in the interval from low to high, each end open or closed as asked."""
    if not is_real(value):
        refuse(TypeError, argname, "a real number", value, where)
    if math.isinf(low) and math.isinf(high):
        expected = "a finite real number"
    else:
        opening = "(" if low_open or math.isinf(low) else "["
        closing = ")" if high_open or math.isinf(high) else "]"
        expected = f"in {opening}{low:g}, {high:g}{closing}"
    inside = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not math.isfinite(value) or not inside:
        refuse(ValueError, argname, expected, value, where)
    return float(value)


def _items(value):
    """A scalar or a flat sequence/array as a list (None for what is neither)."""
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (numbers.Number, np.generic)):
        return [value]
    return None


def int_vector(value, argname, length, minimum=1, where=None):
    """A scalar or a vector of ``length`` whole numbers >= minimum; a scalar is repeated (MATLAB's [a a])."""
    kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
    expected = f"a {kind} integer or a vector of {length} of them"
    items = _items(value)
    if items is None or not all(is_real(v) for v in items):
        refuse(TypeError, argname, expected, value, where)
    if len(items) == 1:
        items = items * length
    wholes = [_whole(v) for v in items]
    if len(wholes) != length or any(w is None or w < minimum for w in wholes):
        refuse(ValueError, argname, expected, value, where)
    return tuple(wholes)


def padding(value, argname="Padding", where=None):
    """(PaddingMode, PaddingSize) from MATLAB's Padding argument of a 2-D window.

    "same", a scalar p ([p p p p]), [a b] (a top and bottom, b left and right) or
    [t b l r]. PaddingSize is None in "same" mode: it depends on the input size.
    """
    expected = "'same', a non-negative integer, or a vector of 2 or 4 of them"
    if isinstance(value, str):
        if value.lower() != "same":
            refuse(ValueError, argname, expected, value, where)
        return "same", None
    items = _items(value)
    if items is None or not all(is_real(v) for v in items):
        refuse(TypeError, argname, expected, value, where)
    if len(items) == 2:
        items = [items[0], items[0], items[1], items[1]]
    if len(items) not in (1, 4):
        refuse(ValueError, argname, expected, value, where)
    wholes = [_whole(v) for v in items * (4 // len(items))]
    if any(w is None or w < 0 for w in wholes):
        refuse(ValueError, argname, expected, value, where)
    return "manual", tuple(wholes)


def option(value, argname, allowed, where=None):
    """The canonical spelling of an option string, matched case-insensitively as MATLAB does."""
    expected = "one of " + ", ".join(repr(a) for a in allowed)
    if not isinstance(value, str):
        refuse(TypeError, argname, "a string, " + expected, value, where)
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    refuse(ValueError, argname, expected, value, where)


def flag(value, argname, where=None):
    """MATLAB's logical scalar: True/False (also NumPy's) or the numbers 1 and 0, as a bool."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not is_real(value):
        refuse(TypeError, argname, "True or False", value, where)
    if value not in (0, 1):
        refuse(ValueError, argname, "True or False (or 1 or 0)", value, where)
    return bool(value)


def string(value, argname, where=None):
    if not isinstance(value, str):
        refuse(TypeError, argname, "a string", value, where)
    return value


def numeric_type(value, argname, allowed=tuple(NUMERIC_TYPES), where=None):
    """A MATLAB numeric class name ("single", "double", "uint8", ...), canonical spelling; see NUMERIC_TYPES."""
    return option(value, argname, allowed, where)


def floating(x, argname, where=None):
    """``x`` (any array with a dtype) when it holds single or double values."""
    if x.dtype.kind != "f":
        refuse(TypeError, argname, "single or double", x.dtype, where)
    return x
