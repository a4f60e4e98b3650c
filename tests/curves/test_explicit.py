"""symnn.curves.explicit: y = f(x) sampled through symnn's compiler, cut at poles and jumps."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symnn.curves import (
    explicit_curve,
    explicit_ylim,
)

x, y = sp.symbols("x y", real=True)

# --- explicit curves ---------------------------------------------------------------------------


def _segments(xs, ys):
    ok = np.isfinite(ys[:-1]) & np.isfinite(ys[1:])
    return xs[:-1][ok], xs[1:][ok]


def test_explicit_curve_cuts_tan_at_every_pole():
    xs, ys = explicit_curve(sp.tan(x), (-10, 10), n=2000)
    a, b = _segments(xs, ys)
    poles = np.pi / 2 + np.pi * np.arange(-3, 3)  # the six poles in [-10, 10]
    assert not any(((a < p) & (p < b)).any() for p in poles)
    assert np.isnan(ys).sum() == len(poles)
    fin = np.isfinite(ys)
    assert np.allclose(ys[fin], np.tan(xs[fin]))


def test_explicit_curve_cuts_one_over_x_and_a_jump_but_not_a_smooth_curve():
    xs, ys = explicit_curve(1 / x, (-1, 1), n=101)  # x = 0 is a sample: 1/0 is undefined
    a, b = _segments(xs, ys)
    assert not ((a < 0) & (b > 0)).any() and not ((a <= 0) & (b >= 0) & (a != b)).any()
    xs, ys = explicit_curve(sp.sign(x), (-1, 1), n=100)
    a, b = _segments(xs, ys)
    assert not ((a < 0) & (b > 0)).any()
    xs, ys = explicit_curve(x**2 + sp.tanh(50 * x), (-3, 3), n=500)
    assert not np.isnan(ys).any() and len(xs) == 500


def test_explicit_curve_makes_undefined_values_nan():
    xs, ys = explicit_curve(sp.sqrt(x), (-1, 1), n=11)
    assert np.isnan(ys[xs < 0]).all() and np.allclose(ys[xs >= 0], np.sqrt(xs[xs >= 0]))
    xs, ys = explicit_curve(sp.Integer(3), (0, 1), n=5)
    assert np.allclose(ys, 3)


def test_explicit_ylim_ignores_poles():
    _, ys = explicit_curve(sp.tan(x), (-10, 10))
    lo, hi = explicit_ylim(ys)
    assert -100 < lo < -3 and 3 < hi < 100
    assert explicit_ylim(np.array([0.0, 2.0]), margin=0) == (0.0, 2.0)


def test_explicit_curve_errors():
    with pytest.raises(ValueError, match="one variable"):
        explicit_curve(x + y)
    with pytest.raises(ValueError, match="n must be"):
        explicit_curve(x, n=1)
    with pytest.raises(ValueError, match="xlim"):
        explicit_curve(x, xlim=(1, 0))
