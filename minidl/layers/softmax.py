"""softmaxLayer: softmax over the channel dimension."""
from ..ops.activation import softmax
from .base import Layer


class SoftmaxLayer(Layer):
    """softmaxLayer(Name="")"""

    Type = "Softmax"
    class_name = "SoftmaxLayer"
    base_name = "softmax"

    def predict(self, X):
        return softmax(X)

    def description(self):
        return "softmax"


softmaxLayer = SoftmaxLayer
