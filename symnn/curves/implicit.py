r"""Implicit curves :math:`f(x, y) = 0`, inequalities and their And/Or/Not, traced numerically.

* :func:`implicit_curve` traces the zero set as polylines and isolated points
  (:mod:`symnn.curves.tracing`), the boundary of an inequality or of a region
  combining several, and says what the user should know (``notes``);
* :func:`implicit_cells` asks ``sympy.plot_implicit`` (interval arithmetic) for
  the cells that may hold the curve: an independent oracle and the ``"sympy"`` method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.logic.boolalg import And, Not, Or

from symnn.curves._input import (
    INCLUSIVE,
    RELATIONS,
    as_expr,
    boundary_expr,
    is_region,
    region_atoms,
    split_relation,
    text,
    xy_symbols,
)
from symnn.curves.numeric import Budget
from symnn.curves.tracing import Field, trace
from symnn.curves.window import window_or_default

__all__ = ["METHODS", "ImplicitCurve", "implicit_cells", "implicit_curve"]

#: The ways :func:`symnn.plot_implicit` can draw a zero set (the first is the default).
METHODS = ("contour", "sympy")

#: Share of the window (grid nodes) without a real value above which a note says so.
UNDEFINED_NOTE = 0.01


@dataclass(frozen=True)
class ImplicitCurve:
    """What :func:`implicit_curve` found: the curve (or boundary) and its region.

    Attributes
    ----------
    lines : list of (n, 2) arrays
        Pieces of the curve; a closed piece repeats its first point at the end.
    points : (k, 2) array
        Isolated points of the zero set (such as :math:`x^2 + y^2 = 0`), drawn as markers.
    xlim, ylim : (float, float)
        The window traced.
    resolution : int
        The grid size (points per side) of the last marching-squares pass.
    grid : (xs, ys, G)
        A grid over the window and a function on it that is positive exactly inside
        the region (for an inequality or an And/Or/Not; NaN where undefined), or
        the values of ``f`` for an equation.
    dashed : tuple of bool
        For each line: whether it bounds a strict inequality (drawn dashed).
    relation : str
        ``"="``, ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"region"``.
    notes : tuple of str
        What the picture alone does not say: real branches taken, parts of the window
        where the formula has no real value, isolated points, nothing found.
    """

    lines: list[np.ndarray]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    resolution: int
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    dashed: tuple[bool, ...] = ()
    relation: str = "="
    notes: tuple[str, ...] = ()


def _margin(f_values: np.ndarray, op: str) -> np.ndarray:
    """Positive exactly where ``f op 0`` holds (for '=': only on the curve, where it is 0)."""
    if op in ("<", "<="):
        return -f_values
    if op in (">", ">="):
        return f_values
    if op == "!=":
        return np.abs(f_values)
    return -np.abs(f_values)


def _combine(obj: sp.Basic, margins: dict[sp.Basic, np.ndarray]) -> np.ndarray:
    """The region's margin: min over And, max over Or, minus for Not."""
    if isinstance(obj, sp.Rel):
        return margins[obj]
    parts = [_combine(a, margins) for a in obj.args]
    if isinstance(obj, And):
        return np.minimum.reduce(parts)
    if isinstance(obj, Or):
        return np.maximum.reduce(parts)
    if isinstance(obj, Not):
        return -parts[0]
    raise TypeError(f"cannot combine {obj!r}")


def _truth(obj: sp.Basic, values: dict[sp.Basic, np.ndarray]) -> np.ndarray:
    if isinstance(obj, sp.Rel):
        return values[obj]
    parts = [_truth(a, values) for a in obj.args]
    if isinstance(obj, And):
        return np.logical_and.reduce(parts)
    if isinstance(obj, Or):
        return np.logical_or.reduce(parts)
    return ~parts[0]


