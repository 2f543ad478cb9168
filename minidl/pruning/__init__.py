"""Taylor filter pruning (MATLAB's taylorPrunableNetwork and its object functions)."""
from .network import TaylorPrunableNetwork, taylorPrunableNetwork, updatePrunables, updateScore

__all__ = ["TaylorPrunableNetwork", "taylorPrunableNetwork", "updatePrunables", "updateScore"]
