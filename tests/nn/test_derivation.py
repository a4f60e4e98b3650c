"""net.derive(): every equation of the backpropagation derivation, evaluated on random small
networks, agrees with the generated training code (net.gradients) and with the expanded form
(sympy.diff of the loss with every weight a scalar symbol)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from netcases import output_activation_for, targets_for

import symnn as sn
from symnn.nn.derivation import NetworkDerivation

RTOL = 1e-10


def _data(net, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (n, net.layers[0]))
    return X, targets_for(net.loss, n, net.layers[-1], rng)


def _check(net, X, y, expanded=True):
    d = net.derive()
    assert isinstance(d, NetworkDerivation)
    values = d.evaluate(X, y)
    grads = net.gradients(X, y)
    for key, g in grads.items():
        np.testing.assert_allclose(values[key], g, rtol=RTOL, atol=1e-13, err_msg=key)
    # the scalar chain-rule equations for one weight of the output and the first layer
    L = net.depth
    np.testing.assert_allclose(values[f"scalar W{L}"], grads[f"W{L}"][0, 0], rtol=RTOL, atol=1e-13)
    if L >= 2:
        np.testing.assert_allclose(values["scalar W1"], grads["W1"][0, 0], rtol=RTOL, atol=1e-13)
    # the forward equations: A_L is the prediction
    np.testing.assert_allclose(values[f"A{L}"], net.predict(X), rtol=RTOL, atol=1e-14)
    if expanded:
        exp = net.expanded().numeric_gradients(X, y)
        for key, g in exp.items():
            np.testing.assert_allclose(values[key], g, rtol=1e-9, atol=1e-12, err_msg=key)
    return d


# a hidden activation per case; every catalogue loss at least once (the output fits the loss)
CASES = [
    ("sigmoid", "sse", [3, 4, 1], True),
    ("sigmoid", "sse", [3, 4, 1], False),
    ("tanh", "mse", [2, 3, 2], True),
    ("relu", "huber", [2, 3, 3, 1], True),
    ("softplus", "bce", [2, 3, 1], True),
    ("gelu", "cross_entropy", [2, 3, 3], True),
    ("elu", "mae", [2, 2, 2, 2, 1], True),
    ("silu", "log_cosh", [2, 3, 1], False),
]


@pytest.mark.parametrize(("activation", "loss", "layers", "bias"), CASES)
def test_every_equation_agrees_with_the_gradients(activation, loss, layers, bias):
    net = sn.Network(layers, activation=activation, loss=loss, bias=bias, seed=3)
    X, y = _data(net, 5, seed=len(layers))
    # the expanded form (sympy.diff of every scalar weight) for one hidden layer; deeper
    # networks are checked against net.gradients, itself checked against the expanded form
    # in tests/nn/test_views.py (the 3-layer expansion took 45-130 s here)
    _check(net, X, y, expanded=net.depth <= 2)


@pytest.mark.parametrize("activation", sn.activations())
def test_every_activation_in_the_hidden_layer(activation):
    """Each catalogue activation's derivative, substituted into the recurrence for delta_1."""
    net = sn.Network([2, 3, 1], activation=[activation, "identity"], loss="mse", seed=4)
    X, y = _data(net, 4, seed=5)
    d = _check(net, X, y, expanded=False)
    assert "A weight of a hidden layer" in [s.title for s in d.sections]


@pytest.mark.parametrize("loss", sn.losses())
def test_every_loss_and_its_output_delta(loss):
    lo = sn.loss(loss)
    k = 3 if lo.fused_softmax or lo.rowwise else 1
    net = sn.Network([2, 2, k], activation="tanh", output_activation=output_activation_for(lo),
                     loss=loss, seed=1)  # fmt: skip
    X, y = _data(net, 4, seed=2)
    _check(net, X, y, expanded=False)


def test_the_seed_network_derivation_reads_like_the_textbook():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=0)
    d = sn.derive(net)
    text = str(d)
    titles = [s.title for s in d.sections]
    assert titles == ["The loss of one sample", "A weight of the output layer",
                      "A weight of a hidden layer", "All weights at once: the matrix equations"]  # fmt: skip
    assert "δ2_k = a*(1 - a)*(2*a - 2*y)" in text and "σ'(z) = a*(1 - a)" in text
    assert "δ1_j = (Σ_k δ2_k w2_jk) · σ'(z1_j)" in text
    # the last section is exactly what net.backprop() prints
    assert [eq.text for eq in d.sections[-1].equations] == str(net.backprop()).splitlines()
    assert d.delta_out.equals(
        sp.Symbol("a", real=True) * (1 - sp.Symbol("a", real=True))
        * (2 * sp.Symbol("a", real=True) - 2 * net.loss.y)
    )


def test_softmax_cross_entropy_delta_is_derived():
    net = sn.Network([2, 3, 3], activation="relu", loss="cross_entropy", seed=0)
    d = net.derive()
    out = d.sections[1]
    assert out.derivation is not None and out.derivation.proof.equal
    assert "δ2_k = softmax_k(z) - y_k" in [eq.text for eq in out.equations]
    assert "softmax_i(z) - y_i" in str(out.derivation)
    assert d.delta_out is None


def test_renderings():
    d = sn.Network([2, 3, 1], activation="tanh", loss="mse").derive()
    tex = d.latex()
    assert tex.count(r"\begin{aligned}") == 1 and r"\text{2. A weight of the output layer}" in tex
    assert r"\delta^{(2)}_k" in tex and r"\tanh'" in tex
    md = d.to_markdown()
    assert md == d._repr_markdown_() and md.count("$$") >= 2 * 8
    doc = d.to_latex_document()
    assert doc.startswith(r"\documentclass") and r"\subsection*{5. All weights at once" in doc


def test_deeper_network_without_expanded_form():
    net = sn.Network([3, 4, 4, 3, 2], activation="leaky_relu", loss="mse", seed=5)
    X, y = _data(net, 6, seed=9)
    _check(net, X, y, expanded=False)


def test_derive_refuses_wrt_for_a_network():
    with pytest.raises(ValueError, match="leave out wrt"):
        sn.derive(sn.Network([2, 2, 1]), wrt="x")
