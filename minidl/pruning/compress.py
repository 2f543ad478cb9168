"""compressNetworkUsingTaylorPruning: score -> prune -> fine-tune, repeated, in one call (MATLAB R2026a).

Defaults (MATLAB's are not all documented; ours are chosen and written here):
LearnablesReductionGoal 0.3, LearnablesReductionIncrement 0.05, NumImportanceScoreIterations 20,
NumFineTuningIterations 50, LearnRate 0.01, Momentum 0.9, MiniBatchSize 128 (array data only).
"""
import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..autodiff import dlfeval, dlgradient
from ..backend import to_device
from ..data.arrayqueue import ArrayQueue
from ..dlarray import dlarray
from ..network.dlnetwork import dlnetwork
from ..network.summary import count_learnables
from ..optim import sgdmupdate
from ..random import resolve
from ..record import Record
from ..train.batches import network_device, on
from .network import taylorPrunableNetwork, updatePrunables, updateScore
from .rules import PRODUCES, rule_for


def _accuracy(net, validation):
    X, T = validation
    Y = net.predict(X)
    predicted = np.argmax(to_device(Y.data, "cpu"), axis=0)
    truth = np.argmax(to_device(T.data if isinstance(T, dlarray) else T, "cpu"), axis=0)
    return float(np.mean(predicted == truth))


def _on_device(data, device):
    """A tuple (X, T) of in-memory data on the network's device (as trainnet sends its mini-batches: operations
    never mix devices); anything else as it is."""
    if not isinstance(data, tuple):
        return data
    return tuple(on(A, device) if isinstance(A, dlarray) or A is None else to_device(A, device) for A in data)


def _queue(data, mini_batch_size, generator):
    """The mini-batch source: a minibatchqueue as it is, or a tuple (X, T) of arrays cut into batches."""
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"data must be a minibatchqueue or a tuple (X, T); got a tuple of {len(data)}")
        return ArrayQueue(data[0], data[1], validate.positive_int(mini_batch_size, "MiniBatchSize"), generator)
    if all(hasattr(data, m) for m in ("hasdata", "next", "reset", "shuffle")):
        return data
    raise TypeError(f"data must be a minibatchqueue or a tuple (X, T); got {type(data).__name__}")


class _Trainer:
    """SGDM steps on mini-batches of one queue (reshuffled when it runs out); every loss goes to ``losses``."""

    def __init__(self, queue, lossFcn, learn_rate, momentum, losses):
        self.queue, self.lossFcn, self.losses = queue, lossFcn, losses
        self.learn_rate, self.momentum = learn_rate, momentum

    def _model_loss(self, prunable, X, T):
        Y, state, activations = prunable.forward(X)
        loss = self.lossFcn(Y, T)
        gradients, net_gradients = dlgradient(loss, activations, prunable.Learnables)
        return loss, activations, gradients, net_gradients, state

    def steps(self, prunable, velocity, count, score):
        """``count`` steps; with ``score`` each one also accumulates the Taylor scores (updateScore)."""
        for _ in range(count):
            if not self.queue.hasdata():
                self.queue.shuffle()
            X, T = self.queue.next()
            loss, activations, gradients, net_gradients, state = dlfeval(self._model_loss, prunable, X, T)
            prunable.State = state
            prunable, velocity = sgdmupdate(prunable, net_gradients, velocity, self.learn_rate, self.momentum)
            if score:
                prunable = updateScore(prunable, activations, gradients)
            self.losses.append(float(loss.data))
        return prunable, velocity


@namevalue
def compressNetworkUsingTaylorPruning(net, data, lossFcn, *, LearnablesReductionGoal=0.3,
                                      LearnablesReductionIncrement=0.05, NumImportanceScoreIterations=20,
                                      NumFineTuningIterations=50, ValidationData=None, ValidationThreshold=None,
                                      MaxToPrune=None, LearnRate=0.01, Momentum=0.9, MiniBatchSize=128,
                                      Verbose=False, generator=None):
    """Prune ``net`` until LearnablesReductionGoal of its learnables are gone or accuracy would fall.

    ``data`` is a minibatchqueue returning (X, T) or a tuple (X, T) of dlarrays (a tuple, and
    ValidationData, go to the network's device first, as trainnet's mini-batches do); ``lossFcn(Y, T)``
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
    goal = validate.real(LearnablesReductionGoal, "LearnablesReductionGoal", 0, 1, low_open=True)
    step = validate.real(LearnablesReductionIncrement, "LearnablesReductionIncrement", 0, 1,
                         low_open=True)
    score_iterations = validate.positive_int(NumImportanceScoreIterations, "NumImportanceScoreIterations")
    tune_iterations = validate.positive_int(NumFineTuningIterations, "NumFineTuningIterations")
    if MaxToPrune is not None:
        validate.positive_int(MaxToPrune, "MaxToPrune")
    validate.real(LearnRate, "LearnRate", 0, low_open=True)  # sgdmupdate's ranges, checked before any step
    validate.real(Momentum, "Momentum", 0, 1)
    if (ValidationThreshold is None) != (ValidationData is None):
        raise ValueError("ValidationThreshold and ValidationData must be given together")
    if ValidationThreshold is not None:
        validate.real(ValidationThreshold, "ValidationThreshold", 0, 1)
        if not isinstance(ValidationData, tuple) or len(ValidationData) != 2:
            raise TypeError("ValidationData must be a tuple (X, T)")
    device = network_device(net)
    queue = _queue(_on_device(data, device), MiniBatchSize, resolve(generator))
    ValidationData = _on_device(ValidationData, device)

    original = count_learnables(net)
    prunable = taylorPrunableNetwork(net)
    info = Record(NumLearnables=[original], LearnablesReduction=[0.0], TrainingLoss=[], ValidationAccuracy=[],
                  PrunedLayerNames=[], NumIterations=0, StopReason="", missing="info has no field")
    trainer = _Trainer(queue, lossFcn, LearnRate, Momentum, info["TrainingLoss"])
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
        # Score (while fine-tuning), prune to the next increment, fine-tune.
        prunable, velocity = trainer.steps(prunable, None, score_iterations, score=True)
        prunable = _prune_to(prunable, original, min(goal, info["LearnablesReduction"][-1] + step), MaxToPrune)
        prunable, velocity = trainer.steps(prunable, velocity, tune_iterations, score=False)
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
    info["PrunedLayerNames"] = [a.Name for a, b in zip(net.Layers, best.Layers)
                                if rule_for(a).role == PRODUCES and a.NumFilters != b.NumFilters]
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
