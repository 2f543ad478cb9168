"""im2col / col2im: sliding windows of an image as matrix rows, and the adjoint scatter-add.

Memory layout, chosen by measurement (NumPy + OpenBLAS, float32, the digits shapes
24x24x20x128 * 20 3x3 filters, one thread, alternating in one process on a loaded machine): windows as rows laid out (N, Ho, Wo, FH, FW, C)
read from channel-last (N, H, W, C) images, so that one row-major GEMM
``cols (N*Ho*Wo, FH*FW*C) @ weights (FH*FW*C, F)`` leaves the output as the next
channel-last (N, Ho, Wo, F) buffer, and the weights (FH, FW, C, F) need only a reshape.
Forward 50 ms vs 95 ms and input-gradient GEMM 75 vs 110 ms against the earlier
filters-first (C, FH, FW, N, Ho, Wo) columns (GEMM ``weights (F, K) @ cols (K, M)``).
So images travel as (H, W, C, N) views of C-contiguous (N, H, W, C) buffers: what this
module returns and what it reads fastest.

Geometry follows MATLAB: cross-correlation, padding (top, bottom, left, right), output
size floor((in + pads - dilation*(filter-1) - 1) / stride) + 1.
"""
from functools import cache
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import dispatch


class Window(NamedTuple):
    """Sliding-window geometry; every field is a pair (height, width) except padding."""
    size: tuple
    stride: tuple
    dilation: tuple
    padding: tuple  # (top, bottom, left, right)

    def output_size(self, H, W):
        (fh, fw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = self
        return ((H + pt + pb - dh * (fh - 1) - 1) // sh + 1,
                (W + pl + pr - dw * (fw - 1) - 1) // sw + 1)


# CUDA C bodies of the CuPy ElementwiseKernels, one thread per output element ``i``
# (gather form, so no atomics). tests/test_kernels_c.py compiles these same strings with
# the host C compiler, declaring the names below, and compares them with the NumPy code.
IM2COL_PARAMS = ("raw T x, int32 H, int32 W, int32 C, int32 Ho, int32 Wo, int32 FH, int32 FW, "
                 "int32 sh, int32 sw, int32 pt, int32 pl, int32 dh, int32 dw, T pad")
IM2COL_OUTPUT = "T cols"
IM2COL_BODY = """
// i indexes cols (N, Ho, Wo, FH, FW, C); x is a C-contiguous (N, H, W, C) image.
ptrdiff_t r = i;
const int c = r % C; r /= C;
const int kj = r % FW; r /= FW;
const int ki = r % FH; r /= FH;
const int wo = r % Wo; r /= Wo;
const int ho = r % Ho;
const ptrdiff_t n = r / Ho;
const int h = ho * sh - pt + ki * dh;
const int w = wo * sw - pl + kj * dw;
cols = (h >= 0 && h < H && w >= 0 && w < W) ? x[((n * H + h) * W + w) * C + c] : pad;
"""

COL2IM_PARAMS = ("raw T cols, int32 H, int32 W, int32 C, int32 Ho, int32 Wo, int32 FH, int32 FW, "
                 "int32 sh, int32 sw, int32 pt, int32 pl, int32 dh, int32 dw")
COL2IM_OUTPUT = "T img"
COL2IM_BODY = """
// i indexes img (N, H, W, C); sums every column entry that im2col copied from pixel i.
ptrdiff_t r = i;
const int c = r % C; r /= C;
const int w = r % W; r /= W;
const int h = r % H;
const ptrdiff_t n = r / H;
T acc = 0;
for (int ki = 0; ki < FH; ++ki) {
    const int hs = h + pt - ki * dh;  // = ho * sh for the output row ho that sees h through tap ki
    if (hs < 0 || hs % sh != 0 || hs / sh >= Ho) continue;
    for (int kj = 0; kj < FW; ++kj) {
        const int ws = w + pl - kj * dw;
        if (ws < 0 || ws % sw != 0 || ws / sw >= Wo) continue;
        acc += cols[((((n * Ho + hs / sh) * Wo + ws / sw) * FH + ki) * FW + kj) * C + c];
    }
}
img = acc;
"""


def _kernel_args(window, H, W, C):
    (fh, fw), (sh, sw), (dh, dw), (pt, _, pl, _) = window
    Ho, Wo = window.output_size(H, W)
    return (H, W, C, Ho, Wo, fh, fw, sh, sw, pt, pl, dh, dw)


# -- NumPy ---------------------------------------------------------------------

def _padded(x, window, pad_value):
    """The (H, W, C, N) image as a C-contiguous (N, H + pt + pb, W + pl + pr, C) array with its padding."""
    H, W, C, N = x.shape
    pt, pb, pl, pr = window.padding
    image = x.transpose(3, 0, 1, 2)  # (N, H, W, C): a view of the layers' channel-last buffers
    if pt or pb or pl or pr:
        # the border set apart from the image: one write of each element, not a fill and then the copy
        # (26 against 39 us for ten 24x24x20 digits maps padded by 1)
        padded = np.empty((N, H + pt + pb, W + pl + pr, C), dtype=x.dtype)
        padded[:, :pt] = pad_value
        padded[:, pt + H:] = pad_value
        padded[:, pt:pt + H, :pl] = pad_value
        padded[:, pt:pt + H, pl + W:] = pad_value
        padded[:, pt:pt + H, pl:pl + W] = image
        return padded
    return np.ascontiguousarray(image)


def _im2col_numpy(x, window, pad_value):
    H, W, C, N = x.shape
    (fh, fw), (sh, sw), (dh, dw), _ = window
    Ho, Wo = window.output_size(H, W)
    image = _padded(x, window, pad_value)
    sn, s_h, s_w, sc = image.strides
    windows = as_strided(image, (N, Ho, Wo, fh, fw, C),
                         (sn, sh * s_h, sw * s_w, dh * s_h, dw * s_w, sc), writeable=False)
    return np.ascontiguousarray(windows)


def _window_rows_numpy(x, window):
    H, W, C, N = x.shape
    (fh, fw), (sh, sw), (dh, dw), _ = window
    Ho, Wo = window.output_size(H, W)
    if C > 1:
        return _im2col_numpy(x, window, 0.0).reshape(N * Ho * Wo, fh * fw * C)
    # One channel: im2col's rows copy runs of only FW values; tap by tap, each copied run is an output row
    # of Wo values (digits conv1, 5x5 on 28x28: 1.9 -> 0.5 ms for 128 images)
    image = _padded(x, window, 0.0)
    sn, s_h, s_w, sc = image.strides
    taps = as_strided(image, (fh, fw, C, N, Ho, Wo), (dh * s_h, dw * s_w, sc, sn, sh * s_h, sw * s_w), writeable=False)
    return np.ascontiguousarray(taps).reshape(fh * fw * C, N * Ho * Wo).T


def _col2im_numpy(cols, window, image_size):
    N, Ho, Wo, fh, fw, C = cols.shape
    H, W = image_size
    _, (sh, sw), (dh, dw), (pt, pb, pl, pr) = window
    padded = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=cols.dtype)
    # One strided add per filter tap: each adds a whole (N, Ho, Wo, C) block at once.
    for ki in range(fh):
        for kj in range(fw):
            padded[:, ki * dh:ki * dh + sh * (Ho - 1) + 1:sh,
                   kj * dw:kj * dw + sw * (Wo - 1) + 1:sw] += cols[:, :, :, ki, kj]
    return padded[:, pt:pt + H, pl:pl + W].transpose(1, 2, 3, 0)


# -- CuPy ----------------------------------------------------------------------

@cache
def _cupy_kernels():
    import cupy
    return (cupy.ElementwiseKernel(IM2COL_PARAMS, IM2COL_OUTPUT, IM2COL_BODY, "minidl_im2col"),
            cupy.ElementwiseKernel(COL2IM_PARAMS, COL2IM_OUTPUT, COL2IM_BODY, "minidl_col2im"))


def _im2col_cupy(x, window, pad_value):
    import cupy
    H, W, C, N = x.shape
    Ho, Wo = window.output_size(H, W)
    image = cupy.ascontiguousarray(x.transpose(3, 0, 1, 2))
    cols = cupy.empty((N, Ho, Wo, *window.size, C), dtype=x.dtype)
    _cupy_kernels()[0](image, *_kernel_args(window, H, W, C), x.dtype.type(pad_value), cols)
    return cols


def _window_rows_cupy(x, window):
    return _im2col_cupy(x, window, 0.0).reshape(-1, window.size[0] * window.size[1] * x.shape[2])


def _col2im_cupy(cols, window, image_size):
    import cupy
    N, C = cols.shape[0], cols.shape[5]
    H, W = image_size
    img = cupy.empty((N, H, W, C), dtype=cols.dtype)
    _cupy_kernels()[1](cupy.ascontiguousarray(cols), *_kernel_args(window, H, W, C), img)
    return img.transpose(1, 2, 3, 0)


# -- entry points (NumPy or CuPy by the data) ---------------------------------

def im2col(x, window, pad_value=0.0):
    """Windows of the (H, W, C, N) image ``x`` as a C-contiguous (N, Ho, Wo, FH, FW, C) array.

    ``cols[n, ho, wo, i, j, c] = xpad[ho*sh + i*dh, wo*sw + j*dw, c, n]``, where ``xpad`` is
    ``x`` padded with ``pad_value`` (0 for convolution, -inf for max pooling).
    """
    return dispatch.pick(x, _im2col_numpy, _im2col_cupy)(x, window, pad_value)


def window_rows(x, window):
    """im2col(x) with zero padding as the (N*Ho*Wo, FH*FW*C) matrix of the convolution's GEMM: C-contiguous,
    or (NumPy images of one channel) an F-contiguous view of the transposed tap-major columns, which BLAS
    reads as they are."""
    return dispatch.pick(x, _window_rows_numpy, _window_rows_cupy)(x, window)


def col2im(cols, window, image_size):
    """Adjoint of im2col (zero padding): the (H, W, C, N) image that sums each column entry
    back onto the pixel it came from; entries that came from padding are dropped."""
    return dispatch.pick(cols, _col2im_numpy, _col2im_cupy)(cols, window, image_size)
