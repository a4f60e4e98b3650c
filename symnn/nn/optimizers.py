r"""Optimisers: each one definition -- its update rule (as in-place NumPy statements) and its state.

The generated training module (:mod:`symnn.nn.netcode`) emits one function per
optimiser from these definitions, and :func:`symnn.nn.training.fit` calls it after
every gradient. With :math:`g = \nabla_W L` and learning rate :math:`\eta`:

* ``sgd``: :math:`W \leftarrow W - \eta g`
* ``momentum``: :math:`v \leftarrow \mu v - \eta g,\; W \leftarrow W + v` (:math:`\mu = 0.9`)
* ``nesterov``: :math:`v \leftarrow \mu v - \eta g,\; W \leftarrow W + \mu v - \eta g`
  (Sutskever et al. 2013; the same steps as PyTorch's ``SGD(nesterov=True)``)
* ``adam``: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\; s \leftarrow \beta_2 s + (1-\beta_2) g^2,\;
  W \leftarrow W - \eta \frac{\hat m}{\sqrt{\hat s} + \epsilon}` (Kingma & Ba, 2015;
  :math:`\beta_1 = 0.9`, :math:`\beta_2 = 0.999`, :math:`\epsilon = 10^{-8}`)

Adding an optimiser is one :func:`_define` call: its hyper-parameters (as
:class:`~symnn.catalogue.registry.ParamSpec`), the names of its per-parameter state
buffers, the scalars the update needs at step *t*, and the update statements, written
with ``{p}`` (the parameter), ``{g}`` (its gradient, free to overwrite) and one
placeholder per state buffer.

>>> optimizers()
['sgd', 'momentum', 'nesterov', 'adam']
>>> optimizer("adam").scalars(1, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8})[0]  # lr*sqrt(1-b2)/(1-b1)
0.03162277660168381
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from symnn.catalogue.registry import Entry, Registry, positive, unit

__all__ = ["REGISTRY", "OptimizerEntry", "optimizer", "optimizers"]


@dataclass(frozen=True, kw_only=True)
class OptimizerEntry(Entry):
    """One optimiser: hyper-parameters, state buffers, step scalars and update statements."""

    state: tuple[str, ...] = ()
    scalar_names: tuple[str, ...] = ("lr",)
    scalars: Callable[[int, Mapping[str, float]], tuple[float, ...]]
    update: tuple[str, ...]
    #: whether ``scalars`` depends on the step t (Adam's bias corrections); when not, the
    #: training loop computes the scalars once per run
    time_dependent: bool = True

    def hyper(self, lr: float, given: Mapping[str, Any]) -> dict[str, float]:
        """The hyper-parameters of a run: defaults, overridden by *given* (checked)."""
        values = {"lr": lr, **self.defaults}
        for key, value in given.items():
            spec = self.param(key)
            values[spec.name] = spec.check(value, self.name)
        return values


REGISTRY: Registry[OptimizerEntry] = Registry("optimizer", "symnn.optimizers()")


def _define(name: str, **fields: Any) -> None:
    REGISTRY.add(OptimizerEntry(name=name, **fields))


def optimizers() -> list[str]:
    """The names of the optimisers ``fit`` takes."""
    return REGISTRY.names()


def optimizer(name: str) -> OptimizerEntry:
    """The definition of the optimiser *name* (did-you-mean on a typo)."""
    return REGISTRY.lookup(name)


_MU = unit("momentum", 0.9, high_open=True, doc="the velocity's decay")

_define(
    "sgd",
    scalars=lambda t, h: (h["lr"],),
    time_dependent=False,
    update=("np.multiply({g}, lr, out={g})", "np.subtract({p}, {g}, out={p})"),
    doc="Gradient descent: W -= lr*g.",
)
#: What momentum and Nesterov share: the velocity v, its decay mu and the learning rate.
_VELOCITY = {
    "params": (_MU,),
    "state": ("v",),
    "scalar_names": ("lr", "mu"),
    "scalars": lambda t, h: (h["lr"], h["momentum"]),
    "time_dependent": False,
}

_define(
    "momentum",
    **_VELOCITY,
    update=(
        "np.multiply({v}, mu, out={v})",
        "np.multiply({g}, lr, out={g})",
        "np.subtract({v}, {g}, out={v})",
        "np.add({p}, {v}, out={p})",
    ),
    doc="Momentum: v = mu*v - lr*g; W += v.",
)
_define(
    "nesterov",
    **_VELOCITY,
    update=(
        "np.multiply({v}, mu, out={v})",
        "np.multiply({g}, lr, out={g})",
        "np.subtract({v}, {g}, out={v})",
        "np.subtract({p}, {g}, out={p})",
        "np.multiply({v}, mu, out={g})",
        "np.add({p}, {g}, out={p})",
    ),
    doc="Nesterov momentum: v = mu*v - lr*g; W += mu*v - lr*g (PyTorch's nesterov=True).",
)


def _adam_scalars(t: int, h: Mapping[str, float]) -> tuple[float, ...]:
    """The bias corrections folded into the step size and epsilon (no extra array pass)."""
    b1, b2 = h["beta1"], h["beta2"]
    c2 = math.sqrt(1 - b2**t)
    return (h["lr"] * c2 / (1 - b1**t), b1, b2, h["eps"] * c2)


_define(
    "adam",
    params=(
        unit("beta1", 0.9, high_open=True),
        unit("beta2", 0.999, high_open=True),
        positive("eps", 1e-8),
    ),
    state=("m", "s"),
    scalar_names=("step_size", "beta1", "beta2", "eps"),
    scalars=_adam_scalars,
    update=(
        # m = b1*m + (1-b1)*g written as g + b1*(m - g): in place, no temporary
        "np.subtract({m}, {g}, out={m})",
        "np.multiply({m}, beta1, out={m})",
        "np.add({m}, {g}, out={m})",
        "np.square({g}, out={g})",
        "np.subtract({s}, {g}, out={s})",
        "np.multiply({s}, beta2, out={s})",
        "np.add({s}, {g}, out={s})",
        "np.sqrt({s}, out={g})",
        "np.add({g}, eps, out={g})",
        "np.divide({m}, {g}, out={g})",
        "np.multiply({g}, step_size, out={g})",
        "np.subtract({p}, {g}, out={p})",
    ),
    doc="Adam (Kingma & Ba 2015), in place; the step size and eps carry the bias corrections.",
)
