"""minidl.threads: the thread count of minidl's pool, and OpenBLAS at one thread inside compute()."""
import os

import numpy as np
import pytest

from minidl import dlarray, dlfeval, threads as policy
from minidl.kernels import parallel
from minidl.layers import fullyConnectedLayer, featureInputLayer
from minidl.network import dlnetwork, predict


class FakeOpenBLAS:
    def __init__(self, count):
        self.count, self.calls = count, []

    def get(self):
        return self.count

    def put(self, n):
        self.calls.append(n)
        self.count = n


@pytest.fixture
def fake(monkeypatch):
    blas = FakeOpenBLAS(2)
    monkeypatch.setattr(policy, "_openblas", lambda: (blas.get, blas.put))
    monkeypatch.setattr(policy, "_cores", lambda: 2)
    monkeypatch.setattr(policy, "_chosen", None)
    return blas


def test_compute_runs_openblas_on_one_thread_and_lends_its_threads_to_the_pool(fake):
    assert policy.threads() == 1  # outside: OpenBLAS's own two threads
    with policy.compute():
        assert fake.count == 1 and policy.threads() == 2
        with policy.compute():  # nested scopes change nothing more
            assert fake.count == 1 and policy.threads() == 2
        assert fake.count == 1
    assert fake.count == 2 and fake.calls == [1, 2] and policy.threads() == 1


def test_compute_restores_openblas_after_an_error(fake):
    with pytest.raises(KeyError):
        with policy.compute():
            raise KeyError("inside")
    assert fake.count == 2 and fake.calls == [1, 2]
    with policy.compute():
        assert fake.count == 1


def test_compute_leaves_openblas_alone_when_told_or_when_nothing_to_lend(fake, monkeypatch):
    policy.set_threads(1)  # MINIDL_THREADS / set_threads given: OpenBLAS is the user's business
    with policy.compute():
        assert fake.count == 2 and policy.threads() == 1
    policy.set_threads(None)
    fake.count = 1  # OPENBLAS_NUM_THREADS=1: nothing to lend, the pool takes the cores anyway
    with policy.compute():
        assert policy.threads() == 2
    assert fake.calls == []
    monkeypatch.setattr(policy, "_openblas", lambda: None)  # another BLAS
    with policy.compute():
        assert policy.threads() == 1


def test_dlfeval_and_predict_compute_inside_the_scope(fake):
    net = dlnetwork([featureInputLayer(3), fullyConnectedLayer(2)])  # initialising runs the network: a scope
    assert fake.calls == [1, 2]
    fake.calls.clear()
    X = dlarray(np.ones((2, 3), dtype=np.float32), "BC")
    seen = []
    dlfeval(lambda x: seen.append(fake.count) or x, X)
    predict(net, X)
    assert seen == [1] and fake.calls == [1, 2, 1, 2] and fake.count == 2


def test_the_real_openblas_is_restored():
    found = policy._openblas()
    if found is None:
        pytest.skip("NumPy here is not linked to its wheel's OpenBLAS: compute() changes nothing")
    get, _ = found
    before = get()
    inside = []
    previous = policy.set_threads(None)
    try:
        dlfeval(lambda x: inside.append(get()) or x, dlarray(np.ones(3)))
    finally:
        policy.set_threads(previous)
    assert inside == [1] and get() == before


def _can_hold_a_cpu():
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2 and policy._sched_getcpu() is not None


@pytest.mark.skipif(not _can_hold_a_cpu(), reason="needs Linux's sched_setaffinity/sched_getcpu and two CPUs")
def test_compute_keeps_its_thread_on_one_cpu_and_the_pools_workers_off_it(fake):
    before = os.sched_getaffinity(0)
    with pytest.raises(KeyError):  # restored also when the computation fails
        with policy.compute():
            cpu, allowed = policy.held_cpu()
            assert os.sched_getaffinity(0) == {cpu} and allowed == before and policy.threads() == 2
            parallel.map_ranges(lambda a, b: a, [(0, 1), (1, 2)])
            for worker in parallel._pool.threads:
                assert os.sched_getaffinity(worker.native_id) == before - {cpu}
            raise KeyError("inside")
    assert os.sched_getaffinity(0) == before and policy.held_cpu() is None
    previous = policy.set_threads(2)  # outside compute(): the workers are back on every CPU at the next split
    try:
        parallel.map_ranges(lambda a, b: a, [(0, 1), (1, 2)])
        for worker in parallel._pool.threads:
            assert os.sched_getaffinity(worker.native_id) == before
    finally:
        policy.set_threads(previous)
