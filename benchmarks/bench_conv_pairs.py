"""Two outputs a window row against one: the convolution kernels on the digits shapes, alternating.

minidl.kernels.conv lets each window row of a host convolution with several input channels, few
filters and an even output width hold the windows of two horizontally adjacent outputs (filters
widened with zeros), because OpenBLAS runs the tall, narrow GEMMs of few filters slowly. This script
times the kernels' forward and input gradient (the weight gradient keeps one output a row) both ways
on 24x24 images (3x3 filters, padding 1, batch 128, float32: the digits net's conv2 and conv3) for
the filter counts the main job's pruning passes through and wider ones (both ways for every shape,
whatever MAX_PAIRED_FILTERS picks), alternating within every round, inside minidl.threads.compute()
as in a training step (OpenBLAS at one thread a call, the chunks on minidl's two threads), and prints
the medians and their ratio, the BLAS, the load and the CPU time the hypervisor gave to others
(steal) during the run.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv_pairs.py [--rounds 15] [--shapes C,F ...]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digits  # noqa: E402  (it puts the repository on sys.path)

from minidl.kernels import conv  # noqa: E402
from minidl.threads import compute  # noqa: E402
from minidl.kernels.im2col import Window  # noqa: E402

SHAPES = [(20, 20), (20, 18), (18, 14), (14, 13), (13, 9), (10, 7), (5, 6), (4, 4), (16, 16), (24, 24),
          (32, 32), (64, 64)]  # (C, F)
_pairs = conv._Pairs


def one_output_rows(x, window, F):
    off = _pairs(x, window, F)
    off.window = None
    return off


def steal_seconds():
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--shapes", nargs="*", default=[], metavar="C,F", help="channels in, filters (default: "
                        "the main job's)")
    args = parser.parse_args()
    print(f"BLAS: {bench_digits.blas_info()[0]}; load average {os.getloadavg()[0]:.2f} before")
    shapes = [tuple(int(v) for v in s.split(",")) for s in args.shapes] or SHAPES
    conv.MAX_PAIRED_FILTERS = max(F for _, F in shapes)  # both ways for every shape, whatever minidl picks
    steal, wall = steal_seconds(), time.perf_counter()
    rng = np.random.default_rng(0)
    window = Window((3, 3), (1, 1), (1, 1), (1, 1, 1, 1))
    print(f"{'C -> F':>9} " + "".join(f"{k + ' one/two ms':>22}{'ratio':>7}" for k in ("forward", "dx")))
    for C, F in shapes:
        x = rng.standard_normal((args.batch, 24, 24, C)).astype(np.float32).transpose(1, 2, 3, 0)
        w = rng.standard_normal((9 * C, F)).astype(np.float32)
        g = rng.standard_normal((args.batch * 576, F)).astype(np.float32)
        kernels = {"forward": lambda: conv.forward(x, w, None, window),
                   "dx": lambda: conv.backward(g, x, w, window, True, False)}
        times = {}
        with compute():
            for r in range(args.rounds + 1):
                for two in ((False, True) if r % 2 else (True, False)):
                    conv._Pairs = _pairs if two else one_output_rows
                    for name, fn in kernels.items():
                        start = time.perf_counter()
                        fn()
                        if r:  # round 0 warms up
                            times.setdefault((name, two), []).append(time.perf_counter() - start)
        conv._Pairs = _pairs
        row = f"{C:>4} -> {F:<3}"
        for name in kernels:
            one, two = (1000 * statistics.median(times[(name, k)]) for k in (False, True))
            row += f"{one:>12.2f} / {two:>6.2f}{two / one:>6.2f}x"
        print(row, flush=True)
    elapsed = time.perf_counter() - wall
    print(f"ratio < 1: two outputs a row are faster. Load average {os.getloadavg()[0]:.2f} after; steal "
          f"{(steal_seconds() - steal) / elapsed:.2f} of a CPU on average during the run")


if __name__ == "__main__":
    main()
