"""trainingOptions and trainnet against hand-written dlfeval/solver loops with the same seed; the learn-rate
schedule against its formula; the verbose table, validation, OutputNetwork, the progress figure; bad input."""
from pathlib import Path

import numpy as np
import pytest
from helpers.network_nets import small_net

import minidl
from minidl import (augmentedImageDatastore, categorical, crossentropy, dlarray, dlfeval, dlgradient, forward,
                    hasdata, imageDatastore, minibatchqueue, mse, rng, sgdmupdate, subset, trainingOptions,
                    trainnet)
from helpers.device import assert_allclose, assert_array_equal, host

DATA = Path(__file__).resolve().parents[2] / "data" / "DigitDataset"
N, CLASSES = 40, 3


def arrays(seed=2):
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((8, 8, 1, N)).astype(np.float32)
    labels = gen.integers(0, CLASSES, N)
    X[2:5, 2:5, 0, :] += labels  # learnable: the class brightens the centre
    return X, categorical(labels.reshape(N, 1).astype(str)), labels


def model_loss(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def hand_loop(net, X, labels, epochs, batch, solver, lr_of_epoch, l2=0.0, **hyper):
    """The custom loop trainnet stands for, written out: every-epoch shuffle from the module generator,
    full mini-batches only, L2 on everything but biases, then the solver's update function."""
    onehot = np.eye(CLASSES, dtype=np.float32)[labels].T
    net = minidl.dlnetwork(net)  # "net.State = " below must not reach the caller's network
    state, iteration = None, 0
    for epoch in range(1, epochs + 1):
        order = minidl.random.generator().permutation(N)
        for start in range(0, N - batch + 1, batch):
            idx = order[start:start + batch]
            iteration += 1
            loss, g, st = dlfeval(model_loss, net, dlarray(X[..., idx], "SSCB"), dlarray(onehot[:, idx], "CB"))
            net.State = st
            if l2:
                g = g.with_column("Value", [gv if p == "Bias" else gv + l2 * w.data for gv, p, w in
                                            zip(g.Value, g.Parameter, net.Learnables.Value)])
            lr = lr_of_epoch(epoch)
            if solver == "sgdm":
                net, state = sgdmupdate(net, g, state, lr, hyper["momentum"])
            elif solver == "rmsprop":
                net, state = minidl.rmspropupdate(net, g, state, lr, hyper["decay"], 1e-8)
            else:
                m, v = state or (None, None)
                net, m, v = minidl.adamupdate(net, g, m, v, iteration, lr, 0.9, 0.999, 1e-8)
                state = (m, v)
    return net, iteration


def assert_same_learnables(a, b):
    for x, y in zip(a.Learnables.Value, b.Learnables.Value):
        assert_allclose(x.data, y.data, rtol=2e-6, atol=1e-7)
    for x, y in zip(a.State.Value, b.State.Value):
        assert_allclose(x.data, y.data, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("solver, hyper, options", [
    ("sgdm", {"momentum": 0.8}, {"Momentum": 0.8, "InitialLearnRate": 0.05, "LearnRateSchedule": "piecewise",
                                 "LearnRateDropFactor": 0.5, "LearnRateDropPeriod": 2, "L2Regularization": 1e-3}),
    ("rmsprop", {"decay": 0.9}, {"InitialLearnRate": 0.002}),
    ("adam", {}, {"InitialLearnRate": 0.003, "L2Regularization": 0}),
])
def test_trainnet_matches_a_hand_written_loop(solver, hyper, options):
    X, T, labels = arrays()
    start = small_net(seed=3, classes=CLASSES)
    schedule = options.get("LearnRateSchedule", "none")
    lr0 = options["InitialLearnRate"]

    def lr_of_epoch(epoch):  # the piecewise formula, written independently of trainingOptions
        return lr0 * 0.5 ** ((epoch - 1) // 2) if schedule == "piecewise" else lr0

    rng(11)
    expected, iterations = hand_loop(start, X, labels, 5, 16, solver, lr_of_epoch,
                                     options.get("L2Regularization", 1e-4), **hyper)
    rng(11)
    opts = trainingOptions(solver, MaxEpochs=5, MiniBatchSize=16, Shuffle="every-epoch", Verbose=False, **options)
    trained, info = trainnet(X, T, start, "crossentropy", opts)
    assert iterations == 10 == info.TrainingHistory.height  # 40 observations: 2 full batches of 16 per epoch
    assert_same_learnables(trained, expected)
    epochs = np.asarray(info.TrainingHistory.Epoch)
    assert_allclose(info.TrainingHistory.LearnRate, [lr_of_epoch(e) for e in epochs], rtol=1e-15)
    assert info.StopReason == "Max epochs completed" and info.OutputNetworkIteration == 10


def test_learn_rate_schedule_is_the_piecewise_formula():
    opts = trainingOptions("sgdm", InitialLearnRate=0.2, LearnRateSchedule="piecewise", LearnRateDropFactor=0.3,
                           LearnRateDropPeriod=3)
    assert [opts.learn_rate(e) for e in range(1, 8)] == pytest.approx([0.2] * 3 + [0.06] * 3 + [0.018])
    assert trainingOptions("adam").learn_rate(50) == 0.001  # "none": constant


def test_matlab_defaults():
    sgdm, adam, rms = trainingOptions("sgdm"), trainingOptions("adam"), trainingOptions("rmsprop")
    assert (sgdm.InitialLearnRate, adam.InitialLearnRate, rms.InitialLearnRate) == (0.01, 0.001, 0.001)
    assert (sgdm.MaxEpochs, sgdm.MiniBatchSize, sgdm.Shuffle, sgdm.ValidationFrequency) == (30, 128, "once", 50)
    assert (sgdm.L2Regularization, sgdm.Momentum, sgdm.LearnRateDropFactor, sgdm.LearnRateDropPeriod) == \
        (1e-4, 0.9, 0.1, 10)
    assert (adam.SquaredGradientDecayFactor, rms.SquaredGradientDecayFactor) == (0.999, 0.9)
    assert (sgdm.Verbose, sgdm.VerboseFrequency, sgdm.Plots, sgdm.OutputNetwork) == (True, 50, "none", "auto")
    assert "TrainingOptionsSGDM with properties" in repr(sgdm)


def test_datastore_form_with_input_normalisation_matches_a_hand_loop():
    """imageDatastore in, labels from folder names, zerocenter Mean from one pass, Shuffle once, partial dropped."""
    imds = subset(imageDatastore(DATA, IncludeSubfolders=True, LabelSource="foldernames"), np.arange(0, 10000, 250))
    layers = [minidl.imageInputLayer([28, 28, 1], Name="input"),
              minidl.convolution2dLayer(4, 2, Stride=4, Name="conv"), minidl.reluLayer(Name="relu"),
              minidl.fullyConnectedLayer(10, Name="fc"), minidl.softmaxLayer(Name="softmax")]
    images = np.stack(imds.readall()).astype(np.float64)
    mean = np.float32(images.mean())  # an independent channel mean of the 40 training images
    init = minidl.dlnetwork([layers[0].copy(Mean=np.full((1, 1, 1), mean, np.float32))] + layers[1:])

    rng(4)
    expected = minidl.dlnetwork(init)
    mbq = minibatchqueue(augmentedImageDatastore([28, 28], imds), MiniBatchSize=16, PartialMiniBatch="discard",
                         MiniBatchFormat=["SSCB", "CB"])
    minidl.shuffle(mbq)
    vel = None
    for _ in range(2):  # two epochs of two full batches; no reshuffle after "once"
        while hasdata(mbq):
            X, T = next(mbq)
            loss, g, st = dlfeval(model_loss, expected, X, T)
            expected.State = st
            expected, vel = sgdmupdate(expected, g, vel, 0.01, 0.9)
        minidl.reset(mbq)

    rng(4)
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=16, L2Regularization=0, Verbose=False)
    trained, info = trainnet(imds, init, "crossentropy", opts)
    assert_allclose(np.asarray(trained.Layers[0].Mean).ravel(), [mean], rtol=1e-6)
    assert info.TrainingHistory.height == 4
    assert_same_learnables(trained, expected)


def test_verbose_table_validation_and_best_network(capsys):
    X, T, labels = arrays()
    Xv, Tv, _ = arrays(seed=9)
    opts = trainingOptions("sgdm", MaxEpochs=4, MiniBatchSize=8, InitialLearnRate=0.5, ValidationData=(Xv, Tv),
                           ValidationFrequency=3, VerboseFrequency=2, Metrics="accuracy",
                           OutputNetwork="best-validation")
    rng(0)
    net, info = trainnet(X, T, small_net(seed=1, classes=CLASSES), "crossentropy", opts)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss", "ValidationLoss",
                                "TrainingAccuracy", "ValidationAccuracy"]
    assert set(lines[1].replace(" ", "")) == {"_"} and lines[-1] == "Training stopped: Max epochs completed"
    history, validation = info.TrainingHistory, info.ValidationHistory
    assert history.height == 20 and list(validation.Iteration) == [0, 3, 6, 9, 12, 15, 18, 20]
    iterations = [int(line.split()[0]) for line in lines[2:-1]]
    assert iterations == [0, 1, 2, 3, 4, 6, 8, 9, 10, 12, 14, 15, 16, 18, 20]  # one row each, in order
    rows = {int(line.split()[0]): line.split() for line in lines[2:-1]}
    assert rows[4][4] == f"{history.Loss[3]:.5g}"  # the printed loss is the recorded one
    # the last row carries the last iteration's training values and the final validation, as MATLAB prints it
    assert rows[20][4:] == [f"{history.Loss[-1]:.5g}", f"{validation.Loss[-1]:.5g}", f"{history.Accuracy[-1]:.5g}",
                            f"{validation.Accuracy[-1]:.5g}"]
    # the returned network is the one with the lowest validation loss, and it scores that loss again
    best = int(np.argmin(validation.Loss))
    assert info.OutputNetworkIteration == validation.Iteration[best]
    loss = minidl.testnet(net, Xv, Tv, "crossentropy")
    assert loss == pytest.approx(validation.Loss[best], rel=1e-5)
    assert minidl.testnet(net, Xv, Tv, "accuracy") == pytest.approx(validation.Accuracy[best])


def test_verbose_table_ends_with_the_last_iteration_when_the_last_mini_batch_is_dropped(capsys):
    X, T, _ = arrays()  # 40 observations in mini-batches of 12: 3 iterations an epoch, 4 observations dropped
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=12, VerboseFrequency=50)
    rng(0)
    _, info = trainnet(X, T, small_net(seed=1, classes=CLASSES), "crossentropy", opts)
    lines = capsys.readouterr().out.splitlines()
    assert info.TrainingHistory.height == 6
    assert [line.split()[:2] for line in lines[2:-1]] == [["1", "1"], ["6", "2"]]
    assert lines[-2].split()[-1] == f"{info.TrainingHistory.Loss[-1]:.5g}"


