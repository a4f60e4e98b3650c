r"""Training: optimisers (SGD, momentum, Adam), the fit loop and its History.

The update rules run as generated, in-place NumPy code (see :mod:`symnn.netcode`):

* SGD: :math:`W \leftarrow W - \eta\,\nabla_W L`
* momentum: :math:`v \leftarrow \mu v - \eta\,\nabla_W L,\; W \leftarrow W + v` (:math:`\mu = 0.9`)
* Adam: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\; s \leftarrow \beta_2 s + (1-\beta_2) g^2,\;
  W \leftarrow W - \eta \frac{\hat m}{\sqrt{\hat s} + \epsilon}` (Kingma & Ba, 2015; :math:`\beta_1 = 0.9`,
  :math:`\beta_2 = 0.999`, :math:`\epsilon = 10^{-8}`).

Regularisation (``l1=``, ``l2=``) adds the penalties of :func:`symnn.regularizer` over the
weights (not the biases) to the loss: :math:`\lambda_1 \sum |w|` and
:math:`\frac{\lambda_2}{2} \sum w^2`, whose gradients :math:`\lambda_1 \operatorname{sign}(w)`
and :math:`\lambda_2 w` (PyTorch's ``weight_decay``) join the weight gradients.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from symnn._validation import check_choice

__all__ = ["OPTIMIZERS", "DivergenceError", "History", "fit", "optimizers"]

OPTIMIZERS = ("sgd", "momentum", "adam")


def optimizers() -> list[str]:
    """The names of the optimisers ``fit`` takes.

    >>> optimizers()
    ['sgd', 'momentum', 'adam']
    """
    return list(OPTIMIZERS)


class DivergenceError(ArithmeticError, ValueError):
    """Training produced a non-finite loss; the parameters were restored."""


@dataclass
class History:
    """What happened during :func:`fit`: the loss per epoch and, when asked, more.

    ``loss[e]`` is the training loss during epoch *e* (for full-batch training,
    at the parameters before that epoch's update, as the seed's tutorial
    prints it; for mini-batches, aggregated over the epoch's batches).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    optimizer: str = "sgd"
    lr: float = 0.0
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The loss after the last epoch (nan when no epoch ran)."""
        return self.loss[-1] if self.loss else math.nan

    def __repr__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        val = f", val_loss {self.val_loss[-1]:.6g}" if self.val_loss else ""
        return (
            f"History({self.epochs} epochs, {self.optimizer}, lr={self.lr:g}: "
            f"loss {self.loss[0]:.6g} -> {self.loss[-1]:.6g}{val}, {self.seconds:.2f} s)"
        )


def _positive(name: str, value, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        rule = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {rule} number; got {value!r}")
    return value


def _show_progress(progress, epochs: int) -> bool:
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)()) and epochs >= 200
    return bool(progress)


def fit(
    net,
    X,
    y,
    *,
    epochs: int = 1000,
    lr: float = 0.1,
    optimizer: str = "sgd",
    batch_size: int | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
    shuffle: bool = True,
    seed=None,
    validation=None,
    metrics=None,
    progress=None,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> History:
    """Train *net* on (X, y) and return the :class:`History`.

    Parameters
    ----------
    epochs : passes over the data (the seed trains for 1500 full-batch iterations).
    lr : the learning rate.
    optimizer : ``"sgd"``, ``"momentum"`` or ``"adam"``.
    batch_size : samples per step (default: all of them, full-batch gradient descent).
    l1, l2 : regularisation strengths on the weights (see the module docstring).
    shuffle : reshuffle the samples every epoch (mini-batches only).
    seed : makes the shuffling reproducible.
    validation : ``(X_val, y_val)``; its loss is recorded every epoch.
    metrics : names of extra per-epoch metrics; ``"accuracy"`` is available.
    progress : show a tqdm progress bar (default: only on long runs in a terminal).

    Raises
    ------
    DivergenceError
        When the loss becomes NaN or inf; the parameters are restored to the last
        state with a finite loss, and the message names the epoch.
    """
    from symnn._random import make_rng

    X, Y = net._check_data(X, y)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer; got {epochs!r}")
    lr = _positive("lr", lr)
    l1 = _positive("l1", l1, allow_zero=True)
    l2 = _positive("l2", l2, allow_zero=True)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    n = X.shape[0]
    if batch_size is None:
        batch_size = n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an integer or None, not {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    batch_size = min(int(batch_size), n)
    val = None
    if validation is not None:
        try:
            Xv, yv = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        val = net._check_data(Xv, yv)
    metric_names = list(metrics or [])
    for m in metric_names:
        check_choice("metric", m, ["accuracy"])
    rng = make_rng(seed)
    from symnn.catalogue.regularizers import regularizer

    penalties = [regularizer(name, lam=lam) for name, lam in (("l1", l1), ("l2", l2)) if lam]

    ns = net._code[1]
    params = list(net.params.values())
    names = list(net.params)
    weights = [i for i, k in enumerate(names) if k.startswith("W")]
    state: list[np.ndarray] = []
    if optimizer == "momentum":
        state = [np.zeros_like(p) for p in params]
    elif optimizer == "adam":
        state = [np.zeros_like(p) for p in params] + [np.zeros_like(p) for p in params]
    backup = [p.copy() for p in params]
    sgd, mom, adam = ns["sgd"], ns["momentum"], ns["adam"]
    b1, b2 = (float(b) for b in betas)
    history = History(optimizer=optimizer, lr=lr, metrics={m: [] for m in metric_names})
    if val is not None:
        history.metrics.update({f"val_{m}": [] for m in metric_names})
    reduction_sum = net.loss.reduction == "sum"

    bar = None
    if _show_progress(progress, epochs):
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="training", unit="epoch", leave=False)
    full_batch = batch_size == n
    t_start = time.perf_counter()
    t = 0
    # a diverging run overflows on its way to inf/NaN; the loss check below reports it
    errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    errstate.__enter__()
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n) if (shuffle and not full_batch) else None
            total = 0.0
            for start in range(0, n, batch_size):
                if full_batch:
                    Xb, Yb = X, Y
                else:
                    idx = (
                        order[start : start + batch_size]
                        if order is not None
                        else slice(start, start + batch_size)
                    )
                    Xb, Yb = X[idx], Y[idx]
                gradient, grads = net._workspace(Xb.shape[0])
                loss = gradient(Xb, Yb, *params)
                if penalties:
                    loss += _regularize(params, grads, weights, penalties)
                if not math.isfinite(loss):
                    for p, b in zip(params, backup, strict=True):
                        p[...] = b
                    raise DivergenceError(
                        f"the loss became {loss} in epoch {epoch} (optimizer {optimizer}, "
                        f"lr={lr:g}); try a smaller learning rate. The parameters were restored "
                        "to the last state with a finite loss."
                    )
                for p, b in zip(params, backup, strict=True):
                    np.copyto(b, p)
                if reduction_sum:
                    total += loss
                else:
                    total += loss * Xb.shape[0] / n
                t += 1
                if optimizer == "sgd":
                    sgd(lr, *params, *grads)
                elif optimizer == "momentum":
                    mom(lr, momentum, *params, *grads, *state)
                else:
                    step_size = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                    adam(step_size, b1, b2, eps * math.sqrt(1 - b2**t), *params, *grads, *state)
            history.loss.append(total)
            if val is not None:
                history.val_loss.append(net.loss_value(*val))
            for m in metric_names:
                history.metrics[m].append(_accuracy(net, X, Y))
                if val is not None:
                    history.metrics[f"val_{m}"].append(_accuracy(net, *val))
            if bar is not None:
                bar.update(1)
                if epoch % max(1, epochs // 100) == 0:
                    bar.set_postfix(loss=f"{total:.4g}")
    finally:
        errstate.__exit__(None, None, None)
        if bar is not None:
            bar.close()
        history.seconds = time.perf_counter() - t_start
    net.history_ = history
    return history


def _regularize(params, grads, weights, penalties) -> float:
    """Add the penalties' gradients to the weight gradients; return the total penalty."""
    total = 0.0
    for reg in penalties:
        for i in weights:
            total += reg.penalty(params[i])
            np.add(grads[i], reg.grad(params[i]), out=grads[i])
    return total


def _accuracy(net, X, Y) -> float:
    """Share of samples classified right (argmax for several outputs, 0.5 threshold for one)."""
    out = net.predict(X)
    if out.shape[1] == 1:
        if net.loss.name in ("hinge", "squared_hinge"):
            return float(np.mean(np.sign(out) == np.sign(Y)))
        threshold = 0.0 if "logits" in net.loss.name else 0.5
        return float(np.mean((out > threshold) == (Y > 0.5)))
    return float(np.mean(out.argmax(axis=1) == Y.argmax(axis=1)))
