r"""An activation at its kinks: the value taken there and the two one-sided limits.

At a kink :math:`x_0` a piecewise activation switches formula.  The function or
its derivative may jump there; then three numbers matter: the limit from the
left :math:`\lim_{x \to x_0^-}`, the limit from the right
:math:`\lim_{x \to x_0^+}`, and the value the definition takes *at* :math:`x_0`
(symnn follows PyTorch: ReLU'(0) = 0, the left branch).

>>> import symnn as sn
>>> (k,) = kinks(sn.activation("relu"), order=1)
>>> k
Kink(x=0.0, value=0.0, left=0.0, right=1.0)
>>> k.jumps, k.not_taken
(True, [1.0])

:func:`pieces` samples the function (or a derivative) on a grid, split where
it jumps, so that a plot joins no two pieces with a vertical line.  The
mathematics here is symbolic (exact one-sided limits of the SymPy branches)
and the numbers are the compiled functions' own, so a plot shows exactly what
training computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symnn._validation import check_window, exact_number
from symnn.analysis.properties import branch_at
from symnn.catalogue.activations import Activation
from symnn.catalogue.activations import activation as get_activation
from symnn.expr.symbolic import breakpoints

__all__ = ["Kink", "kinks", "pieces"]

_REL, _ABS = 1e-9, 1e-12


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL, abs_tol=_ABS) or (
        math.isinf(a) and math.isinf(b) and (a > 0) == (b > 0)
    )


@dataclass(frozen=True)
class Kink:
    """One kink of an activation (or of its derivative): where, the value taken, the limits."""

    x: float
    value: float
    left: float
    right: float

    @property
    def jumps(self) -> bool:
        """True when the value or a one-sided limit differs from the others (a discontinuity)."""
        return not (_close(self.left, self.value) and _close(self.right, self.value))

    @property
    def not_taken(self) -> list[float]:
        """The one-sided limits that differ from the value taken (none, one, or both)."""
        out: list[float] = []
        for lim in (self.left, self.right):
            if not _close(lim, self.value) and not any(_close(lim, o) for o in out):
                out.append(lim)
        return out


def _exact_expr(act: Activation, order: int) -> sp.Expr:
    """The derivative of the given order with the parameters as exact numbers."""
    subs = {p: exact_number(float(v)) for p, v in act.params.items()}
    return act.diff(order).xreplace(subs)


def _one_sided(branch: sp.Expr, x: sp.Symbol, point: sp.Expr, side: str) -> float:
    value = branch.subs(x, point)
    if not (value.is_number and value.is_finite):
        value = sp.limit(branch, x, point, dir=side)
    try:
        return float(value)
    except TypeError:  # e.g. an oscillating limit (AccumBounds)
        return math.nan


def _check_order(order: object) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise ValueError(f"order must be a non-negative integer (0 = the function), got {order!r}")
    return int(order)


def _evaluate(act: Activation, values: np.ndarray, order: int) -> np.ndarray:
    # a user's function may be undefined at a point (sqrt(|x|)' at 0): NaN, drawn as a gap
    with np.errstate(all="ignore"):
        return act(values) if order == 0 else act.grad(values, order=order)


def kinks(
    act: Activation | str, order: int = 0, within: tuple[float, float] | None = None
) -> list[Kink]:
    r"""The activation's kinks with the value taken and the one-sided limits of its *order*-th derivative.

    The limits are exact (the SymPy branch on each side, evaluated at the kink,
    or ``sympy.limit`` where that is undefined); the value taken is the
    compiled function's, i.e. what training uses.

    Examples
    --------
    >>> import symnn as sn
    >>> [(k.x, k.value, k.left, k.right) for k in kinks(sn.activation("hard_tanh"), order=1)]
    [(-1.0, 0.0, 0.0, 1.0), (1.0, 0.0, 1.0, 0.0)]
    >>> kinks("binary_step")[0].not_taken
    [0.0]

    Parameters
    ----------
    act : Activation or str
        The activation (a name is looked up in the catalogue).
    order : int
        0 for the function, 1 for its derivative, ...
    within : (float, float), optional
        Keep only kinks in this closed interval.

    Returns
    -------
    list of Kink, sorted by position.
    """
    act = act if isinstance(act, Activation) else get_activation(act)
    order = _check_order(order)
    x = act.symbol
    every = breakpoints(_exact_expr(act, 0), x)
    points = every
    if within is not None:
        lo, hi = (float(v) for v in within)
        points = [p for p in every if lo <= float(p) <= hi]
    if not points:
        return []
    expr = _exact_expr(act, order)
    out = []
    for p in points:
        i = every.index(p)
        before = every[i - 1] if i > 0 else p - 2
        after = every[i + 1] if i + 1 < len(every) else p + 2
        left = _one_sided(branch_at(expr, x, (before + p) / 2), x, p, "-")
        right = _one_sided(branch_at(expr, x, (p + after) / 2), x, p, "+")
        value = float(_evaluate(act, np.float64(float(p)), order))
        out.append(Kink(float(p), value, left, right))
    return out


def pieces(
    act: Activation | str, xlim: tuple[float, float], n: int = 2001, order: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""Sample the *order*-th derivative on a grid, split into pieces where it jumps.

    The grid is ``numpy.linspace(*xlim, n)`` with the kinks inside ``xlim``
    added.  At a kink where the function jumps, the kink itself goes with the
    piece whose one-sided limit equals the value taken (ReLU'(0) = 0 joins the
    left piece); if neither does, it belongs to no piece.  Every point is
    ``(x, f(x))`` computed by the compiled function, so consecutive points of
    a piece never straddle a jump.

    Examples
    --------
    >>> import symnn as sn
    >>> [(xs.min(), xs.max()) for xs, _ in pieces(sn.activation("relu"), (-1, 1), n=5, order=1)]
    [(np.float64(-1.0), np.float64(0.0)), (np.float64(0.5), np.float64(1.0))]

    Parameters
    ----------
    act : Activation or str
    xlim : (float, float)
        The interval, ``xlim[0] < xlim[1]``.
    n : int
        Grid points (at least 2) before the kinks are added.
    order : int
        0 for the function, 1 for its derivative, ...

    Returns
    -------
    list of (xs, ys) arrays.
    """
    act = act if isinstance(act, Activation) else get_activation(act)
    lo, hi = check_window("xlim", xlim)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n (grid points) must be an integer of at least 2, got {n!r}")
    found = kinks(act, order, within=(lo, hi))
    grid = np.union1d(np.linspace(lo, hi, int(n)), [k.x for k in found])
    ys = _evaluate(act, grid, _check_order(order))
    keep = np.ones(grid.size, dtype=bool)
    cuts = []  # start indices of new pieces
    for k in found:
        if not k.jumps:
            continue
        i = int(np.searchsorted(grid, k.x))
        if _close(k.value, k.left):
            cuts.append(i + 1)
        elif _close(k.value, k.right):
            cuts.append(i)
        else:
            keep[i] = False
            cuts += [i, i + 1]
    out = []
    for a, b in zip([0, *cuts], [*cuts, grid.size], strict=True):
        sel = np.arange(a, b)
        sel = sel[keep[sel]]
        if sel.size:
            out.append((grid[sel], ys[sel]))
    return out
