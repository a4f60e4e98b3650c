"""Small symbolic helpers shared by the catalogues: tidy derivatives, find kinks.

These work on any SymPy expression in one real variable and know nothing of
networks.
"""

from __future__ import annotations

import contextlib

import sympy as sp

__all__ = ["as_expression", "branch_at", "breakpoints", "in_terms_of_output", "is_expression", "tidy"]

_SIMPLIFY_BUDGET = 60  # count_ops above which sympy.simplify is too slow to try


def _abs_from_sign(expr: sp.Basic) -> sp.Basic:
    """``u*sign(u) -> |u|`` (true for real u), which ``diff(Abs)`` leaves behind."""

    def is_target(e):
        if not e.is_Mul:
            return False
        signs = [f for f in e.args if isinstance(f, sp.sign)]
        return any(s.args[0] in e.args for s in signs)

    def fix(e):
        factors = list(e.args)
        for s in [f for f in factors if isinstance(f, sp.sign)]:
            u = s.args[0]
            if u in factors and s in factors:
                factors.remove(u)
                factors.remove(s)
                factors.append(sp.Abs(u))
        return sp.Mul(*factors)

    return expr.replace(is_target, fix)


def _functions(expr: sp.Basic) -> set[type]:
    return {type(f) for f in expr.atoms(sp.Function)}


def _smallest(candidates: list[sp.Basic]) -> sp.Basic:
    """The smallest candidate that introduces no function the first one lacks.

    SymPy's simplify likes to trade ``1 - tanh(x)**2`` for ``1/cosh(x)**2``:
    shorter, but the reader (and the output-reuse in backpropagation) wants
    the derivative in the functions of the definition.
    """
    allowed = _functions(candidates[0]) | {sp.Abs}
    fair = [c for c in candidates if _functions(c) <= allowed]
    return min(fair, key=lambda e: (sp.count_ops(e), len(str(e))))


def _tidy_smooth(expr: sp.Basic) -> sp.Basic:
    expr = _abs_from_sign(expr)
    candidates = [expr, sp.factor_terms(expr)]
    with contextlib.suppress(sp.PolynomialError):
        candidates.append(sp.cancel(sp.together(expr)))
    if sp.count_ops(expr) <= _SIMPLIFY_BUDGET and not expr.has(sp.Piecewise):
        candidates.append(sp.simplify(expr))
    return _smallest(candidates)


def tidy(expr: sp.Basic) -> sp.Basic:
    """A compact, readable form of a derivative (cheap simplifications, the smallest wins).

    Piecewise expressions are tidied branch by branch; ``u*sign(u)`` becomes
    ``|u|``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> tidy(sp.diff(x / (1 + sp.Abs(x)), x))
    (Abs(x) + 1)**(-2)
    >>> from symnn.expr.functions import sigmoid
    >>> tidy(sp.diff(x * sigmoid(x), x))
    (x*(1 - sigmoid(x)) + 1)*sigmoid(x)
    """
    expr = sp.sympify(expr)
    if expr.has(sp.Piecewise):
        folded = sp.piecewise_fold(expr)
        if isinstance(folded, sp.Piecewise):
            return sp.Piecewise(*[(_tidy_smooth(e), c) for e, c in folded.args])
        expr = folded
    return _tidy_smooth(expr)


def breakpoints(expr: sp.Basic, x: sp.Symbol) -> list[sp.Expr]:
    """Points where a piecewise or ``Abs``/``sign`` expression may switch formula.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> breakpoints(sp.Piecewise((0, x <= -1), (x, x < 1), (1, True)) + sp.Abs(x - 3), x)
    [-1, 1, 3]
    """
    points: set[sp.Expr] = set()
    for pw in expr.atoms(sp.Piecewise):
        for _, cond in pw.args:
            for rel in cond.atoms(sp.Rel):
                points.update(_roots_of(rel.lhs - rel.rhs, x))
    for fn in (sp.Abs, sp.sign, sp.Heaviside):
        for call in expr.atoms(fn):
            points.update(_roots_of(call.args[0], x))
    return sorted((p for p in points if p.is_real), key=float)


def _roots_of(e: sp.Expr, x: sp.Symbol) -> set[sp.Expr]:
    if x not in e.free_symbols:
        return set()
    try:
        sols = sp.solve(e, x)
    except NotImplementedError:  # pragma: no cover
        return set()
    return {s for s in sols if s.is_number}


