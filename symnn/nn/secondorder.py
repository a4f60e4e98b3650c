r"""Second derivatives of a network, derived at layer level: the R-operator, printed and compiled.

The Hessian-vector product :math:`Hv` of the loss is the directional derivative of
the gradient along :math:`v = (V_1, v_1, V_2, v_2, \dots)`, the operator
:math:`\mathcal{R}\{\cdot\} = \frac{d}{dt}\,\cdot\,(\theta + t v)\big|_{t=0}` applied to
the backpropagation equations (Pearlmutter, 1994; "forward over reverse"):

.. math::

    \mathcal{R}Z_l &= \mathcal{R}A_{l-1} W_l + A_{l-1} V_l + v_l, \qquad
    \mathcal{R}A_l = f_l'(Z_l) \odot \mathcal{R}Z_l, \qquad \mathcal{R}A_0 = 0, \\
    \mathcal{R}\delta_L &= \frac{\partial \delta_L}{\partial Z_L} \odot \mathcal{R}Z_L, \\
    \mathcal{R}\delta_l &= \left(\mathcal{R}\delta_{l+1} W_{l+1}^\top
        + \delta_{l+1} V_{l+1}^\top\right) \odot f_l'(Z_l)
        + \left(\delta_{l+1} W_{l+1}^\top\right) \odot f_l''(Z_l) \odot \mathcal{R}Z_l, \\
    (Hv)_{W_l} &= \mathcal{R}A_{l-1}^\top \delta_l + A_{l-1}^\top \mathcal{R}\delta_l, \qquad
    (Hv)_{b_l} = \mathbf{1}^\top \mathcal{R}\delta_l .

The elementwise pieces -- :math:`f''` of every activation (for the sigmoid
:math:`\sigma(1-\sigma)(1-2\sigma)`, written in the layer's output :math:`A` where that
is exact) and :math:`\partial\delta_L/\partial Z_L` of the loss and output activation
-- come from ``sympy.diff`` of the layer's own symbolic pieces (:class:`~symnn.nn.netcode.LayerMath`);
:func:`equations` prints them, :func:`generate` writes them as in-place NumPy code
through :class:`symnn.compiler.InplaceEmitter` (the compiler's stable forms). With a
softmax output fused with the cross-entropy,
:math:`\mathcal{R}\delta_L = P \odot \mathcal{R}Z_L - P \odot (\mathcal{R}Z_L\,\text{row sums of } P \odot \cdot)`,
the softmax Jacobian applied row by row.

>>> import symnn as sn
>>> net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False)
>>> print(equations(net)["f''1"])
σ''(Z1) = A1 ⊙ (1 - A1) ⊙ (1 - 2·A1)
"""

from __future__ import annotations

import builtins
import contextlib
from dataclasses import dataclass

import numpy as np
import scipy.special
import sympy as sp

from symnn.compiler import InplaceEmitter, kernels
from symnn.expr.symbolic import kink_conventions
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL, LayerMath, NetSpec
from symnn.nn.views import Backprop, Equation, _paren, _scale, _tex, _text

__all__ = ["HvpEquations", "SecondOrder", "build_hvp", "equations", "generate", "second_order"]

#: Stand-ins in the generated code's expressions: the layer's f'(Z) buffer and R{Z}.
F_SYMBOL = sp.Symbol("fp", real=True)
R_SYMBOL = sp.Symbol("rz", real=True)


@dataclass(frozen=True)
class SecondOrder:
    """The elementwise second-order pieces of one layer (parameters substituted).

    ``fprime`` and ``f2`` are :math:`f'` and :math:`f''` (in ``A_SYMBOL`` when the
    derivative is a function of the output, else in ``Z_SYMBOL``); ``f2_code`` is
    :math:`f''` with :math:`f'` replaced by ``F_SYMBOL`` where that saves work.
    ``ddelta`` (output layer only) is :math:`\\partial\\delta_L/\\partial Z_L` without the
    reduction's factor; None for a fused softmax.
    """

    fprime: sp.Expr
    f2: sp.Expr
    f2_code: sp.Expr
    identity: bool
    ddelta: sp.Expr | None = None


