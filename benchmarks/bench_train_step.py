"""One training step of the digits network (MATLAB's pruning example), minidl against hand-coded NumPy.

minidl runs what examples/train_digits.py runs per iteration: dlfeval(modelLoss) with
forward (training mode), crossentropy and dlgradient wrt net.Learnables, then
net.State = state and sgdmupdate, on a 28x28x1x128 single-precision batch. The
reference is the same network written out in plain NumPy: im2col through
sliding_window_view + one matmul per convolution, batch norm forward/backward by
formula, ReLU, the fully connected layer with MATLAB's column-major flatten, the
softmax + crossentropy gradient (Y - T)/N, and the same SGDM update. It keeps images as
(C, N, H, W) buffers and columns (C*FH*FW, N*Ho*Wo), minidl's earlier layout (minidl now
runs channel-last window rows, chosen by measurement in minidl/kernels/im2col.py), so the
ratio measures what minidl adds or saves against the straightforward arithmetic.
benchmarks/bench_digits.py compares all four digits workloads, with PyTorch too.
Before timing, both compute loss and gradients from the same weights and must agree.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train_step.py
"""
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not
from minidl import (batchNormalizationLayer, convolution2dLayer, crossentropy, dlarray, dlfeval, dlgradient,
                    dlnetwork, extractdata, forward, fullyConnectedLayer, imageInputLayer, predict, reluLayer,
                    rng, sgdmupdate, softmaxLayer)

N, LEARN_RATE, MOMENTUM, EPS = 128, 0.01, 0.9, 1e-5
MEAN = 0.5  # imageInputLayer's zerocenter Mean (a custom loop must give it)
CONVS = (("conv1", "bn1", 0), ("conv2", "bn2", 1), ("conv3", "bn3", 1))  # (conv, its batch norm, padding)


def digits_net():
    """The network of examples/train_digits.py (the seed's 12 layers)."""
    return dlnetwork([
        imageInputLayer([28, 28, 1], Name="input", Mean=np.full((1, 1, 1), MEAN, np.float32)),
        convolution2dLayer(5, 20, Name="conv1"), batchNormalizationLayer(Name="bn1"), reluLayer(Name="relu1"),
        convolution2dLayer(3, 20, Padding=1, Name="conv2"), batchNormalizationLayer(Name="bn2"),
        reluLayer(Name="relu2"),
        convolution2dLayer(3, 20, Padding=1, Name="conv3"), batchNormalizationLayer(Name="bn3"),
        reluLayer(Name="relu3"),
        fullyConnectedLayer(10, Name="fc"), softmaxLayer(Name="softmax")])


# -- minidl: the training loop's code, with timestamps between the phases ----------------------------

PHASES = {}  # phase -> seconds of the latest step


def modelLoss(net, X, T):
    t0 = time.perf_counter()
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    t1 = time.perf_counter()
    gradients = dlgradient(loss, net.Learnables)
    PHASES["minidl forward + loss"], PHASES["minidl dlgradient"] = t1 - t0, time.perf_counter() - t1
    return loss, gradients, state


class MinidlTrainer:
    """examples/train_digits.py's iteration, on one batch over and over."""

    def __init__(self, net, X, T):
        self.net, self.velocity, self.X, self.T = net, None, X, T

    def step(self):
        t0 = time.perf_counter()
        loss, gradients, state = dlfeval(modelLoss, self.net, self.X, self.T)
        self.net.State = state
        t1 = time.perf_counter()
        # What is left of that span: dlfeval's wrapping/unwrapping and the State assignment.
        PHASES["minidl dlfeval + State"] = t1 - t0 - PHASES["minidl forward + loss"] - PHASES["minidl dlgradient"]
        self.net, self.velocity = sgdmupdate(self.net, gradients, self.velocity, LEARN_RATE, MOMENTUM)
        PHASES["minidl sgdmupdate"] = time.perf_counter() - t1
        return loss


# -- the plain NumPy reference ------------------------------------------------------------------------

def im2col(x, fh, fw, p):
    """(C, N, H, W) image -> (C*FH*FW, N*Ho*Wo) columns (zero padding p, stride 1)."""
    if p:
        x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(x, (fh, fw), axis=(2, 3))  # C, N, Ho, Wo, FH, FW (a view)
    C, n, Ho, Wo = windows.shape[:4]
    return windows.transpose(0, 4, 5, 1, 2, 3).reshape(C * fh * fw, n * Ho * Wo), (Ho, Wo)  # the copy


def col2im(cols, shape, fh, fw, p):
    """Adjoint of im2col: add each tap's (C, N, Ho, Wo) block back where it was read from."""
    C, n, H, W = shape
    Ho, Wo = H + 2 * p - fh + 1, W + 2 * p - fw + 1
    cols = cols.reshape(C, fh, fw, n, Ho, Wo)
    padded = np.zeros((C, n, H + 2 * p, W + 2 * p), cols.dtype)
    for i in range(fh):
        for j in range(fw):
            padded[:, :, i:i + Ho, j:j + Wo] += cols[:, i, j]
    return padded[:, :, p:p + H, p:p + W]


