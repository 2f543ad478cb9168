"""categorical: labels drawn from a fixed, ordered list of category names, as in MATLAB."""
from collections import Counter

import numpy as np

from ..validate import positive_int

_UNDEFINED = -1  # code of an element that belongs to no category (MATLAB's <undefined>)


class categorical:
    """Array of category labels; ``categorical(values, categories=None)``.

    Shapes are MATLAB's: always at least 2-D. A scalar gives 1x1, a list or 1-D
    array of n values a 1xn row (as MATLAB's ``categorical(["a" "b"])``), a 2-D
    array keeps its shape. Category names are strings; by default they are the
    sorted unique values (numbers sorted numerically, as MATLAB does). With
    ``categories`` given, values outside it become undefined, as do ``None``,
    ``""`` and NaN.

    ``A[k]`` is MATLAB's linear indexing ``A(k+1)`` (column-major, 0-based): an
    integer gives 1x1, indices or a mask of a vector keep its orientation.
    ``A[i, j]`` indexes rows and columns and stays 2-D. ``len(A)`` is MATLAB's
    ``length`` (the largest size; 0 if empty); iteration yields the elements as
    1x1 categoricals in linear order. ``==`` compares by category name with
    MATLAB's implicit expansion (sizes must agree or be 1 in every dimension, so
    Nx1 == 1xN is NxN, as in MATLAB) and returns a bool array.
    """

    __slots__ = ("_codes", "_categories")

    __array_ufunc__ = None  # NumPy operands on the left (ndarray == C) defer to categorical's own operators

    def __init__(self, values, categories=None):
        names = _names_of(values)
        if categories is None:
            cats = _default_categories(values, names)
        else:
            cats = _category_list(categories)
        lookup = {name: k for k, name in enumerate(cats)}
        codes = np.array([lookup.get(n, _UNDEFINED) for n in names.ravel()], dtype=np.int64)
        self._codes = _matlab_shaped(codes.reshape(names.shape))
        self._categories = cats

    @classmethod
    def _from_codes(cls, codes, cats):
        out = object.__new__(cls)
        out._codes, out._categories = _matlab_shaped(codes), tuple(cats)
        return out

    @property
    def categories(self):
        """Category names in order (a new list)."""
        return list(self._categories)

    @property
    def shape(self):
        return self._codes.shape

    @property
    def ndim(self):
        return self._codes.ndim

    @property
    def size(self):
        return self._codes.size

    def __len__(self):
        return 0 if self._codes.size == 0 else max(self._codes.shape)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            return categorical._from_codes(self._codes[tuple(_keep_dim(k) for k in key)], self._categories)
        return categorical._from_codes(_linear(self._codes, key), self._categories)

    def __iter__(self):
        for code in self._codes.ravel(order="F"):
            yield categorical._from_codes(np.array([[code]]), self._categories)

    @property
    def T(self):
        """The transpose (MATLAB's A'), for a 2-D categorical."""
        if self._codes.ndim != 2:
            raise ValueError(f"T needs a 2-D categorical; this one has size {self._codes.shape}")
        return categorical._from_codes(self._codes.T, self._categories)

    def reshape(self, *shape):
        """The same labels with a new shape, filled in MATLAB's column-major order."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (list, tuple)) else shape
        return categorical._from_codes(self._codes.reshape(shape, order="F"), self._categories)

    def __eq__(self, other):
        other_codes = categorical(other, self._categories)._codes
        mine, theirs = _expanded(self._codes, other_codes)
        return (mine == theirs) & (mine != _UNDEFINED)

    def __ne__(self, other):
        return ~(self == other)

    __hash__ = None

    def _names(self):
        """Object array of element names, '<undefined>' where undefined."""
        table = np.array(list(self._categories) + ["<undefined>"], dtype=object)
        return table[self._codes]

    def __str__(self):
        if self._codes.size == 1:
            return str(self._names().item())
        return np.array2string(self._names(), threshold=20, edgeitems=3, formatter={"all": str})

    def __repr__(self):
        return f"categorical({self}, categories={list(self._categories)})"


def categories(A):
    """The category names of categorical ``A`` (MATLAB's categories), as a list."""
    return _require(A, "A").categories


def isundefined(A):
    """Bool array: True where ``A`` belongs to no category."""
    return _require(A, "A")._codes == _UNDEFINED


def countcats(A, dim=None):
    """Number of elements of ``A`` in each category, along dimension ``dim`` (1-based) as MATLAB counts:
    by default the first dimension whose size is not 1, so an Nx1 column gives a Kx1 column of counts,
    a 1xN row a 1xK row, and an MxN matrix a KxN matrix (one column of counts per column). The result
    has ``A``'s shape with that dimension replaced by K, the number of categories; int64. Undefined
    elements are not counted."""
    A = _require(A, "A")
    codes = _matlab_shaped(A._codes)
    if dim is None:
        dim = next((d + 1 for d, size in enumerate(codes.shape) if size != 1), 1)
    dim = positive_int(dim, "dim", where="countcats")
    codes = codes.reshape(codes.shape + (1,) * (dim - codes.ndim))  # MATLAB's trailing singleton dimensions
    K = len(A._categories)
    lanes = np.moveaxis(codes, dim - 1, -1)
    flat = lanes.reshape(-1, lanes.shape[-1])
    lane = np.broadcast_to(np.arange(flat.shape[0])[:, None], flat.shape)
    defined = flat != _UNDEFINED
    counts = np.bincount(lane[defined] * K + flat[defined], minlength=flat.shape[0] * K)
    return np.moveaxis(counts.reshape(lanes.shape[:-1] + (K,)), -1, dim - 1).astype(np.int64)


def concatenate(parts, axis):
    """Join categoricals along ``axis``; categories are the union, first-seen order (as MATLAB's cat)."""
    cats = list(parts[0]._categories)
    known = set(cats)
    for part in parts[1:]:
        for name in part._categories:
            if name not in known:
                known.add(name)
                cats.append(name)
    cats = tuple(cats)
    recoded = [part._codes if part._categories == cats else categorical(part, cats)._codes for part in parts]
    return categorical._from_codes(np.concatenate(recoded, axis=axis), cats)


def _matlab_shaped(codes):
    """Codes with at least two dimensions: MATLAB has no 0-D or 1-D arrays (a 1-D list is a row)."""
    return codes.reshape((1,) * (2 - codes.ndim) + codes.shape) if codes.ndim < 2 else codes


def _keep_dim(key):
    """An integer subscript as a one-element slice, so A[i, j] stays 2-D as in MATLAB."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return slice(key, key + 1 if key != -1 else None)
    return key


def _linear(codes, key):
    """MATLAB's linear indexing A(k): column-major elements; a vector keeps its orientation."""
    picked = codes.ravel(order="F")[np.asarray(key).ravel(order="F") if np.ndim(key) > 1 else key]
    if np.ndim(picked) == 0:
        return picked.reshape(1, 1)
    rows = codes.ndim == 2 and codes.shape[0] == 1 and codes.shape[1] != 1
    return picked.reshape(1, -1) if rows else picked.reshape(-1, 1)


def _expanded(a, b):
    """a and b broadcast by MATLAB's implicit expansion: trailing singletons, then equal-or-1 per dimension."""
    ndim = max(a.ndim, b.ndim)
    a = a.reshape(a.shape + (1,) * (ndim - a.ndim))
    b = b.reshape(b.shape + (1,) * (ndim - b.ndim))
    if any(m != n and 1 not in (m, n) for m, n in zip(a.shape, b.shape)):
        size = lambda shape: "x".join(str(n) for n in shape)
        raise ValueError(f"Arrays have incompatible sizes for this operation: {size(a.shape)} and {size(b.shape)} "
                         "(each dimension must agree or be 1, as MATLAB's implicit expansion)")
    return np.broadcast_arrays(a, b)


def _require(A, argname):
    if not isinstance(A, categorical):
        raise TypeError(f"{argname} must be a categorical; got {type(A).__name__}")
    return A


def _names_of(values):
    """Object array (same shape as values) of category-name strings, None where undefined."""
    if isinstance(values, categorical):
        table = np.array(list(values._categories) + [None], dtype=object)
        return table[values._codes]
    array = np.asarray(values, dtype=object)
    flat = [_name(v) for v in array.ravel()]
    names = np.empty(len(flat), dtype=object)
    names[:] = flat
    return names.reshape(array.shape)


def _name(value):
    if value is None:
        return None
    if isinstance(value, (str, np.str_)):
        return str(value) or None
    if isinstance(value, (int, np.integer, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else f"{float(value):.15g}"
    raise TypeError(f"categorical values must be strings or numbers; got {type(value).__name__} {value!r}")


def _default_categories(values, names):
    if isinstance(values, categorical):
        return values._categories  # unused categories stay, as MATLAB's categorical(A) keeps them
    flat = np.asarray(values, dtype=object).ravel()
    defined = [v for v, n in zip(flat, names.ravel()) if n is not None]
    if all(isinstance(v, (int, float, np.number, np.bool_)) for v in defined):
        # Numbers sort by value, as in MATLAB (2 before 10).
        return tuple(dict.fromkeys(_name(v) for v in sorted(defined)))
    return tuple(sorted({_name(v) for v in defined}))


def _category_list(categories, argname="categories"):
    if isinstance(categories, categorical):
        raise TypeError(f"{argname} must be a list of names; use categories(A) to get those of a categorical A")
    if isinstance(categories, (str, bytes)):
        categories = [categories]
    cats = [_name(c) for c in np.asarray(categories, dtype=object).ravel()]
    if None in cats:
        raise ValueError(f"{argname} must not contain empty names, None or NaN; got {list(categories)!r}")
    duplicated = sorted(name for name, n in Counter(cats).items() if n > 1)
    if duplicated:
        raise ValueError(f"{argname} must be unique; got {duplicated} more than once")
    return tuple(cats)
