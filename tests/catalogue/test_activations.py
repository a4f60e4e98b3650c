"""The activation catalogue: derivatives, parameters, LaTeX, errors, user-defined entries."""

from __future__ import annotations

import io

import matplotlib.mathtext
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import symnn as sn
from symnn.catalogue.activations import x

NAMES = sn.activations()


def central_difference(f, t, h=1e-6):
    return (f(t + h) - f(t - h)) / (2 * h)


def smooth_points(act, n=41):
    """Points away from kinks, where the central difference is meaningful."""
    pts = np.linspace(-6.3, 6.1, n)
    kinks = [float(k) for k in act.kinks]
    return np.array([p for p in pts if all(abs(p - k) > 1e-3 for k in kinks)])


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    act = sn.activation(name)
    pts = smooth_points(act)
    fd = central_difference(act, pts)
    np.testing.assert_allclose(act.grad(pts), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_second_derivative_matches_differences_of_the_first(name):
    act = sn.activation(name)
    pts = smooth_points(act, 17)
    fd = central_difference(lambda t: act.grad(t), pts)
    np.testing.assert_allclose(act.grad(pts, order=2), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_symbolic_derivative_equals_sympy_diff(name):
    act = sn.activation(name)
    raw = sp.diff(act.expr, act.symbol)
    rng = np.random.default_rng(1)
    subs = {p: v for p, v in act.params.items()}
    for t in rng.uniform(-5, 5, 6):
        if any(abs(t - float(k)) < 1e-6 for k in act.kinks):
            continue
        at = {**subs, x: sp.Float(t, 40)}
        mine, theirs = sp.N(act.derivative.subs(at), 30), sp.N(raw.subs(at), 30)
        # (1e-15, not less: SymPy caches subs results across Floats of equal value)
        assert abs(mine - theirs) <= 1e-15 * (1 + abs(theirs))


@pytest.mark.parametrize("name", NAMES)
def test_latex_renders_with_mathtext(name):
    act = sn.activation(name)
    for order in (0, 1):
        text = act.latex(order)
        matplotlib.mathtext.math_to_image(f"${_mathtext(text)}$", io.BytesIO(), format="png")


def _mathtext(s):
    """Mathtext has no cases environment; the plot labels use the same conversion."""
    from symnn._tex import to_mathtext

    return to_mathtext(s)


@pytest.mark.parametrize("name", NAMES)
def test_repr_latex_and_str(name):
    act = sn.activation(name)
    assert act._repr_latex_().startswith("$")
    assert name in repr(act)
    assert str(act).startswith(f"{name}(x) = ")


def test_kink_conventions_follow_pytorch():
    g = lambda name, t, **kw: float(sn.activation(name, **kw).grad(t))  # noqa: E731
    assert g("relu", 0.0) == 0.0
    assert g("leaky_relu", 0.0) == pytest.approx(0.01)
    assert g("leaky_relu", 0.0, alpha=0.2) == pytest.approx(0.2)
    assert g("hard_tanh", -1.0) == 0.0 and g("hard_tanh", 1.0) == 0.0
    assert g("relu6", 0.0) == 0.0 and g("relu6", 6.0) == 0.0
    assert g("hard_sigmoid", -3.0) == 0.0 and g("hard_sigmoid", 3.0) == 0.0
    for name in ("hardshrink", "softshrink"):
        assert g(name, -0.5) == 0.0 and g(name, 0.5) == 0.0 and g(name, 0.0) == 0.0
        assert g(name, 0.6) == 1.0 and g(name, -0.6) == 1.0
    assert g("elu", 0.0) == pytest.approx(1.0)
    assert g("elu", 0.0, alpha=0.5) == pytest.approx(0.5)
    assert g("celu", 0.0, alpha=2.0) == pytest.approx(1.0)
    assert g("selu", 0.0) == pytest.approx(1.6732632423543772 * 1.0507009873554805)
    hs = sn.activation("hard_swish")
    np.testing.assert_allclose(
        hs.grad([-4.0, -3.0, -2.0, 0.0, 2.0, 3.0, 4.0]),
        [0.0, 0.0, -2 / 3 + 0.5, 0.5, 2 / 3 + 0.5, 1.0, 1.0],
    )


def test_softplus_is_exact_unless_a_threshold_is_asked_for():
    sp_exact = sn.activation("softplus")
    assert float(sp_exact(30.0)) == pytest.approx(30 + np.exp(-30), rel=1e-15)
    sp_thr = sn.activation("softplus", threshold=20)
    assert float(sp_thr(30.0)) == 30.0
    assert float(sp_thr(10.0)) == pytest.approx(float(mpmath.log1p(mpmath.exp(10))), rel=1e-15)


def test_parameters_are_substituted_everywhere():
    act = sn.activation("leaky_relu", alpha=0.2)
    alpha = sp.Symbol("alpha", positive=True)
    assert alpha not in act.expr.free_symbols
    assert act.params == {}
    assert act.expr == sp.Piecewise((x / 5, x <= 0), (x, True))
    assert act.derivative == sp.Piecewise((sp.Rational(1, 5), x <= 0), (1, True))
    assert r"\frac{x}{5}" in act.latex()
    assert float(act(-1.0)) == pytest.approx(-0.2)
    assert float(act.grad(-1.0)) == pytest.approx(0.2)


def test_default_parameters_stay_symbolic_and_can_be_overridden_at_call_time():
    elu = sn.activation("elu")
    assert {p.name for p in elu.params} == {"alpha"}
    assert r"\alpha" in elu.latex()
    assert float(elu(-1.0)) == pytest.approx(np.expm1(-1.0))
    assert float(elu(-1.0, alpha=2.0)) == pytest.approx(2 * np.expm1(-1.0))


def test_prelu_keeps_alpha_symbolic():
    prelu = sn.activation("prelu")
    (alpha,) = prelu.params
    assert alpha in prelu.expr.free_symbols
    assert sp.diff(prelu.expr, alpha).subs(x, -2) == -2


def test_aliases_resolve():
    assert sn.activation("logistic").name == "sigmoid"
    assert sn.activation("swish").name == "silu"
    assert sn.activation("Leaky-ReLU").name == "leaky_relu"
    assert sn.activation("linear").name == "identity"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'; did you mean 'relu'"):
        sn.activation("rleu")
    with pytest.raises(ValueError, match=r"symnn\.activations"):
        sn.activation("zzzzzz")


def test_a_formula_where_a_name_is_expected_gets_a_hint():
    with pytest.raises(
        ValueError, match=r"looks like a formula.*symnn\.Activation\('x\*tanh\(x\)'\)"
    ):
        sn.activation("x*tanh(x)")
    assert sn.activation("Leaky-ReLU").name == "leaky_relu"  # a hyphen in a name is fine


def test_unknown_parameter_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"elu has no parameter 'alhpa'; did you mean 'alpha'"):
        sn.activation("elu", alhpa=2)
    with pytest.raises(ValueError, match="its parameters: none"):
        sn.activation("relu", alpha=2)


def test_bad_parameter_values_are_refused():
    with pytest.raises(TypeError, match="must be a number"):
        sn.activation("elu", alpha="big")
    with pytest.raises(ValueError, match="finite"):
        sn.activation("elu", alpha=float("nan"))


def test_bad_inputs_to_numerics_are_refused():
    with pytest.raises(TypeError, match="relu: the input must be numbers"):
        sn.activation("relu")(["a", "b"])


def test_sigmoid_derivative_is_compact():
    d = sn.activation("sigmoid").derivative
    s = sn.sigmoid(x)
    assert sp.simplify(d - s * (1 - s)) == 0
    assert sp.count_ops(d) <= 4
    assert sn.activation("sigmoid").derivative_in_output == sp.Symbol("a", real=True) * (
        1 - sp.Symbol("a", real=True)
    )


def test_sigmoid_latex_is_the_textbook_definition():
    assert sn.activation("sigmoid").latex() == r"\sigma(x) = \frac{1}{1 + e^{- x}}"


def test_higher_derivatives_on_request():
    tanh = sn.activation("tanh")
    t = sp.tanh(x)
    assert sp.simplify(tanh.diff(2) - sp.diff(t, x, 2)) == 0
    assert sp.simplify(tanh.diff(3) - sp.diff(t, x, 3)) == 0
    assert tanh.latex(2).startswith(r"\tanh''(x)")
    assert tanh.latex(4).startswith(r"\tanh^{(4)}(x)")
    with pytest.raises(ValueError, match="non-negative integer"):
        tanh.diff(-1)


def test_identity_returns_a_new_array():
    a = np.array([1.0, 2.0])
    out = sn.activation("identity")(a)
    out[0] = 5
    assert a[0] == 1.0


def test_user_defined_activation_behaves_like_a_builtin():
    t = sp.Symbol("t")
    mine = sn.Activation(t * sp.tanh(sp.log(1 + sp.exp(t))), name="my_mish")
    mish = sn.activation("mish")
    pts = np.linspace(-30, 30, 301)
    np.testing.assert_allclose(mine(pts), mish(pts), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(mine.grad(pts), mish.grad(pts), rtol=1e-12, atol=1e-300)
    assert mine.latex().startswith(r"\operatorname{my_mish}(t) =") or "my" in mine.latex()


def test_user_defined_activation_with_parameters():
    a, z = sp.symbols("a z")
    act = sn.Activation(z * sp.tanh(a * z), params={"a": 2.0}, name="scaled")
    assert float(act(1.0)) == pytest.approx(np.tanh(2.0))
    assert float(act(1.0, a=1.0)) == pytest.approx(np.tanh(1.0))
    assert float(act.with_params(a=3).grad(0.5)) == pytest.approx(
        np.tanh(1.5) + 0.5 * 3 / np.cosh(1.5) ** 2
    )


def test_user_defined_activation_errors():
    a, z = sp.symbols("a z")
    with pytest.raises(ValueError, match="without a default value"):
        sn.Activation(z * a, symbol=z)
    with pytest.raises(ValueError, match="say which one is the input"):
        sn.Activation(z * a)
    with pytest.raises(TypeError, match="SymPy expression"):
        sn.Activation(sp.Eq(z, 1))


@given(st.floats(-700, 700, allow_nan=False))
def test_log_sigmoid_and_softplus_agree(t):
    ls = float(sn.activation("log_sigmoid")(t))
    spl = float(sn.activation("softplus")(-t))
    assert ls == pytest.approx(-spl, rel=1e-15, abs=1e-300)


@given(st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from(NAMES))
def test_values_are_finite_without_warnings(t, name):
    act = sn.activation(name)
    with np.errstate(all="raise", under="ignore"):
        assert np.isfinite(act(t)) and np.isfinite(act.grad(t))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "sinc", "softplus"])
def test_repr_shows_the_definition_not_the_name_again(name):
    act = sn.activation(name)
    rhs = str(act).split(" = ", 1)[1]
    assert f"{name}(" not in rhs, str(act)
    values = {p.name: v for p, v in act.params.items()} | {"x": sp.Rational(3, 7)}
    shown = sn.parse(rhs)
    value = float(shown.xreplace({s: values[s.name] for s in shown.free_symbols}))
    assert value == pytest.approx(float(act(3 / 7)), rel=1e-14)
