r"""How the convolution and pooling rules come out of the chain rule: ``net.derive()`` for a
network of layers.

A convolution's output element is a sum of products (:mod:`symnn.nn.conv`),

.. math::

    A_i[o,p,q] = b[o] + \sum_{c,u,v} K[o,c,u,v]\; \operatorname{pad}(A_{i-1})[c,\, s p + d u,\, s q + d v],

so the chain rule on the loss :math:`L` runs over every output element a parameter or an
input element appears in. With :math:`\delta_i = \partial L/\partial A_i`:

* one kernel element multiplies one input element in every window, hence
  :math:`\partial L/\partial K[o,c,u,v] = \sum_{p,q} \delta_i[o,p,q]\, \operatorname{pad}(A_{i-1})[c, s p + d u, s q + d v]`,
  which, as a function of :math:`(u, v)`, is the valid cross-correlation of the input with
  :math:`\delta` (dilated by the stride, read every *d*);
* a bias adds to every output element of its channel: :math:`\partial L/\partial b[o] = \sum_{p,q} \delta_i[o,p,q]`;
* one input element is touched by every window that covers it, through the kernel
  element over it: the sum over those windows is the *full convolution* of the dilated,
  padded :math:`\delta` with the kernel rotated by 180 degrees, cropped by the padding;
* a max-pooling output depends on one input element of its window, the (first) arg-max,
  so the gradient is routed there; an average spreads it evenly.

:func:`derive_layered` writes each step out, with one kernel element's, one bias's and one
input element's sums spelled out term by term for the network's own sizes, and ends with
the compact rules that :meth:`net.backprop() <symnn.nn.convnet.LayeredNetwork.backprop>`
prints. :meth:`LayeredDerivation.evaluate` computes every stated equation on data, so the
tests hold them against ``net.gradients``.

>>> import symnn as sn
>>> net = sn.Network("conv(2,2),relu,maxpool(2),flatten,dense(3)", input_shape=(1, 5, 5))
>>> d = net.derive()
>>> [s.title for s in d.sections][1:4]
['A kernel element: the chain rule on the expanded sum', 'A bias', 'An input element: the full convolution']
>>> print(d.sections[1].equations[3].text)
∂L/∂K1[0,0,0,0] = δ1[0,0,0]·X[0,0,0] + δ1[0,0,1]·X[0,0,1] + δ1[0,0,2]·X[0,0,2] + … + δ1[0,3,3]·X[0,3,3]  (16 terms)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from symnn.catalogue.derivations import softmax_cross_entropy_derivation
from symnn.nn.derivation import Line, NetworkDerivation, Section
from symnn.nn.layers import Act, AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D

__all__ = ["LayeredDerivation", "derive_layered"]

#: Terms of a written-out sum shown in full; longer sums show the first and last few.
SHOWN_TERMS = 6


@dataclass(frozen=True)
class LayeredDerivation(NetworkDerivation):
    r"""The backpropagation derivation of a network of layers (see the module docstring).

    ``layer`` is the (1-based) position of the convolution whose rules are derived, ``kernel``
    its parameter name (``K1``), ``element`` the input element whose sum is written out.
    Renderings as :class:`~symnn.nn.derivation.NetworkDerivation`: ``str()``, ``latex()``,
    ``to_markdown()``, ``to_latex_document()``.
    """

    layer: int | None = None
    kernel: str | None = None
    element: tuple[int, int, int] | None = None

    def evaluate(self, X, y) -> dict[str, np.ndarray]:
        r"""Every stated equation on data, with NumPy and the compact rules as written.

        Keys: ``A1, ...`` (layer outputs), ``delta1, ...`` (:math:`\partial L/\partial A_i`),
        ``dX`` (:math:`\partial L/\partial X`, one row per sample), every parameter name
        (the gradients, as ``net.gradients(X, y)``), and for the derived convolution the
        written-out sums: ``scalar K1`` (:math:`\partial L/\partial K_1[0,0,0,0]`), ``scalar b1``
        (:math:`\partial L/\partial b_1[0]`) and ``scalar input`` (the chosen input element's
        gradient, one value per sample).
        """
        net = self.net
        X, Y = net.check_data(X, y)
        outs = [X, *net.layer_outputs(X)]
        n = X.shape[0]
        L = len(net.layers)
        scale = 1.0 / net.loss.divisor(Y.shape)
        logits = outs[L]
        if net.softmax_output:
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            delta = (e / e.sum(axis=1, keepdims=True) - Y) * scale
        else:
            from symnn.compiler import compile as compile_expr
            from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL

            spec = net.spec
            yhat = np.asarray(net.activations[-1](logits), dtype=float)
            fn = compile_expr(spec.delta_expr, [A_SYMBOL, Z_SYMBOL, spec.y_symbol])
            delta = np.broadcast_to(fn(yhat, logits, Y), Y.shape).astype(float) * scale
        values: dict[str, np.ndarray] = {}
        deltas = {L: delta}
        names = _param_names(net)
        for i in range(L, 0, -1):
            layer, below, d = net.layers[i - 1], outs[i - 1], deltas[i]
            if isinstance(layer, Dense):
                W, b = names[i]
                values[W] = below.T @ d
                if net.bias:
                    values[b] = d.sum(axis=0)
                deltas[i - 1] = d @ net.params[W].T
            elif isinstance(layer, Act):
                act = net.acts[i - 1]
                deltas[i - 1] = d * np.asarray(act.grad(below), dtype=float)
            elif isinstance(layer, Flatten):
                deltas[i - 1] = d.reshape(below.shape)
            elif isinstance(layer, Conv2D):
                K, b = names[i]
                kernel = net.params[K]
                dK = np.zeros_like(kernel)
                dX = np.zeros_like(below)
                for s in range(n):
                    dK += kernel_rule(below[s], d[s], layer)
                    dX[s] = input_rule(d[s], kernel, layer, below.shape[2:])
                values[K] = dK
                if net.bias:
                    values[b] = d.sum(axis=(0, 2, 3))
                deltas[i - 1] = dX
            else:
                deltas[i - 1] = np.stack([pool_rule(below[s], d[s], layer) for s in range(n)])
        for i in range(1, L + 1):
            values[f"A{i}"], values[f"delta{i}"] = outs[i], deltas[i]
        values["dX"] = deltas[0]
        if self.layer is not None:
            i, layer = self.layer, net.layers[self.layer - 1]
            below = np.stack([_fpad(a, layer.padding) for a in outs[i - 1]])
            d = deltas[i]
            values[f"scalar {self.kernel}"] = np.array(
                sum(
                    d[:, 0, p, q] @ below[:, 0, ip, iq]
                    for (p, q), (ip, iq) in _kernel_terms(layer, d.shape[2:])
                )
            )
            if net.bias:
                values[f"scalar b{self.kernel[1:]}"] = np.array(d[:, 0].sum())
            kernel = net.params[self.kernel]
            c, yy, xx = self.element
            values["scalar input"] = sum(
                d[:, o, p, q] * kernel[o, c, u, v]
                for o, p, q, u, v in _input_terms(layer, d.shape[1:], (yy, xx))
            ) + np.zeros(n)
        return values


# -- the compact rules, numerically (as the equations state them) -----------------------------


def _fpad(A: np.ndarray, p) -> np.ndarray:
    ph, pw = p
    return np.pad(A, [(0, 0)] * (A.ndim - 2) + [(ph, ph), (pw, pw)])


def _fdilate(A: np.ndarray, s) -> np.ndarray:
    sh, sw = s
    h, w = A.shape[-2:]
    out = np.zeros((*A.shape[:-2], (h - 1) * sh + 1, (w - 1) * sw + 1))
    out[..., ::sh, ::sw] = A
    return out


def _fcorrelate(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""The valid cross-correlation :math:`(A \star B)_{ij} = \sum_{a,b} A_{i+a,j+b} B_{ab}`."""
    return np.einsum("ijab,ab->ij", sliding_window_view(A, B.shape), B)


