"""dlnetwork and its object functions."""
from .analyze import NetworkAnalysis, analyzeNetwork
from .dlnetwork import dlnetwork
from .functions import (addLayers, connectLayers, disconnectLayers, forward, initialize, predict, removeLayers,
                        replaceLayer, summary)
from .graph import NetworkGraph

__all__ = ["analyzeNetwork", "NetworkAnalysis", "dlnetwork", "NetworkGraph", "addLayers", "connectLayers",
           "disconnectLayers", "removeLayers", "replaceLayer", "initialize", "forward", "predict", "summary"]
