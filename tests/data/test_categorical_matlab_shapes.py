"""Categoricals have MATLAB's 2-D shapes everywhere, so MATLAB's accuracy idioms give the right number."""
import os

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import minidl
from minidl import (cat, categorical, extractdata, hasdata, imageDatastore, minibatchqueue, onehotdecode,
                    onehotencode, predict, size, splitEachLabel)
from helpers.device import assert_array_equal, host

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_shapes_are_matlab_shapes():
    assert categorical("a").shape == (1, 1)
    assert categorical(["a", "b", "c"]).shape == (1, 3)  # MATLAB's categorical(["a" "b" "c"]) is a row
    assert size(categorical(["a", "b", "c"])) == (1, 3)
    column = categorical(np.array([["a"], ["b"], ["c"]], dtype=object))
    assert column.shape == (3, 1) and size(column) == (3, 1)
    assert column[0].shape == (1, 1) and column[1:].shape == (2, 1) and column[[0, 2]].shape == (2, 1)
    assert column[np.array([True, False, True])].shape == (2, 1)
    assert column[:, 0].shape == (3, 1)  # A(:, 1) stays a column
    assert column.T.shape == (1, 3) and [str(x) for x in column.T] == ["a", "b", "c"]
    assert onehotdecode(np.eye(3)[:, [2, 0]], ["x", "y", "z"], 1).shape == (1, 2)  # C x N -> 1 x N
    assert onehotdecode(np.eye(3)[[2, 0], :], ["x", "y", "z"], 2).shape == (2, 1)  # N x C -> N x 1


def test_equality_follows_matlab_implicit_expansion():
    row = categorical(["a", "b", "a"])
    column = row.T
    assert (row == row).shape == (1, 3) and (column == column).tolist() == [[True], [True], [True]]
    expanded = column == row  # MATLAB: 3x1 == 1x3 is 3x3
    assert expanded.shape == (3, 3)
    assert expanded.tolist() == [[True, False, True], [False, True, False], [True, False, True]]
    assert (column == "a").tolist() == [[True], [False], [True]]
    with pytest.raises(ValueError, match="incompatible sizes.*3x1 and 2x1"):
        column == categorical(np.array([["a"], ["b"]], dtype=object))


def test_cat_of_categoricals_is_matlab_cat():
    a, b = categorical(["x", "y"]), categorical(["z"])
    assert cat(2, a, b).shape == (1, 3) and [str(v) for v in cat(2, a, b)] == ["x", "y", "z"]
    assert cat(1, a.T, b).shape == (3, 1)
    assert cat(1, a, categorical(["p", "q"])).shape == (2, 2)
    with pytest.raises(ValueError, match="operand 2 has size 1x1 but operand 1 has size 1x2"):
        cat(1, a, b)
    labels = [categorical(v) for v in "bab"]
    joined = cat(2, *labels)  # categories in first-seen order: b, a
    assert joined.categories == ["b", "a"]
    assert np.array_equal(onehotencode(joined, 1), [[1, 0, 1], [0, 1, 0]])  # MATLAB's mini-batch idiom


def test_datastore_labels_are_a_column(tmp_path):
    from PIL import Image
    for folder, count in (("cat", 2), ("dog", 3)):
        (tmp_path / folder).mkdir()
        for k in range(count):
            Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / folder / f"{k}.png")
    imds = imageDatastore(tmp_path, IncludeSubfolders=True, LabelSource="foldernames")
    assert imds.Labels.shape == (5, 1) and size(imds.Labels) == (5, 1)
    first, second = splitEachLabel(imds, 1)
    assert first.Labels.shape == (2, 1) and second.Labels.shape == (3, 1)
    assert imds.countEachLabel().Label.shape == (2, 1)
    assert imageDatastore(tmp_path, IncludeSubfolders=True).Labels.shape == (0, 0)


