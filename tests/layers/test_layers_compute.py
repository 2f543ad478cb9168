"""Layers against the functional ops they wrap (and NumPy formulas), initialisers, dropout, value semantics."""
import numpy as np
import pytest

from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.layers import (additionLayer, averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer,
                           depthConcatenationLayer, dropoutLayer, featureInputLayer, flattenLayer,
                           fullyConnectedLayer, globalAveragePooling2dLayer, groupNormalizationLayer,
                           imageInputLayer, leakyReluLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from minidl.ops.activation import leakyrelu, relu, softmax
from minidl.ops.conv import dlconv
from minidl.ops.fc import fullyconnect
from minidl.ops.norm import batchnorm, batchnorm_running_update, groupnorm
from minidl.ops.pool import avgpool, maxpool
from minidl.ops.reduce import sum as dlsum
from minidl.random import rng as rng_seed
from helpers.device import assert_allclose, assert_array_equal, host


def image(rng, shape=(7, 6, 3, 2)):
    return dlarray(rng.standard_normal(shape).astype(np.float32), "SSCB")


def ready(layer, X, seed=0):
    return layer.initialize(X, generator=np.random.default_rng(seed))


def same(a, b):
    assert_array_equal(extractdata(a), extractdata(b))
    assert a.fmt == b.fmt


# -- each layer against its op ------------------------------------------------------------------

def test_convolution_predict_is_dlconv(rng):
    X = image(rng)
    layer = ready(convolution2dLayer([3, 2], 4, Stride=[2, 1], Padding=[1, 0], DilationFactor=[1, 2]), X)
    assert layer.Weights.shape == (3, 2, 3, 4) and layer.Bias.shape == (1, 1, 4)
    assert layer.Weights.dtype == np.float32 and layer.NumChannels == 3 and layer.PaddingSize == (1, 1, 0, 0)
    same(layer.predict(X), dlconv(X, layer.Weights, layer.Bias, Stride=[2, 1], Padding=[1, 0], DilationFactor=[1, 2]))
    same(layer.forward(X)[0], layer.predict(X))


def test_convolution_same_padding_keeps_the_size(rng):
    X = image(rng)
    layer = ready(convolution2dLayer(3, 5, Padding="same"), X)
    assert layer.predict(X).shape == (7, 6, 5, 2)
    same(layer.predict(X), dlconv(X, layer.Weights, layer.Bias, Padding="same"))


def test_batchnorm_predict_and_forward_are_batchnorm(rng):
    X = image(rng)
    values = {k: rng.standard_normal((1, 1, 3)).astype(np.float32) for k in ("Offset", "Scale", "TrainedMean")}
    layer = ready(batchNormalizationLayer(TrainedVariance=np.full(3, 2.0, np.float32), MeanDecay=0.3, **values), X)
    assert layer.TrainedVariance.shape == (1, 1, 3)
    same(layer.predict(X), batchnorm(X, layer.Offset, layer.Scale, layer.TrainedMean, layer.TrainedVariance))
    Y, state = layer.forward(X)
    expected, mu, var = batchnorm(X, layer.Offset, layer.Scale)
    same(Y, expected)
    mean, variance = batchnorm_running_update(layer.TrainedMean, layer.TrainedVariance, mu, var, MeanDecay=0.3)
    same(state["TrainedMean"], mean)
    same(state["TrainedVariance"], variance)
    assert set(state) == set(layer.state_names) and state["TrainedMean"].shape == (1, 1, 3)


def test_batchnorm_initial_values_and_feature_shapes(rng):
    layer = ready(batchNormalizationLayer(), image(rng))
    for name, value in (("Offset", 0), ("Scale", 1), ("TrainedMean", 0), ("TrainedVariance", 1)):
        assert_array_equal(extractdata(getattr(layer, name)), np.full((1, 1, 3), value, np.float32))
    features = ready(batchNormalizationLayer(), dlarray(np.ones((5, 4), np.float32), "CB"))
    assert features.Offset.shape == (5, 1) and features.description() == "Batch normalization with 5 channels"


def test_groupnorm_predict_is_groupnorm(rng):
    X = image(rng, (4, 4, 6, 2))
    layer = ready(groupNormalizationLayer(3), X)
    same(layer.predict(X), groupnorm(X, 3, layer.Offset, layer.Scale))
    assert layer.description() == "Group normalization with 6 channels split into 3 groups"
    with pytest.raises(ValueError, match="numGroups"):
        ready(groupNormalizationLayer(4), X)


def test_activations_and_softmax(rng):
    X = image(rng)
    same(reluLayer().predict(X), relu(X))
    same(leakyReluLayer(0.2).predict(X), leakyrelu(X, 0.2))
    Z = dlarray(rng.standard_normal((10, 3)).astype(np.float32), "CB")
    same(softmaxLayer().predict(Z), softmax(Z))


def test_pooling_layers_are_the_pool_ops(rng):
    X = image(rng)
    same(maxPooling2dLayer(2, Stride=2).predict(X), maxpool(X, 2, Stride=2))
    same(maxPooling2dLayer(3, Padding="same").predict(X), maxpool(X, 3, Padding="same"))
    same(averagePooling2dLayer([2, 3], Padding=[0, 1, 1, 0], PaddingValue="mean").predict(X),
         avgpool(X, [2, 3], Padding=[0, 1, 1, 0], PaddingValue="mean"))
    Y = globalAveragePooling2dLayer().predict(X)
    assert Y.shape == (1, 1, 3, 2) and Y.fmt == "SSCB"
    assert_allclose(extractdata(Y), extractdata(X).mean(axis=(0, 1), keepdims=True), rtol=1e-6)


def test_fully_connected_predict_is_fullyconnect(rng):
    X = image(rng)
    layer = ready(fullyConnectedLayer(4), X)
    assert layer.Weights.shape == (4, 7 * 6 * 3) and layer.Bias.shape == (4, 1) and layer.InputSize == 126
    same(layer.predict(X), fullyconnect(X, layer.Weights, layer.Bias))


def test_flatten_is_matlab_column_major_and_feeds_fc_alike(rng):
    X = image(rng)
    Y = flattenLayer().predict(X)
    assert Y.fmt == "CB"
    assert_array_equal(extractdata(Y), extractdata(X).reshape(-1, 2, order="F"))
    fc = ready(fullyConnectedLayer(4), X)
    assert_allclose(extractdata(fc.predict(Y)), extractdata(fc.predict(X)), rtol=1e-5, atol=1e-6)


def test_addition_and_depth_concatenation(rng):
    A, B = image(rng), image(rng, (7, 6, 2, 2))
    C = image(rng)
    same(additionLayer(2).predict(A, C), A + C)
    Y = depthConcatenationLayer(2).predict(A, B)
    assert_array_equal(extractdata(Y), np.concatenate([host(extractdata(A)), host(extractdata(B))], axis=2))
    assert additionLayer(3).InputNames == ("in1", "in2", "in3")
    with pytest.raises(ValueError, match="in2"):
        additionLayer(2).predict(A, B)


def test_depth_concatenation_passes_gradients_back(rng):
    A, B = image(rng), image(rng, (7, 6, 2, 2))
    R = rng.standard_normal((7, 6, 5, 2)).astype(np.float32)

    def loss(a, b):
        Y = depthConcatenationLayer(2).predict(a, b)
        return dlgradient(dlsum(Y * R, "all"), a, b)

    ga, gb = dlfeval(loss, A, B)
    assert_array_equal(extractdata(ga), R[:, :, :3])
    assert_array_equal(extractdata(gb), R[:, :, 3:])


# -- input layers ---------------------------------------------------------------------------------

def test_image_input_normalisations(rng):
    X = dlarray(rng.uniform(0, 1, (4, 4, 2, 3)).astype(np.float32), "SSCB")
    x = host(extractdata(X))
    mean, std = np.array([0.2, 0.4], np.float32).reshape(1, 1, 2), np.array([2.0, 4.0], np.float32).reshape(1, 1, 2)
    low, high = np.float32(-1.0), np.full((4, 4, 2), 3.0, np.float32)
    cases = {"zerocenter": x - mean[..., None], "zscore": (x - mean[..., None]) / std[..., None],
             "rescale-zero-one": (x + 1) / 4, "rescale-symmetric": 2 * (x + 1) / 4 - 1, "none": x}
    for mode, expected in cases.items():
        layer = imageInputLayer([4, 4, 2], Normalization=mode, Mean=mean, StandardDeviation=std, Min=low, Max=high)
        Y = layer.predict(X)
        assert Y.fmt == "SSCB" and Y.dtype == np.float32
        assert_allclose(extractdata(Y), expected, rtol=1e-6, err_msg=mode)


def test_input_layers_make_batch_one_examples():
    example = imageInputLayer([28, 28]).example_input()
    assert example.fmt == "SSCB" and example.shape == (28, 28, 1, 1) and example.dtype == np.float32
    features = featureInputLayer(10).example_input(dtype=np.float64)
    assert features.fmt == "CB" and features.shape == (10, 1) and features.dtype == np.float64
    assert featureInputLayer(10).description() == "10 features"


def test_feature_input_zscore():
    X = dlarray(np.arange(6, dtype=np.float32).reshape(3, 2), "CB")
    layer = featureInputLayer(3, Normalization="zscore", Mean=[[1.0], [2.0], [3.0]], StandardDeviation=2.0)
    expected = (np.arange(6).reshape(3, 2) - np.array([[1], [2], [3]])) / 2
    assert_allclose(extractdata(layer.predict(X)), expected)


def test_zerocenter_without_mean_names_mean():
    layer = imageInputLayer([4, 4, 1])
    with pytest.raises(ValueError, match="Mean"):
        layer.predict(layer.example_input())
    with pytest.raises(ValueError, match="Min and Max"):
        imageInputLayer([4, 4, 1], Normalization="rescale-zero-one").predict(layer.example_input())


def test_input_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="28x28x1"):
        imageInputLayer([28, 28], Normalization="none").predict(dlarray(np.zeros((27, 28, 1, 2)), "SSCB"))


