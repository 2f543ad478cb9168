"""convolution2dLayer: 2-D convolution through minidl.ops.dlconv, and what the convolution layers share."""
from ..ops.conv import dlconv, dlconv_batchnorm
from .. import validate
from . import _args
from ._inputs import image_sizes
from .base import Layer
from .display import size_text, strided_description
from .initializers import BIAS, WEIGHTS, check_size, initial_value, initializer, parameter
from .norm import BatchNormalizationLayer, WithReLU


class Convolution(Layer):
    """Base of the 2-D convolution layers: filter window, initialisers, Weights and Bias, dlconv."""

    learnable_names = ("Weights", "Bias")
    PaddingValue = 0
    constructor_sources = {"Padding": _args.padding_of}

    def _set_window(self, filterSize, Stride, Padding, DilationFactor, WeightsInitializer, BiasInitializer):
        self.FilterSize = validate.int_vector(filterSize, "filterSize", 2)
        self.Stride = validate.int_vector(Stride, "Stride", 2)
        self.PaddingMode, self.PaddingSize = validate.padding(Padding)
        self.DilationFactor = validate.int_vector(DilationFactor, "DilationFactor", 2)
        self.WeightsInitializer = initializer(WeightsInitializer, WEIGHTS, "WeightsInitializer")
        self.BiasInitializer = initializer(BiasInitializer, BIAS, "BiasInitializer")

    def _initialized(self, weights_shape, bias_shape, fan_in, fan_out, X, generator):
        """A copy with unset Weights/Bias drawn from the initialisers (MATLAB's numIn, numOut: fan_in, fan_out)."""
        weights = self.Weights
        if weights is None:
            weights = initial_value(self.WeightsInitializer, weights_shape, fan_in, fan_out, X, generator,
                                    "WeightsInitializer")
        bias = self.Bias
        if bias is None:
            bias = initial_value(self.BiasInitializer, bias_shape, fan_in, fan_out, X, generator, "BiasInitializer")
        check_size(bias, bias_shape, "Bias", self)
        return self.copy(Weights=weights, Bias=bias)

    def _window(self):
        return {"Stride": self.Stride, "Padding": _args.op_padding(self.PaddingMode, self.PaddingSize),
                "DilationFactor": self.DilationFactor}

    def predict(self, X):
        return dlconv(X, self.Weights, self.Bias, **self._window())

    def fused(self, following, training):
        """In predict, followed by a batch normalization layer (fused with its ReLU or not) that alone reads
        its output: the normalisation runs on the convolution's output chunk by chunk (ops.conv.dlconv_batchnorm)."""
        if training or type(self).predict is not Convolution.predict:  # a subclass may compute something else
            return None
        if type(following) is BatchNormalizationLayer:
            return _ConvolutionThenNormalization(self, following, False)
        if type(following) is WithReLU:  # made only for an exact BatchNormalizationLayer
            return _ConvolutionThenNormalization(self, following.layer, True)
        return None


class _ConvolutionThenNormalization:
    """A convolution layer and the batch normalization (and ReLU) after it, in predict (see Layer.fused)."""

    def __init__(self, conv, norm, relu):
        self.conv, self.norm, self.relu = conv, norm, relu
        self.Name, self.Type, self.class_name = conv.Name, conv.Type, conv.class_name

    def predict(self, X):
        n = self.norm
        return dlconv_batchnorm(X, self.conv.Weights, self.conv.Bias, n.Offset, n.Scale, n.TrainedMean,
                                n.TrainedVariance, Epsilon=n.Epsilon, relu=self.relu, **self.conv._window())


class Convolution2DLayer(Convolution):
    """convolution2dLayer(filterSize, numFilters, Stride=1, Padding=0, DilationFactor=1, NumChannels="auto",
    WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name="")

    Weights are FH x FW x NumChannels x NumFilters, Bias 1 x 1 x NumFilters. Padding is
    "same", p, [a b] (top/bottom a, left/right b) or [t b l r]. NumFilters and
    NumChannels follow from Weights once it is set.
    """

    Type = "2-D Convolution"
    class_name = "Convolution2DLayer"
    base_name = "conv"
    hyperparameters = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor",
                       "PaddingMode", "PaddingSize", "PaddingValue")
    # Filter and channel counts follow a new Weights (as after pruning) when it has MATLAB's 4 dimensions;
    # otherwise the constructor compares it with the counts the layer had.
    constructor_sources = {"Padding": _args.padding_of,
                           "numFilters": lambda l: _args.size_or(l.Weights, 4, 3, l._num_filters),
                           "NumChannels": lambda l: "auto" if l.Weights is not None else l._num_channels}

    def __init__(self, filterSize, numFilters, *, Stride=1, Padding=0, DilationFactor=1, NumChannels="auto",
                 WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name=""):
        self._set_window(filterSize, Stride, Padding, DilationFactor, WeightsInitializer, BiasInitializer)
        self._num_filters = validate.positive_int(numFilters, "numFilters")
        self._num_channels = NumChannels if NumChannels == "auto" else validate.positive_int(NumChannels, "NumChannels")
        self.Name = validate.string(Name, "Name")
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
        return self._initialized((fh, fw, channels, filters), (1, 1, filters), fh * fw * channels, fh * fw * filters,
                                 X, generator)

    def description(self):
        sizes = self.FilterSize + ((self.NumChannels,) if self.NumChannels != "auto" else ())
        return strided_description(f"{self.NumFilters} {size_text(sizes)} convolutions", self)


convolution2dLayer = Convolution2DLayer
