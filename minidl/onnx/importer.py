"""importNetworkFromONNX: an ONNX model file as a dlnetwork; one row of IMPORTERS per ONNX operator.

The graph is read in order. Nodes whose inputs are all constants (initializers,
Constant nodes, and Shape of a tensor whose sizes are known, the batch size standing in
as 0, which Reshape reads as "keep this size") are folded by onnx's reference evaluator,
so the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters write for
``x.view(x.size(0), -1)`` become constants. Every other node goes to its row
``build(net, node, attributes)``, which adds minidl layers, or folds the node into one
already made (a bias Add into the MatMul before it, Sub/Div after the graph input into
the input layer's normalisation), or marks its output as a flattened view that the fully
connected layer reading it absorbs, its weight columns permuted from ONNX's row-major
(c, h, w) order into MATLAB's column-major one.
"""
import os
import re
from dataclasses import dataclass

import numpy as np

from .. import layers as L
from ..network import addLayers, connectLayers, dlnetwork
from ..ops.norm import MIN_EPSILON
from ._deps import require
from .export import MIN_OPSET


@dataclass(frozen=True)
class Flattened:
    """A tensor that is ``source`` (N x C x H x W) flattened per observation, in ONNX's or MATLAB's order."""
    source: str
    chw: tuple
    order: str  # "onnx": c, h, w (w fastest); "matlab": c, w, h (h fastest)


@dataclass(frozen=True)
class Swapped:
    """``source`` transposed to N x C x W x H: only a Flatten may read it (MATLAB's flatten order)."""
    source: str


class Network:
    """The layers and links being built from the graph, with what is known about each tensor."""

    def __init__(self, graph, shapes, constants, opset):
        self.shapes, self.constants, self.opset = shapes, constants, opset
        self.layers = {}       # name -> layer, in graph order
        self.links = []        # (source layer, "layer/port")
        self.producer = {}     # tensor -> layer computing it
        self.views = {}        # tensor -> Flattened or Swapped
        self.from_matmul = set()  # fully connected layers made from a MatMul, whose bias an Add may fill
        self.readers = {}
        for node in graph.node:
            for name in node.input:
                self.readers[name] = self.readers.get(name, 0) + 1
        for output in graph.output:
            self.readers[output.name] = self.readers.get(output.name, 0) + 1

    def unique(self, hint):
        base = re.sub(r"\W", "_", hint).strip("_") or "layer"  # as MATLAB makes names valid identifiers
        name, k = base, 0
        while name in self.layers:
            k += 1
            name = f"{base}_{k}"
        return name

    def add(self, layer, inputs, output, hint):
        """Add ``layer`` reading the tensors ``inputs`` and computing ``output``; returns its name."""
        name = self.unique(hint)
        sources = [self.source(tensor) for tensor in inputs]
        self.layers[name] = layer.copy(Name=name)
        for port, source in zip(self.layers[name].InputNames, sources):
            self.links.append((source, f"{name}/{port}"))
        self.producer[output] = name
        return name

    def alias(self, output, tensor):
        """``output`` is ``tensor`` (Identity, folded nodes)."""
        if tensor in self.views:
            self.views[output] = self.views[tensor]
        else:
            self.producer[output] = self.producer[tensor]

    def source(self, tensor):
        """The layer computing ``tensor``; a flattened view read by anything but a fully connected
        layer becomes a flattenLayer where that computes the same values."""
        view = self.views.get(tensor)
        if isinstance(view, Swapped):
            raise ValueError(f"tensor {tensor!r}: a Transpose to N x C x W x H imports only when a Flatten reads it")
        if isinstance(view, Flattened) and tensor not in self.producer:
            if view.order == "onnx" and view.chw[1] * view.chw[2] != 1:
                raise ValueError(f"tensor {tensor!r}: a Flatten/Reshape of a {'x'.join(map(str, view.chw))} "
                                 "(C x H x W) tensor imports only when a Gemm or MatMul reads it (ONNX flattens "
                                 "in a different order than MATLAB)")
            self.producer[tensor] = self.add(L.flattenLayer(), [view.source], tensor, tensor + "_flatten")
        if tensor not in self.producer:
            what = "a constant" if tensor in self.constants else "not computed by any imported node"
            raise ValueError(f"tensor {tensor!r} is {what}; minidl layers need it computed from the network input")
        return self.producer[tensor]

    def constant(self, node, index, what):
        name = node.input[index] if index < len(node.input) else ""
        if name not in self.constants:
            raise ValueError(f"{node.op_type} node {node.name!r}: {what} (input {index + 1}) must be a constant "
                             "(an initializer)")
        return np.asarray(self.constants[name], dtype=np.float32)

    def optional_constant(self, node, index, default):
        if index < len(node.input) and node.input[index]:
            return self.constant(node, index, "this input")
        return default

    def rank(self, tensor):
        shape = self.shapes.get(tensor)
        view = self.views.get(tensor)
        return 2 if isinstance(view, Flattened) else (len(shape) if shape is not None else None)


