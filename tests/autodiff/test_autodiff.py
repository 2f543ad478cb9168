"""dlfeval / dlgradient: tracing rules, targets, RetainData, higher derivatives, graph walk; gradcheck itself."""
import gc
import weakref
from collections import namedtuple

import numpy as np
import pytest

import minidl as dl
from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.autodiff import record
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import assert_allclose, assert_array_equal


def _boom(x):
    """Identity whose backward rule must never run."""
    def vjp(g):
        raise AssertionError("vjp of a node off the target-to-y path was called")
    return record(dlarray(x.data, x.fmt), (x,), vjp)


def test_rosenbrock_value_and_gradient():
    def rosenbrock(x):
        y = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        return y, dlgradient(y, x)

    y, g = dlfeval(rosenbrock, dlarray([-1.0, 2.0]))
    assert float(y) == 104.0
    assert_array_equal(extractdata(g), [396.0, 200.0])


def test_nothing_is_recorded_outside_dlfeval():
    x = dlarray(np.array([1.0, 2.0]), "CB")
    for y in (x + 1, x * x, dl.exp(x), dl.sum(x), x[0:1], dl.relu(x), dl.stripdims(x), -x, dlarray(x, "BC")):
        assert y._node is None


def test_dlfeval_traces_inputs_in_containers_and_returns_untraced():
    Pair = namedtuple("Pair", "a b")
    seen = {}

    def fun(plain, items, pair, table, kw=None):
        seen.update(plain=plain, lst=items[0], tup=items[1][0], a=pair.a, d=table["w"], kw=kw)
        y = dl.sum(plain * items[0] * items[1][0] * pair.a * table["w"] * kw, "all")
        return {"y": y, "h": [plain * 2]}, "not an array"

    ones = lambda: dlarray(np.ones(2))  # noqa: E731
    out, text = dlfeval(fun, ones(), [ones(), (ones(), 3)], Pair(ones(), "s"), {"w": ones()}, kw=ones())
    assert all(v._node is not None for v in seen.values())
    assert out["y"]._node is None and out["h"][0]._node is None and text == "not an array"
    assert float(out["y"]) == 2.0


def test_dlfeval_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        dlfeval(3, dlarray(1.0))


def test_dlgradient_outside_dlfeval_is_an_error():
    x = dlarray(2.0)
    with pytest.raises(RuntimeError, match="dlfeval"):
        dlgradient(x * x, x)


@pytest.mark.parametrize("make_y, error, message", [
    (lambda x: x * x, ValueError, "non-scalar"),
    (lambda x: dlarray(1.0), ValueError, "not traced"),
    (lambda x: 3.0, TypeError, "must be a dlarray"),
    (lambda x: dl.sum(x) > 0, TypeError, "real"),
])
def test_value_to_differentiate_must_be_a_traced_real_scalar(make_y, error, message):
    def fun(x):
        return dlgradient(make_y(x), x)

    with pytest.raises(error, match=message):
        dlfeval(fun, dlarray(np.ones(3)))


def test_targets_must_be_dlarrays_or_containers():
    with pytest.raises(TypeError, match="target 1"):
        dlfeval(lambda x: dlgradient(dl.sum(x), 3.0), dlarray(np.ones(2)))
    with pytest.raises(TypeError, match="at least one target"):
        dlfeval(lambda x: dlgradient(dl.sum(x)), dlarray(np.ones(2)))


def test_gradients_keep_structure_sizes_and_formats(rng):
    W = dlarray(rng.standard_normal((3, 3, 2, 4)), "SSCU")
    b = dlarray(rng.standard_normal(4), "C")
    x = dlarray(rng.standard_normal((2, 5)), "CB")
    params = {"conv": [W, (b,)], "fc": {"x": x}}

    def fun(p, x):
        y = dl.sum(p["conv"][0] * 2, "all") + dl.sum(p["conv"][1][0] ** 2, "all") + dl.sum(x * x, "all")
        return dlgradient(y, p), dlgradient(dl.sum(x * 3, "all"), [x])

    g, (gx,) = dlfeval(fun, params, x)
    assert isinstance(g["conv"][1], tuple) and list(g) == ["conv", "fc"]
    for got, want in ((g["conv"][0], W), (g["conv"][1][0], b), (g["fc"]["x"], x)):
        assert got.shape == want.shape and dl.dims(got) == dl.dims(want) and got.dtype == want.dtype
    assert_allclose(extractdata(g["conv"][0]), 2.0)
    assert_allclose(extractdata(g["conv"][1][0]), 2 * extractdata(b))
    assert_allclose(extractdata(g["fc"]["x"]), 0.0)  # x is not inside p: unrelated
    assert_allclose(extractdata(gx), 3.0)


