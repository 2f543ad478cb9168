"""The float32 channel sums (batch norm, conv bias gradients) against exact sums (math.fsum of the float64 values)."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.kernels import sums


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
