"""kernels.dispatch.pick: NumPy data get the NumPy kernel; data of an unknown array library a clear error."""
import types

import numpy as np
import pytest

from minidl.kernels import dispatch


def test_numpy_data_pick_the_numpy_version_and_others_are_refused():
    assert dispatch.pick(np.zeros(2), "numpy", "cupy") == "numpy"

    class Foreign:
        __array_namespace_module__ = types.SimpleNamespace(__name__="jaxlike")
    with pytest.raises(TypeError, match="NumPy and CuPy arrays only; got Foreign"):
        dispatch.pick(Foreign(), "numpy", "cupy")
