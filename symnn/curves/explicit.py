r"""Explicit curves :math:`y = f(x)`: samples with poles and jumps cut out, and a y-range.

* :func:`explicit_curve` samples :math:`y = f(x)` (compiled by
  :func:`symnn.curves.numeric.real_function`, so through symnn's compiler) and
  cuts the polyline at poles and jumps;
* :func:`explicit_ylim` picks a y-range that poles do not blow up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from symnn._validation import check_window
from symnn.curves._input import as_expr, text
from symnn.curves.numeric import real_function

__all__ = ["explicit_curve", "explicit_ylim", "single_variable"]


def single_variable(expr: Any, x: sp.Symbol | None) -> tuple[sp.Expr, sp.Symbol]:
    """Return ``(f, x)`` for an explicit curve given as ``f``, ``y = f`` or ``f = y``.

    >>> single_variable("y = x^2", None)
    (x**2, x)
    """
    obj = as_expr(expr)
    if isinstance(obj, sp.Eq):
        lhs, rhs = obj.lhs, obj.rhs
        if isinstance(lhs, sp.Symbol) and lhs not in rhs.free_symbols and lhs.name == "y":
            obj = rhs
        elif isinstance(rhs, sp.Symbol) and rhs not in lhs.free_symbols and rhs.name == "y":
            obj = lhs
        else:
            raise ValueError(
                f"plot draws explicit curves y = f(x); {text(obj.lhs)} = {text(obj.rhs)} is an "
                "equation in two variables, "
                "draw it with plot_implicit"
            )
    if not isinstance(obj, sp.Expr):
        raise ValueError(f"plot draws explicit curves y = f(x), got the relation {text(obj)}")
    free = sorted(obj.free_symbols, key=lambda s: s.name)
    if x is None:
        if len(free) > 1:
            raise ValueError(
                f"plot draws y = f(x) in one variable, but {text(obj)} has the symbols "
                f"{', '.join(s.name for s in free)}; substitute numbers for the others"
            )
        x = free[0] if free else sp.Symbol("x", real=True)
    elif obj.free_symbols - {x}:
        raise ValueError(f"{text(obj)} has symbols other than {x}; substitute numbers for them")
    return obj, x


def explicit_curve(
    expr: Any,
    xlim: tuple[float, float] = (-10.0, 10.0),
    n: int = 2000,
    x: sp.Symbol | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sample :math:`y = f(x)` on ``n`` points with NaN where the curve must not be joined.

    Between every pair of neighbouring samples the interval is bisected 30 times,
    always keeping the half with the larger change of :math:`f`.  For a continuous
    :math:`f` that change shrinks with the interval (to about :math:`2^{-30}` of
    its start); at a pole it grows and at a jump it stays.  So where it does not
    shrink below :math:`10^{-3}` of its start, or :math:`f` is undefined in
    between, the curve is cut: the two innermost bisection points (right next to
    the pole or jump) are added and a NaN separates them, so no segment joins
    :math:`+\infty` and :math:`-\infty`.  Undefined values (complex, infinite, NaN)
    are NaN too.

    Examples
    --------
    >>> xs, ys = explicit_curve(1 / sp.Symbol("x"), (-1, 1), n=10)
    >>> int(np.isnan(ys).sum())  # one cut at the pole x = 0
    1

    Parameters
    ----------
    expr : str or sympy.Expr
        ``f(x)``; an equation ``y = f(x)`` is accepted too.
    xlim : (float, float)
        The x-range.
    n : int
        Number of regular samples (at least 2).
    x : sympy.Symbol, optional
        The variable; by default the expression's only symbol.

    Returns
    -------
    xs, ys : numpy arrays of the same length (more than ``n`` when cuts were added).
    """
    if not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (number of samples), got {n!r}")
    xlim = check_window("xlim", xlim)
    f, x = single_variable(expr, x)
    F = real_function(f, [x], "the curve")
    xs = np.linspace(*xlim, int(n))
    ys = F(xs)
    a, b = xs[:-1].copy(), xs[1:].copy()
    fa, fb = ys[:-1].copy(), ys[1:].copy()
    both = np.isfinite(fa) & np.isfinite(fb)
    jump0 = np.abs(fb - fa)
    undefined = np.zeros(len(a), dtype=bool)
    for _ in range(30):
        m = 0.5 * (a + b)
        fm = F(m)
        undefined |= both & ~np.isfinite(fm)
        left = np.abs(fm - fa) >= np.abs(fb - fm)
        b, fb = np.where(left, m, b), np.where(left, fm, fb)
        a, fa = np.where(left, a, m), np.where(left, fa, fm)
    with np.errstate(invalid="ignore"):
        kept = np.abs(fb - fa) > 1e-3 * jump0
    scale = np.nanmax(np.abs(ys)) if np.isfinite(ys).any() else 1.0
    cut = both & (undefined | (kept & (jump0 > 1e-12 * (1 + scale))))
    out_x, out_y = [], []
    start = 0
    for i in np.flatnonzero(cut):
        out_x.append(xs[start : i + 1])
        out_y.append(ys[start : i + 1])
        inner_x = [a[i], np.nan, b[i]]
        inner_y = [fa[i], np.nan, fb[i]]
        out_x.append(np.array(inner_x))
        out_y.append(np.array(inner_y))
        start = i + 1
    out_x.append(xs[start:])
    out_y.append(ys[start:])
    return np.concatenate(out_x), np.concatenate(out_y)


def explicit_ylim(*ys: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    r"""A y-range for sampled curves that poles do not blow up.

    The range of the finite values, padded by ``margin``; when the extremes lie
    far outside the bulk (the full range exceeds 5 times the range between the
    2nd and 98th percentiles, as near a pole), the range is the percentile range
    widened by half of it on each side instead.

    Examples
    --------
    >>> explicit_ylim(np.array([0.0, 1.0]))
    (-0.05, 1.05)

    Parameters
    ----------
    *ys : arrays
        Sampled values (NaN ignored).
    margin : float
        Padding as a fraction of the range.
    """
    vals = np.concatenate([np.ravel(v) for v in ys]) if ys else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(vals.min()), float(vals.max())
    q_lo, q_hi = (float(q) for q in np.percentile(vals, [2, 98]))
    if hi - lo > 5 * (q_hi - q_lo) and q_hi > q_lo:
        spread = q_hi - q_lo
        lo, hi = max(lo, q_lo - 0.5 * spread), min(hi, q_hi + 0.5 * spread)
    if hi - lo <= 1e-12 * (1 + abs(hi)):
        return (lo - 1.0, hi + 1.0)
    pad = margin * (hi - lo)
    return (lo - pad, hi + pad)
