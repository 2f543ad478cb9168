"""MATLAB's text displays: the layer-array table, a single layer's properties, and the
"X with properties:" block and cell arrays of names that networks show.

``x`` separates sizes (older MATLAB releases and the seed text); numeric vectors in
descriptions have two spaces between elements, as MATLAB prints them.
"""
import numpy as np

from ..dlarray import dlarray


def vector(values):
    """'[1  1]': a numeric vector as MATLAB's layer descriptions print it."""
    return "[" + "  ".join(str(v) for v in values) + "]"


def size_text(values):
    """'5x5x1': sizes joined by the dimension separator."""
    return "x".join(str(v) for v in values)


def cellstr(names):
    """A cell array of names as MATLAB displays it: {'a'  'b'}."""
    return "{" + "  ".join(f"'{n}'" for n in names) + "}"


def property_block(title, lines):
    """MATLAB's 'X with properties:' display of (name, text) lines, names right-aligned on the colon."""
    width = max(len(name) for name, _ in lines)
    body = "\n".join(f"    {name.rjust(width)}: {value}" for name, value in lines)
    return f"  {title} with properties:\n\n{body}\n"


def layer_array_display(layers):
    """The display of a Layer array: header, blank line, one row per layer."""
    count = len(layers)
    classes = {layer.class_name for layer in layers}
    kind = classes.pop() if len(classes) == 1 else "Layer"
    if not count:
        return f"  0x1 {kind} array with no layers."
    names = [f"'{layer.Name}'" for layer in layers]
    types = [layer.Type for layer in layers]
    index_width = max(4, len(str(count)))
    name_width = max(map(len, names))
    type_width = max(map(len, types))
    rows = [f"  {k:>{index_width}}   {n:<{name_width}}   {t:<{type_width}}   {layer.description()}".rstrip()
            for k, (layer, n, t) in enumerate(zip(layers, names, types), start=1)]
    return "\n".join([f"  {count}x1 {kind} array with layers:", ""] + rows)


def _value_text(value):
    if value is None:
        return "[]"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dlarray) or hasattr(value, "shape"):
        data = value.data if isinstance(value, dlarray) else value
        if data.size == 1:
            return f"{float(data.reshape(())):g}"
        kind = {"float32": "single", "float64": "double"}.get(str(data.dtype), str(data.dtype))
        return f"[{size_text(data.shape if data.ndim > 1 else (data.shape[0], 1))} {kind}]"
    if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
        return cellstr(value)
    if isinstance(value, tuple):
        return "[" + " ".join(str(v) for v in value) + "]"
    if callable(value):
        return f"@{getattr(value, '__name__', 'function')}"
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def property_display(layer):
    """'  Convolution2DLayer with properties:' followed by MATLAB's property groups."""
    groups = [("", ("Name",)), ("Hyperparameters", layer.hyperparameters),
              ("Learnable Parameters", layer.learnable_names), ("State Parameters", layer.state_names)]
    groups = [(title, names) for title, names in groups if names]
    width = max(len(n) for _, names in groups for n in names) + 4
    lines = [f"  {layer.class_name} with properties:"]
    for title, names in groups:
        lines.append("")
        if title:
            lines.append(f"   {title}")
        lines.extend(f"{n:>{width}}: {_value_text(getattr(layer, n))}" for n in names)
    return "\n".join(lines)


def strided_description(prefix, layer):
    """'<prefix> with stride [1  1] and padding [0  0  0  0]' (or padding 'same'), for convolution and pooling;
    a convolution with a DilationFactor other than [1  1] shows it: 'stride [1  1], dilation factor [2  2], and'."""
    padding = "'same'" if layer.PaddingMode == "same" else vector(layer.PaddingSize)
    dilation = getattr(layer, "DilationFactor", (1, 1))
    dilated = f", dilation factor {vector(dilation)}," if tuple(dilation) != (1, 1) else ""
    return f"{prefix} with stride {vector(layer.Stride)}{dilated} and padding {padding}"
