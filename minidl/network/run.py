"""forward (training behaviour) and predict (inference behaviour) over the layer graph."""
from .._namevalue import namevalue
from ..backend import array_module
from ..dlarray import dlarray
from .graph import input_ports, is_input_layer, output_ports, sources_of, split_port, topological_order


def _network_inputs(net):
    """(layer name, port or None for an input layer) for each entry of net.InputNames, in order."""
    by_name = net._by_name()
    out = []
    for name in net.InputNames:
        layer_name, _, port = name.partition("/")
        layer = by_name[layer_name]
        out.append((layer_name, None if is_input_layer(layer) else (port or input_ports(layer)[0])))
    return out


def _sizes(args):
    return ", ".join("x".join(map(str, a.shape)) + (f" ({a.fmt})" if a.fmt else "") for a in args)


def run(net, X, training, input_hook=None, hook=None, initialize=None):
    """Evaluate the graph; returns ({(layer, port): value}, {layer: state dict}, {name: layer as run}).

    ``input_hook(layer, args)`` may replace a layer's inputs and ``hook(layer, outs)`` its
    outputs (pruning masks and activations use them); ``initialize(layer, args)`` may replace
    a layer before it runs (dlnetwork initialisation uses it).
    """
    entries = _network_inputs(net)
    if len(X) != len(entries):
        raise TypeError(f"the network has {len(entries)} input(s) {net.InputNames}; got {len(X)} input argument(s)")
    for i, x in enumerate(X):
        if not isinstance(x, dlarray):
            raise TypeError(f"input X{i + 1} ({net.InputNames[i]}) must be a dlarray; got {type(x).__name__}")
    feeds = dict(zip(entries, X))
    sources = sources_of(net._connections)
    values, states, layers = {}, {}, {}
    for layer in topological_order(net._layers, net._connections):
        if is_input_layer(layer):
            args = (feeds[(layer.Name, None)],)
        else:
            args = tuple(feeds[key] if key in feeds else values[sources[key]]
                         for key in ((layer.Name, port) for port in input_ports(layer)))
        if input_hook is not None:
            args = input_hook(layer, args)
        if initialize is not None:
            layer = initialize(layer, args)
        layers[layer.Name] = layer
        try:
            if training:
                outs, states[layer.Name] = layer.forward(*args)
            else:
                outs = layer.predict(*args)
        except (ValueError, TypeError) as err:
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(f"Layer '{layer.Name}' ({layer.Type or layer.class_name}) failed on input of size "
                            f"{_sizes(args)}: {err}") from err
        outs = outs if isinstance(outs, tuple) else (outs,)
        if hook is not None:
            outs = hook(layer, outs)
        for port, value in zip(output_ports(layer), outs):
            values[(layer.Name, port)] = value
    return values, states, layers


def example_values(net, caller):
    """Every tensor of one batch-1 predict pass, with the example inputs on the device of the learnables."""
    xp = array_module(*(v.data for v in net.Learnables.Value))
    examples = []
    for layer_name, _ in _network_inputs(net):
        layer = net._by_name()[layer_name]
        if not is_input_layer(layer):
            raise ValueError(f"{caller} needs a network whose inputs are input layers "
                             f"(input {layer_name!r} has none), so it can work out the activation sizes")
        example = layer.example_input()
        examples.append(dlarray._wrap(xp.asarray(example.data), example.fmt))
    values, _, _ = run(net, tuple(examples), training=False)
    return values


def _output_keys(net, Outputs):
    if Outputs is None:
        names = net.OutputNames
    elif isinstance(Outputs, str):
        names = [Outputs]
    elif isinstance(Outputs, (list, tuple)) and Outputs:
        names = list(Outputs)
    else:
        raise TypeError(f"Outputs must be a layer name, 'layer/output' or a non-empty list of them; got {Outputs!r}")
    by_name = net._by_name()
    return [split_port(n, output_ports, "Outputs entry", by_name) for n in names]


def evaluate(net, X, training, Outputs=None, **hooks):
    """(tuple of requested outputs, updated State table or None) - shared by forward/predict."""
    if not net.Initialized:
        raise ValueError("The network is not initialized: call net = initialize(net) first "
                         "(or build it with dlnetwork(layers), which initialises)")
    keys = _output_keys(net, Outputs)
    values, states, _ = run(net, X, training, **hooks)
    return tuple(values[k] for k in keys), (_updated_state(net, states) if training else None)


def _updated_state(net, states):
    table = net.State
    values = [states.get(layer, {}).get(param, old) for layer, param, old in
              zip(table.Layer, table.Parameter, table.Value)]
    return table.with_column("Value", values)


def _delegate(net, name):
    """Network-like objects that are not dlnetworks (TaylorPrunableNetwork) bring their own method."""
    from .dlnetwork import dlnetwork
    if isinstance(net, dlnetwork):
        return None
    method = getattr(net, name, None)
    if method is None:
        raise TypeError(f"net must be a dlnetwork or TaylorPrunableNetwork; got {type(net).__name__}")
    return method


def _many(ys, Outputs):
    """A tuple of Ys when several outputs exist or Outputs was given as a list."""
    return len(ys) > 1 or (Outputs is not None and not isinstance(Outputs, str))


@namevalue
def forward(net, *X, Outputs=None):
    """Training behaviour: ``Y, state = forward(net, X)``; ``Y1, ..., Yn, state`` for several outputs."""
    method = _delegate(net, "forward")
    if method is not None:
        return method(*X, Outputs=Outputs)
    ys, state = evaluate(net, X, True, Outputs)
    return (*ys, state) if _many(ys, Outputs) else (ys[0], state)


@namevalue
def predict(net, *X, Outputs=None):
    """Inference behaviour: ``Y = predict(net, X)``; a tuple of Ys for several outputs."""
    method = _delegate(net, "predict")
    if method is not None:
        return method(*X, Outputs=Outputs)
    ys, _ = evaluate(net, X, False, Outputs)
    return ys if _many(ys, Outputs) else ys[0]
