r"""SymPy -> NumPy: stability rewrites, common subexpressions, readable source.

:func:`compile` turns any SymPy expression into a vectorised NumPy function
and keeps the generated source (``.source``). A naive ``lambdify`` is not good
enough for neural-network mathematics: the derivative of
:math:`1/(1+e^{-x})` is NaN at :math:`x=-1000`, :math:`\log(1+e^x)` is inf
at :math:`x=1000`, :math:`1+\operatorname{erf}(x)` loses every digit at
:math:`x=-10`. Before printing, the compiler rewrites such patterns into
stable forms — wherever they occur, so a user's own expression benefits too:

=================================  =======================================
pattern                            stable form
=================================  =======================================
:math:`1/(1+e^{-u})`               :math:`\sigma(u)` (``scipy.special.expit``)
:math:`e^{u}\,\sigma(-u)`          :math:`\sigma(u)`
:math:`1 - \sigma(u)`              :math:`\sigma(-u)`
:math:`\log(1+e^{u})`              ``numpy.logaddexp(0, u)``
:math:`\log\sigma(u)`              :math:`-\operatorname{softplus}(-u)`
:math:`\log(1+u)`                  ``numpy.log1p(u)``
:math:`e^{u} - 1`                  ``numpy.expm1(u)``
:math:`1 \pm \operatorname{erf}u`  :math:`\operatorname{erfc}(\mp u)`
:math:`1 \pm \tanh u`              :math:`2\sigma(\pm 2u)`
:math:`1 - \tanh^2 u`              :math:`\operatorname{sech}^2 u` (overflow-free)
:math:`\log\cosh u`                ``kernels.log_cosh`` (overflow-free, exact near 0)
:math:`\sinh(u)/\cosh(u)`           :math:`\tanh u` (inf/inf-free)
:math:`\sigma(u)\sigma(-u)`         one exponential (``kernels.sigmoid_prime``)
:math:`u - \tanh u`                a series near 0 (``kernels.x_minus_tanh``)
:math:`\sin(u)/u`                  ``numpy.sinc`` (1 at 0)
:math:`\cos(u)/u - \sin(u)/u^2`    ``kernels.dsinc`` (0 at 0)
=================================  =======================================

Piecewise functions of one variable become branch-free code in which every
piece is evaluated only on its own interval (``np.maximum(x, 0)`` for ReLU;
see :func:`branch_free`); other Piecewise expressions become nested
``numpy.where`` calls (branches that are not selected may overflow; their
warnings are silenced, their values discarded). ``Max``/``Min`` become
``numpy.maximum``/``numpy.minimum``.
Symbol names that are not plain ASCII identifiers are renamed in the
generated code, so no text hidden in a symbol name ever reaches Python.

Examples
--------
>>> import numpy as np, sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> f = compile(sp.diff(1 / (1 + sp.exp(-x)), x))
>>> float(f(-1000.0)), float(f(0.0))
(0.0, 0.25)
>>> print(f.source)
def f(x):
    x = np.asarray(x, dtype=np.float64)
    return kernels.sigmoid_prime(x)
"""

from __future__ import annotations

import builtins
import functools
import keyword
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import scipy.special
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from symnn.compiler import kernels
from symnn.expr.functions import sigmoid, softplus

__all__ = ["CompiledFunction", "branch_free", "compile", "numpy_source", "stabilize"]

_NAMESPACE = {"np": np, "special": scipy.special, "kernels": kernels}
_RESERVED = set(_NAMESPACE) | set(dir(builtins)) | {"np", "special", "kernels"}


# --------------------------------------------------------------------------
# Markers for stable kernels (internal: they only live between stabilize and print)
# --------------------------------------------------------------------------


class _Kernel(sp.Function):
    """A call of a function in :mod:`symnn.kernels`; prints as ``kernels.<name>(u)``."""

    kernel = ""

    def _numpycode(self, printer):
        args = ", ".join(printer._print(a) for a in self.args)
        return f"kernels.{self.kernel}({args})"

    def _eval_rewrite_as_exp(self, *args, **kwargs):  # pragma: no cover - for debugging
        return self._elementary()


class _XMinusTanh(_Kernel):
    nargs = 1
    kernel = "x_minus_tanh"

    def _elementary(self):
        return self.args[0] - sp.tanh(self.args[0])


class _DSinc(_Kernel):
    nargs = 1
    kernel = "dsinc"

    def _elementary(self):
        u = self.args[0]
        return sp.cos(u) / u - sp.sin(u) / u**2


