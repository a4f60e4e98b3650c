"""Near-root kernels (symnn.compiler.roots): accuracy next to interior roots, against mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.compiler import compile
from tests.oracle import mp_function

x = sp.Symbol("x", real=True)
GELU = x / 2 * (1 + sp.erf(x / sp.sqrt(2)))
GELU1 = sp.diff(GELU, x)
GELU_ROOT = mpmath.mpf("-0.75179152469356448654")  # root of Phi(x) + x phi(x)


def _rel(got: float, true) -> float:
    return float(abs(mpmath.mpf(float(got)) - true) / abs(true))


def test_gelu_derivative_gets_a_table_with_its_root():
    f = compile(GELU1, x)
    assert f.roots is not None and len(f.roots) == 1
    assert abs(f.roots.r_hi[0] - float(GELU_ROOT)) <= 1e-15
    assert "near_roots" in f.source


def test_functions_without_cancelling_roots_get_no_table():
    for expr in (sp.tanh(x), x - sp.tanh(x), sp.sin(x), x**2 - 1, sp.exp(x)):
        f = compile(expr, x)
        assert f.roots is None, expr
        assert "near_roots" not in f.source


@settings(max_examples=60, deadline=None)
@given(st.integers(-4000, 4000), st.sampled_from([1e-16, 1e-13, 1e-10, 1e-7, 1e-5]))
def test_gelu_derivative_next_to_its_root(k, scale):
    f = compile(GELU1, x)
    oracle = mp_function(GELU1, x)
    t = float(f.roots.r_hi[0]) + k * scale / 4000 * 3
    true = oracle(t)
    if true == 0:
        return
    assert _rel(f(t), true) <= 1e-13


@pytest.mark.parametrize(
    "text",
    [
        "x/2*(1 + erf(x/sqrt(2)))",  # GELU typed by hand: its derivative
        "x/(1 + exp(-x))",  # SiLU
        "x*tanh(log(1 + exp(x)))",  # Mish
        "exp(x) - 2",
    ],
)
def test_hand_typed_formulas_are_accurate_at_every_ulp_next_to_the_root(text):
    act = sn.Activation(text)
    order = 0 if text == "exp(x) - 2" else 1
    f = act.compiled(order)
    oracle = mp_function(act.diff(order), act.symbol, act.params)
    assert f.roots is not None
    r = float(f.roots.r_hi[0])
    xs = r + np.arange(-40, 41) * np.spacing(r)
    got = f(xs)
    for t, g in zip(xs, got, strict=True):
        true = oracle(float(t))
        assert _rel(g, true) <= 1e-13, (text, t, g, true)


def test_value_and_gradient_stay_consistent_across_the_window():
    """The polynomial's slope matches the compiled derivative (GELU'' from GELU')."""
    f = compile(GELU1, x)
    f2 = compile(sp.diff(GELU1, x), x)
    r = float(f.roots.r_hi[0])
    width = float(f.roots.hi[0] - f.roots.lo[0]) / 2
    h = 1e-6
    for t in r + np.array([-1.3, -1.0, -0.5, 0.0, 0.5, 1.0, 1.3]) * width:
        fd = (f(t + h) - f(t - h)) / (2 * h)
        assert fd == pytest.approx(float(f2(t)), rel=1e-8)


def test_table_only_at_the_default_parameters():
    a = sp.Symbol("a", positive=True)
    f = compile(sp.exp(x) - a, x, params={a: 2.0})
    assert f.roots is not None
    r = float(np.log(2.0))
    with mpmath.workdps(50):
        assert _rel(f(r), mpmath.exp(mpmath.mpf(r)) - 2) <= 1e-14
    # other parameters: the plain formula, no polynomial about log 2
    assert float(f(r, a=3.0)) == pytest.approx(2.0 - 3.0 + (np.exp(r) - 2.0), abs=1e-15)


def test_many_roots_use_the_bucket_grid_and_propagate_nan():
    f = sn.activation("sinc").compiled(1)
    assert f.roots is not None and len(f.roots) > 600 and f.roots.bucket_root is not None
    got = f(np.array([np.nan, 4.493409457909064, -np.inf, np.inf]))
    assert np.isnan(got[0])
    true = mp_function(sn.activation("sinc").diff(1), x)(4.493409457909064)
    assert _rel(got[1], true) <= 1e-13
    assert list(got[2:]) == [0.0, 0.0]


def test_root_at_a_kink_without_sign_change():
    """SQNL' is 1 - x/2 up to 2 and 0 after it: both sides are polynomials next to 2."""
    f = sn.activation("sqnl").compiled(1)
    assert f.roots is not None
    xs = 2.0 - np.arange(1, 9) * np.spacing(2.0)
    np.testing.assert_allclose(f(xs), (2.0 - xs) / 2, rtol=1e-14)
    assert f(2.0 + np.spacing(2.0)) == 0.0


def test_compiling_without_roots_keeps_the_plain_formula():
    f = compile(GELU1, x, roots=False)
    assert f.roots is None and "near_roots" not in f.source


def test_double_root_at_a_kink_gets_no_polynomial():
    """ReLU^2 = max(x, 0)^2 has a double root at its kink 0: h q(h) there would be q's
    rounding error (relative error 1e-3 at x = 1e-14); the formula itself is exact."""
    f = sn.activation("relu_squared").compiled(0)
    assert f.roots is None
    xs = np.array([1e-14, 1e-10, 3e-8, 1e-3, -1e-14])
    np.testing.assert_allclose(f(xs), np.maximum(xs, 0) ** 2, rtol=1e-15)
