"""dlnetwork: layers, connections, Learnables/State tables, display. Values, as in MATLAB."""
from .. import validate
from .._namevalue import namevalue
from ..layers.base import Layer
from ..table import Table
from .graph import (check_connections, input_ports, is_input_layer, output_ports, port_name, sources_of, split_port,
                    topological_order)


class dlnetwork:
    """Deep-learning network for custom training loops (MATLAB's dlnetwork).

    ``dlnetwork(layers)`` connects a list of layers in series and initialises it;
    ``dlnetwork()`` is empty (grow it with addLayers/connectLayers);
    ``dlnetwork(layers, X1, ..., Initialize=True, OutputNames=None)`` takes example
    inputs for inputs that no input layer feeds. ``dlnetwork(prunableNet)`` returns
    the physically pruned network of a TaylorPrunableNetwork.

    Object functions work in both styles: ``forward(net, X)`` and ``net.forward(X)``.
    Functions that change a network return a new one; assigning ``net.Learnables``,
    ``net.State`` or ``net.OutputNames`` rebinds this object's own values only.
    """

    @namevalue
    def __new__(cls, layers=None, *X, Initialize=True, OutputNames=None):
        Initialize = validate.flag(Initialize, "Initialize")
        if hasattr(layers, "_to_dlnetwork"):
            if X or OutputNames is not None:
                raise TypeError("dlnetwork(prunableNet) takes no other arguments")
            return layers._to_dlnetwork()
        if isinstance(layers, dlnetwork):
            output_names = layers._output_names if OutputNames is None else OutputNames
            net = cls._make(layers._layers, layers._connections, output_names, layers._initialized)
        else:
            layers = _check_layers(layers, "layers")
            net = cls._make(layers, _series_connections(layers), OutputNames)
        if X and not Initialize:
            raise TypeError("example inputs X1, ..., XN need Initialize=True")
        if Initialize and net._layers:
            from .initialize import initialize
            net = initialize(net, *X)
        return net

    @classmethod
    def _make(cls, layers, connections, output_names=None, initialized=False):
        """Build from named layers and ((src, port), (dst, port)) connections, with checks."""
        layers, connections = tuple(layers), tuple(connections)
        names = [layer.Name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Layer names must be unique; repeated: {duplicates}")
        if "" in names:
            raise ValueError("Every layer needs a name here; dlnetwork(layers) and addLayers fill empty names")
        check_connections(layers, connections)
        topological_order(layers, connections)
        net = object.__new__(cls)
        net._layers = layers
        net._connections = connections
        net._initialized = bool(initialized)
        net._output_names = None
        if output_names is not None:
            names = _as_names(output_names, "OutputNames")
            by_name = net._by_name()
            for name in names:
                split_port(name, output_ports, "OutputNames entry", by_name)
            net._output_names = tuple(names)
        return net

    def _replace(self, layers=None, connections=None, initialized=None, output_names=...):
        return type(self)._make(
            self._layers if layers is None else layers,
            self._connections if connections is None else connections,
            self._output_names if output_names is ... else output_names,
            self._initialized if initialized is None else initialized)

    def _by_name(self):
        return {layer.Name: layer for layer in self._layers}

    # -- MATLAB properties ----------------------------------------------------
    @property
    def Layers(self):
        """The layers as a LayerArray of copies (changing them does not change the network)."""
        from ..layers.array import LayerArray
        return LayerArray(layer.copy() for layer in self._layers)

    @property
    def Connections(self):
        by_name = self._by_name()
        src = [port_name(by_name[s], p, output_ports(by_name[s])) for (s, p), _ in self._connections]
        dst = [port_name(by_name[d], p, input_ports(by_name[d])) for _, (d, p) in self._connections]
        return Table(Source=src, Destination=dst)

    @property
    def InputNames(self):
        """Input layers and input ports that nothing feeds, in layer order."""
        fed = sources_of(self._connections)
        names = []
        for layer in self._layers:
            if is_input_layer(layer):
                names.append(layer.Name)
            else:
                ports = input_ports(layer)
                names.extend(port_name(layer, p, ports) for p in ports if (layer.Name, p) not in fed)
        return names

    @property
    def OutputNames(self):
        """As set, else every output port that feeds nothing, in layer order."""
        if self._output_names is not None:
            return list(self._output_names)
        used = {src for src, _ in self._connections}
        return [port_name(layer, p, output_ports(layer)) for layer in self._layers
                for p in output_ports(layer) if (layer.Name, p) not in used]

    @OutputNames.setter
    def OutputNames(self, names):
        self._output_names = self._replace(output_names=names)._output_names

    @property
    def Initialized(self):
        return self._initialized

    def _table(self, kind):
        rows = [(layer.Name, p, getattr(layer, p)) for layer in self._layers for p in getattr(layer, kind)]
        return Table(Layer=[r[0] for r in rows], Parameter=[r[1] for r in rows], Value=[r[2] for r in rows])

    @property
    def Learnables(self):
        return self._table("learnable_names")

    @Learnables.setter
    def Learnables(self, table):
        self._layers = self._with_values(table, "learnable_names", "Learnables")._layers

    @property
    def State(self):
        return self._table("state_names")

    @State.setter
    def State(self, table):
        self._layers = self._with_values(table, "state_names", "State")._layers

    def _with_values(self, table, kind, argname):
        """A copy whose learnables or state come from ``table`` (rows matched by Layer and Parameter)."""
        from ..dlarray import dlarray
        if not isinstance(table, Table) or not {"Layer", "Parameter", "Value"} <= set(table.VariableNames):
            raise TypeError(f"{argname} must be a Table with variables Layer, Parameter and Value; "
                            f"got {type(table).__name__}")
        current = self._table(kind)
        wanted = list(zip(current.Layer, current.Parameter))
        keys = list(zip(table.Layer, table.Parameter))
        if sorted(keys) != sorted(wanted):
            missing = sorted(set(wanted) - set(keys))
            extra = sorted(set(keys) - set(wanted))
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"{argname} rows must be the network's {len(wanted)} (Layer, Parameter) pairs; "
                             f"missing {missing}, unexpected {extra}, repeated {repeated}")
        given = dict(zip(keys, table.Value))
        by_layer = {}
        for (layer_name, param), old in zip(wanted, current.Value):
            value = given[(layer_name, param)]
            if not isinstance(value, dlarray):
                try:
                    value = dlarray(value)
                except TypeError as err:
                    raise TypeError(f"{argname} value for {layer_name}/{param}: {err}") from None
            if old is not None and value.shape != old.shape:
                raise ValueError(f"{argname} value for {layer_name}/{param} has size {value.shape}; "
                                 f"expected {old.shape}")
            by_layer.setdefault(layer_name, {})[param] = value
        layers = [layer.copy(**by_layer[layer.Name]) if layer.Name in by_layer else layer for layer in self._layers]
        return self._replace(layers=layers)

    def _map_dlarrays(self, fn):
        return self._replace(layers=[layer._map_dlarrays(fn) for layer in self._layers])

    # -- display ------------------------------------------------------------------
    def _property_lines(self):
        return [("Layers", f"[{len(self._layers)}x1 nnet.cnn.layer.Layer]"),
                ("Connections", self.Connections.summary_string()),
                ("Learnables", self.Learnables.summary_string()),
                ("State", self.State.summary_string()),
                ("InputNames", _cellstr(self.InputNames)),
                ("OutputNames", _cellstr(self.OutputNames)),
                ("Initialized", str(int(self._initialized)))]

    def __repr__(self):
        return property_block("dlnetwork", self._property_lines()) + "\n  View summary with summary.\n"


