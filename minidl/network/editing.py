"""addLayers, connectLayers, disconnectLayers, removeLayers, replaceLayer: each returns a new network."""
from .dlnetwork import _check_layers, _series_connections, dlnetwork
from .graph import input_ports, split_port


def _check_net(net):
    if not isinstance(net, dlnetwork):
        raise TypeError(f"net must be a dlnetwork; got {type(net).__name__}")
    return net


def addLayers(net, layers):
    """Add layers (connected in series among themselves) to an uninitialised copy of net."""
    _check_net(net)
    new = _check_layers(layers, "layers")
    return net._replace(layers=list(net._layers) + new,
                        connections=list(net._connections) + _series_connections(new), initialized=False)


def connectLayers(net, s, d):
    """Connect source ``s`` ('layer' or 'layer/out') to destination ``d`` ('layer' or 'layer/in2')."""
    _check_net(net)
    by_name = net._by_name()
    src = split_port(s, lambda l: tuple(l.OutputNames), "source", by_name)
    dst = split_port(d, input_ports, "destination", by_name)
    if any(existing == dst for _, existing in net._connections):
        raise ValueError(f"destination {d!r} is already connected; disconnect it first")
    return net._replace(connections=list(net._connections) + [(src, dst)], initialized=False)


def disconnectLayers(net, s, d):
    _check_net(net)
    by_name = net._by_name()
    pair = (split_port(s, lambda l: tuple(l.OutputNames), "source", by_name),
            split_port(d, input_ports, "destination", by_name))
    if pair not in net._connections:
        raise ValueError(f"{s!r} is not connected to {d!r}")
    return net._replace(connections=[c for c in net._connections if c != pair], initialized=False)


def removeLayers(net, layerNames):
    """Remove layers and every connection that touches them."""
    _check_net(net)
    names = [layerNames] if isinstance(layerNames, str) else list(layerNames)
    missing = [n for n in names if n not in net._by_name()]
    if missing:
        raise ValueError(f"layerNames: no layers named {missing} in the network")
    gone = set(names)
    return net._replace(layers=[l for l in net._layers if l.Name not in gone],
                        connections=[c for c in net._connections if c[0][0] not in gone and c[1][0] not in gone],
                        initialized=False,
                        output_names=None if net._output_names is None else
                        [n for n in net._output_names if n.split("/")[0] not in gone])


def replaceLayer(net, layerName, larray):
    """Replace one layer by a layer (or a series of layers) keeping the surrounding connections."""
    _check_net(net)
    if layerName not in net._by_name():
        raise ValueError(f"layerName: no layer named {layerName!r} in the network")
    new = _check_layers(larray, "larray")
    if not new:
        raise ValueError("larray must contain at least one layer")
    taken = {l.Name for l in net._layers} - {layerName}
    clash = [l.Name for l in new if l.Name in taken]
    if clash:
        raise ValueError(f"larray: layer names {clash} already exist in the network")
    first, last = new[0], new[-1]
    old = net._by_name()[layerName]
    first_ports, last_ports = input_ports(first), tuple(last.OutputNames)
    connections = []
    for (s, sp), (d, dp) in net._connections:
        if d == layerName:
            port = dict(zip(input_ports(old), first_ports)).get(dp)
            if port is None:
                raise ValueError(f"larray: its first layer has no input matching {layerName}/{dp}")
            connections.append(((s, sp), (first.Name, port)))
        elif s == layerName:
            port = dict(zip(old.OutputNames, last_ports)).get(sp)
            if port is None:
                raise ValueError(f"larray: its last layer has no output matching {layerName}/{sp}")
            connections.append(((last.Name, port), (d, dp)))
        else:
            connections.append(((s, sp), (d, dp)))
    index = [l.Name for l in net._layers].index(layerName)
    layers = list(net._layers[:index]) + new + list(net._layers[index + 1:])
    return net._replace(layers=layers, connections=connections + _series_connections(new), initialized=False)
