"""Static analysis of which filters can be pruned, and what their removal touches.

Every tensor in the network gets a *channel map*: for each of its channels, the
(owner, filter index) it comes from, where the owner is a producing layer (or None for
channels nothing can remove, such as the input image). How a map passes a layer is its
role in :mod:`minidl.pruning.rules`: preserved (channel by channel, or each channel
spread over a contiguous block), concatenated, spread into columns, or united at an
addition (all producers of one addition form one group and lose the same channels). A
tensor that reaches a blocking layer (group normalisation, softmax, a network output, a
layer kind without a rule) blocks its owners from pruning.
"""
import numpy as np

from ..network.graph import input_ports
from ..network.run import example_values
from .rules import BLOCKS, CONCATENATES, CONSUMES, COUPLES, FLATTENS, PRESERVES, PRODUCES, rule_for


class _Owners:
    """Union-find over producer names: filters of coupled producers share one group."""

    def __init__(self):
        self.parent = {}

    def add(self, name):
        self.parent.setdefault(name, name)

    def find(self, name):
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)


class Analysis:
    """Result of :func:`analyse`.

    groups: {group name: [member producer names]} for the unblocked groups, in network order
    group_of: {producer name: group name} for prunable producers
    sizes: {group name: original number of filters}
    input_maps: {layer name: [channel map per input]}, each map a list of (group or None, index)
    consumers: layers that sum over their input channels (producers and consumers), where masks apply
    output_sizes: {prunable producer name: (shape at batch size 1, format) of its output}
    """

    def __init__(self, groups, group_of, sizes, input_maps, consumers, output_sizes):
        self.groups, self.group_of, self.sizes = groups, group_of, sizes
        self.input_maps, self.consumers, self.output_sizes = input_maps, consumers, output_sizes

    @property
    def prunable_layers(self):
        """Prunable producer names in network order (the order of pruningActivations)."""
        return list(self.group_of)


def _channel_count(value):
    fmt = value.fmt
    return value.shape[fmt.index("C")] if "C" in fmt else 0


def analyse(net):
    """Channel maps, prunable groups and blocked owners of an initialised dlnetwork."""
    values = example_values(net, "taylorPrunableNetwork")
    graph = net.graph
    sources, layers = graph.sources, graph.layers
    by_name = {layer.Name: layer for layer in layers}
    owners, blocked, filters = _Owners(), set(), {}
    maps, input_maps = {}, {}

    def block(channel_map):
        blocked.update(owner for owner, _ in channel_map if owner is not None)

    for layer in (by_name[name] for name in graph.order):
        role = rule_for(layer).role
        in_maps = [maps[sources[(layer.Name, p)]] for p in input_ports(layer)]
        input_maps[layer.Name] = in_maps
        if role == BLOCKS:
            for m in in_maps:
                block(m)
        for port in layer.OutputNames:
            count = _channel_count(values[(layer.Name, port)])
            if role == PRODUCES:
                owners.add(layer.Name)
                filters[layer.Name] = count
                out = [(layer.Name, i) for i in range(count)]
            elif role in (PRESERVES, FLATTENS):
                out = _spread(in_maps[0], count, block)
            elif role == COUPLES:
                out = _couple(in_maps, owners, block)
            elif role == CONCATENATES:
                out = [pair for m in in_maps for pair in m]
            else:  # CONSUMES, BLOCKS
                out = [(None, i) for i in range(count)]
            maps[(layer.Name, port)] = out
    for key in graph.outputs:
        block(maps[key])

    blocked_groups = {owners.find(o) for o in blocked}
    group_of, groups, sizes = {}, {}, {}
    for layer in layers:
        if layer.Name in filters and owners.find(layer.Name) not in blocked_groups:
            group = owners.find(layer.Name)
            group_of[layer.Name] = group
            groups.setdefault(group, []).append(layer.Name)
            sizes[group] = filters[layer.Name]
    # Owners in the maps are replaced by their group, so masks can be looked up directly.
    input_maps = {name: [[(owners.find(o) if o is not None else None, i) for o, i in m] for m in ms]
                  for name, ms in input_maps.items()}
    consumers = {layer.Name for layer in layers if rule_for(layer).role in (PRODUCES, CONSUMES)}
    output_sizes = {name: (values[(name, port)].shape, values[(name, port)].fmt)
                    for name in group_of for port in by_name[name].OutputNames}
    return Analysis(groups, group_of, sizes, input_maps, consumers, output_sizes)


def _spread(channel_map, count, block):
    """Output entry k comes from input channel k // (count / channels): each channel owns a contiguous block."""
    if not channel_map or count % len(channel_map):
        block(channel_map)  # no channel-by-channel correspondence to follow
        return [(None, i) for i in range(count)]
    return [pair for pair in channel_map for _ in range(count // len(channel_map))]


def _couple(in_maps, owners, block):
    """Addition: channel i of every input must come from filter i of a producer to be prunable."""
    first = in_maps[0]
    for other in in_maps[1:]:
        for (oa, ia), (ob, ib) in zip(first, other):
            if oa is None or ob is None or ia != ib:
                block([(oa, ia), (ob, ib)])
            else:
                owners.union(oa, ob)
    return first


def channel_keep(channel_map, masks):
    """Boolean keep-vector of a tensor's channels given the group masks."""
    return np.array([True if owner is None or owner not in masks else bool(masks[owner][i])
                     for owner, i in channel_map], dtype=bool)
