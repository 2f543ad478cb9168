"""Small networks and helpers shared by the pruning tests."""
import numpy as np

from minidl import crossentropy, dlarray, dlfeval, dlgradient, groupedConvolution2dLayer
from minidl.layers import (additionLayer, batchNormalizationLayer, convolution2dLayer, depthConcatenationLayer,
                           fullyConnectedLayer, globalAveragePooling2dLayer, imageInputLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from minidl.network import addLayers, connectLayers, dlnetwork, forward, initialize
from minidl.pruning import updateScore


def build(branches, connections=(), seed=0):
    """An initialised dlnetwork from series branches of layers and extra (source, destination) links."""
    net = dlnetwork()
    for branch in branches:
        net = addLayers(net, branch)
    for s, d in connections:
        net = connectLayers(net, s, d)
    return initialize(net, generator=np.random.default_rng(seed))


def image_input(size, channels=1):
    return imageInputLayer([size, size, channels], Normalization="none", Name="input")


def conv_block(k, filters, size=3):
    return [convolution2dLayer(size, filters, Padding="same", Name=f"conv{k}"),
            batchNormalizationLayer(Name=f"bn{k}"), reluLayer(Name=f"relu{k}")]


def head(classes=3):
    return [fullyConnectedLayer(classes, Name="fc"), softmaxLayer(Name="softmax")]


def chain(filters, size=6, seed=0):
    """input -> (conv, bn, relu) per entry of ``filters`` -> fc -> softmax."""
    layers = [image_input(size)]
    for k, n in enumerate(filters, start=1):
        layers += conv_block(k, n)
    return build([layers + head()], seed=seed)


def mobilenet_block(multiplier=1, seed=0):
    """conv1-bn-relu -> depthwise conv (channel multiplier m)-bn-relu -> pointwise conv-bn-relu -> gap -> fc."""
    return build([[image_input(8, 3), *conv_block(1, 6),
                   groupedConvolution2dLayer(3, multiplier, "channel-wise", Padding="same", Name="dw"),
                   batchNormalizationLayer(Name="bndw"), reluLayer(Name="reludw"),
                   *conv_block("pw", 8, size=1), globalAveragePooling2dLayer(Name="gap"), *head()]], seed=seed)


def residual_net(seed=0):
    """convA and convB feed an addition; a concatenation of convC and convD feeds convE;
    a concatenation of the pooled convE and convC outputs feeds the fully connected layer."""
    trunk = [image_input(8, 2), *conv_block("A", 6),
             convolution2dLayer(3, 6, Padding="same", Name="convB"), batchNormalizationLayer(Name="bnB"),
             additionLayer(2, Name="add"), reluLayer(Name="reluAdd"),
             convolution2dLayer(1, 5, Name="convC"), reluLayer(Name="reluC"),
             depthConcatenationLayer(2, Name="cat1"), *conv_block("E", 7),
             maxPooling2dLayer(2, Stride=2, Name="poolE"), depthConcatenationLayer(2, Name="cat2"), *head()]
    side = [convolution2dLayer(3, 4, Padding="same", Name="convD"), reluLayer(Name="reluD")]
    pool = [maxPooling2dLayer(2, Stride=2, Name="poolC")]
    links = [("reluA", "add/in2"), ("reluAdd", "convD"), ("reluD", "cat1/in2"), ("reluC", "poolC"),
             ("poolC", "cat2/in2")]
    return build([trunk, side, pool], links, seed)


def images(size, n=4, channels=1, seed=1):
    return dlarray(np.random.default_rng(seed).standard_normal((size, size, channels, n)).astype(np.float32),
                   "SSCB")


def targets(n=4, classes=3, seed=2):
    labels = np.random.default_rng(seed).integers(0, classes, n)
    return np.eye(classes, dtype=np.float32)[:, labels]


def model_loss(prunable, X, T):
    Y, state, activations = forward(prunable, X)
    loss = crossentropy(Y, T)
    gradients, net_gradients = dlgradient(loss, activations, prunable.Learnables)
    return loss, activations, gradients, net_gradients, state


def scored(prunable, X, T):
    """updateScore with the pruning activations and gradients of one mini-batch."""
    _, activations, gradients, _, _ = dlfeval(model_loss, prunable, X, T)
    return updateScore(prunable, activations, gradients)


def inject(prunable, scores):
    """updateScore with activations that make each filter's batch score |scores[layer][f]|:
    each filter's map is constant (of the spatial size the network produces there), the gradient one."""
    example = dlarray(np.zeros((*dlnetwork(prunable).Layers[0].InputSize, 1), np.float32), "SSCB")
    sizes = [a.shape[:2] for a in forward(prunable, example)[2]]
    acts = [dlarray(np.broadcast_to(np.asarray(s, dtype=np.float64).reshape(1, 1, -1, 1), (h, w, len(s), 1)),
                    "SSCB") for s, (h, w) in zip(scores, sizes)]
    ones = [dlarray(np.ones(a.shape), "SSCB") for a in acts]
    return updateScore(prunable, acts, ones)


def removed(before, after):
    """{layer: indices pruned between two prunable networks} (single-member groups)."""
    return {g: list(np.flatnonzero(before._masks[g] & ~after._masks[g])) for g in before._masks}
