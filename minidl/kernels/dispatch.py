"""The one dispatcher every kernel module uses: the NumPy or the CuPy implementation, by the data."""
import numpy as np

from ..backend import array_module


def pick(data, numpy_version, cupy_version):
    """``numpy_version`` for NumPy data, ``cupy_version`` for CuPy data (looked up by module, so
    minidl.testing_strict can route its stand-in arrays through here in one place)."""
    xp = array_module(data)
    if xp is np:
        return numpy_version
    if xp.__name__ == "cupy":
        return cupy_version
    raise TypeError(f"minidl's kernels exist for NumPy and CuPy arrays only; got {type(data).__name__}")
