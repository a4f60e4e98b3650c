"""symnn.curves.numeric: formulas go through symnn's compiler, read on their real branches."""

from __future__ import annotations

import time
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

from symnn.compiler import CompiledFunction
from symnn.curves.numeric import (
    MAX_DEPTH,
    Budget,
    check_size,
    real_branches,
    real_function,
)

x, y = sp.symbols("x y", real=True)


def test_the_compiler_does_the_work():
    f = real_function(sp.erf(x) * x, [x])
    assert isinstance(f._fn, CompiledFunction)  # symnn.compiler.compile, not lambdify
    pts = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    want = [float(v * mpmath.erf(v)) for v in pts]
    assert np.allclose(f(pts), want, rtol=1e-14, atol=0)


def test_real_branches_of_odd_roots_match_sympy_real_root():
    pts = np.array([-8.0, -1.5, -0.001, 0.0, 2.0, 27.0])
    for p, q in [(1, 3), (2, 3), (5, 3), (-1, 3), (3, 5)]:
        e = x ** sp.Rational(p, q)
        got = real_function(e, [x])(pts)
        for v, g in zip(pts, got, strict=True):
            if v == 0 and p < 0:
                continue
            want = float(sp.real_root(sp.Float(v, 30), q) ** p)
            assert g == pytest.approx(want, rel=1e-13), (e, v)
    # the rewrite says what it did, and leaves even roots and known-positive bases alone
    assert real_branches(sp.sqrt(x)) == (sp.sqrt(x), ())
    assert real_branches(sp.exp(x) ** sp.Rational(1, 3))[1] == ()
    assert "real root" in real_branches(x ** sp.Rational(2, 3))[1][0]


def test_undefined_values_are_nan_and_no_warning_escapes():
    pts = np.array([-2.0, -1.0, 0.0, 1.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = real_function(sp.sqrt(x), [x])(pts)
        g = real_function(sp.log(x) + y, [x, y])(pts, 1.0)
        inv = real_function(1 / x, [x])(pts)
    assert np.isnan(s[:2]).all() and np.allclose(s[2:], [0, 1, 2])
    assert np.isnan(g[:2]).all() and g[2] == -np.inf and g[3] == 1
    assert inv[2] == np.inf  # a pole keeps its sign-bearing infinity


def test_unsupported_functions_are_named():
    g = sp.Function("g")
    with pytest.raises(ValueError, match=r"cannot evaluate g numerically.*rewrite it without g"):
        real_function(g(x) + 1, [x])
    with pytest.raises(ValueError, match="imaginary unit"):
        real_function(sp.I * x, [x])


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        (x ** (10**9), "exponent 1000000000"),
        (x ** (-(10**6)), "exponent -1000000"),
        (sp.Add(*[sp.sin(k * x) for k in range(1, 1200)]), "operations"),
    ],
)
def test_size_bounds(expr, words):
    with pytest.raises(ValueError, match=words):
        check_size(expr)


def test_depth_bound_without_recursion():
    deep = x
    for _ in range(MAX_DEPTH + 5):
        deep = sp.sin(deep)
    with pytest.raises(ValueError, match="nested more than"):
        real_function(deep, [x])


def test_budget_ends_in_a_clear_error():
    b = Budget(1e-9, "tracing a test curve")
    time.sleep(0.01)
    with pytest.raises(ValueError, match=r"took longer than its time budget.*at: the grid"):
        b.check("the grid")
    with pytest.raises(ValueError, match="positive number of seconds"):
        Budget(0, "x")
