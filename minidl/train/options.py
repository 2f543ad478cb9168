"""trainingOptions: MATLAB's training options for trainnet, with MATLAB's names and defaults.

Defaults as in MATLAB (R2024a and later): InitialLearnRate 0.01 for "sgdm", 0.001 for "adam" and
"rmsprop"; MaxEpochs 30; MiniBatchSize 128; Shuffle "once"; ValidationFrequency 50; LearnRateSchedule
"none" (or "piecewise": multiply by LearnRateDropFactor 0.1 every LearnRateDropPeriod 10 epochs);
L2Regularization 1e-4; Momentum 0.9; GradientDecayFactor 0.9; SquaredGradientDecayFactor 0.999 ("adam")
or 0.9 ("rmsprop"); Epsilon 1e-8; Verbose True every VerboseFrequency 50 iterations; Plots "none";
OutputNetwork "auto" (the best validation iteration when ValidationData is given, else the last).
BatchNormalizationStatistics: minidl keeps the moving statistics ("moving"); MATLAB's "population"
recomputation pass is not implemented and is refused by name.
"""
import math
import numbers

from .._namevalue import namevalue

_SOLVERS = {"sgdm": "TrainingOptionsSGDM", "adam": "TrainingOptionsADAM", "rmsprop": "TrainingOptionsRMSProp"}
_CHOICES = {"Shuffle": ("once", "never", "every-epoch"), "LearnRateSchedule": ("none", "piecewise"),
            "Plots": ("none", "training-progress"),
            "OutputNetwork": ("auto", "last-iteration", "best-validation"),
            "BatchNormalizationStatistics": ("moving",)}


# what a solver's MATLAB options object does not show (the values stay readable here)
_OTHER_SOLVERS_ONLY = {"sgdm": {"GradientDecayFactor", "SquaredGradientDecayFactor", "Epsilon"},
                       "adam": {"Momentum"}, "rmsprop": {"Momentum", "GradientDecayFactor"}}


