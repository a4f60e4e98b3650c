r"""Several activations side by side: the functions on one Axes, their derivatives on another.

``symnn activations --compare gelu silu mish`` draws this; with 60 entries in the
catalogue, putting a few of them on common axes is how one sees the differences
(GELU's and SiLU's minima, Mish's longer negative tail). The numbers are the compiled
functions' own, split where they jump (:func:`symnn.catalogue.kinks.pieces`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symnn._validation import check_window
from symnn.catalogue.activations import Activation
from symnn.catalogue.activations import activation as get_activation
from symnn.catalogue.kinks import pieces
from symnn.views.plotting.activations import _check_n, _title

__all__ = ["compare_activations"]


def compare_activations(
    names: Sequence[str | Activation],
    xlim: tuple[float, float] = (-5, 5),
    n: int = 801,
    axes: Sequence[Any] | None = None,
) -> tuple[Any, Any]:
    r"""Draw :math:`f(x)` of each activation on one Axes and :math:`f'(x)` on a second one.

    Each activation keeps one colour in both panels; its lines have the gid of its
    name. Jumps are not joined by vertical lines.

    Examples
    --------
    >>> ax_f, ax_d = compare_activations(["relu", "gelu", "silu"], xlim=(-3, 3), n=101)
    >>> [t.get_text() for t in ax_f.get_legend().get_texts()]
    ['relu', 'gelu', 'silu (beta=1)']
    >>> ax_f.get_title(), ax_d.get_title()
    ('activations', 'derivatives')

    Parameters
    ----------
    names : sequence of str or Activation
        Catalogue names (``symnn.activations()``) or your own activations.
    xlim : (float, float)
        The x-range.
    n : int
        Grid points (kinks are added).
    axes : pair of matplotlib Axes, optional
        Where to draw; a new figure with two panels by default.

    Returns
    -------
    (Axes, Axes)
        The functions' and the derivatives' Axes.
    """
    if isinstance(names, (str, Activation)) or not len(names):
        raise ValueError(
            "names must be a non-empty list of activations, e.g. ['relu', 'gelu', 'silu']"
        )
    acts = [get_activation(name) for name in names]
    xlim = check_window("xlim", xlim)
    n = _check_n(n)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    if len(axes) != 2:
        raise ValueError(f"axes must be two matplotlib Axes, got {len(axes)}")
    for order, (ax, title) in enumerate(zip(axes, ("activations", "derivatives"), strict=True)):
        for c, act in enumerate(acts):
            for i, (xs, ys) in enumerate(pieces(act, xlim, n, order)):
                ax.plot(xs, ys, color=f"C{c % 10}", lw=1.6, gid=act.name,
                        label=_title(act) if i == 0 else "_nolegend_")  # fmt: skip
        ax.set_xlim(*xlim)
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.axvline(0, color="0.6", lw=0.8, zorder=0)
        ax.grid(True, color="0.9", lw=0.6)
        ax.set_xlabel("$x$")
        ax.set_ylabel("$f(x)$" if order == 0 else "$f'(x)$")
        ax.set_title(title)
    axes[0].legend(loc="best", fontsize=9)
    return axes[0], axes[1]
