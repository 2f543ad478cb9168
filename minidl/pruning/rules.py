"""Everything pruning knows about a layer kind: one row per layer class (Torch-Pruning's PrunerBox).

A row gives the layer's channel *role*, how the channels of its output relate to those
of its inputs:

    produces      new channels, one per filter, that pruning may remove (convolution)
    preserves     output channels follow input channels: channel c, or the contiguous block
                  of outputs made from it (batch norm, activations, pooling, depthwise convolution)
    couples       every input must lose the same channels; their producers form one group (addition)
    concatenates  the inputs' channels one after another (depth concatenation)
    flattens      each channel becomes a contiguous block of columns (h, then w, then c)
    consumes      reads channels that may be cut, makes channels nothing removes (fully connected)
    blocks        fixes the channel count of its inputs, makes channels nothing removes

and the two cuts: ``slice_inputs(values, keep)`` and ``slice_outputs(values, keep)`` take a layer's
learnable and state values ({name: dlarray}) and return them without the input channels / filters
where the boolean ``keep`` is False (minidl.pruning.surgery makes the layer).

A layer class without a row blocks: whatever feeds it keeps all of its channels, so a
custom or new layer kind is never silently mis-grouped (Torch-Pruning issues #50, #146,
#511 are what happens otherwise). Rows are looked up by exact class: a subclass may
compute something else, so it blocks until it has its own row.
"""
from typing import Callable, NamedTuple

import numpy as np

from ..backend import array_module
from ..dlarray import dlarray
from ..layers import (AdditionLayer, AveragePooling2DLayer, BatchNormalizationLayer, Convolution2DLayer,
                      DepthConcatenationLayer, DropoutLayer, FeatureInputLayer, FlattenLayer, FullyConnectedLayer,
                      GlobalAveragePooling2DLayer, GroupedConvolution2DLayer, GroupNormalizationLayer, ImageInputLayer,
                      LeakyReLULayer, MaxPooling2DLayer, ReLULayer, SoftmaxLayer)
from ..ops.shape import index

PRODUCES, PRESERVES, COUPLES, CONCATENATES, FLATTENS, CONSUMES, BLOCKS = (
    "produces", "preserves", "couples", "concatenates", "flattens", "consumes", "blocks")


def _unchanged(values, keep):
    return values


class Rule(NamedTuple):
    """One row: the channel role, and the cuts (values, keep) -> values; a layer with nothing to cut keeps its own."""

    role: str
    slice_inputs: Callable = _unchanged
    slice_outputs: Callable = _unchanged


def _take(value, keep, axis):
    """value with only the kept entries along ``axis`` (a new C-contiguous array, as the constructor of an
    exported layer makes it, so the kernels see the same layout; the original is untouched). Recorded
    inside dlfeval, so the gradient of a pruned layer's learnable reaches the full one (zeros where cut)."""
    key = [slice(None)] * value.ndim
    key[axis] = np.flatnonzero(keep)
    key = tuple(key)
    taken = array_module(value.data).ascontiguousarray(value.data[key])
    return index(value, key, known=dlarray._wrap(taken, value.fmt))


def cut(**axes):
    """A slicing function: each named property loses the entries where keep is False along its axis."""
    def slice_(values, keep):
        return {**values, **{name: _take(values[name], keep, axis) for name, axis in axes.items()}}
    return slice_


def _per_channel(values, keep):
    """Every learnable and state value is one entry per channel (1x1xC, or Cx1 without 'S')."""
    return {name: _take(value, keep, max(k for k, n in enumerate(value.shape) if n == keep.size))
            for name, value in values.items()}


def _columns(values, keep):
    """Weights are OutputSize x InputSize; MATLAB flattens h, then w, then c, so a channel owns a block."""
    columns = np.repeat(keep, values["Weights"].shape[1] // keep.size)
    return {**values, "Weights": _take(values["Weights"], columns, 1)}


BLOCK = Rule(BLOCKS)
PRESERVE = Rule(PRESERVES)
DEPTHWISE = Rule(PRESERVES, slice_inputs=cut(Weights=4, Bias=3))


def _grouped(layer):
    """A depthwise convolution (one input channel per group) preserves; any other grouped one blocks.

    Depthwise: group g reads only input channel g and makes output channels
    g*NumFiltersPerGroup ... (g+1)*NumFiltersPerGroup - 1, so its channels belong to the
    producer of its input and a pruned filter there removes group g whole (MobileNet's
    depthwise -> pointwise blocks prune consistently).

    With NumChannelsPerGroup > 1 it blocks rather than pruning whole groups. MATLAB's
    Weights (FH x FW x Cpg x Fpg x G) make every group the same size, so the input could
    only lose whole groups of Cpg channels aligned to group boundaries, and its own output
    could only lose the same number of filters in every group. The Taylor ranking removes
    single filters by their own scores, which almost never form such blocks; pruning groups
    would need a score per group, another criterion than MATLAB's. Blocking is exact.
    """
    return DEPTHWISE if layer.NumChannelsPerGroup == 1 else BLOCK


RULES = {
    Convolution2DLayer: Rule(PRODUCES, slice_inputs=cut(Weights=2), slice_outputs=cut(Weights=3, Bias=2)),
    GroupedConvolution2DLayer: _grouped,
    BatchNormalizationLayer: Rule(PRESERVES, slice_inputs=_per_channel),
    ReLULayer: PRESERVE,
    LeakyReLULayer: PRESERVE,
    MaxPooling2DLayer: PRESERVE,
    AveragePooling2DLayer: PRESERVE,
    GlobalAveragePooling2DLayer: PRESERVE,
    DropoutLayer: PRESERVE,
    AdditionLayer: Rule(COUPLES),
    DepthConcatenationLayer: Rule(CONCATENATES),
    FlattenLayer: Rule(FLATTENS),
    FullyConnectedLayer: Rule(CONSUMES, slice_inputs=_columns),
    # Its groups fix the channel count: removing one channel would change every group.
    GroupNormalizationLayer: BLOCK,
    SoftmaxLayer: BLOCK,
    ImageInputLayer: BLOCK,
    FeatureInputLayer: BLOCK,
}


def rule_for(layer):
    """The row of ``layer``'s class (a row may be a function of the layer choosing its rule); BLOCK if none."""
    row = RULES.get(type(layer), BLOCK)
    return row if isinstance(row, Rule) else row(layer)
