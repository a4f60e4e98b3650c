"""Export of networks of layers (Conv2D, pooling, Flatten, Dense): the PyTorch module and the
JAX functions give symnn's loss and gradients (float64, 1e-10), and trained weights come
back with load_weights_from."""

from __future__ import annotations

import numpy as np
import pytest

import symnn as sn
from symnn.nn.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D
from tests.export.export_cases import train_in_torch
from tests.nn.netcases import targets_for

torch = pytest.importorskip("torch")

SPECS = {
    "issue": dict(layers="conv(8,3),relu,maxpool(2),flatten,dense(10)", input_shape=(1, 8, 8)),
    "stride-padding-dilation": dict(
        layers=[Conv2D(3, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), activation="gelu"),
                AvgPool2D(2, stride=1), Conv2D(2, 2, dilation=2), MaxPool2D((2, 1)), Flatten(),
                Dense(5, activation="softplus"), Dense(3)],
        input_shape=(2, 9, 8), loss="cross_entropy"),
    "no-bias-mse": dict(layers="conv(2,3),tanh,avgpool(2),flatten,dense(4),sigmoid,dense(2)",
                        input_shape=(1, 7, 7), loss="mse", bias=False),
    "bce": dict(layers="conv(3,2,stride=2),silu,flatten,dense(1)", input_shape=(2, 6, 6),
                loss="bce_with_logits"),
}  # fmt: skip


def _net(key, seed=1):
    return sn.Network(**SPECS[key], seed=seed)


def _data(net, n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *net.input_shape))
    return X, targets_for(net.loss, n, net.shapes[-1][0], rng)


def _assert_gradients(got: dict, net, X, Y):
    for key, g in net.gradients(X, Y).items():
        np.testing.assert_allclose(got[key], g, rtol=1e-10, atol=1e-13 * np.abs(g).max(), err_msg=key)


def _torch_grads(module, net):
    """The module's gradients in symnn's layout (K (out, in, kh, kw), W (in, out))."""
    layers = [m for m in module.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    out = {}
    for j, m in enumerate(layers, start=1):
        w = m.weight.grad.numpy()
        out[f"K{j}" if isinstance(m, torch.nn.Conv2d) else f"W{j}"] = (
            w if isinstance(m, torch.nn.Conv2d) else w.T
        )
        if m.bias is not None:
            out[f"b{j}"] = m.bias.grad.numpy()
    return out


@pytest.mark.parametrize("key", sorted(SPECS))
def test_torch_module_has_symnn_loss_gradients_and_predictions(key):
    net = _net(key)
    X, Y = _data(net)
    module = net.to_torch()
    kinds = {type(m).__name__ for m in module.modules()}
    assert {"Conv2d", "Flatten", "Linear"} <= kinds
    loss = module.loss_fn(torch.tensor(X), torch.tensor(Y))
    loss.backward()
    assert loss.item() == pytest.approx(net.loss_value(X, Y), rel=1e-10)
    _assert_gradients(_torch_grads(module, net), net, X, Y)
    with torch.no_grad():
        pred = module.predict(torch.tensor(X.reshape(len(X), -1))).numpy()  # flat samples too
    np.testing.assert_allclose(pred, net.predict(X), rtol=1e-12, atol=1e-15)


def test_torch_layers_carry_stride_padding_dilation_and_pooling():
    module = _net("stride-padding-dilation").to_torch()
    conv = module.body[0]
    assert (conv.stride, conv.padding, conv.dilation) == ((2, 1), (1, 2), (1, 2))
    pools = [m for m in module.body if isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d))]
    assert [type(p).__name__ for p in pools] == ["AvgPool2d", "MaxPool2d"]
    assert pools[1].kernel_size == (2, 1) and pools[0].stride == (1, 1)


def test_torch_weights_come_back_with_load_weights_from():
    net = _net("issue")
    X, Y = _data(net, n=8)
    module = net.to_torch()
    trained = train_in_torch(module, X, Y, steps=3, lr=0.5)
    assert trained != pytest.approx(net.loss_value(X, Y), rel=1e-6)
    assert net.load_weights_from(module) is net
    assert net.loss_value(X, Y) == pytest.approx(trained, rel=1e-10)
    np.testing.assert_array_equal(net.params["K1"], module.body[0].weight.detach().numpy())
    # a module with other layers is refused, and nothing is copied
    before = net.params.copy()
    with pytest.raises(ValueError, match="1 Conv2d/Linear layers but the network has 2"):
        net.load_weights_from(torch.nn.Sequential(torch.nn.Linear(72, 10)))
    other = sn.Network("conv(4,3),relu,maxpool(2),flatten,dense(10)", input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="weight layer 1 of the network is Conv2D"):
        net.load_weights_from(torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Linear(72, 10)))
    with pytest.raises(ValueError, match="parameter K1 has shape"):
        net.load_weights_from(other.to_torch())
    for k, v in before.items():
        np.testing.assert_array_equal(net.params[k], v)


jax = pytest.importorskip("jax")


@pytest.fixture
def x64():
    jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_jax_functions_have_symnn_loss_and_gradients(key, x64):
    net = _net(key)
    X, Y = _data(net)
    params, apply_fn, loss_fn = net.to_jax()
    assert set(params) == set(net.params)
    value, grads = jax.jit(jax.value_and_grad(loss_fn))(params, X, Y)
    assert float(value) == pytest.approx(net.loss_value(X, Y), rel=1e-10)
    _assert_gradients({k: np.asarray(v) for k, v in grads.items()}, net, X, Y)
    logits = np.asarray(apply_fn(params, X.reshape(len(X), -1)))
    pred = np.asarray(jax.nn.softmax(logits, axis=-1)) if net.softmax_output else logits
    np.testing.assert_allclose(pred, net.predict(X), rtol=1e-12, atol=1e-15)


def test_jax_params_come_back_with_load_weights_from(x64):
    net = _net("stride-padding-dilation")
    X, Y = _data(net, n=6)
    params, _, loss_fn = net.to_jax()
    step = jax.jit(lambda p: jax.tree_util.tree_map(lambda a, g: a - 0.3 * g, p,
                                                    jax.grad(loss_fn)(p, X, Y)))  # fmt: skip
    for _ in range(3):
        params = step(params)
    trained = float(loss_fn(params, X, Y))
    assert net.load_weights_from(params) is net
    assert net.loss_value(X, Y) == pytest.approx(trained, rel=1e-10)
    with pytest.raises(ValueError, match="missing W4"):
        net.load_weights_from({k: v for k, v in params.items() if k != "W4"})
