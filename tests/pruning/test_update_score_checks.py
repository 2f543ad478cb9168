"""updateScore refuses activations/gradients that cannot be this network's: non-finite values, and maps of
another spatial size; nothing is accumulated from a refused call."""
import numpy as np
import pytest

from minidl import dlarray, dlfeval, taylorPrunableNetwork, updatePrunables, updateScore
from helpers.pruning_nets import chain, images, model_loss, targets
from helpers.device import assert_array_equal, host


@pytest.fixture(scope="module")
def batch():
    prunable = taylorPrunableNetwork(chain([4, 5]))
    X, T = images(6), targets()
    _, activations, gradients, _, _ = dlfeval(model_loss, prunable, X, T)
    return prunable, activations, gradients


def _with(values, index, data):
    changed = list(values)
    changed[index] = dlarray(data, values[index].fmt)
    return changed


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["pruningActivations", "pruningGradients"])
def test_non_finite_values_are_refused_naming_the_layer(batch, bad, which):
    prunable, activations, gradients = batch
    data = np.array(host(activations[1].data if which == "pruningActivations" else gradients[1].data))
    data[2, 3, 1, 0] = bad
    args = {"pruningActivations": activations, "pruningGradients": gradients}
    args[which] = _with(args[which], 1, data)
    with pytest.raises(ValueError, match=f"{which} entry for 'conv2' contains NaN or Inf"):
        updateScore(prunable, args["pruningActivations"], args["pruningGradients"])


def test_a_refused_call_accumulates_nothing(batch):
    prunable, activations, gradients = batch
    good = updateScore(prunable, activations, gradients)
    data = np.array(host(activations[0].data))
    data[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError):
        updateScore(good, _with(activations, 0, data), gradients)
    # The network passed in is unchanged: pruning after the refused call equals pruning after the good one.
    again = updateScore(prunable, activations, gradients)
    assert good._score_count == again._score_count == 1
    for group in good._score_sum:
        assert_array_equal(good._score_sum[group], again._score_sum[group])
    assert_array_equal(updatePrunables(good, MaxToPrune=2)._masks["conv1"],
                       updatePrunables(again, MaxToPrune=2)._masks["conv1"])


def test_maps_of_another_spatial_size_are_refused(batch):
    prunable, activations, gradients = batch
    # Same channel counts, maps of a 5x5 network instead of 6x6.
    small_a = [dlarray(a.data[:5, :5], "SSCB") for a in activations]
    small_g = [dlarray(g.data[:5, :5], "SSCB") for g in gradients]
    with pytest.raises(ValueError, match=r"entry for 'conv1' has size \(5, 5, 4, 4\).*6\(S\) x 6\(S\) x 4\(C\)"):
        updateScore(prunable, small_a, small_g)
    unbatched = [dlarray(a.data[:, :, :, 0], "SSC") for a in activations]
    with pytest.raises(ValueError, match="format 'SSC'"):
        updateScore(prunable, unbatched, [dlarray(g.data[:, :, :, 0], "SSC") for g in gradients])
    # Another batch size is fine: the size is checked per observation.
    assert updateScore(prunable, [dlarray(a.data[..., :2], "SSCB") for a in activations],
                       [dlarray(g.data[..., :2], "SSCB") for g in gradients])._score_count == 1
