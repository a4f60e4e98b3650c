"""symnn.plotting.curves: figures checked by their content."""

from __future__ import annotations

import math

import matplotlib
import mpmath

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from matplotlib.collections import PolyCollection

from symnn.curves import classify_conic, implicit_window
from symnn.views.plotting.curves import plot, plot_implicit

x, y = sp.symbols("x y", real=True)
ELLIPSE = sp.Eq(x**2 + y**2 + x * y, 1)


def f_ellipse(px, py):
    return px**2 + py**2 + px * py - 1


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def curve_lines(ax):
    return [line for line in ax.get_lines() if line.get_gid() == "curve"]


def curve_cells(ax) -> np.ndarray:
    """The sympy method's cells as rows (x0, x1, y0, y1), read back from the PolyCollection."""
    (coll,) = [
        c for c in ax.collections if isinstance(c, PolyCollection) and c.get_gid() == "curve"
    ]
    boxes = [(p.vertices[:, 0].min(), p.vertices[:, 0].max(), p.vertices[:, 1].min(), p.vertices[:, 1].max())
             for p in coll.get_paths()]  # fmt: skip
    return np.array(boxes)


def check_frame(ax, title="$x^{2} + x y + y^{2} = 1$"):
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$y$"
    assert ax.get_title() == title
    ax.figure.canvas.draw()  # the LaTeX (mathtext) typesets headless


def ellipse_points(n=720):
    t = np.linspace(0, 2 * np.pi, n)
    r = 1 / np.sqrt(1 + np.cos(t) * np.sin(t))
    return r * np.cos(t), r * np.sin(t)


def test_contour_method_draws_the_ellipse_inside_the_automatic_window():
    _fig, ax = plt.subplots()
    assert plot_implicit(ELLIPSE, method="contour", ax=ax) is ax
    (line,) = curve_lines(ax)
    px, py = line.get_xdata(), line.get_ydata()
    assert np.abs(f_ellipse(px, py)).max() < 1e-3
    # the curve goes all the way round (its extent is the ellipse's) and closes
    assert px.max() == pytest.approx(2 / math.sqrt(3), abs=1e-3)
    assert (px[0], py[0]) == pytest.approx((px[-1], py[-1]))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    (wx0, wx1), (wy0, wy1) = implicit_window(ELLIPSE)
    assert (x0, x1, y0, y1) == pytest.approx((wx0, wx1, wy0, wy1))
    ex, ey = ellipse_points()
    pad = 0.05 * (x1 - x0)
    assert (
        x0 + pad < ex.min() and ex.max() < x1 - pad and y0 + pad < ey.min() and ey.max() < y1 - pad
    )
    check_frame(ax)


def test_sympy_method_cells_hold_the_ellipse_and_cover_it():
    _fig, ax = plt.subplots()
    before = plt.get_fignums()
    assert plot_implicit(ELLIPSE, method="sympy", ax=ax) is ax
    assert plt.get_fignums() == before  # sympy made no figure of its own; it drew into ours
    cells = curve_cells(ax)
    assert len(cells) > 500
    x0, x1, y0, y1 = cells.T
    size = max((x1 - x0).max(), (y1 - y0).max())
    assert size < 3e-3  # 1024 cells across the window
    # Interval arithmetic over-estimates, so SymPy also paints neighbours of the cells the
    # curve crosses: every painted cell is within 2.5 cells of the ellipse (first-order
    # distance |f| / |grad f| from its centre), i.e. |f| < 1e-2 there ...
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    grad = np.hypot(2 * cx + cy, 2 * cy + cx)
    assert (np.abs(f_ellipse(cx, cy)) / grad < 2.5 * size).all()
    assert np.abs(f_ellipse(cx, cy)).max() < 1e-2
    # ... and most of them hold a point of it: f changes sign on a 7 x 7 grid over the cell
    t = np.linspace(0, 1, 7)
    gx = x0[:, None, None] + (x1 - x0)[:, None, None] * t[None, :, None]
    gy = y0[:, None, None] + (y1 - y0)[:, None, None] * t[None, None, :]
    values = f_ellipse(gx, gy)
    crossed = (values.min(axis=(1, 2)) <= 0) & (values.max(axis=(1, 2)) >= 0)
    assert crossed.mean() > 0.5
    # and every point of the ellipse lies in a painted cell
    ex, ey = ellipse_points(200)
    inside = (
        (x0[:, None] <= ex + 1e-9)
        & (ex - 1e-9 <= x1[:, None])
        & (y0[:, None] <= ey + 1e-9)
        & (ey - 1e-9 <= y1[:, None])
    )
    assert inside.any(axis=0).all()
    (wx0, wx1), (wy0, wy1) = ax.get_xlim(), ax.get_ylim()
    assert wx0 < ex.min() and ex.max() < wx1 and wy0 < ey.min() and ey.max() < wy1
    check_frame(ax)


