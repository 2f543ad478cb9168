"""Remove masked filters for real, and everything that reads them: the layers dlnetwork(prunableNet)
returns, and the cut runs of forward/predict (the network without its pruned filters, its outputs the
exported network's, its pruning activations, gradients and state handed back at full size)."""
import numpy as np

from ..dlarray import dlarray
from ..ops.shape import widened
from .groups import channel_keep
from .rules import rule_for


def cut_plan(analysis, masks):
    """{layer name: (keep-vector of its first input's channels or None, of its filters or None)} for the
    layers that lose any. Only a layer's first input is cut: the layers with several inputs (addition,
    concatenation) hold no per-channel values."""
    plan = {}
    for name, maps in analysis.input_maps.items():
        in_keep = channel_keep(maps[0], masks) if maps else None
        group = analysis.group_of.get(name)
        out_keep = masks[group] if group is not None and not masks[group].all() else None
        if (in_keep is not None and not in_keep.all()) or out_keep is not None:
            plan[name] = (None if in_keep is None or in_keep.all() else in_keep, out_keep)
    return plan


def cut_values(layer, plan):
    """The learnable and state values of ``layer`` without its pruned inputs and filters (``plan``'s entry).
    Inside dlfeval they are recorded gathers of the layer's own (see rules._take)."""
    in_keep, out_keep = plan[layer.Name]
    rule = rule_for(layer)
    values = {name: getattr(layer, name) for name in layer.learnable_names + layer.state_names
              if getattr(layer, name) is not None}
    values = values if in_keep is None else rule.slice_inputs(values, in_keep)
    return values if out_keep is None else rule.slice_outputs(values, out_keep)


def cut_layers(layers, plan, made):
    """{name: the layer without its pruned inputs and filters} for the layers of ``plan``, holding the values
    of cut_values themselves (inside dlfeval, so the gradient reaches the full layers).

    A layer of new sizes is made by its constructor once (its checks; it takes plain copies of the values)
    and kept in ``made``; later calls give that layer the new values, which keeps them as they are.
    """
    cut = {}
    for layer in layers:
        if layer.Name in plan:
            values = cut_values(layer, plan)
            shaped = made.get(layer.Name)
            if shaped is None or not shaped._same_kind_of_values(values):
                shaped = made[layer.Name] = layer.copy(**values)
            cut[layer.Name] = shaped.copy(**values)
    return cut


def prune_layers(net, analysis, masks):
    """The layers of ``net`` (copies) with pruned filters and their downstream uses removed."""
    plan = cut_plan(analysis, masks)
    return [layer.copy(**cut_values(layer, plan)) if layer.Name in plan else layer for layer in net.graph.layers]


def cut_hook(plan, prunable_layers, activations):
    """The hook (minidl.network.run) for a network run with its layers cut: each prunable layer's output
    goes to ``activations`` at full size, zeros in place of pruned filters, and what follows reads the cut
    output through it, so a gradient with respect to the full activation is the one the cut network sees."""
    prunable = set(prunable_layers)

    def hook(layer, args, call):
        outs = call(layer, args)
        if layer.Name not in prunable:
            return outs
        out_keep = plan.get(layer.Name, (None, None))[1]
        if out_keep is None:
            activations[layer.Name] = outs[0]
            return outs
        y = outs[0]
        activations[layer.Name], y_again = widened(y, y.fmt.index("C"), np.flatnonzero(out_keep), out_keep.size)
        return (y_again,) + outs[1:]

    hook.touches = frozenset(prunable)
    return hook


def full_state(table, before, plan):
    """The State table of a cut run at full size: a cut layer's values go to its kept channels, the
    pruned channels keep their values from ``before``."""
    values = []
    for layer, new, old in zip(table.Layer, table.Value, before.Value):
        if layer in plan and new.shape != old.shape:
            axis = next(k for k, (m, n) in enumerate(zip(new.shape, old.shape)) if m != n)
            keep = plan[layer][0]  # state is per channel of a layer's input (batch norm)
            key = (slice(None),) * axis + (np.flatnonzero(keep),)
            data = old.data.copy()
            data[key] = new.data
            new = dlarray._wrap(data, old.fmt)
        values.append(new)
    return table.with_column("Value", values)

