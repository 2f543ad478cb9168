"""Both cores for large NumPy passes: a small thread pool that splits work along rows.

NumPy runs an elementwise pass (a ufunc, a reduction, einsum) on one core but releases the GIL
inside it, so two threads working on two parts of an array run at the same time.
``split(fn, n, elements)`` cuts ``range(n)`` into contiguous ranges fixed by the sizes alone (never
by timing), runs ``fn(start, stop)`` on them from the pool's workers and the calling thread (which
takes ranges too, so ranges a worker never picks up are done by the caller), and returns the
results in range order. Callers combine them in that order, so a split reduction is
deterministic; the kernels split only along axes whose elements are computed independently
(elementwise passes, the columns of a column sum), which makes their results bit-identical to
one call on the whole array. ``ufunc(op, *args, out=out)`` splits one ufunc call along axis 0.
``later(fn, parts)`` leaves ranges for the workers to take while they have nothing else to do (work the
gradient walk does not wait for: convolution weight gradients, the Taylor score's sums; the worker
idles through the walk's serial stretches) and returns a function that finishes them on the calling
thread and gives the results.

The ranges (about GRAIN elements each) double as cache blocking: a kernel that makes several
passes over one range finds it still in the core's cache; they are the same with the pool off.
Only NumPy arrays are split (CuPy and other arrays make one call), and a split inside a running
split runs on the calling thread.

How many threads: :func:`minidl.threads.threads` (MINIDL_THREADS, set_threads, or automatic around
OpenBLAS's thread count; measured and explained there). Nothing depends on the pool for correctness.
The pool is made per process: a child made by fork has none of its parent's threads.
"""
import collections
import itertools
import os
import queue
import threading

import numpy as np

from ..threads import held_cpu, threads

GRAIN = 1 << 18  # elements per range: a few arrays' ranges stay in a core's L2 cache between passes
# Smaller passes run all their ranges on the calling thread: waking a worker costs 10-150 us, and the
# batch-norm passes of a digits conv output at batch 32 (368,640 values) took 1.3-1.8x as long on two
# threads as on one; at batch 128 (1,474,560) two threads took 0.6-0.8x as long.
MIN_SHARED = 1 << 20

_local = threading.local()  # .inside: this thread is running ranges of a split


class _Pool:
    def __init__(self, workers):
        self.pid = os.getpid()
        held = held_cpu()  # made inside compute(), the creating thread is kept on one CPU: its CPUs before
        self.cpus = None if not hasattr(os, "sched_setaffinity") else held[1] if held else os.sched_getaffinity(0)
        self.kept_off = None
        self.tasks = queue.SimpleQueue()
        self.later = collections.deque()  # jobs of later(): worked on only while no other job waits
        self.threads = [threading.Thread(target=self._serve, daemon=True, name=f"minidl-parallel-{k}")
                        for k in range(workers)]
        for thread in self.threads:
            thread.start()

    def keep_off(self, held):
        """Workers on the CPUs other than the one compute() keeps its thread on (``held``: threads.held_cpu()),
        or back on all of them (``held`` None). Linux wakes a thread on the CPU of the thread that woke it
        when it can; after idle time both then shared one CPU for the first ~20 ms, and a digits predict
        right after a 0.3 s pause took 1.5x its steady time (1.0x with the workers kept off)."""
        if held == self.kept_off:
            return
        cpus = self.cpus if held is None else held[1] - {held[0]}
        for thread in self.threads:
            try:
                os.sched_setaffinity(thread.native_id, cpus)
            except OSError:  # not allowed here: the scheduler places them
                pass
        self.kept_off = held

    def _serve(self):
        _local.inside = True
        while True:
            job = self.tasks.get()
            if job is None:
                return
            job()
            while self.later and self.tasks.empty():  # one range at a time, so a new job waits one range at most
                try:
                    if not self.later[0].step():
                        self.later.remove(self.later[0])
                except (IndexError, ValueError):  # taken off by another worker or the waiting caller
                    pass

    def close(self):
        for _ in self.threads:
            self.tasks.put(None)


class _Job:
    """Ranges handed out one at a time to whichever thread asks first."""

    def __init__(self, fn, ranges):
        self.fn, self.ranges = fn, ranges
        self.results = [None] * len(ranges)
        self.error = None
        self.claims = itertools.count()  # next() is atomic under the GIL
        self.left = len(ranges)
        self.lock = threading.Lock()
        self.done = threading.Event()

    def __call__(self):
        while self.step():
            pass

    def step(self):
        """Run the next range not yet taken, if any; False when none was left."""
        i = next(self.claims)
        if i >= len(self.ranges):
            return False
        try:
            self.results[i] = self.fn(*self.ranges[i])
        except BaseException as err:  # re-raised in the caller
            self.error = err
        with self.lock:
            self.left -= 1
            if self.left == 0:
                self.done.set()
        return True

    def finish(self):
        """The results in range order, once every range has run (the calling thread runs those left)."""
        _local.inside = True
        try:
            self()
        finally:
            _local.inside = False
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.results


