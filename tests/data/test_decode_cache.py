"""Images are decoded once per process while their file is unchanged; callers get their own copies."""
import os

import numpy as np
from PIL import Image

from minidl import imageDatastore, readimage
from minidl.data import decodecache
from helpers.device import assert_array_equal


def _write(path, value, mtime_ns):
    Image.fromarray(np.full((4, 5), value, np.uint8)).save(path)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_changed_file_is_decoded_again_and_copies_are_private(tmp_path):
    path = tmp_path / "a.png"
    _write(path, 7, 1_000_000_000)
    ds = imageDatastore(tmp_path)
    first = readimage(ds, 0)
    first[:] = 99  # the caller's copy: must not reach the cache
    assert_array_equal(readimage(ds, 0), np.full((4, 5), 7, np.uint8))
    _write(path, 8, 2_000_000_000)  # same size, new content and time
    assert_array_equal(readimage(ds, 0), np.full((4, 5), 8, np.uint8))


def test_cache_is_bounded_and_evicts_least_recently_used(tmp_path, monkeypatch):
    decodecache.clear()
    monkeypatch.setattr(decodecache, "MAX_BYTES", 2 * 20)  # room for two 4x5 uint8 images
    decoded = []

    def decode(path):
        decoded.append(os.path.basename(path))
        return np.zeros((4, 5), np.uint8)
    paths = []
    for name in "abc":
        paths.append(str(tmp_path / f"{name}.png"))
        _write(paths[-1], 0, 1_000_000_000)
    for p in paths[:2] + paths[:1] + paths[2:] + paths:  # a b a c | a b c
        decodecache.cached_decode(p, decode)
    # The second a is a hit; c pushes out b (least recently used), so the third a is a hit too;
    # then b pushes out c and c pushes out a.
    assert decoded == ["a.png", "b.png", "c.png", "b.png", "c.png"]
    decodecache.clear()
