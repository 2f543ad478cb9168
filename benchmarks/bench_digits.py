"""The digits workloads side by side: minidl, a plain NumPy im2col reference, and PyTorch's CPU build.

Four workloads on the seed's network (data/digitsCustom.mat: 3 conv + batch norm + ReLU blocks,
a fully connected layer, softmax), one fixed random 28x28x1 batch, float32:

  predict     inference pass
  train       forward + crossentropy + gradients w.r.t. the learnables + SGDM update
  taylor      forward of the TaylorPrunableNetwork + gradients w.r.t. the pruning activations (the
              three conv outputs) + updateScore (the seed example's loop step)
  prune_iter  forward + gradients w.r.t. activations and learnables + SGDM + updateScore (the main
              job's loop step, examples/prune_digits.py)

The three implementations run the same arithmetic from the same weights (checked first: losses and
gradients must agree), and alternate within every round so that load from other processes hits
all alike. Times are seconds per 9,000 images (medians over rounds); what counts are the ratios
measured in one run. Peak memory is measured per implementation and workload in a fresh child
process: VmHWM (peak resident set, /proc/self/status) during 3 steps minus the resident set just
before the first step (network, batch and libraries loaded), i.e. what a step adds at its peak.

The NumPy reference is written straightforwardly: im2col by sliding_window_view and one matmul per
convolution on (C, N, H, W) buffers, col2im by strided adds, batch norm by formula, only the
gradients each workload needs. PyTorch (torch.nn, torch.autograd.grad) runs with as many threads
as OpenBLAS uses here; it is optional (skipped when not importable) and never a minidl dependency.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_digits.py [--batch 128] [--width 20]
--width sets the filter count of the three convolutions (20 is the seed's network, with its trained
weights; other widths start from minidl's initialisers with seed 0).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not
import minidl  # noqa: E402
from minidl import (crossentropy, dlarray, dlfeval, dlgradient, extractdata, forward, predict, sgdmupdate,  # noqa: E402
                    taylorPrunableNetwork, updateScore)
from bench_train_step import col2im, im2col  # noqa: E402  (the plain NumPy im2col pair, on (C, N, H, W) buffers)

WORKLOADS = ("predict", "train", "taylor", "prune_iter")
IMAGES = 9000
LEARN_RATE, MOMENTUM, EPS = 0.01, 0.9, 1e-5
PADDING = (0, 1, 1)  # of conv1, conv2, conv3
PAUSE = 0.3  # seconds of quiet before each timed run (see time_rounds)


def seed_network(width):
    """The seed's dlnetwork, or the same architecture with ``width`` filters per convolution."""
    net = minidl.load(ROOT / "data" / "digitsCustom.mat").dlnet
    if width == 20:
        return net
    from minidl import (batchNormalizationLayer, convolution2dLayer, dlnetwork, fullyConnectedLayer,
                        imageInputLayer, reluLayer, softmaxLayer)
    minidl.rng(0)
    mean = extractdata(net.Layers[0].Mean) if hasattr(net.Layers[0].Mean, "fmt") else net.Layers[0].Mean
    layers = [imageInputLayer([28, 28, 1], Name="input", Mean=np.asarray(mean, np.float32))]
    for k, (size, pad) in enumerate(zip((5, 3, 3), PADDING), start=1):
        layers += [convolution2dLayer(size, width, Padding=pad, Name=f"conv{k}"),
                   batchNormalizationLayer(Name=f"bn{k}"), reluLayer(Name=f"relu{k}")]
    return dlnetwork(layers + [fullyConnectedLayer(10, Name="fc"), softmaxLayer(Name="softmax")])


