"""symnn.nn.secondorder and symnn.nn.curvature: the exact Hessian, HVPs, Lanczos and 2/lambda_max.

Oracles: central finite differences of the (separately generated) gradient, ``sympy.hessian``
of the expanded loss evaluated with mpmath at 30 digits, and PyTorch's
``torch.autograd.functional.hessian`` in float64 when torch is installed."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.nn.curvature import MAX_HESSIAN_PARAMS, flat_params, hvp_source

ACTS = ["sigmoid", "tanh", "relu", "softplus"]
LOSSES = ["sse", "mse", "bce", "cross_entropy"]


def make_case(act, loss, bias, depth, seed=0, n=6):
    rng = np.random.default_rng(seed)
    k = 3 if loss == "cross_entropy" else 1
    hidden = [3, 2][: depth - 1]
    out = act if loss == "sse" else None  # SSE: the activation at the output too
    net = sn.Network([2, *hidden, k], activation=act, output_activation=out, loss=loss,
                     bias=bias, seed=seed)  # fmt: skip
    for key in net.params:  # biases away from 0 so ReLU's kink is not at a data point
        net.params[key] = rng.normal(0, 0.8, net.params[key].shape)
    X = rng.normal(size=(n, 2))
    if loss == "cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, n)]
    elif loss == "bce":
        Y = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        Y = rng.uniform(0.1, 0.9, (n, 1))
    return net, X, Y


def set_flat(net, theta):
    start = 0
    for key in net.params:
        size = net.params[key].size
        net.params[key] = theta[start : start + size].reshape(net.params[key].shape)
        start += size


def fd_hessian(net, X, Y, eps=1e-5):
    theta = flat_params(net)
    cols = []
    for j in range(theta.size):
        grads = []
        for sign in (1, -1):
            t = theta.copy()
            t[j] += sign * eps
            set_flat(net, t)
            grads.append(np.concatenate([g.ravel() for g in net.gradients(X, Y).values()]))
        cols.append((grads[0] - grads[1]) / (2 * eps))
    set_flat(net, theta)
    return np.array(cols).T


CASES = [(a, lo, b, d) for a in ACTS for lo in LOSSES for b in (True, False) for d in (2, 3)]


@pytest.mark.parametrize(("act", "loss", "bias", "depth"), CASES)
def test_hessian_matches_finite_differences_of_the_gradient_and_is_symmetric(act, loss, bias, depth):
    net, X, Y = make_case(act, loss, bias, depth)
    H = net.hessian(X, Y)
    assert H.shape == (net.n_params, net.n_params)
    scale = max(1.0, np.abs(H).max())
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(H, fd_hessian(net, X, Y), rtol=1e-6, atol=1e-8 * scale)
    v = np.random.default_rng(1).normal(size=net.n_params)
    np.testing.assert_allclose(net.hvp(X, Y, v), H @ v, rtol=1e-12, atol=1e-13 * scale)


def test_hvp_takes_and_returns_a_dict_shaped_like_params():
    net, X, Y = make_case("tanh", "mse", True, 3)
    v = {k: np.ones_like(p) for k, p in net.params.items()}
    out = net.hvp(X, Y, v)
    assert list(out) == list(net.params)
    flat = net.hvp(X, Y, np.ones(net.n_params))
    np.testing.assert_array_equal(np.concatenate([o.ravel() for o in out.values()]), flat)


TINY = [("sigmoid", "sse", False), ("tanh", "bce", True), ("softplus", "mse", False),
        ("relu", "mse", True), ("sigmoid", "cross_entropy", False)]  # fmt: skip


@pytest.mark.parametrize(("act", "loss", "bias"), TINY)
def test_hessian_equals_sympy_hessian_of_the_expanded_loss(act, loss, bias):
    rng = np.random.default_rng(3)
    k = 2 if loss == "cross_entropy" else 1
    hidden = 1 if k > 1 else 2  # the softmax's expanded Hessian is the slow one
    net = sn.Network([2, hidden, k], activation=act, loss=loss, bias=bias, seed=3)
    for key in net.params:
        net.params[key] = rng.normal(0, 0.8, net.params[key].shape)
    n = 3
    X = rng.normal(size=(n, 2))
    Y = np.eye(k)[rng.integers(0, k, n)] if k > 1 else rng.integers(0, 2, (n, 1)).astype(float)
    ex = net.expanded()
    syms = ex.symbols()
    Hs = sp.hessian(ex.loss, syms)
    named = {"sigmoid": lambda u: 1 / (1 + mpmath.exp(-u)),
             "softplus": lambda u: mpmath.log(1 + mpmath.exp(u))}  # fmt: skip
    f = sp.lambdify([*syms, *ex.inputs, *ex.targets], Hs, modules=[named, "mpmath"])
    theta = [mpmath.mpf(float(t)) for t in flat_params(net)]
    with mpmath.workdps(30):
        total = sum(
            (mpmath.matrix(f(*theta, *map(mpmath.mpf, X[i]), *map(mpmath.mpf, Y[i])))
             for i in range(n)),
            mpmath.zeros(len(syms)),
        )  # fmt: skip
        exact = np.array(total.tolist(), dtype=float) / net.loss.divisor(Y.shape)
    H = net.hessian(X, Y)
    np.testing.assert_allclose(H, exact, rtol=1e-12, atol=1e-14 * np.abs(exact).max())


TORCH_CASES = [(a, lo, True, 2) for a in ACTS for lo in LOSSES] + [
    ("tanh", "cross_entropy", False, 3), ("softplus", "bce", True, 3)]  # fmt: skip


@pytest.mark.parametrize(("act", "loss", "bias", "depth"), TORCH_CASES)
def test_hessian_agrees_with_torch_in_float64(act, loss, bias, depth):
    torch = pytest.importorskip("torch")
    net, X, Y = make_case(act, loss, bias, depth)
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "softplus": torch.nn.functional.softplus, "identity": lambda z: z}  # fmt: skip
    shapes = [p.shape for p in net.params.values()]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)

    def loss_fn(theta):
        parts, start = [], 0
        for s in shapes:
            size = int(np.prod(s))
            parts.append(theta[start : start + size].reshape(s))
            start += size
        A, step = Xt, 2 if bias else 1
        for i in range(net.depth):
            Z = A @ parts[step * i] + (parts[step * i + 1] if bias else 0)
            last = i == net.depth - 1
            A = Z if (last and loss == "cross_entropy") else fns[net.activations[i].name](Z)
        if loss == "cross_entropy":
            return -(Yt * torch.log_softmax(A, dim=1)).sum() / X.shape[0]
        if loss == "bce":
            # (torch's own binary_cross_entropy clamps inside its double backward)
            return -(Yt * torch.log(A) + (1 - Yt) * torch.log1p(-A)).mean()
        sq = ((A - Yt) ** 2).sum()
        return sq if loss == "sse" else sq / Y.size

    Ht = torch.autograd.functional.hessian(loss_fn, torch.tensor(flat_params(net))).numpy()
    H = net.hessian(X, Y)
    np.testing.assert_allclose(H, Ht, rtol=1e-10, atol=1e-13 * np.abs(Ht).max())


def test_second_derivatives_print_symbolically():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
    eqs = net.backprop(order=2)
    assert str(eqs["f''1"]) == "σ''(Z1) = A1 ⊙ (1 - A1) ⊙ (1 - 2·A1)"
    a = sp.Symbol("A_{1}")
    z = sp.Symbol("z")
    s = 1 / (1 + sp.exp(-z))
    assert sp.simplify(eqs["f''1"].expr.subs(a, s) - sp.diff(s, z, 2)) == 0
    assert str(eqs["Rdelta1"]).startswith("Rδ1 = (Rδ2 W2ᵀ + δ2 V2ᵀ) ⊙ σ'(Z1) + (δ2 W2ᵀ) ⊙ σ''(Z1)")
    tanh = sn.Network([2, 3, 1], activation="tanh", loss="mse").hvp_equations()
    assert sp.expand(tanh["f''1"].expr - (-2 * a * (1 - a**2))) == 0
    assert "(Hv)b1 = 1ᵀ Rδ1" in str(tanh)
    assert r"\mathcal{R}\delta_{1}" in tanh.latex()
    assert str(eqs["l''"]).startswith("ℓ''(Ŷ) = 2 ")
    bce = sn.Network([2, 3, 1], loss="bce").hvp_equations()["l''"].expr
    yh, yy = sp.Symbol(r"\hat{Y}"), sp.Symbol("Y")
    assert sp.simplify(bce - (yy / yh**2 + (1 - yy) / (1 - yh) ** 2)) == 0
    relu = sn.Network([2, 3, 1], activation="relu", loss="mse").hvp_equations()
    assert relu["f''1"].expr == 0 and "relu''" not in str(relu["Rdelta1"])
    ce = sn.Network([2, 3, 3], loss="cross_entropy").hvp_equations()
    assert "softmax" in str(ce["Rdelta2"])
    with pytest.raises(ValueError, match="order must be 1"):
        net.backprop(order=3)


def test_generated_hvp_code_uses_the_compilers_stable_forms():
    net = sn.Network([2, 3, 1], activation="softplus", loss="bce")
    src = hvp_source(net)
    assert "special.expit" in src and "np.exp(" not in src
    X = np.array([[800.0, -800.0], [-900.0, 700.0]])
    with np.errstate(all="raise", under="ignore"):
        out = net.hvp(X, [1, 0], np.ones(net.n_params))
    assert np.all(np.isfinite(out))


def test_hessian_size_limit_is_documented_and_clear():
    net = sn.Network([50, 50, 1])
    assert net.n_params > MAX_HESSIAN_PARAMS
    with pytest.raises(ValueError, match=r"net.hvp\(X, y, v\).*net.curvature"):
        net.hessian(np.zeros((2, 50)), [0, 1])
    v = np.random.default_rng(0).normal(size=net.n_params)
    assert net.hvp(np.ones((2, 50)), [0, 1], v).shape == (net.n_params,)
    with pytest.raises(ValueError, match="vector of the network's"):
        net.hvp(np.ones((2, 50)), [0, 1], v[:-1])
    with pytest.raises(ValueError, match="NaN or inf"):
        net.hvp(np.ones((2, 50)), [0, 1], np.full(net.n_params, np.nan))


def test_curvature_by_lanczos_matches_dense_eigenvalues_and_gives_two_over_lambda():
    net, X, Y = make_case("tanh", "mse", True, 3, n=20)
    net2 = sn.Network([2, 6, 4, 1], activation="tanh", loss="mse", seed=2)
    for m in (net, net2):
        c = m.curvature(X, Y, k=3)
        w = np.linalg.eigvalsh(m.hessian(X, Y))[::-1][:3]
        np.testing.assert_allclose(c.eigenvalues, w, rtol=1e-9, atol=1e-12)
        assert c.max_stable_lr == pytest.approx(2 / w[0], rel=1e-9)
        H = m.hessian(X, Y)
        v = c.eigenvectors[:, 0]
        np.testing.assert_allclose(H @ v, w[0] * v, atol=1e-7 * abs(w[0]))
    assert net2.n_params > 20  # the Lanczos path, not the dense one
    assert "2/lambda_max" in str(c)


def test_gradient_descent_at_two_over_lambda_max_is_the_edge_on_a_quadratic_model():
    # a linear network with MSE is exactly quadratic: lr just below 2/lambda converges, just above diverges
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 1))
    net = sn.Network([3, 1], activation="identity", loss="mse", seed=0)
    lr = net.curvature(X, Y, k=1).max_stable_lr
    start = net.params.copy()
    below = net.fit(X, Y, lr=0.98 * lr, epochs=300, warn=False).loss
    net.params = start
    above = net.fit(X, Y, lr=1.02 * lr, epochs=300, warn=False).loss
    assert below[-1] < below[0] and above[-1] > 10 * above[0]


def _registry_case(act, loss_name):
    from netcases import output_activation_for, targets_for

    rng = np.random.default_rng(0)
    lo = sn.loss(loss_name)
    k = 3 if (lo.rowwise or lo.fused_softmax) else 2
    net = sn.Network([2, 3, k], activation=act, output_activation=output_activation_for(lo),
                     loss=lo, seed=0)  # fmt: skip
    for key in net.params:
        net.params[key] = rng.normal(0, 0.7, net.params[key].shape)
    return net, rng.normal(size=(4, 2)), targets_for(lo, 4, k, rng)


REGISTRY = [(a, "mse") for a in sn.activations()] + [("tanh", lo) for lo in sn.losses()]


@pytest.mark.parametrize(("act", "loss"), REGISTRY)
def test_every_activation_and_every_loss_has_an_exact_hessian(act, loss):
    """Every catalogue entry, derived the same way: a new entry is checked automatically."""
    net, X, Y = _registry_case(act, loss)
    H = net.hessian(X, Y)
    scale = max(1.0, np.abs(H).max())
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(H, fd_hessian(net, X, Y), rtol=1e-5, atol=1e-7 * scale)
