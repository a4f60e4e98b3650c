"""Generated NumPy training code for a multilayer perceptron.

The network's forward pass, loss, backpropagation and parameter update are
emitted as plain NumPy source from the layer-level symbolic pieces: the
activations' expressions and derivatives (in terms of the layer's output
``A`` where that is exact, e.g. ``A*(1 - A)`` for the sigmoid, so the forward
values are reused), the loss and its gradient. Matrix products handle the
linear parts; everything elementwise is written into preallocated buffers by
:class:`symnn.codegen.InplaceEmitter`. The generated module defines:

``make(n)``
    Allocates the buffers for a batch of *n* samples and returns
    ``(gradient, grads)``: ``gradient(X, Y, W1, b1, ...)`` runs the forward and
    backward pass, fills the gradient arrays ``grads`` in place and returns
    the loss.
``sgd(lr, W1, b1, ..., gW1, gb1, ...)``, ``momentum(...)``, ``adam(...)``
    In-place parameter updates.
``forward(X, W1, b1, ...)``
    The prediction (allocating; for ``predict``).

Samples are rows: ``Z1 = X @ W1 + b1`` with ``W1`` of shape (inputs, hidden).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import numpy as np
import scipy.special
import sympy as sp

from symnn.compiler import InplaceEmitter, kernels, numpy_source, prepare

__all__ = ["LayerMath", "NetSpec", "generate"]

_Z = sp.Symbol("z", real=True)
_A = sp.Symbol("a", real=True)
_G = sp.Symbol("g", real=True)


@dataclass(frozen=True)
class LayerMath:
    """The scalar mathematics of one layer's activation (parameters substituted)."""

    name: str
    f: sp.Expr  # in _Z
    fprime_z: sp.Expr  # in _Z
    fprime_a: sp.Expr | None  # in _A, when the derivative is a function of the output
    identity: bool

    @property
    def reuse_output(self) -> bool:
        return self.fprime_a is not None


@dataclass(frozen=True)
class NetSpec:
    """Everything the code generator needs to know about a network."""

    sizes: tuple[int, ...]
    layers: tuple[LayerMath, ...]  # one per weight layer; the last is the output layer
    bias: bool
    loss_expr: sp.Expr  # numeric element loss in (_A, Y), (logits for the fused case)
    delta_expr: sp.Expr | None  # output delta (without 1/divisor) in _A, _Z, Y; None if fused
    fused_softmax: bool
    y_symbol: sp.Symbol

    @property
    def depth(self) -> int:
        return len(self.sizes) - 1


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def __call__(self, *lines: str) -> None:
        self.lines.extend("    " * self.indent + line for line in lines)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _param_names(spec: NetSpec) -> list[str]:
    names = []
    for i in range(1, spec.depth + 1):
        names.append(f"W{i}")
        if spec.bias:
            names.append(f"b{i}")
    return names


def _scratch_name(width: int, i: int) -> str:
    return f"T{i}_{width}"


