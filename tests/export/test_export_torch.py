"""Export to PyTorch: every activation and loss against symnn's NumPy code (float64, float32),
trainable parameters, networks and the way back, torch.compile, CUDA, the CLI's module."""

from __future__ import annotations

import importlib.util
import math

import mpmath
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
    train_in_torch,
)
from tests.nn.netcases import output_activation_for, targets_for
from tests.oracle import mp_function

torch = pytest.importorskip("torch")


def _value_and_grad(module, xs, dtype=torch.float64):
    x = torch.tensor(xs, dtype=dtype, requires_grad=True)
    y = module(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name", sn.activations())
def test_activation_and_derivative_agree_with_numpy_float64(name):
    act = sn.activation(name)
    xs = grid(act)
    value, grad = _value_and_grad(act.to_torch(), xs)
    with np.errstate(all="ignore"):
        ref0, ref1 = act(xs), act.grad(xs)
    assert not disagreements(value, ref0, xs), f"{name}: {disagreements(value, ref0, xs)}"
    assert not disagreements(grad, ref1, xs), f"{name}': {disagreements(grad, ref1, xs)}"


@pytest.mark.parametrize("name", sn.activations())
def test_float32_agrees_to_float32_precision(name):
    act = sn.activation(name)
    x32 = float32_inputs(act)
    module = act.to_torch(dtype=torch.float32)
    value, grad = _value_and_grad(module, x32, torch.float32)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    for order, got in ((0, value), (1, grad)):
        bad = float32_disagreements(got, x32, act, order)
        assert not bad, f"{name} (order {order}): {bad}"


USER_FORMULAS = ["x*tanh(log(1 + exp(x)))", "x/(1 + exp(-x))", "x/2*(1 + erf(x/sqrt(2)))",
                 "log(1 + exp(x))", "x*tanh(x)", "atan(x) + x^3/(1 + x^2)"]  # fmt: skip


@pytest.mark.parametrize("formula", USER_FORMULAS)
def test_user_formulas_export_with_the_same_accuracy(formula):
    act = sn.Activation(formula)
    xs = grid(act)
    value, grad = _value_and_grad(act.to_torch(), xs)
    with np.errstate(all="ignore"):
        assert not disagreements(value, act(xs), xs)
        assert not disagreements(grad, act.grad(xs), xs)


def test_tails_where_pytorch_builtins_lose_every_digit():
    """sigmoid'(37): PyTorch's own backward has relative error 1; the export has symnn's."""
    act = sn.activation("sigmoid")
    xs = np.array([-700.0, -37.0, 37.0, 40.0, 700.0])
    _, grad = _value_and_grad(act.to_torch(), xs)
    true = mp_function(act.derivative, act.symbol)
    for x, g in zip(xs, grad, strict=True):
        t = true(float(x))
        assert abs(mpmath.mpf(float(g)) - t) <= 1e-13 * abs(t), (x, g, t)
    x = torch.tensor([37.0], dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).backward()
    builtin = float(x.grad[0])
    assert abs(builtin - float(true(37.0))) / float(true(37.0)) > 0.5  # the measurement


@pytest.mark.parametrize(("name", "lo", "hi"), [("sigmoid", -700.0, 5.0), ("tanh", -2.5, 2.5)])
def test_pytorchs_one_pass_backward_only_where_it_keeps_the_digits(name, lo, hi):
    """Every input in [lo, hi]: the backward is PyTorch's own from the result (the result is
    what is saved), within 1e-13 of mpmath up to the ends of the range; one input beyond
    and symnn's exact form runs (the input is saved), 1e-13 in the tail too."""
    act = sn.activation(name)
    true = mp_function(act.derivative, act.symbol)
    near = np.logspace(-15, 0, 60)
    tame = np.concatenate([np.linspace(lo, hi, 1001), hi - near, [hi, 0.0, -0.0, 1e-300]])
    if lo > -10:
        tame = np.concatenate([tame, lo + near, [lo]])
    for xs, saves_result in ((tame, True), (np.append(tame, np.nextafter(hi, np.inf)), False)):
        x = torch.tensor(xs, requires_grad=True)
        y = act.to_torch()(x)
        saved = y.grad_fn.saved_tensors[0]
        assert saved.data_ptr() == (y if saves_result else x).data_ptr()
        y.sum().backward()
        got = x.grad.numpy()
        for v, g in zip(xs, got, strict=True):
            t = true(float(v))
            assert abs(mpmath.mpf(float(g)) - t) <= 1e-13 * abs(t), (name, v, g, t)
    # float32: never from the result (the range would cost up to 90 ulps): a few ulps
    x32 = torch.tensor(tame[np.abs(tame) >= 1e-30], dtype=torch.float32, requires_grad=True)
    y32 = act.to_torch(dtype=torch.float32)(x32)
    assert y32.grad_fn.saved_tensors[0].data_ptr() == x32.data_ptr()
    y32.sum().backward()
    x64 = x32.detach().numpy().astype(np.float64)
    ref = act.grad(x64)
    keep = np.abs(ref) >= 1e-30
    rel = np.abs(x32.grad.numpy()[keep] - ref[keep]) / np.abs(ref[keep])
    assert rel.max() <= 4 * np.finfo(np.float32).eps, (name, rel.max())


def test_kink_conventions_carry_over():
    cases = {"relu": (0.0, 0.0), "leaky_relu": (0.0, 0.01), "hard_tanh": (1.0, 0.0),
             "relu6": (6.0, 0.0), "hard_sigmoid": (-3.0, 0.0), "elu": (0.0, 1.0)}  # fmt: skip
    for name, (x0, expected) in cases.items():
        _, grad = _value_and_grad(sn.activation(name).to_torch(), np.array([x0]))
        assert grad[0] == expected, name


@pytest.mark.parametrize(("name", "param"), [("prelu", "alpha"), ("elu", "alpha"),
                                             ("silu", "beta"), ("softplus", "beta")])  # fmt: skip
def test_trainable_parameters_get_the_symbolic_partial(name, param):
    act = sn.activation(name)
    module = act.to_torch(trainable=(param,))
    assert [n for n, _ in module.named_parameters()] == [param]
    xs = np.linspace(-30, 30, 121)
    x = torch.tensor(xs)
    module(x).sum().backward()
    got = float(getattr(module, param).grad)
    sym = next(p for p in act.params if act.kwnames[p] == param)
    partial = sn.compile(derivative(act.expr, sym), act.symbol, params=act.params,
                         names=act.kwnames)  # fmt: skip
    assert got == pytest.approx(float(np.sum(partial(xs))), rel=1e-12)
    # and against central finite differences of the forward pass
    h, value = 1e-6, act.params[sym]
    up = np.sum(act(xs, **{param: value + h}))
    down = np.sum(act(xs, **{param: value - h}))
    assert got == pytest.approx((up - down) / (2 * h), rel=1e-6)
    # one optimiser step moves the parameter
    before = getattr(module, param).item()
    torch.optim.SGD(module.parameters(), lr=1e-3).step()
    assert getattr(module, param).item() == pytest.approx(before - 1e-3 * got)


def test_parameters_not_trained_are_buffers_and_unknown_names_are_refused():
    module = sn.activation("celu").to_torch()
    assert not list(module.parameters())
    assert [n for n, _ in module.named_buffers()] == ["alpha"] and float(module.alpha) == 1.0
    with pytest.raises(ValueError, match=r"elu has no parameter 'beta'.*'alpha'"):
        sn.activation("elu").to_torch(trainable=("beta",))


# ------------------------------------------------------------------------------
# losses
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(CASES))
def test_loss_elements_and_gradients_agree_with_numpy(key):
    lo = make(key)
    a, t = pairs(key)
    module = lo.to_torch(reduction="none")
    shape = (-1, 1) if lo.rowwise else (-1,)  # row-wise: one class per row, so rows = elements
    yhat = torch.tensor(a.reshape(shape), requires_grad=True)
    value = module(yhat, torch.tensor(t.reshape(shape)))
    value.sum().backward()
    with np.errstate(all="ignore"):
        ref0, ref1 = lo.compiled(0)(a, t), lo.compiled(1)(a, t)
    assert not disagreements(value.detach().numpy(), ref0, a), key
    assert not disagreements(yhat.grad.numpy().ravel(), ref1, a), key


