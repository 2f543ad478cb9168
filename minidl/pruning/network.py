"""TaylorPrunableNetwork: taylorPrunableNetwork, forward/predict with masks, updateScore, updatePrunables.

Every function returns a new object; the one passed in stays usable, as MATLAB values do.
"""
import copy

import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..autodiff.trace import when_gradient_known
from ..backend import array_module
from ..dlarray import dlarray
from ..layers.display import cellstr, property_block
from ..network.dlnetwork import dlnetwork
from ..network.graph import NetworkGraph
from ..network.run import as_returned, evaluate
from .groups import analyse
from .mask import consumer_masks, masking_hook
from .rules import PRODUCES, rule_for
from .score import MIN_KEEP_FRACTION, batch_scores, forget_started, min_keep, normalised, start_score
from .surgery import cut_hook, cut_layers, cut_plan, full_state, prune_layers


class TaylorPrunableNetwork:
    """A dlnetwork whose convolution filters can be pruned by first-order Taylor scores.

    Properties as MATLAB: Learnables, State, InputNames, OutputNames, NumPrunables.
    Pruning is simulated with masks until ``dlnetwork(prunableNet)`` removes the filters.
    """

    object_functions = ("forward", "predict")  # what forward(prunableNet, X) and predict(...) call

    def __init__(self, net, analysis, masks, score_sum, score_count, plans=None):
        self._net = net
        self._analysis = analysis
        self._masks = masks              # {group: bool keep-vector}; never written in place
        self._score_sum = score_sum      # {group: float64 accumulated batch scores}
        self._score_count = score_count  # number of updateScore calls since the last prune
        # what the masks imply: which inputs are zeroed (masked runs), which layers lose what (cut runs), and
        # the cut layers made so far (surgery.cut_layers); shared by the objects with these masks
        self._consumer_keep, self._plan, self._cut_made = plans or (consumer_masks(analysis, masks),
                                                                    cut_plan(analysis, masks), {})

    def _replace(self, **changes):
        fields = {"net": self._net, "analysis": self._analysis, "masks": self._masks,
                  "score_sum": self._score_sum, "score_count": self._score_count}
        if "masks" not in changes:
            fields["plans"] = (self._consumer_keep, self._plan, self._cut_made)
        fields.update(changes)
        return TaylorPrunableNetwork(**fields)

    # -- MATLAB properties ----------------------------------------------------
    @property
    def Learnables(self):
        return self._net.Learnables

    @Learnables.setter
    def Learnables(self, table):
        self._net = _assigned(self._net, "Learnables", table)

    @property
    def State(self):
        return self._net.State

    @State.setter
    def State(self, table):
        self._net = _assigned(self._net, "State", table)

    @property
    def InputNames(self):
        return self._net.InputNames

    @property
    def OutputNames(self):
        return self._net.OutputNames

    @property
    def NumPrunables(self):
        """Filters that can still be removed: per group, kept filters above the floor of score.MIN_KEEP_FRACTION."""
        return int(sum(self._masks[g].sum() - min_keep(n) for g, n in self._analysis.sizes.items()))

    @property
    def _prunable_layers(self):
        return self._analysis.prunable_layers

    def _mean_scores(self):
        """{group: score averaged over the updateScore calls since the last prune}."""
        return {g: total / self._score_count for g, total in self._score_sum.items()}

    # -- what dlfeval and dlupdate use to map the learnables ----------------------
    def _map_dlarrays(self, fn):
        return self._replace(net=self._net._map_dlarrays(fn))

    # -- object functions -------------------------------------------------------
    @namevalue
    def forward(self, *X, Outputs=None):
        """``Y, state, pruningActivations = forward(prunableNet, X)``.

        pruningActivations is a list with the output of each prunable convolution (one
        channel per filter), in network order.

        Once filters are pruned, the network's outputs are computed by the network without
        them (what ``dlnetwork(prunableNet)`` holds, so each iteration costs less than the
        one before): a pruned filter's activation and gradient are zeros, and its batch
        normalisation statistics stay as they were. With ``Outputs=`` the full network
        runs with pruned channels zeroed where they are read, so every intermediate
        value keeps all its channels.
        """
        activations = {}
        if Outputs is None and self._plan:
            ys, state = evaluate(self._net, X, True, hook=cut_hook(self._plan, self._prunable_layers, activations),
                                 replaced=cut_layers(self._net.graph._layers, self._plan, self._cut_made))
            state = full_state(state, self._net.State, self._plan)
        else:
            ys, state = evaluate(self._net, X, True, Outputs,
                                 hook=masking_hook(self._consumer_keep, self._prunable_layers, activations))
        acts = [activations[name] for name in self._prunable_layers]
        forget_started()
        for act in acts:  # the score's sums start as soon as dlgradient knows an activation's gradient
            when_gradient_known(act, start_score)
        return (*ys, state, acts)

    @namevalue
    def predict(self, *X, Outputs=None):
        """Inference outputs; computed without the pruned filters unless ``Outputs=`` asks for inner values
        (see forward)."""
        if Outputs is None and self._plan:
            ys, _ = evaluate(self._net, X, False,
                             replaced=cut_layers(self._net.graph._layers, self._plan, self._cut_made))
        else:
            ys, _ = evaluate(self._net, X, False, Outputs,
                             hook=masking_hook(self._consumer_keep, self._prunable_layers))
        return as_returned(ys, Outputs)

    def to_dlnetwork(self):
        """The physically pruned network: what ``dlnetwork(prunableNet)`` returns (dlnetwork finds this
        method on the network's type, as the network floor cannot import pruning)."""
        graph = self._net.graph
        pruned = NetworkGraph(prune_layers(self._net, self._analysis, self._masks), graph.connections,
                              graph.chosen_output_names)
        return dlnetwork.from_graph(pruned, Initialized=True)

    def __repr__(self):
        lines = [("Learnables", self.Learnables.summary_string()),
                 ("State", self.State.summary_string()),
                 ("InputNames", cellstr(self.InputNames)),
                 ("OutputNames", cellstr(self.OutputNames)),
                 ("NumPrunables", str(self.NumPrunables))]
        return property_block("TaylorPrunableNetwork", lines)


