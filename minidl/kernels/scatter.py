"""Unbuffered scatter-add (repeated indices accumulate) into a freshly made array."""
import numpy as np

from ..backend import array_module


def scatter_add(out, key, values):
    """out[key] += values with repeats accumulating. ``out`` must be a new array of zeros owned by the caller."""
    if _distinct(key):
        out[key] = values  # into zeros, adding is assigning; np.add.at is about 10x slower
    elif array_module(out) is np:
        np.add.at(out, key, values)
    else:
        import cupyx  # CuPy's spelling of NumPy's add.at
        cupyx.scatter_add(out, key, values)
    return out


def _distinct(key):
    """True when ``key`` reaches no element twice: basic slices, plus at most one host index array (boolean,
    or non-negative integers without repeats: -1 and n - 1 are one element)."""
    parts = key if isinstance(key, tuple) else (key,)
    arrays = [k for k in parts if not (isinstance(k, slice) or k is Ellipsis or k is None)]
    if not arrays:
        return True
    if len(arrays) > 1 or not isinstance(arrays[0], np.ndarray) or arrays[0].ndim != 1:
        return False
    index = arrays[0]
    if index.dtype == bool:
        return True
    if index.dtype.kind not in "iu" or index.size == 0:
        return index.dtype.kind in "iu"
    if index[0] >= 0 and (index[1:] > index[:-1]).all():  # increasing (np.flatnonzero's): no sort needed
        return True
    return index.min() >= 0 and np.unique(index).size == index.size
