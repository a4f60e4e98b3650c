"""Step-by-step derivations: every rule ends in sympy.diff's answer, for the catalogue and
for user formulas; the independent oracle is a 50-digit central difference of the
expression itself (never sympy.diff)."""

from __future__ import annotations

import re

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.expr.derive import RULES, derive_expr, prove_equal
from symnn.expr.functions import sigmoid, softplus
from symnn.expr.parse import parse

x = sp.Symbol("x", real=True)
# A point off every kink of the formulas below, and a second one on the other side.
POINTS = (sp.Rational(7, 10), sp.Rational(-13, 10))


def _value(expr, point, digits=50):
    v = sp.piecewise_fold(expr.xreplace(point)).evalf(digits)
    return mpmath.mpf(str(sp.re(v)))


def central_difference(expr, var, at, values=None):
    """(f(x + h) - f(x - h)) / 2h at 60 digits with h = 1e-20: the oracle (error ~1e-40)."""
    values = dict(values or {})
    h = sp.Rational(1, 10**20)
    with mpmath.workdps(60):
        up = _value(expr, {**values, var: at + h}, 60)
        down = _value(expr, {**values, var: at - h}, 60)
        return (up - down) / (2 * mpmath.mpf(h))


def _exact(expr):
    """Floats (gelu_tanh's 0.044715) as the rationals they print as, in both expressions."""
    return expr.xreplace({f: sp.nsimplify(f, rational=True) for f in expr.atoms(sp.Float)})


def assert_matches_oracle(d, expr, var, values=None, points=POINTS):
    values = {k: sp.nsimplify(v) for k, v in (values or {}).items()}
    with mpmath.workdps(60):
        for at in points:
            want = central_difference(_exact(expr), var, at, values)
            got = _value(_exact(d.result), {**values, var: at}, 60)
            # a Float constant (LeCun's 1.7159) times 2/3 is a 15-digit Float in the result
            tol = 1e-25 if not d.result.atoms(sp.Float) - expr.atoms(sp.Float) else 1e-14
            assert abs(got - want) <= tol * max(1, abs(want)), (sp.sstr(expr), at, got, want)


# -- the catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sn.activations())
def test_every_activation_has_a_derivation_ending_in_its_derivative(name):
    act = sn.activation(name)
    d = sn.derive(act)
    assert "dont_know" not in d.rules() and d.rules() <= set(RULES)
    assert d.result == act.derivative  # the catalogue's own form, shown as the last step
    assert d.proof.equal  # the library proved it equal to derivative() (sympy.diff)
    if act.kinks:
        # a kink's value is the convention: compare exactly there, from the catalogue
        for k in act.kinks:
            k = k.xreplace({p: sp.nsimplify(v) for p, v in act.params.items()})
            point = {act.symbol: k, **{p: sp.nsimplify(v) for p, v in act.params.items()}}
            assert sp.simplify(d.result.xreplace(point) - act.derivative.xreplace(point)) == 0
    else:
        assert_matches_oracle(d, act.expr, act.symbol, act.params)


@pytest.mark.parametrize("name", sn.losses())
def test_every_loss_has_a_derivation_with_respect_to_the_prediction(name):
    lo = sn.loss(name)
    d = sn.derive(lo)
    assert "dont_know" not in d.rules()
    assert d.proof.equal
    if lo.fused_softmax:
        assert "softmax" in str(d) and d.result.has(sp.Symbol("y_i", real=True))
        return
    assert d.wrt == lo.yhat and d.result == lo.derivative
    values = {lo.y: sp.Rational(3, 10), **lo.params}
    # predictions inside every loss's domain (probabilities for the cross-entropies)
    assert_matches_oracle(d, lo.expr, lo.yhat, values, points=(sp.Rational(7, 10), sp.Rational(9, 20)))


def test_compact_forms_students_learn():
    assert sn.derive("sigmoid").result == sigmoid(x) * (1 - sigmoid(x))
    assert sn.derive("tanh").result == 1 - sp.tanh(x) ** 2
    beta = sn.activation("softplus").params and next(iter(sn.activation("softplus").params))
    assert sn.derive("softplus").result == sigmoid(beta * x)
    assert sn.derive(softplus(x)).result == sigmoid(x)
    relu = sn.derive("relu")
    assert relu.result == sp.Piecewise((0, x <= 0), (1, True))
    assert relu.rules() == {"piecewise", "constant", "variable"}
    (note,) = relu.root.notes
    assert "x = 0" in str(note) and ": 0 (symnn's convention" in str(note)
    text = str(sn.derive("sigmoid"))
    assert "σ'(u) = σ(u)·(1 - σ(u))" in text
    assert "tanh' = 1 - tanh²" in str(sn.derive("tanh"))
    assert "softplus'(u) = σ(u)" in str(sn.derive("softplus"))


def test_leaky_relu_states_the_slope_taken_at_the_kink():
    (note,) = sn.derive("leaky_relu").root.notes
    assert "x <= 0" in str(note) and "alpha" in str(note)


# -- user formulas ----------------------------------------------------------------------------

