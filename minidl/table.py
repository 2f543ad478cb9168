"""A small column table, as MATLAB's: Learnables/State (Layer, Parameter, Value), Connections,
datastore reads (input, response) and countEachLabel (Label, Count)."""
import numbers

import numpy as np


class Table:
    """Named columns of equal height; ``tbl.Value``, ``tbl["Value"]``, ``tbl[rows]`` as in MATLAB.

    A column is a list, a NumPy array or a categorical, and keeps its type. Tables are
    values: selecting rows or replacing a column returns a new table.
    """

    def __init__(self, **columns):
        heights = {len(v) for v in columns.values()}
        if len(heights) > 1:
            raise ValueError(f"Table columns must have equal heights; got {[len(v) for v in columns.values()]}")
        object.__setattr__(self, "_columns", {k: _own(v) for k, v in columns.items()})

    @property
    def VariableNames(self):
        return list(self._columns)

    @property
    def height(self):
        return len(next(iter(self._columns.values()), []))

    def __len__(self):
        return self.height

    @property
    def size(self):
        return (self.height, len(self._columns))

    def __getattr__(self, name):
        columns = object.__getattribute__(self, "_columns")
        if name in columns:
            column = _own(columns[name])
            return Column(column) if isinstance(column, list) else column
        raise AttributeError(f"Table has no variable {name!r}; variables are {list(columns)}")

    def __setattr__(self, name, value):
        raise AttributeError("Table is a value: use with_column(name, values) to get a changed copy")

    def __getitem__(self, key):
        """``tbl["Name"]`` a column; ``tbl[rows]`` or ``tbl[rows, :]`` (MATLAB's ``tbl(rows, :)``) a new table.

        rows: an integer, integers, a slice, or a logical mask with one entry per row
        (such as ``tbl.Layer == "conv1"``). ``tbl[rows, names]`` also picks columns by name.
        """
        if isinstance(key, str):
            return getattr(self, key)
        names = list(self._columns)
        if isinstance(key, tuple):
            if len(key) != 2:
                raise IndexError(f"a table takes a row index and a column index; got {len(key)} subscripts")
            key, names = key[0], self._column_names(key[1])
        rows = self._rows(key)
        return Table(**{k: _take(self._columns[k], rows) for k in names})

    def _column_names(self, key):
        if isinstance(key, slice) and key == slice(None):
            return list(self._columns)
        names = [key] if isinstance(key, str) else list(key)
        unknown = [n for n in names if n not in self._columns]
        if unknown:
            raise KeyError(f"Table has no variables {unknown}; variables are {list(self._columns)}")
        return names

    def _rows(self, key):
        n = self.height
        if isinstance(key, slice):
            return list(range(n))[key]
        key = [key] if np.ndim(key) == 0 else list(np.ravel(key)) if isinstance(key, np.ndarray) else list(key)
        if key and all(isinstance(k, (bool, np.bool_)) for k in key):
            if len(key) != n:
                raise IndexError(f"a logical row mask must have one element per row: the table has {n} rows, "
                                 f"the mask has {len(key)} elements")
            return [i for i, k in enumerate(key) if k]
        for k in key:
            if not isinstance(k, numbers.Integral) or isinstance(k, (bool, np.bool_)):
                raise TypeError(f"table rows are indexed by integers, booleans or a slice; got {k!r}")
            if not -n <= k < n:
                raise IndexError(f"row {k} is out of range for a table with {n} rows")
        return [int(k) % n for k in key]

    def with_column(self, name, values):
        if len(values) != self.height:
            raise ValueError(f"column {name!r} needs {self.height} values; got {len(values)}")
        return Table(**{**self._columns, name: values})

    def rows(self):
        """Iterate rows as dicts."""
        names = list(self._columns)
        for i in range(self.height):
            yield {k: self._columns[k][i] for k in names}

    def _map_dlarrays(self, fn):
        from .autodiff.containers import map_dlarrays
        return Table(**{k: (map_dlarrays(v, fn) if k == "Value" else v) for k, v in self._columns.items()})

    def summary_string(self):
        return f"[{self.height}x{len(self._columns)} table]"

    def __repr__(self):
        names = list(self._columns)
        shown = min(self.height, _SHOWN_ROWS)
        cells = [[_cell(self._columns[k][i]) for i in range(shown)] for k in names]
        widths = [max([len(k)] + [len(c) for c in col]) for k, col in zip(names, cells)]
        lines = ["  " + "    ".join(k.center(w) for k, w in zip(names, widths)),
                 "  " + "    ".join("_" * w for w in widths), ""]
        for i in range(shown):
            lines.append("  " + "    ".join(col[i].ljust(w) for col, w in zip(cells, widths)))
        if self.height > shown:
            lines.append(f"  ... and {self.height - shown} more rows")
        return f"  {self.height}x{len(names)} table\n\n" + "\n".join(line.rstrip() for line in lines) + "\n"


_SHOWN_ROWS = 40


class Column(list):
    """A list column (such as ``Layer``); ``==``/``!=`` with one value compare each entry, as MATLAB's
    ``L.Layer == "conv1"``, and give a logical vector. Comparing with a list is list equality."""

    def __eq__(self, other):
        if isinstance(other, (list, tuple)):
            return list.__eq__(self, other)
        return np.array([v == other for v in self], dtype=bool)

    def __ne__(self, other):
        if isinstance(other, (list, tuple)):
            return list.__ne__(self, other)
        return ~self.__eq__(other)

    __hash__ = None


def _own(column):
    """A list column is copied (tables are values); arrays and categoricals are copied by NumPy/their class."""
    if isinstance(column, list):
        return list(column)
    if isinstance(column, np.ndarray):
        return column.copy()
    if isinstance(column, tuple) or not hasattr(column, "__getitem__"):
        return list(column)
    return column


def _take(column, rows):
    if isinstance(column, list):
        return [column[i] for i in rows]
    return column[np.asarray(rows, dtype=np.intp)]


def _cell(value):
    from .dlarray import dlarray, size
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dlarray):
        return "{" + "x".join(str(n) for n in size(value)) + " dlarray}"
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return "{" + "x".join(str(n) for n in value.shape) + f" {value.dtype}" + "}"
    if value is None:
        return "{0x0 double}"
    return str(value)
