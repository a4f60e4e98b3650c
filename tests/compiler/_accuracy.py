"""An accuracy check for compiled functions against mpmath, with precision that grows with |x|.

The requirement of the compiler's stable forms: relative error <= 1e-12 wherever the
true value is a normal float64, no NaN/inf where it is finite, no floating-point
warnings (NumPy's defaults: underflow is silent). The oracle evaluates the *same*
SymPy expression at ``60 + 3*|log10 |x||`` digits, enough for the cancellations of
``x + sqrt(x**2 + 4)`` or ``x + 0.044715*x**3`` at ``x = -1e300``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from symnn.expr.functions import to_elementary

TINY = 2.2250738585072014e-308  # the smallest normal float64
HUGE = 1.7976931348623157e308


def oracle(expr: sp.Expr, x: sp.Symbol, params: dict | None = None):
    """mpmath function of one float for *expr* (parameters substituted exactly)."""
    subs = {p: sp.nsimplify(v) if isinstance(v, float) else v for p, v in (params or {}).items()}
    elem = to_elementary(expr.xreplace(subs))
    # the documented convention: the derivative of a jump is 0 (almost everywhere)
    elem = elem.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    elem = elem.replace(lambda e: isinstance(e, sp.Derivative), lambda e: sp.S.Zero)
    fn = sp.lambdify(x, elem, modules="mpmath")

    def value(t: float):
        digits = (
            400 + 3 * int(abs(math.log10(abs(t)))) if t not in (0.0,) and math.isfinite(t) else 400
        )
        with mpmath.workdps(digits):
            out = fn(mpmath.mpf(t))
            if isinstance(out, mpmath.mpc):
                if abs(out.imag) > abs(out.real) * mpmath.mpf(10) ** (-digits // 2):
                    return mpmath.nan
                out = out.real
            return mpmath.mpf(out)

    return value


def root_neighbours(roots) -> list[float]:
    """Points next to each root or breakpoint x0: x0 +- k ulp, +- 1e-15, 1e-12, 1e-8, 1e-4."""
    out = []
    for r in roots:
        r = float(r)
        out.append(r)
        lo = hi = r
        for _ in range(4):
            lo, hi = np.nextafter(lo, -np.inf), np.nextafter(hi, np.inf)
            out += [float(lo), float(hi)]
        for d in (1e-15, 1e-12, 1e-8, 1e-4):
            out += [r - d * max(1.0, abs(r)), r + d * max(1.0, abs(r))]
    return out


def grid(roots=(), extra=()) -> np.ndarray:
    """[-1000, 1000] dense near 0, out to +-1e300, plus the neighbours of *roots*."""
    mags = np.logspace(-300, 300, 241)
    parts = [
        np.linspace(-1000, 1000, 401),
        np.linspace(-10, 10, 201),
        mags,
        -mags,
        [0.0, 1e-308, -1e-308, 1e200, -1e200, 1e300, -1e300],
        root_neighbours(roots),
        list(extra),
    ]
    return np.unique(np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]))


def failures(fn, expr, x, params=None, roots=(), xs=None, rel=1e-12) -> list[str]:
    """Descriptions of the points where *fn* misses the requirement (empty: all good)."""
    xs = grid(roots) if xs is None else np.asarray(xs, dtype=np.float64)
    true_fn = oracle(expr, x, params)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = np.asarray(fn(xs), dtype=np.float64)
    bad = []
    for t, g in zip(xs, got, strict=True):
        v = true_fn(float(t))
        if mpmath.isnan(v):
            continue  # not real there
        if abs(v) > HUGE:
            continue  # overflows: inf is right
        if not np.isfinite(g):
            bad.append((math.inf, t, g, v))
        elif abs(v) < TINY:
            if abs(g) > 2 * TINY:
                bad.append((math.inf, t, g, v))
        else:
            err = float(abs((mpmath.mpf(float(g)) - v) / v))
            if err > rel:
                bad.append((err, t, g, v))
    bad.sort(key=lambda b: -b[0])
    return [
        f"x={t!r}: got {g!r}, true {mpmath.nstr(v, 17)} (rel err {e:.3g})" for e, t, g, v in bad[:6]
    ] + ([f"... {len(bad)} failures in all"] if len(bad) > 6 else [])
