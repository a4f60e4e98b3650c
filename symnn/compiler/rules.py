r"""The stabilisation rules, one registered row each, and :func:`stabilize`.

A naive ``lambdify`` is not good enough for neural-network mathematics: the
derivative of :math:`1/(1+e^{-x})` is NaN at :math:`x=-1000`, :math:`\log(1+e^x)` is
inf at :math:`x=1000`, :math:`1+\operatorname{erf}(x)` loses every digit at
:math:`x=-10`. Before printing, the compiler rewrites such patterns into stable
forms -- wherever they occur, so a user's own expression benefits too. In the
table, k (a common factor of the two terms) is left out: :math:`k u + k\tanh u`
is the row :math:`u - \tanh u` with k = -1. This table is generated from the
registry (:data:`RULES`, ``RULES.table()``); a test keeps it in sync:

==================================================================================  ===========================================================================================================
pattern                                                                             stable form
==================================================================================  ===========================================================================================================
:math:`\delta(u),\ \delta^{(n)}(u)`                                                 :math:`0\text{ (the derivative almost everywhere)}`
:math:`\frac{d}{dx}\lfloor u\rfloor,\ \frac{d}{dx}\lceil u\rceil`                   :math:`0`
:math:`\operatorname{sign}(u)\,|u|^{1/3}`                                           ``numpy.cbrt(u)``
:math:`(a + a e^{v})^{n}\text{ (also }a(1+e^v)^m\text{ expanded)}`                  :math:`a^n\sigma(-v)^{-n}`
:math:`\sqrt{a u^2 + c}^{\,p}\ (p \text{ odd, or } p < 0)`                          :math:`\sqrt a^{\,p}\operatorname{hypot}(u, \sqrt{c/a})^p\text{ (no overflow)}`
:math:`\log\sigma(u)`                                                               :math:`-\operatorname{softplus}(-u)`
:math:`\log\cosh u`                                                                 :math:`\texttt{kernels.log\_cosh}\text{ (overflow-free, exact near 0)}`
:math:`\log(a + a e^{u})`                                                           :math:`\log a + \operatorname{softplus}(u)`
:math:`\log(1+u)`                                                                   :math:`\operatorname{log1p}(u)`
:math:`1 - \sigma(u)`                                                               :math:`\sigma(-u)`
:math:`\sigma(u) - \tfrac12`                                                        :math:`\tfrac12\tanh(u/2)\text{ (no cancellation near 0)}`
:math:`\sigma(u) - \sigma(u)^2`                                                     :math:`\sigma(u)\sigma(-u)`
:math:`1 + \operatorname{erf}u`                                                     :math:`\operatorname{erfc}(-u)`
:math:`1 - \operatorname{erf}u`                                                     :math:`\operatorname{erfc}(u)`
:math:`1 + \tanh u`                                                                 :math:`2\sigma(2u)`
:math:`1 - \tanh u`                                                                 :math:`2\sigma(-2u)`
:math:`1 - \tanh^2 u`                                                               :math:`\operatorname{sech}^2 u\text{ (overflow-free)}`
:math:`p(\tanh u)\ \text{with } p(\pm 1) = 0\ (2\tanh^3 u - 2\tanh u)`              :math:`-\operatorname{sech}^2 u\;q(\tanh u)\text{ with }p(t) = (t^2 - 1)q(t)\text{ (no cancellation)}`
:math:`e^{u} - 1`                                                                   :math:`\operatorname{expm1}(u)`
:math:`u - \tanh u`                                                                 :math:`\texttt{kernels.x\_minus\_tanh}\text{ (a series near 0)}`
:math:`\cos(u)/u - \sin(u)/u^2`                                                     :math:`\texttt{kernels.dsinc}\text{ (0 at 0)}`
:math:`u + \sqrt{u^2 + c^2}`                                                        :math:`\texttt{kernels.add\_hypot}\text{ (no cancellation for } u < 0)`
:math:`-u + \sqrt{u^2 + c^2}`                                                       :math:`\texttt{kernels.add\_hypot}(-u, c)`
:math:`1 + u/\sqrt{u^2 + c^2}`                                                      :math:`\texttt{kernels.one\_plus\_ratio}`
:math:`1 - u/\sqrt{u^2 + c^2}`                                                      :math:`\texttt{kernels.one\_plus\_ratio}(-u, c)`
:math:`\sqrt{u^2 + c^2} - c`                                                        :math:`\texttt{kernels.hypot\_minus}\text{ (pseudo-Huber, bent identity)}`
:math:`\frac{1}{\sqrt{u^2+c^2}} - \frac{u^2}{\sqrt{u^2+c^2}^3}`                     :math:`c^2/\sqrt{u^2+c^2}^3`
:math:`1 - \frac{u^2}{u^2 + c^2}`                                                   :math:`c^2/(u^2 + c^2)`
:math:`e^{-m s}\,\sigma(s)^q\ (1 \le m \le q)`                                      :math:`\sigma(-s)^m\sigma(s)^{q-m}`
:math:`e^{\pm u}\,\sigma(u)\sigma(-u)`                                              :math:`\sigma(\pm u)^2`
:math:`(a + b e^{w})\,\sigma(s)^q`                                                  :math:`a\sigma(s)^q + b e^{w}\sigma(s)^q\text{ (so that } e^{w}\text{ meets } \sigma)`
:math:`u/\sqrt{u^2 + c^2}`                                                          :math:`\texttt{kernels.hypot\_ratio}\text{ (}\pm 1\text{ at }\pm\infty)`
:math:`\sinh(u)/\cosh(u)`                                                           :math:`\tanh u\text{ (inf/inf-free)}`
:math:`\sigma(u)\sigma(-u)`                                                         :math:`\text{one exponential (}\texttt{kernels.sigmoid\_prime})`
:math:`\sin(u)/u`                                                                   :math:`\texttt{kernels.sinc}\text{ (1 at 0)}`
:math:`(\cos u - \operatorname{sinc} u)/u`                                          :math:`\texttt{kernels.dsinc}\text{ (0 at 0)}`
:math:`1 + \sin u`                                                                  :math:`(\sin\tfrac u2 + \cos\tfrac u2)^2\text{ (no cancellation where }\sin u = -1)`
:math:`(1 + u)^n - 1\ (n = 2, \dots, 16)`                                           :math:`u\,\textstyle\sum_{j<n}(1 + u)^j\text{ (Horner; exact near } u = 0)`
:math:`e^{u}\operatorname{sech}^2(e^{u})`                                           :math:`\text{the same at }\min(u, 8)\text{ (0 beyond; no overflow)}`
:math:`a u + b\ (b/a\text{ exact in float64})`                                      :math:`a(u + b/a)\text{: exact near the root}`
:math:`d(u)\,p(x),\ d\text{ decaying, }p\text{ a polynomial of degree}\ge 2`        :math:`\texttt{kernels.zero\_times}\text{: 0, not }0\cdot\infty\text{, where }p\text{ overflows}`
:math:`\tanh(e^{u})`                                                                :math:`\tanh(e^{\min(u, 8)})\text{ (1 beyond; no overflow)}`
:math:`e^{p u + q - k e^{u}}\ (k > 0)`                                              :math:`\text{the same at }\min(u, c)\text{, where it is 0 (no overflow)}`
:math:`\operatorname{expm1}(p u + q - k e^{u})\ (k > 0)`                            :math:`\text{the same at }\min(u, c)\text{, where it is }-1\text{ (no overflow)}`
:math:`c + N/D\ (\text{terms of } cD + N \text{ cancel})`                           :math:`(cD + N)/D\text{ with the cancelled terms gone}`
:math:`\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}\ (\text{degree} \ge 3)`              :math:`\texttt{kernels.poly\_ratio}\text{ (in } 1/u \text{ for } |u| > 1\text{; compensated Horner)}`
:math:`\frac{d}{du}\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}\ (\text{degree} \ge 3)`  :math:`\texttt{kernels.poly\_ratio\_prime}\text{ (one exact polynomial per side; in } 1/u \text{ far out)}`
:math:`N e^{jw}/(R + c e^{w})^n\ (R\text{ not constant})`                           :math:`N e^{jw - n\max(w,0)}/(R e^{-\max(w,0)} + c e^{\min(w,0)})^n\text{ (no overflow)}`
==================================================================================  ===========================================================================================================

(:math:`\sigma` is symnn's :class:`~symnn.expr.functions.sigmoid`, which prints as
``scipy.special.expit``; softplus prints as ``numpy.logaddexp(0, u)``.)

To add a rule, register one row below: :meth:`~symnn.compiler.registry.Registry.sum_pair`
for two terms of a sum, :meth:`~symnn.compiler.registry.Registry.product_pair` for two
factors of a product, or :meth:`~symnn.compiler.registry.Registry.node` for a small
function of one node. Give it an ``example`` it fires on: the tests check every
rule's example against mpmath.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> stabilize(sp.log(1 + sp.exp(x)))
softplus(x)
>>> stabilize((x + sp.sqrt(x**2 + 4)) / 2)
AddHypot(x, 2)/2
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import comb

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from symnn.compiler.markers import (
    AbsValue,
    AddHypot,
    Cbrt,
    DSinc,
    Erfc,
    Hypot,
    HypotMinus,
    HypotRatio,
    Linear,
    LogCosh,
    OnePlusRatio,
    PolyRatio,
    PolyRatioPrime,
    Sech2,
    SigmoidPrime,
    XMinusTanh,
    ZeroTimes,
)
from symnn.compiler.registry import C as C_
from symnn.compiler.registry import Q, Registry, S, U, W
from symnn.expr.functions import sigmoid, softplus

__all__ = ["RULES", "stabilize"]

#: Every rule of the compiler, in the order they are tried.
RULES = Registry()

_x = sp.Symbol("x", real=True)
_b = sp.Symbol("b", positive=True)


# ============================================================== canonicalize: distributions


@RULES.node(
    sp.DiracDelta,
    pattern=r"\delta(u),\ \delta^{(n)}(u)",
    stable=r"0\text{ (the derivative almost everywhere)}",
    phase="canonicalize",
    example=sp.DiracDelta(_x),
)
def dirac_delta(e):
    """The derivative of a jump is a distribution; the computed function's derivative is 0."""
    return sp.S.Zero


