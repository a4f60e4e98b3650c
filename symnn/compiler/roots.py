r"""Near-root kernels: polynomials about the roots where a formula cancels.

Next to a simple root r of f, the true value is :math:`f(x) \approx f'(r)\,h` with
:math:`h = x - r`, but a formula that adds terms much larger than that (GELU':
:math:`\Phi(x) + x\varphi(x)`, both near 0.22 at r = -0.7518) has an absolute error E of
a few ulps *of its terms*, whatever h is. Its relative error :math:`E/(|f'(r)|\,|h|)`
exceeds any bound as x approaches r, and no rewrite of the formula removes that: the
cancellation is the value. :func:`root_table` finds such roots of a compiled function of
one variable and builds a :class:`~symnn.compiler.kernels.RootTable`; the generated code
hands the formula's values to :func:`~symnn.compiler.kernels.near_roots`, which replaces
them inside a window :math:`|x - r| < \delta` by a polynomial in :math:`x - r`.

The build, at compile time:

1. **Candidates.** The compiled function on a grid over [-1000, 1000] (spacing 0.005,
   and log-spaced magnitudes down to 1e-300); every sign change is bisected in float64 to
   adjacent doubles. Breakpoints of the expression (:func:`symnn.expr.symbolic.breakpoints`)
   where the function is 0 are candidates too (SQNL' is 1 - x/2 up to 2 and 0 after it:
   a root at a kink without a sign change). Poles and jumps drop out in step 2.
2. **The root, in triple-double.** A secant iteration on the *same* SymPy expression in
   mpmath at 60 digits (:data:`DPS`) from the float root; at a breakpoint the root is the
   breakpoint itself. It must stay within 1e-6 of the float root and change sign within
   1e-40 of it with :math:`|f| \le 10^3 |f'| \epsilon` there (so a pole or a jump is no
   root). r is stored as ``r_hi + r_lo + r_lo2``.
3. **Measure the cancellation** (float64 only, all roots at once). The formula is evaluated
   at the doubles :math:`r_{hi} + j\,\mathrm{ulp}`, :math:`|j| \le 16`, and at
   :math:`r \pm 10^{-k}\max(1, |r|)`, k = 10..15; on each side a least-squares fit
   :math:`f \approx b h + c h^2` through the true root (h in triple-double) models the true
   function there (its own error, :math:`|f'''| h^2/|f'|`, is below 1e-18 at those h).
   A side where the formula differs from the model by more than :data:`TARGET` (1e-13)
   relative is *troublesome*; the largest absolute difference near the root is E (noise
   and bias alike: ``x - sqrt(2)`` has no noise, but its float root is off by 1e-16).
   Roots without a troublesome side cost nothing: they are not in the table.
4. **The window.** The formula's relative error at distance h is about
   :math:`E/(|b|\,h)`; it is at most :math:`\tau` = :data:`TARGET` for
   :math:`|h| \ge E/(\tau|b|)`, so
   :math:`\delta = s\,E/(\tau |b|)` with a safety factor s = :data:`SAFETY` for an E that
   the samples underestimate. δ is capped at 0.45 times the distance to the next root or
   breakpoint (windows never overlap, and the function is analytic inside them) and
   doubled until step 6 passes.
5. **The polynomial.** :math:`g(h) = f(r + h)/h` is analytic and :math:`g(0) = f'(r) \ne 0`
   at a simple root, so a polynomial q with :math:`|q - g| \le \epsilon|g|` gives
   :math:`p(h) = h\,q(h)` with relative error :math:`\epsilon` however close x is to r --
   unlike a Taylor polynomial of f, whose constant term would have to be exactly 0. q
   is the Chebyshev interpolant of g at K = 8, 16, 24 or 32 nodes on
   :math:`[-\delta, \delta]` (at a breakpoint: on :math:`[-\delta, 0]` and
   :math:`[0, \delta]`, one polynomial per side), computed in mpmath, truncated where its
   Chebyshev coefficients fall below 1e-17 |g(0)|; it is accepted when its last two
   coefficients are below 1e-17 |g(0)| (the interpolation error is of the order of the
   first neglected coefficients: the truncation error of the polynomial is below
   1e-16 relative) and when, evaluated in float64 as the kernel does, it matches mpmath
   to 1e-14 at eight points across the window. Evaluation: :math:`t = (h - c)/w \in
   [-1, 1]`, Horner in t (coefficients decay fast, so rounding stays at a few ulps), and
   :math:`h = ((x - r_{hi}) - r_{lo}) - r_{lo2}`: :math:`x - r_{hi}` is exact (Sterbenz)
   or rounded once, so h has a relative error of about :math:`2u` (u = 2^-53).
6. **Check the hand-over** (float64): on the outer half of the window,
   :math:`\delta/2 \le |h| \le \delta`, the formula must match the polynomial to
   :data:`TARGET`; beyond δ its relative error is smaller still (E stays, |f| grows).

Total relative error: inside the window a few ulps (h, Horner, the 1e-16 truncation);
outside it at most τ/s... τ = 1e-13, ten times below the 1e-12 requirement.

**Parameters.** The table is built for the parameters' compiled defaults. Parameters can
be changed at call time; the generated code uses the table only when they equal the
defaults (``if alpha == 0.5:``) and returns the formula's values otherwise, because
finding roots at every call would cost milliseconds (a learned parameter changes at
every step). To get a table for other values, compile with those values as the
defaults (a catalogue activation with fixed parameters, ``symnn.activation(name,
alpha=...)``, substitutes them and is compiled anew).

**Range.** Roots are looked for in [-1000, 1000] (:data:`SPAN`). Beyond it the formula
is used as it is: sinc' has a root near every :math:`(k + 1/2)\pi` and its formula's
relative error next to the roots beyond 1000 grows like :math:`u/(r\,|x - r|)` (a known
limit). Roots closer together than the grid spacing (0.005), roots of even multiplicity
or higher (no sign change, or :math:`f'(r) = 0`: tanhshrink's triple root at 0 is left
to its own series kernel) and tables of more than :data:`MAX_ROOTS` roots are not handled.

**Cost.** Functions without troublesome roots get no table and no extra code. With a
table, the kernel costs two comparisons per root and element (up to
:data:`FEW_ROOTS` roots), or a bucket look-up (a uniform grid with at most one window
per bucket: about six passes over the array) for periodic families such as sinc'.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> from symnn.compiler import compile
>>> f = compile(sp.diff(x / 2 * (1 + sp.erf(x / sp.sqrt(2))), x), x)   # GELU'
>>> f.roots
<RootTable: 1 root(s) at -0.75179152469356447>
>>> float(f(-0.7517915246935646))                 # the formula alone: -2.8e-17
-5.4359208254816...e-17
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp

from symnn.compiler.kernels import RootTable
from symnn.expr.functions import to_elementary
from symnn.expr.symbolic import breakpoints

__all__ = ["DPS", "FEW_ROOTS", "MAX_ROOTS", "SAFETY", "SPAN", "TARGET", "root_table"]

#: Digits of the mpmath evaluations (roots, polynomials).
DPS = 60
#: Roots are looked for in [-SPAN, SPAN].
SPAN = 1000.0
#: Relative error aimed at where the formula hands over to a polynomial.
TARGET = 1e-13
#: Safety factor on the window radius for a formula error that the samples underestimate.
SAFETY = 4.0
#: More roots than this: no table.
MAX_ROOTS = 4096
#: Up to this many roots the kernel compares with each window; above, a bucket grid.
FEW_ROOTS = 4

_NODES = (8, 16, 24, 32)
_RUN = 16  # doubles on each side of the root
_DECADES = range(10, 16)  # and r +- 10^-k max(1, |r|)
_TINY_STEP = 1e-290  # the step of the run about a root at 0


class _NoRoot(Exception):
    """A candidate that is not a simple root (a pole, a jump, a failed iteration)."""


# what an mpmath evaluation of a SymPy expression can raise (NameError: a function
# without an mpmath translation, such as the DiracDelta in cbrt')
_MP_ERRORS = (ZeroDivisionError, ValueError, TypeError, OverflowError, NameError)


def root_table(
    expr: sp.Expr,
    x: sp.Symbol,
    fn: Callable,
    params: Mapping[sp.Symbol, float] | None = None,
    *,
    span: float = SPAN,
) -> RootTable | None:
    """The near-root table of a compiled function of one variable, or None if it needs none.

    *fn* is the compiled formula (parameters at their defaults), *expr* the SymPy
    expression it computes (evaluated in mpmath), *params* the defaults.
    """
    subs = {p: sp.Float(float(v), DPS) for p, v in (params or {}).items()}
    expr = expr.xreplace(subs)
    if expr.free_symbols != {x} or expr.has(sp.I):
        return None

    def formula(t):
        with np.errstate(all="ignore"):
            return np.asarray(fn(np.asarray(t, dtype=np.float64)), dtype=np.float64)

    brackets = _brackets(formula, span)
    kinks = _kinks(expr, x, span)
    if len(brackets[0]) + len(kinks) == 0 or len(brackets[0]) > MAX_ROOTS:
        return None
    f = _mp_function(expr, x)
    candidates = _float_roots(formula, *brackets)
    roots = _true_roots(f, formula, candidates, kinks)
    if not roots:
        return None
    return _table(f, formula, roots, kinks)


# -- 1. candidates --------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _grid(span: float) -> np.ndarray:
    mags = np.logspace(-300, math.log10(span), 601)
    lin = np.linspace(-span, span, int(400 * span) + 1)
    grid = np.unique(np.concatenate([-mags, mags, lin, [0.0]]))
    grid.flags.writeable = False  # shared by every compile
    return grid


def _brackets(formula, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of grid points (a < b) between which the formula changes sign."""
    grid = _grid(span)
    v = formula(grid)
    ok = np.isfinite(v) & (v != 0)
    g, s = grid[ok], np.sign(v[ok])
    change = np.flatnonzero(s[:-1] != s[1:])
    return g[change], g[change + 1]


