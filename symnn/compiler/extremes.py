r"""Values at :math:`\pm\infty` and NaN: the limits, computed once at compile time.

A stable formula can still fail at an infinite input: GELU's :math:`x\,\Phi(x)` is
:math:`-\infty \cdot 0` at :math:`-\infty`, softsign's :math:`x/(1 + |x|)` is
:math:`\infty/\infty`, bent identity's :math:`\sqrt{x^2+1} + x` is :math:`\infty - \infty`,
and ``logaddexp`` warns on NaN. The limit exists all the same (0, :math:`\pm 1`,
:math:`-\infty`), so :func:`infinity_limits` computes it once, at compile time, and the
generated code hands any non-finite input to :func:`~symnn.compiler.kernels.finite_only`
(the formula sees 0 there instead) and puts the limits back with
:func:`~symnn.compiler.kernels.put_limits` (NaN in gives NaN out). Functions that already
give a quiet, non-NaN value at :math:`\pm\infty` and NaN at NaN get no extra code.

The limit :math:`\lim_{x\to\pm\infty} f(x)` is taken numerically, from the *same* SymPy
expression evaluated in mpmath at :math:`x = \pm 10^{100}` and :math:`\pm 3\cdot 10^{100}`
with 250 digits (enough for a cancellation such as :math:`x(\sqrt{x^2+1} - x)`, which
loses 200): the two values agree to 1e-20 (a finite limit), are both beyond the float64
range with one sign or beyond :math:`10^{40}` and growing (:math:`\pm\infty`), or both
below :math:`2^{-1100}` or below :math:`10^{-40}` and not growing (0). When that cannot tell,
the same at :math:`10^{400}` with 900 digits; otherwise there is no limit
(:math:`\sin x`) and the result is NaN. This works for piecewise functions and the
special functions of :mod:`symnn.expr.functions`, where ``sympy.limit`` often does not;
a limit approached very slowly (:math:`1/\log x`) is not recognised and gives NaN.

The limits are those at the parameters' compiled defaults; with other parameter values
at call time, infinite inputs go through the formula as they are.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> from symnn.compiler import compile
>>> f = compile(x / (1 + sp.Abs(x)), x)     # softsign: inf/inf at +-inf
>>> f([-float("inf"), float("inf"), float("nan")])
array([-1.,  1., nan])
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp

from symnn.expr.functions import to_elementary

__all__ = [
    "ElementLimit",
    "ElementValue",
    "infinity_limits",
    "limit_at_infinity",
    "needs_limits",
    "overflows",
]

#: ``(decades, digits)``: evaluate at :math:`\pm 10^{d}` and :math:`\pm 3\cdot 10^{d}` with
#: this many digits (enough for a cancellation such as :math:`x(\sqrt{x^2+1} - x)`, which
#: loses :math:`2d`); the second scale only when the first one cannot tell.
_SCALES = ((100, 250), (400, 900))
_AGREE = mpmath.mpf(10) ** -20
_HUGE = mpmath.mpf(2) ** 1024  # beyond float64
_TINY = mpmath.mpf(2) ** -1100  # rounds to 0 in float64
_FAST = mpmath.mpf(10) ** 40  # |f| past this and growing with x: the limit is infinite
_MP_ERRORS = (ZeroDivisionError, ValueError, TypeError, OverflowError, NameError, ArithmeticError)


def infinity_limits(
    expr: sp.Expr, x: sp.Symbol, fn: Callable, params: Mapping[sp.Symbol, float] | None = None
) -> tuple[float, float] | None:
    r"""``(limit at -inf, limit at +inf)`` for the generated code, or None if it needs none.

    *fn* is the compiled formula of *expr* (parameters at their defaults). None when *fn*
    already returns a non-NaN value at :math:`\pm\infty` and NaN at NaN, all without a
    floating-point warning.
    """
    if not needs_limits(fn, 1):
        return None
    subs = {p: sp.Float(float(v), 30) for p, v in (params or {}).items()}
    expr = expr.xreplace(subs)
    if expr.free_symbols - {x}:
        return None
    return limit_at_infinity(expr, x, -1), limit_at_infinity(expr, x, 1)


def limit_at_infinity(expr: sp.Expr, x: sp.Symbol, sign: int) -> float:
    r""":math:`\lim_{x \to \pm\infty}` *expr* as a float (sign -1 or +1), NaN if there is none.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> limit_at_infinity(x * (sp.sqrt(x**2 + 1) - x), x, 1)
    0.5
    >>> limit_at_infinity(sp.sin(x), x, 1), limit_at_infinity(-x / sp.log(x**2), x, -1)
    (nan, inf)
    """
    try:
        fn = sp.lambdify(
            x, to_elementary(expr), modules=[{"tanh": _mp_tanh, "exp": _mp_exp}, "mpmath"]
        )
    except _MP_ERRORS:
        return float("nan")
    for far, digits in _SCALES:
        with mpmath.workdps(digits):
            values = [_real_value(fn, sign * k * mpmath.mpf(10) ** far) for k in (1, 3)]
            if any(v is None for v in values):
                continue  # mpmath cannot evaluate there (erfc at 1e400): the other scale
            verdict = _verdict(*values)
        if verdict is not None:
            return verdict
    return float("nan")


def _mp_tanh(t):
    """mpmath's tanh, but +-1 where it is within the working precision of it (mpmath raises
    OverflowError for tanh(e^(10^100)), TanhExp's argument at the probe points)."""
    if isinstance(t, mpmath.mpf) and abs(t) > 2 * mpmath.mp.prec:
        return mpmath.sign(t)  # 1 - 2e^(-2|t|) rounds to 1 at this precision
    return mpmath.tanh(t)