def test_nan_loss_stops_before_the_update():
    X, T, labels = arrays()
    targets = np.eye(CLASSES, dtype=np.float32)[labels]
    targets[5, 0] = np.nan  # observation 6 poisons whichever mini-batch holds it
    rng(0)
    start = small_net(seed=1, classes=CLASSES)
    opts = trainingOptions("sgdm", MaxEpochs=3, MiniBatchSize=40, Shuffle="never", Verbose=False)
    net, info = trainnet(X, targets, start, "mse", opts)
    assert info.StopReason == "Training loss is NaN" and info.TrainingHistory.height == 0
    assert_same_learnables(net, start)


def test_training_progress_figure(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image
    monkeypatch.chdir(tmp_path)
    X, T, _ = arrays()
    opts = trainingOptions("adam", MaxEpochs=2, MiniBatchSize=16, Plots="training-progress", Metrics="accuracy",
                           Verbose=False)
    trainnet(X, T, small_net(classes=CLASSES), "crossentropy", opts)
    with Image.open(tmp_path / "training-progress.png") as image:
        assert image.size == (800, 640)
    assert "training-progress.png" in capsys.readouterr().out


def test_caller_objects_are_left_alone():
    X, T, _ = arrays()
    start = small_net(classes=CLASSES)
    before = [np.array(host(v.data)) for v in start.Learnables.Value + start.State.Value]
    copy_x = X.copy()
    trainnet(X, T, start, "crossentropy", trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=16, Verbose=False))
    for old, v in zip(before, start.Learnables.Value + start.State.Value):
        assert_array_equal(v.data, old)
    assert_array_equal(X, copy_x)


