"""summary(net): MATLAB's short text about a network."""
from ..dlarray import numel
from .graph import is_input_layer


def count_learnables(net):
    """MATLAB's idiom for the number of learnables: the sum of numel over ``net.Learnables.Value``."""
    return sum(numel(v) for v in net.Learnables.Value)


def _abbreviated(n):
    """MATLAB's short count: 3 significant digits with k, M or G (84012 -> '84k', 999999 -> '1M')."""
    for power, suffix in ((9, "G"), (6, "M"), (3, "k")):
        if float(f"{n:.3g}") >= 10 ** power:
            return f"{float(f'{n:.3g}') / 10 ** power:g}{suffix}"
    return str(n)


def summary_text(net):
    """Whether ``net`` is initialised, its number of learnables and its inputs, as MATLAB's summary prints it."""
    by_name = net.graph._by_name
    lines = [f"   Initialized: {str(net.Initialized).lower()}", "",
             f"   Number of learnables: {_abbreviated(count_learnables(net))}", "", "   Inputs:"]
    for i, name in enumerate(net.InputNames, 1):
        layer = by_name[name.partition("/")[0]]
        text = layer.description() if is_input_layer(layer) else "input not fed by an input layer"
        lines.append(f"      {i}   '{name}'   {text}")
    return "\n".join(lines) + "\n"
