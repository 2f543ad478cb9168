"""Layers that combine several inputs: additionLayer and depthConcatenationLayer."""
from ..formats import find_dims
from ..ops.shape import concatenate
from .. import validate
from .base import Layer


class _CombinationLayer(Layer):
    """numInputs inputs named in1, in2, ..., inN; one output."""

    hyperparameters = ("NumInputs", "InputNames")

    def __init__(self, numInputs, *, Name=""):
        super().__init__(Name=Name)
        count = validate.integer(numInputs, "numInputs", low=2)
        self.InputNames = tuple(f"in{k}" for k in range(1, count + 1))

    def _checked(self, X, same_dims):
        """X, after checking the count, the formats and the sizes outside ``same_dims`` labels."""
        if len(X) != self.NumInputs:
            raise ValueError(f"Layer {self.Name!r} takes {self.NumInputs} inputs; got {len(X)}")
        first = X[0]
        for k, x in enumerate(X[1:], start=2):
            other = [n for n, label in zip(x.shape, x.fmt) if label not in same_dims]
            expected = [n for n, label in zip(first.shape, first.fmt) if label not in same_dims]
            if x.fmt != first.fmt or other != expected:
                raise ValueError(f"Layer {self.Name!r}: input in{k} has size {x.shape} (format {x.fmt!r}) but "
                                 f"in1 has size {first.shape} (format {first.fmt!r})")
        return X


class AdditionLayer(_CombinationLayer):
    """additionLayer(numInputs, Name=""): element-wise sum of inputs of equal size."""

    Type = "Addition"
    class_name = "AdditionLayer"
    base_name = "addition"

    def predict(self, *X):
        total = self._checked(X, "")[0]
        for x in X[1:]:
            total = total + x
        return total

    def description(self):
        return f"Element-wise addition of {self.NumInputs} inputs"


class DepthConcatenationLayer(_CombinationLayer):
    """depthConcatenationLayer(numInputs, Name=""): inputs stacked along 'C' in input order."""

    Type = "Depth concatenation"
    class_name = "DepthConcatenationLayer"
    base_name = "depthcat"

    def predict(self, *X):
        first = self._checked(X, "C")[0]
        if not find_dims(first.fmt, "C"):
            raise ValueError(f"Layer {self.Name!r} needs inputs with a 'C' dimension; got format {first.fmt!r}")
        axis = find_dims(first.fmt, "C")[0]
        return concatenate(X, axis, first.fmt)

    def description(self):
        return f"Depth concatenation of {self.NumInputs} inputs"


additionLayer = AdditionLayer
depthConcatenationLayer = DepthConcatenationLayer
