"""Train the digits network of MATLAB's taylorPrunableNetwork page with trainnet.

Builds the seed's 12-layer network exactly, trains it on data/DigitDataset with trainnet
(SGDM over a minibatchqueue that scales images to [0, 1]; the learn rate drops to a tenth for the
last two epochs), prints MATLAB's verbose training table, reports accuracy on a held-out 10% split
with testnet and saves data/digitsCustom.mat (variables dlnet and classes), so the pruning example
starts like the seed: ``s = minidl.load("data/digitsCustom.mat")``. trainnet runs the same
dlfeval/dlgradient/sgdmupdate steps the earlier hand-written loop ran, so the weights are the same.

    python examples/train_digits.py [--epochs 8] [--seed 0] [--out data/digitsCustom.mat]
"""
import argparse
from pathlib import Path

import numpy as np

from minidl import (augmentedImageDatastore, batchNormalizationLayer, cat, categories, convolution2dLayer,
                    dlnetwork, fullyConnectedLayer, imageDatastore, imageDataAugmenter, imageInputLayer,
                    minibatchqueue, onehotencode, reluLayer, rng, save, softmaxLayer, splitEachLabel, testnet,
                    trainingOptions, trainnet)
from minidl.blasinfo import blas_summary

ROOT = Path(__file__).resolve().parent.parent


def digits_layers(mean):
    """The seed's network: conv 5x5x20, then two conv 3x3x20 blocks, each with BN and ReLU, then fc 10."""
    return [
        imageInputLayer([28, 28, 1], Name="input", Mean=mean),
        convolution2dLayer(5, 20, Name="conv1"),
        batchNormalizationLayer(Name="bn1"),
        reluLayer(Name="relu1"),
        convolution2dLayer(3, 20, Padding=1, Name="conv2"),
        batchNormalizationLayer(Name="bn2"),
        reluLayer(Name="relu2"),
        convolution2dLayer(3, 20, Padding=1, Name="conv3"),
        batchNormalizationLayer(Name="bn3"),
        reluLayer(Name="relu3"),
        fullyConnectedLayer(10, Name="fc"),
        softmaxLayer(Name="softmax"),
    ]


def preprocessMiniBatch(dataX, dataT):
    X = cat(4, *dataX) / 255
    T = onehotencode(cat(2, *dataT), 1)
    return X, T


def training_options(epochs):
    """SGDM at 0.01, momentum 0.9, reshuffled every epoch, a tenth of the learn rate for the last two epochs;
    no L2 and the Mean set here (as the earlier hand-written loop had it)."""
    return trainingOptions("sgdm", InitialLearnRate=0.01, Momentum=0.9, MaxEpochs=epochs, Shuffle="every-epoch",
                           LearnRateSchedule="piecewise", LearnRateDropFactor=0.1,
                           LearnRateDropPeriod=max(epochs - 2, 1), L2Regularization=0,
                           ResetInputNormalization=False, Metrics="accuracy", VerboseFrequency=50)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=str(ROOT / "data" / "DigitDataset"))
    parser.add_argument("--out", default=str(ROOT / "data" / "digitsCustom.mat"))
    args = parser.parse_args()

    rng(args.seed)
    imds = imageDatastore(args.data, IncludeSubfolders=True, LabelSource="foldernames")
    imdsTrain, imdsValidation = splitEachLabel(imds, 0.9, "randomized")
    classes = categories(imdsTrain.Labels)

    # The Mean is set here: the channel mean of the unaugmented training images, scaled as the network sees them
    # (so trainnet runs with ResetInputNormalization=False).
    mean = np.mean([image.mean() for image in imdsTrain.readall()]) / 255
    net = dlnetwork(digits_layers(np.full((1, 1, 1), mean, dtype=np.float32)))

    augmenter = imageDataAugmenter(RandRotation=[-8, 8], RandXTranslation=[-2, 2], RandYTranslation=[-2, 2])
    augimdsTrain = augmentedImageDatastore([28, 28], imdsTrain, DataAugmentation=augmenter)
    augimdsValidation = augmentedImageDatastore([28, 28], imdsValidation)
    mbq = minibatchqueue(augimdsTrain, MiniBatchSize=128, MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat=["SSCB", ""])

    net, _ = trainnet(mbq, net, "crossentropy", training_options(args.epochs))
    mbqValidation = minibatchqueue(augimdsValidation, MiniBatchSize=512, MiniBatchFcn=preprocessMiniBatch,
                                   MiniBatchFormat=["SSCB", ""])
    accuracy = testnet(net, mbqValidation, "accuracy")
    print(f"Validation accuracy on the held-out 10% ({imdsValidation.NumObservations} images, seed {args.seed}): "
          f"{accuracy:.2f}%")
    print(f"{blas_summary()} (float32 results follow the BLAS kernel; reproducible on the same one)")
    save(args.out, dlnet=net, classes=classes)
    print(f"Saved {args.out}")


if __name__ == "__main__":
    main()
