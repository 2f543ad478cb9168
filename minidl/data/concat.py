"""cat: MATLAB's concatenation along a 1-based dimension, for arrays, categoricals and dlarrays."""
from ..backend import array_module
from ..dlarray import dlarray
from ..validate import positive_int
from .categorical import categorical, concatenate


def cat(dim, *arrays):
    """Concatenate along 1-based dimension ``dim``, as MATLAB's ``cat``.

    Every operand is viewed with at least ``max(dim, 2)`` dimensions by adding
    trailing singletons, as MATLAB does: a scalar is 1x1 and a 1-D array of n
    elements is an n x 1 column. So ``cat(4, *images)`` stacks HxW or HxWxC
    images into HxWxCxN and ``cat(2, *labels)`` joins scalar categoricals into
    a 1xN categorical. A single list or tuple argument stands for its elements,
    like ``cat(dim, C{:})``. Operands are NumPy/CuPy arrays (or numbers), all
    categoricals, or dlarrays (then the result is a traced dlarray; formatted
    operands must share one format and ``dim`` counts its canonical dimensions).
    """
    positive_int(dim, "dim")
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    if not arrays:
        raise ValueError("cat needs at least one array to concatenate; got none")
    if any(isinstance(a, dlarray) for a in arrays):
        return _cat_dlarrays(dim, arrays)
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


def _cat_dlarrays(dim, arrays):
    from ..ops._util import as_dlarray
    from ..ops.shape import concatenate, reshape_raw
    like = next(a for a in arrays if isinstance(a, dlarray))
    arrays = [as_dlarray(a, like=like, argname=f"operand {k}") for k, a in enumerate(arrays, start=1)]
    formats = {a.fmt for a in arrays}
    if len(formats) > 1:
        raise ValueError(f"cat of dlarrays needs one format for all operands; got {sorted(formats)}")
    fmt = formats.pop()
    if fmt and dim > len(fmt):
        raise ValueError(f"dim {dim} is beyond the {len(fmt)} dimensions of format {fmt!r}")
    ndim = len(fmt) if fmt else max(dim, 2, *(a.ndim for a in arrays))
    shapes = [tuple(a.shape) + (1,) * (ndim - a.ndim) for a in arrays]
    _check_consistent(shapes, dim)
    return concatenate([reshape_raw(a, s, fmt) for a, s in zip(arrays, shapes)], dim - 1, fmt)


def _check_consistent(shapes, dim):
    reference = [n for d, n in enumerate(shapes[0]) if d != dim - 1]
    for k, shape in enumerate(shapes[1:], start=2):
        if [n for d, n in enumerate(shape) if d != dim - 1] != reference:
            raise ValueError(f"cat along dim {dim}: operand {k} has size {_matlab_size(shape)} but operand 1 "
                             f"has size {_matlab_size(shapes[0])}; all sizes except dim {dim} must agree")


def _matlab_size(shape):
    return "x".join(str(n) for n in shape)
