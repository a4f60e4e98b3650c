"""symnn.kinks: values and one-sided limits at kinks, curves split where they jump."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.catalogue.kinks import Kink, kinks, pieces

KINKED = [name for name in sn.activations() if sn.activation(name).kinks]


def test_the_registry_has_kinked_activations():
    assert {"relu", "leaky_relu", "hard_tanh", "binary_step", "hardshrink"} <= set(KINKED)


@pytest.mark.parametrize("name", KINKED)
@pytest.mark.parametrize("order", [0, 1])
def test_limits_agree_with_the_compiled_function_just_beside_the_kink(name, order):
    # oracle: the compiled function evaluated a hair to the left and right
    act = sn.activation(name)
    f = act if order == 0 else (lambda v: act.grad(v))
    for k in kinks(act, order):
        h = 1e-7
        assert k.left == pytest.approx(float(f(k.x - h)), abs=1e-5)
        assert k.right == pytest.approx(float(f(k.x + h)), abs=1e-5)
        assert k.value == float(f(k.x))


@pytest.mark.parametrize(
    ("name", "params", "order", "expected"),
    [
        ("relu", {}, 1, [(0.0, 0.0, 0.0, 1.0)]),  # ReLU'(0) = 0, as PyTorch and the seed
        ("leaky_relu", {"alpha": 0.2}, 1, [(0.0, 0.2, 0.2, 1.0)]),
        ("hard_tanh", {}, 1, [(-1.0, 0.0, 0.0, 1.0), (1.0, 0.0, 1.0, 0.0)]),
        ("binary_step", {}, 0, [(0.0, 1.0, 0.0, 1.0)]),
        ("hardshrink", {}, 0, [(-0.5, 0.0, -0.5, 0.0), (0.5, 0.0, 0.0, 0.5)]),
        ("threshold", {"threshold": 2.0, "value": -1.0}, 0, [(2.0, -1.0, -1.0, 2.0)]),
        ("elu", {"alpha": 2.0}, 1, [(0.0, 2.0, 2.0, 1.0)]),
    ],
)
def test_known_conventions(name, params, order, expected):
    got = [(k.x, k.value, k.left, k.right) for k in kinks(sn.activation(name, **params), order)]
    assert np.array(got) == pytest.approx(np.array(expected), rel=1e-12)


def test_jumps_and_limits_not_taken():
    (relu1,) = kinks("relu", 1)
    (relu0,) = kinks("relu", 0)
    assert relu1.jumps and relu1.not_taken == [1.0]
    assert not relu0.jumps and relu0.not_taken == []
    # |x|' = sign(x) takes 0 at 0: both one-sided limits are not taken
    x = sp.Symbol("x")
    (k,) = kinks(sn.Activation(sp.Abs(x), name="abs"), 1)
    assert (k.value, k.left, k.right) == (0.0, -1.0, 1.0)
    assert k.not_taken == [-1.0, 1.0]
    assert Kink(0.0, 1.0, 1.0, 1.0 + 1e-13).jumps is False


def test_within_keeps_only_kinks_inside_the_window():
    assert [k.x for k in kinks("relu6", within=(-1, 1))] == [0.0]
    assert kinks("relu6", within=(1, 5)) == []
    assert kinks("sigmoid") == []


@pytest.mark.parametrize("name", KINKED)
@pytest.mark.parametrize("order", [0, 1])
def test_pieces_are_the_compiled_values_and_never_straddle_a_jump(name, order):
    act = sn.activation(name)
    xlim, n = (-4.0, 4.0), 801
    parts = pieces(act, xlim, n, order)
    f = act if order == 0 else (lambda v: act.grad(v))
    xs_all = np.concatenate([xs for xs, _ in parts])
    for xs, ys in parts:
        np.testing.assert_array_equal(ys, f(xs))
        assert np.all(np.diff(xs) > 0)
    # every grid point is drawn, and so is every kink unless its value is on neither side
    grid = np.linspace(*xlim, n)
    assert np.isin(grid[~np.isin(grid, [k.x for k in kinks(act, order)])], xs_all).all()
    # no piece contains two points on opposite sides of a jump
    for k in kinks(act, order, within=xlim):
        if not k.jumps:
            continue
        for xs, _ in parts:
            assert not (xs.min() < k.x < xs.max()), f"a piece spans the jump at {k.x}"
            if k.x in xs:  # the kink joins the side whose limit it takes
                side_ok = (xs.max() == k.x and math.isclose(k.value, k.left)) or (
                    xs.min() == k.x and math.isclose(k.value, k.right)
                )
                assert side_ok


def test_relu_derivative_pieces_split_at_zero():
    (left, right) = pieces("relu", (-1, 1), n=5, order=1)
    np.testing.assert_array_equal(left[0], [-1.0, -0.5, 0.0])
    np.testing.assert_array_equal(left[1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(right[0], [0.5, 1.0])
    np.testing.assert_array_equal(right[1], [1.0, 1.0])
    # the function is continuous: one piece
    assert len(pieces("relu", (-1, 1), n=5, order=0)) == 1


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="xlim"):
        pieces("relu", (1, -1))
    with pytest.raises(ValueError, match="n"):
        pieces("relu", (-1, 1), n=1)
    with pytest.raises(ValueError, match="order"):
        kinks("relu", order=-1)
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        kinks("rleu")
