"""symnn.nn.views: the printed formulas of every activation and every loss are readable, have their
parameters substituted, and evaluate to the numbers the compiled code computes."""

from __future__ import annotations

import io

import matplotlib.mathtext
import numpy as np
import pytest
import sympy as sp
from netcases import targets_for

import symnn as sn
from symnn._tex import to_mathtext

LOSS_ACTIVATIONS = ("tanh", "relu")


def _output_and_targets(loss_name, rng, n, k):
    """An output activation and targets the loss accepts, chosen from its declared domains."""
    lo = sn.loss(loss_name)
    if lo.fused_softmax or lo.rowwise:
        k = 3
        Y = rng.dirichlet(np.ones(k), size=n)
        out = "softmax" if lo.fused_softmax or lo.with_softmax else "identity"
        if lo.prediction == "log_probability":
            out = sn.Activation("-softplus(x)", name="neg_softplus")  # log-probabilities <= 0
        return out, Y, k
    if lo.domain.values is not None:  # labels such as -1/+1
        Y = rng.choice(np.array(lo.domain.values), size=(n, k))
    else:
        low = max(lo.domain.low, -2.0)
        high = min(lo.domain.high, 2.0)
        Y = rng.uniform(low, high, size=(n, k))
    out = lo.output if lo.output != "softmax" else "identity"
    if lo.prediction == "log_probability":
        out = sn.Activation("-softplus(x)", name="neg_softplus")
    elif not lo.input_domain.is_real_line and lo.input_domain.low >= 0 and lo.input_domain.high > 1:
        out = "softplus"  # rates >= 0
    return out, Y, k


def _combos():
    for act in sn.activations():
        yield act, "mse"
    for loss in sn.losses():
        for act in LOSS_ACTIVATIONS:
            yield act, loss


