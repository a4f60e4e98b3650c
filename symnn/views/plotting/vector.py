r"""Pictures of vector activations with two inputs: a contour map of each output over :math:`(z_1, z_2)`.

A vector activation (:mod:`symnn.catalogue.vector`) has no curve: softmax maps
:math:`(z_1, z_2)` to two outputs, GLU (:math:`z_1 \sigma(z_2)`) and maxout with
two pieces (:math:`\max(z_1, z_2)`) to one. Each output gets a filled contour
map with its colour bar, titled with the output's formula (LaTeX from SymPy).
The numbers come from the activation's compiled forward function.

>>> fig = plot_vector_activation("softmax")
>>> [ax.get_title() for ax in fig.axes if ax.get_label() == "output"]
['$s_{1}$', '$s_{2}$']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from symnn._validation import check_window
from symnn.catalogue.vector import VectorActivation, vector_activation
from symnn.views.plotting.curves import _math

__all__ = ["plot_vector_activation"]

_SYMBOL = {"softmax": "s", "log_softmax": r"\log s"}


def plot_vector_activation(
    f: str | VectorActivation,
    zlim: tuple[float, float] = (-4.0, 4.0),
    n: int = 101,
    fig: Any = None,
) -> Any:
    r"""Contour maps of each output of a two-input vector activation; returns the Figure.

    The activation takes :math:`m = 2` inputs (softmax, log-softmax: two outputs;
    the GLU family and maxout with ``k=2``: one unit). Each panel is the filled
    contour map of one output over :math:`[z_{lo}, z_{hi}]^2`, labelled
    :math:`f_i(z_1, z_2)` with its SymPy formula below.

    Parameters
    ----------
    f : str or VectorActivation
        ``"softmax"``, ``"log_softmax"``, ``"glu"``, ``"reglu"``, ``"geglu"``,
        ``"swiglu"``, ``"maxout"`` or a :func:`symnn.vector_activation`.
    zlim : (float, float)
        The window of both inputs.
    n : int
        Grid points per axis (at least 2).
    fig : matplotlib Figure, optional
        Draw into this figure (cleared first) instead of a new one.

    Examples
    --------
    >>> fig = plot_vector_activation("swiglu", zlim=(-3, 3), n=31)
    >>> len([ax for ax in fig.axes if ax.get_label() == "output"])
    1
    """
    act = vector_activation(f) if isinstance(f, str) else f
    if not isinstance(act, VectorActivation):
        raise TypeError(
            f"plot_vector_activation takes a vector activation (a name from "
            f"symnn.vector_activations() or symnn.vector_activation(...)), not {type(f).__name__}; "
            "for an elementwise activation use symnn.plot_activation"
        )
    if act.in_width(1) > 2:
        raise ValueError(
            f"{act.name} with k={act.k} takes {act.in_width(1)} inputs per unit; a picture over "
            f"(z1, z2) needs 2: use symnn.vector_activation('maxout', k=2)"
        )
    lo, hi = check_window("zlim", zlim)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n (grid points per axis) must be an integer of at least 2, got {n!r}")
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(layout="constrained")
    else:
        fig.clear()
        fig.set_layout_engine("constrained")
    units = 2 if act.in_width(1) == 1 else 1
    z = np.linspace(lo, hi, int(n))
    Z1, Z2 = np.meshgrid(z, z)
    values = act(np.stack([Z1.ravel(), Z2.ravel()], axis=1))  # (n*n, units)
    exprs = act.expr(units)
    fig.set_size_inches(4.6 * units, 4.6)
    symbol = _SYMBOL.get(act.kind, act.tex)
    for i in range(units):
        ax = fig.add_subplot(1, units, i + 1, label="output")
        V = values[:, i].reshape(Z1.shape)
        filled = ax.contourf(Z1, Z2, V, levels=20, cmap="viridis")
        ax.contour(Z1, Z2, V, levels=10, colors="k", linewidths=0.4, alpha=0.5)
        fig.colorbar(filled, ax=ax, shrink=0.85)
        if act.kind in ("softmax", "log_softmax"):
            title = _math(f"{symbol}_{{{i + 1}}}", f"{act.name}[{i + 1}]")
        else:
            title = _math(rf"{act.tex}(z_1, z_2)", act.name)
        ax.set_title(title)
        ax.set_ylabel(_math("z_2", "z2"))
        ax.set_aspect("equal")
        formula = _math(sp.latex(exprs[i]), str(exprs[i]))
        ax.set_xlabel(_math("z_1", "z1") + "\n" + formula)
    fig.suptitle(f"{act.name}: {act.jacobian_text}", fontsize=9)
    return fig
