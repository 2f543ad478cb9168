"""categorical: labels drawn from a fixed, ordered list of category names, as in MATLAB."""
from collections import Counter

import numpy as np

_UNDEFINED = -1  # code of an element that belongs to no category (MATLAB's <undefined>)


class categorical:
    """Array of category labels; ``categorical(values, categories=None)``.

    ``values`` are strings or numbers (any shape; a scalar gives a 0-d array).
    Category names are strings; by default they are the sorted unique values
    (numbers sorted numerically, as MATLAB does). With ``categories`` given,
    values outside it become undefined, as do ``None``, ``""`` and NaN.
    Indexing follows NumPy and returns a categorical (an integer index gives a
    0-d one); ``==`` compares by category name and returns a bool array.
    """

    __slots__ = ("_codes", "_categories")

    def __init__(self, values, categories=None):
        names = _names_of(values)
        if categories is None:
            cats = _default_categories(values, names)
        else:
            cats = _category_list(categories)
        lookup = {name: k for k, name in enumerate(cats)}
        codes = np.array([lookup.get(n, _UNDEFINED) for n in names.ravel()], dtype=np.int64)
        self._codes = codes.reshape(names.shape)
        self._categories = cats

    @classmethod
    def _from_codes(cls, codes, cats):
        out = object.__new__(cls)
        out._codes, out._categories = codes, tuple(cats)
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
        if self._codes.ndim == 0:
            raise TypeError("len() of a 0-d categorical")
        return self._codes.shape[0]

    def __getitem__(self, key):
        return categorical._from_codes(self._codes[key], self._categories)

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    def __eq__(self, other):
        other_codes = categorical(other, self._categories)._codes
        return (self._codes == other_codes) & (self._codes != _UNDEFINED)

    def __ne__(self, other):
        return ~(self == other)

    __hash__ = None

    def _names(self):
        """Object array of element names, '<undefined>' where undefined."""
        table = np.array(list(self._categories) + ["<undefined>"], dtype=object)
        return table[self._codes]

    def __str__(self):
        if self._codes.ndim == 0:
            return str(self._names())
        return np.array2string(self._names(), threshold=20, edgeitems=3, formatter={"all": str})

    def __repr__(self):
        return f"categorical({self}, categories={list(self._categories)})"


def categories(A):
    """The category names of categorical ``A`` (MATLAB's categories), as a list."""
    return _require(A, "A").categories


def isundefined(A):
    """Bool array: True where ``A`` belongs to no category."""
    return _require(A, "A")._codes == _UNDEFINED


def countcats(A):
    """Number of elements of ``A`` in each category (over all elements), as an int64 array."""
    A = _require(A, "A")
    codes = A._codes.ravel()
    return np.bincount(codes[codes != _UNDEFINED], minlength=len(A._categories)).astype(np.int64)


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
