r"""Vector activations (softmax, log-softmax, the GLU family, maxout) for PyTorch and JAX.

A vector activation is a function of a whole layer (:mod:`symnn.catalogue.vector`); its
export computes the formulas of symnn's generated NumPy code (``VectorActivation.source``),
forward and backward, so the numbers carry over:

===============  ===============================================  ============================
activation       forward                                          vector-Jacobian product G J
===============  ===============================================  ============================
softmax          :math:`s = e^{z - \max z} / \sum e^{z - \max z}`  :math:`s \odot (G - \langle G, s\rangle)`
log-softmax      :math:`z - \max z - \operatorname{log1p}(\sum_{j \ne j^*} e^{z_j - \max z})`
                                                                  :math:`G - e^{A} \sum G`
GLU family       :math:`a \odot g(b)` (first half a, second b)    through the gate's export (symnn's g')
maxout           the first largest of each group of k             G to the first largest piece
===============  ===============================================  ============================

Log-softmax puts the largest term, :math:`e^0 = 1`, into ``log1p``: for a dominant entry
(``[0, -40]``) its value :math:`-e^{-40}` keeps every digit, where ``torch.log_softmax``
returns ``-4.2e-18`` or 0. The gate of a GLU is the scalar activation exported by
:mod:`symnn.export.torch_export` / :mod:`symnn.export.jax_export` (its backward pass is
symnn's symbolic derivative). Maxout gathers at ``argmax`` (the first of tied pieces, a NaN
piece first), so its gradient goes where NumPy's ``argmax`` sends it.

PyTorch: :func:`torch_module` gives an ``nn.Module`` (softmax and log-softmax are
``torch.autograd.Function``\ s); JAX: :func:`jax_function` gives a function of the array
(softmax and log-softmax are ``jax.custom_jvp``\ s, so ``grad``, ``jit`` and ``vmap`` work).

Example (PyTorch and JAX are optional, so these lines are not run as doctests)::

    f = torch_module(sn.vector_activation("log_softmax"))
    f(torch.tensor([[0.0, -40.0]], dtype=torch.float64))  # [[-4.248354255291589e-18, -40.0]]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from symnn.catalogue.vector import VectorActivation

__all__ = ["jax_function", "torch_module"]


def _torch():
    from symnn.export import torch_ops

    return torch_ops.load().torch


def _jax():
    from symnn.export import jax_ops

    ops = jax_ops.load()
    return ops.jax, ops.jnp


def _check_width(act: VectorActivation, width: int, where: str) -> None:
    step = act.in_width(1)
    if width == 0 or width % step:
        raise ValueError(
            f"{act.name} ({where}) takes arrays whose last axis is a positive multiple of {step}; "
            f"got {width}"
        )


# ------------------------------------------------------------------------------
# PyTorch
# ------------------------------------------------------------------------------


@functools.cache
def _torch_functions() -> dict[str, Any]:
    """The autograd.Functions of softmax and log-softmax (defined when PyTorch is imported)."""
    torch = _torch()

    class Softmax(torch.autograd.Function):
        """exp(z - max) / sum; backward s * (G - sum(G * s)) (symnn's formulas)."""

        @staticmethod
        def forward(ctx, z):
            e = torch.exp(z - z.amax(-1, keepdim=True))
            s = e / e.sum(-1, keepdim=True)
            ctx.save_for_backward(s)
            return s

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return s * (g - (g * s).sum(-1, keepdim=True))

    class LogSoftmax(torch.autograd.Function):
        """z - max - log1p(sum of the other exp(z - max)); backward G - exp(A) sum(G)."""

        @staticmethod
        def forward(ctx, z):
            first = z.argmax(-1, keepdim=True)
            s = z - z.gather(-1, first)
            e = torch.exp(s).scatter(-1, first, 0.0)  # the largest term, exp(0) = 1, into log1p
            a = s - torch.log1p(e.sum(-1, keepdim=True))
            ctx.save_for_backward(a)
            return a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g - torch.exp(a) * g.sum(-1, keepdim=True)

    return {"softmax": Softmax, "log_softmax": LogSoftmax}


@functools.cache
def _module_class() -> type:
    nn = _torch().nn

    class SymnnVectorActivation(nn.Module):
        """A symnn vector activation as a module (see :mod:`symnn.export.vector`).

        ``formula`` is the SymPy definition of a layer of 2 units, ``source`` symnn's NumPy
        code whose formulas this module computes; a GLU's ``gate`` is the exported scalar gate.
        """

        def __init__(self, act: VectorActivation, dtype=None) -> None:
            super().__init__()
            self.name = act.name
            self.kind = act.kind
            self.k = act.k
            self.formula = act.expr(2)
            self.source = act.source
            self._act = act
            self._fn = _torch_functions().get(act.kind)
            # the gate's own export (symnn.export.to_torch, through the catalogue's hook)
            self.gate = act.gate.to_torch(dtype=dtype) if act.kind == "glu" else None

        def forward(self, z):
            _check_width(self._act, z.shape[-1], "exported to PyTorch")
            if self._fn is not None:
                return self._fn.apply(z)
            if self.kind == "glu":
                h = z.shape[-1] // 2
                return z[..., :h] * self.gate(z[..., h:])
            pieces = z.reshape(*z.shape[:-1], -1, self.k)
            first = pieces.argmax(-1, keepdim=True)  # the first largest (NaN first), as numpy
            return pieces.gather(-1, first).squeeze(-1)

        def extra_repr(self) -> str:
            return self.name + (f", k={self.k}" if self.k else "")

    return SymnnVectorActivation


def torch_module(act: VectorActivation, dtype=None):
    """*act* as a ``torch.nn.Module`` applied along the last axis (``dtype``: the gate's buffers).

    Example (not a doctest: PyTorch is optional)::

        glu = torch_module(sn.vector_activation("swiglu"))
        glu(torch.tensor([[2.0, 1.0]], dtype=torch.float64))  # 2 silu(1) = 2 / (1 + e^-1)
    """
    return _module_class()(act, dtype)


# ------------------------------------------------------------------------------
# JAX
# ------------------------------------------------------------------------------


@functools.cache
def _jax_functions() -> dict[str, Callable]:
    """softmax and log-softmax as ``jax.custom_jvp`` with symnn's formulas."""
    jax, jnp = _jax()

    @jax.custom_jvp
    def softmax(z):
        e = jnp.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    @softmax.defjvp
    def softmax_jvp(primals, tangents):
        (z,), (t,) = primals, tangents
        s = softmax(z)
        # J t = s (t - <s, t>); J is symmetric, so reverse mode gives s (G - <G, s>)
        return s, s * (t - (t * s).sum(-1, keepdims=True))

    @jax.custom_jvp
    def log_softmax(z):
        first = z.argmax(-1)[..., None]
        s = z - jnp.take_along_axis(z, first, axis=-1)
        top = first == jnp.arange(z.shape[-1])
        e = jnp.where(top, 0.0, jnp.exp(s))  # the largest term, exp(0) = 1, into log1p
        return s - jnp.log1p(e.sum(-1, keepdims=True))

    @log_softmax.defjvp
    def log_softmax_jvp(primals, tangents):
        (z,), (t,) = primals, tangents
        a = log_softmax(z)
        # J t = t - <exp(a), t>; transposed (reverse mode): G - exp(a) sum(G)
        return a, t - (jnp.exp(a) * t).sum(-1, keepdims=True)

    return {"softmax": softmax, "log_softmax": log_softmax}


def jax_function(act: VectorActivation) -> Callable:
    """*act* as a JAX-traceable function ``f(z)`` along the last axis.

    Example (not a doctest: JAX is optional)::

        f = jax_function(sn.vector_activation("maxout", k=2))
        f(jnp.array([[1.0, 3.0, -2.0, -5.0]]))  # [[3.0, -2.0]]
    """
    _, jnp = _jax()
    if act.kind in ("softmax", "log_softmax"):
        core = _jax_functions()[act.kind]
    elif act.kind == "glu":
        gate = act.gate.to_jax()  # the gate's own export (symnn.export.to_jax, by the hook)

        def core(z):
            h = z.shape[-1] // 2
            return z[..., :h] * gate(z[..., h:])

    else:
        k = act.k

        def core(z):
            pieces = z.reshape(*z.shape[:-1], -1, k)
            first = jnp.argmax(pieces, axis=-1)[..., None]  # the first largest (NaN first)
            return jnp.take_along_axis(pieces, first, axis=-1)[..., 0]

    def vector_activation(z):
        z = jnp.asarray(z)
        _check_width(act, z.shape[-1], "exported to JAX")
        return core(z)

    vector_activation.__name__ = act.name
    vector_activation.__doc__ = (
        f"{act.name} along the last axis, exported by symnn ({act.jacobian_text}).\n\n"
        f"symnn's NumPy code, whose formulas this computes:\n\n{act.source}"
    )
    vector_activation.formula = act.expr(2)
    vector_activation.source = act.source
    return vector_activation
