"""Differentiable functions on dlarrays, one file per family, forward and backward side by side.

Every backward rule is written with these same differentiable functions, so gradients
can be differentiated again (dlgradient's EnableHigherDerivatives).
"""
from .operators import install_operators

install_operators()  # dlarray's +, @, comparisons, indexing, .T: the dlarray floor cannot import ops