# -- initialisers -------------------------------------------------------------------------------

def test_glorot_bounds_and_variance():
    X = dlarray(np.zeros((8, 8, 64, 1), np.float32), "SSCB")
    W = host(extractdata(ready(convolution2dLayer(3, 64), X).Weights))
    num_in, num_out = 3 * 3 * 64, 3 * 3 * 64
    bound = np.sqrt(6 / (num_in + num_out))
    assert W.dtype == np.float32 and np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    assert_allclose(W.var(), 2 / (num_in + num_out), rtol=0.05)
    assert abs(W.mean()) < 0.05 * W.std()
    fc = extractdata(ready(fullyConnectedLayer(200), X).Weights)  # numIn = 4096, numOut = 200
    assert_allclose(fc.var(), 2 / (4096 + 200), rtol=0.05)


def test_he_and_narrow_normal_variances():
    X = dlarray(np.zeros((1000, 1), np.float32), "CB")
    he = extractdata(ready(fullyConnectedLayer(100, WeightsInitializer="he"), X).Weights)
    assert_allclose(he.var(), 2 / 1000, rtol=0.05)
    narrow = extractdata(ready(fullyConnectedLayer(100, WeightsInitializer="narrow-normal"), X).Weights)
    assert_allclose(narrow.std(), 0.01, rtol=0.05)
    bias = extractdata(ready(fullyConnectedLayer(100, BiasInitializer="ones"), X).Bias)
    assert_array_equal(bias, np.ones((100, 1), np.float32))