def test_several_targets_give_a_tuple():
    def fun(a, b):
        return dlgradient(dl.sum(a * b, "all"), a, b)

    ga, gb = dlfeval(fun, dlarray([1.0, 2.0]), dlarray([3.0, 4.0]))
    assert_array_equal(extractdata(ga), [3.0, 4.0])
    assert_array_equal(extractdata(gb), [1.0, 2.0])


def test_unrelated_and_untraced_targets_get_zeros():
    def fun(x, z):
        c = dlarray(np.ones((2, 2)), "SS")
        return dlgradient(dl.sum(x * x, "all"), z, c)

    gz, gc_ = dlfeval(fun, dlarray([1.0]), dlarray(np.ones((2, 3), np.float32), "CB"))
    assert gz.shape == (2, 3) and dl.dims(gz) == "CB" and gz.dtype == np.float32
    assert not extractdata(gz).any() and not extractdata(gc_).any() and dl.dims(gc_) == "SS"


def test_gradient_with_respect_to_intermediate_values():
    def fun(x):
        h = 3 * x
        k = dl.exp(h)
        y = dl.sum(h * h + k, "all")
        return dlgradient(y, [h, x])

    x = np.array([0.5, -1.0])
    gh, gx = dlfeval(fun, dlarray(x))
    assert_allclose(extractdata(gh), 6 * x + np.exp(3 * x))
    assert_allclose(extractdata(gx), 3 * (6 * x + np.exp(3 * x)))


def test_gradient_of_y_with_respect_to_itself():
    def fun(x):
        y, first = dl.sum(x, "all"), x[0]
        return dlgradient(y, y), dlgradient(first, first)

    g1, g2 = dlfeval(fun, dlarray(np.ones(3)))
    assert float(g1) == 1.0 and float(g2) == 1.0


def test_only_nodes_between_targets_and_y_are_walked():
    def fun(x, z):
        h = _boom(x)  # upstream of the intermediate target
        u = _boom(z)  # on a branch that does not lead to the target
        y = dl.sum(h * h, "all") + dl.sum(u, "all")
        return dlgradient(y, h)

    assert_array_equal(extractdata(dlfeval(fun, dlarray([1.0, 2.0]), dlarray([5.0]))), [2.0, 4.0])


def test_second_call_needs_retain_data():
    def fun(x):
        y = dl.sum(x ** 2, "all")
        dlgradient(y, x)
        return dlgradient(y, x)

    with pytest.raises(RuntimeError, match="RetainData"):
        dlfeval(fun, dlarray([1.0, 2.0]))


def test_retain_data_allows_a_second_call():
    def fun(x):
        y = dl.sum(x ** 2, "all")
        g1 = dlgradient(y, x, RetainData=True)
        return g1, dlgradient(y, x)

    g1, g2 = dlfeval(fun, dlarray([1.0, 2.0]))
    assert_array_equal(extractdata(g1), [2.0, 4.0])
    assert_array_equal(extractdata(g2), [2.0, 4.0])


def test_higher_derivatives():
    def fun(x):
        g = dlgradient(dl.sum(x ** 3, "all"), x, EnableHigherDerivatives=True)
        assert g._node is not None
        return g, dlgradient(dl.sum(g, "all"), x)

    x = np.array([2.0, -1.5])
    g, gg = dlfeval(fun, dlarray(x))
    assert_allclose(extractdata(g), 3 * x ** 2)
    assert_allclose(extractdata(gg), 6 * x)


def test_plain_gradients_are_untraced():
    def fun(x):
        g = dlgradient(dl.sum(x ** 3, "all"), x)
        return g._node is None

    assert dlfeval(fun, dlarray([1.0]))


