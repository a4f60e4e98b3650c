r"""Symbolic analysis of an activation: range, monotonicity, limits, smoothness.

:func:`analyze` takes a SymPy expression in one variable (or an :class:`~symnn.Activation`) and returns its
:class:`Properties`, computed from the one SymPy definition with the
parameters at their numeric defaults:

* the function is cut at its breakpoints (where a ``Piecewise`` condition,
  or the argument of ``Abs``/``sign``/``Heaviside``, or the difference of two
  arguments of ``Max``/``Min`` changes sign; nested kinks are resolved inside
  out) into analytic pieces on open intervals;
* on each piece the image is :math:`[\inf, \sup]` over the one-sided limits
  at the ends and the values at the interior critical points (roots of
  :math:`f'`); an end is closed exactly when the extreme value is attained
  at a critical point, or at a breakpoint;
* the range is the union of these images and of the values at the
  breakpoints; monotonicity follows from the sign of :math:`f'` between its
  roots and the direction of the jumps at the breakpoints; the same
  analysis of :math:`f'` (the catalogue's derivative, conventions at kinks
  included) decides whether the derivative is monotonic;
* the order of continuity :math:`C^k` compares the one-sided limits of the
  pieces' derivatives at every breakpoint, up to order
  :data:`MAX_CONTINUITY_ORDER`; a function without breakpoints is
  :math:`C^\infty` (its single piece is analytic).

Exact answers come from SymPy (``solveset``, ``limit``, ``periodicity``),
each call under a time budget. Where SymPy cannot finish — a
transcendental equation :math:`f'(x) = 0` such as SiLU's
:math:`1 + x + e^x = 0` — a numeric fallback takes over: sign changes of
:math:`f'` on a dense grid, each refined by ``mpmath.findroot`` (bisection
if needed) at 50 digits and verified by the sign of :math:`f'` on both
sides. Where the equation is a polynomial in :math:`x` and one exponential,
``sympy.solve`` is asked for the exact root (Lambert's W: SiLU's minimum is
:math:`-W(1/e)` at :math:`x = -1 - W(1/e)`) and the exact value is kept if it
agrees with the numeric one to 45 digits; otherwise the value becomes a
15-digit ``Float``. ``Properties.notes`` says which answers are numeric. The search grid is dense (step 1/128) on
[-64, 64] and geometric out to :math:`\pm 10^6`: an extremum beyond, or two
sign changes of :math:`f'` closer than a grid step, would go unseen.

Budgets: the whole call runs under a :class:`~symnn.analysis.budget.Budget`
(a few seconds, and bounds on breakpoints, ``Max``/``Min`` arguments and
expression size). A step that does not finish in time, or an input beyond a
bound, leaves its properties :data:`~symnn.analysis.budget.UNKNOWN` (printed
``?``) with a note, instead of running on.

Two definitions the published tables leave implicit: *zero-centred* means
:math:`\inf f < 0 < \sup f` (the outputs take both signs, so they can
average to zero); *approximates the identity near the origin* means
:math:`f(0) = 0` and :math:`f'(0) = 1`, with the catalogue's derivative at 0
(so leaky ReLU, whose :math:`f'(0) = \alpha`, does not).

Examples
--------
>>> import symnn as sn
>>> from symnn.analysis.properties import analyze
>>> p = analyze(sn.activation("silu"))
>>> p.range
Interval(-LambertW(exp(-1)), oo)
>>> p.monotonicity, p.continuity, p.limit_neg_inf, p.approximates_identity
('no', oo, 0, False)
>>> analyze(sn.activation("relu")).range
Interval(0, oo)
>>> q = analyze(sn.activation("sqnl"))
>>> q.range, q.continuity, q.least_smooth
(Interval(-1, 1), 1, (-2, 0, 2))
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> analyze(x / (1 + sp.Abs(x))).range
Interval.open(-1, 1)
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symnn.analysis.budget import (
    UNKNOWN,
    Budget,
    BudgetExceeded,
    _BudgetExhausted,
    attempt,
    check,
    is_unknown,
    total,
)
from symnn.expr.functions import to_elementary

__all__ = [
    "MAX_CONTINUITY_ORDER",
    "MONOTONICITIES",
    "UNKNOWN",
    "Budget",
    "Properties",
    "analyze",
    "branch_at",
    "format_continuity",
    "format_number",
    "format_set",
]

#: Highest derivative order compared at a breakpoint (a join that agrees up to
#: this order is reported as C^MAX_CONTINUITY_ORDER, with a note).
MAX_CONTINUITY_ORDER = 6

_DPS = 50  # working precision (decimal digits) of the numeric fallback
_SHOWN_DIGITS = 15  # significant digits of a numeric answer
_SOLVE_BUDGET = 0.5  # seconds for one solveset call
_LIMIT_BUDGET = 2.0  # seconds for one limit call
_PERIOD_BUDGET = 0.5  # seconds for one periodicity call
_LAMBERT_BUDGET = 3.0  # seconds for solving f'(x) = 0 with Lambert's W (slow on a cold start)
_WINDOW = 64.0  # the dense part of the numeric grid is [-_WINDOW, _WINDOW]
_FAR = 1e6  # the grid continues geometrically out to +-_FAR

#: The values of ``Properties.monotonicity`` (strict, non-strict, constant, not monotonic).
MONOTONICITIES = ("increasing", "decreasing", "non-decreasing", "non-increasing", "constant", "no")


# ----------------------------------------------------------------------------
# Guarding SymPy calls that may not finish (see symnn.analysis.budget)
# ----------------------------------------------------------------------------

_attempt = attempt  # the name the tests and older code use


# ----------------------------------------------------------------------------
# Numbers: exact SymPy values, mpmath values, presentation
# ----------------------------------------------------------------------------


def _is_value(v: Any) -> bool:
    """A definite extended-real number (no nan, zoo, AccumBounds or free symbols)."""
    return (
        isinstance(v, sp.Expr)
        and not v.free_symbols
        and v.is_extended_real is True
        and v is not sp.nan
        and not v.has(sp.AccumBounds, sp.zoo, sp.nan)
    )


def _definite(v: sp.Expr | None) -> sp.Expr | None:
    """A limit that exists (a number or +-oo), else None (oscillation, unknown)."""
    return v if v is not None and _is_value(v) else None


def _mpf(v: sp.Expr) -> mpmath.mpf:
    """An extended-real SymPy number as an mpmath number at the working precision."""
    if v is sp.oo:
        return mpmath.inf
    if v is sp.S.NegativeInfinity:
        return -mpmath.inf
    with mpmath.workdps(_DPS + 10):
        value = sp.N(v, _DPS + 10)
        if not value.is_Number:
            raise ValueError(f"cannot evaluate {v} to a real number")
        return mpmath.mpf(value._mpf_) if value.is_Float else mpmath.mpf(str(value))


def _numeric(value: mpmath.mpf) -> sp.Expr:
    """A numeric result as a SymPy Float with 15 significant digits (or +-oo, or exact 0)."""
    if mpmath.isinf(value):
        return sp.oo if value > 0 else sp.S.NegativeInfinity
    if value == 0:
        return sp.S.Zero
    return sp.Float(mpmath.nstr(value, _SHOWN_DIGITS + 5, min_fixed=-1, max_fixed=1), _SHOWN_DIGITS)


def _present(v: sp.Expr | None) -> sp.Expr | None:
    """Exact values stay exact, except those that only spell out a float parameter.

    A value with a Float in it, or a rational with a denominator above 10^6
    (SELU's ``-lambda*alpha`` from its float defaults), becomes a 15-digit Float.
    """
    if v is None or not v.is_number or v.is_infinite:
        return v
    if v.has(sp.Float) or any(r.q > 10**6 for r in v.atoms(sp.Rational)):
        return sp.Float(v.evalf(_SHOWN_DIGITS + 5), _SHOWN_DIGITS)
    return v


def _simplest(v: sp.Expr | None) -> sp.Expr | None:
    """A short exact form of a value (``tanh(log(2))`` -> ``3/5``), within a time budget."""
    if v is None or not v.is_number:
        return v
    if all(isinstance(fn, (sp.log, sp.exp)) for fn in v.atoms(sp.Function)):
        return v  # log(2), exp(-1), ... are as simple as they get
    candidate = _attempt(lambda: sp.nsimplify(sp.simplify(v.rewrite(sp.exp))), _SOLVE_BUDGET)
    if candidate is None or not _is_value(candidate) or not _same(candidate, v):
        return v
    return candidate if sp.count_ops(candidate) < sp.count_ops(v) else v


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two extended-real numbers are equal (exactly, or to 40 digits)."""
    if a == b:
        return True
    if a.is_infinite or b.is_infinite:
        return False
    fa, fb = _mpf(a), _mpf(b)
    return abs(fa - fb) <= mpmath.mpf(10) ** -40 * max(1, abs(fa), abs(fb))


def _less(a: sp.Expr, b: sp.Expr) -> bool:
    return not _same(a, b) and _mpf(a) < _mpf(b)


def _mp_callable(expr: sp.Expr, x: sp.Symbol) -> Callable[[mpmath.mpf], mpmath.mpf]:
    """*expr* as an mpmath function of one real argument (named functions rewritten)."""
    fn = sp.lambdify(x, to_elementary(expr), modules="mpmath")

    def call(t: mpmath.mpf) -> mpmath.mpf:
        try:
            out = fn(t)
        except Exception:  # a pole, or a function mpmath lacks: no value there
            return mpmath.nan
        if isinstance(out, mpmath.mpc):
            out = out.real if abs(out.imag) <= mpmath.mpf(10) ** (-_DPS) * abs(out) else mpmath.nan
        return mpmath.mpf(out)

    return call


def _np_callable(expr: sp.Expr, x: sp.Symbol) -> Callable[[np.ndarray], np.ndarray]:
    """*expr* as a vectorised NumPy function: symnn's stable compiler, else plain lambdify.

    Without the compiler's near-root tables: the analysis reads signs, not the last digits
    next to a root, and building the tables would take seconds of its time budget.
    """
    try:
        from symnn.compiler import compile as compile_expr

        return compile_expr(expr, x, roots=False)
    except Exception:
        fn = sp.lambdify(x, to_elementary(expr), modules=["numpy", "scipy"])

        def call(t: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = np.asarray(fn(t))
                if np.iscomplexobj(out):  # not real there: no sign to read
                    out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
                return np.broadcast_to(out.astype(float), np.shape(t))

        return call


def _sign(v: mpmath.mpf) -> int:
    if mpmath.isnan(v):
        return 0
    return (v > 0) - (v < 0)


# ----------------------------------------------------------------------------
# Pieces: the function between consecutive breakpoints
# ----------------------------------------------------------------------------


#: The functions that switch formula at points: the breakpoints come from them.
_KINK_FUNCTIONS = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise)


def _check_bounds(expr: sp.Expr, budget: Budget, what: str) -> None:
    """Refuse (as UNKNOWN, by BudgetExceeded) an expression beyond the budget's size bounds."""
    for nodes, node in enumerate(sp.preorder_traversal(expr), start=1):
        if nodes > budget.max_nodes:
            raise BudgetExceeded(
                f"{what} has more than {budget.max_nodes} nodes "
                "(raise it with budget=Budget(max_nodes=...))"
            )
        if isinstance(node, (sp.Max, sp.Min)) and len(node.args) > budget.max_kink_arguments:
            raise BudgetExceeded(
                f"{what} has a {type(node).__name__} of {len(node.args)} arguments, more than "
                f"{budget.max_kink_arguments} (raise it with budget=Budget(max_kink_arguments=...))"
            )
    depth = _kink_depth(expr)
    if depth > budget.max_kink_depth:
        raise BudgetExceeded(
            f"{what} nests {depth} kink functions (abs, sign, max, min, Heaviside, Piecewise), "
            f"more than {budget.max_kink_depth} (raise it with budget=Budget(max_kink_depth=...))"
        )


def _kink_depth(expr: sp.Basic) -> int:
    if not expr.args:
        return 0
    inner = max(_kink_depth(a) for a in expr.args)
    return inner + isinstance(expr, _KINK_FUNCTIONS)


def _number_at(e: sp.Expr, x: sp.Symbol, point: sp.Expr) -> sp.Expr:
    """*e* at *point* as an exact number, or a 30-digit Float where SymPy cannot decide its sign."""
    value = e.subs(x, point)
    if value.is_extended_real is not True or value.is_zero is None:
        value = sp.N(value, 30)
    if not _is_value(value):
        raise ValueError(f"{e} has no real value at {x} = {point} ({value})")
    return value


def _sign_at(e: sp.Expr, x: sp.Symbol, point: sp.Expr) -> int:
    value = _number_at(e, x, point)
    return 0 if value.is_zero else 1 if value.is_positive else -1


def _holds(cond: sp.Basic, x: sp.Symbol, point: sp.Expr) -> bool:
    truth = cond.subs(x, point)
    if truth in (sp.true, sp.false):
        return truth is sp.true
    if isinstance(truth, sp.Rel):
        diff = sp.N(truth.lhs - truth.rhs, 30)
        if _is_value(diff):
            return bool(truth.func(diff, 0))
    raise ValueError(f"cannot decide the condition {cond} at {x} = {point}")


def branch_at(expr: sp.Expr, x: sp.Symbol, point: sp.Expr) -> sp.Expr:
    """The analytic formula *expr* follows at *point* (a point inside a piece).

    The one place that decides which branch a function takes at a point (the kinks of
    :mod:`symnn.catalogue.kinks` use it too).

    ``Piecewise`` takes the branch whose condition holds there, ``Abs(u)``
    becomes ``u`` or ``-u``, ``sign``/``Heaviside`` their constant value,
    ``Max``/``Min`` the argument that wins there; inner kinks are resolved
    first, so nested ones (``abs(1 - abs(x))``) cost one pass.
    """

    def resolve(e: sp.Basic) -> sp.Basic:
        check()
        if not e.args or not e.has(*_KINK_FUNCTIONS):
            return e
        if isinstance(e, sp.Piecewise):
            for branch, cond in e.args:
                if _holds(cond, x, point):
                    return resolve(branch)
            raise ValueError(f"no branch of {e} holds at {x} = {point}")
        args = [resolve(a) for a in e.args]
        if isinstance(e, sp.Abs):
            return -args[0] if _sign_at(args[0], x, point) < 0 else args[0]
        if isinstance(e, sp.sign):
            return sp.Integer(_sign_at(args[0], x, point))
        if isinstance(e, sp.Heaviside):
            s = _sign_at(args[0], x, point)
            return sp.Heaviside(s, *args[1:]) if s == 0 else sp.Integer(int(s > 0))
        if isinstance(e, (sp.Max, sp.Min)):
            values = [_mpf(_number_at(a, x, point)) for a in args]
            best = max(values) if isinstance(e, sp.Max) else min(values)
            return args[values.index(best)]
        return e.func(*args)

    return resolve(expr)


def _switches(node: sp.Basic) -> list[sp.Expr]:
    """The functions whose zeros are where the kink *node* may switch formula."""
    if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
        return [node.args[0]]
    if isinstance(node, (sp.Max, sp.Min)):
        return [a - b for a, b in itertools.combinations(node.args, 2)]
    if isinstance(node, sp.Piecewise):
        return [r.lhs - r.rhs for _, cond in node.args for r in cond.atoms(sp.Rel)]
    return []


def _sample(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lo.is_infinite and hi.is_infinite:
        return sp.S.Zero
    if lo.is_infinite:
        return hi - 1
    if hi.is_infinite:
        return lo + 1
    return (lo + hi) / 2


def _zeros_between(s: sp.Expr, x: sp.Symbol, cuts: list[sp.Expr]) -> set[sp.Expr]:
    """The zeros of the switching function *s* (itself piecewise, perhaps) between its cuts."""
    found: set[sp.Expr] = set()
    bounds = [sp.S.NegativeInfinity, *cuts, sp.oo]
    for lo, hi in itertools.pairwise(bounds):
        branch = branch_at(s, x, _sample(lo, hi))
        if x not in branch.free_symbols:
            continue
        domain = sp.Interval.open(lo, hi)
        sols = attempt(
            lambda b=branch, d=domain: sp.solveset(to_elementary(b), x, d), _SOLVE_BUDGET
        )
        if sols is sp.S.EmptySet or sols == domain:  # no zero, or s = 0 all along (Max(x, x))
            continue
        if not (isinstance(sols, sp.FiniteSet) and all(_is_value(r) for r in sols)):
            raise BudgetExceeded(
                f"the points where {s} changes sign on {domain} could not be found "
                f"(SymPy's solveset gave {sols if sols is not None else 'no answer in time'})"
            )
        found.update(r for r in sols if r.is_finite)
    return found


def _breakpoints(expr: sp.Expr, x: sp.Symbol, budget: Budget) -> list[sp.Expr]:
    """The points where *expr* may switch formula, sorted (inner kinks first)."""
    memo: dict[sp.Basic, frozenset] = {}

    def too_many(found: set) -> None:
        if len(found) > budget.max_breakpoints:
            raise BudgetExceeded(
                f"the function has more than {budget.max_breakpoints} breakpoints "
                "(raise the bound with budget=Budget(max_breakpoints=...))"
            )

    def points(e: sp.Basic) -> frozenset:
        check()
        if e in memo:
            return memo[e]
        if not e.args or x not in e.free_symbols or not e.has(*_KINK_FUNCTIONS):
            return frozenset()
        found: set[sp.Expr] = set()
        for a in e.args:
            found |= points(a)
            too_many(found)
        if isinstance(e, _KINK_FUNCTIONS):
            cuts = sorted(found, key=_mpf)
            for s in _switches(e):
                inner = sorted(points(s) | set(cuts), key=_mpf)
                found |= _zeros_between(s, x, inner)
                too_many(found)
        memo[e] = frozenset(found)
        return memo[e]

    return sorted(points(expr), key=_mpf)


@dataclass
class _Piece:
    lo: sp.Expr
    hi: sp.Expr
    expr: sp.Expr


def _split(
    expr: sp.Expr, x: sp.Symbol, budget: Budget, what: str = "the function"
) -> tuple[list[sp.Expr], list[_Piece]]:
    """Breakpoints b_1 < ... < b_n and the formula on (-oo, b_1), (b_1, b_2), ..., (b_n, oo)."""
    _check_bounds(expr, budget, what)
    points = _breakpoints(expr, x, budget)
    bounds = [sp.S.NegativeInfinity, *points, sp.oo]
    pieces = [
        _Piece(lo, hi, branch_at(expr, x, _sample(lo, hi)))
        for lo, hi in itertools.pairwise(bounds)
    ]
    return points, pieces


# ----------------------------------------------------------------------------
# Limits and values
# ----------------------------------------------------------------------------


def _for_limits(g: sp.Expr) -> sp.Expr:
    """A form of *g* on which ``sympy.limit`` is fast: exact constants, no cancelling sums.

    Floats become rationals, ``1 +- erf(u)`` becomes ``erfc(-+u)`` and ``1 +- tanh(u)``
    becomes ``2/(1 + exp(-+2u))`` (the sums that cancel at one end), and the named
    functions are written out.
    """
    g = g.xreplace({f: sp.Rational(str(f)) for f in g.atoms(sp.Float)})

    def is_target(e):
        if not (e.is_Add and len(e.args) == 2 and sp.S.One in e.args):
            return False
        other = e.args[0] if e.args[1] is sp.S.One else e.args[1]
        core = -other if other.could_extract_minus_sign() else other
        return isinstance(core, (sp.erf, sp.tanh))

    def rewrite(e):
        other = e.args[0] if e.args[1] is sp.S.One else e.args[1]
        sign = -1 if other.could_extract_minus_sign() else 1
        core = sign * other
        u = core.args[0]
        if isinstance(core, sp.erf):
            return sp.erfc(-sign * u)
        return 2 / (1 + sp.exp(-2 * sign * u))

    return to_elementary(g.replace(is_target, rewrite))


def _limit(
    g: sp.Expr, x: sp.Symbol, point: sp.Expr, side: str, notes: list[str], what: str
) -> sp.Expr | None:
    """The limit of the analytic piece *g* at *point* from *side* ('+' or '-').

    Direct substitution first (exact wherever the piece is continuous, and
    for x -> +-oo whenever SymPy's extended arithmetic gives a definite
    value), then ``sympy.limit`` under a time budget (at -oo as the limit of
    ``g(-x)`` at +oo, which SymPy finds faster), then a numeric estimate
    (with a note). When the function oscillates, SymPy's ``AccumBounds``
    (the interval its values keep returning to) comes back; None when nothing
    is known.
    """
    direct = _attempt(lambda: g.subs(x, point), _LIMIT_BUDGET)
    if direct is not None and _is_value(direct):
        return direct
    form = _for_limits(g)
    if point is sp.S.NegativeInfinity:
        lim = _attempt(lambda: sp.limit(form.subs(x, -x), x, sp.oo), _LIMIT_BUDGET)
    else:
        lim = _attempt(lambda: sp.limit(form, x, point, dir=side), _LIMIT_BUDGET)
    if lim is not None and _is_value(lim):
        if g.has(sp.Float) and lim.is_finite and not lim.is_Integer:
            return sp.Float(lim, _SHOWN_DIGITS)  # exact only for the rationalised constants
        return lim
    if isinstance(lim, sp.AccumBounds):
        return lim
    estimate = _numeric_limit(g, x, point, side)
    where = f"{x} -> {point}" + (side if point.is_finite else "")
    if estimate is None:
        notes.append(f"{what}: the limit at {where} could not be determined (it may not exist)")
    else:
        notes.append(f"{what}: the limit at {where} was estimated numerically")
    return estimate


def _numeric_limit(g: sp.Expr, x: sp.Symbol, point: sp.Expr, side: str) -> sp.Expr | None:
    fn = _mp_callable(g, x)
    with mpmath.workdps(_DPS):
        if point.is_infinite:
            sign = 1 if point is sp.oo else -1
            ts = [sign * mpmath.mpf(10) ** k for k in (4, 8, 16, 32, 64)]
        else:
            sign = 1 if side == "+" else -1
            centre = _mpf(point)
            ts = [centre + sign * mpmath.mpf(10) ** -k for k in (8, 16, 24, 32, 40)]
        values = [fn(t) for t in ts]
        if any(mpmath.isnan(v) for v in values):
            return None
        growing = all(abs(b) > 10 * abs(a) for a, b in itertools.pairwise(values))
        if growing and abs(values[-1]) > 1e20 and len({_sign(v) for v in values}) == 1:
            return sp.oo if values[-1] > 0 else sp.S.NegativeInfinity
        if abs(values[-1] - values[-2]) <= mpmath.mpf(10) ** -20 * max(1, abs(values[-1])):
            return _numeric(values[-1])
    return None


def _value_at(expr: sp.Expr, x: sp.Symbol, point: sp.Expr, notes: list[str], what: str) -> sp.Expr:
    """``expr`` at *point*; a removable singularity (``sin(x)/x`` at 0) gives its limit."""
    value = expr.subs(x, point)
    if _is_value(value):
        return value
    eps = sp.Rational(1, 10**9)
    left = _definite(_limit(branch_at(expr, x, point - eps), x, point, "-", notes, what))
    right = _definite(_limit(branch_at(expr, x, point + eps), x, point, "+", notes, what))
    if left is not None and right is not None and _same(left, right):
        notes.append(f"{what}: {expr} is undefined at {x} = {point}; its limit {left} is used")
        return left
    raise ValueError(
        f"{what}: {expr} has no finite value at {x} = {point} ({value}); symnn analyses "
        "activations that are finite and differentiable on the real line except at the "
        "breakpoints of a piecewise definition"
    )


# ----------------------------------------------------------------------------
# Critical points: exact (solveset) or verified numeric sign changes of g'
# ----------------------------------------------------------------------------


def _never_zero(factor: sp.Expr) -> bool:
    return isinstance(factor, sp.exp) or factor.is_positive is True or factor.is_negative is True


def _solvable(dg: sp.Expr, x: sp.Symbol) -> bool:
    """Whether ``solveset`` can be expected to solve ``dg = 0`` quickly and completely.

    True when every factor of the numerator that can vanish is a polynomial in
    a single generator (``x``, ``tanh(x)``, ``exp(x)``, ...). Mixed equations
    such as ``1 + x + exp(x) = 0`` (SiLU) go straight to the numeric search.
    """
    if dg.has(sp.Piecewise):
        return False
    numerator, _ = sp.fraction(sp.together(to_elementary(dg)))
    for factor in sp.Mul.make_args(sp.factor_terms(numerator)):
        base = factor.base if factor.is_Pow and factor.exp.is_positive else factor
        if x not in base.free_symbols or _never_zero(base):
            continue
        try:
            gens = sp.Poly(base).gens
        except (sp.PolynomialError, sp.GeneratorsNeeded):
            return False
        if len(gens) != 1:
            return False
    return True


def _exact_roots(dg: sp.Expr, x: sp.Symbol, domain: sp.Set) -> list[sp.Expr] | None:
    """All roots of *dg* in *domain* if ``solveset`` finds a finite set in time, else None."""
    if not _solvable(dg, x):
        return None
    sols = _attempt(lambda: sp.solveset(to_elementary(dg), x, domain), _SOLVE_BUDGET)
    if sols is sp.S.EmptySet:
        return []
    if isinstance(sols, sp.FiniteSet) and all(_is_value(s) and s.is_finite for s in sols):
        return sorted(sols, key=_mpf)
    return None


def _grid(lo: sp.Expr, hi: sp.Expr) -> np.ndarray:
    """Dense on [-64, 64], geometric out to +-1e6, restricted to the open interval (lo, hi)."""
    far = np.geomspace(_WINDOW, _FAR, 121)[1:]
    grid = np.concatenate([-far[::-1], np.linspace(-_WINDOW, _WINDOW, 2**14 + 1), far])
    lo_f = -math.inf if lo.is_infinite else float(lo)
    hi_f = math.inf if hi.is_infinite else float(hi)
    inner = grid[(grid > lo_f) & (grid < hi_f)]
    ends = []
    if math.isfinite(lo_f):
        ends.append(lo_f + 1e-9 * max(1.0, abs(lo_f)))
    if math.isfinite(hi_f):
        ends.append(hi_f - 1e-9 * max(1.0, abs(hi_f)))
    return np.unique(np.concatenate([inner, ends]))


@dataclass
class _Scan:
    """Sign changes of g' found on the grid (unverified) and the sign where there are none."""

    brackets: list[tuple[float, float, int]]  # (a, b, sign of g' at a)
    sign: int  # the sign of g' on the grid if it never changes (0: identically zero)


def _scan(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> _Scan:
    grid = _grid(lo, hi)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(_np_callable(dg, x)(grid), dtype=float), grid.shape)
    keep = np.isfinite(values) & (values != 0)
    grid, signs = grid[keep], np.sign(values[keep]).astype(int)
    change = np.flatnonzero(signs[1:] != signs[:-1])
    brackets = [(float(grid[i]), float(grid[i + 1]), int(signs[i])) for i in change]
    return _Scan(brackets, int(signs[0]) if signs.size else 0)


def _refine(fn, a: mpmath.mpf, b: mpmath.mpf) -> mpmath.mpf | None:
    """A root of *fn* in [a, b] where it changes sign, verified on both sides; None if spurious."""
    fa, fb = fn(a), fn(b)
    if _sign(fa) * _sign(fb) != -1:
        return None  # a float64 rounding artefact: no sign change at 50 digits
    root = None
    with contextlib.suppress(Exception):
        root = mpmath.findroot(fn, (a, b), solver="anderson")
    if root is None or not (a <= root <= b) or not _verified(fn, root):
        lo, hi, flo = a, b, fa
        for _ in range(4 * mpmath.mp.prec):
            mid = (lo + hi) / 2
            fm = fn(mid)
            if _sign(fm) == 0 or hi - lo <= mpmath.eps * max(1, abs(mid)):
                break
            if _sign(fm) == _sign(flo):
                lo, flo = mid, fm
            else:
                hi = mid
        root = (lo + hi) / 2
    return root


def _verified(fn, root: mpmath.mpf) -> bool:
    """The sign of *fn* differs just left and just right of *root*."""
    delta = mpmath.mpf(10) ** (-(_DPS * 2) // 3) * max(1, abs(root))
    return _sign(fn(root - delta)) * _sign(fn(root + delta)) == -1


def _exact_guess(dg: sp.Expr, x: sp.Symbol, root: mpmath.mpf) -> sp.Expr | None:
    """A simple rational equal to a numeric root (sinc's maximum at 0) if g' vanishes there exactly."""
    for q in (1, 2, 3, 4, 6, 8, 12):
        guess = sp.Rational(int(mpmath.nint(root * q)), q)
        if abs(root - _mpf(guess)) <= mpmath.mpf(10) ** -40 * max(1, abs(root)):
            value = _exact_value(dg, x, guess)
            return guess if value is not None and value.is_zero else None
    return None


def _lambert_type(factor: sp.Expr, x: sp.Symbol) -> bool:
    """A polynomial in x and one exponential exp(a*x + b): what ``solve`` writes with LambertW."""
    exps = [e for e in factor.atoms(sp.exp) if x in e.free_symbols]
    if len(exps) != 1 or not exps[0].args[0].is_polynomial(x):
        return False
    if sp.degree(exps[0].args[0], x) != 1:
        return False
    try:
        poly = sp.Poly(factor, x, exps[0])
    except sp.PolynomialError:
        return False
    return poly.total_degree() <= 3


def _solved_root(dg: sp.Expr, x: sp.Symbol, root: mpmath.mpf) -> sp.Expr | None:
    """An exact root of *dg* equal to the numeric *root* (50 digits), from ``sympy.solve``.

    Tried only where ``solve`` can answer quickly: a factor of the numerator of
    *dg* that is a polynomial in x and one exponential (SiLU's
    :math:`1 + x + e^x`, solved as :math:`-1 - W(1/e)`).
    """
    if dg.has(sp.Piecewise):
        return None
    numerator, _ = sp.fraction(sp.together(to_elementary(dg)))
    for factor in sp.Mul.make_args(sp.factor_terms(numerator)):
        base = factor.base if factor.is_Pow and factor.exp.is_positive else factor
        if x not in base.free_symbols or _never_zero(base) or not _lambert_type(base, x):
            continue
        for candidate in attempt(lambda b=base: sp.solve(b, x), _LAMBERT_BUDGET) or []:
            if not (_is_value(candidate) and candidate.is_finite):
                continue
            with contextlib.suppress(Exception):
                if abs(_mpf(candidate) - root) <= mpmath.mpf(10) ** -40 * max(1, abs(root)):
                    return candidate
    return None


def _identified(value: sp.Expr, numeric: mpmath.mpf) -> sp.Expr | None:
    """The shortest exact form of *value* (checked equal to *numeric* to 45 digits), or None.

    Lambert's W obeys :math:`e^{W(z)} = z / W(z)`; with it, and ``nsimplify``
    against the W's that occur, SiLU's minimum
    :math:`(-1 - W)/(1 + e^{1 + W})` becomes :math:`-W(1/e)`.
    """
    candidates = [value]
    ws = list(value.atoms(sp.LambertW))
    if ws:

        def unexp(e: sp.exp) -> sp.Expr:
            terms = sp.Add.make_args(sp.expand(e.args[0]))
            return sp.Mul(
                *[t.args[0] / t if isinstance(t, sp.LambertW) else sp.exp(t) for t in terms]
            )

        rewritten = value.replace(lambda e: isinstance(e, sp.exp) and e.has(sp.LambertW), unexp)
        candidates.append(attempt(lambda: sp.factor(sp.cancel(rewritten)), _SOLVE_BUDGET))
    with mpmath.workdps(_DPS):
        text = mpmath.nstr(numeric, _DPS)
    candidates.append(
        attempt(lambda: sp.nsimplify(sp.Float(text, _DPS), ws, tolerance=1e-45), _SOLVE_BUDGET)
    )
    good = []
    for c in candidates:
        if c is None or not _is_value(c) or c.has(sp.Float):
            continue
        with contextlib.suppress(Exception):
            if abs(_mpf(c) - numeric) <= mpmath.mpf(10) ** -45 * max(1, abs(numeric)):
                good.append(c)
    if not good:
        return None
    return min(good, key=lambda c: (sp.count_ops(c), len(sp.srepr(c))))


def _exact_value(expr: sp.Expr, x: sp.Symbol, point: sp.Expr) -> sp.Expr | None:
    """*expr* at *point*, or its two-sided limit there (a removable singularity); None if neither."""
    value = _attempt(lambda: expr.subs(x, point), _SOLVE_BUDGET)
    if value is not None and _is_value(value):
        return value
    value = _attempt(lambda: sp.limit(_for_limits(expr), x, point, dir="+-"), _LIMIT_BUDGET)
    return value if value is not None and _is_value(value) else None


def _sign_changes(dfn, scan: _Scan) -> bool:
    """Whether some grid sign change of g' is real (opposite signs at 50 digits)."""
    with mpmath.workdps(_DPS):
        for a, b, _ in scan.brackets:
            if _sign(dfn(mpmath.mpf(a))) * _sign(dfn(mpmath.mpf(b))) == -1:
                return True
    return False


def _numeric_extreme(gfn, dfn, scan: _Scan, lowest: bool) -> tuple[mpmath.mpf, mpmath.mpf] | None:
    """The most extreme local minimum (or maximum) of g among the grid's sign changes of g'.

    Only brackets whose end values come close to the best one are refined.
    Returns (location, value) at the working precision, or None.
    """
    wanted = -1 if lowest else 1  # the sign of g' left of a minimum is -1
    with mpmath.workdps(_DPS):
        ranked = []
        for a, b, s in scan.brackets:
            if s != wanted:
                continue
            ends = [gfn(mpmath.mpf(a)), gfn(mpmath.mpf(b))]
            end = min(ends) if lowest else max(ends)
            ranked.append((end if lowest else -end, a, b))
        ranked.sort()
        best = None
        for key, a, b in ranked:
            if best is not None:
                bound = best[1] if lowest else -best[1]
                if key > bound + mpmath.mpf(10) ** -3 * (1 + abs(bound)):
                    break
            root = _refine(dfn, mpmath.mpf(a), mpmath.mpf(b))
            if root is None:
                continue
            value = gfn(root)
            if mpmath.isnan(value):  # a removable singularity (sin(x)/x at 0)
                nudge = mpmath.mpf(10) ** (-_DPS // 2) * max(1, abs(root))
                value = (gfn(root - nudge) + gfn(root + nudge)) / 2
            if best is None or (value < best[1] if lowest else value > best[1]):
                best = (root, value)
        return best


# ----------------------------------------------------------------------------
# The shape of a piece
# ----------------------------------------------------------------------------


@dataclass
class _PieceShape:
    kind: str  # "constant", "increasing", "decreasing" or "no"
    left: sp.Expr | None  # limit at the lower end (None: no limit)
    right: sp.Expr | None
    image: sp.Set | None = None
    numeric: bool = False


def _piece_shape(
    piece: _Piece, x: sp.Symbol, notes: list[str], what: str, need_image: bool
) -> _PieceShape:
    """Direction (and image, if asked) of the analytic formula *g* on the open interval."""
    g, lo, hi = piece.expr, piece.lo, piece.hi
    if x not in g.free_symbols:
        return _PieceShape("constant", g, g, sp.FiniteSet(g))
    dg = sp.diff(g, x)
    if dg.is_zero:
        return _PieceShape("constant", g, g, sp.FiniteSet(g))
    if need_image and lo.is_infinite and hi.is_infinite:
        periodic = _periodic_shape(g, dg, x, notes, what)
        if periodic is not None:
            return periodic

    # Limits at the ends: always for the image; at finite ends for the jumps.
    left = _limit(g, x, lo, "+", notes, what) if need_image or lo.is_finite else None
    right = _limit(g, x, hi, "-", notes, what) if need_image or hi.is_finite else None
    dfn = _mp_callable(dg, x)
    roots = _exact_roots(dg, x, sp.Interval.open(lo, hi))
    inner: list[sp.Expr] = []
    if roots is not None:
        # The sign of g' between consecutive roots decides direction and extrema.
        cuts = [_mpf(lo), *(_mpf(r) for r in roots), _mpf(hi)]
        with mpmath.workdps(_DPS):
            signs = [_interval_sign(dfn, a, b) for a, b in itertools.pairwise(cuts)]
        direction = set(signs) - {0}
        kind = "no" if len(direction) > 1 else _KIND[direction.pop() if direction else 0]
        if need_image:
            extrema = [
                r for r, s0, s1 in zip(roots, signs, signs[1:], strict=False) if s0 * s1 == -1
            ]
            inner = [v for v in (_exact_value(g, x, r) for r in extrema) if v is not None]
        numeric = False
    else:
        numeric = True
        scan = _scan(dg, x, lo, hi)
        if not need_image:
            changes = _sign_changes(dfn, scan)
            kind = "no" if changes else _KIND[scan.sign or _interval_sign(dfn, _mpf(lo), _mpf(hi))]
            return _PieceShape(kind, left, right, numeric=True)
        oscillating = _definite(left) is None or _definite(right) is None
        inner = _numeric_extrema(g, dg, dfn, x, scan, notes, what, oscillating)
        kind = "no" if inner else _KIND[scan.sign or _interval_sign(dfn, _mpf(lo), _mpf(hi))]
    if not need_image:
        return _PieceShape(kind, left, right, numeric=numeric)
    image = _image(left, right, inner, lo, hi, notes, what)
    return _PieceShape(kind, left, right, image, numeric)


_KIND = {1: "increasing", -1: "decreasing", 0: "constant"}


def _numeric_extrema(
    g: sp.Expr,
    dg: sp.Expr,
    dfn,
    x: sp.Symbol,
    scan: _Scan,
    notes: list[str],
    what: str,
    oscillating: bool = False,
) -> list[sp.Expr]:
    """The lowest local minimum and the highest local maximum of g, located numerically.

    A location that is a simple rational where g' vanishes exactly (sinc's
    maximum at 0) gives an exact value; otherwise the value is a 15-digit Float.
    When g has no limit at an infinite end (*oscillating*) and its most extreme
    value lies beyond the dense window, the extremes grow with |x| (``x sin x``):
    that side is reported unbounded.
    """
    gfn = _mp_callable(g, x)
    values = []
    for lowest in (True, False):
        best = _numeric_extreme(gfn, dfn, scan, lowest)
        if best is None:
            continue
        at, value_mp = best
        if oscillating and abs(at) > _WINDOW:
            values.append(sp.S.NegativeInfinity if lowest else sp.oo)
            notes.append(
                f"{what}: no limit at infinity, and the {'minima' if lowest else 'maxima'} keep "
                f"growing in size (the most extreme found at {x} = {mpmath.nstr(at, 8)}); "
                "taken as unbounded"
            )
            continue
        exact_at = _exact_guess(dg, x, at)
        solved = False
        if exact_at is None:
            exact_at = _solved_root(dg, x, at)
            solved = exact_at is not None
        exact_value = None if exact_at is None else _exact_value(g, x, exact_at)
        if exact_value is not None:
            exact_value = _identified(exact_value, value_mp)
        value = _numeric(value_mp) if exact_value is None else exact_value
        values.append(value)
        where = f"{exact_at} (exact)" if exact_value is not None else mpmath.nstr(at, 15)
        extreme = "lowest local minimum" if lowest else "highest local maximum"
        exactly = (
            f"; then solved exactly by SymPy and checked to {_DPS} digits"
            if solved and exact_value is not None
            else ""
        )
        notes.append(
            f"{what}: the {extreme} {value} at {x} = {where} was found numerically (a sign "
            f"change of the derivative, verified at {_DPS} digits; searched on "
            f"[-{_FAR:g}, {_FAR:g}]{exactly})"
        )
    return values


def _interval_sign(fn, a: mpmath.mpf, b: mpmath.mpf) -> int:
    """The sign of *fn* inside (a, b), where it has no sign change."""
    if mpmath.isinf(a) and mpmath.isinf(b):
        candidates = [mpmath.mpf(0), mpmath.mpf(1), mpmath.mpf(-1)]
    elif mpmath.isinf(a):
        candidates = [b - 1, b - mpmath.mpf("0.5"), b - 3]
    elif mpmath.isinf(b):
        candidates = [a + 1, a + mpmath.mpf("0.5"), a + 3]
    else:
        candidates = [
            a + (b - a) * w for w in (mpmath.mpf("0.5"), mpmath.mpf("0.3"), mpmath.mpf("0.7"))
        ]
    for t in candidates:
        s = _sign(fn(t))
        if s:
            return s
    return 0


def _image(
    left: sp.Expr | None,
    right: sp.Expr | None,
    inner: list[sp.Expr],
    lo: sp.Expr,
    hi: sp.Expr,
    notes: list[str],
    what: str,
) -> sp.Set:
    """The image of a continuous piece on (lo, hi) from its end limits and interior extrema."""
    ends = [v for v in (_definite(left), _definite(right)) if v is not None]
    if len(ends) < 2:
        notes.append(
            f"{what}: a limit at an end of ({lo}, {hi}) does not exist or is unknown "
            "(oscillation); the range there comes from the extrema found"
        )
    candidates = ends + inner
    if not candidates:
        return sp.Interval(-sp.oo, sp.oo)
    low = min(candidates, key=_mpf)
    high = max(candidates, key=_mpf)
    low_closed = any(_same(low, v) for v in inner)
    high_closed = any(_same(high, v) for v in inner)
    if _same(low, high):
        return sp.FiniteSet(low)
    return sp.Interval(_present(low), _present(high), not low_closed, not high_closed)


def _periodic_shape(
    g: sp.Expr, dg: sp.Expr, x: sp.Symbol, notes: list[str], what: str
) -> _PieceShape | None:
    """A periodic piece on the whole line: its image over one period, closed at both ends."""
    if not g.has(sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc):
        return None
    period = _attempt(lambda: sp.periodicity(g, x), _PERIOD_BUDGET)
    if period is None or not _is_value(period) or not period.is_positive:
        return None
    roots = _exact_roots(dg, x, sp.Interval(0, period))
    values = [g.subs(x, 0)]
    if roots is None:
        gfn, dfn = _mp_callable(g, x), _mp_callable(dg, x)
        scan = _scan(dg, x, sp.S.Zero, period)
        for lowest in (True, False):
            best = _numeric_extreme(gfn, dfn, scan, lowest)
            if best is not None:
                values.append(_numeric(best[1]))
        notes.append(f"{what}: extrema over one period found numerically")
    else:
        values += [g.subs(x, r) for r in roots]
    values = [v for v in values if _is_value(v)]
    low, high = min(values, key=_mpf), max(values, key=_mpf)
    notes.append(f"{what}: periodic with period {period}, so no limits at ±oo")
    return _PieceShape("no", None, None, sp.Interval(_present(low), _present(high)))


@dataclass
class _Shape:
    """What the pieces say about a whole (possibly piecewise) function."""

    points: list[sp.Expr]
    pieces: list[_Piece]
    shapes: list[_PieceShape]
    values: list[sp.Expr]  # at the breakpoints
    image: sp.Set | None
    monotonicity: str
    numeric: bool


def _check_domain(piece: _Piece, x: sp.Symbol, notes: list[str]) -> None:
    """Refuse a formula that is undefined or singular inside its piece; accept removable points.

    ``1/x``, ``log(x)`` or ``tan(x)`` are not activations on the real line;
    ``sin(x)/x`` is (its value at 0 is the limit, 1).
    """
    from sympy.calculus.util import continuous_domain

    interval = sp.Interval.open(piece.lo, piece.hi)
    domain = _attempt(
        lambda: continuous_domain(to_elementary(piece.expr), x, interval), _SOLVE_BUDGET
    )
    if domain is None:
        return  # SymPy cannot tell (erf, sinc): the functions symnn knows are continuous
    missing = sp.Complement(interval, domain)
    if missing is sp.S.EmptySet:
        return
    if isinstance(missing, sp.FiniteSet):
        for point in missing:
            what = f"the formula {piece.expr} at {x} = {point}"
            left = _definite(_limit(piece.expr, x, point, "-", notes, what))
            right = _definite(_limit(piece.expr, x, point, "+", notes, what))
            if left is None or right is None or not (left.is_finite and _same(left, right)):
                raise ValueError(
                    f"{piece.expr} has a singularity at {x} = {point} (limits {left} and {right}); "
                    "symnn analyses activations that are finite on the whole real line"
                )
            notes.append(f"{what} is undefined; it is taken as its limit {left} (removable)")
        return
    raise ValueError(
        f"{piece.expr} is not defined or not continuous everywhere on {interval} (SymPy finds it "
        f"continuous on {domain}); symnn analyses activations defined on the whole real line"
    )


def _shape(
    expr: sp.Expr,
    x: sp.Symbol,
    points: list[sp.Expr],
    pieces: list[_Piece],
    notes: list[str],
    what: str,
    need_image: bool,
) -> _Shape:
    if need_image:
        for piece in pieces:
            _check_domain(piece, x, notes)
    shapes = [_piece_shape(p, x, notes, what, need_image) for p in pieces]
    values = [_value_at(expr, x, b, notes, what) for b in points]
    monotonicity = _monotonicity(shapes, values)
    image = None
    if need_image:
        image = sp.Union(*(s.image for s in shapes), sp.FiniteSet(*values))
    return _Shape(
        points, pieces, shapes, values, image, monotonicity, any(s.numeric for s in shapes)
    )


def _monotonicity(shapes: list[_PieceShape], values: list[sp.Expr]) -> str:
    """Combine the pieces' directions with the jumps at the breakpoints."""
    kinds = {s.kind for s in shapes}
    if "no" in kinds or {"increasing", "decreasing"} <= kinds:
        return "no"
    ups = downs = True
    flat = True
    for before, value, after in zip(shapes, values, shapes[1:], strict=False):
        left, right = _definite(before.right), _definite(after.left)
        if left is None or right is None:
            return "no"
        chain = [left, value, right]
        ups &= all(not _less(b, a) for a, b in itertools.pairwise(chain))
        downs &= all(not _less(a, b) for a, b in itertools.pairwise(chain))
        flat &= _same(left, value) and _same(value, right)
    if kinds == {"constant"}:
        if flat:
            return "constant"
        return "non-decreasing" if ups else "non-increasing" if downs else "no"
    if "increasing" in kinds:
        if not ups:
            return "no"
        return "increasing" if "constant" not in kinds else "non-decreasing"
    if not downs:
        return "no"
    return "decreasing" if "constant" not in kinds else "non-increasing"


# ----------------------------------------------------------------------------
# Continuity
# ----------------------------------------------------------------------------


def _order_at(
    point: sp.Expr, value: sp.Expr, left: sp.Expr, right: sp.Expr, x: sp.Symbol, notes: list[str]
) -> int | sp.Expr:
    """The order k of C^k at a breakpoint between the formulas *left* and *right*."""
    what = f"continuity at {x} = {point}"
    lv = _definite(_limit(left, x, point, "-", notes, what))
    rv = _definite(_limit(right, x, point, "+", notes, what))
    if lv is None or rv is None or not (_same(lv, value) and _same(rv, value)):
        return -1
    if attempt(lambda: sp.expand(left - right), _SOLVE_BUDGET) == 0:
        return sp.oo
    dl, dr = left, right
    for k in range(1, MAX_CONTINUITY_ORDER + 1):
        dl, dr = sp.diff(dl, x), sp.diff(dr, x)
        lk = _definite(_limit(dl, x, point, "-", notes, what))
        rk = _definite(_limit(dr, x, point, "+", notes, what))
        if lk is None or rk is None or not _same(lk, rk):
            return k - 1
    if _attempt(lambda: sp.simplify(to_elementary(left - right)), _SOLVE_BUDGET) == 0:
        return sp.oo
    notes.append(
        f"{what}: the derivatives agree up to order {MAX_CONTINUITY_ORDER}; "
        f"reported as C^{MAX_CONTINUITY_ORDER} (at least)"
    )
    return MAX_CONTINUITY_ORDER


# ----------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Properties:
    r"""The analytic properties of one activation (parameters at their defaults).

    Any property the analysis could not settle within its :class:`Budget` is
    :data:`UNKNOWN` (printed ``?``), with a note saying why; ``complete`` says
    whether there is none.

    Attributes
    ----------
    name : the activation's name.
    expr : the definition with the parameters replaced by their default values
        (exact rationals: ``alpha = 0.01`` becomes ``1/100``); every property
        below is of this function.
    params : the parameter values used, as ``(name, value)`` pairs.
    range : the image :math:`f(\mathbb{R})` as a SymPy set: an ``Interval``
        with the correct open/closed ends, a ``FiniteSet`` (binary step) or a
        ``Union``. Exact where SymPy finds the value (SiLU's minimum is
        :math:`-W(1/e)`, with Lambert's W), else a 15-digit ``Float``.
    bounded_below, bounded_above : whether the range is bounded on that side.
    monotonicity : ``"increasing"``/``"decreasing"`` (strictly),
        ``"non-decreasing"``/``"non-increasing"``, ``"constant"``, or ``"no"``.
    monotonic : monotonic in the non-strict sense on all of :math:`\mathbb{R}`.
    derivative_monotonicity, derivative_monotonic : the same for :math:`f'`,
        the catalogue's derivative (its values at kinks follow the
        catalogue's convention, e.g. ReLU'(0) = 0).
    value_at_zero : :math:`f(0)` (a removable singularity gives its limit).
    derivative_at_zero : :math:`f'(0)` with the catalogue's convention at kinks.
    limit_neg_inf, limit_pos_inf : :math:`\lim_{x\to\mp\infty} f(x)`, SymPy
        values including ``oo``; None when there is no limit (``sin``).
    saturates : on which sides the limit is finite: ``"both"``, ``"left"``
        (:math:`x \to -\infty`), ``"right"`` (:math:`x \to +\infty`) or ``"none"``.
    continuity : ``k`` for :math:`C^k` (``-1``: discontinuous), ``sympy.oo``
        for :math:`C^\infty`.
    least_smooth : the breakpoints where the continuity order is attained (where
        :math:`f^{(k+1)}` jumps, or where :math:`f` jumps when ``k = -1``).
    discontinuities : the points where :math:`f` itself jumps.
    breakpoint_orders : every breakpoint with the order of smoothness there.
    zero_centred : :math:`\inf f < 0 < \sup f` — the function takes both signs, so
        its outputs can average to zero (tanh yes, sigmoid and ReLU no).
    approximates_identity : :math:`f(0) = 0` and :math:`f'(0) = 1` (the
        catalogue's derivative at 0), i.e. :math:`f(x) \approx x` near 0.
    symbolic : True when every answer above came from SymPy, False when a
        numeric fallback was used or something is unknown (see *notes*).
    notes : what was settled numerically or by convention, and what is unknown and why.
    """

    name: str
    expr: sp.Expr
    params: tuple[tuple[str, float], ...]
    range: Any  # sympy.Set or UNKNOWN
    bounded_below: Any  # bool or UNKNOWN (likewise below)
    bounded_above: Any
    monotonicity: Any
    monotonic: Any
    derivative_monotonicity: Any
    derivative_monotonic: Any
    value_at_zero: Any
    derivative_at_zero: Any
    limit_neg_inf: Any  # a SymPy value, None (no limit) or UNKNOWN
    limit_pos_inf: Any
    saturates: Any
    continuity: Any  # int or sympy.oo or UNKNOWN
    least_smooth: Any  # tuple or UNKNOWN (likewise the next two)
    discontinuities: Any
    breakpoint_orders: Any
    zero_centred: Any
    approximates_identity: Any
    symbolic: bool
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def continuity_class(self) -> str:
        """``"C∞"``, ``"C¹"``, ``"C⁻¹"``, ... (Unicode superscripts); ``"?"`` when unknown."""
        return format_continuity(self.continuity, "text")

    @property
    def unknown(self) -> tuple[str, ...]:
        """The names of the properties that are :data:`UNKNOWN`."""
        return tuple(f for f in _PROPERTY_FIELDS if is_unknown(getattr(self, f)))

    @property
    def complete(self) -> bool:
        """Whether every property is known."""
        return not self.unknown

    def as_dict(self) -> dict[str, Any]:
        """The properties as a plain dict (field name -> value)."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}

    def __str__(self) -> str:
        params = ", ".join(f"{k}={v:g}" for k, v in self.params)
        kinks = ""
        if is_unknown(self.least_smooth):
            kinks = " (kinks unknown)" if self.continuity is not UNKNOWN else ""
        elif self.least_smooth:
            kinks = f" (kinks at {', '.join(format_number(k) for k in self.least_smooth)})"
        lines = [
            f"{self.name}({params})" if params else self.name,
            f"  range                   {format_set(self.range)}",
            f"  monotonic               {format_flag(self.monotonicity)}",
            f"  derivative monotonic    {format_flag(self.derivative_monotonicity)}",
            f"  f(0), f'(0)             {format_number(self.value_at_zero)}, "
            f"{format_number(self.derivative_at_zero)}",
            f"  limits at -∞, +∞        {format_number(self.limit_neg_inf)}, "
            f"{format_number(self.limit_pos_inf)} (saturates: {format_flag(self.saturates)})",
            f"  continuity              {self.continuity_class}{kinks}",
            f"  zero-centred            {format_flag(self.zero_centred)}",
            f"  approximates identity   {format_flag(self.approximates_identity)}",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The same rows as ``str()``, as an HTML table (Jupyter)."""
        import html

        first, *rows = str(self).splitlines()
        cells = []
        for row in rows:
            label, _, value = row.strip().partition("  ")
            if label.startswith("note:"):
                label, value = "note", label[len("note:") :]
            cells.append(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value.strip())}</td></tr>")
        return f"<table><caption>{html.escape(first)}</caption>{''.join(cells)}</table>"


#: The fields that hold properties (and may be UNKNOWN).
_PROPERTY_FIELDS = (
    "range",
    "bounded_below",
    "bounded_above",
    "monotonicity",
    "monotonic",
    "derivative_monotonicity",
    "derivative_monotonic",
    "value_at_zero",
    "derivative_at_zero",
    "limit_neg_inf",
    "limit_pos_inf",
    "saturates",
    "continuity",
    "least_smooth",
    "discontinuities",
    "breakpoint_orders",
    "zero_centred",
    "approximates_identity",
)

_CACHE: dict[tuple, tuple[Properties, Budget]] = {}
_CACHE_SIZE = 512


def analyze(
    expr: Any,
    x: sp.Symbol | None = None,
    params: Mapping[sp.Symbol, float] | None = None,
    *,
    name: str | None = None,
    names: Mapping[sp.Symbol, str] | None = None,
    budget: Budget | float | None = None,
    cache: bool = True,
) -> Properties:
    r"""Range, monotonicity, limits, smoothness, ... of a function of one real variable.

    Everything is computed from *expr* with the parameters replaced by their
    numeric values (*params*): symbolically where SymPy finishes within a short
    time budget, numerically (and verified) where it cannot -- see the module
    docstring and ``Properties.notes``. The derivative's conventions at kinks
    are those of ``sympy.diff`` with the Dirac deltas of jumps dropped. For
    example :math:`f(x) = \max(0, x)` has range :math:`[0, \infty)`, is
    :math:`C^0` with a kink at 0, and :math:`f'(0) = 0`.

    The whole call takes at most ``budget.seconds`` (default
    :data:`~symnn.analysis.budget.DEFAULT_SECONDS`); what is not settled by then,
    or what lies beyond the budget's bounds (breakpoints, ``Max``/``Min``
    arguments, expression size), is :data:`UNKNOWN`, with a note.

    Results are cached in memory, and complete results also on disk
    (:mod:`symnn.analysis.cache`: ``$SYMNN_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/symnn``, else ``~/.cache/symnn``), keyed by the
    expression, the parameter values and the version of symnn; a cached entry
    is checked against the expression before it is used.

    Parameters
    ----------
    expr : sympy.Expr, or an object with ``expr``, ``symbol``, ``params`` and ``name``
        The function (an :class:`~symnn.Activation` works as it is).
    x : sympy.Symbol, optional
        The variable (default: the only free symbol that is not a parameter).
    params : mapping, optional
        Parameter symbols and the values to analyse at.
    name : str, optional
        A name for messages and the table (default ``"f"``).
    names : mapping, optional
        Display names of the parameters (default: the symbols' names).
    budget : Budget or float, optional
        The limits of this call, or just its total number of seconds.
    cache : bool
        Use the caches (memory and disk); False computes afresh and stores nothing.

    Returns
    -------
    Properties

    Examples
    --------
    >>> import symnn as sn
    >>> p = analyze(sn.activation("elu"))
    >>> p.range, p.continuity, p.derivative_at_zero, p.approximates_identity
    (Interval.open(-1, oo), 1, 1, True)
    >>> analyze(sn.activation("binary_step")).range
    {0, 1}
    >>> analyze(sn.activation("arctan")).range
    Interval.open(-pi/2, pi/2)
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> big = analyze(sp.Max(*[k * x for k in range(300)], evaluate=False))
    >>> big.range, big.value_at_zero, big.complete
    (UNKNOWN, 0, False)
    """
    budget = Budget.of(budget)
    if not isinstance(expr, sp.Basic) and hasattr(expr, "expr"):  # an Activation, duck-typed
        obj = expr
        expr, x = obj.expr, getattr(obj, "symbol", x)
        params = getattr(obj, "params", params)
        name = name or getattr(obj, "name", None)
        names = names or getattr(obj, "kwnames", None)
    if not isinstance(expr, sp.Expr) or expr.is_Relational:
        raise TypeError(
            f"analyze needs a SymPy expression in one variable or a symnn Activation "
            f"(e.g. symnn.activation('relu')), not {type(expr).__name__} {expr!r}"
        )
    params = dict(params or {})
    name = name or "f"
    if x is None:
        free = sorted(expr.free_symbols - set(params), key=lambda s: s.name)
        if len(free) > 1:
            raise ValueError(
                f"analyze: {expr} has several variables ({', '.join(s.name for s in free)}); "
                "pass x= and give the others values with params={...}"
            )
        x = free[0] if free else sp.Symbol("x", real=True)
    subs = {p: sp.Rational(repr(float(v))) for p, v in params.items()}
    f = expr.xreplace(subs)
    unknown = f.free_symbols - {x}
    if unknown:
        raise ValueError(
            f"analyze: {name} has free symbols {sorted(s.name for s in unknown)} without values"
        )
    shown = dict(names or {})
    key_params = tuple((shown.get(p, p.name), float(v)) for p, v in params.items())
    key = (name, f, x)
    if cache and key in _CACHE:
        found, used = _CACHE[key]
        if found.complete or used == budget:
            return found
    props = None
    if cache:
        from symnn.analysis import cache as disk

        fields = disk.load(f, x, key_params)
        if fields is not None:
            props = Properties(name=name, expr=f, params=key_params, **fields)
    if props is None:
        try:
            props = _analyze(name, f, x, key_params, budget)
        except (ValueError, TypeError):
            raise
        except Exception as err:  # a SymPy/NumPy failure on an unusual user expression
            raise ValueError(
                f"analyze could not analyse {name}({x}) = {f}: {type(err).__name__}: {err}"
            ) from err
        if cache and props.complete:
            disk.store(props, x)
    if cache:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (props, budget)
    return props


def _time_note(what: str, budget: Budget) -> str:
    return (
        f"{what}: unknown -- the analysis ran out of its time budget of {budget.seconds:g} s "
        "(give it more with budget=Budget(seconds=...) or budget=<seconds>)"
    )


def _analyze(name: str, f: sp.Expr, x: sp.Symbol, params: tuple, budget: Budget) -> Properties:
    """The properties, step by step; a step that runs out of budget leaves its fields UNKNOWN.

    Each step starts with a check of the deadline, so once the time is out the
    remaining steps are skipped at once; their names go into one note.
    """
    notes: list[str] = []
    out: dict[str, Any] = dict.fromkeys(_PROPERTY_FIELDS, UNKNOWN)
    late: list[str] = []  # the steps the time ran out for

    def step(what: str, run: Callable[[], Any]) -> Any:
        try:
            check()
            return run()
        except BudgetExceeded as err:
            notes.append(f"{what}: unknown -- {err}")
        except _BudgetExhausted:
            late.append(what)
        return None

    def derivative() -> sp.Expr:
        _check_bounds(f, budget, "the function")
        fprime = sp.diff(f, x)
        return fprime.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)

    shape = dshape = None
    deferred: list[ValueError] = []

    def value_at_zero(g: sp.Expr, what: str) -> sp.Expr | None:
        try:
            return _value_at(g, x, sp.S.Zero, notes, what)
        except ValueError as err:  # a more specific error may come from the range: raise later
            deferred.append(err)
            return None

    with total(budget.seconds):
        split = step("range, monotonicity, limits, continuity", lambda: _split(f, x, budget))
        fprime = step("f'(0), derivative monotonic", derivative)
        f0 = step("f(0)", lambda: value_at_zero(f, "f(0)"))
        d0 = None if fprime is None else step("f'(0)", lambda: value_at_zero(fprime, "f'(0)"))
        if f0 is not None:
            out["value_at_zero"] = step("f(0)", lambda: _present(_simplest(f0)))
        if d0 is not None:
            out["derivative_at_zero"] = step("f'(0)", lambda: _present(_simplest(d0)))
        if f0 is not None and d0 is not None:
            out["approximates_identity"] = _same(f0, sp.S.Zero) and _same(d0, sp.S.One)
        if split is not None:
            shape = step(
                "range, monotonicity, limits, continuity",
                lambda: _shape(f, x, *split, notes, "range", need_image=True),
            )
        if deferred:
            raise deferred[0]
        if shape is not None:
            _fill_shape(out, shape)
            step("continuity", lambda: _fill_continuity(out, shape, x, notes))
        if fprime is not None:

            def derivative_shape() -> _Shape:
                dsplit = _split(fprime, x, budget, "the derivative")
                return _shape(fprime, x, *dsplit, notes, "derivative", need_image=False)

            dshape = step("derivative monotonic", derivative_shape)
            if dshape is not None:
                out["derivative_monotonicity"] = dshape.monotonicity
                out["derivative_monotonic"] = dshape.monotonicity != "no"

    for key in _PROPERTY_FIELDS:
        if out[key] is None and key not in ("limit_neg_inf", "limit_pos_inf"):
            out[key] = UNKNOWN  # a step that ran out of time returned nothing
    if late:
        notes.append(_time_note(", ".join(dict.fromkeys(late)), budget))
    props = Properties(
        name=name,
        expr=f,
        params=params,
        symbolic=False,
        notes=tuple(dict.fromkeys(notes)),
        **out,
    )
    numeric = any(s is not None and s.numeric for s in (shape, dshape))
    symbolic = not numeric and not notes and props.complete
    return _replace(props, symbolic=symbolic)


def _replace(props: Properties, **changes: Any) -> Properties:
    import dataclasses

    return dataclasses.replace(props, **changes)


def _fill_shape(out: dict[str, Any], shape: _Shape) -> None:
    rng = shape.image
    lo, hi = rng.inf, rng.sup
    out["range"] = rng
    out["bounded_below"] = bool(lo.is_finite)
    out["bounded_above"] = bool(hi.is_finite)
    out["monotonicity"] = shape.monotonicity
    out["monotonic"] = shape.monotonicity != "no"
    limit_neg = _present(_simplest(_definite(shape.shapes[0].left)))  # None: no limit
    limit_pos = _present(_simplest(_definite(shape.shapes[-1].right)))
    out["limit_neg_inf"], out["limit_pos_inf"] = limit_neg, limit_pos
    left_finite = limit_neg is not None and limit_neg.is_finite
    right_finite = limit_pos is not None and limit_pos.is_finite
    out["saturates"] = {(True, True): "both", (True, False): "left", (False, True): "right"}.get(
        (left_finite, right_finite), "none"
    )
    out["zero_centred"] = bool(_less(lo, sp.S.Zero) and _less(sp.S.Zero, hi))


def _fill_continuity(out: dict[str, Any], shape: _Shape, x: sp.Symbol, notes: list[str]) -> None:
    orders = []
    for point, value, before, after in zip(
        shape.points, shape.values, shape.pieces, shape.pieces[1:], strict=False
    ):
        orders.append((point, _order_at(point, value, before.expr, after.expr, x, notes)))
    finite = [o for _, o in orders if o is not sp.oo]
    continuity = min(finite) if finite else sp.oo
    out["continuity"] = continuity
    out["least_smooth"] = tuple(_present(p) for p, o in orders if o == continuity) if finite else ()
    out["discontinuities"] = tuple(_present(p) for p, o in orders if o == -1)
    out["breakpoint_orders"] = tuple((_present(p), o) for p, o in orders)


# ----------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_flag(flag: Any) -> str:
    """``"yes"``/``"no"`` for a flag, the text of a word (``"increasing"``), ``"?"`` if unknown.

    >>> format_flag(True), format_flag("non-decreasing"), format_flag(UNKNOWN)
    ('yes', 'non-decreasing', '?')
    """
    if flag is UNKNOWN:
        return "?"
    if isinstance(flag, str):
        return flag
    return "yes" if flag else "no"


def _is_zero(value: Any) -> bool:
    try:
        return bool(value.is_zero) if isinstance(value, sp.Basic) else value == 0
    except TypeError:
        return False


def format_number(value: Any, style: str = "text") -> str:
    r"""A number for a table cell: ``"∞"``, ``"π/2"``, ``"-0.278465"``; ``style`` is text or latex.

    None (no limit) is a dash, :data:`UNKNOWN` a ``?``; a signed zero prints as ``0``.

    >>> import sympy as sp
    >>> format_number(-sp.pi / 2), format_number(sp.Float("-0.278464542761074")), format_number(None)
    ('-π/2', '-0.278465', '—')
    >>> format_number(sp.log(2), "latex")
    '\\log{\\left(2 \\right)}'
    >>> format_number(sp.Float(-0.0)), format_number(-0.0, "latex"), format_number(UNKNOWN)
    ('0', '0', '?')
    """
    if value is UNKNOWN:
        return "?"
    if value is None:
        return "—" if style == "text" else r"\text{---}"
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        value = sp.Float(value) if isinstance(value, float) else sp.Integer(value)
    if value.is_Number and _is_zero(value):
        return "0"  # never "-0"
    if style == "latex":
        if isinstance(value, sp.Float):
            return _float_text(value)
        return sp.latex(value)
    if value is sp.oo:
        return "∞"
    if value is sp.S.NegativeInfinity:
        return "-∞"
    if isinstance(value, sp.Float):
        return _float_text(value)
    text = sp.sstr(value)
    for old, new in (
        ("LambertW", "W"),
        ("exp(-1)", "1/e"),
        ("pi", "π"),
        ("oo", "∞"),
        ("sqrt", "√"),
        ("log", "ln"),
        ("*", "·"),
    ):
        text = text.replace(old, new)
    return re.sub(r"\bE\b", "e", text)


def _float_text(value: sp.Float) -> str:
    text = f"{float(value):.6g}"
    return "0" if float(text) == 0 else text


def format_set(s: Any, style: str = "text") -> str:
    r"""A range for a table cell: ``"[0, ∞)"``, ``"ℝ"``, ``"{0, 1}"``; ``style`` is text or latex.

    >>> import sympy as sp
    >>> format_set(sp.Interval(0, sp.oo)), format_set(sp.Interval(-sp.oo, sp.oo)), format_set(sp.FiniteSet(0, 1))
    ('[0, ∞)', 'ℝ', '{0, 1}')
    >>> format_set(sp.Interval.open(-1, 1), "latex")
    '\\left(-1, 1\\right)'
    >>> format_set(UNKNOWN)
    '?'
    """
    if s is UNKNOWN:
        return "?"
    latex = style == "latex"
    if s == sp.Interval(-sp.oo, sp.oo) or s is sp.S.Reals:
        return r"\mathbb{R}" if latex else "ℝ"
    if s is sp.S.EmptySet:
        return r"\emptyset" if latex else "∅"
    if isinstance(s, sp.Interval):
        a, b = (format_number(v, style) for v in (s.start, s.end))
        if latex:
            a = a.replace("-∞", r"-\infty")
            left = r"\left(" if s.left_open else r"\left["
            right = r"\right)" if s.right_open else r"\right]"
            return f"{left}{a}, {b}{right}"
        return f"{'(' if s.left_open else '['}{a}, {b}{')' if s.right_open else ']'}"
    if isinstance(s, sp.FiniteSet):
        items = ", ".join(format_number(v, style) for v in sorted(s, key=_mpf))
        return rf"\{{{items}\}}" if latex else f"{{{items}}}"
    if isinstance(s, sp.Union):
        parts = sorted(s.args, key=lambda a: _mpf(a.inf))
        return (r" \cup " if latex else " ∪ ").join(format_set(p, style) for p in parts)
    return sp.latex(s) if latex else str(s)


def format_continuity(order: Any, style: str = "text") -> str:
    """``C∞``, ``C¹``, ``C⁻¹`` (text) or ``C^{\\infty}`` (latex); ``?`` when unknown."""
    if order is UNKNOWN:
        return "?"
    if style == "latex":
        return r"C^{\infty}" if order is sp.oo else f"C^{{{order}}}"
    return "C∞" if order is sp.oo else "C" + str(order).translate(_SUPERSCRIPT)