FORMULAS = [
    "x^3", "3*x^2 - 5*x + 7", "x^(-2)", "sqrt(x^2 + 1)", "1/x", "exp(2*x)", "2^x", "x^x",
    "log(x^2 + 1)", "sin(x)*cos(x)", "tan(x/3)", "sin(x)^2 + cos(x)^2", "sec(x/4)", "csc(x + 4)",
    "cot(x + 4)", "asin(x/3)", "acos(x/3)", "atan(x^2)", "sinh(x)*cosh(x)", "tanh(tanh(x))",
    "asinh(x)", "atanh(x/3)", "erf(x)*x", "exp(-x^2/2)/sqrt(2*pi)", "x*sigmoid(x)",
    "sigmoid(sigmoid(x))", "softplus(-x)", "x*tanh(softplus(x))", "log(sigmoid(x))",
    "sigmoid(x)*tanh(x)", "relu(x)*sigmoid(x)", "relu(x^2 - 1)", "abs(x)^3", "abs(sin(x))",
    "max(x, 0)^2", "min(x, 1)*x", "max(x, x/2)", "Heaviside(x)*x^2", "x/(1 + abs(x))",
    "(x^2 + 1)/(x - 5)", "exp(x)/(1 + exp(x))", "log(1 + exp(x))", "x*erf(x/sqrt(2))/2",
    "sqrt(x^2 + 1) - 1", "(sqrt(x^2 + 1) - 1)/2 + x", "x*exp(-abs(x))", "sinc(x)",
    "gelu(x)*x", "elu(x)^2", "softsign(x^2)", "mish(x)", "log(cosh(x))", "exp(sin(x^2))",
    "x^2*log(x^2 + 2)", "tanh(2*x + 1)^3", "a*x^2 + b*x", "exp(-a*x)*sin(b*x)",
]  # fmt: skip


@pytest.mark.parametrize("text", FORMULAS)
def test_user_formulas_end_in_sympy_diff_and_match_finite_differences(text):
    expr = parse(text)
    d = sn.derive(expr, "x")
    wrt = d.wrt
    values = {s: sp.Rational(3, 7) + i for i, s in enumerate(sorted(expr.free_symbols - {wrt}, key=str))}
    assert d.proof.equal  # the library's own check against derivative() (sympy.diff)
    assert "dont_know" not in d.rules() and d.rules() <= set(RULES)
    assert_matches_oracle(d, expr, wrt, values)
    truth = sp.diff(expr, wrt)  # and the last step is sympy.diff's own answer, at 50 digits
    for at in POINTS:
        point = {**values, wrt: at}
        assert abs(_value(d.result, point) - _value(truth, point)) <= 1e-40 * max(1, abs(_value(truth, point)))


def test_there_are_at_least_fifty_formulas():
    assert len(FORMULAS) >= 50


def test_a_function_outside_the_rule_set_is_a_dont_know_step_that_says_so():
    d = derive_expr(sp.gamma(x) * x, x)
    (step,) = [s for _, s in d.walk() if s.rule == "dont_know"]
    assert step.expr == sp.gamma(x) and "no rule for gamma" in str(step.explanation)
    assert d.result == sp.gamma(x) * (x * sp.polygamma(0, x) + 1) or prove_equal(
        d.result, sp.diff(sp.gamma(x) * x, x), x
    ).equal


def test_chain_rule_names_its_substitution():
    d = sn.derive("tanh(x^2)")
    assert d.root.rule == "chain" and d.root.substitution == (sp.Symbol("u", real=True), x**2)
    assert "set u = x**2" in str(d)


@settings(max_examples=8)
@given(a=st.integers(-5, 5).filter(bool), b=st.integers(-4, 4), n=st.integers(2, 6))
def test_composed_powers_and_functions(a, b, n):
    expr = sp.sin(a * x + b) ** n * sigmoid(x)
    d = derive_expr(expr, x)
    assert d.proof.equal
    assert prove_equal(d.result, sp.diff(expr, x), x).equal


# -- renderings ------------------------------------------------------------------------------


def test_text_rendering_is_numbered_and_ends_with_the_check():
    text = str(sn.derive("x*sigmoid(x)"))
    lines = text.splitlines()
    assert lines[0] == "d/dx [x*sigmoid(x)]"
    assert lines[1].startswith("1. Product rule:")
    assert any(line.strip().startswith("1.2. Sigmoid:") for line in lines)
    assert lines[-2].startswith("Result: d/dx [x*sigmoid(x)] = ")
    assert "checked" in lines[-1]


def test_latex_is_an_aligned_block_with_rule_names():
    tex = sn.derive("tanh(x^2)").latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"\text{(1) Chain rule}" in tex and r"\text{(1.1) Hyperbolic tangent}" in tex
    assert r"\text{(1.2) Power rule}" in tex and r"\text{result}" in tex
    assert tex.count(r"\\") == 3  # four rows
    d = sn.derive("sigmoid")
    assert d._repr_latex_().startswith("$$") and r"\sigma'\left(x\right)" in d.latex()


def test_markdown_lists_every_step():
    d = sn.derive("relu(x)*x")
    md = d.to_markdown()
    assert md == d._repr_markdown_()
    steps = re.findall(r"^\s*- \*\*([\d.]+)\. ", md, flags=re.M)
    assert steps == [n for n, _ in d.walk()]
    assert "*At the kink" in md
