"""batch_scores (the Taylor score of one mini-batch) against a float64 loop over filters and observations."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import dlarray
from minidl.pruning.score import batch_scores


def loop_score(a, g, fmt):
    """mean over observations of |mean over the other positions of a*g|, per filter, in float64."""
    a, g = a.astype(np.float64), g.astype(np.float64)
    c = fmt.index("C")
    a, g = np.moveaxis(a, c, 0), np.moveaxis(g, c, 0)
    if "B" not in fmt:
        return np.abs([np.mean(a[f] * g[f]) for f in range(a.shape[0])])
    b = fmt.index("B") - 1  # after moving C to the front (C comes before B)
    a, g = np.moveaxis(a, b + 1, 1), np.moveaxis(g, b + 1, 1)
    return np.array([np.mean([abs(np.mean(a[f, n] * g[f, n])) for n in range(a.shape[1])])
                     for f in range(a.shape[0])])


@settings(max_examples=40)
@given(fmt=st.sampled_from(["SSCB", "SCB", "CB", "SSC", "SSCBT"]), data=st.data())
def test_batch_score_matches_the_float64_loop_in_any_layout(fmt, data):
    shape = tuple(data.draw(st.integers(1, 5)) for _ in fmt)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    order = data.draw(st.permutations(range(len(fmt))))
    a = rng.standard_normal(shape).astype(np.float32) * 100
    g = (rng.standard_normal(shape) * 1e-4).astype(np.float32)
    # the maps as views of buffers in some memory order (conv outputs are channel-last)
    in_layout = [np.ascontiguousarray(v.transpose(order)).transpose(np.argsort(order)) for v in (a, g)]
    got, again = batch_scores([(dlarray._wrap(in_layout[0], fmt), dlarray._wrap(in_layout[1], fmt))] * 2)
    if fmt == "SSCBT":  # T counts as another position to average over
        want = np.array([np.mean([abs(np.mean(a[:, :, f, n, :].astype(np.float64) * g[:, :, f, n, :]))
                                  for n in range(shape[3])]) for f in range(shape[2])])
    else:
        want = loop_score(a, g, fmt)
    assert got.dtype == np.float64 and got.shape == (shape[fmt.index("C")],)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(again, got)  # each pair of a call scored on its own


def test_sums_started_during_the_gradient_walk_give_the_scores_of_sums_made_afterwards():
    """forward + dlgradient of a TaylorPrunableNetwork start each map's score sums once its gradient is known;
    updateScore takes them (in either argument order) and scores bit for bit as sums made afterwards
    would; other arrays are scored afresh; a new forward drops sums nobody took."""
    from minidl import dlfeval, taylorPrunableNetwork
    from minidl.kernels import parallel
    from minidl.pruning import score
    from helpers.pruning_nets import chain, images, model_loss, targets
    from helpers.device import host
    prunable, X, T = taylorPrunableNetwork(chain([4, 5])), images(6), targets()
    grain, parallel.GRAIN = parallel.GRAIN, 64  # several ranges, so a worker may take some
    try:
        _, acts, grads, _, _ = dlfeval(model_loss, prunable, X, T)
        started = dict(score._started)
        if type(acts[0].data) is np.ndarray:  # NumPy data only (CuPy computes on its device anyway)
            assert len(started) == len(acts)
        fresh = [dlarray._wrap(a.data.copy(), a.fmt) for a in acts]  # same values, other arrays
        copied = batch_scores(list(zip(fresh, grads)))
        assert score._started == started  # copies are not the walk's maps: nothing taken
        pairs = [(acts[0], grads[0]), (grads[1], acts[1])]  # the second pair swapped
        got = batch_scores(pairs)
        assert score._started == {}
        for g, again, c in zip(got, batch_scores(pairs), copied):  # again: sums made now
            np.testing.assert_array_equal(g, again)
            np.testing.assert_allclose(g, c, rtol=1e-12, atol=0)  # the copies sum in their own memory order
        dlfeval(model_loss, prunable, X, T)  # its sums are not taken ...
        dlfeval(model_loss, prunable, X, T)
        assert len(score._started) == (len(acts) if type(acts[0].data) is np.ndarray else 0)  # ... nor kept
        np.testing.assert_array_equal(host(acts[0].data), host(fresh[0].data))  # nothing written into the maps
    finally:
        parallel.GRAIN = grain
        score.forget_started()


def test_scores_of_spread_digits_maps_are_those_of_the_full_maps_bit_for_bit():
    """A pruned network's activations and gradients are spreads of its cut maps (kernels/channels.py), whose
    sums run over the kept filters only: at the digits sizes (channel-last 24x24, batch 128 and 32) the batch
    scores are bit for bit those of copies of the full maps (which are summed as they are)."""
    from minidl.kernels import channels
    rng = np.random.default_rng(3)
    for kept, n in ((9, 128), (14, 32)):
        cut = [rng.standard_normal((n, 24, 24, kept), dtype=np.float32).transpose(1, 2, 3, 0) for _ in range(2)]
        index = np.sort(rng.choice(20, kept, replace=False))
        a, g = (dlarray._wrap(channels.spread(c, 2, index, 20), "SSCB") for c in cut)  # as ops.shape.widened
        assert channels.common_source(a.data, g.data) is not None
        copies = [dlarray._wrap(v.data.copy(order="K"), "SSCB") for v in (a, g)]
        got, want = batch_scores([(a, g)])[0], batch_scores([tuple(copies)])[0]
        np.testing.assert_array_equal(got, want, strict=True)
        assert not np.delete(got, index).any() and np.all(got[index] > 0)