def _refuse(node, why):
    raise ValueError(f"{node.op_type} node {node.name!r}: {why}")


def _hint(node):
    return node.name or f"{node.op_type.lower()}_{node.output[0]}"


def _only(node, attributes, **allowed):
    """Refuse attribute values minidl cannot express (allowed: name -> accepted values)."""
    for name, accepted in allowed.items():
        if name in attributes and attributes[name] not in accepted:
            _refuse(node, f"{name}={attributes[name]!r} is not supported (supported: {accepted})")


def _spatial_padding(node, attributes):
    """MATLAB's Padding ([t b l r] or "same") from ONNX's pads [t, l, b, r] or auto_pad."""
    auto = attributes.get("auto_pad", "NOTSET")
    _only(node, attributes, auto_pad=("NOTSET", "SAME_UPPER", "VALID"))
    if auto == "SAME_UPPER":  # the odd pixel at the bottom/right, as MATLAB's "same"
        return "same"
    top, left, bottom, right = attributes.get("pads", [0, 0, 0, 0]) if auto == "NOTSET" else [0, 0, 0, 0]
    return [top, bottom, left, right]


def _conv(net, node, attributes):
    """Conv; with group > 1 a groupedConvolution2dLayer (ONNX's output channel g*Fpg + f is MATLAB's (f, g))."""
    weights = net.constant(node, 1, "the weights")
    if weights.ndim != 4:
        _refuse(node, f"only 2-D convolution imports; weights have size {weights.shape}")
    filters, per_group, fh, fw = weights.shape
    groups = int(attributes.get("group", 1))
    if groups < 1 or filters % groups:
        _refuse(node, f"group={groups} does not divide its {filters} filters")
    bias = net.optional_constant(node, 2, np.zeros(filters, np.float32))
    window = dict(Stride=attributes.get("strides", 1), DilationFactor=attributes.get("dilations", 1),
                  Padding=_spatial_padding(node, attributes))
    if groups == 1:
        layer = L.convolution2dLayer([fh, fw], filters, Weights=weights.transpose(2, 3, 1, 0),
                                     Bias=bias.reshape(1, 1, filters), **window)
    else:
        filters //= groups
        layer = L.groupedConvolution2dLayer(
            [fh, fw], filters, groups, Bias=bias.reshape(groups, filters).T.reshape(1, 1, filters, groups),
            Weights=weights.reshape(groups, filters, per_group, fh, fw).transpose(3, 4, 2, 1, 0), **window)
    net.add(layer, node.input[:1], node.output[0], _hint(node))


def _batch_normalization(net, node, attributes):
    _only(node, attributes, training_mode=(0,), spatial=(1,))
    if len([name for name in node.output if name]) > 1:
        _refuse(node, "only the inference form (one output) imports")
    scale, offset, mean, variance = (net.constant(node, k, what) for k, what in
                                     enumerate(("scale", "B", "mean", "var"), start=1))
    epsilon = _epsilon(node, attributes)
    layer = L.batchNormalizationLayer(Scale=scale, Offset=offset, TrainedMean=mean, TrainedVariance=variance,
                                      Epsilon=epsilon)
    net.add(layer, node.input[:1], node.output[0], _hint(node))


def _epsilon(node, attributes):
    """The node's epsilon; 1e-5 stored as float32 (just below 1e-5) is MATLAB's minimum, smaller is refused."""
    epsilon = float(attributes.get("epsilon", 1e-5))
    if epsilon < MIN_EPSILON * (1 - 1e-6):
        _refuse(node, f"epsilon {epsilon:g} is below {MIN_EPSILON:g}, the smallest minidl (as MATLAB) accepts")
    return max(epsilon, MIN_EPSILON)


