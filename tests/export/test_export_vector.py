"""Export of vector activations (softmax, log-softmax, the GLU family, maxout) to PyTorch and
JAX: forward and vector-Jacobian product against symnn's NumPy code (float64, 1e-12), the
log-softmax digits torch.log_softmax loses, networks with vector layers (loss and every
gradient against symnn's, 1e-10), the way back, networks of layers, the CLI's refusal."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symnn as sn
from tests.catalogue.test_vector import NETS  # (hidden, output, loss): the same networks
from tests.export.export_cases import disagreements, train_in_torch

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

ACTIVATIONS = [
    *(sn.vector_activation(n) for n in sn.vector_activations()),
    sn.vector_activation("maxout", k=3),
]

#: rows of width 6 (a multiple of every in_width(1) above): large spreads, overflow of
#: z - max, ties, a dominant entry, NaN
ROWS = np.array([
    [300.0, -300.0, 0.0, 80.0, -80.0, 1.0],
    [1e308, -1e308, 0.0, 5.0, -5.0, 1.0],
    [2.0, 2.0, -1.0, -1.0, 7.0, 7.0],  # ties (maxout: the first piece gets the gradient)
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, -40.0, -745.0, 3.0, 3.0, -1000.0],
    [np.nan, 0.0, 1.0, 2.0, 3.0, 4.0],
    [1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
])  # fmt: skip


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(0)
    spread = rng.normal(size=(6, 6)) * np.array([[0.5], [3.0], [30.0], [300.0], [1e-3], [1000.0]])
    return np.concatenate([ROWS, spread])


def _ids(act):
    return act.name + (f"-k{act.k}" if act.k and act.k != 2 else "")


def _torch_value_vjp(act, Z, G):
    z = torch.tensor(Z, requires_grad=True)
    out = act.to_torch()(z)
    out.backward(torch.tensor(G))
    return out.detach().numpy(), z.grad.numpy()


def _jax_value_vjp(act, Z, G):
    out, pull = jax.vjp(act.to_jax(), jnp.asarray(Z))
    return np.asarray(out), np.asarray(pull(jnp.asarray(G))[0])


def _cancellation(act, Z, G) -> np.ndarray | float:
    """The absolute error a sum of the vjp has from rounding (an allowance where the true
    value cancels, e.g. softmax's s (G - <G, s>) = 0 for G = 1): 1e-15 times the sum of
    the magnitudes it adds up."""
    if act.kind not in ("softmax", "log_softmax"):
        return 0.0
    with np.errstate(all="ignore"):
        A = act(Z)
        if act.kind == "softmax":
            return 1e-15 * A * (np.abs(G) + np.sum(np.abs(G) * A, axis=-1, keepdims=True))
        return 1e-15 * (np.abs(G) + np.exp(A) * np.sum(np.abs(G), axis=-1, keepdims=True))


def _check(got, ref, what, atol=0.0):
    rows = np.broadcast_to(np.arange(ref.shape[0])[:, None], ref.shape)
    bad = disagreements(got, ref, rows, atol=np.nan_to_num(atol))
    assert not bad, f"{what}: {bad}"


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("act", ACTIVATIONS, ids=_ids)
def test_forward_and_vjp_equal_symnns_numpy(act, backend):
    Z = _inputs()
    with np.errstate(over="ignore"):  # 1e308 * 5 in a GLU: inf, as the exports give
        ref = act(Z)
        G = np.random.default_rng(1).normal(size=ref.shape)
        G[3] = [1.0] * ref.shape[1]  # a cotangent of ones: log-softmax's G - s sum(G)
        vjp = act.vjp(Z, G)
    run = _torch_value_vjp if backend == "torch" else _jax_value_vjp
    value, grad = run(act, Z, G)
    _check(value, ref, f"{act.name} forward ({backend})")
    _check(grad, vjp, f"{act.name} vjp ({backend})", _cancellation(act, Z, G))
    if act.kind == "maxout":  # ties: the gradient goes to the first piece, as numpy's argmax
        tie = grad[2].reshape(-1, act.k)
        assert tie[0, 0] == G[2, 0] and tie[0, 1] == 0.0
    if act.kind in ("softmax", "log_softmax"):  # a NaN anywhere in the row: the row is NaN
        assert np.isnan(value[5]).all() and np.isnan(value[6]).all()


def test_log_softmax_keeps_the_digits_torch_log_softmax_loses():
    """log softmax([0, -d])_0 = -log1p(e^-d): symnn's log1p keeps it, PyTorch rounds it to 0."""
    act = sn.vector_activation("log_softmax")
    Z = np.array([[0.0, -40.0], [0.0, -100.0], [700.0, 0.0], [5.0, -36.0]])
    want = np.array([-math.log1p(math.exp(-(a - b))) for a, b in Z])
    builtin = torch.log_softmax(torch.tensor(Z), dim=-1).numpy()[:, 0]
    assert np.all(np.abs(builtin - want) > 0.5 * np.abs(want))  # every digit lost
    exported = act.to_torch()(torch.tensor(Z)).numpy()[:, 0]
    np.testing.assert_allclose(exported, want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.asarray(act.to_jax()(jnp.asarray(Z)))[:, 0], want, rtol=1e-15)
    np.testing.assert_allclose(act(Z)[:, 0], want, rtol=1e-15)


def test_jit_vmap_and_widths():
    glu = sn.vector_activation("geglu")
    Z = np.random.default_rng(2).normal(size=(3, 8)) * 4
    f = glu.to_jax()
    np.testing.assert_allclose(np.asarray(jax.jit(f)(Z)), glu(Z), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(jax.vmap(f)(Z)), glu(Z), rtol=1e-13)
    ls = sn.vector_activation("log_softmax").to_jax()
    jac = jax.jacfwd(ls)(jnp.asarray(Z[0]))  # forward mode: J = I - 1 s^T
    np.testing.assert_allclose(np.asarray(jac), sn.vector_activation("log_softmax").grad_at(Z[0]),
                               rtol=1e-12, atol=1e-15)  # fmt: skip
    with pytest.raises(ValueError, match="positive multiple of 2; got 3"):
        glu.to_torch()(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="positive multiple of 3; got 4"):
        sn.vector_activation("maxout", k=3).to_jax()(jnp.zeros((2, 4)))
    assert "log1p" in sn.vector_activation("log_softmax").to_torch().source


# -- networks ----------------------------------------------------------------------------



def _net(hidden, out, loss):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 3)) * 2
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    output = sn.vector_activation(out) if out in sn.vector_activations() else out
    net = sn.Network([3, 4, 3], activation=hidden, output_activation=output, loss=loss, seed=1)
    return net, X, Y


