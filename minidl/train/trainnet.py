"""trainnet: MATLAB's training function for dlnetworks - the custom loop (dlfeval, dlgradient, solver update)
written once, driven by trainingOptions.

``net, info = trainnet(data, net, lossFcn, options)`` with ``data`` an imageDatastore (its Labels are the
targets), an augmentedImageDatastore or a minibatchqueue returning (X, T); or
``net, info = trainnet(X, T, net, lossFcn, options)`` with in-memory X (an image batch HxWxCxN, feature data
NxC, or a formatted dlarray) and T (an Nx1 categorical, or numeric N x K targets, observations first as in
MATLAB). ``lossFcn`` is "crossentropy", "mse" or a function ``loss = lossFcn(Y, T)``.

As MATLAB does: Shuffle "once" shuffles before the first epoch, "every-epoch" before each; a datastore or
in-memory data drops the last mini-batch of an epoch if it is smaller than MiniBatchSize (with fewer
observations than MiniBatchSize, each epoch is one mini-batch of all of them; a minibatchqueue
you pass keeps its own MiniBatchSize and PartialMiniBatch); L2Regularization adds ``L2Regularization * w`` to
the gradient of every learnable but the biases (MATLAB's default L2 factors: 1 for weights, offsets and
scales, 0 for biases); ResetInputNormalization recomputes the Mean (and StandardDeviation) of a
"zerocenter"/"zscore" imageInputLayer from one pass over the training data; validation runs before the first
iteration, every ValidationFrequency iterations and after the last; a NaN or infinite training loss stops
training before the update that would use it.
"""
import os

import numpy as np

from ..autodiff import dlfeval, dlgradient
from ..data.minibatchqueue import minibatchqueue
from ..backend import to_device
from ..network.dlnetwork import dlnetwork
from ..network.functions import forward, initialize, replaceLayer
from ..network.graph import is_input_layer
from ..ops.loss import crossentropy, mse
from ..pruning.network import TaylorPrunableNetwork
from ..optim import adamupdate, rmspropupdate, sgdmupdate
from .batches import accuracy, batch_size, evaluate, network_device, network_on, queue_of
from .options import TrainingOptions
from .progress import Progress, save_progress_figure

_LOSSES = {"crossentropy": crossentropy, "mse": mse}


def trainnet(*args):
    """``net, info = trainnet(data, net, lossFcn, options)`` or ``trainnet(X, T, net, lossFcn, options)``."""
    if len(args) == 4:
        data, net, lossFcn, options = args
    elif len(args) == 5:
        X, T, net, lossFcn, options = args
        data = (X, T)
    else:
        raise TypeError(f"trainnet takes (data, net, lossFcn, options) or (X, T, net, lossFcn, options); "
                        f"got {len(args)} arguments")
    if not isinstance(options, TrainingOptions):
        raise TypeError(f"options must come from trainingOptions(...); got {type(options).__name__}")
    loss_fn = _loss_function(lossFcn)
    if isinstance(net, TaylorPrunableNetwork):
        raise TypeError("net must be a dlnetwork or a list of layers; a TaylorPrunableNetwork is fine-tuned with a "
                        "custom loop (or train dlnetwork(prunableNet))")
    # Our own network; a list of layers is initialised after the input statistics are known (MATLAB computes a
    # "zerocenter"/"zscore" Mean itself, so the layer array of its examples needs none).
    net = dlnetwork(net, Initialize=False)
    input_layer = _single_input_layer(net)
    environment = network_device(net)  # a network moved to the GPU trains there, on mini-batches moved there
    queue = queue_of(data, input_layer, options.MiniBatchSize, "data", environment=environment)
    drop_partial = not isinstance(data, minibatchqueue)  # a queue you pass keeps its own PartialMiniBatch
    validation = (None if options.ValidationData is None else
                  queue_of(options.ValidationData, input_layer, options.MiniBatchSize, "ValidationData",
                           environment=environment))
    progress = Progress(options, validation is not None)
    if options.ResetInputNormalization and input_layer.Normalization in ("zerocenter", "zscore"):
        if options.Verbose:
            progress.out("Initializing input data normalization.")
        net = _reset_normalization(net, input_layer, queue)
    if not net.Initialized:
        net = initialize(net)
    net = network_on(net, environment)  # a network of layers initialises on the host
    best_by_validation = options.OutputNetwork == "best-validation" or (
        options.OutputNetwork == "auto" and validation is not None)

    iteration, epoch, solver_state, stop = 0, 0, None, "Max epochs completed"
    best = (np.inf, net, 0)
    learn_rate = options.learn_rate(1)

    def validate():
        nonlocal best
        scores = evaluate(net, validation, loss_fn)
        if best_by_validation and scores[0] < best[0]:
            best = (scores[0], dlnetwork(net), iteration)  # a copy: net.State is reassigned below
        return scores if options.Metrics else (scores[0], None)

    if validation is not None:
        progress.record(0, 0, learn_rate, validation=validate())
    if options.Shuffle == "once":
        queue.shuffle()
    for epoch in range(1, options.MaxEpochs + 1):
        if options.Shuffle == "every-epoch":
            queue.shuffle()
        elif epoch > 1 or options.Shuffle == "never":
            queue.reset()
        learn_rate = options.learn_rate(epoch)
        first = True
        while queue.hasdata():
            X, T = queue.next()
            # A partial last mini-batch is dropped; with fewer observations than MiniBatchSize the one batch
            # of them all is what an epoch trains on (as MATLAB does), not nothing.
            if drop_partial and batch_size(X) < options.MiniBatchSize and not first:
                break
            first = False
            loss, gradients, state, Y = dlfeval(_loss_and_gradients, net, X, T, loss_fn)
            loss_value = float(to_device(loss.data, "cpu"))
            if not np.isfinite(loss_value):
                stop = f"Training loss is {'NaN' if np.isnan(loss_value) else 'infinite'}"
                break
            iteration += 1
            net.State = state
            net, solver_state = _update(net, gradients, solver_state, options, learn_rate, iteration)
            batch_accuracy = accuracy(Y, T) if options.Metrics else None
            due = validation is not None and iteration % options.ValidationFrequency == 0
            progress.record(iteration, epoch, learn_rate, loss_value, batch_accuracy, validate() if due else None)
        if stop != "Max epochs completed":
            break
    last_validated = validation is not None and iteration % options.ValidationFrequency == 0
    if validation is not None and not last_validated:
        progress.validate(validate())
    if best_by_validation:
        _, net, output_iteration = best
    else:
        output_iteration = iteration
    info = progress.finish(output_iteration, stop)
    if options.Plots == "training-progress":
        path = save_progress_figure(info, os.path.join(os.getcwd(), "training-progress.png"))
        progress.out(f"Training progress figure written to {path}")
    return net, info


