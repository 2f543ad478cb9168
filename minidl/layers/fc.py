"""fullyConnectedLayer: Weights * flatten(X) + Bias through minidl.ops.fullyconnect."""
from ..ops.fc import fullyconnect
from .. import validate
from . import _args
from ._inputs import feature_size
from .base import Layer
from .initializers import BIAS, WEIGHTS, check_size, initial_value, initializer, parameter


class FullyConnectedLayer(Layer):
    """fullyConnectedLayer(outputSize, WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None,
    Bias=None, Name="")

    Weights are OutputSize x InputSize, Bias OutputSize x 1. InputSize is the product of
    the input's 'S' and 'C' sizes (h fastest, then w, then c, as MATLAB flattens);
    it follows from Weights once it is set.
    """

    Type = "Fully Connected"
    class_name = "FullyConnectedLayer"
    base_name = "fc"
    learnable_names = ("Weights", "Bias")
    hyperparameters = ("InputSize", "OutputSize")
    constructor_sources = {"outputSize": lambda l: _args.size_or(l.Weights, 2, 0, l._output_size)}

    def __init__(self, outputSize, *, WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None,
                 Name=""):
        super().__init__(Name=Name)
        self._output_size = validate.positive_int(outputSize, "outputSize")
        self.WeightsInitializer = initializer(WeightsInitializer, WEIGHTS, "WeightsInitializer")
        self.BiasInitializer = initializer(BiasInitializer, BIAS, "BiasInitializer")
        self.Weights = parameter(Weights, "Weights", 2)
        self.Bias = parameter(Bias, "Bias", 2)
        if self.Weights is not None:
            check_size(self.Weights, (self._output_size, self.Weights.shape[1]), "Weights", self)
        check_size(self.Bias, (self._output_size, 1), "Bias", self)

    @property
    def OutputSize(self):
        return self.Weights.shape[0] if self.Weights is not None else self._output_size

    @property
    def InputSize(self):
        return self.Weights.shape[1] if self.Weights is not None else "auto"

    def initialize(self, X, *, generator=None):
        inputs, outputs = feature_size(self, X), self.OutputSize
        if self.InputSize not in ("auto", inputs):
            raise ValueError(f"Layer {self.Name!r}: Weights has InputSize {self.InputSize} but the input has "
                             f"{inputs} values per observation")
        weights = self.Weights
        if weights is None:
            weights = initial_value(self.WeightsInitializer, (outputs, inputs), inputs, outputs, X, generator,
                                    "WeightsInitializer")
        bias = self.Bias
        if bias is None:
            bias = initial_value(self.BiasInitializer, (outputs, 1), inputs, outputs, X, generator, "BiasInitializer")
        check_size(bias, (outputs, 1), "Bias", self)
        return self.copy(Weights=weights, Bias=bias)

    def predict(self, X):
        return fullyconnect(X, self.Weights, self.Bias)

    def description(self):
        return f"{self.OutputSize} fully connected layer"


fullyConnectedLayer = FullyConnectedLayer
