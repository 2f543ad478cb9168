"""layer.copy(...) is checked exactly as the constructor checks its arguments."""
import numpy as np
import pytest

from minidl import dlnetwork
from minidl.layers import (averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer, dropoutLayer,
                           featureInputLayer, flattenLayer, fullyConnectedLayer, groupNormalizationLayer,
                           imageInputLayer, leakyReluLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from helpers.device import host


def _layers():
    return [imageInputLayer([8, 8, 2], Name="in", Normalization="zscore", Mean=np.zeros((1, 1, 2)),
                            StandardDeviation=np.ones((1, 1, 2))),
            convolution2dLayer(3, 4, Padding="same", Name="conv"), batchNormalizationLayer(Name="bn"),
            reluLayer(Name="relu"), leakyReluLayer(0.2, Name="leaky"), groupNormalizationLayer(2, Name="gn"),
            maxPooling2dLayer(2, Stride=2, Name="max"),
            averagePooling2dLayer(2, Padding=[1, 0], PaddingValue="mean", Name="avg"),
            dropoutLayer(0.3, Name="drop"), flattenLayer(Name="flat"), fullyConnectedLayer(3, Name="fc"),
            softmaxLayer(Name="softmax")]


def _same(a, b):
    assert vars(a).keys() == vars(b).keys()
    for name, x in vars(a).items():
        y = vars(b)[name]
        x, y = host(getattr(x, "data", x)), host(getattr(y, "data", y))
        assert type(x) is type(y) and np.array_equal(np.asarray(x), np.asarray(y)), (a.Name, name)


@pytest.mark.parametrize("initialised", [False, True])
def test_rebuilding_by_the_constructor_keeps_every_property(initialised):
    layers = dlnetwork(_layers()).Layers if initialised else _layers()
    for layer in list(layers) + [featureInputLayer(5, Name="features")]:
        _same(layer, layer.checked())
        _same(layer, layer.copy(Name=layer.Name))


@pytest.mark.parametrize("make, changes, message", [
    (lambda: convolution2dLayer(3, 4), {"Stride": 0}, "Stride must be a positive integer"),
    (lambda: convolution2dLayer(3, 4), {"DilationFactor": [1, 2, 3]}, "DilationFactor"),
    (lambda: maxPooling2dLayer(2), {"Stride": -1}, "Stride"),
    (lambda: dropoutLayer(), {"Probability": 1.5}, "probability must be in"),
    (lambda: leakyReluLayer(), {"Scale": "x"}, "scale must be a real number"),
    (lambda: batchNormalizationLayer(), {"Epsilon": 0}, "Epsilon must be in"),
    (lambda: fullyConnectedLayer(3), {"Name": 5}, "Name must be a string"),
])
def test_copy_refuses_what_the_constructor_refuses(make, changes, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make().copy(**changes)


def test_copy_of_weights_is_checked_against_the_hyperparameters():
    net = dlnetwork([imageInputLayer([6, 6, 2], Normalization="none", Name="in"),
                     convolution2dLayer(3, 4, Name="conv"), flattenLayer(Name="flat"),
                     fullyConnectedLayer(3, Name="fc")])
    conv, fc = net.Layers[1], net.Layers[3]
    with pytest.raises(ValueError, match="Layer 'conv': Weights must be of size 3x3x1x4; got 3x3x1x1"):
        conv.copy(Weights=np.ones((3, 3)))  # MATLAB reads a 2-D filter bank as 3x3x1x1
    with pytest.raises(ValueError, match="Layer 'fc': Bias must be of size 3x1; got 2x1"):
        fc.copy(Bias=np.ones(2))
    smaller = conv.copy(Weights=conv.Weights[:, :, :, :2], Bias=conv.Bias[:, :, :2])  # as pruning does
    assert smaller.NumFilters == 2 and smaller.description().startswith("2 3x3x2 convolutions")
    assert conv.copy(Stride=2).Stride == (2, 2)  # normalised as the constructor does
