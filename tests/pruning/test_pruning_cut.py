"""Once filters are pruned, forward/predict of a TaylorPrunableNetwork run the network without them: the
values are those of dlnetwork(prunableNet) bit for bit, and the activations, gradients and state come
back at full size (zeros, and unchanged statistics, for pruned filters)."""
import numpy as np
import pytest
from helpers import seed
from helpers.pruning_nets import images, mobilenet_block, model_loss, residual_net, scored, targets

from minidl import crossentropy, dlfeval, dlgradient
from minidl.network import dlnetwork, forward, predict
from minidl.pruning import taylorPrunableNetwork, updatePrunables
from helpers.device import assert_allclose, assert_array_equal, host


def pruned(net, X, T, rounds, max_to_prune):
    prunable = taylorPrunableNetwork(net)
    for _ in range(rounds):
        prunable = updatePrunables(scored(prunable, X, T), MaxToPrune=max_to_prune)
    assert prunable._plan  # something is cut
    return prunable


def exported_values(exported, names, X, T):
    """Loss, the prunable convolutions' outputs and the gradients of the physically pruned network."""
    def run(net):
        *outs, Y, state = forward(net, X, Outputs=names + list(net.OutputNames))
        loss = crossentropy(Y, T)
        return (loss, outs, *dlgradient(loss, outs, net.Learnables), state, Y)
    return dlfeval(run, exported)


def kept_filters(prunable, name):
    return prunable._masks[prunable._analysis.group_of[name]]


