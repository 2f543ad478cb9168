"""Normalisation: batchnorm (plus its running-statistics update) and groupnorm.

Both centre X over some dimensions, divide by sqrt(variance + Epsilon) and apply a
per-channel scale and offset. Everything is composed of differentiable ops, so the
backward pass is itself traced and gradients of gradients work, except batchnorm's
training form: one op on the fused kernels of minidl.kernels.batchnorm, whose
first-order backward is fused too and whose higher derivatives go through the same
closed form written with differentiable ops.
"""
import math

import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..autodiff.trace import is_recording, record
from ..dlarray import dlarray
from ..formats import find_dims
from ..kernels import batchnorm as kernels
from . import activation
from ._util import as_dlarray, constant, require_dlarray
from .elementwise import _cast, sqrt
from .reduce import sum_over
from .shape import broadcast_to, reshape_raw

MIN_EPSILON = 1e-5  # MATLAB refuses smaller values


def checked_input(X, name, allowed="SCBTU"):
    """X as a non-empty float dlarray with a 'C' dimension; returns the 0-based channel axis."""
    validate.floating(require_dlarray(X, "X"), "X")
    channel = find_dims(X.fmt, "C")
    if not channel:
        raise ValueError(f"{name}: X must be a formatted dlarray with a 'C' (channel) dimension; "
                         f"its format is {X.fmt!r}")
    unsupported = sorted(set(X.fmt) - set(allowed))
    if unsupported:
        raise ValueError(f"{name}: X has format {X.fmt!r}; dimension labels {unsupported} are not supported here")
    if X.size == 0:
        raise ValueError(f"{name}: X is empty (size {X.shape}); it needs at least one observation")
    return channel[0]


def as_vector(p, n, like, argname, meaning):
    """p as a dlarray of shape (n,); accepts any array with n elements and at most one non-singleton dimension.

    The reshape is differentiable, so the gradient for p comes back in p's own shape.
    """
    p = as_dlarray(p, like=like, argname=argname)
    validate.floating(p, argname)
    if p.size != n or sum(d != 1 for d in p.shape) > 1:
        raise ValueError(f"{argname} must be a vector with {n} elements ({meaning}); got size {p.shape}")
    return reshape_raw(p, (n,), "")


def _per_channel(v, X, channel):
    """A channel vector shaped to broadcast against X along its channel axis."""
    shape = tuple(n if i == channel else 1 for i, n in enumerate(X.shape))
    return reshape_raw(v, shape, X.fmt)


def _centre(x, axes):
    """x minus its mean over ``axes``, that mean, and the biased variance (reduced axes kept as singletons).

    Two passes for the statistics (mean, then mean of squared deviations) stay
    accurate in float32, unlike E[x^2] - E[x]^2.
    """
    count = math.prod(x.shape[a] for a in axes)
    mu = sum_over(x, axes) / count
    xc = x - mu
    return xc, mu, sum_over(xc * xc, axes) / count


@namevalue
def batchnorm(X, offset, scaleFactor, trainedMean=None, trainedVariance=None, *, Epsilon=1e-5):
    """MATLAB's batchnorm: normalise each channel of X, then scale and offset it.

    Training form ``Y, mu, sigmaSq = batchnorm(X, offset, scaleFactor)``: per channel,
    the mean and the biased (divide by M) variance over every non-channel dimension
    (S, B, T, U) of X; ``Y = scaleFactor*(X - mu)/sqrt(sigmaSq + Epsilon) + offset``.
    mu and sigmaSq come back as dlarrays of the shape of ``offset``.

    Inference form ``Y = batchnorm(X, offset, scaleFactor, trainedMean, trainedVariance)``
    uses the given statistics instead. (MATLAB chooses by the number of outputs and can
    also update the running statistics inside this call; here that update is the
    separate :func:`batchnorm_running_update`.)

    offset, scaleFactor and the statistics are vectors of C elements in any orientation,
    e.g. (C,) or 1x1xC, as NumPy arrays or dlarrays; their gradients keep that shape.
    Epsilon must be >= 1e-5, as in MATLAB.
    """
    return _batchnorm(X, offset, scaleFactor, trainedMean, trainedVariance, Epsilon, False)


@namevalue
def batchnorm_relu(X, offset, scaleFactor, trainedMean=None, trainedVariance=None, *, Epsilon=1e-5):
    """``relu`` of :func:`batchnorm`'s Y (same arguments and results) in one pass each way: what a batch
    normalization layer whose output only a ReLU layer reads computes in a network. Not a MATLAB function."""
    return _batchnorm(X, offset, scaleFactor, trainedMean, trainedVariance, Epsilon, True)


