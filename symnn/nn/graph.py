r"""Computation graphs whose edges carry symbolic local derivatives.

A :class:`Graph` has four kinds of node -- inputs, parameters, operations and the
loss (or, for a plain expression, its output) -- and one edge per use of a node in
another. Every edge :math:`t \to h` carries the *local derivative*
:math:`\partial h / \partial t`, written in the symbols of the nodes
(:math:`\partial z / \partial w = a`, :math:`\partial a / \partial z =
\sigma(z)(1 - \sigma(z))`) and simplified as :func:`symnn.expr.symbolic.derivative`
does (kink conventions included: ReLU'(0) = 0). With values, every node holds its
forward value and its *adjoint* :math:`\bar{v} = \partial L / \partial v`, every edge
the value of its local derivative, and the chain rule is visible:

.. math::

    \bar{t} = \sum_{h \,:\, t \to h} \bar{h} \, \frac{\partial h}{\partial t}
    = \sum_{\text{paths } t \to L} \; \prod_{\text{edges } e} \frac{\partial\, \mathrm{head}(e)}{\partial\, \mathrm{tail}(e)} .

>>> import symnn as sn
>>> g = sn.graph("x*sigmoid(x)", at={"x": 0.0})
>>> [f"d{e.head}/d{e.tail} = {e.text}" for e in g.edges]
['du1/dx = (1 - sigmoid(x))*sigmoid(x)', 'du2/dx = u1', 'du2/du1 = x']
>>> g.node("x").adjoint                       # d/dx x*sigmoid(x) at 0 = 1/2
0.5
>>> len(g.paths("x"))                         # x reaches the output directly and through sigma
2

Three levels: ``"expression"`` (:func:`graph` of a formula, an activation or a loss),
``"scalar"`` (a small network, one node per weight and unit and sample; refused above
:data:`MAX_SCALAR_NODES` nodes) and ``"layer"`` (any network; nodes are the matrices
X, W1, Z1, A1, ..., L and the edges carry the matrix form of the backward rules that
``net.backprop()`` prints).

The structure is a small directed acyclic graph kept in insertion-ordered dicts
(successors, predecessors, edges); its only algorithms are a topological order (Kahn's,
ties broken by the order the builder added the nodes) and the enumeration of the paths
between two nodes (a depth-first walk), a few lines each. The pictures are drawn by
:mod:`symnn.views.plotting.graph`.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib
import itertools
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from symnn._tex import MathPrinter, to_mathtext
from symnn._tex import latex as _latex
from symnn.expr.symbolic import as_expression, derivative, is_expression, kink_conventions
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL
from symnn.nn.views import _positive_first

__all__ = ["KINDS", "MAX_SCALAR_NODES", "Edge", "Graph", "Node", "Path", "graph", "network_graph"]

#: The kinds of node, in the order of the pictures' legend.
KINDS = ("input", "parameter", "operation", "loss")

#: The most nodes a scalar-level network graph may have (beyond it: ``level="layer"``).
MAX_SCALAR_NODES = 200

#: The module that draws graphs; looked up when a picture is asked for (as pandas looks up
#: its plotting backend), so that this module needs no plotting library.
RENDERER = "symnn.views.plotting.graph"


@dataclass
class Node:
    """One node: its name, kind, symbol, definition and (with values) value and adjoint."""

    name: str
    kind: str
    tex: str  # the node's symbol as LaTeX (mathtext-safe)
    symbol: sp.Symbol | None = None
    expr: sp.Expr | None = None  # the definition in the parents' symbols (operations)
    definition: str = ""  # LaTeX of the definition's right-hand side (layer level)
    value: Any = None
    adjoint: Any = None
    shape: tuple[int, ...] | None = None
    param: tuple[str, tuple[int, ...]] | None = None  # scalar level: ("W1", (row, column))

    def __repr__(self) -> str:
        extra = "" if self.value is None else f", value={_short(self.value)}, adjoint={_short(self.adjoint)}"
        return f"Node({self.name!r}, {self.kind}{extra})"


@dataclass
class Edge:
    r"""An edge *tail* -> *head* carrying :math:`\partial\,\mathrm{head} / \partial\,\mathrm{tail}`.

    At the layer level ``derivative`` is None and ``latex``/``text`` give the backward rule
    applied to the head's adjoint, written with a centre dot for it (``X^T ·``).
    """

    tail: str
    head: str
    derivative: sp.Expr | None
    latex: str
    text: str
    value: Any = None

    def __repr__(self) -> str:
        v = "" if self.value is None else f" = {_short(self.value)}"
        return f"Edge({self.tail} -> {self.head}: {self.text}{v})"


def _short(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    return f"{v:.6g}"


@dataclass
class Path:
    """One path through a graph and its chain-rule product, symbolic and numeric."""

    nodes: list[str]
    edges: list[Edge]
    index: int = 0
    count: int = 1
    graph: Graph | None = field(default=None, repr=False)

    @property
    def factors(self) -> list[sp.Expr]:
        """The local derivatives along the path, from its end back to its start."""
        return [e.derivative for e in reversed(self.edges)]

    @property
    def product(self) -> sp.Expr:
        """The chain-rule product as one (unevaluated) SymPy product."""
        return sp.Mul(*self.factors, evaluate=False)

    @property
    def value(self) -> float | None:
        """The product of the local derivatives' values (None without values)."""
        if any(e.value is None for e in self.edges):
            return None
        if self.edges and isinstance(self.edges[0].value, np.ndarray):
            return self.graph.node(self.nodes[0]).adjoint if self.graph else None
        out = 1.0
        for e in reversed(self.edges):
            out *= e.value
        return out

    def composed(self) -> tuple[str, str]:
        """Layer level: the backward rules along the path nested into one formula for the
        adjoint of its start, ``(LaTeX, text)``, e.g. ``X^T ((Ȳ ⊙ f'(Z2)) W2^T ⊙ f'(Z1))``."""
        tex = text = ""
        for e in reversed(self.edges):
            if not tex:
                tex, text = e.latex, e.text
                continue
            head = e.head
            tex = e.latex.replace(_bar_tex(head), tex if _grouped(tex, r"\left(", r"\right)") or _grouped(tex, "(", ")") else rf"\left({tex}\right)")
            text = e.text.replace(_bar_text(head), text if _grouped(text, "(", ")") else f"({text})")
        return tex, text

    def latex(self) -> str:
        """``\\frac{∂L}{∂w} ⊃ (∂L/∂ℓ)(∂ℓ/∂a)... = factors (= value)``."""
        head, tail = self.graph.node(self.nodes[-1]), self.graph.node(self.nodes[0])
        if self.graph.level == "layer":
            return rf"\frac{{\partial {head.tex}}}{{\partial {tail.tex}}} = {self.composed()[0]}"
        ratios = " ".join(
            rf"\frac{{\partial {self.graph.node(e.head).tex}}}{{\partial {self.graph.node(e.tail).tex}}}"
            for e in reversed(self.edges)
        )
        factors = r" \cdot ".join(rf"\left({e.latex}\right)" for e in reversed(self.edges))
        out = rf"\frac{{\partial {head.tex}}}{{\partial {tail.tex}}}\Big|_{{\text{{path}}}} = {ratios} = {factors}"
        value = self.value
        if value is not None and not isinstance(value, np.ndarray):
            nums = r" \cdot ".join(f"({_num(e.value)})" for e in reversed(self.edges))
            out += rf" = {nums} = {_num(value)}"
        return out

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __str__(self) -> str:
        head, tail = self.nodes[-1], self.nodes[0]
        parts = [f"d{e.head}/d{e.tail} = {e.text}" for e in reversed(self.edges)]
        lines = [f"path {self.index + 1} of {self.count}: {' -> '.join(self.nodes)}"]
        if self.graph is not None and self.graph.level == "layer":
            lines.append(f"d{head}/d{tail} along it = {self.composed()[1]}")
            return "\n".join(lines)
        lines.append(f"d{head}/d{tail} along it = " + " · ".join(f"({p})" for p in parts))
        value = self.value
        if value is not None and not isinstance(value, np.ndarray):
            nums = " · ".join(f"({e.value:.6g})" for e in reversed(self.edges))
            lines.append(f"  = {nums} = {value:.6g}")
        return "\n".join(lines)

    __repr__ = __str__


