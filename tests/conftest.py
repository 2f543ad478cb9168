"""Shared test set-up: a Hypothesis profile without deadlines (timings vary between machines)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("minidl", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("minidl")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