def kernel_rule(A: np.ndarray, delta: np.ndarray, layer: Conv2D) -> np.ndarray:
    r""":math:`\partial L/\partial K[o,c] = (\operatorname{pad}(A)_c \star \operatorname{dil}_s(\delta)_o)[d u, d v]`
    for one sample (*A* is (C, H, W), *delta* (O, P, Q))."""
    (kh, kw), (dh, dw) = layer.kernel_size, layer.dilation
    Ap, Dd = _fpad(A, layer.padding), _fdilate(delta, layer.stride)
    out = np.empty((delta.shape[0], A.shape[0], kh, kw))
    for o in range(delta.shape[0]):
        for c in range(A.shape[0]):
            full = _fcorrelate(Ap[c], Dd[o])
            out[o, c] = full[: dh * (kh - 1) + 1 : dh, : dw * (kw - 1) + 1 : dw]
    return out


def input_rule(delta: np.ndarray, K: np.ndarray, layer: Conv2D, hw) -> np.ndarray:
    r""":math:`\partial L/\partial A[c] = \operatorname{crop}_p \sum_o \operatorname{pad}_{d(k-1)}
    (\operatorname{dil}_s(\delta)_o) \star \operatorname{rot180}(\operatorname{dil}_d(K)_{o,c})`."""
    H, W = hw
    ph, pw = layer.padding
    Dd, Kd = _fdilate(delta, layer.stride), _fdilate(K, layer.dilation)
    eh, ew = Kd.shape[-2] - 1, Kd.shape[-1] - 1
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Dfull = np.zeros((delta.shape[0], Hp + eh, Wp + ew))  # rows no window reached stay 0
    Dfull[:, eh : eh + Dd.shape[1], ew : ew + Dd.shape[2]] = Dd
    out = np.empty((K.shape[1], H, W))
    for c in range(K.shape[1]):
        total = sum(_fcorrelate(Dfull[o], Kd[o, c, ::-1, ::-1]) for o in range(K.shape[0]))
        out[c] = total[ph : ph + H, pw : pw + W]
    return out


