"""dlconv (2-D cross-correlation) and the differentiable im2col/col2im pair it is built on.

im2col and col2im are each other's vector-Jacobian product, and dlconv is a matrix
product of their output with the weights. dlconv runs as one op on the chunked kernels of
minidl.kernels.conv (the window rows are never kept); its backward is the same kernels when
gradients are only needed once, and the composed im2col/mtimes/col2im form, differentiable
again, when the backward pass is itself recorded (EnableHigherDerivatives).
"""
import numbers

import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..autodiff.gradient import defer
from ..autodiff.trace import is_recording, record
from ..dlarray import as_array, dlarray
from ..formats import canonical, canonical_permutation, parse_format
from ..kernels import batchnorm as bn_kernels
from ..kernels import conv as conv_kernels
from ..kernels.sums import channel_sums
from ..kernels import im2col as kernels
from ..kernels.im2col import Window
from ._util import as_dlarray, constant
from .elementwise import _cast
from .grouped_conv import grouped_dlconv
from .matmul import mtimes
from .norm import MIN_EPSILON, batchnorm, batchnorm_relu, inference_terms
from .reduce import sum_over
from .shape import relabel, reshape_raw, transpose_raw


# -- the differentiable primitives ----------------------------------------------

def im2col(x, window, pad_value=0.0):
    """Unformatted (N, Ho, Wo, FH, FW, C) window rows of the (H, W, C, N) image dlarray ``x``."""
    H, W = x.shape[:2]
    return record(dlarray._wrap(kernels.im2col(x.data, window, pad_value)), (x,),
                  lambda g: (col2im(g, window, (H, W), x.fmt),))


def col2im(cols, window, image_size, fmt):
    """(H, W, C, N) image dlarray formatted ``fmt`` summing the columns back: adjoint of im2col."""
    return record(dlarray._wrap(kernels.col2im(cols.data, window, image_size), fmt), (cols,),
                  lambda g: (im2col(g, window),))


# -- argument handling shared with pool.py ------------------------------------------

