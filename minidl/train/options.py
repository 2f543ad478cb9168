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
from .. import validate
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
    solverName = validate.option(solverName, "solverName", tuple(_SOLVERS))
    if InitialLearnRate is None:
        InitialLearnRate = 0.01 if solverName == "sgdm" else 0.001
    if SquaredGradientDecayFactor is None:
        SquaredGradientDecayFactor = 0.999 if solverName == "adam" else 0.9
    values = {
        "InitialLearnRate": validate.real(InitialLearnRate, "InitialLearnRate", 0, low_open=True),
        "MaxEpochs": validate.positive_int(MaxEpochs, "MaxEpochs"),
        "MiniBatchSize": validate.positive_int(MiniBatchSize, "MiniBatchSize"),
        "ValidationData": ValidationData,
        "ValidationFrequency": validate.positive_int(ValidationFrequency, "ValidationFrequency"),
        "LearnRateDropFactor": validate.real(LearnRateDropFactor, "LearnRateDropFactor", 0, 1),
        "LearnRateDropPeriod": validate.positive_int(LearnRateDropPeriod, "LearnRateDropPeriod"),
        "L2Regularization": validate.real(L2Regularization, "L2Regularization", 0),
        "Momentum": validate.real(Momentum, "Momentum", 0, 1),
        "GradientDecayFactor": validate.real(GradientDecayFactor, "GradientDecayFactor", 0, 1, high_open=True),
        "SquaredGradientDecayFactor": validate.real(SquaredGradientDecayFactor, "SquaredGradientDecayFactor", 0, 1,
                                                    high_open=True),
        "Epsilon": validate.real(Epsilon, "Epsilon", 0, low_open=True),
        "Verbose": validate.flag(Verbose, "Verbose"),
        "VerboseFrequency": validate.positive_int(VerboseFrequency, "VerboseFrequency"),
        "ResetInputNormalization": validate.flag(ResetInputNormalization, "ResetInputNormalization"),
    }
    for name, value in (("Shuffle", Shuffle), ("LearnRateSchedule", LearnRateSchedule), ("Plots", Plots),
                        ("OutputNetwork", OutputNetwork),
                        ("BatchNormalizationStatistics", BatchNormalizationStatistics)):
        if name == "BatchNormalizationStatistics" and isinstance(value, str) and value.lower() == "population":
            raise ValueError('BatchNormalizationStatistics must be "moving"; got "population" (MATLAB\'s '
                             'recomputation pass after training is not implemented in minidl)')
        values[name] = validate.option(value, name, _CHOICES[name])
    if values["OutputNetwork"] == "best-validation" and ValidationData is None:
        raise ValueError('OutputNetwork="best-validation" needs ValidationData')
    if Metrics not in (None, "accuracy", ("accuracy",), ["accuracy"]):
        validate.refuse(ValueError, "Metrics", 'None or "accuracy"', Metrics)
    values["Metrics"] = "accuracy" if Metrics else None
    if values["Plots"] == "training-progress":
        try:
            import matplotlib  # noqa: F401  (only checked here; imported where the figure is drawn)
        except ImportError:
            raise ImportError('Plots="training-progress" needs matplotlib: pip install -e ".[plot]" '
                              '(or pip install matplotlib), or use Plots="none"') from None
    return TrainingOptions(solverName, values)
