"""The main job: MathWorks' "Prune Image Classification Network Using Taylor Scores" loop on minidl's digits.

Starts from data/digitsCustom.mat. Each pruning iteration fine-tunes the TaylorPrunableNetwork with SGDM
(fresh velocity) for up to --updates-per-iteration mini-batches while accumulating Taylor scores, removes
--max-to-prune filters with updatePrunables and measures validation accuracy; it stops after
--max-iterations, when nothing is left to prune, or when accuracy falls below --min-accuracy. Then
dlnetwork(prunableNet) removes the filters for real and trainnet fine-tunes the pruned network for one epoch.

Prints a progress table (one line per pruning iteration, a mini-batch counter in between) and writes, into
--output-dir (default ./prune_digits_out): prunedDigits.mat (dlnet, classes), report.txt, report.json and
pruning.png (needs matplotlib: pip install -e ".[plot]"), and original.onnx/pruned.onnx, checked in onnxruntime
(needs onnx and onnxruntime: pip install -e ".[onnx]").

    python examples/prune_digits.py [--max-iterations 16] [--max-to-prune 8] [--updates-per-iteration 50]
                                    [--learn-rate 0.01] [--min-accuracy 0] [--seed 0] [--output-dir DIR] [--quick]
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import minidl
from minidl import (analyzeNetwork, augmentedImageDatastore, crossentropy, dlarray, dlfeval, dlgradient, dlnetwork,
                    extractdata, forward, hasdata, imageDatastore, minibatchqueue, predict, rng, sgdmupdate, shuffle,
                    splitEachLabel, subset, taylorPrunableNetwork, trainingOptions, trainnet, updatePrunables,
                    updateScore)
from minidl.atomic import atomic_path, write_text
from minidl.blasinfo import blas_configuration, blas_summary
from prune_digits_seed import preprocessMiniBatch

ROOT = Path(__file__).resolve().parent.parent
MOMENTUM = 0.9
MINI_BATCH_SIZE = 128


def modelLossPruning(prunableNet, X, T):
    Y, state, pruningActivations = forward(prunableNet, X)
    loss = crossentropy(Y, T)
    pruningGradients, netGradients = dlgradient(loss, pruningActivations, prunableNet.Learnables)
    return loss, pruningActivations, pruningGradients, netGradients, state


# -- measurements ---------------------------------------------------------------------------------------------
def accuracy(net, X, labels, batch=500):
    """Share of images whose top score is their label (predict over batches of in-memory images)."""
    correct = 0
    for start in range(0, X.shape[3], batch):
        Y = extractdata(predict(net, dlarray(X[..., start:start + batch], "SSCB")))
        correct += int(np.sum(np.argmax(Y, axis=0) == labels[start:start + batch]))
    return correct / X.shape[3]


def conv_names(net):
    return [layer.Name for layer in net.Layers if layer.class_name == "Convolution2DLayer"]


def filters_per_conv(net):
    return {layer.Name: layer.NumFilters for layer in net.Layers if layer.class_name == "Convolution2DLayer"}


def learnables(net):
    return analyzeNetwork(net, Plots="none").TotalLearnables


def macs_per_image(net):
    """Multiply-accumulates per 28x28 image: each convolution's weights once per output position, plus the
    fully connected weights (additions of biases, normalisation and ReLU are not counted)."""
    names = conv_names(net)
    outputs = predict(net, dlarray(np.zeros((28, 28, 1, 1), np.float32), "SSCB"), Outputs=names)
    positions = {name: int(np.prod(Y.shape[:2])) for name, Y in zip(names, outputs)}
    total = 0
    for layer in net.Layers:
        if layer.Name in positions:
            total += positions[layer.Name] * minidl.numel(layer.Weights)
        elif layer.class_name == "FullyConnectedLayer":
            total += minidl.numel(layer.Weights)
    return total


def throughput(nets, X, repeats):
    """Images per second of predict for each network, timed alternately in this run (best of ``repeats``)."""
    best = [0.0] * len(nets)
    batch = dlarray(X, "SSCB")
    for net in nets:
        predict(net, batch[:, :, :, :8])  # warm-up: first-call costs are not throughput
    for _ in range(repeats):
        for k, net in enumerate(nets):
            start = time.perf_counter()
            predict(net, batch)
            best[k] = max(best[k], X.shape[3] / (time.perf_counter() - start))
    return best


def onnx_check(nets, X, folder):
    """Each network exported with exportONNXNetwork and run in onnxruntime on X, against predict; None (and a
    message saying how to install them) without onnx/onnxruntime."""
    try:
        from minidl.onnx import check_with_onnxruntime, exportONNXNetwork
        results = {}
        for name, net in nets.items():
            path = folder / f"{name}.onnx"
            exportONNXNetwork(net, path)
            results[name] = {"file": str(path), **check_with_onnxruntime(net, path, X)}
        return results
    except ImportError as err:
        print(f"ONNX check skipped: {err}")
        return None


def sklearn_digits(every=1):
    """scikit-learn's 1,797 real 8x8 handwritten digits (every ``every``-th), upsampled into a 20x20 box centred
    in 28x28 (as tests/test_digits_model.py does), scaled to [0, 1]; None when scikit-learn is not installed."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    from PIL import Image
    digits = load_digits()
    chosen, targets = digits.images[::every], digits.target[::every]
    images = np.zeros((28, 28, 1, len(chosen)), np.float32)
    for k, image in enumerate(chosen):
        small = Image.fromarray((image / 16 * 255).astype(np.uint8)).resize((20, 20), Image.BILINEAR)
        images[4:24, 4:24, 0, k] = np.asarray(small, np.float32) / 255
    return images, targets


