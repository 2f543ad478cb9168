"""The --backend=strict boundary (helpers/device.py): what a test hands to minidl goes to the stand-in
device, what minidl builds itself is left alone, the stand-in's refusals stay, assertions see host copies."""
import numpy as np
import pytest

import minidl
from minidl import dlarray, dlnetwork
from minidl.testing_strict import StrictArray
from helpers.device import assert_allclose, host, stand_in_device

pytestmark = pytest.mark.own_devices  # each test sets up the boundary itself, on both backends


def layers():
    return [minidl.imageInputLayer([4, 4, 1], Normalization="none"), minidl.convolution2dLayer(3, 2),
            minidl.batchNormalizationLayer(), minidl.fullyConnectedLayer(3), minidl.softmaxLayer()]


def test_data_and_networks_a_test_makes_are_on_the_device(tmp_path):
    W = np.ones((3, 3, 1, 2), np.float32)
    with stand_in_device():
        X = dlarray(np.zeros((4, 4, 1, 2), np.float32), "SSCB")
        conv = minidl.convolution2dLayer(3, 2, Weights=W)
        net = dlnetwork(layers())
        minidl.save(tmp_path / "n.mat", net=net)
        loaded = minidl.load(tmp_path / "n.mat").net
        prunable = minidl.taylorPrunableNetwork(layers())
    assert isinstance(X.data, StrictArray) and isinstance(conv.Weights.data, StrictArray)
    for n in (net, loaded, prunable):
        assert all(isinstance(v.data, StrictArray) for v in n.Learnables.Value + n.State.Value)
    assert not isinstance(dlarray(np.zeros(2)).data, StrictArray)  # outside the block: the host again


def test_what_minidl_builds_itself_is_left_alone():
    with stand_in_device():
        example = minidl.imageInputLayer([4, 4, 1]).example_input()  # a dlarray made inside minidl
        uninitialised = dlnetwork(layers(), Initialize=False)
    assert isinstance(example.data, np.ndarray)
    assert all(v is None for v in uninitialised.Learnables.Value)


def test_the_stand_in_still_refuses_implicit_host_copies():
    with stand_in_device():
        X = dlarray(np.ones((2, 3)))
        for call in (lambda: np.asarray(X), lambda: np.asarray(X.data), lambda: np.exp(X.data),
                     lambda: X.data + np.ones(3)):
            with pytest.raises(TypeError):
                call()


def test_host_copies_for_assertions():
    with stand_in_device():
        X = dlarray(np.arange(6.0).reshape(2, 3), "CB")
        net = dlnetwork(layers())
    copied = host({"x": [X, X.data], "table": net.Learnables})
    assert isinstance(copied["x"][0], dlarray) and copied["x"][0].fmt == "CB"
    assert isinstance(copied["x"][1], np.ndarray) and isinstance(copied["table"].Value[0].data, np.ndarray)
    assert_allclose(X, np.arange(6.0).reshape(2, 3))  # device on the left, host on the right
    with pytest.raises(AssertionError):
        assert_allclose(X.data, np.zeros((2, 3)))
