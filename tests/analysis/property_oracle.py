"""An independent numeric oracle for the properties of a function of one real variable.

It knows nothing of symnn's analysis: it evaluates the SymPy expression with
mpmath at high precision (``lambdify`` to mpmath, symnn's named functions
written out) and decides each property from samples:

* range: the lowest and highest sampled value (dense on [-20, 20], geometric
  out to 1e6, and next to every breakpoint), the extremes refined by a root of
  the numeric derivative, and the limits at +-1e6, 1e12, 1e24; an end is
  *closed* when the extreme is reached at a finite point, *open* when it is
  only approached at +-infinity (a sample that ties with the limit only to 50
  digits, where ``sympy.diff``'s f' is nonzero, does not reach it);
* monotonicity: the signs of the differences of consecutive samples (exact
  zeros inside the window count as flat where f' is exactly 0 there, and by
  the sign of f' otherwise; differences below the working precision in the
  tails are ignored); the derivative by central differences;
* f(0) by evaluation, f'(0) by central differences (one-sided ones at a kink,
  where the claimed value must be one of them: a convention);
* continuity at a breakpoint: one-sided limits of f, f', f'', ... from
  mpmath's numeric differentiation at distance 1e-20 from the point, at a
  precision high enough that the k-th difference quotient is exact; a jump
  counts when it exceeds how much those limits still move between distances
  1e-18 and 1e-20 (a threshold that follows the function, not a fixed one).

Each check returns a list of reasons it could not decide (empty: decided);
the tests skip with those reasons instead of passing silently.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import mpmath
import sympy as sp

from symnn.expr.functions import to_elementary

DPS = 50
WINDOW = 20


def _heaviside(u, h0="0.5"):
    return mpmath.mpf(1) if u > 0 else mpmath.mpf(0) if u < 0 else mpmath.mpf(h0)


#: Beyond this exponent e^t is 0 or +inf at every precision used here: mpmath computes e^t to
#: about log2(t) extra bits, so e^(-e^(1e24)) (cloglog far out) runs out of memory.
_EXP_CUT = mpmath.mpf(10) ** 1000


def _exp(t):
    """mpmath's exp, 0 / +inf for real t beyond +-1e1000.

    e^(-1e1000) is 10^(-4e999): 1 - e^(-1e1000) is 1 to every precision used here (at most a
    few hundred digits), so cloglog's far values are exact; the samples inside the window
    (|x| <= 20, e^x <= 5e8) go to mpmath unchanged.
    """
    if isinstance(t, mpmath.mpf) and abs(t) > _EXP_CUT:
        return mpmath.inf if t > 0 else mpmath.mpf(0)
    return mpmath.exp(t)


@functools.lru_cache(maxsize=256)
def mp_function(expr: sp.Expr, x: sp.Symbol):
    """*expr* as an mpmath function; nan where it has no real value."""
    modules = [{"Heaviside": _heaviside, "exp": _exp}, "mpmath"]
    fn = sp.lambdify(x, to_elementary(expr), modules=modules)

    def value(t):
        try:
            out = fn(mpmath.mpf(t))
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan
        if isinstance(out, mpmath.mpc):
            if abs(out.imag) > mpmath.mpf(10) ** (-DPS + 5) * (1 + abs(out.real)):
                return mpmath.nan
            out = out.real
        return mpmath.mpf(out)

    return value


@functools.lru_cache(maxsize=256)
def slope_function(expr: sp.Expr, x: sp.Symbol):
    """f' (``sympy.diff``, DiracDelta taken as 0) as an mpmath function; nan where undefined.

    It tells a rounded tie from a flat piece: 1 - e^(-e^x) is 1 to 50 digits for x > 5, yet
    its derivative e^(x - e^x) is a positive mpf there, while ReLU's is exactly 0 for x < 0.
    """
    fprime = sp.diff(expr, x).replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: 0)
    return mp_function(fprime, x)


def _tails() -> list[mpmath.mpf]:
    far = [mpmath.mpf(WINDOW) * mpmath.power(10, mpmath.mpf(k) / 8) for k in range(1, 40)]
    return far  # 20 * 10^(1/8) ... ~ 1.5e6


@dataclass
class Samples:
    ts: list  # sorted sample points
    vs: list  # f there
    breakpoints: list  # mpf


@functools.lru_cache(maxsize=128)
def samples(expr: sp.Expr, x: sp.Symbol, breakpoints: tuple) -> Samples:
    f = mp_function(expr, x)
    with mpmath.workdps(DPS):
        pts = {mpmath.mpf(k) / 10 for k in range(-10 * WINDOW, 10 * WINDOW + 1)}
        pts |= {mpmath.mpf(k) / 50 for k in range(-150, 151)}
        pts |= set(_tails()) | {-t for t in _tails()}
        bps = [mpmath.mpf(sp.N(b, DPS)) for b in breakpoints]
        for b in bps:
            for d in ("1e-12", "1e-6", "1e-3"):
                pts |= {b - mpmath.mpf(d), b + mpmath.mpf(d)}
            pts.add(b)
        ts = sorted(pts)
        vs = []
        for t in ts:
            v = f(t)
            if mpmath.isnan(v):  # a removable singularity: its limit
                e = mpmath.mpf(10) ** -30
                v = (f(t - e) + f(t + e)) / 2
            vs.append(v)
    return Samples(ts, vs, bps)


def limit_at(expr: sp.Expr, x: sp.Symbol, sign: int):
    """("value", L) / ("inf", +-1) / ("none", spread) / ("?", reason) at sign*infinity."""
    f = mp_function(expr, x)
    with mpmath.workdps(DPS):
        ts = [sign * mpmath.mpf(10) ** k for k in (6, 12, 24)]
        vs = [f(t) for t in ts]
        if any(mpmath.isnan(v) for v in vs):
            return ("?", "no value far out")
        if abs(vs[2] - vs[1]) <= mpmath.mpf(10) ** -8 * (1 + abs(vs[2])):
            return ("value", vs[2])
        wiggle = [f(t + mpmath.mpf(k) * mpmath.mpf("0.7")) for t in ts for k in range(12)]
        growing = abs(vs[2]) > abs(vs[1]) + 1 > abs(vs[0]) + 2
        if growing and (all(w > 10 for w in wiggle) or all(w < -10 for w in wiggle)):
            return ("inf", 1 if vs[2] > 0 else -1)
        spread = max(wiggle) - min(wiggle)
        if spread > mpmath.mpf("0.1"):
            return ("none", spread)
        return ("?", f"neither converges nor oscillates clearly: {mpmath.nstr(vs[2], 8)}")


def refine_extreme(expr: sp.Expr, x: sp.Symbol, t0, lowest: bool):
    """A local extremum of f near the sample t0 (a root of the numeric f'), or None."""
    f = mp_function(expr, x)
    with mpmath.workdps(DPS):
        h = mpmath.mpf(10) ** -20
        try:
            root = mpmath.findroot(
                lambda t: (f(t + h) - f(t - h)) / (2 * h),
                t0,
                solver="secant",
                tol=mpmath.mpf(10) ** -30,
            )
        except (ValueError, ZeroDivisionError):
            return None
        if abs(root - t0) > 0.2:
            return None
        return root, f(root)


def derivative(expr: sp.Expr, x: sp.Symbol, t, order: int = 1, side: int = 0, offset="1e-20"):
    """f^(order) at t (side 0), or at t + side*offset: its one-sided limit from side +-1.

    Central differences with step offset/1000 (so the stencil stays on one side) at a
    precision where the order-th difference quotient is exact; at distance 1e-20 a smooth
    f^(order) is within 1e-20 * |f^(order+1)| of its limit, far below any real jump.
    """
    f = mp_function(expr, x)
    with mpmath.workdps(DPS + 25 * order):
        base = mpmath.mpf(t) + side * mpmath.mpf(offset)
        if order == 0:
            return f(base)
        h = mpmath.mpf(offset) / 1000
        return mpmath.diff(f, base, order, h=h)


def one_sided(expr: sp.Expr, x: sp.Symbol, t, order: int):
    """(left, right, resolution): the one-sided limits of f^(order) at t, and how far they can be
    off (how much each still moves between distances 1e-18 and 1e-20, times 100).

    A jump is real when abs(right - left) exceeds the resolution: the threshold follows the
    function, so PAU's derivative jump of 2 a0 |b1| = 2.2e-7 at 0 is seen, and a smooth
    f^(order) (left - right ~ 2e-20 * f^(order+1)) is not taken for a jump.
    """
    near = [derivative(expr, x, t, order, side=s) for s in (-1, 1)]
    far = [derivative(expr, x, t, order, side=s, offset="1e-18") for s in (-1, 1)]
    with mpmath.workdps(DPS):
        moved = max(abs(a - b) for a, b in zip(near, far, strict=True))
        floor = mpmath.mpf(10) ** (-DPS + 10) * (1 + abs(near[0]) + abs(near[1]))
        return near[0], near[1], 100 * moved + floor


def derivative_samples(expr: sp.Expr, x: sp.Symbol, s: Samples) -> tuple[list, list]:
    """Central-difference f' at the sample points at least 1e-6 from every breakpoint."""
    f = mp_function(expr, x)
    ts, ds = [], []
    with mpmath.workdps(DPS):
        h = mpmath.mpf(10) ** -15
        for t in s.ts:
            if any(abs(t - b) < mpmath.mpf(10) ** -6 for b in s.breakpoints):
                continue
            d = (f(t + h) - f(t - h)) / (2 * h)
            if mpmath.isnan(d):
                continue
            ts.append(t)
            ds.append(d)
    return ts, ds


def monotonicity(ts: list, vs: list, relative: float = 0.0, slope=None) -> str:
    """The verdict from the signs of consecutive differences (see the module docstring).

    With *slope* (f' as from :func:`slope_function`), two equal values count as flat only
    where f' is exactly 0 between them; otherwise the sign of f' there counts (the values
    agree to the working precision only: cloglog's 1 - e^(-e^x) for x > 5).
    """
    up = down = flat = False
    with mpmath.workdps(DPS):
        for (t0, a), (t1, b) in zip(
            zip(ts, vs, strict=True), zip(ts[1:], vs[1:], strict=True), strict=False
        ):
            d = b - a
            scale = max(abs(a), abs(b))
            inside = abs(t0) <= WINDOW and abs(t1) <= WINDOW
            if d == 0 or abs(d) <= relative * scale:
                s = slope((t0 + t1) / 2) if slope is not None and inside else mpmath.mpf(0)
                if mpmath.isnan(s) or s == 0:
                    flat |= inside
                else:
                    up |= s > 0
                    down |= s < 0
                continue
            if abs(d) <= mpmath.mpf(10) ** (-DPS + 8) * scale:
                continue  # below the working precision
            up |= d > 0
            down |= d < 0
    if up and down:
        return "no"
    if up:
        return "non-decreasing" if flat else "increasing"
    if down:
        return "non-increasing" if flat else "decreasing"
    return "constant"


def close(a, b, tol=1e-20) -> bool:
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1 + abs(a) + abs(b))


def mpf_of(v) -> mpmath.mpf:
    if v is sp.oo:
        return mpmath.inf
    if v is sp.S.NegativeInfinity:
        return -mpmath.inf
    return mpmath.mpf(sp.N(v, DPS))


def isfinite(v) -> bool:
    return not (mpmath.isinf(v) or mpmath.isnan(v)) and math.isfinite(float(v))
