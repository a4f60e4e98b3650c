"""symnn: the mathematics of neural networks, explorable.

Every formula is one SymPy expression; derivatives come from symbolic
differentiation, numbers from stable compiled NumPy code, and every formula
prints as LaTeX and plots.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
