"""dlnetwork and its object functions."""
from .analyze import NetworkAnalysis, analyzeNetwork
from .dlnetwork import dlnetwork
from .editing import addLayers, connectLayers, disconnectLayers, removeLayers, replaceLayer
from .initialize import initialize
from .run import forward, predict
from .summary import summary

__all__ = ["analyzeNetwork", "NetworkAnalysis", "dlnetwork", "addLayers", "connectLayers", "disconnectLayers", "removeLayers", "replaceLayer",
           "initialize", "forward", "predict", "summary"]

# Method style, as MATLAB allows both: net.forward(X) is forward(net, X).
for _function in (addLayers, connectLayers, disconnectLayers, removeLayers, replaceLayer, initialize, forward,
                  predict, summary):
    setattr(dlnetwork, _function.__name__, _function)
del _function
