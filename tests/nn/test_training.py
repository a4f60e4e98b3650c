"""symnn.nn.training and symnn.nn.optimizers: each optimiser against a direct transcription of its
rule, the first-contact fixes (output activation, softmax targets), interruptions and warnings."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import symnn as sn
from symnn.nn.optimizers import REGISTRY as OPTIMIZERS
from symnn.nn.training import DivergenceError, TrainingWarning

KW = dict(activation="tanh", output_activation="identity", loss="mse")


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 2)), rng.normal(size=(8, 1))


def _transcribe(name, params, grads_of, steps, lr, hyper):
    """The textbook rule of each optimiser, written out with NumPy, one step at a time."""
    state = {k: np.zeros_like(v) for k, v in params.items()}
    second = {k: np.zeros_like(v) for k, v in params.items()}
    for t in range(1, steps + 1):
        g = grads_of(params)
        for k in params:
            if name == "sgd":
                params[k] = params[k] - lr * g[k]
            elif name == "momentum":
                state[k] = hyper["momentum"] * state[k] - lr * g[k]
                params[k] = params[k] + state[k]
            elif name == "nesterov":  # PyTorch's SGD(nesterov=True): b = mu*b + g; W -= lr*(g + mu*b)
                state[k] = hyper["momentum"] * state[k] + g[k]
                params[k] = params[k] - lr * (g[k] + hyper["momentum"] * state[k])
            elif name == "adam":
                b1, b2, eps = hyper["beta1"], hyper["beta2"], hyper["eps"]
                state[k] = b1 * state[k] + (1 - b1) * g[k]
                second[k] = b2 * second[k] + (1 - b2) * g[k] ** 2
                mhat, vhat = state[k] / (1 - b1**t), second[k] / (1 - b2**t)
                params[k] = params[k] - lr * mhat / (np.sqrt(vhat) + eps)
            else:  # pragma: no cover - a new optimiser needs its transcription here
                raise AssertionError(f"no transcription for {name}")
    return params


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_matches_a_direct_transcription(name):
    X, Y = _data()
    net = sn.Network([2, 3, 1], seed=1, **KW)
    ref = sn.Network([2, 3, 1], seed=1, **KW)

    def grads_of(params):
        ref.params = params
        return ref.gradients(X, Y)

    hyper = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.99, "eps": 1e-7}
    expected = _transcribe(name, net.params.copy(), grads_of, 15, 0.05, hyper)
    net.fit(X, Y, epochs=15, lr=0.05, optimizer=name, momentum=0.8, betas=(0.85, 0.99), eps=1e-7)
    for k in expected:
        np.testing.assert_allclose(net.params[k], expected[k], rtol=1e-10, atol=1e-13)


def test_nesterov_agrees_with_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    X, Y = _data(2)
    net = sn.Network([2, 3, 1], seed=4, **KW)
    W = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.params.items()}
    opt = torch.optim.SGD(W.values(), lr=0.05, momentum=0.9, nesterov=True)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    for _ in range(10):
        opt.zero_grad()
        out = torch.tanh(Xt @ W["W1"] + W["b1"]) @ W["W2"] + W["b2"]
        torch.mean((out - Yt) ** 2).backward()
        opt.step()
    net.fit(X, Y, epochs=10, lr=0.05, optimizer="nesterov", momentum=0.9)
    for k in W:
        np.testing.assert_allclose(net.params[k], W[k].detach().numpy(), rtol=1e-10, atol=1e-13)


def test_adding_an_optimizer_is_one_definition_the_cli_reads(capsys):
    assert sn.optimizers() == OPTIMIZERS.names()
    source = sn.Network([2, 2, 1], seed=0).source()
    for name in sn.optimizers():
        assert f"def {name}(" in source
    from symnn.cli import main

    assert main(["train", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert ", ".join(sn.optimizers()) in help_text


def test_bad_hyperparameters_are_refused_before_training():
    X, Y = _data()
    net = sn.Network([2, 3, 1], seed=0, **KW)
    before = net.params.copy()
    for kw, message in [
        ({"optimizer": "adam", "betas": (1, 1)}, r"beta1 must be in \[0, 1\)"),
        ({"optimizer": "adam", "betas": (0.9, 1.0)}, r"beta2 must be in \[0, 1\)"),
        ({"optimizer": "adam", "eps": 0}, r"eps must be in \(0, inf\)"),
        ({"optimizer": "momentum", "momentum": 1.5}, r"momentum must be in \[0, 1\)"),
        ({"optimizer": "adam", "betas": 0.9}, "betas must be a pair"),
    ]:
        with pytest.raises(ValueError, match=message):
            net.fit(X, Y, epochs=2, lr=0.1, **kw)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


# -- first contact ------------------------------------------------------------------------


def test_the_output_activation_fits_the_loss():
    outputs = {
        "sse": "sigmoid",
        "mse": "identity",
        "bce": "sigmoid",
        "bce_with_logits": "identity",
        "hinge": "identity",
    }
    for loss, out in outputs.items():
        net = sn.Network([2, 4, 1], activation="relu", loss=loss, seed=0)
        assert [a.name for a in net.activations] == ["relu", out], loss
    multi = sn.Network([2, 4, 3], activation="relu", loss="cross_entropy", seed=0)
    assert multi.softmax_output
    assert sn.Network([2, 4, 1], activation=["relu", "tanh"]).activations[-1].name == "tanh"


def test_relu_on_xor_learns_instead_of_dying():
    X, y = sn.data.xor()
    for seed in range(5):
        net = sn.Network([2, 8, 1], activation="relu", seed=seed)
        h = net.fit(X, y, epochs=2000, lr=1.0)
        assert h.loss[-1] < h.loss[0]
        np.testing.assert_array_equal(np.round(net.predict(X)), y)


def test_training_that_goes_nowhere_warns():
    X, y = sn.data.xor()
    net = sn.Network([2, 4, 1], activation="relu", output_activation="relu", seed=0)
    net.params["W1"] = -np.abs(net.params["W1"]) - 1  # every hidden unit dead on the data
    net.params["b1"] = -np.ones(4)
    with pytest.warns(TrainingWarning) as record:
        net.fit(X, y, epochs=20, lr=0.1)
    messages = " ".join(str(w.message) for w in record)
    assert "did not decrease" in messages
    assert "4 of 4 units of hidden layer 1 output 0" in messages
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, y, epochs=20, lr=0.1, warn=False)


def test_softmax_targets_must_be_distributions():
    net = sn.Network([2, 4, 3], loss="cross_entropy", seed=0)
    X = np.eye(2)
    multi_hot = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match="y row 0 sums to 2; a softmax network's targets"):
        net.fit(X, multi_hot, epochs=1)
    soft = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
    loss = net.loss_value(X, soft)
    assert loss == pytest.approx(net.loss.value(net.spec and _logits(net, X), soft), rel=1e-13)


def _logits(net, X):
    A = X
    for i in range(1, net.depth + 1):
        Z = A @ net.params[f"W{i}"] + net.params[f"b{i}"]
        A = net.activations[i - 1](Z) if i < net.depth else Z
    return A


def test_softmax_needs_two_classes_and_a_loss_that_takes_it():
    with pytest.raises(ValueError, match="softmax output needs at least 2 classes"):
        sn.Network([2, 4, 1], output_activation="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"does not go with the loss 'nll' \(it takes log-probabilities\)"):
        sn.Network([2, 4, 3], output_activation="softmax", loss="nll")
    fused = sn.Network([2, 4, 3], output_activation="softmax", loss="categorical_cross_entropy")
    assert fused.loss.name == "softmax_cross_entropy"


def test_complex_data_and_huge_networks_are_refused():
    net = sn.Network([2, 2, 1], seed=0)
    with pytest.raises(TypeError, match="X is complex"):
        net.predict(np.array([[1 + 1j, 0.0]]))
    with pytest.raises(ValueError, match=r"give 299,999,999,998 parameters.*use narrower layers"):
        sn.Network([1, 99_999_999_999, 1])


# -- interruptions --------------------------------------------------------------------------


def test_ctrl_c_leaves_the_last_completed_step(monkeypatch):
    X, Y = _data()
    net = sn.Network([2, 3, 1], seed=0, **KW)
    ref = sn.Network([2, 3, 1], seed=0, **KW)
    ref.fit(X, Y, epochs=3, lr=0.1, warn=False)
    real = net.updater("sgd", flat=True)
    calls = {"n": 0}

    def torn(lr, flat, gflat):  # fit updates all parameters at once, on the flat arrays
        calls["n"] += 1
        if calls["n"] == 4:  # the fourth step: half the parameters move, then Ctrl-C arrives
            np.subtract(flat[:4], lr * gflat[:4], out=flat[:4])
            raise KeyboardInterrupt
        real(lr, flat, gflat)

    monkeypatch.setattr(net, "updater", lambda name, flat=False: torn if flat else None)
    with pytest.warns(TrainingWarning, match="interrupted in epoch 4"), pytest.raises(
        KeyboardInterrupt
    ):
        net.fit(X, Y, epochs=10, lr=0.1)
    assert net.history_.interrupted and net.history_.epochs == 3
    for k in net.params:
        np.testing.assert_array_equal(net.params[k], ref.params[k])


def test_saturated_sigmoid_bce_gradient_is_the_derivative_of_the_value():
    """First contact: the clamped BCE value was flat where the fused gradient was not (0.5 vs a
    finite difference of 0.25), and log1p(-1) warned. The value now comes from the logits."""
    net = sn.Network([1, 1, 1], activation="identity", output_activation="sigmoid", loss="bce")
    net.params["W1"], net.params["b1"] = [[1.0]], [0.0]
    net.params["W2"], net.params["b2"] = [[50.0]], [0.0]
    X, y = np.array([[1.0], [-1.0]]), np.array([0.0, 1.0])  # confidently wrong on both
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = net.loss_value(X, y)
        grads = net.gradients(X, y)
        report = sn.gradcheck(net, X, y)
    assert value == pytest.approx(50.0, rel=1e-15)  # softplus(50): what BCE with logits gives
    np.testing.assert_allclose(grads["W2"], [[1.0]], rtol=1e-15)  # (sigmoid(z) - y) x / n
    assert report.passed and report.max_rel_error < 1e-6


def test_without_hidden_layers_the_activation_is_the_outputs():
    net = sn.Network([3, 1], activation="tanh", loss="mse")
    assert [a.name for a in net.activations] == ["tanh"]


# -- moved from test_network.py ----------------------------------------


def test_seed_tutorial_reproduced_weight_for_weight():
    """The tutorial's NumPy network and symnn's, from the same weights, stay equal."""
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    rng = np.random.default_rng(42)
    w1, w2 = rng.random((3, 4)), rng.random((4, 1))  # the tutorial's np.random.rand

    def sigmoid(x):
        return 1.0 / (1 + np.exp(-x))

    def sigmoid_derivative(x):
        return x * (1.0 - x)

    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
    net.params = {"W1": w1, "W2": w2}
    losses = []
    for _ in range(1500):
        # the tutorial's feedforward and backprop, transcribed directly
        layer1 = sigmoid(X @ w1)
        output = sigmoid(layer1 @ w2)
        losses.append(float(np.sum((y - output) ** 2)))
        d_w2 = layer1.T @ (2 * (y - output) * sigmoid_derivative(output))
        d_w1 = X.T @ (
            (2 * (y - output) * sigmoid_derivative(output)) @ w2.T * sigmoid_derivative(layer1)
        )
        w1 = w1 + d_w1
        w2 = w2 + d_w2
        net.fit(X, y, epochs=1, lr=1.0)
        np.testing.assert_allclose(net.params["W1"], w1, rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.params["W2"], w2, rtol=0, atol=1e-12)
    assert all(b < a for a, b in itertools.pairwise(losses))
    assert losses[-1] < 0.01
    np.testing.assert_allclose(net.predict(X), y, atol=0.1)


def test_seed_training_history_matches_the_per_step_losses():
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=0)
    start = net.loss_value(X, y)
    h = net.fit(X, y, epochs=1500, lr=1.0)
    assert h.loss[0] == pytest.approx(start, rel=1e-12)
    assert np.all(np.diff(h.loss) < 0)
    assert h.epochs == 1500 and net.history_ is h


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimizers_learn_xor(optimizer):
    X, y = sn.data.xor()
    net = sn.Network([2, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    lr = {"sgd": 1.0, "momentum": 0.3, "adam": 0.05}[optimizer]
    h = net.fit(X, y, epochs=800, lr=lr, optimizer=optimizer)
    assert h.loss[-1] < 0.1 * h.loss[0]
    np.testing.assert_array_equal(np.round(net.predict(X)), y)


def test_adam_matches_a_direct_transcription():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    net = sn.Network([2, 3, 1], activation="tanh", output_activation="identity", loss="mse", seed=1)
    params = net.params.copy()
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for t in range(1, 21):
        ref = sn.Network([2, 3, 1], activation="tanh", output_activation="identity", loss="mse")
        ref.params = params
        g = ref.gradients(X, Y)
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            mhat, vhat = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            params[k] = params[k] - lr * mhat / (np.sqrt(vhat) + eps)
    net.fit(X, Y, epochs=20, lr=lr, optimizer="adam")
    for k in params:
        np.testing.assert_allclose(net.params[k], params[k], rtol=1e-9, atol=1e-12)


def test_minibatches_shuffle_reproducibly_and_validation_is_recorded():
    X, y = sn.data.moons(n_samples=120, seed=0)
    Xv, yv = sn.data.moons(n_samples=40, seed=1)
    kw = dict(activation="tanh", output_activation="sigmoid", loss="bce")
    a, b = sn.Network([2, 6, 1], seed=0, **kw), sn.Network([2, 6, 1], seed=0, **kw)
    ha = a.fit(
        X, y, epochs=30, lr=0.5, batch_size=16, seed=3, validation=(Xv, yv), metrics=["accuracy"]
    )
    hb = b.fit(X, y, epochs=30, lr=0.5, batch_size=16, seed=3)
    assert ha.loss == hb.loss
    assert len(ha.val_loss) == 30 and len(ha.metrics["accuracy"]) == 30
    assert ha.metrics["val_accuracy"][-1] > 0.7


def test_l2_regularisation_shrinks_weights_and_adds_to_the_loss():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    plain = sn.Network(
        [3, 5, 1], activation="tanh", output_activation="identity", loss="mse", seed=0
    )
    reg = sn.Network([3, 5, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    plain.fit(X, Y, epochs=200, lr=0.05)
    h = reg.fit(X, Y, epochs=200, lr=0.05, l2=0.1)
    norm = lambda n: sum(float(np.sum(n.params[k] ** 2)) for k in n.params if k.startswith("W"))  # noqa: E731
    assert norm(reg) < norm(plain)
    assert h.loss[-1] > reg.loss_value(X, Y)  # the recorded loss includes the penalty


def test_divergence_stops_with_the_epoch_and_restores_finite_parameters():
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], activation="relu", output_activation="identity", loss="sse", seed=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+.*smaller learning rate"):
        net.fit(X, y * 1e3, epochs=500, lr=1e3)
    for p in net.params.values():
        assert np.all(np.isfinite(p))
    assert np.isfinite(net.loss_value(X, y * 1e3))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n, X, y: n.fit(X[:, :2], y), "X has 2 columns but the network has 3 inputs"),
        (lambda n, X, y: n.fit(X, y[:3]), r"y has shape \(3, 1\)"),
        (lambda n, X, y: n.fit(np.where(X == 1, np.nan, X), y), "NaN or inf"),
        (lambda n, X, y: n.fit([["a", "b", "c"]] * 4, y), "X must be numbers or an array of numbers"),
        (lambda n, X, y: n.fit(X, y, lr=-1), r"lr must be in \(0, inf\), got -1"),
        (lambda n, X, y: n.fit(X, y, optimizer="adma"), "did you mean 'adam'"),
        (lambda n, X, y: n.fit(X, y, batch_size=0), "batch_size must be at least 1"),
        (lambda n, X, y: n.predict(X.ravel()), "2-D array"),
    ],
)
def test_bad_input_is_refused_before_training(call, message):
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], seed=0)
    before = net.params.copy()
    with pytest.raises((ValueError, TypeError), match=message):
        call(net, X, y)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


@pytest.mark.parametrize("name", OPTIMIZERS.names())
@pytest.mark.parametrize(
    "options",
    [
        dict(jit=False),
        dict(jit=False, activation="prelu"),  # a trained activation parameter
        dict(jit=False, freeze=["b1"], batch_size=3, l2=0.01, seed=0),
        dict(jit=True),
    ],
    ids=["numpy", "prelu", "frozen-minibatch-l2", "jit"],
)
def test_update_on_the_flat_arrays_equals_the_update_of_each_array(name, options, monkeypatch):
    """fit updates all parameters in one pass on the flat arrays (the gradients are views of
    one array laid out as ``net.params.flat``); the result is bit for bit the update of each
    array on its own, the path fit took before."""
    from symnn.nn import training

    options = dict(options)
    train = {k: options.pop(k) for k in ("freeze", "batch_size", "l2", "seed") if k in options}
    X, Y = _data(3)
    nets = [sn.Network([2, 3, 2, 1], seed=1, **{**KW, **options}) for _ in range(2)]
    for net in nets:
        if net.jit_kernels() is not None:
            net.jit_kernels().wait("fused")
    used = []
    real = training._update_of

    def spy(run, grads):
        update, arrays = real(run, grads)
        used.append(arrays[0] is run.flat)
        return update, arrays

    monkeypatch.setattr(training, "_update_of", spy)
    nets[0].fit(X, Y, epochs=7, lr=0.05, optimizer=name, warn=False, **train)
    assert used and all(used)  # the flat update ran
    monkeypatch.setattr(
        training, "_update_of", lambda run, grads: (run.update, (*run.params, *grads, *run.state))
    )
    nets[1].fit(X, Y, epochs=7, lr=0.05, optimizer=name, warn=False, **train)
    for key in nets[0].params:
        np.testing.assert_array_equal(nets[0].params[key], nets[1].params[key])
    np.testing.assert_array_equal(nets[0].history_.loss, nets[1].history_.loss)


def test_the_flat_update_is_only_taken_for_gradients_laid_out_as_the_parameters():
    from symnn.nn import training

    net = sn.Network([2, 3, 1], seed=0, jit=False, **KW)
    params = net.params.arrays()
    run = type("Run", (), dict(
        flat=net.params.flat, state_flat=np.zeros((0, net.params.flat.size)), params=params,
        state=[], update="per-array", net=net, opt=sn.nn.optimizers.optimizer("sgd"),
    ))()
    _, grads = net.workspace(8)
    assert training._update_of(run, grads)[1][0] is net.params.flat
    own = [np.empty_like(g) for g in grads]  # arrays of their own
    assert training._update_of(run, own)[0] == "per-array"
    swapped = list(grads)
    swapped[0], swapped[2] = grads[2], grads[0]  # wrong offsets
    assert training._update_of(run, swapped)[0] == "per-array"
