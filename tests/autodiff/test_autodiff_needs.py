"""The gradient walk tells each backward rule which of its inputs need a gradient."""
import numpy as np

from minidl import dlarray, dlfeval, dlgradient, extractdata, sum as dlsum
from minidl.autodiff.trace import record
from helpers.device import assert_array_equal


def _product(a, b, seen):
    """a*b recorded with a rule that logs the needs it is given."""
    def vjp(g, needs):
        seen.append(needs)
        return (g * b if needs[0] else None, g * a if needs[1] else None)
    return record(dlarray(a.data * b.data), (a, b), vjp, with_needs=True)


def test_only_inputs_on_a_path_to_a_target_are_needed():
    seen = []

    def fun(a, b):
        return dlgradient(dlsum(_product(a, b, seen)), a)
    a, b = dlarray(np.array([1.0, 2.0])), dlarray(np.array([3.0, 5.0]))
    ga = dlfeval(fun, a, b)
    assert seen == [(True, False)]
    assert_array_equal(extractdata(ga), [3.0, 5.0])


def test_an_intermediate_target_needs_nothing_upstream():
    seen = []

    def fun(a, b):
        c = _product(a, b, seen)
        d = _product(c, c, seen)  # c*c: both operands are the target
        return dlgradient(dlsum(d), c)
    a, b = dlarray(np.array([1.0, 2.0])), dlarray(np.array([3.0, 5.0]))
    gc = dlfeval(fun, a, b)
    assert seen == [(True, True)]  # only d's rule ran; c's own rule (towards a and b) was skipped
    assert_array_equal(extractdata(gc), [6.0, 20.0])  # d/dc c^2 = 2c, c = a*b


def test_untraced_constant_operand_gets_no_gradient_work():
    seen = []

    def fun(a):
        mask = dlarray(np.array([1.0, 0.0]))  # made inside: not a traced leaf
        return dlgradient(dlsum(_product(a, mask, seen)), a)
    g = dlfeval(fun, dlarray(np.array([4.0, 7.0])))
    assert seen == [(True, False)]
    assert_array_equal(extractdata(g), [1.0, 0.0])
