"""Initialisation: fill unset learnables and state from the sizes the layers will see."""
import numpy as np

from ..backend import array_module
from ..dlarray import dlarray
from .run import run, sizes_text


def initialized_layers(net, X, generator):
    """The layers of ``net`` with unset values filled (set values stay as they are), in network order.

    ``X``: one example input (a formatted dlarray) for each network input that no input layer
    feeds, in the order of net.InputNames; input layers make their own examples.
    """
    graph = net.graph
    unfed = [label for (_, port), label in zip(graph.inputs, graph.input_names) if port is not None]
    given = list(X)
    if unfed and not given:
        raise ValueError(f"Network input(s) {unfed} are not fed by an input layer: connect them with connectLayers, "
                         "pass one formatted example dlarray for each (initialize(net, X), dlnetwork(layers, X)), "
                         "or build the network with Initialize=False")
    if len(given) != len(unfed):
        raise TypeError(f"initialize takes one example input per network input not fed by an input layer "
                        f"({len(unfed)}: {unfed}); got {len(given)}")
    examples = []
    xp = _values_module(net, given)
    for (layer_name, port), label in zip(graph.inputs, graph.input_names):
        if port is None:
            example = graph.layer(layer_name).example_input()  # on the device of the values already set
            examples.append(dlarray._wrap(xp.asarray(example.data), example.fmt))
            continue
        example = given.pop(0)
        if not isinstance(example, dlarray) or not example.fmt:
            raise TypeError(f"example input for {label!r} must be a formatted dlarray; got "
                            f"{'an unformatted dlarray' if isinstance(example, dlarray) else type(example).__name__}")
        examples.append(example)

    def initialise_then_run(layer, args, call):
        try:
            layer = layer.initialize(*args, generator=generator)
        except (ValueError, TypeError) as err:
            raise ValueError(f"Layer '{layer.Name}' cannot be initialised for input of size {sizes_text(args)}: "
                             f"{err}") from err
        if xp is not np:  # values drawn on the host join the values already on the device
            layer = layer._map_dlarrays(lambda v: v if array_module(v.data) is xp else
                                        dlarray._wrap(xp.asarray(v.data), v.fmt))
        return call(layer, args)

    _, _, layers = run(net, tuple(examples), training=False, hook=initialise_then_run)
    return [layers[name] for name in graph.names]


def _values_module(net, examples):
    """The array module of the learnables and state already set or of the example inputs (NumPy for none)."""
    values = list(net.Learnables.Value) + list(net.State.Value) + list(examples)
    return array_module(*[v.data for v in values if isinstance(v, dlarray)])
