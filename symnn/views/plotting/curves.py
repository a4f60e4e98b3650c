"""Pictures of curves: implicit curves f(x, y) = 0 (and regions), explicit curves y = f(x).

The mathematics (plot windows, tracing, conic geometry, poles) lives in
:mod:`symnn.curves`; these functions only draw.  Each takes ``ax=None``,
returns the Axes and never calls ``plt.show()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from symnn._validation import check_choice, check_window
from symnn.curves import (
    METHODS,
    Conic,
    NotAConic,
    classify_conic,
    explicit_curve,
    explicit_ylim,
    implicit_cells,
    implicit_curve,
)
from symnn.curves._input import (
    as_expr,
    boundary_expr,
    is_region,
    split_relation,
    text,
    xy_symbols,
)
from symnn.curves.explicit import single_variable
from symnn.curves.window import window_or_default
from symnn.views.plotting.axes import axes_for

__all__ = ["METHODS", "plot", "plot_implicit"]

#: Legends go to the right of the axes, where they cannot hide the curve.
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}



def _math(tex: str, fallback: str) -> str:
    """``$tex$`` if matplotlib's mathtext can typeset it, else the plain *fallback*."""
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(f"${tex}$")
    except (ValueError, RecursionError):  # also: superscripts nested too deep
        return fallback
    return f"${tex}$"


def _sympy_depth(resolution: int) -> int:
    """SymPy's depth giving at least ``resolution - 1`` cells across (1024 * 2**depth), at most 4."""
    depth = 0
    while 1024 * 2**depth < resolution - 1 and depth < 4:
        depth += 1
    return depth


