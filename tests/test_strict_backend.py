"""The engine on the strict device stand-in (minidl.testing_strict) against the same code on NumPy.

Every computation runs twice, on host dlarrays and on StrictArray-backed copies; results must
come back as StrictArrays (the data stayed on the device) and agree to float32 tolerance.
"""
import pathlib

import numpy as np
import pytest

import minidl
from minidl import (abs, avgpool, batchnorm, crossentropy, dlarray, dlconv, dlfeval, dlgradient, dlnetwork, exp,
                    forward, fullyconnect, groupnorm, leakyrelu, log, maximum, maxpool, minimum, predict, relu,
                    sgdmupdate, sigmoid, softmax, sqrt, tanh)
from minidl import max as dlmax
from minidl import mean as dlmean
from minidl import sum as dlsum
from minidl.autodiff.containers import flatten_dlarrays, map_dlarrays
from minidl.backend import array_module, device_of, to_device
from minidl.testing_strict import StrictArray, asarray, host_kernels, xp
from minidl.testing import gradcheck, gradgradcheck
from helpers.device import stand_in_device

pytestmark = pytest.mark.own_devices  # compares host and device runs itself


@pytest.fixture(autouse=True)
def device_kernels():
    with host_kernels():
        yield


def on_device(obj):
    """obj with every NumPy array and dlarray in it copied to the stand-in device."""
    if isinstance(obj, np.ndarray):
        return asarray(obj)
    return map_dlarrays(obj, lambda x: dlarray._wrap(asarray(x.data), x.fmt))


def assert_same(device, host):
    """Same structure; every device dlarray holds a StrictArray equal to the host one."""
    d, h = flatten_dlarrays(device), flatten_dlarrays(host)
    assert len(d) == len(h) > 0
    for a, b in zip(d, h):
        assert isinstance(a.data, StrictArray), f"result left the device: {type(a.data).__name__}"
        assert (a.fmt, a.shape, a.dtype) == (b.fmt, b.shape, b.dtype)
        np.testing.assert_allclose(a.data.get(), b.data, rtol=2e-5, atol=2e-6)


def compare(fn, *args):
    """fn on host arguments and on their device copies; returns the device result."""
    host = fn(*args)
    device = fn(*on_device(list(args)))
    assert_same(device, host)
    return device


def with_gradients(loss_fn):
    """A function returning (loss, gradients of loss for every argument), traced by dlfeval."""
    def traced(*xs):
        loss = loss_fn(*xs)
        return loss, dlgradient(loss, *xs)
    return lambda *xs: dlfeval(traced, *xs)


def image(rng, *shape):
    return dlarray(rng.standard_normal(shape).astype(np.float32), "SSCB")


# -- the stand-in itself ------------------------------------------------------------------

def test_stand_in_refuses_what_cupy_refuses():
    a = asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    refused = [lambda: np.asarray(a), lambda: np.array(a), lambda: np.float32(a), lambda: np.exp(a),
               lambda: np.sum(a), lambda: np.where(a > 1, a, 0), lambda: np.add.at(a, [0], 1.0),
               lambda: a + np.ones(3), lambda: np.ones(3) * a, lambda: xp.maximum(a, np.ones(3)),
               lambda: a.__setitem__(0, np.ones(3)), lambda: dlarray(a).__array__()]
    for call in refused:
        with pytest.raises(TypeError):
            call()
    assert isinstance(a.sum(), StrictArray) and isinstance(a[0, 1], StrictArray)
    assert isinstance(2.0 - a, StrictArray) and isinstance(np.float32(2) * a, StrictArray)
    assert a[np.array([1, 0])].shape == (2, 3) and np.ndim(a) == 2 and float(a[1, 2]) == 5.0
    assert array_module(a) is xp and device_of(a) == "gpu"
    np.testing.assert_array_equal(to_device(a, "cpu"), a.get())


# -- ops, forward and backward -----------------------------------------------------------

def test_elementwise_ops_and_gradients(rng):
    def loss(X, Y):
        Z = (X * Y + X / (Y * Y + 1) - X ** 2 + 2.0 ** X + exp(-abs(X)) + log(abs(Y) + 1) + sqrt(abs(X) + 1)
             + tanh(X) + maximum(X, Y) + minimum(X, 0.5) + relu(X) + leakyrelu(Y, 0.2) + sigmoid(-X))
        return dlsum(softmax(Z) * Z + (X > Y) * X, "all")
    compare(with_gradients(loss), image(rng, 4, 3, 5, 2), image(rng, 4, 3, 5, 2))