def _float_roots(formula, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bisection of every bracket at once, down to adjacent doubles (or an exact 0)."""
    a, b = a.copy(), b.copy()
    sa = np.sign(formula(a))
    for _ in range(2100):
        m = 0.5 * (a + b)
        active = (m > a) & (m < b)
        if not active.any():
            break
        sm = np.sign(formula(m))
        right = active & (sm == sa)
        left = active & (sm == -sa)
        zero = active & (sm == 0)
        a = np.where(right | zero, m, a)
        b = np.where(left | zero, m, b)
        if not (right | left | zero).any():
            break
    fa, fb = np.abs(formula(a)), np.abs(formula(b))
    return np.where(fa <= fb, a, b)


def _kinks(expr: sp.Expr, x: sp.Symbol, span: float) -> list[sp.Expr]:
    if not expr.has(sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min):
        return []
    try:
        points = breakpoints(expr.rewrite(sp.Piecewise), x)
    except (TypeError, ValueError, NotImplementedError):
        return []
    return [p for p in points if p.is_number and abs(float(p)) <= span]


# -- 2. the roots ---------------------------------------------------------------------------


def _mp_function(expr: sp.Expr, x: sp.Symbol):
    fn = sp.lambdify(x, to_elementary(expr), modules="mpmath")

    def f(t):
        try:
            out = fn(t)
            if isinstance(out, mpmath.mpc):
                out = out.real
            out = mpmath.mpf(out)
        except _MP_ERRORS:
            out = mpmath.nan
        if mpmath.isnan(out):  # a removable singularity (sinc' at 0): step aside
            try:
                out = mpmath.mpf(fn(t + mpmath.mpf(10) ** (-2 * DPS)))
            except _MP_ERRORS as exc:
                raise _NoRoot from exc
        return out

    return f


def _scale(r: float) -> float:
    return max(1.0, abs(r))


def _true_roots(f, formula, candidates: np.ndarray, kinks: list[sp.Expr]):
    """``[(r, kink)]``: the mpmath roots (kink: the root is a breakpoint)."""
    roots: list[tuple[mpmath.mpf, bool]] = []
    with mpmath.workdps(DPS):
        kink_values = [mpmath.mpf(sp.Float(k, DPS + 10)._mpf_) for k in kinks]
        for r0 in candidates:
            r0 = float(r0)
            near = [k for k in kink_values if abs(k - r0) <= 1e-9 * _scale(r0)]
            try:
                if near:
                    r = near[0]
                    if f(r) != 0:
                        continue
                    roots.append((r, True))
                else:
                    roots.append((_secant(f, r0), False))
            except _NoRoot:
                continue
        for k in kink_values:  # roots at a kink without a sign change (SQNL' at 2)
            if any(abs(r - k) <= mpmath.mpf(10) ** (-DPS // 2) * _scale(float(k)) for r, _ in roots):
                continue
            try:
                if f(k) == 0 and _continuous_zero(f, k):
                    roots.append((k, True))
            except _NoRoot:
                continue
    roots.sort(key=lambda rk: rk[0])
    unique: list[tuple[mpmath.mpf, bool]] = []
    for r, kink in roots:
        if unique and abs(r - unique[-1][0]) <= mpmath.mpf(10) ** (-40) * _scale(float(r)):
            continue
        unique.append((r, kink))
    return unique


def _continuous_zero(f, k) -> bool:
    """f tends to 0 on both sides of k (not a jump)."""
    s = _scale(float(k))
    eps = mpmath.mpf(10) ** (-30) * s
    far = max(abs(f(k - mpmath.mpf(1e-3) * s)), abs(f(k + mpmath.mpf(1e-3) * s)))
    return max(abs(f(k - eps)), abs(f(k + eps))) <= mpmath.mpf(10) ** (-20) * (far + 1)


def _secant(f, r0: float) -> mpmath.mpf:
    s = _scale(r0)
    tol = mpmath.mpf(10) ** (-DPS + 8) * s
    x0 = mpmath.mpf(r0)
    f0 = f(x0)
    if f0 == 0:  # an exact root (0 for x*sigmoid(x)): still checked to be simple below
        x1 = x0
    else:
        x1 = x0 + mpmath.mpf(1e-20) * s
        f1 = f(x1)
        for _ in range(30):
            if f1 == f0:
                break
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
            x0, f0, x1 = x1, f1, x2
            f1 = f(x1)
            if abs(x1 - x0) <= tol * min(1, abs(x1) + 1e-300) or f1 == 0:
                break
        else:
            raise _NoRoot
    if abs(x1 - r0) > 1e-6 * s:
        raise _NoRoot
    eps = mpmath.mpf(10) ** (-40) * s
    lo, hi = f(x1 - eps), f(x1 + eps)
    slope = abs(hi - lo) / (2 * eps)
    if lo * hi > 0 or slope == 0 or abs(f(x1)) > 1e3 * slope * eps:
        raise _NoRoot
    # a jump has a huge "slope" over 1e-40; a simple root's slope is the same over 1e-20
    wide = mpmath.mpf(10) ** (-20) * s
    if abs(abs(f(x1 + wide) - f(x1 - wide)) / (2 * wide) - slope) > 1e-6 * slope:
        raise _NoRoot
    return x1


def _split(r) -> tuple[float, float, float]:
    """r as the sum of three doubles."""
    hi = float(r)
    lo = float(r - hi)
    return hi, lo, float(r - hi - lo)


# -- 3. measure the cancellation ----------------------------------------------------------


def _run_points(r_hi: float) -> np.ndarray:
    s = _scale(r_hi)
    step = max(float(np.spacing(abs(r_hi))), _TINY_STEP) if r_hi != 0 else _TINY_STEP
    j = np.arange(-_RUN, _RUN + 1, dtype=np.float64)
    decades = np.array([10.0**-k for k in _DECADES]) * s
    return np.concatenate([r_hi + j * step, r_hi - decades, r_hi + decades])


def _h(x: np.ndarray, split) -> np.ndarray:
    r_hi, r_lo, r_lo2 = split
    return ((x - r_hi) - r_lo) - r_lo2


def _fit(h: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Least squares ``v ~ b h + c h^2`` (scaled for conditioning)."""
    m = np.max(np.abs(h))
    if m == 0:
        return 0.0, 0.0
    t = h / m
    a = np.stack([t, t * t], axis=1)
    (b, c), *_ = np.linalg.lstsq(a, v, rcond=None)
    return float(b / m), float(c / m / m)


def _measure(formula, splits) -> list[tuple[bool, float, float]]:
    """Per root: (troublesome, E, |b|) from the formula next to the root."""
    points = np.stack([_run_points(s[0]) for s in splits])
    values = formula(points)
    out = []
    for split, x, v in zip(splits, points, values, strict=True):
        h = _h(x, split)
        if not np.all(np.isfinite(v)):
            out.append((False, 0.0, 0.0))  # the formula fails here anyway: leave it
            continue
        bad, err, slope = False, 0.0, 0.0
        for side in (h < 0, h > 0):
            b, c = _fit(h[side], v[side])
            model = b * h[side] + c * h[side] ** 2
            diff = np.abs(v[side] - model)
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(model != 0, diff / np.abs(model), np.where(diff > 0, np.inf, 0.0))
            if np.max(rel) > TARGET:
                bad = True
            err = max(err, float(np.max(diff)))
            slope = max(slope, abs(b))
        exact_root = split[1] == 0 and split[2] == 0
        if exact_root and formula(np.array([split[0]]))[0] != 0:
            bad = True
        out.append((bad, err, slope))
    return out


# -- 4.-6. windows and polynomials ------------------------------------------------------------


def _chebyshev(f, r, c: float, w: float, nodes: int):
    """Power coefficients in t = (h - c)/w of the interpolant of f(r + h)/h, or None."""
    theta = [mpmath.pi * (k + mpmath.mpf(1) / 2) / nodes for k in range(nodes)]
    ts = [mpmath.cos(th) for th in theta]
    g = []
    for t in ts:
        h = mpmath.mpf(c) + mpmath.mpf(w) * t
        g.append(f(r + h) / h)
    top = max(abs(v) for v in g)
    if top == 0:
        return [0.0]
    a = []
    for j in range(nodes):
        s = mpmath.fsum(g[k] * mpmath.cos(j * theta[k]) for k in range(nodes))
        a.append(s * 2 / nodes)
    a[0] /= 2
    if abs(a[0]) < top / 4:  # g changes a lot on the window: not a simple root there
        return None
    if abs(a[-1]) + abs(a[-2]) > 1e-17 * abs(a[0]):
        return None
    degree = max(j for j in range(nodes) if abs(a[j]) > 1e-18 * abs(a[0]))
    # Chebyshev -> power basis in t: T_0 = 1, T_1 = t, T_j = 2t T_(j-1) - T_(j-2)
    basis = [[mpmath.mpf(1)], [mpmath.mpf(0), mpmath.mpf(1)]]
    for _ in range(2, degree + 1):
        prev, cur = basis[-2], basis[-1]
        nxt = [mpmath.mpf(0)] + [2 * v for v in cur]
        for k, v in enumerate(prev):
            nxt[k] -= v
        basis.append(nxt)
    power = [mpmath.mpf(0)] * (degree + 1)
    for j in range(degree + 1):
        for k, coef in enumerate(basis[j]):
            power[k] += a[j] * coef
    return [float(v) for v in power]


def _pieces(f, r, kink: bool, delta: float):
    """``[(centre, half width, coefficients)]`` for the window of radius *delta*, or None."""
    spans = [(-delta / 2, delta / 2), (delta / 2, delta / 2)] if kink else [(0.0, delta)]
    out = []
    for c, w in spans:
        for nodes in _NODES:
            coeffs = _chebyshev(f, r, c, w, nodes)
            if coeffs is not None:
                break
        else:
            return None
        out.append((c, w, np.array(coeffs)))
    return out


def _poly(pieces, h: np.ndarray) -> np.ndarray:
    """The float64 evaluation the kernel does, for checking."""
    out = np.empty_like(h)
    for i, side in enumerate((h < 0, h >= 0)):
        c, w, coeffs = pieces[0 if len(pieces) == 1 else i]
        t = (h[side] - c) * (1.0 / w)
        acc = np.full_like(t, coeffs[-1])
        for k in coeffs[-2::-1]:
            acc = acc * t + k
        out[side] = h[side] * acc
    return out


def _check_polynomial(f, r, split, pieces, delta: float) -> bool:
    """The float64 polynomial matches mpmath across the window (1e-14 relative), right up to
    the root (a double root, ReLU^2's at 0, has g(0) = 0: p(h) = h q(h) then loses every
    digit as h -> 0, so such a root gets no window)."""
    fractions = np.array([-0.999, -0.77, -0.31, -0.013, -1e-60, 1e-60, 0.013, 0.31, 0.77, 0.999])
    xs = split[0] + fractions * delta
    h = _h(xs, split)
    got = _poly(pieces, h)
    for x_, g in zip(xs, got, strict=True):
        true = f(mpmath.mpf(float(x_)))
        if abs(mpmath.mpf(float(g)) - true) > 1e-14 * abs(true):
            return False
    return True


def _check_handover(formula, split, pieces, delta: float) -> bool:
    """The formula matches the polynomial to TARGET on delta/2 <= |h| <= delta."""
    base = np.array([0.5, 0.6, 0.7, 0.85, 1.0]) * delta
    xs = split[0] + np.concatenate([-base, base])
    xs = np.concatenate([xs + k * np.spacing(np.abs(xs)) for k in range(-3, 4)])
    h = _h(xs, split)
    want = _poly(pieces, h)
    got = formula(xs)
    return bool(np.all(np.abs(got - want) <= TARGET * np.abs(want)))


def _table(f, formula, roots, kinks) -> RootTable | None:
    splits = [_split(r) for r, _ in roots]
    measured = _measure(formula, splits)
    obstacles = sorted([float(r) for r, _ in roots] + [float(k) for k in kinks])
    rows = []
    with mpmath.workdps(DPS):
        for (r, kink), split, (bad, err, slope) in zip(roots, splits, measured, strict=True):
            if not bad or slope == 0:
                continue
            others = [abs(o - split[0]) for o in obstacles if abs(o - split[0]) > 0]
            cap = 0.45 * min(others, default=math.inf)
            cap = min(cap, 0.5 * _scale(split[0]))
            step = max(float(np.spacing(abs(split[0]))), _TINY_STEP)
            delta = max(SAFETY * err / (TARGET * slope), 64 * step)
            try:
                row = _window(f, formula, r, kink, split, delta, cap)
            except _NoRoot:  # mpmath cannot evaluate the expression across the window
                row = None
            if row is not None:
                rows.append(row)
    if not rows:
        return None
    return _assemble(rows)


def _window(f, formula, r, kink: bool, split, delta: float, cap: float):
    """``(split, delta, pieces)`` for the smallest window that passes steps 5-6, or None."""
    for _ in range(12):
        delta = min(delta, cap)
        pieces = _pieces(f, r, kink, delta)
        if pieces is None:
            return None
        if _check_handover(formula, split, pieces, delta):
            if _check_polynomial(f, r, split, pieces, delta):
                return split, delta, pieces
            return None
        if delta >= cap:
            return None
        delta *= 2
    return None


def _assemble(rows) -> RootTable:
    degree = max(len(p[2]) for _, _, pieces in rows for p in pieces)
    centers, widths, coeffs, left, right = [], [], [], [], []
    for _, _, pieces in rows:
        first = len(centers)
        for c, w, k in pieces:
            centers.append(c)
            widths.append(1.0 / w)
            coeffs.append(np.concatenate([k, np.zeros(degree - len(k))]))
        left.append(first)
        right.append(first + len(pieces) - 1)
    r_hi = np.array([s[0] for s, _, _ in rows])
    delta = np.array([d for _, d, _ in rows])
    lo, hi = r_hi - delta, r_hi + delta
    table = dict(
        r_hi=r_hi,
        r_lo=np.array([s[1] for s, _, _ in rows]),
        r_lo2=np.array([s[2] for s, _, _ in rows]),
        lo=lo,
        hi=hi,
        left=np.array(left, dtype=np.intp),
        right=np.array(right, dtype=np.intp),
        center=np.array(centers),
        inv_width=np.array(widths),
        coeffs=np.array(coeffs),
    )
    if len(rows) > FEW_ROOTS:
        table.update(_buckets(lo, hi))
    return RootTable(**table)


def _buckets(lo: np.ndarray, hi: np.ndarray) -> dict:
    """A uniform grid over the windows with at most one window per bucket."""
    gaps = lo[1:] - hi[:-1]
    width = float(np.min(gaps)) if gaps.size else float(hi[0] - lo[0])
    origin = float(lo[0])
    n = math.ceil(float(hi[-1] - origin) / width) + 1
    if n > 1 << 22:  # windows too close together for a grid: compare with each
        return {}
    starts = origin + width * np.arange(n)
    # bucket k covers [starts[k], starts[k] + width): the window that ends after its start
    root = np.searchsorted(hi, starts, side="right")
    root = np.minimum(root, len(lo) - 1)
    return {"bucket_origin": origin, "bucket_scale": 1.0 / width, "bucket_root": root}
