"""minidl: MATLAB's Deep Learning Toolbox API on NumPy (CPU) and CuPy (GPU)."""
from . import ops  # first: installs dlarray's operators (minidl/ops/operators.py)
from .autodiff import dlfeval, dlgradient
from .dlarray import dims, dlarray, extractdata, finddim, numel, size
from .ops.activation import leakyrelu, relu, sigmoid, softmax
from .ops.elementwise import abs, exp, log, maximum, minimum, sqrt, tanh
from .ops.matmul import mtimes
from .ops.reduce import max, mean, min, sum
from .ops.shape import permute, reshape, stripdims
from .ops.fc import fullyconnect
from .ops.loss import crossentropy, mse
from .ops.norm import batchnorm, batchnorm_running_update, groupnorm
from .ops.conv import dlconv
from .ops.pool import avgpool, maxpool
from .layers import (additionLayer, averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer,
                     depthConcatenationLayer, dropoutLayer, featureInputLayer, flattenLayer, fullyConnectedLayer,
                     globalAveragePooling2dLayer, groupedConvolution2dLayer, groupNormalizationLayer, imageInputLayer,
                     leakyReluLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from .network import (NetworkAnalysis, addLayers, analyzeNetwork, connectLayers, disconnectLayers, dlnetwork, forward,
                      initialize, predict,
                      removeLayers, replaceLayer, summary)
from .optim import adamupdate, dlupdate, rmspropupdate, sgdmupdate, sgdupdate
from .io import load, save
from .table import Table
from .random import rng
from .data import (augment, augmentedImageDatastore, cat, categorical, categories, countcats, countEachLabel, hasdata,
                   imageDataAugmenter, imageDatastore, isundefined, minibatchqueue, numpartitions, onehotdecode,
                   onehotencode, partition, read, readall, readimage, reset, scores2label, shuffle, splitEachLabel,
                   subset)
from .pruning import TaylorPrunableNetwork, taylorPrunableNetwork, updatePrunables, updateScore
from .pruning.compress import compressNetworkUsingTaylorPruning
from .onnx import exportONNXNetwork, importNetworkFromONNX
from .train import TrainingInfo, TrainingOptions, minibatchpredict, testnet, trainingOptions, trainnet

__version__ = "0.1.0"
