"""The committed data/digitsCustom.mat: the seed's network, trained well, and right on real handwriting."""
from pathlib import Path

import numpy as np
import pytest

import minidl
from helpers import seed
from helpers.device import host

ROOT = Path(__file__).resolve().parents[2]
MAT = ROOT / "data" / "digitsCustom.mat"
DATA = ROOT / "data" / "DigitDataset"

@pytest.fixture(scope="module")
def saved():
    return minidl.load(MAT)


def test_file_holds_the_seed_network(saved):
    net = saved.dlnet
    assert repr(net.Layers).rstrip() == seed.LAYERS
    assert net.Learnables.size == (14, 3) and net.State.size == (6, 3)
    assert list(saved.classes) == [str(d) for d in range(10)]
    mean = net.Layers[0].Mean
    assert 0.05 < float(np.asarray(mean).ravel()[0]) < 0.2  # channel mean of the training images in [0, 1]


def _accuracy(net, images, labels):
    X = minidl.dlarray(np.stack(images, axis=-1)[:, :, None, :].astype(np.float32) / 255, "SSCB")
    scores = host(minidl.extractdata(minidl.predict(net, X)))
    return float(np.mean(np.argmax(scores, axis=0) == np.asarray(labels)))


def test_held_out_accuracy_of_the_training_split(saved):
    # examples/train_digits.py holds out 10% per label with rng(0) before anything else draws.
    minidl.rng(0)
    imds = minidl.imageDatastore(DATA, IncludeSubfolders=True, LabelSource="foldernames")
    _, validation = minidl.splitEachLabel(imds, 0.9, "randomized")
    labels = [int(str(label)) for label in validation.Labels]
    assert len(labels) == 1000
    assert _accuracy(saved.dlnet, validation.readall(), labels) >= 0.98


def test_scores_real_handwriting_from_scikit_learn(saved):
    """scikit-learn's 1,797 real 8x8 digits, upsampled into a 20x20 box centred in 28x28 like ours."""
    datasets = pytest.importorskip("sklearn.datasets")
    from PIL import Image
    digits = datasets.load_digits()
    images = []
    for image in digits.images:
        small = Image.fromarray((image / 16 * 255).astype(np.uint8)).resize((20, 20), Image.BILINEAR)
        canvas = np.zeros((28, 28), np.uint8)
        canvas[4:24, 4:24] = np.asarray(small)
        images.append(canvas)
    assert _accuracy(saved.dlnet, images, digits.target) >= 0.60
