"""save/load of networks, dlarrays, categoricals and plain values as MATLAB .mat (v5) files via scipy.io.

Each variable becomes a MATLAB struct with two fields: ``json``, a description of the
value (types, formats, names, scalars, strings), and ``arrays``, a cell array with every
numeric array in it, stored with its own dtype - so loading restores the exact Python
types and every array bit for bit. A variable ``minidl_mat_version`` is written last;
a file without it was not written by :func:`save` or is truncated.

A layer initialiser given as a Python function cannot be stored: it loads as None
(the values it made are stored).
"""
import copy
import functools
import json
import numbers
import os
import re
import tempfile
from typing import Callable, NamedTuple

import numpy as np
import scipy.io

from .backend import array_module
from .dlarray import dlarray
from .pruning.network import TaylorPrunableNetwork
from .record import Record
from .table import Table

_MARKER = "minidl_mat_version"
_VERSION = 2


def _host(x):
    return x if array_module(x) is np else x.get()


class _Kind(NamedTuple):
    """One stored kind: its tag in the file, which values it holds, and the two directions.

    ``encode(value, where, arrays)`` gives the JSON-able fields (numeric arrays appended to
    ``arrays``); ``decode(tree, arrays)`` rebuilds the value from them.
    """
    tag: str
    holds: Callable
    encode: Callable
    decode: Callable


def _stored(data, arrays):
    """The fields of a numeric array, which goes into ``arrays``."""
    # Stored with its axes in memory order, so loading rebuilds the same layout (kernels that see the
    # same values in the same layout compute the same bits).
    data = _host(data)
    axes = sorted(range(data.ndim), key=lambda k: -data.strides[k])
    arrays.append(data.transpose(axes))
    return {"a": len(arrays) - 1, "shape": [data.shape[k] for k in axes], "axes": axes, "dtype": data.dtype.str}


def _restored(tree, arrays):
    data = np.asarray(arrays[tree["a"]]).reshape(tuple(tree["shape"]))
    axes = tree.get("axes", range(data.ndim))  # files from before layouts were kept hold C order
    return np.asarray(data, dtype=np.dtype(tree["dtype"]), order="C").transpose(np.argsort(axes))


def _numeric(data, where, what):
    if data.dtype.kind not in "biuf":
        raise TypeError(f"cannot save {where}: {what} of dtype {data.dtype} are not supported")
    return data


def _each(items, where, label, arrays):
    return [_encode(v, f"{where}{label(i)}", arrays) for i, v in enumerate(items)]


def _strings(value, where, arrays):
    value = np.asarray(value)
    return {"dtype": value.dtype.str, "shape": list(value.shape), "v": value.ravel().tolist()}


def _categorical_names(value, where, arrays):
    names = np.full(value.shape, "", dtype=object)  # "" marks an undefined element
    for name in value.categories:
        names[value == name] = name
    return {"categories": value.categories, "shape": list(value.shape), "names": names.ravel().tolist()}


def _categorical(tree, arrays):
    from .data.categorical import categorical
    names = np.empty(len(tree["names"]), dtype=object)
    names[:] = tree["names"]
    return categorical(names.reshape(tuple(tree["shape"])), categories=tree["categories"])


def _layer(tree, arrays):
    cls = _layer_classes().get(tree["class"])
    if cls is None:
        raise ValueError(f"the file holds a layer of class {tree['class']!r}, which this minidl does not have")
    layer = object.__new__(cls)
    for name, value in tree["attrs"].items():
        object.__setattr__(layer, name, _decode(value, arrays))
    _check_layer(layer)
    return layer


def _network_fields(value, where, arrays):
    graph = value.graph
    return {"layers": _each(graph.layers, where, lambda i: f".Layers[{i}]", arrays),
            "connections": [[s, sp, d, dp] for (s, sp), (d, dp) in graph.connections],
            "output_names": None if graph.chosen_output_names is None else list(graph.chosen_output_names),
            "initialized": value.Initialized}


def _network(tree, arrays):
    from .network import NetworkGraph, dlnetwork
    connections = [((s, sp), (d, dp)) for s, sp, d, dp in tree["connections"]]
    graph = NetworkGraph(_decode_each(tree["layers"], arrays), connections, tree["output_names"])
    net = dlnetwork.from_graph(graph, Initialized=tree["initialized"])
    if net.Initialized:
        _check_sizes(net)
    return net


def _decode_each(items, arrays):
    return [_decode(item, arrays) for item in items]


def _dict_items(value, where, arrays):
    if not all(isinstance(k, str) for k in value):
        raise TypeError(f"cannot save {where}: dict keys must be strings")
    return {"items": [[k, _encode(v, f"{where}[{k!r}]", arrays)] for k, v in value.items()]}


