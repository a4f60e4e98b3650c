r"""The plot window of an implicit curve :math:`f(x, y) = 0`: exact for conics, searched otherwise."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from symnn._validation import check_window
from symnn.curves._input import as_expr, boundary_expr, xy_symbols
from symnn.curves.conics import NotAConic, classify_conic, conic_box
from symnn.curves.numeric import Budget
from symnn.curves.tracing import Field, grid_values, hidden_zeros

__all__ = ["DEFAULT_WINDOW", "implicit_window"]

#: The window of an unbounded or empty curve.
DEFAULT_WINDOW = ((-10.0, 10.0), (-10.0, 10.0))

#: Squares searched beyond the first one that holds the zero set it sees.
LOOK_FURTHER = 3

Window = tuple[tuple[float, float], tuple[float, float]]


def _margin_window(x0: float, x1: float, y0: float, y1: float, margin: float) -> Window:
    """Pad the box by ``margin * max(width, height)`` on every side (equal on both axes)."""
    size = max(x1 - x0, y1 - y0)
    if not size > 0:
        size = 2.0
    pad = margin * size
    if x1 - x0 <= 0:
        x0, x1 = x0 - size / 2, x1 + size / 2
    if y1 - y0 <= 0:
        y0, y1 = y0 - size / 2, y1 + size / 2
    return (float(x0 - pad), float(x1 + pad)), (float(y0 - pad), float(y1 + pad))


def _check_margin(margin: float) -> float:
    if not isinstance(margin, int | float) or not math.isfinite(margin) or margin < 0:
        raise ValueError(
            f"margin must be a finite number >= 0 (a fraction of the curve's size), got {margin!r}"
        )
    return float(margin)


def implicit_window(
    expr: Any,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    margin: float = 0.1,
    time_budget: float = 20.0,
) -> Window:
    r"""Choose the plot window ``(xlim, ylim)`` of the implicit curve :math:`f(x, y) = 0`.

    * **Conics** (second-degree equations) from their exact geometry
      (:func:`symnn.curves.conics.conic_box`): the bounding box of a (rotated) ellipse,
      :math:`x_c \pm \sqrt{a^2\cos^2\theta + b^2\sin^2\theta}`,
      :math:`y_c \pm \sqrt{a^2\sin^2\theta + b^2\cos^2\theta}`; a square of
      half-width twice the focal distance around a hyperbola's centre; the arc of a
      parabola within :math:`8p` of its axis (vertex and focus inside); a
      square of half-width 2 around a point or a pair of crossing lines; a
      square around parallel lines.  Empty conics get :data:`DEFAULT_WINDOW`.
    * **Any other curve** by a numeric search over :math:`[-R, R]^2` for
      :math:`R = 1, 2, 4, \dots, 1024` on a :math:`257 \times 257` grid: the cells
      where :math:`f` changes sign, and the zeros without a sign change and the
      pieces smaller than a cell (:func:`symnn.curves.tracing.hidden_zeros`).
      The first square in which all of them keep off its border, and the next
      three (up to 8 times as large, for separate pieces further out), hold the
      curve: the window is the box of all they found, refined on a second grid
      over it.  If they touch the border at every size, or a larger square finds
      more of the curve reaching its border, the curve is taken as unbounded and
      the window is :data:`DEFAULT_WINDOW`, :math:`[-10, 10]^2`, as it is when
      nothing is found.

    Both sides are padded by ``margin`` times the larger side of the box.  For an
    inequality or a region the window is that of its boundary.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> (x0, x1), (y0, y1) = implicit_window(x**2 + y**2 + x*y - 1, margin=0)
    >>> round(x1, 6), round(y1, 6)  # the ellipse reaches x = 2/sqrt(3)
    (1.154701, 1.154701)
    >>> implicit_window(x**4 + y**4 - 1, margin=0)  # doctest: +ELLIPSIS
    ((-1.0..., 1.0...), (-1.0..., 1.0...))

    Parameters
    ----------
    expr : str, sympy.Expr, sympy.Eq, an inequality or an And/Or of them
        The curve (an expression means "= 0").
    x, y : sympy.Symbol, optional
        The plane variables; by default the expression's symbols sorted by name.
    margin : float
        Padding on each side, as a fraction of the larger side of the curve's box.
    time_budget : float
        Seconds the numeric search may take before it gives up with a ValueError.

    Returns
    -------
    ((x0, x1), (y0, y1)) : tuple of float pairs
    """
    margin = _check_margin(margin)
    f = boundary_expr(as_expr(expr))
    x, y = xy_symbols(f, x, y)
    try:
        conic = classify_conic(f, x, y)
    except NotAConic:
        conic = None
    except ValueError:
        conic = None
    if conic is not None:
        box = conic_box(conic)
        return DEFAULT_WINDOW if box is None else _margin_window(*box, margin)
    budget = Budget(time_budget, "choosing the window of the curve")
    box = _search_box(Field(f, x, y), budget)
    return DEFAULT_WINDOW if box is None else _margin_window(*box, margin)


def _crossing_cells(Z: np.ndarray) -> np.ndarray:
    """Boolean mask of grid cells whose finite corner values change sign (or hit 0)."""
    corners = np.stack([Z[:-1, :-1], Z[1:, :-1], Z[:-1, 1:], Z[1:, 1:]])
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(np.where(np.isnan(corners), np.inf, corners), axis=0)
        hi = np.nanmax(np.where(np.isnan(corners), -np.inf, corners), axis=0)
    return (lo <= 0) & (hi >= 0) & np.isfinite(lo) & np.isfinite(hi)


def _found(F: Field, xs: np.ndarray, ys: np.ndarray, budget: Budget) -> tuple[np.ndarray, bool]:
    """Points marking the zero set on a grid (cell centres and hidden zeros), and whether
    any of them lies in the grid's outer ring of cells."""
    Z = grid_values(F, xs, ys, budget)
    cells = _crossing_cells(Z)
    border = bool(cells[0].any() or cells[-1].any() or cells[:, 0].any() or cells[:, -1].any())
    j, i = np.nonzero(cells)
    pts = [np.column_stack([xs[i], ys[j]]), np.column_stack([xs[i + 1], ys[j + 1]])]
    touch, comps, stepped = hidden_zeros(F, xs, ys, Z, budget, max_candidates=4000, steps=24)
    pts.append(touch)
    pts.extend(c[None, :] for c, _ in stepped)  # points on the curve
    for centre, radius in comps:
        pts.append(np.array([centre - radius, centre + radius]))
    allp = np.concatenate(pts) if pts else np.zeros((0, 2))
    h = max(xs[1] - xs[0], ys[1] - ys[0])
    if len(touch) or comps or stepped:
        extra = np.concatenate([touch, *[c[None, :] for c, _ in comps + stepped]])
        near = ((extra[:, 0] < xs[0] + h) | (extra[:, 0] > xs[-1] - h)
                | (extra[:, 1] < ys[0] + h) | (extra[:, 1] > ys[-1] - h))  # fmt: skip
        border = border or bool(near.any())
    return allp, border


