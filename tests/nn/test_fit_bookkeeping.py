"""fit's bookkeeping (loss history, divergence check and restore, progress, validation) behaves
as the straightforward loop did before it moved off the step: the reference below is that loop,
transcribed (per step: the generated gradient, a finiteness check, a copy of every parameter,
the generated update; the loss appended per epoch; a full batch's loss recorded as computed). Runs on the NumPy path, and with numba
missing (simulated), where ``jit=True`` must fall back to the same numbers, bit for bit."""

from __future__ import annotations

import functools
import math
import sys

import numpy as np
import pytest

import symnn as sn
from symnn.catalogue.regularizers import regularizer
from symnn.nn import jit
from symnn.nn.optimizers import optimizer as get_optimizer
from symnn.nn.training import DivergenceError

KW = dict(activation="tanh", output_activation="identity", loss="mse")


def reference_fit(net, X, y, *, epochs, lr, optimizer="sgd", batch_size=None, seed=None, l2=0.0):
    """The loop as it was: ``(losses, error message or None)``; *net* is trained in place."""
    X, Y = net.check_data(X, y)
    opt = get_optimizer(optimizer)
    hyper = opt.hyper(lr, {})
    n = X.shape[0]
    batch_size = min(batch_size or n, n)
    rng = np.random.default_rng(seed)
    params = net.params.arrays()
    weights = [i for i, k in enumerate(net.params) if k.startswith("W")]
    state = [np.zeros_like(p) for _ in opt.state for p in params]
    backup = [p.copy() for p in params]
    update = net.updater(opt.name)
    penalty = regularizer("l2", lam=l2)
    losses, t = [], 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n) if batch_size < n else None
            total = 0.0
            for start in range(0, n, batch_size):
                idx = slice(None) if order is None else order[start : start + batch_size]
                Xb, Yb = X[idx], Y[idx]
                gradient, grads = net.workspace(Xb.shape[0])
                loss = gradient(Xb, Yb, *params)
                if l2:
                    extra = 0.0
                    for i in weights:
                        extra += penalty.penalty(params[i])
                        np.add(grads[i], penalty.grad(params[i]), out=grads[i])
                    loss += extra
                if not math.isfinite(loss):
                    for p, b in zip(params, backup, strict=True):
                        p[...] = b
                    return losses, f"the loss became {loss} in epoch {epoch}"
                for p, b in zip(params, backup, strict=True):
                    np.copyto(b, p)
                # a full batch records its loss as it is (the loop used to record loss * n / n,
                # which can differ from it in the last bit)
                whole = net.loss.reduction == "sum" or order is None
                total += loss if whole else loss * Xb.shape[0] / n
                t += 1
                update(*opt.scalars(t, hyper), *params, *grads, *state)
            losses.append(total)
    return losses, None


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, np.sin(X[:, :1]) + 0.1 * rng.standard_normal((n, 1))


def _equal(a, b):
    for key in b.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])


@pytest.mark.parametrize(
    ("optimizer", "batch_size", "l2"),
    [("sgd", None, 0.0), ("adam", None, 0.0), ("momentum", 5, 0.0), ("sgd", 8, 0.01)],
)
def test_history_and_parameters_equal_the_plain_loop(optimizer, batch_size, l2):
    X, y = _data()
    net, ref = sn.Network([3, 4, 1], seed=0, **KW), sn.Network([3, 4, 1], seed=0, **KW)
    h = net.fit(X, y, epochs=30, lr=0.05, optimizer=optimizer, batch_size=batch_size, seed=2,
                l2=l2, warn=False)
    losses, error = reference_fit(ref, X, y, epochs=30, lr=0.05, optimizer=optimizer,
                                  batch_size=batch_size, seed=2, l2=l2)
    assert error is None
    assert h.loss == losses and h.epochs == 30 and net.history_ is h
    _equal(net, ref)