def _fprime(layer: LayerMath) -> sp.Expr:
    if layer.identity:
        return sp.S.One
    return layer.fprime_a if layer.reuse_output else layer.fprime_z


def _tidy(expr: sp.Expr) -> sp.Expr:
    return sp.factor_terms(kink_conventions(expr))


def second_order(spec: NetSpec) -> tuple[SecondOrder, ...]:
    """The :class:`SecondOrder` pieces of every layer of *spec*, by ``sympy.diff``.

    Chain rule through the output: :math:`f''(z) = \\frac{d f'}{d a} f'(z)` when
    :math:`f'` is written in :math:`a = f(z)`, and for the output delta
    :math:`\\frac{\\partial \\delta}{\\partial z} = \\frac{\\partial \\delta}{\\partial a} f'(z)
    + \\frac{\\partial \\delta}{\\partial z}\\big|_a`.
    """
    odd = [lay.name for lay in spec.layers if lay.vector is not None or lay.params]
    if odd:  # the R-operator below is written for elementwise layers with fixed parameters
        raise ValueError(
            f"Hessian-vector products handle elementwise activations with fixed parameters; "
            f"layer(s) {odd} have a vector activation or trainable activation parameters: "
            "use net.gradients() or symnn.gradcheck(net, X, y) for these networks"
        )
    out = []
    for i, layer in enumerate(spec.layers, start=1):
        fp = _fprime(layer)
        if layer.identity:
            f2 = f2_code = sp.S.Zero
        elif layer.reuse_output:
            d = _tidy(sp.diff(fp, A_SYMBOL))
            f2, f2_code = _tidy(d * fp), d * F_SYMBOL
        else:
            f2 = f2_code = _tidy(sp.diff(fp, Z_SYMBOL))
        dd = None
        if i == spec.depth and not spec.fused_softmax:
            delta = spec.delta_expr
            dd = _tidy(sp.diff(delta, A_SYMBOL) * fp + sp.diff(delta, Z_SYMBOL))
        out.append(SecondOrder(fp, f2, f2_code, layer.identity, dd))
    return tuple(out)


# -- printing -------------------------------------------------------------------------------


class HvpEquations(Backprop):
    """The second backward pass (R-operator) of a network: tangents, second derivatives, Hv."""


