"""exportONNXNetwork: a dlnetwork as an ONNX model file; one row of EXPORTERS per layer class.

A row ``build(graph, layer, inputs, sizes, out)`` appends the ONNX nodes that compute the
layer: ``inputs`` are the ONNX tensor names of its inputs, ``sizes`` their minidl
(shape, format) for one observation, ``out`` the tensor name reserved for its output.
It returns the name of the tensor holding the layer's output (normally ``out``).
ONNX tensors are NCHW ("SSCB" data) or NC ("CB" data), with a dynamic batch dimension N.
"""
import os
import re

import numpy as np

from .. import validate
from .._namevalue import namevalue
from .. import layers as L
from ..backend import array_module
from ..dlarray import dlarray
from ..network import dlnetwork, predict
from ..network.graph import is_input_layer
from ..ops.conv import image_window
from ._deps import require
from ._files import write_atomically

DEFAULT_OPSET = 8  # MATLAB's default OpsetVersion
MIN_OPSET = 8      # every row below is valid from this opset on
BATCH = "N"        # the symbolic batch dimension of the graph's inputs and outputs


def host(value):
    """A learnable or statistic as float32 NumPy data (gathered from the GPU when it lives there)."""
    data = value.data if isinstance(value, dlarray) else value
    data = data.get() if hasattr(data, "get") else data
    return np.asarray(data, dtype=np.float32)


def onnx_shape(size):
    """The ONNX tensor shape of minidl data of (shape, format) for one observation."""
    shape, fmt = size
    if fmt == "SSCB":
        return [BATCH, shape[2], shape[0], shape[1]]
    if fmt == "CB":
        return [BATCH, shape[0]]
    raise ValueError(f"ONNX export handles 'SSCB' images and 'CB' features; a layer gives format {fmt!r}")


class Graph:
    """The nodes and initializers being built, and the names taken (valid C identifiers, unique)."""

    def __init__(self, helper, numpy_helper, opset):
        self.helper, self.numpy_helper, self.opset = helper, numpy_helper, opset
        self.nodes, self.initializers, self._taken = [], [], set()

    def name(self, hint):
        base = re.sub(r"\W", "_", hint, flags=re.ASCII) or "tensor"
        base = "_" + base if base[0].isdigit() else base
        name, k = base, 0
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        return name

    def constant(self, hint, array, dtype=np.float32):
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def node(self, op, inputs, out, **attributes):
        self.nodes.append(self.helper.make_node(op, list(inputs), [out], name=out, **attributes))
        return out

    def temp(self, out, suffix):
        return self.name(f"{out}_{suffix}")


def _pads(layer, size, kernel, dilation=(1, 1)):
    """ONNX pads [top, left, bottom, right] of a layer's MATLAB padding ([t b l r] or "same")."""
    shape, _ = size
    padding = "same" if layer.PaddingMode == "same" else layer.PaddingSize
    top, bottom, left, right = image_window(shape[:2], kernel, layer.Stride, dilation, padding, "Padding").padding
    return [top, left, bottom, right]


def _image_input(g, layer, inputs, sizes, out):
    return _normalized(g, layer, inputs[0], lambda v: host(v).transpose(2, 0, 1)[None])


def _feature_input(g, layer, inputs, sizes, out):
    return _normalized(g, layer, inputs[0], lambda v: host(v).reshape(1, -1))


def _normalized(g, layer, x, layout):
    """Sub and Div nodes computing the input layer's Normalization, as minidl does."""
    mode = layer.Normalization
    if mode == "none":
        return x
    out = layer.Name + "_normalized"

    def step(op, operand, hint):
        return g.node(op, [x, g.constant(f"{layer.Name}_{hint}", operand)], g.temp(out, op.lower()))

    if mode in ("zerocenter", "zscore"):
        x = step("Sub", layout(layer.Mean), "Mean")
        if mode == "zscore":
            x = step("Div", layout(layer.StandardDeviation), "StandardDeviation")
        return x
    symmetric = mode == "rescale-symmetric"
    # 2 * (x - Min) / (Max - Min) - 1 as (x - Min) / ((Max - Min) / 2) - 1: halving is exact, so is the result.
    x = step("Sub", layout(layer.Min), "Min")
    x = step("Div", (layout(layer.Max) - layout(layer.Min)) / (2 if symmetric else 1), "Range")
    return step("Sub", np.float32(1), "One") if symmetric else x


