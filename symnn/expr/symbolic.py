"""Small symbolic helpers shared by the catalogues: derivatives with symnn's conventions at
kinks, tidy derivatives, find kinks.

These work on any SymPy expression in one real variable and know nothing of
networks.
"""

from __future__ import annotations

import contextlib

import sympy as sp

__all__ = [
    "as_expression",
    "breakpoints",
    "derivative",
    "in_terms_of_output",
    "is_expression",
    "kink_conventions",
    "tidy",
]

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


_KINK_FUNCTIONS = (sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling)


def _nested_kinks(expr: sp.Basic) -> bool:
    """A kink function inside another one: SymPy's simplify takes exponential time on these."""
    return any(a.has(*_KINK_FUNCTIONS) for k in expr.atoms(*_KINK_FUNCTIONS) for a in k.args)


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
    if (
        sp.count_ops(expr) <= _SIMPLIFY_BUDGET
        and not expr.has(sp.Piecewise)
        and not _nested_kinks(expr)
    ):
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


#: Functions whose derivative is 0 wherever it exists (SymPy leaves it unevaluated).
_STEPS = (sp.floor, sp.ceiling)


def _is_step_derivative(e: sp.Basic) -> bool:
    if isinstance(e, sp.Subs):
        e = e.expr
    return isinstance(e, sp.Derivative) and isinstance(e.expr, _STEPS)


def kink_conventions(expr: sp.Basic) -> sp.Basic:
    r"""Apply symnn's conventions at kinks to a derivative that ``sympy.diff`` returned.

    * ``DiracDelta(...)`` terms become 0 (the derivative of the function actually
      computed, which is almost everywhere that of its pieces);
    * ``Heaviside(u)`` -- SymPy's default :math:`\theta(0) = 1/2`, which the derivatives
      of ``Max``/``Min`` produce -- becomes ``Heaviside(u, 0)``, :math:`\theta(0) = 0`;
      an explicit other value (``Heaviside(u, 1)``) is kept;
    * the unevaluated derivatives of ``floor`` and ``ceiling`` become 0.

    See :func:`derivative` for the table of what this means for each function.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> kink_conventions(sp.diff(sp.Max(x, 0) + sp.sign(x), x))
    Heaviside(x, 0)
    """
    expr = expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    expr = expr.replace(_is_step_derivative, lambda e: sp.S.Zero)
    expr = expr.replace(lambda e: isinstance(e, sp.Subs) and e.expr == 0, lambda e: sp.S.Zero)
    return expr.replace(
        lambda e: isinstance(e, sp.Heaviside) and e.args[1:] in ((), (sp.S.Half,)),
        lambda e: sp.Heaviside(sp.factor_terms(sp.expand_mul(e.args[0])), 0),
    )


#: Functions with kinks: a difference containing one may vanish on a whole interval.
_KINKED = (sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling, sp.Piecewise)


class _TieMax(sp.Function):
    """Max while differentiating: ties get 0, unless the tied arguments share their slope."""

    _lattice = sp.Max

    def _eval_derivative(self, s: sp.Symbol) -> sp.Expr:
        first, others = self.args[0], self.args[1:]
        rest = others[0] if len(others) == 1 else self.func(*others)
        d_first, d_rest = first.diff(s), rest.diff(s)
        gap = first - rest if self._lattice is sp.Max else rest - first
        out = sp.Heaviside(gap, 0) * d_first + sp.Heaviside(-gap, 0) * d_rest
        slope_gap = d_first - d_rest
        if (
            gap.has(*_KINKED, _TieMax, _TieMin)
            and d_first != 0
            and d_rest != 0
            and not (slope_gap.is_number and slope_gap != 0)
        ):
            # arguments that agree on a whole interval (x/2 and min(max(x, x/2), 1) for
            # x < 0): there the function is either of them, its derivative their common
            # slope, not 0.  [a = b] is written 1 - sign(a - b)**2.
            out += (1 - sp.sign(gap) ** 2) * (1 - sp.sign(slope_gap) ** 2) * d_first
        return out


class _TieMin(_TieMax):
    _lattice = sp.Min


def _lattice_to_tie(expr: sp.Basic) -> sp.Basic:
    return expr.replace(
        lambda e: isinstance(e, (sp.Max, sp.Min)),
        lambda e: (_TieMax if isinstance(e, sp.Max) else _TieMin)(*e.args),
    )


def _tie_to_lattice(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, _TieMax), lambda e: e._lattice(*e.args))