def image_window(shape, size, Stride, DilationFactor, Padding, size_name):
    """Window for an (H, W, ...) input from MATLAB's Stride, DilationFactor and Padding values.

    Padding is a scalar, [ph pw], [top bottom left right] or "same" (output ceil(in/stride),
    the odd pixel of padding at the bottom/right, as MATLAB).
    """
    stride = validate.int_vector(Stride, "Stride", 2)
    dilation = validate.int_vector(DilationFactor, "DilationFactor", 2)
    mode, padding = validate.padding(Padding)
    if mode == "same":
        padding = ()
        for n, f, s, d in zip(shape[:2], size, stride, dilation):
            total = max(-(-n // s) * s - s + d * (f - 1) + 1 - n, 0)
            padding += (total // 2, total - total // 2)
    window = Window(size, stride, dilation, padding)
    Ho, Wo = window.output_size(*shape[:2])
    if Ho < 1 or Wo < 1:
        raise ValueError(f"{size_name}: the {size[0]}x{size[1]} window (dilation {dilation}) is larger than the "
                         f"padded {shape[0]}x{shape[1]} input (padding {padding})")
    return window


def image_input(X, DataFormat, fname):
    """X as an "SSCB" dlarray (H, W, C, N), and the function that gives a result X's own layout back.

    X is a formatted dlarray ("SSCB" or "SSC"), or unformatted data with ``DataFormat``;
    then the result comes back unformatted, in the DataFormat order, as in MATLAB.
    """
    if DataFormat is not None:
        if isinstance(X, dlarray) and X.fmt:
            raise ValueError(f"{fname}: DataFormat is only for unformatted X; X already has format {X.fmt!r}")
        fmt = parse_format(DataFormat, "DataFormat")
        x = X if isinstance(X, dlarray) else dlarray._wrap(as_array(X, "X"))
        if x.ndim > len(fmt):
            raise ValueError(f"{fname}: DataFormat {fmt!r} has {len(fmt)} labels but X has {x.ndim} dimensions")
        perm = canonical_permutation(fmt)
        inverse = tuple(int(k) for k in np.argsort(perm))
        x = transpose_raw(reshape_raw(x, x.shape + (1,) * (len(fmt) - x.ndim), ""), perm, canonical(fmt))
    elif not isinstance(X, dlarray):
        raise TypeError(f"{fname}: X must be a formatted dlarray (e.g. 'SSCB'), or give DataFormat; "
                        f"got {type(X).__name__}")
    else:
        x, inverse = X, None
    if x.fmt not in ("SSCB", "SSC"):
        raise ValueError(f"{fname}: X must have two spatial 'S' dimensions, one 'C' and optionally one 'B' "
                         f"(format 'SSCB' or 'SSC', or unformatted data with DataFormat); X has format {x.fmt!r}")
    validate.floating(x, "X")
    batched = x.fmt == "SSCB"
    if not batched:
        x = reshape_raw(x, x.shape + (1,), "SSCB")
    if x.shape[3] == 0:
        raise ValueError(f"{fname}: X has an empty batch (size {x.shape}); give at least one observation")

    def restore(y):
        if not batched:
            y = reshape_raw(y, y.shape[:3], "SSC")
        return y if inverse is None else transpose_raw(y, inverse, "")
    return x, restore


def image_output(y, N, Ho, Wo):
    """Results laid out (N*Ho*Wo, K) as the "SSCB" (Ho, Wo, K, N) dlarray (a view, no copy)."""
    return transpose_raw(reshape_raw(y, (N, Ho, Wo, y.shape[1]), ""), (1, 2, 3, 0), "SSCB")


# -- dlconv -----------------------------------------------------------------------------

def _weights_and_bias(weights, bias, x):
    w = as_dlarray(weights, like=x, argname="weights")
    w = relabel(w, "") if w.fmt else w
    if w.ndim > 4:
        raise ValueError(f"weights must be FH x FW x C x F (4-D); got size {w.shape}")
    w = reshape_raw(w, w.shape + (1,) * (4 - w.ndim), "")
    fh, fw, c, f = w.shape
    if c != x.shape[2]:
        raise ValueError(f"weights has {c} input channels (size {w.shape}) but X has {x.shape[2]} channels")
    if isinstance(bias, numbers.Number) and not isinstance(bias, bool) and bias == 0:
        return w, None  # MATLAB's "no bias"
    b = as_dlarray(bias, like=x, argname="bias")
    if b.size not in (1, f):
        raise ValueError(f"bias must be a scalar or have one element per filter ({f}); got size {b.shape}")
    return w, reshape_raw(relabel(b, ""), (1, b.size), "")


@namevalue
def dlconv(X, weights, bias, *, Stride=1, Padding=0, DilationFactor=1, DataFormat=None):
    """MATLAB's dlconv for 2-D images: cross-correlate X with the filters, add the bias.

    X: "SSCB" (or "SSC") dlarray of size H x W x C x N, or unformatted data with DataFormat.
    weights: FH x FW x C x F; bias: scalar, F-vector or 1 x 1 x F (0 means no bias).
    Stride and DilationFactor: scalar or [h w]; Padding: scalar, [h w], [top bottom left
    right] or "same". Returns Ho x Wo x F x N in X's format. Grouped weights FH x FW x Cpg x
    Fpg x G (5-D) convolve each group of Cpg channels with its Fpg filters (ops/grouped_conv.py).
    """
    if np.ndim(weights) == 5:
        return grouped_dlconv(dlconv, X, weights, bias, Stride=Stride, Padding=Padding,
                              DilationFactor=DilationFactor, DataFormat=DataFormat)
    x, restore = image_input(X, DataFormat, "dlconv")
    w, b = _weights_and_bias(weights, bias, x)
    fh, fw, c, f = w.shape
    H, W, _, N = x.shape
    window = image_window(x.shape, (fh, fw), Stride, DilationFactor, Padding, "weights")
    Ho, Wo = window.output_size(H, W)
    # Window rows run over (i, j, c), the row-major order of the weights' first three axes.
    w_mat = reshape_raw(w, (fh * fw * c, f), "")
    return restore(image_output(_convolve(x, w_mat, b, window), N, Ho, Wo))


def dlconv_batchnorm(X, weights, bias, offset, scaleFactor, trainedMean, trainedVariance, *, Stride=1, Padding=0,
                     DilationFactor=1, Epsilon=1e-5, relu=False):
    """The inference form of :func:`batchnorm` (then ReLU if ``relu``) of ``dlconv(X, weights, bias, ...)``:
    a convolution layer's predict followed by a batch normalization layer's (and a ReLU layer's). Not a
    MATLAB function.

    Outside dlfeval's recording, for an "SSCB" X with 4-D weights and statistics of X's type, the
    normalisation runs on each chunk of the convolution's rows while they are in cache, with the same
    operations as the calls in turn, so the values are theirs; otherwise it is those calls.
    """
    def apart():
        Y = dlconv(X, weights, bias, Stride=Stride, Padding=Padding, DilationFactor=DilationFactor)
        return (batchnorm_relu if relu else batchnorm)(Y, offset, scaleFactor, trainedMean, trainedVariance,
                                                      Epsilon=Epsilon)
    if is_recording() or np.ndim(weights) != 4 or not isinstance(X, dlarray) or X.fmt != "SSCB":
        return apart()
    x, _ = image_input(X, None, "dlconv")
    w, b = _weights_and_bias(weights, bias, x)
    fh, fw, c, f = w.shape
    window = image_window(x.shape, (fh, fw), Stride, DilationFactor, Padding, "weights")
    eps = validate.real(Epsilon, "Epsilon", MIN_EPSILON, where="batchnorm")
    mean, factor, shift = inference_terms(f, x, offset, scaleFactor, trainedMean, trainedVariance, eps)
    if any(v is not None and v.dtype != x.dtype for v in (w, b, mean, factor, shift)):
        return apart()

    def normalise(rows):  # (n, F) rows as the (A, C, B) array of the batch-norm kernels, in place
        view = rows[:, :, None]
        bn_kernels.normalize(view, mean.data, factor.data, shift.data, relu, out=view)
    y = conv_kernels.forward(x.data, reshape_raw(w, (fh * fw * c, f), "").data, None if b is None else b.data,
                             window, normalise)
    Ho, Wo = window.output_size(*x.shape[:2])
    return image_output(dlarray._wrap(y), x.shape[3], Ho, Wo)


def _convolve(x, w_mat, b, window):
    """``im2col(x) @ w_mat + b`` as one recorded op: (N*Ho*Wo, F) rows."""
    operands = (x, w_mat) if b is None else (x, w_mat, b)
    dtype = np.float32 if any(v.dtype == np.float32 for v in operands) else np.float64  # MATLAB: single wins
    x, w_mat = _cast(x, dtype), _cast(w_mat, dtype)
    b = None if b is None else _cast(b, dtype)
    inputs = (x, w_mat) if b is None else (x, w_mat, b)
    y = conv_kernels.forward(x.data, w_mat.data, None if b is None else b.data, window)

    def vjp(g, needs):
        if is_recording():  # gradients that will be differentiated again: the composed form
            cols = reshape_raw(im2col(x, window), (g.shape[0], w_mat.shape[0]), "")
            dcols = mtimes(g, transpose_raw(w_mat, (1, 0), "")) if needs[0] else None
            dx = None if dcols is None else col2im(reshape_raw(dcols, _rows_shape(x, window), ""), window,
                                                   x.shape[:2], x.fmt)
            dw = mtimes(transpose_raw(cols, (1, 0), ""), g) if needs[1] else None
        else:
            dx, dw = conv_kernels.backward(g.data, x.data, w_mat.data, window, needs[0], needs[1], later=True)
            if callable(dw):  # made by the pool's idle workers while the walk goes on (autodiff.gradient.defer)
                buffer, made = np.empty(w_mat.shape, w_mat.dtype), dw
                defer(buffer, lambda: np.copyto(buffer, made()))
                dw = buffer
            dx, dw = (None if dx is None else constant(dx, x.fmt)), (None if dw is None else constant(dw))
        db = None
        if b is not None and needs[2]:  # the folded sums: accurate and faster than NumPy's over the rows
            db = sum_over(g, (0,)) if is_recording() else constant(channel_sums(g.data[:, :, None]).reshape(1, -1))
        return dx, dw, db
    return record(dlarray._wrap(y), inputs, vjp, with_needs=True)


def _rows_shape(x, window):
    """Shape of im2col's window rows for the (H, W, C, N) image x: (N, Ho, Wo, FH, FW, C)."""
    H, W, C, N = x.shape
    return (N, *window.output_size(H, W), *window.size, C)
