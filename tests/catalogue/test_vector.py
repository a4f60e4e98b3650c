"""Vector activations: symbolic Jacobians against their closed forms, numbers against mpmath,
finite differences and PyTorch (optional), stability, networks with these layers (gradcheck)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.catalogue.vector import (
    NOT_APPLICABLE,
    REGISTRY,
    VectorActivation,
    as_layer_activation,
    vector_activation,
    vector_activations,
)

NAMES = vector_activations()


def test_registry_entries_are_family_vector():
    assert NAMES == ["softmax", "log_softmax", "glu", "reglu", "geglu", "swiglu", "maxout"]
    assert {e.family for e in REGISTRY} == {"vector"}
    assert "vector" in sn.catalogue.activations.FAMILIES
    assert as_layer_activation("logsoftmax").name == "log_softmax"
    assert isinstance(as_layer_activation("relu"), sn.Activation)  # scalar API untouched
    with pytest.raises(ValueError, match="only maxout has pieces"):
        vector_activation("glu", k=3)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "glu", "reglu", "geglu", "swiglu"])
def test_symbolic_jacobian_equals_the_closed_form(name):
    f = vector_activation(name)
    units = 3 if "softmax" in name else 2
    diff = (f.jacobian(units) - f.closed_jacobian(units)).applyfunc(
        lambda e: sp.simplify(sp.expand(e.rewrite(sp.exp)))
    )
    assert diff == sp.zeros(*diff.shape)


def test_jacobians_are_printed():
    sm = vector_activation("softmax")
    assert sm.jacobian_text == "J = diag(s) − s sᵀ"
    assert sm.latex(1).startswith(r"J = \operatorname{diag}(s) - s s^{\top} = \left[\begin{matrix}")
    assert "a ⊙ g'(b)" in vector_activation("swiglu").jacobian_text
    assert r"\operatorname{SwiGLU}(z) = " in vector_activation("swiglu").latex(0)
    assert "k=3" in repr(vector_activation("maxout", k=3))


def _mp_outputs(f: VectorActivation, z: np.ndarray) -> np.ndarray:
    """The definition evaluated with mpmath at 50 digits."""
    units = z.size // f.in_width(1)
    zs = f.symbols(z.size)
    exprs = f.expr(units)
    fn = sp.lambdify(zs, list(exprs), modules="mpmath")
    with mpmath.workdps(50):
        return np.array([float(v) for v in fn(*[mpmath.mpf(float(v)) for v in z])])


@pytest.mark.parametrize("name", NAMES)
def test_values_match_mpmath(name):
    f = vector_activation(name)
    rng = np.random.default_rng(1)
    for scale in (0.5, 5.0, 30.0):
        z = rng.normal(size=4 * f.in_width(1) // (2 if f.kind == "glu" else 1)) * scale
        z = z[: (z.size // f.in_width(1)) * f.in_width(1)]
        got = f(z[None, :])[0]
        want = _mp_outputs(f, z)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**16))
def test_backward_matches_central_differences(name, seed):
    f = vector_activation(name, k=3) if name == "maxout" else vector_activation(name)
    rng = np.random.default_rng(seed)
    m = 2 * f.in_width(1) if f.kind != "glu" else 4
    Z = rng.normal(size=(3, m)) * 2
    A = f(Z)
    G = rng.normal(size=A.shape)
    got = f.vjp(Z, G)
    h = 1e-6
    fd = np.empty_like(Z)
    for idx in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = np.sum(G * (f(up) - f(down))) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "glu", "geglu", "swiglu"])
def test_numeric_jacobian_matches_the_symbolic_one(name):
    f = vector_activation(name)
    z = np.array([0.3, -1.2, 2.0, 0.7])
    units = z.size // f.in_width(1)
    J = f.jacobian(units).subs(dict(zip(f.symbols(z.size), z, strict=True)))
    np.testing.assert_allclose(
        f.grad_at(z), np.array(J.evalf(30), dtype=float), rtol=1e-12, atol=1e-15
    )


def test_softmax_and_log_softmax_are_stable_at_the_float_limits():
    Z = np.array([[1e308, -1e308, 0.0], [-1e308, -1e308, -1e308], [700.0, 800.0, 900.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            s = vector_activation("softmax")(Z)
            ls = vector_activation("log_softmax")(Z[2:])
            lfar = vector_activation("log_softmax")(Z[:1])
    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(lfar[0], [0.0, -np.inf, -1e308])  # -2e308 is past float64
    np.testing.assert_allclose(s[1], [1 / 3] * 3, rtol=1e-15)
    tail = np.log1p(np.exp(-100) + np.exp(-200))
    np.testing.assert_allclose(ls[0], [-200 - tail, -100 - tail, -tail], rtol=1e-15)


def test_maxout_sends_the_gradient_to_the_first_largest_piece():
    f = vector_activation("maxout", k=3)
    Z = np.array([[1.0, 5.0, 5.0, -1.0, -2.0, -3.0]])
    np.testing.assert_array_equal(f(Z), [[5.0, -1.0]])
    np.testing.assert_array_equal(f.vjp(Z, np.array([[2.0, 3.0]])), [[0, 2.0, 0, 3.0, 0, 0]])


def test_bad_widths_are_refused():
    with pytest.raises(ValueError, match="positive multiple of 2"):
        vector_activation("glu")(np.ones((2, 3)))


@pytest.mark.parametrize("name", NAMES)
def test_properties_hold_on_samples_and_at_zero(name):
    f = vector_activation(name)
    props = f.properties
    assert props["monotonic"] == NOT_APPLICABLE and props["limit_pos_inf"] == NOT_APPLICABLE
    values = f.sample_outputs(units=3, n=400)
    # floats round e^-100 next to 1 to 1.0: the samples lie in the closure of the open range
    assert all(bool(props["range"].closure.contains(float(v))) for v in values.ravel()[::7])
    K = sp.Symbol("K", positive=True, integer=True)
    for units in (2, 3, 5):
        zero = f.expr(units).subs(dict.fromkeys(f.symbols(f.in_width(units)), 0))
        assert all(
            sp.simplify(v - props["value_at_zero"].subs(K, f.in_width(units))) == 0 for v in zero
        )
    assert props["zero_centred"] == bool(values.min() < 0 < values.max())
    assert props["continuity"] == {"reglu": 0, "maxout": 0}.get(name, sp.oo)


# -- PyTorch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reference",
    [
        ("softmax", lambda t, F: F.softmax(t, dim=-1)),
        ("log_softmax", lambda t, F: F.log_softmax(t, dim=-1)),
        ("glu", lambda t, F: F.glu(t, dim=-1)),
        ("reglu", lambda t, F: t[:, :3] * F.relu(t[:, 3:])),
        ("geglu", lambda t, F: t[:, :3] * F.gelu(t[:, 3:])),
        ("swiglu", lambda t, F: t[:, :3] * F.silu(t[:, 3:])),
    ],
)
def test_values_and_backward_match_torch(name, reference):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    f = vector_activation(name)
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5, 6)) * 4
    Z[0] = [300.0, -300.0, 0.0, 80.0, -80.0, 1.0]
    t = torch.tensor(Z, requires_grad=True)
    out = reference(t, F)
    G = rng.normal(size=tuple(out.shape))
    out.backward(torch.tensor(G))
    # atol: log_softmax of the largest input is -e^-220 here, which PyTorch rounds to 0
    np.testing.assert_allclose(f(Z), out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f.vjp(Z, G), t.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- networks -----------------------------------------------------------------------------

NETS = [
    ("glu", "log_softmax", "nll"),
    ("swiglu", "softmax", "mse"),
    ("reglu", "identity", "mse"),
    ("geglu", "softmax", "cross_entropy"),
    ("maxout", "sigmoid", "bce"),
    ("softmax", "glu", "mse"),
]


@pytest.mark.parametrize("hidden, out, loss", NETS)
def test_networks_with_vector_layers_pass_gradcheck(hidden, out, loss):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    output = vector_activation(out) if out in NAMES else out
    net = sn.Network([3, 4, 3], activation=hidden, output_activation=output, loss=loss, seed=1)
    assert net.params["W1"].shape == (3, vector_activation(hidden).in_width(4))
    if out == "glu":
        assert net.params["W2"].shape == (4, 6)
    report = sn.gradcheck(net, X, Y, tolerance=1e-6)
    assert report.passed, report
    # the expanded form of a softmax layer (hidden or output) takes minutes to differentiate:
    # those nets are checked by gradcheck above; the others also against sympy.diff, on three
    # of the samples (the expanded loss has one term per sample: 17 s for six with log_softmax)
    if net.n_params <= 60 and "softmax" not in (hidden, out):
        exact = net.expanded().numeric_gradients(X[:3], Y[:3])
        for key, g in net.gradients(X[:3], Y[:3]).items():
            np.testing.assert_allclose(g, exact[key], rtol=1e-9, atol=1e-13)


def test_vector_network_trains_saves_and_prints(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=60)
    X = rng.normal(size=(60, 2)) + np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])[y]
    Y = np.eye(3)[y]
    net = sn.Network(
        [2, 6, 3], activation="swiglu", output_activation="log_softmax", loss="nll", seed=0
    )
    history = net.fit(X, Y, epochs=60, lr=0.05, optimizer="adam")
    assert history.loss[-1] < 0.5 * history.loss[0]
    again = sn.load(sn.save(net, tmp_path / "v.npz"))
    assert repr(again) == repr(net) and again.loss_value(X, Y) == net.loss_value(X, Y)
    text = str(net.backprop())
    assert "δ2 = (1/n (-Y)) J2  (row by row; J2 = I − 1 sᵀ  (s = softmax(z)) at Z2)" in text
    assert "swiglu1_backward(Z1, A1, G1)" in net.source()
    assert "A1 = swiglu(Z1)" in str(net.formula())


def test_softmax_output_object_with_cross_entropy_is_fused():
    net = sn.Network(
        [2, 3, 3], output_activation=vector_activation("softmax"), loss="cross_entropy"
    )
    assert net.softmax_output and net.spec.fused_softmax


def test_graph_and_second_order_refuse_vector_layers_and_trainable_parameters():
    X, Y = np.ones((2, 2)), np.eye(2)
    nets = [
        sn.Network([2, 2, 2], activation="swiglu", loss="mse"),
        sn.Network([2, 2, 2], activation="prelu", loss="mse", trainable_params=("alpha",)),
    ]
    for net in nets:
        calls = (
            lambda n=net: n.graph(X, Y),
            lambda n=net: n.hvp_equations(),
            lambda n=net: n.walkthrough(X, Y),
        )
        for call in calls:
            with pytest.raises(ValueError, match=r"net\.gradients"):
                call()
        from symnn.nn.curvature import hvp

        with pytest.raises(ValueError, match=r"net\.gradients"):
            hvp(net, X, Y, np.ones(net.n_params))