def generate(spec: NetSpec) -> str:
    """The source of the generated training module for *spec* (see the module docstring)."""
    w = _Writer()
    params = _param_names(spec)
    grads = [f"g{p}" for p in params]
    L = spec.depth
    sizes = spec.sizes
    y = spec.y_symbol

    # -- make(n): buffers, then the gradient function --------------------------------
    body = _Writer()
    body.indent = 1
    scratch: dict[int, int] = {}  # width -> scratch buffers used

    def emitter(width: int, names: dict) -> InplaceEmitter:
        em = InplaceEmitter(names, scratch=lambda i: _scratch_name(width, i))
        return em

    def note_scratch(width: int, em: InplaceEmitter) -> None:
        scratch[width] = max(scratch.get(width, 0), em.scratch_used)

    buffers: list[str] = []
    a_name = {0: "X"}
    z_name: dict[int, str] = {}
    body("def gradient(X, Y, " + ", ".join(params) + "):")
    body.indent += 1
    body("# forward pass")
    for i in range(1, L + 1):
        layer = spec.layers[i - 1]
        width = sizes[i]
        # when the derivative needs only the output, A overwrites Z (if f reads z once)
        in_place = (
            not (i == L and spec.fused_softmax)
            and not layer.identity
            and layer.reuse_output
            and prepare(layer.f, [_Z]).count(_Z) == 1
        )
        z = f"A{i}" if in_place else f"Z{i}"
        buffers.append(f"{z} = np.empty((n, {width}))")
        z_name[i] = z
        body(f"np.matmul({a_name[i - 1]}, W{i}, out={z})")
        if spec.bias:
            body(f"np.add({z}, b{i}, out={z})")
        last = i == L
        if last and spec.fused_softmax:
            a_name[i] = f"A{i}"
            buffers.append(f"A{i} = np.empty((n, {width}))")
            buffers.append(f"M{i} = np.empty((n, 1))")
            buffers.append(f"S{i} = np.empty((n, 1))")
            body(
                f"np.max({z}, axis=1, keepdims=True, out=M{i})",
                f"np.subtract({z}, M{i}, out=A{i})",
                f"np.exp(A{i}, out=A{i})",
                f"np.sum(A{i}, axis=1, keepdims=True, out=S{i})",
                f"np.divide(A{i}, S{i}, out=A{i})  # softmax",
            )
            continue
        if layer.identity:
            a_name[i] = z
            continue
        a = z if in_place else f"A{i}"
        if not in_place:
            buffers.append(f"{a} = np.empty((n, {width}))")
        a_name[i] = a
        em = emitter(width, {_Z: z})
        body(*em.emit(layer.f, a))
        note_scratch(width, em)

    out, zl = a_name[L], z_name[L]
    width = sizes[L]
    body("# loss")
    if spec.fused_softmax:
        buffers.append(f"T0_{width} = np.empty((n, {width}))")
        scratch[width] = max(scratch.get(width, 0), 1)
        body(
            f"np.multiply(Y, {zl}, out=T0_{width})",
            f"loss = (np.sum(M{L}) + np.sum(np.log(S{L})) - np.sum(T0_{width})) * scale",
        )
    else:
        em = emitter(width, {_A: out, y: "Y", _Z: zl})
        em.scratch_used = 1  # T0 holds the elementwise loss
        body(*em.emit(spec.loss_expr, f"T0_{width}"))
        body(f"loss = np.sum(T0_{width}) * scale")
        scratch[width] = max(scratch.get(width, 0), 1, em.scratch_used)

    body("# backward pass")
    for i in range(L, 0, -1):
        layer = spec.layers[i - 1]
        width = sizes[i]
        d = f"D{i}"
        buffers.append(f"{d} = np.empty((n, {width}))")
        if i == L:
            if spec.fused_softmax:
                body(f"np.subtract({out}, Y, out={d})", f"np.multiply({d}, scale, out={d})")
            else:
                em = emitter(width, {_A: out, y: "Y", _Z: zl})
                body(*em.emit(spec.delta_expr * sp.Symbol("scale"), d))
                note_scratch(width, em)
        else:
            body(f"np.matmul(D{i + 1}, W{i + 1}.T, out={d})")
            if not layer.identity:
                fprime = layer.fprime_a if layer.reuse_output else layer.fprime_z
                em = emitter(width, {_A: a_name[i], _Z: z_name[i], _G: d})
                tmp = _scratch_name(width, 0)
                em.scratch_used = 1
                body(*em.emit(fprime, tmp))
                body(f"np.multiply({d}, {tmp}, out={d})")
                note_scratch(width, em)
        body(f"np.matmul({a_name[i - 1]}.T, {d}, out=gW{i})")
        if spec.bias:
            body(f"np.sum({d}, axis=0, out=gb{i})")
    body("return loss")

    w("def make(n, scale):")
    w.indent = 1
    w('"""Buffers for a batch of n samples; scale = 1/(divisor of the loss\'s reduction)."""')
    w(*buffers)
    for width, count in sorted(scratch.items()):
        for i in range(count):
            w(f"{_scratch_name(width, i)} = np.empty((n, {width}))")
    for i in range(1, L + 1):
        w(f"gW{i} = np.empty(({sizes[i - 1]}, {sizes[i]}))")
        if spec.bias:
            w(f"gb{i} = np.empty({sizes[i]})")
    w.lines.append("")
    w.lines.extend(body.lines)
    w.lines.append("")
    w(f"return gradient, ({', '.join(grads)},)")
    w.indent = 0
    w.lines.append("")
    _updates(w, params, grads)
    w.lines.append("")
    _forward(w, spec, params)
    return w.text()


