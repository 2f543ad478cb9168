"""The float32 channel sums (batch norm, conv bias gradients) against exact sums (math.fsum of the float64 values)."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.threads import assert_identical, each_thread_count, small_grain  # noqa: F401  (fixture)

from minidl.kernels import channels, parallel, sums


def exact_sums(a):
    """Per-channel sums of an (A, C, B) array, correctly rounded (math.fsum)."""
    return np.array([math.fsum(a[:, c, :].astype(np.float64).ravel()) for c in range(a.shape[1])])


def relative_error(got, a, b=None):
    """Error of each channel's sum of a (or of a*b), against that channel's sum of |a*b| (a sum's condition)."""
    assert got.dtype == a.dtype and got.shape == (a.shape[1],)
    terms = a.astype(np.float64) * (1 if b is None else b)  # float32 products are exact in float64
    return np.max(np.abs(got - exact_sums(terms)) / exact_sums(np.abs(terms)))


@settings(max_examples=25, deadline=None)
@given(A=st.integers(1, 20000), C=st.integers(1, 5), B=st.sampled_from([1, 1, 3]), seed=st.integers(0, 2**32 - 1))
def test_sums_and_product_sums_accurate(A, C, B, seed):
    rng = np.random.default_rng(seed)
    # Offset values (mean several times the spread) make running float32 sums drift.
    a = (rng.standard_normal((A, C, B)) + 5).astype(np.float32)
    b = rng.standard_normal((A, C, B)).astype(np.float32)
    assert relative_error(sums.channel_sums(a), a) < 5e-7
    assert relative_error(sums.channel_sums(a, b), a, b) < 1e-6


def test_digits_sized_rows_where_running_sums_fail():
    """73,728 channel-last rows (a digits conv output at batch 128): the folded sums stay within 5e-7
    of sum|a| (~2e-7 got) where NumPy's row-by-row float32 sum is off by more (4e-6)."""
    a = (np.random.default_rng(0).standard_normal((73728, 4, 1)) + 5).astype(np.float32)
    assert relative_error(a.sum(axis=(0, 2)), a) > 2e-6
    assert relative_error(sums.channel_sums(a), a) < 5e-7
    assert relative_error(sums.channel_sums(a, a), a, a) < 5e-7


def _fsum_reference(a, b, keep):
    """Correctly rounded float64 sums of the exact products over the axes not in keep, and the sums of |a*b|."""
    terms = np.moveaxis(a.astype(np.float64) * b, keep, range(len(keep)))
    flat = terms.reshape(terms.shape[:len(keep)] + (-1,))
    want = np.array([math.fsum(v) for v in flat.reshape(-1, flat.shape[-1])]).reshape(flat.shape[:-1])
    return want, np.abs(flat).sum(axis=-1)


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 6), st.integers(1, 40)),
       order=st.permutations(range(4)), keep=st.sampled_from([(2, 3), (3,), (2,), (0, 2, 3)]),
       seed=st.integers(0, 2**32 - 1))
def test_float64_product_sums_split_identically_and_match_fsum(small_grain, shape, order, keep, seed):
    """The Taylor score's sums (any memory layout, split among threads) equal correctly rounded float64 sums
    of the exact products to rounding, and are bit-identical with one thread and two."""
    rng = np.random.default_rng(seed)
    a, b = ((rng.standard_normal(shape) * 100).astype(np.float32) for _ in range(2))
    a, b = (np.ascontiguousarray(v.transpose(order)).transpose(np.argsort(order)) for v in (a, b))
    got = each_thread_count(lambda: sums.float64_product_sums([(a, b, keep)])[0])
    assert_identical(got[0], got[1])
    want, scale = _fsum_reference(a, b, keep)
    assert got[1].dtype == np.float64 and got[1].shape == want.shape
    assert np.all(np.abs(got[1] - want) <= 1e-14 * scale + 1e-300)


