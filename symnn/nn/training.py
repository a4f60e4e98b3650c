r"""Training: the fit loop and its History.

The optimisers (SGD, momentum, Nesterov, Adam) are defined in :mod:`symnn.nn.optimizers`;
their update rules run as generated, in-place NumPy code (see :mod:`symnn.nn.netcode`).

Regularisation (``l1=``, ``l2=``) adds the penalties of :func:`symnn.regularizer` over the
weights (not the biases, unless ``regularize_biases=True``) to the loss: :math:`\lambda_1 \sum |w|` and
:math:`\frac{\lambda_2}{2} \sum w^2`, whose gradients :math:`\lambda_1 \operatorname{sign}(w)`
and :math:`\lambda_2 w` (PyTorch's ``weight_decay``) join the weight gradients.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from symnn._random import make_rng
from symnn._validation import check_choice, check_count, check_interval
from symnn.catalogue.regularizers import regularizer
from symnn.nn.jit import choose
from symnn.nn.optimizers import optimizer as get_optimizer
from symnn.nn.optimizers import optimizers

__all__ = [
    "DivergenceError",
    "Freezable",
    "History",
    "TrainingWarning",
    "fit",
    "optimizers",
]


class DivergenceError(ArithmeticError, ValueError):
    """Training produced a non-finite loss; the parameters were restored."""


class TrainingWarning(UserWarning):
    """Training ran but something looks wrong (the loss did not fall, units are dead)."""


@dataclass
class History:
    """What happened during :func:`fit`: the loss per epoch and, when asked, more.

    ``loss[e]`` is the training loss during epoch *e* (for full-batch training,
    at the parameters before that epoch's update, as the seed's tutorial
    prints it; for mini-batches, aggregated over the epoch's batches).
    ``interrupted`` is True when Ctrl-C stopped the run (the network then holds the
    parameters after the last completed step).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    optimizer: str = "sgd"
    lr: float = 0.0
    seconds: float = 0.0
    interrupted: bool = False

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
        stop = ", interrupted" if self.interrupted else ""
        return (
            f"History({self.epochs} epochs, {self.optimizer}, lr={self.lr:g}: "
            f"loss {self.loss[0]:.6g} -> {self.loss[-1]:.6g}{val}, {self.seconds:.2f} s{stop})"
        )

    def _repr_html_(self) -> str:
        if not self.loss:
            return "<p>History: no epochs</p>"
        rows = [
            ("epochs", self.epochs),
            ("optimizer", self.optimizer),
            ("lr", f"{self.lr:g}"),
            ("first loss", f"{self.loss[0]:.6g}"),
            ("final loss", f"{self.loss[-1]:.6g}"),
            ("seconds", f"{self.seconds:.2f}"),
        ]
        if self.val_loss:
            rows.append(("final validation loss", f"{self.val_loss[-1]:.6g}"))
        cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return f"<table><caption>History</caption>{cells}</table>"


def _show_progress(progress, epochs: int) -> bool:
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)()) and epochs >= 200
    return bool(progress)