def equations(net) -> HvpEquations:
    """The Hessian-vector product of *net* in matrix form, its second derivatives substituted.

    Names: ``RZ1``, ``RA1`` (forward tangents), ``f''1`` (each hidden activation's second
    derivative), ``l''`` (the loss's, in the prediction), ``ddelta{L}`` (the output delta's
    derivative in :math:`Z_L`: loss and output activation together), ``Rdelta{l}``,
    ``HvW{l}``, ``Hvb{l}``.
    """
    spec = net.spec
    pieces = second_order(spec)
    L = spec.depth
    scale, scale_text = _scale(net)
    eqs: list[Equation] = []

    def a_names(i):
        if i == 0:
            return "X", "X"
        if i == L:
            return r"\hat{Y}", "Ŷ"
        return f"A_{{{i}}}", f"A{i}"

    def subs(i):
        a_tex, _ = a_names(i)
        return {A_SYMBOL: sp.Symbol(a_tex), Z_SYMBOL: sp.Symbol(f"Z_{{{i}}}"),
                spec.y_symbol: sp.Symbol("Y")}  # fmt: skip

    def act(i):
        a = net.activations[i - 1]
        return a.tex, a.plain

    # forward tangents
    for i in range(1, L + 1):
        bias_tex, bias_text = (f" + v_{{{i}}}", f" + v{i}") if net.bias else ("", "")
        if i == 1:
            rhs_tex, rhs_text = f"X V_{{1}}{bias_tex}", f"X V1{bias_text}"
        else:
            p_tex, p_text = a_names(i - 1)
            rhs_tex = rf"\mathcal{{R}}A_{{{i - 1}}} W_{{{i}}} + {p_tex} V_{{{i}}}{bias_tex}"
            rhs_text = f"RA{i - 1} W{i} + {p_text} V{i}{bias_text}"
        eqs.append(Equation(f"RZ{i}", rf"\mathcal{{R}}Z_{{{i}}}", rhs_tex, f"RZ{i} = {rhs_text}"))
        if i < L:
            piece = pieces[i - 1]
            if piece.identity:
                eqs.append(Equation(f"RA{i}", rf"\mathcal{{R}}A_{{{i}}}",
                                    rf"\mathcal{{R}}Z_{{{i}}}", f"RA{i} = RZ{i}"))  # fmt: skip
            else:
                fe = sp.factor_terms(piece.fprime.xreplace(subs(i)))
                eqs.append(Equation(
                    f"RA{i}", rf"\mathcal{{R}}A_{{{i}}}",
                    _paren(_tex(fe), fe) + rf" \odot \mathcal{{R}}Z_{{{i}}}",
                    f"RA{i} = {_paren(_text(fe), fe, text=True)} ⊙ RZ{i}", fe))  # fmt: skip
    # second derivatives of the activations and of the loss at the output
    for i in range(1, L):
        piece = pieces[i - 1]
        tex, text = act(i)
        f2 = piece.f2.xreplace(subs(i))
        eqs.append(Equation(f"f''{i}", rf"{tex}''\left(Z_{{{i}}}\right)", _tex(f2),
                            f"{text}''(Z{i}) = {_text(f2)}", f2))  # fmt: skip
    scale_tex = (_tex(scale) + r" \, ") if scale != 1 else ""
    scale_txt = f"{scale_text} " if scale_text else ""
    if spec.fused_softmax:
        rhs_tex = (scale_tex + rf"\left(P \odot \mathcal{{R}}Z_{{{L}}} - P \odot \left("
                   rf"\left(P \odot \mathcal{{R}}Z_{{{L}}}\right) \mathbf{{1}}\right)\right)")
        rhs_text = f"{scale_txt}(P ⊙ RZ{L} - P ⊙ rowsum(P ⊙ RZ{L})),  P = softmax(Z{L})"
        eqs.append(Equation(f"Rdelta{L}", rf"\mathcal{{R}}\delta_{{{L}}}", rhs_tex,
                            f"Rδ{L} = {rhs_text}"))  # fmt: skip
    else:
        lo = net.loss
        fixed = {p: sp.nsimplify(v) for p, v in lo.params.items()}
        l2 = _tidy(sp.diff(lo.derivative.xreplace(fixed), lo.yhat))
        if not l2.has(sp.Piecewise):  # the shortest of the usual forms (BCE: y/ŷ² + (1-y)/(1-ŷ)²)
            forms = [l2, sp.factor(l2)]
            with contextlib.suppress(sp.PolynomialError, NotImplementedError):  # not rational
                forms.append(sp.apart(sp.cancel(l2), lo.yhat))
            l2 = min(forms, key=sp.count_ops)
        l2 = l2.xreplace({lo.yhat: sp.Symbol(r"\hat{Y}"), lo.y: sp.Symbol("Y")})
        eqs.append(Equation("l''", r"\ell''\left(\hat{Y}\right)", _tex(l2),
                            f"ℓ''(Ŷ) = {_text(l2)}  (the loss's second derivative)", l2))  # fmt: skip
        dd = pieces[-1].ddelta.xreplace(subs(L))
        eqs.append(Equation(f"ddelta{L}", rf"\frac{{\partial \delta_{{{L}}}}}{{\partial Z_{{{L}}}}}",
                            scale_tex + _paren(_tex(dd), dd),
                            f"dδ{L}/dZ{L} = {scale_txt}{_paren(_text(dd), dd, text=True)}", dd))  # fmt: skip
        eqs.append(Equation(
            f"Rdelta{L}", rf"\mathcal{{R}}\delta_{{{L}}}",
            rf"\frac{{\partial \delta_{{{L}}}}}{{\partial Z_{{{L}}}}} \odot \mathcal{{R}}Z_{{{L}}}",
            f"Rδ{L} = dδ{L}/dZ{L} ⊙ RZ{L}"))  # fmt: skip
    for i in range(L - 1, 0, -1):
        piece = pieces[i - 1]
        back_tex = (rf"\left(\mathcal{{R}}\delta_{{{i + 1}}} W_{{{i + 1}}}^{{\top}} + "
                    rf"\delta_{{{i + 1}}} V_{{{i + 1}}}^{{\top}}\right)")
        back_text = f"(Rδ{i + 1} W{i + 1}ᵀ + δ{i + 1} V{i + 1}ᵀ)"
        if piece.identity:
            eqs.append(Equation(f"Rdelta{i}", rf"\mathcal{{R}}\delta_{{{i}}}", back_tex,
                                f"Rδ{i} = {back_text}"))  # fmt: skip
            continue
        tex, text = act(i)
        rhs_tex = back_tex + rf" \odot {tex}'\left(Z_{{{i}}}\right)"
        rhs_text = f"{back_text} ⊙ {text}'(Z{i})"
        if piece.f2 != 0:
            rhs_tex += (rf" + \left(\delta_{{{i + 1}}} W_{{{i + 1}}}^{{\top}}\right) \odot "
                        rf"{tex}''\left(Z_{{{i}}}\right) \odot \mathcal{{R}}Z_{{{i}}}")
            rhs_text += f" + (δ{i + 1} W{i + 1}ᵀ) ⊙ {text}''(Z{i}) ⊙ RZ{i}"
        eqs.append(Equation(f"Rdelta{i}", rf"\mathcal{{R}}\delta_{{{i}}}", rhs_tex,
                            f"Rδ{i} = {rhs_text}"))  # fmt: skip
    for i in range(L, 0, -1):
        p_tex, p_text = a_names(i - 1)
        rhs_tex = rf"{p_tex}^{{\top}} \mathcal{{R}}\delta_{{{i}}}"
        rhs_text = f"{p_text}ᵀ Rδ{i}"
        if i > 1:
            rhs_tex = rf"\mathcal{{R}}A_{{{i - 1}}}^{{\top}} \delta_{{{i}}} + " + rhs_tex
            rhs_text = f"RA{i - 1}ᵀ δ{i} + " + rhs_text
        eqs.append(Equation(f"HvW{i}", rf"(Hv)_{{W_{{{i}}}}}", rhs_tex, f"(Hv)W{i} = {rhs_text}"))
        if net.bias:
            eqs.append(Equation(f"Hvb{i}", rf"(Hv)_{{b_{{{i}}}}}",
                                rf"\mathbf{{1}}^{{\top}} \mathcal{{R}}\delta_{{{i}}}",
                                f"(Hv)b{i} = 1ᵀ Rδ{i}  (column sums)"))  # fmt: skip
    return HvpEquations(tuple(eqs), "Hessian-vector product (R-operator)")


