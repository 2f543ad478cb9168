"""The test boundary of ``pytest --backend=strict``: the suite run as a user with a GPU runs it.

Under ``--backend=strict`` (tests/conftest.py) the strict CuPy stand-in of minidl.testing_strict is the
machine's GPU for the whole session, and what a test hands to minidl is put there, as a MATLAB user
puts it there with gpuArray and ``dlupdate(@gpuArray, net)``:

* ``dlarray(X)`` written in a test (or in a helper, example or fixture: anywhere outside minidl/)
  holds a device copy of X; a dlarray that minidl builds itself is left as minidl built it, so the
  engine gets no help and stays under the stand-in's refusals;
* a layer a test builds (or initialises for device inputs) holds its learnables and state on the
  device, and a network
  a test builds, initialises or loads (``dlnetwork(...)``, ``initialize``, ``load``,
  ``importNetworkFromONNX``, ``taylorPrunableNetwork(layers)``) comes back with them on the device;
* minidl.backend finds the stand-in as CuPy with one CUDA device, so ``OutputEnvironment="auto"``
  (minibatchqueue) and trainnet's "auto" for a network of layers put their data on it; trainnet,
  testnet and minibatchpredict send mini-batches to the device of the network;
* the device kernels run as their NumPy versions behind an explicit round trip (host_kernels).

Assertions see host values: :func:`host` copies device values back, as a GPU test would ``.get()``
or ``gather``, and ``assert_allclose`` & co. are NumPy's, called on :func:`host` of their arguments.
On ``--backend=numpy`` nothing is installed and :func:`host` returns NumPy data as it is.
"""
import contextlib
import functools
import sys
import types

import numpy as np

import minidl
from minidl import backend, dlarray, dlnetwork, testing_strict
from minidl.layers import Layer
from minidl.table import Table
from minidl.testing_strict import StrictArray, host_kernels

# Frames that only pass a call on (name-value parsing, the function forms of the network methods): the
# caller that counts is the one above them.
_PASS_THROUGH = {"minidl._namevalue", "minidl.network.functions"}


def _called_by_user(depth):
    """Whether the code calling the hooked function (``depth`` frames up) lies outside minidl/."""
    frame = sys._getframe(depth + 1)
    while frame is not None and frame.f_globals.get("__name__") in _PASS_THROUGH:
        frame = frame.f_back
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return not (name == "minidl" or name.startswith("minidl."))


def _to_device(x):
    """A dlarray on the stand-in device (a device one as it is)."""
    if isinstance(x.data, StrictArray):
        return x
    return dlarray._wrap(testing_strict.asarray(x.data), x.fmt)


def to_device(net):
    """``net`` with its learnables and state on the device: ``dlupdate(@gpuArray, net)``, then its State."""
    if not isinstance(net, dlnetwork) or not net.Initialized:
        return net
    net = minidl.dlupdate(_to_device, net)
    state = net.State
    if state.height:
        net.State = state.with_column("Value", [_to_device(v) for v in state.Value])
    return net


def host(value):
    """``value`` with every device array in it copied to the host (dlarrays stay dlarrays, on the host).

    Tuples, lists, dicts and Tables are copied through; anything else comes back as it is."""
    if isinstance(value, StrictArray):
        return value.get()
    if isinstance(value, dlarray):
        return dlarray._wrap(host(value.data), value.fmt) if isinstance(value.data, StrictArray) else value
    if isinstance(value, Table):
        return Table(**{name: host(list(getattr(value, name))) for name in value.VariableNames})
    if isinstance(value, (list, tuple)):
        return type(value)(host(v) for v in value)
    if isinstance(value, dict):
        return {k: host(v) for k, v in value.items()}
    return value


def _on_host(check):
    @functools.wraps(check)
    def gathered(actual, desired, *args, **kwargs):
        return check(host(actual), host(desired), *args, **kwargs)
    gathered.__doc__ = f"numpy.testing.{check.__name__} on host copies of the arrays (see helpers.device.host)."
    return gathered


assert_allclose = _on_host(np.testing.assert_allclose)
assert_array_equal = _on_host(np.testing.assert_array_equal)
assert_array_less = _on_host(np.testing.assert_array_less)
assert_equal = _on_host(np.testing.assert_equal)


