"""net.derive() for a network of layers: every stated equation (one kernel element's, one
bias's and one input element's chain-rule sum written out, the compact convolution rules,
pooling's routing) holds on data against the generated training code (net.gradients) and,
for the input gradient, against sympy.diff of the expanded form."""

from __future__ import annotations

import numpy as np
import pytest

import symnn as sn
from symnn.nn.convderivation import LayeredDerivation

RTOL = 1e-10

# stride 1 and 2, padding 0 and 1, dilation 1 and 2, 1 to 3 channels, max and average
# pooling, two convolutions (the second one's input rule feeds the first one's kernel)
CASES = [
    ("conv(2,2),relu,maxpool(2),flatten,dense(3)", (1, 5, 5), "cross_entropy", True),
    ("conv(3,3,stride=2,padding=1),tanh,flatten,dense(2)", (2, 5, 5), "cross_entropy", True),
    ("conv(2,2,dilation=2),sigmoid,avgpool(2),flatten,dense(2)", (3, 6, 6), "cross_entropy", False),
    ("conv(2,3,padding=1),relu,conv(3,2,stride=2,dilation=2),tanh,flatten,dense(2)", (1, 6, 6),
     "cross_entropy", True),
    ("conv(1,2,stride=2),softplus,maxpool(2,stride=1),flatten,dense(1)", (2, 7, 7), "mse", True),
]  # fmt: skip


def _data(net, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *net.input_shape))
    k = net.shapes[-1][0]
    y = rng.integers(0, k, n) if net.softmax_output else rng.normal(size=(n, k))
    return X, y


@pytest.mark.parametrize(("spec", "shape", "loss", "bias"), CASES)
def test_every_stated_equation_holds_against_the_gradients(spec, shape, loss, bias):
    net = sn.Network(spec, input_shape=shape, loss=loss, bias=bias, seed=4)
    X, y = _data(net, 3, seed=1)
    d = sn.derive(net)
    assert isinstance(d, LayeredDerivation) and d.kernel == "K1" and d.layer == 1
    values = d.evaluate(X, y)
    grads = net.gradients(X, y)
    for key, g in grads.items():  # the compact rules, every parameter
        np.testing.assert_allclose(values[key], g, rtol=RTOL, atol=1e-14, err_msg=key)
    # the written-out sums of one kernel element and one bias
    np.testing.assert_allclose(values["scalar K1"], grads["K1"][0, 0, 0, 0], rtol=RTOL, atol=1e-14)
    if bias:
        np.testing.assert_allclose(values["scalar b1"], grads["b1"][0], rtol=RTOL, atol=1e-14)
    # one input element's written-out sum equals the full-convolution rule for it
    c, yy, xx = d.element
    np.testing.assert_allclose(values["scalar input"], values["dX"][:, c, yy, xx], rtol=RTOL,
                               atol=1e-14)  # fmt: skip
    # the forward equations: the last layer's output is the logits
    np.testing.assert_allclose(values[f"A{len(net.layers)}"], net.layer_outputs(X)[-1], rtol=0)


@pytest.mark.parametrize("case", [0, 1, 2])
def test_the_input_rule_equals_sympy_diff_of_the_expanded_form(case):
    spec, shape, loss, bias = {
        0: ("conv(2,2),relu,maxpool(2),flatten,dense(2)", (1, 4, 4), "cross_entropy", True),
        1: ("conv(2,2,stride=2,padding=1),tanh,flatten,dense(2)", (2, 3, 3), "cross_entropy", True),
        2: ("conv(1,2,dilation=2),sigmoid,avgpool(2),flatten,dense(1)", (1, 5, 5), "mse", False),
    }[case]
    net = sn.Network(spec, input_shape=shape, loss=loss, bias=bias, seed=2)
    X, y = _data(net, 1, seed=3)
    values = net.derive().evaluate(X, y)
    ex = net.expanded()
    subs = ex.values(net, X, y)
    exact = ex.gradient("X")
    oracle = np.array([float(e.xreplace(subs)) for e in exact.ravel()]).reshape(exact.shape)
    np.testing.assert_allclose(values["dX"][0], oracle, rtol=1e-10, atol=1e-14)


def test_the_sums_are_written_out_for_the_network_s_own_sizes():
    net = sn.Network("conv(2,3,stride=2,padding=1),relu,avgpool(2),flatten,dense(2)",
                     input_shape=(1, 7, 7), seed=0)  # fmt: skip
    d = net.derive()
    titles = [s.title for s in d.sections]
    assert titles == [
        "The forward pass",
        "A kernel element: the chain rule on the expanded sum",
        "A bias",
        "An input element: the full convolution",
        "Average pooling: the gradient is spread evenly",
        "The output, activations and Flatten",
        "Every layer at once: the compact rules",
    ]
    kernel = [eq.text for eq in d.sections[1].equations]
    assert kernel[2] == "∂L/∂K1[o,c,u,v] = Σ_p,q δ1[o,p,q]·pad(X)[c, 2·p + 1·u, 2·q + 1·v]"
    assert kernel[3].startswith(
        "∂L/∂K1[0,0,0,0] = δ1[0,0,0]·pad(X)[0,0,0] + δ1[0,0,1]·pad(X)[0,0,2]"
    )
    assert "valid cross-correlation" in kernel[4]
    inp = [eq.text for eq in d.sections[3].equations]
    assert inp[2].startswith("∂L/∂X[0,3,3] = ") and "rotated by 180°" in inp[3]
    assert "spread evenly" in str(d) and "δ2 = δ3/4" not in str(d)
    tex = d.latex()
    assert (
        tex.count(r"\begin{aligned}") == 1 and r"\star" in tex and r"\operatorname{rot180}" in tex
    )
    md = d.to_markdown()
    assert md == d._repr_markdown_() and "**The forward pass.**" in md
    doc = d.to_latex_document()
    assert doc.startswith(r"\documentclass") and r"\subsection*{4. An input element" in doc


def test_a_max_pool_ties_go_to_the_first_element():
    net = sn.Network("conv(1,1),maxpool(2),flatten,dense(2)", input_shape=(1, 2, 2), seed=0)
    net.params["K1"] = np.ones((1, 1, 1, 1))
    X, y = np.ones((1, 1, 2, 2)), np.array([0])
    values = net.derive().evaluate(X, y)
    delta = values["delta1"][0, 0]  # δ of the conv output: the pool sent it to [0, 0] only
    assert delta[0, 0] != 0 and np.count_nonzero(delta) == 1
    np.testing.assert_allclose(values["K1"], net.gradients(X, y)["K1"], rtol=RTOL)


def test_derive_refuses_wrt_for_a_network_of_layers():
    net = sn.Network("conv(1,2),flatten,dense(2)", input_shape=(1, 3, 3))
    with pytest.raises(ValueError, match="leave out wrt"):
        sn.derive(net, wrt="x")
