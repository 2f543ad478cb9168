"""categorical, cat, onehotencode and onehotdecode."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import dlarray
from minidl.testing import gradcheck
from minidl.data import (cat, categorical, categories, countcats, isundefined, onehotdecode, onehotencode)
from helpers.device import assert_array_equal


# -- categorical ---------------------------------------------------------------
def test_default_categories_sorted_as_matlab():
    assert categorical(["b", "a", "b"]).categories == ["a", "b"]
    assert categorical([10, 2, 1]).categories == ["1", "2", "10"]  # numbers by value
    assert categorical([1.0, 2.5]).categories == ["1", "2.5"]


def test_undefined_values():
    A = categorical(["a", None, "", "b"])
    assert isundefined(A).tolist() == [[False, True, True, False]]  # a list is a 1xN row, as in MATLAB
    assert isundefined(categorical([1.0, np.nan])).tolist() == [[False, True]]
    assert str(A[1]) == "<undefined>"


def test_explicit_categories_keep_order_and_undefine_the_rest():
    A = categorical(["x", "b", "a"], categories=["b", "a"])
    assert categories(A) == ["b", "a"]
    assert isundefined(A).tolist() == [[True, False, False]]
    with pytest.raises(ValueError, match="categories must be unique"):
        categorical(["a"], categories=["a", "a"])


def test_equality_by_name():
    A = categorical(["a", "b", None])
    B = categorical(["a", "a", None], categories=["z", "a"])
    assert (A == B).tolist() == [[True, False, False]]  # undefined never equals anything
    assert (A != B).tolist() == [[False, True, True]]
    assert (A == "b").tolist() == [[False, True, False]]
    assert (A == "nope").tolist() == [[False, False, False]]
    assert (categorical([1, 2]) == 2).tolist() == [[False, True]]


def test_indexing_len_iteration():
    A = categorical(["c", "a", "b"])
    assert A[0].shape == (1, 1) and str(A[0]) == "c"  # MATLAB has no 0-D arrays
    assert A[1:].categories == ["a", "b", "c"] and len(A[1:]) == 2 and A[1:].shape == (1, 2)
    assert [str(x) for x in A[np.array([True, False, True])]] == ["c", "b"]
    assert [str(x) for x in A] == ["c", "a", "b"]
    assert len(A[0]) == 1


def test_from_categorical_keeps_unused_categories():
    A = categorical(["a", "b", "c"])[:1]
    assert categorical(A).categories == ["a", "b", "c"]
    assert categorical(A, ["c", "a"]).categories == ["c", "a"] and str(categorical(A, ["c", "a"])[0]) == "a"


def test_value_semantics():
    values = ["b", "a"]
    A = categorical(values)
    A.categories.append("zzz")
    assert A.categories == ["a", "b"] and values == ["b", "a"]
    with pytest.raises(TypeError):
        A[0] = "a"


def test_countcats_and_repr():
    A = categorical(["a", "b", "a", None])
    assert countcats(A).tolist() == [[2, 1]]  # a 1x4 row gives a 1x2 row, as MATLAB's
    assert "categories=['a', 'b']" in repr(A)
    with pytest.raises(TypeError, match="A must be a categorical"):
        categories(["a"])



@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", ""]), min_size=3, max_size=3), min_size=1, max_size=5),
       st.sampled_from([None, 1, 2, 3]))
@settings(max_examples=30)
def test_countcats_counts_along_the_dimension_matlab_picks(rows, dim):
    values = np.array(rows, dtype=object)  # "" is undefined
    A = categorical(values, ["a", "b", "c"])
    counts = countcats(A) if dim is None else countcats(A, dim)
    axis = (0 if values.shape[0] != 1 else 1) if dim is None else dim - 1
    cube = values.reshape(values.shape + (1,))  # MATLAB's trailing singleton third dimension
    expected_shape = list(cube.shape)
    expected_shape[axis] = 3
    expected = np.zeros(expected_shape, dtype=np.int64)
    for index in np.ndindex(cube.shape):  # naive loop: add each element to its category's count
        if cube[index] != "":
            target = list(index)
            target[axis] = "abc".index(cube[index])
            expected[tuple(target)] += 1
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, expected if axis == 2 else expected[..., 0])


def test_countcats_refuses_a_bad_dim():
    for dim, error in ((0, ValueError), (1.5, ValueError), ("1", TypeError)):
        with pytest.raises(error, match="countcats: dim must be"):
            countcats(categorical(["a"]), dim)

# -- cat -----------------------------------------------------------------------
def test_cat_images_along_4():
    images = [np.full((3, 2), k, np.uint8) for k in range(5)]
    X = cat(4, *images)
    assert X.shape == (3, 2, 1, 5) and X.dtype == np.uint8
    assert X[0, 0, 0].tolist() == [0, 1, 2, 3, 4]
    assert cat(4, images).shape == (3, 2, 1, 5)  # a single list stands for its elements


def test_cat_pads_trailing_singletons():
    assert cat(1, 1, 2).shape == (2, 1)
    assert cat(2, np.arange(3), np.arange(3)).shape == (3, 2)  # 1-D arrays are columns
    assert cat(3, np.ones((2, 2)), np.zeros((2, 2))).shape == (2, 2, 2)


def test_cat_categoricals_unites_categories():
    T = cat(2, categorical("b"), categorical("a"), categorical(["b"], ["b", "c"])[0])
    assert T.shape == (1, 3)
    assert T.categories == ["b", "a", "c"]
    assert [str(t) for t in T] == ["b", "a", "b"]


def test_cat_bad_input():
    with pytest.raises(ValueError, match="operand 2 has size 2x3x1 but operand 1 has size 3x3x1"):
        cat(3, np.ones((3, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="dim must be a positive integer"):
        cat(0, np.ones(2))
    with pytest.raises(TypeError, match="cannot mix categoricals"):
        cat(2, categorical("a"), np.ones(1))
    with pytest.raises(ValueError, match="one format for all operands"):
        cat(3, dlarray(np.ones((2, 2, 1, 1)), "SSCB"), dlarray(np.ones((2, 2)), "SS"))
    with pytest.raises(ValueError, match="beyond the 2 dimensions"):
        cat(3, dlarray(np.ones((2, 2)), "SS"))
    with pytest.raises(ValueError, match="at least one"):
        cat(1)


def test_cat_of_dlarrays_is_differentiable_and_keeps_the_format():
    a = dlarray(np.arange(8.0).reshape(2, 2, 2, 1), "SSCB")
    b = dlarray(np.arange(4.0).reshape(2, 2, 1, 1) + 100, "SSCB")
    joined = cat(3, a, b)
    assert joined.fmt == "SSCB" and joined.shape == (2, 2, 3, 1)
    assert_array_equal(joined.data[:, :, 2, 0], b.data[:, :, 0, 0])
    assert gradcheck(lambda a, b: cat(3, a, b), a, b, elementwise=True)
    # Unformatted operands get MATLAB's trailing singletons: two vectors stacked side by side.
    assert cat(2, dlarray(np.ones(3)), dlarray(np.zeros(3))).shape == (3, 2)


# -- onehotencode / onehotdecode -----------------------------------------------
def test_onehotencode_shapes_and_values():
    A = categorical(["b", "a", "c", "a"])
    T = onehotencode(A, 1)
    assert T.shape == (3, 4) and T.dtype == np.float64
    assert T.argmax(axis=0).tolist() == [1, 0, 2, 0]
    assert np.array_equal(onehotencode(A.reshape(4, 1), 2), T.T)
    assert np.array_equal(onehotencode(cat(2, *A), 1), T)  # MATLAB's onehotencode(cat(2, T{:}), 1)
    assert onehotencode(A.reshape(4, 1), 3).shape == (4, 1, 3)


def test_onehotencode_options():
    A = categorical(["b", "a"])
    T = onehotencode(A, 1, ClassNames=["b", "a", "z"], DataType="single")
    assert T.dtype == np.float32
    assert T.tolist() == [[1, 0], [0, 1], [0, 0]]
    assert onehotencode(A, 1, DataType="logical").dtype == bool


def test_onehotencode_undefined_is_nan():
    T = onehotencode(categorical(["a", None]), 1)
    assert T[:, 0].tolist() == [1.0] and np.isnan(T[:, 1]).all()
    with pytest.raises(ValueError, match="DataType 'double' or 'single'"):
        onehotencode(categorical(["a", None]), 1, DataType="logical")


def test_onehotencode_bad_input():
    with pytest.raises(ValueError, match="size 1 along featureDim 1; got size 2"):
        onehotencode(categorical([["a", "b"], ["b", "a"]]), 1)
    with pytest.raises(TypeError, match="A must be a categorical"):
        onehotencode(np.array([1, 2]), 1)
    with pytest.raises(ValueError, match="DataType"):
        onehotencode(categorical(["a"]), 1, DataType="char")
    with pytest.raises(ValueError, match="featureDim"):
        onehotencode(categorical(["a"]), 0)


@given(codes=st.lists(st.integers(0, 4), min_size=1, max_size=30), k_extra=st.integers(0, 3))
def test_round_trip(codes, k_extra):
    classes = [f"class{k}" for k in range(5 + k_extra)]
    A = categorical([classes[c] for c in codes], classes)
    for feature_dim, labels in ((1, A), (2, A.reshape(-1, 1))):
        decoded = onehotdecode(onehotencode(labels, feature_dim), classes, feature_dim)
        assert decoded.shape == labels.shape
        assert decoded.categories == classes
        assert (decoded == labels).all()


@given(scores=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 8)),
                         elements=st.integers(-2, 2).map(float)))
def test_decode_ties_pick_the_first_maximum(scores):
    classes = [str(k) for k in range(scores.shape[0])]
    decoded = onehotdecode(scores, classes, 1)
    expected = [min(np.flatnonzero(column == column.max())) for column in scores.T]
    assert [int(str(d)) for d in decoded] == expected


def test_decode_dlarray_nan_and_dims():
    B = np.array([[0.1, np.nan, 0.5], [0.9, np.nan, 0.5]])
    decoded = onehotdecode(dlarray(B.astype(np.float32), "CB"), ["a", "b"], 1)
    assert decoded.shape == (1, 3)  # the feature dimension stays, as a singleton (MATLAB)
    assert [str(d) for d in decoded] == ["b", "<undefined>", "a"]
    assert onehotdecode(B.T, categorical(["a", "b"]), 2).shape == (3, 1)


def test_decode_bad_input():
    with pytest.raises(ValueError, match="size 2 along featureDim 1 but classes has 3"):
        onehotdecode(np.zeros((2, 4)), ["a", "b", "c"], 1)
    with pytest.raises(ValueError, match="classes must be unique"):
        onehotdecode(np.zeros((2, 4)), ["a", "a"], 1)
    with pytest.raises(TypeError, match="B must be a numeric"):
        onehotdecode(np.array([["x"]]), ["a"], 1)
