"""symnn.plotting.activations: activation figures checked by their content."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from matplotlib.colors import to_rgba
from matplotlib.mathtext import MathTextParser

import symnn as sn
from symnn._tex import to_mathtext
from symnn.views.plotting import plot_activation, plot_activations

KINKED = [name for name in sn.activations() if sn.activation(name).kinks]
WHITE = to_rgba("white")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def lines(ax, gid):
    return [line for line in ax.get_lines() if line.get_gid() == gid]


def points(ax, gid):
    """The (x, y) points of the marker lines with this gid, sorted."""
    pts = [
        (float(a), float(b)) for ln in lines(ax, gid) for a, b in zip(*ln.get_data(), strict=True)
    ]
    return sorted(pts)


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def check_curves(ax, act, xlim, n, derivative=True):
    """Every drawn point is (x, f(x)) of the compiled function; the grid is covered; no jumps joined."""
    grid = np.linspace(*xlim, n)
    orders = {"function": act, "derivative": act.grad} if derivative else {"function": act}
    for gid, f in orders.items():
        drawn = lines(ax, gid)
        assert drawn, f"no {gid} line"
        xs_all = []
        for line in drawn:
            xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
            np.testing.assert_array_equal(ys, f(xs))
            # no vertical segment joins two pieces: no step is far larger than its neighbours
            # (ReLU^2 rises 0.16 per step at x = 8, steadily; a jump stands alone)
            steps = np.abs(np.diff(ys))
            if steps.size >= 3:
                around = np.maximum(np.r_[steps[1], steps[:-1]], np.r_[steps[1:], steps[-2]])
                assert np.all(steps <= 0.05 + 3 * around), f"{gid} joins a jump"
            xs_all.append(xs)
        xs_all = np.concatenate(xs_all)
        kink_x = [float(k) for k in act.kinks]
        assert np.isin(grid[~np.isin(grid, kink_x)], xs_all).all()
        assert len(set(line.get_color() for line in drawn)) == 1
    if not derivative:
        assert not lines(ax, "derivative")


def test_relu_on_the_seed_window():
    act = sn.activation("relu")
    _fig, ax = plt.subplots()
    assert plot_activation("relu", ax=ax) is ax
    check_curves(ax, act, (-10, 10), 2001)
    assert ax.get_xlim() == (-10, 10)
    # the derivative is drawn as two pieces, split at 0
    (left, right) = lines(ax, "derivative")
    assert left.get_xdata().max() == 0.0 and right.get_xdata().min() > 0.0
    # ReLU'(0) = 0: filled dot at (0, 0), open circle at (0, 1)
    assert points(ax, "derivative_kink") == [(0.0, 0.0)]
    assert points(ax, "derivative_kink_limit") == [(0.0, 1.0)]
    (filled,) = lines(ax, "derivative_kink")
    (hollow,) = lines(ax, "derivative_kink_limit")
    assert to_rgba(filled.get_markerfacecolor()) == to_rgba(left.get_color())
    assert to_rgba(hollow.get_markerfacecolor()) == WHITE
    assert to_rgba(hollow.get_markeredgecolor()) == to_rgba(left.get_color())
    # the function's value at the kink is a dot; it is continuous, so no open circle
    assert points(ax, "kink") == [(0.0, 0.0)]
    assert not lines(ax, "kink_limit")


def test_relu_labels_title_and_rendering():
    act = sn.activation("relu")
    ax = plot_activation(act)
    texts = legend_texts(ax)
    assert texts[0] == f"${to_mathtext(act.latex(0))}$"
    assert texts[1] == f"${to_mathtext(act.latex(1))}$"
    assert "value at the kink" in texts and "one-sided limit not taken" in texts
    assert ax.get_title() == "relu"
    assert ax.get_xlabel() == "$x$"
    assert ax.get_ylabel() == r"$\operatorname{ReLU}(x)$, $\operatorname{ReLU}'(x)$"
    ax.figure.canvas.draw()  # mathtext typesets every label (raises on bad LaTeX)
    # zero lines and a grid
    data = [(list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.get_lines()]
    assert ([0, 1], [0, 0]) in data  # axhline(0), in axes coordinates along x
    assert ([0, 0], [0, 1]) in data  # axvline(0)
    assert any(g.get_visible() for g in ax.xaxis.get_gridlines())


def test_leaky_relu_derivative_taken_at_alpha():
    ax = plot_activation("leaky_relu", alpha=0.2, xlim=(-3, 3))
    check_curves(ax, sn.activation("leaky_relu", alpha=0.2), (-3, 3), 2001)
    assert points(ax, "derivative_kink") == [(0.0, 0.2)]
    assert points(ax, "derivative_kink_limit") == [(0.0, 1.0)]
    assert ax.get_title() == "leaky_relu (alpha=0.2)"


def test_hard_tanh_both_corners():
    ax = plot_activation("hard_tanh", xlim=(-3, 3))
    check_curves(ax, sn.activation("hard_tanh"), (-3, 3), 2001)
    assert points(ax, "kink") == [(-1.0, -1.0), (1.0, 1.0)]
    assert points(ax, "derivative_kink") == [(-1.0, 0.0), (1.0, 0.0)]
    assert points(ax, "derivative_kink_limit") == [(-1.0, 1.0), (1.0, 1.0)]
    assert len(lines(ax, "derivative")) == 3


def test_binary_step_is_discontinuous_in_the_function_itself():
    ax = plot_activation("binary_step", xlim=(-2, 2), n=401)
    check_curves(ax, sn.activation("binary_step"), (-2, 2), 401)
    (left, right) = lines(ax, "function")
    assert set(left.get_ydata()) == {0.0} and set(right.get_ydata()) == {1.0}
    assert right.get_xdata().min() == 0.0  # step(0) = 1 belongs to the right piece
    assert points(ax, "kink") == [(0.0, 1.0)]
    assert points(ax, "kink_limit") == [(0.0, 0.0)]
    # the derivative is 0 everywhere (also at 0): one piece, no jump to mark
    assert len(lines(ax, "derivative")) == 1
    assert not lines(ax, "derivative_kink")


def test_hardshrink_jumps_at_both_thresholds():
    ax = plot_activation("hardshrink", xlim=(-2, 2), n=401)
    check_curves(ax, sn.activation("hardshrink"), (-2, 2), 401)
    assert len(lines(ax, "function")) == 3
    assert points(ax, "kink") == [(-0.5, 0.0), (0.5, 0.0)]
    assert points(ax, "kink_limit") == [(-0.5, -0.5), (0.5, 0.5)]
    assert points(ax, "derivative_kink") == [(-0.5, 0.0), (0.5, 0.0)]
    assert points(ax, "derivative_kink_limit") == [(-0.5, 1.0), (0.5, 1.0)]


@pytest.mark.parametrize("name", KINKED)
def test_every_kinked_activation_marks_its_kinks(name):
    act = sn.activation(name)
    ax = plot_activation(act, xlim=(-8, 8), n=1601)
    check_curves(ax, act, (-8, 8), 1601)
    kinks = [float(k) for k in act.kinks if -8 <= float(k) <= 8]
    assert [p[0] for p in points(ax, "kink")] == kinks
    assert points(ax, "kink") == [(k, float(act(k))) for k in kinks]
    for x0, y0 in points(ax, "derivative_kink"):  # the value taken is the compiled one
        assert y0 == float(act.grad(x0))


def test_a_user_activation_with_both_limits_not_taken():
    x = sp.Symbol("x")
    act = sn.Activation(sp.Abs(x), name="abs")
    ax = plot_activation(act, xlim=(-1, 1), n=201)
    check_curves(ax, act, (-1, 1), 201)
    assert points(ax, "derivative_kink") == [(0.0, 0.0)]  # sign(0) = 0
    assert points(ax, "derivative_kink_limit") == [(0.0, -1.0), (0.0, 1.0)]
    ax.figure.canvas.draw()


def test_smooth_activation_has_no_kink_markers_and_no_derivative_when_asked():
    act = sn.activation("sigmoid")
    ax = plot_activation(act, derivative=False, xlim=(-6, 6), n=301)
    check_curves(ax, act, (-6, 6), 301, derivative=False)
    assert not any(ln.get_gid() and "kink" in ln.get_gid() for ln in ax.get_lines())
    assert legend_texts(ax) == [r"$\sigma(x) = \frac{1}{1 + e^{- x}}$"]
    assert ax.get_ylabel() == r"$\sigma(x)$"


def test_every_catalogue_formula_typesets():
    parser = MathTextParser("path")
    for name in sn.activations():
        act = sn.activation(name)
        for order in (0, 1):
            parser.parse(f"${to_mathtext(act.latex(order))}$")  # raises ValueError if not


def test_gallery_of_a_chosen_list():
    names = ["relu", "sigmoid", "tanh", "hard_tanh", "elu"]
    fig = plot_activations(names, ncols=2)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert [ax.get_title() for ax in fig.axes] == [
        "relu",
        "sigmoid",
        "tanh",
        "hard_tanh",
        "elu (alpha=1)",
    ]
    for ax, name in zip(fig.axes, names, strict=True):
        check_curves(ax, sn.activation(name), (-5, 5), 401)
        assert ax.get_legend() is None  # one legend for the whole figure
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (3, 2)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][:2] == ["$f(x)$", "$f'(x)$"]
    assert points(fig.axes[0], "derivative_kink_limit") == [(0.0, 1.0)]
    fig.canvas.draw()


def test_gallery_of_the_whole_catalogue_has_one_panel_each():
    fig = plot_activations(n=101)
    assert [ax.get_title().split(" (")[0] for ax in fig.axes] == sn.activations()
    assert all(lines(ax, "function") and lines(ax, "derivative") for ax in fig.axes)


def test_gallery_without_derivatives():
    fig = plot_activations(["relu", "gaussian"], derivative=False, xlim=(-2, 2), n=101)
    for ax, name in zip(fig.axes, ["relu", "gaussian"], strict=True):
        check_curves(ax, sn.activation(name), (-2, 2), 101, derivative=False)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["$f(x)$"]


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        plot_activation("rleu")
    with pytest.raises(ValueError, match="xlim"):
        plot_activation("relu", xlim=(1, 1))
    with pytest.raises(ValueError, match="n"):
        plot_activation("relu", n=1)
    with pytest.raises(ValueError, match="has no parameter 'beta'"):
        plot_activation("relu", beta=2)
    with pytest.raises(ValueError, match="names is empty"):
        plot_activations([])
    with pytest.raises(ValueError, match="ncols"):
        plot_activations(["relu"], ncols=0)
    with pytest.raises(TypeError, match="derivative"):
        plot_activation("relu", derivative="yes")
