"""cat: MATLAB's concatenation along a 1-based dimension, for arrays and categoricals."""
from ..backend import array_module
from ..dlarray import dlarray
from ._validate import positive_int
from .categorical import categorical, concatenate


def cat(dim, *arrays):
    """Concatenate along 1-based dimension ``dim``, as MATLAB's ``cat``.

    Every operand is viewed with at least ``max(dim, 2)`` dimensions by adding
    trailing singletons, as MATLAB does: a scalar is 1x1 and a 1-D array of n
    elements is an n x 1 column. So ``cat(4, *images)`` stacks HxW or HxWxC
    images into HxWxCxN and ``cat(2, *labels)`` joins scalar categoricals into
    a 1xN categorical. A single list or tuple argument stands for its elements,
    like ``cat(dim, C{:})``. Operands are NumPy/CuPy arrays (or numbers), or
    all categoricals.
    """
    positive_int(dim, "dim")
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    if not arrays:
        raise ValueError("cat needs at least one array to concatenate; got none")
    if any(isinstance(a, dlarray) for a in arrays):
        raise TypeError("cat joins NumPy/CuPy arrays and categoricals; extract dlarray data with extractdata first")
    is_categorical = [isinstance(a, categorical) for a in arrays]
    if any(is_categorical) and not all(is_categorical):
        raise TypeError("cat cannot mix categoricals with other arrays; convert them with categorical() first")
    if not all(is_categorical):
        xp = array_module(*arrays)
        arrays = [xp.asarray(a) for a in arrays]
    ndim = max(dim, 2, *(a.ndim for a in arrays))
    shapes = [tuple(a.shape) + (1,) * (ndim - a.ndim) for a in arrays]
    _check_consistent(shapes, dim)
    if all(is_categorical):
        return concatenate([categorical._from_codes(a._codes.reshape(s), a._categories)
                            for a, s in zip(arrays, shapes)], dim - 1)
    return xp.concatenate([a.reshape(s) for a, s in zip(arrays, shapes)], axis=dim - 1)


def _check_consistent(shapes, dim):
    reference = [n for d, n in enumerate(shapes[0]) if d != dim - 1]
    for k, shape in enumerate(shapes[1:], start=2):
        if [n for d, n in enumerate(shape) if d != dim - 1] != reference:
            raise ValueError(f"cat along dim {dim}: operand {k} has size {_matlab_size(shape)} but operand 1 "
                             f"has size {_matlab_size(shapes[0])}; all sizes except dim {dim} must agree")


def _matlab_size(shape):
    return "x".join(str(n) for n in shape)