def _holds(f_values: np.ndarray, op: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return {
            "<": f_values < 0, "<=": f_values <= 0, ">": f_values > 0, ">=": f_values >= 0,
            "=": f_values == 0, "!=": f_values != 0,
        }[op]  # fmt: skip


def _runs(pts: np.ndarray, good: np.ndarray) -> list[np.ndarray]:
    """Split *pts* into the maximal runs of good points with at least two points."""
    out = []
    idx = np.flatnonzero(good)
    if idx.size == 0:
        return out
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        if run.size >= 2:
            out.append(pts[run])
    return out


def _fmt(v: float) -> str:
    s = f"{v:.4g}"
    return "0" if s in ("-0", "0", "-0.0") else s


def implicit_curve(
    expr: Any,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    resolution: int = 1025,
    max_turn_degrees: float = 5.0,
    time_budget: float = 30.0,
) -> ImplicitCurve:
    r"""Trace :math:`f(x, y) = 0` (or a region's boundary) as polylines and isolated points.

    1. Evaluate :math:`f` (compiled by symnn's compiler; real branches of odd
       roots) on an :math:`n \times n` grid, :math:`n = 129` first, and run
       marching squares with every edge root bisected to machine precision, also
       next to poles and the edges of :math:`f`'s domain
       (:func:`symnn.curves.tracing.crossings`).
    2. If a line turns by more than ``max_turn_degrees`` between two segments,
       double the grid (:math:`n \to 2n - 1`) and start again, up to ``resolution``.
    3. Add the zeros without a sign change -- touching sets such as
       :math:`(x^2+y^2-1)^2 = 0` and isolated points such as :math:`x^2+y^2 = 0`
       -- and the pieces smaller than a grid cell
       (:func:`symnn.curves.tracing.hidden_zeros`).

    An inequality traces its boundary (``dashed`` when strict); an ``And``/``Or``/``Not``
    of relations traces, for each relation, the part of its boundary curve
    where it decides the region.  ``grid`` holds a function positive inside.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> c = implicit_curve(x**2 + y**2 + x*y - 1)
    >>> pts = c.lines[0]
    >>> bool(np.abs(pts[:, 0]**2 + pts[:, 1]**2 + pts[:, 0]*pts[:, 1] - 1).max() < 1e-12)
    True
    >>> c = implicit_curve("x^2 + y^2")  # one point: drawn as a marker
    >>> c.lines, c.points.round(9) + 0.0, c.notes
    ([], array([[0., 0.]]), ('the solution set is the single point (0, 0)',))

    Parameters
    ----------
    expr : str, sympy.Expr, sympy.Eq, an inequality, or an And/Or/Not of relations
        The curve (an expression means "= 0").
    xlim, ylim : (float, float), optional
        The window; by default :func:`symnn.curves.implicit_window`.
    x, y : sympy.Symbol, optional
        The plane variables.
    resolution : int
        Largest grid size (points per side).
    max_turn_degrees : float
        Smoothness goal: the largest angle between consecutive segments.
    time_budget : float
        Seconds the tracing may take; beyond, a ValueError says what to change.

    Returns
    -------
    ImplicitCurve
    """
    if not isinstance(resolution, int | np.integer) or resolution < 9:
        raise ValueError(
            f"resolution must be an integer >= 9 (grid points per side), got {resolution!r}"
        )
    if resolution > 8193:
        raise ValueError(
            f"resolution must be at most 8193 grid points per side (67 million values), "
            f"got {resolution}"
        )
    obj = as_expr(expr)
    f_all = boundary_expr(obj)
    x, y = xy_symbols(f_all, x, y)
    budget = Budget(time_budget, f"drawing {text(obj, 60)}")
    xlim, ylim = window_or_default(obj, x, y, xlim, ylim)
    if is_region(obj):
        atoms: list[sp.Basic] = region_atoms(obj)
        relation = "region"
    else:
        atoms = [obj]
        relation = split_relation(obj)[1]
    fields, traces, ops = [], [], []
    for atom in atoms:
        f, op = split_relation(atom)
        fld = Field(f, x, y)
        fields.append(fld)
        ops.append(op)
        traces.append(trace(fld, xlim, ylim, int(resolution), max_turn_degrees, budget))
    first = traces[0]
    xs, ys = first.xs, first.ys
    notes: list[str] = []
    for fld in fields:
        notes.extend(n for n in fld.notes if n not in notes)

    if relation == "=":
        lines, points, dashed = first.lines, first.points, [False] * len(first.lines)
        grid = (xs, ys, first.Z)
        undefined = np.isnan(first.Z)
    else:
        X, Y = np.meshgrid(xs, ys)
        values = {a: (first.Z if k == 0 else fields[k](X, Y)) for k, a in enumerate(atoms)}
        G = _combine(
            obj if relation == "region" else atoms[0],
            {a: _margin(v, op) for (a, v), op in zip(values.items(), ops, strict=True)},
        )
        grid = (xs, ys, G)
        undefined = np.isnan(G)
        lines, dashed, pts = [], [], []
        for k, (atom, tr) in enumerate(zip(atoms, traces, strict=True)):
            for line in tr.lines:
                if relation != "region":
                    lines.append(line)
                    dashed.append(ops[k] not in INCLUSIVE)
                    continue
                keep = _decides(obj, atoms, fields, ops, k, line)
                inside = _included(obj, atoms, fields, ops, k, line)
                for good, is_dashed in ((keep & inside, False), (keep & ~inside, True)):
                    for run in _runs(line, good):
                        lines.append(run)
                        dashed.append(is_dashed)
            if len(tr.points):
                keep = (_decides(obj, atoms, fields, ops, k, tr.points) if len(atoms) > 1
                        else np.ones(len(tr.points), dtype=bool))  # fmt: skip
                pts.append(tr.points[keep])
            del atom
        points = np.concatenate(pts) if pts else np.zeros((0, 2))
    share = float(undefined.mean())
    if share >= UNDEFINED_NOTE:
        notes.append(
            f"{text(f_all, 60)} has no real value on about {100 * share:.0f}% of the window "
            "(for example a square root or logarithm of a negative number); "
            "nothing can be drawn there"
        )
    if len(points):
        shown = ", ".join(f"({_fmt(px)}, {_fmt(py)})" for px, py in points[:5])
        more = f" and {len(points) - 5} more" if len(points) > 5 else ""
        if not lines and len(points) == 1 and relation == "=":
            notes.append(f"the solution set is the single point {shown}")
        else:
            noun = "point" if len(points) == 1 else "points"
            notes.append(f"isolated {noun} of the solution set: {shown}{more}")
    if not lines and not len(points) and relation in ("=", "region"):
        notes.append("no point of the curve was found in this window")
    return ImplicitCurve(
        lines=lines, xlim=xlim, ylim=ylim, resolution=first.n, grid=grid, points=points,
        dashed=tuple(dashed), relation=relation, notes=tuple(notes),
    )  # fmt: skip


def _others(
    atoms: list[sp.Basic], fields: list[Field], ops: list[str], k: int, pts: np.ndarray
) -> dict[sp.Basic, np.ndarray]:
    """The truth of every relation but relation *k* at *pts*."""
    return {
        atom: _holds(fld(pts[:, 0], pts[:, 1]), op)
        for m, (atom, fld, op) in enumerate(zip(atoms, fields, ops, strict=True))
        if m != k
    }


def _included(
    obj: sp.Basic, atoms: list[sp.Basic], fields: list[Field], ops: list[str], k: int,
    pts: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Whether points of relation *k*'s curve f_k = 0 belong to the region (solid, not dashed).

    On the curve relation *k* holds exactly when it admits equality (<=, >=, =); a ``Not``
    turns that round: the boundary of ``not (x^2 + y^2 <= 1)`` is not in the region.
    """
    on_curve = np.full(len(pts), ops[k] in INCLUSIVE)
    return _truth(obj, {**_others(atoms, fields, ops, k, pts), atoms[k]: on_curve})


def _decides(
    obj: sp.Basic, atoms: list[sp.Basic], fields: list[Field], ops: list[str], k: int,
    pts: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Whether relation *k* decides the region at points of its boundary curve."""
    values = _others(atoms, fields, ops, k, pts)
    on = _truth(obj, {**values, atoms[k]: np.ones(len(pts), dtype=bool)})
    off = _truth(obj, {**values, atoms[k]: np.zeros(len(pts), dtype=bool)})
    return on != off


def implicit_cells(
    expr: Any,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    depth: int = 0,
) -> np.ndarray:
    r"""The cells ``sympy.plot_implicit`` paints for ``expr``: rows ``(x0, x1, y0, y1)``.

    ``sympy.plot_implicit`` (Tupper's interval arithmetic, as in the seed) splits the
    window into :math:`32 \times 32` cells and subdivides every cell on which the
    interval value of :math:`f` neither excludes nor fully satisfies the relation,
    ``5 + depth`` times: the cells are :math:`2^{-(10 + \text{depth})}` of the window.
    It is called with ``show=False`` and SymPy's backend-free base ``Plot`` class, so
    no matplotlib figure is made; its series' data are returned as an array.  When
    SymPy cannot use interval arithmetic (unsupported functions) it falls back
    to a uniform grid and this function raises ValueError.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> cells = implicit_cells(x**2 + y**2 - 1, (-2, 2), (-2, 2))
    >>> cells.shape[1], bool(len(cells) > 100)
    (4, True)

    Parameters
    ----------
    expr : str, sympy.Expr, sympy.Eq, an inequality or an And/Or of them
    xlim, ylim : (float, float), optional
        The window; by default :func:`symnn.curves.implicit_window`.
    x, y : sympy.Symbol, optional
    depth : int
        SymPy's extra refinement depth, 0 to 4.
    """
    import warnings

    from sympy.plotting.backends.base_backend import Plot

    if not isinstance(depth, int) or not 0 <= depth <= 4:
        raise ValueError(
            f"depth must be an integer from 0 to 4 (sympy.plot_implicit's range), got {depth!r}"
        )
    obj = as_expr(expr)
    x, y = xy_symbols(boundary_expr(obj), x, y)
    xlim, ylim = window_or_default(obj, x, y, xlim, ylim)
    if not is_region(obj):
        f, op = split_relation(obj)
        obj = RELATIONS[op](f, 0)
    # SymPy's interval arithmetic mishandles Ne (it paints the curve itself): f != 0 is f < 0 or f > 0
    obj = obj.replace(
        lambda e: isinstance(e, sp.Ne), lambda e: sp.Or(e.lhs - e.rhs < 0, e.lhs - e.rhs > 0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plot = sp.plot_implicit(
            obj, (x, *xlim), (y, *ylim), show=False, adaptive=True, depth=depth, backend=Plot
        )
        data = plot[0].get_data()
    if data[-1] != "fill":
        raise ValueError(
            f"sympy.plot_implicit cannot use interval arithmetic for {text(obj)}; "
            "use method='contour'"
        )
    cells = [(ix.start, ix.end, iy.start, iy.end) for ix, iy in data[0]]
    return np.array(cells, dtype=float).reshape(-1, 4)
