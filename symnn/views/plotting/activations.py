r"""Pictures of activation functions: one function with its derivative, or a gallery.

The numbers come from the compiled functions (``act(x)``, ``act.grad(x)``) via
:func:`symnn.kinks.pieces`, which splits the curves where they jump; the kink
values and one-sided limits come from :func:`symnn.kinks.kinks`; the labels
are the activation's own LaTeX (:meth:`symnn.Activation.latex`) made
mathtext-safe by :func:`symnn._tex.to_mathtext`.  These functions only draw.

The derivative's convention at a kink is drawn the usual way: a filled dot at
the value taken, an open circle at a one-sided limit that is not taken
(ReLU'(0) = 0: filled at (0, 0), open at (0, 1)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symnn._tex import to_mathtext
from symnn._validation import check_window
from symnn.catalogue.activations import Activation
from symnn.catalogue.activations import activation as get_activation
from symnn.catalogue.activations import activations as catalogue
from symnn.catalogue.kinks import kinks, pieces
from symnn.views.plotting.curves import _math

__all__ = ["plot_activation", "plot_activations"]

_COLORS = ("C0", "C1")  # the function, its derivative
_GIDS = ("function", "derivative")
_KINK_GIDS = (("kink", "kink_limit"), ("derivative_kink", "derivative_kink_limit"))


def _title(act: Activation) -> str:
    """The name, with the parameter values when there are any: ``leaky_relu (alpha=0.2)``."""
    values = dict(act.origin[1]) if act.origin is not None else {}
    values.update({act.kwnames[p]: v for p, v in act.params.items()})
    if not values:
        return act.name
    if len(values) > 3:  # PAU's ten coefficients would not fit a title or a legend
        return f"{act.name} ({len(values)} parameters)"
    return f"{act.name} (" + ", ".join(f"{k}={v:.4g}" for k, v in values.items()) + ")"


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n (grid points) must be an integer of at least 2, got {n!r}")
    return int(n)


def _draw(
    ax: Any,
    act: Activation,
    derivative: bool,
    xlim: tuple[float, float],
    n: int,
    compact: bool,
) -> bool:
    """Draw the function (and derivative) with kink markers; return whether any kink was marked."""
    marked = False
    size = 4 if compact else 6
    for order in (0, 1) if derivative else (0,):
        color = _COLORS[order]
        if compact:
            label = f"${act.lhs(order)}$"
        else:
            fallback = f"{act.name}{chr(39) * order}(x) = {act.diff(order) if order else act.expr}"
            label = _math(to_mathtext(act.latex(order)), fallback)
        for i, (xs, ys) in enumerate(pieces(act, xlim, n, order)):
            ax.plot(xs, ys, color=color, lw=1.2 if compact else 1.8, gid=_GIDS[order],
                    label=label if i == 0 else "_nolegend_")  # fmt: skip
        # the function: a dot at every kink; the derivative: only where it jumps
        shown = [k for k in kinks(act, order, within=xlim) if order == 0 or k.jumps]
        filled = [(k.x, k.value) for k in shown if np.isfinite(k.value)]
        hollow = [(k.x, v) for k in shown for v in k.not_taken if np.isfinite(v)]
        gid_filled, gid_hollow = _KINK_GIDS[order]
        if filled:
            fx, fy = zip(*filled, strict=True)
            ax.plot(fx, fy, "o", color=color, mec=color, mfc=color, ms=size, zorder=4,
                    gid=gid_filled, label="_nolegend_")  # fmt: skip
        if hollow:
            hx, hy = zip(*hollow, strict=True)
            ax.plot(hx, hy, "o", color=color, mec=color, mfc="white", mew=1.3, ms=size, zorder=4,
                    gid=gid_hollow, label="_nolegend_")  # fmt: skip
        marked = marked or bool(hollow) or (order == 1 and bool(filled))
    ax.set_xlim(*xlim)
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    return marked


def _convention_handles() -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], ls="none", marker="o", color="0.3", mfc="0.3", label="value at the kink"),
        Line2D([], [], ls="none", marker="o", color="0.3", mfc="white",
               label="one-sided limit not taken"),
    ]  # fmt: skip


def plot_activation(
    name_or_activation: str | Activation,
    derivative: bool = True,
    xlim: tuple[float, float] = (-10, 10),
    ax: Any = None,
    n: int = 2001,
    **params: Any,
) -> Any:
    r"""Draw an activation :math:`f(x)` and its derivative :math:`f'(x)`, kinks marked.

    Each curve is labelled with its formula in LaTeX.  At each kink the
    function's value is a dot; where the derivative jumps, a filled dot marks
    the value taken and an open circle the one-sided limit that is not
    (ReLU'(0) = 0 as in PyTorch: filled at (0, 0), open at (0, 1)).  Curves are
    split where they jump (the binary step, hard shrink, every derivative at a
    corner), so no vertical line joins two pieces.  The default window
    :math:`[-10, 10]` is the seed article's.

    Examples
    --------
    >>> ax = plot_activation("relu")
    >>> ax.get_title()
    'relu'
    >>> [t.get_text() for t in ax.get_legend().get_texts()][:2]  # doctest: +NORMALIZE_WHITESPACE
    ['$\\operatorname{ReLU}(x) = \\left\\{ 0 \\;\\text{if}\\; x \\leq 0;\\;\\; x \\;\\text{otherwise} \\right.$',
     "$\\operatorname{ReLU}'(x) = \\left\\{ 0 \\;\\text{if}\\; x \\leq 0;\\;\\; 1 \\;\\text{otherwise} \\right.$"]
    >>> ax = plot_activation("leaky_relu", alpha=0.2, xlim=(-2, 2))
    >>> ax.get_title()
    'leaky_relu (alpha=0.2)'

    Parameters
    ----------
    name_or_activation : str or Activation
        A catalogue name (``symnn.activations()``) or your own :class:`~symnn.Activation`.
    derivative : bool
        Also draw the first derivative.
    xlim : (float, float)
        The x-range.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    n : int
        Grid points (the kinks are added to the grid).
    **params
        Parameter values of the activation, e.g. ``alpha=0.2`` for leaky ReLU.

    Returns
    -------
    matplotlib.axes.Axes
    """
    act = get_activation(name_or_activation, **params)
    xlim = check_window("xlim", xlim)
    n = _check_n(n)
    if not isinstance(derivative, bool):
        raise TypeError(f"derivative must be True or False, got {derivative!r}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
    marked = _draw(ax, act, derivative, xlim, n, compact=False)
    x = act.symbol
    ax.set_xlabel(f"${x}$")
    ax.set_ylabel(f"${act.lhs(0)}$" + (f", ${act.lhs(1)}$" if derivative else ""))
    ax.set_title(_title(act))
    handles, _ = ax.get_legend_handles_labels()
    if marked:
        handles += _convention_handles()
    # below the axes: formulas such as GELU's derivative are wider than the plot
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=9,
              frameon=False, ncols=1)  # fmt: skip
    return ax


def plot_activations(
    names: Sequence[str | Activation] | None = None,
    ncols: int = 4,
    derivative: bool = True,
    xlim: tuple[float, float] = (-5, 5),
    n: int = 401,
) -> Any:
    r"""A gallery: one panel per activation, each with its derivative and kinks marked.

    Each panel is titled with the activation's name; one legend for the whole
    figure explains the colours (function, derivative) and the kink markers.

    Examples
    --------
    >>> fig = plot_activations(["relu", "sigmoid", "tanh"], ncols=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['relu', 'sigmoid', 'tanh']

    Parameters
    ----------
    names : sequence of str or Activation, optional
        The activations; the whole catalogue (``symnn.activations()``) by default.
    ncols : int
        Panels per row.
    derivative : bool
        Also draw each derivative.
    xlim : (float, float)
        The x-range of every panel.
    n : int
        Grid points per curve.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if names is None:
        names = catalogue()
    if isinstance(names, (str, Activation)):
        names = [names]
    acts = [get_activation(a) for a in names]
    if not acts:
        raise ValueError("names is empty; give at least one activation, or None for all of them")
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    if not isinstance(derivative, bool):
        raise TypeError(f"derivative must be True or False, got {derivative!r}")
    xlim = check_window("xlim", xlim)
    n = _check_n(n)
    ncols = min(int(ncols), len(acts))
    nrows = -(-len(acts) // ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.3 * nrows + 0.6),
                             layout="constrained", squeeze=False)  # fmt: skip
    panels = grid.ravel()
    marked = False
    for ax, act in zip(panels, acts, strict=False):
        marked = _draw(ax, act, derivative, xlim, n, compact=True) or marked
        ax.set_title(_title(act), fontsize=10)
        ax.tick_params(labelsize=7)
    for ax in panels[len(acts) :]:
        fig.delaxes(ax)
    handles = [Line2D([], [], color=_COLORS[0], label="$f(x)$")]
    if derivative:
        handles.append(Line2D([], [], color=_COLORS[1], label="$f'(x)$"))
    if marked:
        handles += _convention_handles()
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=9,
               frameon=False)  # fmt: skip
    return fig
