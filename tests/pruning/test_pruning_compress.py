"""compressNetworkUsingTaylorPruning on a small network and a generated data set."""
import numpy as np
import pytest
from helpers.device import host, host_side
from helpers.pruning_nets import build, conv_block, head, image_input

from minidl import crossentropy, dlarray
from minidl.backend import device_of
from minidl.layers import globalAveragePooling2dLayer
from minidl.network import dlnetwork
from minidl.network.summary import count_learnables
from minidl.pruning.compress import compressNetworkUsingTaylorPruning

FAST = dict(NumImportanceScoreIterations=2, NumFineTuningIterations=2, MiniBatchSize=16, LearnRate=0.05)


@pytest.fixture(scope="module")
def small():
    net = build([[image_input(8), *conv_block(1, 6), *conv_block(2, 8), globalAveragePooling2dLayer(Name="gap"),
                  *head(2)]])
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 32)
    X = rng.standard_normal((8, 8, 1, 32)).astype(np.float32) + labels.astype(np.float32)
    T = np.eye(2, dtype=np.float32)[:, labels]
    return net, (dlarray(X, "SSCB"), dlarray(T, "CB"))


def test_reaches_the_learnables_reduction_goal(small):
    net, data = small
    pruned, info = compressNetworkUsingTaylorPruning(net, data, crossentropy, LearnablesReductionGoal=0.25,
                                                     LearnablesReductionIncrement=0.1,
                                                     generator=np.random.default_rng(0), **FAST)
    assert type(pruned) is dlnetwork
    assert info.StopReason == "LearnablesReductionGoal"
    original = count_learnables(net)
    assert info.NumLearnables[0] == original and info.NumLearnables[-1] == count_learnables(pruned)
    assert count_learnables(pruned) <= 0.75 * original
    assert all(a > b for a, b in zip(info.NumLearnables, info.NumLearnables[1:]))
    assert len(info.NumLearnables) == info.NumIterations + 1 == len(info.LearnablesReduction)
    assert len(info.TrainingLoss) == info.NumIterations * 4 and all(np.isfinite(info.TrainingLoss))
    assert info.PrunedLayerNames and set(info.PrunedLayerNames) <= {"conv1", "conv2"}
    assert info["StopReason"] == info.StopReason


def test_max_to_prune_runs_down_to_the_floors(small):
    net, data = small
    pruned, info = compressNetworkUsingTaylorPruning(net, data, crossentropy, LearnablesReductionGoal=1.0,
                                                     MaxToPrune=4, generator=np.random.default_rng(0), **FAST)
    assert info.StopReason == "NoPrunableFilters" and info.NumIterations == 3  # 4 + 4 + 2 filters
    assert [layer.NumFilters for layer in pruned.graph.layers if layer.class_name == "Convolution2DLayer"] == [2, 2]


def test_validation_threshold_stops_and_keeps_the_last_good_network(small):
    net, data = small
    # Identical validation images with two different labels: no network gets above 50 %.
    validation = (dlarray(np.zeros((8, 8, 1, 4), dtype=np.float32), "SSCB"),
                  np.eye(2, dtype=np.float32)[:, [0, 1, 0, 1]])
    pruned, info = compressNetworkUsingTaylorPruning(net, data, crossentropy, LearnablesReductionGoal=0.5,
                                                     ValidationData=validation, ValidationThreshold=0.9,
                                                     generator=np.random.default_rng(0), **FAST)
    assert info.StopReason == "ValidationThreshold"
    assert info.NumIterations == 0 and pruned is net and info.PrunedLayerNames == []
    assert info.ValidationAccuracy == [0.5]


