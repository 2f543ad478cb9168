"""minibatchpredict and testnet: predictions and metrics of a network over mini-batches of data, as MATLAB."""

from .. import validate
from .._namevalue import namevalue
from ..backend import array_module
from ..data.datastore import Datastore
from ..data.minibatchqueue import minibatchqueue
from ..dlarray import dlarray
from ..network.dlnetwork import dlnetwork
from ..network.functions import predict
from ..ops.loss import crossentropy, mse
from .batches import accuracy, batch_size, in_memory, network_device, on, queue_of

_METRICS = ("accuracy", "crossentropy", "mse")


@namevalue
def minibatchpredict(net, data, *, MiniBatchSize=128):
    """``Y = minibatchpredict(net, data, MiniBatchSize=128)``: predict over mini-batches of ``data``.

    ``data``: an imageDatastore (images only) or augmentedImageDatastore (its "input" column), a
    minibatchqueue (its first output is the predictors, other outputs are ignored), or in-memory predictors
    (images HxWxCxN or features NxC, or a formatted dlarray). Images are used as read (cast to single, not
    rescaled), as MATLAB does; put any rescaling in a minibatchqueue's MiniBatchFcn.
    The scores come back as a plain array with observations first, as MATLAB's: N x K for a "CB" output
    (feed it to scores2label), otherwise the output's dimensions with the batch dimension moved first.
    """
    MiniBatchSize = validate.positive_int(MiniBatchSize, "MiniBatchSize", where="minibatchpredict")
    net = _network(net)
    parts = []
    for X in _predictors(net, data, MiniBatchSize):
        Y = predict(net, X)
        xp = array_module(Y.data)
        parts.append(xp.moveaxis(Y.data, Y.fmt.index("B"), 0) if "B" in Y.fmt else Y.data[None])
    if not parts:
        raise ValueError("data holds no observations")
    return array_module(parts[0]).concatenate(parts, axis=0)


@namevalue
def testnet(net, *args, MiniBatchSize=128):
    """``metricValues = testnet(net, data, metrics)`` or ``testnet(net, X, T, metrics)``.

    ``metrics`` is "accuracy" (percent, as MATLAB), "crossentropy" or "mse", or a list of them (then a list
    of values comes back). ``data`` is an imageDatastore with labels, an augmentedImageDatastore, a
    minibatchqueue returning (X, T), or in-memory X and T (an Nx1 categorical or numeric N x K targets).
    """
    if len(args) == 2:
        data, metrics = args
    elif len(args) == 3:
        data, metrics = (args[0], args[1]), args[2]
    else:
        raise TypeError(f"testnet takes (net, data, metrics) or (net, X, T, metrics); got {len(args) + 1} arguments")
    MiniBatchSize = validate.positive_int(MiniBatchSize, "MiniBatchSize", where="testnet")
    names = [validate.option(name, "metrics", tuple(_METRICS), where="testnet")
             for name in ([metrics] if isinstance(metrics, str) else list(metrics))]
    net = _network(net)
    layer = _input_layer(net)
    queue = queue_of(data, layer, MiniBatchSize, "data", environment=network_device(net))
    sums, count = dict.fromkeys(names, 0.0), 0
    while queue.hasdata():
        X, T = queue.next()
        Y = predict(net, X)
        n = batch_size(Y)
        for name in names:
            value = accuracy(Y, T) if name == "accuracy" else float(({"crossentropy": crossentropy, "mse": mse}
                                                                      [name](Y, T)).data)
            sums[name] += value * n
        count += n
    values = [sums[name] / count for name in names]
    return values[0] if isinstance(metrics, str) else values


def _network(net):
    if not isinstance(net, dlnetwork) and not hasattr(net, "predict"):
        raise TypeError(f"net must be a dlnetwork or TaylorPrunableNetwork; got {type(net).__name__}")
    return net


def _input_layer(net):
    plain = net if isinstance(net, dlnetwork) else dlnetwork(net)
    layers = [layer for layer in plain.Layers if hasattr(layer, "example_input")]
    if len(layers) != 1:
        raise ValueError(f"the network must have exactly one input layer; it has {len(layers)}")
    return layers[0]


def _predictors(net, data, size):
    """Mini-batches of predictors (dlarrays in the input layer's format)."""
    if isinstance(data, (Datastore, minibatchqueue)):
        layer = _input_layer(net)
        queue = queue_of(data, layer, size, "data", predictors_only=True, environment=network_device(net))
        while queue.hasdata():
            batch = queue.next()
            yield batch[0] if isinstance(batch, tuple) else batch
        return
    X, _ = in_memory(data, None, _input_layer(net).example_input().fmt, "data")
    X = on(X, network_device(net))
    n = X.shape[X.fmt.index("B")]
    axis = X.fmt.index("B")
    for start in range(0, n, size):
        index = [slice(None)] * X.ndim
        index[axis] = slice(start, start + size)
        yield dlarray._wrap(X.data[tuple(index)], X.fmt)