def _assigned(net, name, table):
    """A copy of ``net`` with its Learnables or State assigned; ``net`` stays as it was."""
    net = copy.copy(net)
    setattr(net, name, table)
    return net


def taylorPrunableNetwork(net):
    """Convert a dlnetwork (or a list of layers) to a TaylorPrunableNetwork.

    Raises ValueError when no convolution filter can be pruned.
    """
    if isinstance(net, TaylorPrunableNetwork):
        raise TypeError("net is already a TaylorPrunableNetwork")
    if not isinstance(net, (dlnetwork, list, tuple)):
        raise TypeError(f"net must be a dlnetwork or a list of layers; got {type(net).__name__}")
    if not isinstance(net, dlnetwork):
        net = dlnetwork(net)
    if not net.Initialized:
        raise ValueError("net must be an initialised dlnetwork; call initialize(net) first")
    analysis = analyse(net)
    if not analysis.groups:
        reason = ("it has no convolution2dLayer" if not any(rule_for(l).role == PRODUCES for l in net.Layers)
                  else "every convolution feeds a layer that fixes its channel count "
                       "(group normalisation, softmax, a network output, ...)")
        raise ValueError(f"Network does not support pruning: no prunable convolution filters found ({reason}).")
    masks = {g: np.ones(n, dtype=bool) for g, n in analysis.sizes.items()}
    prunable = TaylorPrunableNetwork(net, analysis, masks, _zero_scores(analysis), 0)
    if prunable.NumPrunables == 0:
        raise ValueError("Network does not support pruning: its prunable convolutions are too small to lose a "
                         f"filter (each keeps at least {MIN_KEEP_FRACTION:g} of its filters, and at least one).")
    return prunable


def _zero_scores(analysis):
    return {g: np.zeros(n) for g, n in analysis.sizes.items()}


def _check_prunable(prunableNet):
    if not isinstance(prunableNet, TaylorPrunableNetwork):
        raise TypeError(f"prunableNet must be a TaylorPrunableNetwork; got {type(prunableNet).__name__}")


def _check_list(values, argname, prunableNet):
    names = prunableNet._prunable_layers
    if isinstance(values, dlarray) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{argname} must be a list of dlarrays (one per prunable layer); "
                        f"got {type(values).__name__}")
    if len(values) != len(names):
        raise ValueError(f"{argname} must have one entry per prunable layer ({len(names)}: {names}); "
                         f"got {len(values)}")
    by_name = prunableNet._net.graph._by_name  # the layers themselves (graph.layer copies), only read here
    for name, value in zip(names, values):
        if not isinstance(value, dlarray):
            raise TypeError(f"{argname} entry for {name!r} must be a dlarray; got {type(value).__name__}")
        if "C" not in value.fmt or value.shape[value.fmt.index("C")] != by_name[name].NumFilters:
            raise ValueError(f"{argname} entry for {name!r} must be a formatted dlarray with "
                             f"{by_name[name].NumFilters} channels; got size {value.shape} format {value.fmt!r}")


