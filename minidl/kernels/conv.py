"""Convolution as im2col + GEMM, a few images at a time.

The window rows of a whole batch are 9x the size of the image for a 3x3 filter (53 MB for the
digits net's 24x24x20x128 batch): made per chunk of images, used at once and never kept for the
backward pass (the weight gradient makes them again, chunk by chunk), they stay a few MB, in
cache, and a training step's peak memory is the activations, not the columns. Written with the
data's own array module over the dispatched im2col/col2im kernels, so it runs on NumPy and CuPy.

Both cores: on NumPy data the chunks go to the threads of kernels/parallel.py (two where OpenBLAS
runs one thread per call, else the chunks in turn; see there), each making its rows and calling
its GEMM (NumPy releases the GIL in both), whichever thread is free taking the next chunk.
Results do not depend on the threads: every chunk's output has its own rows, and the weight
gradient's per-chunk sums are added in chunk order.

Two outputs a row (NumPy data of several channels, at most MAX_PAIRED_FILTERS filters, overlapping
windows, an even output width): OpenBLAS runs the tall, narrow GEMMs of a convolution with few
filters at a fraction of its speed (its packing of the window rows is paid for by only F columns:
34 GFLOPS for the digits conv2's 73,728 x 180 @ 180 x 20 on one core, 71 at 64 filters). Each row
then holds the window of two horizontally adjacent outputs (3x4 for a 3x3 filter), and the weights,
widened with zeros to (FH*(FW+1)*C, 2F), give both outputs at once: 2/3 of the window rows to copy
and pack, twice the columns, and the output rows come out in the same channel-last order.
benchmarks/bench_conv_pairs.py (digits conv2 shapes, batch 128, OpenBLAS at one thread a call and
the chunks on two threads, as in a training step): forward and input gradient 0.60-1.05x of the
one-output rows' time for 4-16 filters; 0.9-1.16x at 18-24 filters (at batch 32 0.99-1.19x) and
1.10-1.31x at 32 and 64, which therefore keep one output a row.
The zeros add exact zeros to the same products in the same order: on the digits shapes OpenBLAS
(whose GEMMs sum a few hundred terms in one pass) gives bit for bit the outputs of one output a row,
and the input gradient (the forward of the flipped filters) too; elsewhere they agree to rounding.
The zeros meet pixels outside an output's own window, where an Inf or NaN would make 0 * Inf = NaN,
so a chunk whose outputs are not all finite is made again the one-output way. The weight gradient
keeps one output a row: with two, its sums over the rows would run in another order and change a
training run's last bits (it gained 2-9% of the main job's step at 4-14 filters, measured
alternating in one process, a script outside the repository), and the main job's report stays what
it was, bit for bit.

Shapes: x is an (H, W, C, N) image (a view of a channel-last buffer), ``weights`` the
(FH*FW*C, F) matrix of the filters, ``bias`` (1, F) or None; outputs are (N*Ho*Wo, F) rows.
"""
import numpy as np

from ..backend import array_module
from . import im2col as windows
from .batchnorm import long_rows
from . import parallel

CHUNK_BYTES = 4 * 2 ** 20  # window rows made at once (per thread)
MIN_SPLIT_BYTES = 2 ** 20  # rows of at least this size make two chunks, so both threads work
MAX_PAIRED_FILTERS = 16  # convolutions of more filters make one output a row (see above)


def _map_chunks(xp, fn, chunks):
    """``[fn(start, stop) for (start, stop) in chunks]``, on the worker threads for NumPy data (see above)."""
    if xp is np:
        return parallel.map_ranges(fn, chunks)
    return [fn(start, stop) for start, stop in chunks]


# -- the kernels ------------------------------------------------------------------------------------

