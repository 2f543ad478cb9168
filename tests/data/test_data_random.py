import numpy as np
import pytest

import minidl
from minidl.random import generator, resolve, rng


@pytest.fixture(autouse=True)
def keep_global_rng():
    saved = rng()
    yield
    rng(saved)


def test_same_seed_same_stream():
    rng(5)
    first = generator().random(4)
    rng(5)
    assert np.array_equal(first, generator().random(4))
    rng(6)
    assert not np.array_equal(first, generator().random(4))


def test_default_is_seed_zero_and_exported():
    minidl.rng("default")
    a = generator().random(3)
    minidl.rng(0)
    assert np.array_equal(a, generator().random(3))


def test_returns_previous_settings_which_restore_the_stream():
    rng(3)
    generator().random(2)
    settings = rng()
    expected = generator().random(5)
    previous = rng(99)
    assert previous["Seed"] == 3
    rng(settings)
    assert np.array_equal(expected, generator().random(5))
    assert rng()["Seed"] == 3


def test_generator_object_is_stable_across_reseeding():
    g = generator()
    rng(1)
    assert generator() is g


def test_shuffle_seeds_from_the_system():
    rng("shuffle")
    assert isinstance(rng()["Seed"], int)


def test_resolve():
    own = np.random.default_rng(1)
    assert resolve(own) is own
    assert resolve(None) is generator()
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        resolve(np.random.RandomState(1))


@pytest.mark.parametrize("seed", [-1, 1.5, "sometimes", True])
def test_bad_seed(seed):
    before = rng()
    with pytest.raises(ValueError, match="seed must be"):
        rng(seed)
    assert rng()["State"] == before["State"]


def test_bad_settings():
    with pytest.raises(ValueError, match="settings must be a dict returned by rng"):
        rng({"Type": "twister"})