@pytest.mark.parametrize("hidden, out, loss", NETS)
def test_torch_network_loss_and_gradients_equal_symnns(hidden, out, loss):
    net, X, Y = _net(hidden, out, loss)
    module = net.to_torch()
    value = module.loss_fn(torch.tensor(X), torch.tensor(Y))
    value.backward()
    assert value.item() == pytest.approx(net.loss_value(X, Y), rel=1e-10)
    params = dict(module.named_parameters())
    grads = net.gradients(X, Y)
    assert len(params) == len(grads)
    for key, g in grads.items():
        p = params[f"linears.{int(key[1:]) - 1}.{'weight' if key[0] == 'W' else 'bias'}"]
        got = p.grad.numpy().T if key[0] == "W" else p.grad.numpy()
        np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-13 * np.abs(g).max(), err_msg=key)
    np.testing.assert_allclose(module.predict(torch.tensor(X)).detach().numpy(), net.predict(X),
                               rtol=1e-12, atol=1e-15)  # fmt: skip


@pytest.mark.parametrize("hidden, out, loss", NETS)
def test_jax_network_loss_and_gradients_equal_symnns(hidden, out, loss):
    net, X, Y = _net(hidden, out, loss)
    params, apply_fn, loss_fn = net.to_jax()
    value, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    assert float(value) == pytest.approx(net.loss_value(X, Y), rel=1e-10)
    out = np.asarray(apply_fn(params, X))
    if net.softmax_output:  # apply_fn gives the logits the fused cross-entropy takes
        out = sn.vector_activation("softmax")(out)
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-12, atol=1e-15)
    want = net.gradients(X, Y)
    assert set(grads) == set(want)
    for key, g in want.items():
        np.testing.assert_allclose(np.asarray(grads[key]), g, rtol=1e-10,
                                   atol=1e-13 * np.abs(g).max(), err_msg=key)  # fmt: skip


