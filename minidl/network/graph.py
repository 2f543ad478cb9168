"""The layer graph: port names, connection checks, topological order, and NetworkGraph, a network's
checked, read-only graph (``net.graph``) with its order worked out once."""
from types import MappingProxyType


class NetworkGraph:
    """The layers of a network and how they connect, checked and read-only (``net.graph``).

    ``NetworkGraph(layers, connections, OutputNames=None)`` checks names, ports and cycles;
    ``dlnetwork.from_graph(graph)`` makes a network of it. Attributes (none can be assigned):

    - ``layers``: the layers in network order, as copies (changing one changes no network)
    - ``names``: the layer names in network order
    - ``connections``: ``((source layer, output port), (destination layer, input port))`` pairs
    - ``order``: the layer names sorted so every layer follows its sources, worked out once
    - ``sources``: read-only ``{(layer, input port): (layer, output port)}``
    - ``inputs``: one ``(layer, input port)`` per network input, the port ``None`` for an input layer
    - ``input_names``, ``output_names``: MATLAB's InputNames and OutputNames, as tuples
    - ``outputs``: one ``(layer, output port)`` per entry of ``output_names``
    - ``chosen_output_names``: OutputNames as set, or None for the default (every unused output)
    """

    __slots__ = ("_layers", "_by_name", "_ordered", "names", "connections", "order", "sources", "inputs",
                 "input_names", "outputs", "output_names", "chosen_output_names")

    def __init__(self, layers, connections, OutputNames=None):
        layers, connections = tuple(layers), tuple((tuple(s), tuple(d)) for s, d in connections)
        names = [layer.Name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Layer names must be unique; repeated: {duplicates}")
        if "" in names:
            raise ValueError("Every layer needs a name here; dlnetwork(layers) and addLayers fill empty names")
        slashed = [n for n in names if "/" in n]
        if slashed:  # "layer/port" is how connections, InputNames and OutputNames name a port
            raise ValueError(f"Layer names must not contain '/' (it separates a layer from its port, as in "
                             f"'add/in2'); got {slashed}")
        check_connections(layers, connections)
        by_name = {layer.Name: layer for layer in layers}
        chosen = None
        if OutputNames is not None:
            chosen = tuple(as_names(OutputNames, "OutputNames"))
            for name in chosen:
                split_port(name, output_ports, "OutputNames entry", by_name)
        self._set(layers, connections, chosen, topological_order(layers, connections))

    def _set(self, layers, connections, chosen, ordered):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (the only writer)
        by_name = {layer.Name: layer for layer in layers}
        sources = sources_of(connections)
        put("_layers", layers)
        put("_by_name", by_name)
        put("_ordered", tuple(ordered))
        put("names", tuple(by_name))
        put("connections", connections)
        put("order", tuple(layer.Name for layer in ordered))
        put("sources", MappingProxyType(sources))
        inputs, input_names = [], []
        for layer in layers:
            if is_input_layer(layer):
                inputs.append((layer.Name, None))
                input_names.append(layer.Name)
            else:
                ports = input_ports(layer)
                for p in ports:
                    if (layer.Name, p) not in sources:
                        inputs.append((layer.Name, p))
                        input_names.append(port_name(layer, p, ports))
        put("inputs", tuple(inputs))
        put("input_names", tuple(input_names))
        if chosen is None:
            used = {src for src, _ in connections}
            outputs = tuple((layer.Name, p) for layer in layers for p in output_ports(layer)
                            if (layer.Name, p) not in used)
            output_names = tuple(port_name(by_name[n], p, output_ports(by_name[n])) for n, p in outputs)
        else:
            outputs = tuple(split_port(name, output_ports, "OutputNames entry", by_name) for name in chosen)
            output_names = chosen
        put("outputs", outputs)
        put("output_names", output_names)
        put("chosen_output_names", chosen)

    def _with_layers(self, layers):
        """The same graph holding new values of its layers (same names, same order): nothing is sorted again."""
        layers = tuple(layers)
        if tuple(layer.Name for layer in layers) != self.names:
            raise ValueError("_with_layers keeps the graph: the layers must have the same names in the same order")
        graph = object.__new__(NetworkGraph)
        for slot in self.__slots__:
            object.__setattr__(graph, slot, getattr(self, slot))
        by_name = {layer.Name: layer for layer in layers}
        object.__setattr__(graph, "_layers", layers)
        object.__setattr__(graph, "_by_name", by_name)
        object.__setattr__(graph, "_ordered", tuple(by_name[name] for name in self.order))
        return graph

    @property
    def layers(self):
        return tuple(layer.copy() for layer in self._layers)

    def layer(self, name):
        """A copy of the layer called ``name``."""
        if name not in self._by_name:
            raise ValueError(f"no layer named {name!r} in the network")
        return self._by_name[name].copy()

    def __setattr__(self, name, value):
        _read_only(name)

    def __delattr__(self, name):
        _read_only(name)

    def __repr__(self):
        return (f"NetworkGraph with {len(self.names)} layers and {len(self.connections)} connections; "
                f"inputs {list(self.input_names)}, outputs {list(self.output_names)}")


def _read_only(name):
    raise AttributeError(f"a network's graph is read-only (cannot change {name!r}); make a changed network "
                         "with addLayers, connectLayers, removeLayers, replaceLayer, ...")


def as_names(names, argname):
    """A string or a list of strings, as a list."""
    if isinstance(names, str):
        return [names]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{argname} must be a string or a list of strings; got {names!r}")
    return list(names)


def is_input_layer(layer):
    return hasattr(layer, "example_input")


def input_ports(layer):
    return () if is_input_layer(layer) else tuple(layer.InputNames)


def output_ports(layer):
    return tuple(layer.OutputNames)


def split_port(name, ports, side, layers_by_name):
    """'layer' or 'layer/port' -> (layer, port), checked against ``ports(layer)``."""
    if not isinstance(name, str):
        raise TypeError(f"{side} must be a string such as 'relu1' or 'add/in2'; got {type(name).__name__}")
    layer_name, _, port = name.partition("/")
    if layer_name not in layers_by_name:
        raise ValueError(f"{side} {name!r}: no layer named {layer_name!r} in the network")
    available = ports(layers_by_name[layer_name])
    if not available:
        raise ValueError(f"{side} {name!r}: layer {layer_name!r} has no ports of this kind "
                         "(an input layer takes no inputs)")
    if not port:
        if len(available) != 1:
            raise ValueError(f"{side} {name!r}: layer {layer_name!r} has ports {list(available)}; "
                             f"name one, e.g. '{layer_name}/{available[0]}'")
        port = available[0]
    elif port not in available:
        raise ValueError(f"{side} {name!r}: layer {layer_name!r} has no port {port!r}; its ports are {list(available)}")
    return layer_name, port


def port_name(layer, port, ports):
    """MATLAB's spelling: the bare layer name when the layer has a single port of that kind."""
    return layer.Name if len(ports) == 1 else f"{layer.Name}/{port}"


def check_connections(layers, connections):
    """Every connection joins an existing output port to an existing input port, each input fed once."""
    by_name = {layer.Name: layer for layer in layers}
    for src, dst in connections:
        for (name, port), ports, side in ((src, output_ports, "source"), (dst, input_ports, "destination")):
            if name not in by_name or port not in ports(by_name[name]):
                raise ValueError(f"connection {src[0]}/{src[1]} -> {dst[0]}/{dst[1]}: {side} port "
                                 f"{name}/{port} does not exist in the network")
    sources_of(connections)


def sources_of(connections):
    """{(dest_layer, dest_port): (src_layer, src_port)}; each input port takes one connection."""
    table = {}
    for src, dst in connections:
        if dst in table:
            raise ValueError(f"input {dst[0]}/{dst[1]} is connected twice (from {table[dst][0]} and {src[0]})")
        table[dst] = src
    return table


def topological_order(layers, connections):
    """Layers sorted so every layer follows its sources; stable in layer order; a cycle raises, naming it."""
    index = {layer.Name: i for i, layer in enumerate(layers)}
    pending = {layer.Name: 0 for layer in layers}
    users = {layer.Name: [] for layer in layers}
    feeders = {layer.Name: [] for layer in layers}
    for (src, _), (dst, _) in connections:
        pending[dst] += 1
        users[src].append(dst)
        feeders[dst].append(src)
    ready = sorted((n for n, k in pending.items() if k == 0), key=index.get)
    order = []
    while ready:
        name = ready.pop(0)
        order.append(layers[index[name]])
        for user in users[name]:
            pending[user] -= 1
            if pending[user] == 0:
                ready.append(user)
                ready.sort(key=index.get)
    if len(order) != len(layers):
        raise ValueError(f"The network has a cycle: {' -> '.join(_cycle(pending, feeders, index))}")
    return order


def _cycle(pending, feeders, index):
    """One cycle among the layers the sort left over, from its first layer in list order: walk back
    along unfinished feeders until a layer repeats."""
    name = next(n for n, k in pending.items() if k > 0)
    path = []
    while name not in path:
        path.append(name)
        name = next(f for f in feeders[name] if pending[f] > 0)
    cycle = path[path.index(name):][::-1]  # in the direction of the connections
    start = cycle.index(min(cycle, key=index.get))
    cycle = cycle[start:] + cycle[:start]
    return cycle + cycle[:1]