def updateScore(prunableNet, pruningActivations, pruningGradients):
    """Accumulate the Taylor importance of every prunable filter from one mini-batch.

    For each prunable convolution with output a and loss gradient g (SSCB), the filter
    score is mean_n |mean_(h,w) a*g| (symmetric in a and g); scores of the convolutions
    of one coupled group add up. ``updatePrunables`` averages over the calls made since
    the last prune, normalises each group by its L2 norm and ranks globally.
    """
    _check_prunable(prunableNet)
    _check_list(pruningActivations, "pruningActivations", prunableNet)
    _check_list(pruningGradients, "pruningGradients", prunableNet)
    produced = prunableNet._analysis.output_sizes
    for name, a, g in zip(prunableNet._prunable_layers, pruningActivations, pruningGradients):
        if a.shape != g.shape or a.fmt != g.fmt:
            raise ValueError(f"pruningActivations and pruningGradients for {name!r} differ: size {a.shape} "
                             f"format {a.fmt!r} vs size {g.shape} format {g.fmt!r}")
        shape, fmt = produced[name]
        if a.fmt != fmt or any(m != n for m, n, d in zip(a.shape, shape, fmt) if d != "B"):
            raise ValueError(f"pruningActivations entry for {name!r} has size {a.shape} format {a.fmt!r}, but "
                             f"the network produces {_per_observation(shape, fmt)} per observation there")
    names = prunableNet._prunable_layers
    scores = dict(zip(names, batch_scores(list(zip(pruningActivations, pruningGradients)))))
    for name, a, g in zip(names, pruningActivations, pruningGradients):
        if np.isfinite(scores[name]).all():  # NaN or Inf in a or g always reaches the float64 score
            continue
        for argname, value in (("pruningActivations", a), ("pruningGradients", g)):
            if not bool(array_module(value.data).isfinite(value.data).all()):
                raise ValueError(f"{argname} entry for {name!r} contains NaN or Inf; nothing was scored "
                                 "(check the input mini-batch and the loss for divergence)")
    sums = dict(prunableNet._score_sum)
    for name in prunableNet._prunable_layers:
        group = prunableNet._analysis.group_of[name]
        sums[group] = sums[group] + scores[name]
    return prunableNet._replace(score_sum=sums, score_count=prunableNet._score_count + 1)


def _per_observation(shape, fmt):
    return " x ".join(f"{n}({d})" for n, d in zip(shape, fmt) if d != "B")


@namevalue
def updatePrunables(prunableNet, *, MaxToPrune=8):
    """Remove up to ``MaxToPrune`` filters with the lowest normalised Taylor scores, network-wide.

    A group never drops below its floor (score.MIN_KEEP_FRACTION of its original filters),
    pruned filters are never chosen again, ties go to the earlier layer and lower filter
    index, and the accumulated scores are reset.
    """
    _check_prunable(prunableNet)
    MaxToPrune = validate.positive_int(MaxToPrune, "MaxToPrune", where="updatePrunables")
    if prunableNet._score_count == 0:
        raise RuntimeError("updatePrunables needs importance scores: call updateScore on at least one "
                           "mini-batch first")
    analysis, masks = prunableNet._analysis, prunableNet._masks
    ranked = []
    for order, (group, score) in enumerate(prunableNet._mean_scores().items()):
        kept = np.flatnonzero(masks[group])
        score = normalised(score, kept)
        ranked.extend((score[i], order, i, group) for i in kept)
    ranked.sort(key=lambda entry: entry[:3])
    capacity = {g: int(masks[g].sum()) - min_keep(n) for g, n in analysis.sizes.items()}
    new_masks = {g: m.copy() for g, m in masks.items()}
    removed = 0
    for _, _, i, group in ranked:
        if removed == MaxToPrune:
            break
        if capacity[group] > 0:
            new_masks[group][i] = False
            capacity[group] -= 1
            removed += 1
    return prunableNet._replace(masks=new_masks, score_sum=_zero_scores(analysis), score_count=0)
