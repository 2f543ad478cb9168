"""The thread pool of minidl.kernels.parallel and the kernels that split their passes with it.

Every kernel runs with the pool off (1 thread) and on (2 threads) and must give bit-identical
results; a tiny GRAIN makes small arrays split into many ranges, so the splitting is exercised
without large arrays. The values themselves are checked against plain NumPy expressions and the
closed forms in float64.
"""
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.threads import assert_identical, each_thread_count, small_grain  # noqa: F401  (fixture)

from minidl import threads as policy
from minidl.kernels import batchnorm, parallel


@given(n=st.integers(1, 5000), elements=st.integers(1, 10**6))
def test_ranges_cover_in_order_and_depend_only_on_the_sizes(n, elements):
    parts = parallel.ranges(n, elements)
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a < b for a, b in parts) and all(p[1] == q[0] for p, q in zip(parts, parts[1:]))
    sizes = [b - a for a, b in parts]
    assert max(sizes) - min(sizes) <= 1
    assert len(parts) == max(1, min(n, -(-elements // parallel.GRAIN)))


def test_split_returns_results_in_range_order_on_both_threads(small_grain):
    seen = set()

    def part(start, stop):
        seen.add(threading.get_ident())
        return list(range(start, stop))

    for _ in range(20):  # the worker is asked every time; it takes ranges when it is scheduled in time
        results = parallel.split(part, 1000)
        assert [i for r in results for i in r] == list(range(1000))
    assert threading.get_ident() in seen
    assert len(parallel.ranges(1000)) == len(results) == 16


def test_work_under_min_shared_keeps_its_ranges_on_the_calling_thread(monkeypatch):
    """Small passes are cut into the same ranges but never handed to a worker (waking one costs more)."""
    monkeypatch.setattr(parallel, "GRAIN", 64)
    monkeypatch.setattr(parallel, "MIN_SHARED", 10_000)
    previous = policy.set_threads(2)
    try:
        for elements, shared in ((parallel.MIN_SHARED - 1, False), (parallel.MIN_SHARED, True)):
            seen = set()

            def part(start, stop):
                seen.add(threading.get_ident())
                time.sleep(0.002)  # long enough for the worker to take a range when it may
                return start

            results = parallel.split(part, 40, elements)
            assert results == [a for a, _ in parallel.ranges(40, elements)]
            assert (seen != {threading.get_ident()}) == shared
    finally:
        policy.set_threads(previous)


def test_split_raises_what_a_range_raised_and_keeps_working(small_grain):
    def part(start, stop):
        if start == 0:
            raise KeyError("first range")
        return stop

    with pytest.raises(KeyError, match="first range"):
        parallel.split(part, 500)
    assert parallel.split(lambda a, b: b - a, 500) == [b - a for a, b in parallel.ranges(500)]


def test_nested_split_runs_on_the_calling_thread(small_grain):
    def outer(start, stop):
        return sum(parallel.split(lambda a, b: b - a, (stop - start) * 100))

    assert sum(parallel.split(outer, 640)) == 64000


def test_set_threads_and_environment_checks(monkeypatch):
    previous = policy.set_threads(3)
    try:
        assert policy.threads() == 3
        assert parallel.split(lambda a, b: (a, b), 10) == [(0, 10)]  # one range: no hand-off
    finally:
        policy.set_threads(previous)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            policy.set_threads(bad)
    monkeypatch.setenv("MINIDL_THREADS", "two")
    with pytest.raises(ValueError, match="MINIDL_THREADS"):
        policy._environment_threads()
    monkeypatch.setenv("MINIDL_THREADS", "2")
    assert policy._environment_threads() == 2
    monkeypatch.delenv("MINIDL_THREADS")
    assert policy._environment_threads() is None  # automatic


def test_automatic_thread_rule(monkeypatch):
    """Both cores (at most MAX_AUTO) only where NumPy's OpenBLAS runs one thread per call; a count
    from set_threads (or MINIDL_THREADS) wins."""
    monkeypatch.setattr(policy, "_chosen", None)
    monkeypatch.setattr(policy, "_cores", lambda: 8)
    monkeypatch.setattr(policy, "_openblas_get_num_threads", lambda: (lambda: 2))
    assert policy.threads() == 1  # OpenBLAS's own threads (and its spinning worker) use the cores
    monkeypatch.setattr(policy, "_openblas_get_num_threads", lambda: None)
    assert policy.threads() == 1  # another BLAS: its thread count is unknown
    monkeypatch.setattr(policy, "_openblas_get_num_threads", lambda: (lambda: 1))
    assert policy.threads() == policy.MAX_AUTO == 2
    monkeypatch.setattr(policy, "_cores", lambda: 1)
    assert policy.threads() == 1
    assert policy.set_threads(5) is None and policy.threads() == 5
    assert policy.set_threads(None) == 5 and policy.threads() == 1


def test_openblas_thread_count_is_read_from_numpys_library():
    threadpoolctl = pytest.importorskip("threadpoolctl")  # installed with scikit-learn, a test dependency
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas" and "numpy" in p["filepath"]]
    if not blas or blas[0]["internal_api"] != "openblas":
        pytest.skip("NumPy here is not linked to its wheel's OpenBLAS: the automatic rule keeps one thread")
    getter = policy._openblas_get_num_threads()
    assert getter() == blas[0]["num_threads"]
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert getter() == 1


def test_map_ranges_keeps_the_order_of_explicit_parts(small_grain):
    parts = [(0, 3), (3, 4), (4, 9), (9, 10)]
    assert parallel.map_ranges(lambda a, b: list(range(a, b)), parts) == [[0, 1, 2], [3], [4, 5, 6, 7, 8], [9]]


@settings(max_examples=25)
@given(rows=st.integers(1, 300), cols=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_ufunc_split_equals_one_call(small_grain, rows, cols, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((rows, cols)).astype(np.float32)
    v = rng.standard_normal(cols).astype(np.float32)
    for op, args in ((np.subtract, (a, v)), (np.multiply, (a, a)), (np.maximum, (a, np.float32(0)))):
        got = each_thread_count(lambda: parallel.ufunc(op, *args, out=np.empty_like(a)))
        assert_identical(got[0], got[1])
        np.testing.assert_array_equal(got[1], op(*args), strict=True)


def test_memory_order_views():
    buffer = np.arange(24.0).reshape(2, 3, 4)
    view = buffer.transpose(2, 0, 1)
    flat = parallel.memory_order(view)
    assert np.shares_memory(flat, buffer)
    np.testing.assert_array_equal(flat, buffer.ravel())
    assert parallel.memory_order(buffer[:, :, ::2]) is None  # not one contiguous block


# -- batch norm ---------------------------------------------------------------

def closed_form(x, dy, scale, offset, eps, relu=False):
    """Batch norm forward and backward in float64 by formula, over axes 0 and 2 of (A, C, B) arrays; with
    ``relu``, of max(batch norm, 0) (dy is then the gradient of the ReLU's output)."""
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    mu = x.mean(axis=(0, 2), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(0, 2), keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    s = scale.astype(np.float64)[:, None]
    y = xhat * s + offset[:, None]
    if relu:
        dy = dy * (y > 0)
        y = np.maximum(y, 0)
    M = x.shape[0] * x.shape[2]
    dx = inv_std / M * (M * dy * s - (dy * s).sum(axis=(0, 2), keepdims=True)
                        - xhat * (dy * s * xhat).sum(axis=(0, 2), keepdims=True))
    return y, mu.ravel(), var.ravel(), dx, (dy * xhat).sum(axis=(0, 2)), dy.sum(axis=(0, 2))


@settings(max_examples=30)
@given(A=st.integers(1, 700), C=st.integers(1, 7), B=st.sampled_from([1, 1, 2, 5]), relu=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_batchnorm_kernels_split_identically_and_match_the_closed_form(small_grain, A, C, B, relu, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((A, C, B)) * 3 + 2).astype(np.float32)
    dy = rng.standard_normal((A, C, B)).astype(np.float32)
    scale, offset = rng.standard_normal(C).astype(np.float32), rng.standard_normal(C).astype(np.float32)

    def both():
        y, mean, var, saved = batchnorm.forward(x, scale, offset, 1e-5, relu)
        return (y, mean, var) + tuple(batchnorm.backward(dy, scale, saved))

    got = each_thread_count(both)
    assert_identical(got[0], got[1])
    y, mean, var, dx, dscale, doffset = got[1]
    want = closed_form(x, dy, scale, offset, 1e-5, relu)
    # float32 rounding may move a value within ~1e-5 of 0 to the other side of the ReLU; elsewhere the
    # mask must be the float64 one
    pre = closed_form(x, dy, scale, offset, 1e-5)[0]
    sure = np.abs(pre) > 1e-4 * (1 + np.abs(offset[:, None]))
    if relu:
        np.testing.assert_array_equal((y > 0)[sure], (pre > 0)[sure])
    spread = np.sqrt(want[2]) + 1e-3
    np.testing.assert_allclose(y, want[0], rtol=1e-5, atol=1e-5 * np.max(np.abs(want[0]) + 1))
    np.testing.assert_allclose(mean, want[1], rtol=1e-5, atol=1e-6 * np.max(np.abs(x)))
    np.testing.assert_allclose(var, want[2], rtol=1e-4, atol=1e-6 * np.max(x ** 2))
    if relu and not sure.all():
        return  # a mask entry may differ there, and with it the gradients (rare: other examples check them)
    bound = np.max(np.abs(scale) / spread) * np.max(np.abs(dy)) * 1e-4
    np.testing.assert_allclose(dx, want[3], rtol=1e-4, atol=bound)
    np.testing.assert_allclose(dscale, want[4], rtol=1e-4, atol=1e-5 * A * B * np.max(np.abs(dy)))
    np.testing.assert_allclose(doffset, want[5], rtol=1e-4, atol=1e-5 * A * B * np.max(np.abs(dy)))


def test_batchnorm_inference_kernel_writes_into_out_and_refuses_a_strided_one():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 4, 1)).astype(np.float32)
    mean, factor, offset = (rng.standard_normal(4).astype(np.float32) for _ in range(3))
    want = np.maximum((x - mean[:, None]) * factor[:, None] + offset[:, None], 0)
    inplace = x.copy()
    assert batchnorm.normalize(inplace, mean, factor, offset, True, out=inplace) is not None
    np.testing.assert_array_equal(inplace, want, strict=True)
    strided = np.empty((300, 8, 1), np.float32)[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        batchnorm.normalize(x, mean, factor, offset, out=strided)


def test_long_rows_regroup_channel_last_data():
    x = np.arange(96 * 5 * 3, dtype=np.float32).reshape(96 * 5, 3, 1)
    rows, expand = batchnorm.long_rows(x)
    k = batchnorm._repeats(96 * 5, 3)
    assert rows.shape == (96 * 5 // k, 3 * k) and np.shares_memory(rows, x) and k > 1
    np.testing.assert_array_equal((rows - expand(np.array([0, 1, 2], np.float32))).reshape(x.shape),
                                  x - np.array([0, 1, 2], np.float32)[:, None])


@settings(max_examples=20)
@given(A=st.integers(1, 700), C=st.integers(1, 7), B=st.sampled_from([1, 1, 3]), seed=st.integers(0, 2**32 - 1))
def test_batchnorm_inference_kernel_is_the_composed_expression(small_grain, A, C, B, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((A, C, B)).astype(np.float32)
    mean, factor, offset = (rng.standard_normal(C).astype(np.float32) for _ in range(3))
    composed = (x - mean[:, None]) * factor[:, None] + offset[:, None]
    for relu, want in ((False, composed), (True, np.maximum(composed, 0))):
        got = each_thread_count(lambda: batchnorm.normalize(x, mean, factor, offset, relu))
        assert_identical(got[0], got[1])
        np.testing.assert_array_equal(got[1], want, strict=True)


def test_later_work_runs_on_an_idle_worker_and_gives_way_to_other_jobs(small_grain):
    """later() hands ranges to a worker that has nothing else to do; a job started meanwhile still runs on
    both threads and finishes; the returned function gives the results in range order, running on the caller
    whatever the worker has not taken."""
    seen = []

    def slow(start, stop):
        seen.append(threading.get_ident())
        time.sleep(0.002)
        return (start, stop)

    parts = [(k, k + 1) for k in range(40)]
    finish = parallel.later(slow, parts)
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:  # the caller does other things; the idle worker starts
        time.sleep(0.001)
    assert seen and threading.get_ident() not in seen
    assert parallel.split(lambda a, b: b - a, 500) == [b - a for a, b in parallel.ranges(500)]
    assert finish() == parts
    assert len(seen) == len(parts)  # each range ran once, on the worker or (the rest) on the caller


def test_later_raises_what_a_range_raised_and_runs_at_once_without_a_pool(small_grain):
    def part(start, stop):
        if start == 3:
            raise KeyError("range 3")
        return start

    finish = parallel.later(part, [(k, k + 1) for k in range(8)])
    with pytest.raises(KeyError, match="range 3"):
        finish()
    previous = policy.set_threads(1)
    try:
        ran = []
        finish = parallel.later(lambda a, b: ran.append(a) or a, [(0, 1), (1, 2)])
        assert ran == [0, 1] and finish() == [0, 1]  # no pool: done before later() returns
    finally:
        policy.set_threads(previous)


def test_later_holds_nothing_its_ranges_read_once_finished(small_grain):
    """Once its results are in, a later() job keeps no reference to what its ranges read (the Taylor score's
    maps are large), even where no worker has looked at the queue since."""
    import weakref
    data = np.arange(10.0)
    ref = weakref.ref(data)
    finish = parallel.later(lambda a, b, data=data: float(data[a:b].sum()), [(0, 5), (5, 10)])
    del data
    assert finish() == [10.0, 35.0]
    assert ref() is None
