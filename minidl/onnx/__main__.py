"""python -m minidl.onnx [folder]: the README's import -> prune -> export round trip, measured.

From a checkout: data/digitsCustom.mat is exported to ONNX (standing in for a model trained
elsewhere), imported, pruned one round (updateScore on 128 digits, updatePrunables), and
exported again; onnxruntime then runs both files on 1,000 other digits of data/DigitDataset
and check_with_onnxruntime compares them with predict. The files are written to ``folder``
(default: a temporary folder).
"""
import sys
import tempfile
from pathlib import Path

import numpy as np

import minidl


def _batch(imds, indices):
    images = minidl.subset(imds, indices).readall()
    labels = [int(str(label)) for label in minidl.subset(imds, indices).Labels]
    X = minidl.dlarray(np.stack(images, axis=-1)[:, :, None, :].astype(np.float32) / 255, "SSCB")
    return X, np.eye(10, dtype=np.float32)[:, labels], np.asarray(labels)


def _model_loss(prunable, X, T):
    Y, _, activations = minidl.forward(prunable, X)
    loss = minidl.crossentropy(Y, T)
    return loss, activations, minidl.dlgradient(loss, activations)


def main(folder):
    root = Path.cwd()
    imds = minidl.imageDatastore(root / "data" / "DigitDataset", IncludeSubfolders=True, LabelSource="foldernames")
    X_score, T_score, _ = _batch(imds, np.arange(5, 10_000, 78)[:128])
    X_test, _, labels = _batch(imds, np.arange(0, 10_000, 10))
    trained = minidl.load(root / "data" / "digitsCustom.mat").dlnet
    minidl.exportONNXNetwork(trained, folder / "model.onnx")

    net = minidl.importNetworkFromONNX(folder / "model.onnx")
    prunable = minidl.taylorPrunableNetwork(net)
    _, activations, gradients = minidl.dlfeval(_model_loss, prunable, X_score, T_score)
    pruned = minidl.dlnetwork(minidl.updatePrunables(minidl.updateScore(prunable, activations, gradients)))
    minidl.exportONNXNetwork(pruned, folder / "pruned.onnx")

    for name, network in (("model.onnx", net), ("pruned.onnx", pruned)):
        report = minidl.onnx.check_with_onnxruntime(network, folder / name, X_test)
        accuracy = np.mean(np.argmax(minidl.extractdata(minidl.predict(network, X_test)), axis=0) == labels)
        print(f"{name:12s} max |onnxruntime - predict| {report['max_abs_difference']:.2e}, argmax agreement "
              f"{100 * report['argmax_agreement']:.1f}%, accuracy {100 * accuracy:.1f}%, 1,000 images: "
              f"onnxruntime {report['onnxruntime_seconds']:.3f} s, minidl {report['minidl_seconds']:.3f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as temporary:
            main(Path(temporary))
