"""Mini-batches for trainnet, testnet and minibatchpredict: datastores, minibatchqueues and in-memory arrays,
and the scores computed over them."""
import copy

import numpy as np

from ..backend import device_of, gpu_available, to_device
from ..data.arrayqueue import ArrayQueue
from ..data.augmenteddatastore import augmentedImageDatastore
from ..data.categorical import categorical, isundefined
from ..data.concat import cat
from ..data.datastore import Datastore
from ..data.imagedatastore import imageDatastore
from ..data.minibatchqueue import minibatchqueue
from ..data.onehot import onehotencode
from ..dlarray import dlarray
from ..network.functions import predict
from ..optim import dlupdate
from ..random import generator


def network_device(net):
    """Where a network computes and its mini-batches go: the device of the values already set in ``net`` (a
    network moved with dlupdate meets its data there; operations never mix devices), and for a network with
    none set yet MATLAB's ExecutionEnvironment="auto": "gpu" when CuPy finds one, else "cpu"."""
    values = [v for table in (net.Learnables, net.State) for v in table.Value if v is not None]
    if values:
        return device_of(values[0].data)
    return "gpu" if gpu_available() else "cpu"


def network_on(net, environment):
    """``net`` with its learnables and state on "cpu" or "gpu" (``dlupdate(@gpuArray, net)`` and its State)."""
    net = dlupdate(lambda w: on(w, environment), net)
    state = net.State
    if state.height:
        net.State = state.with_column("Value", [on(v, environment) for v in state.Value])
    return net


def on(A, environment):
    """A dlarray (or None) copied to "cpu" or "gpu" when it is not there yet."""
    if A is None or device_of(A.data) == environment:
        return A
    return dlarray._wrap(to_device(A.data, environment), A.fmt)


def labels_axis(A):
    return A.fmt.index("C") if isinstance(A, dlarray) and "C" in A.fmt else 0


def batch_size(X):
    return X.shape[X.fmt.index("B")] if "B" in X.fmt else 1


def accuracy(Y, T):
    """Percentage of observations whose largest score is the target's class."""
    predicted = np.argmax(to_device(Y.data, "cpu"), axis=labels_axis(Y))
    truth = np.argmax(to_device(T.data if isinstance(T, dlarray) else T, "cpu"), axis=labels_axis(T))
    return 100.0 * float(np.mean(predicted == truth))


def evaluate(net, queue, loss_fn):
    """(loss, accuracy in percent) over all of ``queue``, each mini-batch weighted by its size."""
    queue.reset()
    total_loss = correct = count = 0.0
    while queue.hasdata():
        X, T = queue.next()
        Y = predict(net, X)
        n = batch_size(Y)
        total_loss += float(to_device(loss_fn(Y, T).data, "cpu")) * n
        correct += accuracy(Y, T) * n / 100
        count += n
    return total_loss / count, 100.0 * correct / count


def queue_of(data, input_layer, size, argname, predictors_only=False, environment="cpu"):
    """Something with hasdata/next/reset/shuffle giving (X, T) mini-batches of dlarrays (or only X mini-batches
    from a datastore when ``predictors_only``; a minibatchqueue gives what it gives) on ``environment``
    ("cpu" or "gpu", see network_device)."""
    fmt = input_layer.example_input().fmt
    if isinstance(data, minibatchqueue):
        queue = copy.deepcopy(data)  # the caller's queue keeps its position
        queue.reset()
        return queue
    if isinstance(data, Datastore):
        if isinstance(data, imageDatastore):
            # MATLAB refuses images of another size than the input layer's; only an augmentedImageDatastore
            # resizes them (the wrapper below is for batching: at the right size it changes nothing).
            first = data.readimage(0) if data.NumObservations else None
            if first is not None and tuple(first.shape[:2]) != tuple(input_layer.InputSize[:2]):
                raise ValueError(f"{argname}: the images are {first.shape[0]}x{first.shape[1]} but the network's "
                                 f"input layer takes {input_layer.InputSize[0]}x{input_layer.InputSize[1]}; resize "
                                 "them with augmentedImageDatastore(inputSize, imds)")
            data = augmentedImageDatastore(list(input_layer.InputSize[:2]), data)
        if not isinstance(data, augmentedImageDatastore):
            raise TypeError(f"{argname} must be an imageDatastore, augmentedImageDatastore, minibatchqueue or "
                            f"(X, T); got {type(data).__name__}")
        if predictors_only:
            return minibatchqueue(data, 1, MiniBatchSize=size, MiniBatchFcn=lambda images, *labels: cat(4, *images),
                                  MiniBatchFormat=fmt, OutputEnvironment=environment)
        return minibatchqueue(data, MiniBatchSize=size, MiniBatchFormat=[fmt, "CB"], OutputEnvironment=environment)
    if isinstance(data, tuple) and len(data) == 2:
        X, T = in_memory(data[0], data[1], fmt, argname)
        return ArrayQueue(on(X, environment), on(T, environment), size, generator())
    raise TypeError(f"{argname} must be an imageDatastore, augmentedImageDatastore, minibatchqueue or (X, T); "
                    f"got {type(data).__name__}")


def in_memory(X, T, fmt, argname):
    """X as a dlarray in the input layer's format and T (None allowed) as a "CB" dlarray of targets."""
    if not isinstance(X, dlarray):
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{argname}: X must be numeric; got {X.dtype}")
        # MATLAB's layouts: images HxWxCxN (observations last), features NxC (observations first)
        X = dlarray(X.astype(np.float32, copy=False).T if fmt == "CB" else X.astype(np.float32, copy=False), fmt)
    if isinstance(T, categorical):
        undefined = np.flatnonzero(isundefined(T).ravel(order="F"))
        if undefined.size:  # their one-hot columns would be NaN: a NaN loss, or a wrong accuracy
            raise ValueError(f"{argname}: T has {undefined.size} undefined label(s), the first at observation "
                             f"{undefined[0] + 1}; remove those observations or give them a category")
        row = T.ndim == 2 and T.shape[0] == 1 and T.shape[1] != 1
        n = T.size
        onehot = np.asarray(onehotencode(T, 1 if row else 2), dtype=np.float32)
        T = dlarray(onehot.reshape(-1, n) if row else onehot.reshape(n, -1).T, "CB")
    elif T is not None and not isinstance(T, dlarray):
        T = np.asarray(T)
        if T.dtype.kind not in "biuf" or T.ndim != 2:
            raise TypeError(f"{argname}: T must be an N x 1 categorical or a numeric N x K array (observations "
                            f"first); got {T.dtype} of size {T.shape}")
        T = dlarray(T.astype(np.float32).T, "CB")
    return X, T
