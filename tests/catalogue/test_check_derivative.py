"""`symnn.check_derivative`: right answers in other forms are accepted with their proof
route; wrong ones get a counterexample whose true value is checked against a 60-digit
central difference of the function itself (never sympy.diff), and the first wrong step."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.expr.parse import parse


def central_difference(expr: sp.Expr, point: dict) -> mpmath.mpf:
    """(f(x + h) - f(x - h)) / 2h at 60 digits, h = 1e-20, x the point's first symbol."""
    (x, at), *rest = point.items()
    h = sp.Rational(1, 10**20)
    with mpmath.workdps(60):
        up = sp.N(expr.xreplace({**dict(rest), x: at + h}), 60)
        down = sp.N(expr.xreplace({**dict(rest), x: at - h}), 60)
        return (mpmath.mpf(str(up)) - mpmath.mpf(str(down))) / (2 * mpmath.mpf(h))


def _tol(shown) -> float:
    """Values are shown exactly when short, else to 6 digits (a Float)."""
    return 1e-5 if shown.has(sp.Float) else 1e-30


def assert_counterexample(check, f_expr, answer_expr):
    assert not check.correct and check.point is not None
    with mpmath.workdps(60):
        want = central_difference(f_expr, check.point)
        true = mpmath.mpf(str(sp.N(check.true, 60)))
        given_value = mpmath.mpf(str(sp.N(answer_expr.xreplace(check.point), 60)))
        assert abs(true - want) <= _tol(check.true) * max(1, abs(want))  # the true value is right
        shown = mpmath.mpf(str(sp.N(check.given, 60)))
        assert abs(shown - given_value) <= _tol(check.given) * max(1, abs(given_value))
        assert abs(want - given_value) > 1e-20  # and the answer really differs there


RIGHT = [
    ("sigmoid", "exp(-x)/(1 + exp(-x))^2"),
    ("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"),
    ("tanh", "1/cosh(x)^2"),
    ("softplus", "1/(1 + exp(-x))"),
    ("relu", "Heaviside(x, 0)"),
    ("gelu", "(1 + erf(x/sqrt(2)))/2 + x*exp(-x^2/2)/sqrt(2*pi)"),
    ("mse", "2*(yhat - y)"),
    ("x*abs(x)", "2*abs(x)"),
    ("x^2*sin(x)", "2*x*sin(x) + x^2*cos(x)"),
    ("log(1 + exp(x))", "sigmoid(x)"),
]


@pytest.mark.parametrize(("f", "answer"), RIGHT)
def test_right_answers_in_any_form_are_accepted_with_the_proof_route(f, answer):
    c = sn.check_derivative(f, answer)
    assert c.correct and bool(c)
    assert c.route == "identical" or c.route.startswith(("symbolic:", "numeric:"))
    assert str(c).startswith("correct:") and c.route in str(c)


WRONG = [
    # (f, answer, the rule of the first wrong step)
    ("sin(x^2)", "cos(x^2)", "chain"),  # the inner derivative forgotten
    ("cos(x)", "sin(x)", "cos"),  # the sign
    ("x^3*exp(x)", "3*x^2*exp(x)", "product"),  # a product-rule term missing
    ("x/(1 + x^2)", "1/(2*x)", "quotient"),
    ("tanh(3*x)", "1 - tanh(3*x)^2", "chain"),
]


@pytest.mark.parametrize(("f", "answer", "rule"), WRONG)
def test_wrong_answers_get_a_counterexample_and_the_first_wrong_step(f, answer, rule):
    c = sn.check_derivative(f, answer)
    assert_counterexample(c, parse(f), parse(answer))
    assert c.step is not None and c.step[1].rule == rule
    text = str(c)
    assert text.startswith("wrong:") and "the right answer:" in text and "first wrong step:" in text


def test_the_kink_is_decided_by_symnns_convention():
    c = sn.check_derivative("relu", "Heaviside(x)")  # Heaviside(0) = 1/2; symnn takes 0
    assert not c.correct and c.point == {sp.Symbol("x", real=True): 0}
    assert c.true == 0 and c.given == sp.Rational(1, 2)


def test_an_answer_with_a_foreign_symbol_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="write the derivative in x"):
        sn.check_derivative("x^2", "2*y")


@settings(max_examples=10)
@given(
    coeffs=st.lists(st.integers(-5, 5), min_size=2, max_size=4),
    slip=st.integers(-3, 3).filter(bool),
    power=st.integers(0, 3),
)
@example(coeffs=[1, 3, -3, -3], slip=-3, power=0)  # long values: shown to 6 digits
def test_a_perturbed_derivative_is_always_caught(coeffs, slip, power):
    x = sp.Symbol("x", real=True)
    f = sum(c * x**k for k, c in enumerate(coeffs)) * sp.sin(x)
    right = sp.diff(f, x)
    assert sn.check_derivative(f, sp.expand(right)).correct
    wrong = right + slip * x**power
    c = sn.check_derivative(f, wrong)
    assert_counterexample(c, f, wrong)