@functools.cache
def _kinds():
    """Every stored kind, in the order values are matched (bool before int, string arrays before arrays)."""
    from .data.categorical import categorical
    from .layers.base import Layer
    from .network.dlnetwork import dlnetwork

    def plain(tree, arrays):
        return tree["v"]

    def is_strings(v):
        return isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind == "U"  # e.g. saved class names

    return (
        _Kind("none", lambda v: v is None, lambda v, w, a: {}, lambda t, a: None),
        _Kind("dlarray", lambda v: isinstance(v, dlarray), lambda v, w, a: {"fmt": v.fmt, **_stored(v.data, a)},
              lambda t, a: dlarray._wrap(_restored(t, a), t["fmt"])),
        _Kind("strings", is_strings, _strings,
              lambda t, a: np.array(t["v"], dtype=np.dtype(t["dtype"])).reshape(tuple(t["shape"]))[()]),
        # NumPy scalars keep their exact type (np.float32 stays np.float32)
        _Kind("scalar", lambda v: isinstance(v, np.generic),
              lambda v, w, a: _stored(_numeric(np.asarray(v), w, "NumPy scalars"), a),
              lambda t, a: _restored(t, a)[()]),
        _Kind("bool", lambda v: isinstance(v, bool), lambda v, w, a: {"v": bool(v)}, plain),
        _Kind("int", lambda v: isinstance(v, numbers.Integral), lambda v, w, a: {"v": int(v)}, plain),
        _Kind("float", lambda v: isinstance(v, numbers.Real), lambda v, w, a: {"v": float(v)}, plain),
        _Kind("str", lambda v: isinstance(v, str), lambda v, w, a: {"v": v}, plain),
        _Kind("ndarray", lambda v: isinstance(v, np.ndarray) or array_module(v) is not np,
              lambda v, w, a: _stored(_numeric(v, w, "arrays"), a), _restored),
        _Kind("categorical", lambda v: isinstance(v, categorical), _categorical_names, _categorical),
        _Kind("dlnetwork", lambda v: isinstance(v, dlnetwork), _network_fields, _network),
        _Kind("layer", lambda v: isinstance(v, Layer),
              lambda v, w, a: {"class": type(v).__name__,
                               "attrs": {name: _layer_attribute(x, f"{w}.{name}", a) for name, x in vars(v).items()}},
              _layer),
        # Each column as one value, so categorical and array columns keep their type.
        _Kind("table", lambda v: isinstance(v, Table),
              lambda v, w, a: {"columns": [[name, _encode(v[name], f"{w}.{name}", a)] for name in v.VariableNames]},
              lambda t, a: Table(**{name: _decode(column, a) for name, column in t["columns"]})),
        _Kind("list", lambda v: isinstance(v, list), lambda v, w, a: {"items": _each(v, w, lambda i: f"[{i}]", a)},
              lambda t, a: _decode_each(t["items"], a)),
        _Kind("tuple", lambda v: isinstance(v, tuple), lambda v, w, a: {"items": _each(v, w, lambda i: f"[{i}]", a)},
              lambda t, a: tuple(_decode_each(t["items"], a))),
        _Kind("dict", lambda v: isinstance(v, dict), _dict_items,
              lambda t, a: {k: _decode(v, a) for k, v in t["items"]}),
    )


def _encode(value, where, arrays):
    """A JSON-able description of ``value``; its numeric arrays are appended to ``arrays``."""
    for kind in _kinds():
        if kind.holds(value):
            return {"t": kind.tag, **kind.encode(value, where, arrays)}
    hint = "; save dlnetwork(prunableNet) instead" if isinstance(value, TaylorPrunableNetwork) else ""
    raise TypeError(f"cannot save {where}: values of type {type(value).__name__} are not supported{hint}")


def _decode(tree, arrays):
    kind = _by_tag().get(tree["t"])
    if kind is None:
        raise ValueError(f"unknown stored kind {tree['t']!r}")
    return kind.decode(tree, arrays)


@functools.cache
def _by_tag():
    return {kind.tag: kind for kind in _kinds()}


def _layer_attribute(value, where, arrays):
    """A layer property; a function (custom initialiser, already used) cannot be stored and loads as None."""
    from .layers.base import Layer
    if callable(value) and not isinstance(value, (Layer, dlarray, np.ndarray)):
        return {"t": "none", "was": getattr(value, "__name__", "function")}
    return _encode(value, where, arrays)