# -- code generation ---------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, *lines: str) -> None:
        self.lines.extend("        " + line for line in lines)


def generate(spec: NetSpec) -> str:
    """The source of the generated HVP module for *spec*.

    It defines ``make_hvp(n, scale)``, which allocates the buffers for a batch of *n*
    rows and returns ``(hvp, out)``: ``hvp(X, Y, W1, b1, ..., VW1, Vb1, ...)`` writes
    :math:`Hv` into the arrays ``out`` (in ``net.params`` order).
    """
    L = spec.depth
    sizes = spec.sizes
    pieces = second_order(spec)
    y = spec.y_symbol
    params, vs, outs = [], [], []
    for i in range(1, L + 1):
        params.append(f"W{i}")
        vs.append(f"VW{i}")
        outs.append(f"hW{i}")
        if spec.bias:
            params.append(f"b{i}")
            vs.append(f"Vb{i}")
            outs.append(f"hb{i}")
    buffers: list[str] = []
    scratch: dict[int, int] = {}
    body = _Writer()

    def buf(name: str, shape: str) -> str:
        buffers.append(f"{name} = np.empty({shape})")
        return name

    def emit(expr, out: str, width: int, names: dict) -> None:
        em = InplaceEmitter(names, scratch=lambda k: f"E{k}_{width}")
        body(*em.emit(expr, out))
        scratch[width] = max(scratch.get(width, 0), em.scratch_used)

    temp = {w: f"T_{w}" for w in set(sizes[1:])}
    for w, name in temp.items():
        buf(name, f"(n, {w})")
    a, z, ra, rz, f = {0: "X"}, {}, {}, {}, {}
    body("# forward pass and its tangent R{.} along V")
    for i in range(1, L + 1):
        w = sizes[i]
        piece = pieces[i - 1]
        z[i] = buf(f"Z{i}", f"(n, {w})")
        rz[i] = buf(f"RZ{i}", f"(n, {w})")
        body(f"np.matmul({a[i - 1]}, W{i}, out={z[i]})")
        if spec.bias:
            body(f"np.add({z[i]}, b{i}, out={z[i]})")
        if i == 1:
            body(f"np.matmul(X, VW1, out={rz[1]})")
        else:
            body(f"np.matmul({ra[i - 1]}, W{i}, out={rz[i]})",
                 f"np.matmul({a[i - 1]}, VW{i}, out={temp[w]})",
                 f"np.add({rz[i]}, {temp[w]}, out={rz[i]})")  # fmt: skip
        if spec.bias:
            body(f"np.add({rz[i]}, Vb{i}, out={rz[i]})")
        if i == L and spec.fused_softmax:
            a[i] = buf(f"A{i}", f"(n, {w})")
            buf("M", "(n, 1)")
            body(f"np.max({z[i]}, axis=1, keepdims=True, out=M)",
                 f"np.subtract({z[i]}, M, out={a[i]})", f"np.exp({a[i]}, out={a[i]})",
                 f"np.sum({a[i]}, axis=1, keepdims=True, out=M)",
                 f"np.divide({a[i]}, M, out={a[i]})  # softmax")  # fmt: skip
            continue
        if piece.identity:
            a[i] = z[i]
        else:
            a[i] = buf(f"A{i}", f"(n, {w})")
            emit(spec.layers[i - 1].f, a[i], w, {Z_SYMBOL: z[i]})
        if i == L:
            continue
        if piece.identity:
            ra[i] = rz[i]
            continue
        f[i] = buf(f"F{i}", f"(n, {w})")
        emit(piece.fprime, f[i], w, {Z_SYMBOL: z[i], A_SYMBOL: a[i]})
        ra[i] = buf(f"RA{i}", f"(n, {w})")
        body(f"np.multiply({f[i]}, {rz[i]}, out={ra[i]})")

    body("# backward pass and its tangent")
    w = sizes[L]
    d, rd = {}, {}
    d[L] = buf(f"D{L}", f"(n, {w})")
    rd[L] = buf(f"RD{L}", f"(n, {w})")
    if spec.fused_softmax:
        body(f"np.subtract({a[L]}, Y, out={d[L]})", f"np.multiply({d[L]}, scale, out={d[L]})",
             f"np.multiply({a[L]}, {rz[L]}, out={rd[L]})",
             f"np.sum({rd[L]}, axis=1, keepdims=True, out=M)",
             f"np.multiply({a[L]}, M, out={temp[w]})",
             f"np.subtract({rd[L]}, {temp[w]}, out={rd[L]})",
             f"np.multiply({rd[L]}, scale, out={rd[L]})")  # fmt: skip
    else:
        names = {A_SYMBOL: a[L], Z_SYMBOL: z[L], y: "Y", R_SYMBOL: rz[L]}
        emit(spec.delta_expr * sp.Symbol("scale"), d[L], w, names)
        emit(pieces[-1].ddelta * R_SYMBOL * sp.Symbol("scale"), rd[L], w, names)
    for i in range(L - 1, 0, -1):
        w = sizes[i]
        piece = pieces[i - 1]
        rd[i] = buf(f"RD{i}", f"(n, {w})")
        body(f"np.matmul({rd[i + 1]}, W{i + 1}.T, out={rd[i]})",
             f"np.matmul({d[i + 1]}, VW{i + 1}.T, out={temp[w]})",
             f"np.add({rd[i]}, {temp[w]}, out={rd[i]})")  # fmt: skip
        need_d = i > 1  # delta_1 is not used: R{A_0} = 0
        if piece.identity:
            if need_d:
                d[i] = buf(f"D{i}", f"(n, {w})")
                body(f"np.matmul({d[i + 1]}, W{i + 1}.T, out={d[i]})")
            continue
        g = None
        if need_d or piece.f2 != 0:
            g = buf(f"G{i}", f"(n, {w})")
            body(f"np.matmul({d[i + 1]}, W{i + 1}.T, out={g})")
        body(f"np.multiply({rd[i]}, {f[i]}, out={rd[i]})")
        if piece.f2 != 0:
            names = {Z_SYMBOL: z[i], A_SYMBOL: a[i], F_SYMBOL: f[i]}
            emit(piece.f2_code, temp[w], w, names)
            body(f"np.multiply({temp[w]}, {g}, out={temp[w]})",
                 f"np.multiply({temp[w]}, {rz[i]}, out={temp[w]})",
                 f"np.add({rd[i]}, {temp[w]}, out={rd[i]})")  # fmt: skip
        if need_d:
            d[i] = buf(f"D{i}", f"(n, {w})")
            body(f"np.multiply({g}, {f[i]}, out={d[i]})")
    body("# Hv")
    extra = []
    for i in range(1, L + 1):
        body(f"np.matmul({a[i - 1]}.T, {rd[i]}, out=hW{i})")
        if i > 1:
            extra.append(f"HT{i} = np.empty(({sizes[i - 1]}, {sizes[i]}))")
            body(f"np.matmul({ra[i - 1]}.T, {d[i]}, out=HT{i})", f"np.add(hW{i}, HT{i}, out=hW{i})")
        if spec.bias:
            body(f"np.sum({rd[i]}, axis=0, out=hb{i})")

    lines = ["def make_hvp(n, scale):",
             '    """Buffers for a batch of n rows; scale = 1/(divisor of the reduction)."""']  # fmt: skip
    lines += ["    " + b for b in buffers + extra]
    for width, count in sorted(scratch.items()):
        lines += [f"    E{k}_{width} = np.empty((n, {width}))" for k in range(count)]
    for i in range(1, L + 1):
        lines.append(f"    hW{i} = np.empty(({sizes[i - 1]}, {sizes[i]}))")
        if spec.bias:
            lines.append(f"    hb{i} = np.empty({sizes[i]})")
    lines.append("")
    lines.append(f"    def hvp(X, Y, {', '.join(params)}, {', '.join(vs)}):")
    lines += body.lines
    lines.append("")
    lines.append(f"    return hvp, ({', '.join(outs)},)")
    return "\n".join(lines) + "\n"


def build_hvp(spec: NetSpec) -> tuple[str, dict]:
    """Generate and compile the HVP module; ``(source, namespace)``."""
    source = generate(spec)
    namespace = {"np": np, "special": scipy.special, "kernels": kernels}
    exec(builtins.compile(source, "<symnn hvp>", "exec"), namespace)  # generated code
    return source, namespace