class _SigmoidPrime(_Kernel):
    """sigmoid(u)*sigmoid(-u), from one exponential (kernels.sigmoid_prime)."""

    nargs = 1
    kernel = "sigmoid_prime"

    def _elementary(self):
        u = self.args[0]
        return sigmoid(u) * sigmoid(-u)


class _Erfc(_Kernel):
    """erfc kept as written: SymPy would turn erfc(-u) back into 2 - erfc(u)."""

    nargs = 1

    def _numpycode(self, printer):
        return f"special.erfc({printer._print(self.args[0])})"

    def _elementary(self):
        return sp.erfc(self.args[0])

    def _latex(self, printer, exp=None):
        return printer._print(sp.Function("erfc")(self.args[0]) ** (exp or 1))


class _Sech2(_Kernel):
    nargs = 1
    kernel = "sech2"

    def _elementary(self):
        return sp.sech(self.args[0]) ** 2


class _LogCosh(_Kernel):
    nargs = 1
    kernel = "log_cosh"

    def _elementary(self):
        return sp.log(sp.cosh(self.args[0]))


# --------------------------------------------------------------------------
# Stabilisation rewrites
# --------------------------------------------------------------------------


def _split_factor(term: sp.Expr, match: Callable[[sp.Expr], bool]):
    """Return ``(k, F)`` with ``term == k*F`` and ``match(F)``, or None."""
    if match(term):
        return sp.S.One, term
    if term.is_Mul:
        for i, factor in enumerate(term.args):
            if match(factor):
                rest = term.args[:i] + term.args[i + 1 :]
                return sp.Mul(*rest), factor
    return None


def _pair_rewrite(add: sp.Add, match, make) -> sp.Expr:
    """In a sum, replace ``k*F + s*k`` (s = +-1) by ``make(F, s)*k``.

    *match* recognises the function call F; *make* returns the stable form of
    ``F + s`` (or None when that sign has no rewrite). The partner term ``s*k``
    must be present in the same sum.
    """
    terms = list(add.args)
    for i, term in enumerate(terms):
        split = _split_factor(term, match)
        if split is None:
            continue
        k, call = split
        for sign in (1, -1):
            partner = sign * k
            for j, other in enumerate(terms):
                if j == i or sp.expand(other - partner) != 0:
                    continue
                stable = make(call, sign)
                if stable is None:
                    continue
                rest = [t for n, t in enumerate(terms) if n not in (i, j)]
                return sp.Add(k * stable, *rest)
    return add


def _is(cls):
    return lambda e: isinstance(e, cls)


def _is_tanh_squared(e):
    return e.is_Pow and e.exp == 2 and isinstance(e.base, sp.tanh)


def _rewrite_add(expr: sp.Add, complement: bool = True) -> sp.Expr:
    # 1 - sigmoid(u) -> sigmoid(-u): written k*(sigmoid + s) with s = -1 ... the sum is
    # k*sigmoid(u) + (-k)  ->  -k*(1 - sigmoid(u)) = -k*sigmoid(-u)
    rules = [
        (_is(sigmoid), lambda f, s: -sigmoid(-f.args[0]) if s == -1 and complement else None),
        (_is(sp.erf), lambda f, s: _Erfc(-f.args[0]) if s == 1 else -_Erfc(f.args[0])),
        (
            _is(sp.tanh),
            lambda f, s: 2 * sigmoid(2 * f.args[0]) if s == 1 else -2 * sigmoid(-2 * f.args[0]),
        ),
        (_is_tanh_squared, lambda f, s: -_Sech2(f.base.args[0]) if s == -1 else None),
        (_is(sp.exp), lambda f, s: expm1(f.args[0]) if s == -1 else None),
    ]
    for match, make in rules:
        new = _pair_rewrite(expr, match, make)
        if new != expr:
            return new
    # u - tanh(u)
    terms = list(expr.args)
    for i, term in enumerate(terms):
        split = _split_factor(term, _is(sp.tanh))
        if split is None:
            continue
        k, call = split
        u = call.args[0]
        for j, other in enumerate(terms):
            if j != i and sp.expand(other + k * u) == 0:
                rest = [t for n, t in enumerate(terms) if n not in (i, j)]
                return sp.Add(-k * _XMinusTanh(u), *rest)
    # cos(u)/u - sin(u)/u**2  ->  dsinc(u)
    for i, term in enumerate(terms):
        split = _split_factor(term, _is(sp.cos))
        if split is None:
            continue
        k, call = split
        u = call.args[0]
        partner = sp.expand(-k * u * sp.sin(u) / u**2 * u)
        for j, other in enumerate(terms):
            if j != i and sp.expand(other * u - partner) == 0:
                rest = [t for n, t in enumerate(terms) if n not in (i, j)]
                return sp.Add(k * u * _DSinc(u), *rest)
    return expr


