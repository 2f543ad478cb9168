"""The Taylor score's sums of a pruned network: over the kept filters (what updateScore does with a cut run's
maps) against over the full-size maps (what it did before, and still does with maps that are not spreads).

A TaylorPrunableNetwork whose filters are pruned hands out its activations and gradients at full size, zeros
for the pruned filters (kernels/channels.spread); kernels/sums.float64_product_sums sums a pair of spreads over
what was spread and widens the sums with zeros. This script makes such pairs at the digits conv outputs'
size (24x24, channel-last, float32) for the filter counts each iteration of `python examples/prune_digits.py`
starts with (20 filters a layer before pruning), and times the sums of the spreads and of copies of them (which
are not spreads, so they take the full maps), alternating, on the thread pool as updateScore runs them. It
prints milliseconds per layer's pair, the ratio, and whether the results are identical bit for bit.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_score_sums.py [--batch 128] [--rounds 15]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_prune_schedule  # noqa: E402  (it puts the repository on sys.path)

from minidl.blasinfo import blas_summary  # noqa: E402
from minidl.kernels import channels, sums  # noqa: E402
from minidl.threads import compute  # noqa: E402

FILTERS = 20  # per convolution before pruning


def pair(rng, kept, batch):
    """A channel-last activation and gradient of ``kept`` of FILTERS channels, spread to full size."""
    index = np.sort(rng.choice(FILTERS, kept, replace=False))
    cut = [rng.standard_normal((batch, 24, 24, kept), dtype=np.float32).transpose(1, 2, 3, 0) for _ in range(2)]
    return cut, [channels.spread(c, 2, index, FILTERS) for c in cut]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"Taylor score sums of one layer's full-size pair, batch {args.batch}, {FILTERS} filters before pruning: "
          f"median of {args.rounds} alternating rounds\n{blas_summary()}; load average (1 min) {os.getloadavg()[0]:.2f}")
    print(f"\n{'kept':>5} {'kept sums ms':>13} {'full sums ms':>13} {'ratio':>7}  identical")
    counts = sorted({n for schedule in bench_prune_schedule.SCHEDULE for n in schedule if n < FILTERS}, reverse=True)
    for kept in counts:
        cut, (a, g) = pair(rng, kept, args.batch)  # cut: the spreads' sources stay alive, as in a gradient walk
        copies = (a.copy(order="K"), g.copy(order="K"))
        assert channels.common_source(a, g) is not None and channels.common_source(*copies) is None
        runs = {"kept": lambda: sums.float64_product_sums([(a, g, (2, 3))])[0],
                "full": lambda: sums.float64_product_sums([(*copies, (2, 3))])[0]}
        times = {name: [] for name in runs}
        with compute():
            results = {name: fn() for name, fn in runs.items()}  # warm-up
            for r in range(args.rounds):
                for name in (list(runs) if r % 2 else list(runs)[::-1]):
                    start = time.perf_counter()
                    runs[name]()
                    times[name].append(time.perf_counter() - start)
        ms = {name: 1000 * statistics.median(t) for name, t in times.items()}
        same = np.array_equal(results["kept"], results["full"])
        print(f"{kept:>5} {ms['kept']:>13.2f} {ms['full']:>13.2f} {ms['kept'] / ms['full']:>6.2f}x  {same}")
    print(f"\nload average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
