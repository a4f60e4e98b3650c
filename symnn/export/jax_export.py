r"""Activations, losses and networks as JAX functions, with symnn's stable numerics.

Each elementwise function is a ``jax.custom_jvp`` whose primal is the generated code of
symnn's prepared expression and whose tangent is the generated code of symnn's symbolic
derivative (:mod:`symnn.export.elementwise`); ``grad``, ``jit``, ``vmap`` and reverse mode
all go through it. A network is ``(params, apply_fn, loss_fn)`` in the pytree style:
``params`` a dict ``{"W1": ..., "b1": ..., ...}`` with symnn's layout (``W`` is (in, out),
``Z = X @ W + b``).

JAX is imported when a function here is first called, never on import. For float64 turn
on ``jax.config.update("jax_enable_x64", True)`` (JAX computes in float32 otherwise).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from symnn.catalogue.activation import Activation
from symnn.catalogue.loss import Loss
from symnn.catalogue.vector import VectorActivation
from symnn.export.elementwise import Code, build, build_each, derivative_code
from symnn.export.sources import (
    activation_code,
    layer_trainables,
    loss_code,
)
from symnn.export.vector import jax_function
from symnn.nn.network import Network

__all__ = ["activation_function", "load_params", "loss_function", "network_functions"]


def _jax():
    from symnn.export import jax_ops

    ops = jax_ops.load()
    return ops.jax, ops.jnp


@functools.lru_cache(maxsize=512)
def custom_jvp_function(code: Code) -> Callable:
    """``f(*arrays, *scalars)`` as a ``jax.custom_jvp``: the tangent is the code's partials.

    Each partial is itself a ``custom_jvp`` function (:func:`partial_function`), so a second
    derivative (``jax.hessian``, a jvp of a grad) is symnn's next derivative, not the autodiff
    of the printed stable code, which loses the tails and the kink conventions
    (softplus''(37), ELU''(0)).
    """
    value, _ = build(code)
    f = _with_jvp(value, lambda: code)
    f.__name__ = code.name
    f.__doc__ = f"{code.name}: {code.expr} (symnn export)\n\n{code.value_source}"
    return f


def _with_jvp(value: Callable, partials: Callable[[], Code]) -> Callable:
    """*value* as a ``jax.custom_jvp`` whose tangent is the partials of the code ``partials()``
    gives (asked only when a derivative is traced)."""
    jax, _ = _jax()

    @jax.custom_jvp
    def f(*args):
        return value(*args)

    @f.defjvp
    def f_jvp(primals, tangents):
        out = value(*primals)
        return out, _tangent(partials(), primals, tangents, out)

    return f


def _tangent(code: Code, primals, tangents, out):
    """The sum of each partial of *code* times its argument's tangent (shaped as *out*)."""
    _, jnp = _jax()
    tangent = jnp.zeros_like(out)
    for k, i in enumerate(code.wrt_index):
        tangent = tangent + partial_function(code, k)(*primals) * tangents[i]
    return tangent


@functools.lru_cache(maxsize=512)
def partial_function(code: Code, k: int) -> Callable:
    """The k-th partial of *code* as a ``jax.custom_jvp`` function: its value is the code's
    own printed partial (with f''s near-root windows and limits); its partials, the next
    order, are printed only when a derivative of it is traced (a first-order ``grad``
    never pays for the second order)."""
    d = _with_jvp(build_each(code)[k], lambda: derivative_code(code, k))
    d.__name__ = f"d{k}_{code.name}"
    return d


def activation_function(act: Activation) -> Callable:
    """``f(x, **params)``: the activation as a JAX-traceable function.

    Every parameter is a keyword argument with the activation's default; ``jax.grad``
    differentiates with respect to it too (symbolic partials), so a parameter can be trained.
    """
    code = activation_code(act, "jax", [act.kwnames[p] for p in act.params])
    fn = custom_jvp_function(code)
    names = [act.kwnames[p] for p in code.scalars]
    defaults = {act.kwnames[p]: act.params[p] for p in code.scalars}

    def activation(x, **params):
        unknown = set(params) - set(names)
        if unknown:
            raise TypeError(
                f"{act.name} has no parameter {sorted(unknown)[0]!r}; its parameters are "
                f"{', '.join(names) or 'none'}"
            )
        values = {**defaults, **params}
        return fn(x, *(values[n] for n in names))

    activation.__name__ = code.name
    activation.__doc__ = (
        f"{act.name}({act.symbol}) = {act.expr}, exported by symnn (custom_jvp: the "
        f"derivative is {act.derivative}).\n\n{code.value_source}\n\n{code.grad_source}"
    )
    activation.formula = act.expr
    activation.source = f"{code.value_source}\n\n{code.grad_source}"
    return activation


