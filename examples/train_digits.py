"""Train the digits network of MATLAB's taylorPrunableNetwork page with a custom loop.

Builds the seed's 12-layer network exactly, trains it on data/DigitDataset with
minibatchqueue + dlfeval + dlgradient + sgdmupdate, prints a MATLAB-like progress
table, reports accuracy on a held-out 10% split and saves data/digitsCustom.mat
(variables dlnet and classes), so the pruning example starts like the seed:
``s = minidl.load("data/digitsCustom.mat")``.

    python examples/train_digits.py [--epochs 8] [--seed 0] [--out data/digitsCustom.mat]
"""
import argparse
import time
from pathlib import Path

import numpy as np

from minidl import (augmentedImageDatastore, batchNormalizationLayer, cat, categories, convolution2dLayer,
                    crossentropy, dlfeval, dlgradient, dlnetwork, extractdata, forward, fullyConnectedLayer,
                    hasdata, imageDatastore, imageDataAugmenter, imageInputLayer, minibatchqueue,
                    onehotdecode, onehotencode, predict, reluLayer, rng, save, sgdmupdate, shuffle, softmaxLayer,
                    splitEachLabel)
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


def modelLoss(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients, state, Y


def accuracy_on(net, ds, classes):
    mbq = minibatchqueue(ds, MiniBatchSize=512, MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat=["SSCB", ""])
    correct = total = 0
    while hasdata(mbq):
        X, T = next(mbq)
        Y = onehotdecode(extractdata(predict(net, X)), classes, 1)
        truth = onehotdecode(extractdata(T), classes, 1)
        correct += int(np.sum(np.asarray(Y == truth)))
        total += len(truth)
    return correct / total


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

    # zerocenter needs its Mean in a custom loop: the channel mean of the training images (scaled as the network sees them).
    mean = np.mean([image.mean() for image in imdsTrain.readall()]) / 255
    net = dlnetwork(digits_layers(np.full((1, 1, 1), mean, dtype=np.float32)))

    augmenter = imageDataAugmenter(RandRotation=[-8, 8], RandXTranslation=[-2, 2], RandYTranslation=[-2, 2])
    augimdsTrain = augmentedImageDatastore([28, 28], imdsTrain, DataAugmentation=augmenter)
    augimdsValidation = augmentedImageDatastore([28, 28], imdsValidation)
    mbq = minibatchqueue(augimdsTrain, MiniBatchSize=128, MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat=["SSCB", ""])

    learnRate, momentum, velocity = 0.01, 0.9, None
    print("|=======================================================================|")
    print("|  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Mini-batch  |")
    print("|         |             |   (hh:mm:ss)   |     Loss     |   Accuracy   |")
    print("|=======================================================================|")
    start, iteration = time.time(), 0
    for epoch in range(1, args.epochs + 1):
        if epoch == args.epochs - 1:
            learnRate /= 10  # a piecewise drop for the last two epochs settles the weights
        shuffle(mbq)
        while hasdata(mbq):
            iteration += 1
            X, T = next(mbq)
            loss, gradients, state, Y = dlfeval(modelLoss, net, X, T)
            net.State = state
            net, velocity = sgdmupdate(net, gradients, velocity, learnRate, momentum)
            if iteration == 1 or iteration % 50 == 0 or not hasdata(mbq):
                batch_accuracy = np.mean(np.argmax(extractdata(Y), 0) == np.argmax(extractdata(T), 0))
                elapsed = time.strftime("%H:%M:%S", time.gmtime(time.time() - start))
                print(f"|  {epoch:5d}  |  {iteration:9d}  |  {elapsed:>12}  |  {float(loss):10.4f}  |"
                      f"  {100 * batch_accuracy:9.2f}%  |")
    print("|=======================================================================|")

    accuracy = accuracy_on(net, augimdsValidation, classes)
    print(f"Validation accuracy on the held-out 10% ({imdsValidation.NumObservations} images, seed {args.seed}): "
          f"{100 * accuracy:.2f}%")
    print(f"{blas_summary()} (float32 results follow the BLAS kernel; reproducible on the same one)")
    save(args.out, dlnet=net, classes=classes)
    print(f"Saved {args.out}")


if __name__ == "__main__":
    main()