def _grouped(s: str, left: str, right: str) -> bool:
    """True when *s* is one bracketed group already (``(a - b)``, not ``(a) (b)``)."""
    if not (s.startswith(left) and s.endswith(right)):
        return False
    depth = 0
    i = 0
    while i < len(s):
        if s.startswith(left, i):
            depth, i = depth + 1, i + len(left)
        elif s.startswith(right, i):
            depth, i = depth - 1, i + len(right)
            if depth == 0 and i < len(s):
                return False
        else:
            i += 1
    return True


def _num(v: float) -> str:
    return f"{v:.6g}".replace("e", r"\times 10^{") + ("}" if "e" in f"{v:.6g}" else "")


class Graph:
    """A computation graph (see the module docstring). Build it with :func:`graph` or
    ``net.graph()``."""

    def __init__(self, level: str, title: str = "") -> None:
        self.level = level
        self.title = title
        self._nodes: dict[str, Node] = {}
        self._edges: dict[tuple[str, str], Edge] = {}
        self._succ: dict[str, list[str]] = {}
        self._pred: dict[str, list[str]] = {}
        self.highlighted: Path | None = None
        self._tex: dict[sp.Symbol, str] = {}

    def latex(self, expr: sp.Expr) -> str:
        """*expr* as mathtext-safe LaTeX, every node symbol written as the node's symbol."""
        return to_mathtext(MathPrinter({"symbol_names": self._tex}).doprint(expr))

    # -- building ---------------------------------------------------------------------
    def _add_node(self, node: Node) -> Node:
        if node.name in self._nodes:
            raise ValueError(f"the graph already has a node {node.name!r}")
        self._nodes[node.name] = node
        self._succ[node.name], self._pred[node.name] = [], []
        if node.symbol is not None:
            self._tex[node.symbol] = node.tex
        return node

    def _add_edge(self, edge: Edge) -> Edge:
        key = (edge.tail, edge.head)
        if key not in self._edges:
            self._succ[edge.tail].append(edge.head)
            self._pred[edge.head].append(edge.tail)
        self._edges[key] = edge
        return edge

    # -- reading ----------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        """Every node, in a topological order (inputs and parameters before their uses)."""
        return [self._nodes[n] for n in self.order()]

    def order(self) -> list[str]:
        """The node names in a topological order (Kahn's algorithm; among the nodes ready
        at once, the one the builder added first)."""
        index = {n: i for i, n in enumerate(self._nodes)}
        waiting = {n: len(p) for n, p in self._pred.items()}
        ready = [(index[n], n) for n, k in waiting.items() if k == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            _, n = heapq.heappop(ready)
            out.append(n)
            for s in self._succ[n]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    heapq.heappush(ready, (index[s], s))
        if len(out) != len(self._nodes):  # pragma: no cover - the builders add no cycles
            raise RuntimeError("a computation graph must not have a cycle")
        return out

    def names(self) -> list[str]:
        """The node names in the order the builder added them (its natural reading order)."""
        return list(self._nodes)

    def successors(self, name: str) -> list[str]:
        """The nodes that use node *name*, in the order their edges were added."""
        self.node(name)
        return list(self._succ[name])

    def predecessors(self, name: str) -> list[str]:
        """The nodes node *name* is computed from, in the order their edges were added."""
        self.node(name)
        return list(self._pred[name])

    @property
    def edges(self) -> list[Edge]:
        """Every edge, in the order it was added."""
        return list(self._edges.values())

    def node(self, name: str) -> Node:
        """The node called *name* (``"x"``, ``"w1_11"``, ``"W1"``, ``"L"``)."""
        if name not in self._nodes:
            names = ", ".join(list(self._nodes)[:30])
            raise KeyError(f"no node {name!r} in this graph; its nodes are {names}")
        return self._nodes[name]

    def edge(self, tail: str, head: str) -> Edge:
        """The edge *tail* -> *head*."""
        self.node(tail), self.node(head)
        if (tail, head) not in self._edges:
            raise KeyError(f"no edge {tail} -> {head}; {tail} feeds {', '.join(self._succ[tail]) or 'nothing'}")
        return self._edges[tail, head]

    def kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]

    @property
    def inputs(self) -> list[Node]:
        return self.kind("input")

    @property
    def parameters(self) -> list[Node]:
        return self.kind("parameter")

    @property
    def operations(self) -> list[Node]:
        return self.kind("operation")

    @property
    def output(self) -> Node:
        """The node everything flows into (the loss, or the expression's value)."""
        sinks = [n for n, s in self._succ.items() if not s]
        return self.node(sinks[-1])

    @property
    def has_values(self) -> bool:
        return all(n.value is not None for n in self.nodes)

    def gradient(self, name: str) -> Any:
        """The adjoint of node *name*: the derivative of the output with respect to it."""
        node = self.node(name)
        if node.adjoint is None:
            raise ValueError("this graph has no values; build it with at={...} or with data (X, y)")
        return node.adjoint

    def columns(self) -> dict[str, int]:
        """A left-to-right column for every node: the longest path from a source, sources
        moved next to their first use."""
        col: dict[str, int] = {}
        for n in self.order():
            col[n] = 1 + max((col[p] for p in self._pred[n]), default=-1)
        for n, succ in self._succ.items():
            if not self._pred[n] and succ:
                col[n] = max(0, min(col[s] for s in succ) - 1)
        return col

    # -- paths --------------------------------------------------------------------------
    def paths(self, from_: str, to: str | None = None) -> list[Path]:
        """Every path from node *from_* to node *to* (default: the output), as :class:`Path`."""
        to = self.output.name if to is None else to
        self.node(from_), self.node(to)
        found = sorted(self._walks(from_, to), key=lambda p: (len(p), p))
        out = []
        for i, names in enumerate(found):
            edges = [self.edge(a, b) for a, b in itertools.pairwise(names)]
            out.append(Path(names, edges, i, len(found), self))
        return out

    def _walks(self, from_: str, to: str) -> list[list[str]]:
        """Every path *from_* -> ... -> *to* (depth first; the graph has no cycles)."""
        if from_ == to:
            return [[from_]]
        reaches = {to}  # the nodes from which *to* can be reached: prune the walk to them
        for n in reversed(self.order()):
            if any(s in reaches for s in self._succ[n]):
                reaches.add(n)
        out: list[list[str]] = []
        stack = [[from_]] if from_ in reaches else []
        while stack:
            walk = stack.pop()
            for s in reversed(self._succ[walk[-1]]):
                if s == to:
                    out.append([*walk, s])
                elif s in reaches:
                    stack.append([*walk, s])
        return out

    def path(self, from_: str, to: str | None = None, index: int = 0) -> Path:
        """Highlight one path from *from_* to *to* (default: the output) and return it.

        With several paths, *index* picks one (``graph.paths(from_, to)`` lists them all;
        their products sum to the gradient).
        """
        found = self.paths(from_, to)
        if not found:
            raise ValueError(
                f"no path from {from_} to {to or self.output.name}: {from_} does not influence it"
            )
        if not 0 <= index < len(found):
            raise ValueError(f"index must be in 0..{len(found) - 1}: there are {len(found)} paths")
        self.highlighted = found[index]
        return found[index]

    # -- renderings ------------------------------------------------------------------------
    def draw(self, ax=None, **options: Any):
        """Draw the graph with matplotlib (see :func:`symnn.views.plotting.graph.plot_graph`)."""
        return importlib.import_module(RENDERER).plot_graph(self, ax=ax, **options)

    def _image(self, fmt: str) -> bytes:
        return importlib.import_module(RENDERER).graph_image(self, fmt)

    def _repr_png_(self) -> bytes:
        return self._image("png")

    def _repr_svg_(self) -> str:
        return self._image("svg").decode("utf-8")

    def to_dot(self) -> str:
        """Graphviz source (``dot -Tsvg``): left to right, nodes coloured by kind, every edge
        labelled with its local derivative (and values, where there are values)."""
        colors = {"input": "#cfe2f3", "parameter": "#fde9c9", "operation": "#e6e6e6", "loss": "#f4cccc"}
        lines = ["digraph G {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled"];']
        on_path = set()
        if self.highlighted:
            on_path = {(e.tail, e.head) for e in self.highlighted.edges}
        for n in self.nodes:
            label = _node_text(n)
            lines.append(f'  "{n.name}" [label="{_dot(label)}", fillcolor="{colors[n.kind]}"];')
        for e in self.edges:
            label = _edge_text(e)
            style = ', color="#d62728", penwidth=2.5' if (e.tail, e.head) in on_path else ""
            lines.append(f'  "{e.tail}" -> "{e.head}" [label="{_dot(label)}"{style}];')
        lines.append("}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """Mermaid source (``flowchart LR``) with the same labels as :meth:`to_dot`."""
        ids = {n.name: f"n{i}" for i, n in enumerate(self.nodes)}
        shapes = {"input": ("([", "])"), "parameter": ("[/", "/]"), "operation": ("(", ")"), "loss": ("[[", "]]")}
        lines = ["flowchart LR"]
        for n in self.nodes:
            a, b = shapes[n.kind]
            lines.append(f'  {ids[n.name]}{a}"{_mermaid(_node_text(n))}"{b}')
        on_path = []
        for i, e in enumerate(self.edges):
            label = _edge_text(e)
            lines.append(f'  {ids[e.tail]} -->|"{_mermaid(label)}"| {ids[e.head]}')
            if self.highlighted and any(h is e for h in self.highlighted.edges):
                on_path.append(str(i))
        for kind, color in (("input", "#cfe2f3"), ("parameter", "#fde9c9"), ("operation", "#e6e6e6"), ("loss", "#f4cccc")):
            members = [ids[n.name] for n in self.nodes if n.kind == kind]
            if members:
                lines.append(f"  classDef {kind} fill:{color}")
                lines.append(f"  class {','.join(members)} {kind}")
        if on_path:
            lines.append(f"  linkStyle {','.join(on_path)} stroke:#d62728,stroke-width:3px")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self.kind(k))} {k}" for k in KINDS if self.kind(k))
        return (
            f"<Graph ({self.level} level{': ' + self.title if self.title else ''}): "
            f"{len(self)} nodes ({counts}), {len(self._edges)} edges>"
        )

    def __str__(self) -> str:
        lines = [repr(self)]
        for n in self.nodes:
            lines.append("  " + _node_text(n).replace("\n", "  "))
        for e in self.edges:
            v = "" if e.value is None or isinstance(e.value, np.ndarray) else f" = {e.value:.6g}"
            lines.append(f"  d{e.head}/d{e.tail} = {e.text}{v}")
        return "\n".join(lines)

    # -- values -----------------------------------------------------------------------------
    def _backward(self) -> None:
        """Fill every adjoint from the output backwards (reverse topological order)."""
        order = self.order()
        for name in order:
            self.node(name).adjoint = 0.0
        self.output.adjoint = 1.0
        for name in reversed(order):
            node = self.node(name)
            for succ in self._succ[name]:
                node.adjoint += self.node(succ).adjoint * self.edge(name, succ).value

    def backward_order(self) -> list[str]:
        """The nodes in the order backpropagation fills their adjoints (output first)."""
        return list(reversed(self.order()))


def _edge_text(e: Edge) -> str:
    """The edge's derivative and, unless it is a constant, its value."""
    if e.value is None or isinstance(e.value, np.ndarray) or (e.derivative is not None and e.derivative.is_number):
        return e.text
    return f"{e.text} = {e.value:.4g}"


def _node_text(n: Node) -> str:
    if n.value is None:
        return n.name
    if isinstance(n.value, np.ndarray):
        return f"{n.name} {'×'.join(map(str, n.value.shape))}"
    return f"{n.name}\n{n.value:.4g} | grad {n.adjoint:.4g}"


def _dot(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _mermaid(s: str) -> str:
    return s.replace('"', "#quot;").replace("\n", "<br/>")


# ============================================================================================
# expression graphs
# ============================================================================================


def _evaluate(expr: sp.Expr, values: Mapping[sp.Symbol, float]) -> float:
    """*expr* at *values*, by SymPy's arbitrary-precision evaluation (correctly rounded inputs)."""
    out = expr.xreplace({s: sp.Float(v, 30) for s, v in values.items()}).evalf(30)
    out = kink_conventions(out).evalf(30) if out.has(sp.Heaviside, sp.DiracDelta) else out
    try:
        value = float(out)
    except TypeError:
        raise ValueError(f"the graph's expression {expr} has no real value at the point given") from None
    if not math.isfinite(value):
        raise ValueError(f"{expr} is {value} at the point given; choose a point where it is finite")
    return value


def _op_tex(expr: sp.Expr) -> str:
    return to_mathtext(_latex(expr))


def graph(f: Any, at: Mapping[str, float] | None = None) -> Graph:
    r"""The computation graph of an expression, an activation or a loss.

    Every distinct subexpression is one operation node (so a variable used twice has two
    outgoing edges); numbers are folded into the operations. Each edge carries
    :math:`\partial\,\mathrm{head}/\partial\,\mathrm{tail}` in the symbols of the nodes
    (operations are called :math:`u_1, u_2, \dots`), from :func:`symnn.expr.symbolic.derivative`.
    With ``at`` (a value for every variable; an activation's or loss's parameters default
    to their values) every node has its value and adjoint.

    >>> import symnn as sn
    >>> g = sn.graph("relu", at={"x": 0.0})      # ReLU'(0) = 0, the catalogue's convention
    >>> g.node("x").adjoint
    0.0
    >>> g = sn.graph(sn.loss("half_sse"), at={"yhat": 0.75, "y": 1.0})
    >>> round(g.node("yhat").adjoint, 12)
    -0.25
    """
    from symnn.catalogue.activations import Activation, as_activation
    from symnn.catalogue.loss import Loss

    params: dict[sp.Symbol, float] = {}
    title = ""
    if isinstance(f, str) and not any(c in f for c in "()+-*/^ "):
        try:
            f = as_activation(f)
        except (ValueError, TypeError):
            from symnn.catalogue.losses import loss as get_loss

            with contextlib.suppress(ValueError, TypeError):
                f = get_loss(f)
    if isinstance(f, Activation):
        expr, params, title = f.expr, dict(f.params), f.name
    elif isinstance(f, Loss):
        if f.fused_softmax:
            raise ValueError(
                "the fused softmax cross-entropy is a network's loss, not an expression; use "
                "net.graph(...) on a network with a softmax output"
            )
        expr, params, title = f.expr, dict(f.params), f.name
    else:
        expr = as_expression(f, "symnn.graph() takes an expression, an activation or a loss")
        title = str(expr)
    if not expr.free_symbols:
        raise ValueError(f"{expr} has no variables: there is nothing to differentiate")
    g = Graph("expression", title)
    names: dict[sp.Basic, str] = {}
    counter = [0]

    def leaf(s: sp.Symbol) -> str:
        if s not in names:
            names[s] = s.name
            kind = "parameter" if s in params else "input"
            g._add_node(Node(s.name, kind, _op_tex(s), symbol=s))
        return names[s]

    def visit(e: sp.Basic) -> str:
        if e in names:
            return names[e]
        if e.is_Symbol:
            return leaf(e)
        children = [a for a in e.args if not a.is_number]
        if isinstance(e, sp.Piecewise) or any(not is_expression(a) for a in e.args):
            children = sorted(e.free_symbols, key=str)  # conditions: one operation of the variables
        child_names = [visit(a) for a in children]
        if e in names:  # a child visit may have named it (shared subtrees)
            return names[e]
        counter[0] += 1
        name = f"u{counter[0]}"
        sym = sp.Symbol(name, real=True)
        child_syms = [g.node(c).symbol for c in child_names]
        local = e.xreplace(dict(zip(children, child_syms, strict=True)))
        names[e] = name
        g._add_node(Node(name, "operation", f"u_{{{counter[0]}}}", symbol=sym, expr=local))
        for c, cs in zip(child_names, child_syms, strict=True):
            d = derivative(local, cs)
            g._add_edge(Edge(c, name, d, _op_tex(d), _plain(d)))
        return name

    root = visit(expr)
    out = g.node(root)
    if out.kind != "operation":
        raise ValueError(f"{expr} is a single variable: its graph has no operation")
    out.kind = "loss" if title and isinstance(f, Loss) else "operation"
    if at is not None or not (expr.free_symbols - set(params)):
        _expression_values(g, expr, params, at or {})
    return g


class _PlainPrinter(StrPrinter):
    """SymPy's text with the positive terms of a sum first (``yhat - y``, not ``-y + yhat``)."""

    _as_ordered_terms = _positive_first

    def _print_Piecewise(self, expr):
        """``(0 if z <= 0 else z)``: cases read as a conditional expression."""
        *cases, (last, cond) = expr.args
        tail = self._print(last) if cond == sp.true else f"{self._print(last)} if {self._print(cond)} else nan"
        parts = [f"{self._print(v)} if {self._print(c)} else " for v, c in cases]
        return "(" + "".join(parts) + tail + ")"


def _plain(e: sp.Expr) -> str:
    return _PlainPrinter().doprint(e).replace("**", "^")


def _expression_values(g: Graph, expr: sp.Expr, params: dict, at: Mapping[str, float]) -> None:
    by_name = {s.name: s for s in expr.free_symbols}
    unknown = sorted(set(at) - set(by_name))
    if unknown:
        raise ValueError(
            f"at= names {', '.join(unknown)}, which the expression does not use; its variables "
            f"are {', '.join(sorted(by_name))}"
        )
    values: dict[sp.Symbol, float] = {s: float(v) for s, v in params.items()}
    for k, v in at.items():
        try:
            values[by_name[k]] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"at[{k!r}] must be a number, not {v!r}") from None
    missing = sorted(s.name for s in expr.free_symbols if s not in values)
    if missing:
        raise ValueError(f"at= needs a value for {', '.join(missing)}: at={{'{missing[0]}': 1.5}}")
    sym_values: dict[sp.Symbol, float] = {}
    for name in g.order():
        node = g.node(name)
        if node.expr is None:
            node.value = values[node.symbol]
        else:
            node.value = _evaluate(node.expr, sym_values)
        sym_values[node.symbol] = node.value
    for e in g.edges:
        e.value = _evaluate(e.derivative, sym_values)
    g._backward()


# ============================================================================================
# network graphs
# ============================================================================================


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def network_graph(net, X=None, y=None, level: str = "scalar", params: Mapping[str, np.ndarray] | None = None) -> Graph:
    """The computation graph of *net* (``net.graph(...)``); *params* overrides its weights."""
    from symnn._validation import check_choice

    level = check_choice("level", level, ["scalar", "layer"])
    if (X is None) != (y is None):
        raise ValueError("give both X and y (the data the values are computed on), or neither")
    values = {k: np.asarray(v, dtype=float) for k, v in (params or net.params).items()}
    data = None if X is None else net.check_data(X, y)
    if level == "layer":
        return _layer_graph(net, data, values)
    return _scalar_graph(net, data, values)


def _sub(i: int, s: int | None) -> str:
    return f"{i}" if s is None else f"{i}[{s + 1}]"


def _scalar_count(net, n: int) -> int:
    units = sum(net.layers[1:])
    outputs = net.layers[-1]
    activations = sum(
        w for w, lm in zip(net.layers[1:], net.spec.layers, strict=True) if not lm.identity
    )
    if net.softmax_output:
        activations += outputs
    return net.n_params + n * (net.layers[0] + units + activations + 2 * outputs) + 1


def _scalar_graph(net, data, values) -> Graph:
    spec = net.spec
    n = 1 if data is None else data[0].shape[0]
    count = _scalar_count(net, n)
    if count > MAX_SCALAR_NODES:
        raise ValueError(
            f"the scalar graph of {net!r} on {n} sample(s) has {count} nodes; symnn draws at most "
            f"{MAX_SCALAR_NODES} (symnn.nn.graph.MAX_SCALAR_NODES): use net.graph(level='layer'), "
            "which has one node per matrix, or fewer samples"
        )
    g = Graph("scalar", repr(net))
    lo = net.loss
    wide = max(net.layers) >= 10  # w1_1_10, not the ambiguous w1_110
    for i in range(1, net.depth + 1):
        for r in range(net.layers[i - 1]):
            for c in range(net.layers[i]):
                name, sub = (f"w{i}_{r + 1}_{c + 1}", f"{r + 1},{c + 1}") if wide else (f"w{i}_{r + 1}{c + 1}", f"{r + 1}{c + 1}")
                g._add_node(Node(name, "parameter", f"w^{{({i})}}_{{{sub}}}", symbol=_sym(name), param=(f"W{i}", (r, c))))
        if net.bias:
            for c in range(net.layers[i]):
                name = f"b{i}_{c + 1}"
                g._add_node(Node(name, "parameter", f"b^{{({i})}}_{{{c + 1}}}", symbol=_sym(name), param=(f"b{i}", (c,))))
    weight = {nd.param: nd for nd in g.parameters}
    samples = [None] if n == 1 else list(range(n))
    fixed = {p: _exact(v) for p, v in lo.params.items()}
    if not spec.fused_softmax:
        ell = lo.expr.xreplace(fixed)
        d_yhat = lo.derivative.xreplace(fixed)
        d_y = derivative(ell, lo.y)
    if data is None:  # no data: the mean's divisor stays a symbol
        scale = sp.Integer(1) if lo.reduction == "sum" else 1 / sp.Symbol("n", positive=True)
    else:
        scale = sp.Rational(1, lo.divisor((n, net.layers[-1])))
    L = g._add_node(Node("L", "loss", "L", symbol=_sym("L")))
    terms: list[str] = []
    for s in samples:
        sfx = "" if s is None else f"[{s + 1}]"
        tsfx = "" if s is None else f",{s + 1}"
        prev = []
        for j in range(net.layers[0]):
            name = f"x{j + 1}{sfx}"
            prev.append(g._add_node(Node(name, "input", f"x_{{{j + 1}{tsfx}}}", symbol=_sym(name))))
        for i in range(1, net.depth + 1):
            lm = spec.layers[i - 1]
            out_layer = i == net.depth
            cur = []
            zs = []
            for c in range(net.layers[i]):
                zname = f"z{i}_{c + 1}{sfx}"
                zsym = _sym(zname)
                ws = [weight[f"W{i}", (r, c)] for r in range(net.layers[i - 1])]
                expr = sp.Add(*[a.symbol * w.symbol for a, w in zip(prev, ws, strict=True)])
                if net.bias:
                    b = g.node(f"b{i}_{c + 1}")
                    expr += b.symbol
                z = g._add_node(Node(zname, "operation", f"z^{{({i})}}_{{{c + 1}{tsfx}}}", symbol=zsym, expr=expr))
                for a, w in zip(prev, ws, strict=True):
                    _edge(g, a, z, w.symbol)
                    _edge(g, w, z, a.symbol)
                if net.bias:
                    _edge(g, b, z, sp.Integer(1))
                zs.append(z)
            for c, z in enumerate(zs):
                if lm.identity and not (out_layer and net.softmax_output):
                    cur.append(z)
                    continue
                aname = (f"yhat{c + 1}" if out_layer else f"a{i}_{c + 1}") + sfx
                atex = rf"\hat{{y}}_{{{c + 1}{tsfx}}}" if out_layer else f"a^{{({i})}}_{{{c + 1}{tsfx}}}"
                asym = _sym(aname)
                if out_layer and net.softmax_output:
                    expr = sp.exp(z.symbol) / sp.Add(*[sp.exp(t.symbol) for t in zs])
                    a = g._add_node(Node(aname, "operation", atex, symbol=asym, expr=expr))
                    cur.append(a)
                    continue
                expr = lm.f.xreplace({Z_SYMBOL: z.symbol})
                a = g._add_node(Node(aname, "operation", atex, symbol=asym, expr=expr))
                _edge(g, z, a, lm.fprime_z.xreplace({Z_SYMBOL: z.symbol}))
                cur.append(a)
            if out_layer and net.softmax_output:
                for k, a in enumerate(cur):
                    for j, z in enumerate(zs):
                        d = a.symbol * ((1 if j == k else 0) - cur[j].symbol)
                        _edge(g, z, a, sp.factor_terms(d))
            prev = cur
        for k, a in enumerate(prev):
            yname = f"y{k + 1}{sfx}"
            yn = g._add_node(Node(yname, "input", f"y_{{{k + 1}{tsfx}}}", symbol=_sym(yname)))
            lname = f"l{k + 1}{sfx}"
            if spec.fused_softmax:
                expr = -yn.symbol * sp.log(a.symbol)
                dl_da, dl_dy = -yn.symbol / a.symbol, -sp.log(a.symbol)
            else:
                sub = {lo.yhat: a.symbol, lo.y: yn.symbol}
                expr = ell.xreplace(sub)
                dl_da, dl_dy = d_yhat.xreplace(sub), d_y.xreplace(sub)
            ln = g._add_node(Node(lname, "operation", rf"\ell_{{{k + 1}{tsfx}}}", symbol=_sym(lname), expr=expr))
            _edge(g, a, ln, dl_da)
            _edge(g, yn, ln, dl_dy)
            terms.append(lname)
    L.expr = scale * sp.Add(*[g.node(t).symbol for t in terms])
    for t in terms:
        _edge(g, g.node(t), L, scale)
    if data is not None:
        _network_values(g, net, data, values, samples)
    return g


def _exact(v: float) -> sp.Expr:
    from symnn._validation import exact_number

    return exact_number(float(v))


def _edge(g: Graph, tail: Node, head: Node, d: sp.Expr) -> None:
    g._add_edge(Edge(tail.name, head.name, d, g.latex(d), _plain(d)))


def _network_values(g: Graph, net, data, values, samples) -> None:
    X, Y = data
    known: dict[sp.Symbol, float] = {}
    for p in g.parameters:
        key, idx = p.param
        known[p.symbol] = float(values[key][idx])
    for s in samples:
        row = 0 if s is None else s
        sfx = "" if s is None else f"[{s + 1}]"
        for j in range(X.shape[1]):
            known[_sym(f"x{j + 1}{sfx}")] = float(X[row, j])
        for k in range(Y.shape[1]):
            known[_sym(f"y{k + 1}{sfx}")] = float(Y[row, k])
    for name in g.order():
        node = g.node(name)
        if node.expr is None:
            node.value = known[node.symbol]
        else:
            node.value = known[node.symbol] = _evaluate(node.expr, known)
    for e in g.edges:
        e.value = _evaluate(e.derivative, known)
    g._backward()


# -- layer level ---------------------------------------------------------------------------


def _layer_graph(net, data, values) -> Graph:
    from symnn.nn.views import backprop

    g = Graph("layer", repr(net))
    bp = backprop(net)
    L_ = net.depth
    x = g._add_node(Node("X", "input", "X", definition="", shape=(None, net.layers[0])))
    prev = x
    for i in range(1, L_ + 1):
        W = g._add_node(Node(f"W{i}", "parameter", f"W_{{{i}}}", shape=(net.layers[i - 1], net.layers[i])))
        Z = g._add_node(Node(f"Z{i}", "operation", f"Z_{{{i}}}", definition=f"{prev.tex} W_{{{i}}}" + (f" + b_{{{i}}}" if net.bias else "")))
        g._add_edge(Edge(prev.name, Z.name, None, rf"\bar{{Z}}_{{{i}}} W_{{{i}}}^{{T}}", f"Z̄{i} W{i}ᵀ"))
        g._add_edge(Edge(W.name, Z.name, None, rf"{prev.tex}^{{T}} \bar{{Z}}_{{{i}}}", f"{prev.name}ᵀ Z̄{i}"))
        if net.bias:
            b = g._add_node(Node(f"b{i}", "parameter", f"b_{{{i}}}", shape=(net.layers[i],)))
            g._add_edge(Edge(b.name, Z.name, None, rf"\mathbf{{1}}^{{T}} \bar{{Z}}_{{{i}}}", f"1ᵀ Z̄{i}"))
        last = i == L_
        identity = net.spec.layers[i - 1].identity and not (last and net.softmax_output)
        aname, atex = ("Yhat", r"\hat{Y}") if last else (f"A{i}", f"A_{{{i}}}")
        if identity:
            A = g._add_node(Node(aname, "operation", atex, definition=f"Z_{{{i}}}"))
            g._add_edge(Edge(Z.name, A.name, None, _bar_tex(aname), _bar_text(aname)))
        elif last and net.softmax_output:
            A = g._add_node(Node(aname, "operation", atex, definition=rf"\mathrm{{softmax}}(Z_{{{i}}})"))
            g._add_edge(
                Edge(Z.name, A.name, None,
                     r"\hat{Y} \odot (\bar{\hat{Y}} - (\bar{\hat{Y}} \odot \hat{Y}) \mathbf{1}\mathbf{1}^{T})",
                     "Ŷ ⊙ (Ŷ̄ − rowsum(Ŷ̄ ⊙ Ŷ))")
            )
        else:
            eq = bp[f"delta{i}"] if not last else None
            fexpr = eq.expr if eq is not None and eq.expr is not None else None
            if fexpr is None:
                lm = net.spec.layers[i - 1]
                from symnn.nn.views import _text as _vtext

                fp = lm.fprime_a if lm.reuse_output else lm.fprime_z
                fexpr = sp.factor_terms(fp.xreplace({A_SYMBOL: sp.Symbol(atex), Z_SYMBOL: sp.Symbol(f"Z_{{{i}}}")}))
                ftext = _vtext(fexpr)
            else:
                from symnn.nn.views import _text as _vtext

                ftext = _vtext(fexpr)
            from symnn.nn.views import _tex as _vtex

            A = g._add_node(Node(aname, "operation", atex, definition=rf"{net.activations[i - 1].tex}(Z_{{{i}}})"))
            bar = _bar_tex(aname)
            g._add_edge(Edge(Z.name, A.name, None, rf"{bar} \odot ({to_mathtext(_vtex(fexpr))})", f"{_bar_text(aname)} ⊙ ({ftext})"))
        prev = A
    Y = g._add_node(Node("Y", "input", "Y", shape=(None, net.layers[-1])))
    Ln = g._add_node(Node("L", "loss", "L", definition=net.formula()["L"].rhs))
    from symnn.nn.views import _scale

    sc, sc_text = _scale(net)
    if net.loss.fused_softmax:
        d_tex, d_text = r"-c\, Y \oslash \hat{Y}", "-c Y ⊘ Ŷ"
    else:
        from symnn.nn.views import _tex as _vtex
        from symnn.nn.views import _text as _vtext

        lo = net.loss
        fixed = {p: _exact(v) for p, v in lo.params.items()}
        dexpr = sp.factor_terms(lo.derivative.xreplace(fixed).xreplace({lo.yhat: sp.Symbol(r"\hat{Y}"), lo.y: sp.Symbol("Y")}))
        d_tex = (rf"{_vtex(sc)}\, " if sc != 1 else "") + rf"({to_mathtext(_vtex(dexpr))})"
        d_text = (f"{sc_text} " if sc_text else "") + f"({_vtext(dexpr)})"
    g._add_edge(Edge(prev.name, Ln.name, None, d_tex, d_text))
    g._add_edge(Edge(Y.name, Ln.name, None, r"\partial L / \partial Y", "∂L/∂Y"))
    if data is not None:
        _layer_values(g, net, data, values)
    return g


def _bar_tex(name: str) -> str:
    """``Z1`` -> ``\\bar{Z}_{1}`` (the adjoint), ``Yhat`` -> ``\\bar{\\hat{Y}}``."""
    return r"\bar{\hat{Y}}" if name == "Yhat" else rf"\bar{{{name[0]}}}_{{{name[1:]}}}"


def _bar_text(name: str) -> str:
    """``A1`` -> ``Ā1`` (the adjoint), ``Yhat`` -> ``Ŷ̄``."""
    return "Ŷ̄" if name == "Yhat" else unicodedata.normalize("NFC", name[0] + "\u0304" + name[1:])


def _layer_values(g: Graph, net, data, values) -> None:
    """Forward values and adjoints of every matrix, with the network's compiled pieces."""
    from symnn.compiler import compile as compile_expr

    X, Y = data
    spec = net.spec
    lo = net.loss
    n = X.shape[0]
    A = X
    As, Zs = [X], []
    for i in range(1, net.depth + 1):
        Z = A @ values[f"W{i}"] + (values[f"b{i}"] if net.bias else 0.0)
        lm = spec.layers[i - 1]
        if i == net.depth and net.softmax_output:
            shifted = Z - Z.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            A = e / e.sum(axis=1, keepdims=True)
        else:
            A = np.asarray(compile_expr(lm.f, [Z_SYMBOL])(Z), dtype=float) * np.ones_like(Z)
        Zs.append(Z)
        As.append(A)
    scale = 1.0 / lo.divisor((n, net.layers[-1]))
    Yhat = As[-1]
    with np.errstate(all="ignore"):
        if spec.fused_softmax:
            loss = float(-np.sum(Y * np.log(np.where(Y > 0, Yhat, 1.0))) * scale)
            gY = -scale * np.where(Y > 0, Y / Yhat, 0.0)
            delta = scale * (Yhat - Y)
        else:
            yv = spec.y_symbol
            loss = float(np.sum(compile_expr(spec.loss_expr, [A_SYMBOL, Z_SYMBOL, yv])(Yhat, Zs[-1], Y) * np.ones_like(Y)) * scale)
            fixed = {p: _exact(v) for p, v in lo.params.items()}
            grad = lo.numeric_gradient.xreplace(fixed).xreplace({lo.yhat: A_SYMBOL})
            gY = scale * np.asarray(compile_expr(grad, [A_SYMBOL, yv])(Yhat, Y), dtype=float) * np.ones_like(Y)
            delta = scale * np.asarray(compile_expr(spec.delta_expr, [A_SYMBOL, Z_SYMBOL, yv])(Yhat, Zs[-1], Y), dtype=float) * np.ones_like(Y)
    g.node("X").value, g.node("Y").value = X, Y
    g.node("L").value, g.node("L").adjoint = loss, 1.0
    g.node("Yhat").value, g.node("Yhat").adjoint = Yhat, gY
    g.node("X").adjoint = None
    g.node("Y").adjoint = None
    for i in range(net.depth, 0, -1):
        if i < net.depth:
            lm = spec.layers[i - 1]
            gA = delta @ values[f"W{i + 1}"].T
            g.node(f"A{i}").adjoint = gA
            fp = compile_expr(lm.fprime_z, [Z_SYMBOL])(Zs[i - 1]) * np.ones_like(Zs[i - 1])
            delta = gA * fp
        g.node(f"Z{i}").value, g.node(f"Z{i}").adjoint = Zs[i - 1], delta
        if i < net.depth:
            g.node(f"A{i}").value = As[i]
        g.node(f"W{i}").value, g.node(f"W{i}").adjoint = values[f"W{i}"], As[i - 1].T @ delta
        if net.bias:
            g.node(f"b{i}").value, g.node(f"b{i}").adjoint = values[f"b{i}"], delta.sum(axis=0)
    g.node("X").adjoint = delta @ values["W1"].T
    for e in g.edges:  # the value of a matrix edge: what it passes back (the tail's share)
        e.value = g.node(e.tail).adjoint