def _one_plus_exp(base: sp.Expr):
    """If *base* is ``a + a*exp(v)``, return ``(a, v)``."""
    if not base.is_Add or len(base.args) != 2:
        return None
    for first, second in (base.args, base.args[::-1]):
        split = _split_factor(second, _is(sp.exp))
        if split is not None and sp.expand(split[0] - first) == 0 and first.is_number:
            return first, split[1].args[0]
    return None


def _rewrite_pow(expr: sp.Pow) -> sp.Expr:
    n = expr.exp
    if n.is_Integer and n < 0:
        found = _one_plus_exp(expr.base)
        if found is not None:
            a, v = found
            return a**n * sigmoid(-v) ** (-n)
    return expr


def _rewrite_mul(expr: sp.Mul) -> sp.Expr:
    factors = list(expr.args)
    # exp(-m*s) * sigmoid(s)**q  ->  sigmoid(-s)**m * sigmoid(s)**(q-m), 1 <= m <= q
    for i, f in enumerate(factors):
        if not isinstance(f, sp.exp):
            continue
        w = f.args[0]
        for j, g in enumerate(factors):
            base, q = (g.base, g.exp) if g.is_Pow else (g, sp.S.One)
            if j == i or not isinstance(base, sigmoid) or not q.is_Integer or q <= 0:
                continue
            s = base.args[0]
            m = sp.simplify(-w / s)
            if m.is_Integer and 1 <= m <= q:
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(sigmoid(-s) ** m, sigmoid(s) ** (q - m), *rest)
    # sinh(u) * cosh(u)**-1  ->  tanh(u)
    for i, f in enumerate(factors):
        if not isinstance(f, sp.sinh):
            continue
        for j, g in enumerate(factors):
            if j != i and g == 1 / sp.cosh(f.args[0]):
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(sp.tanh(f.args[0]), *rest)
    # (cos(u) - sinc(u)) * u**-1  ->  dsinc(u)
    for i, f in enumerate(factors):
        if not f.is_Add:
            continue
        for j, g in enumerate(factors):
            if j == i or not (g.is_Pow and g.exp == -1):
                continue
            u = g.base
            if sp.expand(f - (sp.cos(u) - sp.sinc(u))) == 0:
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(_DSinc(u), *rest)
    # sigmoid(u) * sigmoid(-u)  ->  sigmoid'(u), one exponential instead of two
    for i, f in enumerate(factors):
        if not isinstance(f, sigmoid):
            continue
        for j, g in enumerate(factors):
            if j != i and isinstance(g, sigmoid) and g.args[0] == -f.args[0]:
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(_SigmoidPrime(f.args[0]), *rest)
    # sin(u) * u**-1  ->  sinc(u)
    for i, f in enumerate(factors):
        if not isinstance(f, sp.sin):
            continue
        u = f.args[0]
        for j, g in enumerate(factors):
            if j != i and g == 1 / u:
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(sp.sinc(u), *rest)
    return expr


def _rewrite_log(expr: sp.log) -> sp.Expr:
    arg = expr.args[0]
    base, n = (arg.base, arg.exp) if arg.is_Pow else (arg, sp.S.One)
    if isinstance(base, sigmoid) and n.is_number:
        return -n * softplus(-base.args[0])
    if isinstance(base, sp.cosh) and n.is_number:
        return n * _LogCosh(base.args[0])
    found = _one_plus_exp(base)
    if found is not None and n.is_number:
        a, v = found
        return n * (sp.log(a) + softplus(v))
    if arg.is_Add:
        const, rest = arg.as_independent(*arg.free_symbols, as_Add=True)
        if const == 1 and rest != 0:
            return log1p(rest)
    return expr


def _rewrite_node(expr: sp.Basic, complement: bool = True) -> sp.Basic:
    if isinstance(expr, sp.Add):
        return _rewrite_add(expr, complement)
    if isinstance(expr, sp.Pow):
        return _rewrite_pow(expr)
    if isinstance(expr, sp.Mul):
        return _rewrite_mul(expr)
    if isinstance(expr, sp.log):
        return _rewrite_log(expr)
    return expr


def _bottom_up(expr: sp.Basic, fn) -> sp.Basic:
    if not expr.args or expr.is_Atom:
        return expr
    if isinstance(expr, sp.Piecewise):
        args = [(_bottom_up(e, fn), c) for e, c in expr.args]
        return fn(sp.Piecewise(*args))
    args = [_bottom_up(a, fn) for a in expr.args]
    new = expr.func(*args) if args != list(expr.args) else expr
    return fn(new)


