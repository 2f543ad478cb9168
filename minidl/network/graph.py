"""The layer graph: port names, connection checks, topological order. Pure functions over layers."""


def is_input_layer(layer):
    return hasattr(layer, "example_input")


def input_ports(layer):
    return () if is_input_layer(layer) else tuple(layer.InputNames)


def split_port(name, ports, side, layers_by_name):
    """'layer' or 'layer/port' -> (layer, port), checked against the layer's ports."""
    layer_name, _, port = name.partition("/")
    if layer_name not in layers_by_name:
        raise ValueError(f"{side} {name!r}: no layer named {layer_name!r} in the network")
    available = ports(layers_by_name[layer_name])
    if not port:
        if len(available) != 1:
            raise ValueError(f"{side} {name!r}: layer {layer_name!r} has ports {list(available)}; "
                             f"name one as '{layer_name}/{available[0] if available else 'in'}'")
        port = available[0]
    elif port not in available:
        raise ValueError(f"{side} {name!r}: layer {layer_name!r} has no port {port!r}; its ports are {list(available)}")
    return layer_name, port


def port_name(layer, port, ports):
    """MATLAB's spelling: the bare layer name when the layer has a single port of that kind."""
    return layer.Name if len(ports) == 1 else f"{layer.Name}/{port}"


def sources_of(connections):
    """{(dest_layer, dest_port): (src_layer, src_port)}; each input port takes one connection."""
    table = {}
    for src, dst in connections:
        if dst in table:
            raise ValueError(f"input {dst[0]}/{dst[1]} is connected twice (from {table[dst][0]} and {src[0]})")
        table[dst] = src
    return table


def topological_order(layers, connections):
    """Layers sorted so every layer follows its sources; stable in layer order; cycles raise."""
    index = {layer.Name: i for i, layer in enumerate(layers)}
    pending = {layer.Name: 0 for layer in layers}
    users = {layer.Name: [] for layer in layers}
    for (src, _), (dst, _) in connections:
        pending[dst] += 1
        users[src].append(dst)
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
        stuck = [n for n, k in pending.items() if k > 0]
        raise ValueError(f"The network has a cycle: layers {stuck} depend on each other")
    return order
