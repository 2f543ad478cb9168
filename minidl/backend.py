"""Array-module selection: the same code runs on NumPy and CuPy.

Device-specific code lives in ``minidl.kernels``; everything else asks the data
for its module with :func:`array_module` and never imports CuPy itself.
"""
import numpy as np


def _cupy():
    try:
        import cupy
    except Exception:  # not installed, or installed without a usable CUDA
        return None
    return cupy


def array_module(*arrays):
    """NumPy or CuPy, whichever owns the (first non-NumPy) array given."""
    for a in arrays:
        module = type(a).__module__
        if module.startswith("cupy"):
            return _cupy()
        xp = getattr(a, "__array_namespace_module__", None)  # the strict test stand-in
        if xp is not None:
            return xp
    return np


def gpu_available():
    cp = _cupy()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def to_device(x, environment):
    """Move an array to "cpu", "gpu" or "auto" (GPU when CuPy finds one)."""
    if environment not in ("auto", "cpu", "gpu"):
        raise ValueError(f"OutputEnvironment must be 'auto', 'cpu' or 'gpu'; got {environment!r}")
    if environment == "auto":
        environment = "gpu" if gpu_available() else "cpu"
    if environment == "gpu":
        if not gpu_available():
            raise RuntimeError("OutputEnvironment='gpu' needs CuPy and a CUDA device; none was found")
        return _cupy().asarray(x)
    if array_module(x) is not np:  # CuPy, or the strict stand-in of minidl.testing_strict
        return x.get()
    return np.asarray(x)


def device_of(x):
    return "cpu" if array_module(x) is np else "gpu"
