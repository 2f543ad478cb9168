"""Bad input to dlarray, arithmetic, dlgradient, crossentropy, reshape/permute and taylorPrunableNetwork
is a clear error naming the argument, never a silent conversion."""
import numpy as np
import pytest

from minidl import crossentropy, dlarray, dlfeval, dlgradient, permute, reshape, softmax, sum, taylorPrunableNetwork
from helpers.device import assert_allclose, assert_array_equal, host


@pytest.mark.parametrize("X, kind, words", [
    ([1 + 2j, 3], TypeError, "complex"),
    (np.array([1 + 2j]), TypeError, "complex128"),
    (["1.5", "2"], TypeError, "string"),
    (np.array(["1.5", "2"]), TypeError, "<U3"),
    ([[1.0], [1.0, 2.0]], ValueError, "ragged"),
])
def test_dlarray_refuses_complex_strings_and_ragged_lists(X, kind, words):
    with pytest.raises(kind, match=f"X .*{words}"):
        dlarray(X)


@pytest.mark.parametrize("operand, kind", [([1j, 2], TypeError), (["1", "2"], TypeError), ([[1], [2, 3]], ValueError)])
def test_arithmetic_operands_are_checked_the_same_way(operand, kind):
    X = dlarray(np.ones(2))
    for combine in (lambda: X + operand, lambda: operand * X, lambda: X - operand):
        with pytest.raises(kind, match="must"):
            combine()


def test_dlgradient_targets_must_be_dlarrays_and_the_error_names_the_position():
    X = dlarray(np.array([1.0, 2.0]))

    def loss(X, targets):
        return dlgradient(sum(X * X), targets(X))

    with pytest.raises(TypeError, match=r"target 1\[1\] must be a dlarray .* got int 3"):
        dlfeval(loss, X, lambda X: [X, 3])
    with pytest.raises(TypeError, match=r"target 1\['b'\]\[0\] must be a dlarray .* got float"):
        dlfeval(loss, X, lambda X: {"a": X, "b": [2.5]})
    with pytest.raises(TypeError, match=r"target 1 must be a dlarray .* got str"):
        dlfeval(loss, X, lambda X: "X")
    gradient = dlfeval(loss, X, lambda X: [X, (X,)])  # containers of dlarrays are fine
    assert_array_equal(gradient[1][0].data, [2.0, 4.0])


def test_crossentropy_of_nan_is_nan():
    probabilities = np.array([[0.5, np.nan], [0.5, 0.3]], dtype=np.float32)
    targets = np.eye(2, dtype=np.float32)
    assert np.isnan(float(crossentropy(dlarray(probabilities, "CB"), targets)))
    finite = np.array([[0.5, 0.0], [0.5, 1.0]], dtype=np.float32)  # the eps clamp still holds for zeros
    assert np.isclose(float(crossentropy(dlarray(finite, "CB"), targets)), -np.log(0.5) / 2)


def test_crossentropy_takes_DataFormat_for_an_unformatted_Y():
    rng = np.random.default_rng(0)
    Y = softmax(dlarray(rng.standard_normal((3, 4)), "CB"))
    T = np.eye(3)[:, [0, 2, 1, 1]]
    want = float(crossentropy(Y, T))
    assert np.isclose(float(crossentropy(dlarray(Y.data), T, DataFormat="CB")), want)
    # "BC": observations along the first dimension; T unformatted is read the same way.
    assert np.isclose(float(crossentropy(dlarray(Y.data.T), T.T, DataFormat="BC")), want)
    assert np.isclose(-np.sum(T * np.log(host(Y.data))) / 4, want)  # independent formula
    with pytest.raises(ValueError, match="DataFormat is only for an unformatted Y"):
        crossentropy(Y, T, DataFormat="CB")

    def loss(Z):
        return dlgradient(crossentropy(Z, T, DataFormat="CB"), Z)

    gradient = dlfeval(loss, dlarray(Y.data))
    assert_allclose(gradient.data, -T / host(Y.data) / 4)


def test_reshape_and_permute_refuse_non_integer_sizes_naming_the_argument():
    X = dlarray(np.arange(6.0))
    with pytest.raises(ValueError, match="reshape: sz must be a non-negative integer; got 2.5"):
        reshape(X, 2.5, 2)
    with pytest.raises(ValueError, match="permute: order must be a non-negative integer; got 1.5"):
        permute(dlarray(np.ones((2, 3))), [1.5, 2])
    assert reshape(X, 2.0, 3.0).shape == (2, 3)  # MATLAB's sizes are doubles


def test_taylorPrunableNetwork_of_none_is_a_type_error():
    with pytest.raises(TypeError, match="net must be a dlnetwork or a list of layers; got NoneType"):
        taylorPrunableNetwork(None)