def test_matlab_accuracy_idioms_on_the_digits_network():
    s = minidl.load(os.path.join(ROOT, "data", "digitsCustom.mat"))
    net, classes = s.dlnet, s.classes
    imds = imageDatastore(os.path.join(ROOT, "data", "DigitDataset"), IncludeSubfolders=True,
                          LabelSource="foldernames")
    imdsValidation, _ = splitEachLabel(imds, 12)  # 120 images, 12 of each digit
    mbq = minibatchqueue(imdsValidation, 1, MiniBatchSize=50, MiniBatchFcn=lambda X: cat(4, *X) / 255,
                         MiniBatchFormat="SSCB")
    YPred, scores = [], []
    while hasdata(mbq):
        X = next(mbq)
        Y = predict(net, X)
        YPred.append(onehotdecode(Y, classes, 1))  # 1 x batch, as MATLAB's
        scores.append(extractdata(Y))
    YPred = cat(2, *YPred)
    TTest = imdsValidation.Labels
    assert YPred.shape == (1, 120) and TTest.shape == (120, 1)

    # Independent count: argmax of the numeric scores against the folder names as integers.
    truth = np.array([int(os.path.basename(os.path.dirname(f))) for f in imdsValidation.Files])
    predicted = np.array([int(classes[k]) for k in np.argmax(np.concatenate(host(scores), axis=1), axis=0)])
    expected = np.mean(predicted == truth)
    assert expected > 0.9  # the network is good, so a broadcasting mistake cannot hide

    assert np.mean(YPred.T == TTest) == expected  # mean(YPred' == TTest)
    assert np.mean(YPred == TTest.T) == expected  # mean(YPred == TTest')
    assert (YPred == TTest).shape == (120, 120)  # mismatched orientation expands, exactly as in MATLAB


@settings(max_examples=40)
@given(a=hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=4), elements=st.integers(0, 2)),
       b=hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.integers(0, 2)))
def test_equality_is_implicit_expansion_against_a_loop_oracle(a, b):
    names = np.array(["x", "y", "z"], dtype=object)
    A, B = categorical(names[a], ["x", "y", "z"]), categorical(names[b], ["x", "y", "z"])
    # MATLAB sizes: at least 2-D (a 1-D list is a row), trailing singletons added to the shorter one.
    sa, sb = a.shape, (1,) + b.shape if b.ndim == 1 else b.shape
    ndim = max(len(sa), len(sb))
    sa, sb = sa + (1,) * (ndim - len(sa)), sb + (1,) * (ndim - len(sb))
    if any(m != n and 1 not in (m, n) for m, n in zip(sa, sb)):
        with pytest.raises(ValueError, match="incompatible sizes"):
            A == B
        return
    out_shape = tuple(max(m, n) for m, n in zip(sa, sb))
    ca, cb = a.reshape(sa), b.reshape(sb)  # a 1-D b is the row 1 x n
    expected = np.zeros(out_shape, bool)
    for index in np.ndindex(*out_shape):
        ia = tuple(i if m > 1 else 0 for i, m in zip(index, sa))
        ib = tuple(i if n > 1 else 0 for i, n in zip(index, sb))
        expected[index] = ca[ia] == cb[ib]
    assert np.array_equal(A == B, expected)


@settings(max_examples=40)
@given(a=hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=st.integers(0, 2)),
       data=st.data())
def test_linear_indexing_is_column_major(a, data):
    names = np.array(["x", "y", "z"], dtype=object)
    A = categorical(names[a], ["x", "y", "z"])
    k = data.draw(st.integers(0, a.size - 1))
    assert str(A[k]) == names[a.ravel(order="F")[k]]  # MATLAB's A(k + 1)
    picked = A[np.arange(a.size)]
    assert [str(v) for v in picked] == list(names[a.ravel(order="F")])
    vector = a.shape[0] == 1 or a.shape[1] == 1
    if vector:
        assert picked.shape == a.shape  # a vector keeps its orientation


def test_numpy_values_on_the_left_of_eq_compare_as_on_the_right():
    Y = categorical(np.array(["1", "2", "3"]).reshape(3, 1))
    for left in (np.int64(3), np.array([["1"], ["3"], ["3"]])):
        assert_array_equal(left == Y, Y == left)
    assert_array_equal((np.array([["1"], ["3"], ["3"]]) == Y).ravel(), [True, False, True])