@RULES.node(
    sp.Derivative,
    pattern=r"\frac{d}{dx}\lfloor u\rfloor,\ \frac{d}{dx}\lceil u\rceil",
    stable="0",
    phase="canonicalize",
    example=sp.Derivative(sp.floor(_x), _x),
)
def step_derivative(e):
    """floor and ceiling are constant between their jumps: derivative 0 almost everywhere."""
    if isinstance(e.expr, (sp.floor, sp.ceiling, sp.sign, sp.Heaviside)):
        return sp.S.Zero
    return None


# ======================================================================= stabilize: nodes


RULES.product_pair(
    "cbrt",
    sp.sign(U),
    sp.Abs(U) ** sp.Rational(1, 3),
    Cbrt(U),
    pattern=r"\operatorname{sign}(u)\,|u|^{1/3}",
    stable="``numpy.cbrt(u)``",
    example=sp.sign(_x) * sp.Abs(_x) ** sp.Rational(1, 3),
)


def exp_binomial(base: sp.Basic) -> tuple[sp.Expr, sp.Expr, int] | None:
    r"""``(a, v, m)`` when *base* is :math:`a(1 + e^{v})^m` written out, else None.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> exp_binomial(sp.exp(2 * x) + 2 * sp.exp(x) + 1)
    (1, x, 2)
    >>> exp_binomial(3 + 3 * sp.exp(-x))
    (3, -x, 1)
    """
    if not base.is_Add or len(base.args) > 8:
        return None
    powers: list[tuple[sp.Expr, sp.Expr]] = []  # (coefficient, exponent)
    for term in base.args:
        if term.is_number:
            powers.append((term, sp.S.Zero))
            continue
        exps = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.exp)]
        if len(exps) != 1:
            return None
        coeff = term / exps[0]
        if not coeff.is_number:
            return None
        powers.append((coeff, exps[0].args[0]))
    nonzero = [w for _, w in powers if w != 0]
    if not nonzero or len(powers) < 2:
        return None
    for v in nonzero:
        by_power: dict[int, sp.Expr] = {}
        for c, w in powers:
            n = sp.S.Zero if w == 0 else sp.cancel(w / v)
            if not (n.is_Integer and n >= 0) or int(n) in by_power:
                break
            by_power[int(n)] = c
        else:
            m = max(by_power)
            a = by_power.get(0)
            if a is None or a == 0 or len(by_power) != m + 1:
                continue
            if all(sp.simplify(by_power[j] - a * comb(m, j)) == 0 for j in range(m + 1)):
                return a, v, m
    return None


