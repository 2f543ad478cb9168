"""minidl.kernels.relu against the plain NumPy expressions, with the pool off and on (bit-identical), in any layout."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers.threads import assert_identical, each_thread_count, small_grain  # noqa: F401  (fixture)

from minidl.kernels import relu


@settings(max_examples=30)
@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 40)),
       order=st.permutations(range(4)), seed=st.integers(0, 2**32 - 1))
def test_relu_kernels_match_plain_expressions_and_keep_the_layout(small_grain, shape, order, seed):
    rng = np.random.default_rng(seed)
    buffer = rng.standard_normal([shape[a] for a in order]).astype(np.float32)
    buffer.ravel()[::7] = 0  # exact zeros: the derivative there is 0
    x = buffer.transpose(np.argsort(order))  # logical `shape`, memory in `order`
    g = np.ascontiguousarray(rng.standard_normal(buffer.shape).astype(np.float32)).transpose(np.argsort(order))
    forward = each_thread_count(lambda: relu.forward(x))
    backward = each_thread_count(lambda: relu.backward(g, x))
    assert_identical(forward[0], forward[1])
    assert_identical(backward[0], backward[1])
    np.testing.assert_array_equal(forward[1], np.maximum(x, 0), strict=True)
    np.testing.assert_array_equal(backward[1], np.where(x > 0, g, 0).astype(np.float32), strict=True)
    assert relu._same_layout(forward[1], x) and relu._same_layout(backward[1], x)


def test_relu_kernels_other_layouts_take_the_plain_path(small_grain):
    x = np.linspace(-1, 1, 60, dtype=np.float32).reshape(6, 10)[:, ::2]  # not one contiguous block
    g = np.ones_like(x)
    np.testing.assert_array_equal(relu.forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(relu.backward(g, x), (x > 0).astype(np.float32))
    gt = np.ones((5, 6), np.float32).T  # g in another layout than x
    x2 = np.linspace(-1, 1, 30, dtype=np.float32).reshape(6, 5)
    np.testing.assert_array_equal(relu.backward(gt, x2), (x2 > 0).astype(np.float32))
