"""symnn.nn.lr and symnn.nn.landscape: the sweep, the range test, the line search, the 2-D slice."""

from __future__ import annotations

import numpy as np
import pytest

import symnn as sn
from symnn.nn.curvature import flat_params
from symnn.nn.landscape import filter_normalized_direction, line_search, loss_surface
from symnn.nn.lr import lr_range_test, lr_sweep


@pytest.fixture
def seed_net():
    X, y = sn.data.seed_data()
    return sn.Network([3, 4, 1], loss="sse", bias=False, seed=1), X, y


def test_sweep_trains_every_rate_from_the_same_weights_and_restores_them(seed_net):
    net, X, y = seed_net
    before = flat_params(net)
    sweep = lr_sweep(net, X, y, lrs=[0.5, 2.0, 1e4], epochs=60)
    np.testing.assert_array_equal(flat_params(net), before)
    for lr, final in zip(sweep.lrs[:2], sweep.final_loss[:2], strict=True):
        twin = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
        twin.fit(X, y, lr=lr, epochs=60, warn=False)
        assert final == twin.loss_value(X, y)  # same start, same arithmetic: equal
    assert sweep.diverged.tolist() == [False, False, True]
    assert sweep.final_loss[2] > sweep.initial_loss
    assert sweep.max_stable_lr == pytest.approx(net.curvature(X, y, k=1).max_stable_lr)
    assert "lr = 1e+04" in str(sweep) and "diverged" in str(sweep)


def test_sweep_marks_a_run_whose_loss_overflows():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)) * 10, rng.normal(size=(20, 1))
    net = sn.Network([3, 1], activation="identity", loss="mse", seed=0)
    sweep = lr_sweep(net, X, Y, lrs=[1e-3, 1e3], epochs=400)
    assert sweep.diverged.tolist() == [False, True]
    assert sweep.final_loss[1] == np.inf and isinstance(sweep.diverged_at[1], int)
    assert sweep.best_lr == 1e-3


def test_sweep_refuses_bad_rates(seed_net):
    net, X, y = seed_net
    with pytest.raises(ValueError, match="positive"):
        lr_sweep(net, X, y, lrs=[0.1, -1.0])


def test_range_test_grows_the_rate_exponentially_and_suggests_one_below_the_blow_up(seed_net):
    net, X, y = seed_net
    before = flat_params(net)
    r = lr_range_test(net, X, y, lr_min=1e-3, lr_max=100.0, steps=50)
    np.testing.assert_array_equal(flat_params(net), before)
    ratios = r.lrs[1:] / r.lrs[:-1]
    np.testing.assert_allclose(ratios, (1e5) ** (1 / 49), rtol=1e-12)
    assert r.loss[0] == pytest.approx(net.loss_value(X, y), rel=1e-15)
    at_min = r.lrs[int(np.argmin(r.smoothed))]
    assert r.suggested_lr == pytest.approx(at_min / 10)
    assert r.lrs[0] <= r.steepest_lr <= at_min


def test_line_search_matches_the_loss_and_its_quadratic_model(seed_net):
    net, X, y = seed_net
    ls = line_search(net, X, y, lr=1.0, points=21)
    g = np.concatenate([v.ravel() for v in net.gradients(X, y).values()])
    theta = flat_params(net)
    twin = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    for t, loss in zip(ls.t[::5], ls.loss[::5], strict=True):
        start = 0
        for key in twin.params:
            size = twin.params[key].size
            twin.params[key] = (theta - t * g)[start : start + size].reshape(twin.params[key].shape)
            start += size
        assert loss == pytest.approx(twin.loss_value(X, y), rel=1e-14)
    # the model agrees to second order near t = 0: error ~ t^3
    small = ls.t[1]
    assert abs(ls.loss[1] - ls.quadratic[1]) < 10 * small**3 * np.abs(g).max() ** 3
    H = net.hessian(X, y)
    assert ls.t_star == pytest.approx((g @ g) / (g @ H @ g), rel=1e-12)
    assert ls.loss_at_lr < ls.loss0 and not ls.overshoots
    assert line_search(net, X, y, lr=3 * ls.t_star).overshoots


def test_filter_normalised_directions_and_the_projected_trajectory(seed_net):
    net, X, y = seed_net
    d = filter_normalized_direction(net, seed=3)
    W2 = np.asarray(net.params["W2"])
    np.testing.assert_allclose(np.linalg.norm(d[12:].reshape(4, 1), axis=0), np.linalg.norm(W2, axis=0))
    start = flat_params(net)
    s = loss_surface(net, X, y, lr=1.0, epochs=60, points=7, snapshots=4)
    np.testing.assert_array_equal(flat_params(net), start)
    assert s.path.shape == (5, 2)
    np.testing.assert_allclose(s.path[-1], 0.0, atol=1e-12)  # the slice is centred on the end
    assert s.loss[3, 3] == pytest.approx(s.path_loss[-1], rel=1e-14)
    assert s.alpha[-1] >= np.abs(s.path).max()  # the grid holds the whole trajectory
    assert s.path_loss[-1] < s.path_loss[0]
    d1, d2 = s.directions
    twin = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    twin.fit(X, y, lr=1.0, epochs=60, warn=False)
    np.testing.assert_allclose(s.center, flat_params(twin), rtol=1e-12)
    with pytest.raises(ValueError, match="vector of 16 numbers"):
        loss_surface(net, X, y, directions=(d1, d2[:3]), epochs=2)
