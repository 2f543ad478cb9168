"""Normalisation layers: batchNormalizationLayer and groupNormalizationLayer."""
from ..dlarray import dlarray
from ..ops.norm import MIN_EPSILON, batchnorm, batchnorm_relu, batchnorm_running_update, groupnorm
from .. import validate
from ._inputs import channel_count, channel_parameter_shape
from .activation import ReLULayer
from .base import Layer
from .initializers import BIAS, initial_value, initializer, parameter

_INITIAL_STATE = {"TrainedMean": "zeros", "TrainedVariance": "ones"}


class _NormalizationLayer(Layer):
    """Per-channel learnables (and state) of size 1x1xC for images, Cx1 for features.

    Values given to the constructor may have any shape with C elements; ``initialize``
    puts them in MATLAB's shape for the input it sees.
    """

    learnable_names = ("Offset", "Scale")

    def _set_channel_values(self, NumChannels, Epsilon, OffsetInitializer, ScaleInitializer, values):
        self.Epsilon = validate.real(Epsilon, "Epsilon", low=MIN_EPSILON)
        self.OffsetInitializer = initializer(OffsetInitializer, BIAS, "OffsetInitializer")
        self.ScaleInitializer = initializer(ScaleInitializer, BIAS, "ScaleInitializer")
        self._num_channels = NumChannels if NumChannels == "auto" else validate.positive_int(NumChannels, "NumChannels")
        for argname, value in values.items():
            setattr(self, argname, parameter(value, argname))
        counts = {argname: value.size for argname, value in self._given().items()}
        if NumChannels != "auto":
            counts["NumChannels"] = self._num_channels
        if len(set(counts.values())) > 1:
            raise ValueError(f"{', '.join(counts)} must all have one value per channel; got counts {counts}")

    def _given(self):
        return {n: getattr(self, n) for n in self.learnable_names + self.state_names if getattr(self, n) is not None}

    @property
    def NumChannels(self):
        given = self._given()
        return next(iter(given.values())).size if given else self._num_channels

    def initialize(self, X, *, generator=None):
        channels = channel_count(self, X)
        shape = channel_parameter_shape(self, X)
        if self.NumChannels not in ("auto", channels):
            raise ValueError(f"Layer {self.Name!r}: NumChannels is {self.NumChannels} but the input has "
                             f"{channels} channels")
        rules = {"Offset": self.OffsetInitializer, "Scale": self.ScaleInitializer, **_INITIAL_STATE}
        values = {}
        for name in self.learnable_names + self.state_names:
            value = getattr(self, name)
            values[name] = (initial_value(rules[name], shape, channels, channels, X, generator, f"{name}Initializer")
                            if value is None else dlarray._wrap(value.data.reshape(shape), ""))
        return self.copy(**values)