_pool = None


def _workers(count):
    """This process's pool with ``count`` threads in all (the caller is one of them)."""
    global _pool
    if _pool is None or _pool.pid != os.getpid() or len(_pool.threads) != count - 1:
        if _pool is not None and _pool.pid == os.getpid():
            _pool.close()
        _pool = _Pool(count - 1)
    return _pool


def ranges(n, elements=None):
    """Contiguous (start, stop) ranges covering range(n), about GRAIN of ``elements`` (default n) each.

    They depend on n and elements only: the same ranges with any thread count.
    """
    parts = max(1, min(n, -(-(n if elements is None else elements) // GRAIN)))
    q, r = divmod(n, parts)
    bounds = [k * q + min(k, r) for k in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:])]


def split(fn, n, elements=None):
    """``[fn(start, stop) for start, stop in ranges(n, elements)]``, the ranges shared among the threads.

    ``elements`` is the size of the work in array elements (default n). Results come back in
    range order. With one thread, one range, work under MIN_SHARED elements, or inside another
    split, the calling thread runs every range itself.
    """
    size = n if elements is None else elements
    if size <= GRAIN or n == 1:
        return [fn(0, n)]  # one range (what ranges() gives), without building it
    parts = ranges(n, size)
    if size < MIN_SHARED:  # the same ranges, all on the calling thread
        return [fn(a, b) for a, b in parts]
    return map_ranges(fn, parts)


def map_ranges(fn, parts):
    """``[fn(start, stop) for start, stop in parts]``, whichever thread is free taking the next part;
    results in the order of ``parts``. With one thread, one part, or inside another split, the calling
    thread runs every part itself."""
    count = threads()
    if count == 1 or len(parts) < 2 or getattr(_local, "inside", False):
        return [fn(a, b) for a, b in parts]
    pool = _workers(count)
    if pool.cpus is not None:
        pool.keep_off(held_cpu())
    job = _Job(fn, parts)
    for _ in pool.threads:
        pool.tasks.put(job)
    return job.finish()


def later(fn, parts):
    """Start ``[fn(start, stop) for start, stop in parts]`` for the pool's workers to run while they have
    nothing else to do (between other jobs, one range at a time), and return a function that gives the
    results in range order: it runs on the calling thread whatever ranges no worker has taken yet, then
    waits for the rest. With one thread or inside a split, the ranges run at once."""
    count = threads()
    if count == 1 or getattr(_local, "inside", False) or len(parts) == 0:
        results = [fn(a, b) for a, b in parts]
        return lambda: results
    pool = _workers(count)
    job = _Job(fn, parts)
    pool.later.append(job)
    for _ in pool.threads:
        pool.tasks.put(_wake)  # a sleeping worker wakes, finds no job, and turns to the later ones

    def finish():
        try:
            return job.finish()
        finally:
            job.fn = None  # what the ranges read (the maps) is not held past this point
            try:
                pool.later.remove(job)
            except ValueError:  # a worker took it off when it ran out of ranges
                pass
    return finish


def _wake():
    pass


def is_numpy(*arrays):
    return all(type(a) is np.ndarray or np.isscalar(a) for a in arrays)


def ufunc(op, *args, out):
    """``op(*args, out=out)`` for a NumPy ufunc, split along axis 0 of ``out``.

    Operands have out's shape or broadcast against it from a lower rank (per-channel vectors).
    CuPy (or any non-NumPy) arrays and small arrays make one ordinary call.
    """
    if out.ndim == 0 or not is_numpy(out, *args):
        return op(*args, out=out)
    n = out.shape[0]

    def rows(a, start, stop):
        return a[start:stop] if np.ndim(a) == out.ndim and np.shape(a)[0] == n else a

    split(lambda start, stop: op(*(rows(a, start, stop) for a in args), out=out[start:stop]), n, out.size)
    return out


def memory_order(a):
    """``a`` as a 1-D view in memory order if its elements fill one contiguous block (axes in any order), else None."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    view = a.transpose(sorted(range(a.ndim), key=lambda k: -a.strides[k]))
    return view.reshape(-1) if view.flags.c_contiguous else None