@pytest.mark.parametrize("call, kind, message", [
    (lambda: trainingOptions("sgd"), ValueError, "solverName must be one of 'sgdm', 'adam', 'rmsprop'; got 'sgd'"),
    (lambda: trainingOptions("sgdm", Shuffle="always"), ValueError, "Shuffle must be one of"),
    (lambda: trainingOptions("sgdm", MaxEpochs=0), ValueError, "MaxEpochs must be a positive integer; got 0"),
    (lambda: trainingOptions("sgdm", InitialLearnRate=float("nan")), ValueError, r"InitialLearnRate must be in \(0"),
    (lambda: trainingOptions("sgdm", Momentum=1.5), ValueError, r"Momentum must be in \[0, 1\]; got 1.5"),
    (lambda: trainingOptions("sgdm", OutputNetwork="best-validation"), ValueError, "needs ValidationData"),
    (lambda: trainingOptions("sgdm", BatchNormalizationStatistics="population"), ValueError, "not implemented"),
    (lambda: trainingOptions("sgdm", Metrics="rmse"), ValueError, 'Metrics must be None or "accuracy"'),
    (lambda: trainnet(*arrays()[:2], small_net(), "crossentropy", {}), TypeError, "options must come from"),
    (lambda: trainnet(*arrays()[:2], small_net(), "hinge", trainingOptions("sgdm")), ValueError, "lossFcn must be"),
    (lambda: trainnet(arrays()[0], np.zeros(N), small_net(), "mse", trainingOptions("sgdm")), TypeError,
     "T must be an N x 1 categorical or a numeric N x K array"),
    (lambda: trainnet(small_net(), "crossentropy", trainingOptions("sgdm")), TypeError, "trainnet takes"),
    (lambda: trainnet(*arrays()[:2], minidl.taylorPrunableNetwork(small_net()), "crossentropy",
                      trainingOptions("sgdm")), TypeError, "a TaylorPrunableNetwork is fine-tuned"),
])
def test_bad_input_is_refused_by_name(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


def test_mse_regression_in_memory_feature_form_reduces_loss():
    """Feature data N x C in, numeric N x 1 targets, mse: the loss falls (a linear fit that must be learnable)."""
    gen = np.random.default_rng(0)
    X = gen.standard_normal((64, 3)).astype(np.float32)
    Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32))
    layers = [minidl.featureInputLayer(3, Name="in"), minidl.fullyConnectedLayer(1, Name="fc")]
    rng(0)
    net, info = trainnet(X, Y, layers, "mse", trainingOptions("sgdm", MaxEpochs=30, MiniBatchSize=16,
                                                             InitialLearnRate=0.05, Verbose=False))
    assert info.TrainingHistory.Loss[-1] < 0.01 * info.TrainingHistory.Loss[0]
    assert_allclose(net.Learnables.Value[0].data.ravel(), [1.0, -2.0, 0.5], atol=0.05)
    assert mse is minidl.mse


