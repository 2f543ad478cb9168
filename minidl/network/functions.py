"""MATLAB's function-call forms of the network methods: ``forward(net, X)`` is ``net.forward(X)``.

A network class lists the methods these may call in ``object_functions`` (dlnetwork all of them,
TaylorPrunableNetwork forward and predict), so a layer, which has forward/predict/initialize
methods of its own, is refused here rather than run.
"""
from .._namevalue import namevalue


def _method(net, name, accepted):
    if name not in getattr(type(net), "object_functions", ()):
        raise TypeError(f"net must be a {accepted}; got {type(net).__name__}")
    return getattr(net, name)


@namevalue
def forward(net, *X, Outputs=None):
    """Training behaviour: ``Y, state = forward(net, X)``; ``Y1, ..., Yn, state`` for several outputs.
    A TaylorPrunableNetwork also returns its pruning activations."""
    return _method(net, "forward", "dlnetwork or TaylorPrunableNetwork")(*X, Outputs=Outputs)


@namevalue
def predict(net, *X, Outputs=None):
    """Inference behaviour: ``Y = predict(net, X)``; a tuple of Ys for several outputs."""
    return _method(net, "predict", "dlnetwork or TaylorPrunableNetwork")(*X, Outputs=Outputs)


@namevalue
def initialize(net, *X, generator=None):
    """A new, initialised network; values already set stay as they are (see dlnetwork.initialize)."""
    return _method(net, "initialize", "dlnetwork")(*X, generator=generator)


def summary(net):
    """Print whether ``net`` is initialised, its number of learnables and its inputs."""
    return _method(net, "summary", "dlnetwork")()


def addLayers(net, layers):
    """Add layers, connected in series among themselves; empty names are filled avoiding existing ones.
    Returns a new, uninitialised network."""
    return _method(net, "addLayers", "dlnetwork")(layers)


def connectLayers(net, s, d):
    """Connect source ``s`` ('layer' or 'layer/out') to destination ``d`` ('layer' or 'layer/in2')."""
    return _method(net, "connectLayers", "dlnetwork")(s, d)


def disconnectLayers(net, s, d):
    """Remove the connection from source ``s`` to destination ``d``."""
    return _method(net, "disconnectLayers", "dlnetwork")(s, d)


def removeLayers(net, layerNames):
    """Remove layers and every connection that touches them."""
    return _method(net, "removeLayers", "dlnetwork")(layerNames)


@namevalue
def replaceLayer(net, layerName, larray, *, ReconnectBy="name"):
    """Replace one layer by a layer (or layers in series), reconnecting its inputs to the first new
    layer and its outputs from the last, matching ports by name (or by position: ReconnectBy="order")."""
    return _method(net, "replaceLayer", "dlnetwork")(layerName, larray, ReconnectBy=ReconnectBy)