def test_default_method_is_contour_and_a_new_figure_is_made():
    ax = plot_implicit(x**2 + y**2 + x * y - 1)
    assert len(curve_lines(ax)) == 1 and not [c for c in ax.collections if c.get_gid() == "curve"]
    assert ax.get_title() == "$x^{2} + x y + y^{2} - 1 = 0$"


def test_limits_override_and_resolution():
    ax = plot_implicit(ELLIPSE, xlim=(-3, 3), ylim=(-2, 2), resolution=257)
    assert ax.get_xlim() == (-3, 3) and ax.get_ylim() == (-2, 2)
    (line,) = curve_lines(ax)
    assert np.abs(f_ellipse(line.get_xdata(), line.get_ydata())).max() < 1e-3
    ax = plot_implicit(ELLIPSE, xlim=(-3, 3))
    assert ax.get_xlim() == (-3, 3) and ax.get_ylim() == pytest.approx(implicit_window(ELLIPSE)[1])


@pytest.mark.parametrize("method", ["contour", "sympy"])
def test_inequality_fills_the_region(method):
    ax = plot_implicit(x**2 + y**2 < 1, method=method)
    assert ax.get_title() == "$x^{2} + y^{2} < 1$"
    if method == "sympy":
        cells = curve_cells(ax)
        cx, cy = (cells[:, 0] + cells[:, 1]) / 2, (cells[:, 2] + cells[:, 3]) / 2
        assert (cx**2 + cy**2 < 1 + 1e-2).all()
        area = ((cells[:, 1] - cells[:, 0]) * (cells[:, 3] - cells[:, 2])).sum()
        assert area == pytest.approx(np.pi, rel=0.02)
    else:
        filled = [c for c in ax.collections if c.get_gid() != "curve"]
        assert filled, "no filled region"
        (paths,) = [c.get_paths() for c in filled]
        verts = np.concatenate([p.vertices for p in paths])
        assert np.abs(np.hypot(verts[:, 0], verts[:, 1])).max() < 1 + 1e-2
        (line,) = curve_lines(ax)
        assert line.get_linestyle() == "--"  # strict inequality: dashed boundary
        assert np.hypot(line.get_xdata(), line.get_ydata()) == pytest.approx(1)


def test_classify_annotates_the_conic():
    ax = plot_implicit(ELLIPSE, classify=True)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "ellipse"
    texts = " ".join(t.get_text() for t in legend.get_texts())
    for word in (
        "centre",
        "foci",
        "semi-axes",
        "angle",
        "eccentricity",
        r"\sqrt{2}",
        r"\frac{\pi}{4}",
    ):
        assert word in texts
    notes = {
        line.get_label().split()[0]: line
        for line in ax.get_lines()
        if line.get_gid() == "annotation"
    }
    foci = np.column_stack([notes["foci"].get_xdata(), notes["foci"].get_ydata()])
    s = math.sqrt(6) / 3
    assert foci == pytest.approx(np.array([[-s, s], [s, -s]]))
    assert (notes["centre"].get_xdata()[0], notes["centre"].get_ydata()[0]) == (0, 0)
    ax.figure.canvas.draw()


