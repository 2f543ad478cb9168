"""How many threads minidl computes with, and OpenBLAS's thread count while it does.

minidl's thread pool (minidl/kernels/parallel.py) runs convolution chunks and large batch-norm, ReLU
and channel-sum passes on several threads. Its count: the environment variable MINIDL_THREADS (read
when minidl is imported; 1 = no pool) or :func:`set_threads` at run time; without either,
automatic. Automatic means: inside :func:`compute` (dlfeval, a network's forward and predict,
updateScore's sums) the OpenBLAS of NumPy's wheel is set to one thread per call and minidl's pool takes
the threads it had (at most MAX_AUTO and the cores), restored when the outermost scope closes; outside
it, two threads where OpenBLAS already runs one thread per call (``OPENBLAS_NUM_THREADS=1``), else one.
That is a process-wide change while minidl computes: NumPy BLAS calls made by other threads at that
time run on one thread. Where the pool has two or more threads, the outermost scope also keeps its
thread on the CPU it runs on (Linux: sched_setaffinity; its CPUs are restored when the scope closes)
and the pool keeps its workers off that CPU (kernels/parallel.py, measured there); a thread started
inside such a scope inherits that one CPU. MINIDL_THREADS (any
count) switches all of this off and leaves OpenBLAS and the affinities alone.
Results do not depend on the thread count.

Why, measured on the 2-core build machine: with OpenBLAS's own two threads, threads of ours did not
pay (min of 7 rounds: train 98.7 ms with 1 thread, 109.8 ms with 2; medians up to 1.4x slower under
load), because after every multi-threaded call OpenBLAS's idle worker spins on a core for ~0.1 s
(100 ms of CPU in a 0.3 s sleep after one GEMM), so our threads only competed with it. With OpenBLAS
at one thread the spinner is gone, and the convolution chunks and passes on two threads of ours
make the digits steps faster (figures in the README, from benchmarks/bench_digits.py).
"""
import contextlib
import ctypes
import glob
import os
import threading
from functools import cache

import numpy as np

MAX_AUTO = 2  # threads chosen automatically (measured on 2 cores only)


def _environment_threads():
    """MINIDL_THREADS if set (a positive integer), else None (automatic; see the module docstring)."""
    given = os.environ.get("MINIDL_THREADS", "").strip()
    if not given:
        return None
    if not given.isdigit() or int(given) < 1:
        raise ValueError(f"MINIDL_THREADS must be a positive integer (1 switches the thread pool off); got {given!r}")
    return int(given)


@cache
def _openblas():
    """(get_num_threads, set_num_threads) of the OpenBLAS bundled with NumPy's wheel, or None (another BLAS)."""
    here = os.path.dirname(np.__file__)
    for path in glob.glob(os.path.join(here, os.pardir, "numpy.libs", "*openblas*")) + \
            glob.glob(os.path.join(here, ".dylibs", "*openblas*")):
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library, not a second copy
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            get, put = f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}"
            if hasattr(lib, get) and hasattr(lib, put):
                setter = getattr(lib, put)
                setter.argtypes, setter.restype = [ctypes.c_int], None
                return getattr(lib, get), setter
    return None


def _openblas_get_num_threads():
    """The thread-count getter of NumPy's OpenBLAS, or None."""
    found = _openblas()
    return None if found is None else found[0]


def _cores():
    if _held is not None:
        return len(_held[2])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@cache
def _sched_getcpu():
    """glibc's sched_getcpu (the CPU the calling thread runs on), or None."""
    try:
        libc = ctypes.CDLL(None)
        return libc.sched_getcpu if hasattr(libc, "sched_getcpu") else None
    except OSError:
        return None


def _hold_cpu():
    """(CPU, thread id, its CPUs before) after keeping the calling thread on the CPU it runs on, or None where
    that cannot be done (not Linux, one CPU, refused)."""
    getcpu = _sched_getcpu()
    if getcpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    cpu, allowed = getcpu(), os.sched_getaffinity(0)
    if cpu not in allowed or len(allowed) < 2:
        return None
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return None
    return cpu, threading.get_native_id(), allowed


def _release_cpu(held):
    cpu, thread, allowed = held
    try:
        os.sched_setaffinity(thread, allowed)
    except OSError:  # that thread has ended
        pass


def held_cpu():
    """(the CPU the thread that opened the outermost compute() scope is kept on, the CPUs it may use
    otherwise) while it is kept there, else None: the pool keeps its workers off that CPU."""
    return None if _held is None else (_held[0], _held[2])


_chosen = _environment_threads()  # None: automatic


def threads():
    """How many threads a split uses now (1: no pool): set_threads's or MINIDL_THREADS's count, else
    the cores (at most MAX_AUTO) where NumPy's OpenBLAS runs one thread per call, inside
    :func:`compute` the threads OpenBLAS had before it (at most the cores and MAX_AUTO), else 1."""
    if _chosen is not None:
        return _chosen
    if _lent > 1:
        return min(_lent, _cores(), MAX_AUTO)
    blas_threads = _openblas_get_num_threads()
    if blas_threads is None or blas_threads() != 1:
        return 1
    return min(_cores(), MAX_AUTO)


_lock = threading.Lock()
_depth = 0  # compute() scopes open, in any thread
_lent = 0  # OpenBLAS's thread count when the outermost compute() scope set it to 1 (0: not set)
_held = None  # (CPU, thread id, CPUs before) while the outermost scope keeps its thread on one CPU


@contextlib.contextmanager
def compute():
    """minidl's computation (dlfeval, a network's forward and predict, updateScore's sums) runs inside this
    scope: with the thread count automatic, OpenBLAS runs one thread per call in it and minidl's pool takes
    the threads OpenBLAS had, and the calling thread stays on its CPU with the pool's workers kept off it
    (see the module docstring); both restored when the outermost scope closes, also on error.
    Nothing changes with MINIDL_THREADS / set_threads given, another BLAS, or OpenBLAS at one thread."""
    global _depth, _lent, _held
    if _chosen is not None:
        yield
        return
    with _lock:
        if _depth == 0:
            found = _openblas()
            if found is not None and found[0]() > 1:
                _lent = found[0]()
                found[1](1)
            if threads() > 1:
                _held = _hold_cpu()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _lent:
                    _openblas()[1](_lent)
                    _lent = 0
                if _held is not None:
                    _release_cpu(_held)
                    _held = None


def set_threads(n):
    """Use ``n`` threads for large passes (1 switches the pool off; None: automatic again); returns the
    previous setting (a count, or None for automatic)."""
    global _chosen
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_threads: n must be a positive integer or None; got {n!r}")
    previous, _chosen = _chosen, n
    return previous
