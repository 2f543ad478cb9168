"""Device-specific hot paths: one module per hot spot, NumPy and CuPy behind one dispatcher."""
from . import memory

memory.apply_default()  # process-wide allocator choice, documented (and switched off) in memory.py
