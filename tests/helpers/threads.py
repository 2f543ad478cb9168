"""Running a kernel with minidl's thread pool off and on, many ranges even for small arrays."""
import numpy as np
import pytest

from minidl import threads as policy
from minidl.kernels import parallel


@pytest.fixture(scope="module")
def small_grain():
    grain, parallel.GRAIN = parallel.GRAIN, 64
    shared, parallel.MIN_SHARED = parallel.MIN_SHARED, 0  # small passes shared among the threads too
    previous = policy.set_threads(2)
    yield
    policy.set_threads(previous)
    parallel.GRAIN, parallel.MIN_SHARED = grain, shared


def each_thread_count(fn):
    """fn() with the pool off and on (the caller has set a small GRAIN)."""
    results = []
    for n in (1, 2):
        policy.set_threads(n)
        results.append(fn())
    return results


def assert_identical(a, b):
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        if isinstance(x, tuple):
            assert_identical(x, y)
        else:
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_array_equal(x, y, strict=True)
