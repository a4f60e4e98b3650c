"""symnn.curves.implicit and tracing: drawn sets checked against the curves and sympy."""

from __future__ import annotations

import contextlib
import math
import signal

import numpy as np
import pytest
import sympy as sp
from scipy.spatial import cKDTree

from symnn.curves import implicit_cells, implicit_curve, implicit_window

x, y = sp.symbols("x y", real=True)


def drawn(curve, step: float) -> np.ndarray:
    """Every drawn point: the polylines sampled every *step*, and the isolated points."""
    out = [curve.points]
    for line in curve.lines:
        seg = np.diff(line, axis=0)
        k = np.maximum(1, np.ceil(np.hypot(*seg.T) / step)).astype(int)
        for a, d, m in zip(line[:-1], seg, k, strict=True):
            out.append(a + (np.arange(m) / m)[:, None] * d)
        out.append(line[-1:])
    return np.concatenate(out)


# --- tracing ----------------------------------------------------------------------------------


def test_implicit_curve_points_lie_on_the_ellipse_and_close_it():
    c = implicit_curve(x**2 + y**2 + x * y - 1)
    assert len(c.lines) == 1
    pts = c.lines[0]
    f = pts[:, 0] ** 2 + pts[:, 1] ** 2 + pts[:, 0] * pts[:, 1] - 1
    assert np.abs(f).max() < 1e-9
    assert np.allclose(pts[0], pts[-1])  # closed
    # it goes all the way round: the traced box is the exact box
    assert pts[:, 0].max() == pytest.approx(2 / math.sqrt(3), abs=1e-4)
    # and is smooth: consecutive segments turn by at most 5 degrees
    d = np.diff(pts, axis=0)
    ang = np.arctan2(d[:, 1], d[:, 0])
    assert np.degrees(np.abs((np.diff(ang) + np.pi) % (2 * np.pi) - np.pi)).max() <= 5


def test_implicit_curve_drops_the_false_crossing_at_a_pole():
    c = implicit_curve(1 / x - y, (-2, 2), (-5, 5))
    pts = np.concatenate(c.lines)
    assert np.abs(1 / pts[:, 0] - pts[:, 1]).max() < 1e-6
    for line in c.lines:  # no piece crosses x = 0
        assert (line[:, 0] > 0).all() or (line[:, 0] < 0).all()


def test_implicit_curve_of_crossing_lines():
    c = implicit_curve(x**2 - y**2, (-1, 1), (-1, 1))
    pts = np.concatenate(c.lines)
    assert np.abs(np.abs(pts[:, 0]) - np.abs(pts[:, 1])).max() < 1e-6


# --- the drawn set against sympy.plot_implicit's interval arithmetic ---------------------------

CORPUS = [
    "x^2 + y^2 + x*y = 1",  # the seed's ellipse
    "y = 1/x",  # poles: stopped at |y| = 6.4 before
    "x^2 + y^2",  # one point, no sign change
    "(x + y)^2",  # a double line, no sign change
    "(x^2 + y^2 - 1)^2",  # a double circle, no sign change
    "(x^2 + y^2 - 1)*((x - 0.3)^2 + (y - 0.2)^2 - 10^-6)",  # a circle of radius 1e-3 inside
    "(x^2 + y^2 - 1)*((x - 1.5)^2 + y^2 - 10^-4)",  # and one of radius 0.01 beside
    "y^2 = x^3 - x",  # two components, one closed
]


@pytest.mark.parametrize("formula", CORPUS)
def test_drawn_set_matches_sympys_cells(formula):
    """Every cell sympy paints is near a drawn point, and every drawn point near a painted cell.

    SymPy's interval arithmetic proves which of its 1024 x 1024 cells may hold the curve
    (and over-estimates by a few cells); the tolerance is 6 of its cells.
    """
    c = implicit_curve(formula)
    (x0, x1), (y0, y1) = c.xlim, c.ylim
    cell = max(x1 - x0, y1 - y0) / 1024
    pts = drawn(c, cell)
    pts = pts[(pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)]
    cells = implicit_cells(formula, c.xlim, c.ylim)
    centres = np.column_stack([cells[:, :2].mean(axis=1), cells[:, 2:].mean(axis=1)])
    assert len(pts) and len(centres)
    assert cKDTree(pts).query(centres)[0].max() <= 6 * cell, "sympy paints where we draw nothing"
    assert cKDTree(centres).query(pts)[0].max() <= 6 * cell, "we draw where sympy paints nothing"


