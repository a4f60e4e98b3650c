r"""How backpropagation comes out for a network as built: ``net.derive()``.

The derivation starts from the loss of one sample as a composition,

.. math::

    L = \sum_k \ell\bigl(\hat{y}_k, y_k\bigr), \quad \hat{y}_k = a^{(L)}_k, \quad
    a^{(l)}_j = f_l\bigl(z^{(l)}_j\bigr), \quad
    z^{(l)}_j = \sum_i a^{(l-1)}_i w^{(l)}_{ij} + b^{(l)}_j, \quad a^{(0)} = x,

applies the scalar chain rule to one weight of the output layer and one of a hidden
layer, names the delta terms :math:`\delta^{(l)}_j = \partial L / \partial z^{(l)}_j`,
and assembles the per-weight results into the matrix equations that
:meth:`Network.backprop` prints (:math:`\delta_L`, the recurrence for :math:`\delta_l`,
:math:`\partial L/\partial W_l = A_{l-1}^\top \delta_l`, column sums for the biases),
with this network's activation and loss derivatives substituted.  For softmax with
cross-entropy, :math:`\delta_L = \operatorname{softmax}(Z) - Y` is derived step by step.

Every equation can be evaluated (:meth:`NetworkDerivation.evaluate`): the tests hold
them against ``net.gradients`` and the expanded form.

>>> import symnn as sn
>>> d = derive_network(sn.Network([2, 3, 1], activation="sigmoid", loss="sse"))
>>> [s.title for s in d.sections][:3]
['The loss of one sample', 'A weight of the output layer', 'A weight of a hidden layer']
>>> print(d.sections[1].equations[-1].text)
δ2_k = a*(1 - a)*(2*a - 2*y)  at a = ŷ_k
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symnn._tex import escape_text
from symnn.catalogue.derivations import softmax_cross_entropy_derivation
from symnn.expr.derive import Derivation
from symnn.expr.derive import latex as step_latex
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL

__all__ = ["Line", "NetworkDerivation", "Section", "derive", "derive_network"]


@dataclass(frozen=True)
class Line:
    """One equation: LaTeX (``lhs = rhs``, aligned at the first ``=``) and plain text."""

    tex: str
    text: str


@dataclass(frozen=True)
class Section:
    """One numbered part of the derivation: a title, sentences, equations, a sub-derivation."""

    title: str
    text: str
    text_tex: str
    equations: tuple[Line, ...] = ()
    derivation: Derivation | None = None

    def markup(self) -> str:
        """The sentences with their symbols as ``$tex$`` and code in backticks (the tour's
        inline markup, which renders in HTML, Markdown and LaTeX)."""
        return _tex_text(self.text, markup=True)


@dataclass(frozen=True)
class NetworkDerivation:
    r"""The backpropagation derivation of one network (see the module docstring).

    ``sections`` are the numbered parts; ``delta_out`` the output delta of one element
    (without the reduction's factor) in :math:`a, z, y`; ``fprimes`` each layer's
    :math:`f_l'` as used by the recurrence (in :math:`z`, or in the output :math:`a`).
    Renderings: ``str()``, :meth:`latex`, :meth:`to_markdown`, Jupyter's reprs and
    :meth:`to_latex_document`.
    """

    net: object = field(repr=False)
    sections: tuple[Section, ...]
    delta_out: sp.Expr | None
    fprimes: tuple[tuple[sp.Expr, bool], ...]

    def __str__(self) -> str:
        out = [f"Backpropagation for {self.net!r}"]
        for n, s in enumerate(self.sections, 1):
            out.append(f"{n}. {s.title}. {s.text}")
            if s.derivation is not None:
                out.extend("   " + line for line in str(s.derivation).splitlines())
            out.extend("   " + eq.text for eq in s.equations)
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<NetworkDerivation: {len(self.sections)} sections; print() shows them>"

    def latex(self) -> str:
        r"""Every equation in one ``aligned`` block, each section headed by its title."""
        rows = []
        for n, s in enumerate(self.sections, 1):
            rows.append(rf"&\text{{{n}. {s.title}}}")
            rows += [eq.tex.replace(" = ", " &= ", 1) for eq in s.equations]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def to_markdown(self) -> str:
        """Numbered Markdown with the equations as ``$$...$$`` blocks."""
        lines = ["**Backpropagation, derived**", ""]
        for n, s in enumerate(self.sections, 1):
            lines += [f"{n}. **{s.title}.** {s.text_tex}", ""]
            if s.derivation is not None:
                lines += [s.derivation.to_markdown(), ""]
            for eq in s.equations:
                lines += [f"$${eq.tex}$$", ""]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_latex_document(self, title: str | None = None) -> str:
        r"""A standalone ``article`` that compiles with pdflatex (amsmath, amssymb, booktabs)."""
        from symnn._tex import document

        parts = []
        for n, s in enumerate(self.sections, 1):
            parts.append(rf"\subsection*{{{n}. {s.title}}}" + "\n" + s.text_tex)
            if s.derivation is not None:
                parts.append(s.derivation.latex_body())
            parts.extend(_display(eq.tex) for eq in s.equations)
        return document("\n\n".join(parts), title or "Backpropagation, derived")

    # -- numbers ------------------------------------------------------------------------
    def evaluate(self, X, y) -> dict[str, np.ndarray]:
        r"""Every equation of the derivation on data: ``Z1``, ``A1``, ..., ``delta1``, ...,
        ``W1`` (:math:`A_{l-1}^\top\delta_l`), ``b1`` (column sums), and ``scalar W1`` /
        ``scalar W{L}``: the per-weight chain-rule sums for weight (1, 1) of the first and
        the output layer, summed sample by sample.  The gradients have the keys and shapes
        of ``net.gradients(X, y)``."""
        from symnn.compiler import compile as compile_expr

        net = self.net
        X, Y = net.check_data(X, y)
        L = net.depth
        y_sym = net.loss.y
        A = [X]
        Z = []
        for i in range(1, L + 1):
            z = A[-1] @ net.params[f"W{i}"] + (net.params[f"b{i}"] if net.bias else 0.0)
            Z.append(z)
            if i == L and net.softmax_output:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                A.append(e / e.sum(axis=1, keepdims=True))
            else:
                A.append(np.asarray(net.activations[i - 1](z), dtype=float))
        scale = 1.0 / net.loss.divisor(Y.shape)
        if self.delta_out is None:
            delta = A[L] - Y
        else:
            fn = compile_expr(self.delta_out, [A_SYMBOL, Z_SYMBOL, y_sym])
            delta = np.broadcast_to(fn(A[L], Z[L - 1], Y), Y.shape).astype(float)
        deltas = {L: delta * scale}
        for i in range(L - 1, 0, -1):
            fprime, in_output = self.fprimes[i - 1]
            fn = compile_expr(fprime, [A_SYMBOL if in_output else Z_SYMBOL])
            local = np.broadcast_to(fn(A[i] if in_output else Z[i - 1]), Z[i - 1].shape)
            deltas[i] = (deltas[i + 1] @ net.params[f"W{i + 1}"].T) * local
        out: dict[str, np.ndarray] = {}
        for i in range(1, L + 1):
            out[f"Z{i}"], out[f"A{i}"], out[f"delta{i}"] = Z[i - 1], A[i], deltas[i]
            out[f"W{i}"] = A[i - 1].T @ deltas[i]
            if net.bias:
                out[f"b{i}"] = deltas[i].sum(axis=0)
        # the scalar equations, one sample at a time: dL/dw_11 of the output layer ...
        total = 0.0
        for s in range(X.shape[0]):
            total += deltas[L][s, 0] * A[L - 1][s, 0]
        out[f"scalar W{L}"] = np.array(total)
        # ... and of the first layer: (sum_k delta2_k w2_1k) f1'(z1_1) x_1
        if L >= 2:
            fprime, in_output = self.fprimes[0]
            fn = compile_expr(fprime, [A_SYMBOL if in_output else Z_SYMBOL])
            W2 = net.params["W2"]
            total = 0.0
            for s in range(X.shape[0]):
                back = sum(deltas[2][s, k] * W2[0, k] for k in range(W2.shape[1]))
                arg = A[1][s, 0] if in_output else Z[0][s, 0]
                total += back * float(np.asarray(fn(np.array([arg])))[0]) * X[s, 0]
            out["scalar W1"] = np.array(total)
        return out


def _display(tex: str) -> str:
    from symnn._tex import broken_display

    lhs, _, rhs = tex.partition(" = ")
    return broken_display(lhs, rhs) if rhs else f"\\[\n{tex}\n\\]"


def _act(net, i: int) -> tuple[str, str]:
    """LaTeX and text name of layer *i*'s activation (1-based)."""
    if i == net.depth and net.softmax_output:
        return r"\operatorname{softmax}", "softmax"
    act = net.activations[i - 1]
    return act.tex, act.plain


def _tex(expr: sp.Expr) -> str:
    return step_latex(expr)


def derive_network(net) -> NetworkDerivation:
    """The backpropagation derivation of *net* (see the module docstring).

    >>> import symnn as sn
    >>> d = derive_network(sn.Network([3, 4, 2], activation="tanh", loss="cross_entropy"))
    >>> print(d.sections[1].equations[-1].text)
    δ2_k = softmax_k(z) - y_k
    """
    spec = net.spec
    L = net.depth
    lo = net.loss
    sections: list[Section] = []
    # 1. the composition
    comp = [
        Line(r"L = \sum_{k} \ell\left(\hat{y}_k, y_k\right)", "L = Σ_k ℓ(ŷ_k, y_k)"),
    ]
    if lo.fused_softmax:
        comp = [Line(r"L = -\sum_{k} y_k \log \hat{y}_k",
                     "L = -Σ_k y_k log ŷ_k  (cross-entropy)")]  # fmt: skip
    for i in range(L, 0, -1):
        tex, text = _act(net, i)
        a_tex = r"\hat{y}_k" if i == L else f"a^{{({i})}}_j"
        idx = "k" if i == L else "j"
        prev = "x_i" if i == 1 else f"a^{{({i - 1})}}_i"
        prev_text = "x_i" if i == 1 else f"a{i - 1}_i"
        bias = f" + b^{{({i})}}_{idx}" if net.bias else ""
        bias_text = f" + b{i}_{idx}" if net.bias else ""
        if i == L and net.softmax_output:
            comp.append(Line(rf"{a_tex} = \operatorname{{softmax}}_k\left(z^{{({i})}}\right)",
                             f"ŷ_k = softmax_k(z{i})"))  # fmt: skip
        elif spec.layers[i - 1].identity:
            comp.append(Line(rf"{a_tex} = z^{{({i})}}_{idx}", f"a{i}_{idx} = z{i}_{idx}"))
        else:
            comp.append(Line(rf"{a_tex} = {tex}\left(z^{{({i})}}_{idx}\right)",
                             f"{'ŷ_k' if i == L else f'a{i}_j'} = {text}(z{i}_{idx})"))  # fmt: skip
        comp.append(Line(rf"z^{{({i})}}_{idx} = \sum_i {prev} w^{{({i})}}_{{i{idx}}}{bias}",
                         f"z{i}_{idx} = Σ_i {prev_text} w{i}_i{idx}{bias_text}"))  # fmt: skip
    if not lo.fused_softmax:
        fixed = {p: sp.nsimplify(v) for p, v in lo.params.items()}
        ell = lo.expr.xreplace(fixed)
        comp.insert(1, Line(rf"\ell\left(\hat{{y}}, y\right) = {_tex(ell)}",
                            f"ℓ(ŷ, y) = {sp.sstr(ell).replace('yhat', 'ŷ')}"))  # fmt: skip
    sections.append(Section(
        "The loss of one sample",
        "Follow one sample x through the network: each layer is a linear map followed by "
        "its activation, and the loss compares the output with the target y. L is a "
        "composition, so its derivatives come from the chain rule.",
        "Follow one sample $x$ through the network: each layer is a linear map followed by "
        "its activation, and the loss compares the output with the target $y$. $L$ is a "
        "composition, so its derivatives come from the chain rule.",
        tuple(comp),
    ))  # fmt: skip
    # 2. the output layer
    out_layer = spec.layers[L - 1]
    prev = "x_j" if L == 1 else f"a^{{({L - 1})}}_j"
    prev_text = "x_j" if L == 1 else f"a{L - 1}_j"
    eqs = [
        Line(
            rf"\frac{{\partial L}}{{\partial w^{{({L})}}_{{jk}}}} = "
            rf"\frac{{\partial L}}{{\partial z^{{({L})}}_k}}\,"
            rf"\frac{{\partial z^{{({L})}}_k}}{{\partial w^{{({L})}}_{{jk}}}} = "
            rf"\delta^{{({L})}}_k \, {prev}",
            f"∂L/∂w{L}_jk = ∂L/∂z{L}_k · ∂z{L}_k/∂w{L}_jk = δ{L}_k {prev_text}",
        )
    ]
    derivation = None
    if lo.fused_softmax:
        delta_out = None
        derivation = softmax_cross_entropy_derivation()
        eqs.append(Line(rf"\delta^{{({L})}}_k = \operatorname{{softmax}}_k\left(z^{{({L})}}\right) - y_k",
                        f"δ{L}_k = softmax_k(z) - y_k"))  # fmt: skip
        why = ("The weight w_jk reaches L only through z_k, and dz_k/dw_jk is the input "
               "a_j. The delta of the output layer, the derivative of the loss with respect "
               "to the logits, is softmax minus target (derived below).")
    else:
        fixed = {p: sp.nsimplify(v) for p, v in lo.params.items()}
        g = lo.derivative.xreplace(fixed).xreplace({lo.yhat: A_SYMBOL})
        if out_layer.identity:
            fp, in_out = sp.S.One, False
        elif out_layer.reuse_output:
            fp, in_out = out_layer.fprime_a, True
        else:
            fp, in_out = out_layer.fprime_z, False
        product = g * fp
        delta_out = min((sp.factor_terms(sp.cancel(sp.together(product))), product),
                        key=sp.count_ops)  # fmt: skip
        tex, text = _act(net, L)
        at = r"\text{ at } a = \hat{y}_k,\ z = z^{(" + str(L) + r")}_k"
        eqs.append(Line(
            rf"\frac{{\partial \ell}}{{\partial \hat{{y}}}} = {_tex(g)}",
            f"∂ℓ/∂ŷ = {sp.sstr(g)}  at a = ŷ",
        ))  # fmt: skip
        if not out_layer.identity:
            var = "a" if in_out else "z"
            eqs.append(Line(
                rf"{tex}'\left(z\right) = {_tex(fp)}" + (r" \quad (a = " + tex + r"(z))" if in_out else ""),
                f"{text}'(z) = {sp.sstr(fp)}" + (f"  with a = {text}(z)" if in_out else ""),
            ))  # fmt: skip
            del var
        eqs.append(Line(
            rf"\delta^{{({L})}}_k = \frac{{\partial \ell}}{{\partial \hat{{y}}_k}}\,"
            + (rf"{tex}'\left(z^{{({L})}}_k\right)" if not out_layer.identity else "")
            + rf" = {_tex(delta_out)}{at}",
            f"δ{L}_k = {sp.sstr(delta_out)}  at a = ŷ_k",
        ))  # fmt: skip
        why = (f"The weight w_jk reaches L only through z_k = Σ_j {prev_text} w_jk + ..., "
               f"so the chain rule has one path; dz_k/dw_jk = {prev_text}. Name the rest "
               f"δ{L}_k = ∂L/∂z{L}_k = ℓ'(ŷ_k, y_k)·f'(z_k), with this network's derivatives "
               "substituted.")
    sections.append(Section("A weight of the output layer", why, _tex_text(why), tuple(eqs),
                            derivation))  # fmt: skip
    # 3. a hidden layer
    fprimes: list[tuple[sp.Expr, bool]] = []
    for layer in spec.layers:
        if layer.identity:
            fprimes.append((sp.S.One, False))
        elif layer.reuse_output:
            fprimes.append((layer.fprime_a, True))
        else:
            fprimes.append((layer.fprime_z, False))
    if L >= 2:
        l = L - 1  # noqa: E741 - the layer index, as in the formulas
        tex, text = _act(net, l)
        fp, in_out = fprimes[l - 1]
        prev = "x_i" if l == 1 else f"a^{{({l - 1})}}_i"
        prev_text = "x_i" if l == 1 else f"a{l - 1}_i"
        local_tex = "1" if spec.layers[l - 1].identity else rf"{tex}'\left(z^{{({l})}}_j\right)"
        eqs = [
            Line(
                rf"\frac{{\partial L}}{{\partial w^{{({l})}}_{{ij}}}} = "
                rf"\sum_k \frac{{\partial L}}{{\partial z^{{({l + 1})}}_k}}\,"
                rf"\frac{{\partial z^{{({l + 1})}}_k}}{{\partial a^{{({l})}}_j}}\,"
                rf"\frac{{\partial a^{{({l})}}_j}}{{\partial z^{{({l})}}_j}}\,"
                rf"\frac{{\partial z^{{({l})}}_j}}{{\partial w^{{({l})}}_{{ij}}}}",
                f"∂L/∂w{l}_ij = Σ_k ∂L/∂z{l + 1}_k · ∂z{l + 1}_k/∂a{l}_j · ∂a{l}_j/∂z{l}_j · ∂z{l}_j/∂w{l}_ij",
            ),
            Line(
                rf"\frac{{\partial L}}{{\partial w^{{({l})}}_{{ij}}}} = "
                rf"\Bigl(\sum_k \delta^{{({l + 1})}}_k w^{{({l + 1})}}_{{jk}}\Bigr)\, {local_tex}\, {prev}",
                f"∂L/∂w{l}_ij = (Σ_k δ{l + 1}_k w{l + 1}_jk) · {text}'(z{l}_j) · {prev_text}",
            ),
            Line(
                rf"\delta^{{({l})}}_j = \Bigl(\sum_k \delta^{{({l + 1})}}_k w^{{({l + 1})}}_{{jk}}\Bigr)\, {local_tex}",
                f"δ{l}_j = (Σ_k δ{l + 1}_k w{l + 1}_jk) · {text}'(z{l}_j)",
            ),
        ]
        if not spec.layers[l - 1].identity:
            eqs.append(Line(
                rf"{tex}'\left(z\right) = {_tex(fp)}" + (rf" \quad (a = {tex}(z))" if in_out else ""),
                f"{text}'(z) = {sp.sstr(fp)}" + (f"  with a = {text}(z)" if in_out else ""),
            ))  # fmt: skip
        why = (f"The weight w{l}_ij reaches L through z{l}_j, then a{l}_j, which feeds every "
               f"z{l + 1}_k of the next layer: the chain rule sums over those paths. The sum "
               f"is the next layer's deltas sent back through its weights; call the whole "
               f"factor δ{l}_j = ∂L/∂z{l}_j. Every hidden layer follows the same recurrence.")
        sections.append(Section("A weight of a hidden layer", why, _tex_text(why), tuple(eqs)))
    if net.bias:
        why = ("A bias enters z_j with coefficient 1, so its derivative is the delta itself.")
        sections.append(Section("The biases", why, _tex_text(why), (
            Line(r"\frac{\partial L}{\partial b^{(l)}_j} = \delta^{(l)}_j",
                 "∂L/∂b_l_j = δ_l_j"),
        )))  # fmt: skip
    # 5. matrix form
    divisor = "n" if lo.reduction != "sum" else None
    why = ("Stack the samples as the rows of X, Z_l, A_l and delta_l. The loss adds the "
           "samples" + (" and divides by " + ("n" if divisor else "") +
                        (" (and the number of outputs for a mean over elements)" if lo.reduction == "mean" and not lo.rowwise and not lo.fused_softmax and net.layers[-1] > 1 else ""))
           + ", so the per-weight sums over samples become matrix products: these are the "
           "equations net.backprop() prints.")
    if lo.reduction == "sum":
        why = ("Stack the samples as the rows of X, Z_l, A_l and delta_l. The loss adds the "
               "samples, so the per-weight sums over samples become matrix products: these "
               "are the equations net.backprop() prints.")
    bp = net.backprop()
    sections.append(Section("All weights at once: the matrix equations", why, _tex_text(why),
                            tuple(Line(eq.latex(), eq.text) for eq in bp)))  # fmt: skip
    return NetworkDerivation(net, tuple(sections), delta_out, tuple(fprimes))


_GREEK = (("delta", "δ"), ("δ", r"\delta "), ("ŷ", r"\hat{y}"), ("Σ", r"\sum"),
          ("ℓ", r"\ell"), ("·", r"\cdot "), ("∂", r"\partial "), ("...", r"\dots"))
_MATHY = re.compile(r"[_∂δΣℓŷ·=+]|^(?:[B-HJ-Z]|delta_\w+|\.\.\.)$")


def _tex_word(word: str, markup: bool = False) -> str:
    """One word of a sentence: math (``δ2_k``, ``∂L/∂z1_j``, ``Σ_j``, ``L``) as ``$...$``;
    with *markup*, the tour's inline markup (code in backticks, nothing escaped)."""
    plain = (lambda w: w) if markup else escape_text
    if word.endswith("()"):
        return f"`{word}`" if markup else rf"\texttt{{{escape_text(word)}}}"
    core = word.rstrip(".,;:") if word not in ("...", "...,") else word.rstrip(",")
    tail = word[len(core):]
    if not _MATHY.search(core):
        return plain(word)
    tex = re.sub(r"([A-Za-zδŷ])(\d+)_([a-z]+)", r"\1^{(\2)}_{\3}", core)
    tex = re.sub(r"(?<=[A-Za-zδŷΣ])_([a-z]+)", r"_{\1}", tex)
    for a, b in _GREEK:
        tex = tex.replace(a, b)
    return f"${tex.strip()}${tail}"


def _tex_text(text: str, markup: bool = False) -> str:
    r"""A sentence of :func:`derive_network` for LaTeX's text mode, its symbols as math.

    >>> print(_tex_text("Name the rest δ2_k = ∂L/∂z2_k, see net.backprop()."))
    Name the rest $\delta ^{(2)}_{k}$ $=$ $\partial L/\partial z^{(2)}_{k}$, see \texttt{net.backprop()}.
    """
    words = []
    for word in text.split(" "):
        stop = word.endswith(").") and word[:-1].endswith("()")
        words.append(_tex_word(word[:-1], markup) + "." if stop else _tex_word(word, markup))
    return " ".join(words)


def derive(f, wrt=None):
    r"""Show how a derivative comes out, step by step.

    * a :class:`~symnn.nn.network.Network`: backpropagation (:func:`derive_network`; a
      network of layers: :func:`symnn.nn.convderivation.derive_layered`, the convolution
      and pooling rules from the chain rule);
    * an activation, a loss (w.r.t. the prediction :math:`\hat{y}`), a catalogue name, a
      formula or a SymPy expression: a :class:`~symnn.expr.derive.Derivation`, whose last
      step equals ``sympy.diff`` (see :func:`symnn.catalogue.derivations.derive_function`).

    >>> import symnn as sn
    >>> sn.derive("sigmoid").result
    (1 - sigmoid(x))*sigmoid(x)
    >>> sn.derive("x^2*sin(x)").rules() >= {"product", "power", "sin"}
    True
    """
    from symnn.catalogue.derivations import derive_function

    if callable(getattr(f, "backprop", None)):  # a Network (network.py imports this module)
        if wrt is not None:
            raise ValueError("derive(net) explains backpropagation for every weight; leave out wrt=")
        derive_net = getattr(f, "derive", None)  # a network of layers derives its own rules
        return derive_net() if callable(derive_net) else derive_network(f)
    return derive_function(f, wrt)
