r"""Convolution, symbolically: the expanded form, the compact backprop rules, and the views.

*Expanded form* (small sizes): every output element of a convolution is a SymPy sum
of products of symbols,

.. math::

    Z_{o,i,j} = b_o + \sum_{c=1}^{C}\sum_{u,v} K_{o,c,u,v}\; X^{\text{pad}}_{c,\; s i + d u,\; s j + d v},

and :func:`expanded` writes a whole small network's loss of one sample this way, so
that ``sympy.diff`` gives the derivative with respect to every kernel element, bias,
weight and input element.

*Compact rules* (any size), with :math:`\delta = \partial L/\partial Z`, :math:`\tilde\delta`
:math:`\delta` dilated by the stride (``s - 1`` zeros between elements) and
:math:`\tilde K` the kernel dilated by the dilation:

* :math:`\partial L/\partial K_{o,c} = X^{\text{pad}}_c \star \tilde\delta_o`, the valid
  cross-correlation of the padded input with the dilated delta, read every *d*
  positions (:func:`grad_kernel`);
* :math:`\partial L/\partial b_o = \sum_{i,j} \delta_{o,i,j}` (:func:`grad_bias`);
* :math:`\partial L/\partial X_c = \operatorname{crop}_p \sum_o \tilde\delta_o * \tilde K_{o,c}`,
  the *full convolution* of the dilated delta with the kernel, i.e. the valid
  cross-correlation of the zero-padded :math:`\tilde\delta` with the kernel rotated by
  180 degrees, cropped by the padding (:func:`grad_input`);
* max-pooling routes :math:`\delta` to the (first) arg-max of each window; average
  pooling spreads :math:`\delta/(k_h k_w)` over it.

The rules are written with NumPy object arrays, so they run on SymPy symbols and on
floats alike; the tests prove them equal to ``sympy.diff`` of the expanded form,
element by element, symbolically.

>>> import sympy as sp
>>> X = symbols_array("x", (1, 3, 3)); K = symbols_array("k", (1, 1, 2, 2))
>>> Z = conv2d(X, K, [0])
>>> Z[0, 0, 0]
k_0000*x_000 + k_0001*x_001 + k_0010*x_010 + k_0011*x_011
>>> D = symbols_array("delta", (1, 2, 2))
>>> L = sum(D[o, i, j] * Z[o, i, j] for o in range(1) for i in range(2) for j in range(2))
>>> sp.expand(sp.diff(L, K[0, 0, 1, 1]) - grad_kernel(X, D, (2, 2))[0, 0, 1, 1])
0
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symnn.nn.layers import Act, AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D
from symnn.nn.netcode import Z_SYMBOL
from symnn.nn.views import Backprop, Equation, Formula, _text

__all__ = [
    "MAX_EXPANDED_TERMS",
    "ConvExpanded",
    "backprop",
    "conv2d",
    "correlate",
    "dilate",
    "expanded",
    "formula",
    "grad_bias",
    "grad_input",
    "grad_kernel",
    "pad",
    "rot180",
    "symbols_array",
]

#: The largest network :func:`expanded` writes out: inputs + parameters.
MAX_EXPANDED_TERMS = 400


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def symbols_array(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """An object array of real symbols ``name_ijk`` (indices from 0, joined)."""
    out = np.empty(shape, dtype=object)
    sep = "" if all(s <= 10 for s in shape) else "_"
    for idx in np.ndindex(shape):
        out[idx] = sp.Symbol(f"{name}_{sep.join(map(str, idx))}", real=True)
    return out


def _zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(sp.S.Zero)
    return out


def pad(A: np.ndarray, p) -> np.ndarray:
    """Zeros around the last two axes: *p* rows above and below, columns left and right."""
    ph, pw = _pair(p)
    out = _zeros((*A.shape[:-2], A.shape[-2] + 2 * ph, A.shape[-1] + 2 * pw))
    out[..., ph : ph + A.shape[-2], pw : pw + A.shape[-1]] = A
    return out


def dilate(A: np.ndarray, s) -> np.ndarray:
    """``s - 1`` zeros between neighbouring elements of the last two axes."""
    sh, sw = _pair(s)
    h, w = A.shape[-2:]
    out = _zeros((*A.shape[:-2], (h - 1) * sh + 1, (w - 1) * sw + 1))
    out[..., ::sh, ::sw] = A
    return out


def rot180(A: np.ndarray) -> np.ndarray:
    """The last two axes reversed: the kernel rotated by 180 degrees."""
    return A[..., ::-1, ::-1]


def correlate(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""The valid 2-D cross-correlation :math:`(A \star B)_{ij} = \sum_{a,b} A_{i+a,j+b} B_{ab}`."""
    H, W = A.shape
    h, w = B.shape
    out = _zeros((H - h + 1, W - w + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = sp.Add(*[A[i + a, j + b] * B[a, b] for a in range(h) for b in range(w)])
    return out


def conv2d(X: np.ndarray, K: np.ndarray, b, stride=1, padding=0, dilation=1) -> np.ndarray:
    r"""The definition: :math:`Z_{o,i,j} = b_o + \sum_{c,u,v} K_{o,c,u,v} X^{pad}_{c,si+du,sj+dv}`.

    *X* is (C, H, W), *K* (CO, C, kh, kw), *b* (CO,); object or float arrays.
    """
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    Xp = pad(X, padding)
    CO, C, kh, kw = K.shape
    OH = (Xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    OW = (Xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    Z = _zeros((CO, OH, OW))
    for o, i, j in np.ndindex(Z.shape):
        terms = [
            K[o, c, u, v] * Xp[c, sh * i + dh * u, sw * j + dw * v]
            for c in range(C)
            for u in range(kh)
            for v in range(kw)
        ]
        Z[o, i, j] = b[o] + sp.Add(*terms)
    return Z


def grad_kernel(X: np.ndarray, delta: np.ndarray, kernel_size, stride=1, padding=0, dilation=1):
    r""":math:`\partial L/\partial K_{o,c,u,v} = (X^{pad}_c \star \tilde\delta_o)_{du,\,dv}`: the valid
    cross-correlation of the padded input with the stride-dilated delta, read every *d*."""
    kh, kw = _pair(kernel_size)
    dh, dw = _pair(dilation)
    Xp, Dd = pad(X, padding), dilate(delta, stride)
    CO, C = delta.shape[0], X.shape[0]
    out = _zeros((CO, C, kh, kw))
    for o, c in itertools.product(range(CO), range(C)):
        full = correlate(Xp[c], Dd[o])
        out[o, c] = full[: dh * (kh - 1) + 1 : dh, : dw * (kw - 1) + 1 : dw]
    return out


def grad_bias(delta: np.ndarray) -> np.ndarray:
    r""":math:`\partial L/\partial b_o = \sum_{i,j} \delta_{o,i,j}`."""
    out = _zeros(delta.shape[0])
    for o in range(delta.shape[0]):
        out[o] = sp.Add(*delta[o].ravel())
    return out


def grad_input(delta: np.ndarray, K: np.ndarray, input_hw, stride=1, padding=0, dilation=1):
    r""":math:`\partial L/\partial X_c = \operatorname{crop}_p \sum_o
    \operatorname{pad}_{d(k-1)}(\tilde\delta_o) \star \operatorname{rot180}(\tilde K_{o,c})`:
    the full convolution of the stride-dilated delta with the dilated kernel."""
    H, W = input_hw
    (ph, pw) = _pair(padding)
    CO, C, _kh, _kw = K.shape
    Dd, Kd = dilate(delta, stride), dilate(K, dilation)
    eh, ew = Kd.shape[-2] - 1, Kd.shape[-1] - 1
    # full padding d(k-1) on every side; rows the windows never reached get zeros at the end
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Dfull = _zeros((CO, Hp + eh, Wp + ew))
    Dfull[:, eh : eh + Dd.shape[1], ew : ew + Dd.shape[2]] = Dd
    out = _zeros((C, H, W))
    for c in range(C):
        total = _zeros((Hp, Wp))
        for o in range(CO):
            total = total + correlate(Dfull[o], rot180(Kd[o, c]))
        out[c] = total[ph : ph + H, pw : pw + W]
    return out


# -- the expanded form of a whole (small) layered network ------------------------------------


@dataclass
class ConvExpanded:
    """The loss of one sample with every input and parameter a scalar symbol.

    ``inputs`` and ``params`` hold object arrays of the symbols (same shapes as the
    network's arrays, without the batch axis); :meth:`gradient` is ``sympy.diff`` of
    :attr:`loss` with respect to each element of a parameter (or ``"X"``).
    """

    loss: sp.Expr
    inputs: np.ndarray
    params: dict[str, np.ndarray]
    targets: np.ndarray

    def gradient(self, name: str) -> np.ndarray:
        arr = self.inputs if name == "X" else self.params[name]
        out = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(arr.shape):
            out[idx] = sp.diff(self.loss, arr[idx])
        return out

    def values(self, net, X: np.ndarray, y) -> dict[str, sp.Expr]:
        """The substitution of one sample and the network's parameters, as exact floats."""
        X1, Y1 = net.check_data(X, y)
        subs = dict(zip(self.inputs.ravel(), X1[0].ravel().tolist(), strict=True))
        subs.update(zip(self.targets.ravel(), Y1[0].ravel().tolist(), strict=True))
        for k, arr in self.params.items():
            subs.update(zip(arr.ravel(), net.params[k].ravel().tolist(), strict=True))
        return {s: sp.Float(v, 30) for s, v in subs.items()}


def expanded(net, max_terms: int = MAX_EXPANDED_TERMS) -> ConvExpanded:
    """The expanded form of a small layered network (see :class:`ConvExpanded`)."""
    count = int(np.prod(net.input_shape)) + net.n_params
    if count > max_terms:
        raise ValueError(
            f"the network has {count} inputs and parameters; the expanded form writes out at "
            f"most {max_terms} (net.expanded(max_terms=...) raises the limit, slowly): use a "
            "smaller input or fewer channels, or net.backprop() for the compact rules"
        )
    X = symbols_array("x", net.input_shape)
    params: dict[str, np.ndarray] = {}
    A = X
    j = 0
    for layer, act in zip(net.layers, net.spec.acts, strict=True):
        if isinstance(layer, Conv2D):
            j += 1
            K = symbols_array(f"k{j}", net.params[f"K{j}"].shape)
            b = symbols_array(f"b{j}", (layer.channels,)) if net.bias else _zeros(layer.channels)
            params[f"K{j}"] = K
            if net.bias:
                params[f"b{j}"] = b
            A = conv2d(A, K, b, layer.stride, layer.padding, layer.dilation)
        elif isinstance(layer, Dense):
            j += 1
            W = symbols_array(f"w{j}", net.params[f"W{j}"].shape)
            b = symbols_array(f"b{j}", (layer.units,)) if net.bias else _zeros(layer.units)
            params[f"W{j}"] = W
            if net.bias:
                params[f"b{j}"] = b
            A = np.array([b[k] + sp.Add(*(A * W[:, k])) for k in range(layer.units)], dtype=object)
        elif isinstance(layer, Act):
            A = np.vectorize(lambda z, f=act.f: f.xreplace({Z_SYMBOL: z}), otypes=[object])(A)
        elif isinstance(layer, Flatten):
            A = A.ravel()
        else:
            (kh, kw), (sh, sw) = layer.size, layer.stride
            C, H, W_ = A.shape
            OH, OW = (H - kh) // sh + 1, (W_ - kw) // sw + 1
            out = _zeros((C, OH, OW))
            for c, i, jj in np.ndindex(out.shape):
                window = [A[c, sh * i + u, sw * jj + v] for u in range(kh) for v in range(kw)]
                out[c, i, jj] = (
                    sp.Max(*window) if isinstance(layer, MaxPool2D) else sp.Add(*window) / (kh * kw)
                )
            A = out
    Y = symbols_array("y", (A.shape[0],))
    spec = net.spec
    if spec.fused_softmax:
        loss = sp.log(sp.Add(*[sp.exp(z) for z in A])) - sp.Add(*(Y * A))
    else:
        out = [spec.output.f.xreplace({Z_SYMBOL: z}) for z in A]
        from symnn.nn.netcode import A_SYMBOL

        loss = sp.Add(
            *[
                spec.loss_expr.xreplace({A_SYMBOL: a, spec.y_symbol: yk, Z_SYMBOL: z})
                for a, yk, z in zip(out, Y, A, strict=True)
            ]
        )
    scale = sp.Rational(1, net.loss.divisor((1, A.shape[0])))
    return ConvExpanded(scale * loss, X, params, Y)


# -- the matrix-form views: formula and backprop -----------------------------------------------


def _conv_words(layer: Conv2D) -> tuple[str, str]:
    (s, _), (p, _), (d, _) = layer.stride, layer.padding, layer.dilation
    return f"s={_show(layer.stride)}, p={_show(layer.padding)}, d={_show(layer.dilation)}", (
        f"s={s}, p={p}, d={d}"
    )


def _show(v) -> str:
    return str(v[0]) if v[0] == v[1] else f"({v[0]},{v[1]})"


def _names(net):
    """The LaTeX/text names of every layer's output and its parameters."""
    j = 0
    out = []
    for i, layer in enumerate(net.layers, 1):
        p = None
        if isinstance(layer, (Conv2D, Dense)):
            j += 1
            p = ("K" if isinstance(layer, Conv2D) else "W") + str(j), f"b{j}"
            p = (p[0], p[1], _sub(p[0]), _sub(p[1]))
        out.append((i, layer, p))
    return out


def _sub(name: str) -> str:
    """``K1`` -> ``K_{1}`` (LaTeX)."""
    return f"{name[0]}_{{{name[1:]}}}"


def formula(net) -> Formula:
    r"""The forward pass layer by layer: :math:`A_i` from :math:`A_{i-1}` (:math:`A_0 = X`)."""
    eqs = []
    acts = iter(a for a in net.acts if a is not None)
    for i, layer, p in _names(net):
        prev_t, prev = ("X", "X") if i == 1 else (f"A_{{{i - 1}}}", f"A{i - 1}")
        lhs, lhs_t = f"A_{{{i}}}", f"A{i}"
        if isinstance(layer, Conv2D):
            K, b, Kt, bt = p
            words, _ = _conv_words(layer)
            tex = (
                rf"{lhs}[o,i,j] = {bt}[o] + \sum_{{c,u,v}} {Kt}[o,c,u,v]\, "
                rf"\operatorname{{pad}}({prev_t})[c,\, s i + d u,\, s j + d v] \quad ({words})"
            )
            text = f"{lhs_t}[o,i,j] = {b}[o] + Σ_c,u,v {K}[o,c,u,v]·pad({prev})[c, s·i + d·u, s·j + d·v]  ({words})"
        elif isinstance(layer, Dense):
            W, b, Wt, bt = p
            tex, text = f"{lhs} = {prev_t} {Wt} + {bt}", f"{lhs_t} = {prev} {W} + {b}"
        elif isinstance(layer, Act):
            a = next(acts)
            tex, text = rf"{lhs} = {a.tex}\left({prev_t}\right)", f"{lhs_t} = {a.plain}({prev})"
        elif isinstance(layer, MaxPool2D):
            tex = rf"{lhs}[c,i,j] = \max_{{u,v}} {prev_t}[c,\, s i + u,\, s j + v]"
            text = (
                f"{lhs_t}[c,i,j] = max_u,v {prev}[c, s·i + u, s·j + v]  (s={_show(layer.stride)})"
            )
        elif isinstance(layer, AvgPool2D):
            tex = rf"{lhs}[c,i,j] = \frac{{1}}{{k_h k_w}} \sum_{{u,v}} {prev_t}[c,\, s i + u,\, s j + v]"
            text = (
                f"{lhs_t}[c,i,j] = mean_u,v {prev}[c, s·i + u, s·j + v]  (s={_show(layer.stride)})"
            )
        else:
            tex = rf"{lhs} = \operatorname{{flatten}}({prev_t})"
            text = f"{lhs_t} = flatten({prev})"
        eqs.append(Equation(f"A{i}", tex.split(" = ", 1)[0], tex.split(" = ", 1)[1], text))
    L = len(net.layers)
    if net.softmax_output:
        eqs.append(
            Equation(
                "Yhat", r"\hat{Y}", rf"\operatorname{{softmax}}(A_{{{L}}})", f"Ŷ = softmax(A{L})"
            )
        )
    else:
        a = net.activations[-1]
        eqs.append(
            Equation("Yhat", r"\hat{Y}", rf"{a.tex}\left(A_{{{L}}}\right)", f"Ŷ = {a.plain}(A{L})")
        )
    eqs.append(
        Equation(
            "L",
            "L",
            rf"\ell(\hat{{Y}}, Y) \quad \text{{({net.loss.name.replace('_', ' ')})}}",
            f"L = {net.loss.name}(Ŷ, Y)",
        )
    )
    return Formula(tuple(eqs))


def backprop(net) -> Backprop:
    r"""The compact backpropagation rules of every layer, from the output down.

    :math:`\delta_i = \partial L/\partial A_i`. A convolution's rules are the valid
    cross-correlation for the kernel, the sum for the bias and the full convolution with
    the kernel rotated by 180 degrees for the input (see the module docstring).
    """
    L = len(net.layers)
    eqs = []
    if net.softmax_output:
        eqs.append(
            Equation(
                f"delta{L}", rf"\delta_{{{L}}}", r"\frac{1}{n}(\hat{Y} - Y)", f"δ{L} = (Ŷ - Y)/n"
            )
        )
    else:
        eqs.append(
            Equation(
                f"delta{L}",
                rf"\delta_{{{L}}}",
                rf"\frac{{\partial L}}{{\partial A_{{{L}}}}} = {sp.latex(net.spec.delta_expr)}",
                f"δ{L} = ∂L/∂A{L} = {net.spec.delta_expr}  (a = Ŷ, z = A{L})",
            )
        )
    acts = [a for a in net.acts]
    first = next(i for i, la, p in _names(net) if p is not None)
    for i, layer, p in reversed(_names(net)):
        prev_t, prev = ("X", "X") if i == 1 else (f"A_{{{i - 1}}}", f"A{i - 1}")
        d, dt, dn, dnt = rf"\delta_{{{i}}}", f"δ{i}", rf"\delta_{{{i - 1}}}", f"δ{i - 1}"
        down = i > first
        if isinstance(layer, Dense):
            W, b, Wt, bt = p
            eqs.append(
                Equation(
                    f"d{W}",
                    rf"\frac{{\partial L}}{{\partial {Wt}}}",
                    rf"{prev_t}^\top {d}",
                    f"∂L/∂{W} = {prev}ᵀ {dt}",
                )
            )
            eqs.append(
                Equation(
                    f"d{b}",
                    rf"\frac{{\partial L}}{{\partial {bt}}}",
                    rf"\mathbf{{1}}^\top {d}",
                    f"∂L/∂{b} = 1ᵀ {dt}",
                )
            )
            if down:
                eqs.append(Equation(f"delta{i - 1}", dn, rf"{d} {Wt}^\top", f"{dnt} = {dt} {W}ᵀ"))
        elif isinstance(layer, Act) and down:
            a = acts[i - 1]
            deriv = sp.latex(a.derivative)
            eqs.append(
                Equation(
                    f"delta{i - 1}",
                    dn,
                    rf"{d} \odot f'({prev_t}), \quad f'(x) = {deriv}",
                    f"{dnt} = {dt} ⊙ f'({prev}),  f'(x) = {_text(a.derivative)}",
                )
            )
        elif isinstance(layer, Conv2D):
            K, b, Kt, bt = p
            words, _ = _conv_words(layer)
            eqs.append(
                Equation(
                    f"d{K}",
                    rf"\frac{{\partial L}}{{\partial {Kt}}}[o,c,u,v]",
                    rf"\sum_{{i,j}} {d}[o,i,j]\, \operatorname{{pad}}({prev_t})[c,\, s i + d u,\, s j + d v]"
                    rf" = \left(\operatorname{{pad}}({prev_t})_c \star \operatorname{{dil}}_s({d})_o\right)[d u, d v]"
                    rf" \quad ({words})",
                    f"∂L/∂{K}[o,c] = valid cross-correlation of pad({prev})[c] with {dt}[o] dilated by "
                    f"the stride, read every d  ({words})",
                )
            )
            eqs.append(
                Equation(
                    f"d{b}",
                    rf"\frac{{\partial L}}{{\partial {bt}}}[o]",
                    rf"\sum_{{i,j}} {d}[o,i,j]",
                    f"∂L/∂{b}[o] = Σ_i,j {dt}[o,i,j]",
                )
            )
            if down:
                eqs.append(
                    Equation(
                        f"delta{i - 1}",
                        rf"{dn}[c]",
                        rf"\operatorname{{crop}}_p \sum_o \operatorname{{pad}}_{{d(k-1)}}"
                        rf"\left(\operatorname{{dil}}_s({d})_o\right) \star "
                        rf"\operatorname{{rot180}}\left(\operatorname{{dil}}_d({Kt})_{{o,c}}\right)",
                        f"{dnt}[c] = crop_p Σ_o full convolution of {dt}[o] (dilated by the stride) with "
                        f"{K}[o,c] (dilated) rotated by 180°",
                    )
                )
        elif isinstance(layer, MaxPool2D) and down:
            eqs.append(
                Equation(
                    f"delta{i - 1}",
                    rf"{dn}[c,y,x]",
                    rf"\sum_{{i,j}} {d}[c,i,j]\,[\,(y,x) = (s i + u^*_{{ij}},\, s j + v^*_{{ij}})\,], \quad "
                    rf"(u^*, v^*)_{{ij}} = \operatorname{{argmax}}_{{u,v}} {prev_t}[c,\, s i + u,\, s j + v]"
                    r"\text{ (the first on ties)}",
                    f"{dnt}[c, s·i + u*, s·j + v*] += {dt}[c,i,j] at the arg-max (u*, v*) of every "
                    "window (the first on ties, as PyTorch); 0 elsewhere",
                )
            )
        elif isinstance(layer, AvgPool2D) and down:
            kh, kw = layer.size
            eqs.append(
                Equation(
                    f"delta{i - 1}",
                    rf"{dn}[c,y,x]",
                    rf"\frac{{1}}{{{kh * kw}}} \sum_{{i,j:\ (y,x) \in \text{{window}}(i,j)}} {d}[c,i,j]",
                    f"{dnt}[c, s·i + u, s·j + v] += {dt}[c,i,j]/{kh * kw} for every window position (u, v)",
                )
            )
        elif isinstance(layer, Flatten) and down:
            eqs.append(
                Equation(
                    f"delta{i - 1}",
                    dn,
                    rf"\operatorname{{reshape}}({d})",
                    f"{dnt} = reshape({dt}) to {net.shapes[i - 2] if i > 1 else net.input_shape}",
                )
            )
    return Backprop(tuple(eqs))
