"""Activation layers: reluLayer and leakyReluLayer."""
from ..ops.activation import leakyrelu, relu
from .. import validate
from .base import Layer


class ReLULayer(Layer):
    """reluLayer(Name=""): max(X, 0)."""

    Type = "ReLU"
    class_name = "ReLULayer"
    base_name = "relu"

    def predict(self, X):
        return relu(X)

    def description(self):
        return "ReLU"


class LeakyReLULayer(Layer):
    """leakyReluLayer(scale=0.01, Name=""): X where X > 0, Scale*X elsewhere."""

    Type = "Leaky ReLU"
    class_name = "LeakyReLULayer"
    base_name = "leakyrelu"
    hyperparameters = ("Scale",)

    def __init__(self, scale=0.01, *, Name=""):
        super().__init__(Name=Name)
        self.Scale = validate.real(scale, "scale")

    def predict(self, X):
        return leakyrelu(X, self.Scale)

    def description(self):
        return f"Leaky ReLU with scale {self.Scale:g}"


reluLayer = ReLULayer
leakyReluLayer = LeakyReLULayer
