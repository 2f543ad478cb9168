"""The main job: MATLAB's digits pruning example end to end, then a longer pruning loop with fine-tuning.

1. The reference page, line by line (examples/prune_digits_seed.py): NumPrunables 48, one
   updatePrunables -> 40, the pruned network's convolution layers.
2. MathWorks' custom pruning loop ("Prune Image Classification Network Using Taylor
   Scores"): each pruning iteration fine-tunes with SGDM while accumulating scores over
   NumMinibatchUpdates mini-batches, then removes MaxToPrune filters; validation accuracy
   and learnable counts are printed every iteration.
3. Fine-tunes the pruned dlnetwork for one epoch (as MathWorks' example does) and saves it to
   data/digitsPruned.mat.

    python examples/prune_digits.py [--iterations 4] [--minibatch-updates 30]
"""
import argparse
from pathlib import Path

import numpy as np

import minidl
from minidl import (augmentedImageDatastore, crossentropy, dlfeval, dlgradient, dlnetwork, extractdata, forward,
                    hasdata, minibatchqueue, predict, save, sgdmupdate, shuffle, taylorPrunableNetwork,
                    updatePrunables, updateScore)
from minidl.network.summary import count_learnables

import prune_digits_seed as seed

ROOT = Path(__file__).resolve().parent.parent


def modelLossPruning(prunableNet, X, T):
    Y, state, pruningActivations = forward(prunableNet, X)
    loss = crossentropy(Y, T)
    pruningGradients, netGradients = dlgradient(loss, pruningActivations, prunableNet.Learnables)
    return loss, pruningActivations, pruningGradients, netGradients, state


def accuracy(net, ds):
    mbq = minibatchqueue(ds, MiniBatchSize=500, MiniBatchFcn=seed.preprocessMiniBatch, MiniBatchFormat=["SSCB", ""])
    correct = total = 0
    while hasdata(mbq):
        X, T = next(mbq)
        Y = extractdata(predict(net, X))
        correct += int(np.sum(np.argmax(Y, 0) == np.argmax(extractdata(T), 0)))
        total += Y.shape[1]
    return correct / total


def modelLoss(net, X, T):
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def fine_tune(net, mbq, learnRate, momentum):
    """One epoch of SGDM on an ordinary dlnetwork."""
    shuffle(mbq)
    velocity = None
    while hasdata(mbq):
        X, T = next(mbq)
        loss, gradients, state = dlfeval(modelLoss, net, X, T)
        net.State = state
        net, velocity = sgdmupdate(net, gradients, velocity, learnRate, momentum)
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=4, help="pruning iterations after the seed's one")
    parser.add_argument("--minibatch-updates", type=int, default=30, help="fine-tuning mini-batches per iteration")
    parser.add_argument("--max-to-prune", type=int, default=8)
    args = parser.parse_args()

    minidl.rng(0)
    print("== 1. The reference page, line by line ==")
    dlnet_1, _, prunableNet, dlnet_2 = seed.main()

    print("\n== 2. The custom pruning loop with fine-tuning ==")
    # The split examples/train_digits.py made with its default --seed 0, so validation images were never
    # trained on (retraining with another seed needs the same seed here).
    minidl.rng(0)
    imds = minidl.imageDatastore(ROOT / "data" / "DigitDataset", IncludeSubfolders=True, LabelSource="foldernames")
    imdsPrune, imdsValidation = minidl.splitEachLabel(imds, 0.9, "randomized")
    augimdsPrune = augmentedImageDatastore([28, 28], imdsPrune)
    augimdsValidation = augmentedImageDatastore([28, 28], imdsValidation)
    mbq = minibatchqueue(augimdsPrune, MiniBatchSize=128, MiniBatchFcn=seed.preprocessMiniBatch,
                         MiniBatchFormat=["SSCB", ""])
    learnRate, momentum = 1e-2, 0.9
    print(f"original network: {count_learnables(dlnet_1)} learnables, validation accuracy "
          f"{100 * accuracy(dlnet_1, augimdsValidation):.2f}%")
    print(f"after the seed's prune: {count_learnables(dlnet_2)} learnables, validation accuracy "
          f"{100 * accuracy(prunableNet, augimdsValidation):.2f}% (no fine-tuning)")
    for iteration in range(1, args.iterations + 1):
        shuffle(mbq)
        velocity = None
        updates = 0
        while hasdata(mbq) and updates < args.minibatch_updates:
            updates += 1
            X, T = next(mbq)
            loss, acts, grads, netGradients, state = dlfeval(modelLossPruning, prunableNet, X, T)
            prunableNet.State = state
            prunableNet, velocity = sgdmupdate(prunableNet, netGradients, velocity, learnRate, momentum)
            prunableNet = updateScore(prunableNet, acts, grads)
        tuned = accuracy(prunableNet, augimdsValidation)
        prunableNet = updatePrunables(prunableNet, MaxToPrune=args.max_to_prune)
        pruned = dlnetwork(prunableNet)
        filters = [layer.NumFilters for layer in pruned.Layers if layer.class_name == "Convolution2DLayer"]
        print(f"iteration {iteration}: fine-tuned accuracy {100 * tuned:.2f}%, then pruned to filters {filters}, "
              f"{count_learnables(pruned)} learnables, NumPrunables {prunableNet.NumPrunables}, "
              f"accuracy {100 * accuracy(pruned, augimdsValidation):.2f}%")

    prunedNet = fine_tune(dlnetwork(prunableNet), mbq, learnRate, momentum)
    print(f"after one epoch of fine-tuning the pruned dlnetwork: validation accuracy "
          f"{100 * accuracy(prunedNet, augimdsValidation):.2f}%")
    out = ROOT / "data" / "digitsPruned.mat"
    save(out, dlnet=prunedNet)
    print(f"\npruned network: {count_learnables(prunedNet)} learnables "
          f"({100 * (1 - count_learnables(prunedNet) / count_learnables(dlnet_1)):.1f}% fewer), saved to {out}")
    print(prunedNet.Layers)


if __name__ == "__main__":
    main()
