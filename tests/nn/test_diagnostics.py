"""symnn.diagnostics: gradient norms and flow, sparsity, decision thresholds (and hidden activations)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import symnn as sn
from symnn.nn.diagnostics import decision_threshold, gradient_flow, gradient_norms, sparsity

# An independent NumPy implementation of the forward and backward pass (the oracle).
F = {
    "sigmoid": (expit, lambda z: expit(z) * (1 - expit(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}


def oracle_forward(params, X, hidden, depth):
    """Pre-activations Z_l and activations A_l (A_0 = X), output layer linear."""
    A, Zs, As = X, [], [X]
    for i in range(1, depth + 1):
        Z = A @ params[f"W{i}"] + params.get(f"b{i}", 0.0)
        A = F[hidden if i < depth else "identity"][0](Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def oracle_weight_gradient_norms(params, X, y, hidden, depth):
    """|dL/dW_l|_F for L = mean((yhat - y)^2), by the chain rule written out."""
    Zs, As = oracle_forward(params, X, hidden, depth)
    delta = 2 * (As[-1] - y) / y.size
    norms = {}
    for i in range(depth, 0, -1):
        norms[f"W{i}"] = float(np.linalg.norm(As[i - 1].T @ delta))
        if i > 1:
            delta = (delta @ params[f"W{i}"].T) * F[hidden][1](Zs[i - 2])
    return norms


def recipe(name, depth, width, n_samples, seed):
    """gradient_flow's documented recipe, rebuilt here."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, width))
    y = rng.normal(size=(n_samples, 1))
    init = "he_normal" if name == "relu" else "xavier_uniform"
    net = sn.Network([width] * depth + [1], activation=name, output_activation="identity",
                     loss="mse", init=init, seed=seed)  # fmt: skip
    return net, X, y


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_gradient_norms_match_an_independent_backprop(name):
    net, X, y = recipe(name, depth=5, width=6, n_samples=32, seed=3)
    params = net.params.copy()
    got = gradient_norms(net, X, y)
    want = oracle_weight_gradient_norms(params, X, y, name, depth=5)
    assert list(got) == [f"W{i}" for i in range(1, 6)]
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-10)