def _batchnorm(X, offset, scaleFactor, trainedMean, trainedVariance, Epsilon, relu):
    name = "batchnorm"
    channel = checked_input(X, name)
    eps = validate.real(Epsilon, "Epsilon", MIN_EPSILON, where=name)
    C = X.shape[channel]
    if (trainedMean is None) != (trainedVariance is None):
        raise TypeError(f"{name}: give both trainedMean and trainedVariance (inference form) or neither (training form)")
    if trainedMean is not None:
        mean, factor, shift = inference_terms(C, X, offset, scaleFactor, trainedMean, trainedVariance, eps)
        if not is_recording() and all(v.dtype == X.dtype for v in (factor, shift, mean)):
            layout = kernels.Rows(X.data, channel)  # nothing to differentiate: one fused pass
            y = kernels.normalize(layout.rows(X.data), mean.data, factor.data, shift.data, relu)
            return dlarray._wrap(layout.restore(y), X.fmt)
        Y = ((X - _per_channel(mean, X, channel)) * _per_channel(factor, X, channel)
             + _per_channel(shift, X, channel))
        return activation.relu(Y) if relu else Y
    offset = as_dlarray(offset, like=X, argname="offset")
    scale = as_vector(scaleFactor, C, X, "scaleFactor", "one per channel of X")
    shift = as_vector(offset, C, X, "offset", "one per channel of X")
    Y, mean, var = _batchnorm_training(X, scale, shift, channel, eps, relu)
    return Y, reshape_raw(mean, offset.shape, ""), reshape_raw(var, offset.shape, "")


def inference_terms(C, like, offset, scaleFactor, trainedMean, trainedVariance, eps):
    """(mean, factor, shift), (C,) dlarrays on the device of the dlarray ``like``: the inference form is
    ``(X - mean)*factor + shift``, the scale folded into 1/sqrt(var + eps) on the small per-channel
    arrays (which saves a pass over X)."""
    scale = as_vector(scaleFactor, C, like, "scaleFactor", "one per channel of X")
    shift = as_vector(offset, C, like, "offset", "one per channel of X")
    mean = as_vector(trainedMean, C, like, "trainedMean", "one per channel of X")
    var = as_vector(trainedVariance, C, like, "trainedVariance", "one per channel of X")
    return mean, scale / sqrt(var + eps), shift


def _batchnorm_training(X, scale, shift, channel, eps, relu):
    """Y (or relu(Y)) and the (C,) batch mean and variance, each one recorded op over the fused kernels.

    The arithmetic runs in X's type; Y then takes MATLAB's result type (single if any
    operand is single), as the composed form would give.
    """
    dtype = np.float32 if np.float32 in (X.dtype, scale.dtype, shift.dtype) else np.float64
    scale, shift = _cast(scale, X.dtype), _cast(shift, X.dtype)
    layout = kernels.Rows(X.data, channel)
    y, mean, var, saved = kernels.forward(layout.rows(X.data), scale.data, shift.data, eps, relu)
    M = X.size // X.shape[channel]

    def vjp(g):
        if is_recording():  # gradients that will be differentiated again (ReLU's mask is a constant)
            if relu:
                g = g * constant((layout.restore(y) > 0).astype(g.dtype), X.fmt)
            return _training_gradients(g, X, scale, channel, eps)
        dx, dscale, doffset = kernels.backward(layout.rows(g.data), scale.data, saved)
        return constant(layout.restore(dx), X.fmt), constant(dscale), constant(doffset)

    Y = _cast(record(dlarray._wrap(layout.restore(y), X.fmt), (X, scale, shift), vjp), dtype)
    mean = record(dlarray._wrap(mean), (X,),
                  lambda g: (broadcast_to(_per_channel(g, X, channel), X.shape, X.fmt) * (1 / M),))
    # d var / dX = 2 (X - mean) / M: the mean's own dependence on X drops out as the deviations sum to zero.
    var = record(dlarray._wrap(var), (X,),
                 lambda g: (_per_channel(g * (2 / M), X, channel) * (X - _per_channel(mean, X, channel)),))
    return Y, mean, var


