"""The module-wide random number generator, set with ``rng`` as in MATLAB.

Every randomised minidl function draws from ``generator()`` unless it is given
its own ``generator=`` (a ``numpy.random.Generator``). As in a fresh MATLAB
session, the generator starts from seed 0, so runs are repeatable by default.
"""
import copy

import numpy as np

_TYPE = "pcg64"
# One Generator object for the whole process; rng reseeds it in place so that
# references handed out by generator() stay current.
_generator = np.random.Generator(np.random.PCG64(0))
_seed = 0


def rng(seed=None):
    """Seed or restore the module-wide generator; return the settings before the call.

    ``rng(seed)`` with a non-negative integer, ``rng("default")`` (seed 0),
    ``rng("shuffle")`` (seed from the operating system), or ``rng(s)`` with
    settings ``s`` returned by an earlier call. ``rng()`` only returns the
    current settings: a dict with ``Type``, ``Seed`` and ``State``.
    """
    global _seed
    previous = {"Type": _TYPE, "Seed": _seed, "State": copy.deepcopy(_generator.bit_generator.state)}
    if seed is None:
        return previous
    if isinstance(seed, dict):
        state, new_seed = _restored_state(seed)
    else:
        new_seed = _seed_value(seed)
        state = np.random.PCG64(new_seed).state
    _generator.bit_generator.state = state
    _seed = new_seed
    return previous


def generator():
    """The module-wide ``numpy.random.Generator`` that ``rng`` seeds."""
    return _generator


def resolve(generator=None):
    """``generator`` itself when given, else the module-wide one (checked to be a Generator)."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)); "
                        f"got {type(generator).__name__}")
    return generator


def _seed_value(seed):
    if isinstance(seed, str):
        if seed == "default":
            return 0
        if seed == "shuffle":
            return int(np.random.SeedSequence().entropy % 2**32)
        raise ValueError(f"seed must be a non-negative integer, 'default', 'shuffle' or settings from rng(); "
                         f"got {seed!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, 'default', 'shuffle' or settings from rng(); "
                         f"got {seed!r}")
    return int(seed)


def _restored_state(settings):
    if settings.get("Type") != _TYPE or "State" not in settings or "Seed" not in settings:
        raise ValueError(f"settings must be a dict returned by rng() with Type {_TYPE!r}, Seed and State; "
                         f"got keys {sorted(settings)} and Type {settings.get('Type')!r}")
    return copy.deepcopy(settings["State"]), settings["Seed"]
