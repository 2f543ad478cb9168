"""flattenLayer: the spatial and channel dimensions of each observation into one 'C' dimension."""
import math

from ..formats import find_dims
from ..ops.shape import relabel, reshape
from ._inputs import channel_count
from .base import Layer


class FlattenLayer(Layer):
    """flattenLayer(Name=""): H x W x C x N ("SSCB") to (H*W*C) x N ("CB"); B and T stay.

    The order is MATLAB's column-major one (h fastest, then w, then c), the order a
    fully connected layer flattens in, so flatten + FC computes what FC alone does.
    """

    Type = "Flatten"
    class_name = "FlattenLayer"
    base_name = "flatten"

    def predict(self, X):
        channel_count(self, X)
        if "U" in X.fmt:
            raise ValueError(f"Layer {self.Name!r}: flatten takes 'S', 'C', 'B' and 'T' dimensions; "
                             f"got format {X.fmt!r}")
        channel = find_dims(X.fmt, "C")[0]
        kept = X.shape[channel + 1:]
        flat = reshape(relabel(X, ""), (math.prod(X.shape[:channel + 1]),) + kept)
        return relabel(flat, "C" + X.fmt[channel + 1:])

    def description(self):
        return "Flatten"


flattenLayer = FlattenLayer
