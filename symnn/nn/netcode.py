"""Generated NumPy training code for a multilayer perceptron.

The network's forward pass, loss, backpropagation and parameter update are
emitted as plain NumPy source from the layer-level symbolic pieces: the
activations' expressions and derivatives (in terms of the layer's output
``A`` where that is exact, e.g. ``A*(1 - A)`` for the sigmoid, so the forward
values are reused), the loss and its gradient. Matrix products handle the
linear parts; everything elementwise is written into preallocated buffers by
:class:`symnn.compiler.InplaceEmitter`. The generated module defines:

``make(n)``
    Allocates the buffers for a batch of *n* samples and returns
    ``(gradient, grads)``: ``gradient(X, Y, W1, b1, ...)`` runs the forward and
    backward pass, fills the gradient arrays ``grads`` in place and returns
    the loss. The gradient arrays are views of one flat array (``gflat``), laid
    out as the parameters are in ``net.params.flat``.
``sgd(lr, W1, b1, ..., gW1, gb1, ...)``, ``momentum(...)``, ``adam(...)``, ...
    In-place parameter updates, one per optimiser of :mod:`symnn.nn.optimizers`;
    ``sgd_flat(lr, flat, gflat)``, ... make the same update on the flat arrays
    (two NumPy calls for SGD instead of two per parameter array).
``forward(X, W1, b1, ...)``
    The prediction (allocating; for ``predict``).

Samples are rows: ``Z1 = X @ W1 + b1`` with ``W1`` of shape (inputs, hidden).
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special
import sympy as sp

from symnn.compiler import InplaceEmitter, kernels, numpy_source, prepare
from symnn.nn.optimizers import REGISTRY as OPTIMIZERS

__all__ = ["A_SYMBOL", "G_SYMBOL", "Z_SYMBOL", "LayerMath", "NetSpec", "build", "generate"]

#: The symbols of a layer's pre-activation Z, its output A and the incoming delta G,
#: in which the generated code's expressions are written.
Z_SYMBOL = sp.Symbol("z", real=True)
A_SYMBOL = sp.Symbol("a", real=True)
G_SYMBOL = sp.Symbol("g", real=True)


@dataclass(frozen=True)
class LayerMath:
    """The scalar mathematics of one layer's activation (parameters substituted)."""

    name: str
    f: sp.Expr  # in Z_SYMBOL
    fprime_z: sp.Expr  # in Z_SYMBOL
    fprime_a: sp.Expr | None  # in A_SYMBOL, when the derivative is a function of the output
    identity: bool
    #: trainable activation parameters (symbols named as their ``net.params`` keys) and
    #: the derivative of f with respect to each (in Z_SYMBOL and the parameters)
    params: tuple[sp.Symbol, ...] = ()
    dparams: tuple[sp.Expr, ...] = ()
    #: a vector activation (:mod:`symnn.catalogue.vector`): f and its derivatives above are
    #: placeholders; its own forward/backward functions are emitted instead
    vector: Any = None

    @property
    def reuse_output(self) -> bool:
        return self.fprime_a is not None


@dataclass(frozen=True)
class NetSpec:
    """Everything the code generator needs to know about a network."""

    sizes: tuple[int, ...]
    layers: tuple[LayerMath, ...]  # one per weight layer; the last is the output layer
    bias: bool
    loss_expr: sp.Expr  # numeric element loss in (A_SYMBOL, Y), (logits for the fused case)
    delta_expr: sp.Expr | None  # output delta (without 1/divisor) in A_SYMBOL, Z_SYMBOL, Y; None if fused
    fused_softmax: bool
    y_symbol: sp.Symbol
    #: dl/da of the output (numeric, in A_SYMBOL, Y): set when the output layer has trainable params
    loss_grad: sp.Expr | None = None
    #: the shape of every trainable activation parameter, by its name
    param_shapes: dict[str, tuple[int, ...]] | None = None
    #: the width of each layer's pre-activation Z (a GLU layer of h units has 2h); default sizes[1:]
    z_sizes: tuple[int, ...] | None = None

    def z_width(self, i: int) -> int:
        """The width of layer *i*'s pre-activation (and of W_i's columns and b_i)."""
        return self.z_sizes[i - 1] if self.z_sizes else self.sizes[i]

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
        names.extend(_code_name(p) for p in spec.layers[i - 1].params)
    return names