def test_reductions_and_matmul(rng):
    def loss(X, A, B):
        return (dlsum(dlmean(X, [1, 2]) ** 2, "all") + dlsum(dlmax(X, [], 3), "all")
                + dlsum(minidl.min(X), "all") + dlsum(A @ B, "all") + dlsum(A.T @ A, "all"))
    A = dlarray(rng.standard_normal((3, 4)).astype(np.float32))
    B = dlarray(rng.standard_normal((4, 2)).astype(np.float32))
    compare(with_gradients(loss), image(rng, 3, 4, 5, 2), A, B)


def test_indexing_with_gradient(rng):
    def loss(X):
        picked = X[1:3, :, [0, 2, 0], :]  # repeated index: the gradient adds up
        return dlsum(picked * picked, "all") + dlsum(X[X.data > 0] * 3, "all")
    compare(with_gradients(loss), image(rng, 4, 3, 3, 2))


def test_dlconv_forward_backward(rng):
    W = dlarray(rng.standard_normal((3, 3, 2, 4)).astype(np.float32))
    b = dlarray(rng.standard_normal(4).astype(np.float32))

    def loss(X, W, b):
        Y = dlconv(X, W, b, Stride=[2, 1], Padding="same", DilationFactor=[1, 2])
        return dlsum(Y * Y, "all")
    compare(with_gradients(loss), image(rng, 7, 6, 2, 3), W, b)


@pytest.mark.parametrize("pool", [lambda X: maxpool(X, 2, Stride=2),
                                  lambda X: maxpool(X, [3, 2], Padding=1),
                                  lambda X: avgpool(X, 3, Stride=2, Padding="same"),
                                  lambda X: avgpool(X, 3, Padding=1, PaddingValue="mean"),
                                  lambda X: maxpool(X, [3, 5], Stride=[3, 5]),
                                  lambda X: avgpool(X, [2, 5], Stride=2),
                                  lambda X: maxpool(minimum(X, 0), [3, 5], Stride=[3, 5]),  # tied zeros
                                  lambda X: maxpool(minimum(X, 0), "global")],
                         ids=["maxpool", "maxpool-padded", "avgpool", "avgpool-mean", "maxpool-tiles", "avgpool-tiles",
                              "maxpool-tiles-ties", "maxpool-global-ties"])
def test_pooling_forward_backward(rng, pool):
    compare(with_gradients(lambda X: dlsum(pool(X) ** 2, "all")), image(rng, 6, 5, 2, 3))


def test_batchnorm_forward_backward(rng):
    offset = dlarray(rng.standard_normal(3).astype(np.float32))
    scale = dlarray(rng.standard_normal(3).astype(np.float32) + 2)

    def training(X, offset, scale):
        Y, mu, var = batchnorm(X, offset, scale)
        return dlsum(Y * Y * X, "all") + dlsum(mu * var, "all")
    compare(with_gradients(training), image(rng, 4, 4, 3, 5), offset, scale)
    mean = rng.standard_normal(3).astype(np.float32)
    var = rng.random(3).astype(np.float32) + 0.5
    compare(batchnorm, image(rng, 4, 4, 3, 5), offset, scale, mean, var)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_host_operands_move_to_the_device(rng, dtype):
    # As gpuArray with a host array in MATLAB: NumPy operands join a device dlarray on its device.
    X = dlarray(rng.standard_normal((4, 4, 3, 5)).astype(dtype), "SSCB")
    offset, scale = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype) + 2
    A, B = dlarray(rng.standard_normal((3, 4)).astype(dtype)), rng.standard_normal((4, 2)).astype(dtype)
    assert_same(batchnorm(on_device(X), offset, scale), batchnorm(X, offset, scale))
    C = offset.reshape(1, 1, 3, 1)
    assert_same([on_device(X) * C, on_device(A) @ B], [X * C, A @ B])


def test_groupnorm_forward_backward(rng):
    offset = dlarray(rng.standard_normal(4).astype(np.float32))
    scale = dlarray(rng.standard_normal(4).astype(np.float32) + 2)

    def loss(X, offset, scale):
        Y = groupnorm(X, 2, offset, scale)
        return dlsum(Y * Y * X, "all")
    compare(with_gradients(loss), image(rng, 3, 4, 4, 2), offset, scale)