def in_terms_of_output(expr: sp.Expr, derivative: sp.Expr, x: sp.Symbol, a: sp.Symbol):
    """Write *derivative* as a function of the output ``a = expr``, if that is exact.

    Backpropagation can then reuse the forward values: the sigmoid's
    derivative becomes ``a*(1 - a)``, tanh's ``1 - a**2``. Returns None when
    the derivative is not a function of the output alone.

    >>> import sympy as sp
    >>> from symnn.expr.functions import sigmoid
    >>> x, a = sp.symbols("x a", real=True)
    >>> in_terms_of_output(sigmoid(x), sigmoid(x) * (1 - sigmoid(x)), x, a)
    a*(1 - a)
    >>> in_terms_of_output(sp.tanh(x), 1 - sp.tanh(x)**2, x, a)
    1 - a**2
    >>> in_terms_of_output(x**3, 3*x**2, x, a) is None
    True
    """
    if expr == x or isinstance(expr, sp.Piecewise) or derivative.has(sp.Piecewise):
        return None
    if not (expr.is_Function or (expr.is_Pow and expr.base.is_Function)):
        return None
    replaced = derivative.subs(expr, a)
    if x in replaced.free_symbols:
        return None
    return replaced


def as_expression(expr, what: str, symbols=None) -> sp.Expr:
    """A SymPy expression from an expression or a formula string (through :func:`symnn.parse`).

    Equations, inequalities and other non-expressions are refused with a
    TypeError that says what was expected (*what*, e.g. "an activation is a
    SymPy expression in one variable"). *symbols* are multi-letter names the
    formula may use as variables (``["yhat", "y"]``).

    >>> as_expression("x^2 + 1", "a formula")
    x**2 + 1
    """
    if isinstance(expr, str):
        from symnn.expr.parse import parse

        expr = parse(expr, symbols)
    if not isinstance(expr, sp.Basic):  # numbers; never strings (handled above)
        expr = sp.sympify(expr, strict=True)
    if not is_expression(expr):
        raise TypeError(f"{what}, not {type(expr).__name__} {expr!r}")
    return expr


def is_expression(expr: object) -> bool:
    """True for a SymPy expression with a value (``x``, ``x + 1``), False for equations,
    inequalities, logical formulas and non-SymPy objects.

    (A SymPy ``Symbol`` is also a ``Boolean``, so ``isinstance(e, Boolean)`` is not the test.)

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> is_expression(x), is_expression(x + 1), is_expression(sp.Eq(x, 1)), is_expression(x > 1)
    (True, True, False, False)
    """
    boolalg = sp.logic.boolalg
    return (
        isinstance(expr, sp.Expr)
        and not expr.is_Relational
        and not isinstance(expr, (boolalg.BooleanFunction, boolalg.BooleanAtom))
    )


def branch_at(expr: sp.Expr, x: sp.Symbol, point: sp.Expr) -> sp.Expr:
    """The analytic formula *expr* follows at *point*: every ``Piecewise``, ``Abs``,
    ``sign`` and ``Heaviside`` of *x* resolved to the branch that holds there.

    Meant for a point inside a piece (between breakpoints), where the branch is
    unambiguous; one-sided limits at a breakpoint take the branch of a point just
    beside it. A Piecewise with no branch that holds at *point* gives ``nan``.

    >>> x = sp.Symbol("x", real=True)
    >>> relu = sp.Piecewise((0, x <= 0), (x, True))
    >>> branch_at(relu, x, -1), branch_at(relu + sp.Abs(x), x, 2)
    (0, 2*x)
    """

    def pick(*pairs):
        for e, c in pairs:
            truth = c.subs(x, point)
            if truth is sp.true or truth == True:  # noqa: E712 (SymPy booleans)
                return e
        return sp.nan

    expr = sp.piecewise_fold(expr).replace(sp.Piecewise, pick)
    expr = expr.replace(sp.Abs, lambda u: u * sp.sign(u.subs(x, point)))
    expr = expr.replace(sp.sign, lambda u: sp.sign(u.subs(x, point)))
    return expr.replace(sp.Heaviside, lambda u, *h: sp.Heaviside(u.subs(x, point), *h))
