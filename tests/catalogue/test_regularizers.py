"""Regularisers: penalties and gradients against mpmath, finite differences and the
optimality conditions of scikit-learn's Ridge, Lasso and ElasticNet; objectives; errors; LaTeX."""

from __future__ import annotations

import io

import mpmath
import numpy as np
import pytest
import sympy as sp
from matplotlib import mathtext

from symnn.catalogue.losses import loss
from symnn.catalogue.regularizers import Objective, Regularizer, regularizer, regularizers, w
from tests.loss_oracle import DPS

NAMES = regularizers()
WEIGHTS = np.array(
    [-1e100, -1000.0, -1.0, -1e-8, -1e-300, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1000.0, 1e100]
)
SETTINGS = [
    ("l1", {"lam": 0.3}),
    ("l2", {"lam": 0.3}),
    ("elastic_net", {"lam": 0.3, "l1_ratio": 0.25}),
]


@pytest.mark.parametrize(("name", "params"), SETTINGS)
@pytest.mark.parametrize("order", [0, 1])
def test_compiled_penalty_and_gradient_match_mpmath(name, params, order):
    reg = regularizer(name)
    expr = reg.expr if order == 0 else reg.gradient
    values = {p: sp.Float(params[kw], 30) for kw, p in _kw(reg).items()}
    fn = sp.lambdify(w, expr.xreplace(values), "mpmath")
    got = reg.compiled(order)(WEIGHTS, **params)
    for x, g in zip(WEIGHTS, got, strict=True):
        with mpmath.workdps(DPS):
            true = mpmath.mpf(fn(mpmath.mpf(float(x))))
        if abs(true) < 1e-300:
            assert abs(g) < 1e-300 * 1.0000001, (x, g, true)
        else:
            assert abs(mpmath.mpf(float(g)) - true) <= 1e-12 * abs(true), (x, g, true)


def _kw(reg: Regularizer) -> dict[str, sp.Symbol]:
    return {kw: s.sympy_symbol() for kw, s in reg._specs.items()}


def test_conventions():
    lam = sp.Symbol("lambda", nonnegative=True)  # lam = 0 is allowed
    rho = sp.Symbol("rho", nonnegative=True)
    assert regularizer("l1").expr == lam * sp.Abs(w)
    assert regularizer("l1").gradient == lam * sp.sign(w)
    assert regularizer("l2").expr == lam * w**2 / 2  # PyTorch's weight_decay = lam
    assert regularizer("l2").gradient == lam * w
    en = regularizer("elastic_net")
    assert sp.simplify(en.expr - lam * (rho * sp.Abs(w) + (1 - rho) / 2 * w**2)) == 0
    # L1's subgradient at 0 is 0
    assert regularizer("l1", lam=2.0).grad(np.array([-3.0, 0.0, 5.0])).tolist() == [-2.0, 0.0, 2.0]
    assert regularizer("l2", lam=0.5).grad(np.array([-3.0, 0.0, 5.0])).tolist() == [-1.5, 0.0, 2.5]


@pytest.mark.parametrize(("name", "params"), SETTINGS)
def test_gradient_matches_finite_differences(name, params):
    reg = regularizer(name, **params)
    x = np.random.default_rng(0).normal(0, 2, 7)
    h = 1e-6
    fd = np.array([(reg.penalty(x + h * e) - reg.penalty(x - h * e)) / (2 * h) for e in np.eye(7)])
    np.testing.assert_allclose(reg.grad(x), fd, rtol=1e-7)


def test_penalty_sums_over_every_weight_array():
    reg = regularizer("l1", lam=0.5)
    layers = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([-4.0])]
    assert reg.penalty(layers) == 0.5 * (1 + 2 + 3 + 4)
    assert reg.penalty(layers[0]) == 3.0
    assert reg.grad(layers[0]).shape == (2, 2)


