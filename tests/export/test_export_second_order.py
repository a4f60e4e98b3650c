"""Second and third derivatives through exported PyTorch modules (``create_graph=True``):
each backward pass is itself an exported function whose backward is symnn's next
derivative, so a Hessian-vector product of an exported network is symnn's own."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.compiler import compile as compile_expr
from symnn.expr.symbolic import derivative
from tests.export.export_cases import disagreements
from tests.oracle import mp_function

torch = pytest.importorskip("torch")

GRID = np.concatenate([np.linspace(-20, 20, 161), [0.0, 1e-3, -1e-3, 37.0, -37.0]])


def _derivatives(module, xs, orders: int):
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out, value = [], module(x)
    for k in range(orders):
        (value,) = torch.autograd.grad(value.sum(), x, create_graph=k < orders - 1)
        out.append(value.detach().numpy())
    return out


@pytest.mark.parametrize("name", sn.activations())
def test_second_derivative_of_every_activation_is_symnns(name):
    """f'' by differentiating the exported backward pass equals symnn's f'' (the derivative
    of its derivative, with its kink conventions) to 1e-12 on [-20, 20] and at +-37."""
    act = sn.activation(name)
    _, second = _derivatives(act.to_torch(), GRID, 2)
    with np.errstate(all="ignore"):
        ref = act.grad(GRID, order=2)
    assert not disagreements(second, ref, GRID), f"{name}'': {disagreements(second, ref, GRID)}"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "mish", "elu", "softplus"])
def test_third_derivative(name):
    """The third derivative (a third backward pass) against mpmath on [-4, 4]. Farther out
    the printed third derivative cancels (sigmoid's is a polynomial in sigma: 2e-12 at
    x = 10, as is symnn's own compiled one there; the accuracy guarantee is for f and f')."""
    act = sn.activation(name)
    xs = np.linspace(-4, 4, 65)
    _, _, third = _derivatives(act.to_torch(), xs, 3)
    true = mp_function(sp.diff(act.expr, act.symbol, 3), act.symbol, act.params)
    for x, got in zip(xs, third, strict=True):
        t = true(float(x))
        assert abs(got - t) <= 1e-11 * abs(t) + 1e-15, (name, x, got, t)


def test_second_derivatives_inside_the_tame_range_and_with_parameters():
    """sigmoid and tanh below 5 and 2.5 save their result (PyTorch's one-pass backward); the
    second pass goes through it and is still symnn's f''. A trainable parameter's mixed
    partial d/dalpha (df/dx) is symnn's too."""
    xs = np.linspace(-2.4, 2.4, 97)
    for name in ("sigmoid", "tanh"):
        act = sn.activation(name)
        _, second = _derivatives(act.to_torch(), xs, 2)
        assert not disagreements(second, act.grad(xs, order=2), xs), name
    elu = sn.activation("elu")
    module = elu.to_torch(trainable=("alpha",))
    x = torch.tensor(xs, requires_grad=True)
    (g,) = torch.autograd.grad(module(x).sum(), x, create_graph=True)
    (mixed,) = torch.autograd.grad(g.sum(), module.alpha)
    a, alpha = elu.symbol, next(iter(elu.params))
    exact = compile_expr(derivative(derivative(elu.expr, a), alpha), a, params=elu.params)
    assert float(mixed) == pytest.approx(float(np.sum(exact(xs))), rel=1e-12)


@pytest.mark.parametrize(
    "name", ["mse", "binary_cross_entropy", "huber", "log_cosh", "binary_cross_entropy_with_logits"]
)
def test_second_derivative_of_a_loss_in_the_prediction(name):
    lo = sn.loss(name, reduction="sum")
    rng = np.random.default_rng(1)
    t = rng.uniform(0.05, 0.95, 40) if "binary" in name else rng.normal(size=40)
    p = rng.uniform(0.02, 0.98, 40) if name == "binary_cross_entropy" else rng.normal(size=40)
    yhat = torch.tensor(p, requires_grad=True)
    value = lo.to_torch()(yhat, torch.tensor(t))
    (g,) = torch.autograd.grad(value, yhat, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), yhat)
    second = derivative(lo.numeric_gradient, lo.yhat).xreplace(
        {s: sp.Float(v, 30) for s, v in lo.params.items()}
    )
    ref = compile_expr(second, [lo.yhat, lo.y])(p, t)
    assert not disagreements(h.numpy(), np.broadcast_to(ref, p.shape), p), name


