"""dlnetwork(prunableNet): remove masked filters for real, and everything that reads them."""
import numpy as np

from ..dlarray import dlarray
from .groups import PRUNABLE, channel_keep, spatial_size


def _take(value, keep, axis):
    """value with only the kept entries along ``axis`` (a new array; the original is untouched)."""
    index = [slice(None)] * value.ndim
    index[axis] = np.flatnonzero(keep)
    return dlarray._wrap(value.data[tuple(index)], value.fmt)


def prune_layers(net, analysis, masks):
    """The layers of ``net`` with pruned filters and their downstream uses removed."""
    layers = []
    for layer in net._layers:
        maps = analysis.input_maps.get(layer.Name) or []
        in_keep = channel_keep(maps[0], masks) if maps else None
        kind = layer.class_name
        changes = {}
        if kind == PRUNABLE:
            w, b = layer.Weights, layer.Bias
            if in_keep is not None and not in_keep.all():
                w = _take(w, in_keep, 2)
            group = analysis.group_of.get(layer.Name)
            if group is not None and not masks[group].all():
                w, b = _take(w, masks[group], 3), _take(b, masks[group], 2)
            changes = {"Weights": w, "Bias": b}
        elif kind == "BatchNormalizationLayer" and in_keep is not None and not in_keep.all():
            changes = {name: _take(getattr(layer, name), in_keep, 2)
                       for name in ("Offset", "Scale", "TrainedMean", "TrainedVariance")}
        elif kind == "FullyConnectedLayer" and in_keep is not None and not in_keep.all():
            # MATLAB's flatten order (h, then w, then c): each channel owns a block of columns.
            columns = np.repeat(in_keep, spatial_size(*analysis.shapes[layer.Name][0]))
            changes = {"Weights": _take(layer.Weights, columns, 1)}
        layers.append(layer.copy(**changes) if changes else layer)
    return layers
