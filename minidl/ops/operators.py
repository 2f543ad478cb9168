"""dlarray's operators, installed from the ops floor (as DeZero's ``setup_variable`` does).

dlarray sits below the ops and never imports them; ``minidl.ops`` calls :func:`install_operators`
when it is first imported, which ``import minidl`` (and so any ``from minidl... import``) does,
so every dlarray a user holds has ``+ - * / ** @``, unary minus, comparisons, indexing, ``.T``
and the dlarray-from-dlarray constructor.
"""
from ..dlarray import dlarray
from .elementwise import compare, minus, plus, power, rdivide, times, uminus
from .matmul import mtimes
from .shape import identity, index, label, permute

_ARITHMETIC = {"add": plus, "sub": minus, "mul": times, "truediv": rdivide, "pow": power, "matmul": mtimes}
_COMPARISONS = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal",
                "ne": "not_equal"}


def _reflected(op):
    return lambda self, other: op(other, self)


def _comparison(name):
    return lambda self, other: compare(self, other, name)


def _transpose(X):
    """X.T: the transpose of an unformatted matrix (MATLAB's X.')."""
    return permute(X, [2, 1])


def _copy_with_format(X, fmt):
    """dlarray(X, fmt) for a dlarray X: a copy that keeps X's trace; with fmt, the labels replace X's."""
    if fmt:
        return label(X, fmt)
    return X._untraced() if X._node is None else identity(X)  # a traced copy gets its own node


def install_operators():
    for name, op in _ARITHMETIC.items():
        setattr(dlarray, f"__{name}__", op)
        setattr(dlarray, f"__r{name}__", _reflected(op))
    # Set after the class was made, __eq__ leaves dlarray's identity hash in place.
    for name, numpy_name in _COMPARISONS.items():
        setattr(dlarray, f"__{name}__", _comparison(numpy_name))
    dlarray.__neg__ = uminus
    dlarray.__getitem__ = index
    dlarray.T = property(_transpose)
    dlarray._copy_with_format = staticmethod(_copy_with_format)