#: Beyond this argument e^t is taken as inf (or 0): mpmath would first compute e to about
#: log2(t) bits (e^(e^(10^100)), the rule exp_sech2_exp's probe, never finished).
_EXP_CAP = mpmath.mpf(2) ** (2**20)


def _mp_exp(t):
    """mpmath's exp, but +-inf and 0 for arguments beyond :data:`_EXP_CAP` in magnitude."""
    if isinstance(t, mpmath.mpf) and abs(t) > _EXP_CAP:
        return mpmath.inf if t > 0 else mpmath.mpf(0)
    return mpmath.exp(t)


def _real_value(fn: Callable, t: mpmath.mpf) -> mpmath.mpf | None:
    """*fn* at *t* as a real mpf; NaN if complex or undefined there, None if mpmath fails."""
    try:
        v = fn(t)
    except _MP_ERRORS:
        return None
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > _TINY * max(1, abs(v.real)):
            return mpmath.nan
        v = v.real
    return mpmath.mpf(v)


def _verdict(a: mpmath.mpf, b: mpmath.mpf) -> float | None:
    r"""The limit from the values at :math:`10^d` and :math:`3\cdot 10^d`; None if unclear."""
    if mpmath.isnan(a) or mpmath.isnan(b):
        return float("nan")
    same = mpmath.sign(a) == mpmath.sign(b) != 0
    if same and abs(a) >= _HUGE and abs(b) >= _HUGE:
        return float(mpmath.sign(b)) * float("inf")
    if abs(a) <= _TINY and abs(b) <= _TINY:
        return 0.0
    if abs(a - b) <= _AGREE * max(abs(a), abs(b)):
        return float(b)
    grows = same and abs(b) >= 2 * abs(a)  # at least like x^0.6 (if it is a power)
    if grows and abs(a) >= _FAST:
        return float(mpmath.sign(b)) * float("inf")
    if not grows and abs(a) <= 1 / _FAST and abs(b) <= 1 / _FAST:  # 1/x, or sin(x)/x
        return 0.0
    return None


#: Finite values the other arguments take in the compile-time probe of a function of
#: several arguments (targets of the losses: 0, 1, a fraction, a negative, a count).
_PROBE_VALUES = (0.0, 1.0, 0.3, -1.0, 2.0)


def needs_limits(fn: Callable, nargs: int) -> bool:
    r"""Does *fn* fail at non-finite input: a warning, an exception, or NaN where not due?

    With one argument: NaN at :math:`\pm\infty`, or not NaN at NaN. With several: each
    argument in turn at :math:`\pm\infty` and NaN, the others at a few finite values; NaN
    in must give NaN out, an infinity anything quietly (NaN included: mse(inf, inf)).
    """
    special = np.array([-np.inf, np.inf, np.nan])
    if nargs == 1:
        columns = [special]
    else:
        rows = [
            [v if j != i else s for j, v in enumerate(others)]
            for i in range(nargs)
            for s in special
            for others in itertools.product(_PROBE_VALUES[:3], repeat=nargs)
        ]
        columns = list(np.array(rows, dtype=np.float64).T)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise", under="ignore"):
                got = np.asarray(fn(*columns), dtype=np.float64)
    except Exception:  # any failure at +-inf or NaN: take the limits instead
        return True
    if got.shape != columns[0].shape:
        return True
    nan_in = np.isnan(np.stack(columns)).any(axis=0)
    if not np.isnan(got[nan_in]).all():
        return True
    return nargs == 1 and bool(np.isnan(got[~nan_in]).any())