def pool_rule(A: np.ndarray, delta: np.ndarray, layer: MaxPool2D | AvgPool2D) -> np.ndarray:
    """Max: δ to the first arg-max of every window; average: δ/(kh kw) to all of it."""
    (kh, kw), (sh, sw) = layer.size, layer.stride
    out = np.zeros_like(A)
    C, P, Q = delta.shape
    for c in range(C):
        for p in range(P):
            for q in range(Q):
                window = A[c, sh * p : sh * p + kh, sw * q : sw * q + kw]
                if isinstance(layer, MaxPool2D):
                    u, v = divmod(int(np.argmax(window)), kw)  # the first on ties (row-major)
                    out[c, sh * p + u, sw * q + v] += delta[c, p, q]
                else:
                    out[c, sh * p : sh * p + kh, sw * q : sw * q + kw] += delta[c, p, q] / (kh * kw)
    return out


# -- the written-out sums -------------------------------------------------------------------


def _kernel_terms(layer: Conv2D, out_hw):
    """``((p, q), (row, col))`` of ``∂L/∂K[o,c,0,0] = Σ δ[o,p,q]·pad(A)[c,row,col]``."""
    (sh, sw) = layer.stride
    return [((p, q), (sh * p, sw * q)) for p in range(out_hw[0]) for q in range(out_hw[1])]


def _input_terms(layer: Conv2D, out_shape, yx):
    """``(o, p, q, u, v)`` with ``s p + d u = y + pad`` (and likewise for x): every window
    and kernel element that touches input element (y, x)."""
    n_out, P, Q = out_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        layer.kernel_size, layer.stride, layer.padding, layer.dilation,
    )  # fmt: skip
    y, x = yx
    return [
        (o, p, q, u, v)
        for o in range(n_out)
        for p in range(P)
        for q in range(Q)
        for u in range(kh)
        for v in range(kw)
        if sh * p + dh * u == y + ph and sw * q + dw * v == x + pw
    ]


