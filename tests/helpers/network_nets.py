"""Small networks and helpers shared by the dlnetwork, optimiser, save/load and training tests."""
import numpy as np

from minidl import dlarray
from minidl.layers import (additionLayer, batchNormalizationLayer, convolution2dLayer, fullyConnectedLayer,
                           imageInputLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from minidl.network import addLayers, connectLayers, dlnetwork, initialize
from helpers.device import host


def small_layers(size=8, classes=3, dtype=np.float32):
    """conv-BN-ReLU-pool-FC-softmax on size x size x 1 images, without input normalisation."""
    return [imageInputLayer([size, size, 1], Name="input", Normalization="none"),
            convolution2dLayer(3, 4, Padding="same", Name="conv"), batchNormalizationLayer(Name="bn"),
            reluLayer(Name="relu"), maxPooling2dLayer(2, Stride=2, Name="pool"),
            fullyConnectedLayer(classes, Name="fc"), softmaxLayer(Name="softmax")]


def small_net(seed=0, **kwargs):
    net = dlnetwork(small_layers(**kwargs), Initialize=False)
    return initialize(net, generator=np.random.default_rng(seed))


def images(size=8, n=5, seed=1, dtype=np.float32):
    return dlarray(np.random.default_rng(seed).standard_normal((size, size, 1, n)).astype(dtype), "SSCB")


def snapshot(table):
    return [np.array(host(v.data), copy=True) for v in table.Value]


def residual_layers():
    return [imageInputLayer([6, 6, 2], Name="input", Normalization="none"),
            convolution2dLayer(3, 2, Padding="same", Name="conv1"), reluLayer(Name="relu1"),
            convolution2dLayer(3, 2, Padding="same", Name="conv2"), additionLayer(2, Name="add"),
            reluLayer(Name="relu2"), fullyConnectedLayer(3, Name="fc"), softmaxLayer(Name="softmax")]


def residual_net(seed=0):
    net = addLayers(dlnetwork(), residual_layers())
    net = connectLayers(net, "relu1", "add/in2")
    return initialize(net, generator=np.random.default_rng(seed))


def residual_images(shape=(6, 6, 2, 3), seed=1):
    return dlarray(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), "SSCB")
