"""sgdmupdate, sgdupdate, adamupdate, rmspropupdate, dlupdate: MATLAB's update functions for networks, tables, dlarrays and containers.

Parameters may be a network (its Learnables are updated), a Learnables-style table, a
dlarray, or a list/tuple/dict of them; gradients and optimiser state must have the same
entries (for tables: the same Layer/Parameter rows in the same order) and sizes.
Every function checks all its arguments before computing and returns new objects.
"""
import copy

from . import validate
from .autodiff.containers import flatten_dlarrays, is_container, rebuild
from .dlarray import dlarray
from .table import Table


def _is_network(x):
    """dlnetwork, TaylorPrunableNetwork: objects with an assignable Learnables property."""
    learnables = getattr(type(x), "Learnables", None)
    return isinstance(learnables, property) and learnables.fset is not None


def _keys(obj):
    if isinstance(obj, Table) and {"Layer", "Parameter"} <= set(obj.VariableNames):
        return list(zip(obj.Layer, obj.Parameter))
    return None


def _entries(obj, argname):
    """(dlarrays of obj in order, their (Layer, Parameter) keys or None, obj's structure for rebuilding)."""
    structure = obj.Learnables if _is_network(obj) else obj
    if not is_container(structure):
        raise TypeError(f"{argname} must be a network, a table of learnables, a dlarray or a list/tuple/dict of "
                        f"dlarrays; got {type(obj).__name__}")
    values = flatten_dlarrays(structure)
    if isinstance(structure, Table) and len(values) != structure.height:
        raise ValueError(f"{argname} has {structure.height - len(values)} values that are not dlarrays "
                         "(empty values of an uninitialised network? call initialize first)")
    return values, _keys(structure), structure


def _matching(reference, keys, other, argname, refname):
    """The dlarrays of ``other``, checked to pair one-to-one with ``reference``."""
    values, other_keys, _ = _entries(other, argname)
    if keys is not None and other_keys is not None and keys != other_keys:
        bad = next((i for i, (a, b) in enumerate(zip(keys, other_keys)) if a != b), min(len(keys), len(other_keys)))
        got = other_keys[bad] if bad < len(other_keys) else "no row"
        want = keys[bad] if bad < len(keys) else "no row"
        raise ValueError(f"{argname} must have the rows of {refname}; row {bad + 1} is {got}, expected {want}")
    if len(values) != len(reference):
        raise ValueError(f"{argname} has {len(values)} arrays; {refname} has {len(reference)}")
    for i, (a, b) in enumerate(zip(reference, values)):
        if a.shape != b.shape:
            where = f"{keys[i][0]}/{keys[i][1]}" if keys else f"entry {i + 1}"
            raise ValueError(f"{argname} {where} has size {b.shape}; {refname} has size {a.shape}")
    return values


def _optimiser_state(values, keys, given, argname):
    """Velocity or moments: zeros when None or [] (the first iteration), else checked against the parameters."""
    if given is None or (isinstance(given, (list, tuple)) and len(given) == 0):
        return [v.zeros_like() for v in values]
    return _matching(values, keys, given, argname, "the learnables")


def _target(net, argname="net"):
    """(weights, keys, put_back): the learnables of ``net`` and a function giving ``net``'s kind back."""
    values, keys, structure = _entries(net, argname)

    def put_back(new):
        table = rebuild(structure, new)
        if not _is_network(net):
            return table
        updated = copy.copy(net)  # assigning Learnables rebinds the copy's values only; net stays as it was
        updated.Learnables = table
        return updated

    return values, keys, put_back


def _like(grad, values):
    """Optimiser state with the structure of ``grad`` (a network's Learnables table for a network)."""
    return rebuild(grad.Learnables if _is_network(grad) else grad, values)


def _wrap(like, data):
    return dlarray._wrap(data.astype(like.dtype, copy=False), like.fmt)


def sgdmupdate(net, grad, vel=None, learnRate=0.01, momentum=0.9):
    """``net, vel = sgdmupdate(net, grad, vel, learnRate, momentum)``.

    v = momentum*v - learnRate*g; w = w + v. ``vel`` is None or [] at the first iteration.
    """
    values, keys, put_back = _target(net)
    grads = _matching(values, keys, grad, "grad", "net")
    velocity = _optimiser_state(values, keys, vel, "vel")
    learnRate = validate.real(learnRate, "learnRate", 0, low_open=True)
    momentum = validate.real(momentum, "momentum", 0, 1)
    new_vel = [_wrap(w, momentum * v.data - learnRate * g.data) for w, v, g in zip(values, velocity, grads)]
    new_w = [_wrap(w, w.data + v.data) for w, v in zip(values, new_vel)]
    return put_back(new_w), _like(grad, new_vel)


