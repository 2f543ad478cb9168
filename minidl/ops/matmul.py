"""Matrix product (the @ operator, MATLAB's mtimes) of unformatted dlarrays."""
from ..autodiff.trace import record
from ..dlarray import dlarray
from ._util import as_dlarray
from .elementwise import _cast, _common_dtype
from .shape import reshape_raw, sum_to, transpose_raw


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose_raw(x, axes, "")


def mtimes(A, B):
    """A @ B with NumPy's matmul rules (stacks of matrices broadcast; 1-D operands are vectors)."""
    if not isinstance(A, dlarray) and not isinstance(B, dlarray):
        raise TypeError("mtimes: at least one operand must be a dlarray")
    a = as_dlarray(A, like=B if not isinstance(A, dlarray) else None, argname="A")
    b = as_dlarray(B, like=a, argname="B")
    for name, x in (("A", a), ("B", b)):
        if x.fmt:
            raise ValueError(f"mtimes: {name} must be unformatted; it has format {x.fmt!r}. Use stripdims first")
        if x.ndim == 0:
            raise ValueError(f"mtimes: {name} must have at least one dimension; use * for scalars")
    dtype = _common_dtype(a, b)
    a, b = _cast(a, dtype), _cast(b, dtype)
    # Vectors become matrices so one rule covers every case, then the extra axis goes again.
    a2 = reshape_raw(a, (1,) + a.shape, "") if a.ndim == 1 else a
    b2 = reshape_raw(b, b.shape + (1,), "") if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"mtimes: inner dimensions must agree; A is {a.shape} and B is {b.shape}")
    def vjp(g, needs):
        # An operand nobody wants a gradient for (weights when the targets are activations,
        # im2col columns of the input image) costs no product. Stacks of matrices broadcast,
        # so each gradient sums back over the stack dimensions its operand lacked.
        return (sum_to(mtimes(g, _swap_last(b2)), a2.shape, "") if needs[0] else None,
                sum_to(mtimes(_swap_last(a2), g), b2.shape, "") if needs[1] else None)
    out = record(dlarray._wrap(a2.data @ b2.data), (a2, b2), vjp, with_needs=True)
    shape = out.shape
    if a.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if b.ndim == 1:
        shape = shape[:-1]
    return reshape_raw(out, shape, "")
