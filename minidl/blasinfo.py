"""Which BLAS computes NumPy's matrix products, so a printed figure can say what it was measured with.

Float32 results depend on the BLAS kernel (OpenBLAS picks one per CPU core type, and
``OPENBLAS_CORETYPE`` can force one): the summation order changes the last bits, and a
training run follows them. Results are reproducible on the same kernel.
"""
import os

import numpy as np


def blas_configuration():
    """One dict per BLAS library loaded (NumPy's own first, then the others, SciPy's say, by file path):
    ``library``, ``version``, ``core_type``, ``threads``; the order does not depend on which was loaded first.

    Read with threadpoolctl when it is installed (it reports the kernel in use);
    otherwise from NumPy's build configuration and the environment, where the core
    type and thread count are what ``OPENBLAS_CORETYPE`` and ``OPENBLAS_NUM_THREADS``
    / ``OMP_NUM_THREADS`` force ("default" when nothing forces them).
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [_from_numpy_config()]
    found = [{"library": info.get("internal_api", "unknown"), "version": info.get("version") or "unknown",
              "core_type": info.get("architecture") or "unknown", "threads": info.get("num_threads")}
             for info in sorted((i for i in threadpool_info() if i.get("user_api") == "blas"),
                                key=lambda i: ("numpy" not in str(i.get("filepath", "")), str(i.get("filepath", ""))))]
    return found or [_from_numpy_config()]


def blas_summary():
    """The BLAS configuration as one line, e.g. "BLAS: openblas 0.3.31, core type SkylakeX, 2 threads"."""
    parts = [f"{c['library']} {c['version']}, core type {c['core_type']}, {c['threads']} threads"
             for c in blas_configuration()]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return "BLAS: " + "; ".join(parts) + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")


def _from_numpy_config():
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):  # NumPy before 1.26 prints only
        blas = {}
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    return {"library": blas.get("name", "unknown"), "version": blas.get("version", "unknown"),
            "core_type": os.environ.get("OPENBLAS_CORETYPE", "default"), "threads": threads}