@pytest.mark.parametrize("key", [*sorted(CASES), "softmax_cross_entropy"])
@pytest.mark.parametrize("reduction", ["sum", "mean", "batchmean"])
def test_reduced_losses_agree_with_value_and_grad(key, reduction):
    lo = (make(key) if key in CASES else sn.loss(key)).with_reduction(reduction)
    rng = np.random.default_rng(3)
    if lo.fused_softmax:
        a, t = rng.normal(0, 3, (5, 4)), np.eye(4)[rng.integers(0, 4, 5)]
    else:
        a, t = interior(key, rng)
    yhat = torch.tensor(a, requires_grad=True)
    value = lo.to_torch()(yhat, torch.tensor(t))
    value.backward()
    assert value.item() == pytest.approx(lo.value(a, t), rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(yhat.grad.numpy(), lo.grad(a, t), rtol=1e-12, atol=1e-300)


def test_softmax_cross_entropy_extreme_logits_class_indices_and_options():
    z = np.array([[1000.0, 0.0, -1000.0], [40.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1e300, -1e300, 0]])
    idx = np.array([1, 0, 2, 0])
    for options in ({}, {"label_smoothing": 0.1}, {"weight": (1.0, 2.0, 0.5)}):
        lo = sn.loss("softmax_cross_entropy", **options)
        zt = torch.tensor(z, requires_grad=True)
        value = lo.to_torch()(zt, torch.tensor(idx))  # class indices, as PyTorch takes them
        value.backward()
        assert value.item() == pytest.approx(lo.value(z, idx), rel=1e-12), options
        np.testing.assert_allclose(zt.grad.numpy(), lo.grad(z, idx), rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------------------------
# networks
# ------------------------------------------------------------------------------

NETWORKS = [
    dict(layers=[3, 4, 1], activation="sigmoid", loss="sse", bias=False),
    dict(layers=[4, 6, 5, 3], activation=["tanh", "gelu"], loss="cross_entropy"),
    dict(layers=[2, 8, 2], activation="relu", loss="huber"),
    dict(layers=[3, 5, 1], activation="softplus", loss="bce_with_logits"),
]


def _data(net, n=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.layers[0]))
    return X, targets_for(net.loss, n, net.layers[-1], rng)


@pytest.mark.parametrize("spec", NETWORKS, ids=lambda s: f"{s['layers']}-{s['loss']}")
def test_network_module_has_symnn_loss_gradients_and_predictions(spec):
    net = sn.Network(**spec, seed=1)
    X, Y = _data(net)
    module = net.to_torch()
    params = dict(module.named_parameters())
    loss = module.loss_fn(torch.tensor(X), torch.tensor(Y))
    loss.backward()
    assert float(loss) == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    for key, g in net.gradients(X, Y).items():
        i = int(key[1:]) - 1
        p = params[f"linears.{i}.{'weight' if key[0] == 'W' else 'bias'}"]
        got = p.grad.numpy().T if key[0] == "W" else p.grad.numpy()
        np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-13 * np.abs(g).max(), err_msg=key)
    np.testing.assert_allclose(module.predict(torch.tensor(X)).detach().numpy(), net.predict(X),
                               rtol=1e-12, atol=1e-15)  # fmt: skip


