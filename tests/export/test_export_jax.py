"""Export to JAX: every activation and loss against symnn's NumPy code (float64, float32),
parameters as differentiable arguments, networks as (params, apply_fn, loss_fn), jax.jit,
and the CLI's standalone module."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import symnn as sn
from symnn.expr.symbolic import derivative
from tests.catalogue.test_losses import CASES, interior, make, pairs
from tests.export.export_cases import (
    disagreements,
    float32_disagreements,
    float32_inputs,
    grid,
    root_points,
)
from tests.nn.netcases import targets_for

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


SIZE = 4000  # every grid padded to one length: JAX compiles each operation once per shape


def _normal(xs, size=SIZE):
    """*xs* without float64 subnormals (XLA on CPU flushes them to zero: binary_step(-1e-308)
    is then binary_step(0) = 1, a property of JAX, not of the exported code), padded with 0."""
    xs = xs[(np.abs(xs) >= np.finfo(np.float64).tiny) | (xs == 0) | np.isnan(xs)]
    assert xs.size <= size
    return np.concatenate([xs, np.zeros(size - xs.size, dtype=xs.dtype)])


def _value_and_grad(fn, xs, jit=False):
    """Value and derivative, op by op (the printed code exactly) or under ``jax.jit``.

    Under ``jit`` XLA contracts ``a*b + c`` into fused multiply-adds, so an exact
    cancellation of O(1) terms (hard swish' = 0 for x < -3) may come out as an ulp of
    the terms instead of 0: the float64 requirement is checked op by op.
    """

    def both(x):
        return fn(x), jax.grad(lambda v: fn(v).sum())(x)

    value, grad = (jax.jit(both) if jit else both)(jnp.asarray(xs))
    return np.asarray(value), np.asarray(grad)


@pytest.mark.parametrize("name", sn.activations())
def test_activation_and_derivative_agree_with_numpy(name):
    act = sn.activation(name)
    fn = act.to_jax()
    xs = _normal(grid(act))
    value, grad = _value_and_grad(fn, xs)
    with np.errstate(all="ignore"):
        ref0, ref1 = act(xs), act.grad(xs)
    assert not disagreements(value, ref0, xs), f"{name}: {disagreements(value, ref0, xs)}"
    assert not disagreements(grad, ref1, xs), f"{name}': {disagreements(grad, ref1, xs)}"
    x32 = _normal(float32_inputs(act))
    value, grad = _value_and_grad(fn, x32, jit=True)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    for order, got in ((0, value), (1, grad)):
        bad = float32_disagreements(got, x32, act, order)
        assert not bad, f"{name} float32 (order {order}): {bad}"


@pytest.mark.parametrize("formula", ["x*tanh(log(1 + exp(x)))", "x/(1 + exp(-x))",
                                     "x/2*(1 + erf(x/sqrt(2)))", "atan(x) + x^3/(1 + x^2)"])  # fmt: skip
def test_user_formulas_export_with_the_same_accuracy(formula):
    act = sn.Activation(formula)
    xs = _normal(grid(act))
    value, grad = _value_and_grad(act.to_jax(), xs)
    with np.errstate(all="ignore"):
        assert not disagreements(value, act(xs), xs)
        assert not disagreements(grad, act.grad(xs), xs)


def test_jit_and_vmap_give_the_same_numbers():
    act = sn.activation("gelu_tanh")
    fn = act.to_jax()
    xs = np.linspace(-30.0, 30.0, 61)
    eager = np.asarray(jax.grad(lambda v: fn(v).sum())(jnp.asarray(xs)))
    per_point = np.asarray(jax.vmap(jax.grad(fn))(jnp.asarray(xs)))
    jitted = _value_and_grad(fn, xs, jit=True)[1]
    for got in (eager, per_point, jitted):
        assert not disagreements(got, act.grad(xs), xs)


@pytest.mark.parametrize(("name", "param"), [("prelu", "alpha"), ("silu", "beta"),
                                             ("soft_exponential", "alpha")])  # fmt: skip
def test_parameters_are_differentiable_arguments(name, param):
    act = sn.activation(name)
    fn = act.to_jax()
    sym = next(p for p in act.params if act.kwnames[p] == param)
    xs = np.linspace(-5, 5, 41)
    value = 0.3
    got = jax.grad(lambda a: fn(jnp.asarray(xs), **{param: a}).sum())(value)
    partial = sn.compile(derivative(act.expr, sym), act.symbol, params=act.params,
                         names=act.kwnames)  # fmt: skip
    assert float(got) == pytest.approx(float(np.sum(partial(xs, **{param: value}))), rel=1e-12)
    np.testing.assert_allclose(np.asarray(fn(jnp.asarray(xs), **{param: value})),
                               act(xs, **{param: value}), rtol=1e-13)  # fmt: skip
    with pytest.raises(TypeError, match="has no parameter 'gamma'"):
        fn(jnp.asarray(xs), gamma=1.0)


@pytest.mark.parametrize("key", sorted(CASES))
def test_losses_agree_with_numpy(key):
    lo = make(key)
    a, t = pairs(key)
    keep = (np.abs(a) >= 2.3e-308) | (a == 0)
    keep &= (np.abs(t) >= 2.3e-308) | (t == 0)
    a, t = a[keep], t[keep]
    pad = 200 - a.size  # one shape for every loss (fewer compilations); (a[0], t[0]) again
    a, t = np.concatenate([a, np.full(pad, a[0])]), np.concatenate([t, np.full(pad, t[0])])
    shape = (-1, 1) if lo.rowwise else (-1,)
    fn = lo.to_jax(reduction="none")
    value, grad = _value_and_grad(lambda v: fn(v, jnp.asarray(t.reshape(shape))), a.reshape(shape))
    with np.errstate(all="ignore"):
        ref0, ref1 = lo.compiled(0)(a, t), lo.compiled(1)(a, t)
    # exp(log 3) - 3 at the optimum: one ulp of the target apart is as close as float64 gets
    near_optimum = 4 * np.finfo(np.float64).eps * np.abs(t)
    assert not disagreements(value, ref0, a, atol=near_optimum), key
    assert not disagreements(grad.ravel(), ref1, a, atol=near_optimum), key
    ra, rt = interior(key, np.random.default_rng(5))
    reduced = [lo.with_reduction(r) for r in ("sum", "mean", "batchmean")]
    fns = [r.to_jax() for r in reduced]
    results = jax.jit(lambda z: [jax.value_and_grad(lambda q, f=f: f(q, rt))(z) for f in fns])(
        jnp.asarray(ra)
    )
    for r, (v, g) in zip(reduced, results, strict=True):
        assert float(v) == pytest.approx(r.value(ra, rt), rel=1e-12, abs=1e-300), r.reduction
        np.testing.assert_allclose(np.asarray(g), r.grad(ra, rt), rtol=1e-12, atol=1e-300)


def test_softmax_cross_entropy_with_class_indices_and_extreme_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [40.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    idx = np.array([1, 0, 2])
    for options in ({}, {"label_smoothing": 0.1}, {"weight": (1.0, 2.0, 0.5)}):
        lo = sn.loss("softmax_cross_entropy", **options)
        fn = jax.jit(lo.to_jax())
        v, g = jax.value_and_grad(lambda q, fn=fn: fn(q, jnp.asarray(idx)))(jnp.asarray(z))
        assert float(v) == pytest.approx(lo.value(z, idx), rel=1e-12), options
        np.testing.assert_allclose(np.asarray(g), lo.grad(z, idx), rtol=1e-12, atol=1e-300)


def test_network_as_params_apply_fn_and_loss_fn_and_back():
    net = sn.Network([4, 6, 3], activation="tanh", loss="cross_entropy", seed=2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    Y = targets_for(net.loss, 10, 3, rng)
    params, apply_fn, loss_fn = net.to_jax()
    assert sorted(params) == ["W1", "W2", "b1", "b2"] and params["W1"].shape == (4, 6)
    loss, grads = jax.jit(jax.value_and_grad(loss_fn))(params, X, Y)
    assert float(loss) == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    for key, g in net.gradients(X, Y).items():
        np.testing.assert_allclose(np.asarray(grads[key]), g, rtol=1e-10, atol=1e-14, err_msg=key)
    probs = jax.nn.softmax(apply_fn(params, X))
    np.testing.assert_allclose(np.asarray(probs), net.predict(X), rtol=1e-12)
    # three plain gradient steps in JAX, then back into symnn
    step = jax.jit(lambda p: jax.tree_util.tree_map(lambda w, g: w - 0.5 * g, p,
                                                    jax.grad(loss_fn)(p, X, Y)))  # fmt: skip
    for _ in range(3):
        params = step(params)
    trained = float(loss_fn(params, X, Y))
    net.load_weights_from(params)
    assert net.loss_value(X, Y) == pytest.approx(trained, rel=1e-12)
    with pytest.raises(ValueError, match="missing b2"):
        net.load_weights_from({k: v for k, v in params.items() if k != "b2"})


def test_cli_writes_a_standalone_jax_module(tmp_path):
    from symnn.cli import main

    out = tmp_path / "sp.py"
    assert main(["export", "softplus", "--to", "jax", "--out", str(out)]) == 0
    spec = importlib.util.spec_from_file_location("sp", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    act = sn.activation("softplus")
    xs = _normal(grid(act))
    value, grad = _value_and_grad(mod.softplus_function, xs)
    assert not disagreements(value, act(xs), xs)
    assert not disagreements(grad, act.grad(xs), xs)
    assert float(jax.grad(mod.softplus_function, argnums=1)(2.0, 1.0)) == pytest.approx(
        float(sn.compile(derivative(act.expr, next(iter(act.params))), act.symbol,
                         params=act.params)(2.0)), rel=1e-12)  # fmt: skip


@pytest.mark.parametrize("name", ["sqnl", "gelu", "sinc", "soft_exponential"])
def test_jit_keeps_the_near_root_polynomials_and_limits(name):
    """Under jax.jit the root windows (XLA must not fold the root's low parts away) and the
    limits at +-inf are applied: SQNL'(2 - 2**-52) is 1.11e-16, not 0."""
    act = sn.activation(name)
    xs = _normal(np.concatenate([root_points(act), [-np.inf, np.inf, np.nan, 0.5, -3.0]]))
    fn = act.to_jax()
    value, grad = _value_and_grad(fn, xs, jit=True)
    with np.errstate(all="ignore"):
        assert not disagreements(value, act(xs), xs), name
        assert not disagreements(grad, act.grad(xs), xs), name
    other = jax.jit(lambda v: fn(v, alpha=0.3))(xs) if name == "soft_exponential" else None
    if other is not None:  # away from the defaults: the formula, as symnn's NumPy code
        with np.errstate(all="ignore"):
            assert not disagreements(np.asarray(other), act(xs, alpha=0.3), xs)


def test_trainable_activation_parameters_are_in_params():
    net = sn.Network([3, 4, 2], activation="prelu", trainable_params={"alpha": "unit"}, loss="mse",
                     seed=0)  # fmt: skip
    net.params["alpha1"] = np.array([0.1, 0.2, 0.3, 0.4])
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(7, 3)), targets_for(net.loss, 7, 2, rng)
    params, _, loss_fn = net.to_jax()
    value, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    assert float(value) == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    np.testing.assert_allclose(np.asarray(grads["alpha1"]), net.gradients(X, Y)["alpha1"],
                               rtol=1e-10, atol=1e-15)  # fmt: skip
    params["alpha1"] = params["alpha1"] + 0.5
    net.load_weights_from(params)
    np.testing.assert_allclose(net.params["alpha1"], [0.6, 0.7, 0.8, 0.9], rtol=1e-15)
