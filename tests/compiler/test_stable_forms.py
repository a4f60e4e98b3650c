"""The stable forms of the rule registry, held to the accuracy requirement.

Each expression is compiled and compared with mpmath evaluating the *same* SymPy
expression: relative error <= 1e-12 wherever the true value is a normal float, on
[-1000, 1000], next to every root and breakpoint and out to +-1e300, no NaN/inf where
the true value is finite, no floating-point warnings.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.compiler import compile as compile_expr
from tests.compiler._accuracy import failures
from tests.oracle import mp_function

x = sp.Symbol("x", real=True)
b = sp.Symbol("b", positive=True)
half = sp.Rational(1, 2)


def squareplus(bb=4):
    return (x + sp.sqrt(x**2 + bb)) / 2


def pseudo_huber(d=1):
    return d**2 * (sp.sqrt(1 + (x / d) ** 2) - 1)


CASES = {
    "squareplus": (squareplus(), (), ()),
    "squareplus'": (sp.diff(squareplus(), x), (), ()),
    "squareplus''": (sp.diff(squareplus(), x, 2), (), ()),
    "squareplus_b": (squareplus(b), {b: 3.0}, ()),
    "squareplus_b'": (sp.diff(squareplus(b), x), {b: 3.0}, ()),
    "pseudo_huber": (pseudo_huber(), (), (0.0,)),
    "pseudo_huber_d": (pseudo_huber(sp.Rational(3, 2)), (), (0.0,)),
    "pseudo_huber'": (sp.diff(pseudo_huber(), x), (), (0.0,)),
    "bent_identity": ((sp.sqrt(x**2 + 1) - 1) / 2 + x, (), (0.0,)),
    "bent_identity'": (sp.diff((sp.sqrt(x**2 + 1) - 1) / 2 + x, x), (), ()),
    "hard_sigmoid": (
        sp.Piecewise((0, x <= -3), (x / 6 + half, x < 3), (1, True)),
        (),
        (-3.0, 3.0),
    ),
    "hard_swish": (x * sp.Piecewise((0, x <= -3), (x + 3, x < 3), (6, True)) / 6, (), (-3.0, 3.0)),
    "hard_swish'": (
        sp.Piecewise((0, x <= -3), (x / 3 + half, x < 3), (1, True)),
        (),
        (-3.0, -1.5, 3.0),
    ),
    # the boundary value P(5) = 1 is exact in float64 (see test_inexact_boundary_value)
    "linear_root": (sp.Piecewise((x / 10 + half, x < 5), (1, True)), (), (-5.0, 5.0)),
    "isru": (x / sp.sqrt(1 + x**2), (), (0.0,)),
    "isru'": (sp.diff(x / sp.sqrt(1 + x**2), x), (), ()),
    "isru_alpha": (x / sp.sqrt(1 + 3 * x**2), (), (0.0,)),
    "gelu_tanh": (
        x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Float("0.044715") * x**3))),
        (),
        (0.0,),
    ),
    "gelu_tanh'": (
        sp.diff(x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Float("0.044715") * x**3))), x),
        (),
        (),
    ),
    # x**2 - 1/2 near its roots +-sqrt(1/2) is not exact (x**2 is rounded): not claimed
    "gaussian''": (sp.diff(sp.exp(-(x**2)), x, 2), (), ()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_stable_form_meets_the_accuracy_requirement(name):
    expr, params, roots = CASES[name]
    params = dict(params)
    f = compile_expr(expr, x, params=params)
    bad = failures(f, expr, x, params=params, roots=roots)
    assert not bad, f"{name}: {expr}\n{f.source}\n" + "\n".join(bad)


def test_inexact_boundary_value_is_never_added():
    """x/10 + 1/2 is 1.2 at 7, not a float64: the pieces are selected by masks, not summed,
    so the constant region beyond 7 is exactly 0."""
    f = compile_expr(sp.Piecewise((x / 10 + half, x < 7), (0, True)), x)
    np.testing.assert_array_equal(f(np.array([7.0, np.nextafter(7.0, 8.0), 8.0, 1e300])), 0.0)
    bad = failures(f, sp.Piecewise((x / 10 + half, x < 7), (0, True)), x, roots=(-5.0, 7.0))
    assert not bad, "\n".join(bad)


def test_squareplus_was_cancelling_and_is_not_any_more():
    f = compile_expr(squareplus(), x)
    g = compile_expr(squareplus(), x, stable=False)
    with np.errstate(all="ignore"):
        assert abs(float(g(-974.0)) / float(f(-974.0)) - 1) > 1e-12  # the naive form cancels
        assert float(f(1e200)) == 1e200
        assert np.isinf(g(1e200)) or np.isnan(g(1e200))
    assert "add_hypot" in f.source


def test_bent_identity_at_large_negative_x():
    f = sn.compile((sp.sqrt(x**2 + 1) - 1) / 2 + x, x)
    assert float(f(-1e200)) == pytest.approx(-5e199, rel=1e-15)
    assert float(f(1e-15)) == pytest.approx(1e-15 + 2.5e-31, rel=1e-15)


def test_hard_sigmoid_near_its_root_is_printed_factored():
    hs = sp.Piecewise((0, x <= -3), (x / 6 + half, x < 3), (1, True))
    f = sn.compile(hs, x)
    t = -2.999999999999999
    assert float(f(t)) == pytest.approx(float((sp.Rational(t) + 3) / 6), rel=1e-15)
    assert "+ 3)" in f.source


def test_catalogue_hard_sigmoid_and_hard_swish_derivative():
    hs = sn.activation("hard_sigmoid")
    assert float(hs(-2.999999999999999)) == pytest.approx((3 - 2.999999999999999) / 6, rel=1e-12)
    d = sn.activation("hard_swish").compiled(1)
    t = np.nextafter(-1.5, 0)
    assert float(d(t)) == pytest.approx(float(sp.Rational(t) / 3 + half), rel=1e-12)


def test_isru_does_not_overflow():
    f = sn.compile(x / sp.sqrt(1 + x**2), x)
    assert float(f(1e200)) == 1.0
    assert float(f(-1e300)) == -1.0


def test_gelu_tanh_derivative_at_huge_arguments():
    d = sn.activation("gelu_tanh").compiled(1)
    with np.errstate(all="raise", under="ignore"):
        out = d(np.array([1e200, -1e200, 1e300, -1e300]))
    np.testing.assert_array_equal(out, [1.0, 0.0, 1.0, 0.0])


def test_an_intermediate_overflow_to_nan_gets_the_true_value():
    """A user formula with no stable form: e^x sech^2(e^x) is inf * 0 from x = 710 on, and
    its derivative from about 355; the compiled functions give the true values (mpmath at 40
    digits), 0 far out, with no floating-point warning, and NaN only where it is due."""
    act = sn.Activation("exp(x)*sech(exp(x))**2")
    true = mp_function(act.expr, act.symbol), mp_function(act.derivative, act.symbol)
    xs = np.array([-800.0, 1.0, 5.0, 20.0, 300.0, 356.0, 700.0, 710.0, 800.0, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            got = act(xs), act.grad(xs)
            special = act(np.array([np.inf, -np.inf, np.nan]))
    with mpmath.workdps(40):
        for order in (0, 1):
            for v, g in zip(xs[:-1], got[order][:-1], strict=True):  # (mpmath: not at 1e300)
                t = true[order](float(v))
                assert abs(g - float(t)) <= 1e-13 * abs(t) + 1e-300, (order, v, g, t)
    assert got[0][-1] == 0.0 and got[1][-1] == 0.0  # e^(-e^(1e300)), far below any double
    assert special[0] == 0.0 and special[1] == 0.0 and np.isnan(special[2])
    sq = sn.compile(x**2 + sp.sqrt(x), x)  # it overflows, so its NaN are checked too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sq(np.array([-1.0, 4.0, 1e200]))
    assert np.isnan(out[0]) and out[1] == 18.0 and out[2] == np.inf  # NaN outside the domain


# -- the spellings of the logistic function and softplus -------------------------------

LOGISTIC = [
    "exp(x)/(1+exp(x))",
    "1/(1+exp(-x))",
    "(1+tanh(x/2))/2",
    "exp(-x)/(1+exp(-x))",
    "1 - 1/(1+exp(-x))",
    "1/(exp(-x)+1)",
    "exp(x)/(exp(x)+1)",
]
SOFTPLUS = [
    "log(exp(x)+1)",
    "log(1+exp(x))",
    "log(1+exp(-x))",
    "x/(1+exp(-x))",
    "x*exp(x)/(1+exp(x))",
]
SPELLINGS = LOGISTIC + SOFTPLUS
POINTS = [
    -1e300, -1e200, -1000.0, -745.0, -40.0, -1.0, -1e-8, -1e-300, 0.0,
    1e-300, 1e-8, 1.0, 40.0, 745.0, 1000.0, 1e200, 1e300,
]  # fmt: skip


def _parsed(text):
    from symnn.expr.parse import parse

    return parse(text, symbols=["x"]).xreplace({sp.Symbol("x", real=True): x})


@pytest.mark.parametrize("text", SPELLINGS)
@pytest.mark.parametrize("order", [0, 1, 2])
def test_every_spelling_of_sigmoid_and_softplus_is_stable(text, order):
    expr = sp.diff(_parsed(text), x, order)
    f = sn.compile(expr, x)
    bad = failures(f, expr, x, xs=np.array(POINTS))
    assert not bad, f"{text} (order {order}): {expr}\n{f.source}\n" + "\n".join(bad)


@pytest.mark.parametrize("text", SPELLINGS)
def test_the_activation_of_every_spelling_has_a_finite_gradient(text):
    act = sn.Activation(text)
    with np.errstate(all="raise", under="ignore"):
        g = act.grad(np.array(POINTS))
        v = act(np.array([-1000.0, 0.0, 1000.0]))
    assert np.all(np.isfinite(g)), (text, act.diff(1), act.compiled(1).source)
    assert np.all(np.isfinite(v))
    bad = failures(act.compiled(1), act.diff(1), act.symbol, xs=np.array(POINTS))
    assert not bad, f"{text}: {act.diff(1)}\n{act.compiled(1).source}\n" + "\n".join(bad)


def test_logistic_gradient_at_1000_is_not_nan():
    act = sn.Activation("exp(x)/(1+exp(x))")
    assert float(act.grad(1000.0)) == 0.0
    assert float(act.grad(0.0)) == 0.25