def _data(seed=0, n=40, d=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.array([2.0, 0.0, -1.0, 0.5, 0.0]) + 0.3 * rng.normal(size=n)
    return X, y


def _objective_gradient(objective: Objective, X, y, coef):
    """d/dw of loss(X @ w, y) + penalties(w), by the chain rule through yhat = X @ w."""
    return X.T @ objective.loss.grad(X @ coef, y) + objective.penalty_grad(coef)


def test_l2_matches_sklearn_ridge():
    """Ridge minimises ||y - Xw||^2 + alpha ||w||^2 = SSE + l2(lam = 2 alpha)."""
    sk = pytest.importorskip("sklearn.linear_model")
    X, y = _data()
    coef = sk.Ridge(alpha=3.0, fit_intercept=False).fit(X, y).coef_
    g = _objective_gradient(loss("sse") + regularizer("l2", lam=6.0), X, y, coef)
    np.testing.assert_allclose(g, 0, atol=1e-9)


def test_l1_and_elastic_net_match_sklearn():
    """ElasticNet minimises ||y - Xw||^2/(2n) + alpha(rho|w|_1 + (1-rho)/2 ||w||^2).

    That is half of MSE + elastic_net(lam = 2 alpha, l1_ratio = rho): the optimality
    condition is a zero gradient on the non-zero weights and |dMSE/dw_j| <= lam*rho on the zeros.
    """
    sk = pytest.importorskip("sklearn.linear_model")
    X, y = _data(1)
    for rho in (1.0, 0.5):
        model = sk.ElasticNet(
            alpha=0.2, l1_ratio=rho, fit_intercept=False, tol=1e-14, max_iter=100_000
        )
        coef = model.fit(X, y).coef_
        name = "l1" if rho == 1.0 else "elastic_net"
        params = {"lam": 0.4} if rho == 1.0 else {"lam": 0.4, "l1_ratio": rho}
        objective = loss("mse") + regularizer(name, **params)
        g = _objective_gradient(objective, X, y, coef)
        nonzero = coef != 0
        assert nonzero.sum() >= 2
        np.testing.assert_allclose(g[nonzero], 0, atol=1e-8)
        data_grad = X.T @ loss("mse").grad(X @ coef, y)
        assert np.all(np.abs(data_grad[~nonzero]) <= 0.4 * rho + 1e-8)


def test_l2_is_pytorch_weight_decay():
    torch = pytest.importorskip("torch")
    x = np.array([1.5, -2.0, 0.0])
    p = torch.nn.Parameter(torch.tensor(x, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.01)
    p.grad = torch.zeros_like(p)
    opt.step()
    expected = x - 0.1 * regularizer("l2", lam=0.01).grad(x)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-15)


def test_objective_value_latex_and_composition():
    mse, l1, l2 = loss("mse"), regularizer("l1", lam=0.5), regularizer("l2", lam=0.25)
    obj = mse + l1 + l2
    assert isinstance(obj, Objective) and obj.regularizers == [l1, l2]
    assert (l1 + mse).regularizers == [l1]
    W = [np.array([1.0, -2.0])]
    assert obj.value([1.0, 2.0], [0.0, 0.0], weights=W) == 2.5 + 0.5 * 3 + 0.125 * 5
    assert obj.value([1.0, 2.0], [0.0, 0.0]) == 2.5
    assert obj.penalty_grad(W[0]).tolist() == [0.5 + 0.25, -0.5 - 0.5]
    text = (loss("sse") + regularizer("l1")).latex()
    assert (
        text
        == r"L = \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2} + \lambda \sum_{j} \left|{w_{j}}\right|"
    )
    mathtext.math_to_image(f"${obj.latex()}$", io.BytesIO(), format="png")
    assert "Objective(" in repr(obj) and obj._repr_latex_().startswith("$")


@pytest.mark.parametrize("name", NAMES)
def test_latex_renders_with_mathtext(name):
    reg = regularizer(name)
    parser = mathtext.MathTextParser("path")
    for part in ("penalty", "element", "gradient"):
        parser.parse(f"${reg.latex(part)}$")
    parser.parse(f"${reg.with_params(lam=0.5).latex()}$")
    assert reg._repr_latex_().startswith("$")


def test_with_params_substitutes():
    reg = regularizer("elastic_net", lam=1, l1_ratio=0.5)
    assert reg.expr.free_symbols == {w}
    assert reg.penalty(np.array([2.0])) == 0.5 * 2 + 0.25 * 4
    assert "lambda" not in reg.latex() and r"\lambda" not in reg.latex()


def test_errors():
    with pytest.raises(
        ValueError, match=r"unknown regularizer 'l3' \(symnn.regularizers\(\) lists them all\)"
    ):
        regularizer("l3")
    assert regularizer("Ridge").name == "l2" and regularizer("lasso").name == "l1"
    with pytest.raises(ValueError, match=r"l2 parameter lam must be in \[0, inf\), got -1.0"):
        regularizer("l2", lam=-1)
    with pytest.raises(ValueError, match=r"l1_ratio must be in \[0, 1\], got 2.0"):
        regularizer("elastic_net", l1_ratio=2)
    with pytest.raises(ValueError, match=r"l1 has no parameter 'lamda'; did you mean 'lam'\?"):
        regularizer("l1", lamda=0.1)
    with pytest.raises(ValueError, match=r"weight array 0 contains nan at index \(1,\)"):
        regularizer("l1").penalty(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="an objective needs a Loss"):
        Objective("mse", [regularizer("l1")])
