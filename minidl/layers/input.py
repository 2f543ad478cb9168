"""Input layers: imageInputLayer and featureInputLayer, with MATLAB's input normalisations."""
import numpy as np

from ..backend import array_module
from ..dlarray import dlarray
from ..ops._util import constant
from .. import validate
from .base import Layer
from .display import size_text
from .initializers import numeric

NORMALIZATIONS = ("zerocenter", "zscore", "rescale-zero-one", "rescale-symmetric", "none")
_NEEDS = {"none": (), "zerocenter": ("Mean",), "zscore": ("Mean", "StandardDeviation"),
          "rescale-zero-one": ("Min", "Max"), "rescale-symmetric": ("Min", "Max")}
_STATISTICS = ("Mean", "StandardDeviation", "Min", "Max")


class _InputLayer(Layer):
    """Shared by the input layers: normalisation statistics, the size check and the example input.

    Subclasses set ``fmt`` (the format of one observation plus 'B') and ``InputSize``,
    and give the sizes of one observation as ``_sizes()``.
    """

    InputNames = ()
    fmt = ""

    def _set_normalization(self, Normalization, statistics):
        self.Normalization = validate.option(Normalization, "Normalization", NORMALIZATIONS)
        for argname, value in zip(_STATISTICS, statistics):
            setattr(self, argname, self._statistic(value, argname))

    def _statistic(self, value, argname):
        """A normalisation statistic as float32 NumPy data, checked to broadcast over one observation.

        Allowed: a scalar, per channel (1x1xC / numFeatures x 1) or per element; extra
        trailing singleton dimensions are ignored, as MATLAB drops them.
        """
        if value is None:
            return None
        data = numeric(value, argname)
        data = np.asarray(data if array_module(data) is np else data.get(), dtype=np.float32)
        sizes = self._sizes()
        shape = list(data.shape)
        while len(shape) > len(sizes) and shape[-1] == 1:
            shape.pop()
        # Missing trailing dimensions stand for singletons only where the input has size 1 there
        # (an HxW mean fits a one-channel image, not a three-channel one), unless it is a scalar.
        padded = sizes[len(shape):]
        shape += [1] * (len(sizes) - len(shape))
        if len(shape) != len(sizes) or any(n not in (1, want) for n, want in zip(shape, sizes)) \
                or (data.size > 1 and any(n != 1 for n in padded)):
            raise ValueError(f"{argname} must be a scalar, one value per channel or one per element of the "
                             f"{size_text(sizes)} input; got size {size_text(data.shape)}")
        return data.reshape(shape)

    def example_input(self, dtype=np.float32):
        """A batch-1 zeros dlarray of this layer's input size, so dlnetwork can infer sizes."""
        return dlarray(np.zeros(self._sizes() + (1,), dtype=dtype), self.fmt)

    def _check_input(self, X):
        if not isinstance(X, dlarray) or X.fmt.rstrip("B") != self.fmt.rstrip("B") \
                or X.shape[:len(self._sizes())] != self._sizes():
            got = f"size {X.shape} with format {X.fmt!r}" if isinstance(X, dlarray) else type(X).__name__
            raise ValueError(f"Layer {self.Name!r}: input must be a {self.fmt!r} dlarray of size "
                             f"{size_text(self._sizes())} per observation; got {got}")

    def predict(self, X):
        self._check_input(X)
        mode = self.Normalization
        missing = [name for name in _NEEDS[mode] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"Layer {self.Name!r}: Normalization {mode!r} needs {' and '.join(missing)} to be "
                             f"set; dlnetwork does not compute input statistics (as in MATLAB custom loops). "
                             f"Give {missing[0]}=... or use Normalization='none'")
        if mode == "none":
            return X
        xp = array_module(X.data)

        def statistic(name):
            return constant(xp.asarray(getattr(self, name), dtype=X.dtype))

        if mode == "zerocenter":
            return X - statistic("Mean")
        if mode == "zscore":
            return (X - statistic("Mean")) / statistic("StandardDeviation")
        low = statistic("Min")
        Y = (X - low) / (statistic("Max") - low)
        return Y if mode == "rescale-zero-one" else 2 * Y - 1

    def _normalization_text(self):
        return "" if self.Normalization == "none" else f" with '{self.Normalization}' normalization"


class ImageInputLayer(_InputLayer):
    """imageInputLayer(inputSize, Normalization="zerocenter", Mean=, StandardDeviation=, Min=, Max=, Name=)

    ``inputSize`` is [h w c] (or [h w] for one channel). Input data are "SSCB".
    """

    Type = "Image Input"
    class_name = "ImageInputLayer"
    base_name = "imageinput"
    hyperparameters = ("InputSize", "Normalization", "Mean", "StandardDeviation", "Min", "Max")
    fmt = "SSCB"

    def __init__(self, inputSize, *, Normalization="zerocenter", Mean=None, StandardDeviation=None,
                 Min=None, Max=None, Name=""):
        sizes = list(inputSize) if isinstance(inputSize, (list, tuple, np.ndarray)) else [inputSize]
        if len(sizes) == 2:
            sizes.append(1)
        if len(sizes) != 3:
            raise ValueError(f"inputSize must be [h w] or [h w c]; got {inputSize!r}")
        self.InputSize = validate.int_vector(sizes, "inputSize", 3)
        self.Name = validate.string(Name, "Name")
        self._set_normalization(Normalization, (Mean, StandardDeviation, Min, Max))

    def _sizes(self):
        return self.InputSize

    def description(self):
        return f"{size_text(self.InputSize)} images{self._normalization_text()}"


class FeatureInputLayer(_InputLayer):
    """featureInputLayer(numFeatures, Normalization="none", Mean=, StandardDeviation=, Min=, Max=, Name=)

    Input data are "CB": numFeatures x batch.
    """

    Type = "Feature Input"
    class_name = "FeatureInputLayer"
    base_name = "input"
    hyperparameters = ("InputSize", "Normalization", "Mean", "StandardDeviation", "Min", "Max")
    fmt = "CB"
    constructor_sources = {"numFeatures": "InputSize"}

    def __init__(self, numFeatures, *, Normalization="none", Mean=None, StandardDeviation=None,
                 Min=None, Max=None, Name=""):
        self.InputSize = validate.positive_int(numFeatures, "numFeatures")
        self.Name = validate.string(Name, "Name")
        self._set_normalization(Normalization, (Mean, StandardDeviation, Min, Max))

    def _sizes(self):
        return (self.InputSize,)

    def description(self):
        return f"{self.InputSize} features{self._normalization_text()}"


imageInputLayer = ImageInputLayer
featureInputLayer = FeatureInputLayer