#: Names the generated code uses for itself (optimiser scalars such as beta1 among them).
_RESERVED = {"np", "special", "kernels", "X", "Y", "n", "scale", "loss", "gradient", "make"}
_RESERVED |= {name for opt in OPTIMIZERS for name in opt.scalar_names}


def _code_name(p: sp.Symbol) -> str:
    """A trainable parameter's name in the generated code (``beta1_``: adam has a beta1)."""
    return f"{p.name}_" if p.name in _RESERVED else p.name


def _own(layer: LayerMath) -> dict:
    """The names of a layer's trainable parameters in the generated code."""
    return {p: _code_name(p) for p in layer.params}


def _param_grads(body, layer: LayerMath, exprs, names: dict, scratch_name, shapes) -> int:
    """Sum each of *exprs* (one per trainable parameter, elementwise) into its gradient buffer.

    Returns the number of scratch buffers used (the first one holds each summand).
    """
    used = 1
    for p, e in zip(layer.params, exprs, strict=True):
        em = InplaceEmitter({**names, **_own(layer)}, scratch=scratch_name)
        em.scratch_used = 1
        tmp = scratch_name(0)
        body(*em.emit(e, tmp))
        if shapes[p.name]:  # one per unit: column sums
            body(f"np.sum({tmp}, axis=0, out=g{_code_name(p)})")
        else:
            body(f"g{_code_name(p)}[...] = np.sum({tmp})")
        used = max(used, em.scratch_used)
    return used


def _vector_name(layer: LayerMath, i: int) -> str:
    """The prefix of layer *i*'s vector-activation functions: ``softmax1_forward``, ..."""
    return f"{layer.name}{i}"


def _scratch_name(width: int, i: int) -> str:
    return f"T{i}_{width}"


def generate(spec: NetSpec) -> str:
    """The source of the generated training module for *spec* (see the module docstring)."""
    w = _Writer()
    for i, layer in enumerate(spec.layers, start=1):  # vector activations' own functions first
        if layer.vector is not None:
            w.lines.extend([layer.vector.code(_vector_name(layer, i)), ""])
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

    def scratch_of(width: int):
        return lambda i: _scratch_name(width, i)

    shapes = spec.param_shapes or {}

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
        reads_z = i == L and any(
            Z_SYMBOL in e.free_symbols for e in (spec.loss_expr, spec.delta_expr) if e is not None
        )  # the loss or the output delta needs Z_L itself (e.g. BCE computed from the logits)
        in_place = (
            not (i == L and spec.fused_softmax)
            and not reads_z
            and not layer.identity
            and not layer.params  # their gradients need Z
            and layer.reuse_output
            and prepare(layer.f, [Z_SYMBOL]).count(Z_SYMBOL) == 1
        )
        z = f"A{i}" if in_place else f"Z{i}"
        buffers.append(f"{z} = np.empty((n, {spec.z_width(i)}))")
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
        if layer.vector is not None:  # a vector activation: its generated function
            buffers.append(f"A{i} = np.empty((n, {width}))")
            a_name[i] = f"A{i}"
            body(f"A{i}[...] = {_vector_name(layer, i)}_forward({z})")
            continue
        if layer.identity:
            a_name[i] = z
            continue
        a = z if in_place else f"A{i}"
        if not in_place:
            buffers.append(f"{a} = np.empty((n, {width}))")
        a_name[i] = a
        em = emitter(width, {Z_SYMBOL: z, **_own(layer)})
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
        em = emitter(width, {A_SYMBOL: out, y: "Y", Z_SYMBOL: zl, **_own(spec.layers[-1])})
        em.scratch_used = 1  # T0 holds the elementwise loss
        body(*em.emit(spec.loss_expr, f"T0_{width}"))
        body(f"loss = np.sum(T0_{width}) * scale")
        scratch[width] = max(scratch.get(width, 0), 1, em.scratch_used)

    body("# backward pass")
    for i in range(L, 0, -1):
        layer = spec.layers[i - 1]
        width = sizes[i]
        d = f"D{i}"
        buffers.append(f"{d} = np.empty((n, {spec.z_width(i)}))")
        if layer.vector is not None:  # dL/dA into G, then D = G J (the vector-Jacobian product)
            d = f"G{i}"
            buffers.append(f"{d} = np.empty((n, {width}))")
        if i == L:
            if spec.fused_softmax:
                body(f"np.subtract({out}, Y, out={d})", f"np.multiply({d}, scale, out={d})")
            else:
                em = emitter(width, {A_SYMBOL: out, y: "Y", Z_SYMBOL: zl, **_own(layer)})
                body(*em.emit(spec.delta_expr * sp.Symbol("scale"), d))
                note_scratch(width, em)
                if layer.params:  # dL/dp = sum of scale * dl/da * df/dp
                    exprs = [spec.loss_grad * sp.Symbol("scale") * e for e in layer.dparams]
                    names = {A_SYMBOL: out, y: "Y", Z_SYMBOL: zl}
                    used = _param_grads(body, layer, exprs, names, scratch_of(width), shapes)
                    scratch[width] = max(scratch.get(width, 0), used)
        else:
            body(f"np.matmul(D{i + 1}, W{i + 1}.T, out={d})")
            if layer.params:  # dL/dp = sum of (D W^T) * df/dp, before D becomes dL/dZ
                exprs = [G_SYMBOL * e for e in layer.dparams]
                names = {A_SYMBOL: a_name[i], Z_SYMBOL: z_name[i], G_SYMBOL: d}
                used = _param_grads(body, layer, exprs, names, scratch_of(width), shapes)
                scratch[width] = max(scratch.get(width, 0), used)
            if not layer.identity and layer.vector is None:
                fprime = layer.fprime_a if layer.reuse_output else layer.fprime_z
                em = emitter(
                    width, {A_SYMBOL: a_name[i], Z_SYMBOL: z_name[i], G_SYMBOL: d, **_own(layer)}
                )
                tmp = _scratch_name(width, 0)
                em.scratch_used = 1
                body(*em.emit(fprime, tmp))
                body(f"np.multiply({d}, {tmp}, out={d})")
                note_scratch(width, em)
        if layer.vector is not None:
            d = f"D{i}"
            body(f"{d}[...] = {_vector_name(layer, i)}_backward({z_name[i]}, {a_name[i]}, G{i})")
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
    w(*flat_buffers(grad_shapes(spec)))
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


