"""kernels.channels.spread (one axis widened with zeros) and kernels.scatter's assignment path, against
NumPy's plain fancy indexing and np.add.at."""
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minidl.kernels import channels
from minidl.kernels.parallel import memory_order
from minidl.kernels.scatter import scatter_add
from helpers.threads import assert_identical, each_thread_count, small_grain  # noqa: F401  (a fixture)

pytestmark = pytest.mark.host_only("calls the NumPy kernels on host arrays directly")


def reference(data, axis, index, size):
    shape = list(data.shape)
    shape[axis] = size
    out = np.zeros(shape, data.dtype)
    out[(slice(None),) * axis + (index,)] = data
    return out


@st.composite
def cases(draw):
    ndim = draw(st.integers(1, 4))
    shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=5))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int32]))
    special = st.sampled_from([np.inf, -np.inf, np.nan, -0.0]) if dtype != np.int32 else st.just(0)
    elements = st.one_of(st.integers(-9, 9), special) if draw(st.booleans()) else st.integers(-9, 9)
    data = draw(hnp.arrays(dtype, shape, elements=elements))
    order = draw(st.permutations(range(ndim)))  # the memory layout: axes in any order
    data = np.ascontiguousarray(data.transpose(order)).transpose(np.argsort(order))
    axis = draw(st.integers(0, ndim - 1))
    size = shape[axis] + draw(st.integers(0, 4))
    index = np.sort(draw(st.lists(st.integers(0, size - 1), min_size=shape[axis], max_size=shape[axis], unique=True)))
    return data, axis, np.array(index, dtype=np.intp), size


@settings(max_examples=60, deadline=None)
@given(cases())
def test_spread_equals_fancy_assignment_and_keeps_the_layout(case):
    data, axis, index, size = case
    before = data.copy()
    out = channels.spread(data, axis, index, size)
    want = reference(data, axis, index, size)
    assert out.dtype == want.dtype and out.shape == want.shape
    assert np.array_equal(out, want, equal_nan=True)  # (a zero's sign may differ: -0.0 == 0.0)
    assert np.array_equal(data, before, equal_nan=True)  # the input is not touched
    assert memory_order(out) is not None
    sized = [d for d in range(data.ndim) if data.shape[d] > 1 and out.shape[d] > 1]
    assert sorted(sized, key=lambda d: -out.strides[d]) == sorted(sized, key=lambda d: -data.strides[d])


def test_a_non_finite_value_stays_where_it_was_on_the_product_path():
    """A channel-last map takes the 0/1 product; an Inf there must not turn its row's other channels NaN."""
    data = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # channels last, varying fastest
    data[1, 2, 1] = np.inf
    out = channels.spread(data, 2, np.array([0, 2, 3, 5]), 7)
    assert out[1, 2, 2] == np.inf and np.isfinite(np.delete(out.reshape(-1), np.flatnonzero(out == np.inf))).all()
    assert np.array_equal(out, reference(data, 2, np.array([0, 2, 3, 5]), 7))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), picks=st.lists(st.integers(-6, 5), min_size=1, max_size=8), repeat=st.booleans())
def test_scatter_add_assigns_only_where_no_position_repeats(n, picks, repeat):
    """Repeated positions add up, also where a negative index names the same element as a positive one."""
    picks = [p % n - (n if p < 0 else 0) for p in picks]  # in range, some negative
    if not repeat:
        picks = sorted(set(picks))
    values = np.arange(1.0, 1 + 3 * len(picks)).reshape(3, len(picks))
    want = np.zeros((3, n))
    np.add.at(want, (slice(None), np.array(picks)), values)
    got = scatter_add(np.zeros((3, n)), (slice(None), np.array(picks)), values)
    assert np.array_equal(got, want)


def test_scatter_add_adds_where_a_negative_index_repeats_a_position():
    assert np.array_equal(scatter_add(np.zeros(3), np.array([0, -3]), np.ones(2)), [2.0, 0.0, 0.0])


def test_the_cupy_form_is_the_plain_assignment(monkeypatch):
    """_spread_cupy with NumPy standing in for cupy (no GPU here): zeros in the data's layout, then the
    assignment; the same values as the NumPy form."""
    monkeypatch.setitem(sys.modules, "cupy", np)
    data = np.arange(2 * 3 * 4, dtype=np.float32).reshape(4, 2, 3).transpose(1, 2, 0)  # channels outermost
    for axis, index, size in ((2, np.array([0, 2, 3, 5]), 6), (0, np.array([0, 2]), 3)):
        got = channels._spread_cupy(data, axis, index, size)
        assert np.array_equal(got, reference(data, axis, index, size))
        assert np.array_equal(got, channels._spread_numpy(data, axis, index, size))
        sized = [d for d in range(3) if got.shape[d] > 1]
        assert sorted(sized, key=lambda d: -got.strides[d]) == sorted(sized, key=lambda d: -data.strides[d])


def test_spread_on_the_pool_threads_gives_the_one_thread_bits(small_grain):
    """The product runs in row ranges on the pool's threads: the same bits as on one thread, and as the
    plain assignment."""
    rng = np.random.default_rng(4)
    data = rng.standard_normal((3, 9, 7, 5)).astype(np.float32).transpose(1, 2, 3, 0)  # channel-last, 5 of 8
    index = np.array([0, 2, 3, 5, 7])
    one, two = each_thread_count(lambda: channels.spread(data, 2, index, 8))
    assert_identical(one, two)
    assert np.array_equal(two, reference(data, 2, index, 8))


def test_a_spread_knows_its_source_while_both_live():
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    index = np.array([0, 2, 3, 6])
    out = channels.spread(data, 2, index, 7)
    found = channels.source(out)
    assert found[0] is data and found[1] == 2 and np.array_equal(found[2], index)
    index[0] = 1  # the caller's index changing later changes nothing that was spread
    assert np.array_equal(channels.source(out)[2], [0, 2, 3, 6])
    index = np.array([0, 2, 3, 6])
    assert channels.source(out.copy()) is None and channels.source(data) is None
    assert channels.source(out[:1]) is None  # a view of a spread is another array
    other = channels.spread(data * 2, 2, index.copy(), 7)  # its source dies at once
    assert channels.source(other) is None
    source_data = data + 1
    again = channels.spread(source_data, 2, index.copy(), 7)
    common = channels.common_source(out, again)
    assert common[0] is data and common[1] is source_data and common[2] == 2
    assert np.array_equal(common[3], [0, 2, 3, 6])
    assert channels.common_source(out, channels.spread(source_data, 1, np.arange(3), 5)) is None  # another axis
    assert channels.common_source(out, channels.spread(source_data[:1], 2, index, 7)) is None  # another shape
    assert channels.common_source(out, channels.spread(source_data, 2, np.array([0, 2, 3, 5]), 7)) is None
    assert channels.common_source(out, channels.spread(source_data, 2, np.array([0, 2, 3, 6]), 8)) is not None
    assert channels.common_source(out, out.copy()) is None


def test_a_dead_spread_leaves_no_entry_behind():
    data = np.ones((3, 2), np.float32)
    outs = [channels.spread(data, 1, np.array([0, 4]) + k, 9) for k in range(5)]
    keys = [id(out) for out in outs]
    assert all(key in channels._sources for key in keys)
    del outs
    assert not any(key in channels._sources for key in keys)