def test_long_chain_is_walked_without_recursion():
    def fun(x):
        y = x
        for _ in range(10_000):
            y = y * 1.0001
        return dlgradient(dl.sum(y, "all"), x)

    assert_allclose(extractdata(dlfeval(fun, dlarray([1.0, 2.0]))), 1.0001 ** 10_000)


def test_graph_has_no_reference_cycles():
    def fun(x):
        outputs = [dl.exp(x), dl.log(x), dl.sqrt(x), dl.tanh(x), dl.sigmoid(x), dl.softmax(x)]
        refs = [weakref.ref(v) for v in outputs]
        total = dl.sum(sum(dl.sum(v, "all") for v in outputs), "all")
        dlgradient(total, x)
        return refs

    enabled = gc.isenabled()
    gc.disable()
    try:
        refs = dlfeval(fun, dlarray(np.ones((3, 2)), "CB"))
        assert all(r() is None for r in refs)
    finally:
        if enabled:
            gc.enable()


def test_float32_gradients_stay_float32():
    def fun(x):
        y = dl.sum(dl.exp(x) * 0.5 + np.ones(3) - 2, "all")
        return y, dlgradient(y, x)

    y, g = dlfeval(fun, dlarray(np.ones(3, np.float32)))
    assert y.dtype == np.float32 and g.dtype == np.float32


def test_inputs_are_unchanged(rng):
    A = rng.standard_normal((2, 3))
    x = dlarray(A, "CB")
    before = extractdata(x).copy()

    def fun(x):
        y = dl.sum(dl.max(x, [], 1) * dl.exp(x) / x[:, [0, 0, 1]], "all") + dl.sum(dl.relu(-x) ** 2, "all")
        return dlgradient(y, x)

    dlfeval(fun, x)
    assert_array_equal(extractdata(x), before)
    assert_array_equal(A, before)



def test_broadcast_operands_get_gradients_of_their_own_size():
    # d/da sum(a * b) for a (C=2, B=1) and b (C=1, B=3): each operand's gradient sums over what it was broadcast along.
    a, b = np.array([[1.0], [2.0]]), np.array([[1.0, 10.0, 100.0]])

    def fun(a, b):
        return dlgradient(dl.sum(a * b, "all"), a, b)

    ga, gb = dlfeval(fun, dlarray(a, "CB"), dlarray(b, "CB"))
    assert (ga.shape, ga.fmt, gb.shape, gb.fmt) == ((2, 1), "CB", (1, 3), "CB")
    assert_array_equal(extractdata(ga), [[111.0], [111.0]])
    assert_array_equal(extractdata(gb), [[3.0, 3.0, 3.0]])


def test_a_backward_rule_of_the_wrong_size_is_reported():
    def fun(x):
        y = record(dlarray(x.data * 1, x.fmt), (x,), lambda g: (dl.sum(g, 1),))  # forgets its input's size
        return dlgradient(dl.sum(y, "all"), x)

    with pytest.raises(RuntimeError, match=r"gradient of size \(1, 2\).*input of size \(3, 2\)"):
        dlfeval(fun, dlarray(np.ones((3, 2)), "CB"))

# -- minidl.testing itself ---------------------------------------------------

def _wrong_square(x):
    return record(dlarray(x.data ** 2, x.fmt), (x,), lambda g: (g * x * 3,))


def _cube_with_constant_backward(x):
    return record(dlarray(x.data ** 3, x.fmt), (x,), lambda g: (g * dlarray(3 * x.data ** 2),))


def test_gradcheck_accepts_correct_gradients(rng):
    x = dlarray(rng.uniform(0.5, 2, (2, 3)), "CB")
    assert gradcheck(lambda a: dl.log(a) * a, x)
    assert gradcheck(lambda a: dl.sum(a * a, "all"), x, elementwise=True)
    assert gradgradcheck(lambda a: dl.exp(a) * a, x)
    assert gradgradcheck(lambda a: 2 * a, x)  # zero Hessian


@pytest.mark.parametrize("elementwise", [False, True])
def test_gradcheck_detects_a_wrong_gradient(rng, elementwise):
    with pytest.raises(AssertionError, match="disagree"):
        gradcheck(_wrong_square, dlarray(rng.uniform(0.5, 2, (2, 2))), elementwise=elementwise)


