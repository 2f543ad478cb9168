"""imageDatastore, splitEachLabel, augmentation and minibatchqueue on tiny PNG folders."""
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from minidl import dlarray
from minidl.backend import device_of, gpu_available
from minidl.table import Table
from minidl.data import (augmentedImageDatastore, cat, categorical, countEachLabel, hasdata,
                         imageDataAugmenter, imageDatastore, minibatchqueue, onehotencode, read, readimage, reset,
                         splitEachLabel)
from minidl.random import rng
from helpers.device import assert_array_equal

DIGITS = Path(__file__).resolve().parents[2] / "data" / "DigitDataset"


def write_pngs(root, layout, size=(4, 5), mode="L"):
    """One PNG per name in ``layout`` (folder -> file names); pixel (0, 0) holds a running number."""
    number = 0
    for folder, names in layout.items():
        os.makedirs(root / folder, exist_ok=True)
        for name in names:
            pixels = np.zeros(size + ((len(mode),) if mode != "L" else ()), np.uint8)
            pixels[0, 0] = number
            Image.fromarray(pixels, mode).save(root / folder / name)
            number += 1
    return root


def stamp(image):
    return int(np.asarray(image).reshape(-1)[0])


@pytest.fixture
def labelled(tmp_path):
    """Folders a (3 files), b (3 files), c (2 files) and a stray text file."""
    write_pngs(tmp_path, {"a": ["image10.png", "image9.png", "image11.png"],
                          "b": ["x1.png", "x2.png", "x3.png"], "c": ["y1.png", "y2.png"]})
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    return imageDatastore(tmp_path, IncludeSubfolders=True, LabelSource="foldernames")


# -- imageDatastore ------------------------------------------------------------
def test_files_in_plain_text_order(labelled, tmp_path):
    names = [os.path.relpath(f, tmp_path) for f in labelled.Files]
    assert names == ["a/image10.png", "a/image11.png", "a/image9.png", "b/x1.png", "b/x2.png", "b/x3.png",
                     "c/y1.png", "c/y2.png"]
    assert all(os.path.isabs(f) for f in labelled.Files)


def test_labels_from_folder_names(labelled):
    assert [str(x) for x in labelled.Labels] == ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    counts = countEachLabel(labelled)
    assert isinstance(counts, Table)
    assert [str(x) for x in counts.Label] == ["a", "b", "c"] and counts.Count.tolist() == [3, 3, 2]
    assert "Label" in repr(counts) and "Count" in repr(counts)


def test_read_hasdata_reset(labelled):
    seen = []
    while hasdata(labelled):
        seen.append(stamp(read(labelled)))
    assert seen == [stamp(readimage(labelled, i)) for i in range(8)]
    assert sorted(seen) == list(range(8))
    with pytest.raises(RuntimeError, match="No more data"):
        labelled.read()
    reset(labelled)
    image = labelled.read()
    assert image.shape == (4, 5) and image.dtype == np.uint8


def test_read_size_returns_lists(labelled):
    labelled.ReadSize = 3
    sizes = []
    while labelled.hasdata():
        sizes.append(len(labelled.read()))
    assert sizes == [3, 3, 2]
    assert len(labelled.readall()) == 8


def test_readimage_is_zero_based(labelled):
    assert np.array_equal(labelled.readimage(0), np.array(Image.open(labelled.Files[0])))
    with pytest.raises(IndexError, match="0-based file index in 0..7; got 8"):
        labelled.readimage(8)


def test_rgb_and_rgba_decode_to_rgb(tmp_path):
    write_pngs(tmp_path, {"rgb": ["a.png"]}, mode="RGB")
    write_pngs(tmp_path, {"rgba": ["b.png"]}, mode="RGBA")
    imds = imageDatastore(tmp_path, IncludeSubfolders=True)
    assert [im.shape for im in imds.readall()] == [(4, 5, 3), (4, 5, 3)]
    assert len(imds.Labels) == 0
    batch = augmentedImageDatastore([4, 5], imds, ColorPreprocessing="rgb2gray").read()
    assert batch.VariableNames == ["input"] and batch.input[0].shape == (4, 5, 1)
    X = next(minibatchqueue(imds, MiniBatchFormat="SSCB", OutputEnvironment="cpu"))
    assert X.fmt == "SSCB" and X.shape == (4, 5, 3, 2)


