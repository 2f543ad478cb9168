"""The BLAS configuration printed next to training figures."""
import builtins
import os

import pytest

from minidl import blasinfo


def test_with_threadpoolctl_it_reports_the_kernel_in_use():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    expected = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    got = blasinfo.blas_configuration()
    assert sorted((c["library"], c["version"], c["threads"], c["core_type"]) for c in got) == sorted(
        (i["internal_api"], i.get("version") or "unknown", i["num_threads"], i.get("architecture") or "unknown")
        for i in expected)
    assert blasinfo.blas_summary().startswith("BLAS: ")


def test_numpys_own_blas_comes_first_whichever_was_loaded_first(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    libs = [{"user_api": "blas", "internal_api": "openblas", "version": v, "architecture": "Zen", "num_threads": 2,
             "filepath": f"/site-packages/{where}/.libs/libopenblas.so"} for v, where in (("0.3.30", "scipy.libs"),
                                                                                      ("0.3.31", "numpy.libs"))]
    libs.append({"user_api": "openmp", "internal_api": "openmp", "num_threads": 2, "filepath": "/libgomp.so"})
    for order in (libs, libs[::-1]):
        monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda order=order: list(order))
        assert [c["version"] for c in blasinfo.blas_configuration()] == ["0.3.31", "0.3.30"]


def test_without_threadpoolctl_it_falls_back_to_numpys_configuration(monkeypatch):
    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    (config,) = blasinfo.blas_configuration()
    assert config["core_type"] == "Haswell" and config["threads"] == "3"
    assert set(config) == {"library", "version", "core_type", "threads"}
    assert "core type Haswell, 3 threads" in blasinfo.blas_summary()
    assert "OPENBLAS_CORETYPE=Haswell" in blasinfo.blas_summary()
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"
