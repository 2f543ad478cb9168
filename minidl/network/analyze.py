"""analyzeNetwork(net): MATLAB's network analysis as text - per layer activations and learnables, totals.

For a TaylorPrunableNetwork (anything ``dlnetwork(net)`` turns into its physically pruned network) the
rows describe the pruned network and gain the filters pruned and the share of learnables removed per
layer, as MATLAB's LayerInfo gains NumPrunedFilters and LearnablesReduction.
"""
from .. import validate
from .._namevalue import namevalue
from ..dlarray import numel
from ..layers.base import Layer
from ..layers.display import size_text
from ..table import Table
from .dlnetwork import dlnetwork
from .graph import output_ports
from .run import example_values
from .summary import count_learnables


class NetworkAnalysis:
    """What analyzeNetwork found: ``TotalLearnables``, ``LayerInfo`` (a Table, one row per layer) and, for a
    TaylorPrunableNetwork, ``NumPrunedFilters`` and ``LearnablesReduction`` (proportion, 0 to 1)."""

    def __init__(self, layer_info, total, pruned=None):
        self.LayerInfo = layer_info
        self.TotalLearnables = total
        if pruned is not None:
            self.NumPrunedFilters, self.LearnablesReduction = pruned

    def __repr__(self):
        info = self.LayerInfo
        pruning = "NumPrunedFilters" in info.VariableNames
        header = ["#", "Name", "Type", "Activations", "Learnables", "Learnable sizes"]
        rows = [[str(k), f"'{name}'", kind, acts, f"{count:,}", sizes or "-"] for k, (name, kind, acts, count, sizes)
                in enumerate(zip(info.Name, info.Type, info.ActivationSizes, info.NumLearnables,
                                 info.LearnableSizes), start=1)]
        if pruning:
            header += ["Pruned filters", "Learnables removed"]
            for row, filters, share in zip(rows, info.NumPrunedFilters, info.LearnablesReduction):
                row += [str(filters) if filters is not None else "-", f"{100 * share:.1f}%" if share else "-"]
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
        right = {0, 4, 6, 7}  # numbers line up on the right
        lines = ["   ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                 .rstrip() for row in [header] + rows]
        lines.insert(1, "-" * len(max(lines, key=len)))
        lines += ["", f"Total learnables: {self.TotalLearnables:,}"]
        if pruning:
            lines.append(f"Pruned filters: {self.NumPrunedFilters}; learnables removed by pruning: "
                         f"{100 * self.LearnablesReduction:.1f}%")
        return "\n".join(lines)


@namevalue
def analyzeNetwork(net, *, Plots="analyzer"):
    """``netAnalysis = analyzeNetwork(net)``: prints the analysis (our text form of MATLAB's analyzer app)
    and returns a NetworkAnalysis; ``Plots="none"`` returns it without printing, as in MATLAB. ``net`` is a
    dlnetwork (an uninitialised one is analysed as initialised), a layer array, or a TaylorPrunableNetwork."""
    Plots = validate.option(Plots, "Plots", ("analyzer", "none"), where="analyzeNetwork")
    if hasattr(type(net), "to_dlnetwork"):  # a TaylorPrunableNetwork (pruning is a floor above)
        analysis = _analyse_pruned(net)
    else:
        if not isinstance(net, dlnetwork):
            if not isinstance(net, (list, tuple, Layer)):
                raise TypeError(f"net must be a dlnetwork, a layer array or a TaylorPrunableNetwork; "
                                f"got {type(net).__name__}")
            net = dlnetwork(net, Initialize=False)
        analysis = _analyse(net if net.Initialized else net.initialize())
    if Plots == "analyzer":
        print(analysis)
    return analysis


def _activation_text(value):
    return " x ".join(f"{n}({d})" for n, d in zip(value.shape, value.fmt)) if value.fmt else size_text(value.shape)


def _layer_info(net):
    if not net.Initialized:
        raise ValueError("analyzeNetwork needs an initialised network; call initialize(net) first")
    values = example_values(net, "analyzeNetwork")
    columns = {"Name": [], "Type": [], "ActivationSizes": [], "NumLearnables": [], "LearnableSizes": []}
    for layer in net.Layers:
        outs = [values[(layer.Name, port)] for port in output_ports(layer)]
        learnables = [(name, getattr(layer, name)) for name in layer.learnable_names]
        columns["Name"].append(layer.Name)
        columns["Type"].append(layer.Type or layer.class_name)
        columns["ActivationSizes"].append(", ".join(_activation_text(v) for v in outs))
        columns["NumLearnables"].append(sum(numel(v) for _, v in learnables))
        columns["LearnableSizes"].append(", ".join(f"{name} {size_text(v.shape)}" for name, v in learnables
                                                   if v is not None))
    return columns


def _analyse(net):
    return NetworkAnalysis(Table(**_layer_info(net)), count_learnables(net))


def _analyse_pruned(prunable):
    pruned = dlnetwork(prunable)
    columns = _layer_info(pruned)
    table = prunable.Learnables  # full size: masked filters are still there
    before = {(layer, param): numel(v) for layer, param, v in zip(table.Layer, table.Parameter, table.Value)}
    filters, reduction = [], []
    for layer, now in zip(pruned.Layers, columns["NumLearnables"]):
        had = sum(n for (name, _), n in before.items() if name == layer.Name)
        # a layer with filters has one bias entry per filter, masked or kept
        filters.append(before[(layer.Name, "Bias")] - layer.NumFilters if hasattr(layer, "NumFilters") else None)
        reduction.append(1 - now / had if had else 0.0)
    columns.update(NumPrunedFilters=filters, LearnablesReduction=reduction)
    total, total_before = count_learnables(pruned), sum(before.values())
    pruned_filters = sum(f for f in filters if f is not None)
    return NetworkAnalysis(Table(**columns), total, (pruned_filters, 1 - total / total_before))
