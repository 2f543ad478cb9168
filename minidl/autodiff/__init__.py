"""The tape: trace context (dlfeval), graph nodes, gradient walk (dlgradient)."""
from .trace import dlfeval, is_recording, record
from .gradient import dlgradient

__all__ = ["dlfeval", "dlgradient", "is_recording", "record"]