def plot_implicit(
    expr_or_str: Any,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    method: str | None = None,
    ax: Any = None,
    classify: bool = False,
    resolution: int = 1025,
    color: str = "C0",
) -> Any:
    r"""Draw the curve :math:`f(x, y) = 0`, or the region of an inequality.

    The window is :func:`symnn.curves.implicit_window` (a bounded curve lies
    entirely inside, with a margin) unless ``xlim``/``ylim`` are given; the
    aspect ratio is equal, the axes are labelled and the title is the equation
    in LaTeX.

    Methods:

    * ``"contour"`` (default): marching squares refined until the curve is smooth,
      its points moved onto the curve by Newton steps
      (:func:`symnn.curves.implicit_curve`), drawn as lines.  An inequality
      fills its region (``contourf`` on the same grid) and draws its boundary,
      dashed when strict.  It is the default because it is both faster (about
      10-50 times, see ``benchmarks/bench_implicit.py``) and smoother: the
      points are on the curve to rounding error, while SymPy paints pixel cells.
    * ``"sympy"``: ``sympy.plot_implicit``'s interval arithmetic (what the seed
      uses; :func:`symnn.curves.implicit_cells`), drawn as filled cells into
      this Axes.  Slower, but it proves which cells can hold the curve, so it also
      shows zeros without a sign change, e.g. :math:`(x^2 + y^2 - 1)^2 = 0`.

    ``classify=True`` marks a conic's centre, foci, axes (and asymptotes) and
    lists its type and exact values in the legend (:func:`symnn.curves.classify_conic`);
    a curve that is not a conic is drawn all the same, with a note "not a conic" saying why.

    Isolated points of the solution set (:math:`x^2 + y^2 = 0`) are drawn as markers;
    what the picture alone does not say (real branches taken, parts of the window
    without real values, isolated points) is written under the axes
    (:attr:`symnn.curves.ImplicitCurve.notes`).

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> ax = plot_implicit(sp.Eq(x**2 + y**2 + x*y, 1), classify=True)
    >>> ax.get_title()
    '$x^{2} + x y + y^{2} = 1$'
    >>> ax.get_aspect()
    1.0

    Parameters
    ----------
    expr_or_str : str, sympy.Expr, sympy.Eq, an inequality or an And/Or/Not of relations
        The curve or region; an expression means "= 0".
    xlim, ylim : (float, float), optional
        The window; automatic by default.
    method : {"contour", "sympy"}, optional
        See above; default ``"contour"``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    classify : bool
        Annotate the conic (a note "not a conic" when the curve is not of second degree).
    resolution : int
        ``"contour"``: the largest grid (points per side) of the refinement;
        ``"sympy"``: the number of cells across the window is at least this
        (SymPy's depth, capped at 16384 cells).
    color : str
        Matplotlib colour of the curve or region.

    Returns
    -------
    matplotlib.axes.Axes
    """
    method = check_choice("method", METHODS[0] if method is None else method, METHODS)
    if not isinstance(classify, bool):
        raise TypeError(f"classify must be True or False, got {classify!r}")
    obj = as_expr(expr_or_str)
    f_all = boundary_expr(obj)
    x, y = xy_symbols(f_all, None, None)
    conic: Conic | NotAConic | None = None
    if classify:
        if not isinstance(obj, sp.Expr | sp.Eq):
            raise ValueError(
                f"classify=True analyses a conic equation; {text(obj)} is an inequality or "
                "a region: draw it without classify"
            )
        try:
            conic = classify_conic(obj, x, y)
        except NotAConic as exc:
            conic = exc
    xlim, ylim = window_or_default(obj, x, y, xlim, ylim)
    ax = axes_for(ax)
    notes: list[str] = []
    if method == "contour":
        curve = implicit_curve(obj, xlim, ylim, x, y, resolution=resolution)
        notes.extend(curve.notes)
        if curve.relation != "=":
            xs, ys, G = curve.grid
            gm = np.ma.masked_invalid(G)
            if gm.count() and gm.max() > 0:
                ax.contourf(xs, ys, gm, levels=[0.0, float(gm.max()) + 1.0], colors=[color],
                            alpha=0.35)  # fmt: skip
        for pts, dashed in zip(curve.lines, curve.dashed or [False] * len(curve.lines),
                               strict=True):  # fmt: skip
            ax.plot(pts[:, 0], pts[:, 1], "--" if dashed else "-", color=color, lw=1.8,
                    gid="curve")  # fmt: skip
        if len(curve.points):
            ax.plot(curve.points[:, 0], curve.points[:, 1], "o", color=color, ms=6, ls="none",
                    gid="curve")  # fmt: skip
    else:
        from matplotlib.collections import PolyCollection

        cells = implicit_cells(obj, xlim, ylim, x, y, depth=_sympy_depth(resolution))
        x0, x1, y0, y1 = cells.T
        verts = np.stack([np.c_[x0, y0], np.c_[x0, y1], np.c_[x1, y1], np.c_[x1, y0]], axis=1)
        if not is_region(obj) and split_relation(obj)[1] == "=":
            # cells are far thinner than a pixel: an edge keeps the curve visible
            style = {"facecolors": color, "edgecolors": color, "linewidths": 0.8}
        else:
            style = {"facecolors": color, "edgecolors": "none", "alpha": 0.35}
        patches = PolyCollection(verts, gid="curve", **style)
        ax.add_collection(patches)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel(f"${sp.latex(x)}$")
    ax.set_ylabel(f"${sp.latex(y)}$")
    title = sp.Eq(obj, 0, evaluate=False) if isinstance(obj, sp.Expr) else obj
    ax.set_title(_math(sp.latex(title), text(title)))
    if isinstance(conic, Conic):
        _annotate_conic(ax, conic)
    elif isinstance(conic, NotAConic):
        notes.insert(0, f"not a conic: {text(f_all, 60)} = 0 {conic.reason}")
    _add_notes(ax, notes)
    return ax


def _add_notes(ax: Any, notes: list[str]) -> None:
    """Write the notes under the axes (outside them, so they never hide the curve)."""
    if not notes:
        return
    ax.annotate("\n".join(notes), xy=(0.5, 0), xycoords="axes fraction", xytext=(0, -36),
                textcoords="offset points", ha="center", va="top", fontsize=8, wrap=True,
                gid="note", annotation_clip=False)  # fmt: skip


