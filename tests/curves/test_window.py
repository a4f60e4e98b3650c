"""symnn.curves.window: exact windows of conics, searched windows of other curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from symnn.curves import (
    DEFAULT_WINDOW,
    classify_conic,
    implicit_window,
)

x, y = sp.symbols("x y", real=True)

# --- windows ----------------------------------------------------------------------------------


def _ellipse_points(n=2000):
    # x^2 + xy + y^2 = 1 in polar form: r^2 = 1 / (1 + cos t sin t)
    t = np.linspace(0, 2 * np.pi, n)
    r = 1 / np.sqrt(1 + np.cos(t) * np.sin(t))
    return r * np.cos(t), r * np.sin(t)


def test_window_of_the_seed_ellipse_is_exact():
    (x0, x1), (y0, y1) = implicit_window(x**2 + y**2 + x * y - 1, margin=0.1)
    half = 2 / math.sqrt(3)  # x^2 + xy + y^2 = 1 reaches x = 2/sqrt(3) where y = -x/2
    pad = 0.1 * 2 * half
    assert (x0, x1) == pytest.approx((-half - pad, half + pad))
    assert (y0, y1) == pytest.approx((-half - pad, half + pad))
    px, py = _ellipse_points()
    assert px.min() - x0 > 0.9 * pad and x1 - px.max() > 0.9 * pad
    assert py.min() - y0 > 0.9 * pad and y1 - py.max() > 0.9 * pad


def test_window_of_a_rotated_translated_ellipse_holds_it_tightly():
    expr = 5 * (x - 1) ** 2 - 6 * (x - 1) * (y - 2) + 5 * (y - 2) ** 2 - 8
    (x0, x1), (y0, y1) = implicit_window(expr, margin=0)
    # semi-axes 2, 1 at 45 degrees: half-width sqrt(4/2 + 1/2)
    assert (x0, x1, y0, y1) == pytest.approx(
        (1 - math.sqrt(2.5), 1 + math.sqrt(2.5), 2 - math.sqrt(2.5), 2 + math.sqrt(2.5))
    )


def test_window_of_hyperbola_and_parabola_show_foci_and_vertices():
    for expr in (
        3 * x**2 - 10 * x * y + 3 * y**2 + 16 * x - 16 * y + 8,
        (y - 1) ** 2 + 8 * (x - 2),
    ):
        c = classify_conic(expr)
        (x0, x1), (y0, y1) = implicit_window(expr)
        pts = list(c.foci) + ([c.vertex] if c.vertex else []) + ([c.center] if c.center else [])
        for px, py in pts:
            assert x0 < float(px) < x1 and y0 < float(py) < y1


def test_window_by_numeric_search_for_a_non_conic():
    # (x - 3)^4 + (y + 2)^4 = 16 spans [1, 5] x [-4, 0]
    (x0, x1), (y0, y1) = implicit_window((x - 3) ** 4 + (y + 2) ** 4 - 16, margin=0)
    assert (x0, x1, y0, y1) == pytest.approx((1, 5, -4, 0), abs=0.02)
    assert x0 <= 1 and x1 >= 5 and y0 <= -4 and y1 >= 0


def test_window_defaults_for_unbounded_or_empty_curves():
    assert implicit_window(y - x**3) == DEFAULT_WINDOW
    assert implicit_window(x**4 + y**4 + 1) == DEFAULT_WINDOW
    assert implicit_window(x**2 + y**2 + 1) == DEFAULT_WINDOW


def test_window_of_an_inequality_is_that_of_its_boundary():
    assert implicit_window(x**2 + y**2 < 4) == implicit_window(x**2 + y**2 - 4)


@pytest.mark.parametrize("margin", [-0.1, float("nan"), "big"])
def test_window_rejects_bad_margin(margin):
    with pytest.raises(ValueError, match="margin"):
        implicit_window(x**2 + y**2 - 1, margin=margin)
