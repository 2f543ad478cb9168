"""dlarray: one NumPy/CuPy array plus MATLAB's dimension labels.

This floor holds data and formats only. The operators (``+``, ``@``, comparisons, indexing,
``.T``) and the dlarray-from-dlarray constructor are differentiable ops: minidl.ops installs
them on the class when it is imported (ops/operators.py), which ``import minidl`` does.
"""
import numpy as np

from .backend import array_module
from .formats import canonical, canonical_permutation, find_dims, labelled_shape, parse_format

_FLOAT_KINDS = "fb"  # floating point or logical, as MATLAB's dlarray accepts


def as_array(X, argname="X"):
    """The NumPy/CuPy array behind X, checked for a type dlarray accepts.

    Python numbers and lists become double (MATLAB literals are double); integer
    arrays are refused because MATLAB's dlarray holds only single, double or logical.
    """
    if isinstance(X, dlarray):
        return X._data
    if isinstance(X, (bool, np.bool_)):
        return np.asarray(X)
    if isinstance(X, (int, float, list, tuple)):
        try:
            data = np.asarray(X)
        except ValueError:
            raise ValueError(f"{argname} must be a numeric array of a regular shape; got a ragged "
                             f"{type(X).__name__} (rows of different lengths)") from None
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{argname} must hold real numbers or logicals; got a {type(X).__name__} of "
                            f"{_kind_name(data.dtype)} values")
        return data if data.dtype == bool else data.astype(np.float64)
    xp = array_module(X)
    if not hasattr(X, "dtype") or not hasattr(X, "shape"):
        raise TypeError(f"{argname} must be a numeric array; got {type(X).__name__}")
    data = xp.asarray(X)
    if data.dtype.kind not in _FLOAT_KINDS or data.dtype == np.float16:
        raise TypeError(f"{argname} must be single (float32), double (float64) or logical data; "
                        f"got {data.dtype}. Convert it first, e.g. X.astype(numpy.float32)")
    return data


def _kind_name(dtype):
    return {"c": "complex", "U": "string", "S": "bytes", "O": "object (non-numeric)"}.get(dtype.kind, str(dtype))