def test_custom_initialiser_and_generators(rng):
    X = image(rng)
    layer = ready(convolution2dLayer(2, 4, WeightsInitializer=lambda sz: np.full(sz, 0.5)), X)
    assert_array_equal(extractdata(layer.Weights), np.full((2, 2, 3, 4), 0.5, np.float32))
    one, two = ready(convolution2dLayer(2, 4), X, seed=3), ready(convolution2dLayer(2, 4), X, seed=3)
    same(one.Weights, two.Weights)
    rng_seed(5)
    first = convolution2dLayer(2, 4).initialize(X).Weights
    rng_seed(5)
    same(first, convolution2dLayer(2, 4).initialize(X).Weights)
    with pytest.raises(ValueError, match="WeightsInitializer"):
        ready(convolution2dLayer(2, 4, WeightsInitializer=lambda sz: np.zeros(3)), X)


def test_given_values_are_kept_and_sizes_follow_them(rng):
    W = rng.standard_normal((3, 3, 2, 5)).astype(np.float32)
    layer = convolution2dLayer(3, 5, Weights=W, Bias=np.zeros((1, 1, 5), np.float32))
    assert layer.NumChannels == 2 and layer.NumFilters == 5
    ready_layer = ready(layer, image(rng, (6, 6, 2, 1)))
    assert_array_equal(extractdata(ready_layer.Weights), W)
    assert ready_layer.copy(Weights=ready_layer.Weights[:, :, :, :3], Bias=ready_layer.Bias[:, :, :3]).NumFilters == 3
    with pytest.raises(ValueError, match="Bias must be of size 1x1x3; got 1x1x5"):
        ready_layer.copy(Weights=ready_layer.Weights[:, :, :, :3])  # checked as the constructor checks
    with pytest.raises(ValueError, match="NumChannels"):
        ready(layer, image(rng))  # three channels, weights for two


def test_initialize_leaves_the_original_alone(rng):
    layer = convolution2dLayer(3, 4)
    initialised = ready(layer, image(rng))
    assert layer.Weights is None and initialised.Weights is not None
    with pytest.raises(AttributeError, match="read-only"):
        layer.copy(NumFilters=3)


# -- dropout ------------------------------------------------------------------------------------

def test_dropout_predict_is_identity_and_forward_scales_survivors(rng):
    X = dlarray(rng.uniform(1, 2, (50, 40, 3, 4)).astype(np.float32), "SSCB")
    layer = dropoutLayer(0.3)
    assert layer.predict(X) is X
    rng_seed(1)
    Y, state = layer.forward(X)
    y, x = extractdata(Y), extractdata(X)
    assert state == {} and Y.fmt == "SSCB" and Y.dtype == np.float32
    kept = y != 0
    assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
    assert abs((~kept).mean() - 0.3) < 0.02
    rng_seed(1)
    same(layer.forward(X)[0], Y)  # the mask comes from minidl's generator
    assert dropoutLayer(0).forward(X)[0] is X


def test_layers_keep_their_own_copy_of_given_values():
    from minidl import dlnetwork
    W = np.ones((3, 3, 1, 2), np.float32)
    mean = np.zeros((5, 5, 1), np.float32)
    net = dlnetwork([imageInputLayer([5, 5, 1], Mean=mean),
                     convolution2dLayer(3, 2, Weights=W, Bias=np.zeros((1, 1, 2), np.float32))])
    W[:] = 5
    mean[:] = 1
    assert_array_equal(extractdata(net.Learnables.Value[0]), np.ones((3, 3, 1, 2)))
    assert_array_equal(np.asarray(net.Layers[0].Mean), np.zeros((5, 5, 1)))