def stabilize(expr: sp.Basic, max_passes: int = 6, *, complement: bool = True) -> sp.Basic:
    r"""Rewrite *expr* into a numerically stable form (see the module's table).

    The result is mathematically equal to *expr*; it may contain symnn's
    :class:`~symnn.functions.sigmoid` and :class:`~symnn.functions.softplus`,
    ``log1p``, ``expm1``, ``erfc`` and internal kernel markers. ``complement=False``
    leaves ``1 - sigmoid(u)`` as it is (cheaper, and accurate where it is added to
    something larger; :func:`compile` verifies that before using it).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> stabilize(sp.log(1 + sp.exp(x)))
    softplus(x)
    >>> stabilize(x / 2 * (1 + sp.erf(x / sp.sqrt(2))))
    x*_Erfc(-sqrt(2)*x/2)/2
    """
    rewrite = functools.partial(_rewrite_node, complement=complement)
    for _ in range(max_passes):
        new = _bottom_up(expr, rewrite)
        if new == expr:
            break
        expr = new
    return expr


# --------------------------------------------------------------------------
# Branch-free piecewise functions
# --------------------------------------------------------------------------


class _Clip(_Kernel):
    """``u`` clipped to ``[lo, hi]``; prints as np.clip / np.maximum / np.minimum."""

    nargs = 3

    def _numpycode(self, printer):
        u, lo, hi = (printer._print(a) for a in self.args)
        if self.args[1] is sp.S.NegativeInfinity:
            return f"np.minimum({u}, {hi})"
        if self.args[2] is sp.oo:
            return f"np.maximum({u}, {lo})"
        return f"np.clip({u}, {lo}, {hi})"


class _Select(_Kernel):
    """``g`` where the condition holds, else 0.0 (``g * cond``, no branches)."""

    nargs = 2

    def _numpycode(self, printer):
        g, cond = self.args
        return f"{printer.parenthesize(g, PRECEDENCE['Mul'])}*{printer._print(cond)}"


class _Mask(_Kernel):
    """1.0 where the condition holds, else 0.0."""

    nargs = 1

    def _numpycode(self, printer):
        return f"{printer._print(self.args[0])}.astype(np.float64)"