def _convolution(g, layer, inputs, sizes, out):
    weights, bias, groups = host(layer.Weights), host(layer.Bias), 1
    if isinstance(layer, L.GroupedConvolution2DLayer):
        # FH,FW,Cpg,Fpg,G -> G*Fpg,Cpg,FH,FW and bias 1,1,Fpg,G -> G*Fpg: output channel g*Fpg + f in both.
        fh, fw, per_group, filters, groups = weights.shape
        weights = weights.transpose(4, 3, 2, 0, 1).reshape(groups * filters, per_group, fh, fw)
        bias = bias[0, 0].T
    else:
        weights = weights.transpose(3, 2, 0, 1)  # FH,FW,C,F -> F,C,FH,FW
    return g.node("Conv", [inputs[0], g.constant(out + "_W", weights), g.constant(out + "_B", bias.ravel())], out,
                  kernel_shape=list(layer.FilterSize), strides=list(layer.Stride),
                  dilations=list(layer.DilationFactor), group=groups,
                  pads=_pads(layer, sizes[0], layer.FilterSize, layer.DilationFactor))


def _batch_normalization(g, layer, inputs, sizes, out):
    values = [g.constant(f"{out}_{name}", host(getattr(layer, name)).ravel())
              for name in ("Scale", "Offset", "TrainedMean", "TrainedVariance")]
    return g.node("BatchNormalization", [inputs[0], *values], out, epsilon=layer.Epsilon)


def _group_normalization(g, layer, inputs, sizes, out):
    """GroupNormalization from opset 21 (per-channel scale and offset, as MATLAB's); before it, reshape
    to (N, G, rest), InstanceNormalization (valid from opset 6), reshape back, scale, offset."""
    channels = layer.NumChannels
    groups = {"all-channels": 1, "channel-wise": channels}.get(layer.NumGroups, layer.NumGroups)
    if g.opset >= 21:
        return g.node("GroupNormalization", [inputs[0], g.constant(out + "_Scale", host(layer.Scale).ravel()),
                                             g.constant(out + "_Offset", host(layer.Offset).ravel())], out,
                      num_groups=groups, epsilon=layer.Epsilon)
    onnx_dims = onnx_shape(sizes[0])[1:]
    grouped = g.node("Reshape", [inputs[0], g.constant(out + "_grouped_shape", [0, groups, -1], np.int64)],
                     g.temp(out, "grouped"))
    normal = g.node("InstanceNormalization", [grouped, g.constant(out + "_ones", np.ones(groups)),
                                              g.constant(out + "_zeros", np.zeros(groups))],
                    g.temp(out, "normalized"), epsilon=layer.Epsilon)
    back = g.node("Reshape", [normal, g.constant(out + "_shape", [0, *onnx_dims], np.int64)], g.temp(out, "ungrouped"))
    per_channel = [1, channels] + [1] * (len(onnx_dims) - 1)
    scaled = g.node("Mul", [back, g.constant(out + "_Scale", host(layer.Scale).reshape(per_channel))],
                    g.temp(out, "scaled"))
    return g.node("Add", [scaled, g.constant(out + "_Offset", host(layer.Offset).reshape(per_channel))], out)


def _unary(op, **attributes):
    def build(g, layer, inputs, sizes, out):
        return g.node(op, inputs, out, **{k: v(layer) for k, v in attributes.items()})
    return build


def _max_pooling(g, layer, inputs, sizes, out):
    return g.node("MaxPool", inputs, out, kernel_shape=list(layer.PoolSize), strides=list(layer.Stride),
                  pads=_pads(layer, sizes[0], layer.PoolSize))