def test_gradient_flow_is_the_recipe_and_matches_the_oracle():
    flow = gradient_flow(depth=6, width=8, n_samples=50, seed=2)
    assert list(flow) == ["sigmoid", "tanh", "relu"]
    for name, norms in flow.items():
        net, X, y = recipe(name, depth=6, width=8, n_samples=50, seed=2)
        want = oracle_weight_gradient_norms(net.params.copy(), X, y, name, depth=6)
        assert norms == pytest.approx([want[f"W{i}"] for i in range(1, 7)], rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_gradients_vanish_while_relu_with_he_init_keep_their_size(seed):
    flow = gradient_flow(depth=10, width=16, n_samples=256, seed=seed)
    sig, relu, tanh = (np.array(flow[k]) for k in ("sigmoid", "relu", "tanh"))
    # sigmoid: orders of magnitude smaller next to the input than at the output...
    assert sig[0] < 1e-4 * sig[-1]
    # ...and shrinking layer by layer towards the input
    assert np.all(np.diff(sig) > 0)
    # ReLU (He): within about an order of magnitude across all ten layers
    assert relu.max() / relu.min() < 20
    # tanh (Xavier, zero-centred, derivative 1 at 0) keeps its size too
    assert tanh.max() / tanh.min() < 20


def test_gradient_flow_accepts_activation_objects_and_checks_input():
    flow = gradient_flow([sn.activation("leaky_relu", alpha=0.1)], depth=3, width=4, n_samples=8)
    assert list(flow) == ["leaky_relu"] and len(flow["leaky_relu"]) == 3
    assert all(v > 0 for v in flow["leaky_relu"])
    with pytest.raises(ValueError, match="depth must be at least 2"):
        gradient_flow(depth=1)
    with pytest.raises(TypeError, match="width"):
        gradient_flow(width=2.5)
    with pytest.raises(ValueError, match="activations is empty"):
        gradient_flow([])
    with pytest.raises(ValueError, match="repeated"):
        gradient_flow(["relu", "relu"])
    with pytest.raises(ValueError, match="did you mean 'sigmoid'"):
        gradient_flow(["sigmod"])


# -- hidden activations and sparsity -------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_hidden_activations_match_an_independent_forward_pass(name):
    net = sn.Network([3, 5, 4, 2], activation=name, output_activation="identity", seed=0)
    X = np.random.default_rng(1).normal(size=(7, 3))
    _, As = oracle_forward(net.params.copy(), X, name, depth=3)
    hidden = net.hidden_activations(X)
    assert [A.shape for A in hidden] == [(7, 5), (7, 4)]
    for got, want in zip(hidden, As[1:3], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    # the last hidden layer feeds the output layer: predict agrees
    out = hidden[-1] @ net.params["W3"] + net.params["b3"]
    np.testing.assert_allclose(net.predict(X), out, rtol=1e-13)


def test_hidden_activations_without_bias_and_bad_input():
    net = sn.Network([2, 3, 1], activation="tanh", bias=False, seed=0)
    X = np.array([[1.0, -2.0]])
    (A,) = net.hidden_activations(X)
    np.testing.assert_allclose(A, np.tanh(X @ net.params["W1"]), rtol=1e-14)
    assert sn.Network([2, 1], seed=0).hidden_activations(X) == []
    with pytest.raises(ValueError, match="2 inputs"):
        net.hidden_activations(np.ones((3, 5)))


def test_relu_is_sparse_and_sigmoid_tanh_are_not():
    X = np.random.default_rng(0).normal(size=(200, 8))
    for name, expect_sparse in [("relu", True), ("sigmoid", False), ("tanh", False)]:
        net = sn.Network([8, 32, 32, 32, 1], activation=name, seed=0)
        shares = sparsity(net, X)
        # oracle: count the exact zeros of the independent forward pass
        _, As = oracle_forward(net.params.copy(), X, name, depth=4)
        want = [float(np.mean(A == 0)) for A in As[1:4]]
        assert shares == want
        if expect_sparse:
            assert all(s > 0.2 for s in shares)
        else:
            assert shares == [0.0, 0.0, 0.0]


# -- decision thresholds -------------------------------------------------------------------------------


def test_decision_threshold_rules():
    sigmoid = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    assert decision_threshold(sigmoid) == 0.5
    assert decision_threshold(sigmoid, y=[0, 1, 1]) == 0.5
    logits = sn.Network([2, 3, 1], output_activation="identity", loss="bce_with_logits")
    assert decision_threshold(logits, y=[0, 1]) == 0.0
    hinge = sn.Network([2, 3, 1], output_activation="identity", loss="hinge")
    assert decision_threshold(hinge, y=[-1, 1]) == 0.0
    tanh = sn.Network([2, 3, 1], activation="tanh", loss="mse")
    assert decision_threshold(tanh, y=np.array([[-1.0], [1.0]])) == 0.0
    linear = sn.Network([2, 3, 1], output_activation="identity", loss="mse")
    assert decision_threshold(linear, y=[0, 1, 0]) == 0.5  # 0/1 targets: halfway
    assert decision_threshold(linear, y=[1, 1]) == 0.5
    with pytest.raises(ValueError, match="two class labels"):
        decision_threshold(linear, y=[0, 1, 2])
    softmax = sn.Network([2, 3, 3], output_activation="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="one output"):
        decision_threshold(softmax)


# -- moved from test_network.py ----------------------------------------


def test_gradcheck_reports_the_worst_relative_error():
    X, y = sn.data.xor()
    net = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    report = sn.gradcheck(net, X, y)
    assert report.passed and report.max_rel_error < 1e-6
    assert "passed" in str(report)


def test_gradient_norms_show_vanishing_gradients_for_sigmoid():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 8)), rng.normal(size=(64, 1))
    sig = sn.Network([8] + [8] * 9 + [1], activation="sigmoid", loss="mse", seed=0)
    relu = sn.Network([8] + [8] * 9 + [1], activation="relu", loss="mse", init="he_normal", seed=0)
    s, r = sn.gradient_norms(sig, X, y), sn.gradient_norms(relu, X, y)
    assert s["W1"] / s["W9"] < 1e-3
    assert r["W1"] / r["W9"] > s["W1"] / s["W9"]
