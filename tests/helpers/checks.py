"""Checks shared by the op tests: clear refusals of bad input, and the real-GPU comparison's markers."""
import pytest

from minidl.backend import gpu_available


def assert_refused(call, error, words):
    """``call()`` raises ``error`` whose message contains every one of ``words``."""
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def on_real_gpu(what):
    """Marks a test comparing real CuPy with NumPy: host only under --backend=strict (the stand-in is no
    CuPy), and skipped, saying that ``what`` was not checked, where CuPy finds no CUDA device."""
    def mark(test):
        test = pytest.mark.skipif(not gpu_available(), reason=f"CuPy found no CUDA device: {what} on the GPU not "
                                                              "checked")(test)
        return pytest.mark.host_only("compares real CuPy with NumPy: needs a CUDA device, the stand-in is no "
                                     "CuPy")(test)
    return mark