def _linear_condition(cond, x):
    """``(x, op, c)`` for a condition ``a*x + b op 0`` with a of known sign, else None."""
    if not isinstance(cond, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
        return None
    d = sp.expand(cond.lhs - cond.rhs)
    a = d.coeff(x, 1)
    b = d - a * x
    if x in b.free_symbols or a == 0 or a.free_symbols:
        return None
    op = cond.rel_op
    if a.is_negative:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    return op, sp.simplify(-b / a)


def _surely_less(a, b) -> bool:
    if a is sp.S.NegativeInfinity or b is sp.oo:
        return True
    return bool((b - a).is_positive)


def _intervals(pw: sp.Piecewise, variables):
    """Ordered pieces ``[(expr, lo, hi)]`` and boundary owners of a univariate Piecewise.

    Returns ``(x, pieces, owners)`` where ``owners[i]`` is "left" when the
    boundary between piece i and i+1 belongs to piece i. None when the
    conditions are not simple bounds on one variable.
    """
    symbols = set().union(*(c.free_symbols for _, c in pw.args)) & set(variables)
    candidates = [
        s for s in symbols if all(c is sp.true or _linear_condition(c, s) for _, c in pw.args)
    ]
    if len(candidates) != 1:
        return None
    x = candidates[0]
    lo, hi = sp.S.NegativeInfinity, sp.oo
    low_end, high_end, middle = [], [], None
    for value, cond in pw.args:
        if cond is sp.true:
            middle = value
            break
        op, c = _linear_condition(cond, x)
        if not (_surely_less(lo, c) and _surely_less(c, hi)):
            return None
        if op in ("<", "<="):
            low_end.append((value, c, "left" if op == "<=" else "right"))
            lo = c
        else:
            high_end.append((value, c, "right" if op == ">=" else "left"))
            hi = c
    if middle is None:
        return None
    values = [v for v, _, _ in low_end] + [middle] + [v for v, _, _ in reversed(high_end)]
    bounds = [(c, o) for _, c, o in low_end] + [(c, o) for _, c, o in reversed(high_end)]
    return x, values, bounds


def _exact_in_float(c: sp.Expr) -> bool:
    """True for a bound that float64 holds exactly (or that depends on a parameter)."""
    if c.free_symbols:
        return True
    try:
        return sp.Rational(float(c)) == c
    except (TypeError, ValueError):
        return False


def _modest(v: sp.Expr) -> bool:
    """A boundary value the branch-free sums can add and subtract without losing the result."""
    if v.has(sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan):
        return False
    if v.free_symbols:
        return True
    try:
        return abs(float(v)) <= 1e6
    except (TypeError, ValueError):
        return False


def _one_expression_or_zero(x, values, bounds, cuts) -> sp.Expr | None:
    """``g(x) * [x in S]`` when every piece is either 0 or the same expression g.

    Hardshrink is ``x * ((x < -lambda) | (x > lambda))``, its derivative the same
    mask as floats: fewer passes over the data than the general sum with its jump
    terms. g is evaluated everywhere and multiplied by 0 outside its intervals, so
    it must be finite on all of R (only numbers and polynomials qualify). Used only
    for functions that jump; continuous ones keep the clip form.
    """
    nonzero = {v for v in values if v != 0}
    if len(nonzero) != 1 or len(values) < 2:
        return None
    (g,) = nonzero
    if not (g.is_number or g.is_polynomial(x)):
        return None  # g * 0 must not be inf * 0 outside its intervals
    jumps = any(
        (values[i] == 0) != (values[i + 1] == 0) and g.xreplace({x: c}) != 0
        for i, (c, _) in enumerate(bounds)
    )
    if not jumps:
        return None  # continuous (ReLU): np.maximum(x, 0) is better than x*(x > 0)
    conds = []
    for i, v in enumerate(values):
        if v == 0:
            continue
        parts = []
        if i > 0:
            c, owner = bounds[i - 1]
            parts.append(x > c if owner == "left" else x >= c)
        if i < len(values) - 1:
            c, owner = bounds[i]
            parts.append(x <= c if owner == "left" else x < c)
        conds.append(sp.And(*parts) if len(parts) > 1 else parts[0])
    cond = sp.Or(*conds) if len(conds) > 1 else conds[0]
    if g == 1:
        return _Mask(cond)
    return _Select(g, cond)


def _branch_free(pw: sp.Piecewise, variables) -> sp.Expr | None:
    r"""Rewrite a univariate Piecewise without branches, or None when it does not apply.

    With pieces :math:`P_1, \dots, P_n` on intervals split at
    :math:`c_1 < \dots < c_{n-1}`,

    .. math::

        f(x) = \sum_i P_i(\operatorname{clip}(x, c_{i-1}, c_i))
               - \sum_{i<n} P_{i+1}(c_i) + \sum_{i<n} J_i [x \text{ past } c_i],

    with the jumps :math:`J_i = P_{i+1}(c_i) - P_i(c_i)`. Every piece is
    evaluated only on its own closed interval, so nothing overflows, and no
    ``numpy.where`` (slow on unpredictable masks) is needed: ReLU becomes
    ``np.maximum(x, 0)``, ELU ``np.maximum(x, 0) + alpha*np.expm1(np.minimum(x, 0))``.
    """
    found = _intervals(pw, variables)
    if found is None:
        return None
    x, values, bounds = found
    if not all(_exact_in_float(c) for c, _ in bounds):
        return None  # a boundary such as 1 - exp(-100) would move when rounded
    cuts = [sp.S.NegativeInfinity] + [c for c, _ in bounds] + [sp.oo]
    masked = _one_expression_or_zero(x, values, bounds, cuts)
    if masked is not None:
        return masked
    total = sp.S.Zero
    for i, value in enumerate(values):
        clip = _Clip(x, cuts[i], cuts[i + 1]) if x in value.free_symbols else x
        total += value.xreplace({x: clip}) if clip is not x else value
    for i, (c, owner) in enumerate(bounds):
        left, right = values[i].xreplace({x: c}), values[i + 1].xreplace({x: c})
        if not all(_modest(v) for v in (left, right)):
            return None  # huge boundary values would swamp the result in the sums below
        jump = sp.simplify(right - left)
        total -= right
        if jump != 0:
            total += jump * _Mask(x > c if owner == "left" else x >= c)
    return total


def branch_free(expr: sp.Basic, variables=None) -> sp.Basic:
    """Replace every univariate Piecewise in *expr* by its branch-free form (where possible).

    *variables* are the symbols that may be the Piecewise's variable (default:
    every free symbol); parameters in the bounds must have known signs where
    the order of the bounds depends on them.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> branch_free(sp.Piecewise((0, x <= 0), (x, True)))
    _Clip(x, 0, oo)
    >>> branch_free(sp.Piecewise((0, x <= 0), (1, True)))
    _Mask(x > 0)
    """

    variables = expr.free_symbols if variables is None else set(variables)

    def fold(e):
        if isinstance(e, sp.Piecewise):
            new = _branch_free(e, variables)
            if new is not None:
                return new
        return e

    return _bottom_up(expr, fold)


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------


class _Printer(NumPyPrinter):
    """NumPy printer with short module names, nested ``where`` and stable kernels."""

    _short: ClassVar[dict[str, str]] = {"numpy.": "np.", "scipy.special.": "special."}

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _module_format(self, fqn, register=True):
        for long, short in self._short.items():
            if fqn.startswith(long):
                return short + fqn[len(long) :]
        return super()._module_format(fqn, register)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return f"{int(expr.p)}/{int(expr.q)}"

    def _print_Piecewise(self, expr):
        pieces = list(expr.args)
        if pieces[-1][1] != sp.true:
            pieces.append((sp.nan, sp.true))

        def value(v):  # constants as floats, so that the result is a float array
            return repr(float(v)) if v.is_number and v.is_finite else self._print(v)

        out = value(pieces[-1][0])
        for v, cond in reversed(pieces[:-1]):
            out = f"np.where({self._print(cond)}, {value(v)}, {out})"
        return out

    def _print_Max(self, expr):
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.maximum({out}, {self._print(a)})"
        return out

    def _print_Min(self, expr):
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.minimum({out}, {self._print(a)})"
        return out

    def _print_Abs(self, expr):
        return f"np.abs({self._print(expr.args[0])})"

    def _print_erf(self, expr):
        return f"special.erf({self._print(expr.args[0])})"

    def _print_erfc(self, expr):
        return f"special.erfc({self._print(expr.args[0])})"

    def _print_sinc(self, expr):
        return f"kernels.sinc({self._print(expr.args[0])})"

    def _print_sech(self, expr):
        return f"kernels.sech({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"np.heaviside({self._print(expr.args[0])}, {self._print(h0)})"

    def _print_Pow(self, expr, rational=False):
        base, n = expr.base, expr.exp
        if n == -1:
            return f"1/{self.parenthesize(base, 1000)}"
        if n.is_Integer and n < 0:
            return f"1/{self.parenthesize(base, 1000)}**{int(-n)}"
        if isinstance(base, sp.sech) and n == 2:
            return f"kernels.sech2({self._print(base.args[0])})"
        return super()._print_Pow(expr, rational=rational)

    def _print_Relational(self, expr):
        ops = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        if expr.rel_op in ops:
            lhs = self.parenthesize(expr.lhs, PRECEDENCE["Relational"])
            rhs = self.parenthesize(expr.rhs, PRECEDENCE["Relational"])
            return f"({lhs} {ops[expr.rel_op]} {rhs})"
        return super()._print_Relational(expr)

    def _print_And(self, expr):
        return "(" + " & ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr):
        return "(" + " | ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr):
        return f"(~{self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"


def _fold_constants(expr: sp.Basic) -> sp.Basic:
    """Replace irrational numeric subexpressions (sqrt(2), pi, ...) by float64 values."""

    def fold(e):
        if e.is_number and not e.is_Rational and not e.is_Float and e.is_real:
            return sp.Float(float(e))
        return e

    if isinstance(expr, sp.Basic) and expr.is_number:
        return fold(expr)
    return _bottom_up(expr, fold)


def _safe_name(sym: sp.Symbol, used: set[str], index: int) -> str:
    """The symbol's name if it is a plain, unreserved ASCII identifier; else ``_argN``."""
    name = sym.name
    if (
        name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in _RESERVED
        and name not in used
    ):
        return name
    return f"_arg{index}"


def _contains_piecewise(expr: sp.Basic) -> bool:
    return bool(expr.atoms(sp.Piecewise))


def numpy_source(
    exprs: Sequence[sp.Basic],
    names: Mapping[sp.Symbol, str],
    *,
    stable: bool = True,
    prefix: str = "_t",
    variables: Iterable[sp.Symbol] | None = None,
) -> tuple[list[str], list[str]]:
    """Print expressions as NumPy statements: ``(lines, results)``.

    *names* maps every free symbol to the Python name it has in the
    surrounding code. *lines* assign common subexpressions (``_t0 = ...``);
    *results* are the code of each expression. This is the building block
    that :func:`compile` and the network's code generator share.
    *variables* are the array arguments (default: every symbol in *names*);
    piecewise functions of one of them are printed without branches.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> numpy_source([sp.tanh(x), 1 - sp.tanh(x)**2], {x: "Z"})
    ([], ['np.tanh(Z)', 'kernels.sech2(Z)'])
    """
    exprs = [sp.sympify(e) for e in exprs]
    variables = set(names) if variables is None else set(variables)
    if stable:
        exprs = [stabilize(e) for e in exprs]
    exprs = [_fold_constants(branch_free(e, variables)) for e in exprs]
    replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols(prefix), order="none")
    printer = _Printer()
    rename = {s: sp.Symbol(n) for s, n in names.items()}

    def show(e):
        return printer.doprint(e.xreplace(rename))

    lines = [f"{sym} = {show(sub)}" for sym, sub in replacements]
    return lines, [show(e) for e in reduced]