def parameters(net):
    """{'conv1/Weights': float32 array in MATLAB's shape, ...} and the input Mean."""
    t = net.Learnables
    params = {f"{layer}/{p}": np.array(extractdata(v), np.float32) for layer, p, v in zip(t.Layer, t.Parameter, t.Value)}
    s = net.State
    state = {f"{layer}/{p}": np.array(extractdata(v), np.float32) for layer, p, v in zip(s.Layer, s.Parameter, s.Value)}
    mean = net.Layers[0].Mean
    return params, state, np.asarray(extractdata(mean) if isinstance(mean, dlarray) else mean, np.float32)


# -- minidl: the examples' code -------------------------------------------------------------------------

def _loss_learnables(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def _loss_activations(net, X, T):
    Y, _, acts = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, acts, dlgradient(loss, acts)


def _loss_both(net, X, T):
    Y, state, acts = forward(net, X)
    loss = crossentropy(Y, T)
    grads, net_grads = dlgradient(loss, acts, net.Learnables)
    return loss, acts, grads, net_grads, state


class Minidl:
    name = "minidl"

    def __init__(self, net, x, t):
        self.X, self.T = dlarray(x, "SSCB"), dlarray(t, "CB")
        self.net, self.prunable = net, taylorPrunableNetwork(net)
        self.vel = self.pvel = None

    def predict(self):
        return predict(self.net, self.X)

    def train(self):
        loss, grads, state = dlfeval(_loss_learnables, self.net, self.X, self.T)
        self.net.State = state
        self.net, self.vel = sgdmupdate(self.net, grads, self.vel, LEARN_RATE, MOMENTUM)
        return loss, grads

    def taylor(self):
        loss, acts, grads = dlfeval(_loss_activations, self.prunable, self.X, self.T)
        self.prunable = updateScore(self.prunable, acts, grads)
        return loss, grads

    def prune_iter(self):
        loss, acts, grads, net_grads, state = dlfeval(_loss_both, self.prunable, self.X, self.T)
        self.prunable.State = state
        self.prunable, self.pvel = sgdmupdate(self.prunable, net_grads, self.pvel, LEARN_RATE, MOMENTUM)
        self.prunable = updateScore(self.prunable, acts, grads)
        return loss, grads


# -- the plain NumPy reference ---------------------------------------------------------------------------

class Reference:
    name = "reference"

    def __init__(self, net, x, t):
        self.params, self.state, self.mean = parameters(net)
        self.names = list(self.params)
        self.vel = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.score = [0.0] * 3
        self.x, self.t, self.N = x, t, x.shape[3]

    def _forward(self, training):
        P, cache = self.params, []
        a = np.ascontiguousarray((self.x - self.mean[..., None]).transpose(2, 3, 0, 1))  # (C, N, H, W)
        for k, p in enumerate(PADDING, start=1):
            w = P[f"conv{k}/Weights"]
            fh, fw, c, f = w.shape
            cols, (Ho, Wo) = im2col(a, fh, fw, p)
            w_rows = w.transpose(3, 2, 0, 1).reshape(f, c * fh * fw)
            z = w_rows @ cols + P[f"conv{k}/Bias"].reshape(f, 1)  # (F, N*Ho*Wo)
            if training:
                mu = z.mean(axis=1, keepdims=True)
                zc = z - mu
                var = np.mean(zc * zc, axis=1, keepdims=True)
                for name, new in (("TrainedMean", mu), ("TrainedVariance", var)):
                    old = self.state[f"bn{k}/{name}"]
                    old[...] = 0.1 * new.reshape(old.shape) + 0.9 * old
            else:
                zc = z - self.state[f"bn{k}/TrainedMean"].reshape(f, 1)
                var = self.state[f"bn{k}/TrainedVariance"].reshape(f, 1)
            inv_std = 1 / np.sqrt(var + np.float32(EPS))
            xhat = zc * inv_std
            y = xhat * P[f"bn{k}/Scale"].reshape(f, 1) + P[f"bn{k}/Offset"].reshape(f, 1)
            cache.append((a.shape, cols, w_rows, z, xhat, inv_std, y > 0))
            a = np.maximum(y, 0).reshape(f, self.N, Ho, Wo)
        # MATLAB flattens h + w*H + c*H*W per observation: row-major order of an (N, C, W, H) array.
        flat = a.transpose(1, 0, 3, 2).reshape(self.N, -1)
        logits = P["fc/Weights"] @ flat.T + P["fc/Bias"]
        e = np.exp(logits - logits.max(axis=0))
        return e / e.sum(axis=0), (cache, a.shape, flat)

    def _backward(self, weights, activations):
        """Loss, {learnable: gradient} if ``weights``, [dloss/dz per conv] if ``activations``."""
        P, grads, act_grads = self.params, {}, []
        Y, (cache, a_shape, flat) = self._forward(training=True)
        loss = -np.sum(self.t * np.log(np.maximum(Y, np.finfo(np.float32).eps))) / self.N
        dlogits = (Y - self.t) / np.float32(self.N)  # softmax + crossentropy together
        if weights:
            grads["fc/Weights"] = dlogits @ flat
            grads["fc/Bias"] = dlogits.sum(axis=1, keepdims=True)
        c, _, h, w = a_shape
        da = (P["fc/Weights"].T @ dlogits).reshape(c, w, h, self.N).transpose(0, 3, 2, 1)
        for k in (3, 2, 1):
            in_shape, cols, w_rows, z, xhat, inv_std, positive = cache[k - 1]
            f = w_rows.shape[0]
            dy = da.reshape(f, -1) * positive
            d_offset, d_scale = dy.sum(axis=1), (dy * xhat).sum(axis=1)
            m = dy.shape[1]
            dz = (P[f"bn{k}/Scale"].reshape(f, 1) * inv_std) * (
                dy - d_offset.reshape(f, 1) / m - xhat * d_scale.reshape(f, 1) / m)
            if weights:
                fh, fw, cin, _ = P[f"conv{k}/Weights"].shape
                grads[f"bn{k}/Offset"], grads[f"bn{k}/Scale"] = d_offset.reshape(1, 1, f), d_scale.reshape(1, 1, f)
                grads[f"conv{k}/Weights"] = (dz @ cols.T).reshape(f, cin, fh, fw).transpose(2, 3, 1, 0)
                grads[f"conv{k}/Bias"] = dz.sum(axis=1).reshape(1, 1, f)
            if activations:
                act_grads.insert(0, (z, dz))
            if k > 1:  # the input image needs no gradient
                fh, fw = P[f"conv{k}/Weights"].shape[:2]
                da = col2im(w_rows.T @ dz, in_shape, fh, fw, PADDING[k - 1])
        return float(loss), grads, act_grads

    def _sgdm(self, grads):
        for k in self.names:
            v = self.vel[k]
            v *= MOMENTUM
            v -= LEARN_RATE * grads[k]
            self.params[k] += v

    def _update_score(self, act_grads):
        for k, (z, dz) in enumerate(act_grads):
            product = (z * dz).reshape(z.shape[0], self.N, -1)
            self.score[k] = self.score[k] + np.abs(product.mean(axis=2)).mean(axis=1)

    def predict(self):
        return self._forward(training=False)[0]

    def train(self):
        loss, grads, _ = self._backward(weights=True, activations=False)
        self._sgdm(grads)
        return loss, grads

    def taylor(self):
        loss, _, act_grads = self._backward(weights=False, activations=True)
        self._update_score(act_grads)
        return loss, [g for _, g in act_grads]

    def prune_iter(self):
        loss, grads, act_grads = self._backward(weights=True, activations=True)
        self._sgdm(grads)
        self._update_score(act_grads)
        return loss, grads


# -- PyTorch's CPU build (optional) -------------------------------------------------------------------------

class Torch:
    name = "torch"

    def __init__(self, net, x, t, threads):
        import torch
        torch.set_num_threads(threads)
        self.torch = torch
        params, state, mean = parameters(net)
        layers = []
        for k, p in enumerate(PADDING, start=1):
            w = params[f"conv{k}/Weights"]
            conv = torch.nn.Conv2d(w.shape[2], w.shape[3], w.shape[:2], padding=p)
            bn = torch.nn.BatchNorm2d(w.shape[3], eps=EPS, momentum=0.1)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(w.transpose(3, 2, 0, 1).copy()))
                conv.bias.copy_(torch.from_numpy(params[f"conv{k}/Bias"].ravel()))
                bn.weight.copy_(torch.from_numpy(params[f"bn{k}/Scale"].ravel()))
                bn.bias.copy_(torch.from_numpy(params[f"bn{k}/Offset"].ravel()))
                bn.running_mean.copy_(torch.from_numpy(state[f"bn{k}/TrainedMean"].ravel()))
                bn.running_var.copy_(torch.from_numpy(state[f"bn{k}/TrainedVariance"].ravel()))
            layers.append((conv, bn))
        self.blocks = layers
        self.fc = torch.nn.Linear(params["fc/Weights"].shape[1], 10)
        with torch.no_grad():
            self.fc.weight.copy_(torch.from_numpy(params["fc/Weights"]))
            self.fc.bias.copy_(torch.from_numpy(params["fc/Bias"].ravel()))
        self.modules = torch.nn.ModuleList([m for pair in layers for m in pair] + [self.fc])
        self.params = list(self.modules.parameters())
        self.opt = torch.optim.SGD(self.params, lr=LEARN_RATE, momentum=MOMENTUM)
        self.x = torch.from_numpy(np.ascontiguousarray((x - mean[..., None]).transpose(3, 2, 0, 1)))
        self.labels = torch.from_numpy(t.argmax(axis=0))
        self.score = [0.0] * 3

    def _forward(self):
        a, acts = self.x, []
        for conv, bn in self.blocks:
            z = conv(a)
            acts.append(z)
            a = self.torch.relu(bn(z))
        # MATLAB's column-major flatten (h fastest) is torch's row-major flatten of (N, C, W, H).
        logits = self.fc(a.transpose(2, 3).flatten(1))
        return logits, acts

    def predict(self):
        self.modules.eval()
        with self.torch.no_grad():
            return self.torch.softmax(self._forward()[0], 1)

    def _loss(self):
        self.modules.train()
        logits, acts = self._forward()
        return self.torch.nn.functional.cross_entropy(logits, self.labels), acts

    def _update_score(self, acts, grads):
        with self.torch.no_grad():
            for k, (a, g) in enumerate(zip(acts, grads)):
                self.score[k] = self.score[k] + (a * g).mean(dim=(2, 3)).abs().mean(dim=0)

    def train(self):
        loss, _ = self._loss()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss, [p.grad for p in self.params]

    def taylor(self):
        loss, acts = self._loss()
        grads = self.torch.autograd.grad(loss, acts)
        self._update_score(acts, grads)
        return loss, grads

    def prune_iter(self):
        loss, acts = self._loss()
        grads = self.torch.autograd.grad(loss, acts + self.params)
        for p, g in zip(self.params, grads[3:]):
            p.grad = g
        self.opt.step()
        self._update_score(acts, grads[:3])
        return loss, grads[:3]


