"""symnn.plotting.training and save_figure: figures checked by their content."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

import symnn as sn
from symnn.nn.diagnostics import gradient_flow
from symnn.nn.training import History
from symnn.views.plotting import (
    FORMATS,
    plot_decision_boundary,
    plot_gradient_flow,
    plot_history,
    save_figure,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# -- plot_history ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    """The seed's network trained briefly, with a validation set."""
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=1)
    history = net.fit(X, y, epochs=200, lr=1.0, validation=(X, y))
    return history


def test_history_lines_are_the_recorded_losses(trained):
    _fig, ax = plt.subplots()
    assert plot_history(trained, ax=ax) is ax
    (loss,) = by_gid(ax.get_lines(), "loss")
    (val,) = by_gid(ax.get_lines(), "val_loss")
    np.testing.assert_array_equal(loss.get_xdata(), np.arange(1, 201))
    np.testing.assert_array_equal(loss.get_ydata(), trained.loss)
    np.testing.assert_array_equal(val.get_ydata(), trained.val_loss)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel().startswith("loss")
    assert legend_texts(ax) == ["training loss", "validation loss"]
    assert ax.get_title() == "Training loss (sgd, learning rate 1)"
    ax.figure.canvas.draw()


def test_history_linear_scale_and_no_validation():
    ax = plot_history(History(loss=[4.0, 2.0, 1.0]), log=False)
    assert ax.get_yscale() == "linear"
    assert [ln.get_gid() for ln in ax.get_lines()] == ["loss"]
    assert legend_texts(ax) == ["training loss"]


def test_history_that_reaches_zero_uses_symlog():
    ax = plot_history(History(loss=[1.0, 0.1, 0.0]))
    assert ax.get_yscale() == "symlog"
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1.0, 0.1, 0.0])


def test_history_errors():
    with pytest.raises(ValueError, match="no epochs"):
        plot_history(History())
    with pytest.raises(TypeError, match="History"):
        plot_history([1.0, 0.5])
    with pytest.raises(TypeError, match="log"):
        plot_history(History(loss=[1.0]), log="yes")


def test_history_has_no_plot_method_the_plot_lives_in_the_views_layer(trained):
    assert not hasattr(trained, "plot")  # nn never imports views: sn.plot_history(history)
    ax = sn.plot_history(trained, log=False)
    np.testing.assert_array_equal(by_gid(ax.get_lines(), "loss")[0].get_ydata(), trained.loss)


# -- plot_decision_boundary ------------------------------------------------------------------