def derivative(expr: sp.Basic | str, x: sp.Symbol | str, order: int = 1) -> sp.Basic:
    r"""The *order*-th derivative of *expr* in *x*: ``sympy.diff`` with symnn's kink conventions.

    One function for every spelling of a kink, so that ``relu(x)``, ``max(x, 0)`` and
    ``x*Heaviside(x)`` all have derivative 0 at 0 (the catalogue's ReLU'(0) = 0, as
    PyTorch's ``relu``).  Each order is differentiated with :func:`sympy.diff`, the
    conventions below are applied (:func:`kink_conventions`) and the result is tidied
    with :func:`tidy`.  Symbols are treated as real (a symbol without ``real=True`` is
    differentiated as if it had it: ``|x|' = sign(x)``, not SymPy's complex formula).

    ==================  ===========================  ==================================
    function            derivative                   at the kink
    ==================  ===========================  ==================================
    ``Piecewise``       branch by branch             the branch whose condition holds
                                                     there (ReLU ``x <= 0`` branch: 0)
    ``max(u, v)``       θ(u - v)·u' + θ(v - u)·v'    θ(0) = 0: **0 at a tie** (strict
                                                     winner only); max(x, 0)' = 0 at 0
    ``min(u, v)``       θ(v - u)·u' + θ(u - v)·v'    0 at a tie; min(x, 6)' = 0 at 6
    ``max``/``min``     max(a, max(b, c, ...)):      0 where two arguments tie
    of n arguments      nested pairs
    ties on an          the common slope             arguments that agree on a whole
    interval                                         interval (``max(x, min(x, 1))``
                                                     for x < 1) have their common
                                                     slope there, not 0
    ``abs(u)``          sign(u)·u'                   sign(0) = 0, as PyTorch's abs
    ``sign(u)``         0                            0 (the jump's DiracDelta dropped)
    ``Heaviside(u)``    0; Heaviside(u) in a         0; θ(0) = 0 (an explicit
                        result -> Heaviside(u, 0)    Heaviside(u, h0) keeps its h0)
    ``floor``,          0                            0
    ``ceiling``
    ``cbrt(u)``         u' / (3·|u|^(2/3))           not defined: the tangent is
                                                     vertical; the result evaluates
                                                     to nan/zoo at u = 0 (no value
                                                     is invented)
    ==================  ===========================  ==================================

    PyTorch is not consistent across spellings: ``torch.relu`` and ``hardtanh`` give 0
    at their corners, but ``torch.maximum``/``torch.minimum`` split the gradient in
    halves at a tie (``max(x, 0)'`` = 1/2 at 0) and ``torch.clamp`` passes it whole
    (1 at the boundary).  symnn follows ``relu``/``hardtanh`` everywhere: the gradient
    reaches an argument of max/min only where it strictly wins, which keeps
    ``max(x, 0)``, ``relu(x)``, ``min(max(x, 0), 6)`` (ReLU6), ``max(-1, min(1, x))``
    (hard tanh) and ``max(x, -x) = |x|`` consistent with the catalogue.  At a tie of
    arguments with different slopes the 0 is a convention, not always a subgradient
    (``max(x, 2x)`` at 0), and it makes ``max(x, x/100)`` -- leaky ReLU spelled with
    max -- 0 at 0 where the catalogue's ``leaky_relu`` takes the slope α of its
    ``x <= 0`` branch.  Arguments whose difference contains a kink may agree on a whole
    interval; there the tie term ``(1 - sign(u - v)**2)*(1 - sign(u' - v')**2)*u'``
    (1 exactly where they tie with equal slopes) restores their common slope (for smooth differences SymPy's own simplification
    leaves only isolated ties, where the value does not matter almost everywhere).

    The rules are per function, like PyTorch's per-operation backward rules, so a
    spelling that goes through ``abs`` follows ``abs``: ``(x + |x|)/2`` has
    derivative ``(1 + sign(x))/2``, 1/2 at 0, as PyTorch computes for that formula.

    Parameters
    ----------
    expr : SymPy expression or str
        A string is parsed safely with :func:`symnn.expr.parse.parse`.
    x : Symbol or str
        The variable; a name is matched against the free symbols of *expr* (a real
        symbol of that name otherwise).
    order : int
        0 returns *expr* unchanged.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> derivative(sp.Max(x, 0), x)
    Heaviside(x, 0)
    >>> derivative(sp.Max(x, 0), x).subs(x, 0)
    0
    >>> derivative(sp.Abs(x), x), derivative(sp.sign(x), x), derivative(sp.floor(x), x)
    (sign(x), 0, 0)
    >>> derivative("x^3", "x", order=2)
    6*x
    """
    expr = as_expression(expr, "derivative() needs an expression in x")
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"derivative order must be a non-negative integer, got {order!r}")
    var = _variable(expr, x)
    if order == 0:
        return expr
    to_real = {
        s: sp.Dummy(s.name, real=True)
        for s in (expr.free_symbols | {var})
        if isinstance(s, sp.Symbol) and s.is_real is not True
    }
    work, var = expr.xreplace(to_real), to_real.get(var, var)
    for _ in range(order):
        d = _tie_to_lattice(sp.diff(_lattice_to_tie(work), var))
        work = tidy(kink_conventions(d))
    return work.xreplace({v: k for k, v in to_real.items()})


def _variable(expr: sp.Basic, x: sp.Symbol | str) -> sp.Symbol:
    if isinstance(x, str):
        named = [s for s in expr.free_symbols if getattr(s, "name", None) == x]
        if named:
            return named[0]
        from symnn.expr.parse import parse

        x = parse(x)
    if not isinstance(x, sp.Symbol):
        raise TypeError(f"the variable must be a Symbol or a name, not {type(x).__name__} {x!r}")
    return x


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