def test_weights_come_back_with_load_weights_from():
    net = sn.Network([3, 5, 2], activation="elu", loss="mse", seed=0)
    X, Y = _data(net)
    module = net.to_torch()
    trained = train_in_torch(module, X, Y, steps=3, lr=0.1)
    assert trained != pytest.approx(net.loss_value(X, Y), rel=1e-6)
    assert net.load_weights_from(module) is net
    assert net.loss_value(X, Y) == pytest.approx(trained, rel=1e-12)
    np.testing.assert_array_equal(net.params["W1"], module.linears[0].weight.detach().numpy().T)
    with pytest.raises(ValueError, match="2 Linear layers but the network has 1"):
        sn.Network([3, 2], loss="mse").load_weights_from(module)


def test_output_activation_for_every_loss_exports():
    for name in sn.losses():
        lo = sn.loss(name)
        net = sn.Network([2, 3, 3], output_activation=output_activation_for(lo), loss=lo, seed=0)
        X, Y = _data(net, n=5)
        got = float(net.to_torch().loss_fn(torch.tensor(X), torch.tensor(Y)))
        assert got == pytest.approx(net.loss_value(X, Y), rel=1e-10), name


# ------------------------------------------------------------------------------
# compile, devices, the standalone module
# ------------------------------------------------------------------------------