def grad_shapes(spec: NetSpec) -> list[tuple[str, tuple[int, ...]]]:
    """The gradient buffers of *spec*, in the order of the network's parameters: (name, shape)."""
    shapes = spec.param_shapes or {}
    out = []
    for i in range(1, spec.depth + 1):
        out.append((f"gW{i}", (spec.sizes[i - 1], spec.z_width(i))))
        if spec.bias:
            out.append((f"gb{i}", (spec.z_width(i),)))
        out.extend((f"g{_code_name(p)}", tuple(shapes[p.name])) for p in spec.layers[i - 1].params)
    return out


def flat_buffers(items: list[tuple[str, tuple[int, ...]]], flat: str = "gflat") -> list[str]:
    """Source lines allocating one array *flat* and each named buffer as a view of it, in order
    (the parameters' layout: the optimiser then updates all of them in one pass)."""
    total = sum(math.prod(shape) for _, shape in items)
    lines, at = [f"{flat} = np.empty({total})"], 0
    for name, shape in items:
        size = math.prod(shape)
        lines.append(f"{name} = {flat}[{at}:{at + size}].reshape({shape!r})")
        at += size
    return lines


def _updates(w: _Writer, params: list[str], grads: list[str]) -> None:
    """Per optimiser of :mod:`symnn.nn.optimizers`: its in-place update of each parameter, and
    ``<name>_flat``, the same on one flat array of all of them (their gradients and state alike)."""
    for opt in OPTIMIZERS:
        for suffix, ps, gs in (("", params, grads), ("_flat", ["flat"], ["gflat"])):
            states = [[f"{s}{p}" for p in ps] for s in opt.state]
            args = [*opt.scalar_names, *ps, *gs, *(n for names in states for n in names)]
            w(f"def {opt.name}{suffix}({', '.join(args)}):")
            w.indent = 1
            w(f'"""{opt.summary}"""')
            for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
                fill = {"p": p, "g": g, **{s: states[k][i] for k, s in enumerate(opt.state)}}
                w(*(line.format(**fill) for line in opt.update))
            w.indent = 0
            w.lines.append("")


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
        elif layer.vector is not None:
            w(f"A{i} = {_vector_name(layer, i)}_forward({z})")
        elif layer.identity:
            w(f"A{i} = {z}")
        else:
            lines, (res,) = numpy_source(
                [prepare(layer.f, [Z_SYMBOL, *layer.params])],
                {Z_SYMBOL: z, **_own(layer)},
                stable=False,
                prefix=f"_t{i}_",
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
