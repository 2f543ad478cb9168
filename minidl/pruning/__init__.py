"""Taylor filter pruning (MATLAB's taylorPrunableNetwork and its object functions)."""
from .compress import compressNetworkUsingTaylorPruning
from .network import TaylorPrunableNetwork, taylorPrunableNetwork, updatePrunables, updateScore

__all__ = ["TaylorPrunableNetwork", "compressNetworkUsingTaylorPruning", "taylorPrunableNetwork", "updatePrunables",
           "updateScore"]
