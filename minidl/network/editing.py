"""addLayers, connectLayers, disconnectLayers, removeLayers, replaceLayer: each returns a new, uninitialised
network (call initialize; values already set are kept). The network passed in is left as it was."""
from .._namevalue import namevalue
from .dlnetwork import _as_names, _check_layers, _series_connections, dlnetwork
from .graph import input_ports, output_ports, split_port


def _check_net(net):
    if not isinstance(net, dlnetwork):
        raise TypeError(f"net must be a dlnetwork; got {type(net).__name__}")
    return net


def addLayers(net, layers):
    """Add layers, connected in series among themselves; empty names are filled avoiding existing ones."""
    _check_net(net)
    new = _check_layers(layers, "layers", taken=[layer.Name for layer in net._layers])
    return net._replace(layers=net._layers + tuple(new),
                        connections=net._connections + tuple(_series_connections(new)), initialized=False)


def _pair(net, s, d):
    by_name = net._by_name()
    return split_port(s, output_ports, "source", by_name), split_port(d, input_ports, "destination", by_name)


def connectLayers(net, s, d):
    """Connect source ``s`` ('layer' or 'layer/out') to destination ``d`` ('layer' or 'layer/in2')."""
    _check_net(net)
    src, dst = _pair(net, s, d)
    for old_src, old_dst in net._connections:
        if old_dst == dst:
            raise ValueError(f"destination {d!r} is already connected to {old_src[0]}/{old_src[1]}; "
                             "disconnect it first with disconnectLayers")
    return net._replace(connections=net._connections + ((src, dst),), initialized=False)


def disconnectLayers(net, s, d):
    """Remove the connection from source ``s`` to destination ``d``."""
    _check_net(net)
    pair = _pair(net, s, d)
    if pair not in net._connections:
        raise ValueError(f"{s!r} is not connected to {d!r}")
    return net._replace(connections=[c for c in net._connections if c != pair], initialized=False)


def removeLayers(net, layerNames):
    """Remove layers and every connection that touches them."""
    _check_net(net)
    names = _as_names(layerNames, "layerNames")
    missing = [n for n in names if n not in net._by_name()]
    if missing:
        raise ValueError(f"layerNames: no layers named {missing} in the network")
    gone = set(names)
    outputs = None
    if net._output_names is not None:
        outputs = [n for n in net._output_names if n.partition("/")[0] not in gone] or None
    return net._replace(layers=[layer for layer in net._layers if layer.Name not in gone],
                        connections=[c for c in net._connections if c[0][0] not in gone and c[1][0] not in gone],
                        initialized=False, output_names=outputs)


def _port_map(old_ports, new_ports, ReconnectBy):
    return dict(zip(old_ports, new_ports)) if ReconnectBy == "order" else {p: p for p in old_ports if p in new_ports}


@namevalue
def replaceLayer(net, layerName, larray, *, ReconnectBy="name"):
    """Replace one layer by a layer (or layers in series), reconnecting its inputs to the first new
    layer and its outputs from the last, matching ports by name (or by position: ReconnectBy="order")."""
    _check_net(net)
    if ReconnectBy not in ("name", "order"):
        raise ValueError(f"ReconnectBy must be 'name' or 'order'; got {ReconnectBy!r}")
    old = net._by_name().get(layerName) if isinstance(layerName, str) else None
    if old is None:
        raise ValueError(f"layerName: no layer named {layerName!r} in the network")
    new = _check_layers(larray, "larray", taken=[layer.Name for layer in net._layers if layer is not old])
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
    for (s, sp), (d, dp) in net._connections:
        if d == layerName:
            connections.append(((s, sp), (first.Name, mapped(ins, dp, "its first", first))))
        elif s == layerName:
            connections.append(((last.Name, mapped(outs, sp, "its last", last)), (d, dp)))
        else:
            connections.append(((s, sp), (d, dp)))
    outputs = None
    if net._output_names is not None:
        outputs = []
        for name in net._output_names:
            owner, _, port = name.partition("/")
            if owner == layerName:
                name = f"{last.Name}/{mapped(outs, port, 'its last', last)}" if port else last.Name
            outputs.append(name)
    index = net._layers.index(old)
    layers = net._layers[:index] + tuple(new) + net._layers[index + 1:]
    return net._replace(layers=layers, connections=connections + _series_connections(new), initialized=False,
                        output_names=outputs)