class Freezable:
    """What a network needs for :func:`fit` to keep some of its parameters fixed.

    A class using it keeps its parameters in ``self._params`` (a mapping by name).
    """

    @property
    def frozen(self) -> frozenset[str]:
        """Names of the parameters that :meth:`fit` keeps fixed (saved and loaded with the network).

        >>> import symnn as sn
        >>> net = sn.Network([2, 2, 1], seed=0)
        >>> net.frozen = ["b1", "b2"]
        >>> sorted(net.frozen)
        ['b1', 'b2']
        """
        return self.__dict__.get("_frozen", frozenset())

    @frozen.setter
    def frozen(self, names) -> None:
        names = [names] if isinstance(names, str) else list(names or ())
        unknown = [k for k in names if k not in self._params]
        if unknown:
            raise ValueError(
                f"cannot freeze {', '.join(map(repr, unknown))}: the parameters are "
                f"{', '.join(self._params)}"
            )
        self.__dict__["_frozen"] = frozenset(names)


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
    regularize_biases: bool = False,
    warn: bool = True,
    freeze=None,
) -> History:
    """Train *net* on (X, y) and return the :class:`History` (also kept as ``net.history_``).

    Parameters
    ----------
    epochs : passes over the data (the seed trains for 1500 full-batch iterations).
    lr : the learning rate.
    optimizer : a name from :func:`symnn.nn.optimizers.optimizers` (``"sgd"``,
        ``"momentum"``, ``"nesterov"``, ``"adam"``).
    batch_size : samples per step (default: all of them, full-batch gradient descent).
    l1, l2 : regularisation strengths on the weights (see the module docstring); they
        add to the penalties given with ``Network(loss=loss + regularizer)``.
    shuffle : reshuffle the samples every epoch (mini-batches only).
    seed : makes the shuffling reproducible.
    validation : ``(X_val, y_val)``; its loss is recorded every epoch.
    metrics : names of extra per-epoch metrics; ``"accuracy"`` is available.
    progress : show a tqdm progress bar (default: only on long runs in a terminal).
    momentum : the velocity decay of ``"momentum"`` and ``"nesterov"``, in [0, 1).
    betas, eps : Adam's decay rates, each in [0, 1), and its epsilon > 0.
    regularize_biases : apply ``l1``/``l2`` (and the network's penalties) to the biases too.
        symnn penalises only the weights by default; PyTorch's ``weight_decay`` decays every
        parameter, so ``regularize_biases=True`` with ``l2=wd`` reproduces it.
    warn : warn (:class:`TrainingWarning`) when the loss did not fall or most hidden
        units are dead at the end.
    freeze : names of parameters to keep fixed (``["b1", "b2"]``, as classic worked examples
        keep their biases); stored as ``net.frozen``, so later fits, :func:`symnn.save` and
        :func:`symnn.load` keep them; ``freeze=[]`` unfreezes. Default: ``net.frozen`` as it is.

    Raises
    ------
    DivergenceError
        When the loss becomes NaN or inf; the parameters are restored to the last
        state with a finite loss, and the message names the epoch.
    KeyboardInterrupt
        After Ctrl-C, once the parameters are back at the last completed step
        (``net.history_.interrupted`` is True and says how far it got).
    """
    X, Y = net.check_data(X, y)
    if freeze is not None:
        net.frozen = freeze
    epochs = check_count("epochs", epochs, 0)
    lr = check_interval("lr", lr, 0.0, low_open=True)
    l1 = check_interval("l1", l1, 0.0)
    l2 = check_interval("l2", l2, 0.0)
    opt = get_optimizer(optimizer)
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    offered = {"momentum": momentum, "beta1": b1, "beta2": b2, "eps": eps}
    hyper = opt.hyper(lr, {k: v for k, v in offered.items() if k in opt.defaults})
    n = X.shape[0]
    if batch_size is None:
        batch_size = n
    batch_size = min(check_count("batch_size", batch_size, 1), n)
    val = None
    if validation is not None:
        try:
            Xv, yv = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        val = net.check_data(Xv, yv)
    metric_names = list(metrics or [])
    for m in metric_names:
        check_choice("metric", m, ["accuracy"])
    # only shuffled mini-batches draw from it (fresh OS entropy costs ~10 us a call)
    rng = make_rng(seed) if seed is not None or (shuffle and batch_size < n) else None
    penalties = list(net.regularizers) + [
        regularizer(name, lam=lam) for name, lam in (("l1", l1), ("l2", l2)) if lam
    ]

    params = net.params.arrays()
    names = list(net.params)
    penalised = [i for i, k in enumerate(names) if k.startswith(("W", "K")) or regularize_biases]  # weights and kernels
    flat = getattr(net.params, "flat", None)
    if flat is not None and not all(p.base is flat for p in params):  # views of it (cheap to ask)
        flat = None
    fixed = [i for i, k in enumerate(names) if k in net.frozen]
    state_flat, state = _state(opt, params, flat)
    save, restore, backup = _backup(params, flat)
    update = net.updater(opt.name)
    history = History(optimizer=opt.name, lr=lr, metrics={m: [] for m in metric_names})
    if val is not None:
        history.metrics.update({f"val_{m}": [] for m in metric_names})
    run = _Run(
        net=net, X=X, Y=Y, params=params, state=state, save=save, update=update, opt=opt,
        hyper=hyper, penalties=penalties, penalised=penalised, batch_size=batch_size,
        shuffle=shuffle, rng=rng, losses=np.empty(epochs), flat=flat, backup=backup,
        state_flat=state_flat, fixed=fixed, fixed_values=[params[i].copy() for i in fixed],
    )
    per_epoch = val is not None or bool(metric_names)

    bar = None
    if _show_progress(progress, epochs):
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="training", unit="epoch", leave=False)
    # the loop runs in chunks of epochs; between chunks (not between steps) the progress bar
    # moves, and the compiled kernels take over once they are ready (symnn.nn.jit)
    every = max(1, epochs // 100) if bar is not None else epochs
    jit = net.jit_kernels() if epochs else None
    if jit is not None and not (X.flags.writeable and Y.flags.writeable):
        run.X, run.Y = X.copy(), Y.copy()  # the kernels are compiled for writable arrays
    t_start = time.perf_counter()
    done = 0  # completed epochs
    # a diverging run overflows on its way to inf/NaN; the loss check below reports it
    errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    errstate.__enter__()
    try:
        while done < epochs:
            kind, kernels = choose(jit, run)
            chunk = every if (kernels is not None or jit is None) else min(every, 8)
            stop = min(epochs, done + chunk)
            if per_epoch:
                bad = _epochs_with_extras(run, done, stop, val, metric_names, history, kernels)
            elif kernels is not None and kind.startswith("train_"):
                bad = kernels.train(run, done, stop)
            else:
                bad = _epochs(run, done, stop, kernels)
            if bad is not None:
                done, loss = bad
                restore()
                raise DivergenceError(
                    f"the loss became {loss} in epoch {done + 1} (optimizer {opt.name}, "
                    f"lr={lr:g}); try a smaller learning rate. The parameters were restored "
                    "to the last state with a finite loss."
                )
            if bar is not None:
                bar.update(stop - done)
                bar.set_postfix(loss=f"{run.losses[stop - 1]:.4g}")
            done = stop
    except KeyboardInterrupt as err:
        # an update may have stopped half way (W1 stepped, b1 not): go back to the end of
        # the last completed step, which the backup holds
        done = getattr(err, "symnn_completed", done)
        restore()
        history.interrupted = True
        warnings.warn(
            f"training interrupted in epoch {done + 1} of {epochs}; the network holds the "
            f"parameters after the last completed step ({done} full epochs)",
            TrainingWarning,
            stacklevel=2,
        )
        raise
    finally:
        errstate.__exit__(None, None, None)
        if bar is not None:
            bar.close()
        history.loss = run.losses[:done].tolist()
        history.seconds = time.perf_counter() - t_start
        net.history_ = history
    if warn:
        _warn_if_stuck(net, X, history)
    return history


def _warn_if_stuck(net, X, history: History) -> None:
    """Warn when training went nowhere: the loss did not fall, or most hidden units are dead."""
    if len(history.loss) >= 10 and not history.loss[-1] < history.loss[0]:
        warnings.warn(
            f"the loss did not decrease ({history.loss[0]:.4g} -> {history.loss[-1]:.4g} over "
            f"{history.epochs} epochs); try another learning rate, optimizer or initialisation",
            TrainingWarning,
            stacklevel=3,
        )
    for i, A in enumerate(net.hidden_activations(X), start=1):
        if A.shape[0] < 2 or A.shape[1] < 2:
            continue
        dead = np.all(A == 0.0, axis=0)
        if dead.mean() > 0.5:
            warnings.warn(
                f"{int(dead.sum())} of {A.shape[1]} units of hidden layer {i} output 0 on every "
                "sample (dead units); try a smaller learning rate, leaky_relu, or another seed",
                TrainingWarning,
                stacklevel=3,
            )


def _regularize(params, grads, weights, penalties) -> float:
    """Add the penalties' gradients to the weight gradients; return the total penalty."""
    total = 0.0
    for reg in penalties:
        for i in weights:
            total += reg.penalty(params[i])
            np.add(grads[i], reg.grad(params[i]), out=grads[i])
    return total


@dataclass
class _Run:
    """What one call of :func:`fit` trains with (shared by the loops below and the kernels)."""

    net: object
    X: np.ndarray
    Y: np.ndarray
    params: list
    state: list
    save: object  # backs the parameters up (one copy of the flat array)
    update: object  # the generated in-place update
    opt: object
    hyper: dict
    penalties: list
    penalised: list
    batch_size: int
    shuffle: bool
    rng: object
    losses: np.ndarray  # preallocated: losses[e] is epoch e's loss (the kernels write into it)
    flat: np.ndarray | None  # the parameters as one array (they are views of it), or None
    backup: np.ndarray | None  # save() copies flat here
    state_flat: np.ndarray | None  # the optimiser state, one row per state buffer
    fixed: list = field(default_factory=list)  # indices of the frozen parameters (net.frozen)
    fixed_values: list = field(default_factory=list)  # their values, restored after each update
    t: int = 0  # steps taken


def _state(opt, params, flat):
    """The optimiser's state buffers (zeros): views of one (buffers, parameters) array if flat."""
    if flat is None:
        return None, [np.zeros_like(p) for _ in opt.state for p in params]
    state_flat = np.zeros((len(opt.state), flat.size))
    views = []
    for row in state_flat:
        at = 0
        for p in params:
            views.append(row[at : at + p.size].reshape(p.shape))
            at += p.size
    return state_flat, views


def _backup(params, flat):
    """``(save, restore, copy)``: one copy of the flat parameter array (else one per array)."""
    if flat is not None:
        copy = flat.copy()
        save = functools.partial(np.copyto, copy, flat)
        return save, functools.partial(np.copyto, flat, copy), copy
    backup = [p.copy() for p in params]

    def save():
        for p, b in zip(params, backup, strict=True):
            np.copyto(b, p)

    def restore():
        for p, b in zip(params, backup, strict=True):
            np.copyto(p, b)

    return save, restore, None


def _update_of(run: _Run, grads):
    """``(update, arrays)``: the update to call as ``update(*scalars, *arrays)`` after each
    gradient into *grads*. When the parameters are views of ``run.flat`` and the gradients
    views of one array laid out alike (the generated workspaces allocate them so), the
    optimiser's ``_flat`` update: one pass over all parameters, not one per array."""
    flat, gflat = run.flat, grads[0].base if grads else None
    if (
        flat is not None and run.state_flat is not None and isinstance(gflat, np.ndarray)
        and gflat.shape == flat.shape and gflat.flags.c_contiguous
        and all(
            g.base is gflat and g.shape == p.shape
            and g.ctypes.data - gflat.ctypes.data == p.ctypes.data - flat.ctypes.data
            for p, g in zip(run.params, grads, strict=True)
        )
    ):
        return run.net.updater(run.opt.name, flat=True), (flat, gflat, *run.state_flat)
    return run.update, (*run.params, *grads, *run.state)


def _zero(grads, fixed) -> None:
    """Frozen parameters: no gradient reaches the optimiser (nor its state)."""
    for i in fixed:
        grads[i].fill(0.0)


def _restore_fixed(params, fixed, values) -> None:
    """Frozen parameters keep their values (an update such as Adam's eps term may move them)."""
    for i, value in zip(fixed, values, strict=True):
        np.copyto(params[i], value)


def _interrupted(err: KeyboardInterrupt, completed: int) -> KeyboardInterrupt:
    err.symnn_completed = completed  # type: ignore[attr-defined]
    return err


def _epochs(run: _Run, start: int, stop: int, kernels=None):
    """Epochs start..stop-1, full-batch or in mini-batches; ``(epoch, loss)`` if the loss
    diverged. BLAS is held at one thread around them when the row-blocked step trains them
    (:meth:`symnn.nn.jit.Kernels.holding`)."""
    full = run.batch_size == run.X.shape[0]
    hold = kernels.holding(run.batch_size) if kernels is not None else contextlib.nullcontext()
    with hold:
        return (_full_batch_epochs if full else _minibatch_epochs)(run, start, stop, kernels)


def _full_batch_epochs(run: _Run, start: int, stop: int, kernels=None):
    """Epochs start..stop-1 of full-batch training; ``(epoch, loss)`` if the loss diverged.

    Per step: the generated gradient, the finiteness check of the loss it returns (no
    pass over any array), one copy of the flat parameters for the restore, the update.
    """
    X, Y, params, losses, save = run.X, run.Y, run.params, run.losses, run.save
    gradient, grads = (kernels or run.net).workspace(X.shape[0])
    update, arrays = _update_of(run, grads)
    opt, hyper, penalties, fixed = run.opt, run.hyper, run.penalties, run.fixed
    scalars = opt.scalars(1, hyper)
    steady = not opt.time_dependent
    isfinite = math.isfinite
    t = run.t
    e = start
    try:
        for e in range(start, stop):
            loss = gradient(X, Y, *params)
            if penalties:
                loss += _regularize(params, grads, run.penalised, penalties)
            if not isfinite(loss):
                run.t = t
                return e, loss
            save()
            t += 1
            if fixed:
                _zero(grads, fixed)
            update(*(scalars if steady else opt.scalars(t, hyper)), *arrays)
            if fixed:
                _restore_fixed(params, fixed, run.fixed_values)
            losses[e] = loss
    except KeyboardInterrupt as err:
        raise _interrupted(err, e) from None
    run.t = t
    return None


def _minibatch_epochs(run: _Run, start: int, stop: int, kernels=None):
    """Epochs start..stop-1 of mini-batch training (batches gathered into fixed buffers)."""
    X, Y, params, losses, save = run.X, run.Y, run.params, run.losses, run.save
    n, size = X.shape[0], run.batch_size
    source = kernels or run.net
    opt, hyper, penalties, fixed = run.opt, run.hyper, run.penalties, run.fixed
    scalars = opt.scalars(1, hyper)
    steady = not opt.time_dependent
    reduction_sum = run.net.loss.reduction == "sum"
    buffers = {}
    for m in {size, n % size} - {0}:
        gradient, grads = source.workspace(m)
        buffers[m] = (np.empty((m, *X.shape[1:])), np.empty((m, *Y.shape[1:])), gradient, grads,
                      *_update_of(run, grads))
    take, isfinite = np.take, math.isfinite
    t = run.t
    e = start
    try:
        for e in range(start, stop):
            order = run.rng.permutation(n) if run.shuffle else np.arange(n)
            total = 0.0
            for lo in range(0, n, size):
                idx = order[lo : lo + size]
                Xb, Yb, gradient, grads, update, arrays = buffers[idx.shape[0]]
                take(X, idx, axis=0, out=Xb)
                take(Y, idx, axis=0, out=Yb)
                loss = gradient(Xb, Yb, *params)
                if penalties:
                    loss += _regularize(params, grads, run.penalised, penalties)
                if not isfinite(loss):
                    run.t = t
                    return e, loss
                save()
                total += loss if reduction_sum else loss * idx.shape[0] / n
                t += 1
                if fixed:
                    _zero(grads, fixed)
                update(*(scalars if steady else opt.scalars(t, hyper)), *arrays)
                if fixed:
                    _restore_fixed(params, fixed, run.fixed_values)
            losses[e] = total
    except KeyboardInterrupt as err:
        raise _interrupted(err, e) from None
    run.t = t
    return None


def _epochs_with_extras(run: _Run, start, stop, val, metric_names, history, kernels=None):
    """Epochs with a validation loss or metrics recorded after each."""
    for e in range(start, stop):
        bad = _epochs(run, e, e + 1, kernels)
        if bad is not None:
            return bad
        if val is not None:
            history.val_loss.append(run.net.loss_value(*val))
        for m in metric_names:
            history.metrics[m].append(run.net.accuracy(run.X, run.Y))
            if val is not None:
                history.metrics[f"val_{m}"].append(run.net.accuracy(*val))
    return None
