"""The BLAS configuration printed next to training figures."""
import builtins
import os

import pytest

from minidl import blasinfo


def test_with_threadpoolctl_it_reports_the_kernel_in_use():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    expected = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    got = blasinfo.blas_configuration()
    assert [c["library"] for c in got] == [i["internal_api"] for i in expected]
    assert [c["threads"] for c in got] == [i["num_threads"] for i in expected]
    assert [c["core_type"] for c in got] == [i.get("architecture") or "unknown" for i in expected]
    assert blasinfo.blas_summary().startswith("BLAS: ")


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
