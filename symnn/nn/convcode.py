r"""Generated NumPy training code for layered networks (convolutions, pooling, dense layers).

The same idea as :mod:`symnn.nn.netcode`: plain NumPy source, every array preallocated
once per batch size, every elementwise step written ``out=`` into a buffer. Shapes are
NCHW and kernels ``(out, in, kh, kw)``, as in PyTorch.

*Convolution* is im2col with one matrix product: a strided view of the (zero-padded)
input, of shape ``(n, OH, OW, C, kh, kw)`` (``numpy.lib.stride_tricks.as_strided``, with
the stride and dilation in its strides), is copied into a column buffer and multiplied by
the kernel as a ``(CO, C kh kw)`` matrix. Backward, with :math:`\delta` the gradient at the
layer's output,

* :math:`\partial L/\partial K = \delta^\top \cdot \text{columns}` (the valid
  cross-correlation of the input with :math:`\delta`),
* :math:`\partial L/\partial b = \sum \delta`,
* :math:`\partial L/\partial X`: :math:`\delta \cdot K` gives the columns' gradient, and
  "col2im" adds each kernel position's slice back where it was read from -- the same
  numbers as the full convolution of the stride-dilated :math:`\delta` with the kernel
  rotated by 180 degrees (:mod:`symnn.nn.conv` derives that rule and proves the equality).

*Max-pooling* keeps the running maximum over the window positions; backward routes
:math:`\delta` to the first position (row-major) that holds the maximum, as PyTorch does.
*Average pooling* spreads :math:`\delta/(k_h k_w)` over the window.

The generated module defines ``make(n, scale)``, which returns
``(gradient, grads, forward, outputs)``: ``gradient(X, Y, *params)`` fills ``grads`` and
returns the loss, ``forward(X, *params)`` runs the forward pass only and returns the
output buffer, and ``outputs`` lists every layer's output buffer (for feature maps); plus
one in-place update function per optimiser, as for dense networks.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass

import numpy as np
import scipy.special
import sympy as sp

from symnn.compiler import InplaceEmitter, kernels
from symnn.nn.layers import Act, AvgPool2D, Conv2D, Dense, Flatten, Layer, MaxPool2D
from symnn.nn.netcode import A_SYMBOL, G_SYMBOL, Z_SYMBOL, LayerMath, _updates, _Writer

__all__ = ["ConvSpec", "build", "generate"]


@dataclass(frozen=True)
class ConvSpec:
    """What the generator needs: the layers with their shapes, and the output and loss maths."""

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]  # expanded: activations are Act layers; the last is Dense
    shapes: tuple[tuple[int, ...], ...]  # the output shape of every layer
    acts: tuple[LayerMath | None, ...]  # for every Act layer, its maths (None elsewhere)
    bias: bool
    output: LayerMath  # the output activation (identity when fused with softmax)
    loss_expr: sp.Expr
    delta_expr: sp.Expr | None
    fused_softmax: bool
    y_symbol: sp.Symbol

    def param_names(self) -> list[str]:
        names, j = [], 0
        for layer in self.layers:
            if isinstance(layer, (Conv2D, Dense)):
                j += 1
                names.append(f"{'K' if isinstance(layer, Conv2D) else 'W'}{j}")
                if self.bias:
                    names.append(f"b{j}")
        return names


_HEAVISIDE0 = re.compile(r"np\.heaviside\(([\w.]+), 0(?:\.0)?, out=(\w+)\)")


def _fast_steps(lines: list[str]) -> list[str]:
    """``np.heaviside(x, 0, out=y)`` -> ``np.greater(x, 0, out=y)``: equal for every number and
    40 times faster; heaviside's NaN propagation is not needed in a backward pass, because
    a NaN in the forward pass has already reached the loss, which ``fit`` checks."""
    return [_HEAVISIDE0.sub(r"np.greater(\1, 0.0, out=\2)", line) for line in lines]


def _shape(n: str, shape: tuple[int, ...]) -> str:
    return "(" + ", ".join([n, *map(str, shape)]) + ")"


def generate(spec: ConvSpec) -> str:
    """The source of the generated module for *spec* (see the module docstring)."""
    layers, shapes = spec.layers, spec.shapes
    L = len(layers)
    params = spec.param_names()
    grads = [f"g{p}" for p in params]
    ins = [spec.input_shape, *shapes[:-1]]  # input shape of layer i at ins[i - 1]
    # which layers must pass a gradient down (some parameter lies below them)
    first_param = next(i for i, la in enumerate(layers, 1) if isinstance(la, (Conv2D, Dense)))
    alloc = _Writer()
    alloc.indent = 1
    fwd = _Writer()
    fwd.indent = 2
    bwd = _Writer()
    bwd.indent = 2
    alloc(f"X0 = np.empty({_shape('n', spec.input_shape)})")
    fwd("np.copyto(X0, X)")
    a = {0: "X0"}
    pnames: dict[int, tuple[str, str | None]] = {}
    j = 0
    for i, layer in enumerate(layers, 1):
        if isinstance(layer, (Conv2D, Dense)):
            j += 1
            w = f"{'K' if isinstance(layer, Conv2D) else 'W'}{j}"
            pnames[i] = (w, f"b{j}" if spec.bias else None)

    # -- forward: buffers in layer order ------------------------------------------------
    for i, layer in enumerate(layers, 1):
        src, shp, out_shp = a[i - 1], ins[i - 1], shapes[i - 1]
        A = f"A{i}"
        a[i] = A
        if isinstance(layer, Flatten):
            alloc(f"{A} = {src}.reshape(n, -1)  # a view: flattening copies nothing")
            continue
        if isinstance(layer, Dense):
            w, b = pnames[i]
            alloc(f"{A} = np.empty((n, {out_shp[0]}))")
            fwd(f"np.matmul({src}, {w}, out={A})")
            if b:
                fwd(f"np.add({A}, {b}, out={A})")
            continue
        if isinstance(layer, Act):
            alloc(f"{A} = np.empty({_shape('n', out_shp)})")
            em = InplaceEmitter({Z_SYMBOL: src}, scratch=lambda k, i=i: f"S{i}_{k}")
            fwd(*em.emit(spec.acts[i - 1].f, A))
            for k in range(em.scratch_used):
                alloc(f"S{i}_{k} = np.empty({_shape('n', out_shp)})")
            continue
        C, H, W = shp
        if isinstance(layer, Conv2D):
            w, b = pnames[i]
            CO, OH, OW = out_shp
            kh, kw = layer.kernel_size
            (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
            fwd(f"# conv {layer!r}: im2col + one matrix product")
            if ph or pw:
                alloc(
                    f"P{i} = np.zeros((n, {C}, {H + 2 * ph}, {W + 2 * pw}))  # zero border, filled once",
                    f"P{i}in = P{i}[:, :, {ph}:{ph + H}, {pw}:{pw + W}]",
                )
                fwd(f"np.copyto(P{i}in, {src})")
                padded = f"P{i}"
            else:
                padded = src
            alloc(
                f"_s = {padded}.strides",
                f"V{i} = as_strided({padded}, shape=(n, {OH}, {OW}, {C}, {kh}, {kw}), "
                f"strides=(_s[0], _s[2] * {sh}, _s[3] * {sw}, _s[1], _s[2] * {dh}, _s[3] * {dw}), "
                "writeable=False)",
                f"COL{i} = np.empty((n, {OH}, {OW}, {C}, {kh}, {kw}))",
                f"COL{i}m = COL{i}.reshape(n * {OH * OW}, {C * kh * kw})",
                f"KT{i} = np.empty(({C * kh * kw}, {CO}))",
                f"ZT{i} = np.empty((n * {OH * OW}, {CO}))",
                f"ZT{i}v = ZT{i}.reshape(n, {OH}, {OW}, {CO}).transpose(0, 3, 1, 2)",
                f"{A} = np.empty((n, {CO}, {OH}, {OW}))",
            )
            fwd(
                f"np.copyto(COL{i}, V{i})",
                # a contiguous K^T: NumPy's matmul is slow on a transposed right operand here
                f"np.copyto(KT{i}, {w}.reshape({CO}, {C * kh * kw}).T)",
                f"np.matmul(COL{i}m, KT{i}, out=ZT{i})",
            )
            if b:
                fwd(f"np.add(ZT{i}, {b}, out=ZT{i})")
            fwd(f"np.copyto({A}, ZT{i}v)")
            continue
        # pooling: views of the input, one per window position
        _OC, OH, OW = out_shp
        kh, kw = layer.size
        sh, sw = layer.stride
        alloc(
            f"{A} = np.empty((n, {C}, {OH}, {OW}))",
            f"WIN{i} = [{src}[:, :, u:u + {sh * (OH - 1) + 1}:{sh}, v:v + {sw * (OW - 1) + 1}:{sw}] "
            f"for u in range({kh}) for v in range({kw})]",
        )
        if isinstance(layer, MaxPool2D):
            fwd(
                f"# max-pool {layer!r}: the running maximum over the window positions",
                f"np.copyto({A}, WIN{i}[0])",
                f"for _w in WIN{i}[1:]:",
                f"    np.maximum({A}, _w, out={A})",
            )
        else:
            fwd(
                f"# average-pool {layer!r}",
                f"np.copyto({A}, WIN{i}[0])",
                f"for _w in WIN{i}[1:]:",
                f"    np.add({A}, _w, out={A})",
                f"np.multiply({A}, {1.0 / (kh * kw)!r}, out={A})",
            )

    # -- output activation and loss ---------------------------------------------------------
    zl = a[L]
    k = shapes[-1][0]
    y = spec.y_symbol
    alloc(f"T0 = np.empty((n, {k}))")
    if spec.fused_softmax:
        out = "Aout"
        alloc(f"{out} = np.empty((n, {k}))", "M = np.empty((n, 1))", "S = np.empty((n, 1))")
        fwd(
            f"np.max({zl}, axis=1, keepdims=True, out=M)",
            f"np.subtract({zl}, M, out={out})",
            f"np.exp({out}, out={out})",
            f"np.sum({out}, axis=1, keepdims=True, out=S)",
            f"np.divide({out}, S, out={out})  # softmax",
        )
        loss_lines = [
            f"np.multiply(Y, {zl}, out=T0)",
            "loss = (np.sum(M) + np.sum(np.log(S)) - np.sum(T0)) * scale",
        ]
        delta_lines = [f"np.subtract({out}, Y, out=G{L})", f"np.multiply(G{L}, scale, out=G{L})"]
        scratch_out = 0
    else:
        if spec.output.identity:
            out = zl
        else:
            out = "Aout"
            alloc(f"{out} = np.empty((n, {k}))")
            em = InplaceEmitter({Z_SYMBOL: zl}, scratch=lambda q: f"T{q + 1}")
            fwd(*em.emit(spec.output.f, out))
        names = {A_SYMBOL: out, y: "Y", Z_SYMBOL: zl}
        em = InplaceEmitter(names, scratch=lambda q: f"T{q + 1}")
        loss_lines = [*em.emit(spec.loss_expr, "T0"), "loss = np.sum(T0) * scale"]
        em2 = InplaceEmitter(names, scratch=lambda q: f"T{q + 1}")
        delta_lines = em2.emit(spec.delta_expr * sp.Symbol("scale"), f"G{L}")
        scratch_out = max(em.scratch_used, em2.scratch_used, 1)
    for q in range(scratch_out):
        alloc(f"T{q + 1} = np.empty((n, {k}))")

    # -- backward: gradient buffers from the top ------------------------------------------
    alloc(f"G{L} = np.empty((n, {k}))")
    for i in range(L, 0, -1):
        layer = layers[i - 1]
        src, shp = a[i - 1], ins[i - 1]
        G, Gin = f"G{i}", f"G{i - 1}"
        need = i > first_param  # a parameter lies below: pass the gradient down
        if need:
            if isinstance(layer, Flatten):
                alloc(f"{Gin} = {G}.reshape({_shape('n', shp)})  # a view")
            else:
                alloc(f"{Gin} = np.empty({_shape('n', shp)})")
        if isinstance(layer, Dense):
            w, b = pnames[i]
            bwd(f"np.matmul({src}.T, {G}, out=g{w})")
            if b:
                bwd(f"np.sum({G}, axis=0, out=g{b})")
            if need:
                bwd(f"np.matmul({G}, {w}.T, out={Gin})")
        elif isinstance(layer, Act):
            if not need:
                continue
            lm = spec.acts[i - 1]
            fprime = lm.fprime_a if lm.reuse_output else lm.fprime_z
            em = InplaceEmitter(
                {A_SYMBOL: a[i], Z_SYMBOL: src, G_SYMBOL: G}, scratch=lambda q, i=i: f"S{i}_{q}"
            )
            bwd(*_fast_steps(em.emit(fprime, Gin)), f"np.multiply({Gin}, {G}, out={Gin})")
            for q in range(em.scratch_used):
                alloc(f"S{i}_{q} = np.empty({_shape('n', shapes[i - 1])})")
        elif isinstance(layer, Conv2D):
            w, b = pnames[i]
            CO, OH, OW = shapes[i - 1]
            C, H, W = shp
            kh, kw = layer.kernel_size
            (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
            alloc(
                f"GT{i} = np.empty((n * {OH * OW}, {CO}))",
                f"GT{i}v = GT{i}.reshape(n, {OH}, {OW}, {CO})",
                f"g{w}m = g{w}.reshape({CO}, {C * kh * kw})",
            )
            bwd(
                f"# conv {layer!r}: dK = delta^T columns, db = sum delta",
                f"np.copyto(GT{i}v, {G}.transpose(0, 2, 3, 1))",
                f"np.matmul(GT{i}.T, COL{i}m, out=g{w}m)",
            )
            if b:
                alloc(f"ONES{i} = np.ones(n * {OH * OW})")
                bwd(f"np.matmul(ONES{i}, GT{i}, out=g{b})  # the sum over samples and positions")
            if need:
                target = f"GP{i}" if (ph or pw) else Gin
                if ph or pw:
                    alloc(f"GP{i} = np.empty((n, {C}, {H + 2 * ph}, {W + 2 * pw}))")
                alloc(
                    f"DCOL{i} = np.empty((n, {OH}, {OW}, {C}, {kh}, {kw}))",
                    f"DCOL{i}m = DCOL{i}.reshape(n * {OH * OW}, {C * kh * kw})",
                    f"SCAT{i} = [({target}[:, :, u * {dh}:u * {dh} + {sh * (OH - 1) + 1}:{sh}, "
                    f"v * {dw}:v * {dw} + {sw * (OW - 1) + 1}:{sw}], "
                    f"DCOL{i}[:, :, :, :, u, v].transpose(0, 3, 1, 2)) "
                    f"for u in range({kh}) for v in range({kw})]",
                )
                bwd(
                    "# dX: delta K gives the columns' gradient; col2im adds it back where it was read",
                    f"np.matmul(GT{i}, {w}.reshape({CO}, {C * kh * kw}), out=DCOL{i}m)",
                    f"{target}.fill(0.0)",
                    f"for _t, _d in SCAT{i}:",
                    "    np.add(_t, _d, out=_t)",
                )
                if ph or pw:
                    bwd(f"np.copyto({Gin}, GP{i}[:, :, {ph}:{ph + H}, {pw}:{pw + W}])")
        elif isinstance(layer, (MaxPool2D, AvgPool2D)) and need:
            C, OH, OW = shapes[i - 1]
            kh, kw = layer.size
            sh, sw = layer.stride
            alloc(
                f"GWIN{i} = [{Gin}[:, :, u:u + {sh * (OH - 1) + 1}:{sh}, v:v + {sw * (OW - 1) + 1}:{sw}] "
                f"for u in range({kh}) for v in range({kw})]",
                f"R{i} = np.empty((n, {C}, {OH}, {OW}))",
            )
            if isinstance(layer, MaxPool2D):
                alloc(
                    f"HIT{i} = np.empty((n, {C}, {OH}, {OW}), dtype=bool)",
                    f"TAKEN{i} = np.empty((n, {C}, {OH}, {OW}), dtype=bool)",
                )
                bwd(
                    f"# max-pool {layer!r}: delta goes to the first arg-max of every window",
                    f"{Gin}.fill(0.0)",
                    f"TAKEN{i}.fill(False)",
                    f"for _w, _g in zip(WIN{i}, GWIN{i}):",
                    f"    np.equal(_w, A{i}, out=HIT{i})",
                    f"    np.greater(HIT{i}, TAKEN{i}, out=HIT{i})  # a hit not taken before",
                    f"    np.logical_or(TAKEN{i}, HIT{i}, out=TAKEN{i})",
                    f"    np.multiply({G}, HIT{i}, out=R{i})",
                    f"    np.add(_g, R{i}, out=_g)",
                )
            else:
                bwd(
                    f"# average-pool {layer!r}: delta / (kh kw) to every window position",
                    f"{Gin}.fill(0.0)",
                    f"np.multiply({G}, {1.0 / (kh * kw)!r}, out=R{i})",
                    f"for _g in GWIN{i}:",
                    f"    np.add(_g, R{i}, out=_g)",
                )

    w = _Writer()
    w("def make(n, scale):")
    w.indent = 1
    w('"""Buffers for a batch of n samples; scale = 1/(divisor of the loss\'s reduction)."""')
    for p in params:
        w(f"g{p} = np.empty({p}_shape)")
    w.lines.extend(alloc.lines)
    w.lines.append("")
    w("def forward(X, " + ", ".join(params) + "):")
    w.lines.extend(fwd.lines)
    w(f"    return {out}")
    w.lines.append("")
    w("def gradient(X, Y, " + ", ".join(params) + "):")
    w.lines.extend(fwd.lines)
    w.indent = 2
    w("# loss", *loss_lines, "# backward pass", *delta_lines)
    w.indent = 1
    w.lines.extend(bwd.lines)
    w("    return loss")
    w.lines.append("")
    w(
        f"return gradient, ({', '.join(grads)},), forward, [{', '.join(a[i] for i in range(1, L + 1))}]"
    )
    w.indent = 0
    w.lines.append("")
    _updates(w, params, grads)
    return w.text()


def build(spec: ConvSpec, shapes: dict[str, tuple[int, ...]]):
    """Generate, compile and return ``(source, namespace)``; *shapes* are the parameters'."""
    source = generate(spec)
    namespace = {
        "np": np,
        "special": scipy.special,
        "kernels": kernels,
        "as_strided": np.lib.stride_tricks.as_strided,
        **{f"{k}_shape": v for k, v in shapes.items()},
    }
    exec(builtins.compile(source, "<symnn layered network>", "exec"), namespace)  # generated code
    return source, namespace
