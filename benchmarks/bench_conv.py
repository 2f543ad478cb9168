"""Forward + backward time of dlconv (and max pooling) on the digits network's shapes, against a reference in this run.

The reference is NumPy einsum over sliding_window_view (BLAS through einsum's tensordot
path): y = sum over window of x * w, dW from the same windows, dX as the full correlation
of the padded upstream gradient with the flipped filters (stride 1, as in these layers).
Both compute Y, the loss sum(Y .* R) and the gradients of that loss: minidl inside dlfeval
with dlgradient, as a training step does; the reference by hand, with R as the upstream
gradient. Single precision, as MATLAB's minibatchqueue gives.

Max pooling 2x2 stride 2 runs the same way; its reference is the max over the reshaped tiles
with the gradient through the comparison mask.

--threads sets OpenBLAS's threads (threadpoolctl) for the whole run; at 1 minidl runs the
convolution chunks on its worker threads (minidl/kernels/conv.py), the reference on one core.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv.py [--threads 1]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not
from minidl import dlarray, dlconv, dlfeval, dlgradient, extractdata, maxpool
from minidl.ops.reduce import sum as dlsum

# (name, input H x W x C x N, filters FH x FW x C x F, padding, gradient with respect to X?)
CASES = [("conv1 28x28x1x128, 20 5x5 filters", (28, 28, 1, 128), (5, 5, 1, 20), 0, False),
         ("conv2 24x24x20x128, 20 3x3 filters, padding 1", (24, 24, 20, 128), (3, 3, 20, 20), 1, True)]


def best_times(fns, repeats=20):
    """Best wall time of each function; the runs alternate so that load from elsewhere hits all alike."""
    for fn in fns:
        fn()  # warm-up: allocations, BLAS threads
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def reference(x, w, b, r, p, need_dx):
    pad = ((p, p), (p, p), (0, 0), (0, 0))
    windows = sliding_window_view(np.pad(x, pad), w.shape[:2], axis=(0, 1))  # Ho, Wo, C, N, FH, FW
    y = np.einsum("hwcnij,ijcf->hwfn", windows, w, optimize=True) + b[:, None]
    loss = np.sum(y * r)
    dw = np.einsum("hwcnij,hwfn->ijcf", windows, r, optimize=True)
    db = r.sum(axis=(0, 1, 3))
    if not need_dx:
        return y, loss, dw, db
    fh, fw = w.shape[:2]
    grad_windows = sliding_window_view(np.pad(r, ((fh - 1, fh - 1), (fw - 1, fw - 1), (0, 0), (0, 0))),
                                       (fh, fw), axis=(0, 1))
    dx = np.einsum("hwfnij,ijcf->hwcn", grad_windows, w[::-1, ::-1], optimize=True)
    return y, loss, dx[p:dx.shape[0] - p, p:dx.shape[1] - p], dw, db


def minidl_step(X, W, B, R, p, need_dx):
    def step(x, w, b):
        y = dlconv(x, w, b, Padding=p)
        loss = dlsum(y * R, "all")
        return (y, loss, *dlgradient(loss, *((x, w, b) if need_dx else (w, b))))

    return [extractdata(v) for v in dlfeval(step, X, W, B)]


def pool_reference(x, r):
    H, W, C, N = x.shape
    tiles = x.reshape(H // 2, 2, W // 2, 2, C, N)
    y = tiles.max(axis=(1, 3))
    mask = tiles == y[:, None, :, None]  # continuous random data: one maximum per window
    return y, np.sum(y * r), (mask * r[:, None, :, None]).reshape(x.shape)


def pool_step(X, R):
    def step(x):
        y = maxpool(x, 2, Stride=2)
        loss = dlsum(y * R, "all")
        return y, loss, dlgradient(loss, x)

    return [extractdata(v) for v in dlfeval(step, X)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="OpenBLAS threads for the run (default: OpenBLAS's choice)")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits
        _limits = threadpool_limits(args.threads, user_api="blas")  # noqa: F841  (kept for the whole run)
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; best of 20; float32; minidl = forward + backward inside dlfeval; "
          f"OpenBLAS threads: {args.threads or 'default'}")
    for name, x_shape, w_shape, p, need_dx in CASES:
        x = rng.standard_normal(x_shape, dtype=np.float32)
        w = rng.standard_normal(w_shape, dtype=np.float32)
        b = rng.standard_normal(w_shape[3], dtype=np.float32)
        out_shape = (x_shape[0] + 2 * p - w_shape[0] + 1, x_shape[1] + 2 * p - w_shape[1] + 1, w_shape[3], x_shape[3])
        r = rng.standard_normal(out_shape, dtype=np.float32)
        dl_inputs = (dlarray(x, "SSCB"), dlarray(w), dlarray(b), dlarray(r, "SSCB"))
        ours, theirs = minidl_step(*dl_inputs, p, need_dx), reference(x, w, b, r, p, need_dx)
        for mine, ref in zip(ours, theirs):
            np.testing.assert_allclose(mine, ref, rtol=2e-3, atol=2e-3 * np.abs(ref).max())
        t_minidl, t_reference = best_times([lambda: minidl_step(*dl_inputs, p, need_dx),
                                            lambda: reference(x, w, b, r, p, need_dx)])
        report(name, t_minidl, t_reference, "einsum")
    x = rng.standard_normal((24, 24, 20, 128), dtype=np.float32)
    r = rng.standard_normal((12, 12, 20, 128), dtype=np.float32)
    X, R = dlarray(x, "SSCB"), dlarray(r, "SSCB")
    for mine, ref in zip(pool_step(X, R), pool_reference(x, r)):
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-3)
    report("maxpool 2x2 stride 2 on 24x24x20x128", *best_times([lambda: pool_step(X, R), lambda: pool_reference(x, r)]),
           "reshape")


def report(name, t_minidl, t_reference, kind):
    print(f"{name}: minidl {t_minidl * 1e3:7.1f} ms, {kind} reference {t_reference * 1e3:7.1f} ms, "
          f"ratio minidl/reference {t_minidl / t_reference:.2f}")


if __name__ == "__main__":
    main()
