"""LayerArray: a list of layers that displays as MATLAB's Layer array."""
import numpy as np

from .display import layer_array_display


class LayerArray(list):
    """A list of layers. ``layers[[1, 4, 7]]`` (0-based ints) and slices give a LayerArray,
    ``layers[k]`` one layer; ``repr`` is MATLAB's "12x1 Layer array with layers:" table."""

    def __getitem__(self, key):
        if isinstance(key, slice):
            return LayerArray(super().__getitem__(key))
        if isinstance(key, (list, tuple, np.ndarray)):
            keys = list(key)
            if keys and all(isinstance(k, (bool, np.bool_)) for k in keys):
                if len(keys) != len(self):
                    raise IndexError(f"a logical index must have {len(self)} elements; got {len(keys)}")
                keys = [i for i, k in enumerate(keys) if k]
            return LayerArray(super(LayerArray, self).__getitem__(int(k)) for k in keys)
        return super().__getitem__(key)

    def __add__(self, other):
        return LayerArray(list(self) + list(other))

    def __repr__(self):
        return layer_array_display(self)

    __str__ = __repr__
