"""plot_decision_boundary(exact=True): the curve net(x1, x2) = t from the trained formula."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.nn.views import trained_outputs


@pytest.fixture(scope="module")
def xor_net():
    X, y = sn.data.xor()
    net = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    net.fit(X, y, epochs=300, lr=0.5, warn=False)
    return net, X, y


def test_points_on_the_exact_curve_are_on_the_networks_level_set(xor_net):
    net, X, y = xor_net
    ax = sn.plot_decision_boundary(net, X, y, resolution=40, exact=True)
    try:
        t = net.decision_threshold(y)
        lines = [ln for ln in ax.get_lines() if ln.get_gid() == "exact boundary"]
        assert lines
        pts = np.concatenate([ln.get_xydata() for ln in lines])
        assert len(pts) > 50
        # the network's own compiled forward pass is the oracle
        np.testing.assert_allclose(net.predict(pts)[:, 0], t, rtol=0, atol=1e-9)
        labels = [text.get_text() for text in ax.get_legend().get_texts()]
        assert any(label.startswith("exact") for label in labels)
        # the sampled boundary is drawn beside it
        assert any(c.get_gid() == "boundary" for c in ax.collections)
    finally:
        plt.close(ax.figure)


def test_trained_outputs_is_the_forward_pass(xor_net):
    net = xor_net[0]
    x1, x2 = sp.symbols("x_1 x_2", real=True)
    (out,) = trained_outputs(net, [x1, x2])
    rng = np.random.default_rng(3)
    for p in rng.uniform(-2, 2, size=(5, 2)):
        value = float(out.evalf(30, subs={x1: p[0], x2: p[1]}))
        assert value == pytest.approx(net.predict(p[None, :])[0, 0], rel=1e-13)


def test_exact_needs_one_output():
    X, y = sn.data.xor()
    net = sn.Network([2, 2, 2], activation="tanh", loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="one output"):
        sn.plot_decision_boundary(net, X, y.reshape(-1).astype(int), exact=True)
    with pytest.raises(TypeError, match="exact must be True or False"):
        sn.plot_decision_boundary(net, X, y, exact="yes")
    plt.close("all")