def test_extensions_and_subfolders(tmp_path):
    write_pngs(tmp_path, {"a": ["one.png", "two.PNG"]})
    assert imageDatastore(tmp_path / "a", FileExtensions=".png").NumObservations == 2
    with pytest.raises(ValueError, match=r"no image files with extensions \['.jpg'\].*a"):
        imageDatastore(tmp_path / "a", FileExtensions=[".jpg"])
    with pytest.raises(ValueError, match="IncludeSubfolders=False"):
        imageDatastore(tmp_path)


def test_bad_arguments(tmp_path):
    write_pngs(tmp_path, {"a": ["one.png"]})
    with pytest.raises(FileNotFoundError, match="nowhere"):
        imageDatastore(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="LabelSource must be one of 'none', 'foldernames'; got 'folders'"):
        imageDatastore(tmp_path, IncludeSubfolders=True, LabelSource="folders")
    with pytest.raises(ValueError, match="ReadSize must be a positive integer; got 0"):
        imageDatastore(tmp_path, IncludeSubfolders=True, ReadSize=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'LabelSorce'"):
        imageDatastore(tmp_path, LabelSorce="none")


def test_shuffle_subset_partition_return_new_datastores(labelled):
    labelled.read()
    shuffled = labelled.shuffle(generator=np.random.default_rng(4))
    again = labelled.shuffle(generator=np.random.default_rng(4))
    assert shuffled.Files == again.Files and sorted(shuffled.Files) == sorted(labelled.Files)
    assert shuffled.Files != labelled.Files
    assert [str(x) for x in shuffled.Labels] == [f.split(os.sep)[-2] for f in shuffled.Files]
    assert shuffled.hasdata() and labelled.readimage(0) is not None

    sub = labelled.subset([6, 0])
    assert sub.Files == [labelled.Files[6], labelled.Files[0]] and [str(x) for x in sub.Labels] == ["c", "a"]
    assert labelled.subset(np.arange(8) >= 5).NumObservations == 3
    with pytest.raises(IndexError, match="got \\[8\\]"):
        labelled.subset([8])

    parts = [labelled.partition(3, i) for i in range(3)]
    assert sum((p.Files for p in parts), []) == labelled.Files
    assert [p.NumObservations for p in parts] == [2, 3, 3] and labelled.numpartitions() == 8
    with pytest.raises(IndexError, match="0..2"):
        labelled.partition(3, 3)
    assert labelled._position == 1  # none of the above moved the original


# -- splitEachLabel ------------------------------------------------------------
def test_split_by_count_in_order(labelled):
    first, rest = splitEachLabel(labelled, 2)
    assert [str(x) for x in first.Labels] == ["a", "a", "b", "b", "c", "c"]
    assert first.Files == [labelled.Files[i] for i in (0, 1, 3, 4, 6, 7)]
    assert rest.Files == [labelled.Files[i] for i in (2, 5)]


def test_split_by_proportion_and_several_parts(labelled):
    first, rest = splitEachLabel(labelled, 0.5)
    assert countEachLabel(first).Count.tolist() == [1, 1, 1]  # 1.5 rounds down, as MATLAB
    parts = splitEachLabel(labelled, 1, 1)
    assert [p.NumObservations for p in parts] == [3, 3, 2]


def test_randomized_split_is_reproducible(labelled):
    def split(**kw):
        return [p.Files for p in splitEachLabel(labelled, 2, "randomized", **kw)]
    assert split(generator=np.random.default_rng(1)) == split(generator=np.random.default_rng(1))
    rng(7)
    expected = split()
    rng(7)
    assert split() == expected
    assert splitEachLabel(labelled, 2, "randomize")[0].NumObservations == 6
    draws = {tuple(split(generator=np.random.default_rng(s))[0]) for s in range(20)}
    assert len(draws) > 1


def test_split_bad_arguments(labelled, tmp_path):
    with pytest.raises(ValueError, match="smallest label has 2"):
        splitEachLabel(labelled, 3)
    with pytest.raises(ValueError, match="not a mix"):
        splitEachLabel(labelled, 1, 0.5)
    with pytest.raises(ValueError, match="sum to at most 1"):
        splitEachLabel(labelled, 0.6, 0.6)
    with pytest.raises(ValueError, match="'randomized', 'randomize'; got 'random'"):
        splitEachLabel(labelled, 1, "random")
    with pytest.raises(ValueError, match="needs labels"):
        splitEachLabel(imageDatastore(tmp_path / "a"), 1)


# -- augmentation --------------------------------------------------------------
def test_augmenter_geometry_is_exact_for_quarter_turns_and_shifts():
    image = np.arange(16, dtype=np.uint8).reshape(4, 4)
    before = image.copy()
    turned = imageDataAugmenter(RandRotation=lambda: 90).augment(image)
    assert np.array_equal(turned, np.rot90(image))  # counterclockwise as displayed
    shifted = imageDataAugmenter(RandXTranslation=lambda: 1, FillValue=7).augment(image)
    assert np.array_equal(shifted[:, 1:], image[:, :-1]) and (shifted[:, 0] == 7).all()
    flips = {imageDataAugmenter(RandXReflection=True).augment(image, np.random.default_rng(s)).tobytes()
             for s in range(10)}
    assert flips == {image.tobytes(), np.fliplr(image).tobytes()}
    assert np.array_equal(image, before)


def test_augmenter_bad_arguments():
    with pytest.raises(ValueError, match="RandRotation must be a \\[min, max\\] pair"):
        imageDataAugmenter(RandRotation=[10, -10])
    with pytest.raises(ValueError, match="RandScale must be positive"):
        imageDataAugmenter(RandScale=[0, 1])
    with pytest.raises(TypeError, match="RandXReflection must be True or False"):
        imageDataAugmenter(RandXReflection="yes")


def test_augmented_datastore_keeps_size_and_labels(labelled):
    augmenter = imageDataAugmenter(RandRotation=[-30, 30], RandXTranslation=[-2, 2], RandScale=[0.9, 1.1])
    auimds = augmentedImageDatastore([4, 5], labelled, DataAugmentation=augmenter)
    auimds.MiniBatchSize = 5
    batch = auimds.read(generator=np.random.default_rng(0))
    assert batch.VariableNames == ["input", "response"] and len(batch) == 5
    assert all(x.shape == (4, 5, 1) and x.dtype == np.uint8 for x in batch.input)
    assert isinstance(batch.response, categorical)
    assert (batch.response == labelled.Labels[:5]).all()
    assert len(auimds.read()) == 3 and not auimds.hasdata()
    auimds.reset()
    assert auimds.hasdata() and auimds.NumObservations == 8
    assert labelled.hasdata() and labelled._position == 0


def test_augmented_datastore_resize_crop_colour(labelled):
    assert augmentedImageDatastore([8, 6], labelled).read().input[0].shape == (8, 6, 1)
    assert augmentedImageDatastore([2, 3], labelled, OutputSizeMode="centercrop").read().input[0].shape == (2, 3, 1)
    assert augmentedImageDatastore([4, 5, 3], labelled, ColorPreprocessing="gray2rgb").read().input[0].shape == \
        (4, 5, 3)
    with pytest.raises(ValueError, match="has 1 channels but outputSize asks for 3"):
        augmentedImageDatastore([4, 5, 3], labelled).read()


def test_augmented_datastore_shuffle_is_new_and_bad_arguments(labelled):
    auimds = augmentedImageDatastore([4, 5], labelled)
    shuffled = auimds.shuffle(generator=np.random.default_rng(2))
    assert sorted(shuffled.Files) == sorted(auimds.Files) and auimds.Files == labelled.Files
    with pytest.raises(ValueError, match="outputSize must be"):
        augmentedImageDatastore([0, 5], labelled)
    with pytest.raises(ValueError, match="ColorPreprocessing must be one of"):
        augmentedImageDatastore([4, 5], labelled, ColorPreprocessing="sepia")
    with pytest.raises(TypeError, match="imds must be an imageDatastore"):
        augmentedImageDatastore([4, 5], np.zeros((4, 5)))


# -- minibatchqueue ------------------------------------------------------------
def preprocessMiniBatch(dataX, dataT):
    X = cat(4, *dataX) / 255
    T = onehotencode(cat(2, *dataT), 1)
    return X, T


def make_queue(imds, **kw):
    options = dict(MiniBatchSize=3, MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat=["SSCB", ""],
                   OutputEnvironment="cpu")
    options.update(kw)
    return minibatchqueue(augmentedImageDatastore([4, 5], imds), **options)


def drain(mbq):
    batches = []
    while mbq.hasdata():
        batches.append(next(mbq))
    return batches


def test_queue_batches_formats_and_dtypes(labelled):
    batches = drain(make_queue(labelled))
    assert [X.shape for X, _ in batches] == [(4, 5, 1, 3), (4, 5, 1, 3), (4, 5, 1, 2)]
    X, T = batches[0]
    assert isinstance(X, dlarray) and X.fmt == "SSCB" and X.dtype == np.float32
    assert T.fmt == "" and T.shape == (3, 3) and T.dtype == np.float32
    assert np.array_equal(T.data.argmax(axis=0), [0, 0, 0])
    assert float(X.data.max()) <= 1.0


def test_queue_discards_partial_batch_and_is_exhausted(labelled):
    mbq = make_queue(labelled, PartialMiniBatch="discard")
    assert len(drain(mbq)) == 2
    with pytest.raises(RuntimeError, match="no more mini-batches"):
        mbq.next()
    mbq.reset()
    assert mbq.hasdata()


def test_queue_default_collation(labelled):
    X, T = next(minibatchqueue(augmentedImageDatastore([4, 5], labelled), MiniBatchSize=4,
                               MiniBatchFormat=["SSCB", "CB"], OutputEnvironment="cpu"))
    assert X.shape == (4, 5, 1, 4) and float(X.data.max()) > 1  # no scaling without a MiniBatchFcn
    assert T.fmt == "CB" and T.shape == (3, 4) and T.data.sum(axis=0).tolist() == [1, 1, 1, 1]
    images = next(minibatchqueue(labelled, MiniBatchSize=2, OutputAsDlarray=False, OutputEnvironment="cpu"))
    assert isinstance(images, np.ndarray) and images.shape == (4, 5, 1, 2) and images.dtype == np.float32


def test_queue_shuffle_reset_and_caller_untouched(labelled):
    auimds = augmentedImageDatastore([4, 5], labelled)
    mbq = minibatchqueue(auimds, MiniBatchSize=8, MiniBatchFcn=preprocessMiniBatch, OutputCast="double",
                         OutputEnvironment="cpu")
    X, _ = next(mbq)
    assert X.dtype == np.float64 and not mbq.hasdata() and auimds.hasdata()
    mbq.shuffle(generator=np.random.default_rng(3))
    Y, T = next(mbq)
    assert np.array_equal(np.sort(Y.data[0, 0, 0]), np.sort(X.data[0, 0, 0]))
    assert not np.array_equal(Y.data, X.data)
    assert T.shape == (3, 8)


def test_queue_failed_call_keeps_position(labelled):
    mbq = make_queue(labelled, MiniBatchFcn=lambda x, t: (cat(4, *x), onehotencode(cat(2, *t), 1), 0))
    with pytest.raises(ValueError, match="returned 3 outputs but NumOutputs is 2; pass NumOutputs=3"):
        next(mbq)
    assert mbq._ds._position == 0


def test_queue_bad_arguments(labelled):
    with pytest.raises(ValueError, match="MiniBatchFormat must have one entry per output: expected 2, got 3"):
        make_queue(labelled, MiniBatchFormat=["SSCB", "", "CB"])
    with pytest.raises(ValueError, match="MiniBatchFormat must have one entry per output: expected 2, got 1"):
        make_queue(labelled, MiniBatchFormat="SSCB")
    with pytest.raises(TypeError, match="unexpected keyword argument 'MiniBatchSz'"):
        make_queue(labelled, MiniBatchSz=3)
    with pytest.raises(ValueError, match="MiniBatchSize must be a positive integer; got 0"):
        make_queue(labelled, MiniBatchSize=0)
    with pytest.raises(ValueError, match="MiniBatchSize must be a positive integer; got 2.5"):
        make_queue(labelled, MiniBatchSize=2.5)  # a whole float (MATLAB's double 2) would be accepted
    with pytest.raises(ValueError, match="PartialMiniBatch must be one of"):
        make_queue(labelled, PartialMiniBatch="keep")
    with pytest.raises(ValueError, match="OutputCast 'int8' for output 1 cannot be held in a dlarray"):
        make_queue(labelled, OutputCast="int8")
    with pytest.raises(ValueError, match="invalid dimension label 'X'"):
        make_queue(labelled, MiniBatchFormat=["SSXB", ""])
    with pytest.raises(TypeError, match="ds must be an imageDatastore or augmentedImageDatastore"):
        minibatchqueue([1, 2, 3])


@pytest.mark.skipif(gpu_available(), reason="a GPU is present, so OutputEnvironment='gpu' is valid")
def test_queue_gpu_without_device(labelled):
    with pytest.raises(RuntimeError, match="needs CuPy and a CUDA device"):
        make_queue(labelled, OutputEnvironment="gpu")


@pytest.mark.skipif(not gpu_available(), reason="no GPU: OutputEnvironment='gpu' is checked under --backend=strict")
def test_queue_gpu_outputs_are_on_the_device_and_cpu_outputs_on_the_host(labelled):
    X, T = make_queue(labelled, OutputEnvironment=["gpu", "cpu"]).next()
    assert device_of(X.data) == "gpu" and device_of(T.data) == "cpu"
    X_auto, _ = make_queue(labelled, OutputEnvironment="auto").next()
    assert device_of(X_auto.data) == "gpu"  # "auto" takes the GPU when there is one
    assert_array_equal(X_auto, X)


@pytest.fixture(scope="module")
def twenty(tmp_path_factory):
    root = write_pngs(tmp_path_factory.mktemp("twenty"), {"p": [f"p{k:02d}.png" for k in range(10)],
                                                          "q": [f"q{k:02d}.png" for k in range(10)]})
    return imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), size=st.integers(1, 8), discard=st.booleans())
def test_queue_batch_sizes(twenty, n, size, discard):
    mbq = make_queue(twenty.subset(np.arange(n)), MiniBatchSize=size,
                     PartialMiniBatch="discard" if discard else "return")
    sizes = [X.shape[3] for X, _ in drain(mbq)]
    full, rest = divmod(n, size)
    assert sizes == [size] * full + ([] if discard or rest == 0 else [rest])


# -- the shipped DigitDataset --------------------------------------------------
def test_digit_dataset_loads():
    if not (DIGITS / "0").is_dir():
        print(f"skipped: {DIGITS} is absent")
        pytest.skip(f"{DIGITS} is absent")
    imds = imageDatastore(DIGITS, IncludeSubfolders=True, LabelSource="foldernames")
    assert imds.NumObservations == 10_000
    assert imds.Files[:2] == [str(DIGITS / "0" / "image10000.png"), str(DIGITS / "0" / "image9001.png")]
    counts = imds.countEachLabel()
    assert [str(x) for x in counts.Label] == [str(d) for d in range(10)]
    assert counts.Count.tolist() == [1000] * 10
    assert imds.readimage(0).shape == (28, 28)
