"""Device-specific hot paths: one module per hot spot, NumPy and CuPy behind one dispatcher."""
