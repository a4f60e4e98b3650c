r"""The :class:`~symnn.export.elementwise.Code` of an activation or a loss (any backend).

An activation's code is its definition and :attr:`~symnn.Activation.derivative` (symnn's
kink conventions), plus the partial derivative for each trainable parameter; a loss's
code is ``numeric_expr`` (PyTorch's clamps made explicit) and ``numeric_gradient``, exactly
what symnn's NumPy code evaluates, plus the partial in the target.

>>> import symnn as sn
>>> print(activation_code(sn.activation("relu"), "jax").grad_source)
def d_relu(x):
    return (jnp.heaviside(x, 0.0),)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from symnn.catalogue.activation import Activation
from symnn.catalogue.loss import Loss
from symnn.catalogue.vector import VectorActivation
from symnn.export.elementwise import Code, generate
from symnn.export.fixes import Fix
from symnn.expr.symbolic import derivative

__all__ = [
    "activation_code",
    "check_trainable",
    "identifier",
    "layer_trainables",
    "loss_code",
    "z_width",
]


def z_width(act: Activation | VectorActivation, units: int) -> int:
    """The width of a layer's pre-activation (its ``Linear`` layer's outputs): *units*, or
    ``act.in_width(units)`` for a vector activation (2 units for a GLU layer, k units for maxout).

    >>> import symnn as sn
    >>> z_width(sn.vector_activation("swiglu"), 4), z_width(sn.activation("tanh"), 4)
    (8, 4)
    """
    return act.in_width(units) if isinstance(act, VectorActivation) else units


def layer_trainables(net, layer: int) -> list:
    """The trainable activation parameters of one weight layer (``net.trainable``)."""
    return [tp for tp in getattr(net, "trainable", ()) if tp.layer == layer]


def identifier(name: str) -> str:
    """*name* as a Python identifier (for generated function names)."""
    out = re.sub(r"\W", "_", name.encode("ascii", "replace").decode())
    return out if out and not out[0].isdigit() else f"f_{out}"


def check_trainable(act: Activation, trainable: Sequence[str]) -> tuple[str, ...]:
    if isinstance(trainable, str):
        trainable = (trainable,)
    names = [act.kwnames[p] for p in act.params]
    out = []
    for t in trainable:
        if t not in names and t not in [p.name for p in act.params]:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise ValueError(
                f"{act.name} has no parameter {t!r} to train; its parameters are {listed}"
            )
        out.append(t if t in names else act.kwnames[next(p for p in act.params if p.name == t)])
    return tuple(out)


def activation_code(act: Activation, backend: str, trainable: Sequence[str] = ()) -> Code:
    """The generated code of an activation and of its derivatives (input, trainable parameters)."""
    trainable = check_trainable(act, trainable)
    params = tuple(act.params)
    wrt = [act.symbol] + [p for p in params if act.kwnames[p] in trainable]
    partials = [act.derivative] + [derivative(act.expr, p) for p in wrt[1:]]
    code = generate(
        identifier(act.name), act.expr, [act.symbol], params, wrt=wrt, backend=backend,
        partials=partials,
    )  # fmt: skip
    # the near-root polynomials and limits of symnn's NumPy code of f and f' (same expressions)
    defaults = [act.params[p] for p in params]
    return replace(
        code,
        value_fix=Fix.of(act.compiled(0), defaults),
        grad_fix=Fix.of(act.compiled(1), defaults),
    )


def loss_code(lo: Loss, backend: str) -> Code:
    """The generated code of a loss's element value and its derivatives in yhat and y.

    The value is ``numeric_expr`` (PyTorch's clamps made explicit) and the yhat partial is
    ``numeric_gradient``, exactly what symnn's NumPy code evaluates.
    """
    if lo.fused_softmax:
        raise ValueError(f"{lo.name} is row-wise and fused; it has no elementwise code")
    params = tuple(lo.params)
    arrays = (lo.yhat, lo.y)
    partials = [lo.numeric_gradient, derivative(lo.numeric_expr, lo.y)]
    return generate(
        identifier(lo.name), lo.numeric_expr, arrays, params, wrt=list(arrays), backend=backend,
        partials=partials,
    )  # fmt: skip


