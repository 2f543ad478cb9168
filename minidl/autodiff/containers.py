"""Walking nested containers of dlarrays (lists, tuples, dicts, tables, networks)."""
from ..dlarray import dlarray


def map_dlarrays(obj, fn):
    """Return ``obj`` with ``fn`` applied to every dlarray inside it, structure kept.

    Objects that hold dlarrays (Table, dlnetwork, ...) take part by defining
    ``_map_dlarrays(fn)`` that returns a new object of the same kind.
    """
    if isinstance(obj, dlarray):
        return fn(obj)
    if isinstance(obj, list):
        return [map_dlarrays(v, fn) for v in obj]
    if isinstance(obj, tuple):
        mapped = [map_dlarrays(v, fn) for v in obj]
        return type(obj)(*mapped) if hasattr(obj, "_fields") else tuple(mapped)
    if isinstance(obj, dict):
        return {k: map_dlarrays(v, fn) for k, v in obj.items()}
    if hasattr(obj, "_map_dlarrays"):
        return obj._map_dlarrays(fn)
    return obj


def is_container(obj):
    """True for a dlarray or anything map_dlarrays walks into."""
    return isinstance(obj, (dlarray, list, tuple, dict)) or hasattr(obj, "_map_dlarrays")


def flatten_dlarrays(obj):
    """All dlarrays inside ``obj`` in the order map_dlarrays visits them."""
    found = []

    def collect(x):
        found.append(x)
        return x

    map_dlarrays(obj, collect)
    return found


def rebuild(obj, values):
    """Structure of ``obj`` with its dlarrays replaced, in order, by ``values``."""
    it = iter(values)
    return map_dlarrays(obj, lambda _: next(it))
