"""Decoded images kept per process, so that epochs and repeated passes decode each file once.

MATLAB re-reads files on every pass; the result is the same when the file has not changed, so the
cache is keyed by path, modification time and size (a file rewritten in place is decoded again). It
holds at most MAX_BYTES of pixels, least recently used first out. Callers get their own copy: what
they do with an image never reaches the cache.
"""
import os
from collections import OrderedDict

MAX_BYTES = 256 * 2 ** 20

_entries = OrderedDict()  # (path, mtime_ns, size) -> decoded array
_held = [0]  # bytes in _entries


def cached_decode(path, decode):
    """A copy of ``decode(path)``, decoded only when the file is new or changed since last time."""
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    image = _entries.get(key)
    if image is not None:
        _entries.move_to_end(key)
        return image.copy()
    image = decode(path)
    if image.nbytes <= MAX_BYTES:
        _entries[key] = image.copy()
        _held[0] += image.nbytes
        while _held[0] > MAX_BYTES:
            _held[0] -= _entries.popitem(last=False)[1].nbytes
    return image


def clear():
    """Forget every decoded image."""
    _entries.clear()
    _held[0] = 0
