"""Where a digits step's time goes: wall time inside minidl's kernels, per kernel, over many steps.

Runs one of bench_digits.py's workloads for minidl (the seed's network, one fixed random batch,
float32) and times every call of the kernel entry points (convolution, batch norm, ReLU) with the
thread pool and OpenBLAS as minidl sets them; a kernel called from inside another (the gather form
of the convolution's input gradient calls its forward; in predict a convolution normalises its chunks
with the batch-norm kernel, on any thread) counts for the outer one only, so the shares add up.
"rest" is the step's time outside these kernels: fully connected layer, loss, tape, update (and in
taylor and prune_iter updateScore). The convolutions' weight gradients and the Taylor score's sums are
left to the pool's idle worker during the gradient walk (minidl.kernels.parallel.later): the main
thread's share of them, and its wait for the rest, fall where they are finished (the end of dlgradient,
updateScore), so they count for "rest", not for the convolution backward.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/profile_digits_step.py [--workload train] [--batch 128] [--width 20]
"""
import argparse
import collections
import os
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digits  # noqa: E402  (it puts the repository on sys.path)
from minidl.kernels import batchnorm, conv, relu  # noqa: E402

KERNELS = {"convolution forward": (conv, "forward"), "convolution backward": (conv, "backward"),
           "batch norm forward": (batchnorm, "forward"), "batch norm backward": (batchnorm, "backward"),
           "batch norm inference": (batchnorm, "normalize"), "ReLU forward": (relu, "forward"),
           "ReLU backward": (relu, "backward")}


def timed(totals, label, fn, inside):
    def call(*args, **kwargs):
        if getattr(inside, "busy", False):
            return fn(*args, **kwargs)
        inside.busy = True
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - start
            inside.busy = False
    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=bench_digits.WORKLOADS, default="train")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--width", type=int, default=20, help="filters per convolution (20: the seed network)")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    impl = bench_digits.build(args.batch, args.width, ["minidl"], None)[0]
    step = getattr(impl, args.workload)
    for _ in range(3):
        step()  # warm-up
    # one flag for all threads: the pool's workers run kernels (the batch norm a convolution applies to its
    # chunks in predict) only inside a kernel the main thread called, and those count for that kernel
    totals, inside = collections.defaultdict(float), types.SimpleNamespace(busy=False)
    for label, (module, name) in KERNELS.items():
        setattr(module, name, timed(totals, label, getattr(module, name), inside))
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    total = time.perf_counter() - start
    print(f"{args.workload} step at batch {args.batch}, width {args.width}: {1000 * total / args.steps:.1f} ms "
          f"(mean of {args.steps}; load average {os.getloadavg()[0]:.2f}; BLAS: {bench_digits.blas_info()[0]})")
    totals["rest"] = total - sum(totals.values())
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {label:<22} {1000 * seconds / args.steps:7.1f} ms  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
