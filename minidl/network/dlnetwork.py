"""dlnetwork: layers, connections, Learnables/State tables, display, and its object functions as methods.
Values, as in MATLAB."""
import numpy as np

from .. import validate
from .._namevalue import namevalue
from ..layers.display import cellstr, property_block
from ..table import Table
from . import editing
from .graph import NetworkGraph, input_ports, output_ports, port_name
from .initialize import initialized_layers
from .run import as_returned, evaluate
from .summary import summary_text


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
    ``net.graph`` is the read-only graph (layers, connections, order, inputs).
    """

    # The methods that forward(net, ...), addLayers(net, ...), ... call on this kind of network.
    object_functions = ("addLayers", "connectLayers", "disconnectLayers", "removeLayers", "replaceLayer",
                        "initialize", "forward", "predict", "summary")

    @namevalue
    def __new__(cls, layers=None, *X, Initialize=True, OutputNames=None):
        Initialize = validate.flag(Initialize, "Initialize")
        convert = getattr(type(layers), "to_dlnetwork", None)  # a TaylorPrunableNetwork's conversion
        if convert is not None:
            if X or OutputNames is not None:
                raise TypeError("dlnetwork(prunableNet) takes no other arguments")
            return convert(layers)
        if isinstance(layers, dlnetwork):
            net = cls._of(layers.graph, layers.Initialized)  # the graph is read-only: nothing to copy
            if OutputNames is not None:
                net = net._replace(output_names=OutputNames)
        else:
            layers = editing.check_layers(layers, "layers")
            net = cls._make(layers, editing.series_connections(layers), OutputNames)
        if X and not Initialize:
            raise TypeError("example inputs X1, ..., XN need Initialize=True")
        if Initialize and net.graph.names:
            net = net.initialize(*X)
        return net

    @classmethod
    @namevalue
    def from_graph(cls, graph, *, Initialized=False):
        """The network of a NetworkGraph as it is, without running initialisation (for loaders and pruning,
        whose values already fit). ``Initialized=True`` needs every learnable and state value set."""
        if not isinstance(graph, NetworkGraph):
            raise TypeError(f"graph must be a NetworkGraph; got {type(graph).__name__}")
        if not isinstance(Initialized, (bool, np.bool_)):
            raise TypeError(f"Initialized must be True or False; got {Initialized!r}")
        if Initialized:
            for layer in graph._layers:
                for name in layer.learnable_names + layer.state_names:
                    if getattr(layer, name) is None:
                        raise ValueError(f"layer {layer.Name!r} of an initialised network has no {name}")
        return cls._of(graph, Initialized)

    @classmethod
    def _of(cls, graph, initialized):
        net = object.__new__(cls)
        net._graph = graph
        net._initialized = bool(initialized)
        return net

    @classmethod
    def _make(cls, layers, connections, output_names=None, initialized=False):
        """Build from named layers and ((src, port), (dst, port)) connections, with the graph's checks."""
        return cls._of(NetworkGraph(layers, connections, output_names), initialized)

    def _replace(self, layers=None, connections=None, initialized=None, output_names=...):
        """A changed copy; new values of the same layers keep the graph's order without sorting again."""
        graph = self._graph
        initialized = self._initialized if initialized is None else initialized
        if connections is None and output_names is ... and layers is not None \
                and tuple(layer.Name for layer in layers) == graph.names:
            return type(self)._of(graph._with_layers(layers), initialized)
        return type(self)._make(
            graph._layers if layers is None else layers,
            graph.connections if connections is None else connections,
            graph.chosen_output_names if output_names is ... else output_names, initialized)

    def __copy__(self):  # copy.copy(net), then assigning Learnables, is how callers update a copy
        return type(self)._of(self._graph, self._initialized)

    @property
    def graph(self):
        """The read-only NetworkGraph: layers (copies), connections, order, sources, inputs, outputs."""
        return self._graph

    # -- MATLAB properties ----------------------------------------------------
    @property
    def Layers(self):
        """The layers as a LayerArray of copies (changing them does not change the network)."""
        from ..layers.array import LayerArray
        return LayerArray(self._graph.layers)

    @property
    def Connections(self):
        by_name = self._graph._by_name
        src = [port_name(by_name[s], p, output_ports(by_name[s])) for (s, p), _ in self._graph.connections]
        dst = [port_name(by_name[d], p, input_ports(by_name[d])) for _, (d, p) in self._graph.connections]
        return Table(Source=src, Destination=dst)

    @property
    def InputNames(self):
        """Input layers and input ports that nothing feeds, in layer order."""
        return list(self._graph.input_names)

    @property
    def OutputNames(self):
        """As set, else every output port that feeds nothing, in layer order."""
        return list(self._graph.output_names)

    @OutputNames.setter
    def OutputNames(self, names):
        self._graph = self._replace(output_names=names)._graph

    @property
    def Initialized(self):
        return self._initialized

    def _table(self, kind):
        rows = [(layer.Name, p, getattr(layer, p)) for layer in self._graph._layers for p in getattr(layer, kind)]
        return Table(Layer=[r[0] for r in rows], Parameter=[r[1] for r in rows], Value=[r[2] for r in rows])

    @property
    def Learnables(self):
        return self._table("learnable_names")

    @Learnables.setter
    def Learnables(self, table):
        self._graph = self._with_values(table, "learnable_names", "Learnables")._graph

    @property
    def State(self):
        return self._table("state_names")

    @State.setter
    def State(self, table):
        self._graph = self._with_values(table, "state_names", "State")._graph

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
        layers = [layer.copy(**by_layer[layer.Name]) if layer.Name in by_layer else layer
                  for layer in self._graph._layers]
        return self._replace(layers=layers)

    def _map_dlarrays(self, fn):
        return self._replace(layers=[layer._map_dlarrays(fn) for layer in self._graph._layers])

    # -- object functions (forward(net, X) and the others call these) -----------------
    @namevalue
    def forward(self, *X, Outputs=None):
        """Training behaviour: ``Y, state = net.forward(X)``; ``Y1, ..., Yn, state`` for several outputs."""
        ys, state = evaluate(self, X, True, Outputs)
        ys = as_returned(ys, Outputs)
        return (*ys, state) if isinstance(ys, tuple) else (ys, state)

    @namevalue
    def predict(self, *X, Outputs=None):
        """Inference behaviour: ``Y = net.predict(X)``; a tuple of Ys for several outputs."""
        ys, _ = evaluate(self, X, False, Outputs)
        return as_returned(ys, Outputs)

    @namevalue
    def initialize(self, *X, generator=None):
        """A new, initialised network; values already set stay as they are.

        ``X``: one example input (a formatted dlarray) for each network input that no input
        layer feeds, in the order of net.InputNames; input layers make their own examples.
        ``generator``: a numpy.random.Generator for the initialisers (default: minidl.rng's).
        Sizes that do not fit (e.g. an addition of 8x8 and 6x6 maps, preset Weights of the
        wrong size) raise ValueError naming the layer and the sizes.
        """
        from ..random import resolve
        return self._replace(layers=initialized_layers(self, X, resolve(generator)), initialized=True)

    def summary(self):
        """Print whether the network is initialised, its number of learnables and its inputs."""
        print(summary_text(self))

    def addLayers(self, layers):
        """Add layers, connected in series among themselves; empty names are filled avoiding existing ones."""
        return editing.add_layers(self, layers)

    def connectLayers(self, s, d):
        """Connect source ``s`` ('layer' or 'layer/out') to destination ``d`` ('layer' or 'layer/in2')."""
        return editing.connect_layers(self, s, d)

    def disconnectLayers(self, s, d):
        """Remove the connection from source ``s`` to destination ``d``."""
        return editing.disconnect_layers(self, s, d)

    def removeLayers(self, layerNames):
        """Remove layers and every connection that touches them."""
        return editing.remove_layers(self, layerNames)

    @namevalue
    def replaceLayer(self, layerName, larray, *, ReconnectBy="name"):
        """Replace one layer by a layer (or layers in series), reconnecting its inputs to the first new
        layer and its outputs from the last, matching ports by name (or by position: ReconnectBy="order")."""
        return editing.replace_layer(self, layerName, larray, ReconnectBy)

    # -- display ------------------------------------------------------------------
    def _property_lines(self):
        return [("Layers", f"[{len(self._graph.names)}x1 nnet.cnn.layer.Layer]"),
                ("Connections", self.Connections.summary_string()),
                ("Learnables", self.Learnables.summary_string()),
                ("State", self.State.summary_string()),
                ("InputNames", cellstr(self.InputNames)),
                ("OutputNames", cellstr(self.OutputNames)),
                ("Initialized", str(int(self._initialized)))]

    def __repr__(self):
        return property_block("dlnetwork", self._property_lines()) + "\n  View summary with summary.\n"