def test_fullyconnect_and_crossentropy_forward_backward(rng):
    W = dlarray(rng.standard_normal((5, 24)).astype(np.float32))
    b = dlarray(rng.standard_normal(5).astype(np.float32))
    T = np.eye(5, dtype=np.float32)[:, [0, 3, 4]]

    def loss(X, W, b):
        return crossentropy(softmax(fullyconnect(X, W, b)), T)
    compare(with_gradients(loss), image(rng, 2, 3, 4, 3), W, b)


def test_crossentropy_with_DataFormat_and_nan_on_the_device(rng):
    Y = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    T = np.eye(4, dtype=np.float32)[:, [0, 2, 3]]
    compare(with_gradients(lambda Y: crossentropy(Y, T, DataFormat="CB")), dlarray(Y))
    Y[1, 2] = np.nan
    loss = crossentropy(on_device(dlarray(Y, "CB")), T)
    assert isinstance(loss.data, StrictArray) and np.isnan(float(loss))


# -- a whole network -----------------------------------------------------------------------

def small_net(rng):
    minidl.rng(0)
    layers = [minidl.imageInputLayer([8, 8, 1], Normalization="none"),
              minidl.convolution2dLayer(3, 4, Padding="same"), minidl.batchNormalizationLayer(), minidl.reluLayer(),
              minidl.maxPooling2dLayer(2, Stride=2),
              minidl.convolution2dLayer(3, 6, Padding="same"), minidl.reluLayer(),
              minidl.averagePooling2dLayer(2, Stride=2),
              minidl.fullyConnectedLayer(3), minidl.softmaxLayer()]
    return dlnetwork(layers)


def digits(rng, n=6):
    X = dlarray(rng.random((8, 8, 1, n)).astype(np.float32), "SSCB")
    T = np.eye(3, dtype=np.float32)[:, rng.integers(0, 3, n)]
    return X, T


