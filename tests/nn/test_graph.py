"""symnn.nn.graph: computation graphs, local derivatives, adjoints, paths, layer level.

Oracles: ``sympy.diff`` of the whole expression evaluated with mpmath (expression graphs),
``net.gradients`` (the generated NumPy code, itself checked against finite differences in
test_network), and the chain rule over all paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.expr.functions import sigmoid
from symnn.nn.graph import MAX_SCALAR_NODES, graph

x, y_ = sp.symbols("x y", real=True)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


@pytest.mark.parametrize(
    "formula",
    ["x*sigmoid(x)", "sin(x*y) + x^2*y", "log(1 + exp(x)) * tanh(y)", "x*y/(1 + x^2)"],
)
@settings(max_examples=6)
@given(a=st.floats(-3, 3), b=st.floats(0.1, 3))
def test_expression_adjoints_equal_sympy_diff(formula, a, b):
    g = graph(formula, at={"x": a, **({"y": b} if "y" in formula else {})})
    expr = sn.parse(formula)
    point = {s: {"x": a, "y": b}[s.name] for s in expr.free_symbols}
    for s in expr.free_symbols:
        exact = float(sp.diff(expr, s).evalf(40, subs=point))
        assert math.isclose(g.gradient(s.name), exact, rel_tol=1e-12, abs_tol=1e-14)
    # the output's value is the expression's
    assert math.isclose(g.output.value, float(expr.evalf(40, subs=point)), rel_tol=1e-13, abs_tol=1e-15)


def test_edges_carry_local_derivatives_in_node_symbols():
    g = graph("x*sigmoid(x)")
    u1 = g.node("u1")
    assert u1.expr == sigmoid(g.node("x").symbol)
    d = g.edge("x", "u1").derivative
    assert sp.simplify(d - sigmoid(x) * (1 - sigmoid(x))) == 0
    assert g.edge("x", "u2").derivative == u1.symbol  # d(x*u1)/dx = u1
    assert g.edge("u1", "u2").derivative == g.node("x").symbol
    assert len(g.paths("x")) == 2 and not g.has_values


def test_kink_conventions_are_kept():
    assert graph("relu", at={"x": 0.0}).gradient("x") == 0.0  # ReLU'(0) = 0
    assert graph("abs(x)", at={"x": 0.0}).gradient("x") == 0.0  # sign(0) = 0
    assert graph("max(x, 0)", at={"x": 0.0}).gradient("x") == 0.0
    g = graph("leaky_relu", at={"x": -2.0})
    assert [n.name for n in g.parameters] == ["alpha"] and math.isclose(g.gradient("x"), 0.01)


def test_activation_and_loss_graphs():
    g = graph(sn.loss("half_sse"), at={"yhat": 0.75, "y": 1.0})
    assert g.output.kind == "loss"
    assert math.isclose(g.gradient("yhat"), -0.25) and math.isclose(g.gradient("y"), 0.25)
    assert math.isclose(g.output.value, 0.03125)


def test_expression_errors_name_the_fix():
    with pytest.raises(ValueError, match="at= needs a value for y"):
        graph("x*y", at={"x": 1.0})
    with pytest.raises(ValueError, match="does not use"):
        graph("x^2", at={"x": 1.0, "z": 2.0})
    with pytest.raises(ValueError, match="no variables"):
        graph("2 + 3")


# -- networks --------------------------------------------------------------------------------

NETS = [
    (dict(layers=[2, 2, 2], activation="sigmoid", loss="half_sse"), 1),
    (dict(layers=[2, 3, 2], activation="tanh", loss="mse"), 3),
    (dict(layers=[3, 2, 1], activation="relu", loss="bce", bias=False), 2),
    (dict(layers=[2, 2, 3], activation="softplus", loss="cross_entropy"), 2),
    (dict(layers=[1, 2, 2, 1], activation="sigmoid", loss="sse", output_activation="identity"), 2),
]


def _data(net, n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.layers[0]))
    if net.softmax_output:
        return X, rng.integers(0, net.layers[-1], size=n)
    return X, rng.uniform(0.05, 0.95, size=(n, net.layers[-1]))


def _scalar(name: str, key: str, idx) -> str:
    return f"w{key[1:]}_{idx[0] + 1}{idx[1] + 1}" if key[0] == "W" else f"b{key[1:]}_{idx[0] + 1}"


@pytest.mark.parametrize("case", NETS, ids=lambda c: f"{c[0]['layers']}-{c[0]['loss']}")
def test_scalar_graph_numbers_equal_net_gradients(case):
    spec, n = case
    net = sn.Network(**spec, seed=3)
    X, y = _data(net, n)
    g = net.graph(X, y)
    assert math.isclose(g.node("L").value, net.loss_value(X, y), rel_tol=1e-12)
    for key, grad in net.gradients(X, y).items():
        for idx, value in np.ndenumerate(grad):
            name = _scalar(key, key, idx if key[0] == "W" else (idx[0],))
            assert math.isclose(g.gradient(name), value, rel_tol=1e-12, abs_tol=1e-15), name
            # the chain rule over every path: the sum of the products is the gradient
            paths = g.paths(name)
            assert len(paths) >= 1
            assert math.isclose(sum(p.value for p in paths), value, rel_tol=1e-11, abs_tol=1e-15)


def test_several_paths_per_weight_and_symbolic_products():
    net = sn.Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=0)
    X, y = [[0.05, 0.1], [0.3, -0.2]], [[0.01, 0.99], [0.5, 0.5]]
    g = net.graph(X, y)
    paths = g.paths("w1_11")
    assert len(paths) == 4  # 2 outputs x 2 samples
    values = {n.symbol: n.value for n in g.nodes}
    for p in paths:
        assert p.nodes[0] == "w1_11" and p.nodes[-1] == "L"
        # the symbolic product, evaluated at the nodes' values, is the numeric product
        assert math.isclose(float(p.product.evalf(30, subs=values)), p.value, rel_tol=1e-12)
        assert r"\frac{\partial L}" in p.latex() and "=" in str(p)
    chosen = g.path("w1_11", index=1)
    assert g.highlighted is chosen and chosen.index == 1
    # the local derivative of the sigmoid unit is sigma(z)(1 - sigma(z)), of z wrt w the input
    z = g.node("z1_1[1]").symbol
    assert sp.simplify(g.edge("z1_1[1]", "a1_1[1]").derivative - sigmoid(z) * (1 - sigmoid(z))) == 0
    assert g.edge("w1_11", "z1_1[1]").derivative == g.node("x1[1]").symbol
    with pytest.raises(ValueError, match="index must be"):
        g.path("w1_11", index=9)
    with pytest.raises(ValueError, match="no path"):
        g.path("x1[1]", "y1[2]")


def test_scalar_graph_refuses_big_networks_and_suggests_layers():
    net = sn.Network([20, 20, 1], seed=0)
    with pytest.raises(ValueError, match=r"level='layer'") as info:
        net.graph()
    assert str(MAX_SCALAR_NODES) in str(info.value)
    names = [n.name for n in net.graph(level="layer").nodes]
    assert sorted(names) == sorted(["X", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "Yhat", "Y", "L"])


@pytest.mark.parametrize("case", NETS, ids=lambda c: f"{c[0]['layers']}-{c[0]['loss']}")
def test_layer_graph_matches_backprop(case):
    spec, n = case
    net = sn.Network(**spec, seed=3)
    X, y = _data(net, n)
    g = net.graph(X, y, level="layer")
    names = [nd.name for nd in g.nodes]
    assert {"X", "W1", "Z1", "Yhat", "L", "Y"} <= set(names)
    for key, grad in net.gradients(X, y).items():
        np.testing.assert_allclose(g.gradient(key), grad, rtol=1e-12, atol=1e-15)
    assert math.isclose(g.node("L").value, net.loss_value(X, y), rel_tol=1e-12)
    # Z-bar is backprop's delta: dL/dW = A^T delta
    for i in range(1, net.depth + 1):
        prev = X if i == 1 else g.node(f"A{i - 1}").value
        np.testing.assert_allclose(prev.T @ g.gradient(f"Z{i}"), g.gradient(f"W{i}"), rtol=1e-12)


def test_layer_edges_are_the_backprop_equations():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
    g = net.graph(level="layer")
    bp = net.backprop()
    assert "A1 ⊙ (1 - A1)" in g.edge("Z1", "A1").text and "A1 ⊙ (1 - A1)" in bp["delta1"].text
    assert g.edge("W1", "Z1").text == "Xᵀ Z̄1" and g.edge("A1", "Z2").text == "Z̄2 W2ᵀ"
    assert "2" in g.edge("Yhat", "L").text
    assert not g.has_values


def test_dot_and_mermaid_list_every_node_and_edge():
    net = sn.Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=0)
    g = net.graph([[0.05, 0.1]], [[0.01, 0.99]])
    path = g.path("w1_11")
    dot = g.to_dot()
    assert dot.count("->") == len(g.edges) and dot.count("fillcolor") == len(g)
    assert dot.count("#d62728") == len(path.edges)
    mer = g.to_mermaid()
    assert mer.startswith("flowchart LR") and mer.count("-->") == len(g.edges)
    assert "linkStyle" in mer


def test_wide_layers_get_unambiguous_weight_names():
    net = sn.Network([11, 2, 1], seed=0)  # w1_11_1 and w1_1_11 would both be "w1_111"
    X, y = np.random.default_rng(0).normal(size=(1, 11)), [[0.3]]
    g = net.graph(X, y)
    assert g.node("w1_11_2").param == ("W1", (10, 1)) and g.node("w1_11_2").tex == "w^{(1)}_{11,2}"
    grads = net.gradients(X, y)
    for p in g.parameters:
        assert math.isclose(g.gradient(p.name), grads[p.param[0]][p.param[1]], rel_tol=1e-12, abs_tol=1e-16)


def test_layer_path_nests_the_backward_rules_into_one_formula():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=0)
    X, y = _data(net, 2)
    g = net.graph(X, y, level="layer")
    p = g.path("W1")
    # each head's adjoint in a rule is replaced by the rule below it, no doubled brackets
    assert str(p).splitlines()[1] == (
        "dL/dW1 along it = Xᵀ ((((2·(Ŷ - Y)) ⊙ (Ŷ ⊙ (1 - Ŷ))) W2ᵀ) ⊙ (A1 ⊙ (1 - A1)))"
    )
    half = sn.Network([2, 3, 2], activation="sigmoid", loss="half_sse", seed=0).graph([[0.1, 0.2]], [[1.0, 0.0]], level="layer")
    assert "((Ŷ - Y))" not in str(half.path("W1")) and r"\left((\hat{Y} - Y)\right)" not in half.path("W1").latex()
    # its value is the gradient backprop computes
    np.testing.assert_allclose(p.value, net.gradients(X, y)["W1"], rtol=1e-12)
