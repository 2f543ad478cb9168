"""dlarray: construction, formats, accessors, display, value semantics."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minidl as dl
from minidl import dims, dlarray, dlfeval, dlgradient, extractdata, finddim, size, stripdims
from minidl.backend import array_module
from helpers.device import assert_allclose, assert_array_equal, host, on_device


def test_unformatted_keeps_data_and_dtype(rng):
    A = rng.standard_normal((3, 4))
    X = dlarray(A)
    assert dims(X) == "" and X.shape == (3, 4)
    assert extractdata(X).dtype == np.float64
    assert_array_equal(extractdata(X), A)
    assert dlarray(A.astype(np.float32)).dtype == np.float32


def test_python_numbers_and_lists_are_double():
    assert dlarray(3).dtype == np.float64 and dlarray([1, 2]).dtype == np.float64
    assert dlarray(True).dtype == np.bool_ and dlarray([True, False]).dtype == np.bool_


def test_format_is_permuted_to_canonical_order(rng):
    A = rng.standard_normal((3, 4))
    X = dlarray(A, "TS")
    assert dims(X) == "ST" and X.shape == (4, 3) and size(X) == (4, 3)
    assert_array_equal(extractdata(X), A.T)


@pytest.mark.parametrize("fmt, canonical, perm", [
    ("SSCB", "SSCB", (0, 1, 2, 3)),
    ("BCSS", "SSCB", (2, 3, 1, 0)),
    ("UTBCS", "SCBTU", (4, 3, 2, 1, 0)),
    ("USUS", "SSUU", (1, 3, 0, 2)),
    ("CBT", "CBT", (0, 1, 2)),
    ("TCB", "CBT", (1, 2, 0)),
])
def test_canonical_order_keeps_repeated_labels_in_order(rng, fmt, canonical, perm):
    A = rng.standard_normal(tuple(range(2, 2 + len(fmt))))
    X = dlarray(A, fmt)
    assert dims(X) == canonical
    assert_array_equal(extractdata(X), A.transpose(perm))


@settings(max_examples=40)
@given(st.lists(st.sampled_from("SCBTUX"), min_size=1, max_size=5))
def test_any_label_sequence(labels):
    fmt = "".join(labels)
    A = np.arange(2.0 ** len(fmt)).reshape((2,) * len(fmt))
    bad = "X" in fmt or any(fmt.count(c) > 1 for c in "CBT")
    if bad:
        with pytest.raises(ValueError, match="label"):
            dlarray(A, fmt)
        return
    order = sorted(range(len(fmt)), key=lambda i: ("SCBTU".index(fmt[i]), i))
    X = dlarray(A, fmt)
    assert dims(X) == "".join(fmt[i] for i in order)
    assert_array_equal(extractdata(X), A.transpose(order))


def test_extra_labels_are_trailing_singletons(rng):
    X = dlarray(rng.standard_normal((28, 28)), "SSCB")
    assert X.shape == (28, 28, 1, 1) and dims(X) == "SSCB"
    assert dlarray(rng.standard_normal(5), "CB").shape == (5, 1)
    assert dlarray(2.0, "SSCB").shape == (1, 1, 1, 1)


def test_trailing_singleton_data_dims_need_no_label(rng):
    assert dlarray(rng.standard_normal((3, 4, 1)), "SC").shape == (3, 4)


@pytest.mark.parametrize("fmt, bad", [("SXC", "X"), ("sscb", "s"), ("SSCCB", "C"), ("BB", "B"), ("TCBT", "T")])
def test_invalid_format_names_the_bad_label(fmt, bad):
    with pytest.raises(ValueError, match=f"'{bad}'"):
        dlarray(np.zeros((1,) * len(fmt)), fmt)


def test_too_few_labels_is_an_error():
    with pytest.raises(ValueError, match="labels"):
        dlarray(np.zeros((2, 3, 4)), "SC")


def test_format_must_be_a_string():
    with pytest.raises(TypeError, match="fmt"):
        dlarray(np.zeros(3), 5)


@pytest.mark.parametrize("data", [np.arange(3), np.arange(3, dtype=np.int32), np.zeros(2, np.complex128),
                                  np.zeros(2, np.float16), "abc", object()])
def test_unsupported_data_raises_type_error_naming_x(data):
    with pytest.raises(TypeError, match="X"):
        dlarray(data)


def test_dims_finddim_stripdims_extractdata(rng):
    A = rng.standard_normal((4, 5, 3, 2)).astype(np.float32)
    X = dlarray(A, "SSCB")
    assert dims(X) == "SSCB"
    assert finddim(X, "S") == [1, 2] and finddim(X, "C") == [3] and finddim(X, "B") == [4]
    assert finddim(X, "T") == [] and finddim(dlarray(A), "S") == []
    with pytest.raises(ValueError, match="'Q'"):
        finddim(X, "Q")
    Y = stripdims(X)
    assert dims(Y) == "" and Y.shape == X.shape and Y.dtype == np.float32
    assert_array_equal(extractdata(Y), A)
    assert isinstance(extractdata(X), array_module(X.data).ndarray) and extractdata(X).dtype == np.float32


def test_accessors_need_a_dlarray():
    for fn in (dims, stripdims, extractdata):
        with pytest.raises(TypeError, match="X must be a dlarray"):
            fn(np.zeros(3))


def test_size_follows_matlab(rng):
    X = dlarray(rng.standard_normal((28, 28, 1, 128)), "SSCB")
    assert size(X) == (28, 28, 1, 128) and X.shape == (28, 28, 1, 128)
    assert size(X, 4) == 128 and size(X, 5) == 1 and size(X, [1, 4, 6]) == (28, 128, 1)
    assert size(dlarray(3.0)) == (1, 1) and size(dlarray([1.0, 2.0, 3.0])) == (3, 1)
    assert size(np.zeros((2, 3))) == (2, 3)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="dim"):
            size(X, bad)


def test_properties(rng):
    X = dlarray(rng.standard_normal((2, 3)), "CB")
    assert X.ndim == 2 and X.size == 6 and len(X) == 2 and X.fmt == "CB"
    assert float(dlarray(2.5)) == 2.5 and float(dlarray(np.full((1, 1), 4.0), "CB")) == 4.0
    with pytest.raises(TypeError, match="one element"):
        float(X)
    assert_array_equal(np.asarray(host(X)), extractdata(X))  # a host dlarray is an array for NumPy


def test_display_header_and_values():
    X = dlarray(np.zeros((28, 28, 1, 128), np.float32), "SSCB")
    text = repr(X)
    gpu = " gpuArray" if on_device() else ""  # MATLAB's header for data on the GPU
    assert text.startswith(f"28(S) x 28(S) x 1(C) x 128(B) single{gpu} dlarray\n")
    assert "..." in text and len(text) < 5000  # abbreviated
    small = dlarray(np.array([[1.5, 2.0], [3.0, 4.0]]))
    assert str(small).splitlines()[0] == f"2x2 double{gpu} dlarray"
    assert "1.5" in str(small) and "4." in str(small)
    assert repr(dlarray(np.zeros((3, 2, 1, 2)))).startswith(f"3x2x1x2 double{gpu} dlarray")
    assert repr(dlarray(np.ones((4, 3)) > 0, "SS")).startswith(f"4(S) x 3(S) logical{gpu} dlarray")
    assert repr(dlarray(7.0)).startswith(f"1x1 double{gpu} dlarray")


def test_constructor_copies_so_later_writes_do_not_show(rng):
    A = rng.standard_normal((2, 3))
    X, Y = dlarray(A), dlarray(A, "SC")
    A[:] = 0
    assert np.all(host(extractdata(X)) != 0) and np.all(host(extractdata(Y)) != 0)


def test_dlarray_of_dlarray_copies_and_relabels(rng):
    A = rng.standard_normal((2, 3))
    X = dlarray(A, "SC")
    Y = dlarray(X)
    assert dims(Y) == "SC" and Y is not X
    assert_array_equal(extractdata(Y), A)
    # fmt replaces the labels; the stored data are relabelled in their current order.
    Z = dlarray(X, "CB")
    assert dims(Z) == "CB" and Z.shape == (2, 3)
    W = dlarray(X, "TC")
    assert dims(W) == "CT" and W.shape == (3, 2)
    assert_array_equal(extractdata(W), A.T)


def test_dlarray_of_traced_dlarray_stays_traced():
    def fun(x):
        y = dlarray(x, "CB")
        z = dlarray(y)
        loss = dl.sum(z * z, "all")
        return dlgradient(loss, x)

    x = dlarray(np.array([[1.0, 2.0, 3.0]]))
    assert_allclose(extractdata(dlfeval(fun, x)), [[2.0, 4.0, 6.0]])


def test_setitem_is_refused():
    X = dlarray(np.zeros(3))
    with pytest.raises(TypeError, match="value"):
        X[0] = 1.0


def test_transpose_property(rng):
    A = rng.standard_normal((2, 3))
    assert_array_equal(extractdata(dlarray(A).T), A.T)
    with pytest.raises(ValueError, match="unformatted"):
        dlarray(A, "SC").T


def test_extractdata_is_a_copy_the_caller_may_write_into():
    X = dlarray(np.arange(4.0), "C")
    data = extractdata(X)
    data[:] = -1
    assert_array_equal(extractdata(X), np.arange(4.0))
