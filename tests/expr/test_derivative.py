"""derivative(): sympy.diff with symnn's conventions at kinks, whatever the spelling.

Each convention is checked symbolically (the formula returned) and numerically (the
value at the kink, evaluated by SymPy without lambdify), and against independent oracles:
the catalogue's own derivatives and central finite differences away from kinks.
"""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Abs, Heaviside, Max, Min, Piecewise, Rational, Symbol, ceiling, floor, sign

import symnn
from symnn.expr.parse import parse
from symnn.expr.symbolic import derivative, kink_conventions

x, y = Symbol("x", real=True), Symbol("y", real=True)


def at(expr: sympy.Basic, point, var: Symbol = x) -> float:
    """The value of *expr* at *point*, by SymPy (no lambdify)."""
    return float(expr.subs(var, point))


# (spelling, derivative formula, {kink: value there})
CONVENTIONS = [
    ("max(x, 0)", Heaviside(x, 0), {0: 0.0, 1: 1.0, -1: 0.0}),
    ("max(0, x)", Heaviside(x, 0), {0: 0.0}),
    ("x*Heaviside(x)", Heaviside(x, 0), {0: 0.0, 2: 1.0}),
    ("relu(x)", Piecewise((0, x <= 0), (1, True)), {0: 0.0, 1: 1.0}),
    ("min(x, 6)", Heaviside(6 - x, 0), {6: 0.0, 5: 1.0, 7: 0.0}),
    ("min(max(x, 0), 6)", None, {0: 0.0, 6: 0.0, 3: 1.0}),
    ("relu6(x)", None, {0: 0.0, 6: 0.0, 3: 1.0}),
    ("max(-1, min(1, x))", None, {-1: 0.0, 1: 0.0, 0: 1.0}),
    ("hard_tanh(x)", None, {-1: 0.0, 1: 0.0, 0: 1.0}),
    ("abs(x)", sign(x), {0: 0.0, 2: 1.0, -2: -1.0}),
    ("|x|", sign(x), {0: 0.0}),
    ("max(x, -x)", None, {0: 0.0, 1: 1.0, -1: -1.0}),  # |x| spelled with max: sign(0) = 0
    ("sign(x)", sympy.S.Zero, {0: 0.0, 1: 0.0}),
    ("Heaviside(x)", sympy.S.Zero, {0: 0.0}),
    ("Heaviside(x - 1)*(x - 1)", Heaviside(x - 1, 0), {1: 0.0, 2: 1.0}),
    ("floor(x)", sympy.S.Zero, {0: 0.0, Rational(1, 2): 0.0}),
    ("ceiling(x)", sympy.S.Zero, {0: 0.0}),
    ("x*floor(x^2)", floor(x**2), {Rational(3, 2): 2.0}),
    ("floor(sin(3x))", sympy.S.Zero, {Rational(1, 3): 0.0}),  # chain rule through floor
    ("max(0, max(x, 1))", Heaviside(x - 1, 0), {1: 0.0, 2: 1.0, 0: 0.0}),
    ("abs(abs(x) - 1)", sign(x) * sign(Abs(x) - 1), {0: 0.0, 1: 0.0, -1: 0.0, 2: 1.0}),
    ("max(x, 2x)", None, {0: 0.0, 1: 2.0, -1: 1.0}),  # a tie of different slopes: 0
    ("max(x, x/100)", None, {0: 0.0}),  # leaky ReLU spelled with max: 0 at the tie
]


@pytest.mark.parametrize(
    ("text", "formula", "values"), CONVENTIONS, ids=[c[0] for c in CONVENTIONS]
)
def test_conventions_at_kinks(text, formula, values):
    d = derivative(parse(text), x)
    if formula is not None:
        assert d == formula, f"d/dx {text} = {d}, expected {formula}"
    assert not d.has(sympy.DiracDelta, sympy.Derivative, sympy.Subs)
    for point, value in values.items():
        assert at(d, point) == value, f"d/dx {text} at {point}: {d.subs(x, point)}"


def test_max_of_many_arguments_gives_zero_where_two_tie():
    d = derivative(parse("max(x, y, 0)"), x)
    assert at(d.subs(y, -1), 0) == 0.0  # x ties 0
    assert at(d.subs(y, 1), 1) == 0.0  # x ties y
    assert at(d.subs(y, -1), 2) == 1.0


def test_min_ties_also_give_zero():
    d = derivative(Min(x, y), x)
    assert d == Heaviside(y - x, 0)
    assert d.subs(y, x) == 0


def test_explicit_heaviside_value_is_kept():
    # Heaviside(u, h0) is the user's choice of the branch at the jump, like a Piecewise
    assert derivative(x * Heaviside(x, 1), x) == Heaviside(x, 1)
    assert at(derivative(x * Heaviside(x, 1), x), 0) == 1.0


def test_cbrt_has_no_value_at_zero():
    d = derivative(parse("cbrt(x)"), x)
    assert d.subs(x, 0) in (sympy.nan, sympy.zoo, sympy.oo)  # vertical tangent: undefined
    assert math.isclose(at(d, 8), 1 / 12)
    assert math.isclose(at(d, -8), 1 / 12)


def test_spelling_does_not_change_the_derivative_of_relu():
    spellings = [
        "relu(x)",
        "max(x, 0)",
        "max(0, x)",
        "x*Heaviside(x)",
        "min(max(x, 0), 10^6)",
        "Piecewise((0, x <= 0), (x, True))",
        "Piecewise((x, x > 0), (0, True))",
    ]
    derivatives = [derivative(parse(s), x) for s in spellings]
    for point in [-2, -Rational(1, 3), 0, Rational(1, 7), 3]:
        values = {at(d, point) for d in derivatives}
        assert len(values) == 1, (point, dict(zip(spellings, derivatives, strict=True)))


