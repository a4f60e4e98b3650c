r"""Pictures of learning rates: the sweep with the stability limit, the range test, the landscape.

The numbers come from :mod:`symnn.nn.lr`, :mod:`symnn.nn.landscape` and
:mod:`symnn.nn.curvature`; these functions only draw. Each takes ``ax=None``, returns
the Axes (a pair of Axes for ``directions="both"``) and never calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from symnn.nn.landscape import line_search, loss_surface
from symnn.nn.lr import LRRangeTest, LRSweep, lr_range_test, lr_sweep
from symnn.views.plotting.axes import axes_for

__all__ = ["plot_loss_landscape", "plot_lr_range_test", "plot_lr_sweep", "plot_runs"]

_LAMBDA = "\u03bb"


def plot_lr_sweep(sweep: Any, X: Any = None, y: Any = None, ax: Any = None, **options) -> Any:
    r"""Final loss against learning rate, log-log, with :math:`2/\lambda_{\max}` at initialisation.

    *sweep* is an :class:`~symnn.nn.lr.LRSweep`, or a network (then ``X, y`` and
    *options* go to :func:`symnn.lr_sweep`). Runs that converged are dots joined by a
    line; diverged runs are red crosses (at the top edge when their loss is inf); the
    dashed vertical line is the stability limit of gradient descent on the quadratic
    model at the initial weights, the dotted horizontal one the initial loss.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> ax = plot_lr_sweep(net, X, y, lrs=[0.1, 1.0, 100.0], epochs=100)
    >>> ax.get_xscale(), ax.get_yscale(), [line.get_gid() for line in ax.lines]
    ('log', 'log', ['loss', 'diverged', 'initial', 'stability'])
    """
    if not isinstance(sweep, LRSweep):
        if X is None or y is None:
            raise TypeError(
                "plot_lr_sweep needs an LRSweep (symnn.lr_sweep(net, X, y)) or a network with X and y"
            )
        sweep = lr_sweep(sweep, X, y, **options)
    ax = axes_for(ax)
    ok = ~sweep.diverged
    finite = np.isfinite(sweep.final_loss)
    ax.plot(sweep.lrs[ok], sweep.final_loss[ok], "o-", color="C0", ms=4, lw=1.4,
            label="final loss", gid="loss")  # fmt: skip
    positive = sweep.final_loss[finite & (sweep.final_loss > 0)]
    top = max(float(positive.max()) if positive.size else 1.0, sweep.initial_loss) * 3
    shown = np.where(finite, sweep.final_loss, top)
    ax.plot(sweep.lrs[~ok], shown[~ok], "x", color="C3", ms=7, mew=2, ls="none",
            label="diverged", gid="diverged")  # fmt: skip
    ax.axhline(sweep.initial_loss, color="0.5", ls=":", lw=1, label="initial loss", gid="initial")
    ax.set_xscale("log")
    ax.set_yscale("log" if positive.size == finite.sum() else "symlog")
    if sweep.curvature is not None and math.isfinite(sweep.max_stable_lr):
        limit = sweep.max_stable_lr
        ax.axvline(limit, color="C2", ls="--", lw=1.4, gid="stability",
                   label=f"2/{_LAMBDA}max = {limit:.3g} (at initialisation)")  # fmt: skip
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"loss after {sweep.epochs} epochs (log scale)")
    ax.set_title(f"Learning-rate sweep ({sweep.optimizer})")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_lr_range_test(result: Any, X: Any = None, y: Any = None, ax: Any = None,
                       **options) -> Any:  # fmt: skip
    """The learning-rate range test: loss against the growing rate, the suggested rate marked.

    *result* is an :class:`~symnn.nn.lr.LRRangeTest`, or a network (then ``X, y`` and
    *options* go to :func:`symnn.lr_range_test`).

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> ax = plot_lr_range_test(sn.Network([3, 4, 1], bias=False, seed=1), X, y, steps=40)
    >>> [line.get_gid() for line in ax.lines]
    ['loss', 'smoothed', 'suggested']
    """
    if not isinstance(result, LRRangeTest):
        if X is None or y is None:
            raise TypeError(
                "plot_lr_range_test needs an LRRangeTest (symnn.lr_range_test(net, X, y)) "
                "or a network with X and y"
            )
        result = lr_range_test(result, X, y, **options)
    ax = axes_for(ax)
    ax.plot(result.lrs, result.loss, color="0.7", lw=1, label="loss per step", gid="loss")
    ax.plot(result.lrs, result.smoothed, color="C0", lw=1.8, label="smoothed", gid="smoothed")
    ax.axvline(result.suggested_lr, color="C3", ls="--", lw=1.4, gid="suggested",
               label=f"suggested lr = {result.suggested_lr:.3g}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.set_title("Learning-rate range test (Smith, 2017)")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.legend(loc="best", fontsize="small")
    return ax


def _line(net, X, y, lr, ax, points):
    ls = line_search(net, X, y, lr=lr, points=points)
    ax = axes_for(ax)
    ax.plot(ls.t, ls.loss, color="C0", lw=1.8, label="loss along -gradient", gid="loss")
    ax.plot(ls.t, ls.quadratic, color="C1", ls="--", lw=1.2, gid="quadratic",
            label="quadratic model (exact Hg)")  # fmt: skip
    ax.plot([0.0, ls.lr], [ls.loss0, ls.loss_at_lr], color="C3", lw=1.6, marker="o", ms=5,
            gid="step", label=f"one step of lr = {ls.lr:g}")  # fmt: skip
    if math.isfinite(ls.t_star):
        ax.axvline(ls.t_star, color="C2", ls=":", lw=1.2, gid="t_star",
                   label=f"model minimum t* = {ls.t_star:.3g}")  # fmt: skip
        ax.axvline(2 * ls.t_star, color="C2", ls="--", lw=1.2, gid="two_t_star",
                   label=f"2t* = {2 * ls.t_star:.3g} (overshoot beyond)")  # fmt: skip
    lo, hi = float(np.min(ls.loss)), float(np.max(ls.loss))
    pad = 0.1 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)  # the quadratic model may run off; the loss stays in view
    ax.set_xlabel("step length t along -gradient (a step with learning rate lr has t = lr)")
    ax.set_ylabel("loss")
    ax.set_title("Loss along the gradient" + (": the step overshoots" if ls.overshoots else ""))
    ax.grid(True, color="0.9", lw=0.6)
    ax.legend(loc="best", fontsize="small")
    return ax


def _surface(net, X, y, lr, ax, directions, points, epochs, seed):
    s = loss_surface(net, X, y, lr=lr, epochs=epochs, directions=directions, seed=seed,
                     points=points)  # fmt: skip
    ax = axes_for(ax)
    A, B = np.meshgrid(s.alpha, s.beta)
    values, label = s.loss, "loss"
    if np.all(values > 0) and values.max() / values.min() > 100:  # spans decades: log colours
        values, label = np.log10(values), "log10(loss)"
    cs = ax.contourf(A, B, values, levels=15, cmap="viridis")
    ax.contour(A, B, values, levels=cs.levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(cs, ax=ax, label=label)
    ax.plot(s.path[:, 0], s.path[:, 1], color="w", lw=1.6, marker=".", ms=4, gid="trajectory",
            label=f"training (lr = {lr:g}, {epochs} epochs)")  # fmt: skip
    ax.plot(*s.path[0], "o", color="C3", ms=7, ls="none", gid="start", label="start")
    ax.plot(*s.path[-1], "*", color="C1", ms=12, ls="none", gid="end", label="end (centre)")
    ax.set_xlabel("direction 1 (filter-normalised)")
    ax.set_ylabel("direction 2 (filter-normalised)")
    ax.set_title("Loss on a random 2-D slice (Li et al., 2018)")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_loss_landscape(net: Any, X: Any, y: Any, directions: Any = "gradient", *,
                        lr: float = 1.0, epochs: int = 300, ax: Any = None, seed: int = 0,
                        points: int | None = None) -> Any:  # fmt: skip
    """The loss around the network's weights: 1-D along the gradient, or a 2-D slice.

    ``directions="gradient"``: the loss along the negative gradient, its quadratic
    model, and one step of *lr* drawn on it (with the model's minimum :math:`t^*` and
    :math:`2t^*`, past which the step overshoots). ``"random"`` (or a pair of
    parameter vectors): train with *lr* for *epochs* from the current weights, and
    draw the loss on the plane through the end point spanned by two filter-normalised
    random directions, with the trajectory projected on it. ``"both"``: the two side
    by side (*ax* then a pair). The network's weights are left unchanged.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> ax = plot_loss_landscape(net, X, y, lr=1.0)
    >>> [line.get_gid() for line in ax.lines]
    ['loss', 'quadratic', 'step', 't_star', 'two_t_star']
    """
    pair = isinstance(directions, (tuple, list)) and len(directions) == 2
    if not pair and directions not in ("gradient", "random", "both"):
        raise ValueError(
            f"directions must be 'gradient', 'random', 'both' or a pair of parameter vectors, "
            f"not {directions!r}"
        )
    if directions == "gradient":
        return _line(net, X, y, lr, ax, points or 201)
    if directions == "both":
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(1, 2, figsize=(12, 4.8))
        if len(ax) != 2:
            raise ValueError("directions='both' draws on a pair of Axes: pass ax=(ax1, ax2)")
        return [_line(net, X, y, lr, ax[0], points or 201),
                _surface(net, X, y, lr, ax[1], None, points or 31, epochs, seed)]  # fmt: skip
    return _surface(net, X, y, lr, ax, directions if pair else None, points or 31, epochs, seed)


def plot_runs(runs: Sequence[Any] | Mapping[str, Any], ax: Any = None, log: bool = True,
              diverged: Sequence[bool] | None = None) -> Any:  # fmt: skip
    """Several training runs' loss per epoch on one axes (one per learning rate or optimizer).

    *runs* is a list of :class:`~symnn.History` (labelled by optimizer and rate) or a
    dict label -> History. A run that diverged (a non-finite loss in its history, or
    ``diverged[i]`` True: :class:`~symnn.nn.lr.LRSweep` has that list) ends in a red cross
    at its last finite loss.
    ``symnn.plot_history`` calls this when given several histories.

    >>> from symnn.nn.training import History
    >>> ax = plot_runs([History(loss=[1.0, 0.5], lr=0.1), History(loss=[1.0, 0.2], lr=1.0)])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['sgd, lr=0.1', 'sgd, lr=1']
    """
    if isinstance(runs, Mapping):
        items = list(runs.items())
    else:
        items = [(f"{getattr(h, 'optimizer', 'run')}, lr={getattr(h, 'lr', 0):g}", h) for h in runs]
    if not items:
        raise ValueError("no runs to draw: pass a list of Histories or a dict label -> History")
    ax = axes_for(ax)
    smallest = math.inf
    for i, (label, h) in enumerate(items):
        if not hasattr(h, "loss"):
            raise TypeError(f"run {label!r} is a {type(h).__name__}, not a History (net.fit returns one)")
        loss = np.asarray(h.loss, dtype=np.float64)
        good = np.isfinite(loss)
        epochs = np.arange(1, loss.size + 1)
        ax.plot(epochs[good], loss[good], color=f"C{i % 10}", lw=1.4, label=str(label), gid=f"run{i}")
        if not good.all() or (diverged is not None and diverged[i]):
            last = np.flatnonzero(good)
            if last.size:
                ax.plot(epochs[last[-1]], loss[last[-1]], "x", color="C3", ms=8, mew=2, gid="diverged")
        if good.any() and (loss[good] > 0).any():
            smallest = min(smallest, float(loss[good][loss[good] > 0].min()))
    if log:
        values = np.concatenate([np.asarray(h.loss, dtype=float) for _, h in items])
        values = values[np.isfinite(values)]
        if values.size and np.all(values > 0):
            ax.set_yscale("log")
        elif math.isfinite(smallest):
            ax.set_yscale("symlog", linthresh=smallest)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    ax.set_title("Training loss of several runs")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.legend(loc="best", fontsize="small")
    return ax
