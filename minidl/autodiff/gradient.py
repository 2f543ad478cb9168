"""dlgradient: reverse-mode walk over the recorded graph."""
from .._namevalue import namevalue
from ..dlarray import dlarray
from .containers import flatten_dlarrays, rebuild
from .trace import current_trace, is_traced, recording

_NON_SCALAR = "Value to differentiate is non-scalar. It must be a traced real dlarray scalar."
_NOT_TRACED = ("Value to differentiate is not traced. It must be a traced real dlarray scalar. "
               "Use dlgradient inside a function called by dlfeval to trace the variables.")


_walks = []  # per dlgradient call in progress: {id(buffer): fill()} of gradients still being made (defer)


def defer(buffer, fill):
    """A backward rule returns ``buffer`` (a NumPy array) as a gradient that ``fill()`` completes later (a
    convolution's weight gradient, made by the thread pool's idle workers meanwhile). dlgradient calls
    ``fill()`` before any rule that reads values gets it (rules recorded with view=True only re-view it),
    before adding it to another gradient, and at the latest before it returns. Outside a gradient walk,
    ``fill()`` runs at once."""
    if _walks:
        _walks[-1][id(buffer)] = fill
    else:
        fill()


def _settle(pending, g):
    """Complete ``g`` if its data are (a view of) a deferred buffer."""
    data = getattr(g, "data", None)
    base = data if getattr(data, "base", None) is None else data.base
    fill = pending.pop(id(base), None)
    if fill is not None:
        fill()


def _check_value(y):
    if not isinstance(y, dlarray):
        raise TypeError(f"dlgradient: y must be a dlarray; got {type(y).__name__}. {_NOT_TRACED}")
    if y.size != 1:
        raise ValueError(f"dlgradient: y has size {y.shape}. {_NON_SCALAR}")
    if y.data.dtype.kind not in "f":
        raise TypeError(f"dlgradient: y must be real floating point; got {y.data.dtype}. {_NON_SCALAR}")
    if not is_traced(y):
        raise ValueError(f"dlgradient: {_NOT_TRACED}")


def _check_target(target, position):
    """TypeError naming the position of anything in ``target`` that is neither a dlarray nor a container."""
    stack = [(target, position)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dlarray) or (hasattr(value, "_map_dlarrays") and not hasattr(value, "Value")):
            continue
        if hasattr(value, "_map_dlarrays"):  # a Table: its Value column holds the targets
            items = [(v, f"{where}, Value row {i + 1}") for i, v in enumerate(value.Value)]
        elif isinstance(value, (list, tuple)):
            items = [(v, f"{where}[{i}]") for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(v, f"{where}[{k!r}]") for k, v in value.items()]
        else:
            raise TypeError(f"dlgradient: {where} must be a dlarray or a container of dlarrays (list, tuple, "
                            f"dict, Table); got {type(value).__name__} {value!r}"[:300])
        stack.extend(reversed(items))


def _ancestors_in_topological_order(root):
    """Nodes of open traces that y depends on, inputs before users; iterative so deep chains are fine."""
    order, seen = [], {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for x in inputs:
            child = x._node
            if child is not None and child.trace.open and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


@namevalue
def dlgradient(y, *targets, RetainData=False, EnableHigherDerivatives=False):
    """Gradients of the traced scalar ``y`` with respect to ``targets``.

    Works only inside :func:`dlfeval`. Each target is a dlarray or a container of
    them (list, tuple, dict, Table with a Value column); the result for it has the
    same structure, sizes and formats. Returns one result per target (the bare
    result when there is one target). A target that ``y`` does not depend on gets
    zeros. ``RetainData=True`` keeps the trace for a later call;
    ``EnableHigherDerivatives=True`` records the backward pass so the gradients
    can be differentiated again.
    """
    trace = current_trace()
    if trace is None:
        raise RuntimeError("dlgradient can only be called inside a function evaluated by dlfeval.")
    _check_value(y)
    if not targets:
        raise TypeError("dlgradient: at least one target (variable to differentiate with respect to) is required")
    for k, t in enumerate(targets):
        _check_target(t, f"target {k + 1}")
    leaves = [flatten_dlarrays(t) for t in targets]
    wanted = {id(x._node) for group in leaves for x in group if x._node is not None}

    order = _ancestors_in_topological_order(y._node)
    # Only nodes on a path from a target to y take part: "relevant" ones receive a
    # gradient; those among them with a relevant input ("walked") pass it on.
    relevant, walked = set(), set()
    for node in order:
        if any(x._node is not None and id(x._node) in relevant for x in node.inputs):
            walked.add(id(node))
            relevant.add(id(node))
        elif id(node) in wanted:
            relevant.add(id(node))
    for node in order:
        if node.released and id(node) in walked:
            raise RuntimeError("dlgradient: the trace of this value was released by a previous dlgradient call. "
                               "Call the first dlgradient with RetainData=true to compute more gradients.")

    grads = {id(y._node): y.ones_like()}
    waiting = {} if EnableHigherDerivatives else trace.on_gradient  # see trace.when_gradient_known
    pending = {}  # see defer
    _walks.append(pending)
    try:
        with recording(bool(EnableHigherDerivatives)):
            for node in reversed(order):
                g = grads.get(id(node))
                if g is not None and id(node) in waiting and id(node) in wanted:  # a target of this call
                    _settle(pending, g)
                    _, x, fn = waiting[id(node)]
                    fn(x, g)
                if g is None or id(node) not in walked:
                    continue  # a leaf: its gradient is only handed back (completed at the end)
                if pending and not node.view:
                    _settle(pending, g)
                needs = tuple(x._node is not None and id(x._node) in relevant for x in node.inputs)
                input_grads = node.vjp(g, needs)
                for x, gx, needed in zip(node.inputs, input_grads, needs):
                    if gx is None or not needed:
                        continue
                    if gx.shape != x.shape or gx.fmt != x.fmt:  # a rule that broadcasts sums its gradient back
                        raise RuntimeError(f"dlgradient: a backward rule returned a gradient of size {gx.shape} "
                                           f"(format {gx.fmt!r}) for an input of size {x.shape} (format {x.fmt!r})")
                    key = id(x._node)
                    if key in grads and pending:
                        _settle(pending, grads[key])
                        _settle(pending, gx)
                    grads[key] = gx if key not in grads else grads[key] + gx
                if not RetainData and not EnableHigherDerivatives:
                    # The rule and what it saved (batch-norm deviations, masks, ...) go now, not when
                    # the whole graph does: a training step's backward pass peaks lower.
                    node.released, node.vjp = True, None
        for fill in list(pending.values()):
            fill()
    finally:
        _walks.pop()

    def gradient_of(x):
        g = grads.get(id(x._node)) if x._node is not None else None
        return g if g is not None else x.zeros_like()

    results = [rebuild(t, [gradient_of(x) for x in group]) for t, group in zip(targets, leaves)]
    return results[0] if len(results) == 1 else tuple(results)
