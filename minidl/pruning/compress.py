"""compressNetworkUsingTaylorPruning: score -> prune -> fine-tune, repeated, in one call (MATLAB R2026a).

Defaults (MATLAB's are not all documented; ours are chosen and written here):
LearnablesReductionGoal 0.3, LearnablesReductionIncrement 0.05, NumImportanceScoreIterations 20,
NumFineTuningIterations 50, LearnRate 0.01, Momentum 0.9, MiniBatchSize 128 (array data only).
"""
import numbers

import numpy as np

from .._namevalue import namevalue
from ..autodiff import dlfeval, dlgradient
from ..backend import to_device
from ..dlarray import dlarray
from ..network.dlnetwork import dlnetwork
from ..network.summary import count_learnables
from ..optim import sgdmupdate
from ..random import resolve
from .network import taylorPrunableNetwork, updatePrunables, updateScore


class _ArrayBatches:
    """Mini-batches of in-memory (X, T) dlarrays with the minibatchqueue protocol."""

    def __init__(self, X, T, size, generator):
        if not isinstance(X, dlarray) or "B" not in X.fmt:
            raise TypeError("data: X must be a formatted dlarray with a 'B' dimension (e.g. 'SSCB')")
        self.X, self.T, self.size, self.gen = X, T, size, generator
        self.n = X.shape[X.fmt.index("B")]
        t_axis = T.fmt.index("B") if isinstance(T, dlarray) and "B" in T.fmt else np.ndim(T) - 1
        if np.ndim(T) == 0 or np.shape(T)[t_axis] != self.n:
            raise ValueError(f"data: T must have {self.n} observations (as X has), along its 'B' or last "
                             f"dimension; got size {np.shape(T)}")
        self.order, self.pos = np.arange(self.n), 0

    def _take(self, A, idx):
        axis = A.fmt.index("B") if isinstance(A, dlarray) and "B" in A.fmt else A.ndim - 1
        index = [slice(None)] * A.ndim
        index[axis] = idx
        return A[tuple(index)]

    def hasdata(self):
        return self.pos < self.n

    def next(self):
        idx = self.order[self.pos:self.pos + self.size]
        self.pos += len(idx)
        return self._take(self.X, idx), self._take(self.T, idx)

    def reset(self):
        self.pos = 0

    def shuffle(self):
        self.order, self.pos = self.gen.permutation(self.n), 0


