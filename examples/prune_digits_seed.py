"""MATLAB's taylorPrunableNetwork example, line by line, on minidl's own DigitDataset.

The reference page loads a trained digits dlnetwork, scores every convolution filter
over the pruning data, removes 8 filters with updatePrunables and extracts the pruned
dlnetwork. Run from the repository root:

    python examples/prune_digits_seed.py
"""
from pathlib import Path

import minidl
from minidl import (augmentedImageDatastore, cat, crossentropy, dlfeval, dlgradient, dlnetwork, forward, hasdata,
                    imageDatastore, minibatchqueue, onehotencode, splitEachLabel, taylorPrunableNetwork,
                    updatePrunables, updateScore)

ROOT = Path(__file__).resolve().parent.parent


def modelLoss(net, X, T):
    # Calculate network output for training.
    out, _, pruningActivations = forward(net, X)
    # Calculate loss.
    loss = crossentropy(out, T)
    # Compute pruning gradients.
    pruningGradients = dlgradient(loss, pruningActivations)
    return loss, pruningActivations, pruningGradients


def preprocessMiniBatch(dataX, dataT):
    # Preprocess predictors.
    X = preprocessMiniBatchPredictors(dataX)
    # Extract label data from cell and concatenate.
    T = cat(2, *dataT)
    # One-hot encode labels.
    T = onehotencode(T, 1)
    return X, T


def preprocessMiniBatchPredictors(dataX):
    # Concatenate.
    X = cat(4, *dataX)
    # Normalize the images.
    X = X / 255
    return X


def main(data_folder=ROOT / "data" / "DigitDataset", mat_file=ROOT / "data" / "digitsCustom.mat", show=print):
    """Run the example; returns (dlnet_1, prunableNet_1, prunableNet_2, dlnet_2) for checks."""
    # Load dlnetwork Object
    s = minidl.load(mat_file)
    dlnet_1 = s.dlnet
    classes = s.classes  # noqa: F841  (kept as in the seed)

    layers_1 = dlnet_1.Layers
    show("layers_1 = \n" + repr(layers_1))

    # Load Data for Prediction
    imds = imageDatastore(data_folder, IncludeSubfolders=True, LabelSource="foldernames")
    imdsPrune, imdsValidation = splitEachLabel(imds, 0.9, "randomize")
    inputSize = [28, 28, 1]
    augimdsPrune = augmentedImageDatastore(inputSize[:2], imdsPrune)
    augimdsValidation = augmentedImageDatastore(inputSize[:2], imdsValidation)  # noqa: F841  (as in the seed)

    # Prune dlnetwork Object
    prunableNet_1 = taylorPrunableNetwork(dlnet_1)
    show("prunableNet_1 = \n" + repr(prunableNet_1))

    miniBatchSize = 128
    imds.ReadSize = miniBatchSize
    mbq = minibatchqueue(augimdsPrune, MiniBatchSize=miniBatchSize, MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat=["SSCB", ""])

    while hasdata(mbq):
        X, T = next(mbq)
        _, pruningActivations, pruningGradients = dlfeval(modelLoss, prunableNet_1, X, T)
        prunableNet_1 = updateScore(prunableNet_1, pruningActivations, pruningGradients)

    prunableNet_2 = updatePrunables(prunableNet_1)
    show("prunableNet_2 = \n" + repr(prunableNet_2))

    # Extract Pruned dlnetwork Object
    dlnet_2 = dlnetwork(prunableNet_2)

    conv_layers_1 = dlnet_1.Layers[[1, 4, 7]]  # MATLAB's dlnet_1.Layers([2 5 8])
    show("conv_layers_1 = \n" + repr(conv_layers_1))
    conv_layers_2 = dlnet_2.Layers[[1, 4, 7]]
    show("conv_layers_2 = \n" + repr(conv_layers_2))
    return dlnet_1, prunableNet_1, prunableNet_2, dlnet_2


if __name__ == "__main__":
    main()