def test_a_spelling_through_abs_follows_abs():
    # per-function rules, as PyTorch's autograd: (x + |x|)/2 gives (1 + sign(0))/2 at 0
    d = derivative(parse("(x + abs(x))/2"), x)
    assert at(d, 0) == 0.5 and at(d, 1) == 1.0 and at(d, -1) == 0.0


def test_arguments_that_agree_on_an_interval_keep_their_slope():
    # for x < 0, max(x, x/2) = x/2 and the min picks it: max(x/2, x/2), slope 1/2, not 0
    d = derivative(parse("max(x/2, min(max(x, x/2), 1))"), x)
    for point, value in [(-Rational(13, 7), 0.5), (-1, 0.5), (Rational(1, 2), 1.0), (3, 0.5)]:
        assert at(d, point) == value, (point, d.subs(x, point))
    assert at(d, 0) == 0.0 and at(d, 2) == 0.0  # point ties of different slopes: 0


def test_higher_orders_and_arguments():
    assert derivative(parse("x^4"), x, order=3) == 24 * x
    assert derivative(parse("max(x, 0)"), x, order=2) == 0  # the jump's delta is dropped
    assert derivative(parse("x^2"), x, order=0) == x**2
    assert derivative("x^3", "x") == 3 * x**2  # strings go through the safe parser
    assert derivative("max(x, y)", "y") == Heaviside(y - x, 0)
    with pytest.raises(ValueError, match="non-negative integer"):
        derivative(x, x, order=-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        derivative(x, x, order=True)
    with pytest.raises(TypeError, match="Symbol or a name"):
        derivative(x, x + 1)
    with pytest.raises(TypeError, match="expression"):
        derivative(sympy.Eq(x, 1), x)


def test_symbols_without_assumptions_are_treated_as_real():
    t = Symbol("t")
    d = derivative(Abs(t) + Max(t, 0), t)
    assert d == sign(t) + Heaviside(t, 0)
    assert d.free_symbols == {t}


def test_kink_conventions_alone():
    assert kink_conventions(sympy.diff(Max(x, 0) + sign(x), x)) == Heaviside(x, 0)
    assert kink_conventions(sympy.diff(ceiling(x) * 2, x)) == 0


# ------------------------------------------------------------- against the catalogue


def _kink_points(expr: sympy.Basic, var: Symbol) -> list:
    from symnn.expr.symbolic import breakpoints

    return [*breakpoints(expr, var), Rational(-7, 3), Rational(1, 5), Rational(9, 4)]


@pytest.mark.parametrize("name", symnn.activations())
def test_same_as_the_catalogue_activation_derivative(name):
    act = symnn.activation(name)
    expr = act.expr.subs(act.params)
    mine = derivative(expr, act.symbol)
    theirs = act.derivative.subs(act.params)
    for point in _kink_points(expr, act.symbol):
        a, b = mine.subs(act.symbol, point), theirs.subs(act.symbol, point)
        if a.has(sympy.nan, sympy.zoo) or b.has(sympy.nan, sympy.zoo):
            assert a.has(sympy.nan, sympy.zoo) and b.has(sympy.nan, sympy.zoo), (point, a, b)
            continue  # e.g. sinc' at 0: a removable singularity, left to the compiler
        assert math.isclose(float(a), float(b), abs_tol=1e-12), (name, point, a, b)


@pytest.mark.parametrize("name", [n for n in symnn.losses() if n != "softmax_cross_entropy"])
def test_same_as_the_catalogue_loss_gradient(name):
    lo = symnn.loss(name)
    values = {p: sympy.Rational(3, 10) for p in lo.params} if hasattr(lo, "params") else {}
    mine = derivative(lo.expr, lo.yhat).subs(values)
    theirs = lo.gradient.subs(values)
    targets = (
        [Rational(1, 2), Rational(1, 3)]
        if "cross" in name or "kl" in name
        else [-1, 1, Rational(1, 2)]
    )
    for t in targets:
        for p in [
            t,
            1 - t,
            Rational(1, 4),
            Rational(2, 3),
            1 / t,
        ]:  # ties and kinks (y = ŷ, y ŷ = 1)
            a = mine.subs({lo.y: t, lo.yhat: p})
            b = theirs.subs({lo.y: t, lo.yhat: p})
            if not (a.is_finite and b.is_finite):
                continue  # outside the domain (log of a negative probability)
            assert math.isclose(float(a), float(b), abs_tol=1e-12), (name, t, p, a, b)


# ------------------------------------------------------------- finite differences

LEAVES = st.sampled_from(["x", "2", "(x-1)", "(1-x)", "(x/2)", "3x"])
UNARY = ["abs", "sin", "exp", "tanh", "floor", "sign"]


def _formula(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return LEAVES
    inner = _formula(depth - 1)
    return st.one_of(
        LEAVES,
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(inner, st.sampled_from("+-*"), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
    )


@settings(max_examples=40, deadline=None)
@given(_formula(2), st.sampled_from([Rational(-13, 7), Rational(2, 9), Rational(31, 17)]))
def test_matches_finite_differences_away_from_kinks(text, point):
    expr = parse(text)
    d = derivative(expr, x)
    h = sympy.Rational(1, 10**8)
    left, mid, right = (float(expr.subs(x, point + k * h)) for k in (-1, 0, 1))
    slope_l, slope_r = (mid - left) / float(h), (right - mid) / float(h)
    if not math.isclose(slope_l, slope_r, rel_tol=1e-3, abs_tol=1e-3):
        return  # a kink or a jump is within h of the point: no classical derivative
    central = (right - left) / (2 * float(h))
    assert math.isclose(float(d.subs(x, point)), central, rel_tol=1e-4, abs_tol=1e-4), (
        text,
        d,
    )
