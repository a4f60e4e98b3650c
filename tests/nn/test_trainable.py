"""Trainable activation parameters: gradients against finite differences, the expanded form
and PyTorch's nn.PReLU; training moves them; they survive save/load."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.nn.trainable import TrainableParam, layer_math, resolve


def _data(n=9, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * 2, rng.normal(size=(n, k))


def _central(net, X, y, key, h=1e-6):
    """dL/dparam by central differences, entry by entry."""
    arr = net.params.arrays()[list(net.params).index(key)]
    out = np.empty(arr.shape)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + h
        up = net.loss_value(X, y)
        arr[idx] = old - h
        down = net.loss_value(X, y)
        arr[idx] = old
        out[idx] = (up - down) / (2 * h)
    return out


CASES = [
    ("prelu", "alpha"),
    ("elu", "alpha"),
    ("softplus", "beta"),
    ("silu", "beta"),
    ("leaky_relu", "alpha"),
]


@settings(max_examples=5, deadline=None)
@given(
    case=st.sampled_from(CASES),
    shape=st.sampled_from(["scalar", "unit"]),
    seed=st.integers(0, 2**16),
)
def test_parameter_gradients_match_central_differences(case, shape, seed):
    name, param = case
    X, y = _data(seed=seed)
    net = sn.Network(
        [3, 4, 2],
        activation=[name, name],
        loss="mse",
        trainable_params={param: shape},
        seed=seed,
    )
    grads = net.gradients(X, y)
    for key in (f"{param}1", f"{param}2"):
        fd = _central(net, X, y, key)
        assert grads[key].shape == net.params[key].shape
        np.testing.assert_allclose(grads[key], fd, rtol=1e-6, atol=1e-8)
    if name in ("softplus", "silu"):  # a kink near a sample spoils finite differences of W
        assert sn.gradcheck(net, X, y, tolerance=1e-6).passed


def test_params_names_shapes_and_initial_values():
    net = sn.Network([3, 4, 2], activation=sn.activation("prelu", alpha=0.1), trainable_params="alpha")
    assert list(net.params) == ["W1", "b1", "alpha1", "W2", "b2"]
    assert net.params["alpha1"].shape == () and float(net.params["alpha1"]) == 0.1
    per_unit = sn.Network([3, 4, 2], activation="prelu", trainable_params={1: {"alpha": "unit"}})
    np.testing.assert_array_equal(per_unit.params["alpha1"], np.full(4, 0.25))
    assert per_unit.n_params == 3 * 4 + 4 + 4 + 4 * 2 + 2
    assert "trainable=['alpha1']" in repr(per_unit)


def test_layer_math_derivative_is_sympy_diff():
    act = sn.activation("elu")
    tp = TrainableParam(1, "alpha", "scalar", 1.0)
    m = layer_math(act, [tp])
    z = sp.Symbol("z", real=True)
    assert m.params == (tp.symbol,)
    for value in (-2.0, -0.5, 0.7):
        want = sp.diff(m.f, tp.symbol).subs({z: value, tp.symbol: 1.3})
        assert float(m.dparams[0].subs({z: value, tp.symbol: 1.3})) == pytest.approx(float(want), rel=1e-15)


@pytest.mark.parametrize(
    "spec, message",
    [
        (("gamma",), "no layer's activation has a parameter"),
        ({3: ("alpha",)}, "the layers are 1..2"),
        ({"alpha": "channel"}, "choose one of 'scalar', 'unit'"),
        ({1: ("beta",)}, "layer 1's activation prelu has no parameter 'beta'"),
        (3, "must be a parameter name"),
    ],
)
def test_bad_specs_are_refused_with_the_fix(spec, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sn.Network([2, 3, 1], activation="prelu", trainable_params=spec)


def test_resolve_frees_a_fixed_catalogue_parameter():
    acts, params = resolve(("alpha",), [sn.activation("prelu", alpha=0.1), sn.activation("sigmoid")])
    assert [p.key for p in params] == ["alpha1"] and params[0].init == 0.1
    assert "alpha" in acts[0].kwnames.values()


def test_training_a_prelu_net_moves_alpha_and_lowers_the_loss():
    X, y = sn.data.xor()
    net = sn.Network([2, 4, 1], activation="prelu", output_activation="sigmoid", loss="bce",
                     trainable_params={"alpha": "unit"}, seed=3)  # fmt: skip
    before = net.params["alpha1"].copy()
    for optimizer, lr in (("sgd", 0.5), ("adam", 0.05)):
        loss0 = net.loss_value(X, y)
        history = net.fit(X, y, epochs=150, lr=lr, optimizer=optimizer)
        assert history.loss[-1] < 0.7 * loss0
    assert np.all(np.abs(net.params["alpha1"] - before) > 1e-4)


def test_parameter_named_like_an_optimizer_scalar_trains_with_adam():
    # softplus's beta1 would clash with adam's beta1 argument in the generated code
    X, y = _data()
    net = sn.Network([3, 3, 2], activation="softplus", loss="mse", trainable_params=("beta",), seed=0)
    assert "beta1_" in net.source()
    net.fit(X, y, epochs=5, lr=0.01, optimizer="adam")
    assert float(net.params["beta1"]) != 1.0


def test_output_layer_parameter_gradient():
    X, y = _data()
    net = sn.Network([3, 3, 2], activation=["tanh", "prelu"], loss="huber",
                     trainable_params={2: {"alpha": "unit"}}, seed=1)  # fmt: skip
    np.testing.assert_allclose(net.gradients(X, y)["alpha2"], _central(net, X, y, "alpha2"), rtol=1e-6)


def test_expanded_form_and_backprop_show_the_parameters():
    X, y = _data(d=2, k=1)
    net = sn.Network([2, 2, 1], activation=["prelu", "prelu"], loss="mse",
                     trainable_params={1: {"alpha": "unit"}, 2: "alpha"}, seed=0)  # fmt: skip
    ex = net.expanded()
    assert ex.weights["alpha1"].shape == (1, 2) and ex.weights["alpha2"].shape == (1, 1)
    exact = ex.numeric_gradients(X, y)
    fast = net.gradients(X, y)
    for key in ("alpha1", "alpha2", "W1"):
        np.testing.assert_allclose(fast[key], exact[key], rtol=1e-12, atol=1e-15)
    text = str(net.backprop())
    assert "∂L/∂alpha1 = 1ᵀ ((δ2 W2ᵀ) ⊙ (Z1 if Z1 <= 0 else 0))  (column sums)" in text
    assert r"\frac{\partial L}{\partial \alpha_{2}}" in net.backprop().latex()
    assert "galpha1" in net.source() and "def sgd(lr, W1, b1, alpha1," in net.source()


@pytest.mark.parametrize("spec", [("alpha",), {"alpha": "unit"}, {2: ("alpha",)}])
def test_save_load_round_trip(tmp_path, spec):
    X, y = _data()
    net = sn.Network([3, 4, 2], activation=["prelu", "prelu"], loss="mse", trainable_params=spec, seed=2)
    net.fit(X, y, epochs=10, lr=0.05)
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    assert repr(again) == repr(net) and list(again.params) == list(net.params)
    for key in net.params:
        np.testing.assert_array_equal(again.params[key], net.params[key])
    assert again.loss_value(X, y) == net.loss_value(X, y)


# -- PyTorch: nn.PReLU's weight gradient --------------------------------------------------


@pytest.mark.parametrize("per_unit", [False, True])
def test_prelu_weight_gradient_matches_torch(per_unit):
    torch = pytest.importorskip("torch")
    X, y = _data(n=11, d=3, k=2, seed=5)
    h = 5
    net = sn.Network([3, h, 2], activation=["prelu", "identity"], loss="mse",
                     trainable_params={"alpha": "unit" if per_unit else "scalar"}, seed=4)  # fmt: skip
    net.params["alpha1"] = np.linspace(-0.3, 0.4, h) if per_unit else 0.17
    lin1, lin2 = torch.nn.Linear(3, h).double(), torch.nn.Linear(h, 2).double()
    prelu = torch.nn.PReLU(num_parameters=h if per_unit else 1).double()
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor(net.params["W1"].T))
        lin1.bias.copy_(torch.tensor(net.params["b1"]))
        lin2.weight.copy_(torch.tensor(net.params["W2"].T))
        lin2.bias.copy_(torch.tensor(net.params["b2"]))
        prelu.weight.copy_(torch.tensor(np.atleast_1d(net.params["alpha1"])))
    out = lin2(prelu(lin1(torch.tensor(X))))
    loss = torch.nn.functional.mse_loss(out, torch.tensor(y))
    loss.backward()
    grads = net.gradients(X, y)
    assert net.loss_value(X, y) == pytest.approx(loss.item(), rel=1e-12)
    want = prelu.weight.grad.numpy()
    np.testing.assert_allclose(np.atleast_1d(grads["alpha1"]), want, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["W1"], lin1.weight.grad.numpy().T, rtol=1e-10, atol=1e-14)


def test_swish_trainable_beta_matches_torch_autograd():
    # Swish x sigmoid(beta x) with a trainable beta per unit (Ramachandran et al. 2017)
    torch = pytest.importorskip("torch")
    X, y = _data(n=7, d=3, k=2, seed=8)
    net = sn.Network([3, 4, 2], activation=["swish", "identity"], loss="mse",
                     trainable_params={"beta": "unit"}, seed=6)  # fmt: skip
    assert list(net.params) == ["W1", "b1", "beta1", "W2", "b2"]
    net.params["beta1"] = np.array([0.5, 1.0, 1.7, -0.3])
    p = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in net.params.items()}
    Z = torch.tensor(X) @ p["W1"] + p["b1"]
    out = (Z * torch.sigmoid(p["beta1"] * Z)) @ p["W2"] + p["b2"]
    torch.nn.functional.mse_loss(out, torch.tensor(y)).backward()
    grads = net.gradients(X, y)
    for key in ("beta1", "W1", "b1"):
        np.testing.assert_allclose(grads[key], p[key].grad.numpy(), rtol=1e-10, atol=1e-14)
