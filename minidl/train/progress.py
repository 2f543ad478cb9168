"""What trainnet reports: MATLAB's verbose table, the training history (TrainingInfo) and its figure."""
import time

from ..atomic import atomic_path
from ..table import Table


class TrainingInfo:
    """``[net, info] = trainnet(...)``'s info: TrainingHistory and ValidationHistory tables (Iteration, Epoch,
    TimeElapsed in seconds, LearnRate (training only), Loss, Accuracy in percent when Metrics="accuracy"),
    OutputNetworkIteration and StopReason."""

    def __init__(self, training, validation, output_iteration, stop_reason):
        self.TrainingHistory = Table(**training)
        self.ValidationHistory = Table(**validation)
        self.OutputNetworkIteration = output_iteration
        self.StopReason = stop_reason

    def __repr__(self):
        return (f"  TrainingInfo with properties:\n\n        TrainingHistory: [{self.TrainingHistory.height}x"
                f"{len(self.TrainingHistory.VariableNames)} table]\n      ValidationHistory: "
                f"[{self.ValidationHistory.height}x{len(self.ValidationHistory.VariableNames)} table]\n"
                f"    OutputNetworkIteration: {self.OutputNetworkIteration}\n"
                f"             StopReason: \"{self.StopReason}\"\n")


class Progress:
    """Collects the history and prints MATLAB's verbose table as training goes."""

    def __init__(self, options, validating, out=print):
        self.accuracy = options.Metrics == "accuracy"
        self.verbose, self.frequency, self.out = options.Verbose, options.VerboseFrequency, out
        self.columns = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
        self.columns += ["ValidationLoss"] if validating else []
        self.columns += ["TrainingAccuracy"] if self.accuracy else []
        self.columns += ["ValidationAccuracy"] if self.accuracy and validating else []
        metric = ("Accuracy",) if self.accuracy else ()
        self.training = {name: [] for name in ("Iteration", "Epoch", "TimeElapsed", "LearnRate", "Loss") + metric}
        self.validation = {name: [] for name in ("Iteration", "Epoch", "TimeElapsed", "Loss") + metric}
        self.start = time.perf_counter()
        self.held = None  # the latest row, printed once the next record shows whether it is the last
        if self.verbose:
            self.out("    ".join([""] + self.columns))
            self.out("    ".join([""] + ["_" * len(c) for c in self.columns]))

    def elapsed(self):
        return time.perf_counter() - self.start

    def record(self, iteration, epoch, learn_rate, loss=None, accuracy=None, validation=None):
        """One iteration (loss given) and/or one validation ((loss, accuracy) given).

        A row is printed one record late: only then is it known whether it is the last row, which MATLAB
        prints whatever the frequency, with the final validation in the same row."""
        seconds = self.elapsed()
        if loss is not None:
            for name, value in (("Iteration", iteration), ("Epoch", epoch), ("TimeElapsed", seconds),
                                ("LearnRate", learn_rate), ("Loss", loss), ("Accuracy", accuracy)):
                if name in self.training:
                    self.training[name].append(value)
        self._print_held(last=False)
        self.held = {"Iteration": iteration, "Epoch": epoch, "LearnRate": learn_rate, "seconds": seconds,
                     "TrainingLoss": loss, "TrainingAccuracy": accuracy}
        if validation is not None:
            self.validate(validation)

    def validate(self, validation):
        """The (loss, accuracy) of a validation of the network of the latest row, shown in that row."""
        row = self.held
        for name, value in (("Iteration", row["Iteration"]), ("Epoch", row["Epoch"]),
                            ("TimeElapsed", self.elapsed()), ("Loss", validation[0]), ("Accuracy", validation[1])):
            if name in self.validation:
                self.validation[name].append(value)
        row["ValidationLoss"], row["ValidationAccuracy"] = validation

    def _print_held(self, last):
        row, self.held = self.held, None
        if row is None or not self.verbose:
            return
        iteration = row["Iteration"]
        due = iteration in (0, 1) or iteration % self.frequency == 0 or "ValidationLoss" in row or last
        if due:
            cells = {"Iteration": str(iteration), "Epoch": str(row["Epoch"]), "LearnRate": f"{row['LearnRate']:.5g}",
                     "TimeElapsed": time.strftime("%H:%M:%S", time.gmtime(row["seconds"]))}
            cells.update({name: _number(row.get(name)) for name in
                          ("TrainingLoss", "TrainingAccuracy", "ValidationLoss", "ValidationAccuracy")})
            self.out("    ".join([""] + [cells[c].rjust(len(c)) for c in self.columns]))

    def finish(self, output_iteration, stop_reason):
        """Prints the last row (always) and the stop reason; the TrainingInfo."""
        self._print_held(last=True)
        if self.verbose:
            self.out(f"Training stopped: {stop_reason}")
        return TrainingInfo(self.training, self.validation, output_iteration, stop_reason)


def _number(value):
    return "" if value is None else f"{value:.5g}"


def save_progress_figure(info, path="training-progress.png"):
    """Loss (and accuracy) against iteration, training and validation, as a PNG written atomically."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    history, validation = info.TrainingHistory, info.ValidationHistory
    panels = 2 if "Accuracy" in history.VariableNames else 1
    fig, axes = plt.subplots(panels, 1, figsize=(8, 3.2 * panels), sharex=True, squeeze=False)
    for ax, name, label in zip(axes[:, 0], ("Accuracy", "Loss")[2 - panels:], ("Accuracy (%)", "Loss")[2 - panels:]):
        ax.plot(history.Iteration, history[name], label="Training", linewidth=1)
        if validation.height:
            ax.plot(validation.Iteration, validation[name], "o--", label="Validation", markersize=4)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
    axes[-1, 0].set_xlabel("Iteration")
    axes[0, 0].set_title(f"Training progress ({info.StopReason})")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
