"""initialize(net): fill unset learnables and state from the sizes the layers will see."""
from ..dlarray import dlarray
from .graph import is_input_layer
from .run import _network_inputs, run


def initialize(net, *X, generator=None):
    """A new, initialised network (already set values stay). ``X``: example inputs for inputs
    that no input layer feeds (formatted dlarrays); input layers make their own examples."""
    from ..random import generator as default_generator
    gen = generator if generator is not None else default_generator()
    entries = _network_inputs(net)
    by_name = net._by_name()
    examples, given = [], list(X)
    for (layer_name, port), label in zip(entries, net.InputNames):
        layer = by_name[layer_name]
        if is_input_layer(layer):
            examples.append(layer.example_input())
        elif given:
            example = given.pop(0)
            if not isinstance(example, dlarray) or not example.fmt:
                raise TypeError(f"example input for {label!r} must be a formatted dlarray")
            examples.append(example)
        else:
            raise ValueError(f"Network input {label!r} is not fed by an input layer: give an example "
                             "input dlnetwork(layers, X) or add an input layer")
    if given:
        raise TypeError(f"{len(X)} example inputs given; the network needs {len(X) - len(given)}")

    def init_layer(layer, args):
        try:
            return layer.initialize(*args, generator=gen)
        except (ValueError, TypeError) as err:
            sizes = ", ".join(f"{a.shape}({a.fmt})" for a in args)
            raise ValueError(f"Layer '{layer.Name}' cannot be initialised for input size {sizes}: {err}") from err

    _, _, layers = run(net, tuple(examples), training=False, initialize=init_layer)
    return net._replace(layers=[layers[layer.Name] for layer in net._layers], initialized=True)