def _average_pooling(g, layer, inputs, sizes, out):
    # PaddingValue 0 divides by the whole window, padding included; "mean" by the image pixels in it.
    return g.node("AveragePool", inputs, out, kernel_shape=list(layer.PoolSize), strides=list(layer.Stride),
                  pads=_pads(layer, sizes[0], layer.PoolSize), count_include_pad=int(layer.PaddingValue == 0))


def _fully_connected(g, layer, inputs, sizes, out):
    shape, fmt = sizes[0]
    weights = host(layer.Weights)
    x = inputs[0]
    if fmt == "SSCB":
        # MATLAB flattens h fastest, then w, then c; ONNX's Flatten of NCHW has w fastest, then h, then c.
        # Permuting the weight columns once makes the two orders meet at no cost at run time.
        H, W, C = shape[:3]
        weights = weights.reshape(-1, C, W, H).transpose(0, 1, 3, 2).reshape(-1, C * H * W)
        x = g.node("Flatten", [x], g.temp(out, "flatten"), axis=1)
    return g.node("Gemm", [x, g.constant(out + "_W", weights), g.constant(out + "_B", host(layer.Bias).ravel())],
                  out, transB=1)


def _flatten(g, layer, inputs, sizes, out):
    if sizes[0][1] == "CB":
        return g.node("Identity", inputs, out)
    # MATLAB's order (h fastest, then w, then c) is the row-major order of N x C x W x H.
    swapped = g.node("Transpose", inputs, g.temp(out, "nchw_to_ncwh"), perm=[0, 1, 3, 2])
    return g.node("Flatten", [swapped], out, axis=1)


def _addition(g, layer, inputs, sizes, out):
    return g.node("Add" if len(inputs) == 2 else "Sum", inputs, out)


def _softmax(g, layer, inputs, sizes, out):
    if sizes[0][1] == "CB" or g.opset >= 13:
        return g.node("Softmax", inputs, out, axis=1)
    # Before opset 13 Softmax runs over all axes from ``axis`` on; over C alone it must be the last axis.
    channels_last = g.node("Transpose", inputs, g.temp(out, "nhwc"), perm=[0, 2, 3, 1])
    soft = g.node("Softmax", [channels_last], g.temp(out, "nhwc_softmax"), axis=3)
    return g.node("Transpose", [soft], out, perm=[0, 3, 1, 2])


EXPORTERS = {
    L.ImageInputLayer: _image_input,
    L.FeatureInputLayer: _feature_input,
    L.Convolution2DLayer: _convolution,
    L.GroupedConvolution2DLayer: _convolution,
    L.BatchNormalizationLayer: _batch_normalization,
    L.GroupNormalizationLayer: _group_normalization,
    L.ReLULayer: _unary("Relu"),
    L.LeakyReLULayer: _unary("LeakyRelu", alpha=lambda layer: layer.Scale),
    L.MaxPooling2DLayer: _max_pooling,
    L.AveragePooling2DLayer: _average_pooling,
    L.GlobalAveragePooling2DLayer: _unary("GlobalAveragePool"),
    L.FullyConnectedLayer: _fully_connected,
    L.FlattenLayer: _flatten,
    L.AdditionLayer: _addition,
    L.DepthConcatenationLayer: _unary("Concat", axis=lambda layer: 1),
    L.DropoutLayer: _unary("Identity"),
    L.SoftmaxLayer: _softmax,
}


