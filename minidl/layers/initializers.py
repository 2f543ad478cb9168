"""Learnable-parameter initialisers with MATLAB's names and formulas, and given-value coercion.

A layer calls ``initial_value`` for each unset learnable. numIn/numOut follow MATLAB:
for a convolution numIn = FH*FW*C and numOut = FH*FW*F, for a fully connected layer
numIn = InputSize and numOut = OutputSize. Values are float32 (MATLAB single) and
live on the device of the example input.
"""
import numpy as np

from ..backend import array_module
from ..dlarray import dlarray
from ..random import resolve


def _glorot(shape, num_in, num_out, gen):
    bound = np.sqrt(6.0 / (num_in + num_out))  # uniform with variance 2/(numIn+numOut)
    return gen.uniform(-bound, bound, size=shape)


def _he(shape, num_in, num_out, gen):
    return gen.normal(0.0, np.sqrt(2.0 / num_in), size=shape)


def _narrow_normal(shape, num_in, num_out, gen):
    return gen.normal(0.0, 0.01, size=shape)


_RULES = {
    "glorot": _glorot,
    "he": _he,
    "narrow-normal": _narrow_normal,
    "zeros": lambda shape, num_in, num_out, gen: np.zeros(shape),
    "ones": lambda shape, num_in, num_out, gen: np.ones(shape),
}
WEIGHTS = ("glorot", "he", "narrow-normal", "zeros", "ones")
BIAS = ("zeros", "narrow-normal", "ones")


def initializer(value, options, argname):
    """Check an initialiser argument: one of ``options`` or a callable ``fn(shape) -> array``."""
    if callable(value):
        return value
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{argname} must be one of {listed} or a function of the size; got {value!r}")
    return value


def initial_value(rule, shape, num_in, num_out, like, generator, argname):
    """A float32 dlarray of ``shape`` from ``rule`` on the device of the dlarray ``like``."""
    shape = tuple(shape)
    if callable(rule):
        data = rule(shape)
        data = data.data if isinstance(data, dlarray) else data
        data = data if hasattr(data, "shape") else np.asarray(data)
    else:
        data = _RULES[rule](shape, num_in, num_out, resolve(generator))
    if tuple(data.shape) != shape:
        raise ValueError(f"{argname} returned an array of size {tuple(data.shape)}; expected {shape}")
    xp = array_module(like.data)
    return dlarray._wrap(xp.asarray(data, dtype=np.float32), "")


def numeric(value, argname):
    """A copy of the array in a given value: floating arrays keep their precision; numbers,
    lists and integer arrays become single, the type of the values MATLAB's layers create."""
    data = value.data if isinstance(value, dlarray) else value
    if not hasattr(data, "dtype"):
        try:
            data = np.asarray(data, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"{argname} must be numeric; got {type(value).__name__}") from None
    if data.dtype.kind not in "fiu":
        raise TypeError(f"{argname} must be numeric; got data of type {data.dtype}")
    # A copy: the layer must not change when the caller later writes into their array.
    return data.copy() if data.dtype.kind == "f" else data.astype(np.float32)


def parameter(value, argname, ndim=None):
    """A given learnable/state value as an unformatted dlarray with ``ndim`` dimensions (None: as given).

    Trailing singleton dimensions are added, as MATLAB drops them (a 5x5x1x1 filter
    bank is 5x5 there).
    """
    if value is None:
        return None
    data = numeric(value, argname)
    if ndim is None:
        return dlarray._wrap(data, "")
    if data.ndim > ndim and any(n != 1 for n in data.shape[ndim:]):
        raise ValueError(f"{argname} must have at most {ndim} dimensions; got size {tuple(data.shape)}")
    data = data.reshape(tuple(data.shape[:ndim]) + (1,) * (ndim - data.ndim))
    return dlarray._wrap(data, "")


def check_size(value, expected, argname, layer):
    """ValueError naming the layer when a given value does not have MATLAB's size."""
    if value is not None and tuple(value.shape) != tuple(expected):
        size = "x".join(str(n) for n in value.shape)
        want = "x".join(str(n) for n in expected)
        raise ValueError(f"Layer {layer.Name!r}: {argname} must be of size {want}; got {size}")
