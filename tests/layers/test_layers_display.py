"""Layer-array display (verbatim against the seed text), single-layer display, indexing and automatic names."""
import numpy as np
import pytest

from helpers import seed

from minidl.layers import (LayerArray, additionLayer, batchNormalizationLayer, convolution2dLayer, dropoutLayer,
                           fill_names, imageInputLayer, maxPooling2dLayer, reluLayer, softmaxLayer)


def initialised(layers):
    """Each layer initialised with the example input it would see in the network."""
    X = layers[0].predict(layers[0].example_input())
    out = [layers[0]]
    for layer in layers[1:]:
        layer = layer.initialize(X, generator=np.random.default_rng(0))
        X = layer.predict(X)
        out.append(layer)
    return LayerArray(out)


def test_digits_layer_array_display_matches_matlab():
    layers = initialised(seed.digits_layers())
    assert repr(layers) == seed.LAYERS
    assert str(layers) == seed.LAYERS


def test_selecting_the_convolutions_gives_a_convolution_array():
    layers = initialised(seed.digits_layers())
    convs = layers[[1, 4, 7]]
    assert isinstance(convs, LayerArray)
    assert repr(convs) == seed.CONVS


def test_pruned_convolutions_display_their_new_sizes():
    layers = initialised(seed.digits_layers())
    pruned = [layers[1].copy(Weights=layers[1].Weights[:, :, :, :17], Bias=layers[1].Bias[:, :, :17])]
    assert "17 5x5x1 convolutions" in repr(LayerArray(pruned))


def test_descriptions_before_initialisation():
    conv, bn = convolution2dLayer(5, 20), batchNormalizationLayer()
    assert conv.description() == "20 5x5 convolutions with stride [1  1] and padding [0  0  0  0]"
    assert convolution2dLayer(3, 8, Padding="same").description() == \
        "8 3x3 convolutions with stride [1  1] and padding 'same'"
    assert bn.description() == "Batch normalization"
    assert maxPooling2dLayer(2, Stride=2).description() == \
        "2x2 max pooling with stride [2  2] and padding [0  0  0  0]"
    assert dropoutLayer().description() == "50% dropout"
    assert additionLayer(2).description() == "Element-wise addition of 2 inputs"
    assert imageInputLayer([28, 28], Normalization="none").description() == "28x28x1 images"


def test_unnamed_layers_show_empty_quotes_and_a_mixed_array_says_layer():
    text = repr(LayerArray([reluLayer(), softmaxLayer(Name="sm")]))
    assert text.splitlines()[0] == "  2x1 Layer array with layers:"
    assert text.splitlines()[2] == "     1   ''     ReLU      ReLU"


def test_indexing():
    layers = LayerArray(seed.digits_layers())
    assert layers[1].Name == "conv1"
    assert isinstance(layers[1:3], LayerArray) and [l.Name for l in layers[1:3]] == ["conv1", "bn1"]
    mask = [l.Name.startswith("relu") for l in layers]
    assert [l.Name for l in layers[mask]] == ["relu1", "relu2", "relu3"]
    assert isinstance(layers + [reluLayer()], LayerArray)


def test_single_layer_display_lists_properties():
    text = repr(convolution2dLayer(5, 20, Name="conv1"))
    lines = text.splitlines()
    assert lines[0] == "  Convolution2DLayer with properties:"
    assert "              Name: 'conv1'" in lines
    assert "        FilterSize: [5 5]" in lines
    assert "       NumChannels: 'auto'" in lines
    assert "           Weights: []" in lines
    layer = initialised(seed.digits_layers())[1]
    assert "           Weights: [5x5x1x20 single]" in repr(layer).splitlines()


def test_fill_names_as_matlab():
    named = fill_names(seed.digits_layers(named=False))
    assert [l.Name for l in named] == [
        "imageinput", "conv_1", "batchnorm_1", "relu_1", "conv_2", "batchnorm_2", "relu_2",
        "conv_3", "batchnorm_3", "relu_3", "fc", "softmax"]
    assert isinstance(named, LayerArray)


def test_fill_names_keeps_given_names_and_avoids_them():
    layers = [reluLayer(Name="relu_1"), reluLayer(), reluLayer(), convolution2dLayer(3, 4, Name="conv"),
              convolution2dLayer(3, 4)]
    original = [l.Name for l in layers]
    assert [l.Name for l in fill_names(layers)] == ["relu_1", "relu_2", "relu_3", "conv", "conv_1"]
    assert [l.Name for l in layers] == original  # value semantics: inputs untouched


@pytest.mark.parametrize("index", [12, -13])
def test_index_out_of_range(index):
    with pytest.raises(IndexError):
        LayerArray(seed.digits_layers())[index]