def test_automatic_window_holds_small_pieces():
    (x0, x1), (y0, y1) = implicit_window("(x^2 + y^2 - 1)*((x - 1.5)^2 + y^2 - 10^-4)")
    assert x0 < -1 and x1 > 1.51 and y0 < -1 and y1 > 1
    (x0, x1), _ = implicit_window("(x^2 + y^2 - 1)*((x - 3)^2 + y^2 - 10^-6)")
    assert x1 > 3.001  # a circle of radius 1e-3, far smaller than the search grid's cells


def test_tiny_circle_is_traced_round():
    c = implicit_curve("(x^2 + y^2 - 1)*((x - 0.3)^2 + (y - 0.2)^2 - 10^-6)")
    pts = np.concatenate(c.lines)
    r = np.hypot(pts[:, 0] - 0.3, pts[:, 1] - 0.2)
    small = pts[r < 0.01]
    assert np.allclose(np.hypot(small[:, 0] - 0.3, small[:, 1] - 0.2), 1e-3, rtol=1e-6)
    angles = np.sort(np.arctan2(small[:, 1] - 0.2, small[:, 0] - 0.3))
    assert np.diff(np.r_[angles, angles[0] + 2 * np.pi]).max() < 0.5  # all the way round


def test_one_over_x_reaches_the_edge_of_its_window():
    c = implicit_curve("y = 1/x", (-10, 10), (-10, 10))
    pts = np.concatenate(c.lines)
    assert np.abs(pts[:, 0] * pts[:, 1] - 1).max() < 1e-9
    assert pts[:, 1].max() >= 10 and pts[:, 1].min() <= -10  # was 6.4
    assert all((line[:, 0] > 0).all() or (line[:, 0] < 0).all() for line in c.lines)


def test_log_is_followed_to_the_edge_of_its_domain():
    """y = log(x) runs into x = 0 (log undefined beyond) and reaches y = -10 at x = 4.5e-5.

    Not in the sympy corpus: in the automatic window sympy.plot_implicit stops at
    y = -3.9 (its cells there straddle x = 0, where interval log is undefined); the
    oracle is the exact curve x = exp(y).
    """
    c = implicit_curve("y = log(x)")
    pts = np.concatenate(c.lines)
    assert np.abs(pts[:, 0] - np.exp(pts[:, 1])).max() < 1e-12
    assert pts[:, 1].min() <= -10 and pts[:, 1].max() >= 2.3
    assert any("no real value on about 50%" in n for n in c.notes)


def test_zero_sets_without_a_sign_change():
    point = implicit_curve("x^2 + y^2")
    assert point.lines == [] and np.allclose(point.points, [[0, 0]], atol=1e-9)
    assert point.notes == ("the solution set is the single point (0, 0)",)
    double = implicit_curve("(x^2 + y^2 - 1)^2")
    pts = np.concatenate(double.lines)
    assert np.abs(np.hypot(pts[:, 0], pts[:, 1]) - 1).max() < 1e-6
    angles = np.sort(np.arctan2(pts[:, 1], pts[:, 0]))
    assert np.diff(np.r_[angles, angles[0] + 2 * np.pi]).max() < 0.05
    line = np.concatenate(implicit_curve("(x + y)^2", (-2, 2), (-2, 2)).lines)
    assert np.abs(line.sum(axis=1)).max() < 1e-6 and np.ptp(line[:, 0]) > 3.8
    # a near miss is no zero: (x^2 + y^2 - 1)^2 + 10^-6 > 0 everywhere
    miss = implicit_curve("(x^2 + y^2 - 1)^2 + 10^-6", (-2, 2), (-2, 2))
    assert miss.lines == [] and len(miss.points) == 0
    assert "no point of the curve" in miss.notes[-1]


