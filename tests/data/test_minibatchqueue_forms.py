"""minibatchqueue as MATLAB code writes it: minibatchqueue(ds, numOutputs, Name, Value, ...)."""
import numpy as np
import pytest
from PIL import Image

from minidl import augmentedImageDatastore, cat, imageDatastore, minibatchqueue, onehotencode


@pytest.fixture
def folder(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for k in range(3):
            Image.fromarray(np.full((4, 4), 10 * k, np.uint8)).save(tmp_path / label / f"{k}.png")
    return tmp_path


def test_positional_number_of_outputs_and_name_value_pairs(folder):
    imds = imageDatastore(folder, "IncludeSubfolders", True, "LabelSource", "foldernames")
    seen = []

    def predictors_only(X):
        seen.append(len(X))
        return cat(4, *X)

    test_set = augmentedImageDatastore([4, 4], imageDatastore(folder, IncludeSubfolders=True))  # no labels
    queue = minibatchqueue(test_set, 1, "MiniBatchSize", 4, "MiniBatchFcn", predictors_only,
                           "MiniBatchFormat", "SSCB")
    assert queue.NumOutputs == 1 and queue.next().shape == (4, 4, 1, 4) and seen == [4]

    def both(X, T):
        return cat(4, *X), onehotencode(cat(2, *T), 1)

    labelled = minibatchqueue(augmentedImageDatastore([4, 4], imds), 2, MiniBatchSize=6, MiniBatchFcn=both,
                              MiniBatchFormat=["SSCB", ""])
    X, T = labelled.next()
    assert X.shape == (4, 4, 1, 6) and T.shape == (2, 6)
    with pytest.raises(ValueError, match="name-value arguments must come in pairs"):
        minibatchqueue(test_set, 1, "MiniBatchSize")
