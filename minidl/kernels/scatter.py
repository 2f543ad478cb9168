"""Unbuffered scatter-add (repeated indices accumulate) into a freshly made array."""
import numpy as np

from ..backend import array_module


def scatter_add(out, key, values):
    """out[key] += values with repeats accumulating. ``out`` must be a new array owned by the caller."""
    if array_module(out) is np:
        np.add.at(out, key, values)
    else:
        import cupyx  # CuPy's spelling of NumPy's add.at
        cupyx.scatter_add(out, key, values)
    return out