# --------------------------------------------------------------------------
# The compiled function
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledFunction:
    """A vectorised NumPy function generated from a SymPy expression.

    Attributes
    ----------
    expr : the original expression.
    stable_expr : the expression after the stability rewrites.
    args : positional argument symbols.
    params : keyword parameters and their defaults.
    source : the generated Python source.
    """

    expr: sp.Basic
    stable_expr: sp.Basic
    args: tuple[sp.Symbol, ...]
    params: dict[sp.Symbol, float]
    source: str
    name: str
    _fn: Callable = field(repr=False)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        sig = ", ".join(
            [s.name for s in self.args] + [f"{p.name}={v!r}" for p, v in self.params.items()]
        )
        return f"<compiled {self.name}({sig}) = {self.expr}>"


def compile(
    expr: sp.Basic | float,
    args: Iterable[sp.Symbol] | sp.Symbol | None = None,
    *,
    params: Mapping[sp.Symbol | str, float] | None = None,
    name: str = "f",
    stable: bool = True,
    names: Mapping[sp.Symbol, str] | None = None,
) -> CompiledFunction:
    r"""Compile a SymPy expression into a stable, vectorised NumPy function.

    Parameters
    ----------
    expr : the expression (elementwise in its arguments).
    args : positional argument symbols, in order (default: the free symbols not
        in *params*, sorted by name).
    params : symbols passed as keyword arguments, with their default values.
    name : the function's name in the generated source.
    stable : apply the stability rewrites (default True; False gives the naive
        printing, useful for comparison).
    names : Python names for some symbols in the signature (default: the symbol's
        own name when it is a plain ASCII identifier, else ``_argN``).

    Returns
    -------
    CompiledFunction
        Callable on numbers and arrays (broadcasting like NumPy, float64
        results); ``.source`` shows the code.

    Examples
    --------
    >>> import sympy as sp
    >>> x, a = sp.symbols("x alpha", real=True)
    >>> elu = compile(sp.Piecewise((a * (sp.exp(x) - 1), x <= 0), (x, True)), x, params={a: 1.0})
    >>> elu([-1.0, 2.0], alpha=2.0)
    array([-1.26424112,  2.        ])
    >>> print(elu.source)
    def f(x, *, alpha=1.0):
        x = np.asarray(x, dtype=np.float64)
        return alpha*np.expm1(np.minimum(x, 0)) + np.maximum(x, 0)
    """
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Expr):
        raise TypeError(
            f"compile needs a SymPy expression, not {type(expr).__name__} {expr!r}; "
            "for an equation a = b compile a - b"
        )
    params = dict(params or {})
    params = {(sp.Symbol(k, real=True) if isinstance(k, str) else k): v for k, v in params.items()}
    by_name = {s.name: s for s in expr.free_symbols}
    params = {by_name.get(k.name, k): float(v) for k, v in params.items()}
    if args is None:
        args = sorted((s for s in expr.free_symbols if s not in params), key=lambda s: s.name)
    elif isinstance(args, sp.Symbol):
        args = [args]
    args = tuple(args)
    for a in args:
        if not isinstance(a, sp.Symbol):
            raise TypeError(f"compile: arguments must be SymPy symbols, got {a!r}")
    missing = expr.free_symbols - set(args) - set(params)
    if missing:
        listed = ", ".join(sorted(repr(s.name) for s in missing))
        raise ValueError(
            f"compile: the expression has free symbol(s) {listed} that are neither arguments "
            "nor parameters; pass them in args=... or params={...: default}"
        )
    if not (name.isascii() and name.isidentifier() and not keyword.iskeyword(name)):
        raise ValueError(f"compile: function name {name!r} is not a plain identifier")

    used: set[str] = set()
    names_: dict[sp.Symbol, str] = {}
    wanted = dict(names or {})
    for i, s in enumerate((*args, *params)):
        names_[s] = _safe_name(sp.Symbol(wanted[s]) if s in wanted else s, used, i)
        used.add(names_[s])

    stable_expr = branch_free(stabilize(expr) if stable else expr, args)
    source, fn = _build(stable_expr, args, params, names_, name)
    if stable and len(args) == 1 and stable_expr.has(sigmoid):
        # 1 - sigmoid(u) -> sigmoid(-u) costs a second exponential; where the
        # difference is added to something larger (SiLU's derivative) the cheap form
        # is just as accurate. Use it only when it verifiably agrees everywhere.
        cheap = branch_free(stabilize(expr, complement=False), args)
        if _cost(cheap) < _cost(stable_expr):
            cheap_source, cheap_fn = _build(cheap, args, params, names_, name)
            if _agree(cheap_fn, fn, {names_[p]: v for p, v in params.items()}):
                stable_expr, source, fn = cheap, cheap_source, cheap_fn
    return CompiledFunction(
        expr=expr,
        stable_expr=stable_expr,
        args=args,
        params=params,
        source=source,
        name=name,
        _fn=fn,
    )


