"""PNG bit depths: a 16-bit image reads as MATLAB's uint16 data; mixing bit depths in one batch is an error
naming the file, instead of a silent promotion (a 16-bit image 257 times brighter than its 8-bit peers)."""
import numpy as np
import pytest
from PIL import Image

from minidl import augmentedImageDatastore, imageDatastore, minibatchqueue, read, readimage


@pytest.fixture
def mixed(tmp_path):
    (tmp_path / "a").mkdir()
    eight = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    sixteen = np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000 + 7
    Image.fromarray(eight).save(tmp_path / "a" / "1_eight.png")
    Image.fromarray(sixteen).save(tmp_path / "a" / "2_sixteen.png")
    return tmp_path, eight, sixteen


def test_a_16_bit_image_alone_is_uint16(mixed):
    folder, eight, sixteen = mixed
    imds = imageDatastore(folder, IncludeSubfolders=True)
    got = readimage(imds, 1)
    assert got.dtype == np.uint16 and np.array_equal(got, sixteen)  # the values as stored, not rescaled
    assert readimage(imds, 0).dtype == np.uint8 and np.array_equal(readimage(imds, 0), eight)


def test_mixed_bit_depths_in_one_batch_name_the_file(mixed):
    folder, _, _ = mixed
    imds = imageDatastore(folder, IncludeSubfolders=True, ReadSize=2)
    with pytest.raises(ValueError, match=r"2_sixteen\.png' is uint16 but .*1_eight\.png' is uint8"):
        read(imds)
    queue = minibatchqueue(imageDatastore(folder, IncludeSubfolders=True), MiniBatchSize=2,
                           MiniBatchFormat="SSCB")
    with pytest.raises(ValueError, match=r"2_sixteen\.png"):
        queue.next()
    assert queue.hasdata()  # the failed read left the queue where it was
    augmented = augmentedImageDatastore([3, 4], imageDatastore(folder, IncludeSubfolders=True))
    with pytest.raises(ValueError, match=r"2_sixteen\.png"):
        minibatchqueue(augmented, MiniBatchSize=2, MiniBatchFormat="SSCB").next()
    # One at a time, each image keeps its own class, as MATLAB's read does.
    single = imageDatastore(folder, IncludeSubfolders=True)
    assert [read(single).dtype, read(single).dtype] == [np.uint8, np.uint16]
