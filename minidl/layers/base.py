"""The Layer base class: MATLAB layer properties, value semantics, and the hooks dlnetwork uses.

A concrete layer sets the class attributes below and implements ``initialize``,
``predict`` and (when training differs) ``forward``. It computes only through
``minidl.ops``. Learnable and state values are dlarrays held as attributes named
as MATLAB names them (``Weights``, ``Bias``, ``TrainedMean`` ...); ``None`` means
"not set yet" and ``initialize`` fills it.
"""
import copy
import inspect

from .._namevalue import namevalue
from .. import validate


class Layer:
    Type = ""               # the type column of the layer display, e.g. "2-D Convolution"
    class_name = "Layer"    # MATLAB class, e.g. "Convolution2DLayer" (array display header)
    base_name = "layer"     # automatic name when Name is empty: conv, batchnorm, relu, ...
    learnable_names = ()    # attributes that appear in dlnetwork.Learnables, in MATLAB's order
    state_names = ()        # attributes that appear in dlnetwork.State
    hyperparameters = ()    # properties listed under "Hyperparameters" in a single layer's display
    InputNames = ("in",)
    OutputNames = ("out",)

    Name = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):  # every constructor takes MATLAB's positional name-value pairs
            cls.__init__ = namevalue(cls.__init__)

    @namevalue
    def __init__(self, *, Name=""):
        """Layers without hyperparameters take only a Name (reluLayer(Name="relu1"), ...)."""
        self.Name = validate.string(Name, "Name")

    @property
    def NumInputs(self):
        return len(self.InputNames)

    @property
    def NumOutputs(self):
        return len(self.OutputNames)

    # -- value semantics ------------------------------------------------------
    # Constructor arguments that are not a property of the same name (first letter upper-cased):
    # {argument: property name, or function of the layer giving the argument}.
    constructor_sources = {}

    def copy(self, **changes):
        """A new layer with some properties changed; this one stays as it was.

        The result is checked exactly as the constructor checks its arguments: unless
        the changes only replace learnable/state values by dlarrays of the same size and
        type, the constructor runs again on the changed properties (so ``copy(Stride=0)``
        fails as ``convolution2dLayer(..., Stride=0)`` does).
        """
        new = copy.copy(self)
        for name, value in changes.items():
            if not hasattr(type(self), name) and name not in vars(self):
                raise AttributeError(f"{self.class_name} has no property {name!r}")
            declared = getattr(type(self), name, None)
            if isinstance(declared, property) and declared.fset is None:
                raise AttributeError(f"{self.class_name} property {name!r} is read-only; it follows from "
                                     "the other properties (e.g. NumFilters from Weights)")
            object.__setattr__(new, name, value)
        return new if self._same_kind_of_values(changes) else new.checked()

    def _same_kind_of_values(self, changes):
        """True when ``changes`` only swap learnable/state dlarrays for ones of the same size and type."""
        from ..dlarray import dlarray
        for name, value in changes.items():
            old = getattr(self, name)
            if name not in self.learnable_names + self.state_names or not isinstance(value, dlarray) \
                    or not isinstance(old, dlarray) or value.shape != old.shape or value.dtype != old.dtype:
                return False
        return True

    def checked(self):
        """This layer rebuilt by its constructor from its current properties: the constructor's
        checks (names the argument at fault) and its normalisation, for a layer made any other way."""
        args, kwargs = [], {}
        for p in inspect.signature(type(self).__init__).parameters.values():
            if p.name == "self":
                continue
            source = self.constructor_sources.get(p.name) or (p.name if p.name[:1].isupper() else
                                                              p.name[:1].upper() + p.name[1:])
            value = source(self) if callable(source) else getattr(self, source)
            if p.kind is p.KEYWORD_ONLY:
                kwargs[p.name] = value
            else:
                args.append(value)
        return type(self)(*args, **kwargs)

    def _map_dlarrays(self, fn):
        changes = {}
        for name in self.learnable_names + self.state_names:
            value = getattr(self, name)
            if value is not None:
                changes[name] = fn(value)
        return self.copy(**changes) if changes else self

    # -- what dlnetwork calls -------------------------------------------------
    def initialize(self, *X, generator=None):
        """A copy with unset learnables/state filled, given example inputs ``X``.

        ``X`` are formatted dlarrays (batch size 1) with the sizes this layer will see.
        Raise ValueError naming the layer when the sizes do not fit.
        """
        return self

    def predict(self, *X):
        """Inference behaviour; returns one dlarray (or a tuple for several outputs)."""
        raise NotImplementedError(f"{self.class_name}.predict")

    def forward(self, *X):
        """Training behaviour: (outputs, state) with state a dict of updated state values."""
        return self.predict(*X), {}

    def fused(self, following, training):
        """What computes ``following`` (a layer, or what such a call returned) applied to this layer's output in
        fewer passes over memory, where ``following`` alone reads that output: an object with this layer's Name,
        Type and class_name and a predict (and, if ``training``, a forward returning this layer's state); None
        (the default) where this kind of layer has no such form. The network runs it in place of both."""
        return None

    def description(self):
        """The description column of MATLAB's layer display."""
        return ""

    def __repr__(self):
        from .display import property_display
        return property_display(self)