def test_float64_product_sums_of_several_maps_in_one_pass_equal_each_alone(small_grain, monkeypatch):
    """Several maps in one call give bit for bit what each gives alone, with one thread and with two. With
    each map under MIN_SHARED and all of them over it (updateScore's maps at batch 32), they share one pool job."""
    rng = np.random.default_rng(7)

    def channel_last(h, w, c, n):  # an (H, W, C, N) view of an (N, H, W, C) buffer, as conv outputs are
        return (rng.standard_normal((n, h, w, c)) * 100).astype(np.float32).transpose(1, 2, 3, 0)
    triples = [(channel_last(*s), channel_last(*s), (2, 3)) for s in [(6, 6, 5, 40), (4, 4, 3, 40), (2, 3, 7, 9)]]
    monkeypatch.setattr(parallel, "MIN_SHARED", 7300)  # above each map's size, below their total
    assert all(a.size < parallel.MIN_SHARED for a, _, _ in triples) and sum(a.size for a, _, _ in triples) >= 7300
    alone = [each_thread_count(lambda t=t: sums.float64_product_sums([t])[0]) for t in triples]
    jobs = []
    monkeypatch.setattr(parallel, "map_ranges", lambda fn, parts, real=parallel.map_ranges: jobs.append(parts)
                        or real(fn, parts))
    together = each_thread_count(lambda: sums.float64_product_sums(triples))
    assert len(jobs) == 2 and {k for k, _ in jobs[0]} == {0, 1, 2}  # one job per call, holding every map
    for k, per_count in enumerate(alone):
        for count, want in enumerate(per_count):
            assert_identical(together[count][k], want)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 6), st.integers(1, 9)),
       extra=st.integers(0, 5), order=st.one_of(st.just([3, 0, 1, 2]), st.permutations(range(4))),
       keep=st.sampled_from([(2, 3), (2,), (0, 2), (0, 1, 2), (3,)]), special=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_product_sums_of_two_spreads_are_summed_over_what_was_spread(shape, extra, order, keep, special, seed):
    """Two spreads of the same channels (a pruned network's activation and its gradient) are summed over
    what was spread, widened with zeros, where the channels are kept: zeros at the other channels, and
    the correctly rounded sums to float64 rounding, in any layout, with Inf and NaN where they fall; a
    spread and a copy, or a sum over the channels, take the full arrays."""
    rng = np.random.default_rng(seed)
    H, W, C, N = shape
    a, b = ((rng.standard_normal(shape) * 100).astype(np.float32) for _ in range(2))
    if special:
        a[rng.integers(0, H), rng.integers(0, W), rng.integers(0, C), rng.integers(0, N)] = np.inf
        b.reshape(-1)[rng.integers(0, b.size)] = np.nan
    a, b = (np.ascontiguousarray(v.transpose(order)).transpose(np.argsort(order)) for v in (a, b))
    index = np.sort(rng.choice(C + extra, C, replace=False))
    A, B = channels.spread(a, 2, index, C + extra), channels.spread(b, 2, index, C + extra)
    replaced, widen = sums._narrowed([(A, B, keep), (A, B.copy(), keep)])
    assert (widen[0] is not None) == (2 in keep) and widen[1] is None
    if widen[0] is not None:
        assert replaced[0][0] is a and replaced[0][1] is b
    got = sums.float64_product_sums([(A, B, keep)])[0]
    want, scale = _fsum_reference(A, B, keep)
    assert got.shape == want.shape and got.dtype == np.float64
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[~finite], want[~finite], equal_nan=True)
    assert np.all(np.abs(got[finite] - want[finite]) <= 1e-14 * scale[finite] + 1e-300)


def test_product_sums_of_spread_digits_maps_are_those_of_the_full_maps_bit_for_bit():
    """On the digits maps (channel-last, 24x24, batch 128 and 32, 2-19 of 20 filters kept) the sums over what
    was spread are bit for bit those of the full maps: a pruned network's Taylor scores stay what they were."""
    rng = np.random.default_rng(11)
    for kept, n in ((19, 128), (9, 128), (5, 32), (2, 128)):
        a, b = (rng.standard_normal((n, 24, 24, kept), dtype=np.float32).transpose(1, 2, 3, 0) for _ in range(2))
        index = np.sort(rng.choice(20, kept, replace=False))
        A, B = channels.spread(a, 2, index, 20), channels.spread(b, 2, index, 20)
        assert sums._narrowed([(A, B, (2, 3))])[1][0] is not None
        got = sums.float64_product_sums([(A, B, (2, 3))])[0]
        assert_identical(got, sums.float64_product_sums([(A.copy(order="K"), B.copy(order="K"), (2, 3))])[0])
        assert not np.delete(got, index, axis=0).any()