class TrainingOptions:
    """What trainingOptions returns (MATLAB's TrainingOptionsSGDM/ADAM/RMSProp): read-only properties."""

    def __init__(self, solver, values):
        object.__setattr__(self, "SolverName", solver)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("training options are values: call trainingOptions again with the changed option")

    def learn_rate(self, epoch):
        """The learn rate in 1-based ``epoch``: piecewise drops after every LearnRateDropPeriod epochs."""
        if self.LearnRateSchedule == "none":
            return self.InitialLearnRate
        return self.InitialLearnRate * self.LearnRateDropFactor ** ((epoch - 1) // self.LearnRateDropPeriod)

    def __repr__(self):
        hidden = {"SolverName"} | _OTHER_SOLVERS_ONLY[self.SolverName]
        names = [n for n in vars(self) if n not in hidden]
        width = max(map(len, names))
        lines = [f"  {_SOLVERS[self.SolverName]} with properties:", ""]
        lines += [f"    {n:>{width}}: {_show(getattr(self, n))}" for n in sorted(names)]
        return "\n".join(lines) + "\n"


def _show(value):
    if value is None:
        return "[]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return f"[{type(value).__name__}]"


@namevalue
def trainingOptions(solverName, *, InitialLearnRate=None, MaxEpochs=30, MiniBatchSize=128, Shuffle="once",
                    ValidationData=None, ValidationFrequency=50, LearnRateSchedule="none", LearnRateDropFactor=0.1,
                    LearnRateDropPeriod=10, L2Regularization=1e-4, Momentum=0.9, GradientDecayFactor=0.9,
                    SquaredGradientDecayFactor=None, Epsilon=1e-8, Verbose=True, VerboseFrequency=50,
                    Plots="none", OutputNetwork="auto", Metrics=None, ResetInputNormalization=True,
                    BatchNormalizationStatistics="moving"):
    """``options = trainingOptions("sgdm" | "adam" | "rmsprop", Name=Value, ...)`` for trainnet.

    Every option is checked here, before training starts. ``Metrics`` is None or "accuracy" (adds
    training and validation accuracy, in percent, to the verbose table and the history).
    ``ValidationData`` is a datastore, a minibatchqueue or a tuple ``(X, T)`` as trainnet takes.
    ``Plots="training-progress"`` writes training-progress.png (loss and accuracy curves) into the
    current folder at the end of training; it needs matplotlib (the ``plot`` extra).
    """
    if solverName not in _SOLVERS:
        raise ValueError(f'solverName must be "sgdm", "adam" or "rmsprop"; got {solverName!r}')
    if InitialLearnRate is None:
        InitialLearnRate = 0.01 if solverName == "sgdm" else 0.001
    if SquaredGradientDecayFactor is None:
        SquaredGradientDecayFactor = 0.999 if solverName == "adam" else 0.9
    values = {
        "InitialLearnRate": _real(InitialLearnRate, "InitialLearnRate", 0, math.inf, open_low=True),
        "MaxEpochs": _whole(MaxEpochs, "MaxEpochs"),
        "MiniBatchSize": _whole(MiniBatchSize, "MiniBatchSize"),
        "ValidationData": ValidationData,
        "ValidationFrequency": _whole(ValidationFrequency, "ValidationFrequency"),
        "LearnRateDropFactor": _real(LearnRateDropFactor, "LearnRateDropFactor", 0, 1),
        "LearnRateDropPeriod": _whole(LearnRateDropPeriod, "LearnRateDropPeriod"),
        "L2Regularization": _real(L2Regularization, "L2Regularization", 0, math.inf),
        "Momentum": _real(Momentum, "Momentum", 0, 1),
        "GradientDecayFactor": _real(GradientDecayFactor, "GradientDecayFactor", 0, 1, open_high=True),
        "SquaredGradientDecayFactor": _real(SquaredGradientDecayFactor, "SquaredGradientDecayFactor", 0, 1,
                                            open_high=True),
        "Epsilon": _real(Epsilon, "Epsilon", 0, math.inf, open_low=True),
        "Verbose": _flag(Verbose, "Verbose"),
        "VerboseFrequency": _whole(VerboseFrequency, "VerboseFrequency"),
        "ResetInputNormalization": _flag(ResetInputNormalization, "ResetInputNormalization"),
    }
    for name, value in (("Shuffle", Shuffle), ("LearnRateSchedule", LearnRateSchedule), ("Plots", Plots),
                        ("OutputNetwork", OutputNetwork),
                        ("BatchNormalizationStatistics", BatchNormalizationStatistics)):
        if value not in _CHOICES[name]:
            extra = (' (MATLAB\'s "population" pass after training is not implemented in minidl)'
                     if name == "BatchNormalizationStatistics" else "")
            raise ValueError(f"{name} must be one of {', '.join(map(repr, _CHOICES[name]))}; got {value!r}{extra}")
        values[name] = value
    if OutputNetwork == "best-validation" and ValidationData is None:
        raise ValueError('OutputNetwork="best-validation" needs ValidationData')
    if Metrics not in (None, "accuracy", ("accuracy",), ["accuracy"]):
        raise ValueError(f'Metrics must be None or "accuracy"; got {Metrics!r}')
    values["Metrics"] = "accuracy" if Metrics else None
    if Plots == "training-progress":
        try:
            import matplotlib  # noqa: F401  (only checked here; imported where the figure is drawn)
        except ImportError:
            raise ImportError('Plots="training-progress" needs matplotlib: pip install -e ".[plot]" '
                              '(or pip install matplotlib), or use Plots="none"') from None
    return TrainingOptions(solverName, values)


def _real(value, name, low, high, open_low=False, open_high=False):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not math.isfinite(value) or not (low < value if open_low else low <= value) \
            or not (value < high if open_high else value <= high):
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value


def _whole(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _flag(value, name):
    if value not in (True, False, 0, 1) or not isinstance(value, (bool, numbers.Integral)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)
