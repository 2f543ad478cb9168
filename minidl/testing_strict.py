"""A strict stand-in for CuPy, so the device path of minidl is tested on machines without a GPU.

``xp`` is a module-like namespace whose functions compute with NumPy on a private host buffer
and return :class:`StrictArray`, an array that refuses what ``cupy.ndarray`` refuses:

* implicit conversion to NumPy: ``np.asarray(a)``, ``np.array(a)``, ``np.float32(a)`` raise TypeError
  (CuPy's message); the explicit copies ``a.get()`` and ``xp.asnumpy(a)`` work;
* NumPy functions and ufuncs on it (``np.exp(a)``, ``np.sum(a)``, ``np.add.at(a, ...)``) raise
  TypeError, apart from the shape queries ``np.ndim``, ``np.shape``, ``np.size``. CuPy itself
  runs the NumPy functions it also implements, but device code must take them from
  ``xp = array_module(x)``, so the stand-in is stricter here on purpose;
* NumPy arrays as operands (``a + ndarray``, ``xp.where(mask, ndarray, a)``) raise TypeError as in
  CuPy; Python and NumPy scalars are fine. Only ``xp.asarray``/``xp.array`` accept host arrays,
  and indices may be host arrays or lists (CuPy copies them over). Writing a host array into one
  (``a[k] = ndarray``) is refused, stricter than CuPy for advanced indices;
* every result, reductions and ``a[i, j]`` included, is a StrictArray (0-d where NumPy gives a
  scalar), as CuPy keeps results on the device. ``float(a)``, ``bool(a)``, ``a.item()`` and
  ``a.tolist()`` copy to the host, as in CuPy.

``minidl.backend.array_module`` returns ``xp`` for these arrays (``__array_namespace_module__``).
The device kernels in ``minidl.kernels`` are CUDA code; inside :func:`host_kernels` they run as
their NumPy versions behind an explicit host round-trip (see there), so only the kernels
themselves escape the check and everything around them still computes on StrictArrays.
"""
import contextlib
import numbers
import sys
import types

import numpy as np

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")
_SHAPE_QUERIES = {np.ndim, np.shape, np.size}


def _host(x, scalars_only=False):
    """The NumPy value behind one operand; host arrays are refused as CuPy refuses them."""
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}: a NumPy array mixed with device arrays; "
                        "move it with xp.asarray first")
    if isinstance(x, (list, tuple)) and not scalars_only:
        return type(x)(_host(v) for v in x)
    if isinstance(x, dict) and not scalars_only:
        return {k: _host(v) for k, v in x.items()}
    return x


def _device(result):
    """NumPy results back as StrictArrays (NumPy scalars as 0-d arrays)."""
    if isinstance(result, (np.ndarray, np.generic)):
        return StrictArray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_device(r) for r in result)
    if isinstance(result, list):
        return [_device(r) for r in result]
    return result


_counter = [0]


def created():
    """How many StrictArrays have been made so far (the test suite counts the tests that made any)."""
    return _counter[0]


