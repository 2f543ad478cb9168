"""Reading sizes off the example inputs a layer is initialised with."""
from ..dlarray import dlarray
from ..formats import find_dims


def _formatted(layer, X):
    if not isinstance(X, dlarray) or not X.fmt:
        got = f"format {X.fmt!r}" if isinstance(X, dlarray) else type(X).__name__
        raise ValueError(f"Layer {layer.Name!r} ({layer.Type}) needs a formatted dlarray input; got {got}")
    return X


def channel_count(layer, X):
    """Size of the 'C' dimension of X (ValueError naming the layer when X has none)."""
    channel = find_dims(_formatted(layer, X).fmt, "C")
    if not channel:
        raise ValueError(f"Layer {layer.Name!r} ({layer.Type}) needs an input with a 'C' dimension; "
                         f"got format {X.fmt!r}")
    return X.shape[channel[0]]


def image_sizes(layer, X):
    """(H, W, C) of a 2-D image input: exactly two 'S' dimensions and a 'C' dimension."""
    channels = channel_count(layer, X)
    spatial = find_dims(X.fmt, "S")
    if len(spatial) != 2:
        raise ValueError(f"Layer {layer.Name!r} ({layer.Type}) needs 2-D image input with two 'S' dimensions "
                         f"(format 'SSCB'); got format {X.fmt!r}")
    return X.shape[spatial[0]], X.shape[spatial[1]], channels


def feature_size(layer, X):
    """Number of values per observation and time step: the product of the 'S' and 'C' sizes."""
    size = channel_count(layer, X)
    for axis in find_dims(X.fmt, "S"):
        size *= X.shape[axis]
    return size


def channel_parameter_shape(layer, X):
    """MATLAB's shape of a per-channel parameter for input X: 1x1xC for 2-D images, Cx1 without 'S'."""
    channels = channel_count(layer, X)
    spatial = len(find_dims(X.fmt, "S"))
    return (1,) * spatial + (channels,) if spatial else (channels, 1)
