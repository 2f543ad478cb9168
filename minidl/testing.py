"""Gradient checks against float64 central finite differences, for op tests.

``gradcheck(fun, *inputs)`` compares dlfeval+dlgradient with finite differences;
``gradgradcheck(fun, *inputs)`` does the same for the second derivative traced with
``EnableHigherDerivatives=True``. ``fun`` takes dlarrays and returns a dlarray; a
non-scalar result Y is reduced to the scalar ``sum(Y .* R)`` with a fixed random R.
"""
import numpy as np

from .autodiff import dlfeval, dlgradient
from .backend import array_module, to_device
from .dlarray import dlarray


def _rng(generator):
    if isinstance(generator, np.random.Generator):
        return generator
    return np.random.default_rng(0 if generator is None else generator)


def _as_inputs(inputs):
    """Inputs as float64 dlarrays holding private copies (so a buggy op cannot alter the caller's data), on the
    device of the dlarray inputs (NumPy arrays join them there, as operands of the ops do)."""
    xp = array_module(*[x.data for x in inputs if isinstance(x, dlarray)])
    out = []
    for k, x in enumerate(inputs):
        if isinstance(x, dlarray):
            data, fmt = x.data, x.fmt
        elif isinstance(x, np.ndarray):
            data, fmt = x, ""
        else:
            raise TypeError(f"gradcheck: input {k} must be a dlarray or a NumPy array; got {type(x).__name__}")
        if data.dtype.kind != "f":
            raise TypeError(f"gradcheck: input {k} must be floating point; got {data.dtype}")
        out.append(dlarray._wrap(xp.array(data, dtype=np.float64), fmt))
    return out


def _like(x, host):
    """A host array (a random direction or projection) on the device of ``x``."""
    return array_module(x).asarray(host)


def _with_data(xs, datas):
    return [dlarray._wrap(d, x.fmt) for x, d in zip(xs, datas)]


class _Scalarised:
    """``fun`` made scalar: the value itself, or sum(Y .* R) with R fixed at the first call."""

    def __init__(self, fun, rng):
        self.fun, self.rng, self.R = fun, rng, None

    def __call__(self, *xs):
        from .ops.reduce import sum as dlsum
        y = self.fun(*xs)
        if not isinstance(y, dlarray):
            raise TypeError(f"gradcheck: fun must return a dlarray; got {type(y).__name__}")
        if y.size == 1:
            return dlsum(y, "all") if y.ndim else y
        if self.R is None:
            self.R = self.rng.standard_normal(y.shape)
        return dlsum(y * dlarray._wrap(_like(y.data, self.R), y.fmt), "all")

    def value(self, xs):
        return float(to_device(self(*xs).data, "cpu"))


def _gradients(f, xs, higher=False):
    def inner(*args):
        y = f(*args)
        return y, dlgradient(y, list(args), EnableHigherDerivatives=higher)
    _, grads = dlfeval(inner, *xs)
    for k, (x, g) in enumerate(zip(xs, grads)):
        if not isinstance(g, dlarray) or g.shape != x.shape or g.fmt != x.fmt:
            raise AssertionError(f"gradient {k} has shape {getattr(g, 'shape', None)} and format "
                                 f"{getattr(g, 'fmt', None)!r}; input has {x.shape} and {x.fmt!r}")
    return [to_device(g.data, "cpu").astype(np.float64) for g in grads]  # compared on the host


def _close(numeric, analytic, rtol, atol):
    numeric, analytic = np.asarray(numeric), np.asarray(analytic)
    return np.abs(numeric - analytic) <= atol + rtol * np.maximum(np.abs(numeric), np.abs(analytic))


def _mismatch(what, numeric, analytic):
    numeric, analytic = np.asarray(numeric), np.asarray(analytic)
    err = np.abs(numeric - analytic)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    return (f"{what}: finite differences and dlgradient disagree; worst at index {worst}: "
            f"numeric {float(numeric[worst]):.10g}, analytic {float(analytic[worst]):.10g} "
            f"(abs error {float(err[worst]):.3g})\n"
            f"numeric:\n{numeric}\nanalytic:\n{analytic}")


def gradcheck(fun, *inputs, rtol=1e-5, atol=1e-7, eps=1e-6, generator=None, elementwise=False):
    """Check dlgradient of ``fun`` at ``inputs`` against central differences in float64.

    Inputs (dlarrays or NumPy arrays) are copied to float64 first. By default one
    random direction over all inputs is checked; ``elementwise=True`` checks every
    partial derivative (use for tiny shapes). ``generator`` is a seed or a NumPy
    Generator (default seed 0). Raises AssertionError on a mismatch, else returns True.
    """
    rng = _rng(generator)
    xs = _as_inputs(inputs)
    f = _Scalarised(fun, rng)
    grads = _gradients(f, xs)
    base = [x.data for x in xs]

    def numeric_along(direction):
        plus = f.value(_with_data(xs, [b + eps * _like(b, d) for b, d in zip(base, direction)]))
        minus = f.value(_with_data(xs, [b - eps * _like(b, d) for b, d in zip(base, direction)]))
        return (plus - minus) / (2 * eps)

    if not elementwise:
        direction = [rng.standard_normal(b.shape) for b in base]
        numeric = numeric_along(direction)
        analytic = float(sum(np.sum(g * d) for g, d in zip(grads, direction)))
        if not _close(numeric, analytic, rtol, atol):
            raise AssertionError(_mismatch("directional derivative", numeric, analytic))
        return True
    for k, (b, g) in enumerate(zip(base, grads)):
        numeric = np.zeros(b.shape)
        for i in np.ndindex(b.shape):
            direction = [np.zeros(c.shape) for c in base]
            direction[k][i] = 1.0
            numeric[i] = numeric_along(direction)
        if not np.all(_close(numeric, g, rtol, atol)):
            raise AssertionError(_mismatch(f"gradient of input {k}", numeric, g))
    return True


def gradgradcheck(fun, *inputs, rtol=1e-5, atol=1e-7, eps=1e-6, generator=None):
    """Check second derivatives: the gradient of <dlgradient(f, x), v>, traced with
    EnableHigherDerivatives=True, against central differences of the first gradient
    along v (both are the Hessian-vector product H v). Returns True or raises AssertionError.
    """
    rng = _rng(generator)
    xs = _as_inputs(inputs)
    f = _Scalarised(fun, rng)
    f.value(xs)  # fixes the projection R before anything else draws from rng
    base = [x.data for x in xs]
    v = [rng.standard_normal(b.shape) for b in base]

    def grad_dot_v(*args):
        from .ops.reduce import sum as dlsum
        y = f(*args)
        gs = dlgradient(y, list(args), EnableHigherDerivatives=True)
        total = 0
        for g, vk, x in zip(gs, v, args):
            # 0 * sum(x) keeps the value traced when the gradient is constant (zero Hessian).
            total = total + dlsum(g * dlarray._wrap(_like(x.data, vk), x.fmt), "all") + 0 * dlsum(x, "all")
        return total

    hv = _gradients(grad_dot_v, xs)
    g_plus = _gradients(f, _with_data(xs, [b + eps * _like(b, d) for b, d in zip(base, v)]))
    g_minus = _gradients(f, _with_data(xs, [b - eps * _like(b, d) for b, d in zip(base, v)]))
    for k, (gp, gm, h) in enumerate(zip(g_plus, g_minus, hv)):
        numeric = (gp - gm) / (2 * eps)
        if not np.all(_close(numeric, h, rtol, atol)):
            raise AssertionError(_mismatch(f"Hessian-vector product for input {k}", numeric, h))
    return True
