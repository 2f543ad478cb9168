"""Bad constructor arguments: unknown names give TypeError, bad values ValueError, both naming the argument."""
import numpy as np
import pytest

from minidl import dlarray
from minidl.layers import (additionLayer, averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer,
                           dropoutLayer, featureInputLayer, fullyConnectedLayer, groupNormalizationLayer,
                           imageInputLayer, leakyReluLayer, maxPooling2dLayer, reluLayer)


@pytest.mark.parametrize("make", [
    lambda: convolution2dLayer(3, 8, Strides=2),
    lambda: imageInputLayer([28, 28], Normalisation="none"),
    lambda: batchNormalizationLayer(Momentum=0.9),
    lambda: reluLayer(Nam="r"),
    lambda: maxPooling2dLayer(2, Stide=2),
    lambda: fullyConnectedLayer(10, WeightInitializer="he"),
])
def test_unknown_keyword_is_a_type_error_naming_it(make):
    with pytest.raises(TypeError, match=r"unexpected keyword argument '(Strides|Normalisation|Momentum|Nam|Stide|"
                                        r"WeightInitializer)'"):
        make()


@pytest.mark.parametrize("make, argname", [
    (lambda: imageInputLayer([28, 28, 1], Normalization="bogus"), "Normalization"),
    (lambda: imageInputLayer([28, 28, 1, 1]), "inputSize"),
    (lambda: imageInputLayer([28, 0]), "inputSize"),
    (lambda: imageInputLayer([2, 2, 3], Mean=np.zeros((1, 1, 2))), "Mean"),
    (lambda: imageInputLayer([2, 2, 3], Mean=np.zeros((2, 2))), "Mean"),  # HxW fits one channel only
    (lambda: featureInputLayer(0), "numFeatures"),
    (lambda: featureInputLayer(3, StandardDeviation=np.ones(4)), "StandardDeviation"),
    (lambda: convolution2dLayer(3, 0), "numFilters"),
    (lambda: convolution2dLayer([3, 3, 3], 8), "filterSize"),
    (lambda: convolution2dLayer(3, 8, Stride=[1, 2, 3]), "Stride"),
    (lambda: convolution2dLayer(3, 8, Stride=0), "Stride"),
    (lambda: convolution2dLayer(3, 8, Padding="valid"), "Padding"),
    (lambda: convolution2dLayer(3, 8, Padding=[1, 1, 1]), "Padding"),
    (lambda: convolution2dLayer(3, 8, Padding=-1), "Padding"),
    (lambda: convolution2dLayer(3, 8, DilationFactor=1.5), "DilationFactor"),
    (lambda: convolution2dLayer(3, 8, NumChannels=0), "NumChannels"),
    (lambda: convolution2dLayer(3, 8, WeightsInitializer="uniform"), "WeightsInitializer"),
    (lambda: convolution2dLayer(3, 8, BiasInitializer="glorot"), "BiasInitializer"),
    (lambda: convolution2dLayer(3, 8, Weights=np.zeros((3, 3, 1, 7))), "Weights"),
    (lambda: convolution2dLayer(3, 8, Bias=np.zeros(8)), "Bias"),
    (lambda: batchNormalizationLayer(Epsilon=1e-6), "Epsilon"),
    (lambda: batchNormalizationLayer(MeanDecay=1.5), "MeanDecay"),
    (lambda: batchNormalizationLayer(Offset=np.zeros(3), Scale=np.ones(4)), "Offset"),
    (lambda: batchNormalizationLayer(ScaleInitializer="he"), "ScaleInitializer"),
    (lambda: groupNormalizationLayer("some"), "numGroups"),
    (lambda: groupNormalizationLayer(0), "numGroups"),
    (lambda: leakyReluLayer(np.inf), "scale"),
    (lambda: fullyConnectedLayer(0), "outputSize"),
    (lambda: fullyConnectedLayer(10, Bias=np.zeros((1, 10))), "Bias"),
    (lambda: maxPooling2dLayer(0), "poolSize"),
    (lambda: averagePooling2dLayer(2, PaddingValue=1), "PaddingValue"),
    (lambda: dropoutLayer(1.0), "probability"),
    (lambda: dropoutLayer(-0.1), "probability"),
    (lambda: additionLayer(1), "numInputs"),
])
def test_bad_value_is_a_value_error_naming_the_argument(make, argname):
    with pytest.raises(ValueError, match=argname):
        make()


def test_wrong_kinds_are_type_errors():
    with pytest.raises(TypeError, match="Name"):
        reluLayer(Name=3)
    with pytest.raises(TypeError, match="Mean"):
        imageInputLayer([2, 2], Mean="zero")


def test_layers_refuse_inputs_of_the_wrong_layout():
    features = dlarray(np.zeros((4, 2), np.float32), "CB")
    with pytest.raises(ValueError, match="conv.*'S'"):
        convolution2dLayer(3, 8, Name="conv").initialize(features)
    with pytest.raises(ValueError, match="formatted"):
        batchNormalizationLayer().initialize(dlarray(np.zeros((4, 2), np.float32)))
    with pytest.raises(ValueError, match="InputSize 6"):
        fullyConnectedLayer(2, Weights=np.zeros((2, 6))).initialize(features)
