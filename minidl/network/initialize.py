"""initialize(net): fill unset learnables and state from the sizes the layers will see."""
from .._namevalue import namevalue
from ..dlarray import dlarray
from .run import _network_inputs, _sizes, run


@namevalue
def initialize(net, *X, generator=None):
    """A new, initialised network; values already set stay as they are.

    ``X``: one example input (a formatted dlarray) for each network input that no input
    layer feeds, in the order of net.InputNames; input layers make their own examples.
    ``generator``: a numpy.random.Generator for the initialisers (default: minidl.rng's).
    Sizes that do not fit (e.g. an addition of 8x8 and 6x6 maps, preset Weights of the
    wrong size) raise ValueError naming the layer and the sizes.
    """
    from ..random import resolve
    from .dlnetwork import dlnetwork
    if not isinstance(net, dlnetwork):
        raise TypeError(f"net must be a dlnetwork; got {type(net).__name__}")
    gen = resolve(generator)
    examples, given = [], list(X)
    unfed = [label for (_, port), label in zip(_network_inputs(net), net.InputNames) if port is not None]
    if unfed and not given:
        raise ValueError(f"Network input(s) {unfed} are not fed by an input layer: connect them with connectLayers, "
                         "pass one formatted example dlarray for each (initialize(net, X), dlnetwork(layers, X)), "
                         "or build the network with Initialize=False")
    if len(given) != len(unfed):
        raise TypeError(f"initialize takes one example input per network input not fed by an input layer "
                        f"({len(unfed)}: {unfed}); got {len(given)}")
    for (layer_name, port), label in zip(_network_inputs(net), net.InputNames):
        if port is None:
            examples.append(net._by_name()[layer_name].example_input())
            continue
        example = given.pop(0)
        if not isinstance(example, dlarray) or not example.fmt:
            raise TypeError(f"example input for {label!r} must be a formatted dlarray; got "
                            f"{'an unformatted dlarray' if isinstance(example, dlarray) else type(example).__name__}")
        examples.append(example)

    def init_layer(layer, args):
        try:
            return layer.initialize(*args, generator=gen)
        except (ValueError, TypeError) as err:
            raise ValueError(f"Layer '{layer.Name}' cannot be initialised for input of size {_sizes(args)}: "
                             f"{err}") from err

    _, _, layers = run(net, tuple(examples), training=False, initialize=init_layer)
    return net._replace(layers=[layers[layer.Name] for layer in net._layers], initialized=True)
