r"""Activations, losses and networks as PyTorch modules, with symnn's stable numerics.

Each elementwise function is a ``torch.autograd.Function`` whose forward pass is the
generated code of symnn's prepared expression and whose backward pass is the generated
code of symnn's symbolic derivative (:mod:`symnn.export.elementwise`). The modules are
plain ``torch.nn.Module`` objects: they move with ``.to(device)``, train with any
optimiser, and work under ``torch.compile`` and ``DistributedDataParallel``.

PyTorch is imported when a function here is first called, never on import.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Sequence
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
    z_width,
)
from symnn.export.vector import torch_module
from symnn.nn.network import Network

__all__ = [
    "activation_module",
    "autograd_function",
    "load_weights",
    "loss_module",
    "network_module",
    "vector_module",
]


def _torch():
    from symnn.export import torch_ops

    return torch_ops.load().torch


# ------------------------------------------------------------------------------
# the autograd.Function of one Code
# ------------------------------------------------------------------------------


def _times(torch, grad, part, args):
    """``grad * part``, into *part* when it is a fresh tensor of the result's shape and dtype.

    Generated code never hands back an argument (it copies), so a partial is a new tensor;
    multiplying in place saves allocating (and paging in) one more tensor of the batch's size.
    """
    fresh = (
        torch.is_tensor(part)
        and (part.shape == grad.shape or grad.dim() == 0)
        and part.dtype == grad.dtype
        and part.device == grad.device
        and not part.requires_grad
        and part._base is None  # not a view
        and all(part is not a for a in (grad, *args))
    )
    return part.mul_(grad) if fresh else grad * part


def _reduce(grad, like):
    """*grad* summed to the shape of the argument *like* (broadcast parameters) in its dtype."""
    if grad.shape != like.shape:
        grad = grad.sum() if like.dim() == 0 else grad.sum_to_size(like.shape)
    return grad.to(like.dtype)


def _fused(code: Code):
    """The fused backward (``torch_ops.Fused``) of a one-argument code whose derivative is
    one kernel call with one (``torch_ops.VJPS``), or None."""
    from symnn.export import torch_ops

    if len(code.arguments) != 1 or code.grad_fix is not None:
        return None
    body = code.grad_source.strip().splitlines()[-1].strip()
    name = str(code.arguments[0])
    for call, fused in torch_ops.VJPS.items():
        if body == f"return ({call.replace('(x', f'({name}')},)":
            return fused
    return None


def _within(torch, x, lo: float, hi: float) -> bool:
    """Every element of *x* in [lo, hi] (NaN is not), checked on the CPU in eager mode only
    (a branch on a value would stop a compiled graph or wait for a GPU), for float64 only (the
    ranges keep 1e-13; in float32 the same ranges would lose up to 90 of its ulps)."""
    if x.dtype != torch.float64 or not x.is_cpu or x.numel() == 0 or torch.compiler.is_compiling():
        return False
    if lo == -math.inf:
        return x.max().item() <= hi  # NaN: False
    low, high = torch.aminmax(x)
    return low.item() >= lo and high.item() <= hi


@functools.lru_cache(maxsize=512)
def autograd_function(code: Code):
    """A ``torch.autograd.Function`` subclass: forward = the code's value, backward = its partials.

    Where the derivative is one of the kernels with a fused backward (``torch_ops.VJPS``:
    sigmoid', sech^2, the step of ReLU), the backward pass uses it: PyTorch's one-pass
    ``sigmoid_backward``/``tanh_backward`` on the forward's result where that is accurate to
    1e-13 (every input in the function's tame range), symnn's exact form elsewhere.
    """
    torch = _torch()
    value, partials = build(code)
    each = build_each(code)
    positions = code.wrt_index
    fused = _fused(code)

    def forward(ctx, *args):
        out = value(*args)
        ctx.tame = (
            fused is not None
            and fused.from_output is not None
            and _within(torch, args[0], fused.lo, fused.hi)
        )
        ctx.save_for_backward(*((out,) if ctx.tame else args))
        return out

    def backward(ctx, grad):
        args = ctx.saved_tensors
        if ctx.tame:  # args = (f(x),): PyTorch's backward from the result, accurate here
            return _reduce(fused.from_output(grad, args[0]), args[0])
        if fused is not None:  # grad * f'(x) in fewer passes
            (x,) = args
            if grad.shape == x.shape and grad.dtype == x.dtype and not torch.is_grad_enabled():
                return fused.vjp(grad, x)
        need = ctx.needs_input_grad
        out: list[Any] = [None] * len(args)
        wanted = [k for k, i in enumerate(positions) if need[i]]
        if torch.is_grad_enabled():  # create_graph: each partial is itself an exported function
            parts = {k: autograd_function(derivative_code(code, k)).apply(*args) for k in wanted}
        elif len(wanted) == len(positions):  # all of them: one function, shared subexpressions
            parts = partials(*args)
        else:  # only some (a loss's partial in the prediction, not in the target)
            parts = {k: each[k](*args) for k in wanted}
        for k in wanted:
            i = positions[k]
            out[i] = _reduce(_times(torch, grad, parts[k], args), args[i])
        for i, n in enumerate(need):
            if n and i not in positions:
                raise RuntimeError(
                    f"{code.name}: no derivative with respect to {code.arguments[i]} was exported; "
                    "pass it as a constant (detach it) or export it as trainable"
                )
        return tuple(out)

    return type(
        f"{code.name}_function",
        (torch.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )


# ------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------


@functools.cache
def _classes():
    """The module classes (defined on first use, when PyTorch is imported)."""
    torch = _torch()
    nn = torch.nn

    class SymnnActivation(nn.Module):
        """A symnn activation as a module: stable forward, symbolic backward.

        Parameters named in ``trainable`` are ``nn.Parameter`` objects, the others buffers.
        ``formula`` is the SymPy definition, ``source`` the generated forward and backward code.
        """

        def __init__(self, act: Activation, trainable: Sequence[str] = (), dtype=None) -> None:
            super().__init__()
            self.name = act.name
            self.formula = act.expr
            self._code = activation_code(act, "torch", trainable)
            self._fn = autograd_function(self._code)
            self._names = []
            dtype = dtype or torch.float64
            trained = {act.kwnames[p] for p in self._code.wrt[1:]}
            for p in self._code.scalars:
                kw = act.kwnames[p]
                if hasattr(nn.Module, kw) or kw in ("name", "formula", "source"):
                    raise ValueError(f"{act.name}: parameter name {kw!r} clashes with nn.Module")
                value = torch.tensor(act.params[p], dtype=dtype)
                if kw in trained:
                    self.register_parameter(kw, nn.Parameter(value))
                else:
                    self.register_buffer(kw, value)
                self._names.append(kw)

        @property
        def source(self) -> str:
            return f"{self._code.value_source}\n\n{self._code.grad_source}"

        def forward(self, x):
            return self._fn.apply(x, *(getattr(self, n) for n in self._names))

        def extra_repr(self) -> str:
            values = ", ".join(f"{n}={getattr(self, n).item():g}" for n in self._names)
            return f"{self.name}: {self.formula}" + (f"; {values}" if values else "")

    class SymnnLoss(nn.Module):
        """A symnn loss as a module: ``loss(yhat, y)``, reduced as the symnn loss says."""

        def __init__(self, lo: Loss, reduction: str | None = None) -> None:
            super().__init__()
            lo = lo if reduction is None else lo.with_reduction(reduction)
            self.symnn_loss = lo
            self.name = lo.name
            self.reduction = lo.reduction
            self.rowwise = lo.rowwise
            self.fused_softmax = lo.fused_softmax
            self._names = []
            if self.fused_softmax:
                self._code = None
                weight = lo.options.get("weight")
                self.smoothing = float(lo.options.get("label_smoothing") or 0.0)
                self.register_buffer(
                    "weight", None if weight is None else torch.tensor(weight, dtype=torch.float64)
                )
                return
            self._code = loss_code(lo, "torch")
            self._fn = autograd_function(self._code)
            for p in self._code.scalars:
                kw = lo.kwnames[p]
                self.register_buffer(kw, torch.tensor(lo.params[p], dtype=torch.float64))
                self._names.append(kw)

        @property
        def source(self) -> str:
            if self._code is None:
                return _SOFTMAX_CE_SOURCE
            return f"{self._code.value_source}\n\n{self._code.grad_source}"

        def _targets(self, yhat, y):
            if not torch.is_tensor(y):
                y = torch.as_tensor(y)
            if self.rowwise and y.shape == yhat.shape[:-1] and yhat.dim() >= 1:
                k = yhat.shape[-1]
                y = torch.nn.functional.one_hot(y.long(), k)
            return y.to(dtype=yhat.dtype, device=yhat.device)

        def forward(self, yhat, y):
            t = self._targets(yhat, y)
            if self.fused_softmax:
                return self._softmax_ce(yhat, t)
            params = [getattr(self, n).to(yhat.dtype) for n in self._names]
            elem = self._fn.apply(yhat, t, *params)
            if self.rowwise:
                elem = elem.sum(-1)
            return self._reduce(elem, yhat.shape)

        def _reduce(self, elem, shape):
            if self.reduction == "none":
                return elem
            total = elem.sum()
            if self.reduction == "sum":
                return total
            if self.reduction == "batchmean":
                return total / (shape[0] if len(shape) else 1)
            n = math.prod(shape[:-1]) if self.rowwise else math.prod(shape)
            return total / n

        def _softmax_ce(self, z, t):
            if self.smoothing:
                t = (1.0 - self.smoothing) * t + self.smoothing / t.shape[-1]
            if self.weight is not None:
                t = t * self.weight.to(dtype=z.dtype, device=z.device)
            rows = _softmax_ce_function().apply(z, t)
            if self.weight is not None and self.reduction == "mean":
                return rows.sum() / t.sum()
            return self._reduce(rows, z.shape)

        def extra_repr(self) -> str:
            return f"{self.name}, reduction={self.reduction!r}"

    class SymnnNetwork(nn.Module):
        """A symnn Network as a module: ``Linear`` layers, symnn activations, symnn loss.

        ``forward(X)`` gives what the loss takes (the logits of a softmax output),
        ``predict(X)`` what ``Network.predict`` gives, ``loss_fn(X, y)`` the loss.
        """

        def __init__(self, net: Network, dtype=None) -> None:
            super().__init__()
            dtype = dtype or torch.float64
            self.sizes = tuple(net.layers)
            self.softmax_output = net.softmax_output
            self.linears = nn.ModuleList()
            self.activations = nn.ModuleList()
            for i in range(1, net.depth + 1):
                spec = net.activations[i - 1]  # a vector layer of h units: Linear to in_width(h)
                width = z_width(spec, net.layers[i])
                lin = nn.Linear(net.layers[i - 1], width, bias=net.bias, dtype=dtype)
                with torch.no_grad():  # symnn: Z = X W + b with W (in, out); torch: W (out, in)
                    lin.weight.copy_(torch.as_tensor(net.params[f"W{i}"].T.copy()))
                    if net.bias:
                        lin.bias.copy_(torch.as_tensor(net.params[f"b{i}"].copy()))
                self.linears.append(lin)
                if isinstance(spec, VectorActivation):  # softmax, GLU, maxout: symnn's formulas
                    self.activations.append(vector_module(spec, dtype=dtype))
                    continue
                trained = layer_trainables(net, i)  # trainable_params: nn.Parameters, net's values
                act = SymnnActivation(spec, [tp.name for tp in trained], dtype=dtype)
                for tp in trained:  # a scalar, or one per unit (broadcast along the rows)
                    value = torch.tensor(np.array(net.params[tp.key]), dtype=dtype)
                    setattr(act, tp.name, nn.Parameter(value))
                self.activations.append(act)
            self.loss = SymnnLoss(net.loss)

        def forward(self, X):
            A = X
            for lin, act in zip(self.linears, self.activations, strict=True):
                A = act(lin(A))
            return A

        def predict(self, X):
            out = self(X)
            return torch.softmax(out, dim=-1) if self.softmax_output else out

        def loss_fn(self, X, y):
            return self.loss(self(X), y)

    return SymnnActivation, SymnnLoss, SymnnNetwork


def activation_module(act: Activation, trainable: Sequence[str] = (), dtype=None):
    """``act`` as a ``torch.nn.Module``; the parameters in *trainable* become ``nn.Parameter``\\ s."""
    module = _classes()[0](act, trainable, dtype)
    return _with_own_forward(module, module._code)


def vector_module(act: VectorActivation, dtype=None):
    """The vector activation *act* (softmax, GLU, maxout) as a ``torch.nn.Module``
    (:mod:`symnn.export.vector`), with a ``forward`` of its own for ``torch.compile``."""
    return _with_own_forward(torch_module(act, dtype=dtype), (act.name, act.k))


def _with_own_forward(module, key: Any):
    """*module*, its class swapped for the subclass of :func:`_own_forward` for *key*."""
    module.__class__ = _own_forward(type(module), key)
    return module


@functools.lru_cache(maxsize=512)
def _own_forward(cls: type, key: Any) -> type:
    """A subclass of *cls* whose ``forward`` has a code object of its own, one per *key*.

    torch.compile keeps its compiled graphs on the code object of ``forward`` and recompiles
    when the function behind it changes, at most 8 times (with ``fullgraph=True`` the 9th is an
    error): every activation sharing one ``forward`` would make the 9th compiled activation
    of a session fail. Two modules of one function share the subclass and its graphs.
    """
    base = cls.forward
    code = base.__code__.replace()  # an equal code object, but another one
    forward = types.FunctionType(code, base.__globals__, base.__name__, base.__defaults__, base.__closure__)
    forward.__qualname__ = base.__qualname__
    return type(cls.__name__, (cls,), {"forward": forward, "__module__": cls.__module__})


# ------------------------------------------------------------------------------
# losses
# ------------------------------------------------------------------------------


def loss_module(lo: Loss, reduction: str | None = None):
    """``lo`` as a ``torch.nn.Module`` computing ``loss(yhat, y)`` with its reduction."""
    module = _classes()[1](lo, reduction)
    return _with_own_forward(module, (module._code, module.reduction, lo.name))


_SOFTMAX_CE_SOURCE = '''\
def rows(z, t):
    """Per row -sum_j t_j log softmax(z)_j = sum_j t_j (m - z_j) + sum_j t_j log1p(s)."""
    m, top, e, s = parts(z)
    gap = torch.where(t != 0, t * (m - z), torch.zeros_like(z))
    return gap.sum(-1) + t.sum(-1) * torch.log1p(s[..., 0])


def grad(z, t):
    """softmax(z) * sum(t) - t, as p R - t Q with 1 - p computed directly at the top class."""
    m, top, e, s = parts(z)
    p = e / (1.0 + s)
    q = (1.0 - p).scatter(-1, top, s / (1.0 + s))
    total = t.sum(-1, keepdim=True)
    ttop = t.argmax(-1, keepdim=True)
    others = t.scatter(-1, ttop, torch.zeros_like(ttop, dtype=t.dtype)).sum(-1, keepdim=True)
    r = (total - t).scatter(-1, ttop, others)
    return p * r - t * q


def parts(z):
    m = z.max(-1, keepdim=True).values
    top = z.argmax(-1, keepdim=True)
    e = torch.exp(z - m)
    s = e.scatter(-1, top, torch.zeros_like(top, dtype=z.dtype)).sum(-1, keepdim=True)
    return m, top, e, s
'''


@functools.cache
def _softmax_ce_namespace() -> dict:
    env: dict = {"torch": _torch()}
    exec(compile(_SOFTMAX_CE_SOURCE, "<symnn.export softmax_cross_entropy>", "exec"), env)
    return env


@functools.cache
def _softmax_ce_function():
    """Softmax cross-entropy per row, with symnn's stable kernels (value and gradient)."""
    torch = _torch()
    env = _softmax_ce_namespace()
    rows, grad = env["rows"], env["grad"]

    def forward(ctx, z, t):
        ctx.save_for_backward(z, t)
        return rows(z, t)

    def backward(ctx, g):
        z, t = ctx.saved_tensors
        if ctx.needs_input_grad[1]:
            raise RuntimeError(
                "softmax_cross_entropy: no derivative with respect to the targets was exported; "
                "detach them"
            )
        return g.unsqueeze(-1) * grad(z, t), None

    return type(
        "softmax_cross_entropy_function",
        (torch.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )


# ------------------------------------------------------------------------------
# networks
# ------------------------------------------------------------------------------


def network_module(net: Network, dtype=None):
    """``net`` as a ``torch.nn.Module`` with the same layers, weights and loss."""
    return _classes()[2](net, dtype)


def load_weights(net: Network, module: Any) -> None:
    """Copy the weights of a module with ``net``'s ``Linear`` layers (in order) into ``net``."""
    torch = _torch()
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    if len(linears) != net.depth:
        raise ValueError(
            f"the module has {len(linears)} Linear layers but the network has {net.depth} weight "
            f"layers (layers={list(net.layers)}); load from the module network.to_torch() made"
        )
    values = {}
    for i, lin in enumerate(linears, start=1):
        w = lin.weight.detach().to("cpu", torch.float64).numpy().T
        if w.shape != net.params[f"W{i}"].shape:
            raise ValueError(
                f"Linear layer {i} has weight shape {tuple(lin.weight.shape)} (out, in); the "
                f"network's W{i} is {net.params[f'W{i}'].shape} (in, out), so it needs "
                f"{net.params[f'W{i}'].shape[::-1]}"
            )
        values[f"W{i}"] = w
        if net.bias:
            if lin.bias is None:
                raise ValueError(f"Linear layer {i} has no bias but the network has biases")
            values[f"b{i}"] = lin.bias.detach().to("cpu", torch.float64).numpy()
        elif lin.bias is not None and bool((lin.bias != 0).any()):
            raise ValueError(
                f"Linear layer {i} has a nonzero bias but the network has none (bias=False)"
            )
    trained = list(getattr(net, "trainable", ()))
    if trained:  # trainable activation parameters: the activation modules' nn.Parameters
        acts = getattr(module, "activations", None)
        for tp in trained:
            value = getattr(acts[tp.layer - 1], tp.name, None) if acts is not None else None
            if value is None:
                raise ValueError(
                    f"the network trains {tp.key} but the module has no activations[{tp.layer - 1}]"
                    f".{tp.name}; load from the module network.to_torch() made"
                )
            values[tp.key] = value.detach().to("cpu", torch.float64).numpy()
    net.params = values

