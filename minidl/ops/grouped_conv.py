"""Grouped 2-D convolution: MATLAB's dlconv with FH x FW x Cpg x Fpg x G weights, built on dlconv.

Group g convolves input channels g*Cpg ... (g+1)*Cpg - 1 with its own Fpg filters; the
outputs follow group after group (output channel g*Fpg + f), the order of MATLAB's
groupedConvolution2dLayer. Channel slicing, dlconv and concatenation are differentiable
ops, so the gradients (and higher derivatives) are theirs.
"""
import numbers

from ..dlarray import as_array, dlarray
from ..formats import parse_format
from ._util import as_dlarray
from .shape import concatenate, index, relabel, reshape_raw, transpose_raw


def grouped_dlconv(conv, X, weights, bias, *, DataFormat=None, **options):
    """dlconv for 5-D ``weights`` (FH x FW x NumChannelsPerGroup x NumFiltersPerGroup x NumGroups).

    ``conv`` is the 4-D dlconv (passed in: conv.py dispatches here, so this module does not
    import it). ``bias`` is 0 (none), a scalar, or NumFiltersPerGroup*NumGroups values
    (e.g. 1 x 1 x Fpg x G). Stride, Padding and DilationFactor are dlconv's.
    """
    if isinstance(X, dlarray) and X.fmt:
        fmt = X.fmt
    elif DataFormat is not None:
        fmt = parse_format(DataFormat, "DataFormat")
    else:
        raise TypeError(f"dlconv: X must be a formatted dlarray (e.g. 'SSCB'), or give DataFormat; "
                        f"got {type(X).__name__}")
    if "C" not in fmt:
        raise ValueError(f"dlconv: X needs a 'C' dimension to split into groups; X has format {fmt!r}")
    x = X if isinstance(X, dlarray) else dlarray._wrap(as_array(X, "X"))
    axis = fmt.index("C")
    w = as_dlarray(weights, like=x, argname="weights")
    w = relabel(w, "") if w.fmt else w
    _, _, per_group, filters, groups = w.shape
    if axis >= x.ndim or x.shape[axis] != per_group * groups:
        raise ValueError(f"weights has {groups} groups of {per_group} channels (size {w.shape}) but X has "
                         f"{x.shape[axis] if axis < x.ndim else 1} channels")
    b = _bias(bias, x, filters, groups)
    outputs = []
    for g in range(groups):
        key = tuple(slice(g * per_group, (g + 1) * per_group) if k == axis else slice(None) for k in range(x.ndim))
        bg = b if b is None or b.size == 1 else index(b, (g, slice(None)))
        outputs.append(conv(index(x, key), index(w, (slice(None),) * 4 + (g,)), 0 if bg is None else bg,
                            DataFormat=DataFormat, **options))
    return concatenate(outputs, axis, outputs[0].fmt)


def _bias(bias, x, filters, groups):
    """None (no bias), a 1-element dlarray, or the G x Fpg bias.

    MATLAB orders the values column-major (filter f of group g is element g*Fpg + f), which
    is also what a 1 x 1 x Fpg x G array indexed [0, 0, f, g] holds.
    """
    if isinstance(bias, numbers.Number) and not isinstance(bias, bool) and bias == 0:
        return None
    b = as_dlarray(bias, like=x, argname="bias")
    if b.size == 1:
        return b
    if b.size != filters * groups:
        raise ValueError(f"bias must be a scalar or have NumFiltersPerGroup*NumGroups = {filters * groups} "
                         f"elements; got size {b.shape}")
    column_major = transpose_raw(b, tuple(reversed(range(b.ndim))), "")
    return reshape_raw(column_major, (groups, filters), "")
