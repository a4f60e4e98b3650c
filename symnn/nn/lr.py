r"""Choosing a learning rate: a sweep over rates, and the learning-rate range test.

:func:`lr_sweep` trains the network from the same initial weights once per rate and
reports the final loss of each, marking the runs that diverged; it also computes the
curvature at initialisation (:func:`symnn.nn.curvature.curvature`), whose
:math:`2/\lambda_{\max}` is where gradient descent on the local quadratic model stops
being stable. :func:`lr_range_test` is Smith's (2017) test: one run whose rate grows
exponentially every step, the loss against the rate, and a suggested rate.

>>> import numpy as np, symnn as sn
>>> X, y = sn.data.seed_data()
>>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
>>> sweep = lr_sweep(net, X, y, lrs=[0.1, 1.0, 1000.0], epochs=200)
>>> sweep.diverged.tolist(), bool(sweep.final_loss[1] < sweep.final_loss[0])
([False, False, True], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from symnn._validation import as_float_array, check_count, check_interval
from symnn.nn.curvature import Curvature, curvature
from symnn.nn.optimizers import optimizer as get_optimizer
from symnn.nn.training import DivergenceError, History

__all__ = ["LRRangeTest", "LRSweep", "lr_range_test", "lr_sweep"]

#: The rates :func:`lr_sweep` tries by default: 25 from 0.01 to 100, evenly on a log scale.
DEFAULT_LRS = tuple(float(v) for v in np.geomspace(0.01, 100.0, 25))


@dataclass
class LRSweep:
    r"""What :func:`lr_sweep` found: per rate, the final loss and whether the run diverged.

    ``final_loss[i]`` is the loss after the last epoch at ``lrs[i]`` (inf when it became
    NaN or inf; ``diverged_at[i]`` says in which epoch). ``diverged[i]`` marks the runs that
    blew up: a loss that became NaN or inf, or a final loss above the initial one (a
    bounded loss such as the sigmoid's SSE cannot overflow: a too-large step saturates
    the units instead, and the loss ends higher than it began);
    ``histories[i]`` the run's :class:`~symnn.History`; ``curvature`` the Hessian's top
    eigenvalues at the initial weights, with ``max_stable_lr`` :math:`= 2/\lambda_{\max}`.
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    diverged_at: list[int | None]
    histories: list[History] = field(repr=False)
    initial_loss: float
    curvature: Curvature | None
    epochs: int
    optimizer: str

    @property
    def max_stable_lr(self) -> float:
        """:math:`2/\\lambda_{\\max}` at initialisation (nan when the curvature was not computed)."""
        return self.curvature.max_stable_lr if self.curvature is not None else math.nan

    @property
    def best_lr(self) -> float:
        """The rate with the lowest final loss."""
        return float(self.lrs[int(np.argmin(self.final_loss))])

    def __str__(self) -> str:
        lines = [f"learning-rate sweep: {self.epochs} epochs of {self.optimizer}, initial loss "
                 f"{self.initial_loss:.6g}"]  # fmt: skip
        if self.curvature is not None:
            lines.append(f"2/lambda_max at initialisation: {self.max_stable_lr:.6g}")
        for lr, loss, bad, at in zip(self.lrs, self.final_loss, self.diverged,
                                     self.diverged_at, strict=True):  # fmt: skip
            verdict = f"final loss {loss:.6g}"
            if bad:
                verdict = f"diverged in epoch {at}" if at else f"diverged (final loss {loss:.6g})"
            lines.append(f"  lr = {lr:<10.4g} {verdict}")
        lines.append(f"best: lr = {self.best_lr:.4g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"LRSweep({len(self.lrs)} rates from {self.lrs.min():g} to {self.lrs.max():g}, "
            f"{int(self.diverged.sum())} diverged, best lr {self.best_lr:.4g})"
        )


def _check_lrs(lrs) -> np.ndarray:
    arr = as_float_array(lrs, "lrs")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lrs must be a non-empty list of learning rates, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"learning rates must be positive numbers; lrs holds {arr[~(arr > 0)][:1]}")
    return arr


def lr_sweep(
    net,
    X,
    y,
    lrs: Sequence[float] = DEFAULT_LRS,
    epochs: int = 1500,
    *,
    curvature_at_init: bool = True,
    **fit_options,
) -> LRSweep:
    r"""Train *net* from the same initial weights once per learning rate; the final losses.

    Every run starts from the network's current parameters, which are restored at
    the end (the network is left as it was). A run whose loss becomes NaN or inf is
    marked diverged (its final loss is inf), and so is a run that ends above the initial
    loss (see :class:`LRSweep`). *fit_options* go to :meth:`Network.fit`
    (``optimizer=``, ``batch_size=``, ``seed=``, ...); with ``curvature_at_init`` the
    Hessian's top eigenvalue at the start gives the stability limit
    :math:`\eta < 2/\lambda_{\max}` of gradient descent.

    The runs are sequential: each is already as fast as NumPy makes one core, and the
    generated code's buffers belong to the network.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> s = lr_sweep(net, X, y, lrs=[0.5, 2.0], epochs=100)
    >>> round(s.max_stable_lr, 3)
    3.65
    """
    lrs = _check_lrs(lrs)
    epochs = check_count("epochs", epochs, 1)
    X, Y = net.check_data(X, y)
    fit_options.pop("warn", None)
    fit_options.pop("lr", None)
    start = net.params.copy()
    initial_loss = net.loss_value(X, Y)
    curv = curvature(net, X, Y, k=1) if curvature_at_init else None
    final, diverged, at, histories = [], [], [], []
    try:
        for lr in lrs:
            net.params = start
            try:
                history = net.fit(X, Y, lr=float(lr), epochs=epochs, warn=False, **fit_options)
                blew_up = not math.isfinite(history.final_loss)
            except DivergenceError:
                history, blew_up = net.history_, True
            histories.append(history)
            last = math.inf if blew_up else net.loss_value(X, Y)
            diverged.append(blew_up or last > initial_loss)
            at.append(len(history.loss) + 1 if blew_up else None)
            final.append(last)
    finally:
        net.params = start
    return LRSweep(np.asarray(lrs), np.asarray(final), np.asarray(diverged, dtype=bool), at,
                   histories, initial_loss, curv, epochs,
                   fit_options.get("optimizer", "sgd"))  # fmt: skip


