"""Host allocator setting: keep freed memory in the process instead of handing it back to the OS.

A training step allocates and frees the same large temporaries (im2col columns, batch-norm and
activation buffers, 1-60 MB each) every iteration. glibc's malloc serves blocks that large with
fresh mmap'd pages and unmaps them on free, so every step pays for the kernel zeroing pages and
faulting them in again (27% of a digits training step in a perf profile). Serving them from the
heap and not trimming it reuses the same pages: switching it on and off in one process, alternating,
a digits train step took 0.50x and a taylor step 0.30x the time (2 cores, loaded machine); compare
benchmarks/bench_digits.py with and without MINIDL_KEEP_FREED_MEMORY=0.

The setting is process-wide: it is made once when minidl is imported, on glibc only (elsewhere
nothing happens). The price is that memory freed after a peak stays with the process (it is
reused by later allocations, not returned). Switch it off with the environment variable
MINIDL_KEEP_FREED_MEMORY=0 before importing minidl, or undo it with keep_freed_memory(False).
"""
import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
# glibc's defaults (mallopt fixes the thresholds; glibc would otherwise adapt them itself)
_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_MMAP_THRESHOLD: 128 * 1024, _M_MMAP_MAX: 65536}
_KEEP = {_M_TRIM_THRESHOLD: 2 ** 31 - 1, _M_MMAP_MAX: 0}  # no mmap'd blocks, never trim the heap top


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None
    except OSError:
        return None


kept = False  # whether freed memory is being kept now


def keep_freed_memory(enabled=True):
    """Keep (True) or return (False, glibc's defaults) freed memory; True if the setting was applied."""
    global kept
    libc = _libc()
    if libc is None:
        return False
    settings = _KEEP if enabled else _DEFAULTS
    applied = all(libc.mallopt(ctypes.c_int(k), ctypes.c_int(v)) == 1 for k, v in settings.items())
    kept = bool(enabled) and applied
    return applied


def apply_default():
    """The import-time choice: on unless MINIDL_KEEP_FREED_MEMORY is 0/false/no/off."""
    if os.environ.get("MINIDL_KEEP_FREED_MEMORY", "1").strip().lower() not in ("0", "false", "no", "off"):
        keep_freed_memory(True)
