"""Small helpers shared by the ops: operand coercion and name-value checks."""
import numpy as np

from .. import validate
from ..backend import array_module
from ..dlarray import as_array, dlarray


def as_dlarray(x, like=None, argname="X"):
    """x as a dlarray; plain numbers/arrays take the float type of ``like`` (MATLAB: single wins)."""
    if isinstance(x, dlarray):
        return x
    data = as_array(x, argname)
    if like is not None:
        xp = array_module(like.data)
        target = like.dtype if like.dtype.kind == "f" else data.dtype
        if isinstance(x, (int, float, bool, list, tuple)) or data.dtype.kind != "f" or target == np.float32:
            data = xp.asarray(data, dtype=target)
        elif array_module(data) is not xp:  # host data for a device operand moves there, type kept
            data = xp.asarray(data)
    return dlarray._wrap(data)


def require_dlarray(x, argname, where=None):
    if not isinstance(x, dlarray):
        validate.refuse(TypeError, argname, "a dlarray", x, where)
    return x


def constant(data, fmt=""):
    """An untraced dlarray (masks, signs and other values without a derivative)."""
    return dlarray._wrap(data, fmt)