def _annotate_conic(ax: Any, c: Conic) -> None:
    """Mark centre, foci, vertex and axes of a conic; its facts go in a legend titled by its kind.

    Each marker's legend entry carries its exact value; the other facts (angle,
    eccentricity, lines, ...) are entries without a marker.  The legend sits to the
    right of the axes, so it never hides the curve.
    """
    from matplotlib.lines import Line2D

    fl = lambda v: float(sp.N(v))  # noqa: E731
    facts = dict(c.summary())
    used: set[str] = set()

    def label(key: str) -> str:
        used.add(key)
        return f"{key} {_math(facts[key], facts[key])}"

    kw = {"gid": "annotation"}
    handles = []
    if c.center is not None:
        handles += ax.plot(
            *map(fl, c.center), "+", color="k", ms=10, mew=1.5, label=label("centre"), **kw
        )
    if c.vertex is not None:
        handles += ax.plot(*map(fl, c.vertex), "s", color="k", ms=4, label=label("vertex"), **kw)
        (vx, vy), (ux, uy) = tuple(map(fl, c.vertex)), tuple(map(fl, c.axis))
        ax.axline((vx, vy), (vx + ux, vy + uy), ls=":", color="0.4", lw=1, **kw)
    if c.foci:
        fx, fy = [fl(p[0]) for p in c.foci], [fl(p[1]) for p in c.foci]
        key = "foci" if len(fx) > 1 else "focus"
        handles += ax.plot(fx, fy, "o", color="C3", ms=5, ls="none", label=label(key), **kw)
    if (
        c.axis is not None
        and c.semi_axes is not None
        and c.center is not None
        and c.kind != "circle"
    ):
        (cx, cy), (ux, uy) = tuple(map(fl, c.center)), tuple(map(fl, c.axis))
        a, b = map(fl, c.semi_axes)
        seg = [(a, ux, uy)] + ([(b, -uy, ux)] if c.kind == "ellipse" else [])
        xs: list[float] = []
        ys: list[float] = []
        for length, dx, dy in seg:
            xs += [cx - length * dx, cx + length * dx, np.nan]
            ys += [cy - length * dy, cy + length * dy, np.nan]
        handles += ax.plot(xs, ys, ":", color="0.4", lw=1, label=label("semi-axes"), **kw)
    if c.asymptotes:
        for i, line in enumerate(c.asymptotes):
            art = _axline_of(ax, line, c, ls="--", color="0.6", lw=0.8, **kw)
            if i == 0:
                art.set_label(label("asymptotes"))
                handles.append(art)
    for key in [k for k in facts if k not in used]:
        handles.append(Line2D([], [], ls="none", label=label(key)))
    ax.legend(handles=handles, title=c.kind, fontsize=8, title_fontsize=9, handlelength=1.5,
              **OUTSIDE)  # fmt: skip


def _axline_of(ax: Any, line: sp.Expr, c: Conic, **kw: Any) -> Any:
    """Draw the infinite line ``line = 0`` (linear in c.x, c.y)."""
    gx, gy = float(line.coeff(c.x)), float(line.coeff(c.y))
    k = float(line.subs({c.x: 0, c.y: 0}))
    g2 = gx * gx + gy * gy
    p = (-k * gx / g2, -k * gy / g2)  # the point of the line nearest the origin
    return ax.axline(p, (p[0] - gy, p[1] + gx), **kw)


def plot(
    *exprs: Any,
    xlim: tuple[float, float] = (-10.0, 10.0),
    ax: Any = None,
    n: int = 2000,
    ylim: tuple[float, float] | None = None,
) -> Any:
    r"""Draw explicit curves :math:`y = f(x)`, several at once, poles and jumps cut.

    Each curve is sampled by :func:`symnn.curves.explicit_curve`, which cuts it
    where :math:`f` jumps or has a pole, so no vertical segment joins
    :math:`+\infty` and :math:`-\infty`; the y-range is
    :func:`symnn.curves.explicit_ylim`, which keeps poles from flattening
    everything else, unless ``ylim`` is given.  Each curve is labelled with its
    formula.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> ax = plot(sp.sin(x) / x, x**2 / 20, sp.tan(x))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['$\\frac{\\sin{\\left(x \\right)}}{x}$', '$\\frac{x^{2}}{20}$', '$\\tan{\\left(x \\right)}$']

    Parameters
    ----------
    *exprs : str or sympy.Expr
        The functions f(x) (``"y = f(x)"`` is accepted too).
    xlim : (float, float)
        The x-range.
    ax : matplotlib Axes, optional
    n : int
        Samples per curve.
    ylim : (float, float), optional
        The y-range; automatic by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not exprs:
        raise ValueError("plot needs at least one function, e.g. plot('sin(x)/x', 'x^2')")
    curves = []
    for e in exprs:
        f, _ = single_variable(e, None)
        xs, ys = explicit_curve(f, xlim, n)
        curves.append((xs, ys, f))
    if ylim is not None:
        ylim = check_window("ylim", ylim)
    ax = axes_for(ax)
    for xs, ys, f in curves:
        ax.plot(xs, ys, lw=1.6, label=_math(sp.latex(f), text(f)), gid="curve")
    free = set().union(*(getattr(f, "free_symbols", set()) for _, _, f in curves))
    xname = sorted(free, key=lambda s: s.name)[0] if len(free) == 1 else sp.Symbol("x")
    ax.set_xlim(*xlim)
    ax.set_ylim(*(ylim if ylim is not None else explicit_ylim(*(ys for _, ys, _ in curves))))
    ax.set_xlabel(f"${sp.latex(xname)}$")
    ax.set_ylabel("$y$")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.legend(fontsize=9, **OUTSIDE)
    return ax
