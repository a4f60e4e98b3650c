"""Regions in plot_implicit: inequalities, and/or/not, != -- the drawn sets against the relation.

The oracle is the relation itself, evaluated with NumPy at random points (independent of
the tracing): points inside the filled area satisfy it, points outside do not (except within
a grid cell of the boundary); every boundary point drawn lies on some F = 0; a boundary is
dashed exactly where the region does not contain it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.curves import implicit_curve
from symnn.expr.parse import parse

X, Y = sp.symbols("x y", real=True)
WINDOW = (-2.5, 2.5)

#: text: (the relation in NumPy, its boundary curves F, whether each boundary is dashed)
REGIONS = {
    "y > x^2": (lambda x, y: y > x**2, [Y - X**2], [True]),
    "x^2 + y^2 <= 1": (lambda x, y: x**2 + y**2 <= 1, [X**2 + Y**2 - 1], [False]),
    "y > x^2 and x^2 + y^2 <= 1": (
        lambda x, y: (y > x**2) & (x**2 + y**2 <= 1),
        [Y - X**2, X**2 + Y**2 - 1],
        [True, False],
    ),
    "x + y^2 < 1 or not (y <= x/3 + 0.5)": (
        lambda x, y: (x + y**2 < 1) | ~(y <= x / 3 + 0.5),
        [X + Y**2 - 1, Y - X / 3 - sp.Rational(1, 2)],
        [True, True],
    ),
    "x^2 + y^2 < 4 and x != y": (
        lambda x, y: (x**2 + y**2 < 4) & (x != y),
        [X**2 + Y**2 - 4, X - Y],
        [True, True],
    ),
    "x - y^2 >= 0 or y = x^2 + 1": (
        lambda x, y: (x - y**2 >= 0) | (y == x**2 + 1),
        [X - Y**2, Y - X**2 - 1],
        [False, False],
    ),
}


def _fill_contains(ax, pts):
    inside = np.zeros(len(pts), dtype=bool)
    for coll in ax.collections:
        for path in coll.get_paths():
            if len(path.vertices):
                inside |= path.contains_points(pts)
    return inside


@pytest.mark.parametrize("text", sorted(REGIONS))
def test_filled_points_satisfy_the_relation_and_the_others_do_not(text):
    holds, boundaries, _ = REGIONS[text]
    ax = sn.plot_implicit(text, xlim=WINDOW, ylim=WINDOW, resolution=257)
    try:
        rng = np.random.default_rng(7)
        pts = rng.uniform(*WINDOW, size=(3000, 2))
        fs = [sp.lambdify((X, Y), b, "numpy") for b in boundaries]
        cell = (WINDOW[1] - WINDOW[0]) / 256
        grads = [sp.lambdify((X, Y), [sp.diff(b, X), sp.diff(b, Y)], "numpy") for b in boundaries]
        # distance to each boundary, to first order: |F| / |grad F|
        dist = np.min(
            [np.abs(f(*pts.T)) / (np.hypot(*np.broadcast_arrays(*g(*pts.T))) + 1e-300)
             for f, g in zip(fs, grads, strict=True)],
            axis=0,
        )  # fmt: skip
        far = dist > 2 * cell
        filled = _fill_contains(ax, pts)
        truth = holds(pts[:, 0], pts[:, 1])
        assert far.sum() > 2000
        np.testing.assert_array_equal(filled[far], truth[far])
        assert truth[far].any() and (~truth[far]).any()
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize("text", sorted(REGIONS))
def test_boundaries_lie_on_f_zero_and_are_dashed_where_not_included(text):
    _, boundaries, dashes = REGIONS[text]
    curve = implicit_curve(text, WINDOW, WINDOW, resolution=257)
    assert curve.lines
    fs = [sp.lambdify((X, Y), b, "numpy") for b in boundaries]
    for line, dashed in zip(curve.lines, curve.dashed, strict=True):
        residuals = [np.abs(f(line[:, 0], line[:, 1])).max() for f in fs]
        which = int(np.argmin(residuals))
        assert residuals[which] < 1e-9
        assert dashed is dashes[which], (text, str(boundaries[which]))


def test_the_boundary_of_a_negated_closed_disc_is_dashed():
    curve = implicit_curve("not (x^2 + y^2 <= 1)", WINDOW, WINDOW, resolution=129)
    assert curve.dashed and all(curve.dashed)
    ax = sn.plot_implicit("not (x^2 + y^2 <= 1)", xlim=WINDOW, ylim=WINDOW, resolution=129)
    styles = {ln.get_linestyle() for ln in ax.get_lines() if ln.get_gid() == "curve"}
    assert styles == {"--"}
    plt.close(ax.figure)


def test_not_equal_draws_everything_but_the_curve_with_a_dashed_line():
    curve = implicit_curve("x != y", WINDOW, WINDOW, resolution=129)
    assert curve.relation == "!=" and curve.dashed == (True,)
    xs, ys, G = curve.grid
    Xg, Yg = np.meshgrid(xs, ys)
    assert np.array_equal(G > 0, Xg != Yg)


def test_the_sympy_method_paints_not_equal_as_two_half_planes():
    from symnn.curves import implicit_cells

    cells = implicit_cells("x != y", WINDOW, WINDOW)
    centres = np.c_[(cells[:, 0] + cells[:, 1]) / 2, (cells[:, 2] + cells[:, 3]) / 2]
    # cells straddling the line would be wrong: every painted cell lies off the diagonal
    width = cells[:, 1] - cells[:, 0]
    assert (np.abs(centres[:, 0] - centres[:, 1]) >= width / 2).all()
    assert len(cells) > 100


def test_cli_draws_a_region(tmp_path):
    from symnn.cli import main

    out = tmp_path / "region.png"
    assert main(["implicit", "y > x^2 and x^2 + y^2 <= 1", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y > x^2 and x^2 + y^2 <= 1", sp.And(Y > X**2, X**2 + Y**2 <= 1)),
        ("x < 1 or y < 1", sp.Or(X < 1, Y < 1)),
        ("not x < 1", X >= 1),
        ("x != y", sp.Ne(X, Y)),
        ("x ≠ 2y & ~(y > 1)", sp.And(sp.Ne(X, 2 * Y), Y <= 1)),
        ("|x| < 1 | |y| < 1", sp.Or(sp.Abs(X) < 1, sp.Abs(Y) < 1)),
        ("x^2 + y^2 = 1", sp.Eq(X**2 + Y**2, 1)),
        ("x y - 1", X * Y - 1),
    ],
)
def test_parse_reads_regions_only_when_asked(text, expected):
    assert parse(text, logic=True) == expected


def test_parse_without_logic_still_refuses_connectives():
    with pytest.raises(ValueError, match="logical operators are not supported"):
        parse("x < 1 and y > 0")
    with pytest.raises(ValueError, match="expected an expression after the name 'and'"):
        parse("x < 1 and", logic=True)
