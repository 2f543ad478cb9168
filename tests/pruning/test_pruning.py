"""taylorPrunableNetwork: creation, display, NumPrunables, forward/predict, updateScore, updatePrunables."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import crossentropy, dlarray, dlfeval, dlgradient
from minidl.layers import convolution2dLayer, groupNormalizationLayer, imageInputLayer, reluLayer
from minidl.network import dlnetwork, forward, predict
from minidl.optim import adamupdate, dlupdate, sgdmupdate
from minidl.pruning import TaylorPrunableNetwork, taylorPrunableNetwork, updatePrunables, updateScore
from minidl.pruning.score import MIN_KEEP_FRACTION, min_keep

from helpers import seed
from helpers.pruning_nets import build, chain, head, image_input, images, inject, model_loss, removed, scored, targets
from helpers.device import assert_allclose, assert_array_equal, host


# -- creation and display ------------------------------------------------------------
def test_display_matches_matlab_for_a_dlnetwork_and_a_layer_list():
    net = dlnetwork(seed.digits_layers())
    for source in (net, seed.digits_layers()):
        prunable = taylorPrunableNetwork(source)
        assert isinstance(prunable, TaylorPrunableNetwork)
        assert repr(prunable) == seed.PRUNABLE
    assert prunable.NumPrunables == 48
    assert prunable.InputNames == ["input"] and prunable.OutputNames == ["softmax"]
    assert prunable._prunable_layers == ["conv1", "conv2", "conv3"]


def test_one_prune_reproduces_the_seed_numbers_and_pruned_layers():
    # Normalised, conv1/conv3 read 0, 0.020, 0.040, ... and conv2 0, 0.047, 0.236, ...:
    # the eight lowest are three of conv1, two of conv2 and three of conv3, as on the MATLAB page.
    conv2 = np.r_[0.0, 1.0, np.full(18, 5.0)]
    prunable = inject(taylorPrunableNetwork(seed.digits_layers()), [np.arange(20.0), conv2, np.arange(20.0)])
    pruned = updatePrunables(prunable)
    assert repr(pruned) == seed.PRUNABLE.replace("48", "40")
    assert repr(dlnetwork(pruned).Layers[[1, 4, 7]]) == seed.PRUNED_CONVS


@pytest.mark.parametrize("layers, reason", [
    ([image_input(4), *head()], "no convolution2dLayer"),
    ([image_input(4), convolution2dLayer(3, 4, Name="c"), groupNormalizationLayer(2), reluLayer(), *head()],
     "group normalisation"),
    ([image_input(4), convolution2dLayer(3, 4, Name="c")], "network output"),
    ([image_input(4), convolution2dLayer(3, 1, Name="c"), *head()], "too small"),
])
def test_nothing_prunable_is_an_error(layers, reason):
    with pytest.raises(ValueError, match="does not support pruning") as err:
        taylorPrunableNetwork(layers)
    assert reason in str(err.value)


def test_bad_creation_arguments():
    prunable = taylorPrunableNetwork(seed.digits_layers())
    with pytest.raises(TypeError, match="already a TaylorPrunableNetwork"):
        taylorPrunableNetwork(prunable)
    with pytest.raises(ValueError, match="initialised"):
        taylorPrunableNetwork(dlnetwork(seed.digits_layers(), Initialize=False))
    with pytest.raises(TypeError):
        taylorPrunableNetwork(42)


# -- NumPrunables ---------------------------------------------------------------------
@given(st.integers(1, 200))
def test_min_keep_is_the_ceiling_of_a_fifth_and_at_least_one(n):
    assert MIN_KEEP_FRACTION == 0.2
    assert min_keep(n) == max(1, -(-n // 5))


def test_num_prunables_floor_rule_on_7_and_13_filters():
    prunable = taylorPrunableNetwork(chain((7, 13)))
    assert prunable.NumPrunables == (7 - 2) + (13 - 3)
    scores = [np.arange(7.0), np.arange(13.0)]
    five = updatePrunables(inject(prunable, scores), MaxToPrune=5)
    assert five.NumPrunables == 15 - 5
    everything = updatePrunables(inject(five, scores), MaxToPrune=10 ** 6)
    assert everything.NumPrunables == 0
    assert [int(m.sum()) for m in everything._masks.values()] == [2, 3]
    # At the floor, a further call removes nothing.
    again = updatePrunables(inject(everything, scores), MaxToPrune=8)
    assert all((a == b).all() for a, b in zip(again._masks.values(), everything._masks.values()))


# -- forward, predict, gradients, optimisers --------------------------------------------
def test_forward_returns_the_convolution_outputs_and_predict_matches_the_network():
    net = chain((3, 4))
    prunable = taylorPrunableNetwork(net)
    X = images(6)
    Y, state, acts = forward(prunable, X)
    *expected, Y_net, state_net = forward(net, X, Outputs=["conv1", "conv2", "softmax"])
    assert isinstance(acts, list) and len(acts) == 2
    for a, e, filters in zip(acts, expected, (3, 4)):
        assert a.fmt == "SSCB" and a.shape == (6, 6, filters, 4)
        assert_array_equal(a.data, e.data)
    assert_array_equal(Y.data, Y_net.data)
    assert state.height == 4
    assert_array_equal(predict(prunable, X).data, predict(net, X).data)
    assert_array_equal(prunable.predict(X).data, predict(net, X).data)


def test_pruning_gradients_alone_and_with_learnables():
    prunable = taylorPrunableNetwork(chain((3, 4)))
    X, T = images(6), targets()

    def activation_gradients(p):
        Y, _, acts = forward(p, X)
        return dlgradient(crossentropy(Y, T), acts)

    grads = dlfeval(activation_gradients, prunable)
    assert isinstance(grads, list) and [g.shape for g in grads] == [(6, 6, 3, 4), (6, 6, 4, 4)]
    loss, acts, grads2, net_grads, _ = dlfeval(model_loss, prunable, X, T)
    for g, g2 in zip(grads, grads2):
        assert_allclose(g.data, g2.data, rtol=1e-6)
    assert list(net_grads.Parameter) == list(prunable.Learnables.Parameter)
    assert all(np.abs(host(g.data)).sum() > 0 for g in grads)
    # Once filter 0 of conv2 is pruned, nothing downstream sees it: its gradient is zero.
    pruned = updatePrunables(inject(prunable, [[1, 1, 1], [0, 1, 1, 1]]), MaxToPrune=1)
    after = dlfeval(activation_gradients, pruned)
    assert np.all(host(after[1].data)[:, :, 0] == 0) and np.abs(host(after[1].data)[:, :, 1:]).sum() > 0


def test_state_assignment_and_optimisers_keep_the_pruning_state():
    prunable = updatePrunables(inject(taylorPrunableNetwork(chain((3, 4))), [[0, 1, 1], [1, 1, 1, 1]]),
                               MaxToPrune=1)
    X, T = images(6), targets()
    _, _, _, grads, state = dlfeval(model_loss, prunable, X, T)
    old_mean = host(prunable.State.Value[0].data)
    prunable.State = state
    assert not np.allclose(host(prunable.State.Value[0].data), old_mean)
    results = [sgdmupdate(prunable, grads, None, 0.1, 0.9)[0],
               adamupdate(prunable, grads, None, None, 1)[0],
               dlupdate(lambda w, g: w - 0.1 * g, prunable, grads)]
    for updated in results:
        assert isinstance(updated, TaylorPrunableNetwork)
        assert updated.NumPrunables == prunable.NumPrunables
        assert not np.allclose(host(updated.Learnables.Value[-2].data), host(prunable.Learnables.Value[-2].data))
        assert_array_equal(updated._masks["conv1"], [False, True, True])


# -- updateScore --------------------------------------------------------------------
def tiny_prunable():
    """input 2x1x1 -> conv (1x1, 2 filters) -> fc -> softmax: pruning activations are 2x1x2xN."""
    net = build([[imageInputLayer([2, 1, 1], Normalization="none", Name="input"),
                  convolution2dLayer(1, 2, Name="conv"), *head(2)]])
    return taylorPrunableNetwork(net)


def sscb(values):
    return dlarray(np.array(values, dtype=np.float32), "SSCB")


# a[h, w, c, n], H=2, W=1, C=2, N=2, and the gradient g of the same size.
A = [[[[1, -1], [2, 1]]], [[[2, 1], [2, 0]]]]
G = [[[[3, 1], [-1, 4]]], [[[-1, 1], [-2, 5]]]]
# Filter 0: example 0 |mean(1*3, 2*-1)| = 0.5, example 1 |mean(-1*1, 1*1)| = 0 -> 0.25.
# Filter 1: example 0 |mean(2*-1, 2*-2)| = 3, example 1 |mean(1*4, 0*5)| = 2 -> 2.5.
# (An absolute value per element before the mean would give 2.5 for filter 0, example 0.)
HAND_SCORE = [0.25, 2.5]


def test_update_score_hand_example_symmetry_and_mean_over_calls():
    prunable = tiny_prunable()
    once = updateScore(prunable, [sscb(A)], [sscb(G)])
    assert_allclose(once._mean_scores()["conv"], HAND_SCORE)
    swapped = updateScore(prunable, [sscb(G)], [sscb(A)])
    assert_allclose(swapped._mean_scores()["conv"], HAND_SCORE)
    # A second batch with scores [1, 0.5] (one example, a constant product) averages in.
    twice = updateScore(once, [sscb(np.ones((2, 1, 2, 1)))], [sscb([[[[1], [0.5]]], [[[1], [0.5]]]])])
    assert_allclose(twice._mean_scores()["conv"], [(0.25 + 1) / 2, (2.5 + 0.5) / 2])
    assert prunable._score_count == 0 and once._score_count == 1 and twice._score_count == 2


@pytest.mark.parametrize("acts, grads, error, match", [
    ("empty", "empty", ValueError, "one entry per prunable layer"),
    ("two", "two", ValueError, "one entry per prunable layer"),
    ("single", "single", TypeError, "must be a list"),
    ("dict", "dict", TypeError, "must be a list"),
    ("numpy", "A", TypeError, "must be a dlarray"),
    ("A", "short", ValueError, "differ"),
    ("A", "time", ValueError, "differ"),
    ("A", "unformatted", ValueError, "formatted dlarray with 2 channels"),
    ("three", "three", ValueError, "formatted dlarray with 2 channels"),
])
def test_update_score_rejects_bad_input_and_leaves_the_network_alone(acts, grads, error, match):
    prunable = tiny_prunable()
    values = {"A": [sscb(A)], "empty": [], "two": [sscb(A), sscb(A)], "single": sscb(A),
              "dict": {"conv": sscb(A)}, "numpy": [np.array(A, dtype=np.float32)],
              "short": [sscb(np.ones((1, 1, 2, 2)))], "unformatted": [dlarray(np.array(A, dtype=np.float32))],
              "three": [sscb(np.ones((2, 1, 3, 2)))], "time": [dlarray(np.array(A, dtype=np.float32), "SSCT")]}
    with pytest.raises(error, match=match):
        updateScore(prunable, values[acts], values[grads])
    assert prunable._score_count == 0
    with pytest.raises(RuntimeError, match="updateScore"):
        updatePrunables(prunable)
    with pytest.raises(TypeError, match="TaylorPrunableNetwork"):
        updateScore(dlnetwork(seed.digits_layers()), [sscb(A)], [sscb(G)])


# -- updatePrunables ----------------------------------------------------------------
@pytest.fixture(scope="module")
def five_five():
    return taylorPrunableNetwork(chain((5, 5)))


def test_layer_normalisation_changes_the_choice(five_five):
    # Raw scores would take conv2's 0.5s first; normalised, conv1's filter 0 (0.05) is lowest,
    # then conv2 (0.5 / (0.5 sqrt 5) = 0.447) before conv1's others (10 / 20.02 = 0.499).
    prunable = inject(five_five, [[1, 10, 10, 10, 10], [0.5] * 5])
    assert removed(prunable, updatePrunables(prunable, MaxToPrune=1)) == {"conv1": [0], "conv2": []}
    assert removed(prunable, updatePrunables(prunable, MaxToPrune=2)) == {"conv1": [0], "conv2": [0]}


def test_ties_go_to_the_earlier_layer_and_lower_index(five_five):
    prunable = inject(five_five, [[1] * 5, [1] * 5])
    assert removed(prunable, updatePrunables(prunable, MaxToPrune=3)) == {"conv1": [0, 1, 2], "conv2": []}
    # conv1 stops at its floor of one filter.
    assert removed(prunable, updatePrunables(prunable, MaxToPrune=6)) == {"conv1": [0, 1, 2, 3], "conv2": [0, 1]}


def test_pruned_filters_are_never_chosen_again_and_scores_reset(five_five):
    first = updatePrunables(inject(five_five, [[0, 1, 2, 3, 4], [5, 5, 5, 5, 5]]), MaxToPrune=2)
    assert removed(five_five, first) == {"conv1": [0, 1], "conv2": []}
    with pytest.raises(RuntimeError, match="updateScore"):
        updatePrunables(first)
    # Pruned filters score zero on real data; they must not count against MaxToPrune.
    second = updatePrunables(inject(first, [[0, 0, 2, 3, 4], [5, 5, 5, 5, 5]]), MaxToPrune=1)
    assert removed(first, second) == {"conv1": [2], "conv2": []}
    assert second.NumPrunables == first.NumPrunables - 1 == 5


def test_before_any_score_and_bad_max_to_prune(five_five):
    with pytest.raises(RuntimeError, match="updateScore"):
        updatePrunables(five_five)
    prunable = inject(five_five, [[1] * 5, [1] * 5])
    for bad, error in ((0, ValueError), (-3, ValueError), (2.5, ValueError), (True, TypeError), ("8", TypeError),
                       (None, TypeError)):
        with pytest.raises(error, match="updatePrunables: MaxToPrune must be a positive integer; got"):
            updatePrunables(prunable, MaxToPrune=bad)
    assert updatePrunables(prunable, MaxToPrune=np.int64(2)).NumPrunables == 6
    with pytest.raises(TypeError, match="TaylorPrunableNetwork"):
        updatePrunables(dlnetwork(seed.digits_layers()))


def test_value_semantics_the_old_network_stays_usable():
    net = chain((4, 5))
    X, T = images(6), targets()
    before = scored(taylorPrunableNetwork(net), X, T)
    masks = {g: m.copy() for g, m in before._masks.items()}
    y_before = host(predict(before, X).data)
    after = updatePrunables(before, MaxToPrune=3)
    assert before.NumPrunables == 7 and after.NumPrunables == 4
    assert all((before._masks[g] == masks[g]).all() for g in masks)
    assert_array_equal(predict(before, X).data, y_before)
    assert not np.allclose(host(predict(after, X).data), y_before)
    # The old object can still be scored and pruned its own way.
    assert updatePrunables(before, MaxToPrune=1).NumPrunables == 6


PROPERTY_NET = taylorPrunableNetwork(chain((4, 6, 5), size=3))


@settings(max_examples=40)
@given(st.data())
def test_update_prunables_takes_the_lowest_normalised_scores(data):
    sizes = (4, 6, 5)
    prunable = PROPERTY_NET
    for _ in range(data.draw(st.integers(1, 3), label="rounds")):
        scores = [np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
                  for n in sizes]
        k = data.draw(st.integers(1, 20), label="MaxToPrune")
        scored_net = inject(prunable, scores)
        pruned = updatePrunables(scored_net, MaxToPrune=k)
        gone = removed(prunable, pruned)
        assert sum(map(len, gone.values())) == min(k, prunable.NumPrunables)
        assert pruned.NumPrunables == prunable.NumPrunables - min(k, prunable.NumPrunables)
        ranks = {}
        for order, (layer, n) in enumerate(zip(prunable._masks, sizes)):
            kept = prunable._masks[layer]
            assert pruned._masks[layer].sum() >= min_keep(n)
            assert not (pruned._masks[layer] & ~kept).any()          # nothing comes back
            s = scores[order] * kept
            norm = np.sqrt((s ** 2).sum()) + 1e-12
            for i in np.flatnonzero(kept):
                ranks[(layer, i)] = (s[i] / norm, order, i)
        if not any(gone.values()):
            assert prunable.NumPrunables == 0
            continue
        worst_removed = max(ranks[(layer, i)] for layer, idx in gone.items() for i in idx)
        for (layer, i), rank in ranks.items():
            still_free = pruned._masks[layer].sum() > min_keep(prunable._masks[layer].size)
            if pruned._masks[layer][i] and still_free:
                assert rank > worst_removed
        prunable = pruned