def _group_normalization(net, node, attributes):
    groups = int(attributes["num_groups"])
    scale, offset = net.constant(node, 1, "scale"), net.constant(node, 2, "bias")
    channels = (net.shapes.get(node.input[0]) or [None, None])[1]
    if channels is None:
        _refuse(node, f"the channel count of its input {node.input[0]!r} must be known")
    if scale.size == groups != channels:  # opset 18's per-group scale and bias
        scale, offset = np.repeat(scale, channels // groups), np.repeat(offset, channels // groups)
    epsilon = _epsilon(node, attributes)
    layer = L.groupNormalizationLayer(groups, Scale=scale, Offset=offset, Epsilon=epsilon)
    net.add(layer, node.input[:1], node.output[0], _hint(node))


def _layer_row(make):
    """A row for an operator that is one minidl layer of its first input: ``make(node, attributes)``."""
    def build(net, node, attributes):
        net.add(make(node, attributes), node.input[:1], node.output[0], _hint(node))
    return build


def _pool_options(node, attributes):
    _only(node, attributes, ceil_mode=(0,), storage_order=(0,))
    if any(d != 1 for d in attributes.get("dilations", [1, 1])):
        _refuse(node, "dilated pooling is not supported")
    if len([name for name in node.output if name]) > 1:
        _refuse(node, "the Indices output is not supported")
    return dict(Stride=attributes.get("strides", 1), Padding=_spatial_padding(node, attributes))


def _max_pool(node, attributes):
    return L.maxPooling2dLayer(attributes["kernel_shape"], **_pool_options(node, attributes))


def _average_pool(node, attributes):
    options = _pool_options(node, attributes)
    # count_include_pad=1 divides by the whole window (MATLAB's PaddingValue 0), 0 by the pixels in the image.
    padded = options["Padding"] == "same" or any(options["Padding"])
    mean = padded and not attributes.get("count_include_pad", 0)
    return L.averagePooling2dLayer(attributes["kernel_shape"], PaddingValue="mean" if mean else 0, **options)


def _dropout(net, node, attributes):
    ratio = attributes.get("ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        ratio = float(net.constant(node, 1, "ratio"))
    net.add(L.dropoutLayer(ratio), node.input[:1], node.output[0], _hint(node))


def _identity(net, node, attributes):
    net.alias(node.output[0], node.input[0])


def _channel_axis(net, node, axis):
    """True when ``axis`` of the node's first input is the channel axis (1 of N x C [x H x W])."""
    rank = net.rank(node.input[0])
    return rank is not None and axis % rank == 1


def _softmax(net, node, attributes):
    rank = net.rank(node.input[0])
    axis = attributes.get("axis", 1 if net.opset < 13 else -1)
    shape = net.shapes.get(node.input[0])
    # Before opset 13 Softmax runs over all axes from ``axis`` on: the channel alone only when H = W = 1.
    single = rank == 2 or (net.opset < 13 and shape is not None and all(n == 1 for n in shape[2:]))
    if not (_channel_axis(net, node, axis) and (net.opset >= 13 or single)):
        _refuse(node, f"softmax imports over the channel axis only; got axis {axis} of a rank-{rank} input")
    net.add(L.softmaxLayer(), node.input[:1], node.output[0], _hint(node))


def _concat(net, node, attributes):
    if not _channel_axis(net, node, attributes["axis"]):
        _refuse(node, f"only concatenation along the channel axis imports; got axis {attributes['axis']}")
    net.add(L.depthConcatenationLayer(len(node.input)), node.input, node.output[0], _hint(node))


def _add(net, node, attributes):
    constant = [name in net.constants for name in node.input]
    if node.op_type == "Add" and sum(constant) == 1:
        data = node.input[constant.index(False)]
        fc = net.producer.get(data)
        if fc not in net.from_matmul or net.readers.get(data, 0) != 1:
            _refuse(node, "adding a constant imports only as the bias of the MatMul before it")
        layer = net.layers[fc]
        bias = net.constant(node, constant.index(True), "the bias")
        if bias.size != layer.OutputSize:
            _refuse(node, f"the bias has {bias.size} values for {layer.OutputSize} outputs")
        net.layers[fc] = L.fullyConnectedLayer(layer.OutputSize, Weights=layer.Weights, Bias=bias.reshape(-1, 1),
                                               Name=fc)
        net.from_matmul.discard(fc)
        net.alias(node.output[0], data)
        return
    if any(constant):
        _refuse(node, "adding constants imports only as the bias of a MatMul")
    net.add(L.additionLayer(len(node.input)), node.input, node.output[0], _hint(node))


def _flatten(net, node, attributes):
    if attributes.get("axis", 1) != 1:
        _refuse(node, f"only axis=1 (one row per observation) imports; got axis {attributes['axis']}")
    _flatten_view(net, node)


def _flatten_view(net, node):
    tensor = node.input[0]
    view = net.views.get(tensor)
    if isinstance(view, Swapped):
        net.views[node.output[0]] = Flattened(view.source, tuple(net.shapes[view.source][1:]), "matlab")
        return
    shape = net.shapes.get(tensor)
    if shape is None or any(n is None for n in shape[1:]):
        _refuse(node, f"the sizes of its input {tensor!r} must be known (got {shape})")
    if len(shape) == 2 or isinstance(view, Flattened):
        net.alias(node.output[0], tensor)
    elif len(shape) == 4:
        net.views[node.output[0]] = Flattened(tensor, tuple(shape[1:]), "onnx")
    else:
        _refuse(node, f"input {tensor!r} has size {shape}; only N x C x H x W or N x C data imports")


def _reshape(net, node, attributes):
    target = [int(n) for n in np.ravel(net.constants.get(node.input[1], []))] if len(node.input) > 1 else []
    shape = net.shapes.get(node.input[0]) or []
    batch = shape[0] if shape else None
    per_observation = int(np.prod([n for n in shape[1:] if n is not None])) if shape else None
    # A flatten: [N, -1], [N, C*H*W] or [-1, C*H*W], N the batch (0 keeps it; the folded batch size reads as 0).
    flat = len(target) == 2 and (
        (target[0] in (0, batch) and target[1] in (-1, per_observation))
        or (target[0] == -1 and target[1] == per_observation))
    if node.input[1] not in net.constants or not flat:
        _refuse(node, f"only a constant flattening shape [N, -1] imports; got {target or 'a computed shape'}")
    _flatten_view(net, node)


def _transpose(net, node, attributes):
    if list(attributes.get("perm", [])) != [0, 1, 3, 2]:
        _refuse(node, f"only perm [0, 1, 3, 2] before a Flatten imports; got {attributes.get('perm')}")
    net.views[node.output[0]] = Swapped(node.input[0])


def _fully_connected(net, node, attributes):
    """Gemm (A x B' with transB, + C) or MatMul with constant weights, on N x K or a flattened view."""
    if node.op_type == "Gemm":
        _only(node, attributes, transA=(0,))
        weights = net.constant(node, 1, "B") * np.float32(attributes.get("alpha", 1.0))
        weights = weights if attributes.get("transB", 0) else weights.T
        bias = net.optional_constant(node, 2, np.zeros(weights.shape[0], np.float32))
        bias = np.broadcast_to(bias * np.float32(attributes.get("beta", 1.0)), (weights.shape[0],))
    else:
        weights = net.constant(node, 1, "the weights").T
        bias = np.zeros(weights.shape[0], np.float32)
    if weights.ndim != 2:
        _refuse(node, f"the weights must be a matrix; got size {weights.shape}")
    tensor = node.input[0]
    view = net.views.get(tensor)
    if isinstance(view, Flattened) and tensor not in net.producer:
        C, H, W = view.chw
        if view.order == "onnx":  # columns c, h, w (w fastest) -> MATLAB's c, w, h (h fastest)
            weights = weights.reshape(-1, C, H, W).transpose(0, 1, 3, 2).reshape(-1, C * H * W)
        tensor = view.source
    elif net.rank(tensor) != 2:
        _refuse(node, f"input {tensor!r} must be N x K or flattened; got size {net.shapes.get(tensor)}")
    layer = L.fullyConnectedLayer(weights.shape[0], Weights=weights, Bias=bias.reshape(-1, 1))
    name = net.add(layer, [tensor], node.output[0], _hint(node))
    if node.op_type == "MatMul":
        net.from_matmul.add(name)


def _normalization(net, node, attributes):
    """Sub (zerocenter), then Div (zscore), then Sub of 1 (rescale-symmetric) right after the graph input."""
    data, operand = node.input
    layer_name = net.producer.get(data)
    layer = net.layers.get(layer_name)
    if operand not in net.constants or not isinstance(layer, (L.ImageInputLayer, L.FeatureInputLayer)) \
            or net.readers.get(data, 0) != 1:
        _refuse(node, "Sub and Div import only as the input normalisation: constants right after the graph input")
    value = net.constant(node, 1, "the constant")
    stat = value.reshape((1,) * (4 - value.ndim) + value.shape)[0].transpose(1, 2, 0) \
        if isinstance(layer, L.ImageInputLayer) else value.reshape(-1, 1)
    mode = layer.Normalization
    if node.op_type == "Sub" and mode == "none":
        changes = dict(Normalization="zerocenter", Mean=stat)
    elif node.op_type == "Div" and mode == "zerocenter":
        changes = dict(Normalization="zscore", StandardDeviation=stat)
    elif node.op_type == "Sub" and mode == "zscore" and np.all(value == 1):
        changes = dict(Normalization="rescale-symmetric", Min=layer.Mean, Max=layer.Mean + 2 * layer.StandardDeviation)
    else:
        _refuse(node, f"this normalisation step does not follow the ones minidl writes (after {mode!r})")
    net.layers[layer_name] = _input_layer(layer, changes)
    net.alias(node.output[0], data)


def _input_layer(layer, changes):
    values = {name: getattr(layer, name) for name in ("Normalization", "Mean", "StandardDeviation", "Min", "Max")}
    values.update(changes)
    if values["Normalization"] == "rescale-symmetric":
        values["Mean"] = values["StandardDeviation"] = None
    size = layer.InputSize
    return type(layer)(size, Name=layer.Name, **values)


IMPORTERS = {
    "Conv": _conv,
    "BatchNormalization": _batch_normalization,
    "GroupNormalization": _group_normalization,
    "Relu": _layer_row(lambda node, a: L.reluLayer()),
    "LeakyRelu": _layer_row(lambda node, a: L.leakyReluLayer(float(a.get("alpha", 0.01)))),
    "MaxPool": _layer_row(_max_pool),
    "AveragePool": _layer_row(_average_pool),
    "GlobalAveragePool": _layer_row(lambda node, a: L.globalAveragePooling2dLayer()),
    "Softmax": _softmax,
    "Dropout": _dropout,
    "Identity": _identity,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Gemm": _fully_connected,
    "MatMul": _fully_connected,
    "Add": _add,
    "Sum": _add,
    "Concat": _concat,
    "Sub": _normalization,
    "Div": _normalization,
}


def _attributes(node, helper):
    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _read_model(filename, onnx):
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"importNetworkFromONNX: filename must be a string or path; got {type(filename).__name__}")
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"importNetworkFromONNX: no file {str(filename)!r}")
    try:
        model = onnx.load(filename)
        onnx.checker.check_model(model)
    except Exception as err:  # protobuf's DecodeError, the checker's ValidationError, ...
        raise ValueError(f"importNetworkFromONNX: {str(filename)!r} is not a valid ONNX model "
                         f"({type(err).__name__}: {str(err).strip() or 'unreadable'})") from None
    if not model.graph.node:
        raise ValueError(f"importNetworkFromONNX: {str(filename)!r} is not a valid ONNX model (its graph is empty)")
    versions = {entry.domain: entry.version for entry in model.opset_import}
    opset = versions.get("", versions.get("ai.onnx"))
    if opset is None or opset < MIN_OPSET:
        raise ValueError(f"importNetworkFromONNX: the model uses ONNX opset {opset}; minidl reads opset "
                         f"{MIN_OPSET} and newer (re-export it with a newer opset, or convert it with "
                         "onnx.version_converter)")
    return model, opset