@pytest.mark.parametrize(
    "expr",
    [
        3 * x**2 - 10 * x * y + 3 * y**2 + 16 * x - 16 * y + 8,
        sp.Eq(y, x**2 - x),
        x**2 - y**2,
        (x - 1) ** 2 + y**2 - 4,
        x**2 - 1,
    ],
)
def test_classify_annotates_every_kind_headless(expr):
    ax = plot_implicit(expr, classify=True)
    assert ax.get_legend().get_title().get_text() == classify_conic(expr).kind
    ax.figure.canvas.draw()


def test_bad_arguments():
    with pytest.raises(ValueError, match="did you mean 'sympy'"):
        plot_implicit(ELLIPSE, method="sympi")
    with pytest.raises(ValueError, match="xlim"):
        plot_implicit(ELLIPSE, xlim=(1, -1))
    with pytest.raises(TypeError, match="Eq"):
        plot_implicit(x**2 + y**2 == 1)


def test_string_input_goes_through_the_parser():
    pytest.importorskip("symnn.expr.parse")
    ax = plot_implicit("x^2 + y^2 + x*y = 1")
    (line,) = curve_lines(ax)
    assert np.abs(f_ellipse(line.get_xdata(), line.get_ydata())).max() < 1e-3


# --- explicit curves -----------------------------------------------------------------------------


def joined_across(line, poles):
    """Whether any drawn segment (two consecutive finite points) straddles one of the poles."""
    px, py = line.get_xdata(), line.get_ydata()
    ok = np.isfinite(py[:-1]) & np.isfinite(py[1:])
    a, b = px[:-1][ok], px[1:][ok]
    return any(((a < p) & (p < b)).any() for p in poles)


def test_plot_has_no_vertical_line_across_the_poles_of_tan_and_one_over_x():
    ax = plot(sp.tan(x), 1 / x, sp.sin(x) / x, xlim=(-10, 10))
    tan_line, inv_line, sinc_line = curve_lines(ax)
    assert not joined_across(tan_line, np.pi / 2 + np.pi * np.arange(-3, 3))
    assert not joined_across(inv_line, [0.0])
    assert not np.isnan(sinc_line.get_ydata()).any()
    # values are the functions' values
    px, py = tan_line.get_xdata(), tan_line.get_ydata()
    fin = np.isfinite(py)
    assert np.allclose(py[fin], np.tan(px[fin]))
    # the y-range is not blown up by the poles
    lo, hi = ax.get_ylim()
    assert -100 < lo < -2 and 2 < hi < 100
    assert ax.get_xlim() == (-10, 10)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        r"$\tan{\left(x \right)}$",
        r"$\frac{1}{x}$",
        r"$\frac{\sin{\left(x \right)}}{x}$",
    ]
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$y$"
    ax.figure.canvas.draw()


def test_plot_smooth_curves_use_their_full_range_and_respect_ax():
    _fig, ax = plt.subplots()
    assert plot(x**2, xlim=(-2, 2), ax=ax, n=101) is ax
    (line,) = curve_lines(ax)
    assert len(line.get_xdata()) == 101 and np.allclose(line.get_ydata(), line.get_xdata() ** 2)
    lo, hi = ax.get_ylim()
    assert lo < 0 and 4 < hi < 4.5
    ax = plot(sp.Eq(y, 2 * x), ylim=(-1, 1))
    assert ax.get_ylim() == (-1, 1)


def test_plot_errors():
    with pytest.raises(ValueError, match="at least one"):
        plot()
    with pytest.raises(ValueError, match="plot_implicit"):
        plot(sp.Eq(x**2 + y**2, 1))
    with pytest.raises(ValueError, match="one variable"):
        plot(x * y)


def test_plot_strings_through_the_parser():
    pytest.importorskip("symnn.expr.parse")
    ax = plot("sin(x)/x", "x^2")
    assert len(curve_lines(ax)) == 2


# --- what the second wave fixed -------------------------------------------------------------------


def outside_legend(ax, xs, ys) -> bool:
    """No visible drawn point falls inside the legend's box (both in display coordinates)."""
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    seen = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    disp = ax.transData.transform(np.column_stack([xs[seen], ys[seen]]))
    inside = (disp[:, 0] >= box.x0) & (disp[:, 0] <= box.x1)
    inside &= (disp[:, 1] >= box.y0) & (disp[:, 1] <= box.y1)
    return not inside.any()


