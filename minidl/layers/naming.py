"""Automatic layer names, as MATLAB gives them when a network is built."""
from collections import Counter

from .array import LayerArray


def fill_names(layers):
    """``layers`` as a LayerArray with each empty Name filled from the layer's base name.

    A base name used by one unnamed layer is taken as it is (``fc``); when several
    unnamed layers share it they become ``conv_1``, ``conv_2``, ... in order. Names the
    user gave are kept, and generated names skip over them.
    """
    taken = {layer.Name for layer in layers if layer.Name}
    unnamed = Counter(layer.base_name for layer in layers if not layer.Name)
    counters = Counter()
    named = []
    for layer in layers:
        if not layer.Name:
            base = layer.base_name
            name = base
            while name in taken or (name == base and unnamed[base] > 1):
                counters[base] += 1
                name = f"{base}_{counters[base]}"
            taken.add(name)
            layer = layer.copy(Name=name)
        named.append(layer)
    return LayerArray(named)
