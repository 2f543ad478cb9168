"""The main job's pruning-loop step at each iteration's filter counts: cut run (default) against the masked run.

examples/prune_digits.py fine-tunes the TaylorPrunableNetwork for 50 mini-batches per pruning iteration
(forward, gradients with respect to the pruning activations and the learnables, sgdmupdate,
updateScore: bench_digits.py's prune_iter workload). Once filters are pruned, forward runs the network
without them ("cut", what dlnetwork(prunableNet) computes); ``forward(..., Outputs=<output>)`` runs the
whole network with pruned channels zeroed where they are read ("masked", what MATLAB simulates, and
what minidl did before). This script times that step at the filter counts each iteration of the
default job starts with, both ways alternating within every round, on the seed's network and one fixed
random batch (float32), and prints milliseconds per step, their ratio, and the loop's total for 50
steps per iteration. When PyTorch is importable (``pip install torch==2.13.0``; never a minidl
dependency) the same step also runs in torch on the cut network (bench_digits.py's torch prune_iter,
from dlnetwork(prunableNet)'s weights, as many threads as OpenBLAS uses), alternating with the other two:
how the main job's loop would fare written in PyTorch on a network pruned to the same filters.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_prune_schedule.py [--batch 128]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digits  # noqa: E402  (it puts the repository on sys.path)

from minidl import (crossentropy, dlarray, dlfeval, dlgradient, dlnetwork, extractdata, forward, sgdmupdate,  # noqa: E402
                    taylorPrunableNetwork, updatePrunables, updateScore)
from minidl.blasinfo import blas_summary  # noqa: E402

# filters of conv1/conv2/conv3 at the start of each pruning iteration of `python examples/prune_digits.py`
SCHEDULE = [(20, 20, 20), (20, 18, 14), (18, 14, 12), (14, 13, 9), (11, 10, 7), (9, 5, 6)]
STEPS_PER_ITERATION = 50


def with_filters(prunable, counts):
    """``prunable`` after updatePrunables removed the last filters of each convolution down to ``counts``
    (scores made by updateScore from constant maps: filter f of a layer scores 1 if kept, else 0)."""
    example = dlarray(np.zeros((28, 28, 1, 1), np.float32), "SSCB")
    sizes = [a.shape for a in forward(prunable, example)[2]]
    acts = [dlarray(np.broadcast_to((np.arange(s[2]) < n).astype(np.float32).reshape(1, 1, -1, 1), s), "SSCB")
            for s, n in zip(sizes, counts)]
    scored = updateScore(prunable, acts, [dlarray(np.ones(a.shape, np.float32), "SSCB") for a in acts])
    removed = sum(s[2] - n for s, n in zip(sizes, counts))
    pruned = updatePrunables(scored, MaxToPrune=removed) if removed else scored
    got = tuple(layer.NumFilters for layer in dlnetwork(pruned).Layers if layer.class_name == "Convolution2DLayer")
    if got != tuple(counts):
        raise RuntimeError(f"the scores pruned to {got} filters, not {tuple(counts)}")
    return pruned


def loss_both(outputs):
    def run(net, X, T):
        Y, state, acts = forward(net, X, Outputs=outputs) if outputs else forward(net, X)
        loss = crossentropy(Y, T)
        grads, net_grads = dlgradient(loss, acts, net.Learnables)
        return loss, acts, grads, net_grads, state
    return run


class Step:
    """bench_digits' prune_iter on one TaylorPrunableNetwork, run cut (outputs None) or masked."""

    def __init__(self, prunable, X, T, outputs):
        self.prunable, self.X, self.T, self.vel, self.fn = prunable, X, T, None, loss_both(outputs)

    def __call__(self):
        loss, acts, grads, net_grads, state = dlfeval(self.fn, self.prunable, self.X, self.T)
        self.prunable.State = state
        self.prunable, self.vel = sgdmupdate(self.prunable, net_grads, self.vel, bench_digits.LEARN_RATE,
                                             bench_digits.MOMENTUM)
        self.prunable = updateScore(self.prunable, acts, grads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=4, help="steps timed back to back per round (default 4)")
    args = parser.parse_args()
    generator = np.random.default_rng(0)
    X = dlarray(generator.random((28, 28, 1, args.batch), dtype=np.float32), "SSCB")
    T = dlarray(np.eye(10, dtype=np.float32)[:, generator.integers(0, 10, args.batch)], "CB")
    base = taylorPrunableNetwork(bench_digits.seed_network(20))
    output = base.OutputNames[0]
    threads = bench_digits.blas_info()[1]
    torch = bench_digits.torch_available()
    print(f"the main job's prune_iter step, batch {args.batch}, float32: median of {args.rounds} rounds of "
          f"{args.steps} steps, cut and masked" + (" and torch (cut network)" if torch else "") + " alternating")
    print(f"{blas_summary()}; load average (1 min) {os.getloadavg()[0]:.2f}")
    if torch:
        import torch as torch_module
        print(f"torch {torch_module.__version__}, {threads} threads")
    print(f"\n{'iteration':>9} {'filters':>9} {'cut ms':>8} {'masked ms':>10} {'cut/masked':>11}"
          + (f" {'torch ms':>9} {'cut/torch':>10}" if torch else ""))
    totals = [0.0, 0.0, 0.0]
    for k, counts in enumerate(SCHEDULE, start=1):
        prunable = with_filters(base, counts)
        steps = [Step(prunable, X, T, None), Step(prunable, X, T, output)]
        if torch:
            steps.append(bench_digits.Torch(dlnetwork(prunable), extractdata(X), extractdata(T), threads).prune_iter)
        for step in steps:
            step()  # warm-up
        times = [[] for _ in steps]
        for r in range(args.rounds):
            for j in range(len(steps)):
                j = (j + r) % len(steps)  # the order rotates from round to round
                time.sleep(bench_digits.PAUSE)
                start = time.perf_counter()
                for _ in range(args.steps):
                    steps[j]()
                times[j].append((time.perf_counter() - start) / args.steps)
        ms = [1000 * statistics.median(t) for t in times]
        for j, value in enumerate(ms):
            totals[j] += value * STEPS_PER_ITERATION / 1000
        print(f"{k:>9} {'/'.join(map(str, counts)):>9} {ms[0]:>8.1f} {ms[1]:>10.1f} {ms[0] / ms[1]:>10.2f}x"
              + (f" {ms[2]:>9.1f} {ms[0] / ms[2]:>9.2f}x" if torch else ""))
    print(f"\n{STEPS_PER_ITERATION} steps per iteration: cut {totals[0]:.1f} s, masked {totals[1]:.1f} s "
          f"({totals[0] / totals[1]:.2f}x)" + (f", torch {totals[2]:.1f} s (cut/torch {totals[0] / totals[2]:.2f}x)"
                                               if torch else "")
          + f"; load average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
