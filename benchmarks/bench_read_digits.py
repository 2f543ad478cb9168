"""How fast imageDatastore lists and decodes the DigitDataset (single thread).

Run: python benchmarks/bench_read_digits.py [folder]
Target: all 10,000 PNGs read in well under 5 s.
"""
import sys
import time
from pathlib import Path

from minidl.data import imageDatastore

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "DigitDataset"


def timed(label, count, work):
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    rate = f", {count / seconds:,.0f} images/s" if count else ""
    print(f"{label:<32} {seconds:7.3f} s{rate}")
    return result


def read_loop(imds):
    imds.reset()
    while imds.hasdata():
        imds.read()


def main(folder):
    imds = timed("list files + labels", 0, lambda: imageDatastore(folder, IncludeSubfolders=True,
                                                                  LabelSource="foldernames"))
    n = imds.NumObservations
    timed(f"readall ({n} images)", n, imds.readall)
    timed(f"read() loop ({n} images)", n, lambda: read_loop(imds))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT)
