"""groupedConvolution2dLayer: grouped and channel-wise (depthwise) 2-D convolution through dlconv."""
from .. import validate
from ._inputs import image_sizes
from .conv import Convolution
from .display import size_text, strided_description
from .initializers import check_size, parameter

CHANNEL_WISE = "channel-wise"


class GroupedConvolution2DLayer(Convolution):
    """groupedConvolution2dLayer(filterSize, numFiltersPerGroup, numGroups, Stride=1, Padding=0, DilationFactor=1,
    WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name="")

    The input channels split into NumGroups groups of NumChannelsPerGroup; each group has
    its own NumFiltersPerGroup filters, and output channel g*NumFiltersPerGroup + f is
    filter f of group g. numGroups="channel-wise" is depthwise convolution: one group per
    input channel, NumGroups set at initialisation. Weights are FH x FW x
    NumChannelsPerGroup x NumFiltersPerGroup x NumGroups, Bias 1 x 1 x NumFiltersPerGroup x
    NumGroups; the sizes follow from Weights once it is set.
    """

    Type = "2-D Grouped Convolution"
    class_name = "GroupedConvolution2DLayer"
    base_name = "groupedconv"
    hyperparameters = ("FilterSize", "NumGroups", "NumChannelsPerGroup", "NumFiltersPerGroup", "Stride",
                       "DilationFactor", "PaddingMode", "PaddingSize", "PaddingValue")

    def __init__(self, filterSize, numFiltersPerGroup, numGroups, *, Stride=1, Padding=0, DilationFactor=1,
                 WeightsInitializer="glorot", BiasInitializer="zeros", Weights=None, Bias=None, Name=""):
        self._set_window(filterSize, Stride, Padding, DilationFactor, WeightsInitializer, BiasInitializer)
        self._num_filters = validate.positive_int(numFiltersPerGroup, "numFiltersPerGroup")
        if numGroups != CHANNEL_WISE and not (validate.is_int(numGroups) and numGroups >= 1):
            raise ValueError(f"numGroups must be a positive integer or 'channel-wise'; got {numGroups!r}")
        self._num_groups = numGroups if numGroups == CHANNEL_WISE else int(numGroups)
        self.Name = validate.string(Name, "Name")
        self.Weights = parameter(Weights, "Weights", 5)
        self.Bias = parameter(Bias, "Bias", 4)
        if self.Weights is not None:
            shape = self.Weights.shape
            per_group = 1 if numGroups == CHANNEL_WISE else shape[2]
            groups = shape[4] if numGroups == CHANNEL_WISE else self._num_groups
            check_size(self.Weights, self.FilterSize + (per_group, self._num_filters, groups), "Weights", self)
        if self.Bias is not None:
            groups = self.Bias.shape[3] if self.NumGroups == CHANNEL_WISE else self.NumGroups
            check_size(self.Bias, (1, 1, self._num_filters, groups), "Bias", self)

    @property
    def NumGroups(self):
        return self.Weights.shape[4] if self.Weights is not None else self._num_groups

    @property
    def NumChannelsPerGroup(self):
        return self.Weights.shape[2] if self.Weights is not None else "auto"

    @property
    def NumFiltersPerGroup(self):
        return self.Weights.shape[3] if self.Weights is not None else self._num_filters

    def initialize(self, X, *, generator=None):
        _, _, channels = image_sizes(self, X)
        groups = channels if self.NumGroups == CHANNEL_WISE else self.NumGroups
        if channels % groups:
            raise ValueError(f"Layer {self.Name!r}: the input has {channels} channels, which do not split into "
                             f"NumGroups = {groups} groups of equal size")
        per_group = channels // groups
        if self.NumChannelsPerGroup not in ("auto", per_group):
            raise ValueError(f"Layer {self.Name!r}: Weights has NumChannelsPerGroup {self.NumChannelsPerGroup} but "
                             f"the input has {per_group} channels per group ({channels} in {groups} groups)")
        fh, fw = self.FilterSize
        filters = self.NumFiltersPerGroup
        # MATLAB's numIn and numOut count one group: FH*FW*NumChannelsPerGroup and FH*FW*NumFiltersPerGroup.
        return self._initialized((fh, fw, per_group, filters, groups), (1, 1, filters, groups), fh * fw * per_group,
                                 fh * fw * filters, X, generator)

    def description(self):
        """'2 groups of 128 5x5x48 convolutions with stride ...', as MATLAB prints AlexNet's conv2."""
        groups, per_group = self.NumGroups, self.NumChannelsPerGroup
        prefix = {1: "", CHANNEL_WISE: "channel-wise "}.get(groups, f"{groups} groups of ")
        channels = "" if per_group == "auto" or groups == CHANNEL_WISE else f"x{per_group}"
        return strided_description(f"{prefix}{self.NumFiltersPerGroup} {size_text(self.FilterSize)}{channels} "
                                   "convolutions", self)


groupedConvolution2dLayer = GroupedConvolution2DLayer