def model_loss(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def moved(net):
    """net with learnables and state on the device, the MATLAB way (dlupdate, then the State table)."""
    net = minidl.dlupdate(lambda w: dlarray(asarray(w.data)), net)
    state = net.State
    net.State = on_device(state)
    return net


def test_dlnetwork_forward_predict_gradient_sgdm_step(rng):
    X, T = digits(rng)

    def step(net, X, T):
        loss, grads, state = dlfeval(model_loss, net, X, T)
        net.State = state
        net, vel = sgdmupdate(net, grads, None, 0.05, 0.9)
        return loss, grads.Value, state.Value, net.Learnables.Value, vel.Value, predict(net, X)

    host_net = small_net(rng)
    device_net = moved(host_net)
    assert all(isinstance(v.data, StrictArray) for v in device_net.Learnables.Value + device_net.State.Value)
    assert_same(step(device_net, on_device(X), on_device(T)), step(host_net, X, T))


def test_taylor_pruning_on_the_device(rng):
    X, T = digits(rng, 8)

    def pruning_loss(prunable, X, T):
        Y, _, acts = forward(prunable, X)
        loss = crossentropy(Y, T)
        return loss, acts, dlgradient(loss, acts)

    def prune(net, X, T):
        prunable = minidl.taylorPrunableNetwork(net)
        loss, acts, grads = dlfeval(pruning_loss, prunable, X, T)
        prunable = minidl.updateScore(prunable, acts, grads)
        prunable = minidl.updatePrunables(prunable, MaxToPrune=3)
        pruned = dlnetwork(prunable)
        return loss, acts, grads, pruned.Learnables.Value, predict(pruned, X)

    host_net = small_net(rng)
    assert_same(prune(moved(host_net), on_device(X), on_device(T)), prune(host_net, X, T))


def test_compress_network_on_the_device(rng):
    X, T = digits(rng, 20)

    def compress(net, X, T):
        pruned, info = minidl.compressNetworkUsingTaylorPruning(
            net, (X, T), crossentropy, NumImportanceScoreIterations=2, NumFineTuningIterations=2, MiniBatchSize=8,
            ValidationData=(X, T), ValidationThreshold=0.0, LearnablesReductionGoal=0.2,
            generator=np.random.default_rng(0))
        return pruned.Learnables.Value, info

    T = dlarray(T, "CB")
    host_net = small_net(rng)
    device, device_info = compress(moved(host_net), on_device(X), on_device(T))
    host, host_info = compress(host_net, X, T)
    assert_same(device, host)
    assert device_info["NumLearnables"] == host_info["NumLearnables"]


# -- a machine whose GPU is the stand-in (what --backend=strict runs the whole suite on) ----------

ROOT = pathlib.Path(__file__).resolve().parent.parent


def digit_images(n=24):
    """n images of the digit dataset (an imageDatastore), and the same images as an HxWx1xN array."""
    imds = minidl.subset(minidl.imageDatastore(ROOT / "data" / "DigitDataset", IncludeSubfolders=True,
                                               LabelSource="foldernames"), np.arange(0, 10000, 10000 // n))
    return imds, np.stack(imds.readall(), axis=-1)[:, :, None, :].astype(np.float32)


def digits_layers():
    return [minidl.imageInputLayer([28, 28, 1], Normalization="none"), minidl.convolution2dLayer(5, 4),
            minidl.batchNormalizationLayer(), minidl.reluLayer(), minidl.maxPooling2dLayer(4, Stride=4),
            minidl.fullyConnectedLayer(10), minidl.softmaxLayer()]


def test_a_host_network_on_a_gpu_machine_predicts_where_it_is(rng):
    # minibatchqueue's "auto" puts datastore mini-batches on the GPU; minibatchpredict/testnet send them to the
    # network's device instead, so a network left on the host works there (it raised TypeError before).
    imds, images = digit_images()
    minidl.rng(0)
    net = dlnetwork(digits_layers())
    host_scores = minidl.minibatchpredict(net, images, MiniBatchSize=10)
    with stand_in_device():
        scores = minidl.minibatchpredict(net, minidl.augmentedImageDatastore([28, 28], imds), MiniBatchSize=10)
        accuracy = minidl.testnet(net, imds, "accuracy", MiniBatchSize=10)
        device_scores = minidl.minibatchpredict(moved(net), images, MiniBatchSize=10)
    assert isinstance(scores, np.ndarray) and isinstance(device_scores, StrictArray)
    np.testing.assert_allclose(scores, host_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(device_scores.get(), host_scores, rtol=1e-5, atol=1e-6)
    assert accuracy == minidl.testnet(net, imds, "accuracy", MiniBatchSize=10)


def test_trainnet_of_layers_on_a_gpu_machine_trains_on_the_device():
    # MATLAB's ExecutionEnvironment="auto": a network of layers initialises, then trains on the GPU.
    imds, _ = digit_images(40)
    options = minidl.trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=8, Shuffle="never", Verbose=False)
    minidl.rng(0)
    host_net, host_info = minidl.trainnet(imds, digits_layers(), "crossentropy", options)
    minidl.rng(0)
    with stand_in_device():
        net, info = minidl.trainnet(imds, digits_layers(), "crossentropy", options)
    assert all(isinstance(v.data, StrictArray) for v in net.Learnables.Value + net.State.Value)
    np.testing.assert_allclose(info.TrainingHistory.Loss, host_info.TrainingHistory.Loss, rtol=1e-4)
    for device, host in zip(net.Learnables.Value, host_net.Learnables.Value):
        np.testing.assert_allclose(device.data.get(), host.data, rtol=1e-3, atol=1e-5)


def test_initialize_of_a_network_on_the_device_keeps_it_there(rng):
    net = moved(small_net(rng))
    grown = minidl.replaceLayer(net, "fc", minidl.fullyConnectedLayer(5, Name="fc5"))
    with stand_in_device():
        grown = minidl.initialize(grown)  # examples go where the values are; new values join them
    assert all(isinstance(v.data, StrictArray) for v in grown.Learnables.Value + grown.State.Value)
    Y = predict(grown, on_device(digits(rng)[0]))
    assert isinstance(Y.data, StrictArray) and Y.shape == (5, 6)


def test_gradcheck_runs_on_the_device_of_its_inputs(rng):
    X = image(rng, 5, 4, 2, 2)
    W = rng.standard_normal((3, 3, 2, 3))  # a NumPy input joins the device dlarrays
    assert gradcheck(lambda x, w: dlconv(x, w, 0, Padding="same"), on_device(X), W)
    assert gradcheck(lambda x: softmax(x) * x, on_device(X), elementwise=True)
    assert gradgradcheck(lambda x: dlsum(tanh(x) ** 2, "all"), on_device(X))
