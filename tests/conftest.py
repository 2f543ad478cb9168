"""Shared test set-up: a Hypothesis profile without deadlines (timings vary between machines), and the
backend switch (declared in the root conftest.py): ``pytest --backend=strict`` runs the suite on the strict
CuPy stand-in as on a machine with a GPU (tests/helpers/device.py says what moves to the device).

Under strict, a test marked ``host_only(reason)`` is skipped with its reason (it cannot compute on a
device, e.g. a comparison with real CuPy), and the summary counts the tests that computed on the device
(created at least one device array), those that created none (host by nature: text, argument checks
before any computation, file formats; ``-v`` lists them) and the excluded ones.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from minidl import testing_strict

settings.register_profile("minidl", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("minidl")

_EXCLUDED = "host only under --backend=strict: "


def _strict(config):
    return config.getoption("--backend") == "strict"


def pytest_configure(config):
    config.addinivalue_line("markers", "host_only(reason): cannot run on a device; skipped under --backend=strict")
    config.addinivalue_line("markers", "own_devices: the test moves data between host and device itself; "
                                       "--backend=strict leaves its data where the test puts it")
    config.device_counts = {"device": [], "host": []}
    if _strict(config):
        from helpers.device import stand_in_device
        config.stand_in = stand_in_device()
        config.stand_in.__enter__()


def pytest_unconfigure(config):
    if getattr(config, "stand_in", None) is not None:
        config.stand_in.__exit__(None, None, None)


def pytest_collection_modifyitems(config, items):
    if not _strict(config):
        return
    for item in items:
        marker = item.get_closest_marker("host_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=_EXCLUDED + marker.args[0]))


@pytest.fixture(autouse=True)
def _own_devices(request):
    """A test marked own_devices runs without the device boundary of --backend=strict."""
    if request.node.get_closest_marker("own_devices") is None or not _strict(request.config):
        yield
        return
    from helpers.device import host_side
    with host_side():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = testing_strict.created()
    yield
    if _strict(item.config) and item.get_closest_marker("host_only") is None:
        kind = "device" if testing_strict.created() > before else "host"
        item.config.device_counts[kind].append(item.nodeid)


def pytest_terminal_summary(terminalreporter, config):
    if not _strict(config):
        return
    counts = config.device_counts
    excluded = [r for r in terminalreporter.stats.get("skipped", ()) if _EXCLUDED in str(r.longrepr)]
    terminalreporter.write_line(
        f"backend strict: {len(counts['device'])} tests computed on the stand-in device, {len(counts['host'])} "
        f"created no device array (host by nature), {len(excluded)} excluded as host_only")
    if config.getoption("verbose") > 0:
        for nodeid in counts["host"]:
            terminalreporter.write_line(f"  host: {nodeid}")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
