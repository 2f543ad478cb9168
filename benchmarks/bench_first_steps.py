"""Step times right after a pause and the fixed cost of a step: minidl and PyTorch's CPU build side by side.

bench_digits.py times a few steps after a short pause (0.3 s), so a step that is slow right after
idle time weighs on its figures. This script shows that directly, per implementation and workload:
the first, second and third step after a pause, and the median step of a back-to-back run; and, with
``--batch 1``, the fixed cost of a step (what a step costs with almost no data). The implementations
and workloads are bench_digits.py's (the seed's network, one fixed random batch, float32); they
alternate within every round.

Run (from the repository root):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_first_steps.py [--batch 128] [--pause 0.3]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digits  # noqa: E402  (it puts the repository on sys.path)

AFTER_PAUSE = 3  # steps timed one by one after each pause
STEADY = 12  # back-to-back steps for the steady median


def rounds_of(impl, workload, rounds, pause):
    """([first, second, third step after a pause] medians over rounds in ms, steady median step in ms)."""
    step = getattr(impl, workload)
    after = [[] for _ in range(AFTER_PAUSE)]
    for _ in range(rounds):
        time.sleep(pause)
        for k in range(AFTER_PAUSE):
            start = time.perf_counter()
            step()
            after[k].append(time.perf_counter() - start)
    steady = []
    for _ in range(STEADY):
        start = time.perf_counter()
        step()
        steady.append(time.perf_counter() - start)
    return [1000 * statistics.median(t) for t in after], 1000 * statistics.median(steady)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--pause", type=float, default=bench_digits.PAUSE, help="seconds of idle time before each round")
    args = parser.parse_args()
    frameworks = ["minidl"] + (["torch"] if bench_digits.torch_available() else [])
    blas, blas_threads = bench_digits.blas_info()
    impls = bench_digits.build(args.batch, 20, frameworks, blas_threads)
    for impl in impls:
        for workload in bench_digits.WORKLOADS:
            getattr(impl, workload)()  # warm-up
    print(f"digits workloads, batch {args.batch}, float32; {args.rounds} rounds of a {args.pause} s pause, then "
          f"{AFTER_PAUSE} steps timed one by one; steady: median of {STEADY} back-to-back steps")
    print(f"BLAS: {blas}; load average (1 min) {os.getloadavg()[0]:.2f}")
    print(f"\n{'workload':<11} {'implementation':<15} {'1st ms':>8} {'2nd ms':>8} {'3rd ms':>8} {'steady ms':>10} "
          f"{'1st/steady':>11}")
    for workload in bench_digits.WORKLOADS:
        for impl in impls:
            after, steady = rounds_of(impl, workload, args.rounds, args.pause)
            print(f"{workload:<11} {impl.name:<15} {after[0]:8.2f} {after[1]:8.2f} {after[2]:8.2f} {steady:10.2f} "
                  f"{after[0] / steady:10.2f}x")
    print(f"\nload average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