@pytest.fixture(scope="module")
def moons_net():
    X, y = sn.data.moons(120, noise=0.1, seed=0)
    net = sn.Network([2, 12, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    net.fit(X, y, epochs=300, lr=0.05, optimizer="adam")
    return net, X, y


def check_points_coloured_by_class(ax, X, classes, names):
    colours = set()
    for c, name in enumerate(names):
        (points,) = by_gid(ax.collections, name)
        np.testing.assert_array_equal(points.get_offsets(), X[classes == c])
        face = {tuple(f) for f in points.get_facecolors()}
        assert len(face) == 1
        colours |= face
    assert len(colours) == len(names)  # a colour per class


def boundary_vertices(ax):
    (cs,) = by_gid(ax.collections, "boundary")
    return cs, np.concatenate([p.vertices for p in cs.get_paths() if len(p.vertices)])


def test_sigmoid_output_boundary_is_the_half_probability_curve(moons_net):
    net, X, y = moons_net
    ax = plot_decision_boundary(net, X, y, resolution=120)
    cs, verts = boundary_vertices(ax)
    assert list(cs.levels) == [0.5]
    # oracle: the network itself is 1/2 on the drawn curve (up to the grid's interpolation)
    assert np.abs(net.predict(verts)[:, 0] - 0.5).max() < 0.05
    labels = y.ravel()
    check_points_coloured_by_class(ax, X, labels.astype(int), ["class 0", "class 1"])
    # class 1 (the high outputs) is drawn in the colour map's high end
    cmap = plt.get_cmap("RdBu_r")
    (one,) = by_gid(ax.collections, "class 1")
    assert tuple(one.get_facecolors()[0]) == pytest.approx(to_rgba(cmap(0.85)))
    (bg,) = by_gid(ax.collections, "background")
    assert bg.norm.vmin == 0.0 and bg.norm.vmax == 1.0
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert ax.get_title() == "Decision boundary"
    assert legend_texts(ax) == ["class 0", "class 1", r"boundary $\hat y = 0.5$"]
    # the window holds the data with the margin
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    assert ax.get_xlim() == pytest.approx((lo[0], hi[0]))
    assert ax.get_ylim() == pytest.approx((lo[1], hi[1]))
    ax.figure.canvas.draw()


def test_logit_output_boundary_is_at_zero():
    X, y = sn.data.xor()
    net = sn.Network([2, 4, 1], activation="tanh", output_activation="identity",
                     loss="bce_with_logits", seed=3)  # fmt: skip
    net.fit(X, y, epochs=300, lr=0.1, optimizer="adam")
    ax = plot_decision_boundary(net, X, y, resolution=80)
    cs, verts = boundary_vertices(ax)
    assert list(cs.levels) == [0.0]
    assert np.abs(net.predict(verts)[:, 0]).max() < 0.05 * np.abs(net.predict(X)).max()


def test_tanh_output_on_signed_labels_boundary_is_at_zero():
    X, y01 = sn.data.moons(60, noise=0.1, seed=2)
    y = 2 * y01 - 1
    net = sn.Network([2, 8, 1], activation="tanh", loss="mse", seed=0)
    net.fit(X, y, epochs=200, lr=0.05, optimizer="adam")
    ax = plot_decision_boundary(net, X, y, resolution=80)
    cs, _ = boundary_vertices(ax)
    assert list(cs.levels) == [0.0]
    assert legend_texts(ax)[:2] == ["class -1", "class 1"]


def test_softmax_network_draws_argmax_regions():
    X, y = sn.data.blobs(90, centers=3, seed=0)
    net = sn.Network([2, 8, 3], activation="relu", output_activation="softmax",
                     loss="cross_entropy", seed=0)  # fmt: skip
    net.fit(X, y.ravel(), epochs=200, lr=0.05, optimizer="adam")
    ax = plot_decision_boundary(net, X, y.ravel(), resolution=100)
    (regions,) = by_gid(ax.collections, "regions")
    np.testing.assert_array_equal(regions.levels, [-0.5, 0.5, 1.5, 2.5])
    assert len(by_gid(ax.collections, "boundary")) == 3  # each class region outlined
    classes = y.ravel().astype(int)
    check_points_coloured_by_class(ax, X, classes, ["class 0", "class 1", "class 2"])
    # one-hot labels give the same picture of the points
    ax2 = plot_decision_boundary(net, X, sn.one_hot(y.ravel()), resolution=30)
    check_points_coloured_by_class(ax2, X, classes, ["class 0", "class 1", "class 2"])


def test_decision_boundary_errors(moons_net):
    net, X, y = moons_net
    three = sn.Network([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match="2 inputs"):
        plot_decision_boundary(three, np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_decision_boundary(net, X[:, :1], y)
    with pytest.raises(ValueError, match="one label per sample"):
        plot_decision_boundary(net, X, y[:-1])
    with pytest.raises(ValueError, match="two class labels"):
        plot_decision_boundary(net, X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(net, X, y, resolution=1)
    with pytest.raises(ValueError, match="margin"):
        plot_decision_boundary(net, X, y, margin=-1.0)
    with pytest.raises(TypeError, match="Network"):
        plot_decision_boundary("net", X, y)


# -- plot_gradient_flow ---------------------------------------------------------------------------


def test_gradient_flow_plot_draws_the_diagnostics_numbers():
    ax = plot_gradient_flow(depth=6, width=8, n_samples=64, seed=1)
    flow = gradient_flow(depth=6, width=8, n_samples=64, seed=1)
    assert [ln.get_gid() for ln in ax.get_lines()] == ["sigmoid", "tanh", "relu"]
    for line in ax.get_lines():
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
        np.testing.assert_array_equal(line.get_ydata(), flow[line.get_gid()])
    assert ax.get_yscale() == "log"
    assert legend_texts(ax) == ["sigmoid (Xavier init)", "tanh (Xavier init)", "relu (He init)"]
    assert ax.get_xlabel().startswith("layer")
    assert "partial L" in ax.get_ylabel()
    ax.figure.canvas.draw()


def test_gradient_flow_plot_of_chosen_activations():
    _fig, ax = plt.subplots()
    out = plot_gradient_flow(["relu", "leaky_relu"], depth=4, width=4, n_samples=16, ax=ax)
    assert out is ax
    assert [ln.get_gid() for ln in ax.get_lines()] == ["relu", "leaky_relu"]


# -- save_figure -------------------------------------------------------------------------------------

MAGIC = {".png": b"\x89PNG", ".pdf": b"%PDF", ".svg": b"<?xml"}


@pytest.mark.parametrize("ext", FORMATS)
def test_save_figure_honours_the_extension(tmp_path, ext):
    ax = plot_history(History(loss=[1.0, 0.5]))
    target = tmp_path / f"loss{ext}"
    written = save_figure(ax.figure, target)
    assert written == str(target)
    assert target.read_bytes().startswith(MAGIC[ext])
    assert os.listdir(tmp_path) == [target.name]  # nothing but the file


def test_save_figure_adds_png_when_there_is_no_extension(tmp_path):
    ax = plot_history(History(loss=[1.0, 0.5]))
    written = save_figure(ax.figure, str(tmp_path / "loss"))
    assert written == str(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes().startswith(MAGIC[".png"])


def test_save_figure_errors(tmp_path):
    ax = plot_history(History(loss=[1.0, 0.5]))
    with pytest.raises(ValueError, match=r"'\.jpg'.*\.png, \.svg, \.pdf"):
        save_figure(ax.figure, tmp_path / "loss.jpg")
    with pytest.raises(ValueError, match="does not exist"):
        save_figure(ax.figure, tmp_path / "missing" / "loss.png")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(TypeError, match=r"ax\.figure"):
        save_figure(ax, tmp_path / "loss.png")
    assert os.listdir(tmp_path) == []


def test_everything_public_is_reexported():
    import symnn.views.plotting as plotting

    for name in ["plot", "plot_implicit", "plot_elbow", "plot_activation", "plot_activations",
                 "plot_history", "plot_decision_boundary", "plot_gradient_flow", "save_figure"]:  # fmt: skip
        assert callable(getattr(plotting, name)) and name in plotting.__all__
    # the names symnn exposes lazily resolve
    assert sn.plot_activation is plotting.plot_activation
    assert sn.plot_gradient_flow is plotting.plot_gradient_flow