# -- progress -------------------------------------------------------------------------------------------------
class Counter:
    """A mini-batch counter: redrawn in place on a terminal, a plain line every ~2 s in a log."""

    def __init__(self, total, label):
        self.total, self.label, self.tty = total, label, sys.stdout.isatty()
        self.last = time.perf_counter()

    def show(self, done, loss):
        now = time.perf_counter()
        text = f"    {self.label}: mini-batch {done}/{self.total}, loss {loss:.4f}"
        if self.tty:
            print("\r" + text, end="", flush=True)
        elif now - self.last >= 2 or done == self.total:
            print(text, flush=True)
            self.last = now

    def close(self):
        if self.tty:
            print("\r" + " " * 72 + "\r", end="", flush=True)


def table_line(cells, widths):
    return "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"


HEADER = ["Iteration", "NumPrunables", "Filters", "Learnables", "Mini-batch loss", "Val. accuracy", "Elapsed"]
WIDTHS = [9, 12, 10, 10, 15, 13, 8]


# -- the job --------------------------------------------------------------------------------------------------
def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iterations", type=int, default=16, help="maxPruningIterations (default 16)")
    parser.add_argument("--max-to-prune", type=int, default=8, help="filters removed per iteration (default 8)")
    parser.add_argument("--updates-per-iteration", type=int, default=50,
                        help="numMinibatchUpdates: fine-tuning mini-batches per pruning iteration (default 50)")
    parser.add_argument("--learn-rate", type=float, default=1e-2, help="SGDM learn rate (default 0.01)")
    parser.add_argument("--min-accuracy", type=float, default=0.0,
                        help="stop when validation accuracy falls below this fraction (default 0: never)")
    parser.add_argument("--seed", type=int, default=0,
                        help="rng seed; the split is examples/train_digits.py's only with its --seed (default 0)")
    parser.add_argument("--output-dir", default="prune_digits_out", help="where the files go (default "
                        "./prune_digits_out)")
    parser.add_argument("--quick", action="store_true", help="a small run (2 iterations of 2 mini-batches, "
                        "200 validation images, a short fine-tune) for the smoke test")
    args = parser.parse_args(argv)
    for name in ("max_iterations", "max_to_prune", "updates_per_iteration"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer; got {getattr(args, name)}")
    if not 0 < args.learn_rate < np.inf:
        parser.error(f"--learn-rate must be a positive number; got {args.learn_rate}")
    if not 0 <= args.min_accuracy <= 1:
        parser.error(f"--min-accuracy must be a fraction in [0, 1]; got {args.min_accuracy}")
    out = Path(args.output_dir).resolve()
    for forbidden in (ROOT / "minidl", ROOT / "data"):
        if out == forbidden or forbidden in out.parents:
            parser.error(f"--output-dir must not be inside {forbidden}; got {out}")
    if args.quick:
        args.max_iterations, args.updates_per_iteration = min(args.max_iterations, 2), min(
            args.updates_per_iteration, 2)
    args.output_dir = out
    return args


def load_data(seed, quick):
    """The training script's 90/10 split; the validation images read once into an array scaled to [0, 1]."""
    rng(seed)
    imds = imageDatastore(ROOT / "data" / "DigitDataset", IncludeSubfolders=True, LabelSource="foldernames")
    imdsPrune, imdsValidation = splitEachLabel(imds, 0.9, "randomized")
    if quick:
        imdsValidation = subset(imdsValidation, np.arange(0, imdsValidation.NumObservations, 5))
        imdsPrune = subset(imdsPrune, np.arange(0, imdsPrune.NumObservations, 35))
    XValidation = np.stack(imdsValidation.readall(), axis=-1)[:, :, None, :].astype(np.float32) / 255
    labels = np.array([int(str(label)) for label in imdsValidation.Labels])
    # On the CPU, where the network is: with OutputEnvironment "auto" a GPU machine would get device batches
    # for a host network, which minidl refuses (it never mixes devices silently).
    mbq = minibatchqueue(augmentedImageDatastore([28, 28], imdsPrune), MiniBatchSize=MINI_BATCH_SIZE,
                         MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat=["SSCB", ""], OutputEnvironment="cpu")
    return mbq, XValidation, labels


def prune(prunableNet, mbq, X, labels, args, start):
    """MathWorks' pruning loop; returns the final prunableNet and one history row per iteration."""
    history = []
    print("|" + "=" * (sum(WIDTHS) + 3 * len(WIDTHS) - 1) + "|")
    print(table_line(HEADER, WIDTHS))
    print("|" + "=" * (sum(WIDTHS) + 3 * len(WIDTHS) - 1) + "|", flush=True)
    for pruningIteration in range(1, args.max_iterations + 1):
        shuffle(mbq)
        velocity = None
        counter = Counter(args.updates_per_iteration, f"iteration {pruningIteration}")
        losses = []
        while hasdata(mbq) and len(losses) < args.updates_per_iteration:
            X_batch, T_batch = next(mbq)
            loss, pruningActivations, pruningGradients, netGradients, state = dlfeval(
                modelLossPruning, prunableNet, X_batch, T_batch)
            prunableNet.State = state
            prunableNet, velocity = sgdmupdate(prunableNet, netGradients, velocity, args.learn_rate, MOMENTUM)
            prunableNet = updateScore(prunableNet, pruningActivations, pruningGradients)
            losses.append(float(loss))
            counter.show(len(losses), losses[-1])
        counter.close()
        prunableNet = updatePrunables(prunableNet, MaxToPrune=args.max_to_prune)
        pruned = dlnetwork(prunableNet)
        validation = accuracy(pruned, X, labels)  # = the masked prunableNet's accuracy (see the report), at less cost
        row = {"iteration": pruningIteration, "NumPrunables": prunableNet.NumPrunables,
               "filters": filters_per_conv(pruned), "learnables": learnables(pruned),
               "minibatch_loss": float(np.mean(losses)), "validation_accuracy": validation,
               "elapsed_s": time.perf_counter() - start}
        history.append(row)
        print(table_line([pruningIteration, row["NumPrunables"], "/".join(map(str, row["filters"].values())),
                          row["learnables"], f"{row['minibatch_loss']:.4f}", f"{100 * validation:.2f}%",
                          time.strftime("%M:%S", time.gmtime(row["elapsed_s"]))], WIDTHS), flush=True)
        if prunableNet.NumPrunables == 0:
            reason = "nothing left to prune (NumPrunables is 0)"
            break
        if validation < args.min_accuracy:
            reason = f"validation accuracy {100 * validation:.2f}% fell below --min-accuracy"
            break
    else:
        reason = f"--max-iterations {args.max_iterations} reached"
    print("|" + "=" * (sum(WIDTHS) + 3 * len(WIDTHS) - 1) + "|")
    print(f"Pruning stopped: {reason}.", flush=True)
    return prunableNet, history, reason


def fine_tune(net, mbq, args):
    """One epoch of trainnet (SGDM, no L2, the pruning loop's learn rate) on the pruned dlnetwork."""
    options = trainingOptions("sgdm", InitialLearnRate=args.learn_rate, Momentum=MOMENTUM, MaxEpochs=1,
                              MiniBatchSize=MINI_BATCH_SIZE, Shuffle="every-epoch", L2Regularization=0,
                              ResetInputNormalization=False, VerboseFrequency=10)
    print("\nFine-tuning the pruned dlnetwork for one epoch with trainnet:", flush=True)
    tuned, _ = trainnet(mbq, net, "crossentropy", options)
    return tuned


def report_sections(r):
    """The report as (title, lines) sections; report.txt prints them in order and report.json holds ``r``.
    A further check adds its result to ``r`` and one section here."""
    conv = [["layer", "filters before", "filters after"]] + [
        [name, str(r["filters_before"][name]), str(r["filters_after"][name])] for name in r["filters_before"]]
    acc = r["accuracy"]
    sections = [
        ("Run", [f"command: {r['command']}", f"stopped: {r['stop_reason']}", f"total time: {r['total_s']:.0f} s",
                 f"pruning iterations: {len(r['iterations'])}"]),
        ("Filters per convolution", _columns(conv)),
        ("Size", [f"learnables: {r['learnables_before']:,} -> {r['learnables_after']:,} "
                  f"({100 * r['learnables_after'] / r['learnables_before']:.1f}% kept, "
                  f"{100 * (1 - r['learnables_after'] / r['learnables_before']):.1f}% removed)",
                  f"MACs per image: {r['macs_before']:,} -> {r['macs_after']:,} "
                  f"({100 * r['macs_after'] / r['macs_before']:.1f}% kept, "
                  f"{r['macs_before'] / r['macs_after']:.2f}x fewer)"]),
        ("Validation accuracy (held-out split of data/DigitDataset)", [
            f"original network: {100 * acc['original']:.2f}%",
            f"after pruning, masked TaylorPrunableNetwork: {100 * acc['masked']:.2f}%",
            f"after pruning, exported dlnetwork: {100 * acc['exported']:.2f}% (must equal the masked figure)",
            f"after fine-tuning the pruned dlnetwork: {100 * acc['fine_tuned']:.2f}%"]),
        (f"Real handwriting (scikit-learn load_digits, {r['sklearn_images']:,} images upsampled to 28x28)",
         [f"original network: {100 * r['sklearn_digits']['original']:.2f}%",
          f"pruned network: {100 * r['sklearn_digits']['pruned']:.2f}%"]
         if r["sklearn_digits"] else ["skipped: scikit-learn is not installed (pip install scikit-learn)"]),
        ("Inference throughput (predict, measured alternately in this run, best of repeats)", [
            f"original: {r['throughput']['original']:,.0f} images/s",
            f"pruned: {r['throughput']['pruned']:,.0f} images/s "
            f"({r['throughput']['pruned'] / r['throughput']['original']:.2f}x)",
            f"batch of {r['throughput']['images']} images"]),
        ("ONNX (exportONNXNetwork, run in onnxruntime on the throughput batch)", _onnx_lines(r["onnx"])),
        ("BLAS configuration", [r["blas_summary"], f"python {platform.python_version()}, numpy {np.__version__}"]),
        ("Files", [f"{name}: {path}" for name, path in r["files"].items()]),
    ]
    return sections


def _onnx_lines(checks):
    if checks is None:
        return ['skipped: onnx and onnxruntime are not installed (pip install -e ".[onnx]")']
    return [f"{name}: {c['file']}; max |onnxruntime - predict| {c['max_abs_difference']:.2e}, same top class for "
            f"{100 * c['argmax_agreement']:.1f}% of images; onnxruntime {1000 * c['onnxruntime_seconds']:.1f} ms, "
            f"minidl {1000 * c['minidl_seconds']:.1f} ms per batch" for name, c in checks.items()]


def _columns(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["   ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
            for row in rows]


def report_text(r):
    blocks = ["minidl digits pruning report"]
    for title, lines in report_sections(r):
        blocks.append("\n".join([title, "-" * len(title)] + lines))
    return "\n\n".join(blocks) + "\n"


def figure(r, path):
    """pruning.png: validation accuracy and learnables per pruning iteration, and filters per layer."""
    try:
        # the Figure class on its own (no pyplot, no backend choice): a PNG file needs nothing more, and
        # pyplot's import took 0.4 s of the job
        from matplotlib.figure import Figure
    except ImportError:
        print('pruning.png not written: it needs matplotlib (pip install -e ".[plot]", or pip install matplotlib)')
        return None
    iterations = [0] + [row["iteration"] for row in r["iterations"]]
    accuracies = [100 * r["accuracy"]["original"]] + [100 * row["validation_accuracy"] for row in r["iterations"]]
    counts = [r["learnables_before"]] + [row["learnables"] for row in r["iterations"]]
    fig = Figure(figsize=(13, 4))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.plot(iterations, accuracies, "o-", label="right after each updatePrunables")
    ax1.plot(iterations[-1], 100 * r["accuracy"]["fine_tuned"], "*", markersize=12, color="tab:green",
             label="pruned dlnetwork after the final fine-tune")
    ax1.legend(loc="lower left", fontsize=8)
    ax1.set(xlabel="Pruning iteration", ylabel="Validation accuracy (%)", title="Accuracy while pruning")
    ax2.plot(iterations, [c / 1000 for c in counts], "s-", color="tab:orange")
    ax2.set(xlabel="Pruning iteration", ylabel="Learnables (thousands)", title="Network size")
    for ax in (ax1, ax2):
        ax.set_xticks(iterations)
        ax.grid(True, alpha=0.3)
    names = list(r["filters_before"])
    x = np.arange(len(names))
    ax3.bar(x - 0.2, [r["filters_before"][n] for n in names], 0.4, label="original")
    ax3.bar(x + 0.2, [r["filters_after"][n] for n in names], 0.4, label="pruned")
    ax3.set_xticks(x, names)
    ax3.set(xlabel="Convolution layer", ylabel="Filters", title="Filters per layer",
            ylim=(0, 1.3 * max(r["filters_before"].values())))
    ax3.legend(loc="upper center", ncol=2)
    fig.suptitle(f"Taylor pruning of the digits network: {100 * r['accuracy']['fine_tuned']:.1f}% after "
                 f"fine-tuning, {100 * (1 - r['learnables_after'] / r['learnables_before']):.0f}% fewer learnables")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    print(f"minidl digits pruning; files go to {args.output_dir}", flush=True)
    s = minidl.load(ROOT / "data" / "digitsCustom.mat")
    net, classes = s.dlnet, s.classes
    mbq, XValidation, labels = load_data(args.seed, args.quick)
    original_accuracy = accuracy(net, XValidation, labels)
    prunableNet = taylorPrunableNetwork(net)
    print(f"original network: {learnables(net):,} learnables, filters {filters_per_conv(net)}, validation accuracy "
          f"{100 * original_accuracy:.2f}% on {len(labels)} held-out images, NumPrunables {prunableNet.NumPrunables}",
          flush=True)

    prunableNet, history, reason = prune(prunableNet, mbq, XValidation, labels, args, start)
    prunedNet = dlnetwork(prunableNet)
    masked, exported = accuracy(prunableNet, XValidation, labels), accuracy(prunedNet, XValidation, labels)
    prunedNet = fine_tune(prunedNet, mbq, args)
    tuned = accuracy(prunedNet, XValidation, labels)
    print(f"after fine-tuning: validation accuracy {100 * tuned:.2f}%", flush=True)

    print("Measuring throughput and accuracy on scikit-learn's handwritten digits...", flush=True)
    speed = throughput([net, prunedNet], XValidation[..., :500], 1 if args.quick else 3)
    real = sklearn_digits(6 if args.quick else 1)
    onnx = onnx_check({"original": net, "pruned": prunedNet}, dlarray(XValidation[..., :500], "SSCB"),
                      args.output_dir)
    files = {"network": str(args.output_dir / "prunedDigits.mat"), "report": str(args.output_dir / "report.txt"),
             "report_json": str(args.output_dir / "report.json"), "figure": str(args.output_dir / "pruning.png")}
    r = {"command": " ".join(["python examples/prune_digits.py"] + (sys.argv[1:] if argv is None else argv)),
         "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
         "stop_reason": reason, "iterations": history,
         "filters_before": filters_per_conv(net), "filters_after": filters_per_conv(prunedNet),
         "learnables_before": learnables(net), "learnables_after": learnables(prunedNet),
         "macs_before": macs_per_image(net), "macs_after": macs_per_image(prunedNet),
         "accuracy": {"original": original_accuracy, "masked": masked, "exported": exported, "fine_tuned": tuned,
                      "validation_images": len(labels)},
         "sklearn_digits": None if real is None else {"original": accuracy(net, *real),
                                                      "pruned": accuracy(prunedNet, *real)},
         "sklearn_images": 0 if real is None else len(real[1]),
         "throughput": {"original": speed[0], "pruned": speed[1], "images": min(500, len(labels))},
         "onnx": onnx, "blas": blas_configuration(), "blas_summary": blas_summary(), "files": files}
    if onnx is not None:
        files.update({f"onnx_{name}": check["file"] for name, check in onnx.items()})

    with atomic_path(files["network"]) as tmp:
        minidl.save(tmp, dlnet=prunedNet, classes=classes)
    if figure(r, files["figure"]) is None:
        del files["figure"]
    r["total_s"] = time.perf_counter() - start
    write_text(files["report_json"], json.dumps(r, indent=2) + "\n")
    text = report_text(r)
    write_text(files["report"], text)
    print("\n" + text, end="")
    return r


if __name__ == "__main__":
    main()
