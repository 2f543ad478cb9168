"""scores2label: class labels (and their scores) from prediction scores, as MATLAB (R2024a)."""
import numpy as np

from .. import validate
from ..backend import array_module
from ..dlarray import dlarray
from .categorical import categorical
from .onehot import onehotdecode


def scores2label(scores, classNames, dim="auto"):
    """``labels, topScores = scores2label(scores, classNames, dim="auto")``.

    The label of the highest score along the channel dimension ``dim`` (1-based): the "C" dimension of a
    formatted dlarray; for other scores, "auto" picks the one dimension of size ``len(classNames)`` whose
    entries sum to one (an error when there is not exactly one). That dimension is kept with size 1, as
    in MATLAB: an N x K score matrix (minibatchpredict's) gives an N x 1 categorical, a K x N one 1 x N.
    ``topScores`` has the labels' size. Both outputs are always returned (Python has no nargout).
    """
    if isinstance(scores, dlarray):
        data, fmt = scores.data, scores.fmt
    else:
        data, fmt = scores, ""
    if array_module(data) is not np:
        data = data.get()
    data = np.asarray(data)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"scores must be a numeric array or dlarray; got {data.dtype}")
    data = data.reshape(data.shape + (1,) * (2 - data.ndim))
    count = classNames.size if isinstance(classNames, categorical) else np.size(classNames)
    if isinstance(dim, str):
        validate.option(dim, "dim", ("auto",), where="scores2label")
        dim = fmt.index("C") + 1 if "C" in fmt else _channel_dim(data, count)
    else:
        dim = validate.integer(dim, "dim", 1, data.ndim, where="scores2label")
    labels = onehotdecode(data, classNames, int(dim))
    kept = data.shape[:dim - 1] + (1,) + data.shape[dim:]
    top = np.max(np.where(np.isnan(data), -np.inf, data), axis=dim - 1, keepdims=True) if data.dtype.kind == "f" \
        else np.max(data, axis=dim - 1, keepdims=True)
    return categorical._from_codes(labels._codes.reshape(kept), labels.categories), top


def _channel_dim(data, count):
    candidates = [d for d in range(data.ndim) if data.shape[d] == count
                  and np.allclose(np.sum(data, axis=d, dtype=np.float64), 1, atol=1e-3)]
    if len(candidates) != 1:
        raise ValueError(f"scores2label could not tell the channel dimension: scores of size {data.shape} have "
                         f"{len(candidates)} dimensions of size {count} whose scores sum to one; pass dim")
    return candidates[0] + 1