class PruningInfo(dict):
    """Information about the run; keys also read as attributes (info.StopReason)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _next_batch(queue):
    if not queue.hasdata():
        queue.shuffle()
    return queue.next()


def _fraction(value, argname, allow_zero=False):
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not real or not 0 <= value <= 1 or (value == 0 and not allow_zero):
        raise ValueError(f"{argname} must be a number in {'[' if allow_zero else '('}0, 1]; got {value!r}")
    return float(value)


def _count(value, argname):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{argname} must be a positive integer; got {value!r}")
    return int(value)


def _accuracy(net, validation):
    X, T = validation
    Y = net.predict(X)
    predicted = np.argmax(to_device(Y.data, "cpu"), axis=0)
    truth = np.argmax(to_device(T.data if isinstance(T, dlarray) else T, "cpu"), axis=0)
    return float(np.mean(predicted == truth))


@namevalue
def compressNetworkUsingTaylorPruning(net, data, lossFcn, *, LearnablesReductionGoal=0.3,
                                      LearnablesReductionIncrement=0.05, NumImportanceScoreIterations=20,
                                      NumFineTuningIterations=50, ValidationData=None, ValidationThreshold=None,
                                      MaxToPrune=None, LearnRate=0.01, Momentum=0.9, MiniBatchSize=128,
                                      Verbose=False, generator=None):
    """Prune ``net`` until LearnablesReductionGoal of its learnables are gone or accuracy would fall.

    ``data`` is a minibatchqueue returning (X, T) or a tuple (X, T) of dlarrays; ``lossFcn(Y, T)``
    returns a scalar loss. Each iteration accumulates Taylor scores over
    NumImportanceScoreIterations mini-batches while fine-tuning, removes filters until a
    further LearnablesReductionIncrement of the original learnables is gone (or MaxToPrune
    filters, if given), then fine-tunes for NumFineTuningIterations mini-batches.
    ``ValidationData=(X, T)`` with ``ValidationThreshold`` (accuracy in [0, 1], T one-hot
    K x N) stops before an iteration whose network scores below the threshold.
    Returns ``netPruned, info`` (info keys: NumLearnables, LearnablesReduction,
    TrainingLoss, ValidationAccuracy, PrunedLayerNames, NumIterations, StopReason).
    """
    if not isinstance(net, dlnetwork):
        raise TypeError(f"net must be a dlnetwork; got {type(net).__name__}")
    if not callable(lossFcn):
        raise TypeError(f"lossFcn must be callable; got {type(lossFcn).__name__}")
    goal = _fraction(LearnablesReductionGoal, "LearnablesReductionGoal")
    step = _fraction(LearnablesReductionIncrement, "LearnablesReductionIncrement")
    score_iterations = _count(NumImportanceScoreIterations, "NumImportanceScoreIterations")
    tune_iterations = _count(NumFineTuningIterations, "NumFineTuningIterations")
    if MaxToPrune is not None:
        _count(MaxToPrune, "MaxToPrune")
    if (ValidationThreshold is None) != (ValidationData is None):
        raise ValueError("ValidationThreshold and ValidationData must be given together")
    if ValidationThreshold is not None:
        _fraction(ValidationThreshold, "ValidationThreshold", allow_zero=True)
        if not isinstance(ValidationData, tuple) or len(ValidationData) != 2:
            raise TypeError("ValidationData must be a tuple (X, T)")
    gen = resolve(generator)
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"data must be a minibatchqueue or a tuple (X, T); got a tuple of {len(data)}")
        queue = _ArrayBatches(data[0], data[1], _count(MiniBatchSize, "MiniBatchSize"), gen)
    elif all(hasattr(data, m) for m in ("hasdata", "next", "reset", "shuffle")):
        queue = data
    else:
        raise TypeError(f"data must be a minibatchqueue or a tuple (X, T); got {type(data).__name__}")

    def model_loss(prunable, X, T):
        Y, state, activations = prunable.forward(X)
        loss = lossFcn(Y, T)
        gradients, net_gradients = dlgradient(loss, activations, prunable.Learnables)
        return loss, activations, gradients, net_gradients, state

    def train_step(prunable, velocity, score):
        X, T = _next_batch(queue)
        loss, acts, grads, net_grads, state = dlfeval(model_loss, prunable, X, T)
        prunable.State = state
        prunable, velocity = sgdmupdate(prunable, net_grads, velocity, LearnRate, Momentum)
        if score:
            prunable = updateScore(prunable, acts, grads)
        return prunable, velocity, float(loss.data)

    original = count_learnables(net)
    prunable = taylorPrunableNetwork(net)
    info = PruningInfo(NumLearnables=[original], LearnablesReduction=[0.0], TrainingLoss=[],
                       ValidationAccuracy=[], PrunedLayerNames=[], NumIterations=0, StopReason="")
    if ValidationData is not None:
        info["ValidationAccuracy"].append(_accuracy(net, ValidationData))
    queue.shuffle()
    best = net
    while True:
        if info["LearnablesReduction"][-1] >= goal - 1e-12:
            info["StopReason"] = "LearnablesReductionGoal"
            break
        if prunable.NumPrunables == 0:
            info["StopReason"] = "NoPrunableFilters"
            break
        velocity = None
        for _ in range(score_iterations):
            prunable, velocity, loss = train_step(prunable, velocity, True)
            info["TrainingLoss"].append(loss)
        target = min(goal, info["LearnablesReduction"][-1] + step)
        prunable = _prune_to(prunable, original, target, MaxToPrune)
        for _ in range(tune_iterations):
            prunable, velocity, loss = train_step(prunable, velocity, False)
            info["TrainingLoss"].append(loss)
        candidate = dlnetwork(prunable)
        if ValidationData is not None:
            accuracy = _accuracy(candidate, ValidationData)
            if accuracy < ValidationThreshold:
                info["StopReason"] = "ValidationThreshold"
                break
            info["ValidationAccuracy"].append(accuracy)
        best = candidate
        left = count_learnables(candidate)
        info["NumIterations"] += 1
        info["NumLearnables"].append(left)
        info["LearnablesReduction"].append(1 - left / original)
        if Verbose:
            print(f"iteration {info['NumIterations']}: learnables {left} "
                  f"({100 * (1 - left / original):.1f}% removed), NumPrunables {prunable.NumPrunables}")
    info["PrunedLayerNames"] = [a.Name for a, b in zip(net._layers, best._layers)
                                if a.class_name == "Convolution2DLayer" and a.NumFilters != b.NumFilters]
    return best, info


def _prune_to(prunable, original, target, max_to_prune):
    """MaxToPrune filters when given; else the fewest (in score order) that reach ``target`` reduction.

    The filters updatePrunables removes for k are a prefix of those for k + 1, so the
    reduction grows with k and a bisection finds the smallest k.
    """
    if max_to_prune is not None:
        return updatePrunables(prunable, MaxToPrune=max_to_prune)

    def reaches(k):
        chosen = updatePrunables(prunable, MaxToPrune=k)
        return chosen, 1 - count_learnables(dlnetwork(chosen)) / original >= target - 1e-12

    low, high = 1, prunable.NumPrunables
    while low < high:
        middle = (low + high) // 2
        if reaches(middle)[1]:
            high = middle
        else:
            low = middle + 1
    return reaches(low)[0]
