"""save/load of networks, dlarrays, categoricals and plain values as MATLAB .mat (v5) files via scipy.io.

Each value is stored with a small JSON "kind" tag beside it, so loading restores the
exact Python type, shape, dtype and format (bit-exact arrays).
"""
import json
import numbers
import os

import numpy as np
import scipy.io

from .backend import array_module
from .dlarray import dlarray

_MARKER = "minidl_mat_version"
_VERSION = 1


class MatFile(dict):
    """The variables of a loaded file: ``s["dlnet"]`` or ``s.dlnet``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the file has no variable {name!r}; it has {sorted(self)}") from None


def _host(x):
    return x if array_module(x) is np else x.get()


def _encode(value, where):
    """(kind, payload) for one value; payload is something scipy.io.savemat stores exactly."""
    from .data.categorical import categorical
    from .layers.base import Layer
    from .network.dlnetwork import dlnetwork
    if value is None:
        return {"t": "none"}, np.zeros((0, 0))
    if isinstance(value, dlarray):
        data = _host(value.data)
        return {"t": "dlarray", "fmt": value.fmt, "shape": list(data.shape)}, data
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool"}, np.array(bool(value))
    if isinstance(value, numbers.Integral):
        return {"t": "int"}, np.array(int(value), dtype=np.int64)
    if isinstance(value, numbers.Real):
        return {"t": "float"}, np.array(float(value))
    if isinstance(value, str):
        return {"t": "str"}, value
    if isinstance(value, np.ndarray) or array_module(value) is not np:
        data = _host(value)
        return {"t": "ndarray", "shape": list(data.shape), "dtype": str(data.dtype)}, data
    if isinstance(value, categorical):
        return ({"t": "categorical", "categories": list(value.categories)},
                np.array([str(v) for v in value.astype_str()], dtype=object))
    if isinstance(value, dlnetwork):
        return {"t": "dlnetwork"}, _encode_network(value, where)
    if isinstance(value, Layer):
        return {"t": "layer"}, _encode_layer(value, where)
    if isinstance(value, (list, tuple)):
        kinds, payloads = zip(*[_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]) if value else ((), ())
        cell = np.empty((len(value),), dtype=object)
        for i, p in enumerate(payloads):
            cell[i] = p
        return {"t": type(value).__name__, "items": list(kinds)}, cell
    if callable(value):
        # Function handles (custom initialisers) cannot be stored portably; the loaded layer has None.
        return {"t": "none", "was": getattr(value, "__name__", "callable")}, np.zeros((0, 0))
    raise TypeError(f"cannot save {where}: values of type {type(value).__name__} are not supported")


def _encode_layer(layer, where):
    fields = {"python_class": type(layer).__name__}
    kinds = {}
    for name, value in vars(layer).items():
        kinds[name], fields["p_" + name] = _encode(value, f"{where}.{name}")
    fields["kinds"] = json.dumps(kinds)
    return fields


def _encode_network(net, where):
    layers = np.empty((len(net._layers),), dtype=object)
    for i, layer in enumerate(net._layers):
        layers[i] = _encode_layer(layer, f"{where}.Layers[{i}]")
    connections = np.array([[s, sp, d, dp] for (s, sp), (d, dp) in net._connections], dtype=object)
    return {"Layers": layers, "Connections": connections.reshape(-1, 4),
            "OutputNames": json.dumps(net._output_names), "Initialized": bool(net._initialized)}


def save(filename, **variables):
    """Save named variables to a .mat file: ``minidl.save("digitsCustom.mat", dlnet=net, classes=classes)``."""
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"filename must be a path; got {type(filename).__name__}")
    if not variables:
        raise TypeError("save needs at least one variable, e.g. save(filename, dlnet=net)")
    contents = {_MARKER: _VERSION}
    kinds = {}
    for name, value in variables.items():
        if not name.isidentifier() or name.startswith("_") or name == _MARKER:
            raise ValueError(f"invalid variable name {name!r}")
        kinds[name], contents[name] = _encode(value, name)
    contents["minidl_kinds"] = json.dumps(kinds)
    scipy.io.savemat(os.fspath(filename), contents, do_compression=True, oned_as="column")


def _field(struct, name):
    value = struct[name] if isinstance(struct, dict) else getattr(struct, name)
    return value


def _text(payload):
    return str(np.asarray(payload).reshape(-1)[0]) if np.asarray(payload).size else ""


def _decode(kind, payload):
    from .data.categorical import categorical
    t = kind["t"]
    if t == "none":
        return None
    if t == "dlarray":
        return dlarray._wrap(np.asarray(payload).reshape(kind["shape"]), kind["fmt"])
    if t == "ndarray":
        return np.asarray(payload).reshape(kind["shape"]).astype(kind["dtype"], copy=False)
    if t == "bool":
        return bool(np.asarray(payload).reshape(-1)[0])
    if t == "int":
        return int(np.asarray(payload).reshape(-1)[0])
    if t == "float":
        return float(np.asarray(payload).reshape(-1)[0])
    if t == "str":
        return _text(payload) if not isinstance(payload, str) else payload
    if t == "categorical":
        values = [_text(v) for v in np.asarray(payload, dtype=object).reshape(-1)]
        return categorical(values, categories=kind["categories"])
    if t in ("list", "tuple"):
        cells = np.asarray(payload, dtype=object).reshape(-1)
        items = [_decode(k, p) for k, p in zip(kind["items"], cells)]
        return items if t == "list" else tuple(items)
    if t == "layer":
        return _decode_layer(payload)
    if t == "dlnetwork":
        return _decode_network(payload)
    raise ValueError(f"unknown stored kind {t!r}")


def _layer_classes():
    from . import layers as _  # noqa: F401  (registers every layer class)
    from .layers.base import Layer
    found, todo = {}, [Layer]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _decode_layer(struct):
    name = _text(_field(struct, "python_class"))
    cls = _layer_classes().get(name)
    if cls is None:
        raise ValueError(f"the file holds a layer of class {name!r}, which this minidl does not have")
    layer = object.__new__(cls)
    for attr, kind in json.loads(_text(_field(struct, "kinds"))).items():
        object.__setattr__(layer, attr, _decode(kind, _field(struct, "p_" + attr)))
    return layer


def _decode_network(struct):
    from .network.dlnetwork import dlnetwork
    layers = [_decode_layer(s) for s in np.asarray(_field(struct, "Layers"), dtype=object).reshape(-1)]
    rows = np.asarray(_field(struct, "Connections"), dtype=object).reshape(-1, 4)
    connections = [((_text(s), _text(sp)), (_text(d), _text(dp))) for s, sp, d, dp in rows]
    output_names = json.loads(_text(_field(struct, "OutputNames")))
    initialized = bool(np.asarray(_field(struct, "Initialized")).reshape(-1)[0])
    return dlnetwork._make(layers, connections, output_names, initialized)


def load(filename):
    """Load a file written by :func:`save`; returns a dict that also allows ``s.name``."""
    filename = os.fspath(filename)
    if not os.path.exists(filename):
        raise FileNotFoundError(f"filename {filename!r} does not exist")
    try:
        raw = scipy.io.loadmat(filename, squeeze_me=False, struct_as_record=False, chars_as_strings=True,
                               simplify_cells=True)
    except Exception as err:  # scipy raises several types for damaged files
        raise ValueError(f"{filename!r} is not a readable .mat file (truncated or damaged?): {err}") from None
    if _MARKER not in raw or "minidl_kinds" not in raw:
        names = sorted(k for k in raw if not k.startswith("__"))
        raise ValueError(f"{filename!r} was not written by minidl.save (variables: {names}); "
                         "minidl can only load networks it saved itself")
    try:
        kinds = json.loads(_text(raw["minidl_kinds"]))
        return MatFile({name: _decode(kind, raw[name]) for name, kind in kinds.items()})
    except (KeyError, ValueError, TypeError, IndexError) as err:
        raise ValueError(f"{filename!r} has damaged minidl contents: {err}") from None
