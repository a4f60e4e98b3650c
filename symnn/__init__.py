"""symnn: the mathematics of neural networks, explorable.

Every formula is one SymPy expression; derivatives come from symbolic
differentiation, numbers from stable compiled NumPy code, and every formula
prints as LaTeX and plots.

>>> import symnn as sn
>>> sn.activation("gelu").derivative
(sqrt(2)*x*exp(-x**2/2)/sqrt(pi) + erf(sqrt(2)*x/2) + 1)/2

The package's names load on first use (``import symnn`` and ``symnn --help`` stay
fast); the table below says where each one lives.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it (the layers are in DESIGN.md).
_NAMES: dict[str, str] = {
    # expr
    "ParseError": "symnn.expr.parse",
    "parse": "symnn.expr.parse",
    "sigmoid": "symnn.expr.functions",
    "softplus": "symnn.expr.functions",
    # compiler
    "compile": "symnn.compiler",
    # analysis
    "Properties": "symnn.analysis.properties",
    "analyze": "symnn.analysis.properties",
    # catalogue
    "Activation": "symnn.catalogue.activations",
    "activation": "symnn.catalogue.activations",
    "activations": "symnn.catalogue.activations",
    "Loss": "symnn.catalogue.losses",
    "loss": "symnn.catalogue.losses",
    "losses": "symnn.catalogue.losses",
    "Objective": "symnn.catalogue.regularizers",
    "Regularizer": "symnn.catalogue.regularizers",
    "regularizer": "symnn.catalogue.regularizers",
    "regularizers": "symnn.catalogue.regularizers",
    "Initializer": "symnn.catalogue.initializers",
    "initializer": "symnn.catalogue.initializers",
    "initializers": "symnn.catalogue.initializers",
    "VectorActivation": "symnn.catalogue.vector",
    "vector_activation": "symnn.catalogue.vector",
    "vector_activations": "symnn.catalogue.vector",
    # curves and clusters
    "Conic": "symnn.curves",
    "classify_conic": "symnn.curves",
    "implicit_window": "symnn.curves",
    "Elbow": "symnn.cluster",
    "elbow": "symnn.cluster",
    "knee": "symnn.cluster",
    # nn
    "Network": "symnn.nn.network",
    "Conv2D": "symnn.nn.layers",
    "Dense": "symnn.nn.layers",
    "MaxPool2D": "symnn.nn.layers",
    "AvgPool2D": "symnn.nn.layers",
    "Flatten": "symnn.nn.layers",
    "Act": "symnn.nn.layers",
    "DivergenceError": "symnn.nn.training",
    "History": "symnn.nn.training",
    "TrainingWarning": "symnn.nn.training",
    "optimizers": "symnn.nn.optimizers",
    "decision_threshold": "symnn.nn.diagnostics",
    "gradcheck": "symnn.nn.diagnostics",
    "gradient_flow": "symnn.nn.diagnostics",
    "gradient_norms": "symnn.nn.diagnostics",
    "sparsity": "symnn.nn.diagnostics",
    "dataset": "symnn.nn.data",
    "datasets": "symnn.nn.data",
    "load_csv": "symnn.nn.data",
    "one_hot": "symnn.nn.data",
    "load": "symnn.nn.persistence",
    "save": "symnn.nn.persistence",
    "MinMax": "symnn.nn.scaling",
    "Standardize": "symnn.nn.scaling",
    "graph": "symnn.nn.graph",
    "Walkthrough": "symnn.nn.walkthrough",
    # export (PyTorch and JAX; also the methods to_torch/to_jax/load_weights_from)
    "to_torch": "symnn.export",
    "to_jax": "symnn.export",
    # views (plotting imports matplotlib, so it loads only when a plot is asked for)
    "ActivationTable": "symnn.views.tables",
    "activation_table": "symnn.views.tables",
    "plot": "symnn.views.plotting",
    "plot_activation": "symnn.views.plotting",
    "plot_activations": "symnn.views.plotting",
    "plot_decision_boundary": "symnn.views.plotting",
    "plot_elbow": "symnn.views.plotting",
    "plot_feature_maps": "symnn.views.plotting",
    "plot_kernels": "symnn.views.plotting",
    "plot_receptive_field": "symnn.views.plotting",
    "plot_gradient_flow": "symnn.views.plotting",
    "plot_history": "symnn.views.plotting",
    "plot_implicit": "symnn.views.plotting",
    "plot_vector_activation": "symnn.views.plotting",
    "save_figure": "symnn.views.plotting",
    # the wider catalogue (issue #15): families, side-by-side plots, interactive exploration
    "activation_families": "symnn.catalogue.activations",
    "compare_activations": "symnn.views.plotting",
    "explore": "symnn.views.explore",
    "animate_backprop": "symnn.views.plotting",
    "plot_graph": "symnn.views.plotting",
    # step-by-step derivations (issue 13)
    "derive": "symnn.nn.derivation",
    "check_derivative": "symnn.catalogue.derivations",
    "Derivation": "symnn.expr.derive",
    # learning rates and curvature
    "Curvature": "symnn.nn.curvature",
    "LRRangeTest": "symnn.nn.lr",
    "LRSweep": "symnn.nn.lr",
    "lr_range_test": "symnn.nn.lr",
    "lr_sweep": "symnn.nn.lr",
    "plot_loss_landscape": "symnn.views.plotting",
    "plot_lr_range_test": "symnn.views.plotting",
    "plot_lr_sweep": "symnn.views.plotting",
}

#: Submodules reachable as attributes (``sn.data.seed_data()``).
_MODULES = {"data": "symnn.nn.data"}

#: The plotting names (derived from the table; the tests hold it against the package).
_PLOTTING = {name for name, module in _NAMES.items() if module == "symnn.views.plotting"}


def __getattr__(name: str) -> Any:
    if name not in _NAMES and name not in _MODULES:
        raise AttributeError(f"module 'symnn' has no attribute {name!r}")
    # the catalogue registers its names with the parser: `relu(x)` parses from the start
    importlib.import_module("symnn.catalogue.activations")
    importlib.import_module("symnn.export")  # registers to_torch, to_jax, load_weights_from
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES, *_MODULES})


__all__ = ["__version__", *sorted(_NAMES), *sorted(_MODULES)]