def _shapes(graph):
    shapes = {}
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        if not info.type.tensor_type.HasField("shape"):
            continue
        dims = info.type.tensor_type.shape.dim
        shapes[info.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


SIZE_KEEPING = {"GroupNormalization", "BatchNormalization", "Relu", "LeakyRelu", "Dropout", "Identity", "Softmax"}


def _inferred_shapes(onnx, model):
    """Sizes of the tensors: onnx's shape inference, carried across the operators above that keep their
    input's size where it stops (it infers nothing for GroupNormalization-21, a function operator)."""
    from onnx import TensorProto, helper
    for _ in range(len(model.graph.node) + 1):
        model = onnx.shape_inference.infer_shapes(model)
        shapes = _shapes(model.graph)
        stuck = [node for node in model.graph.node if node.op_type in SIZE_KEEPING and node.input[0] in shapes
                 and node.output[0] not in shapes]
        if not stuck:
            return shapes
        for node in stuck:
            dims = [n if n is not None else "N" for n in shapes[node.input[0]]]
            model.graph.value_info.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, dims))
    return shapes


def _fold_constants(graph, shapes, constants):
    """Constants of every node whose inputs are all known; returns the nodes left to import."""
    from onnx.reference import ReferenceEvaluator
    left = []
    for node in graph.node:
        inputs = [name for name in node.input if name]
        if node.op_type == "Shape" and len(inputs) == 1:
            shape = shapes.get(inputs[0])
            if shape is not None and all(n is not None for n in shape[1:]):
                constants[node.output[0]] = np.array([0] + shape[1:], dtype=np.int64)
                continue
        elif all(name in constants for name in inputs):
            try:
                results = ReferenceEvaluator(node).run(None, {name: constants[name] for name in inputs})
            except Exception:  # the reference evaluator cannot run it: the operator table judges the node
                left.append(node)
                continue
            constants.update(zip(node.output, results))
            continue
        left.append(node)
    return left