@pytest.fixture
def fresh_dynamo():
    """No compiled graphs left from other tests (their recompilation counts included)."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.usefixtures("fresh_dynamo")
@pytest.mark.parametrize("name", ["mish", "sigmoid", "tanh", "relu"])
def test_torch_compile_gives_the_eager_numbers(name):
    """Also for the fused backward passes (their value checks are eager-only)."""
    act = sn.activation(name)
    xs = np.concatenate([np.linspace(-40, 40, 33), [np.nan]])
    eager_value, eager_grad = _value_and_grad(act.to_torch(), xs)
    compiled = torch.compile(act.to_torch(), backend="aot_eager", fullgraph=True)
    value, grad = _value_and_grad(compiled, xs)
    np.testing.assert_allclose(value, eager_value, rtol=1e-14)
    np.testing.assert_allclose(grad, eager_grad, rtol=1e-14)
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)  # tame inputs: the same numbers too
    compiled(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), act.grad(np.array([0.5, -1.0])), rtol=1e-14)


@pytest.mark.usefixtures("fresh_dynamo")
def test_a_dozen_compiled_activations_in_one_session():
    """Each activation's module has a forward of its own, so PyTorch's limit of 8
    recompilations of one forward is not reached by the 9th different activation; two
    modules of one activation share their compiled graph."""
    names = ["relu", "sigmoid", "tanh", "gelu", "mish", "silu", "elu", "softplus",
             "selu", "softsign", "leaky_relu", "hard_sigmoid"]  # fmt: skip
    xs = np.linspace(-5, 5, 11)
    for name in names:
        act = sn.activation(name)
        compiled = torch.compile(act.to_torch(), backend="aot_eager", fullgraph=True)
        value, grad = _value_and_grad(compiled, xs)
        assert not disagreements(value, act(xs), xs), name
        assert not disagreements(grad, act.grad(xs), xs), name
    a, b = sn.activation("mish").to_torch(), sn.activation("mish").to_torch()
    assert type(a) is type(b) and type(a) is not type(sn.activation("gelu").to_torch())
    assert isinstance(a, torch.nn.Module) and type(a).__name__ == "SymnnActivation"


@pytest.mark.usefixtures("fresh_dynamo")
@pytest.mark.parametrize("name", ["sqnl", "gelu", "soft_exponential"])
def test_torch_compile_keeps_the_near_root_polynomials_and_limits(name):
    """Under torch.compile (no data-dependent branches) the root windows and the limits at
    +-inf are applied as in eager mode: SQNL'(2 - 2**-52) is 1.11e-16, not 0."""
    act = sn.activation(name)
    xs = np.concatenate([root_points(act), [-np.inf, np.inf, np.nan, 0.5, -3.0]])
    compiled = torch.compile(act.to_torch(), backend="aot_eager", fullgraph=True)
    value, grad = _value_and_grad(compiled, xs)
    with np.errstate(all="ignore"):
        assert not disagreements(value, act(xs), xs), name
        assert not disagreements(grad, act.grad(xs), xs), name
    if name == "sqnl":
        _, grad = _value_and_grad(compiled, np.array([2 - 2**-52]))
        assert grad[0] == pytest.approx(2**-53, rel=1e-15)