def _build(stable_expr, args, params, names_, name) -> tuple[str, Callable]:
    """Print *stable_expr* as a Python function and compile it; ``(source, function)``."""
    lines, (result,) = numpy_source([stable_expr], names_, stable=False, variables=args)
    arg_names = [names_[a] for a in args]
    signature = ", ".join(arg_names)
    if params:
        kw = ", ".join(f"{names_[p]}={v!r}" for p, v in params.items())
        signature = f"{signature}, *, {kw}" if signature else f"*, {kw}"
    body = [f"{a} = np.asarray({a}, dtype=np.float64)" for a in arg_names]
    if not stable_expr.free_symbols & set(args) and arg_names:
        result = f"kernels.broadcast({result}, {', '.join(arg_names)})"
    elif not arg_names:
        result = f"np.float64({result})"
    elif set(args) - stable_expr.free_symbols:
        result = f"kernels.broadcast({result}, {', '.join(arg_names)})"
    if result in arg_names:  # never hand back the caller's own array
        result = f"{result}.copy()"
    compute = [*lines, f"return {result}"]
    if _contains_piecewise(stable_expr):
        body.append('with np.errstate(over="ignore", invalid="ignore", divide="ignore"):')
        body.extend("    " + line for line in compute)
    else:
        body.extend(compute)
    source = f"def {name}({signature}):\n" + "\n".join("    " + line for line in body)
    namespace = dict(_NAMESPACE)
    code = builtins.compile(source, f"<symnn.compile {name}>", "exec")
    exec(code, namespace)  # generated from a SymPy tree with vetted names, never user text
    return source, namespace[name]