# -- set-up, checks, timing, memory -------------------------------------------------------------------------

def blas_info():
    """(description, threads) of the BLAS NumPy uses."""
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        # NumPy's own BLAS first (SciPy and torch may load others).
        for pool in sorted(pools, key=lambda p: "numpy" not in p["filepath"]):
                return (f"{pool['internal_api']} {pool.get('version')} kernel {pool.get('architecture')}, "
                        f"{pool['num_threads']} threads ({Path(pool['filepath']).name})"), pool["num_threads"]
    except ImportError:
        pass
    return "unknown (install threadpoolctl to see it)", os.cpu_count()


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def build(batch, width, frameworks, threads):
    generator = np.random.default_rng(0)
    x = generator.random((28, 28, 1, batch), dtype=np.float32)
    t = np.eye(10, dtype=np.float32)[:, generator.integers(0, 10, batch)]
    net = seed_network(width)
    makers = {"minidl": lambda: Minidl(net, x, t), "reference": lambda: Reference(net, x, t),
              "torch": lambda: Torch(net, x, t, threads)}
    return [makers[name]() for name in frameworks]


def as_numpy(v):
    if isinstance(v, dlarray):
        return np.asarray(extractdata(v))
    if hasattr(v, "detach"):
        return v.detach().numpy()
    return np.asarray(v)