class dlarray:
    """Deep-learning array with optional dimension labels, as MATLAB's dlarray.

    ``dlarray(X)`` is unformatted; ``dlarray(X, "SSCB")`` labels the dimensions and
    permutes the data into canonical order S..., C, B, T, U... Extra labels stand
    for trailing singleton dimensions. Float32 stays float32, float64 stays float64.
    """

    __slots__ = ("_data", "_fmt", "_node", "__weakref__")
    __array_ufunc__ = None  # NumPy operators defer to ours, so ndarray + dlarray is a dlarray

    def __init__(self, X, fmt=None):
        fmt = parse_format(fmt)
        if isinstance(X, dlarray):
            # A copy of X (trace kept); with fmt, the labels replace X's labels, as in MATLAB.
            out = dlarray._copy_with_format(X, fmt)  # installed by minidl.ops
            self._data, self._fmt, self._node = out._data, out._fmt, out._node
            return
        data = as_array(X)
        if not isinstance(X, (bool, int, float, list, tuple)):
            data = data.copy()  # value semantics: later writes into X must not show here
        self._node = None
        if not fmt:
            self._data, self._fmt = data, ""
            return
        data = data.reshape(labelled_shape(data.shape, fmt))
        perm = canonical_permutation(fmt)
        self._data = data.transpose(perm) if perm != sorted(perm) else data
        self._fmt = canonical(fmt)

    @classmethod
    def _wrap(cls, data, fmt="", node=None):
        out = object.__new__(cls)
        out._data, out._fmt, out._node = data, fmt, node
        return out

    # -- tracing ----------------------------------------------------------
    def _traced_leaf(self, node):
        return dlarray._wrap(self._data, self._fmt, node)

    def _untraced(self):
        return dlarray._wrap(self._data, self._fmt)

    def ones_like(self):
        return dlarray._wrap(array_module(self._data).ones_like(self._data), self._fmt)

    def zeros_like(self):
        return dlarray._wrap(array_module(self._data).zeros_like(self._data), self._fmt)

    # -- properties -------------------------------------------------------
    @property
    def data(self):
        """The underlying array (untraced). Do not write into it."""
        return self._data

    @property
    def fmt(self):
        return self._fmt

    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return int(self._data.size)

    @property
    def dtype(self):
        return self._data.dtype

    def __len__(self):
        return self.shape[0]

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        if self.size != 1:
            raise TypeError(f"only a dlarray with one element converts to float; this one has size {self.shape}")
        return float(self._data.reshape(()))

    def __array__(self, dtype=None, copy=None):
        if array_module(self._data) is not np:
            raise TypeError("dlarray on the GPU: use extractdata(X).get() to copy it to the host")
        return np.array(self._data, dtype=dtype, copy=copy)

    # -- display ----------------------------------------------------------
    def _header(self):
        kind = {"float32": "single", "float64": "double", "bool": "logical"}.get(str(self.dtype), str(self.dtype))
        if self._fmt:
            sizes = " x ".join(f"{n}({label})" for n, label in zip(self.shape, self._fmt))
        else:
            sizes = "x".join(str(n) for n in size(self))
        gpu = " gpuArray" if array_module(self._data) is not np else ""
        return f"{sizes} {kind}{gpu} dlarray"

    def __repr__(self):
        values = np.array2string(np.asarray(self._data if array_module(self._data) is np else self._data.get()),
                                 threshold=200, edgeitems=3, precision=4)
        return f"{self._header()}\n\n{values}\n"

    __str__ = __repr__

    # -- operators: the differentiable ones are installed by minidl.ops ---------
    def __pos__(self):
        return self

    def __setitem__(self, key, value):
        raise TypeError("dlarray is a value: build a new array instead of assigning into one "
                        "(e.g. X * mask, or dlarray(newdata, dims(X)))")


def dims(X):
    """The dimension labels of X in canonical order ('' when unformatted)."""
    return _check(X, "X")._fmt


def finddim(X, label):
    """1-based indices of the dimensions of X with the given label (MATLAB's finddim)."""
    parse_format(label, "label")
    if len(label) != 1:
        raise ValueError(f"label must be a single dimension label; got {label!r}")
    return [i + 1 for i in find_dims(_check(X, "X")._fmt, label)]


def extractdata(X):
    """A copy of the NumPy/CuPy array inside X, without derivative trace (a value, as MATLAB's)."""
    return _check(X, "X")._data.copy()


def size(X, dim=None):
    """MATLAB's size: the sizes of X (at least two, so a scalar is (1, 1) and a vector (n, 1)),
    or the sizes of the 1-based dimension(s) ``dim`` (1 past the last dimension)."""
    shape = tuple(X.shape) if hasattr(X, "shape") else tuple(np.shape(X))  # categoricals and tables too
    shape = tuple(int(n) for n in shape) + (1,) * (2 - len(shape))
    if dim is None:
        return shape
    dims_ = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    for d in dims_:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
            raise ValueError(f"dim must be a positive integer or a list of them; got {dim!r}")
    sizes = tuple(shape[d - 1] if d <= len(shape) else 1 for d in dims_)
    return sizes if isinstance(dim, (list, tuple)) else sizes[0]


def numel(X):
    """MATLAB's numel: the number of elements of X (a dlarray, array, categorical or nested list);
    ``None`` (MATLAB's ``[]``) has 0. A network's learnables: ``sum(numel(v) for v in net.Learnables.Value)``."""
    if X is None:
        return 0
    shape = X.shape if hasattr(X, "shape") else np.shape(X)
    return int(np.prod(shape, dtype=np.int64))


def _check(X, argname):
    if not isinstance(X, dlarray):
        raise TypeError(f"{argname} must be a dlarray; got {type(X).__name__}")
    return X