def test_astroid_in_all_four_quadrants():
    c = implicit_curve("x^(2/3) + y^(2/3) = 1")
    pts = np.concatenate(c.lines)
    assert np.abs(np.abs(pts[:, 0]) ** (2 / 3) + np.abs(pts[:, 1]) ** (2 / 3) - 1).max() < 1e-9
    t = np.linspace(0, 2 * np.pi, 400)  # the astroid (cos^3 t, sin^3 t), an oracle
    ref = np.column_stack([np.cos(t) ** 3, np.sin(t) ** 3])
    assert cKDTree(pts).query(ref)[0].max() < 0.02
    assert "real roots" in c.notes[0]


def test_notes_say_where_a_formula_has_no_real_value():
    c = implicit_curve("y = sqrt(x)", (-1, 1), (-1, 1))
    assert any("no real value on about 50%" in n for n in c.notes)
    pts = np.concatenate(c.lines)
    assert np.abs(pts[:, 1] - np.sqrt(pts[:, 0])).max() < 1e-9 and pts[:, 0].min() < 1e-3


def test_regions_and_or_not():
    upper = implicit_curve(sp.And(x**2 + y**2 < 1, y > 0), (-1.5, 1.5), (-1.5, 1.5))
    assert upper.relation == "region"
    pts = np.concatenate(upper.lines)
    on_arc = np.isclose(np.hypot(pts[:, 0], pts[:, 1]), 1) & (pts[:, 1] >= -1e-9)
    on_cut = np.isclose(pts[:, 1], 0, atol=1e-9) & (np.abs(pts[:, 0]) <= 1 + 1e-9)
    assert (on_arc | on_cut).all() and on_arc.any() and on_cut.any()
    assert all(upper.dashed)  # both relations are strict
    xs, ys, G = upper.grid
    X, Y = np.meshgrid(xs, ys)
    inside = (X**2 + Y**2 < 1) & (Y > 0)
    assert np.array_equal(G > 0, inside)
    either = implicit_curve(sp.Or(x**2 + y**2 <= 1, x >= 0.5), (-1.5, 1.5), (-1.5, 1.5))
    pts = np.concatenate(either.lines)
    # the circle inside x >= 1/2 is no boundary, nor the line inside the disc
    assert not ((pts[:, 0] > 0.5 + 1e-6) & np.isclose(np.hypot(*pts.T), 1)).any()
    assert not (np.isclose(pts[:, 0], 0.5) & (np.hypot(*pts.T) < 1 - 1e-6)).any()
    outside = implicit_curve(sp.Not(x**2 + y**2 < 1), (-1.5, 1.5), (-1.5, 1.5))
    xs, ys, G = outside.grid
    X, Y = np.meshgrid(xs, ys)
    assert np.array_equal(G > 0, X**2 + Y**2 > 1)


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (instead of hanging) when the block runs longer than *seconds* (SIGALRM)."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_time_bombs_end_quickly():
    with time_limit(10), pytest.raises(ValueError, match="exponent"):
        implicit_curve("x^(10^9) = y")  # was more than 60 s; the parser refuses it now
    with time_limit(10), pytest.raises(ValueError, match=r"tower of powers is 9 levels deep.*symnn allows 8"):
        implicit_curve("^".join(["x"] * 30) + " = y")  # was a RecursionError
    with time_limit(60):  # the deepest tower the parser allows draws
        c = implicit_curve("^".join(["x"] * 8) + " = y", (0.05, 1.5), (0, 1.5), resolution=257)
    pts = np.concatenate(c.lines)
    assert len(pts) > 50
    with time_limit(10), pytest.raises(ValueError, match=r"time budget of 0\.001 s"):
        implicit_curve("sin(x*y) = 0.1", time_budget=0.001)
