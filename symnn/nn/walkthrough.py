r"""Worked examples: one or more gradient-descent steps of a small network, every number shown.

The classic hand calculation of backpropagation, written out by symnn from the network's
scalar computation graph (:mod:`symnn.nn.graph`): for every neuron its net input
:math:`z = \sum_i w_i a_i + b` and output :math:`a = f(z)`; every term of the loss; the
adjoint of every node, :math:`\partial L / \partial v = \sum_h \partial L / \partial h
\cdot \partial h / \partial v`; every weight's gradient as the product of its chain-rule
factors,

.. math::

    \frac{\partial L}{\partial w} = \frac{\partial L}{\partial a}
    \cdot \frac{\partial a}{\partial z} \cdot \frac{\partial z}{\partial w},

with their values; every update :math:`w \leftarrow w - \eta\, \partial L / \partial w`
(frozen parameters are kept); and the loss after the step.

>>> import numpy as np, symnn as sn
>>> net = sn.Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=0)
>>> net.params["W1"] = [[0.15, 0.25], [0.2, 0.3]]
>>> net.params["W2"] = [[0.4, 0.5], [0.45, 0.55]]
>>> net.params["b1"], net.params["b2"] = [0.35, 0.35], [0.6, 0.6]
>>> net.frozen = ["b1", "b2"]                  # as the classic example does
>>> w = net.walkthrough([[0.05, 0.1]], [[0.01, 0.99]], lr=0.5)
>>> round(w.steps[0].loss, 9)                    # Mazur's E_total
0.298371109
>>> round(w.steps[0].gradients["w2_11"].value, 9)  # his dE/dw5
0.082167041
>>> round(w.steps[0].loss_after, 9)             # Mazur prints 0.291027924 (rounded steps)
0.291027774
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symnn._tex import MathPrinter, aligned, to_mathtext
from symnn._validation import check_count, check_interval
from symnn.nn.graph import Graph, _plain, _PlainPrinter, network_graph

__all__ = ["Factor", "Line", "Step", "Walkthrough", "walkthrough"]

#: The largest network (scalar parameters) a walkthrough writes out.
MAX_WALKTHROUGH_PARAMS = 60


def _g(v: float) -> str:
    return f"{v:.6g}"


def _tg(v: float) -> str:
    s = f"{v:.6g}"
    if "e" in s:
        m, e = s.split("e")
        s = rf"{m} \times 10^{{{int(e)}}}"
    return s


@dataclass(frozen=True)
class Factor:
    """One chain-rule factor :math:`\\partial\\,\\mathrm{head} / \\partial\\,\\mathrm{tail}`
    (or an adjoint :math:`\\partial L / \\partial v`) and its value."""

    text: str
    tex: str
    value: float
    expr: sp.Expr | None = field(default=None, compare=False)  # a local derivative's formula

    def tex_factor(self) -> str:
        """The LaTeX to multiply by: bracketed unless it is one symbol, number or function."""
        e = self.expr
        if e is None or e.is_Symbol or (e.is_Number and e >= 0) or (e.is_Function and not e.is_Piecewise):
            return self.tex
        return rf"\left({self.tex}\right)"


@dataclass(frozen=True)
class Line:
    """One worked equation: ``lhs = symbolic = numeric = value``."""

    name: str
    lhs: str
    lhs_tex: str
    symbolic: str
    symbolic_tex: str
    numeric: str
    numeric_tex: str
    value: float
    terms: tuple[tuple[Factor, ...], ...] = ()  # a gradient: a sum of products of factors

    def text(self) -> str:
        parts = [self.lhs, self.symbolic]
        if self.numeric and self.numeric != self.symbolic:
            parts.append(self.numeric)
        parts.append(_g(self.value))
        return " = ".join(p for p in parts if p)

    def latex(self) -> str:
        parts = [self.lhs_tex, self.symbolic_tex]
        if self.numeric_tex and self.numeric_tex != self.symbolic_tex:
            parts.append(self.numeric_tex)
        parts.append(_tg(self.value))
        return " = ".join(p for p in parts if p)


@dataclass
class Step:
    """One training step: forward pass, loss, backward pass, gradients, updates."""

    index: int
    forward: list[Line]
    loss_terms: list[Line]
    loss_line: Line
    adjoints: list[Line]
    gradients: dict[str, Line]
    updates: list[Line]
    loss_after: float
    frozen: tuple[str, ...] = ()
    graph: Graph | None = field(default=None, repr=False)

    @property
    def loss(self) -> float:
        return self.loss_line.value

    def sections(self) -> list[tuple[str, list[Line]]]:
        return [
            ("Forward pass: net input and output of every neuron", self.forward),
            ("The loss and each term of it", [*self.loss_terms, self.loss_line]),
            ("Backward pass: the adjoint of every node, from the loss back", self.adjoints),
            ("Gradients: the chain-rule product for every parameter", list(self.gradients.values())),
            ("Updates", self.updates),
        ]


@dataclass
class Walkthrough:
    """The worked example returned by ``net.walkthrough(X, y, lr=..., steps=...)``.

    ``steps[k]`` holds the lines of step *k* (:class:`Step`); ``params`` the parameters
    after the last step (the network itself is not changed). Renderings: :meth:`text`
    (also ``str``), :meth:`markdown` (also Jupyter's ``_repr_markdown_``), :meth:`latex`
    (``standalone=True``: a whole document).
    """

    lr: float
    steps: list[Step]
    params: dict[str, np.ndarray]
    title: str

    def text(self) -> str:
        out = [self.title, ""]
        for st in self.steps:
            out.append(f"== step {st.index + 1} (lr = {_g(self.lr)}) ==")
            for head, lines in st.sections():
                out.append(f"-- {head}")
                out.extend("  " + ln.text() for ln in lines)
            out.append(f"-- Loss after the step: L = {_g(st.loss_after)} (before: {_g(st.loss)})")
            out.append("")
        return "\n".join(out).rstrip() + "\n"

    __str__ = text

    def __repr__(self) -> str:
        return f"<Walkthrough: {len(self.steps)} step(s), lr={_g(self.lr)}; print() shows every number>"

    def markdown(self) -> str:
        out = [f"**{self.title}**", ""]
        for st in self.steps:
            out.append(f"### Step {st.index + 1} ($\\eta = {_tg(self.lr)}$)")
            for head, lines in st.sections():
                out += ["", f"*{head}*", ""]
                out.extend(f"- ${ln.latex()}$" for ln in lines)
            out += ["", f"Loss after the step: $L = {_tg(st.loss_after)}$ (before: ${_tg(st.loss)}$)", ""]
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def latex(self, standalone: bool = False) -> str:
        r"""Every step as ``aligned`` blocks in ``\[ ... \]``; *standalone*: a whole document."""
        parts = []
        for st in self.steps:
            parts.append(rf"\subsection*{{Step {st.index + 1} ($\eta = {_tg(self.lr)}$)}}")
            for head, lines in st.sections():
                parts.append(rf"\paragraph{{{head}}}")
                parts.append("\\[\n" + aligned(ln.latex() for ln in lines) + "\n\\]")
            parts.append(rf"Loss after the step: $L = {_tg(st.loss_after)}$.")
        body = "\n".join(parts)
        if not standalone:
            return body
        return (
            "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
            "\\usepackage[a4paper,margin=1.5cm]{geometry}\n\\begin{document}\n"
            f"\\section*{{{_escape(self.title)}}}\n{body}\n\\end{{document}}\n"
        )


def _escape(text: str) -> str:
    """Plain text for a LaTeX document (the characters TeX reads as commands escaped)."""
    for c in "\\&%$#_{}":
        text = text.replace(c, "\\" + c)
    return text


class _NumberStr(_PlainPrinter):
    """Text of an expression with every node symbol printed as its value, the terms and
    factors in the order the symbolic line has them (negative values bracketed in products)."""

    def __init__(self, values: dict) -> None:
        super().__init__()
        self.values = values

    def _print_Symbol(self, expr):
        return _g(self.values[expr]) if expr in self.values else super()._print_Symbol(expr)

    def parenthesize(self, item, level, strict=False):
        if item in self.values and self.values[item] < 0 and level >= PRECEDENCE["Mul"]:
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)


class _NumberTex(MathPrinter):
    r"""LaTeX of an expression with every node symbol printed as its value (``\cdot`` between
    numbers; negative values bracketed in products)."""

    def __init__(self, values: dict) -> None:
        super().__init__({"mul_symbol": "dot"})
        self.values = values

    def _print_Symbol(self, expr, style="plain"):
        return _tg(self.values[expr]) if expr in self.values else super()._print_Symbol(expr, style)

    def parenthesize(self, item, level, is_neg=False, strict=False):
        if item in self.values and self.values[item] < 0 and level >= PRECEDENCE["Mul"]:
            return rf"\left({self._print(item)}\right)"
        return super().parenthesize(item, level, is_neg, strict)

    def _needs_mul_brackets(self, expr, first=False, last=False):
        if expr in self.values and self.values[expr] < 0:
            return True
        return super()._needs_mul_brackets(expr, first, last)


def _named(g: Graph, expr: sp.Expr, values: dict | None = None) -> tuple[str, str]:
    """(text, LaTeX) of *expr*; with *values*, every node symbol printed as its number (in
    the same order as without)."""
    if values:
        used = {s: v for s, v in values.items() if s in expr.free_symbols}
        return _NumberStr(used).doprint(expr).replace("**", "^"), to_mathtext(_NumberTex(used).doprint(expr))
    return _PlainPrinter().doprint(expr).replace("**", "^"), g.latex(expr)


def walkthrough(net, X, y, lr: float = 0.5, steps: int = 1) -> Walkthrough:
    """A worked example of *steps* full-batch gradient-descent steps (see the module docstring).

    The numbers are those of the scalar computation graph (SymPy's correctly rounded
    evaluation); they equal ``net.gradients`` and ``net.fit(..., optimizer="sgd")`` to
    rounding. At most :data:`MAX_WALKTHROUGH_PARAMS` parameters.
    """
    lr = check_interval("lr", lr, 0.0, low_open=True)
    steps = check_count("steps", steps, 1)
    if steps > 20:
        raise ValueError(f"steps={steps}: a walkthrough writes out at most 20 steps; use net.fit for more")
    if net.n_params > MAX_WALKTHROUGH_PARAMS:
        raise ValueError(
            f"the network has {net.n_params} parameters; a walkthrough writes out at most "
            f"{MAX_WALKTHROUGH_PARAMS}: use a smaller network, or net.backprop() and "
            "net.graph(level='layer') for the matrix form"
        )
    params = {k: np.array(v, dtype=float) for k, v in net.params.items()}
    frozen = tuple(sorted(getattr(net, "frozen", ()) or ()))
    out = []
    graph = network_graph(net, X, y, params=params)
    for k in range(steps):
        step = _step(net, graph, params, lr, frozen, k)
        new = {key: arr.copy() for key, arr in params.items()}
        for ln in step.updates:
            key, idx = graph.node(ln.name).param
            new[key][idx] = ln.value
        graph_after = network_graph(net, X, y, params=new)
        step.loss_after = graph_after.node("L").value
        out.append(step)
        params, graph = new, graph_after
    title = f"Worked example: {net!r}, {X if np.ndim(X) == 0 else np.shape(X)[0]} sample(s)"
    return Walkthrough(lr, out, params, title)


def _step(net, g: Graph, params, lr: float, frozen, k: int) -> Step:
    nodes = {n.name: n for n in g.nodes}
    value = {n.symbol: n.value for n in g.nodes}
    forward, loss_terms, adjoints = [], [], []
    for n in g.nodes:
        if n.kind != "operation":
            continue
        sym_text, sym_tex = _named(g, n.expr)
        num_text, num_tex = _named(g, n.expr, value)
        line = Line(n.name, n.name, n.tex, sym_text, sym_tex, num_text, num_tex, n.value)
        (loss_terms if n.name.startswith("l") else forward).append(line)
    Lnode = nodes["L"]
    sym_text, sym_tex = _named(g, Lnode.expr)
    num_text, num_tex = _named(g, Lnode.expr, value)
    loss_line = Line("L", "L", "L", sym_text, sym_tex, num_text, num_tex, Lnode.value)
    for name in g.backward_order()[1:]:
        n = nodes[name]
        if n.kind != "operation":
            continue
        succ = list(g.successors(name))
        facs = [
            (Factor(f"dL/d{s}", rf"\frac{{\partial L}}{{\partial {nodes[s].tex}}}", nodes[s].adjoint),
             Factor(f"d{s}/d{name}", g.edge(name, s).latex, g.edge(name, s).value, g.edge(name, s).derivative))
            for s in succ
        ]
        adjoints.append(_sum_line(f"dL/d{name}", rf"\frac{{\partial L}}{{\partial {n.tex}}}", facs, n.adjoint, g, name))
    gradients, updates = {}, []
    for p in g.parameters:
        terms = []
        for z in g.successors(p.name):
            after = list(g.successors(z))
            dz = Factor(f"d{z}/d{p.name}", g.edge(p.name, z).latex, g.edge(p.name, z).value)
            if len(after) == 1:
                a = after[0]
                terms.append((
                    Factor(f"dL/d{a}", rf"\frac{{\partial L}}{{\partial {nodes[a].tex}}}", nodes[a].adjoint),
                    Factor(f"d{a}/d{z}", g.edge(z, a).latex, g.edge(z, a).value),
                    dz,
                ))
            else:
                terms.append((Factor(f"dL/d{z}", rf"\frac{{\partial L}}{{\partial {nodes[z].tex}}}", nodes[z].adjoint), dz))
        gradients[p.name] = _product_line(p, terms, g)
        key, _idx = p.param
        if key in frozen:
            updates.append(Line(p.name, f"{p.name} (frozen)", rf"{p.tex}\ (\text{{frozen}})", "", "", "", "", p.value))
            continue
        grad = p.adjoint
        new = p.value - lr * grad
        updates.append(Line(
            p.name, f"{p.name} - η·dL/d{p.name}", rf"{p.tex} - \eta \frac{{\partial L}}{{\partial {p.tex}}}",
            f"{_g(p.value)} - {_g(lr)}·({_g(grad)})", rf"{_tg(p.value)} - {_tg(lr)} \cdot ({_tg(grad)})",
            "", "", new,
        ))
    return Step(k, forward, loss_terms, loss_line, adjoints, gradients, updates, float("nan"), frozen, g)


def _sum_line(text_lhs: str, tex_lhs: str, pairs, value: float, g: Graph, name: str) -> Line:
    if len(pairs) == 1 and pairs[0][0].text == "dL/dL":  # a term of the loss: one factor
        (_one, edge), = pairs
        d = edge.expr
        sym_t, sym_x = ("", "") if d is not None and d.is_Integer else (_plain(d), edge.tex)
        return Line(name, text_lhs, tex_lhs, sym_t, sym_x, "", "", value, ((edge,),))
    sym_t = " + ".join(f"{a.text}·{b.text}" for a, b in pairs)
    sym_x = " + ".join(rf"{a.tex} \cdot {b.tex_factor()}" for a, b in pairs)
    num_t = " + ".join(f"({_g(a.value)})·({_g(b.value)})" for a, b in pairs)
    num_x = " + ".join(rf"({_tg(a.value)}) \cdot ({_tg(b.value)})" for a, b in pairs)
    return Line(name, text_lhs, tex_lhs, sym_t, sym_x, num_t, num_x, value, tuple(tuple(p) for p in pairs))


def _product_line(p, terms, g: Graph) -> Line:
    def ratio(f: Factor) -> str:
        if f.text.startswith("dL/"):
            return f.tex
        head, _, tail = f.text[1:].partition("/d")
        return rf"\frac{{\partial {g.node(head).tex}}}{{\partial {g.node(tail).tex}}}"

    sym_t = " + ".join(" · ".join(f.text for f in t) for t in terms)
    sym_x = " + ".join(r" \cdot ".join(ratio(f) for f in t) for t in terms)
    num_t = " + ".join(" · ".join(f"({_g(f.value)})" for f in t) for t in terms)
    num_x = " + ".join(r" \cdot ".join(f"({_tg(f.value)})" for f in t) for t in terms)
    return Line(p.name, f"dL/d{p.name}", rf"\frac{{\partial L}}{{\partial {p.tex}}}", sym_t, sym_x, num_t, num_x, p.adjoint, tuple(terms))

