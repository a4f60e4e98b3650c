"""Every function the parser accepts compiles (value and derivative); no silent wrong numbers."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.expr.parse import ParseError, known_functions, parse
from tests.compiler._accuracy import oracle

x = sp.Symbol("x", real=True)
# no integers (poles of gamma, jumps of floor), both signs, inside and outside [-1, 1]
POINTS = np.array([-3.3, -2.7, -1.9, -1.1, -0.6, -0.2, 0.3, 0.7, 1.2, 1.7, 2.4, 3.1, 5.5])


def _call(name: str) -> sp.Expr:
    """``name(x)``, or ``name(x, 2)`` for functions of two arguments (atan2)."""
    for text in (f"{name}(x)", f"{name}(x, 2)"):
        try:
            return parse(text, symbols=["x"]).xreplace({sp.Symbol("x", real=True): x})
        except ParseError:
            continue
    raise AssertionError(f"cannot call {name!r} with one or two arguments")


def test_the_parser_lists_its_functions():
    names = known_functions()
    assert isinstance(names, list) and names == sorted(names)
    assert {"floor", "gamma", "sign", "Heaviside", "cbrt", "atan2", "sigmoid"} <= set(names)


@pytest.mark.parametrize("name", known_functions())
@pytest.mark.parametrize("order", [0, 1])
def test_every_parser_function_compiles_and_agrees_with_mpmath(name, order):
    expr = sp.diff(_call(name), x, order)
    f = sn.compile(expr, x)
    with np.errstate(all="ignore"):
        got = np.asarray(f(POINTS), dtype=float)
    true_fn, value_fn = oracle(expr, x), oracle(_call(name), x)
    for t, g in zip(POINTS, got, strict=True):
        try:
            v, v0 = true_fn(float(t)), value_fn(float(t))
        except (ValueError, ZeroDivisionError, TypeError):
            continue  # mpmath: not defined there
        if any(mpmath.isnan(w) or mpmath.isinf(w) for w in (v, v0)):
            continue  # the function is not real there (acosh(0.3)), or a pole
        assert np.isfinite(g), f"{name}^({order}) at {t}: got {g}, true {v}\n{f.source}"
        assert abs(g - v) <= 1e-11 * abs(v) + 1e-300, (
            f"{name}^({order}) at {t}: got {g}, true {v}\n{f.source}"
        )


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.diff(sp.sign(x), x), 0.0),
        (sp.diff(sp.Heaviside(x), x), 0.0),
        (sp.diff(sp.floor(x), x), 0.0),
        (sp.diff(sp.ceiling(x), x), 0.0),
        (sp.diff(sp.sign(sp.sign(x)), x), 0.0),
    ],
)
def test_derivatives_of_jumps_are_zero_almost_everywhere(expr, expected):
    f = sn.compile(expr, x)
    out = f(np.array([-2.5, -1e-9, 0.5, 3.7]))
    np.testing.assert_array_equal(out, expected)


def test_cbrt_and_its_derivative():
    e = _call("cbrt")
    f, d = sn.compile(e, x), sn.compile(sp.diff(e, x), x)
    assert float(f(-8.0)) == -2.0 and "np.cbrt" in f.source
    assert float(d(-8.0)) == pytest.approx(1 / 12, rel=1e-15)


def test_gamma_prints_with_scipy():
    f = sn.compile(sp.gamma(x), x)
    assert "special.gamma" in f.source
    assert float(f(5.0)) == 24.0
    assert float(sn.compile(sp.factorial(x), x)(4.0)) == 24.0


def test_complex_expressions_are_refused():
    with pytest.raises(ValueError, match="not real-valued"):
        sn.compile(sp.sqrt(-1) * x, x)
    with pytest.raises(ValueError, match="imaginary unit"):
        sn.compile(sp.log(-2) + x, x)


def test_an_unknown_function_is_a_clear_value_error():
    f = sp.Function("f")
    with pytest.raises(ValueError, match="'f'"):
        sn.compile(f(x) + 1, x)
    with pytest.raises(ValueError, match="derivative"):
        sn.compile(sp.diff(f(x), x), x)


# -- NaN in, NaN out; limits at +-inf ----------------------------------------------------------


@pytest.mark.parametrize("name", sn.activations())
@pytest.mark.parametrize("order", [0, 1])
def test_nan_in_gives_nan_out(name, order):
    f = sn.activation(name).compiled(order)
    assert np.isnan(f(np.array([np.nan, 1.0]))[0]), f.source
    assert np.isnan(f(np.nan)), f.source


def test_piecewise_with_numpy_where_propagates_nan():
    y = sp.Symbol("y", real=True)
    pw = sp.Piecewise((x, x > y), (y, True))  # two variables: numpy.where, not branch-free
    f = sn.compile(pw, [x, y])
    assert "where" in f.source
    assert np.isnan(f(np.nan, 1.0)) and np.isnan(f(1.0, np.nan))
    assert float(f(2.0, 1.0)) == 2.0


def test_binary_step_of_nan_is_nan():
    assert np.isnan(sn.activation("binary_step").compiled(0)(np.nan))


# sympy.limit runs for minutes on these and then fails (RecursionError); their limits at +-inf are
# checked against mpmath with every other activation in tests/catalogue/test_extremes.py.
SYMPY_LIMIT_TOO_SLOW = {"smish", "eswish", "quick_gelu"}


@pytest.mark.parametrize("name", [n for n in sn.activations() if n not in SYMPY_LIMIT_TOO_SLOW])
@pytest.mark.parametrize("order", [0, 1])
def test_limits_at_infinity(name, order):
    """The limit at +-inf, checked by sympy.limit (gelu, gelu', gelu_tanh, softsign,
    bent_identity and gaussian' used to give NaN there: inf*0, inf/inf, inf - inf)."""
    act = sn.activation(name)
    f = act.compiled(order)
    expr = act.diff(order).xreplace({p: sp.nsimplify(v) for p, v in act.params.items()})
    got = f(np.array([-np.inf, np.inf]))  # warnings are errors (pyproject filterwarnings)
    for t, g in zip((-sp.oo, sp.oo), got, strict=True):
        try:
            lim = sp.limit(expr, act.symbol, t)
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            continue  # SymPy cannot say (piecewise with parameters)
        if not lim.is_extended_real or lim.has(sp.AccumBounds):
            continue  # no limit (sin), or SymPy leaves it unevaluated: test_extremes.py
        if lim.is_infinite:
            assert g == float(lim), f"{name}^({order}) at {t}: got {g}, limit {lim}\n{f.source}"
        else:
            assert g == pytest.approx(float(lim), rel=1e-15, abs=1e-300), (
                f"{name}^({order}) at {t}: got {g}, limit {lim}\n{f.source}"
            )


def test_far_out_values_of_isru_and_bent_identity():
    """Issue #19 item 6: isru(1e200) was 0 (true 1), bent_identity(-1e200) +inf (true -5e199)."""
    assert float(sn.activation("isru").compiled(0)(1e200)) == 1.0
    assert float(sn.activation("bent_identity").compiled(0)(-1e200)) == pytest.approx(-5e199, rel=1e-15)
    assert float(sn.activation("gelu_tanh").compiled(1)(1e200)) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e300, 1e300, allow_nan=False))
def test_squareplus_never_warns_and_is_positive(t):
    f = sn.compile((x + sp.sqrt(x**2 + 4)) / 2, x)
    with np.errstate(all="raise", under="ignore"):
        v = float(f(t))
    assert v > 0 or (t < -1e154 and v >= 0)


def test_limit_of_a_double_exponential_is_found_quickly():
    """e^x sech^2(e^x) -> 0 at +inf: the compile-time limit probe used to compute e^(e^(10^100))
    (mpmath asked for e to 10^100 bits and never finished)."""
    import time

    x = sp.Symbol("x", real=True)
    start = time.process_time()
    f = sn.compile(sp.exp(x) * sp.sech(sp.exp(x)) ** 2, x)
    assert time.process_time() - start < 30
    got = f(np.array([-np.inf, 0.0, 3.0, np.inf]))
    assert got[0] == 0.0 and got[3] == 0.0
    assert got[1] == pytest.approx(float(sp.sech(1) ** 2), rel=1e-15)
    assert got[2] == pytest.approx(float(sp.N(sp.exp(3) * sp.sech(sp.exp(3)) ** 2, 30)), rel=1e-13)
