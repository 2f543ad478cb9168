"""Name-value pairs given positionally, as MATLAB code writes them: one mechanism for every public function."""
import inspect

import numpy as np
import pytest

import minidl
from minidl import imageDatastore, taylorPrunableNetwork, updatePrunables
from minidl._namevalue import namevalue
from helpers.pruning_nets import chain, inject


@namevalue
def _example(x, y=0, *, Alpha=1, BetaValue="b"):
    return x, y, Alpha, BetaValue


def test_pairs_map_onto_keywords_case_insensitively():
    assert _example(1, "Alpha", 5) == (1, 0, 5, "b")
    assert _example(1, 2, "betavalue", "z", "ALPHA", 3) == (1, 2, 3, "z")
    assert _example(1, alpha=7) == (1, 0, 7, "b")
    assert _example(1, 2) == (1, 2, 1, "b")


def test_bad_pairs_are_clear_errors():
    with pytest.raises(ValueError, match="_example: name-value arguments must come in pairs; got 3"):
        _example(1, "Alpha", 5, "BetaValue")
    with pytest.raises(ValueError, match="unknown name-value argument 'Gamma'; the names are Alpha, BetaValue"):
        _example(1, 2, "Gamma", 5)
    with pytest.raises(TypeError, match="expected an argument name"):
        _example(1, 2, 3, 4)
    with pytest.raises(TypeError, match="'Alpha' is given more than once"):
        _example(1, "Alpha", 5, alpha=6)


def test_updatePrunables_and_imageDatastore_take_positional_pairs(tmp_path):
    from PIL import Image
    (tmp_path / "a").mkdir()
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / "a" / "x.png")
    imds = imageDatastore(tmp_path, "IncludeSubfolders", True, "LabelSource", "foldernames")
    assert imds.NumObservations == 1 and str(imds.Labels[0]) == "a"

    prunable = inject(taylorPrunableNetwork(chain([6, 6])), [np.arange(1.0, 7.0), np.arange(1.0, 7.0) + 10])
    assert updatePrunables(prunable, "MaxToPrune", 2).NumPrunables == prunable.NumPrunables - 2
    assert updatePrunables(prunable, "maxtoprune", 3).NumPrunables == prunable.NumPrunables - 3
    with pytest.raises(ValueError, match="unknown name-value argument 'MaxPrune'"):
        updatePrunables(prunable, "MaxPrune", 2)
    layer = minidl.convolution2dLayer(3, 4, "Stride", 2, "Padding", "same", "Name", "c")
    assert layer.Stride == (2, 2) and layer.PaddingMode == "same" and layer.Name == "c"


def _public_callables():
    for name in sorted(dir(minidl)):
        obj = getattr(minidl, name)
        if name.startswith("_") or not callable(obj):
            continue
        function = obj.__init__ if inspect.isclass(obj) else obj
        yield name, function
    net = minidl.dlnetwork
    yield "dlnetwork", net.__new__
    yield "TaylorPrunableNetwork.forward", minidl.TaylorPrunableNetwork.forward
    yield "TaylorPrunableNetwork.predict", minidl.TaylorPrunableNetwork.predict


def test_every_public_function_with_name_value_arguments_takes_pairs():
    missing = []
    for name, function in _public_callables():
        try:
            params = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        names = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
        if names and not hasattr(function, "__namevalue__"):
            missing.append(name)
    assert missing == []
    # Name-value arguments are keyword-only, so they cannot be mistaken for positional ones.
    for function in (imageDatastore.__init__, minidl.augmentedImageDatastore.__init__,
                     minidl.imageDataAugmenter.__init__, updatePrunables, minidl.softmax, minidl.replaceLayer):
        assert function.__namevalue__
