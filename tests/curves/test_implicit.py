"""symnn.curves.implicit and tracing: drawn sets checked against the curves and sympy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from symnn.curves import (
    implicit_curve,
)

x, y = sp.symbols("x y", real=True)

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
