"""symnn.views.plotting.lr: the pictures hold what the numbers say (lines, markers, the 2/λ line)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import symnn as sn
from symnn.nn.lr import lr_range_test, lr_sweep


@pytest.fixture
def seed():
    X, y = sn.data.seed_data()
    return sn.Network([3, 4, 1], loss="sse", bias=False, seed=1), X, y


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _line(ax, gid):
    (line,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    return line


def test_sweep_picture_has_the_losses_the_diverged_crosses_and_the_stability_line(seed):
    net, X, y = seed
    sweep = lr_sweep(net, X, y, lrs=[0.1, 1.0, 10.0, 1e4], epochs=80)
    ax = sn.plot_lr_sweep(sweep)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    loss = _line(ax, "loss")
    np.testing.assert_array_equal(loss.get_xdata(), sweep.lrs[~sweep.diverged])
    np.testing.assert_array_equal(loss.get_ydata(), sweep.final_loss[~sweep.diverged])
    crosses = _line(ax, "diverged")
    assert crosses.get_marker() == "x" and list(crosses.get_xdata()) == [1e4]
    limit = _line(ax, "stability")
    assert limit.get_xdata()[0] == pytest.approx(2 / net.curvature(X, y, k=1).lambda_max)
    assert _line(ax, "initial").get_ydata()[0] == sweep.initial_loss
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"2/λmax = {sweep.max_stable_lr:.3g} (at initialisation)" in labels
    assert "learning rate" in ax.get_xlabel() and "80 epochs" in ax.get_ylabel()


def test_range_test_picture_marks_the_suggested_rate(seed):
    net, X, y = seed
    r = lr_range_test(net, X, y, steps=40)
    ax = sn.plot_lr_range_test(r)
    assert ax.get_xscale() == "log"
    np.testing.assert_array_equal(_line(ax, "smoothed").get_ydata(), r.smoothed)
    assert _line(ax, "suggested").get_xdata()[0] == r.suggested_lr
    assert f"suggested lr = {r.suggested_lr:.3g}" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_line_picture_draws_the_step_of_the_chosen_rate(seed):
    net, X, y = seed
    ax = sn.plot_loss_landscape(net, X, y, directions="gradient", lr=5.0)
    step = _line(ax, "step")
    assert list(step.get_xdata()) == [0.0, 5.0] and step.get_marker() == "o"
    t_star = _line(ax, "t_star").get_xdata()[0]
    assert _line(ax, "two_t_star").get_xdata()[0] == pytest.approx(2 * t_star)
    assert t_star < 5.0 and ax.get_title().endswith("overshoots")  # lr 5 > t* ~ 1.85
    loss = _line(ax, "loss")
    assert loss.get_ydata()[0] == pytest.approx(net.loss_value(X, y))


def test_2d_slice_is_a_contour_map_with_the_trajectory(seed):
    net, X, y = seed
    axes = sn.plot_loss_landscape(net, X, y, directions="both", lr=1.0, epochs=50, points=9)
    line_ax, ax = axes
    assert _line(line_ax, "step") is not None
    assert len(ax.collections) >= 2  # filled contours and contour lines
    path = _line(ax, "trajectory")
    assert len(path.get_xdata()) == 31  # start + 30 snapshots
    assert _line(ax, "start").get_marker() == "o" and _line(ax, "end").get_marker() == "*"
    assert tuple(_line(ax, "end").get_xdata()) == (0.0,)
    assert "filter-normalised" in ax.get_xlabel()
    assert len(ax.figure.axes) == 3  # two plots and the colour bar
    with pytest.raises(ValueError, match="'gradient', 'random', 'both'"):
        sn.plot_loss_landscape(net, X, y, directions="sideways")


def test_plot_history_overlays_several_runs(seed):
    net, X, y = seed
    sweep = lr_sweep(net, X, y, lrs=[0.3, 3.0], epochs=30)
    ax = sn.plot_history(sweep.histories)
    assert [ln.get_gid() for ln in ax.lines] == ["run0", "run1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd, lr=0.3", "sgd, lr=3"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), sweep.histories[1].loss)
    h = sn.History(loss=[1.0, 2.0, float("inf")], lr=9.0)
    ax = sn.plot_history({"adam": sweep.histories[0], "blows up": h})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam", "blows up"]
    assert _line(ax, "diverged").get_xdata()[0] == 2  # last finite epoch