def _loss_function(lossFcn):
    if callable(lossFcn):
        return lossFcn
    if lossFcn not in _LOSSES:
        raise ValueError(f'lossFcn must be "crossentropy", "mse" or a function loss = f(Y, T); got {lossFcn!r}')
    return _LOSSES[lossFcn]


def _single_input_layer(net):
    inputs = [layer for layer in net.Layers if is_input_layer(layer)]
    if len(inputs) != 1 or len(net.InputNames) != 1 or len(net.OutputNames) != 1:
        raise ValueError("trainnet here trains networks with one input layer and one output; got inputs "
                         f"{net.InputNames} and outputs {net.OutputNames}")
    return inputs[0]


def _loss_and_gradients(net, X, T, loss_fn):
    Y, state = forward(net, X)
    loss = loss_fn(Y, T)
    return loss, dlgradient(loss, net.Learnables), state, Y


def _update(net, gradients, solver_state, options, learn_rate, iteration):
    l2 = options.L2Regularization
    if l2 > 0:
        factors = [0.0 if parameter == "Bias" else l2 for parameter in gradients.Parameter]
        gradients = gradients.with_column("Value", [g + f * w for g, f, w in
                                                    zip(gradients.Value, factors, net.Learnables.Value)])
    if options.SolverName == "sgdm":
        return sgdmupdate(net, gradients, solver_state, learn_rate, options.Momentum)
    if options.SolverName == "rmsprop":
        return rmspropupdate(net, gradients, solver_state, learn_rate, options.SquaredGradientDecayFactor,
                             options.Epsilon)
    average, average_sq = solver_state or (None, None)
    net, average, average_sq = adamupdate(net, gradients, average, average_sq, iteration, learn_rate,
                                          options.GradientDecayFactor, options.SquaredGradientDecayFactor,
                                          options.Epsilon)
    return net, (average, average_sq)


def _reset_normalization(net, layer, queue):
    """``layer`` with the channel Mean (and StandardDeviation) of one pass over the training queue."""
    queue.reset()
    total = total_sq = count = 0
    while queue.hasdata():
        X, _ = queue.next()
        data = to_device(X.data, "cpu").astype(np.float64)
        axes = tuple(i for i, d in enumerate(X.fmt) if d != "C")
        total = total + data.sum(axis=axes)
        total_sq = total_sq + (data ** 2).sum(axis=axes)
        count += data.size // data.shape[X.fmt.index("C")]
    queue.reset()
    shape = tuple(1 if d == "S" else -1 for d in X.fmt if d != "B")
    mean = total / count
    changes = {"Mean": (mean.reshape(shape)).astype(np.float32)}
    if layer.Normalization == "zscore":
        changes["StandardDeviation"] = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0)).reshape(shape).astype(
            np.float32)
    return initialize(replaceLayer(net, layer.Name, layer.copy(**changes)))  # replacing marks it uninitialised