def _search_box(F: Field, budget: Budget, n: int = 257) -> tuple[float, float, float, float] | None:
    """The numeric search of :func:`implicit_window`: box of a bounded zero set, or None.

    After the first square whose zero set keeps off its border, the next
    :data:`LOOK_FURTHER` squares (each twice as large) are searched too, so that a
    separate small piece further out is not left outside the window.
    """
    shift = 0.0123  # off the symmetric nodes (a pole at 0 is not sampled exactly)
    box = None
    first = 0
    further: list[np.ndarray] = []  # pieces found outside the first box by larger squares
    for k in range(11):
        R = 2.0**k
        h = 2 * R / (n - 1)
        xs = ys = np.linspace(-R, R, n) + shift * h
        pts, border = _found(F, xs, ys, budget)
        if box is None:
            if not len(pts) or border:
                continue
            box, first = (pts.min(axis=0), pts.max(axis=0)), k
            continue
        if border:  # more of the curve reaches out to a larger square: unbounded
            return None
        out = ((pts < box[0] - 2 * h) | (pts > box[1] + 2 * h)).any(axis=1)
        further.append(pts[out])
        if k >= first + LOOK_FURTHER:
            break
    if box is None:
        return None
    (x0, y0), (x1, y1) = box
    h = 2 * 2.0**first / (n - 1)
    xs2 = np.linspace(x0 - h, x1 + h, n)  # refine the first box on a second grid over it
    ys2 = np.linspace(y0 - h, y1 + h, n)
    pts2, _ = _found(F, xs2, ys2, budget)
    pts = np.concatenate([pts2 if len(pts2) else np.array([box[0], box[1]]), *further])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(x1), float(y0), float(y1)


def window_or_default(f: sp.Basic, x: sp.Symbol, y: sp.Symbol, xlim: Any, ylim: Any) -> Window:
    """The given limits, the automatic window for the missing ones."""
    if xlim is not None and ylim is not None:
        return check_window("xlim", xlim), check_window("ylim", ylim)
    auto_x, auto_y = implicit_window(f, x, y)
    return (
        check_window("xlim", xlim) if xlim is not None else auto_x,
        check_window("ylim", ylim) if ylim is not None else auto_y,
    )
