"""symnn.compile: stability rewrites, branch-free piecewise code, safety of generated names."""

from __future__ import annotations

import builtins

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import symnn as sn
from symnn.compiler import branch_free, stabilize
from symnn.expr.functions import sigmoid, softplus

x, y = sp.symbols("x y", real=True)


def mp_eval(expr, t, dps=400):
    fn = sp.lambdify(x, expr, modules="mpmath")
    with mpmath.workdps(dps):
        return fn(mpmath.mpf(t))


@pytest.mark.parametrize(
    ("expr", "points"),
    [
        (sp.diff(1 / (1 + sp.exp(-x)), x), [-1000.0, -40.0, 0.0, 40.0, 1000.0]),
        (sp.log(1 + sp.exp(x)), [-1000.0, -40.0, 0.0, 40.0, 1000.0]),
        (1 + sp.erf(x), [-26.0, -10.0, 0.0, 3.0]),
        (sp.log(1 + x**2), [1e-200, 1e-10, 1.0]),
        (sp.exp(x) - 1, [-1e-300, 1e-12, 1e-5, 1.0]),
        (1 - sp.tanh(x) ** 2, [0.0, 5.0, 20.0, 400.0, -800.0]),
        (1 + sp.tanh(x), [-400.0, -20.0, 0.0, 20.0]),
        (x - sp.tanh(x), [1e-8, 1e-3, 0.05, 2.0, -0.01]),
        (sp.sin(x) / x, [1e-300, 1e-8, 1.0, 1000.0]),
        (sp.log(sigmoid(x)), [-1000.0, 0.0, 40.0, 1000.0]),
        (sp.exp(x) / (1 + sp.exp(x)), [-1000.0, 0.0, 1000.0]),
    ],
)
def test_unstable_patterns_compile_to_accurate_code(expr, points):
    f = sn.compile(expr, x)
    with np.errstate(all="raise", under="ignore"):
        got = f(np.array(points))
    for t, g in zip(points, got, strict=True):
        true = mp_eval(expr, t)
        assert np.isfinite(g)
        assert abs(mpmath.mpf(float(g)) - true) <= 1e-13 * abs(true) + 1e-300


def test_naive_printing_fails_where_the_stable_one_succeeds():
    expr = sp.diff(1 / (1 + sp.exp(-x)), x)
    naive = sn.compile(expr, x, stable=False)
    with np.errstate(all="ignore"):
        assert np.isnan(naive(-1000.0))
    assert sn.compile(expr, x)(-1000.0) == 0.0


def test_stabilize_recognises_the_named_functions():
    assert stabilize(1 / (1 + sp.exp(-x))) == sigmoid(x)
    assert stabilize(sp.log(1 + sp.exp(2 * x))) == softplus(2 * x)
    assert stabilize(1 - sigmoid(x)) == sigmoid(-x)
    assert stabilize(sp.log(sigmoid(x))) == -softplus(-x)


@given(st.floats(-50, 50, allow_nan=False))
def test_branch_free_piecewise_equals_the_piecewise(t):
    pw = sp.Piecewise((-1, x <= -2), (x**2 / 4 + x, x < 0), (x - x**2 / 4, x <= 2), (1, True))
    f = sn.compile(pw, x)
    assert "where" not in f.source
    expected = float(pw.subs(x, sp.Rational(t)))
    assert float(f(t)) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_branch_free_keeps_overflowing_pieces_on_their_interval():
    elu = sp.Piecewise((sp.exp(x) - 1, x <= 0), (x, True))
    f = sn.compile(elu, x)
    with np.errstate(all="raise"):
        assert f(1000.0) == 1000.0
    assert "expm1(np.minimum(x, 0))" in f.source


def test_branch_free_refuses_bounds_that_would_move_when_rounded():
    pw = sp.Piecewise((sp.log(x), x > sp.exp(-100)), (-100, True))
    assert branch_free(pw, [x]) == pw


def test_parameters_are_keyword_arguments_with_defaults():
    a = sp.Symbol("alpha", positive=True)
    f = sn.compile(a * x**2, x, params={a: 2.0})
    assert float(f(3.0)) == 18.0
    assert float(f(3.0, alpha=1.0)) == 9.0
    assert "def f(x, *, alpha=2.0):" in f.source


def test_constant_results_broadcast_to_the_input_shape():
    f = sn.compile(sp.Integer(3) + 0 * x, x)
    out = f(np.zeros((2, 3)))
    assert out.shape == (2, 3) and np.all(out == 3.0)
    g = sn.compile(x**2, [x, y])
    assert g(np.ones(4), np.ones((3, 1))).shape == (3, 4)


def test_symbol_names_that_are_not_identifiers_never_reach_python(monkeypatch):
    sentinel = "_symnn_pwned"
    monkeypatch.delattr(builtins, sentinel, raising=False)
    evil = sp.Symbol(f"__import__('builtins').__setattr__('{sentinel}', 1)", real=True)
    weird = sp.Symbol("x; import os", real=True)
    f = sn.compile(evil * 2 + weird, [evil, weird])
    assert float(f(1.0, 2.0)) == 4.0
    assert not hasattr(builtins, sentinel)
    assert "import" not in f.source.replace("import os", "")
    assert "_arg0" in f.source and "_arg1" in f.source


def test_keywords_and_reserved_names_are_renamed():
    s = sp.Symbol("lambda", real=True)
    np_sym = sp.Symbol("np", real=True)
    f = sn.compile(s + np_sym, [s, np_sym])
    assert float(f(1.0, 2.0)) == 3.0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="free symbol"):
        sn.compile(x + y, [x])
    with pytest.raises(TypeError, match="for an equation a = b compile a - b"):
        sn.compile(sp.Eq(x, 1))
    with pytest.raises(ValueError, match="not a plain identifier"):
        sn.compile(x, x, name="f(); import os")


def test_shared_conditions_stay_nan_propagating():
    """abrelu' and its partial in beta share ``x > beta``: printed together, the condition
    is not pulled out as a comparison (which gives 0 at NaN) but stays a heaviside."""
    from symnn.compiler import numpy_source
    from symnn.expr.symbolic import derivative

    act = sn.activation("abrelu")
    (beta,) = act.params
    parts = [derivative(act.expr, s) for s in (act.symbol, beta)]
    lines, results = numpy_source(parts, {act.symbol: "x", beta: "beta"})
    ns = {"np": np, "x": np.array([np.nan, 1.0, -1.0]), "beta": 0.0}
    for line in lines:
        exec(line, ns)
    got = [eval(r, ns) for r in results]
    assert np.isnan(got[0][0]) and np.isnan(got[1][0])
    assert list(got[0][1:]) == [1.0, 0.0] and list(got[1][1:]) == [-1.0, 0.0]
