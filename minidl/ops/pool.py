"""maxpool and avgpool (MATLAB's functional forms) on the im2col primitive of conv.py."""
import numbers

import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..autodiff.trace import record
from ..backend import array_module
from ..dlarray import dlarray
from ..kernels import im2col as kernels
from ._util import constant
from .conv import im2col, image_input, image_output, image_window
from .reduce import sum_over
from .shape import reshape_raw


def _pooling_windows(X, poolsize, Stride, Padding, DataFormat, fname, pad_value):
    """X as "SSCB", the window geometry, the (N*Ho*Wo, FH*FW, C) windows of X, and the
    function that turns an (N*Ho*Wo, C) result into the output dlarray."""
    x, restore = image_input(X, DataFormat, fname)
    H, W, C, N = x.shape
    is_global = isinstance(poolsize, str) and poolsize == "global"
    size = (H, W) if is_global else validate.int_vector(poolsize, "poolsize", 2)
    window = image_window(x.shape, size, Stride, 1, Padding, "poolsize")
    pt, pb, pl, pr = window.padding
    # Keeps every window overlapping the image, so a max never comes from padding alone.
    if max(pt, pb) >= size[0] or max(pl, pr) >= size[1]:
        raise ValueError(f"{fname}: Padding {window.padding} must be smaller than poolsize {size}")
    Ho, Wo = window.output_size(H, W)
    cols = reshape_raw(im2col(x, window, pad_value), (N * Ho * Wo, size[0] * size[1], C), "")
    return x, window, cols, lambda y: restore(image_output(y, N, Ho, Wo))


@namevalue
def maxpool(X, poolsize, *, Stride=1, Padding=0, DataFormat=None):
    """MATLAB's maxpool: the largest value in each poolsize window (default Stride 1).

    poolsize is a scalar, [h w] or "global"; Padding a scalar, [h w], [top bottom left
    right] or "same". Padding is -inf, so it never wins. The gradient goes to the first
    maximum of each window through a constant one-hot mask, so it is differentiable again.
    """
    _, window, cols, finish = _pooling_windows(X, poolsize, Stride, Padding, DataFormat, "maxpool", -np.inf)
    M, K, C = cols.shape

    def to_first_maximum(g):
        # "First" in MATLAB's column-major window order (h fastest), as max(window(:)) picks it.
        xp = array_module(cols.data)
        column_major = xp.arange(K).reshape(window.size).T.ravel()
        first = column_major[cols.data[:, column_major].argmax(axis=1)]
        mask = constant((xp.arange(K)[None, :, None] == first[:, None, :]).astype(cols.dtype))
        return (reshape_raw(g, (M, 1, C), "") * mask,)
    return finish(record(dlarray._wrap(cols.data.max(axis=1)), (cols,), to_first_maximum))


@namevalue
def avgpool(X, poolsize, *, Stride=1, Padding=0, PaddingValue=0, DataFormat=None):
    """MATLAB's avgpool: the mean of each poolsize window (default Stride 1).

    PaddingValue 0 (default) averages over the whole window, padding included;
    "mean" averages over the image pixels in the window only.
    """
    over_pixels = isinstance(PaddingValue, str) and PaddingValue == "mean"
    if not over_pixels and not (isinstance(PaddingValue, numbers.Real) and PaddingValue == 0):
        raise ValueError(f"avgpool: PaddingValue must be 0 or 'mean'; got {PaddingValue!r}")
    x, window, cols, finish = _pooling_windows(X, poolsize, Stride, Padding, DataFormat, "avgpool", 0.0)
    M, K, C = cols.shape
    total = reshape_raw(sum_over(cols, (1,)), (M, C), "")
    if not over_pixels:
        return finish(total * (1.0 / K))
    # Image pixels per window: the windows of an all-ones image, alike for every channel and observation.
    xp = array_module(x.data)
    H, W, _, N = x.shape
    counts = kernels.im2col(xp.ones((H, W, 1, 1), dtype=x.dtype), window).sum(axis=(3, 4))  # (1, Ho, Wo, 1)
    counts = xp.broadcast_to(counts, (N,) + counts.shape[1:]).reshape(M, 1)
    return finish(total * constant(1 / counts))