@RULES.node(
    sp.Pow,
    pattern=r"(a + a e^{v})^{n}\text{ (also }a(1+e^v)^m\text{ expanded)}",
    stable=r"a^n\sigma(-v)^{-n}",
    example=1 / (1 + sp.exp(-_x)),
)
def one_plus_exp_power(e):
    n = e.exp
    if not (n.is_number and n.is_negative):
        return None
    found = exp_binomial(e.base)
    if found is None:
        return None
    a, v, m = found
    if not (n.is_Integer or a.is_positive):
        return None
    return a**n * sigmoid(-v) ** (-n * m)


def _square_term(term: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """``(a, w)`` with ``term == a*w**2``, a > 0, or None."""
    root, rest = [], []
    for f in sp.Mul.make_args(term):
        base, ex = f.as_base_exp()
        if ex.is_Integer and ex > 0 and ex % 2 == 0 and not base.is_number:
            root.append(base ** (ex // 2))
        else:
            rest.append(f)
    a = sp.Mul(*rest)
    if not root or a.is_positive is not True:
        return None
    return a, sp.Mul(*root)


@RULES.node(
    sp.Pow,
    pattern=r"\sqrt{a u^2 + c}^{\,p}\ (p \text{ odd, or } p < 0)",
    stable=r"\sqrt a^{\,p}\operatorname{hypot}(u, \sqrt{c/a})^p\text{ (no overflow)}",
    example=sp.sqrt(_x**2 + 4),
)
def hypot(e):
    base, n = e.base, e.exp
    if not (base.is_Add and n.is_Rational and (n.q == 2 or (n.is_Integer and n < 0))):
        return None
    for term in base.args:
        found = _square_term(term)
        if found is None:
            continue
        c = base - term
        if c.is_positive is not True or c.has(sp.exp, sp.log):
            continue
        a, w = found  # a*w**2 + c = a*(w**2 + c/a): w stays bare (x/hypot(x, .) is a ratio)
        return a**n * Hypot(w, sp.sqrt(c / a)) ** (2 * n)
    return None


@RULES.node(
    sp.log,
    pattern=r"\log\sigma(u)",
    stable=r"-\operatorname{softplus}(-u)",
    example=sp.log(sigmoid(_x)),
)
def log_sigmoid(e):
    base, n = e.args[0].as_base_exp()
    if isinstance(base, sigmoid) and n.is_number:
        return -n * softplus(-base.args[0])
    return None


@RULES.node(
    sp.log,
    pattern=r"\log\cosh u",
    stable=r"\texttt{kernels.log\_cosh}\text{ (overflow-free, exact near 0)}",
    example=sp.log(sp.cosh(_x)),
)
def log_cosh(e):
    base, n = e.args[0].as_base_exp()
    if isinstance(base, sp.cosh) and n.is_number:
        return n * LogCosh(base.args[0])
    return None


@RULES.node(
    sp.log,
    pattern=r"\log(a + a e^{u})",
    stable=r"\log a + \operatorname{softplus}(u)",
    example=sp.log(1 + sp.exp(_x)),
)
def log_one_plus_exp(e):
    base, n = e.args[0].as_base_exp()
    if not n.is_number:
        return None
    found = exp_binomial(base)
    if found is None:
        return None
    a, v, m = found
    if not a.is_positive:
        return None
    return n * (sp.log(a) + m * softplus(v))


@RULES.node(
    sp.log,
    pattern=r"\log(1+u)",
    stable=r"\operatorname{log1p}(u)",
    example=sp.log(1 + _x**2),
)
def log1p_(e):
    arg = e.args[0]
    if arg.is_Add:
        const, rest = arg.as_independent(*arg.free_symbols, as_Add=True)
        if const == 1 and rest != 0:
            return log1p(rest)
    return None


# ======================================================================= stabilize: sums


RULES.sum_pair(
    "sigmoid_complement",
    sigmoid(U),
    -1,
    -sigmoid(-U),
    pattern=r"1 - \sigma(u)",
    stable=r"\sigma(-u)",
    tags=("complement",),
    example=1 - sigmoid(_x),
)
RULES.sum_pair(
    "sigmoid_half",
    sigmoid(U),
    -sp.Rational(1, 2),
    sp.tanh(U / 2) / 2,
    pattern=r"\sigma(u) - \tfrac12",
    stable=r"\tfrac12\tanh(u/2)\text{ (no cancellation near 0)}",
    example=sigmoid(_x) - sp.Rational(1, 2),
)
RULES.sum_pair(
    "sigmoid_prime_sum",
    sigmoid(U),
    -(sigmoid(U) ** 2),
    SigmoidPrime(U),
    pattern=r"\sigma(u) - \sigma(u)^2",
    stable=r"\sigma(u)\sigma(-u)",
    example=sigmoid(_x) - sigmoid(_x) ** 2,
)
RULES.sum_pair(
    "erfc_plus",
    sp.erf(U),
    1,
    Erfc(-U),
    pattern=r"1 + \operatorname{erf}u",
    stable=r"\operatorname{erfc}(-u)",
    example=1 + sp.erf(_x),
)
RULES.sum_pair(
    "erfc_minus",
    sp.erf(U),
    -1,
    -Erfc(U),
    pattern=r"1 - \operatorname{erf}u",
    stable=r"\operatorname{erfc}(u)",
    example=1 - sp.erf(_x),
)
RULES.sum_pair(
    "tanh_plus",
    sp.tanh(U),
    1,
    2 * sigmoid(2 * U),
    pattern=r"1 + \tanh u",
    stable=r"2\sigma(2u)",
    example=1 + sp.tanh(_x),
)
RULES.sum_pair(
    "tanh_minus",
    sp.tanh(U),
    -1,
    -2 * sigmoid(-2 * U),
    pattern=r"1 - \tanh u",
    stable=r"2\sigma(-2u)",
    example=1 - sp.tanh(_x),
)
RULES.sum_pair(
    "sech2",
    sp.tanh(U) ** 2,
    -1,
    -Sech2(U),
    pattern=r"1 - \tanh^2 u",
    stable=r"\operatorname{sech}^2 u\text{ (overflow-free)}",
    example=1 - sp.tanh(_x) ** 2,
)
def _tanh_power(term: sp.Expr) -> tuple[sp.Expr | None, int, sp.Expr]:
    r"""``(u, k, c)`` for a term :math:`c\tanh(u)^k` (u None for k = 0), or u = False when
    the term has powers of two different tanh."""
    arg, power, rest = None, 0, []
    for f in sp.Mul.make_args(term):
        base, ex = f.as_base_exp()
        if isinstance(base, sp.tanh) and ex.is_Integer and ex > 0:
            if arg is not None and base.args[0] != arg:
                return False, 0, term
            arg, power = base.args[0], power + int(ex)
        else:
            rest.append(f)
    return arg, power, sp.Mul(*rest)


def _divide_by_t2_minus_1(coeffs: dict[int, sp.Expr]) -> dict[int, sp.Expr] | None:
    r"""q with :math:`p(t) = (t^2 - 1)\,q(t)` for p's coefficients, or None if it leaves a remainder."""
    n = max(coeffs)
    q: dict[int, sp.Expr] = {}
    for k in range(n, 1, -1):
        q[k - 2] = coeffs.get(k, sp.S.Zero) + q.get(k, sp.S.Zero)
    for k in (1, 0):
        if sp.expand(coeffs.get(k, sp.S.Zero) + q.get(k, sp.S.Zero)) != 0:
            return None
    return q


@RULES.node(
    sp.Add,
    pattern=r"p(\tanh u)\ \text{with } p(\pm 1) = 0\ (2\tanh^3 u - 2\tanh u)",
    stable=r"-\operatorname{sech}^2 u\;q(\tanh u)\text{ with }p(t) = (t^2 - 1)q(t)\text{ (no cancellation)}",
    example=2 * sp.tanh(_x) ** 3 - 2 * sp.tanh(_x),
)
def tanh_polynomial(e):
    r"""tanh's derivatives as SymPy writes them (``2*tanh(x)**3 - 2*tanh(x)``) cancel to 0
    in the tails, where the true value is :math:`\operatorname{sech}^2` times a bounded factor."""
    groups: dict[sp.Expr, dict[int, sp.Expr]] = {}
    members: dict[sp.Expr, list[int]] = {}
    plain: list[int] = []
    for i, term in enumerate(e.args):
        arg, k, c = _tanh_power(term)
        if arg is False:
            continue
        if arg is None:
            plain.append(i)
            continue
        groups.setdefault(arg, {})
        groups[arg][k] = groups[arg].get(k, sp.S.Zero) + c
        members.setdefault(arg, []).append(i)
    for arg, coeffs in groups.items():
        if max(coeffs) < 2:
            continue
        used = members[arg]
        q = _divide_by_t2_minus_1(coeffs)
        if q is None and plain:  # the terms without tanh may complete p (1 - tanh^2 u)
            with_plain = dict(coeffs)
            with_plain[0] = with_plain.get(0, sp.S.Zero) + sp.Add(*(e.args[i] for i in plain))
            q = _divide_by_t2_minus_1(with_plain)
            used = used + plain
        if q is None:
            continue
        t = sp.tanh(arg)
        factor = sp.Add(*(c * t**k for k, c in q.items()))
        rest = [term for i, term in enumerate(e.args) if i not in used]
        return sp.Add(-Sech2(arg) * factor, *rest)
    return None


RULES.sum_pair(
    "expm1",
    sp.exp(U),
    -1,
    expm1(U),
    pattern=r"e^{u} - 1",
    stable=r"\operatorname{expm1}(u)",
    example=sp.exp(_x) - 1,
)
RULES.sum_pair(
    "x_minus_tanh",
    sp.tanh(U),
    -U,
    -XMinusTanh(U),
    pattern=r"u - \tanh u",
    stable=r"\texttt{kernels.x\_minus\_tanh}\text{ (a series near 0)}",
    example=_x - sp.tanh(_x),
)
RULES.sum_pair(
    "dsinc_sum",
    sp.cos(U) / U,
    -sp.sin(U) / U**2,
    DSinc(U),
    pattern=r"\cos(u)/u - \sin(u)/u^2",
    stable=r"\texttt{kernels.dsinc}\text{ (0 at 0)}",
    example=sp.cos(_x) / _x - sp.sin(_x) / _x**2,
)
RULES.sum_pair(
    "squareplus",
    Hypot(U, C_),
    U,
    AddHypot(U, C_),
    pattern=r"u + \sqrt{u^2 + c^2}",
    stable=r"\texttt{kernels.add\_hypot}\text{ (no cancellation for } u < 0)",
    example=Hypot(_x, 2) + _x,
)
RULES.sum_pair(
    "squareplus_mirror",
    Hypot(U, C_),
    -U,
    AddHypot(-U, C_),
    pattern=r"-u + \sqrt{u^2 + c^2}",
    stable=r"\texttt{kernels.add\_hypot}(-u, c)",
    example=Hypot(_x, 2) - _x,
)
RULES.sum_pair(
    "one_plus_ratio",
    HypotRatio(U, C_),
    1,
    OnePlusRatio(U, C_),
    pattern=r"1 + u/\sqrt{u^2 + c^2}",
    stable=r"\texttt{kernels.one\_plus\_ratio}",
    example=1 + HypotRatio(_x, 2),
)
RULES.sum_pair(
    "one_minus_ratio",
    HypotRatio(U, C_),
    -1,
    -OnePlusRatio(-U, C_),
    pattern=r"1 - u/\sqrt{u^2 + c^2}",
    stable=r"\texttt{kernels.one\_plus\_ratio}(-u, c)",
    example=1 - HypotRatio(_x, 2),
)
RULES.sum_pair(
    "hypot_minus",
    Hypot(U, C_),
    -C_,
    HypotMinus(U, C_),
    pattern=r"\sqrt{u^2 + c^2} - c",
    stable=r"\texttt{kernels.hypot\_minus}\text{ (pseudo-Huber, bent identity)}",
    example=Hypot(_x, 1) - 1,
)
RULES.sum_pair(
    "hypot_cube",
    Hypot(U, C_) ** -1,
    -(U**2) * Hypot(U, C_) ** -3,
    C_**2 * Hypot(U, C_) ** -3,
    pattern=r"\frac{1}{\sqrt{u^2+c^2}} - \frac{u^2}{\sqrt{u^2+c^2}^3}",
    stable=r"c^2/\sqrt{u^2+c^2}^3",
    example=1 / Hypot(_x, 1) - _x**2 / Hypot(_x, 1) ** 3,
)
RULES.sum_pair(
    "hypot_square_ratio",
    U**2 * Hypot(U, C_) ** -2,
    -1,
    -(C_**2) * Hypot(U, C_) ** -2,
    pattern=r"1 - \frac{u^2}{u^2 + c^2}",
    stable=r"c^2/(u^2 + c^2)",
    example=1 - _x**2 / Hypot(_x, 2) ** 2,
)


# =================================================================== stabilize: products


def _exp_sigmoid_power(b: dict):
    m = sp.cancel(-b[W] / b[S])
    q = b[Q]
    if not (q.is_Integer and q > 0 and m.is_Integer and 1 <= m <= q):
        return None
    return sigmoid(-b[S]) ** m * sigmoid(b[S]) ** (q - m)


RULES.product_pair(
    "exp_sigmoid",
    sigmoid(S) ** Q,
    sp.exp(W),
    _exp_sigmoid_power,
    pattern=r"e^{-m s}\,\sigma(s)^q\ (1 \le m \le q)",
    stable=r"\sigma(-s)^m\sigma(s)^{q-m}",
    example=sp.exp(_x) * sigmoid(-_x),
)
RULES.product_pair(
    "exp_sigmoid_prime",
    SigmoidPrime(S),
    sp.exp(W),
    lambda b: (
        sigmoid(b[S]) ** 2 if b[W] == b[S] else sigmoid(-b[S]) ** 2 if b[W] == -b[S] else None
    ),
    pattern=r"e^{\pm u}\,\sigma(u)\sigma(-u)",
    stable=r"\sigma(\pm u)^2",
    example=sp.exp(_x) * SigmoidPrime(_x),
)


@RULES.node(
    sp.Mul,
    pattern=r"(a + b e^{w})\,\sigma(s)^q",
    stable=r"a\sigma(s)^q + b e^{w}\sigma(s)^q\text{ (so that } e^{w}\text{ meets } \sigma)",
    example=(1 + sp.exp(_x)) * SigmoidPrime(_x),
)
def distribute_exp_over_sigmoid(e):
    """Multiply out a sum holding ``exp(w)`` when the product has sigmoid factors of w."""
    args = {}
    for f in e.args:
        base = f.as_base_exp()[0]
        if isinstance(base, (sigmoid, SigmoidPrime)):
            args[base.args[0]] = True
    if not args:
        return None
    for i, f in enumerate(e.args):
        if not f.is_Add:
            continue
        for t in f.args:
            for g in sp.Mul.make_args(t):
                if isinstance(g, sp.exp) and any(
                    sp.cancel(g.args[0] / s).is_Integer for s in args if s != 0
                ):
                    rest = sp.Mul(*(e.args[:i] + e.args[i + 1 :]))
                    return sp.Add(*[rest * term for term in f.args])
    return None


RULES.product_pair(
    "hypot_ratio",
    Hypot(U, C_) ** -1,
    U,
    HypotRatio(U, C_),
    pattern=r"u/\sqrt{u^2 + c^2}",
    stable=r"\texttt{kernels.hypot\_ratio}\text{ (}\pm 1\text{ at }\pm\infty)",
    example=_x / Hypot(_x, 1),
)
RULES.product_pair(
    "sinh_over_cosh",
    sp.sinh(U),
    1 / sp.cosh(U),
    sp.tanh(U),
    pattern=r"\sinh(u)/\cosh(u)",
    stable=r"\tanh u\text{ (inf/inf-free)}",
    example=sp.sinh(_x) / sp.cosh(_x),
)
RULES.product_pair(
    "sigmoid_prime",
    sigmoid(U),
    sigmoid(-U),
    SigmoidPrime(U),
    pattern=r"\sigma(u)\sigma(-u)",
    stable=r"\text{one exponential (}\texttt{kernels.sigmoid\_prime})",
    example=sigmoid(_x) * sigmoid(-_x),
)
RULES.product_pair(
    "sinc",
    sp.sin(U),
    1 / U,
    sp.sinc(U),
    pattern=r"\sin(u)/u",
    stable=r"\texttt{kernels.sinc}\text{ (1 at 0)}",
    example=sp.sin(_x) / _x,
)
RULES.product_pair(
    "dsinc_product",
    sp.cos(U) - sp.sinc(U),
    1 / U,
    DSinc(U),
    pattern=r"(\cos u - \operatorname{sinc} u)/u",
    stable=r"\texttt{kernels.dsinc}\text{ (0 at 0)}",
    example=(sp.cos(_x) - sp.sinc(_x)) / _x,
)


RULES.sum_pair(
    "one_plus_sin",
    sp.sin(U),
    1,
    lambda b: (sp.sin(b[U] / 2) + sp.cos(b[U] / 2)) ** 2,
    pattern=r"1 + \sin u",
    stable=r"(\sin\tfrac u2 + \cos\tfrac u2)^2\text{ (no cancellation where }\sin u = -1)",
    example=1 + sp.sin(2 * _x),
)


def _power_minus_one(e: sp.Add) -> sp.Basic | None:
    """``k(1 + u)^n - k`` -> ``k u ((1+u)^{n-1} + ... + 1)`` (Horner) for an integer n in 2..16."""
    terms = list(e.args)
    for i, term in enumerate(terms):
        for factor in sp.Mul.make_args(term.as_coeff_Mul()[1]):
            if not (factor.is_Pow and factor.exp.is_Integer and 2 <= factor.exp <= 16):
                continue
            base = factor.base
            const, u = base.as_independent(*base.free_symbols, as_Add=True) if base.is_Add else (0, 0)
            if const != 1 or u == 0:
                continue
            others = terms[:i] + terms[i + 1 :]
            cofactor = term / factor  # k times any other factors
            if not cofactor.is_number or -cofactor not in others:
                continue
            others.remove(-cofactor)
            horner = sp.S.One
            for _ in range(int(factor.exp) - 1):
                horner = sp.Add(1, sp.Mul(base, horner, evaluate=False), evaluate=False)
            return sp.Add(*others, cofactor * u * horner)
    return None


RULES.node(
    sp.Add,
    pattern=r"(1 + u)^n - 1\ (n = 2, \dots, 16)",
    stable=r"u\,\textstyle\sum_{j<n}(1 + u)^j\text{ (Horner; exact near } u = 0)",
    example=(1 + _x / 10) ** 10 - 1,
    name="power_minus_one",
)(_power_minus_one)

#: Past this argument exp(u) only feeds values that are already 1 (tanh) or 0 (sech^2) in float64.
_EXP_CLAMP = 8


def _clamped_exp(u: sp.Expr) -> sp.Expr:
    return sp.exp(sp.Min(u, _EXP_CLAMP))


RULES.product_pair(
    "exp_sech2_exp",
    Sech2(sp.exp(U)),
    sp.exp(U),
    lambda b: None if isinstance(b[U], sp.Min) else _clamped_exp(b[U]) * Sech2(_clamped_exp(b[U])),
    pattern=r"e^{u}\operatorname{sech}^2(e^{u})",
    stable=r"\text{the same at }\min(u, 8)\text{ (0 beyond; no overflow)}",
    example=sp.exp(_x) * Sech2(sp.exp(_x)),
)


# ============================================================ specialize: printing forms


def _exact(q: sp.Expr) -> bool:
    try:
        return sp.Rational(float(q)) == q and abs(float(q)) < 1e300
    except (TypeError, ValueError, OverflowError):
        return False


@RULES.node(
    sp.Add,
    pattern=r"a u + b\ (b/a\text{ exact in float64})",
    stable=r"a(u + b/a)\text{: exact near the root}",
    phase="specialize",
    example=_x / 6 + sp.Rational(1, 2),
)
def linear_root(e):
    if len(e.args) != 2:
        return None
    b, term = e.args
    if not b.is_number:
        b, term = term, b
    if not (b.is_Rational or b.is_Float) or b == 0:
        return None
    a, u = term.as_coeff_Mul()
    if u.is_number or a in (1, -1, 0) or not (a.is_Rational or a.is_Float):
        return None
    a, b = sp.Rational(float(a)) if a.is_Float else a, sp.Rational(float(b)) if b.is_Float else b
    c = b / a
    if not _exact(c):
        return None
    return Linear(a, u, c)


@RULES.node(
    sp.Abs,
    pattern=r"|u|",
    stable=r"\texttt{np.abs}(u)\text{ (not simplified again when rebuilt)}",
    phase="specialize",
    example=sp.Abs(_x),
    doc=False,
)
def abs_value(e):
    return AbsValue(e.args[0])


#: Factors that decay to 0 at least exponentially where their argument runs off.
_DECAYING = (Sech2, SigmoidPrime, sp.exp, sigmoid, Erfc)


def _polynomial_degree(f: sp.Expr) -> int:
    """Total degree of a polynomial factor in its symbols (0 for anything else)."""
    if f.has(Linear):
        f = f.replace(lambda e: isinstance(e, Linear), lambda e: e.elementary())
    syms = f.free_symbols
    if not syms or not f.is_polynomial(*syms):
        return 0
    return int(sp.Poly(f, *syms).total_degree())


@RULES.node(
    sp.Mul,
    pattern=r"d(u)\,p(x),\ d\text{ decaying, }p\text{ a polynomial of degree}\ge 2",
    stable=r"\texttt{kernels.zero\_times}\text{: 0, not }0\cdot\infty\text{, where }p\text{ overflows}",
    phase="specialize",
    example=_x**2 * sp.exp(-(_x**2)),
)
def zero_times(e):
    decaying = [f for f in e.args if isinstance(f, _DECAYING)]
    if not decaying:
        return None
    polys = [f for f in e.args if not f.is_number and _polynomial_degree(f) > 0]
    if sum(_polynomial_degree(f) for f in polys) < 2:
        return None
    d = decaying[0]
    rest = [f for f in e.args if f is not d and f not in polys]
    return ZeroTimes(d, sp.Mul(*polys)) * sp.Mul(*rest)


# ================================================================================ driver


def stabilize(
    expr: sp.Basic,
    max_passes: int = 6,
    *,
    complement: bool = True,
    skip: Iterable[str] = (),
) -> sp.Basic:
    r"""Rewrite *expr* into a numerically stable form (see the table above).

    The result is mathematically equal to *expr*; it may contain symnn's
    :class:`~symnn.expr.functions.sigmoid` and :class:`~symnn.expr.functions.softplus`,
    ``log1p``, ``expm1`` and the markers of :mod:`symnn.compiler.markers`.
    ``complement=False`` leaves ``1 - sigmoid(u)`` as it is (cheaper, and accurate
    where it is added to something larger; :func:`~symnn.compiler.compile` verifies
    that before using it). *skip* names rules (or tags) not to apply. Distributions
    (``DiracDelta``) become 0 first: see :func:`dirac_delta`.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> stabilize(sp.log(1 + sp.exp(x)))
    softplus(x)
    >>> stabilize(x / 2 * (1 + sp.erf(x / sp.sqrt(2))))
    x*Erfc(-sqrt(2)*x/2)/2
    """
    skip = set(skip) | (set() if complement else {"complement"})
    expr = RULES.apply(sp.sympify(expr), "canonicalize", skip=skip, max_passes=2)
    return RULES.apply(expr, "stabilize", skip=skip, max_passes=max_passes)


@RULES.node(
    sp.tanh,
    pattern=r"\tanh(e^{u})",
    stable=r"\tanh(e^{\min(u, 8)})\text{ (1 beyond; no overflow)}",
    phase="specialize",
    example=sp.tanh(sp.exp(_x)),
)
def tanh_of_exp(e):
    arg = e.args[0]
    if isinstance(arg, sp.exp) and not isinstance(arg.args[0], sp.Min) and not arg.args[0].is_number:
        return sp.tanh(_clamped_exp(arg.args[0]))
    return None


def _doubly_exponential_cap(p: float, q: float, k: float) -> float | None:
    """A cap c with :math:`p u + q - k e^u \\le -1000` for every :math:`u \\ge c`, or None."""
    if not (k > 0 and abs(p) <= 100 and abs(q) <= 1e6):
        return None
    level = 1001.0 + abs(q)
    for _ in range(8):
        cap = math.log(level / k)
        level = 1001.0 + abs(q) + abs(p) * abs(cap) + abs(p)
    cap = math.log(level / k)
    ok = p * cap + q - k * math.exp(cap) <= -1000 and k * math.exp(cap) > p
    return cap if ok and abs(cap) < 700 else None


def _gompertz(e):
    r"""``exp(p u + q - k e^u)`` (or expm1 of it) with u capped where the value is already 0 (-1)."""
    v = e.args[0]
    for term in sp.Add.make_args(v):
        c, f = term.as_coeff_Mul()
        if not (isinstance(f, sp.exp) and c.is_number and c.is_negative):
            continue
        u = f.args[0]
        if u.is_number or isinstance(u, sp.Min):
            continue
        rest = sp.expand(v - term)
        q, pu = rest.as_independent(*u.free_symbols, as_Add=True)
        p = sp.cancel(pu / u) if pu != 0 else sp.S.Zero
        if not (p.is_number and q.is_number):
            continue
        cap = _doubly_exponential_cap(float(p), float(q), -float(c))
        if cap is None:
            continue
        m = sp.Min(u, sp.Float(cap, 17))
        return type(e)(p * m + q + c * sp.exp(m))
    return None


RULES.node(
    sp.exp,
    pattern=r"e^{p u + q - k e^{u}}\ (k > 0)",
    stable=r"\text{the same at }\min(u, c)\text{, where it is 0 (no overflow)}",
    phase="specialize",
    example=sp.exp(_x - sp.exp(_x)),
    name="gompertz_exp",
)(_gompertz)
RULES.node(
    expm1,
    pattern=r"\operatorname{expm1}(p u + q - k e^{u})\ (k > 0)",
    stable=r"\text{the same at }\min(u, c)\text{, where it is }-1\text{ (no overflow)}",
    phase="specialize",
    example=expm1(-sp.exp(_x)),
    name="gompertz_expm1",
)(_gompertz)


#: Largest ratio (in SymPy operations) that :func:`_one_plus_ratio_cancelling` expands.
_CANCEL_BUDGET = 40


def _one_plus_ratio_cancelling(e):
    r"""``c + N/D`` -> ``(c D + N)/D`` when terms of ``c D + N`` cancel exactly.

    Soft-root-sign's derivative is :math:`h\,(1 - x h (1/\alpha - e^{-x/\beta}/\beta))`
    with :math:`h = 1/D`, :math:`D = x/\alpha + e^{-x/\beta}`: the bracket is
    :math:`1 - x/(x + \alpha e^{-x/\beta}) + \dots` and cancels for large x, but
    :math:`D + N = e^{-x/\beta}(1 + x/\beta)` has no cancellation left. Only sums of a
    number and one ratio are tried, and only a numerator with fewer terms is taken.
    """
    if len(e.args) != 2:
        return None
    c, term = e.args
    if not c.is_number:
        c, term = term, c
    if not c.is_number or c == 0 or term.is_number or sp.count_ops(term) > _CANCEL_BUDGET:
        return None
    dens = [f for f in sp.Mul.make_args(term) if f.is_Pow and f.exp == -1 and f.base.is_Add]
    if len(dens) != 1:
        return None
    d = dens[0].base
    n = term * d
    if d.is_number or not n.has(*d.free_symbols):
        return None
    before = len(sp.Add.make_args(sp.expand(c * d))) + len(sp.Add.make_args(sp.expand(n)))
    total = sp.expand(c * d + n)
    if total == 0 or len(sp.Add.make_args(total)) >= before - 1:
        return None
    return sp.together(sp.factor_terms(total)) / d  # (x + beta)/beta: exact near its root


RULES.node(
    sp.Add,
    pattern=r"c + N/D\ (\text{terms of } cD + N \text{ cancel})",
    stable=r"(cD + N)/D\text{ with the cancelled terms gone}",
    example=1 + _x * (sp.exp(-_x / 3) / 3 - sp.Rational(1, 2)) / (_x / 2 + sp.exp(-_x / 3)),
    name="sum_over_common_denominator",
)(_one_plus_ratio_cancelling)


def _poly_ratio(e):
    r"""``P(u)/Q(|u|)``: P a polynomial of degree >= 3 in u, Q one in |u| (a Padé activation)."""
    dens = [f for f in e.args if f.is_Pow and f.exp == -1 and f.base.is_Add]
    if len(dens) != 1:
        return None
    q_expr = dens[0].base
    p_expr = sp.Mul(*[f for f in e.args if f is not dens[0]])
    absolutes = [
        a for a in q_expr.atoms(sp.Abs) if a.args[0].is_Symbol and p_expr.has(a.args[0])
    ]  # |x|, not the |b_k| of the coefficients
    if len(absolutes) != 1:
        return None
    (a,) = absolutes
    u = a.args[0]
    if p_expr.has(sp.Abs) or not p_expr.is_polynomial(u):
        return None
    t = sp.Dummy("t", nonnegative=True)
    q_t = q_expr.xreplace({a: t})
    if q_t.has(u):
        q_t = q_t.subs(u, t)
        if sp.expand(q_expr.subs(u, -u) - q_expr) != 0:  # x^k -> |x|^k needs Q even
            return None
    if not q_t.is_polynomial(t):
        return None
    num = sp.Poly(sp.expand(p_expr), u)
    den = sp.Poly(sp.expand(q_t), t)
    if num.degree() < 3 or den.degree() < 1:
        return None
    if any(c.has(u) for c in num.all_coeffs() + den.all_coeffs()):
        return None
    return PolyRatio(u, sp.Tuple(*num.all_coeffs()[::-1]), sp.Tuple(*den.all_coeffs()[::-1]))


RULES.node(
    sp.Mul,
    pattern=r"\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}\ (\text{degree} \ge 3)",
    stable=r"\texttt{kernels.poly\_ratio}\text{ (in } 1/u \text{ for } |u| > 1\text{; compensated Horner)}",
    example=(1 + _x + _x**3) / (1 + 2 * sp.Abs(_x) + _x**2),
    name="poly_ratio",
    phase="canonicalize",  # before hypot takes 1/Q apart (numeric coefficients: a u^2 + c)
)(_poly_ratio)


def _poly_ratio_prime(e):
    r"""The derivative of ``P(u)/Q(|u|)`` (a Padé activation's), as SymPy writes it."""
    if not (e.has(sp.sign) and e.has(sp.Abs)):
        return None
    variables = {s.args[0] for s in e.atoms(sp.sign) if s.args[0].is_Symbol}
    if len(variables) != 1:
        return None
    (u,) = variables
    dens = {p.base for p in e.atoms(sp.Pow) if p.exp == -1 and p.base.is_Add and p.base.has(sp.Abs(u))}
    nums = [
        a
        for a in e.atoms(sp.Add)
        if a.has(u) and not a.has(sp.Abs, sp.sign) and a.is_polynomial(u) and sp.degree(a, u) >= 3
    ]
    t = sp.Dummy("t", positive=True)
    for q in dens:
        for p in nums:
            ratio = _poly_ratio(sp.Mul(p, sp.Pow(q, -1), evaluate=False))
            if ratio is None:
                continue
            prime = PolyRatioPrime(*ratio.args)
            diff = e - prime.elementary()
            if all(
                sp.expand(sp.numer(sp.together(diff.xreplace({u: side * t})))) == 0
                for side in (1, -1)
            ):
                return prime
    return None


_PRIME_EXAMPLE = sp.diff((1 + _x + _x**3) / (1 + 2 * sp.Abs(_x) + _x**2), _x)
for _node in (sp.Mul, sp.Add):
    RULES.node(
        _node,
        pattern=r"\frac{d}{du}\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}\ (\text{degree} \ge 3)",
        stable=r"\texttt{kernels.poly\_ratio\_prime}\text{ (one exact polynomial per side; in } 1/u \text{ far out)}",
        example=_PRIME_EXAMPLE if _node is sp.Add else sp.factor_terms(_PRIME_EXAMPLE),
        name=f"poly_ratio_prime_{_node.__name__.lower()}",
        phase="canonicalize",
        doc=_node is sp.Mul,
    )(_poly_ratio_prime)


def _split_exponential(e):
    r"""``N e^{jw} / (R + c e^{w})^n`` -> the same with :math:`e^{w} = e^{\max(w,0)} e^{\min(w,0)}`.

    With :math:`M = \max(w, 0)`, :math:`m = \min(w, 0)`:
    :math:`(R + c e^{w})^{-n} = e^{-nM} (R e^{-M} + c e^{m})^{-n}`, and the :math:`e^{-nM}`
    joins the numerator's exponentials. Every exponential left has an argument
    :math:`\le 0` where it matters, so nothing overflows on either side: soft-root-sign
    :math:`x/(x/\alpha + e^{-x/\beta})` becomes
    :math:`x e^{\min(x,0)/\beta}/(x e^{\min(x,0)/\beta}/\alpha + e^{-\max(x,0)/\beta})`, i.e.
    :math:`x e^{x/\beta}/(x e^{x/\beta}/\alpha + 1)` for x < 0 (no inf/inf at -1e300), and its
    derivative's numerator :math:`(\beta + x)e^{-x/\beta}/\beta` becomes
    :math:`(\beta + x)e^{-|x|/\beta}/\beta` (no inf * 0). R must depend on the same variables
    as w (a constant R is a sigmoid, left to the rules above).
    """
    factors = sp.Mul.make_args(e)
    dens = [
        f
        for f in factors
        if f.is_Pow and f.base.is_Add and f.exp.is_Integer and f.exp.is_negative
    ]
    if len(dens) != 1:
        return None
    (den,) = dens
    exps = [t for t in den.base.args if isinstance(t.as_coeff_Mul()[1], sp.exp)]
    if len(exps) != 1:
        return None
    (term,) = exps
    c, ex = term.as_coeff_Mul()
    w = ex.args[0]
    rest = den.base - term
    if w.is_number or w.has(sp.Min, sp.Max) or rest.has(sp.exp) or c.free_symbols:
        return None
    if not (rest.free_symbols & w.free_symbols) or not rest.has(*w.free_symbols - {*_params(w)}):
        return None
    n = -den.exp
    big, small = sp.Max(w, 0), sp.Min(w, 0)
    new_den = sp.expand(rest * sp.exp(-big)) + c * sp.exp(small)
    power = -n * big  # the exponentials of N and e^{-nM} as one (no inf * 0)
    others = []
    for f in factors:
        if f is den:
            continue
        if isinstance(f, sp.exp):
            power += f.args[0]
        else:
            others.append(f)
    return sp.Mul(*others, sp.exp(power, evaluate=False), new_den ** (-n), evaluate=False)


def _params(w):
    """Symbols of *w* with a known sign (activation parameters), not the variable."""
    return {s for s in w.free_symbols if s.is_positive or s.is_negative}


RULES.node(  # on the product only: a rule on the power would fire first and split the e^w
    sp.Mul,
    pattern=r"N e^{jw}/(R + c e^{w})^n\ (R\text{ not constant})",
    stable=r"N e^{jw - n\max(w,0)}/(R e^{-\max(w,0)} + c e^{\min(w,0)})^n\text{ (no overflow)}",
    phase="specialize",
    example=_x / (_x / 2 + sp.exp(-_x / 3)),
    name="split_exponential",
)(_split_exponential)