class NumpyNet:
    """Parameters as plain arrays in MATLAB's shapes; training and inference passes by hand."""

    def __init__(self, net):
        t = net.Learnables
        self.names = [f"{layer}/{param}" for layer, param in zip(t.Layer, t.Parameter)]
        self.params = {k: extractdata(v).copy() for k, v in zip(self.names, t.Value)}
        s = net.State
        self.state = {f"{layer}/{param}": extractdata(v).copy()
                      for layer, param, v in zip(s.Layer, s.Parameter, s.Value)}
        self.velocity = {k: np.zeros_like(v) for k, v in self.params.items()}

    def _forward(self, X, training):
        P, cache = self.params, []
        a = np.ascontiguousarray((X - np.float32(MEAN)).transpose(2, 3, 0, 1))  # H,W,C,N -> C,N,H,W buffer
        for conv, bn, p in CONVS:
            w = P[f"{conv}/Weights"]
            fh, fw, c, f = w.shape
            cols, (Ho, Wo) = im2col(a, fh, fw, p)
            w_rows = w.transpose(3, 2, 0, 1).reshape(f, c * fh * fw)  # rows (F), columns (c, i, j) as cols
            z = w_rows @ cols + P[f"{conv}/Bias"].reshape(f, 1)  # (F, N*Ho*Wo): the next (C, N, H, W) buffer
            if training:  # batch statistics per channel (row), biased variance, as MATLAB
                mu = z.mean(axis=1, keepdims=True)
                zc = z - mu
                var = np.mean(zc * zc, axis=1, keepdims=True)
                for name, new in (("TrainedMean", mu), ("TrainedVariance", var)):
                    old = self.state[f"{bn}/{name}"]
                    old[...] = 0.1 * new.reshape(old.shape) + 0.9 * old
            else:
                zc = z - self.state[f"{bn}/TrainedMean"].reshape(f, 1)
                var = self.state[f"{bn}/TrainedVariance"].reshape(f, 1)
            inv_std = 1 / np.sqrt(var + np.float32(EPS))
            xhat = zc * inv_std
            y = xhat * P[f"{bn}/Scale"].reshape(f, 1) + P[f"{bn}/Offset"].reshape(f, 1)
            cache.append((a.shape, cols, w_rows, xhat, inv_std, y > 0))
            a = np.maximum(y, 0).reshape(f, N, Ho, Wo)
        # MATLAB flattens h + w*H + c*H*W per observation: row-major order of a (N, C, W, H) array.
        flat = a.transpose(1, 0, 3, 2).reshape(N, -1)
        logits = P["fc/Weights"] @ flat.T + P["fc/Bias"]  # (10, N)
        e = np.exp(logits - logits.max(axis=0))
        return e / e.sum(axis=0), (cache, a.shape, flat)

    def predict(self, X):
        return self._forward(X, training=False)[0]

    def loss_and_gradients(self, X, T):
        P, grads = self.params, {}
        t0 = time.perf_counter()
        Y, (cache, a_shape, flat) = self._forward(X, training=True)
        PHASES["numpy forward"] = time.perf_counter() - t0
        loss = -np.sum(T * np.log(np.maximum(Y, np.finfo(np.float32).eps))) / N
        dlogits = (Y - T) / np.float32(N)  # softmax + crossentropy together (one-hot T)
        grads["fc/Weights"] = dlogits @ flat
        grads["fc/Bias"] = dlogits.sum(axis=1, keepdims=True)
        c, _, h, w = a_shape
        da = (P["fc/Weights"].T @ dlogits).reshape(c, w, h, N).transpose(0, 3, 2, 1)  # back to (C, N, H, W)
        for (conv, bn, p), (in_shape, cols, w_rows, xhat, inv_std, positive) in zip(reversed(CONVS), reversed(cache)):
            f = w_rows.shape[0]
            dy = da.reshape(f, -1) * positive  # ReLU
            grads[f"{bn}/Offset"] = dy.sum(axis=1).reshape(1, 1, f)
            grads[f"{bn}/Scale"] = (dy * xhat).sum(axis=1).reshape(1, 1, f)
            # Batch norm backward: dz = scale/sigma * (dy - mean(dy) - xhat*mean(dy*xhat)).
            m = dy.shape[1]
            dz = (P[f"{bn}/Scale"].reshape(f, 1) * inv_std) * (
                dy - grads[f"{bn}/Offset"].reshape(f, 1) / m - xhat * grads[f"{bn}/Scale"].reshape(f, 1) / m)
            fh, fw, cin, _ = P[f"{conv}/Weights"].shape
            grads[f"{conv}/Weights"] = (dz @ cols.T).reshape(f, cin, fh, fw).transpose(2, 3, 1, 0)
            grads[f"{conv}/Bias"] = dz.sum(axis=1).reshape(1, 1, f)
            if conv != "conv1":  # the input needs no gradient
                da = col2im(w_rows.T @ dz, in_shape, fh, fw, p)
        PHASES["numpy backward"] = time.perf_counter() - t0 - PHASES["numpy forward"]
        return float(loss), [grads[k] for k in self.names]

    def sgdm(self, grads):
        for k, g in zip(self.names, grads):
            v = self.velocity[k]
            v *= MOMENTUM
            v -= LEARN_RATE * g
            self.params[k] += v