def test_near_roots_only_at_the_default_parameters():
    """With a parameter away from its default the formula is used, as symnn's NumPy code does."""
    act = sn.activation("soft_exponential")
    module = act.to_torch(trainable=("alpha",))
    xs = np.concatenate([root_points(act), [-np.inf, 1.0]])
    with torch.no_grad():
        module.alpha.fill_(0.3)
    value, _ = _value_and_grad(module, xs)
    with np.errstate(all="ignore"):
        assert not disagreements(value, act(xs, alpha=0.3), xs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("name", ["sigmoid", "gelu", "mish", "softplus", "elu"])
def test_cuda_agrees_with_numpy(name):  # pragma: no cover - needs a GPU
    """On a GPU, float64 values and derivatives meet the same 1e-12 against symnn's NumPy."""
    act = sn.activation(name)
    xs = grid(act)
    xs = xs[(np.abs(xs) >= np.finfo(np.float64).tiny) | (xs == 0)]  # no subnormal inputs
    module = act.to_torch().cuda()
    x = torch.tensor(xs, device="cuda", requires_grad=True)
    y = module(x)
    y.sum().backward()
    with np.errstate(all="ignore"):
        ref0, ref1 = act(xs), act.grad(xs)
    assert not disagreements(y.detach().cpu().numpy(), ref0, xs), name
    assert not disagreements(x.grad.cpu().numpy(), ref1, xs), name


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_network_gradients_match_symnn():  # pragma: no cover - needs a GPU
    net = sn.Network([4, 6, 3], activation="tanh", loss="cross_entropy", seed=2)
    X, Y = _data(net)
    module = net.to_torch().cuda()
    loss = module.loss_fn(torch.tensor(X, device="cuda"), torch.tensor(Y, device="cuda"))
    loss.backward()
    assert float(loss.detach().cpu()) == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    g = net.gradients(X, Y)["W1"]
    np.testing.assert_allclose(module.linears[0].weight.grad.cpu().numpy().T, g, rtol=1e-10,
                               atol=1e-13 * np.abs(g).max())  # fmt: skip
    net.load_weights_from(module)  # back from the GPU


def test_cli_writes_a_standalone_module_with_the_same_numbers(tmp_path):
    from symnn.cli import main

    out = tmp_path / "my_mish.py"
    assert main(["export", "x*tanh(log(1 + exp(x)))", "--to", "torch", "--out", str(out)]) == 0
    text = out.read_text()
    assert "symnn" not in text.split('"""', 2)[2].replace("symnn.export", "")  # standalone
    assert "Formula:" in text and "x*tanh(log(exp(x) + 1))" in text
    spec = importlib.util.spec_from_file_location("my_mish", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    act = sn.Activation("x*tanh(log(1 + exp(x)))")
    xs = grid(act)
    value, grad = _value_and_grad(mod.F(), xs)
    assert not disagreements(value, act(xs), xs)
    assert not disagreements(grad, act.grad(xs), xs)
    # with a parameter, as a buffer
    assert main(["export", "elu", "--to", "torch", "--param", "alpha=0.5", "--out",
                 str(tmp_path / "elu.py")]) == 0  # fmt: skip
    spec = importlib.util.spec_from_file_location("elu_mod", tmp_path / "elu.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    value, _ = _value_and_grad(mod.Elu(), np.array([-1.0]))
    assert value[0] == pytest.approx(0.5 * math.expm1(-1.0), rel=1e-15)


def test_a_call_without_counterpart_names_the_users_function(monkeypatch):
    """An ExportError names the function of the user's formula (made missing on purpose here:
    every function a formula may use has a counterpart)."""
    from symnn.export import ExportError
    from symnn.export.codegen import BACKENDS

    monkeypatch.delitem(BACKENDS["torch"].table, "special.erf")
    with pytest.raises(ExportError, match=r"the function erf \(in erf\(x\)\).*scipy\.special\.erf"
                                          r".*no torch counterpart"):  # fmt: skip
        sn.Activation("erf(x) + x/7").to_torch()


@pytest.mark.parametrize("spec", [dict(activation="prelu", trainable_params={"alpha": "unit"}),
                                  dict(activation="silu", trainable_params=("beta",))],
                         ids=["prelu-unit", "silu-scalar"])  # fmt: skip
def test_trainable_activation_parameters_export_and_come_back(spec):
    """Network(trainable_params=...): the parameters are nn.Parameters with net's values (one
    per unit or per layer), their gradients are symnn's, and load_weights_from copies them back."""
    net = sn.Network([3, 4, 2], loss="mse", seed=0, **spec)
    key = net.trainable[0].key
    net.params[key] = np.asarray(net.params[key]) + 0.1  # away from the activation's default
    X, Y = _data(net, n=7)
    module = net.to_torch()
    loss = module.loss_fn(torch.tensor(X), torch.tensor(Y))
    loss.backward()
    assert loss.item() == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    param = getattr(module.activations[0], key[:-1])
    np.testing.assert_allclose(param.grad.numpy(), net.gradients(X, Y)[key], rtol=1e-10, atol=1e-15)
    with torch.no_grad():
        param.add_(0.05)
    net.load_weights_from(module)
    np.testing.assert_allclose(net.params[key], param.detach().numpy(), rtol=0, atol=0)
