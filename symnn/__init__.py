"""symnn: the mathematics of neural networks, explorable.

Every formula is one SymPy expression; derivatives come from symbolic
differentiation, numbers from stable compiled NumPy code, and every formula
prints as LaTeX and plots.

>>> import symnn as sn
>>> sn.activation("gelu").derivative
(sqrt(2)*x*exp(-x**2/2)/sqrt(pi) + erf(sqrt(2)*x/2) + 1)/2
"""

from __future__ import annotations

__version__ = "0.1.0"

from symnn.analysis.properties import Properties, analyze
from symnn.catalogue.activations import Activation, activation, activations
from symnn.catalogue.initializers import Initializer, initializer, initializers
from symnn.catalogue.losses import Loss, loss, losses
from symnn.catalogue.regularizers import Objective, Regularizer, regularizer, regularizers
from symnn.cluster import Elbow, elbow, knee
from symnn.compiler import compile
from symnn.curves import Conic, classify_conic, implicit_window
from symnn.expr.functions import sigmoid, softplus
from symnn.expr.parse import ParseError, parse
from symnn.nn import data
from symnn.nn.data import dataset, datasets, load_csv, one_hot
from symnn.nn.diagnostics import (
    decision_threshold,
    gradcheck,
    gradient_flow,
    gradient_norms,
    sparsity,
)
from symnn.nn.network import Network
from symnn.nn.optimizers import optimizers
from symnn.nn.persistence import load, save
from symnn.nn.scaling import MinMax, Standardize
from symnn.nn.training import DivergenceError, History, TrainingWarning
from symnn.views.tables import ActivationTable, activation_table

# Plotting imports matplotlib, so it is loaded on first use.
_PLOTTING = {
    "plot",
    "plot_activation",
    "plot_activations",
    "plot_decision_boundary",
    "plot_elbow",
    "plot_gradient_flow",
    "plot_history",
    "plot_implicit",
    "save_figure",
}


def __getattr__(name: str):
    if name in _PLOTTING:
        from symnn.views import plotting

        return getattr(plotting, name)
    raise AttributeError(f"module 'symnn' has no attribute {name!r}")


__all__ = [
    "Activation",
    "Conic",
    "DivergenceError",
    "TrainingWarning",
    "Elbow",
    "History",
    "Initializer",
    "Loss",
    "MinMax",
    "Network",
    "Objective",
    "Regularizer",
    "Standardize",
    "__version__",
    "activation",
    "activations",
    "classify_conic",
    "compile",
    "data",
    "dataset",
    "datasets",
    "elbow",
    "decision_threshold",
    "gradcheck",
    "gradient_flow",
    "gradient_norms",
    "sparsity",
    "implicit_window",
    "initializer",
    "initializers",
    "knee",
    "load",
    "save",
    "load_csv",
    "loss",
    "losses",
    "one_hot",
    "optimizers",
    "regularizer",
    "regularizers",
    "sigmoid",
    "softplus",
    *sorted(_PLOTTING),
    "parse",
    "ParseError",
    "ActivationTable",
    "Properties",
    "activation_table",
    "analyze",
]