def check_same(impls):
    """From the same weights, the first step of each workload gives the same loss and activation gradients."""
    fresh = {impl.name: impl for impl in impls}
    preds = [as_numpy(impl.predict()) for impl in impls]
    worst = max(float(np.max(np.abs(p.reshape(10, -1) - preds[0].reshape(10, -1)))) if p.shape == preds[0].shape
                else float(np.max(np.abs(p.T - preds[0]))) for p in preds)
    assert worst < 1e-4, f"predict differs by {worst}"
    losses = {name: float(as_numpy(impl.taylor()[0])) for name, impl in fresh.items()}
    spread = max(losses.values()) - min(losses.values())
    assert spread < 1e-4 * max(abs(v) for v in losses.values()), losses
    print(f"check: same predictions (max |difference| {worst:.1e}) and same loss "
          + ", ".join(f"{k} {v:.6f}" for k, v in losses.items()))


def busy_cpu_seconds():
    """CPU seconds all processes have spent so far (Linux /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _, _, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def time_rounds(impls, rounds, steps):
    """{(workload, name): median seconds per step}; the implementations alternate inside every round.

    Their order rotates from round to round, and each timed run starts after a short pause: torch's
    OpenMP threads keep spinning for a while after its last operation, which slowed whatever ran
    right after torch by up to 2x with 2 threads.
    """
    times = {}
    for workload in WORKLOADS:
        for impl in impls:
            getattr(impl, workload)()  # warm-up
    for k in range(rounds):
        for workload in WORKLOADS:
            for impl in impls[k % len(impls):] + impls[:k % len(impls)]:
                fn = getattr(impl, workload)
                time.sleep(PAUSE)
                start = time.perf_counter()
                for _ in range(steps):
                    fn()
                times.setdefault((workload, impl.name), []).append((time.perf_counter() - start) / steps)
    return {k: statistics.median(v) for k, v in times.items()}


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory_child(name, workload, batch, width, threads):
    """Run in a fresh process: peak resident memory a few steps add, in MiB (None where unmeasurable)."""
    impl = build(batch, width, [name], threads)[0]
    fn = getattr(impl, workload)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set (Linux >= 4.0)
        before = _status_kib("VmRSS")
    except OSError:
        print("None")
        return
    for _ in range(3):
        fn()
    print((_status_kib("VmHWM") - before) / 1024)


def peak_memory(name, workload, args, blas_threads, torch_threads):
    out = subprocess.run([sys.executable, __file__, "--memory-child", name, workload, "--batch", str(args.batch),
                          "--width", str(args.width), "--torch-threads", str(torch_threads)], capture_output=True,
                         text=True, env={**os.environ, "BENCH_THREADS": str(blas_threads)})
    if out.returncode:
        return None
    value = out.stdout.strip().splitlines()[-1]
    return None if value == "None" else float(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--width", type=int, default=20, help="filters per convolution (20: the seed network)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: what OpenBLAS chose); "
                        "1 gives steadier ratios on a loaded machine")
    parser.add_argument("--torch-threads", type=int, help="torch threads (default: as many as the BLAS uses); "
                        "with --threads 1 --torch-threads 2 minidl's own threads (kernels/parallel.py) use both cores "
                        "against torch on both")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument("--memory-child", nargs=2, metavar=("IMPL", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    threads = args.threads or int(os.environ.get("BENCH_THREADS", 0))
    if threads:
        from threadpoolctl import threadpool_limits
        _limits = threadpool_limits(threads, user_api="blas")  # noqa: F841  (kept for the whole run)
    blas, blas_threads = blas_info()
    threads = args.torch_threads or blas_threads  # torch's; minidl's follow the BLAS (kernels/parallel.py)
    if args.memory_child:
        memory_child(*args.memory_child, args.batch, args.width, threads)
        return

    frameworks = ["minidl", "reference"] + (["torch"] * torch_available())
    print(f"digits workloads, batch {args.batch}, width {args.width} filters per conv, float32, "
          f"seconds per {IMAGES} images (median of {args.rounds} alternating rounds)")
    print(f"numpy {np.__version__}, BLAS: {blas}")
    print(f"minidl threads: {os.environ.get('MINIDL_THREADS') or 'automatic'} (minidl/threads.py)")
    if "torch" in frameworks:
        import torch
        print(f"torch {torch.__version__}, {threads} threads ({'--torch-threads' if args.torch_threads else 'set to match'}), "
              f"{torch.backends.cpu.get_cpu_capability()}")
    else:
        print("torch not importable: the torch columns are left out")
    env = {k: os.environ[k] for k in os.environ if k.startswith(("OPENBLAS", "OMP", "MKL", "GLIBC", "MALLOC",
                                                                  "MINIDL"))}
    print(f"environment variables that affect speed: {env or 'none'}; {os.cpu_count()} CPUs")
    impls = build(args.batch, args.width, frameworks, threads)
    check_same(build(args.batch, args.width, frameworks, threads))

    load_before, busy, own, wall = os.getloadavg(), busy_cpu_seconds(), time.process_time(), time.perf_counter()
    steps = max(1, 512 // args.batch)
    times = time_rounds(impls, args.rounds, steps)
    load_after = os.getloadavg()
    others = None if busy is None else \
        (busy_cpu_seconds() - busy - (time.process_time() - own)) / (time.perf_counter() - wall)

    memory = {}
    if not args.no_memory:
        for workload in WORKLOADS:
            for name in frameworks:
                memory[(workload, name)] = peak_memory(name, workload, args, blas_threads, threads)

    per = IMAGES / args.batch
    head = f"{'workload':<11} " + " ".join(f"{n + ' s':>12}" for n in frameworks) + f" {'minidl/ref':>11}"
    head += f" {'minidl/torch':>13}" if "torch" in frameworks else ""
    head += "   peak MiB " + "/".join(frameworks) if memory else ""
    print("\n" + head)
    for workload in WORKLOADS:
        row = f"{workload:<11} " + " ".join(f"{times[(workload, n)] * per:12.3f}" for n in frameworks)
        row += f" {times[(workload, 'minidl')] / times[(workload, 'reference')]:10.2f}x"
        if "torch" in frameworks:
            row += f" {times[(workload, 'minidl')] / times[(workload, 'torch')]:12.2f}x"
        if memory:
            row += "   " + " / ".join("n/a" if memory[(workload, n)] is None else f"{memory[(workload, n)]:.0f}"
                                      for n in frameworks)
        print(row)
    print(f"\nratios > 1 mean minidl is slower. Load average (1 min) {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after the timing; other processes used "
          + ("?" if others is None else f"{others:.2f}") + f" of the {os.cpu_count()} CPUs during it"
          + ("  <- machine busy: trust the ratios, not the seconds" if others and others > 0.2 else ""))
    if memory:
        print("peak MiB: the most resident memory 3 steps add over the loaded network and batch (VmHWM - VmRSS, "
              "fresh process per entry)")


if __name__ == "__main__":
    main()
