"""minibatchqueue: mini-batches from a datastore, preprocessed, cast and wrapped as dlarrays."""
import numpy as np

from .._namevalue import namevalue
from ..backend import array_module, gpu_available, to_device
from ..dlarray import dlarray
from ..formats import parse_format
from ..validate import NUMERIC_TYPES, flag, numeric_type, option, positive_int
from .categorical import categorical
from .concat import cat
from .datastore import Datastore
from .onehot import onehotencode

_DLARRAY_CASTS = ("single", "double", "logical")  # the only types a dlarray holds


class minibatchqueue:
    """Mini-batches from ``ds`` (an imageDatastore or augmentedImageDatastore).

    ``next()`` (or the builtin ``next(mbq)``) reads ``MiniBatchSize``
    observations, passes one list per datastore variable to ``MiniBatchFcn``
    (images as arrays, labels as scalar categoricals), then casts each output
    to ``OutputCast``, moves it with ``OutputEnvironment`` and wraps it as a
    dlarray with its ``MiniBatchFormat`` entry ("" = unformatted). It returns
    one output, or a tuple when there are several. Categorical outputs are
    returned as they are. When exhausted it raises RuntimeError (never
    StopIteration); check ``hasdata()`` first.

    Without ``MiniBatchFcn``, images are stacked along dimension 4 (HxWxCxN)
    and categorical labels become a KxN one-hot array over all categories.
    ``NumOutputs`` defaults to the number of datastore variables (an
    imageDatastore has one: its images; an augmentedImageDatastore two: input
    and response); pass it when ``MiniBatchFcn`` returns a different number.
    """

    @namevalue
    def __init__(self, ds, NumOutputs=None, *, MiniBatchSize=128, MiniBatchFcn=None, MiniBatchFormat=None,
                 PartialMiniBatch="return", OutputCast="single", OutputAsDlarray=True,
                 OutputEnvironment="auto"):
        if not isinstance(ds, Datastore):
            raise TypeError(f"ds must be an imageDatastore or augmentedImageDatastore; got {type(ds).__name__}")
        if MiniBatchFcn is not None and not callable(MiniBatchFcn):
            raise TypeError(f"MiniBatchFcn must be a function or None; got {type(MiniBatchFcn).__name__}")
        n = len(ds._variables()) if NumOutputs is None else positive_int(NumOutputs, "NumOutputs")
        self._size = positive_int(MiniBatchSize, "MiniBatchSize")
        self._fcn = MiniBatchFcn
        self._partial = option(PartialMiniBatch, "PartialMiniBatch", ("return", "discard"))
        self._formats = _per_output(MiniBatchFormat, "MiniBatchFormat", n, parse_format, default="",
                                    broadcast=False)
        self._casts = _per_output(OutputCast, "OutputCast", n, numeric_type)
        self._as_dlarray = _per_output(OutputAsDlarray, "OutputAsDlarray", n, flag)
        self._environments = _per_output(OutputEnvironment, "OutputEnvironment", n,
                                         lambda v, name: option(v, name, ("auto", "cpu", "gpu")))
        for k, (as_dl, cast) in enumerate(zip(self._as_dlarray, self._casts), start=1):
            if as_dl and cast not in _DLARRAY_CASTS:
                raise ValueError(f"OutputCast {cast!r} for output {k} cannot be held in a dlarray; use one of "
                                 f"{_DLARRAY_CASTS} or OutputAsDlarray=False for that output")
        if "gpu" in self._environments and not gpu_available():
            raise RuntimeError("OutputEnvironment='gpu' needs CuPy and a CUDA device; none was found")
        self._ds = ds.copy()  # our own read position; the caller's datastore is left alone
        self._ds.reset()

    MiniBatchSize = property(lambda self: self._size)
    NumOutputs = property(lambda self: len(self._formats))
    MiniBatchFcn = property(lambda self: self._fcn)
    MiniBatchFormat = property(lambda self: list(self._formats))
    PartialMiniBatch = property(lambda self: self._partial)
    OutputCast = property(lambda self: list(self._casts))
    OutputAsDlarray = property(lambda self: list(self._as_dlarray))
    OutputEnvironment = property(lambda self: list(self._environments))

    def hasdata(self):
        """True while another mini-batch can be returned (a full one if PartialMiniBatch is "discard")."""
        left = self._ds.NumObservations - self._ds._position
        return left >= self._size if self._partial == "discard" else left > 0

    def reset(self):
        """Start again from the first observation, in the current order."""
        self._ds.reset()

    def shuffle(self, generator=None):
        """Start again with the observations in a new random order."""
        self._ds = self._ds.shuffle(generator)

    def next(self, generator=None):
        """The next mini-batch: one output, or a tuple of NumOutputs outputs."""
        if not self.hasdata():
            raise RuntimeError("minibatchqueue has no more mini-batches; call reset() or shuffle() to start "
                               "another pass, and check hasdata() before next()")
        start = self._ds._position
        try:
            variables = [list(v) for v in self._ds._take(self._size, generator)]
            outputs = self._fcn(*variables) if self._fcn is not None else tuple(_collate(v) for v in variables)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            if len(outputs) != self.NumOutputs:
                raise ValueError(f"MiniBatchFcn returned {len(outputs)} outputs but NumOutputs is "
                                 f"{self.NumOutputs}; pass NumOutputs={len(outputs)} to minibatchqueue")
            converted = tuple(self._convert(k, out) for k, out in enumerate(outputs))
        except Exception:
            self._ds._position = start  # a failed call leaves the queue where it was
            raise
        return converted[0] if len(converted) == 1 else converted

    __next__ = next  # lets the builtin next(mbq) mirror MATLAB's next(mbq); there is no __iter__

    def _convert(self, k, output):
        if isinstance(output, categorical):
            return output
        data = output.data if isinstance(output, dlarray) else output
        data = array_module(data).asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"mini-batch output {k + 1} must be numeric or categorical; got {data.dtype}")
        data = to_device(data.astype(NUMERIC_TYPES[self._casts[k]], copy=False), self._environments[k])
        return dlarray(data, self._formats[k] or None) if self._as_dlarray[k] else data

    def __repr__(self):
        return (f"minibatchqueue with {self.NumOutputs} output(s) and properties:\n\n"
                f"    MiniBatchSize: {self._size}\n    PartialMiniBatch: {self._partial!r}\n"
                f"    MiniBatchFcn: {getattr(self._fcn, '__name__', 'collate')}\n"
                f"    MiniBatchFormat: {list(self._formats)}\n    OutputCast: {list(self._casts)}\n"
                f"    OutputAsDlarray: {list(self._as_dlarray)}\n"
                f"    OutputEnvironment: {list(self._environments)}\n")


def _collate(items):
    """Default mini-batch function for one variable: stack arrays, one-hot encode labels."""
    if isinstance(items[0], categorical):
        return onehotencode(cat(2, *items), 1)
    return cat(max(4, np.ndim(items[0]) + 1), *items)


def _per_output(value, name, n, check, default=None, broadcast=True):
    """One checked entry per output; a single value applies to all when ``broadcast``."""
    if value is None:
        value = default
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one entry per output: expected {n}, got {len(value)} "
                             f"({list(value)!r})")
        return tuple(check(v, name) for v in value)
    if not broadcast and value != default and n != 1:
        raise ValueError(f"{name} must have one entry per output: expected {n}, got 1 ({value!r})")
    return (check(value, name),) * n
