"""dlnetwork: layers, connections, Learnables/State tables, display. Values, as in MATLAB."""
from ..layers.base import Layer
from ..table import Table
from .graph import input_ports, is_input_layer, port_name, sources_of, split_port, topological_order


class dlnetwork:
    """Deep-learning network for custom training loops (MATLAB's dlnetwork).

    ``dlnetwork(layers)`` connects a list of layers in series and initialises it;
    ``dlnetwork()`` is empty (grow it with addLayers/connectLayers);
    ``dlnetwork(layers, X1, ..., Initialize=True, OutputNames=None)`` takes example
    inputs for inputs that no input layer feeds. ``dlnetwork(prunableNet)`` returns
    the physically pruned network of a TaylorPrunableNetwork.
    """

    def __new__(cls, layers=None, *X, Initialize=True, OutputNames=None):
        if hasattr(layers, "_to_dlnetwork"):
            if X or OutputNames is not None:
                raise TypeError("dlnetwork(prunableNet) takes no other arguments")
            return layers._to_dlnetwork()
        if isinstance(layers, dlnetwork):
            layers, connections = list(layers._layers), list(layers._connections)
        else:
            layers = _check_layers(layers, "layers")
            connections = _series_connections(layers)
        net = cls._make(layers, connections, OutputNames)
        if Initialize and layers:
            from .initialize import initialize
            net = initialize(net, *X)
        elif X:
            raise TypeError("example inputs X need Initialize=True")
        return net

    @classmethod
    def _make(cls, layers, connections, output_names=None, initialized=False):
        """Build from named layers and ((src, port), (dst, port)) connections, with checks."""
        names = [layer.Name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Layer names must be unique; repeated: {duplicates}")
        if "" in names:
            raise ValueError("Every layer needs a name here; dlnetwork(layers) fills empty names itself")
        sources_of(connections)
        topological_order(layers, connections)
        net = object.__new__(cls)
        net._layers = tuple(layers)
        net._connections = tuple(connections)
        net._output_names = None if output_names is None else _as_names(output_names, "OutputNames")
        net._initialized = initialized
        if net._output_names is not None:
            for name in net._output_names:
                split_port(name, lambda l: tuple(l.OutputNames), "OutputNames entry", net._by_name())
        return net

    def _replace(self, layers=None, connections=None, initialized=None, output_names=...):
        return type(self)._make(
            list(self._layers if layers is None else layers),
            list(self._connections if connections is None else connections),
            self._output_names if output_names is ... else output_names,
            self._initialized if initialized is None else initialized)

    def _by_name(self):
        return {layer.Name: layer for layer in self._layers}

    # -- MATLAB properties ----------------------------------------------------
    @property
    def Layers(self):
        from ..layers.array import LayerArray
        return LayerArray(self._layers)

    @property
    def Connections(self):
        by_name = self._by_name()
        src = [port_name(by_name[s], p, by_name[s].OutputNames) for (s, p), _ in self._connections]
        dst = [port_name(by_name[d], p, input_ports(by_name[d])) for _, (d, p) in self._connections]
        return Table(Source=src, Destination=dst)

    @property
    def InputNames(self):
        inputs = [layer.Name for layer in self._layers if is_input_layer(layer)]
        if inputs:
            return inputs
        fed = set(sources_of(self._connections))
        return [port_name(layer, p, input_ports(layer)) for layer in self._layers
                for p in input_ports(layer) if (layer.Name, p) not in fed]

    @property
    def OutputNames(self):
        if self._output_names is not None:
            return list(self._output_names)
        used = {src for src, _ in self._connections}
        return [port_name(layer, p, layer.OutputNames) for layer in self._layers
                for p in layer.OutputNames if (layer.Name, p) not in used]

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
            raise TypeError(f"{argname} must be a table with variables Layer, Parameter and Value")
        current = self._table(kind)
        wanted = list(zip(current.Layer, current.Parameter))
        given = dict(zip(zip(table.Layer, table.Parameter), table.Value))
        if sorted(given) != sorted(wanted):
            missing = sorted(set(wanted) - set(given))
            extra = sorted(set(given) - set(wanted))
            raise ValueError(f"{argname} rows must match the network's: missing {missing}, unexpected {extra}")
        by_layer = {}
        for (layer_name, param), old in zip(wanted, current.Value):
            value = given[(layer_name, param)]
            value = value if isinstance(value, dlarray) else dlarray(value)
            if old is not None and tuple(value.shape) != tuple(old.shape):
                raise ValueError(f"{argname} value for {layer_name}/{param} has size {value.shape}; "
                                 f"expected {old.shape}")
            by_layer.setdefault(layer_name, {})[param] = value
        layers = [layer.copy(**by_layer[layer.Name]) if layer.Name in by_layer else layer for layer in self._layers]
        return self._replace(layers=layers)

    def _map_dlarrays(self, fn):
        return self._replace(layers=[layer._map_dlarrays(fn) for layer in self._layers])

    # -- object functions as methods (function style lives in minidl.network) --
    def forward(self, *X, Outputs=None):
        from .run import forward
        return forward(self, *X, Outputs=Outputs)

    def predict(self, *X, Outputs=None):
        from .run import predict
        return predict(self, *X, Outputs=Outputs)

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
    return "{" + " ".join(f"'{n}'" for n in names) + "}" if names else "{}"


def _as_names(names, argname):
    if isinstance(names, str):
        return [names]
    names = list(names)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{argname} must be a string or a list of strings; got {names!r}")
    return names


def _check_layers(layers, argname):
    if layers is None:
        return []
    if isinstance(layers, Layer):
        layers = [layers]
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"{argname}[{i}] must be a layer; got {type(layer).__name__}")
    from ..layers.naming import fill_names
    return list(fill_names(layers))


def _series_connections(layers):
    """Each layer's output feeds the next layer's first input, as dlnetwork(layerArray) does."""
    connections = []
    for a, b in zip(layers, layers[1:]):
        ports = input_ports(b)
        if not ports:
            continue
        connections.append(((a.Name, a.OutputNames[0]), (b.Name, ports[0])))
    return connections