def _updates(w: _Writer, params: list[str], grads: list[str]) -> None:
    args = ", ".join(params + grads)
    w(f"def sgd(lr, {args}):")
    w.indent = 1
    w('"""Gradient descent, in place: W -= lr*gW."""')
    for p, g in zip(params, grads, strict=True):
        w(f"np.multiply({g}, lr, out={g})", f"np.subtract({p}, {g}, out={p})")
    w.indent = 0
    w.lines.append("")
    vel = [f"v{p}" for p in params]
    w(f"def momentum(lr, mu, {args}, {', '.join(vel)}):")
    w.indent = 1
    w('"""Momentum, in place: v = mu*v - lr*gW; W += v."""')
    for p, g, v in zip(params, grads, vel, strict=True):
        w(
            f"np.multiply({v}, mu, out={v})",
            f"np.multiply({g}, lr, out={g})",
            f"np.subtract({v}, {g}, out={v})",
            f"np.add({p}, {v}, out={p})",
        )
    w.indent = 0
    w.lines.append("")
    m = [f"m{p}" for p in params]
    v2 = [f"s{p}" for p in params]
    w(f"def adam(step_size, beta1, beta2, eps, {args}, {', '.join(m)}, {', '.join(v2)}):")
    w.indent = 1
    w('"""Adam (Kingma & Ba 2015), in place; step_size and eps carry the bias corrections."""')
    for p, g, mm, vv in zip(params, grads, m, v2, strict=True):
        # m = b1*m + (1-b1)*g written as g + b1*(m - g): in place, no temporary
        w(
            f"np.subtract({mm}, {g}, out={mm})",
            f"np.multiply({mm}, beta1, out={mm})",
            f"np.add({mm}, {g}, out={mm})",
            f"np.square({g}, out={g})",
            f"np.subtract({vv}, {g}, out={vv})",
            f"np.multiply({vv}, beta2, out={vv})",
            f"np.add({vv}, {g}, out={vv})",
            f"np.sqrt({vv}, out={g})",
            f"np.add({g}, eps, out={g})",
            f"np.divide({mm}, {g}, out={g})",
            f"np.multiply({g}, step_size, out={g})",
            f"np.subtract({p}, {g}, out={p})",
        )
    w.indent = 0


def _forward(w: _Writer, spec: NetSpec, params: list[str]) -> None:
    """An allocating forward pass for predictions (any batch size)."""
    w("def forward(X, " + ", ".join(params) + "):")
    w.indent = 1
    prev = "X"
    for i in range(1, spec.depth + 1):
        layer = spec.layers[i - 1]
        z = f"Z{i}"
        w(f"{z} = {prev} @ W{i}" + (f" + b{i}" if spec.bias else ""))
        last = i == spec.depth
        if last and spec.fused_softmax:
            w(f"A{i} = special.softmax({z}, axis=1)")
        elif layer.identity:
            w(f"A{i} = {z}")
        else:
            lines, (res,) = numpy_source(
                [prepare(layer.f, [_Z])], {_Z: z}, stable=False, prefix=f"_t{i}_"
            )
            w(*lines, f"A{i} = {res}")
        prev = f"A{i}"
    w(f"return {prev}")
    w.indent = 0


def build(spec: NetSpec):
    """Generate, compile and return ``(source, namespace)``."""
    source = generate(spec)
    namespace = {"np": np, "special": scipy.special, "kernels": kernels}
    exec(builtins.compile(source, "<symnn network>", "exec"), namespace)  # generated code
    return source, namespace