def test_legends_do_not_cover_the_curve():
    ax = plot_implicit(ELLIPSE, classify=True)
    (line,) = curve_lines(ax)
    assert outside_legend(ax, line.get_xdata(), line.get_ydata())
    ax = plot(sp.sin(x), x**2 / 20, sp.tan(x), xlim=(-10, 10))
    for line in curve_lines(ax):
        ok = np.isfinite(line.get_ydata())
        assert outside_legend(ax, line.get_xdata()[ok], line.get_ydata()[ok])


def test_a_single_point_is_drawn_and_said():
    ax = plot_implicit("x^2 + y^2")
    (marker,) = curve_lines(ax)
    assert marker.get_marker() == "o" and marker.get_linestyle() == "None"
    assert np.allclose(np.c_[marker.get_xdata(), marker.get_ydata()], [[0, 0]], atol=1e-9)
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "note"]
    assert notes == ["the solution set is the single point (0, 0)"]
    ax.figure.canvas.draw()


def test_classify_draws_a_non_conic_and_says_so():
    ax = plot_implicit("x^4 + y^4 = 1", classify=True)
    pts = np.concatenate([np.c_[ln.get_xdata(), ln.get_ydata()] for ln in curve_lines(ax)])
    assert np.abs(pts[:, 0] ** 4 + pts[:, 1] ** 4 - 1).max() < 1e-9
    (note,) = [t.get_text() for t in ax.texts if t.get_gid() == "note"]
    assert note == "not a conic: x^4 + y^4 - 1 = 0 has degree 4"


def test_astroid_is_drawn_with_its_note():
    ax = plot_implicit("x^(2/3) + y^(2/3) = 1", resolution=257)
    pts = np.concatenate([np.c_[ln.get_xdata(), ln.get_ydata()] for ln in curve_lines(ax)])
    assert (np.sign(pts) == [-1, -1]).all(axis=1).any()  # the third quadrant too
    assert (np.sign(pts) == [1, -1]).all(axis=1).any()
    assert any("real roots" in t.get_text() for t in ax.texts)


def test_region_of_and_fills_and_bounds():
    ax = plot_implicit(sp.And(x**2 + y**2 < 1, y > 0), xlim=(-1.5, 1.5), ylim=(-1.5, 1.5))
    lines = curve_lines(ax)
    assert lines and all(ln.get_linestyle() == "--" for ln in lines)
    (fill,) = [c for c in ax.collections if c.get_gid() != "curve"]
    verts = np.concatenate([p.vertices for p in fill.get_paths()])
    assert verts[:, 1].min() > -0.02 and np.hypot(*verts.T).max() < 1.02
    window = {"xlim": (-1.5, 1.5), "ylim": (-1.5, 1.5)}
    cells = curve_cells(plot_implicit(sp.And(x**2 + y**2 < 1, y > 0), method="sympy", **window))
    area = ((cells[:, 1] - cells[:, 0]) * (cells[:, 3] - cells[:, 2])).sum()
    assert area == pytest.approx(np.pi / 2, rel=0.02)


@pytest.mark.parametrize(
    ("formula", "oracle"),
    [
        ("gelu(x)", lambda v: v * (1 + mpmath.erf(v / mpmath.sqrt(2))) / 2),
        ("x*erf(x)", lambda v: v * mpmath.erf(v)),
        ("x^(1/3)", lambda v: mpmath.sign(v) * abs(v) ** (mpmath.mpf(1) / 3)),
    ],
)
def test_plot_of_special_functions_matches_mpmath(formula, oracle):
    ax = plot(formula, xlim=(-4, 4), n=201)  # crashed with "only 0-dimensional arrays ..."
    (line,) = curve_lines(ax)
    px, py = line.get_xdata(), line.get_ydata()
    assert np.allclose(py, [float(oracle(mpmath.mpf(float(v)))) for v in px], rtol=1e-12)


def test_plot_names_a_function_the_compiler_cannot_evaluate():
    with pytest.raises(ValueError, match="cannot evaluate g numerically"):
        plot(sp.Function("g")(x))
