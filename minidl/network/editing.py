"""What addLayers, connectLayers, disconnectLayers, removeLayers and replaceLayer do to a network's graph.

Each returns a new, uninitialised network (call initialize; values already set are kept); the
network passed in is left as it was. dlnetwork's methods of those names call these.
"""
from ..layers.base import Layer
from .graph import as_names, input_ports, output_ports, split_port


def check_layers(layers, argname, taken=()):
    """Copies of the given layers (a layer or a list of them), empty names filled avoiding ``taken``."""
    from ..layers.naming import fill_names
    if layers is None:
        return []
    if isinstance(layers, Layer):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"{argname} must be a layer or a list of layers; got {type(layers).__name__}")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"{argname}[{i}] must be a layer; got {type(layer).__name__}")
    # Taken names go through fill_names as stand-in named layers, so new names avoid them.
    stand_ins = [Layer(Name=name) for name in taken]
    return [layer.copy() for layer in fill_names(stand_ins + list(layers))[len(stand_ins):]]


def series_connections(layers):
    """Each layer's first output feeds the next layer's first input, as dlnetwork(layerArray) does."""
    connections = []
    for a, b in zip(layers, layers[1:]):
        ports = input_ports(b)
        if ports:
            connections.append(((a.Name, output_ports(a)[0]), (b.Name, ports[0])))
    return connections


def add_layers(net, layers):
    graph = net.graph
    new = check_layers(layers, "layers", taken=graph.names)
    return net._replace(layers=graph._layers + tuple(new),
                        connections=graph.connections + tuple(series_connections(new)), initialized=False)


def _pair(net, s, d):
    by_name = net.graph._by_name
    return split_port(s, output_ports, "source", by_name), split_port(d, input_ports, "destination", by_name)


def connect_layers(net, s, d):
    src, dst = _pair(net, s, d)
    old_src = net.graph.sources.get(dst)
    if old_src is not None:
        raise ValueError(f"destination {d!r} is already connected to {old_src[0]}/{old_src[1]}; "
                         "disconnect it first with disconnectLayers")
    return net._replace(connections=net.graph.connections + ((src, dst),), initialized=False)


def disconnect_layers(net, s, d):
    pair = _pair(net, s, d)
    if pair not in net.graph.connections:
        raise ValueError(f"{s!r} is not connected to {d!r}")
    return net._replace(connections=[c for c in net.graph.connections if c != pair], initialized=False)


def remove_layers(net, layerNames):
    graph = net.graph
    names = as_names(layerNames, "layerNames")
    missing = [n for n in names if n not in graph.names]
    if missing:
        raise ValueError(f"layerNames: no layers named {missing} in the network")
    gone = set(names)
    outputs = None
    if graph.chosen_output_names is not None:
        outputs = [n for n in graph.chosen_output_names if n.partition("/")[0] not in gone] or None
    return net._replace(layers=[layer for layer in graph._layers if layer.Name not in gone],
                        connections=[c for c in graph.connections if c[0][0] not in gone and c[1][0] not in gone],
                        initialized=False, output_names=outputs)


def _port_map(old_ports, new_ports, ReconnectBy):
    return dict(zip(old_ports, new_ports)) if ReconnectBy == "order" else {p: p for p in old_ports if p in new_ports}


def replace_layer(net, layerName, larray, ReconnectBy):
    if ReconnectBy not in ("name", "order"):
        raise ValueError(f"ReconnectBy must be 'name' or 'order'; got {ReconnectBy!r}")
    graph = net.graph
    old = graph._by_name.get(layerName) if isinstance(layerName, str) else None
    if old is None:
        raise ValueError(f"layerName: no layer named {layerName!r} in the network")
    new = check_layers(larray, "larray", taken=[name for name in graph.names if name != layerName])
    if not new:
        raise ValueError("larray must contain at least one layer")
    first, last = new[0], new[-1]
    ins = _port_map(input_ports(old), input_ports(first), ReconnectBy)
    outs = _port_map(output_ports(old), output_ports(last), ReconnectBy)

    def mapped(ports, port, what, layer):
        if port not in ports:
            raise ValueError(f"larray: {what} layer {layer.Name!r} has no port matching {layerName}/{port} "
                             f"(ReconnectBy={ReconnectBy!r})")
        return ports[port]

    connections = []
    for (s, sp), (d, dp) in graph.connections:
        if d == layerName:
            connections.append(((s, sp), (first.Name, mapped(ins, dp, "its first", first))))
        elif s == layerName:
            connections.append(((last.Name, mapped(outs, sp, "its last", last)), (d, dp)))
        else:
            connections.append(((s, sp), (d, dp)))
    outputs = None
    if graph.chosen_output_names is not None:
        outputs = []
        for name in graph.chosen_output_names:
            owner, _, port = name.partition("/")
            if owner == layerName:
                name = f"{last.Name}/{mapped(outs, port, 'its last', last)}" if port else last.Name
            outputs.append(name)
    index = graph.names.index(layerName)
    layers = graph._layers[:index] + tuple(new) + graph._layers[index + 1:]
    return net._replace(layers=layers, connections=connections + series_connections(new), initialized=False,
                        output_names=outputs)