def sgdupdate(net, grad, learnRate=0.01):
    """``net = sgdupdate(net, grad, learnRate)``: plain stochastic gradient descent, w = w - learnRate*g.

    MATLAB has no function of this name (its plain SGD is sgdmupdate with momentum 0); it is here as the
    momentum-free member of the family, with sgdmupdate's argument names and learn-rate default.
    """
    values, keys, put_back = _target(net)
    grads = _matching(values, keys, grad, "grad", "net")
    learnRate = validate.real(learnRate, "learnRate", 0, low_open=True)
    return put_back([_wrap(w, w.data - learnRate * g.data) for w, g in zip(values, grads)])


def adamupdate(net, grad, averageGrad, averageSqGrad, iteration, learnRate=0.001, gradDecay=0.9,
               sqGradDecay=0.999, epsilon=1e-8):
    """``net, averageGrad, averageSqGrad = adamupdate(net, grad, averageGrad, averageSqGrad, iteration, ...)``.

    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    w = w - learnRate * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + epsilon), t = iteration (1, 2, ...).
    The moments are None or [] at the first iteration.
    """
    values, keys, put_back = _target(net)
    grads = _matching(values, keys, grad, "grad", "net")
    m = _optimiser_state(values, keys, averageGrad, "averageGrad")
    v = _optimiser_state(values, keys, averageSqGrad, "averageSqGrad")
    iteration = validate.positive_int(iteration, "iteration")
    learnRate = validate.real(learnRate, "learnRate", 0, low_open=True)
    b1 = validate.real(gradDecay, "gradDecay", 0, 1, high_open=True)
    b2 = validate.real(sqGradDecay, "sqGradDecay", 0, 1, high_open=True)
    epsilon = validate.real(epsilon, "epsilon", 0, low_open=True)
    new_m = [_wrap(w, b1 * a.data + (1 - b1) * g.data) for w, a, g in zip(values, m, grads)]
    new_v = [_wrap(w, b2 * a.data + (1 - b2) * g.data ** 2) for w, a, g in zip(values, v, grads)]
    m_scale, v_scale = 1 - b1 ** int(iteration), 1 - b2 ** int(iteration)
    new_w = [_wrap(w, w.data - learnRate * (a.data / m_scale) / ((b.data / v_scale) ** 0.5 + epsilon))
             for w, a, b in zip(values, new_m, new_v)]
    return put_back(new_w), _like(grad, new_m), _like(grad, new_v)


def rmspropupdate(net, grad, averageSqGrad=None, learnRate=0.001, sqGradDecay=0.9, epsilon=1e-8):
    """``net, averageSqGrad = rmspropupdate(net, grad, averageSqGrad, learnRate, sqGradDecay, epsilon)``.

    v = sqGradDecay*v + (1-sqGradDecay)*g^2; w = w - learnRate * g / (sqrt(v) + epsilon).
    ``averageSqGrad`` is None or [] at the first iteration.
    """
    values, keys, put_back = _target(net)
    grads = _matching(values, keys, grad, "grad", "net")
    v = _optimiser_state(values, keys, averageSqGrad, "averageSqGrad")
    learnRate = validate.real(learnRate, "learnRate", 0, low_open=True)
    decay = validate.real(sqGradDecay, "sqGradDecay", 0, 1, high_open=True)
    epsilon = validate.real(epsilon, "epsilon", 0, low_open=True)
    new_v = [_wrap(w, decay * a.data + (1 - decay) * g.data ** 2) for w, a, g in zip(values, v, grads)]
    new_w = [_wrap(w, w.data - learnRate * g.data / (b.data ** 0.5 + epsilon))
             for w, g, b in zip(values, grads, new_v)]
    return put_back(new_w), _like(grad, new_v)


def dlupdate(fun, *args):
    """``X1 = dlupdate(fun, X1, X2, ...)``: ``fun`` applied to every learnable of ``X1`` with the matching
    entries of ``X2, ...``; a network gives a network.

    When ``fun`` returns a tuple, the result is a tuple: the first output with the structure of
    ``X1``, the others with the structure of X1's learnables (a table for a network).
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable; got {type(fun).__name__}")
    if not args:
        raise TypeError("dlupdate needs at least one network, table, dlarray or container after fun")
    values, keys, put_back = _target(args[0], "X1")
    others = [_matching(values, keys, a, f"X{i + 2}", "X1") for i, a in enumerate(args[1:])]
    results = [fun(*entries) for entries in zip(values, *others)]
    several = [isinstance(r, tuple) for r in results]
    if any(several) and not all(several):
        raise TypeError("fun must return the same number of outputs for every entry")
    if not results or not all(several):  # a network without learnables gives itself back
        return put_back([_as_dl(r) for r in results])
    columns = list(zip(*results))
    return (put_back([_as_dl(r) for r in columns[0]]),
            *(_like(args[0], [_as_dl(r) for r in column]) for column in columns[1:]))


def _as_dl(x):
    try:
        return x if isinstance(x, dlarray) else dlarray(x)
    except TypeError:
        raise TypeError(f"fun must return dlarrays or numeric arrays; got {type(x).__name__}") from None
