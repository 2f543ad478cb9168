"""Evaluating a network: the layers in graph order, training or inference behaviour, one hook."""
from ..backend import array_module
from ..dlarray import dlarray
from ..threads import compute
from .graph import is_input_layer, output_ports, split_port


def sizes_text(args):
    """'8x8x1x2 (SSCB), 4x2' for the sizes in error messages."""
    return ", ".join("x".join(map(str, a.shape)) + (f" ({a.fmt})" if a.fmt else "") for a in args)


def run(net, X, training, hook=None, kept=None, replaced=None):
    """Evaluate the graph (see _run) inside minidl.threads.compute: OpenBLAS on one thread, minidl's pool on
    the cores."""
    with compute():
        return _run(net, X, training, hook, kept, replaced or {})


def _fusions(graph, hook, kept, training, by_name=None):
    """{first layer's name: (what runs in place of the chain, names in the chain)} for chains of layers run
    fused (Layer.fused): each layer's output is read by the next one only, is not asked for (``kept``),
    and ``hook`` (if any) declares it passes them through untouched (a ``touches`` set of layer names)."""
    if kept is None or (hook is not None and not hasattr(hook, "touches")):
        return {}
    touched = getattr(hook, "touches", frozenset())
    by_name = graph._by_name if by_name is None else by_name  # the layers as run (see _run's ``replaced``)
    readers = {}
    for key, source in graph.sources.items():
        readers.setdefault(source, []).append(key)
    heads = {}  # a chain's first layer name -> (its unit, its names), built from the last layer back
    for layer in (by_name[name] for name in reversed(graph.order)):
        ports = output_ports(layer)
        if len(ports) != 1 or (layer.Name, ports[0]) in kept or layer.Name in touched:
            continue
        reading = readers.get((layer.Name, ports[0]), [])
        consumer = by_name[reading[0][0]] if len(reading) == 1 else None
        if consumer is None or len(consumer.InputNames) != 1 or consumer.Name in touched:
            continue
        following, names = heads.pop(consumer.Name, (consumer, (consumer.Name,)))
        unit = layer.fused(following, training)
        if unit is not None:
            heads[layer.Name] = (unit, (layer.Name,) + names)
        elif len(names) > 1:
            heads[consumer.Name] = (following, names)  # the chain after this layer stands as it is
    return heads


def _run(net, X, training, hook, kept, replaced):
    """Evaluate the graph; returns ({(layer, port): value}, {layer: state dict}, {name: layer as run}).

    ``hook(layer, args, call)``, when given, runs in place of each layer: ``call(layer, args)``
    evaluates a layer and returns its outputs as a tuple, and the hook returns that tuple. So it
    may change the inputs (pruning masks), keep the outputs (pruning activations) or run a
    different layer (initialisation runs the initialised one).

    ``kept``: the outputs the caller will read, as (layer, port) keys; given, a layer whose output
    only the next layer reads may run fused with it (see _fusions), and its own output is then
    absent from the values. None (every value is kept) runs each layer on its own.

    ``replaced``: {name: layer} run in place of the network's layers of those names (same ports; the
    pruned form of a layer, for example), fused like the others.
    """
    graph = net.graph
    if len(X) != len(graph.inputs):
        raise TypeError(f"the network has {len(graph.inputs)} input(s) {list(graph.input_names)}; "
                        f"got {len(X)} input argument(s)")
    for i, x in enumerate(X):
        if not isinstance(x, dlarray):
            raise TypeError(f"input X{i + 1} ({graph.input_names[i]}) must be a dlarray; got {type(x).__name__}")
    feeds = dict(zip(graph.inputs, X))
    values, states, layers = {}, {}, {}
    ordered = graph._ordered if not replaced else tuple(replaced.get(l.Name, l) for l in graph._ordered)
    by_name = graph._by_name if not replaced else {layer.Name: layer for layer in ordered}
    fusions = _fusions(graph, hook, kept, training, by_name)
    fused_away = {name for _, names in fusions.values() for name in names[1:]}

    def call(layer, args):
        layers[layer.Name] = layer
        try:
            if training:
                outs, states[layer.Name] = layer.forward(*args)
            else:
                outs = layer.predict(*args)
        except (ValueError, TypeError) as err:
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(f"Layer '{layer.Name}' ({layer.Type or layer.class_name}) failed on input of size "
                       f"{sizes_text(args)}: {err}") from err
        return outs if isinstance(outs, tuple) else (outs,)

    for layer in ordered:  # the network's own layers, sorted once when the graph was made
        if layer.Name in fused_away:
            continue  # run by the chain it belongs to
        if is_input_layer(layer):
            args = (feeds[(layer.Name, None)],)
        else:
            args = tuple(feeds[key] if key in feeds else values[graph.sources[key]]
                         for key in ((layer.Name, port) for port in layer.InputNames))
        if layer.Name in fusions:
            unit, names = fusions[layer.Name]
            outs = call(unit, args)
            layers.update((name, by_name[name]) for name in names)
            layer = by_name[names[-1]]  # the chain's output is its last layer's
        else:
            outs = call(layer, args) if hook is None else hook(layer, args, call)
        for port, value in zip(output_ports(layer), outs):
            values[(layer.Name, port)] = value
    return values, states, layers


def example_values(net, caller):
    """Every tensor of one batch-1 predict pass, with the example inputs on the device of the learnables."""
    xp = array_module(*(v.data for v in net.Learnables.Value))
    examples = []
    for layer_name, port in net.graph.inputs:
        if port is not None:
            raise ValueError(f"{caller} needs a network whose inputs are input layers "
                             f"(input {layer_name!r} has none), so it can work out the activation sizes")
        example = net.graph.layer(layer_name).example_input()
        examples.append(dlarray._wrap(xp.asarray(example.data), example.fmt))
    values, _, _ = run(net, tuple(examples), training=False)
    return values


def _output_keys(net, Outputs):
    if Outputs is None:
        return net.graph.outputs
    if isinstance(Outputs, str):
        names = [Outputs]
    elif isinstance(Outputs, (list, tuple)) and Outputs:
        names = list(Outputs)
    else:
        raise TypeError(f"Outputs must be a layer name, 'layer/output' or a non-empty list of them; got {Outputs!r}")
    by_name = net.graph._by_name
    return [split_port(n, output_ports, "Outputs entry", by_name) for n in names]


def evaluate(net, X, training, Outputs=None, hook=None, replaced=None):
    """(tuple of requested outputs, updated State table or None) - shared by forward/predict; ``hook`` and
    ``replaced`` as for _run."""
    if not net.Initialized:
        raise ValueError("The network is not initialized: call net = initialize(net) first "
                         "(or build it with dlnetwork(layers), which initialises)")
    keys = _output_keys(net, Outputs)
    values, states, _ = run(net, X, training, hook, kept=frozenset(keys), replaced=replaced)
    return tuple(values[k] for k in keys), (_updated_state(net, states) if training else None)


def _updated_state(net, states):
    table = net.State
    values = [states.get(layer, {}).get(param, old) for layer, param, old in
              zip(table.Layer, table.Parameter, table.Value)]
    return table.with_column("Value", values)


def as_returned(ys, Outputs):
    """The outputs as forward/predict return them: a tuple when several exist or Outputs was a list, else one."""
    return ys if len(ys) > 1 or (Outputs is not None and not isinstance(Outputs, str)) else ys[0]
