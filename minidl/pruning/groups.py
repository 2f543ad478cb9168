"""Static analysis of which convolution filters can be pruned, and what their removal touches.

Every tensor in the network gets a *channel map*: for each of its channels, the
(owner, filter index) it comes from, where the owner is a convolution layer (or None
for channels nothing can remove, such as the input image). Maps flow through
channel-preserving layers unchanged, concatenate at depth concatenation, and unite
owners at additions (all producers of one addition form one group and lose the same
channels). A tensor that reaches anything other than a convolution or fully connected
layer's input (group normalisation, softmax, a network output, an unknown layer)
blocks its owners from pruning.
"""
import numpy as np

from ..network.graph import input_ports, sources_of, topological_order
from ..network.run import example_values

PRUNABLE = "Convolution2DLayer"
SLICEABLE_CONSUMERS = {"Convolution2DLayer", "FullyConnectedLayer"}
CHANNEL_PRESERVING = {"BatchNormalizationLayer", "ReLULayer", "LeakyReLULayer", "MaxPooling2DLayer",
                      "AveragePooling2DLayer", "GlobalAveragePooling2DLayer", "DropoutLayer"}
COUPLING = "AdditionLayer"
CONCATENATING = "DepthConcatenationLayer"
FLATTENING = "FlattenLayer"
PASSING = CHANNEL_PRESERVING | {COUPLING, CONCATENATING, FLATTENING}


class _Owners:
    """Union-find over convolution names: filters of coupled convolutions share one group."""

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

    groups: {group name: [member convolution names]} for the unblocked groups, in network order
    group_of: {convolution name: group name} for prunable convolutions
    sizes: {group name: original number of filters}
    input_maps: {layer name: [channel map per input]}, each map a list of (owner, index)
    shapes: {layer name: [(shape, format) of each input]} from one example pass (batch of 1)
    blocked: group names that cannot be pruned
    """

    def __init__(self, groups, group_of, sizes, input_maps, shapes, blocked, consumers):
        self.groups, self.group_of, self.sizes = groups, group_of, sizes
        self.input_maps, self.shapes, self.blocked = input_maps, shapes, blocked
        self.consumers = consumers  # layers whose input channels can be sliced (conv, fully connected)

    @property
    def prunable_layers(self):
        """Prunable convolution names in network order (the order of pruningActivations)."""
        return list(self.group_of)


def _channel_count(value):
    fmt = value.fmt
    return value.shape[fmt.index("C")] if "C" in fmt else None


def analyse(net):
    """Channel maps, prunable groups and blocked owners of an initialised dlnetwork."""
    values = example_values(net, "taylorPrunableNetwork")
    sources = sources_of(net._connections)
    owners, blocked = _Owners(), set()
    maps, input_maps, shapes = {}, {}, {}

    def block(channel_map):
        blocked.update(owner for owner, _ in channel_map if owner is not None)

    for layer in topological_order(net._layers, net._connections):
        kind = layer.class_name
        ins = [sources[(layer.Name, p)] for p in input_ports(layer)]
        in_maps = [maps[s] for s in ins]
        input_maps[layer.Name] = in_maps
        shapes[layer.Name] = [(values[s].shape, values[s].fmt) for s in ins]
        if kind not in SLICEABLE_CONSUMERS and kind not in PASSING:
            for m in in_maps:
                block(m)
        for port in layer.OutputNames:
            count = _channel_count(values[(layer.Name, port)])
            if kind == PRUNABLE:
                owners.add(layer.Name)
                out = [(layer.Name, i) for i in range(count)]
            elif kind in CHANNEL_PRESERVING:
                out = in_maps[0]
            elif kind == COUPLING:
                out = _couple(in_maps, owners, block)
            elif kind == CONCATENATING:
                out = [pair for m in in_maps for pair in m]
            elif kind == FLATTENING:
                out = [pair for pair in in_maps[0] for _ in range(spatial_size(*shapes[layer.Name][0]))]
            else:
                out = [(None, i) for i in range(count or 0)]
            maps[(layer.Name, port)] = out
    for name in net.OutputNames:
        layer_name, _, port = name.partition("/")
        layer = net._by_name()[layer_name]
        block(maps[(layer_name, port or layer.OutputNames[0])])

    blocked_groups = {owners.find(o) for o in blocked}
    group_of, groups, sizes = {}, {}, {}
    for layer in net._layers:
        if layer.class_name == PRUNABLE and owners.find(layer.Name) not in blocked_groups:
            group = owners.find(layer.Name)
            group_of[layer.Name] = group
            groups.setdefault(group, []).append(layer.Name)
            sizes[group] = layer.NumFilters
    # Owners in the maps are replaced by their group, so masks can be looked up directly.
    input_maps = {name: [[(owners.find(o) if o is not None else None, i) for o, i in m] for m in ms]
                  for name, ms in input_maps.items()}
    consumers = {layer.Name for layer in net._layers if layer.class_name in SLICEABLE_CONSUMERS}
    return Analysis(groups, group_of, sizes, input_maps, shapes, blocked_groups, consumers)


def _couple(in_maps, owners, block):
    """Addition: channel i of every input must come from filter i of a convolution to be prunable."""
    first = in_maps[0]
    for other in in_maps[1:]:
        for (oa, ia), (ob, ib) in zip(first, other):
            if oa is None or ob is None or ia != ib:
                block([(oa, ia), (ob, ib)])
            else:
                owners.union(oa, ob)
    return first


def spatial_size(shape, fmt):
    """Values per channel and observation: what flattening puts next to each other (h, then w)."""
    return int(np.prod([n for n, label in zip(shape, fmt) if label == "S"]))


def channel_keep(channel_map, masks):
    """Boolean keep-vector of a tensor's channels given the group masks."""
    return np.array([True if owner is None or owner not in masks else bool(masks[owner][i])
                     for owner, i in channel_map], dtype=bool)