def importNetworkFromONNX(filename):
    """A dlnetwork computing what the ONNX model in ``filename`` computes (inference form).

    The graph inputs (float, N x C x H x W or N x C, the batch size free) become
    imageInputLayer / featureInputLayer named as they are; the network is an ordinary
    dlnetwork (display, forward/predict, training, minidl.save, taylorPrunableNetwork).
    Raises FileNotFoundError for a missing file, ValueError for a file that is not a valid
    model, an opset older than 8, or operators minidl does not import (all listed at once).
    """
    onnx = require("onnx")
    from onnx import helper, numpy_helper
    model, opset = _read_model(filename, onnx)
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    nodes = _fold_constants(graph, _inferred_shapes(onnx, model), constants)
    # Sizes again with the folded constants in place, so they are known after a folded Reshape too.
    used = {name for node in nodes for name in node.input if name in constants}
    folded = helper.make_graph(nodes, graph.name, [i for i in graph.input if i.name not in constants], graph.output,
                               [numpy_helper.from_array(np.asarray(constants[name]), name) for name in sorted(used)])
    folded = helper.make_model(folded, opset_imports=model.opset_import, ir_version=model.ir_version)
    shapes = _inferred_shapes(onnx, folded)
    unsupported = sorted({node.op_type for node in nodes
                          if node.op_type not in IMPORTERS or node.domain not in ("", "ai.onnx")})
    if unsupported:
        raise ValueError(f"importNetworkFromONNX: operators minidl does not import: {', '.join(unsupported)} "
                         f"(it imports {', '.join(sorted(IMPORTERS))})")
    net = Network(graph, shapes, constants, opset)
    for info in graph.input:
        if info.name in constants:
            continue
        _add_input(net, info, shapes[info.name])
    try:
        for node in nodes:
            IMPORTERS[node.op_type](net, node, _attributes(node, helper))
        output_names = [net.source(output.name) for output in graph.output]
    except (ValueError, TypeError) as err:
        raise ValueError(f"importNetworkFromONNX: {err}") from err
    result = dlnetwork()
    for layer in net.layers.values():
        result = addLayers(result, layer)
    for source, destination in net.links:
        result = connectLayers(result, source, destination)
    return dlnetwork(result, OutputNames=output_names)


def _add_input(net, info, shape):
    from onnx import TensorProto
    if info.type.tensor_type.elem_type not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        raise ValueError(f"importNetworkFromONNX: input {info.name!r} is not floating-point data")
    if len(shape) == 4 and all(n is not None for n in shape[1:]):
        layer = L.imageInputLayer([shape[2], shape[3], shape[1]], Normalization="none")
    elif len(shape) == 2 and shape[1] is not None:
        layer = L.featureInputLayer(shape[1])
    else:
        raise ValueError(f"importNetworkFromONNX: input {info.name!r} has size {shape}; minidl imports "
                         "N x C x H x W images or N x C features with known C, H, W")
    name = net.unique(info.name)
    net.layers[name] = layer.copy(Name=name)
    net.producer[info.name] = name