def _checked_arguments(net, filename, OpsetVersion, onnx):
    if not isinstance(net, dlnetwork):
        raise TypeError(f"exportONNXNetwork: net must be a dlnetwork; got {type(net).__name__}")
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"exportONNXNetwork: filename must be a string or path; got {type(filename).__name__}")
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"exportONNXNetwork: filename {str(filename)!r}: folder {folder!r} does not exist")
    newest = onnx.defs.onnx_opset_version()  # the newest opset the installed onnx package knows
    validate.integer(OpsetVersion, "OpsetVersion", MIN_OPSET, newest, where="exportONNXNetwork")
    unsupported = [f"'{layer.Name}' ({layer.class_name})" for layer in net.Layers if type(layer) not in EXPORTERS]
    if unsupported:
        known = ", ".join(sorted(cls.class_name for cls in EXPORTERS))
        raise ValueError(f"exportONNXNetwork: no ONNX mapping for layer(s) {', '.join(unsupported)}; "
                         f"layers that export: {known}")
    if not net.Initialized:
        raise ValueError("exportONNXNetwork: net is not initialized; call net = initialize(net) first")
    if len(net.InputNames) != sum(map(is_input_layer, net.Layers)):
        raise ValueError(f"exportONNXNetwork: every network input must come from an input layer "
                         f"(imageInputLayer or featureInputLayer); inputs are {net.InputNames}")


def network_model(net, OpsetVersion):
    """The ONNX ModelProto of an initialised dlnetwork of exportable layers."""
    from onnx import TensorProto, helper, numpy_helper
    topology = net.graph
    layers = topology.layers
    by_name = {layer.Name: layer for layer in layers}
    inputs = [layer for layer in layers if is_input_layer(layer)]
    # Sizes seen by every layer, from one observation of zeros (as dlnetwork initialisation does),
    # on the device the learnables live on.
    learnables = net.Learnables.Value
    xp = array_module(learnables[0].data) if learnables else np
    examples = [dlarray(xp.asarray(layer.example_input().data), layer.fmt) for layer in inputs]
    values = predict(net, *examples, Outputs=list(by_name))
    sizes = {name: (value.shape[:-1], value.fmt) for name, value in zip(by_name, values)}
    source = topology.sources
    g = Graph(helper, numpy_helper, OpsetVersion)
    reserved = {layer.Name: g.name(layer.Name) for layer in layers}  # the layers' own names come first
    tensors, graph_inputs = {}, []
    for layer in (by_name[name] for name in topology.order):
        if is_input_layer(layer):
            x = [reserved[layer.Name]]
            in_sizes = [sizes[layer.Name]]  # normalisation keeps the size
            graph_inputs.append(helper.make_tensor_value_info(x[0], TensorProto.FLOAT, onnx_shape(in_sizes[0])))
        else:
            feeds = [source[(layer.Name, port)] for port in layer.InputNames]
            x = [tensors[name] for name, _ in feeds]
            in_sizes = [sizes[name] for name, _ in feeds]
        tensors[layer.Name] = EXPORTERS[type(layer)](g, layer, x, in_sizes, reserved[layer.Name])
    outputs = [helper.make_tensor_value_info(tensors[name.partition("/")[0]], TensorProto.FLOAT,
                                             onnx_shape(sizes[name.partition("/")[0]])) for name in net.OutputNames]
    graph = helper.make_graph(g.nodes, "minidl_dlnetwork", graph_inputs, outputs, g.initializers)
    opset = helper.make_opsetid("", OpsetVersion)
    # IR version 4 is the first that lets initializers be constants rather than graph inputs.
    ir_version = max(4, helper.find_min_ir_version_for([opset]))
    return helper.make_model(graph, opset_imports=[opset], producer_name="minidl", ir_version=ir_version)


@namevalue
def exportONNXNetwork(net, filename, *, OpsetVersion=DEFAULT_OPSET):
    """Export an initialised dlnetwork to the ONNX file ``filename`` (overwritten if it exists).

    OpsetVersion: the ONNX operator set, MATLAB's default 8, up to the newest the installed
    onnx package knows. The graph's inputs are the input layers (named as they are), NCHW
    for images and NC for features, with a dynamic batch dimension; its outputs are
    net.OutputNames. A layer with no ONNX mapping raises ValueError naming it before
    anything is written; the model passes onnx.checker and is written atomically.
    """
    onnx = require("onnx")
    _checked_arguments(net, filename, OpsetVersion, onnx)
    model = network_model(net, int(OpsetVersion))
    onnx.checker.check_model(model)
    write_atomically(filename, model.SerializeToString())