def _training_gradients(g, X, scale, channel, eps):
    """The fused backward's closed form in differentiable ops: dX, dscale, doffset for upstream g."""
    axes = tuple(i for i in range(X.ndim) if i != channel)
    M = X.size // X.shape[channel]
    xc, _, var = _centre(X, axes)
    inv_std = 1 / sqrt(var + eps)
    xhat = xc * inv_std
    gs = g * _per_channel(scale, X, channel)
    dX = inv_std * (1 / M) * (M * gs - sum_over(gs, axes) - xhat * sum_over(gs * xhat, axes))
    C = (X.shape[channel],)
    return dX, reshape_raw(sum_over(g * xhat, axes), C, ""), reshape_raw(sum_over(g, axes), C, "")


@namevalue
def batchnorm_running_update(trainedMean, trainedVariance, mu, sigmaSq, *, MeanDecay=0.1, VarianceDecay=0.1):
    """Running statistics after one training mini-batch: ``new = decay*batch + (1 - decay)*old``.

    Returns ``(newMean, newVariance)`` as dlarrays shaped like trainedMean and
    trainedVariance. mu and sigmaSq are the batch statistics from the training form
    of :func:`batchnorm`. The variance is used as given, i.e. the *biased* batch
    variance (divisor M, the number of values per channel), not an N/(N-1)-corrected
    one: MATLAB's documentation states only the decay formula on "the batch statistic",
    nothing we could read establishes a correction, and this form needs no M. It
    also makes the running variance the very statistic the training pass normalised with.
    """
    decays = [validate.real(value, argname, 0, 1, where="batchnorm_running_update")
              for value, argname in ((MeanDecay, "MeanDecay"), (VarianceDecay, "VarianceDecay"))]
    updated = []
    for old, new, factor, old_name, new_name in ((trainedMean, mu, decays[0], "trainedMean", "mu"),
                                                 (trainedVariance, sigmaSq, decays[1], "trainedVariance", "sigmaSq")):
        new = as_dlarray(new, argname=new_name)
        old = as_dlarray(old, like=new, argname=old_name)
        for value, argname in ((old, old_name), (new, new_name)):
            validate.floating(value, argname)
        if new.size != old.size:
            raise ValueError(f"batchnorm_running_update: {new_name} has {new.size} elements but {old_name} "
                             f"has {old.size}; they must hold one value per channel each")
        updated.append(factor * reshape_raw(new, old.shape, old.fmt) + (1 - factor) * old)
    return tuple(updated)


def _groups(numGroups, C):
    if isinstance(numGroups, str):
        counts = {"all-channels": 1, "channel-wise": C}
        return counts[validate.option(numGroups, "numGroups", tuple(counts), where="groupnorm")]
    groups = validate.positive_int(numGroups, "numGroups", where="groupnorm")
    if C % groups:
        validate.refuse(ValueError, "numGroups", f"a divisor of the {C} channels of X", numGroups, "groupnorm")
    return groups


@namevalue
def groupnorm(X, numGroups, offset, scaleFactor, *, Epsilon=1e-5):
    """MATLAB's groupnorm: normalise each observation over groups of channels, then scale and offset.

    The C channels are split into ``numGroups`` runs of consecutive channels (MATLAB's
    grouping); for every observation (B index) and group, the mean and biased variance
    are taken over that group's channels and all S, T and U dimensions.
    ``numGroups`` may be an integer dividing C, ``"all-channels"`` (one group, layer
    norm) or ``"channel-wise"`` (C groups, instance norm). offset and scaleFactor are
    C-element vectors as for :func:`batchnorm`; Epsilon must be >= 1e-5.
    """
    name = "groupnorm"
    channel = checked_input(X, name)
    eps = validate.real(Epsilon, "Epsilon", MIN_EPSILON, where=name)
    C = X.shape[channel]
    G = _groups(numGroups, C)
    scale = _per_channel(as_vector(scaleFactor, C, X, "scaleFactor", "one per channel of X"), X, channel)
    shift = _per_channel(as_vector(offset, C, X, "offset", "one per channel of X"), X, channel)
    # Row-major splitting of the channel axis into (G, C/G) makes each group a run of consecutive channels.
    grouped = reshape_raw(X, X.shape[:channel] + (G, C // G) + X.shape[channel + 1:], "")
    batch = [b + 1 for b in find_dims(X.fmt, "B")]  # B's axis moves by one after the split
    axes = tuple(i for i in range(grouped.ndim) if i != channel and i not in batch)
    xc, _, var = _centre(grouped, axes)
    xhat = reshape_raw(xc * (1 / sqrt(var + eps)), X.shape, X.fmt)
    return xhat * scale + shift
