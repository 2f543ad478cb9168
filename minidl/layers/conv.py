"""convolution2dLayer: 2-D convolution through minidl.ops.dlconv."""
from ..ops.conv import dlconv
from . import _args
from ._inputs import image_sizes
from .base import Layer
from .display import size_text, strided_description
from .initializers import BIAS, WEIGHTS, check_size, initial_value, initializer, parameter


class Convolution2DLayer(Layer):
    """convolution2dLayer(filterSize, numFilters, Stride=1, Padding=0, DilationFactor=1, NumChannels="auto",
    WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name="")

    Weights are FH x FW x NumChannels x NumFilters, Bias 1 x 1 x NumFilters. Padding is
    "same", p, [a b] (top/bottom a, left/right b) or [t b l r]. NumFilters and
    NumChannels follow from Weights once it is set.
    """

    Type = "2-D Convolution"
    class_name = "Convolution2DLayer"
    base_name = "conv"
    learnable_names = ("Weights", "Bias")
    hyperparameters = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor",
                       "PaddingMode", "PaddingSize", "PaddingValue")
    PaddingValue = 0
    # Filter and channel counts follow a new Weights (as after pruning) when it has MATLAB's 4 dimensions;
    # otherwise the constructor compares it with the counts the layer had.
    constructor_sources = {"Padding": _args.padding_of,
                           "numFilters": lambda l: _args.size_or(l.Weights, 4, 3, l._num_filters),
                           "NumChannels": lambda l: "auto" if l.Weights is not None else l._num_channels}

    def __init__(self, filterSize, numFilters, *, Stride=1, Padding=0, DilationFactor=1, NumChannels="auto",
                 WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name=""):
        self.FilterSize = _args.int_vector(filterSize, "filterSize", 2)
        self._num_filters = _args.positive_int(numFilters, "numFilters")
        self.Stride = _args.int_vector(Stride, "Stride", 2)
        self.PaddingMode, self.PaddingSize = _args.padding(Padding)
        self.DilationFactor = _args.int_vector(DilationFactor, "DilationFactor", 2)
        self._num_channels = NumChannels if NumChannels == "auto" else _args.positive_int(NumChannels, "NumChannels")
        self.WeightsInitializer = initializer(WeightsInitializer, WEIGHTS, "WeightsInitializer")
        self.BiasInitializer = initializer(BiasInitializer, BIAS, "BiasInitializer")
        self.Name = _args.name(Name)
        self.Weights = parameter(Weights, "Weights", 4)
        self.Bias = parameter(Bias, "Bias", 3)
        if self.Weights is not None:
            channels = self.Weights.shape[2] if NumChannels == "auto" else self._num_channels
            check_size(self.Weights, self.FilterSize + (channels, self._num_filters), "Weights", self)
        check_size(self.Bias, (1, 1, self._num_filters), "Bias", self)

    @property
    def NumFilters(self):
        return self.Weights.shape[3] if self.Weights is not None else self._num_filters

    @property
    def NumChannels(self):
        return self.Weights.shape[2] if self.Weights is not None else self._num_channels

    def initialize(self, X, *, generator=None):
        _, _, channels = image_sizes(self, X)
        if self.NumChannels not in ("auto", channels):
            raise ValueError(f"Layer {self.Name!r}: NumChannels is {self.NumChannels} but the input has "
                             f"{channels} channels")
        fh, fw = self.FilterSize
        filters = self.NumFilters
        weights = self.Weights
        if weights is None:
            weights = initial_value(self.WeightsInitializer, (fh, fw, channels, filters), fh * fw * channels,
                                    fh * fw * filters, X, generator, "WeightsInitializer")
        bias = self.Bias
        if bias is None:
            bias = initial_value(self.BiasInitializer, (1, 1, filters), fh * fw * channels, fh * fw * filters,
                                 X, generator, "BiasInitializer")
        check_size(bias, (1, 1, filters), "Bias", self)
        return self.copy(Weights=weights, Bias=bias)

    def predict(self, X):
        return dlconv(X, self.Weights, self.Bias, Stride=self.Stride,
                      Padding=_args.op_padding(self.PaddingMode, self.PaddingSize),
                      DilationFactor=self.DilationFactor)

    def description(self):
        sizes = self.FilterSize + ((self.NumChannels,) if self.NumChannels != "auto" else ())
        return strided_description(f"{self.NumFilters} {size_text(sizes)} convolutions", self)


convolution2dLayer = Convolution2DLayer