def test_progress_chunks_and_extras_do_not_change_the_numbers():
    """The progress bar moves between chunks of epochs; validation and metrics force one epoch
    per chunk: neither changes a loss or a parameter."""
    X, y = _data()
    Xv, yv = _data(9, seed=5)
    nets = [sn.Network([3, 4, 1], seed=0, **KW) for _ in range(3)]
    plain = nets[0].fit(X, y, epochs=250, lr=0.05, progress=False, warn=False)
    shown = nets[1].fit(X, y, epochs=250, lr=0.05, progress=True, warn=False)
    extra = nets[2].fit(X, y, epochs=250, lr=0.05, validation=(Xv, yv), warn=False)
    assert plain.loss == shown.loss == extra.loss
    assert len(extra.val_loss) == 250
    assert extra.val_loss[-1] == nets[2].loss_value(Xv, yv)
    _equal(nets[0], nets[1])
    _equal(nets[0], nets[2])


@pytest.mark.parametrize("batch_size", [None, 2])
def test_divergence_names_the_epoch_and_restores_what_the_plain_loop_restores(batch_size):
    X, y = sn.data.seed_data()
    kw = dict(activation="relu", output_activation="identity", loss="sse")
    net, ref = sn.Network([3, 4, 1], seed=0, **kw), sn.Network([3, 4, 1], seed=0, **kw)
    with pytest.raises(DivergenceError) as got:
        net.fit(X, y * 1e3, epochs=500, lr=1e3, batch_size=batch_size, seed=1)
    losses, error = reference_fit(ref, X, y * 1e3, epochs=500, lr=1e3, batch_size=batch_size,
                                  seed=1)
    assert error is not None and str(got.value).startswith(error + " (optimizer sgd, lr=1000)")
    assert "restored to the last state with a finite loss" in str(got.value)
    assert net.history_.loss == losses  # the epochs completed before the divergent one
    _equal(net, ref)
    assert all(np.all(np.isfinite(p)) for p in net.params.values())


def test_jit_without_numba_falls_back_to_the_same_numbers(monkeypatch):
    """numba missing (import blocked): ``jit=True`` trains on the NumPy path, bit for bit,
    and the source shows no kernels; generating the kernels' text needs no numba."""
    monkeypatch.setitem(sys.modules, "numba", None)
    # asked afresh (the answer is cached per process; the patch puts the cached one back)
    monkeypatch.setattr(jit, "numba_available", functools.cache(jit.numba_available.__wrapped__))
    assert not jit.numba_available()
    X, y = _data()
    fast = sn.Network([3, 4, 1], seed=0, jit=True, **KW)
    ref = sn.Network([3, 4, 1], seed=0, jit=False, **KW)
    assert fast.jit_kernels() is None
    assert "numba kernels" not in fast.source()
    assert "def train_sgd(" in jit.generate(fast.spec)
    for kwargs in (dict(epochs=40), dict(epochs=5, batch_size=4, seed=0)):
        hf = fast.fit(X, y, lr=0.05, warn=False, **kwargs)
        hr = ref.fit(X, y, lr=0.05, warn=False, **kwargs)
        assert hf.loss == hr.loss
        _equal(fast, ref)


def test_jit_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("SYMNN_JIT", "0")
    assert sn.Network([3, 4, 1], **KW).jit_kernels() is None
    monkeypatch.setenv("SYMNN_JIT", "off")
    assert sn.Network([3, 4, 1], **KW).jit_kernels() is None
    assert sn.Network([3, 4, 1], jit=False, **KW).jit_kernels() is None
    with pytest.raises(TypeError, match="jit must be True, False or None"):
        sn.Network([3, 4, 1], jit=1, **KW)


@pytest.mark.parametrize("batch_size", [None, 6])
def test_frozen_parameters_stay_and_the_others_train_as_with_zero_gradients(batch_size):
    X, y = _data()
    net = sn.Network([3, 4, 1], seed=0, **KW)
    start = net.params.copy()
    h = net.fit(X, y, epochs=20, lr=0.05, optimizer="adam", batch_size=batch_size, seed=1,
                freeze=["b1", "W2"], warn=False)
    for key in ("b1", "W2"):
        np.testing.assert_array_equal(net.params[key], start[key])
    assert not np.array_equal(net.params["W1"], start["W1"])
    again = sn.Network([3, 4, 1], seed=0, **KW)
    again.frozen = ["b1", "W2"]
    assert again.fit(X, y, epochs=20, lr=0.05, optimizer="adam", batch_size=batch_size, seed=1,
                     warn=False).loss == h.loss