def test_weights_of_vector_layers_come_back():
    net, X, Y = _net("swiglu", "log_softmax", "nll")
    module = net.to_torch()
    assert module.linears[0].weight.shape == (8, 3)  # 2h pre-activations of a GLU layer
    trained = train_in_torch(module, X, Y, steps=2, lr=0.1)
    assert net.load_weights_from(module) is net
    assert net.loss_value(X, Y) == pytest.approx(trained, rel=1e-12)
    maxout = sn.Network([3, 4, 3], activation=sn.vector_activation("maxout", k=3), loss="mse", seed=0)
    params, _, loss_fn = maxout.to_jax()
    assert params["W1"].shape == (3, 12)
    grads = jax.grad(loss_fn)(params, X, Y)
    stepped = {k: v - 0.1 * grads[k] for k, v in params.items()}
    maxout.load_weights_from(stepped)
    assert maxout.loss_value(X, Y) == pytest.approx(float(loss_fn(stepped, X, Y)), rel=1e-12)


def test_networks_of_layers_refuse_a_vector_output_when_made():
    """A network of layers does not apply a vector output activation to its last Dense
    layer, so it refuses one when it is made (it used to ignore it: predictions were the
    Dense layer's raw values and the NLL of log-softmax came out negative); a softmax fused
    with the cross-entropy is fine."""
    from symnn.nn.layers import Dense

    for name in ("log_softmax", "glu", "maxout", "softmax"):
        out = sn.vector_activation(name) if name == "softmax" else name  # (the name: fused)
        with pytest.raises(ValueError, match=rf"output activation '{name}' is a vector activation"):
            sn.Network([Dense(4, activation="tanh"), Dense(4)], input_shape=(2,),
                       output_activation=out, loss="mse", seed=0)  # fmt: skip
    net = sn.Network([Dense(4, activation="tanh"), Dense(3)], input_shape=(2,),
                     output_activation="softmax", loss="cross_entropy", seed=0)  # fmt: skip
    assert net.softmax_output


def test_cli_and_standalone_source_refuse_a_vector_activation_clearly(capsys):
    from symnn.cli import main
    from symnn.export import ExportError, standalone_source

    assert main(["export", "swiglu", "--to", "torch"]) == 2
    err = capsys.readouterr().err
    assert "swiglu is a vector activation" in err
    assert "symnn.vector_activation('swiglu').to_torch()" in err
    with pytest.raises(ExportError, match="'maxout' is a vector activation"):
        standalone_source(sn.vector_activation("maxout"), "jax")


def test_torch_compile_gives_the_eager_numbers():
    act = sn.vector_activation("log_softmax")
    Z = np.array([[0.0, -40.0, 3.0, 300.0], [1.0, 1.0, -5.0, 2.0]])
    compiled = torch.compile(act.to_torch(), fullgraph=True)
    z = torch.tensor(Z, requires_grad=True)
    out = compiled(z)
    out.backward(torch.ones_like(out))
    _check(out.detach().numpy(), act(Z), "compiled log_softmax")
    G = np.ones_like(Z)
    _check(z.grad.numpy(), act.vjp(Z, G), "compiled log_softmax vjp", _cancellation(act, Z, G))
