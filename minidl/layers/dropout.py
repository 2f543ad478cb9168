"""dropoutLayer: identity in predict; in forward, zero each value with probability p and scale the rest."""
import numpy as np

from ..backend import array_module
from ..ops._util import constant
from ..random import generator
from .. import validate
from .base import Layer


class DropoutLayer(Layer):
    """dropoutLayer(probability=0.5, Name="")

    forward keeps each value with probability 1 - p, scaled by 1/(1 - p) so the expected
    output equals the input; the mask comes from minidl's generator (seed it with minidl.rng).
    """

    Type = "Dropout"
    class_name = "DropoutLayer"
    base_name = "dropout"
    hyperparameters = ("Probability",)

    def __init__(self, probability=0.5, *, Name=""):
        super().__init__(Name=Name)
        self.Probability = validate.real(probability, "probability", 0, 1, high_open=True)

    def predict(self, X):
        return X

    def forward(self, X):
        if self.Probability == 0:
            return X, {}
        keep = generator().random(X.shape) >= self.Probability
        scaled = keep.astype(X.dtype) / np.asarray(1 - self.Probability, dtype=X.dtype)
        return X * constant(array_module(X.data).asarray(scaled), X.fmt), {}

    def description(self):
        return f"{100 * self.Probability:g}% dropout"


dropoutLayer = DropoutLayer