class NumpyTrainer:
    def __init__(self, net, x, t):
        self.model, self.x, self.t = NumpyNet(net), x, t

    def step(self):
        loss, grads = self.model.loss_and_gradients(self.x, self.t)
        t1 = time.perf_counter()
        self.model.sgdm(grads)
        PHASES["numpy sgdm"] = time.perf_counter() - t1
        return loss


# -- checks and timing --------------------------------------------------------------------------------

def busy_cpu_seconds():
    """CPU seconds all processes have spent so far (Linux /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, _, _, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def median_times(fns, repeats):
    """Median wall time of each function and of the phases it records in PHASES.

    The functions alternate, so that load from elsewhere hits all alike. Load matters a lot
    here: with another busy process on these 2-core machines, OpenBLAS's two threads
    slowed the backward GEMMs over tenfold, so the CPU time others used is reported.
    """
    for fn in fns:
        fn(), fn()  # warm-up: allocations, BLAS threads
    times, phases = [[] for _ in fns], {}
    busy, own, start_all = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            PHASES.clear()
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
            for name, seconds in PHASES.items():
                phases.setdefault(name, []).append(seconds)
    if busy is not None:
        others = (busy_cpu_seconds() - busy - (time.process_time() - own)) / (time.perf_counter() - start_all)
        note = "  <- timings unreliable, run again on an idle machine" if others > 0.1 else ""
        print(f"  (other processes used {others:.2f} of the {os.cpu_count()} CPUs meanwhile){note}")
    return [statistics.median(t) for t in times], {k: statistics.median(v) for k, v in phases.items()}


def check_same(net, X, T, x, t):
    """Same weights in: same loss, gradients and predictions out (float32 rounding apart)."""
    loss, gradients, _ = dlfeval(modelLoss, net, X, T)
    reference = NumpyNet(net)
    loss_np, grads_np = reference.loss_and_gradients(x, t)
    assert abs(float(loss) - loss_np) <= 1e-5 * abs(loss_np), (float(loss), loss_np)
    worst_abs = worst_rel = 0.0
    for name, g, g_np in zip(reference.names, gradients.Value, grads_np):
        g = extractdata(g)
        assert g.shape == g_np.shape, (name, g.shape, g_np.shape)
        diff = float(np.max(np.abs(g - g_np)))
        worst_abs = max(worst_abs, diff)
        if name.startswith("conv") and name.endswith("/Bias"):
            assert diff < 1e-5, (name, diff)  # a bias before batch norm has gradient 0 up to rounding
        else:
            worst_rel = max(worst_rel, diff / float(np.max(np.abs(g_np))))
    assert worst_rel < 1e-3, worst_rel
    pred_diff = float(np.max(np.abs(extractdata(predict(net, X)) - NumpyNet(net).predict(x))))
    assert pred_diff < 1e-5, pred_diff
    print(f"loss {float(loss):.6f} (minidl) vs {loss_np:.6f} (NumPy); gradients: max |difference| {worst_abs:.2e}, "
          f"max relative to the parameter's largest gradient {worst_rel:.2e}; predict: max |difference| "
          f"{pred_diff:.2e}")


def main():
    rng(0)
    generator = np.random.default_rng(0)
    x = generator.random((28, 28, 1, N), dtype=np.float32)
    t = np.eye(10, dtype=np.float32)[:, generator.integers(0, 10, N)]  # one-hot, 10 x N
    X, T = dlarray(x, "SSCB"), dlarray(t, "CB")
    net = digits_net()
    print(f"numpy {np.__version__}; batch 28x28x1x{N} float32")
    check_same(net, X, T, x, t)

    repeats = 20
    ours, ref = MinidlTrainer(net, X, T), NumpyTrainer(net, x, t)
    print(f"\ntraining step, median of {repeats} after warm-up:")
    (t_dl, t_np), phases = median_times([ours.step, ref.step], repeats)
    print(f"  minidl           {t_dl * 1e3:8.1f} ms/step")
    print(f"  NumPy reference  {t_np * 1e3:8.1f} ms/step")
    print(f"  ratio minidl/reference {t_dl / t_np:.2f}")
    print("  phases (medians):")
    for name, seconds in phases.items():
        print(f"    {name:<26} {seconds * 1e3:8.1f} ms")

    print(f"\npredict, median of {repeats}:")
    (p_dl, p_np), _ = median_times([lambda: predict(ours.net, X), lambda: ref.model.predict(x)], repeats)
    print(f"  minidl {p_dl * 1e3:.1f} ms/batch, NumPy reference {p_np * 1e3:.1f} ms/batch, ratio {p_dl / p_np:.2f}")


if __name__ == "__main__":
    main()
