"""Categoricals have MATLAB's 2-D shapes everywhere, so MATLAB's accuracy idioms give the right number."""
import os

import numpy as np
import pytest

import minidl
from minidl import (cat, categorical, extractdata, hasdata, imageDatastore, minibatchqueue, onehotdecode,
                    onehotencode, predict, size, splitEachLabel)

ROOT = os.path.join(os.path.dirname(__file__), "..")


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
    predicted = np.array([int(classes[k]) for k in np.argmax(np.concatenate(scores, axis=1), axis=0)])
    expected = np.mean(predicted == truth)
    assert expected > 0.9  # the network is good, so a broadcasting mistake cannot hide

    assert np.mean(YPred.T == TTest) == expected  # mean(YPred' == TTest)
    assert np.mean(YPred == TTest.T) == expected  # mean(YPred == TTest')
    assert (YPred == TTest).shape == (120, 120)  # mismatched orientation expands, exactly as in MATLAB
