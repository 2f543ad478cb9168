"""What the thread pool's idle worker saves: the digits steps with and without the work it takes on.

During dlgradient, minidl leaves two kinds of work for the pool's worker to take while it has nothing
else to do (minidl.kernels.parallel.later): each convolution's weight gradient (filled in before anything
reads it, autodiff.gradient.defer) and the Taylor score's float64 sums of each pruning activation, begun as
soon as its gradient is known (pruning.score.start_score, taken by updateScore). This script runs
bench_digits.py's train, taylor and prune_iter workloads for minidl on one fixed random batch, with that
work on ("idle worker") and off (the weight gradients made at once, the sums made in updateScore),
alternating within every round, and prints milliseconds per step (min and median of the rounds), their
ratio, the load seen and the BLAS configuration. The results are the same both ways, bit for bit.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_idle_worker.py [--batch 32 128] [--rounds 9]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digits  # noqa: E402  (it puts the repository on sys.path)

import minidl.pruning.network as prunable_network  # noqa: E402
from minidl.kernels import conv as conv_kernels  # noqa: E402

WORKLOADS = ("train", "taylor", "prune_iter")
_backward, _start_score = conv_kernels.backward, prunable_network.start_score


def idle_work(on):
    """Switch the idle worker's work on (minidl's default) or off."""
    conv_kernels.backward = _backward if on else (lambda *a, **k: _backward(*a, **{**k, "later": False}))
    prunable_network.start_score = _start_score if on else (lambda activation, gradient: None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"BLAS: {bench_digits.blas_info()[0]}; load average {os.getloadavg()[0]:.2f} before")
    busy = bench_digits.busy_cpu_seconds()
    start = time.perf_counter()
    print(f"{'workload':<12}{'batch':>6}{'off min/median ms':>22}{'on min/median ms':>22}{'on/off (medians)':>18}")
    for batch in args.batch:
        impl = bench_digits.build(batch, 20, ["minidl"], None)[0]
        steps = max(5, 1500 // batch)
        for workload in WORKLOADS:
            step = getattr(impl, workload)
            times = {False: [], True: []}
            for on in (False, True):  # warm-up both ways
                idle_work(on)
                step()
            for _ in range(args.rounds):
                for on in (False, True):
                    idle_work(on)
                    t = time.perf_counter()
                    for _ in range(steps):
                        step()
                    times[on].append(1000 * (time.perf_counter() - t) / steps)
            off, on = (statistics.median(times[k]) for k in (False, True))
            print(f"{workload:<12}{batch:>6}{min(times[False]):>12.2f} / {off:<8.2f}{min(times[True]):>12.2f} / "
                  f"{on:<8.2f}{on / off:>14.2f}x")
    idle_work(True)
    wall = time.perf_counter() - start
    used = None if busy is None else bench_digits.busy_cpu_seconds() - busy
    print(f"load average {os.getloadavg()[0]:.2f} after; all processes used "
          f"{'?' if used is None else f'{used / wall:.2f}'} of the {os.cpu_count()} CPUs during the run "
          f"(this one at most 2)")


if __name__ == "__main__":
    main()
