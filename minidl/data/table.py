"""DataTable: the small table that datastore reads and countEachLabel return."""
import numpy as np

from .categorical import categorical

_SHOWN_ROWS = 20


class DataTable:
    """Named columns of equal height, as MATLAB's table; ``t.Name`` or ``t["Name"]`` gives a column.

    Columns are lists, NumPy arrays or categoricals. ``len(t)`` is the number of rows.
    """

    __slots__ = ("_columns",)

    def __init__(self, **columns):
        heights = {name: len(column) for name, column in columns.items()}
        if len(set(heights.values())) > 1:
            raise ValueError(f"DataTable columns must have equal heights; got {heights}")
        self._columns = dict(columns)

    @property
    def VariableNames(self):
        return list(self._columns)

    def __len__(self):
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def __getitem__(self, name):
        if name not in self._columns:
            raise KeyError(f"DataTable has no variable {name!r}; variables are {self.VariableNames}")
        return self._columns[name]

    def __getattr__(self, name):
        if name.startswith("_"):  # not a column; also keeps copy/pickle from recursing before _columns is set
            raise AttributeError(name)
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(f"DataTable has no variable {name!r}; variables are {self.VariableNames}") from None

    def __repr__(self):
        rows = min(len(self), _SHOWN_ROWS)
        text = {name: [_cell(column[i]) for i in range(rows)] for name, column in self._columns.items()}
        widths = {name: max([len(name)] + [len(c) for c in cells]) for name, cells in text.items()}
        lines = ["    " + "    ".join(name.center(widths[name]) for name in text),
                 "    " + "    ".join(("_" * len(name)).center(widths[name]) for name in text), ""]
        for i in range(rows):
            lines.append("    " + "    ".join(text[name][i].center(widths[name]) for name in text))
        if len(self) > rows:
            lines.append(f"    ... and {len(self) - rows} more rows")
        return f"{len(self)}x{len(self._columns)} DataTable\n\n" + "\n".join(lines) + "\n"


def _cell(value):
    if isinstance(value, categorical):
        return str(value)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return "{" + "x".join(str(n) for n in value.shape) + f" {value.dtype}" + "}"
    return str(value)
