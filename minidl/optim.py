"""sgdmupdate, adamupdate, dlupdate: MATLAB's update functions for networks, tables, dlarrays and containers."""
import numbers

from .autodiff.containers import flatten_dlarrays, rebuild
from .dlarray import dlarray


def _parts(params, argname):
    """The dlarrays to update and a function that puts new values back into the same kind of object."""
    if hasattr(params, "_with_values"):  # dlnetwork, TaylorPrunableNetwork
        table = params.Learnables
        if any(v is None for v in table.Value):
            raise ValueError(f"{argname} has uninitialised learnables; call initialize first")
        return table.Value, lambda values: params._with_values(rebuild(table, values), "learnable_names", "Learnables")
    values = flatten_dlarrays(params)
    if not values:
        raise TypeError(f"{argname} must be a network, a table of learnables, a dlarray or a container of dlarrays; "
                        f"got {type(params).__name__}")
    return values, lambda new: rebuild(params, new)


def _matching(values, other, argname, reference):
    flat = other.Learnables.Value if hasattr(other, "_with_values") else flatten_dlarrays(other)
    if len(flat) != len(values):
        raise ValueError(f"{argname} has {len(flat)} arrays; {reference} has {len(values)}")
    for i, (a, b) in enumerate(zip(values, flat)):
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"{argname} entry {i + 1} has size {b.shape}; {reference} entry has size {a.shape}")
    return flat


def _state(values, given, argname):
    """Optimiser state (velocity, moments): zeros when [] or None, else checked against the parameters."""
    if given is None or (isinstance(given, (list, tuple)) and len(given) == 0):
        return [v.zeros_like() for v in values]
    return _matching(values, given, argname, "the learnables")


def _positive(value, argname, allow_zero=False, upper=None):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{argname} must be a real scalar; got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero) or (upper is not None and value >= upper):
        bound = f"in [0, {upper})" if upper is not None else ("nonnegative" if allow_zero else "positive")
        raise ValueError(f"{argname} must be {bound}; got {value}")
    return value


def _new(like, data):
    return dlarray._wrap(data, like.fmt)


def sgdmupdate(net, grad, vel=None, learnRate=0.01, momentum=0.9):
    """``net, vel = sgdmupdate(net, grad, vel, learnRate, momentum)``: v = momentum*v - learnRate*g; w = w + v."""
    values, put_back = _parts(net, "net")
    grads = _matching(values, grad, "grad", "net")
    velocity = _state(values, vel, "vel")
    _positive(learnRate, "learnRate")
    _positive(momentum, "momentum", allow_zero=True, upper=1)
    new_vel = [_new(v, momentum * v.data - learnRate * g.data.astype(v.dtype)) for v, g in zip(velocity, grads)]
    new_w = [_new(w, w.data + v.data) for w, v in zip(values, new_vel)]
    return put_back(new_w), _shaped_like(grad, new_vel)


def adamupdate(net, grad, averageGrad, averageSqGrad, iteration, learnRate=0.001, gradDecay=0.9,
               sqGradDecay=0.999, epsilon=1e-8):
    """``net, averageGrad, averageSqGrad = adamupdate(...)`` with bias correction by ``iteration`` (from 1)."""
    values, put_back = _parts(net, "net")
    grads = _matching(values, grad, "grad", "net")
    m = _state(values, averageGrad, "averageGrad")
    v = _state(values, averageSqGrad, "averageSqGrad")
    if not isinstance(iteration, numbers.Integral) or isinstance(iteration, bool) or iteration < 1:
        raise ValueError(f"iteration must be a positive integer; got {iteration!r}")
    _positive(learnRate, "learnRate")
    _positive(gradDecay, "gradDecay", allow_zero=True, upper=1)
    _positive(sqGradDecay, "sqGradDecay", allow_zero=True, upper=1)
    _positive(epsilon, "epsilon")
    new_m = [_new(a, gradDecay * a.data + (1 - gradDecay) * g.data) for a, g in zip(m, grads)]
    new_v = [_new(a, sqGradDecay * a.data + (1 - sqGradDecay) * g.data ** 2) for a, g in zip(v, grads)]
    m_scale, v_scale = 1 - gradDecay ** iteration, 1 - sqGradDecay ** iteration
    new_w = [_new(w, (w.data - learnRate * (a.data / m_scale) / ((b.data / v_scale) ** 0.5 + epsilon)).astype(w.dtype))
             for w, a, b in zip(values, new_m, new_v)]
    return put_back(new_w), _shaped_like(grad, new_m), _shaped_like(grad, new_v)


def _shaped_like(structure, values):
    if hasattr(structure, "_with_values"):
        structure = structure.Learnables
    return rebuild(structure, values)


def dlupdate(fun, *args):
    """Apply ``fun`` to every learnable of ``args[0]`` with the matching entries of the other arguments.

    ``fun`` returns one dlarray, or a tuple of them for several outputs; each output has the
    structure of ``args[0]`` (a network for the first output when ``args[0]`` is a network).
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable; got {type(fun).__name__}")
    if not args:
        raise TypeError("dlupdate needs at least one network, table, dlarray or container")
    values, put_back = _parts(args[0], "X1")
    others = [_matching(values, a, f"X{i + 2}", "X1") for i, a in enumerate(args[1:])]
    results = [fun(*entries) for entries in zip(values, *others)]
    if results and isinstance(results[0], tuple):
        columns = list(zip(*results))
        first = put_back([_as_dl(r) for r in columns[0]])
        rest = [_shaped_like(args[0], [_as_dl(r) for r in column]) for column in columns[1:]]
        return (first, *rest)
    return put_back([_as_dl(r) for r in results])


def _as_dl(x):
    return x if isinstance(x, dlarray) else dlarray(x)