def save(filename, **variables):
    """Save named variables to a .mat file: ``minidl.save("digitsCustom.mat", dlnet=net, classes=classes)``.

    Values: dlnetwork, layers, dlarray, NumPy arrays, categorical, Table, str, numbers, None,
    and lists/tuples/dicts of them. Everything is checked before the file is written.
    """
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"filename must be a path; got {type(filename).__name__}")
    if not variables:
        raise TypeError("save needs at least one variable, e.g. save(filename, dlnet=net)")
    contents = {}
    for name, value in variables.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", name) or name == _MARKER:
            raise ValueError(f"variable name {name!r} is not a valid MATLAB name (a letter, then letters, digits "
                             f"or underscores, at most 63 characters; not {_MARKER!r})")
        arrays = []
        tree = _encode(value, name, arrays)
        cell = np.empty((len(arrays),), dtype=object)
        for i, data in enumerate(arrays):
            cell[i] = data
        contents[name] = {"json": json.dumps(tree), "arrays": cell}
    contents[_MARKER] = _VERSION
    filename = os.fspath(filename)
    if not os.path.splitext(filename)[1]:
        filename += ".mat"  # as MATLAB's save: load("b") then finds it too
    _write_atomically(filename, lambda file: scipy.io.savemat(file, contents, do_compression=True,
                                                              oned_as="column"))


def _write_atomically(filename, write):
    """Run ``write(file)`` on a temporary file in the target's folder, flush and fsync it, then rename it
    over ``filename``: a failure on the way (disk full, a size limit) leaves the previous file as it was."""
    folder = os.path.dirname(os.path.abspath(filename))
    mode = os.stat(filename).st_mode & 0o777 if os.path.exists(filename) else _default_mode()
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(filename)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, filename)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _default_mode():
    """The permissions a plain open() would give a new file (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _check_layer(layer):
    """The constructor's checks on a loaded layer (values against hyperparameters), naming the layer.

    The check runs on a probe: the loaded layer itself keeps its arrays exactly as stored. A custom
    initialiser, which loads as None, stands as "zeros" in the probe (its values are stored)."""
    probe = copy.copy(layer)
    for name, value in vars(layer).items():
        if name.endswith("Initializer") and value is None:
            object.__setattr__(probe, name, "zeros")
    try:
        probe.checked()
    except (ValueError, TypeError) as err:
        raise ValueError(f"layer {layer.Name!r} ({layer.class_name}) is inconsistent: {err}") from None


def _check_sizes(net):
    """The check dlnetwork runs when it initialises: each layer's values fitting the sizes its neighbours give
    it (one example pass at batch size 1; from_graph has checked that every value is set)."""
    from .network import initialize
    if all(port is None for _, port in net.graph.inputs):  # inputs not fed by input layers need examples
        initialize(net)


def _layer_classes():
    from . import layers as _  # noqa: F401  (imports every layer class)
    from .layers.base import Layer
    found, todo = {}, [Layer]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def load(filename):
    """Load a file written by :func:`save`; returns a dict that also allows ``s.name``.

    Raises FileNotFoundError for a missing file and ValueError for a file that is not a
    readable .mat file, is truncated, or was not written by minidl.save.
    """
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"filename must be a path; got {type(filename).__name__}")
    filename = os.fspath(filename)
    if not os.path.isfile(filename) and not os.path.isfile(filename + ".mat"):
        raise FileNotFoundError(f"filename {filename!r} does not exist")
    try:
        raw = scipy.io.loadmat(filename, squeeze_me=False, struct_as_record=True, chars_as_strings=True)
    except Exception as err:  # scipy raises many types for damaged files
        raise ValueError(f"{filename!r} is not a readable .mat file (truncated or damaged?): {err}") from None
    names = [k for k in raw if not k.startswith("__")]
    if _MARKER not in raw:
        raise ValueError(f"{filename!r} was not written by minidl.save, or is truncated (variables: {sorted(names)}); "
                         "minidl.load reads only files that minidl.save wrote")
    version = np.asarray(raw[_MARKER]).ravel()
    if version.size != 1 or version[0] != _VERSION:
        raise ValueError(f"{filename!r} has minidl file version {version.tolist()}; this minidl reads version "
                         f"{_VERSION}")
    out = Record(missing="the file has no variable")
    for name in names:
        if name == _MARKER:
            continue
        try:
            struct = raw[name]
            text = str(np.asarray(struct["json"][0, 0]).ravel()[0])
            arrays = list(np.asarray(struct["arrays"][0, 0], dtype=object).ravel())
            out[name] = _decode(json.loads(text), arrays)
        except (KeyError, ValueError, TypeError, IndexError) as err:
            raise ValueError(f"{filename!r}: variable {name!r} is damaged or not minidl's: {err}") from None
    return out