CASES = {
    "digits": (lambda: dlnetwork(seed.digits_layers()), 28, 1, 10, 3, 8),
    "residual": (residual_net, 8, 2, 3, 3, 3),
    "depthwise": (mobilenet_block, 8, 3, 3, 2, 2),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    make, size, channels, classes, rounds, max_to_prune = CASES[request.param]
    X, T = images(size, n=3, channels=channels), targets(n=3, classes=classes)
    return pruned(make(), X, T, rounds, max_to_prune), X, T


def test_outputs_and_loss_are_the_exported_networks(case):
    prunable, X, T = case
    exported = dlnetwork(prunable)
    for batch in (X, X[:, :, :, :1]):  # a batch of one takes other GEMM shapes
        assert_array_equal(predict(prunable, batch).data, predict(exported, batch).data)
        assert_array_equal(forward(prunable, batch)[0].data, forward(exported, batch)[0].data)
    # Outputs= runs the full network with masks: the same values up to float32 rounding.
    assert_allclose(predict(prunable, X, Outputs=exported.OutputNames[0]).data, predict(exported, X).data,
                    rtol=1e-5, atol=1e-6)


def test_activations_and_gradients_are_full_size_and_zero_where_pruned(case):
    prunable, X, T = case
    names = prunable._prunable_layers
    loss, acts, grads, net_grads, state = dlfeval(model_loss, prunable, X, T)
    e_loss, e_outs, *e_grads = exported_values(dlnetwork(prunable), names, X, T)
    e_act_grads, e_net_grads = e_grads[0], e_grads[1]
    assert float(loss) == float(e_loss)
    for k, name in enumerate(names):
        keep = kept_filters(prunable, name)
        channel = acts[k].fmt.index("C")
        assert acts[k].shape[channel] == grads[k].shape[channel] == keep.size
        a, g = host(acts[k].data), host(grads[k].data)
        assert_array_equal(np.compress(keep, a, axis=channel), host(e_outs[k].data))
        assert_allclose(np.compress(keep, g, axis=channel), host(e_act_grads[k].data), rtol=1e-6, atol=1e-9)
        assert not np.compress(~keep, a, axis=channel).any() and not np.compress(~keep, g, axis=channel).any()
    full = {(l, p): host(v.data) for l, p, v in zip(net_grads.Layer, net_grads.Parameter, net_grads.Value)}
    original = {(l, p): v.shape for l, p, v in zip(prunable.Learnables.Layer, prunable.Learnables.Parameter,
                                                   prunable.Learnables.Value)}
    for l, p, v in zip(e_net_grads.Layer, e_net_grads.Parameter, e_net_grads.Value):
        g = full[(l, p)]
        assert g.shape == original[(l, p)]
        cut = host(v.data)
        # the kept part, in order: every axis that lost entries loses them where the gradient is zero
        assert np.count_nonzero(g) == np.count_nonzero(cut)
        assert_allclose(np.sort(g[g != 0]), np.sort(cut[cut != 0]), rtol=1e-6, atol=0)


def test_state_keeps_pruned_statistics_and_updates_the_kept_ones(case):
    prunable, X, T = case
    _, state = forward(prunable, X)[:2]
    _, e_state = forward(dlnetwork(prunable), X)
    before = {(l, p): host(v.data) for l, p, v in zip(prunable.State.Layer, prunable.State.Parameter,
                                                     prunable.State.Value)}
    exported = {(l, p): host(v.data) for l, p, v in zip(e_state.Layer, e_state.Parameter, e_state.Value)}
    changed = 0
    for l, p, v in zip(state.Layer, state.Parameter, state.Value):
        new, old, cut = host(v.data), before[(l, p)], exported[(l, p)]
        assert new.shape == old.shape
        if cut.shape == old.shape:
            assert_array_equal(new, cut)
            continue
        axis = next(k for k, (m, n) in enumerate(zip(cut.shape, old.shape)) if m != n)
        pruned_entries = np.setdiff1d(np.arange(old.shape[axis]), _kept_entries(new, old, cut, axis))
        assert_array_equal(np.take(new, pruned_entries, axis=axis), np.take(old, pruned_entries, axis=axis))
        changed += 1
    assert changed > 0


def _kept_entries(new, old, cut, axis):
    """Entries along ``axis`` where the full state holds the cut network's values, in order."""
    found, j = [], 0
    for i in range(new.shape[axis]):
        if j < cut.shape[axis] and np.array_equal(np.take(new, [i], axis=axis), np.take(cut, [j], axis=axis)):
            found.append(i)
            j += 1
    assert j == cut.shape[axis]
    return np.array(found)


def test_scores_of_the_full_size_maps_are_summed_over_the_kept_filters_bit_for_bit(case, monkeypatch):
    """A cut run's activations and gradients are spreads of the cut network's maps (kernels/channels.py): on
    host data the Taylor score's sums (begun during the gradient walk) run over the kept filters only, and
    give the scores of copies of the full-size maps (which nothing marks as spreads) bit for bit, zeros for
    the pruned filters."""
    from minidl import dlarray
    from minidl.kernels import sums
    from minidl.pruning import updateScore
    prunable, X, T = case
    calls = []
    monkeypatch.setattr(sums, "_narrowed", lambda triples, real=sums._narrowed: calls.append(real(triples))
                        or calls[-1])
    _, acts, grads, _, _ = dlfeval(model_loss, prunable, X, T)
    got = updateScore(prunable, acts, grads)
    narrowed = [w is not None for _, widen in calls for w in widen]
    calls.clear()
    copies = [[dlarray._wrap(v.data.copy(order="K"), v.fmt) for v in maps] for maps in (acts, grads)]
    want = updateScore(prunable, *copies)
    assert calls and not any(w is not None for _, widen in calls for w in widen)  # the full maps' sums
    cut = [name for name in prunable._prunable_layers if 2 <= kept_filters(prunable, name).sum()
           < kept_filters(prunable, name).size]
    assert sum(narrowed) == (len(cut) if type(acts[0].data) is np.ndarray else 0)
    for name in prunable._prunable_layers:
        group = prunable._analysis.group_of[name]
        assert_array_equal(got._score_sum[group], want._score_sum[group])
        assert not got._score_sum[group][~kept_filters(prunable, name)].any()