def property_block(title, lines):
    """MATLAB's 'X with properties:' display, names right-aligned on the colon."""
    width = max(len(name) for name, _ in lines)
    body = "\n".join(f"    {name.rjust(width)}: {value}" for name, value in lines)
    return f"  {title} with properties:\n\n{body}\n"


def _cellstr(names):
    """A cell array of names as MATLAB displays it: {'a'  'b'}."""
    return "{" + "  ".join(f"'{n}'" for n in names) + "}"


def _as_names(names, argname):
    if isinstance(names, str):
        return [names]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{argname} must be a string or a list of strings; got {names!r}")
    return list(names)


def _check_layers(layers, argname, taken=()):
    """Copies of the given layers (a layer or a list of them), empty names filled avoiding ``taken``."""
    from ..layers.naming import fill_names
    if layers is None:
        return []
    if isinstance(layers, Layer):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"{argname} must be a layer or a list of layers; got {type(layers).__name__}")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"{argname}[{i}] must be a layer; got {type(layer).__name__}")
    # Taken names go through fill_names as stand-in named layers, so new names avoid them.
    stand_ins = [Layer(Name=name) for name in taken]
    return [layer.copy() for layer in fill_names(stand_ins + list(layers))[len(stand_ins):]]


def _series_connections(layers):
    """Each layer's first output feeds the next layer's first input, as dlnetwork(layerArray) does."""
    connections = []
    for a, b in zip(layers, layers[1:]):
        ports = input_ports(b)
        if ports:
            connections.append(((a.Name, output_ports(a)[0]), (b.Name, ports[0])))
    return connections