def _hook_dlarray(original):
    @functools.wraps(original)
    def __init__(self, X, fmt=None):
        original(self, X, fmt)
        if self._node is None and not isinstance(self._data, StrictArray) and _called_by_user(1):
            self._data = testing_strict.asarray(self._data)
    return __init__


def _moved(value):
    """Networks and dlarrays in what a loader returns (a network, or load's record of variables), moved."""
    if isinstance(value, dict):
        value.update({k: _moved(v) for k, v in value.items()})
        return value
    if isinstance(value, dlarray):
        return _to_device(value)
    return to_device(value)


def _hook_layer_init(original):
    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if _called_by_user(1):  # the values a test passed (Weights=..., TrainedMean=...) go to the device
            for name in self.learnable_names + self.state_names:
                value = getattr(self, name)
                if value is not None:
                    object.__setattr__(self, name, _to_device(value))
    return __init__


def _hook_layer_initialize(original):
    @functools.wraps(original)
    def initialize(self, *args, **kwargs):
        layer = original(self, *args, **kwargs)
        on_device_input = any(isinstance(x, dlarray) and isinstance(x.data, StrictArray) for x in args)
        return layer._map_dlarrays(_to_device) if on_device_input and _called_by_user(1) else layer
    return initialize


def _layer_classes(cls=Layer):
    for sub in cls.__subclasses__():
        yield sub
        yield from _layer_classes(sub)


def _hook_prunable(original):
    @functools.wraps(original)
    def taylorPrunableNetwork(net):
        if isinstance(net, (list, tuple)) and _called_by_user(1):
            net = dlnetwork(net)  # as the user writes it for the GPU: dlnetwork(layers), moved, then converted
        return original(net)
    return taylorPrunableNetwork


def _hook_network(original):
    @functools.wraps(original)
    def made(*args, **kwargs):
        value = original(*args, **kwargs)
        return _moved(value) if _called_by_user(1) else value
    return made


class _StandInGPU:
    """What minidl.backend finds as CuPy: the stand-in namespace, with one CUDA device."""

    cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

    def __getattr__(self, name):
        return getattr(testing_strict.xp, name)


def _patches():
    from minidl import io
    from minidl.onnx import importer
    from minidl.pruning import network as pruning_network
    gpu = _StandInGPU()
    patches = [(backend, "_cupy", lambda: gpu),
               (dlarray, "__init__", _hook_dlarray(dlarray.__init__)),
               (dlnetwork, "__new__", staticmethod(_hook_network(dlnetwork.__new__))),
               (dlnetwork, "initialize", _hook_network(dlnetwork.initialize))]
    for cls in _layer_classes():
        if "__init__" in vars(cls):
            patches.append((cls, "__init__", _hook_layer_init(vars(cls)["__init__"])))
        if "initialize" in vars(cls):
            patches.append((cls, "initialize", _hook_layer_initialize(vars(cls)["initialize"])))
    patches += [(module, "load", _hook_network(io.load)) for module in (minidl, io)]
    patches += [(module, "taylorPrunableNetwork", _hook_prunable(pruning_network.taylorPrunableNetwork))
                for module in (minidl, minidl.pruning, pruning_network)]
    patches += [(module, "importNetworkFromONNX", _hook_network(importer.importNetworkFromONNX))
                for module in (minidl, minidl.onnx, importer)]
    return patches


def _swap(patches):
    """Set every (owner, name, value); returns the patches that put the old values back."""
    old = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    return old[::-1]


@contextlib.contextmanager
def stand_in_device():
    """The whole test boundary above, for as long as the block runs (a session under --backend=strict)."""
    global _undo
    with host_kernels():
        _undo = _swap(_patches())
        try:
            yield
        finally:
            _swap(_undo)
            _undo = None


@contextlib.contextmanager
def host_side():
    """Inside a --backend=strict session: the boundary lifted for a test that moves its data itself
    (the stand-in's own tests compare host and device results); a no-op on --backend=numpy."""
    global _undo
    if _undo is None:
        yield
        return
    redo = _swap(_undo)
    _undo = None
    try:
        yield
    finally:
        _undo = _swap(redo)


def on_device():
    """Whether this session runs on the strict stand-in (``--backend=strict``), outside host_side blocks."""
    return _undo is not None


_undo = None
