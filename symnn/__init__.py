"""symnn: the mathematics of neural networks, explorable.

Every formula is one SymPy expression; derivatives come from symbolic
differentiation, numbers from stable compiled NumPy code, and every formula
prints as LaTeX and plots.
"""

from __future__ import annotations

__version__ = "0.1.0"

from symnn.activations import Activation, activation, activations
from symnn.compile import compile
from symnn.functions import sigmoid, softplus

__all__ = [
    "Activation",
    "__version__",
    "activation",
    "activations",
    "compile",
    "sigmoid",
    "softplus",
]
