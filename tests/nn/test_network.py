"""symnn.nn.network: gradients of every activation and loss, architectures, parameters, generated code.

Training is in test_training, the symbolic views in test_views, persistence in test_persistence."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp
from netcases import output_activation_for, targets_for

import symnn as sn

ACTIVATIONS = sn.activations()
LOSSES = sn.losses()


def numeric_gradients(net, X, Y, eps=1e-6):
    out = {}
    for name, p in zip(net.params, net.params.arrays(), strict=True):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = net.loss_value(X, Y)
            p[idx] = old - eps
            down = net.loss_value(X, Y)
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        out[name] = g
    return out


def assert_gradients_close(net, X, Y, rtol=1e-5, atol=1e-7):
    analytic = net.gradients(X, Y)
    numeric = numeric_gradients(net, X, Y)
    # the central difference's rounding error: about 1e-16 |L| / eps (eps = 1e-6), so a loss of
    # 1e8 (Poisson NLL of ReLU^2 outputs) leaves it ~1e-2 of absolute error
    atol = atol + 1e-9 * abs(net.loss_value(X, Y))
    for k in analytic:
        np.testing.assert_allclose(analytic[k], numeric[k], rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("act_name", ACTIVATIONS)
def test_gradients_of_every_activation_and_loss_match_finite_differences(act_name, loss_name):
    rng = np.random.default_rng(zlib.crc32(f"{act_name}/{loss_name}".encode()))  # not hash(): salted
    lo = sn.loss(loss_name)
    k = 3 if (lo.rowwise or lo.fused_softmax) else 2
    net = sn.Network(
        [3, 4, k],
        activation=act_name,
        output_activation=output_activation_for(lo),
        loss=lo,
        seed=rng,
    )
    X = rng.normal(size=(5, 3))
    Y = targets_for(lo, 5, k, rng)
    assert_gradients_close(net, X, Y)


@pytest.mark.parametrize("act_name", ACTIVATIONS)
def test_every_activation_works_as_the_output_activation(act_name):
    rng = np.random.default_rng(7)
    net = sn.Network([2, 3, 2], activation="tanh", output_activation=act_name, loss="sse", seed=1)
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    assert_gradients_close(net, X, Y)


def test_deep_network_without_bias_and_with_mixed_activations():
    rng = np.random.default_rng(3)
    net = sn.Network(
        [3, 5, 4, 3, 1],
        activation=["relu", "gelu", "mish"],
        output_activation="sigmoid",
        loss="bce",
        bias=False,
        seed=2,
    )
    X, Y = rng.normal(size=(6, 3)), rng.uniform(size=(6, 1))
    assert_gradients_close(net, X, Y)
    assert list(net.params) == ["W1", "W2", "W3", "W4"]


def test_user_defined_activation_in_a_network():
    x = sp.Symbol("x")
    act = sn.Activation(x * sp.tanh(sp.log(1 + sp.exp(x))), name="mymish")
    rng = np.random.default_rng(4)
    net = sn.Network([2, 3, 1], activation=act, output_activation="identity", loss="mse", seed=0)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    assert_gradients_close(net, X, Y)


# -- the symbolic views -------------------------------------------------------------------


# -- the seed, reproduced -------------------------------------------------------------------


# -- training ---------------------------------------------------------------------------


def test_targets_outside_the_loss_domain_are_refused():
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], output_activation="sigmoid", loss="bce", seed=0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .* must be in \[0, 1\]"):
        net.fit(X, y * 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(layers=[3]), "at least an input and an output"),
        (dict(layers=[3, 0, 1]), "positive integers"),
        (dict(layers=[3, 4, 1], activation="sigmod"), "did you mean 'sigmoid'"),
        (dict(layers=[3, 4, 1], activation=["relu"] * 5), "give one per hidden layer"),
        (dict(layers=[3, 4, 2], output_activation="softmax", loss="mse"), "cross-entropy"),
        (dict(layers=[3, 4, 1], loss="sse2"), "unknown loss"),
        (
            dict(layers=[3, 4, 1], output_activation="identity", loss="bce"),
            "output_activation='sigmoid'",
        ),
    ],
)
def test_bad_architectures_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sn.Network(**kwargs)


def test_params_are_readable_and_assignable():
    net = sn.Network([3, 4, 1], seed=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert net.params["W1"].shape == (3, 4)
    net.params["W1"] = np.ones((3, 4))
    assert np.all(net.params["W1"] == 1)
    with pytest.raises(ValueError, match=r"has shape \(3, 4\)"):
        net.params["W1"] = np.ones((4, 3))
    with pytest.raises(KeyError, match="no parameter 'W3'"):
        net.params["W3"]


def test_softmax_network_takes_class_indices_or_one_hot():
    X, labels = sn.data.blobs(n_samples=90, centers=3, seed=0)
    net = sn.Network(
        [2, 8, 3], activation="relu", output_activation="softmax", loss="cross_entropy", seed=0
    )
    idx = labels.ravel().astype(int)
    assert net.loss_value(X, idx) == pytest.approx(net.loss_value(X, np.eye(3)[idx]))
    net.fit(X, idx, epochs=200, lr=0.5)
    probs = net.predict(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert np.mean(probs.argmax(axis=1) == idx) > 0.95


def test_generated_source_is_plain_numpy():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
    src = net.source()
    assert "special.expit(A1, out=A1)" in src
    assert "np.matmul(X, W1, out=A1)" in src
    compile(src, "<test>", "exec")


# -- optional: PyTorch autograd ---------------------------------------------------------------


TORCH_ACTIVATIONS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "silu": "silu",
    "mish": "mish",
    "softplus": "softplus",
    "softsign": "softsign",
    "log_sigmoid": "logsigmoid",
    "hard_tanh": "hardtanh",
    "relu6": "relu6",
    "hard_sigmoid": "hardsigmoid",
    "hard_swish": "hardswish",
    "tanhshrink": "tanhshrink",
    "celu": "celu",
    "leaky_relu": "leaky_relu",
}


@pytest.mark.parametrize("act_name", sorted(TORCH_ACTIVATIONS))
def test_gradients_match_pytorch_autograd(act_name):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(11)
    net = sn.Network(
        [3, 5, 2], activation=act_name, output_activation="identity", loss="mse", seed=0
    )
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.params.items()}
    fn = getattr(F, TORCH_ACTIVATIONS[act_name])
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    out = fn(Xt @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    F.mse_loss(out, Yt).backward()
    ours = net.gradients(X, Y)
    # PyTorch's CPU hardsigmoid kernel multiplies by the float32 constant 1/6 (relative
    # error 3e-8) even for float64 tensors; symnn uses the exact 1/6.
    rtol = 1e-7 if act_name == "hard_sigmoid" else 1e-10
    for k in ours:
        np.testing.assert_allclose(ours[k], t[k].grad.numpy(), rtol=rtol, atol=1e-12)
