"""dlnetwork(prunableNet): remove masked filters for real, and everything that reads them."""
from .groups import channel_keep
from .rules import rule_for


def prune_layers(net, analysis, masks):
    """The layers of ``net`` with pruned filters and their downstream uses removed.

    Only a layer's first input is cut: the layers with several inputs (addition,
    concatenation) hold no per-channel values.
    """
    layers = []
    for layer in net.graph.layers:
        rule = rule_for(layer)
        maps = analysis.input_maps.get(layer.Name)
        in_keep = channel_keep(maps[0], masks) if maps else None
        if in_keep is not None and not in_keep.all():
            layer = rule.slice_inputs(layer, in_keep)
        group = analysis.group_of.get(layer.Name)
        if group is not None and not masks[group].all():
            layer = rule.slice_outputs(layer, masks[group])
        layers.append(layer)
    return layers