@dataclass
class LRRangeTest:
    """The learning-rate range test: the rate of every step, the loss at it, the suggestion.

    ``loss[t]`` is the loss on the step's batch before the step taken with ``lrs[t]``;
    ``smoothed`` its exponential moving average (bias-corrected); ``suggested_lr`` a
    tenth of the rate at the smoothed loss's minimum (the rule fastai's ``lr_find`` made
    common: safely below where the loss turns up); ``steepest_lr`` the rate where the
    smoothed loss falls fastest against log(rate) (Smith's reading); ``stopped_early`` is True when the loss exceeded ``stop_factor``
    times its best and the test ended there.
    """

    lrs: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    steepest_lr: float
    stopped_early: bool

    def __repr__(self) -> str:
        return (
            f"LRRangeTest({len(self.lrs)} steps, lr {self.lrs[0]:g} -> {self.lrs[-1]:g}, "
            f"suggested lr {self.suggested_lr:.4g})"
        )


def lr_range_test(
    net,
    X,
    y,
    *,
    lr_min: float = 1e-4,
    lr_max: float = 100.0,
    steps: int = 100,
    batch_size: int | None = None,
    optimizer: str = "sgd",
    smoothing: float = 0.05,
    stop_factor: float = 4.0,
    seed: int = 0,
) -> LRRangeTest:
    r"""Smith's learning-rate range test: one run with the rate growing exponentially.

    Step *t* of *steps* uses :math:`\eta_t = \eta_{\min} (\eta_{\max}/\eta_{\min})^{t/(steps-1)}`
    on the next batch of *batch_size* rows (all rows by default, so for a small data set
    every step is a full-batch step); the loss is recorded before each step, smoothed
    by an exponential moving average with weight *smoothing*, and the test stops once
    the smoothed loss exceeds *stop_factor* times its best. The network's parameters
    are restored afterwards.

    References: L. N. Smith, "Cyclical learning rates for training neural networks",
    WACV 2017.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> r = lr_range_test(net, X, y, steps=60)
    >>> bool(r.lrs[0] <= r.suggested_lr <= r.lrs[-1])
    True
    """
    lr_min = check_interval("lr_min", lr_min, 0.0, low_open=True)
    lr_max = check_interval("lr_max", lr_max, lr_min, low_open=True)
    steps = check_count("steps", steps, 3)
    smoothing = check_interval("smoothing", smoothing, 0.0, 1.0, low_open=True)
    stop_factor = check_interval("stop_factor", stop_factor, 1.0, low_open=True)
    X, Y = net.check_data(X, y)
    n = X.shape[0]
    batch_size = n if batch_size is None else min(check_count("batch_size", batch_size, 1), n)
    opt = get_optimizer(optimizer)
    order = np.random.default_rng(seed).permutation(n)
    params = net.params.arrays()
    start = [p.copy() for p in params]
    state = [np.zeros_like(p) for _ in opt.state for p in params]
    update = net.updater(opt.name)
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses, smooth = [], []
    avg, best, stopped = 0.0, math.inf, False
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for t, lr in enumerate(rates):
                lo = (t * batch_size) % n
                idx = order[np.arange(lo, lo + batch_size) % n]
                Xb, Yb = (X, Y) if batch_size == n else (X[idx], Y[idx])
                gradient, grads = net.workspace(Xb.shape[0])
                loss = float(gradient(Xb, Yb, *params))
                if not math.isfinite(loss):
                    stopped = True
                    break
                avg = smoothing * loss + (1 - smoothing) * avg
                value = avg / (1 - (1 - smoothing) ** (t + 1))
                losses.append(loss)
                smooth.append(value)
                best = min(best, value)
                if value > stop_factor * best:
                    stopped = True
                    break
                update(*opt.scalars(t + 1, opt.hyper(float(lr), {})), *params, *grads, *state)
    finally:
        for p, s in zip(params, start, strict=True):
            p[...] = s
    m = len(losses)
    if m < 3:
        raise ValueError(
            f"the loss was not finite after {m} steps from lr_min={lr_min:g}; use a smaller lr_min"
        )
    sm = np.asarray(smooth)
    slope = np.gradient(sm, np.log(rates[:m]))
    # the steepest fall before the loss's minimum (afterwards it is climbing toward divergence)
    upto = int(np.argmin(sm)) + 1
    steepest = float(rates[int(np.argmin(slope[: max(upto, 2)]))])
    suggested = max(float(rates[upto - 1]) / 10.0, float(rates[0]))
    return LRRangeTest(rates[:m], np.asarray(losses), sm, suggested, steepest, stopped)
