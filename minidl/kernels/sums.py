"""Per-channel sums of channel-last float32 data: accurate, and without NumPy's slow outer-axis reduction.

Batch norm's statistics and gradients and the conv bias gradient sum (A, C) rows over A;
:func:`float64_product_sums` gives the Taylor pruning score's per-filter, per-observation sums.
"""
import numpy as np

from ..backend import array_module
from . import channels, dispatch, parallel


def channel_sums(a, b=None):
    """Per-channel sums of the (A, C, B) array ``a`` (or of ``a*b``): a (C,) array in a's type.

    CuPy's reductions are tree-shaped already, so it sums directly.
    """
    return dispatch.pick(a, folded_sums, _sums_cupy)(a, b)


def _sums_cupy(a, b=None):
    return (a if b is None else a * b).sum(axis=(0, 2))


_FOLD = 48  # the longest run of sequential float32 additions in folded_sums, per level


def folded_sums(a, b=None):
    """Per-channel sums of the (A, C, B) array ``a``, or of ``a*b`` without forming the product, in a's type.

    Channel-last conv outputs reduce over the outer axis A, where NumPy adds whole rows in
    sequence (no pairwise summation): float32 running sums over the digits convs' 73,728 rows
    lost up to 3e-4 of sum|a|, and batch-norm statistics that far off move the network's
    gradients. Here the rows are added in 48 interleaved chains (view (48, A/48*C), sum the
    outer axis), recursively on the (A/48, C) partial sums, so no value passes through more
    than 48 sequential additions per level: on the digits activations the error is 2.3e-7 of
    sum|a| (a float64 sum as reference; float32 pairwise summation gives 1.1e-7), at 1/12 of
    the time of a float64 sum.
    """
    A, C, B = a.shape
    if B > 1:  # the contiguous axis first, which NumPy sums pairwise
        return _folded_sums((a if b is None else a * b).sum(axis=2), None)
    return _folded_sums(a.reshape(A, C), None if b is None else b.reshape(A, C))


def _folded_sums(a, b):
    A, C = a.shape
    q, r = divmod(A, _FOLD)
    if q <= 1:
        return _column_sums(a, b)
    head = _FOLD * q
    partial = _column_sums(a[:head].reshape(_FOLD, q * C), None if b is None else b[:head].reshape(_FOLD, q * C))
    sums = _folded_sums(partial.reshape(q, C), None)
    return sums + _column_sums(a[head:], None if b is None else b[head:]) if r else sums


def _column_sums(a, b):
    """Sums over axis 0 of a 2-D ``a``, or of ``a*b`` (einsum reads both without writing the product).

    Columns are independent sums, so splitting them among threads changes no result.
    """
    out = np.empty(a.shape[1], a.dtype if b is None else np.result_type(a, b))
    if b is None:
        parallel.split(lambda s, e: np.add.reduce(a[:, s:e], axis=0, out=out[s:e]), a.shape[1], a.size)
    else:
        parallel.split(lambda s, e: np.einsum("ij,ij->j", a[:, s:e], b[:, s:e], out=out[s:e]), a.shape[1], a.size)
    return out


def float64_product_sums(triples):
    """For each ``(a, b, keep)`` of ``triples``: the sums of ``a*b`` over every axis not in ``keep`` (axis
    indices, ascending), in float64. Returns a list; all the parts run in one pass of the pool.

    einsum multiplies and adds in float64 as it goes (products of float32 values are exact in
    float64), so no float64 copy of a or b is made. NumPy data is split along the last kept axis
    (the batch of a pruning activation); each output column is its own einsum over its own slice,
    so the results do not depend on the split. All the arrays' parts go to the threads as one job:
    the Taylor score of the digits net at batch 32 has three maps of 368,640 values, each too small
    to be worth waking a thread for (kernels/parallel.py) and together large enough.
    A pair of spreads of the same positions along a kept axis (a pruned network's activation and its
    gradient, kept at full size with zeros for the pruned filters) is summed over what was spread, and
    the sums widened with zeros (see _narrowed): for 9 of 20 channels 9/20 of the values, though einsum's
    float64 loop costs more per value on the shorter channel rows (benchmarks/bench_score_sums.py: 0.5-0.7x
    the time at 5-7 of 20 channels, 0.8-1.0x at most counts from 9 to 18).
    """
    return _product_sums(triples, False)()


def float64_product_sums_later(triples):
    """:func:`float64_product_sums`, started for the pool's workers to compute while they are idle
    (parallel.later); returns a function that gives the list (computing what is left on the calling thread)."""
    return _product_sums(triples, True)


def _narrowed(triples):
    """The triples with each pair of spreads of the same positions along a kept axis (kernels/channels.py)
    replaced by their sources, and for each the (position in keep, index, size) to widen its sums back by
    (None where nothing was replaced). The other positions' products are 0 * 0, so their sums are zeros;
    the others add the same terms, in float64, where einsum may add them in another order (its loops
    depend on the layout, the sizes and the alignment): equal to rounding, and on the digits maps bit
    for bit (tests/kernels/test_kernels_sums.py)."""
    out, widen = [], []
    for a, b, keep in triples:
        common = channels.common_source(a, b)
        if common is None or common[2] not in keep:
            out.append((a, b, keep))
            widen.append(None)
        else:
            out.append((common[0], common[1], keep))
            widen.append((tuple(keep).index(common[2]), common[3], a.shape[common[2]]))
    return out, widen


def _widened(sums, widen):
    if widen is None:
        return sums
    position, index, size = widen
    shape = list(sums.shape)
    shape[position] = size
    full = np.zeros_like(sums, shape=shape)  # in the sums' memory layout: a later mean adds in the same order
    full[(slice(None),) * position + (index,)] = sums
    return full


def _product_sums(triples, later):
    triples, widen = _narrowed(triples)
    outs, work, parts, size = [], {}, [], 0
    for k, (a, b, keep) in enumerate(triples):
        letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
        subscripts = f"{letters},{letters}->{''.join(letters[j] for j in keep)}"
        xp = array_module(a)
        if xp is not np or not keep:
            outs.append(xp.einsum(subscripts, a, b, dtype=xp.float64))
            continue
        axis = keep[-1]
        # the split axis outermost in memory, so that each part writes one contiguous block (einsum into a
        # strided slice took twice as long)
        out = np.moveaxis(np.empty([a.shape[axis]] + [a.shape[j] for j in keep[:-1]], np.float64), 0, -1)
        outs.append(out)
        work[k] = subscripts, a, b, axis, out
        parts += [(k, bounds) for bounds in parallel.ranges(a.shape[axis], a.size)]
        size += a.size

    def part(k, bounds):
        subscripts, a, b, axis, out = work[k]
        index = (slice(None),) * axis + (slice(*bounds),)
        np.einsum(subscripts, a[index], b[index], dtype=np.float64, out=out[..., slice(*bounds)])
    if later:
        finish = parallel.later(part, parts)

        def result():
            finish()  # the parts write into outs
            return [_widened(out, w) for out, w in zip(outs, widen)]
        return result
    if size >= parallel.MIN_SHARED:
        parallel.map_ranges(part, parts)
    else:
        for k, bounds in parts:
            part(k, bounds)
    outs = [_widened(out, w) for out, w in zip(outs, widen)]
    return lambda: outs
