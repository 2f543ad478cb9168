"""onehotencode / onehotdecode: categorical labels to and from one-hot arrays."""
import numpy as np

from .._namevalue import namevalue
from ..backend import array_module
from ..dlarray import dlarray
from ..validate import NUMERIC_TYPES, numeric_type, positive_int
from .categorical import _UNDEFINED, _category_list, _require, categorical



@namevalue
def onehotencode(A, featureDim, *, ClassNames=None, DataType="double"):
    """One-hot encode categorical ``A`` along 1-based dimension ``featureDim``.

    ``A`` must have size 1 along ``featureDim``, which becomes K = number of
    classes (``ClassNames``, default ``categories(A)``): a 1xN categorical with
    featureDim 1 gives KxN (as MATLAB's mini-batch functions use it), an Nx1 one
    with featureDim 2 gives NxK.
    Undefined labels and labels outside ClassNames encode as NaN vectors, so
    they need a floating DataType ("double" or "single").
    """
    A = _require(A, "A")
    featureDim = positive_int(featureDim, "featureDim")
    DataType = numeric_type(DataType, "DataType")
    classes = A._categories if ClassNames is None else _class_names(ClassNames, "ClassNames")
    codes = A._codes
    codes = codes.reshape(codes.shape + (1,) * (featureDim - codes.ndim))
    axis = featureDim - 1
    if codes.shape[axis] != 1:
        raise ValueError(f"A must have size 1 along featureDim {featureDim}; got size {codes.shape[axis]} "
                         f"(A has shape {A.shape})")
    position = {name: k for k, name in enumerate(classes)}
    to_class = np.array([position.get(name, _UNDEFINED) for name in A._categories] + [_UNDEFINED])
    class_index = to_class[codes]  # code -1 (undefined) picks the trailing _UNDEFINED entry
    grid = np.arange(len(classes)).reshape([-1 if d == axis else 1 for d in range(codes.ndim)])
    encoded = (class_index == grid).astype(NUMERIC_TYPES[DataType])
    unknown = class_index == _UNDEFINED
    if unknown.any():
        if encoded.dtype.kind != "f":
            raise ValueError(f"A has undefined labels or labels outside ClassNames, which encode as NaN; "
                             f"use DataType 'double' or 'single' (got {DataType!r})")
        encoded[np.broadcast_to(unknown, encoded.shape)] = np.nan
    return encoded


def onehotdecode(B, classes, featureDim):
    """Labels of the largest entry of ``B`` along 1-based ``featureDim``; the first maximum wins.

    ``B`` is a NumPy/CuPy array or a dlarray (decoded from its data as stored).
    Returns a categorical with categories ``classes`` and the feature dimension
    kept as a singleton, as MATLAB does: a KxN score matrix gives a 1xN row. NaN
    scores are ignored; an all-NaN vector decodes as undefined.
    """
    classes = _class_names(classes, "classes")
    featureDim = positive_int(featureDim, "featureDim")
    scores = B.data if isinstance(B, dlarray) else B
    if array_module(scores) is not np:
        scores = scores.get()
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"B must be a numeric array or dlarray; got {scores.dtype}")
    scores = scores.reshape(scores.shape + (1,) * (featureDim - scores.ndim))
    axis = featureDim - 1
    if scores.shape[axis] != len(classes):
        raise ValueError(f"B has size {scores.shape[axis]} along featureDim {featureDim} but classes has "
                         f"{len(classes)} names; they must match")
    missing = np.isnan(scores) if scores.dtype.kind == "f" else np.zeros(scores.shape, bool)
    codes = np.argmax(np.where(missing, -np.inf, scores), axis=axis, keepdims=True)
    codes = np.where(missing.all(axis=axis, keepdims=True), _UNDEFINED, codes)
    return categorical._from_codes(codes.astype(np.int64), classes)


def _class_names(classes, argname):
    if isinstance(classes, categorical):
        if (classes._codes == _UNDEFINED).any():
            raise ValueError(f"{argname} must not contain undefined labels")
        classes = classes._names().ravel()
    return _category_list(classes, argname)
