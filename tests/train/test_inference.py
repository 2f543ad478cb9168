"""minibatchpredict, scores2label and testnet on the committed digits network against an independent count."""
from pathlib import Path

import numpy as np
import pytest

import minidl
from minidl import categorical, dlarray, minibatchpredict, scores2label
from helpers.device import assert_allclose, assert_array_equal, host

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def digits():
    """The saved network and 300 held-out images of the training script's split, read once as arrays."""
    saved = minidl.load(ROOT / "data" / "digitsCustom.mat")
    minidl.rng(0)
    imds = minidl.imageDatastore(ROOT / "data" / "DigitDataset", IncludeSubfolders=True, LabelSource="foldernames")
    _, validation = minidl.splitEachLabel(imds, 0.9, "randomized")
    validation = minidl.subset(validation, np.arange(0, 1000, 10))
    images = np.stack(validation.readall(), axis=-1)[:, :, None, :].astype(np.float32) / 255
    truth = np.array([int(str(label)) for label in validation.Labels])
    return saved.dlnet, list(saved.classes), images, truth, validation


def test_minibatchpredict_equals_one_predict_call_observations_first(digits):
    net, _, images, _, _ = digits
    whole = minidl.extractdata(minidl.predict(net, dlarray(images, "SSCB")))  # K x N in one call
    for size in (128, 7):
        scores = minibatchpredict(net, images, MiniBatchSize=size)
        assert scores.shape == (100, 10)
        assert_allclose(scores, whole.T, rtol=1e-5, atol=1e-6)


def test_scores2label_and_testnet_agree_with_a_counted_accuracy(digits):
    net, classes, images, truth, _ = digits
    scores = minibatchpredict(net, images)
    labels, top = scores2label(scores, classes)
    assert labels.shape == (100, 1) and top.shape == (100, 1)  # N x K scores give N x 1, as MATLAB
    predicted = np.argmax(host(scores), axis=1)  # the independent count
    assert [str(label) for label in labels[:, 0]] == [classes[k] for k in predicted]
    assert_array_equal(top[:, 0], scores[np.arange(100), predicted])
    correct = int(np.sum(predicted == truth))
    assert correct >= 95
    T = categorical(truth.reshape(-1, 1).astype(str), classes)
    assert minidl.testnet(net, images, T, "accuracy") == pytest.approx(100 * correct / 100)
    assert float(np.mean(labels == T)) == pytest.approx(correct / 100)  # MATLAB's mean(YTest == TTest)
    # the K x N orientation decodes along dimension 1 and keeps it: 1 x N
    row, _ = scores2label(scores.T, classes)
    assert row.shape == (1, 100) and [str(x) for x in row[0, :]] == [str(x) for x in labels[:, 0]]


def test_datastore_and_queue_forms_give_the_same_scores(digits):
    net, classes, images, truth, validation = digits
    augmented = minidl.augmentedImageDatastore([28, 28], validation)
    raw = minibatchpredict(net, augmented, MiniBatchSize=32)  # images as read (0..255), as MATLAB
    assert_allclose(raw, minibatchpredict(net, images * 255), rtol=1e-5, atol=1e-6)
    mbq = minidl.minibatchqueue(augmented, MiniBatchSize=64, MiniBatchFormat=["SSCB", ""],
                                MiniBatchFcn=lambda X, T: (minidl.cat(4, *X) / 255, minidl.onehotencode(
                                    minidl.cat(2, *T), 1)))
    assert_allclose(minibatchpredict(net, mbq), minibatchpredict(net, images), rtol=1e-5, atol=1e-6)
    counted = 100 * np.mean(np.argmax(host(minibatchpredict(net, images)), axis=1) == truth)
    assert minidl.testnet(net, mbq, "accuracy") == pytest.approx(counted)
    loss, accuracy = minidl.testnet(net, mbq, ["crossentropy", "accuracy"])
    scores = host(minibatchpredict(net, images))
    assert loss == pytest.approx(-np.mean(np.log(scores[np.arange(100), truth])), rel=1e-5)
    assert accuracy == pytest.approx(counted)


def test_scores2label_auto_dimension_and_formats():
    classes = ["a", "b", "c"]
    scores = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])  # 3 x 3: only rows sum to one
    labels, top = scores2label(scores, classes)
    assert labels.shape == (3, 1) and [str(x) for x in labels[:, 0]] == ["b", "a", "c"]
    assert_array_equal(top.ravel(), [0.5, 0.6, 0.8])
    cb, _ = scores2label(dlarray(scores.T, "CB"), classes)  # formatted: the "C" dimension decides
    assert cb.shape == (1, 3) and [str(x) for x in cb[0, :]] == ["b", "a", "c"]
    with pytest.raises(ValueError, match="could not tell the channel dimension"):
        scores2label(np.full((3, 3), 1 / 3), classes)
    with pytest.raises(ValueError, match="dim must be"):
        scores2label(scores, classes, 3)
    explicit, _ = scores2label(np.full((3, 3), 1 / 3), classes, 1)
    assert explicit.shape == (1, 3)


def test_bad_arguments():
    net = minidl.load(ROOT / "data" / "digitsCustom.mat").dlnet
    with pytest.raises(ValueError, match="MiniBatchSize must be a positive integer"):
        minibatchpredict(net, np.zeros((28, 28, 1, 2), np.float32), MiniBatchSize=0)
    with pytest.raises(ValueError, match="metrics must be"):
        minidl.testnet(net, np.zeros((28, 28, 1, 2)), categorical(np.array([["1"], ["2"]])), "f1")
    with pytest.raises(TypeError, match="net must be a dlnetwork"):
        minibatchpredict("net", np.zeros((28, 28, 1, 2)))


@pytest.mark.parametrize("size, kind", [(0, ValueError), (-1, ValueError), (2.5, ValueError), (True, TypeError)])
def test_testnet_checks_MiniBatchSize_before_it_runs(size, kind):
    net = minidl.load(ROOT / "data" / "digitsCustom.mat").dlnet
    X = np.zeros((28, 28, 1, 4), np.float32)
    T = minidl.categorical(np.array(["0"] * 4).reshape(4, 1), categories=[str(d) for d in range(10)])
    with pytest.raises(kind, match="MiniBatchSize"):
        minidl.testnet(net, X, T, "accuracy", MiniBatchSize=size)
    assert minidl.testnet(net, X, T, "Accuracy", MiniBatchSize=2) == minidl.testnet(net, X, T, "accuracy")


def test_images_of_another_size_than_the_input_layer_are_refused_not_resized():
    net = minidl.dlnetwork([minidl.imageInputLayer([20, 20, 1], Normalization="none"),
                            minidl.convolution2dLayer(3, 4), minidl.fullyConnectedLayer(10), minidl.softmaxLayer()])
    imds = minidl.imageDatastore(ROOT / "data" / "DigitDataset", IncludeSubfolders=True,
                                 LabelSource="foldernames").subset(np.arange(0, 10000, 1000))
    with pytest.raises(ValueError, match="28x28 but the network's input layer takes 20x20"):
        minidl.minibatchpredict(net, imds)
    with pytest.raises(ValueError, match="augmentedImageDatastore"):
        minidl.testnet(net, imds, "accuracy")
    assert minibatchpredict(net, minidl.augmentedImageDatastore([20, 20], imds)).shape == (10, 10)