class StrictArray:
    """Device-array stand-in: a private NumPy buffer behind CuPy's refusals (see the module)."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # NumPy ufuncs refuse it; ndarray (op) StrictArray calls our reflected op
    __hash__ = None

    def __init__(self, host):
        self._a = host
        _counter[0] += 1

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_function__(self, func, types_, args, kwargs):
        if func in _SHAPE_QUERIES:
            return func._implementation(*args, **kwargs)
        raise TypeError(f"numpy.{func.__name__} called on a device array: take it from xp = array_module(x)")

    # -- host copies, as in CuPy --------------------------------------------
    def get(self):
        return self._a.copy()

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __repr__(self):
        return f"StrictArray({self._a!r})"

    # -- metadata -------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (StrictArray(row) for row in self._a)

    # -- indexing -------------------------------------------------------------
    @staticmethod
    def _key(key):
        parts = key if isinstance(key, tuple) else (key,)
        parts = tuple(k._a if isinstance(k, StrictArray) else k for k in parts)  # host indices are allowed
        return parts if isinstance(key, tuple) else parts[0]

    def __getitem__(self, key):
        return _device(self._a[self._key(key)])

    def __setitem__(self, key, value):
        self._a[self._key(key)] = _host(value, scalars_only=True)


def _method(name):
    def method(self, *args, **kwargs):
        return _device(getattr(self._a, name)(*_host(args), **_host(kwargs)))
    method.__name__ = name
    return method


for _name in ("reshape", "transpose", "astype", "copy", "ravel", "flatten", "squeeze", "swapaxes", "view",
              "sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all", "var", "std",
              "cumsum", "clip", "round", "dot", "take", "repeat", "nonzero", "fill", "conj"):
    setattr(StrictArray, _name, _method(_name))


def _operator(name):
    def op(self, other):
        if isinstance(other, np.ndarray):
            _host(other)  # raises
        if not isinstance(other, (StrictArray, numbers.Number, np.generic)):
            return NotImplemented  # e.g. a dlarray, whose reflected operator takes over
        return _device(getattr(self._a, name)(_host(other)))
    op.__name__ = name
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift"):
    setattr(StrictArray, f"__{_name}__", _operator(f"__{_name}__"))
    setattr(StrictArray, f"__r{_name}__", _operator(f"__r{_name}__"))
    setattr(StrictArray, f"__i{_name}__", _operator(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StrictArray, f"__{_name}__", _operator(f"__{_name}__"))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StrictArray, f"__{_name}__", (lambda n: lambda self: _device(getattr(self._a, n)()))(f"__{_name}__"))


class _Function:
    """A NumPy function or ufunc seen from the device side: device arrays in and out."""

    def __init__(self, fn, accepts_host):
        self._fn, self._accepts_host = fn, accepts_host
        self.__name__ = getattr(fn, "__name__", repr(fn))

    def __call__(self, *args, **kwargs):
        if self._accepts_host:
            args = tuple(a._a if isinstance(a, StrictArray) else a for a in args)
        else:
            args, kwargs = _host(args), _host(kwargs)
        return _device(self._fn(*args, **kwargs))

    def __getattr__(self, name):  # ufunc methods: reduce, outer, at, ...
        return _Function(getattr(self._fn, name), False)

    def __repr__(self):
        return f"<strict {self.__name__}>"


class _Namespace(types.ModuleType):
    """NumPy's names with device semantics: functions wrapped, types and constants as they are."""

    def __init__(self, name, numpy_module):
        super().__init__(name, f"Strict device stand-in for {numpy_module.__name__}.")
        self._numpy = numpy_module

    def __getattr__(self, name):
        value = getattr(self._numpy, name)
        if isinstance(value, types.ModuleType):
            value = _Namespace(f"{self.__name__}.{name}", value)
        elif callable(value) and not isinstance(value, type):
            value = _Function(value, name in ("asarray", "array"))
        setattr(self, name, value)  # cache
        return value


xp = _Namespace(f"{__name__}.xp", np)
xp.ndarray = StrictArray
xp.asnumpy = lambda a: a.get() if isinstance(a, StrictArray) else np.asarray(a)
StrictArray.__array_namespace_module__ = xp


def asarray(a, dtype=None):
    """``a`` copied to the stand-in device (as ``cupy.asarray``)."""
    return xp.asarray(a, dtype=dtype)


def _moved(value, kind, move):
    """``value`` with ``move`` applied to every ``kind`` array in it (inside plain tuples too)."""
    if type(value) is tuple:
        return tuple(_moved(v, kind, move) for v in value)
    return move(value) if isinstance(value, kind) else value


def _host_pick(original):
    def pick(data, numpy_version, cupy_version):
        if not isinstance(data, StrictArray):
            return original(data, numpy_version, cupy_version)
        return lambda *args: _moved(numpy_version(*_moved(args, StrictArray, StrictArray.get)), np.ndarray, asarray)
    return pick


def _scatter_add(out, key, values):
    """cupyx.scatter_add on the stand-in: adds in place into the device buffer of ``out``."""
    if not isinstance(out, StrictArray):
        raise TypeError(f"cupyx.scatter_add needs a device array; got {type(out).__name__}")
    np.add.at(out._a, StrictArray._key(key), _host(values, scalars_only=True))


@contextlib.contextmanager
def host_kernels():
    """Inside this block minidl's device kernels accept StrictArrays.

    im2col/col2im (``minidl.kernels.im2col``) and the batch-norm kernels (``minidl.kernels.batchnorm``)
    dispatch StrictArrays to their NumPy versions with an explicit round-trip: every array argument
    through ``.get()``, every array result back through ``xp.asarray``; ``minidl.kernels.scatter``
    takes its CuPy branch and finds a ``cupyx`` whose ``scatter_add`` adds into the device buffer.
    What this leaves unchecked is the CuPy side of those kernels: the ElementwiseKernel calls in
    their ``_*_cupy`` functions (the C bodies are compiled on the CPU by tests/kernels/test_kernels_c.py and
    tests/kernels/test_kernels_batchnorm_c.py, which also runs the batch-norm ``_*_cupy`` functions with
    them) and the real ``cupyx.scatter_add``.
    """
    from .kernels import dispatch
    original_pick = dispatch.pick
    original_cupyx = sys.modules.get("cupyx")
    dispatch.pick = _host_pick(original_pick)
    sys.modules["cupyx"] = types.SimpleNamespace(scatter_add=_scatter_add)
    try:
        yield
    finally:
        dispatch.pick = original_pick
        if original_cupyx is None:
            sys.modules.pop("cupyx", None)
        else:
            sys.modules["cupyx"] = original_cupyx