def test_a_layer_array_with_matlabs_default_zerocenter_input_trains_with_the_data_mean():
    """MATLAB's examples give trainnet a layer array whose imageInputLayer has the default "zerocenter"
    and no Mean: trainnet computes it (per channel) before initialising, as MATLAB does."""
    X, T, _ = arrays()
    layers = [minidl.imageInputLayer([8, 8, 1]), minidl.convolution2dLayer(3, 4), minidl.reluLayer(),
              minidl.fullyConnectedLayer(CLASSES), minidl.softmaxLayer()]
    net, info = trainnet(X, T, layers, "crossentropy", trainingOptions("adam", MaxEpochs=2, MiniBatchSize=8,
                                                                       Verbose=False))
    assert net.Initialized and net.Layers[0].Normalization == "zerocenter"
    assert_allclose(np.ravel(net.Layers[0].Mean), [X.astype(np.float64).mean()], rtol=1e-5)
    assert len(info.TrainingHistory.Iteration) == 2 * (N // 8)


def test_fewer_observations_than_MiniBatchSize_train_one_batch_per_epoch():
    X, T, labels = arrays()
    layers = [minidl.imageInputLayer([8, 8, 1], Normalization="none"), minidl.convolution2dLayer(3, 4),
              minidl.reluLayer(), minidl.fullyConnectedLayer(CLASSES), minidl.softmaxLayer()]
    start = minidl.dlnetwork(layers)
    net, info = trainnet(X, T, start, "crossentropy", trainingOptions("sgdm", MaxEpochs=3, Verbose=False))
    assert N < 128 and list(info.TrainingHistory.Iteration) == [1, 2, 3]  # one batch of all N per epoch
    assert not np.array_equal(host(net.Learnables.Value[0].data), host(start.Learnables.Value[0].data))


def test_undefined_target_labels_are_refused_before_training():
    X, T, labels = arrays()
    names = labels.astype(object).astype(str)
    names[[3, 17]] = None
    T = categorical(names.reshape(N, 1), categories=[str(k) for k in range(CLASSES)])
    layers = [minidl.imageInputLayer([8, 8, 1], Normalization="none"), minidl.fullyConnectedLayer(CLASSES),
              minidl.softmaxLayer()]
    with pytest.raises(ValueError, match="2 undefined label.*observation 4"):
        trainnet(X, T, layers, "crossentropy", trainingOptions("adam", Verbose=False))
    net = minidl.dlnetwork(layers)
    with pytest.raises(ValueError, match="undefined"):
        minidl.testnet(net, X, T, "accuracy")
