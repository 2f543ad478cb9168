"""groupedConvolution2dLayer: MATLAB's sizes, initialisation, display, save/load."""
import numpy as np
import pytest

import minidl
from minidl import dlarray, dlconv, extractdata, groupedConvolution2dLayer
from minidl.io import load, save
from minidl.layers import LayerArray, convolution2dLayer, imageInputLayer
from minidl.network import dlnetwork, predict
from helpers.device import assert_array_equal


def example(channels, size=6):
    return dlarray(np.zeros((size, size, channels, 1), np.float32), "SSCB")


def test_channel_wise_sizes_follow_the_input_at_initialisation():
    layer = groupedConvolution2dLayer(3, 2, "channel-wise", Name="dw")
    assert (layer.NumGroups, layer.NumChannelsPerGroup, layer.NumFiltersPerGroup) == ("channel-wise", "auto", 2)
    ready = layer.initialize(example(5))
    assert (ready.NumGroups, ready.NumChannelsPerGroup, ready.NumFiltersPerGroup) == (5, 1, 2)
    assert ready.Weights.shape == (3, 3, 1, 2, 5) and ready.Bias.shape == (1, 1, 2, 5)
    assert layer.NumGroups == "channel-wise"  # the layer initialised from is unchanged


def test_glorot_counts_one_group_as_matlab_does():
    """numIn = FH*FW*NumChannelsPerGroup, numOut = FH*FW*NumFiltersPerGroup."""
    layer = groupedConvolution2dLayer([3, 2], 4, 2).initialize(example(6), generator=np.random.default_rng(7))
    bound = np.sqrt(6 / (3 * 2 * 3 + 3 * 2 * 4))
    expected = np.random.default_rng(7).uniform(-bound, bound, size=(3, 2, 3, 4, 2)).astype(np.float32)
    assert_array_equal(layer.Weights.data, expected)
    assert_array_equal(layer.Bias.data, np.zeros((1, 1, 4, 2), np.float32))


def test_predict_is_grouped_dlconv():
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal((3, 3, 2, 3, 2)).astype(np.float32), rng.standard_normal((1, 1, 3, 2))
    layer = groupedConvolution2dLayer(3, 3, 2, Stride=2, Padding="same", DilationFactor=[1, 2], Weights=w, Bias=b)
    X = dlarray(rng.standard_normal((7, 7, 4, 2)).astype(np.float32), "SSCB")
    expected = dlconv(X, w, b.astype(np.float32), Stride=2, Padding="same", DilationFactor=[1, 2])
    assert_array_equal(extractdata(layer.predict(X)), extractdata(expected))
    assert layer.predict(X).shape == (4, 4, 6, 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: groupedConvolution2dLayer(3, 2, "depthwise"), ValueError, "numGroups must be a positive integer or"),
    (lambda: groupedConvolution2dLayer(3, 2, 0), ValueError, "numGroups"),
    (lambda: groupedConvolution2dLayer(3, 0, 2), ValueError, "numFiltersPerGroup"),
    (lambda: groupedConvolution2dLayer(3, 2, 2, Weights=np.ones((3, 3, 1, 2, 3))), ValueError, "3x3x1x2x2"),
    (lambda: groupedConvolution2dLayer(3, 2, "channel-wise", Weights=np.ones((3, 3, 2, 2, 3))), ValueError,
     "3x3x1x2x3"),
    (lambda: groupedConvolution2dLayer(3, 2, 2, Bias=np.ones((1, 1, 2, 3))), ValueError, "1x1x2x2"),
    (lambda: groupedConvolution2dLayer(3, 2, 4).initialize(example(6)), ValueError, "6 channels"),
    (lambda: groupedConvolution2dLayer(1, 1, 2, Weights=np.ones((1, 1, 2, 1, 2))).initialize(example(6)),
     ValueError, "NumChannelsPerGroup 2"),
])
def test_bad_arguments_name_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_display_as_matlab():
    # AlexNet's conv2 as MATLAB lists it (with x for the size separator, as the seed text uses).
    alexnet_conv2 = groupedConvolution2dLayer(5, 128, 2, Padding=2, Weights=np.zeros((5, 5, 48, 128, 2)),
                                              Name="conv2")
    row = repr(LayerArray([alexnet_conv2])).splitlines()[2]
    assert row == ("     1   'conv2'   2-D Grouped Convolution   "
                   "2 groups of 128 5x5x48 convolutions with stride [1  1] and padding [2  2  2  2]")
    assert groupedConvolution2dLayer(3, 1, "channel-wise", Padding="same").description() == \
        "channel-wise 1 3x3 convolutions with stride [1  1] and padding 'same'"
    assert groupedConvolution2dLayer(3, 4, 1, Stride=2).description() == \
        "4 3x3 convolutions with stride [2  2] and padding [0  0  0  0]"
    assert convolution2dLayer(3, 8, DilationFactor=[2, 1]).description() == \
        "8 3x3 convolutions with stride [1  1], dilation factor [2  1], and padding [0  0  0  0]"
    lines = repr(groupedConvolution2dLayer(3, 2, "channel-wise", Name="dw")).splitlines()
    assert lines[0] == "  GroupedConvolution2DLayer with properties:"
    assert [line.split(":")[0].strip() for line in lines[5:14]] == [
        "FilterSize", "NumGroups", "NumChannelsPerGroup", "NumFiltersPerGroup", "Stride", "DilationFactor",
        "PaddingMode", "PaddingSize", "PaddingValue"]
    assert "NumGroups: 'channel-wise'" in lines[6] and "NumChannelsPerGroup: 'auto'" in lines[7]


def test_exported_named_automatically_and_saved_and_loaded(tmp_path):
    assert minidl.groupedConvolution2dLayer is minidl.layers.GroupedConvolution2DLayer
    net = dlnetwork([imageInputLayer([6, 6, 4], Normalization="none"), groupedConvolution2dLayer(3, 2, 2),
                     groupedConvolution2dLayer(1, 1, "channel-wise")])
    assert [layer.Name for layer in net.Layers][1:] == ["groupedconv_1", "groupedconv_2"]
    save(tmp_path / "grouped.mat", net=net)
    loaded = load(tmp_path / "grouped.mat").net
    assert type(loaded.Layers[2]) is type(net.Layers[2]) and loaded.Layers[2].NumGroups == 4
    X = dlarray(np.random.default_rng(2).standard_normal((6, 6, 4, 3)).astype(np.float32), "SSCB")
    assert_array_equal(predict(loaded, X).data, predict(net, X).data)
