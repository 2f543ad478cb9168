"""Tracing context. As in MATLAB, operations are recorded only inside dlfeval."""
import weakref
from contextlib import contextmanager

from ..threads import compute
from .containers import map_dlarrays

_active = []  # stack of open traces; a nested dlfeval starts its own graph from fresh leaves


class Trace:
    __slots__ = ("open", "recording", "on_gradient")

    def __init__(self):
        self.open = True
        self.recording = True
        self.on_gradient = {}  # id(node) -> (node, x, fn): see when_gradient_known


class Node:
    """One recorded operation: the traced inputs and the vector-Jacobian product.

    ``vjp(g, needs)`` receives the upstream gradient as a dlarray and, in ``needs``, one
    bool per entry of ``inputs`` (does the gradient walk want that input's gradient?);
    it returns one gradient (dlarray or None, free to be None where not needed) per
    entry of ``inputs``. Leaves have no inputs and no vjp.
    """

    __slots__ = ("inputs", "vjp", "trace", "released", "view")

    def __init__(self, inputs, vjp, trace, view=False):
        self.inputs = inputs
        self.vjp = vjp
        self.trace = trace
        self.released = False
        self.view = view  # the rule only re-views its gradient (reshape, permute): it reads no values


def current_trace():
    return _active[-1] if _active else None


def is_recording():
    return bool(_active) and _active[-1].recording


def is_traced(x):
    return _any_traced((x,))


def _any_traced(inputs):
    """any(is_traced(x) for x in inputs), without a generator (every op asks)."""
    for x in inputs:
        node = getattr(x, "_node", None)
        if node is not None and node.trace.open:
            return True
    return False


@contextmanager
def recording(enabled):
    """Switch recording on or off for the innermost trace (used by the gradient walk)."""
    trace = current_trace()
    previous = trace.recording
    trace.recording = enabled
    try:
        yield
    finally:
        trace.recording = previous


def dlfeval(fun, *args, **kwargs):
    """Evaluate ``fun(*args, **kwargs)`` with automatic differentiation enabled.

    Every dlarray among the arguments - also inside lists, tuples, dicts, tables and
    networks - becomes a traced leaf. The results come back untraced, as in MATLAB.
    """
    if not callable(fun):
        raise TypeError(f"dlfeval: fun must be callable; got {type(fun).__name__}")
    trace = Trace()

    def as_leaf(x):
        return x._traced_leaf(Node((), None, trace))

    traced_args = map_dlarrays(args, as_leaf)
    traced_kwargs = map_dlarrays(kwargs, as_leaf)
    _active.append(trace)
    try:
        with compute():  # OpenBLAS on one thread, minidl's pool on the cores (minidl/threads.py)
            result = fun(*traced_args, **traced_kwargs)
    finally:
        _active.pop()
        trace.open = False
        trace.on_gradient.clear()  # it holds nodes, which hold the trace: no cycle outlives the call
    return map_dlarrays(result, lambda x: x._untraced())


def when_gradient_known(x, fn):
    """Call ``fn(x, g)`` when a dlgradient call of this trace that has the traced ``x`` among its targets
    has finished x's gradient ``g`` (all of x's uses are behind it; before it goes further back), outside
    recorded backward passes. Lets work that will want both (the Taylor score) start while the gradient walk goes on.
    Nothing happens for an untraced x."""
    node = getattr(x, "_node", None)
    if node is not None and node.trace.open:
        node.trace.on_gradient[id(node)] = (node, x, fn)


def record(out, inputs, vjp, with_output=False, with_needs=False, view=False):
    """Attach a graph node to ``out``, the new dlarray an op built, when a traced input is being recorded.

    Returns ``out``. ``inputs`` are the op's dlarray operands; ``vjp(g)`` returns one gradient
    per input, of that input's size and format (a rule whose op broadcasts sums its gradient
    back). Building ``out`` is the op's business, so this floor never constructs dlarrays.
    With ``with_output=True`` the rule is called as ``vjp(g, out)`` with the result
    itself, held weakly so that the graph has no reference cycle (memory is freed
    at once, not at the next garbage collection). With ``with_needs=True`` it also
    receives ``needs`` (one bool per input, see :class:`Node`) as its last argument,
    so that it can skip the work for gradients nobody asked for. ``view=True`` says the rule only
    reshapes or permutes its gradient, reading none of its values (see gradient.defer).
    """
    if _active and _active[-1].recording and _any_traced(inputs):
        rule = vjp
        if with_output:
            ref = weakref.ref(out)
            vjp = (lambda g, needs: rule(g, ref(), needs)) if with_needs else (lambda g, needs: rule(g, ref()))
        elif not with_needs:
            vjp = lambda g, needs: rule(g)  # noqa: E731
        out._node = Node(tuple(inputs), vjp, _active[-1], view)
    return out
