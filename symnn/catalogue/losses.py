r"""The catalogue of losses: one entry each, every other view derived.

>>> import symnn as sn
>>> import numpy as np
>>> sse = loss("sse")
>>> sse.expr, sse.derivative
((y - yhat)**2, 2*(-y + yhat))
>>> print(sse.latex())
L = \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2}
>>> sse.value([0.5, 1.0], [0.0, 1.0]), sse.grad([0.5, 1.0], [0.0, 1.0])
(0.25, array([1., 0.]))
>>> loss("mse").grad([0.5, 1.0], [0.0, 1.0])      # the 1/n of the mean is included
array([0.5, 0. ])

This module holds entries only; the class is :class:`~symnn.catalogue.loss.Loss`
(reductions, shapes and the symbolic pieces are described there) and the registry
machinery is :mod:`symnn.catalogue.registry`. Each entry is one
``_define(name, build, ...)`` call: the element loss (a function of the parameter
symbols and options returning a SymPy expression in ``yhat`` and ``y``), the
parameters as :class:`~symnn.catalogue.registry.ParamSpec`, the default reduction,
the domains of targets and predictions, and what the rest of symnn needs to know:
``prediction`` (what the network's output means: "value", "probability",
"logit", "margin" or "log_probability"), ``output`` (the output activation that
fits it when none is given) and ``with_softmax`` (the fused loss a softmax output
turns it into; None refuses a softmax output).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from symnn._validation import check_choice
from symnn.catalogue.loss import (
    REAL,
    SIGNS,
    Domain,
    Loss,
    SoftmaxCrossEntropy,
    _check_reduction,
    _zero_where_target_zero,
    clamp_logs,
    y,
    yhat,
)
from symnn.catalogue.registry import Entry, Registry, positive, unit
from symnn.expr.functions import sigmoid

__all__ = [
    "PREDICTIONS",
    "Loss",
    "LossEntry",
    "as_loss",
    "loss",
    "loss_aliases",
    "losses",
    "y",
    "yhat",
]

#: What a network's output can mean to a loss.
PREDICTIONS = ("value", "probability", "logit", "margin", "log_probability")


@dataclass(frozen=True, kw_only=True)
class LossEntry(Entry):
    """One catalogue loss (see the module docstring for the fields)."""

    build: Callable[..., sp.Expr]
    reduction: str = "mean"
    domain: Domain = REAL
    input_domain: Domain | Callable[[dict], Domain] = REAL
    rowwise: bool = False
    numeric: Callable[[sp.Expr], sp.Expr] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    cls: type | None = None
    prediction: str = "value"
    output: str = "identity"
    with_softmax: str | None = None


REGISTRY: Registry[LossEntry] = Registry("loss", "symnn.losses()")


def _define(name: str, build: Callable[..., sp.Expr], **fields: Any) -> None:
    """Register one loss (the keyword fields are those of :class:`LossEntry`)."""
    check_choice("prediction", fields.get("prediction", "value"), PREDICTIONS)
    REGISTRY.add(LossEntry(name=name, build=build, **fields))


def losses() -> list[str]:
    """The names of every loss in the catalogue (see :func:`loss_aliases` for other spellings).

    >>> "huber" in losses(), "bce" in losses()
    (True, False)
    """
    return REGISTRY.names()


def loss_aliases() -> dict[str, str]:
    """Alternative spellings and the catalogue names they resolve to.

    >>> loss_aliases()["bce"], loss_aliases()["cross_entropy"]
    ('binary_cross_entropy', 'softmax_cross_entropy')
    """
    return REGISTRY.aliases()


_PROTOTYPES: dict[tuple, Loss] = {}


def loss(name: str | Loss, reduction: str | None = None, **params: Any) -> Loss:
    """Look up a loss by name; keyword arguments set its parameters and options.

    >>> loss("huber", delta=0.5)
    Loss('huber', delta=0.5, reduction='mean'): l(yhat, y) = Piecewise(((-y + yhat)**2/2, Abs(y - yhat) < 1/2), (Abs(y - yhat)/2 - 1/8, True))
    >>> loss("hubr")
    Traceback (most recent call last):
    ...
    ValueError: unknown loss 'hubr'; did you mean 'huber'? (symnn.losses() lists them all)
    """
    if isinstance(name, Loss):
        out = name.with_params(**params) if params else name
        return out.with_reduction(reduction) if reduction else out
    entry = REGISTRY.lookup(name)
    options = dict(entry.options)
    for opt in list(params):
        if opt in options:
            value, default = params.pop(opt), entry.options[opt]
            if isinstance(default, bool) and not isinstance(value, bool):
                raise TypeError(f"{entry.name} option {opt} must be True or False, got {value!r}")
            if isinstance(default, float) and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise TypeError(f"{entry.name} option {opt} must be a number, got {value!r}")
            if default is None and value is not None:  # an array option (class weights)
                value = tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())
            options[opt] = float(value) if isinstance(default, float) else value
    base = _prototype(entry.name, tuple(sorted(options.items())))
    out = base.with_params(**params) if params else base
    return out.with_reduction(reduction) if reduction else out


def as_loss(spec: str | Loss, reduction: str | None = None, **params: Any) -> Loss:
    """A loss from a catalogue name, a formula in ``yhat`` and ``y``, or a Loss.

    Wherever symnn takes a loss, a formula works too (``yhat`` is the prediction,
    ``y`` the target; ``ŷ`` is read as ``yhat``):

    >>> as_loss("(y - yhat)^4").derivative
    -4*(y - yhat)**3
    >>> as_loss("mse").name
    'mse'
    """
    if isinstance(spec, str) and not REGISTRY.knows(spec) and not spec.strip().isidentifier():
        return Loss(spec, name="custom", reduction=reduction or "mean", params=params or None)
    return loss(spec, reduction, **params)


def _prototype(key: str, options: tuple) -> Loss:
    """The catalogue loss *key* with these options, parameters symbolic (built once)."""
    if (key, options) not in _PROTOTYPES:
        entry = REGISTRY[key]
        opts = dict(options)
        if entry.cls is not None:
            _PROTOTYPES[key, options] = entry.cls(reduction=entry.reduction, **opts)
            return _PROTOTYPES[key, options]
        meta = {
            "prediction": entry.prediction,
            "output": entry.output,
            "with_softmax": entry.with_softmax,
        }
        symbols = {p.name: p.sympy_symbol() for p in entry.params}
        expr = entry.build(**symbols, **opts)
        free = expr.free_symbols
        specs = {p.name: p for p in entry.params if symbols[p.name] in free}
        input_domain = (
            entry.input_domain(opts) if callable(entry.input_domain) else entry.input_domain
        )
        lo = object.__new__(Loss)
        lo._setup(
            expr=expr,
            name=entry.name,
            reduction=_check_reduction(entry.reduction),
            specs=specs,
            domain=entry.domain,
            input_domain=input_domain,
            rowwise=entry.rowwise,
            numeric=entry.numeric,
            doc=entry.doc,
            options=opts,
            **meta,
        )
        _PROTOTYPES[key, options] = lo
    return _PROTOTYPES[key, options]


_TARGET_PROBS = Domain(
    "[0, 1]", 0.0, 1.0, hint="targets are probabilities (0/1 labels or soft labels)"
)


def _probability_input(logits_loss: str) -> Domain:
    return Domain("[0, 1]", 0.0, 1.0, hint=f"for logits use loss({logits_loss!r})")


_define(
    "sse",
    lambda: (y - yhat) ** 2,
    reduction="sum",
    aliases=("sum_squared_error", "sum_of_squared_errors"),
    prediction="value",
    output="sigmoid",
    doc=r"""Sum of squared errors :math:`L = \sum_i (y_i - \hat{y}_i)^2`: the seed's loss, neither
    halved nor averaged. Gradient :math:`2(\hat{y}_i - y_i)`.""",
)
_define(
    "half_sse",
    lambda: (y - yhat) ** 2 / 2,
    reduction="sum",
    aliases=("half_sum_squared_error",),
    prediction="value",
    output="sigmoid",
    doc=r"""Half the sum of squared errors :math:`L = \frac{1}{2}\sum_i (y_i - \hat{y}_i)^2`: the
    classic worked examples' loss, whose gradient is :math:`\hat{y}_i - y_i` (no factor 2).""",
)
_define(
    "mse",
    lambda: (y - yhat) ** 2,
    aliases=("l2", "mean_squared_error", "mse_loss"),
    prediction="value",
    doc=r"""Mean squared error :math:`\frac{1}{n}\sum_i (y_i - \hat{y}_i)^2` (PyTorch ``mse_loss``).""",
)
_define(
    "mae",
    lambda: sp.Abs(yhat - y),
    aliases=("l1", "l1_loss", "mean_absolute_error"),
    prediction="value",
    doc=r"""Mean absolute error :math:`\frac{1}{n}\sum_i |\hat{y}_i - y_i|` (PyTorch ``l1_loss``).
    Gradient :math:`\operatorname{sign}(\hat{y} - y)`, 0 where :math:`\hat{y} = y` (as PyTorch).""",
)
_define(
    "huber",
    lambda delta: sp.Piecewise(
        ((yhat - y) ** 2 / 2, sp.Abs(yhat - y) < delta),
        (delta * (sp.Abs(yhat - y) - delta / 2), True),
    ),
    params=(positive("delta", 1.0),),
    aliases=("huber_loss",),
    prediction="value",
    doc=r"""Huber loss: :math:`\frac{1}{2}u^2` for :math:`|u| < \delta`, else
    :math:`\delta(|u| - \frac{\delta}{2})`, :math:`u = \hat{y} - y`, :math:`\delta = 1`
    (PyTorch ``huber_loss``). Gradient :math:`u` inside, :math:`\delta\operatorname{sign}(u)` outside.""",
)
_define(
    "smooth_l1",
    lambda beta: sp.Piecewise(
        ((yhat - y) ** 2 / (2 * beta), sp.Abs(yhat - y) < beta), (sp.Abs(yhat - y) - beta / 2, True)
    ),
    params=(positive("beta", 1.0),),
    aliases=("smooth_l1_loss",),
    prediction="value",
    doc=r"""Smooth L1: :math:`\frac{u^2}{2\beta}` for :math:`|u| < \beta`, else :math:`|u| - \frac{\beta}{2}`,
    :math:`\beta = 1` (PyTorch ``smooth_l1_loss``; Huber divided by :math:`\beta`). :math:`\beta`
    must be positive (PyTorch's :math:`\beta = 0` is ``loss("mae")``).""",
)
_define(
    "log_cosh",
    lambda: sp.log(sp.cosh(yhat - y)),
    aliases=("logcosh",),
    prediction="value",
    doc=r"""Log-cosh :math:`\log\cosh(\hat{y} - y)` (Keras ``log_cosh``): quadratic near 0, linear far
    out. Gradient :math:`\tanh(\hat{y} - y)`. Compiled without overflow (``kernels.log_cosh``).""",
)
_define(
    "binary_cross_entropy",
    lambda: -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)),
    aliases=("bce", "binary_crossentropy", "log_loss"),
    domain=_TARGET_PROBS,
    input_domain=_probability_input("binary_cross_entropy_with_logits"),
    numeric=clamp_logs,
    prediction="probability",
    output="sigmoid",
    doc=r"""Binary cross-entropy on probabilities
    :math:`-[y\log\hat{y} + (1-y)\log(1-\hat{y})]` (PyTorch ``binary_cross_entropy``).

    As PyTorch, each logarithm is clamped to :math:`\ge -100`, so the loss is finite at
    :math:`\hat{y} \in \{0, 1\}` and :math:`0\log 0 = 0`. The compiled gradient is the
    exact derivative of that clamped value (0 where a clamp is active); PyTorch's backward
    instead divides by :math:`\max(\hat{y}(1-\hat{y}), 10^{-12})`, so the two agree wherever
    :math:`\hat{y}(1-\hat{y}) \ge 10^{-12}`. In a network with a sigmoid output the loss is
    computed from the logits instead (as ``binary_cross_entropy_with_logits`` does), so nothing
    clamps and the output delta :math:`\hat{y} - y` is exactly the derivative of the value.""",
)
_define(
    "binary_cross_entropy_with_logits",
    lambda pos_weight: -(
        pos_weight * y * sp.log(sigmoid(yhat)) + (1 - y) * sp.log(1 - sigmoid(yhat))
    ),
    params=(positive("pos_weight", 1.0),),
    aliases=("bce_with_logits", "sigmoid_cross_entropy", "binary_cross_entropy_logits"),
    domain=_TARGET_PROBS,
    prediction="logit",
    doc=r"""Binary cross-entropy on logits :math:`z`:
    :math:`-[p\,y\log\sigma(z) + (1-y)\log(1-\sigma(z))]` (PyTorch
    ``binary_cross_entropy_with_logits``; ``pos_weight`` :math:`p = 1` weighs the positives).

    Compiled as :math:`p\,y\operatorname{softplus}(-z) + (1-y)\operatorname{softplus}(z)` (no
    overflow, no clamping needed); gradient :math:`\sigma(z) - y` for :math:`p = 1`, compiled
    so that it keeps its digits when :math:`\sigma(z) \to y \in \{0, 1\}`.""",
)
_define(
    "categorical_cross_entropy",
    lambda: -y * sp.log(yhat),
    aliases=("cce", "categorical_crossentropy"),
    rowwise=True,
    domain=_TARGET_PROBS,
    input_domain=_probability_input("softmax_cross_entropy"),
    numeric=clamp_logs,
    prediction="probability",
    output="softmax",
    with_softmax="softmax_cross_entropy",
    doc=r"""Categorical cross-entropy on probabilities :math:`-\sum_j y_j\log\hat{y}_j` per sample
    (Keras ``categorical_crossentropy``; PyTorch ``nll_loss(log(p))``). Targets: one-hot or
    probability rows, or class indices. The log is clamped to :math:`\ge -100` as in PyTorch's
    BCE (so :math:`0\log 0 = 0`); gradient :math:`-y_j/\hat{y}_j`, 0 where the clamp is active.""",
)
_define(
    "softmax_cross_entropy",
    lambda: sp.S.Zero,
    aliases=("cross_entropy", "softmax_cross_entropy_with_logits", "ce"),
    cls=SoftmaxCrossEntropy,
    options={"label_smoothing": 0.0, "weight": None},
    rowwise=True,
    prediction="logit",
    output="softmax",
    with_softmax="softmax_cross_entropy",
    doc=SoftmaxCrossEntropy.__doc__ or "",
)
_define(
    "nll",
    lambda: -y * yhat,
    aliases=("nll_loss", "negative_log_likelihood"),
    rowwise=True,
    domain=_TARGET_PROBS,
    input_domain=Domain(
        "(-inf, 0] (log-probabilities)",
        high=0.0,
        hint="apply log_softmax first, or use loss('softmax_cross_entropy') for logits",
    ),
    prediction="log_probability",
    doc=r"""Negative log-likelihood on log-probabilities :math:`-\sum_j y_j \hat{y}_j` per sample,
    :math:`-\hat{y}_{c}` for the true class *c* (PyTorch ``nll_loss``; class indices or one-hot rows).
    Gradient :math:`-y_j`.""",
)
_define(
    "hinge",
    lambda: sp.Max(0, 1 - y * yhat),
    domain=SIGNS,
    prediction="margin",
    doc=r"""Hinge loss :math:`\max(0, 1 - y\hat{y})` for targets :math:`y = \pm 1` (SVM; Keras ``hinge``).
    Subgradient :math:`-y\,\theta(1 - y\hat{y})` with :math:`\theta(0) = 0`: 0 at the corner
    :math:`y\hat{y} = 1`, like :math:`\operatorname{ReLU}'(0) = 0` (``torch.relu(1 - y*yhat)``;
    scikit-learn's SGD and ``torch.clamp`` take :math:`-y` there).""",
)
_define(
    "squared_hinge",
    lambda: sp.Max(0, 1 - y * yhat) ** 2,
    domain=SIGNS,
    prediction="margin",
    doc=r"""Squared hinge :math:`\max(0, 1 - y\hat{y})^2` for targets :math:`y = \pm 1` (Keras
    ``squared_hinge``). Differentiable: gradient :math:`-2y\max(0, 1 - y\hat{y})`.""",
)
_define(
    "kl_div",
    lambda: y * (sp.log(y) - yhat),
    reduction="batchmean",
    aliases=("kl", "kld", "kl_divergence", "kullback_leibler"),
    domain=Domain("[0, inf)", 0.0, hint="targets are probabilities"),
    numeric=_zero_where_target_zero,
    prediction="log_probability",
    doc=r"""Kullback-Leibler divergence :math:`y(\log y - \hat{y})` with :math:`\hat{y}` the
    *log*-probabilities and :math:`y` the probabilities (PyTorch ``kl_div``), :math:`0\log 0 = 0`.
    The default reduction is ``"batchmean"`` (sum / number of rows: the KL divergence per
    sample, which PyTorch recommends; its default ``"mean"`` divides by all elements).
    Gradient :math:`-y`.""",
)
_define(
    "poisson_nll",
    lambda eps, log_input: sp.exp(yhat) - y * yhat if log_input else yhat - y * sp.log(yhat + eps),
    params=(positive("eps", 1e-8, symbol="epsilon"),),
    options={"log_input": True},
    aliases=("poisson", "poisson_nll_loss"),
    domain=Domain("[0, inf)", 0.0, hint="Poisson targets are counts or rates >= 0"),
    input_domain=lambda opts: (
        REAL
        if opts["log_input"]
        else Domain("[0, inf)", 0.0, hint="with log_input=False yhat is a rate >= 0")
    ),
    prediction="value",
    doc=r"""Poisson negative log-likelihood (PyTorch ``poisson_nll_loss``, ``full=False``):
    :math:`e^{\hat{y}} - y\hat{y}` with ``log_input=True`` (the default: :math:`\hat{y}` is the
    log-rate), :math:`\hat{y} - y\log(\hat{y} + \epsilon)` with ``log_input=False``,
    :math:`\epsilon = 10^{-8}`. The Stirling term of ``full=True`` is not included.""",
)
_define(
    "quantile",
    lambda tau: sp.Max(tau * (y - yhat), (tau - 1) * (y - yhat)),
    params=(unit("tau", 0.5),),
    aliases=("pinball", "quantile_loss", "pinball_loss"),
    prediction="value",
    doc=r"""Quantile (pinball) loss :math:`\max(\tau(y - \hat{y}), (\tau - 1)(y - \hat{y}))`,
    :math:`\tau = 0.5` (half the MAE). Gradient :math:`-\tau` below the target,
    :math:`1 - \tau` above, 0 at :math:`\hat{y} = y` (the subgradient PyTorch's ``sign`` picks for MAE).""",
)
_define(
    "pseudo_huber",
    lambda delta: delta**2 * (sp.sqrt(1 + ((yhat - y) / delta) ** 2) - 1),
    params=(positive("delta", 1.0),),
    aliases=("smooth_huber", "charbonnier"),
    prediction="value",
    doc=r"""Pseudo-Huber loss :math:`\delta^2\left(\sqrt{1 + (u/\delta)^2} - 1\right)`,
    :math:`u = \hat{y} - y`, :math:`\delta = 1`: quadratic near 0, linear far out, smooth
    everywhere (unlike Huber). Gradient :math:`u/\sqrt{1 + (u/\delta)^2}`.

    Reference: Charbonnier et al., ICIP 1994; Hartley & Zisserman, *Multiple view geometry*.""",
)
