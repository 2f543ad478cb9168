"""Argument checks shared by the data pipeline; each names the argument and what it got."""
import numpy as np


def positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer; got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def option(value, name, allowed):
    """The canonical spelling of an option string, matched case-insensitively as MATLAB does."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {_listing(allowed)}; got {type(value).__name__}")
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise ValueError(f"{name} must be one of {_listing(allowed)}; got {value!r}")


def flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


def _listing(allowed):
    return ", ".join(repr(a) for a in allowed)