@pytest.mark.parametrize("args, kwargs, error, match", [
    (("layers",), {}, TypeError, "dlnetwork"),
    ((), {"lossFcn": "crossentropy"}, TypeError, "callable"),
    ((), {"LearnablesReductionGoal": 0}, ValueError, "LearnablesReductionGoal"),
    ((), {"LearnablesReductionGoal": 1.5}, ValueError, "LearnablesReductionGoal"),
    ((), {"LearnablesReductionIncrement": True}, TypeError, "LearnablesReductionIncrement must be a real number"),
    ((), {"LearnRate": -1}, ValueError, r"LearnRate must be in \(0, inf\)"),
    ((), {"NumImportanceScoreIterations": 0}, ValueError, "NumImportanceScoreIterations"),
    ((), {"NumFineTuningIterations": 1.5}, ValueError, "NumFineTuningIterations"),
    ((), {"MaxToPrune": -1}, ValueError, "MaxToPrune"),
    ((), {"MiniBatchSize": 0}, ValueError, "MiniBatchSize"),
    ((), {"ValidationThreshold": 0.5}, ValueError, "together"),
    ((), {"ValidationThreshold": 2, "ValidationData": "pair"}, ValueError, "ValidationThreshold"),
    ((), {"ValidationThreshold": 0.5, "ValidationData": "X"}, TypeError, "ValidationData"),
    ((), {"data": "X"}, TypeError, "data"),
    ((), {"data": "triple"}, ValueError, "tuple"),
    ((), {"data": "short"}, ValueError, "observations"),
    ((), {"data": "numpy"}, TypeError, "formatted dlarray"),
])
def test_bad_arguments(small, args, kwargs, error, match):
    net, (X, T) = small
    named = {"pair": (X, T), "X": X, "triple": (X, T, T), "short": (X, T.data[:, :5]), "numpy": (X.data, T)}
    kwargs = {k: named.get(v, v) if isinstance(v, str) and k != "lossFcn" else v for k, v in kwargs.items()}
    call = {"net": args[0] if args else net, "data": (X, T), "lossFcn": crossentropy, **kwargs}
    with pytest.raises(error, match=match):
        compressNetworkUsingTaylorPruning(call.pop("net"), call.pop("data"), call.pop("lossFcn"), **call)


def test_takes_a_minibatchqueue_over_the_digit_images():
    """The MATLAB pipeline as data: imageDatastore -> augmentedImageDatastore -> minibatchqueue."""
    from pathlib import Path

    from helpers import seed
    from minidl import augmentedImageDatastore, cat, imageDatastore, minibatchqueue, onehotencode

    folder = Path(__file__).resolve().parents[2] / "data" / "DigitDataset"
    imds = imageDatastore(folder, IncludeSubfolders=True, LabelSource="foldernames").subset(np.arange(0, 10000, 50))

    def preprocess(dataX, dataT):
        return cat(4, *dataX) / 255, onehotencode(cat(2, *dataT), 1)

    mbq = minibatchqueue(augmentedImageDatastore([28, 28], imds), MiniBatchSize=50, MiniBatchFcn=preprocess,
                         MiniBatchFormat=["SSCB", ""])
    net = dlnetwork(seed.digits_layers())
    pruned, info = compressNetworkUsingTaylorPruning(net, mbq, crossentropy, LearnablesReductionGoal=0.1,
                                                     NumImportanceScoreIterations=2, NumFineTuningIterations=1,
                                                     generator=np.random.default_rng(0))
    assert info.StopReason == "LearnablesReductionGoal"
    assert count_learnables(pruned) <= 0.9 * count_learnables(net)
    assert len(info.TrainingLoss) == 3 * info.NumIterations


def test_in_memory_data_goes_to_the_networks_device(small):
    """Under --backend=strict the network is on the (stand-in) GPU and this data on the host, as for a user who
    moved the network with dlupdate: the mini-batches and the validation data follow the network."""
    net, (X, T) = small
    with host_side():  # host copies, and T as a plain array
        X_host, T_host = dlarray(host(X.data), "SSCB"), host(T.data)
    pruned, info = compressNetworkUsingTaylorPruning(net, (X_host, T_host), crossentropy, LearnablesReductionGoal=0.1,
                                                     ValidationData=(X_host, T_host), ValidationThreshold=0.0,
                                                     generator=np.random.default_rng(0), **FAST)
    assert info["NumIterations"] >= 1 and len(info["ValidationAccuracy"]) == info["NumIterations"] + 1
    assert device_of(pruned.Learnables.Value[0].data) == device_of(net.Learnables.Value[0].data)
