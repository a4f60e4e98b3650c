"""Compiler rows added for the wider catalogue (issue #15), each against mpmath at 50 digits."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.analysis.properties import analyze

x = sp.Symbol("x", real=True)
mpmath.mp.dps = 50


def _rel(got, true):
    return abs(mpmath.mpf(float(got)) - true) / abs(true)


def test_a_factored_linear_base_keeps_its_brackets_inside_a_power():
    """(1 + x/10)^3 printed as (1/10)*(x + 10)**3 was 100 times too large."""
    f = sn.compile((1 + x / 10) ** 3, x)
    assert "((1/10)*(x + 10))**3" in f.source
    assert float(f(-5.0)) == 0.125
    assert float(f(7.0)) == pytest.approx(1.7**3, rel=1e-15)


@pytest.mark.parametrize("t", [-1e-17, -3e-9, 1e-12, -0.5, -9.999999])
def test_power_minus_one_is_exact_near_zero(t):
    f = sn.compile((1 + x / 10) ** 10 - 1, x)
    true = (1 + mpmath.mpf(t) / 10) ** 10 - 1
    assert _rel(f(t), true) <= 1e-14


def test_tanh_of_exp_and_its_derivative_do_not_overflow():
    act = sn.activation("tanhexp")
    xs = np.array([-30.0, 3.0, 8.5, 710.0, 1e300])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        values, slopes = act(xs), act.grad(xs)
    for t, v, d in zip(xs[:3], values[:3], slopes[:3], strict=True):
        mt = mpmath.mpf(float(t))
        assert _rel(v, mt * mpmath.tanh(mpmath.exp(mt))) <= 1e-14
        true_d = mpmath.tanh(mpmath.exp(mt)) + mt * mpmath.exp(mt) * mpmath.sech(mpmath.exp(mt)) ** 2
        assert _rel(d, true_d) <= 1e-14
    assert list(values[3:]) == [710.0, 1e300] and list(slopes[3:]) == [1.0, 1.0]


@pytest.mark.parametrize("k", [-10, -3, 0, 5, 280])
def test_one_plus_sin_keeps_its_digits_next_to_its_double_zeros(k):
    """snake'(x) = 1 + sin(2x) touches 0 at x = -pi/4 + k pi."""
    d = sn.compile(1 + sp.sin(2 * x), x)
    t = float(-mpmath.pi / 4 + k * mpmath.pi) + 1e-4
    true = 1 + mpmath.sin(2 * mpmath.mpf(t))
    assert _rel(d(t), true) <= 1e-12


def test_a_rational_function_without_real_poles_is_analysed():
    """SymPy writes a quartic's roots in radicals and cannot tell they are complex; Sturm can."""
    den = 1 + sp.Rational(3, 10) * x**4 + sp.Rational(4) * x**2 + sp.Rational(1, 300000) * x
    props = analyze(sn.Activation(x / den), cache=False)
    assert props.continuity == sp.oo
    with pytest.raises(ValueError, match=r"singularity|not defined"):
        analyze(sn.Activation(1 / (x**2 - 2)), cache=False)