def _chunks(x, window):
    """(start, stop) image ranges whose window rows take at most about CHUNK_BYTES (fixed by the sizes alone)."""
    H, W, _, N = x.shape
    Ho, Wo = window.output_size(H, W)
    per_image = Ho * Wo * window.size[0] * window.size[1] * x.shape[2] * x.dtype.itemsize
    count = -(-N // max(1, CHUNK_BYTES // max(per_image, 1)))
    if count == 1 and N > 1 and N * per_image >= MIN_SPLIT_BYTES:
        count = 2  # one chunk a thread (digits conv1 at batch 32: 1.8 MB of rows)
    q, r = divmod(N, count)  # chunks of equal size (within one image), so two threads finish together
    bounds = [k * q + min(k, r) for k in range(count + 1)]
    return list(zip(bounds, bounds[1:])), Ho * Wo


def _rows(x, window, start, stop):
    return windows.window_rows(x[..., start:stop], window)


class _Pairs:
    """The geometry of two outputs a row (see above) for ``window`` on x and F filters, when it applies
    (``window`` None if not)."""

    def __init__(self, x, window, F):
        H, W, C, _ = x.shape
        (fh, fw), (sh, sw), (dh, dw), padding = window
        self.taps, self.step, self.width = fw, dw, (fw - 1) * dw + 1 + sw
        self.offset = sw  # the second output's window starts sw columns after the first's
        # only where the two windows overlap (no dilation, a stride under the filter width): a paired row
        # shorter than two rows
        applies = (array_module(x) is np and C > 1 and F <= MAX_PAIRED_FILTERS and self.width < 2 * fw
                   and window.output_size(H, W)[1] % 2 == 0)
        self.window = windows.Window((fh, self.width), (sh, 2 * sw), (dh, 1), padding) if applies else None

    def _slot(self, s):
        start = s * self.offset
        return slice(start, start + (self.taps - 1) * self.step + 1, self.step)

    def weights(self, weights):
        """The (FH*FW*C, F) filters widened to the (FH*width*C, 2F) matrix of both outputs."""
        F = weights.shape[1]
        fh = self.window.size[0]
        per_tap = weights.reshape(fh, self.taps, -1, F)
        out = np.zeros((fh, self.width, per_tap.shape[2], 2, F), weights.dtype)
        for s in (0, 1):
            out[:, self._slot(s), :, s] = per_tap
        return out.reshape(-1, 2 * F)


def forward(x, weights, bias, window, epilogue=None):
    """``im2col(x) @ weights + bias`` as (N*Ho*Wo, F) rows; ``epilogue(rows)``, if given, then changes each
    chunk's C-contiguous (n, F) rows in place while they are in cache (a batch norm in predict)."""
    xp = array_module(x)
    F = weights.shape[1]
    chunks, per_image = _chunks(x, window)
    y = xp.empty((x.shape[3] * per_image, F), dtype=x.dtype)
    pairs = _Pairs(x, window, F)
    paired = None if pairs.window is None else pairs.weights(weights)

    def rows(start, stop):
        out = y[start * per_image:stop * per_image]
        if paired is None:
            xp.matmul(_rows(x, window, start, stop), weights, out=out)
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # the zeros' 0 * Inf: see the check
                np.matmul(_rows(x, pairs.window, start, stop), paired, out=out.reshape(-1, 2 * F))
                finite = np.isfinite(out.sum())
            if not finite:  # 0 * Inf (or an overflow, harmless): this chunk the one-output way
                np.matmul(_rows(x, window, start, stop), weights, out=out)
        if bias is not None and xp is np:  # on long rows: NumPy adds a (1, F) bias to (n, F) rows F values at a time
            rows_view, expand = long_rows(out.reshape(-1, F, 1))
            rows_view += expand(np.broadcast_to(bias, (1, F))[0])
        elif bias is not None:
            out += bias
        if epilogue is not None:
            epilogue(out)
    _map_chunks(xp, rows, chunks)
    return y


def _transposed(window):
    """The stride-1 window that computes the input gradient as a convolution of the output
    gradient with the flipped filters (a gather: no scatter-adds), or None where that form
    does not apply (strides > 1, or padding wider than the dilated filter)."""
    (fh, fw), stride, (dh, dw), (pt, pb, pl, pr) = window
    padding = (dh * (fh - 1) - pt, dh * (fh - 1) - pb, dw * (fw - 1) - pl, dw * (fw - 1) - pr)
    if stride != (1, 1) or min(padding) < 0:
        return None
    return windows.Window(window.size, (1, 1), window.dilation, padding)


def backward(g, x, weights, window, need_x, need_weights, later=False):
    """(dx as an (H, W, C, N) image or None, dweights (K, F) or None) for the rows gradient ``g``.

    With ``later`` (NumPy data), dweights comes back as a function that gives it: its chunks are left for
    the pool's workers to make while they have nothing else to do (parallel.later), started before dx.
    """
    xp = array_module(g)
    H, W, C, N = x.shape
    K, F = weights.shape
    fh, fw = window.size
    chunks, per_image = _chunks(x, window)
    Ho, Wo = window.output_size(H, W)
    dw = None
    if need_weights:
        def part(start, stop):
            rows, gs = _rows(x, window, start, stop), g[start * per_image:stop * per_image]
            if rows.strides[0] < rows.strides[1]:  # window_rows' transposed columns: rows.T is C-contiguous
                return rows.T @ gs
            return (gs.T @ rows).T  # OpenBLAS runs (F, K) = g.T @ rows 4-11% faster than rows.T @ g here

        def total(parts):
            dw = parts[0]
            for p in parts[1:]:  # in chunk order: the same sum whichever thread made each part
                dw += p
            return xp.ascontiguousarray(dw)
        if later and xp is np:
            finish = parallel.later(part, chunks)
            dw = lambda: total(finish())  # noqa: E731
        else:
            dw = total(_map_chunks(xp, part, chunks))
    if not need_x:
        return None, dw
    gather = _transposed(window)
    if gather is not None:
        # dx[h, w, c] = sum over taps (i, j) and filters f of g[h + pt - i*dh, w + pl - j*dw, f] * w[i, j, c, f]
        flipped = weights.reshape(fh, fw, C, F)[::-1, ::-1].transpose(0, 1, 3, 2).reshape(fh * fw * F, C)
        image = g.reshape(N, Ho, Wo, F).transpose(1, 2, 3, 0)
        dx = forward(image, xp.ascontiguousarray(flipped), None, gather).reshape(N, H, W, C)
        return dx.transpose(1, 2, 3, 0), dw
    dx = xp.empty((N, H, W, C), dtype=g.dtype)

    def scatter(start, stop):
        cols = (g[start * per_image:stop * per_image] @ weights.T).reshape(stop - start, Ho, Wo, fh, fw, C)
        dx[start:stop] = windows.col2im(cols, window, (H, W)).transpose(3, 0, 1, 2)
    _map_chunks(xp, scatter, chunks)
    return dx.transpose(1, 2, 3, 0), dw