@pytest.mark.parametrize(
    ("layers", "activation", "loss"),
    [([3, 4, 1], "sigmoid", "sse"), ([2, 5, 1], "tanh", "bce"), ([3, 4, 2], "gelu", "mse"),
     ([3, 4, 3], "softplus", "cross_entropy")],
)
def test_hessian_vector_product_of_an_exported_network_is_symnns(layers, activation, loss):
    """torch's double backward through ``net.to_torch()`` equals ``net.hvp`` (symnn's exact
    second backward pass) to 1e-10."""
    rng = np.random.default_rng(2)
    net = sn.Network(layers, activation=activation, loss=loss, seed=3)
    X = rng.normal(size=(7, layers[0]))
    y = rng.integers(0, layers[-1], 7) if loss == "cross_entropy" else (
        rng.integers(0, 2, (7, layers[-1])).astype(float))  # fmt: skip
    v = {k: rng.normal(size=p.shape) for k, p in net.params.items()}
    module = net.to_torch()
    params = list(module.parameters())
    loss_value = module.loss_fn(torch.tensor(X), torch.tensor(y))
    grads = torch.autograd.grad(loss_value, params, create_graph=True)
    # torch's Linear holds W transposed: (out, in)
    vt = []
    for i in range(1, net.depth + 1):
        vt += [torch.tensor(v[f"W{i}"].T.copy()), torch.tensor(v[f"b{i}"])]
    dot = sum((g * w).sum() for g, w in zip(grads, vt, strict=True))
    hv = torch.autograd.grad(dot, params)
    ref = net.hvp(X, y, v)
    for i in range(1, net.depth + 1):
        np.testing.assert_allclose(hv[2 * i - 2].numpy().T, ref[f"W{i}"], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(hv[2 * i - 1].numpy(), ref[f"b{i}"], rtol=1e-10, atol=1e-13)


# -- JAX: the jvp rule's partials are custom_jvp functions too --------------------------------


@pytest.mark.parametrize("name", sn.activations())
def test_jax_second_derivative_of_every_activation_is_symnns(name):
    """jax.grad(jax.grad(f)) equals symnn's f'' to 1e-12 (autodiff of the printed f' code
    instead lost the tails: softplus''(37) relative error 1, tanhshrink'' 33, and the kink
    conventions: ELU''(0) 0.5), and a scalar input keeps its shape (sinc's near-root
    table made it (1,))."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    act = sn.activation(name)
    f = act.to_jax()
    second = np.asarray(jax.vmap(jax.grad(jax.grad(f)))(GRID))
    with np.errstate(all="ignore"):
        ref = act.grad(GRID, order=2)
    assert not disagreements(second, ref, GRID), f"{name}'': {disagreements(second, ref, GRID)}"
    assert jax.grad(f)(1.0).shape == () and float(jax.grad(f)(1.0)) == pytest.approx(
        float(act.grad(1.0)), rel=1e-12, abs=1e-300
    )


def test_jax_hessian_vector_product_of_an_exported_network_is_symnns():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(2)
    net = sn.Network([3, 4, 2], activation="mish", loss="mse", seed=3)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    params, _, loss_fn = net.to_jax()
    v = {k: rng.normal(size=p.shape) for k, p in net.params.items()}
    _, hv = jax.jvp(lambda p: jax.grad(loss_fn)(p, X, y), (params,), (v,))
    ref = net.hvp(X, y, v)
    for k in ref:
        np.testing.assert_allclose(np.asarray(hv[k]), ref[k], rtol=1e-10, atol=1e-13)
