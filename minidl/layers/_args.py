"""How a layer's stored properties give back the arguments its constructor and its op take.

The checks of the constructor arguments themselves are ``minidl.validate``'s.
"""


def size_or(value, ndim, axis, fallback):
    """Size of ``value`` along ``axis`` when it is an array with ``ndim`` dimensions, else ``fallback``."""
    return value.shape[axis] if getattr(value, "ndim", None) == ndim else fallback


def padding_of(layer):
    """A layer's Padding argument from its PaddingMode and PaddingSize (what copy gives the constructor)."""
    return op_padding(layer.PaddingMode, layer.PaddingSize)


def op_padding(mode, size):
    """The Padding argument of dlconv/maxpool/avgpool for a layer's PaddingMode and PaddingSize."""
    return "same" if mode == "same" else size
