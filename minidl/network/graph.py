"""The layer graph: port names, connection checks, topological order. Pure functions over layers."""


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
