"""High-precision oracles shared by the tests: mpmath evaluation of a SymPy expression.

The oracle evaluates the *same* SymPy expression that symnn compiles, at a
precision high enough that no cancellation inside the expression reaches a
float64 result (1 + erf(-x/sqrt 2) cancels 88 digits at x = -20; 400 digits
resolve every value above 1e-300, plus 2.5 digits per decade below |x| = 1 for
cancellations that grow like 1/x^2 there, such as sinc' = (x cos x - sin x)/x^2).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from symnn.expr.functions import to_elementary

DPS = 400


def mp_function(expr: sp.Expr, x: sp.Symbol, params: dict | None = None):
    """An mpmath function of one real argument for *expr* (parameters at their float defaults)."""
    subs = {p: sp.Float(float(v), 60) for p, v in (params or {}).items()}
    elem = to_elementary(expr.xreplace(subs))
    fn = sp.lambdify(x, elem, modules="mpmath")

    def value(t: float):
        # tiny |t| cancel more: (t cos t - sin t)/t^2 loses 2 log10(1/|t|) digits
        extra = int(2.5 * max(0.0, -math.log10(abs(t)))) if 0 < abs(t) < 1 else 0
        with mpmath.workdps(DPS + extra):
            try:
                out = fn(mpmath.mpf(t))
                if isinstance(out, mpmath.mpc):
                    out = out.real
                if mpmath.isnan(out):
                    raise ZeroDivisionError
                return mpmath.mpf(out)
            except ZeroDivisionError:  # a removable singularity (sinc' at 0): take the limit
                lim = sp.limit(elem, x, sp.Float(t, 60))
                return mpmath.mpf(sp.N(lim, DPS))

    return value


def true_zeros(xs: np.ndarray, values: list) -> list[float]:
    """Zeros of the true function on a sorted grid: exact zeros and refined sign changes."""
    zeros = [float(t) for t, v in zip(xs, values, strict=True) if v == 0]
    for i in range(len(xs) - 1):
        a, b = values[i], values[i + 1]
        if a != 0 and b != 0 and (a > 0) != (b > 0):
            zeros.append(0.5 * (xs[i] + xs[i + 1]))  # refined below by the caller if needed
    return zeros


def refine_zero(f, lo: float, hi: float, iters: int = 60) -> float:
    """Bisection on a sign change of the oracle *f* between lo and hi."""
    flo = f(lo)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if fm == 0:
            return mid
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def accuracy_grid(kinks: list[float] = ()) -> np.ndarray:
    """[-1000, 1000], dense near 0, with +-0, +-1e-300 and every kink (and its neighbours)."""
    parts = [
        np.linspace(-1000, 1000, 1001),
        np.linspace(-40, 40, 801),
        np.linspace(-3, 3, 241),
        np.logspace(-300, 3, 304),
        -np.logspace(-300, 3, 304),
        np.array([0.0, -0.0, 1e-300, -1e-300, 1e-308, -1e-308]),
    ]
    for k in kinks:
        k = float(k)
        near = [k, np.nextafter(k, -math.inf), np.nextafter(k, math.inf), k - 1e-9, k + 1e-9]
        parts.append(np.array([*near, k - 0.001, k + 0.001, k - 0.5, k + 0.5]))
    grid = np.concatenate(parts)
    # keep -0.0 as its own point: np.unique would merge it with 0.0
    uniq = np.unique(grid)
    return np.concatenate([uniq, [-0.0]])