class ElementLimit:
    r"""The value of a function of several arguments at one point with non-finite entries.

    NaN if any argument is NaN or more than one is infinite; otherwise the limit in the
    infinite argument with the others fixed (:func:`limit_at_infinity`), cached per point.
    Called by :func:`~symnn.compiler.kernels.put_limits_at` for the few such elements.

    >>> import sympy as sp
    >>> z, t = sp.symbols("z t", real=True)
    >>> bce = ElementLimit(sp.Max(z, 0) - z * t + sp.log(1 + sp.exp(-sp.Abs(z))), (z, t))
    >>> bce(float("inf"), 1.0), bce(float("inf"), 0.5), bce(float("nan"), 1.0)
    (0.0, inf, nan)
    """

    def __init__(self, expr: sp.Expr, args: tuple[sp.Symbol, ...]) -> None:
        self.expr, self.args = expr, tuple(args)
        self._cached = functools.lru_cache(maxsize=4096)(self._value)

    def __call__(self, *values: float) -> float:
        return self._cached(*(float(v) for v in values))

    def _value(self, *values: float) -> float:
        if any(np.isnan(v) for v in values):
            return float("nan")
        infinite = [i for i, v in enumerate(values) if np.isinf(v)]
        if len(infinite) != 1:
            return float("nan")
        (i,) = infinite
        subs = {a: sp.Float(v, 30) for j, (a, v) in enumerate(zip(self.args, values, strict=True)) if j != i}
        return limit_at_infinity(self.expr.xreplace(subs), self.args[i], int(np.sign(values[i])))


def overflows(fn: Callable, nargs: int) -> bool:
    r"""Does *fn* overflow (with a warning) at :math:`\pm 10^{300}` in some argument?

    The others are at a few finite values. Such a function (:math:`(\hat y - y)^2`,
    :math:`e^x`) is compiled to check its infinite results (:class:`ElementValue`).
    """
    rows = [
        [v if j != i else s for j, v in enumerate(others)]
        for i in range(nargs)
        for s in (-1e300, -1e200, 1e200, 1e300)
        for others in itertools.product(_PROBE_VALUES[:3], repeat=nargs)
    ]
    columns = list(np.array(rows, dtype=np.float64).T)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore", over="raise"):
                fn(*columns)
    except FloatingPointError:
        return True
    except Exception:
        pass
    return False


class ElementValue:
    r"""The true value of an expression at one point, rounded to float64 (inf beyond it).

    For the elements where a compiled formula overflowed to :math:`\pm\infty` at finite
    input: inf is right only when the true value is beyond float64 (:math:`(10^{300})^2`);
    otherwise (an intermediate overflow) this gives the true value. mpmath at 80 digits,
    (plus 2.2 per decade of the arguments), cached per point. Called by :func:`~symnn.compiler.kernels.exact_where_overflow`.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> f = ElementValue(sp.log(x**2), (x,))
    >>> f(1e300), ElementValue(x**2, (x,))(1e300)
    (1381.5510557964274, inf)
    """

    def __init__(self, expr: sp.Expr, args: tuple[sp.Symbol, ...]) -> None:
        self.expr, self.args = expr, tuple(args)
        self._fn = sp.lambdify(  # e^(e^(10^300)) is inf, not a precision mpmath never reaches
            self.args, to_elementary(expr), modules=[{"tanh": _mp_tanh, "exp": _mp_exp}, "mpmath"]
        )
        self._cached = functools.lru_cache(maxsize=4096)(self._value)

    def __call__(self, *values: float) -> float:
        return self._cached(*(float(v) for v in values))

    def _value(self, *values: float) -> float:
        # x - sqrt(x^2 + 1) at 1e200 cancels 400 digits: 80 plus 2.2 per decade of |x| > 1
        big = max([abs(v) for v in values if v != 0], default=1.0)
        with mpmath.workdps(80 + int(2.2 * max(0.0, np.log10(big)))):
            try:
                v = self._fn(*(mpmath.mpf(t) for t in values))
                if isinstance(v, mpmath.mpc):
                    return float("nan")
                v = mpmath.mpf(v)
            except _MP_ERRORS:
                return float("nan")
            if mpmath.isnan(v):
                return float("nan")
            if abs(v) >= _HUGE:
                return float(mpmath.sign(v)) * float("inf")
            return float(v)