def test_gradgradcheck_detects_an_untraced_backward(rng):
    x = dlarray(rng.uniform(0.5, 2, 3))
    assert gradcheck(_cube_with_constant_backward, x)
    with pytest.raises(AssertionError, match="Hessian"):
        gradgradcheck(_cube_with_constant_backward, x)


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(TypeError, match="input 0"):
        gradcheck(lambda a: a, [1.0])
    with pytest.raises(TypeError, match="must return a dlarray"):
        gradcheck(lambda a: 3.0, dlarray([1.0]))


def test_when_gradient_known_hands_over_each_finished_gradient_once_per_walk():
    """The callback gets a value's whole gradient (all of its uses added) during a dlgradient call that has
    the value among its targets, once per call, the same array dlgradient returns; not in a call for other
    targets, not in a recorded (higher-derivative) walk."""
    from minidl.autodiff.trace import when_gradient_known
    seen, kept = [], None

    def f(x):
        h = x * x
        nonlocal kept
        kept = weakref.ref(h)
        when_gradient_known(h, lambda value, g: seen.append((value.data.copy(), g)))
        y = dlsum(h * 3, "all") + dlsum(h * h, "all")  # two uses of h
        dlgradient(y, x, RetainData=True)  # h is not a target: its gradient is made but not handed over
        first = dlgradient(y, h, RetainData=True)
        second = dlgradient(y, x, EnableHigherDerivatives=True)
        return first, second

    values = np.array([1.0, -2.0, 0.5])
    enabled = gc.isenabled()
    gc.disable()  # what the trace kept for its callbacks goes when dlfeval returns, with no cycle left
    try:
        first, second = dlfeval(f, dlarray(values))
        assert kept() is None
    finally:
        if enabled:
            gc.enable()
    assert len(seen) == 1 and seen[0][1].data is first.data  # the recorded second walk calls nothing
    assert_array_equal(seen[0][0], values ** 2)
    assert_allclose(first.data, 3 + 2 * values ** 2, rtol=0, atol=1e-15)
    assert_allclose(second.data, (3 + 2 * values ** 2) * 2 * values, rtol=1e-15, atol=0)


@pytest.mark.host_only("deferred gradients are NumPy buffers: only host work goes to the thread pool")
def test_deferred_gradients_are_completed_before_any_rule_reads_them():
    """A rule may return a buffer that defer's fill() completes later: rules that only re-view it (reshapes)
    take it as it is, a rule that reads values gets it completed, and dlgradient returns it completed."""
    from minidl.autodiff.gradient import defer
    from minidl.ops.shape import reshape_raw
    fills, reads = [], []

    def deferred_double(x):  # y = 2x, its gradient handed back before it is made
        def vjp(g):
            buffer = np.full(x.shape, np.nan)
            defer(buffer, lambda: fills.append(1) or np.copyto(buffer, 2 * np.asarray(g.data)))
            return (dlarray._wrap(buffer, x.fmt),)
        return record(dlarray._wrap(2 * np.asarray(x.data), x.fmt), (x,), vjp)

    def reading(x):  # y = 3x, whose rule looks at the gradient it gets
        def vjp(g):
            reads.append(np.asarray(g.data).copy())
            return (g * 3,)
        return record(dlarray._wrap(3 * np.asarray(x.data), x.fmt), (x,), vjp)

    def f(x):
        through_views = reshape_raw(deferred_double(reshape_raw(x, (2, 3), "")), (6,), "")
        via_reader = deferred_double(reading(x))
        return dlgradient(dlsum(through_views * 5, "all") + dlsum(via_reader, "all"), x)

    x = dlarray(np.arange(6.0))
    g = dlfeval(f, x)
    np.testing.assert_array_equal(reads[0], np.full(6, 2.0))  # completed before the reading rule ran
    np.testing.assert_array_equal(np.asarray(g.data), np.full(6, 10.0 + 6.0))
    assert len(fills) == 2
    buffer = np.zeros(2)
    defer(buffer, lambda: np.copyto(buffer, 7.0))  # outside a gradient walk: at once
    np.testing.assert_array_equal(buffer, [7.0, 7.0])