class BatchNormalizationLayer(_NormalizationLayer):
    """batchNormalizationLayer(Epsilon=1e-5, MeanDecay=0.1, VarianceDecay=0.1, Offset=, Scale=, TrainedMean=,
    TrainedVariance=, OffsetInitializer="zeros", ScaleInitializer="ones", NumChannels="auto", Name="")

    predict normalises with TrainedMean/TrainedVariance; forward with the batch
    statistics, and returns the moving averages updated with MeanDecay/VarianceDecay.
    """

    Type = "Batch Normalization"
    class_name = "BatchNormalizationLayer"
    base_name = "batchnorm"
    state_names = ("TrainedMean", "TrainedVariance")
    hyperparameters = ("NumChannels", "MeanDecay", "VarianceDecay", "Epsilon")

    def __init__(self, *, Epsilon=1e-5, MeanDecay=0.1, VarianceDecay=0.1, Offset=None, Scale=None,
                 TrainedMean=None, TrainedVariance=None, OffsetInitializer="zeros", ScaleInitializer="ones",
                 NumChannels="auto", Name=""):
        self.MeanDecay = validate.real(MeanDecay, "MeanDecay", 0, 1)
        self.VarianceDecay = validate.real(VarianceDecay, "VarianceDecay", 0, 1)
        self.Name = validate.string(Name, "Name")
        self._set_channel_values(NumChannels, Epsilon, OffsetInitializer, ScaleInitializer,
                                 {"Offset": Offset, "Scale": Scale, "TrainedMean": TrainedMean,
                                  "TrainedVariance": TrainedVariance})

    def predict(self, X, *, relu=False):
        op = batchnorm_relu if relu else batchnorm
        return op(X, self.Offset, self.Scale, self.TrainedMean, self.TrainedVariance, Epsilon=self.Epsilon)

    def forward(self, X, *, relu=False):
        op = batchnorm_relu if relu else batchnorm
        Y, mu, sigma_sq = op(X, self.Offset, self.Scale, Epsilon=self.Epsilon)
        mean, variance = batchnorm_running_update(self.TrainedMean, self.TrainedVariance, mu, sigma_sq,
                                                  MeanDecay=self.MeanDecay, VarianceDecay=self.VarianceDecay)
        return Y, {"TrainedMean": mean, "TrainedVariance": variance}

    def fused(self, following, training):
        """Followed by a ReLU layer that alone reads its output: both in one pass each way (ops.norm.batchnorm_relu)."""
        exact = type(self) is BatchNormalizationLayer and type(following) is ReLULayer  # subclasses compute their own
        return WithReLU(self) if exact else None

    def description(self):
        channels = self.NumChannels
        return "Batch normalization" + ("" if channels == "auto" else f" with {channels} channels")


class GroupNormalizationLayer(_NormalizationLayer):
    """groupNormalizationLayer(numGroups, Epsilon=1e-5, Offset=, Scale=, OffsetInitializer="zeros",
    ScaleInitializer="ones", NumChannels="auto", Name="")

    numGroups is a positive integer dividing the channel count, "all-channels" or "channel-wise".
    """

    Type = "Group Normalization"
    class_name = "GroupNormalizationLayer"
    base_name = "groupnorm"
    hyperparameters = ("NumGroups", "NumChannels", "Epsilon")

    def __init__(self, numGroups, *, Epsilon=1e-5, Offset=None, Scale=None, OffsetInitializer="zeros",
                 ScaleInitializer="ones", NumChannels="auto", Name=""):
        self.NumGroups = (validate.option(numGroups, "numGroups", ("all-channels", "channel-wise"))
                          if isinstance(numGroups, str) else validate.positive_int(numGroups, "numGroups"))
        self.Name = validate.string(Name, "Name")
        self._set_channel_values(NumChannels, Epsilon, OffsetInitializer, ScaleInitializer,
                                 {"Offset": Offset, "Scale": Scale})

    def initialize(self, X, *, generator=None):
        layer = super().initialize(X, generator=generator)
        if isinstance(self.NumGroups, int) and layer.NumChannels % self.NumGroups:
            raise ValueError(f"Layer {self.Name!r}: numGroups {self.NumGroups} must divide the "
                             f"{layer.NumChannels} input channels")
        return layer

    def predict(self, X):
        return groupnorm(X, self.NumGroups, self.Offset, self.Scale, Epsilon=self.Epsilon)

    def description(self):
        groups = self.NumGroups
        if self.NumChannels == "auto":
            return f"Group normalization with {groups if isinstance(groups, int) else repr(groups)} groups"
        if isinstance(groups, str):
            groups = 1 if groups == "all-channels" else self.NumChannels
        return f"Group normalization with {self.NumChannels} channels split into {groups} groups"


batchNormalizationLayer = BatchNormalizationLayer
groupNormalizationLayer = GroupNormalizationLayer


class WithReLU:
    """A batch normalization layer and the ReLU layer after it, run as one (see Layer.fused): the batch norm's
    name, type, state and errors, the ReLU's output."""

    def __init__(self, layer):
        self.layer = layer
        self.Name, self.Type, self.class_name = layer.Name, layer.Type, layer.class_name

    def predict(self, X):
        return self.layer.predict(X, relu=True)

    def forward(self, X):
        return self.layer.forward(X, relu=True)
