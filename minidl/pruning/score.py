"""The first-order Taylor importance of convolution filters (Molchanov et al., ICLR 2017).

For a convolution output a (H x W x F x N, SSCB) and the loss gradient g with respect
to it, the score of filter f on one mini-batch is

    S[f] = mean over n of | mean over h, w of a[h, w, f, n] * g[h, w, f, n] |

It uses only the product a*g, so swapping the two arguments gives the same score
(MathWorks' own example passes them swapped). Scores accumulate over calls and are
averaged; at ranking time each group's scores are divided by their L2 norm so one
global ranking works across layers.
"""
import math
import os
from fractions import Fraction
from math import ceil

import numpy as np

from ..backend import to_device
from ..ops.reduce import float64_product_sums, float64_product_sums_later

# Layers keep at least this fraction of their original filters (rounded up, never below one).
# Chosen to reproduce MATLAB's digits example: three 20-filter convolutions give
# NumPrunables 48 (= 3 x (20 - 4)), and 40 after one updatePrunables call.
MIN_KEEP_FRACTION = 0.2

_NORM_EPS = 1e-12


def min_keep(num_filters):
    """Filters a layer of ``num_filters`` always keeps (exact arithmetic: 0.2 * 15 is 3, not 3.0000000000000004)."""
    return max(1, ceil(Fraction(str(MIN_KEEP_FRACTION)) * num_filters))


def _kept(a):
    return tuple(k for k, label in enumerate(a.fmt) if label in "CB")  # C before B in canonical order


# {(id of the activation's data, id of the gradient's data): (those arrays, process id, function giving the sums)}: the
# sums start_score began for the pairs of the latest gradient walk, until batch_scores takes them
_started = {}


def start_score(activation, gradient):
    """Begin the float64 sums of :func:`batch_scores` for this pair on the thread pool's idle workers (called
    by the gradient walk once the activation's gradient is known, while it goes on further back);
    batch_scores takes them when it gets the same two arrays. NumPy data only."""
    a, g = activation.data, gradient.data
    if type(a) is not np.ndarray or type(g) is not np.ndarray or a.shape != g.shape or activation.fmt != gradient.fmt:
        return
    _started[(id(a), id(g))] = (a, g, os.getpid(), float64_product_sums_later(activation, gradient, _kept(activation)))


def forget_started():
    """Drop the sums begun for an earlier gradient walk (a new forward starts; nothing holds on to its maps)."""
    _started.clear()


def batch_scores(pairs):
    """Per-filter Taylor score of one mini-batch for each (activation, gradient) pair: a list of float64
    NumPy vectors.

    The sums of a*g run in float64 without float64 copies of the maps, in any memory layout
    (minidl.ops.reduce.float64_product_sums, all pairs in one pass of the thread pool), so each
    score is the float64 computation. For the pairs a TaylorPrunableNetwork's gradient walk handed
    to :func:`start_score`, the sums begun then are used (the same sums, made while the walk went on).
    """
    sums = [None] * len(pairs)
    for k, (a, g) in enumerate(pairs):
        # either order: a*g and g*a are the same products, summed in the same order (MathWorks' example
        # passes the gradients first)
        found = _started.pop((id(a.data), id(g.data)), None) or _started.pop((id(g.data), id(a.data)), None)
        if found is not None and {id(found[0]), id(found[1])} == {id(a.data), id(g.data)} and found[2] == os.getpid():
            sums[k] = found[3]()  # (a process made by fork has none of the parent's worker threads)
    rest = [k for k, total in enumerate(sums) if total is None]
    for k, total in zip(rest, float64_product_sums([(pairs[k][0], pairs[k][1], _kept(pairs[k][0])) for k in rest])):
        sums[k] = total
    scores = []
    for (a, _), total in zip(pairs, sums):
        count = math.prod(n for n, label in zip(a.shape, a.fmt) if label not in "CB")
        per_example = abs(total / count)
        # What is left is (C, B), or (C,) without a batch dimension.
        scores.append(to_device(per_example.mean(axis=1) if "B" in a.fmt else per_example, "cpu"))
    return scores


def normalised(score, candidates):
    """score / ||score over candidate filters||, so every group ranks on the same scale."""
    norm = np.sqrt(np.sum(score[candidates] ** 2))
    return score / (norm + _NORM_EPS)