def loss_function(lo: Loss, reduction: str | None = None) -> Callable:
    """``loss(yhat, y)``: the loss, reduced as the symnn loss says (or as *reduction* says)."""
    _, jnp = _jax()
    lo = lo if reduction is None else lo.with_reduction(reduction)
    if lo.fused_softmax:
        return _softmax_ce(lo)
    code = loss_code(lo, "jax")
    fn = custom_jvp_function(code)
    params = [lo.params[p] for p in code.scalars]

    def loss(yhat, y):
        yhat = jnp.asarray(yhat)
        t = _targets(lo, yhat, y)
        elem = fn(yhat, t, *params)
        if lo.rowwise:
            elem = elem.sum(-1)
        return _reduce(lo, elem, yhat.shape)

    loss.__name__ = code.name
    loss.__doc__ = f"{lo.name}: {lo.expr}, reduction {lo.reduction!r} (symnn export)"
    return loss


def _targets(lo: Loss, yhat, y):
    jax, jnp = _jax()
    y = jnp.asarray(y)
    if lo.rowwise and yhat.ndim >= 1 and y.shape == yhat.shape[:-1]:
        y = jax.nn.one_hot(y.astype(jnp.int32), yhat.shape[-1], dtype=yhat.dtype)
    return jax.lax.stop_gradient(y.astype(yhat.dtype))


def _reduce(lo: Loss, elem, shape):
    if lo.reduction == "none":
        return elem
    total = elem.sum()
    if lo.reduction == "sum":
        return total
    if lo.reduction == "batchmean":
        return total / (shape[0] if len(shape) else 1)
    return total / (math.prod(shape[:-1]) if lo.rowwise else math.prod(shape))


def _softmax_ce(lo: Loss) -> Callable:
    jax, jnp = _jax()
    smoothing = float(lo.options.get("label_smoothing") or 0.0)
    weight = lo.options.get("weight")

    def parts(z):
        m = z.max(-1, keepdims=True)
        top = z.argmax(-1)
        e = jnp.exp(z - m)
        onehot = jax.nn.one_hot(top, z.shape[-1], dtype=bool)
        s = jnp.where(onehot, 0.0, e).sum(-1, keepdims=True)
        return m, onehot, e, s

    @jax.custom_jvp
    def rows(z, t):
        m, _, _, s = parts(z)
        gap = jnp.where(t != 0, t * (m - z), 0.0)
        return gap.sum(-1) + t.sum(-1) * jnp.log1p(s[..., 0])

    @rows.defjvp
    def rows_jvp(primals, tangents):
        z, t = primals
        _, onehot, e, s = parts(z)
        p = e / (1.0 + s)
        q = jnp.where(onehot, s / (1.0 + s), 1.0 - p)
        total = t.sum(-1, keepdims=True)
        tt = jax.nn.one_hot(t.argmax(-1), t.shape[-1], dtype=bool)
        others = jnp.where(tt, 0.0, t).sum(-1, keepdims=True)
        r = jnp.where(tt, others, total - t)
        g = p * r - t * q
        return rows(z, t), (g * tangents[0]).sum(-1)

    def loss(yhat, y):
        z = jnp.asarray(yhat)
        t = _targets(lo, z, y)
        if smoothing:
            t = (1.0 - smoothing) * t + smoothing / t.shape[-1]
        if weight is not None:
            t = t * jnp.asarray(weight, dtype=z.dtype)
        r = rows(z, t)
        if weight is not None and lo.reduction == "mean":
            return r.sum() / t.sum()
        return _reduce(lo, r, z.shape)

    loss.__name__ = "softmax_cross_entropy"
    return loss


def network_functions(net: Network) -> tuple[dict[str, Any], Callable, Callable]:
    """``(params, apply_fn, loss_fn)``: ``apply_fn(params, X)`` gives what the loss takes
    (logits for a softmax output), ``loss_fn(params, X, y)`` the network's loss."""
    _, jnp = _jax()
    params = {k: jnp.asarray(np.array(v)) for k, v in net.params.items()}
    acts = [  # a vector layer (softmax, GLU, maxout): symnn's formulas, W of in_width(h) columns
        jax_function(a) if isinstance(a, VectorActivation) else activation_function(a)
        for a in net.activations
    ]
    # trainable activation parameters: arrays in params ("alpha1"), keywords of the activation
    trained = [{tp.name: tp.key for tp in layer_trainables(net, i)} for i in range(1, len(acts) + 1)]
    loss = loss_function(net.loss)
    bias = net.bias

    def apply_fn(p, X):
        A = jnp.asarray(X)
        for i, act in enumerate(acts, start=1):
            Z = A @ p[f"W{i}"]
            if bias:
                Z = Z + p[f"b{i}"]
            A = act(Z, **{name: p[key] for name, key in trained[i - 1].items()})
        return A

    def loss_fn(p, X, y):
        return loss(apply_fn(p, X), y)

    return params, apply_fn, loss_fn


def load_params(net: Network, params: Mapping[str, Any]) -> None:
    """Copy a pytree of arrays ``{"W1": ..., "b1": ...}`` (symnn's layout) into ``net``."""

    if not isinstance(params, Mapping):
        raise TypeError(
            f"load_weights_from takes a torch module or a dict of arrays like net.to_jax()[0], "
            f"not {type(params).__name__}"
        )
    net.params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
