"""Masked evaluation (forward/predict with ``Outputs=``, which may ask for any inner value at full size):
pruned channels are zeroed where a convolution or fully connected layer reads them. Without ``Outputs=``
the network runs without the pruned filters (minidl.pruning.surgery.cut_layers).

Zeroing at the consumer's input is what removing those input channels (or weight
columns) does, so the masked network computes what the physically pruned one computes
(up to float32 rounding). Masking the convolution's own output would not be enough: a
following batch normalisation turns a zero channel into its Offset, which would leak on.
"""
from ..backend import array_module
from ..ops._util import constant
from .groups import channel_keep


def consumer_masks(analysis, masks):
    """{consumer layer: keep-vector of its input channels} for consumers that lose any channel."""
    out = {}
    for name, maps in analysis.input_maps.items():
        if maps and name in analysis.consumers:
            keep = channel_keep(maps[0], masks)
            if not keep.all():
                out[name] = keep
    return out


def masking_hook(consumer_keep, prunable_layers, activations=None):
    """The hook for minidl.network.run: mask consumer inputs, and collect pruning activations in ``activations``."""
    prunable = set(prunable_layers)

    def hook(layer, args, call):
        keep = consumer_keep.get(layer.Name)
        if keep is not None:
            x = args[0]
            shape = [1] * x.ndim
            shape[x.fmt.index("C")] = keep.size
            mask = array_module(x.data).asarray(keep.reshape(shape).astype(x.dtype))
            args = (x * constant(mask, x.fmt),) + tuple(args[1:])
        outs = call(layer, args)
        if activations is not None and layer.Name in prunable:
            activations[layer.Name] = outs[0]
        return outs

    hook.touches = frozenset(consumer_keep) | prunable  # other layers pass through (minidl.network.run)
    return hook