def _evaluate(expr, values):
    """An independent evaluation of a printed SymPy expression (lambdify, not symnn's compiler)."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(symbols, expr, modules=[{"sigmoid": _expit, "softplus": _softplus}, "scipy", "numpy"])
    with np.errstate(all="ignore"):
        return np.broadcast_to(fn(*(values[s.name] for s in symbols)), values["shape"]).copy()


def _expit(u):
    return 1 / (1 + np.exp(-u))


def _softplus(u):
    return np.logaddexp(0, u)


PARAM_NAMES = {p.name for name in sn.activations() for p in sn.activation(name).params} | {
    p.name for name in sn.losses() for p in sn.loss(name).params
}


@pytest.mark.parametrize(("act", "loss"), list(_combos()))
def test_printed_formulas_are_substituted_readable_and_right(act, loss):
    rng = np.random.default_rng(7)
    n = 6
    out, Y, k = _output_and_targets(loss, rng, n, 1)
    net = sn.Network([3, 4, k], activation=act, output_activation=out, loss=loss, seed=3)
    X = rng.normal(size=(n, 3))
    formula, backprop = net.formula(), net.backprop()
    text = str(formula) + "\n" + str(backprop)
    tex = formula.latex() + backprop.latex()
    assert "Piecewise(" not in text and "Piecewise" not in tex
    for eq in [*formula, *backprop]:
        if eq.expr is not None:
            leftover = {s.name for s in eq.expr.free_symbols} & PARAM_NAMES
            assert not leftover, (eq.name, leftover)
    if net.loss.fused_softmax:
        assert r"\log \hat{y}_{ij}" in formula["L"].latex()  # softmax applied once, in Ŷ
    # the printed deltas, evaluated on their own, give the compiled gradients
    Xc, Yc = net.check_data(X, Y)
    grads = net.gradients(Xc, Yc)
    A = [Xc, *net.hidden_activations(Xc)]
    Z = [a @ net.params[f"W{i + 1}"] + net.params[f"b{i + 1}"] for i, a in enumerate(A)]
    L = net.depth
    Yhat = net.predict(Xc)
    values = {r"\hat{Y}": Yhat, f"Z_{{{L}}}": Z[-1], "Y": Yc, "n": n, "k": k, "shape": Yhat.shape}
    eq = backprop[f"delta{L}"]
    if net.loss.fused_softmax:
        delta = (Yhat - Yc) / n if net.loss.reduction != "sum" else Yhat - Yc
    else:
        scale = 1.0 / net.loss.divisor(Yhat.shape)
        delta = _evaluate(eq.expr, values) * scale
    np.testing.assert_allclose(A[-1].T @ delta, grads[f"W{L}"], rtol=1e-9, atol=1e-12)
    eq = backprop["delta1"]
    back = delta @ net.params["W2"].T
    if eq.expr is not None:
        local = {"A_{1}": A[1], "Z_{1}": Z[0], "shape": A[1].shape}
        back = back * _evaluate(eq.expr, local)
    np.testing.assert_allclose(Xc.T @ back, grads["W1"], rtol=1e-9, atol=1e-12)


def test_huber_prints_its_delta_and_no_raw_piecewise():
    net = sn.Network([2, 3, 1], activation="tanh", loss=sn.loss("huber", delta=0.5), seed=0)
    line = str(net.formula()["L"])
    assert line == "L = mean of (1/2·(ŷ - y)^2 if Abs(y - ŷ) < 1/2 else 1/2·Abs(y - ŷ) - 1/8)"
    assert "delta" not in net.formula().latex()


def test_views_print_readably_at_the_prompt():
    net = sn.Network([2, 2, 1], activation="sigmoid", loss="sse", bias=False, seed=0)
    assert repr(net.backprop()) == str(net.backprop()) and repr(net.backprop()).startswith("δ2 =")
    assert repr(net.formula()).startswith("Z1 = X W1")
    expanded = net.expanded()
    assert repr(expanded).startswith("<Expanded: 2 inputs, 6 parameters")
    assert str(expanded).startswith("loss of one sample = (y_1 - sigmoid(w2_11*sigmoid(")
    w = expanded.weights["W1"][0, 1]
    assert str(w) == "w1_12" and sp.latex(w) == "w^{(1)}_{12}"
    assert "w^{(2)}_{11}" in expanded.latex()
    html = net._repr_html_()
    assert "6 parameters" in html and "<td>sigmoid</td>" in html
    assert net._repr_latex_().startswith("$$")


def test_fit_shows_its_real_signature_and_docs():
    import inspect

    net = sn.Network([2, 2, 1], seed=0)
    params = inspect.signature(net.fit).parameters
    assert list(params)[:4] == ["X", "y", "epochs", "lr"] and params["optimizer"].default == "sgd"
    assert "Train" in net.fit.__doc__


def test_parameters_cannot_be_changed_past_their_checks():
    net = sn.Network([2, 2, 1], seed=0)
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="read-only"):
        net.params["W1"][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        net.params["W1"] = np.full((2, 2), np.nan)
    assert np.all(np.isfinite(net.predict(X)))
    net.params["W1"] = np.zeros((2, 2))
    assert np.array_equal(net.params["W1"], np.zeros((2, 2)))


# -- moved from test_network.py ----------------------------------------


@pytest.mark.parametrize(
    ("layers", "act", "out", "loss", "bias"),
    [
        ([3, 4, 1], "sigmoid", None, "sse", False),
        ([2, 3, 2], "tanh", "identity", "mse", True),
        ([2, 2, 3], "relu", "softmax", "cross_entropy", True),
        ([2, 3, 1], "softplus", "sigmoid", "bce", True),
        ([3, 2, 2, 1], "elu", "identity", "huber", True),
    ],
)
def test_expanded_form_agrees_with_matrix_form(layers, act, out, loss, bias):
    rng = np.random.default_rng(5)
    net = sn.Network(layers, activation=act, output_activation=out, loss=loss, bias=bias, seed=3)
    X = rng.normal(size=(4, layers[0]))
    lo = sn.loss(loss)
    Y = targets_for(lo, 4, layers[-1], rng)
    exp = net.expanded()
    symbolic = exp.numeric_gradients(X, Y)
    matrix = net.gradients(X, Y)
    for k in matrix:
        np.testing.assert_allclose(symbolic[k], matrix[k], rtol=1e-10, atol=1e-13, err_msg=k)
    assert len(exp.gradients) == net.n_params


def test_expanded_form_refuses_big_networks():
    net = sn.Network([10, 20, 5])
    with pytest.raises(ValueError, match="expanded form is written out only for up to"):
        net.expanded()


def test_backprop_shows_the_familiar_factors():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
    bp = net.backprop()
    a = sp.Symbol("A_{1}")
    assert sp.simplify(bp["delta1"].expr - a * (1 - a)) == 0
    yhat, y = sp.Symbol(r"\hat{Y}"), sp.Symbol("Y")
    assert sp.simplify(bp["delta2"].expr - 2 * (yhat - y) * yhat * (1 - yhat)) == 0
    assert [eq.name for eq in bp] == ["delta2", "dW2", "delta1", "dW1"]
    assert r"\odot" in bp.latex() and r"\begin{aligned}" in bp.latex()
    assert bp._repr_latex_().startswith("$$")


def test_sigmoid_with_cross_entropy_cancels_to_yhat_minus_y():
    net = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    expr = net.backprop()["delta2"].expr
    yhat, y = sp.Symbol(r"\hat{Y}"), sp.Symbol("Y")
    assert sp.simplify(expr - (yhat - y)) == 0


def test_formula_shows_the_forward_pass():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=True)
    f = net.formula()
    assert "Z1 = X W1 + b1" in str(f)
    assert "σ" in str(f)
    X, W1, b1, W2, b2 = (
        sp.Symbol(n, commutative=False) for n in ("X", "W_{1}", "b_{1}", "W_{2}", "b_{2}")
    )
    sigma = f.expr.rhs.func
    assert f.expr.rhs == sigma(sigma(X * W1 + b1) * W2 + b2)


@pytest.mark.parametrize(
    "net",
    [
        sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False),
        sn.Network([2, 5, 3], activation="relu", output_activation="softmax", loss="cross_entropy"),
        sn.Network([2, 3, 2], activation="gelu", output_activation="identity", loss="huber"),
        sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce"),
    ],
    ids=repr,
)
def test_printed_equations_render_with_mathtext(net):
    for eq in [*net.formula(), *net.backprop()]:
        matplotlib.mathtext.math_to_image(
            f"${to_mathtext(eq.latex())}$", io.BytesIO(), format="png"
        )


def test_numeric_gradients_are_evaluated_in_mpmath_and_fall_back_to_the_compiler(monkeypatch):
    """The expanded derivatives are evaluated in 40 digits (mpmath, not symnn's compiler); where
    mpmath cannot (a complex value), the compiler evaluates them: the same numbers."""
    import symnn.compiler
    from symnn.nn import views

    rng = np.random.default_rng(7)
    net = sn.Network([2, 2, 1], activation="sigmoid", loss="sse", seed=2)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    exp = net.expanded()
    compiled = []
    real = symnn.compiler.compile
    monkeypatch.setattr(symnn.compiler, "compile", lambda *a, **k: compiled.append(a) or real(*a, **k))
    by_mpmath = exp.numeric_gradients(X, Y)
    assert not compiled
    import mpmath

    # a value mpmath gives as complex (here every sigmoid: told so) sends them to the compiler
    monkeypatch.setattr(views, "_MPMATH_FUNCTIONS", {"sigmoid": lambda x: mpmath.mpc(x, 1)})
    by_compiler = exp.numeric_gradients(X, Y)
    assert len(compiled) == net.n_params
    for key, g in net.gradients(X, Y).items():
        np.testing.assert_allclose(by_mpmath[key], g, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(by_compiler[key], g, rtol=1e-12, atol=1e-15)
