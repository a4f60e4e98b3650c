r"""Branch-free code for piecewise functions of one variable.

A ``numpy.where`` evaluates every piece everywhere (so ELU's :math:`e^x` overflows
at x = 1000) and is slow on unpredictable masks. :func:`branch_free` rewrites a
Piecewise in one variable whose conditions are bounds on that variable into a sum
in which every piece is evaluated only on its own interval (through
:class:`~symnn.compiler.markers.Clip`) plus jump terms (NaN-propagating masks,
:class:`~symnn.compiler.markers.Mask`): ReLU becomes ``np.maximum(x, 0)``, ELU
``np.maximum(x, 0) + alpha*np.expm1(np.minimum(x, 0))``, the binary step
``np.heaviside(x, 1.0)``.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> branch_free(sp.Piecewise((0, x <= 0), (x, True)))
Clip(x, 0, oo)
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symnn.compiler.markers import Clip, Mask, Select, Steps
from symnn.compiler.registry import bottom_up

__all__ = ["branch_free"]


@lru_cache(maxsize=4096)
def _linear_condition(cond, x):
    """``(op, c)`` for a condition ``a*x + b op 0`` with a of known sign, else None."""
    if not isinstance(cond, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
        return None
    d = sp.expand(cond.lhs - cond.rhs)
    if not d.is_polynomial(x):
        return None
    a = d.coeff(x, 1)
    b = d - a * x
    if x in b.free_symbols or a == 0 or a.free_symbols:
        return None
    op = cond.rel_op
    if a.is_negative:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    c = -b / a
    if c.free_symbols:
        c = sp.cancel(c)
    return op, c


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


def _interval(x, bounds, i: int):
    """The condition "x is in the interval of piece i"."""
    parts = []
    if i > 0:
        c, owner = bounds[i - 1]
        parts.append(x > c if owner == "left" else x >= c)
    if i < len(bounds):
        c, owner = bounds[i]
        parts.append(x <= c if owner == "left" else x < c)
    return sp.And(*parts) if len(parts) > 1 else parts[0]


def _selected(x, values, bounds, cuts) -> sp.Expr:
    r"""``sum_i P_i(clip_i(x)) * [x in I_i]``: exactly one term is not 0.

    Used where a boundary value is not a float64 (x/10 + 1/2 at 7 is 1.2): the
    clip-and-sum form would add and subtract it, leaving an ulp of it behind in
    the neighbouring intervals; here no boundary value is ever added.
    """
    total = sp.S.Zero
    for i, value in enumerate(values):
        if value == 0:
            continue
        if x in value.free_symbols:
            value = value.xreplace({x: Clip(x, cuts[i], cuts[i + 1])})
        cond = _interval(x, bounds, i)
        total += Mask(cond) * value if value.is_number else Select(value, cond)
    return total


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
    conds = [_interval(x, bounds, i) for i, v in enumerate(values) if v != 0]
    cond = sp.Or(*conds) if len(conds) > 1 else conds[0]
    if g == 1:
        return Mask(cond)
    return Select(g, cond)


@lru_cache(maxsize=4096)
def _branch_free(pw: sp.Piecewise, variables: frozenset) -> sp.Expr | None:
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
    for i, (c, _) in enumerate(bounds):
        ends = (values[i].xreplace({x: c}), values[i + 1].xreplace({x: c}))
        if any(v.is_number and _modest(v) and not _exact_in_float(v) for v in ends):
            return _selected(x, values, bounds, cuts)
    pieces, steps = sp.S.Zero, sp.S.Zero  # steps: the piecewise-constant part
    for i, value in enumerate(values):
        if x in value.free_symbols:
            pieces += value.xreplace({x: Clip(x, cuts[i], cuts[i + 1])})
        else:
            steps += value
    for i, (c, owner) in enumerate(bounds):
        left, right = values[i].xreplace({x: c}), values[i + 1].xreplace({x: c})
        if not all(_modest(v) for v in (left, right)):
            return None  # huge boundary values would swamp the result in the sums below
        jump = right - left
        if jump.free_symbols:
            jump = sp.simplify(jump)
        steps -= right
        if jump != 0:
            steps += jump * Mask(x > c if owner == "left" else x >= c)
    if pieces != 0 and steps.has(Mask):
        # evaluated on its own first: its constants cancel exactly (to 0 on the
        # interval of a piece), before the piece's value, maybe tiny, is added
        return pieces + Steps(steps)
    return pieces + steps


def branch_free(expr: sp.Basic, variables=None) -> sp.Basic:
    """Replace every univariate Piecewise in *expr* by its branch-free form (where possible).

    *variables* are the symbols that may be the Piecewise's variable (default:
    every free symbol); parameters in the bounds must have known signs where
    the order of the bounds depends on them.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> branch_free(sp.Piecewise((0, x <= 0), (x, True)))
    Clip(x, 0, oo)
    >>> branch_free(sp.Piecewise((0, x <= 0), (1, True)))
    Mask(x > 0)
    """

    variables = frozenset(expr.free_symbols if variables is None else variables)
    if not expr.has(sp.Piecewise):
        return expr

    def fold(e):
        if isinstance(e, sp.Piecewise):
            new = _branch_free(e, variables)
            if new is not None:
                return new
        return e

    return bottom_up(expr, fold)