def _shown(terms: list[tuple[str, str]]) -> tuple[str, str]:
    """A sum of (tex, text) terms, the middle elided when there are more than SHOWN_TERMS."""
    if not terms:
        return "0", "0"
    count = len(terms)
    if count > SHOWN_TERMS:
        terms = [*terms[:3], (r"\dots", "…"), terms[-1]]
    tex = " + ".join(t for t, _ in terms)
    text = " + ".join(t for _, t in terms)
    if count > SHOWN_TERMS:
        tex += rf" \quad ({count} \text{{ terms}})"
        text += f"  ({count} terms)"
    return tex, text


def _param_names(net) -> dict[int, tuple[str, str]]:
    out, j = {}, 0
    for i, layer in enumerate(net.layers, 1):
        if isinstance(layer, (Conv2D, Dense)):
            j += 1
            out[i] = (("K" if isinstance(layer, Conv2D) else "W") + str(j), f"b{j}")
    return out


def _idx(*ix: int) -> str:
    return ",".join(map(str, ix))


# -- the derivation ------------------------------------------------------------------------


def derive_layered(net) -> LayeredDerivation:
    """The backpropagation derivation of a network of layers (see the module docstring)."""
    sections: list[Section] = []
    L = len(net.layers)
    names = _param_names(net)
    f = net.formula()
    why = ("Follow one sample through the layers: every output A_i is computed from the one "
           "below it (A_0 = X), and the loss compares the output with the target. Write "
           "δ_i = ∂L/∂A_i for the derivative of the loss with respect to a layer's output; "
           "backpropagation computes it from the top down, one layer at a time.")  # fmt: skip
    why_tex = ("Follow one sample through the layers: every output $A_i$ is computed from the "
               "one below it ($A_0 = X$), and the loss compares the output with the target. "
               r"Write $\delta_i = \partial L/\partial A_i$ for the derivative of the loss with "
               "respect to a layer's output; backpropagation computes it from the top down, "
               "one layer at a time.")  # fmt: skip
    sections.append(Section("The forward pass", why, why_tex,
                            tuple(Line(eq.latex(), eq.text) for eq in f.equations)))  # fmt: skip
    conv_at = next((i for i, la in enumerate(net.layers, 1) if isinstance(la, Conv2D)), None)
    element = None
    K = None
    if conv_at is not None:
        i = conv_at
        layer = net.layers[i - 1]
        K, b = names[i]
        shape_in = net.input_shape if i == 1 else net.shapes[i - 2]
        n_out, P, Q = net.shapes[i - 1]
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
            layer.kernel_size, layer.stride, layer.padding, layer.dilation,
        )  # fmt: skip
        At, At_t = ("X", "X") if i == 1 else (f"A_{{{i - 1}}}", f"A{i - 1}")
        pad_t = f"pad({At_t})" if (ph, pw) != (0, 0) else At_t
        pad_tex = rf"\operatorname{{pad}}({At})" if (ph, pw) != (0, 0) else At
        d_tex, d_t = rf"\delta_{{{i}}}", f"δ{i}"
        Kt, bt = f"{K[0]}_{{{K[1:]}}}", f"{b[0]}_{{{b[1:]}}}"
        Ai, Ai_t = f"A_{{{i}}}", f"A{i}"
        words = (
            f"s = {_show(layer.stride)}, p = {_show(layer.padding)}, d = {_show(layer.dilation)}"
        )
        # 2. one kernel element
        terms = [
            (rf"{d_tex}[0,{p},{q}]\, {pad_tex}[0,{r},{c}]", f"{d_t}[0,{p},{q}]·{pad_t}[0,{r},{c}]")
            for (p, q), (r, c) in _kernel_terms(layer, (P, Q))
        ]
        sum_tex, sum_t = _shown(terms)
        eqs = [
            Line(
                rf"\frac{{\partial L}}{{\partial {Kt}[o,c,u,v]}} = \sum_{{p,q}} "
                rf"\frac{{\partial L}}{{\partial {Ai}[o,p,q]}}\,"
                rf"\frac{{\partial {Ai}[o,p,q]}}{{\partial {Kt}[o,c,u,v]}}",
                f"∂L/∂{K}[o,c,u,v] = Σ_p,q ∂L/∂{Ai_t}[o,p,q] · ∂{Ai_t}[o,p,q]/∂{K}[o,c,u,v]",
            ),
            Line(
                rf"\frac{{\partial {Ai}[o,p,q]}}{{\partial {Kt}[o,c,u,v]}} = "
                rf"{pad_tex}[c,\, {sh} p + {dh} u,\, {sw} q + {dw} v]",
                f"∂{Ai_t}[o,p,q]/∂{K}[o,c,u,v] = {pad_t}[c, {sh}·p + {dh}·u, {sw}·q + {dw}·v]",
            ),
            Line(
                rf"\frac{{\partial L}}{{\partial {Kt}[o,c,u,v]}} = \sum_{{p,q}} {d_tex}[o,p,q]\, "
                rf"{pad_tex}[c,\, {sh} p + {dh} u,\, {sw} q + {dw} v]",
                f"∂L/∂{K}[o,c,u,v] = Σ_p,q {d_t}[o,p,q]·{pad_t}[c, {sh}·p + {dh}·u, {sw}·q + {dw}·v]",
            ),
            Line(
                rf"\frac{{\partial L}}{{\partial {Kt}[0,0,0,0]}} = {sum_tex}",
                f"∂L/∂{K}[0,0,0,0] = {sum_t}",
            ),
            Line(
                rf"\frac{{\partial L}}{{\partial {Kt}[o,c]}} = \left({pad_tex}_c \star "
                rf"\operatorname{{dil}}_{{{sh}}}({d_tex})_o\right)[{dh} u,\, {dw} v]",
                f"∂L/∂{K}[o,c] = valid cross-correlation of {pad_t}[c] with {d_t}[o] "
                f"dilated by the stride {_show(layer.stride)}, read every {_show(layer.dilation)}",
            ),
        ]
        why = (f"Layer {i} is {layer!r} ({words}) on an input of shape {shape_in}, giving "
               f"{net.shapes[i - 1]}. The kernel element {K}[o,c,u,v] appears in every output "
               f"element {Ai_t}[o,p,q] of channel o, once, multiplying the input element under "
               f"it; so the chain rule sums over the {P * Q} positions (p, q), and the derivative "
               "of each term is that input element. Written out for the first kernel element, "
               f"then for all (u, v) at once: sliding {d_t} over the input is the valid "
               "cross-correlation of the input with δ (δ spread out by the stride, the result "
               "read every d positions for a dilated kernel).")  # fmt: skip
        why_tex = (rf"Layer {i} is \texttt{{{layer!r}}} (${words}$) on an input of shape "
                   rf"${shape_in}$, giving ${net.shapes[i - 1]}$. The kernel element "
                   rf"${Kt}[o,c,u,v]$ appears in every output element ${Ai}[o,p,q]$ of channel "
                   rf"$o$, once, multiplying the input element under it; so the chain rule sums "
                   rf"over the ${P * Q}$ positions $(p, q)$, and the derivative of each term is "
                   r"that input element. Written out for the first kernel element, then for all "
                   rf"$(u, v)$ at once: sliding ${d_tex}$ over the input is the valid "
                   r"cross-correlation of the input with $\delta$ ($\delta$ spread out by the "
                   r"stride, the result read every $d$ positions for a dilated kernel).")  # fmt: skip
        sections.append(Section("A kernel element: the chain rule on the expanded sum", why,
                                why_tex, tuple(eqs)))  # fmt: skip
        # 3. the bias
        if net.bias:
            bterms = [
                (rf"{d_tex}[0,{p},{q}]", f"{d_t}[0,{p},{q}]") for p in range(P) for q in range(Q)
            ]
            bsum_tex, bsum_t = _shown(bterms)
            eqs = [
                Line(rf"\frac{{\partial L}}{{\partial {bt}[o]}} = \sum_{{p,q}} {d_tex}[o,p,q]\,"
                     rf"\frac{{\partial {Ai}[o,p,q]}}{{\partial {bt}[o]}} = \sum_{{p,q}} {d_tex}[o,p,q]",
                     f"∂L/∂{b}[o] = Σ_p,q {d_t}[o,p,q]·∂{Ai_t}[o,p,q]/∂{b}[o] = Σ_p,q {d_t}[o,p,q]"),
                Line(rf"\frac{{\partial L}}{{\partial {bt}[0]}} = {bsum_tex}",
                     f"∂L/∂{b}[0] = {bsum_t}"),
            ]  # fmt: skip
            why = (
                f"The bias {b}[o] is added to every output element of channel o with "
                "coefficient 1: its derivative is the sum of δ over the channel."
            )
            why_tex = (
                rf"The bias ${bt}[o]$ is added to every output element of channel $o$ "
                r"with coefficient 1: its derivative is the sum of $\delta$ over the channel."
            )
            sections.append(Section("A bias", why, why_tex, tuple(eqs)))
        # 4. one input element: the full convolution
        _, H, W = shape_in
        yy, xx = (H - 1) // 2, (W - 1) // 2  # a middle element: several windows cover it
        element = (0, yy, xx)
        terms = [
            (rf"{d_tex}[{_idx(o, p, q)}]\, {Kt}[{_idx(o, 0, u, v)}]",
             f"{d_t}[{_idx(o, p, q)}]·{K}[{_idx(o, 0, u, v)}]")
            for o, p, q, u, v in _input_terms(layer, (n_out, P, Q), (yy, xx))
        ]  # fmt: skip
        sum_tex, sum_t = _shown(terms)
        bp = {eq.name: eq for eq in net.backprop()}
        full = bp.get(f"delta{i - 1}")
        if full is None:  # the first layer: backprop() stops at it; the rule is the same
            full_tex = (
                rf"\operatorname{{crop}}_p \sum_o \operatorname{{pad}}_{{d(k-1)}}"
                rf"\left(\operatorname{{dil}}_s({d_tex})_o\right) \star "
                rf"\operatorname{{rot180}}\left(\operatorname{{dil}}_d({Kt})_{{o,c}}\right)"
            )
            full_t = (f"crop_p Σ_o full convolution of {d_t}[o] (dilated by the stride) with "
                      f"{K}[o,c] (dilated) rotated by 180°")  # fmt: skip
        else:
            full_tex, full_t = full.rhs, full.text.split(" = ", 1)[1]
        dA, dA_t = (r"\frac{\partial L}{\partial X[c,y,x]}", "∂L/∂X[c,y,x]") if i == 1 else (
            rf"\delta_{{{i - 1}}}[c,y,x]", f"δ{i - 1}[c,y,x]")  # fmt: skip
        dA0 = rf"\frac{{\partial L}}{{\partial {At}[0,{yy},{xx}]}}"
        eqs = [
            Line(rf"{dA} = \sum_{{o,p,q}} {d_tex}[o,p,q]\,\frac{{\partial {Ai}[o,p,q]}}{{\partial {At}[c,y,x]}}",
                 f"{dA_t} = Σ_o,p,q {d_t}[o,p,q]·∂{Ai_t}[o,p,q]/∂{At_t}[c,y,x]"),
            Line(rf"\frac{{\partial {Ai}[o,p,q]}}{{\partial {At}[c,y,x]}} = {Kt}[o,c,u,v] \text{{ where }} "
                 rf"{sh} p + {dh} u = y + {ph},\ {sw} q + {dw} v = x + {pw} \text{{ (else 0)}}",
                 f"∂{Ai_t}[o,p,q]/∂{At_t}[c,y,x] = {K}[o,c,u,v] where {sh}·p + {dh}·u = y + {ph} and "
                 f"{sw}·q + {dw}·v = x + {pw} (else 0)"),
            Line(rf"{dA0} = {sum_tex}", f"∂L/∂{At_t}[0,{yy},{xx}] = {sum_t}"),
            Line(rf"{dA.replace('[c,y,x]', '[c]')} = {full_tex}", f"{dA_t.replace('[c,y,x]', '[c]')} = {full_t}"),
        ]  # fmt: skip
        why = (f"An input element {At_t}[c,y,x] sits under every window that covers it, each "
               "time under another kernel element, and feeds every output channel o. The "
               f"chain rule sums δ times that kernel element over those windows; written out "
               f"for the element [0,{yy},{xx}]. As (p, q) moves right the kernel index (u, v) "
               "moves left: spread δ out by the stride (s - 1 zeros between elements), pad it "
               "by d(k - 1) so windows at the border count, and slide the kernel rotated by "
               "180 degrees over it: the full convolution, cropped by the padding p.")  # fmt: skip
        why_tex = (rf"An input element ${At}[c,y,x]$ sits under every window that covers it, "
                   r"each time under another kernel element, and feeds every output channel "
                   r"$o$. The chain rule sums $\delta$ times that kernel element over those "
                   rf"windows; written out for the element $[0,{yy},{xx}]$. As $(p, q)$ moves "
                   r"right the kernel index $(u, v)$ moves left: spread $\delta$ out by the "
                   r"stride ($s - 1$ zeros between elements), pad it by $d(k - 1)$ so windows at "
                   r"the border count, and slide the kernel rotated by 180 degrees over it: the "
                   r"full convolution, cropped by the padding $p$.")  # fmt: skip
        sections.append(Section("An input element: the full convolution", why, why_tex, tuple(eqs)))
    # 5. pooling
    for kind in (MaxPool2D, AvgPool2D):
        at = next((i for i, la in enumerate(net.layers, 1) if isinstance(la, kind)), None)
        if at is None:
            continue
        layer = net.layers[at - 1]
        (kh, kw), (sh, sw) = layer.size, layer.stride
        Pt, At = f"A_{{{at}}}", ("X" if at == 1 else f"A_{{{at - 1}}}")
        Pt_t, At_t = f"A{at}", ("X" if at == 1 else f"A{at - 1}")
        d_tex, d_t = rf"\delta_{{{at}}}", f"δ{at}"
        dn, dn_t = (r"\frac{\partial L}{\partial X}", "∂L/∂X") if at == 1 else (
            rf"\delta_{{{at - 1}}}", f"δ{at - 1}")  # fmt: skip
        if kind is MaxPool2D:
            title = "Max-pooling: the gradient is routed to the arg-max"
            eqs = [
                Line(rf"{Pt}[c,p,q] = \max_{{u,v}} {At}[c,\, {sh} p + u,\, {sw} q + v]",
                     f"{Pt_t}[c,p,q] = max_u,v {At_t}[c, {sh}·p + u, {sw}·q + v]"),
                Line(rf"\frac{{\partial {Pt}[c,p,q]}}{{\partial {At}[c,y,x]}} = "
                     rf"\begin{{cases}} 1 & (y, x) = ({sh} p + u^*,\, {sw} q + v^*) \\ 0 & \text{{otherwise}} \end{{cases}}",
                     f"∂{Pt_t}[c,p,q]/∂{At_t}[c,y,x] = 1 at the arg-max (y, x) = ({sh}·p + u*, {sw}·q + v*) of the window, else 0"),
                Line(rf"{dn}[c,y,x] = \sum_{{p,q}} {d_tex}[c,p,q]\, [(y,x) = ({sh} p + u^*_{{pq}},\, {sw} q + v^*_{{pq}})]",
                     f"{dn_t}[c,y,x] = Σ_p,q {d_t}[c,p,q]·[(y,x) is the arg-max of window (p,q)]"),
            ]  # fmt: skip
            why = ("Near the data the maximum of a window equals one of its elements, the "
                   "arg-max (u*, v*), and does not move with the others: its derivative is 1 "
                   "there and 0 elsewhere. So each δ goes back to the arg-max of its window; on "
                   "ties to the first in row-major order, as PyTorch does; overlapping windows add.")  # fmt: skip
            why_tex = (r"Near the data the maximum of a window equals one of its elements, the "
                       r"arg-max $(u^*, v^*)$, and does not move with the others: its derivative "
                       r"is 1 there and 0 elsewhere. So each $\delta$ goes back to the arg-max of "
                       r"its window; on ties to the first in row-major order, as PyTorch does; "
                       r"overlapping windows add.")  # fmt: skip
        else:
            title = "Average pooling: the gradient is spread evenly"
            eqs = [
                Line(rf"{Pt}[c,p,q] = \frac{{1}}{{{kh * kw}}} \sum_{{u,v}} {At}[c,\, {sh} p + u,\, {sw} q + v]",
                     f"{Pt_t}[c,p,q] = (1/{kh * kw}) Σ_u,v {At_t}[c, {sh}·p + u, {sw}·q + v]"),
                Line(rf"\frac{{\partial {Pt}[c,p,q]}}{{\partial {At}[c,y,x]}} = \frac{{1}}{{{kh * kw}}} "
                     r"\text{ if } (y, x) \text{ is in window } (p, q) \text{, else } 0",
                     f"∂{Pt_t}[c,p,q]/∂{At_t}[c,y,x] = 1/{kh * kw} if (y, x) is in window (p, q), else 0"),
                Line(rf"{dn}[c,y,x] = \frac{{1}}{{{kh * kw}}} \sum_{{(p,q) \ni (y,x)}} {d_tex}[c,p,q]",
                     f"{dn_t}[c,y,x] = (1/{kh * kw}) Σ over the windows (p,q) containing (y,x) of {d_t}[c,p,q]"),
            ]  # fmt: skip
            why = (
                f"Every element of a window enters its mean with weight 1/{kh * kw}: each δ is "
                "spread evenly over its window; overlapping windows add."
            )
            why_tex = (
                rf"Every element of a window enters its mean with weight $1/{kh * kw}$: "
                r"each $\delta$ is spread evenly over its window; overlapping windows add."
            )
        sections.append(Section(title, why, why_tex, tuple(eqs)))
    # 6. activations, flatten and the dense output
    derivation = softmax_cross_entropy_derivation() if net.softmax_output else None
    bp = list(net.backprop())
    eqs = [Line(bp[0].latex(), bp[0].text)]
    W_out = names[L][0]
    wanted = {f"d{W_out}"}
    for kind in (Act, Flatten):  # the first activation and Flatten met from the top
        at = next((k for k in range(L, 1, -1) if isinstance(net.layers[k - 1], kind)), None)
        if at is not None:
            wanted.add(f"delta{at - 1}")
    eqs += [Line(e.latex(), e.text) for e in bp[1:] if e.name in wanted]
    why = ("The output layer is dense: its delta is the derivative of the loss with respect "
           "to the logits" + (" (softmax minus target, derived below)" if derivation else "")
           + ". An activation layer multiplies δ by f' elementwise, Flatten only reshapes it, "
           "and a dense layer sends it back through its weights, as in a dense network.")  # fmt: skip
    why_tex = ("The output layer is dense: its delta is the derivative of the loss with respect "
               "to the logits" + (" (softmax minus target, derived below)" if derivation else "")
               + r". An activation layer multiplies $\delta$ by $f'$ elementwise, Flatten only "
               "reshapes it, and a dense layer sends it back through its weights, as in a dense "
               "network.")  # fmt: skip
    sections.append(Section("The output, activations and Flatten", why, why_tex, tuple(eqs),
                            derivation))  # fmt: skip
    # 7. the compact rules
    why = (
        "Stack the samples along the first axis: the sums over samples add up, and these "
        "are the rules net.backprop() prints, from the output down."
    )
    why_tex = (
        "Stack the samples along the first axis: the sums over samples add up, and these "
        r"are the rules \texttt{net.backprop()} prints, from the output down."
    )
    sections.append(Section("Every layer at once: the compact rules", why, why_tex,
                            tuple(Line(e.latex(), e.text) for e in bp)))  # fmt: skip
    return LayeredDerivation(net, tuple(sections), None, (), conv_at, K, element)


def _show(v) -> str:
    return str(v[0]) if v[0] == v[1] else f"({v[0]},{v[1]})"