def _cost(expr: sp.Basic) -> int:
    """A rough cost: the number of distinct transcendental calls (CSE computes each once)."""
    calls = expr.atoms(sp.Function)
    return len([f for f in calls if not isinstance(f, (_Clip, _Mask, _Select))])


def _verification_grid() -> np.ndarray:
    """[-1000, 1000], dense near 0 and log-spaced in magnitude down to 1e-300."""
    mags = np.logspace(-300, 3, 1213)
    lin = np.linspace(-50, 50, 4001)
    return np.unique(np.concatenate([-mags, mags, lin, np.linspace(-1000, 1000, 2001), [0.0]]))


def _agree(cheap: Callable, reference: Callable, params: Mapping | None = None) -> bool:
    """True when *cheap* matches *reference* to 1e-13 (relative), or 2e-16 near zeros.

    Checked on :func:`_verification_grid`, with the parameters at their defaults
    and at half and twice them.
    """
    settings = [{}]
    for scale in (0.5, 2.0):
        settings.append({k: v * scale for k, v in (params or {}).items()})
    return all(_agree_once(cheap, reference, kw) for kw in settings)


def _agree_once(cheap: Callable, reference: Callable, kw: dict) -> bool:
    grid = _verification_grid()
    with np.errstate(all="ignore"):
        a = np.asarray(cheap(grid, **kw), dtype=np.float64)
        b = np.asarray(reference(grid, **kw), dtype=np.float64)
    if a.shape != b.shape or not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return False
    ok = np.isfinite(b)
    err = np.abs(a[ok] - b[ok])
    close = err <= 1e-13 * np.abs(b[ok])
    # near a sign change of the function, absolute agreement is what is required
    sign = np.sign(b)
    change = np.flatnonzero(sign[:-1] * sign[1:] <= 0)
    near = np.zeros(grid.shape, dtype=bool)
    for i in change:
        near |= np.abs(grid - grid[i]) <= 1e-3
    close |= near[ok] & (err <= 2e-16)
    return bool(np.all(close))
