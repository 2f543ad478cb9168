"""ONNX interchange: exportONNXNetwork, importNetworkFromONNX and check_with_onnxruntime.

They need the optional packages onnx and onnxruntime (``pip install "minidl[onnx]"``),
imported only when one of these functions runs; without them they raise ImportError
saying so. ``python -m minidl.onnx`` measures the import -> prune -> export round trip.

Operator coverage (opset 8, MATLAB's default OpsetVersion, and newer):

| minidl layer | exported as | imported from |
|---|---|---|
| imageInputLayer, featureInputLayer | graph input N x C x H x W / N x C (batch size free); normalisation as Sub, Div | 4-D / 2-D float input; Sub (zerocenter), Sub -> Div (zscore; rescale-zero-one comes back as this), Sub -> Div -> Sub 1 (rescale-symmetric) right after it |
| convolution2dLayer | Conv; padding [t b l r] or "same" as explicit pads, stride, dilation | Conv with or without bias; pads, auto_pad SAME_UPPER or VALID |
| groupedConvolution2dLayer (grouped, channel-wise) | Conv with group = NumGroups | Conv with group > 1 |
| batchNormalizationLayer | BatchNormalization (inference form) | BatchNormalization (inference form) |
| groupNormalizationLayer | GroupNormalization from opset 21; before: Reshape -> InstanceNormalization -> Reshape -> Mul -> Add | GroupNormalization (opset 18 and 21 forms) |
| reluLayer, leakyReluLayer | Relu, LeakyRelu | Relu, LeakyRelu |
| maxPooling2dLayer, averagePooling2dLayer | MaxPool, AveragePool (PaddingValue 0: count_include_pad 1) | MaxPool, AveragePool (ceil_mode 0, no dilation) |
| globalAveragePooling2dLayer | GlobalAveragePool | GlobalAveragePool |
| fullyConnectedLayer | Gemm; on images after Flatten, its weight columns permuted from MATLAB's column-major order | Gemm, or MatMul + Add; on N x K data or after Flatten, Reshape to [N, -1], or PyTorch's Shape -> Gather -> Unsqueeze -> Concat -> Reshape (folded) |
| flattenLayer | Transpose [0 1 3 2] -> Flatten (MATLAB's order) | that pair; Flatten of 1 x 1 maps |
| additionLayer, depthConcatenationLayer | Add (Sum for 3 or more inputs), Concat on channels | Add, Sum, Concat on the channel axis |
| dropoutLayer, softmaxLayer | Identity; Softmax over channels (for images before opset 13: Transpose -> Softmax -> Transpose) | Dropout (Identity is skipped); Softmax over channels |

Nodes whose inputs are all constants are folded whatever their operator. Not covered:
sigmoid and tanh layers (minidl has no such layers), sequence data, ceil_mode pooling, and importing the two "before" forms above
(group norm before opset 21, softmax over image channels before opset 13).
"""
from .check import check_with_onnxruntime
from .export import exportONNXNetwork
from .importer import importNetworkFromONNX

__all__ = ["exportONNXNetwork", "importNetworkFromONNX", "check_with_onnxruntime"]
