"""The module-wide random number generator, set with ``rng`` as in MATLAB.

Every randomised minidl function draws from ``generator()`` unless it is given
its own ``generator=`` (a ``numpy.random.Generator``). The generator starts from
seed 0, so runs are repeatable by default.

Two algorithms: "pcg64" (NumPy's PCG64, minidl's default) and "twister"
(MATLAB's factory default, the Mersenne Twister seeded as MATLAB seeds it, so
``generator().random(n)`` after ``rng(seed, "twister")`` gives the same numbers
as MATLAB's ``rand(n, 1)`` after the same call). minidl's other draws (weight
initialisers, shuffles, dropout) use NumPy's algorithms on that stream, not
MATLAB's randn/randperm, so they differ from MATLAB's even with "twister".
"""
import copy

import numpy as np

_DEFAULT_TYPE = "pcg64"
_TWISTER_SEED_ZERO = 5489  # MATLAB's twister seed 0 is the reference MT19937 seed 5489


def _pcg64_state(seed):
    return np.random.PCG64(seed).state


def _twister_state(seed):
    _, key, pos, _, _ = np.random.RandomState(seed or _TWISTER_SEED_ZERO).get_state()  # MT19937's init_genrand
    return {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}


_ALGORITHMS = {"pcg64": (np.random.PCG64, _pcg64_state), "twister": (np.random.MT19937, _twister_state)}
# One Generator per algorithm for the whole process; rng reseeds the current one in place so that
# references handed out by generator() stay current (an object holding it keeps its algorithm when
# rng switches to the other one).
_generators = {name: np.random.Generator(bit_generator(0)) for name, (bit_generator, _) in _ALGORITHMS.items()}
_type, _seed = _DEFAULT_TYPE, 0


def rng(seed=None, generator=None):
    """Seed or restore the module-wide generator; return the settings before the call.

    ``rng(seed)`` with a non-negative integer below 2**32 (the current algorithm), ``rng(seed,
    generator)`` with ``generator`` "twister" or "pcg64", ``rng(generator)`` (seed 0 of that
    algorithm), ``rng("default")`` (minidl's default: "pcg64", seed 0), ``rng("shuffle")`` (seed
    from the operating system), or ``rng(s)`` with settings ``s`` returned by an earlier call.
    ``rng()`` only returns the current settings: a dict with ``Type``, ``Seed`` and ``State``.
    """
    global _type, _seed
    previous = {"Type": _type, "Seed": _seed, "State": copy.deepcopy(_generators[_type].bit_generator.state)}
    if seed is None and generator is None:
        return previous
    if isinstance(seed, dict):
        if generator is not None:
            raise TypeError(f"generator cannot be given with settings from rng(); got {generator!r}")
        new_type, state, new_seed = _restored_state(seed)
    else:
        if generator is None and isinstance(seed, str) and seed in _ALGORITHMS:
            seed, generator = 0, seed  # rng("twister") is rng(0, "twister"), as in MATLAB since R2023b
        new_type = _algorithm(generator) if generator is not None else (
            _DEFAULT_TYPE if isinstance(seed, str) and seed == "default" else _type)
        new_seed = _seed_value(seed)
        state = _ALGORITHMS[new_type][1](new_seed)
    _generators[new_type].bit_generator.state = state
    _type, _seed = new_type, new_seed
    return previous


def generator():
    """The module-wide ``numpy.random.Generator`` that ``rng`` seeds (of the algorithm ``rng`` chose)."""
    return _generators[_type]


def resolve(generator=None):
    """``generator`` itself when given, else the module-wide one (checked to be a Generator)."""
    if generator is None:
        return _generators[_type]
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)); "
                        f"got {type(generator).__name__}")
    return generator


def _algorithm(generator):
    if generator not in _ALGORITHMS:
        raise ValueError(f"generator must be one of {sorted(_ALGORITHMS)} (MATLAB's other algorithms, such as "
                         f"'philox', are not provided); got {generator!r}")
    return generator


def _seed_value(seed):
    if isinstance(seed, str) and seed in ("default", "shuffle"):
        return 0 if seed == "default" else int(np.random.SeedSequence().entropy % 2**32)
    if isinstance(seed, (bool, np.bool_, str)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), 'default', 'shuffle', a generator name or "
                         f"settings from rng(); got {seed!r}")
    return int(seed)


def _restored_state(settings):
    kind = settings.get("Type")
    if kind not in _ALGORITHMS or "State" not in settings or "Seed" not in settings:
        raise ValueError(f"settings must be a dict returned by rng() with Type one of {sorted(_ALGORITHMS)}, Seed and "
                         f"State; got keys {sorted(settings)} and Type {kind!r}")
    return kind, copy.deepcopy(settings["State"]), settings["Seed"]
