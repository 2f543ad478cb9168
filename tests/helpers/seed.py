"""The digits network and the displays of MATLAB's taylorPrunableNetwork page, shared by the tests.

The texts are copied from shared/spec/taylorPrunableNetwork.txt.
"""
import numpy as np

from minidl.layers import (batchNormalizationLayer, convolution2dLayer, fullyConnectedLayer, imageInputLayer,
                           reluLayer, softmaxLayer)

LAYERS = """\
  12x1 Layer array with layers:

     1   'input'     Image Input           28x28x1 images with 'zerocenter' normalization
     2   'conv1'     2-D Convolution       20 5x5x1 convolutions with stride [1  1] and padding [0  0  0  0]
     3   'bn1'       Batch Normalization   Batch normalization with 20 channels
     4   'relu1'     ReLU                  ReLU
     5   'conv2'     2-D Convolution       20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]
     6   'bn2'       Batch Normalization   Batch normalization with 20 channels
     7   'relu2'     ReLU                  ReLU
     8   'conv3'     2-D Convolution       20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]
     9   'bn3'       Batch Normalization   Batch normalization with 20 channels
    10   'relu3'     ReLU                  ReLU
    11   'fc'        Fully Connected       10 fully connected layer
    12   'softmax'   Softmax               softmax"""

CONVS = """\
  3x1 Convolution2DLayer array with layers:

     1   'conv1'   2-D Convolution   20 5x5x1 convolutions with stride [1  1] and padding [0  0  0  0]
     2   'conv2'   2-D Convolution   20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]
     3   'conv3'   2-D Convolution   20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]"""

PRUNED_CONVS = """\
  3x1 Convolution2DLayer array with layers:

     1   'conv1'   2-D Convolution   17 5x5x1 convolutions with stride [1  1] and padding [0  0  0  0]
     2   'conv2'   2-D Convolution   18 3x3x17 convolutions with stride [1  1] and padding [1  1  1  1]
     3   'conv3'   2-D Convolution   17 3x3x18 convolutions with stride [1  1] and padding [1  1  1  1]"""

PRUNABLE = """\
  TaylorPrunableNetwork with properties:

      Learnables: [14x3 table]
           State: [6x3 table]
      InputNames: {'input'}
     OutputNames: {'softmax'}
    NumPrunables: 48
"""


def digits_layers(named=True, mean=0.13):
    """The seed's 12 layers (names as on the page, or empty for automatic naming)."""
    def name(text):
        return {"Name": text} if named else {}
    layers = [imageInputLayer([28, 28, 1], Mean=np.full((1, 1, 1), mean, dtype=np.float32), **name("input"))]
    for k, (size, padding) in enumerate([(5, 0), (3, 1), (3, 1)], start=1):
        layers += [convolution2dLayer(size, 20, Padding=padding, **name(f"conv{k}")),
                   batchNormalizationLayer(**name(f"bn{k}")), reluLayer(**name(f"relu{k}"))]
    return layers + [fullyConnectedLayer(10, **name("fc")), softmaxLayer(**name("softmax"))]
