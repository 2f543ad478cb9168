"""MATLAB's layers: constructor functions with MATLAB's names, LayerArray display, automatic names."""
from .activation import LeakyReLULayer, ReLULayer, leakyReluLayer, reluLayer
from .array import LayerArray
from .base import Layer
from .combine import AdditionLayer, DepthConcatenationLayer, additionLayer, depthConcatenationLayer
from .conv import Convolution2DLayer, convolution2dLayer
from .dropout import DropoutLayer, dropoutLayer
from .fc import FullyConnectedLayer, fullyConnectedLayer
from .grouped_conv import GroupedConvolution2DLayer, groupedConvolution2dLayer
from .flatten import FlattenLayer, flattenLayer
from .input import FeatureInputLayer, ImageInputLayer, featureInputLayer, imageInputLayer
from .naming import fill_names
from .norm import BatchNormalizationLayer, GroupNormalizationLayer, batchNormalizationLayer, groupNormalizationLayer
from .pool import (AveragePooling2DLayer, GlobalAveragePooling2DLayer, MaxPooling2DLayer, averagePooling2dLayer,
                   globalAveragePooling2dLayer, maxPooling2dLayer)
from .softmax import SoftmaxLayer, softmaxLayer
