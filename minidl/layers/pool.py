"""Pooling layers: maxPooling2dLayer, averagePooling2dLayer, globalAveragePooling2dLayer."""
from ..ops.pool import avgpool, maxpool
from .. import validate
from . import _args
from ._inputs import image_sizes
from .base import Layer
from .display import size_text, strided_description


class _Pooling2DLayer(Layer):
    """poolSize with MATLAB's defaults Stride [1 1] (not the pool size) and Padding [0 0 0 0]."""

    hyperparameters = ("PoolSize", "Stride", "PaddingMode", "PaddingSize")
    pooling = ""  # the description's word for the operation

    constructor_sources = {"Padding": _args.padding_of}

    def __init__(self, poolSize, *, Stride=1, Padding=0, Name=""):
        self.PoolSize = validate.int_vector(poolSize, "poolSize", 2)
        self.Stride = validate.int_vector(Stride, "Stride", 2)
        self.PaddingMode, self.PaddingSize = validate.padding(Padding)
        self.Name = validate.string(Name, "Name")

    def initialize(self, X, *, generator=None):
        image_sizes(self, X)
        return self

    def _options(self):
        return {"Stride": self.Stride, "Padding": _args.op_padding(self.PaddingMode, self.PaddingSize)}

    def description(self):
        return strided_description(f"{size_text(self.PoolSize)} {self.pooling} pooling", self)


class MaxPooling2DLayer(_Pooling2DLayer):
    """maxPooling2dLayer(poolSize, Stride=1, Padding=0, Name="")"""

    Type = "2-D Max Pooling"
    class_name = "MaxPooling2DLayer"
    base_name = "maxpool"
    pooling = "max"

    def predict(self, X):
        return maxpool(X, self.PoolSize, **self._options())


class AveragePooling2DLayer(_Pooling2DLayer):
    """averagePooling2dLayer(poolSize, Stride=1, Padding=0, PaddingValue=0, Name="")

    PaddingValue 0 averages over whole windows, padding included; "mean" over image pixels only.
    """

    Type = "2-D Average Pooling"
    class_name = "AveragePooling2DLayer"
    base_name = "avgpool"
    hyperparameters = _Pooling2DLayer.hyperparameters + ("PaddingValue",)
    pooling = "average"

    def __init__(self, poolSize, *, Stride=1, Padding=0, PaddingValue=0, Name=""):
        super().__init__(poolSize, Stride=Stride, Padding=Padding, Name=Name)
        if PaddingValue != "mean" and not (validate.is_real(PaddingValue) and PaddingValue == 0):
            raise ValueError(f"PaddingValue must be 0 or 'mean'; got {PaddingValue!r}")
        self.PaddingValue = PaddingValue

    def predict(self, X):
        return avgpool(X, self.PoolSize, PaddingValue=self.PaddingValue, **self._options())


class GlobalAveragePooling2DLayer(Layer):
    """globalAveragePooling2dLayer(Name=""): the mean over height and width; output 1 x 1 x C x N."""

    Type = "2-D Global Average Pooling"
    class_name = "GlobalAveragePooling2DLayer"
    base_name = "gapool"

    def __init__(self, *, Name=""):
        self.Name = validate.string(Name, "Name")

    def initialize(self, X, *, generator=None):
        image_sizes(self, X)
        return self

    def predict(self, X):
        return avgpool(X, "global")

    def description(self):
        return "2-D global average pooling"


maxPooling2dLayer = MaxPooling2DLayer
averagePooling2dLayer = AveragePooling2DLayer
globalAveragePooling2dLayer = GlobalAveragePooling2DLayer
