r"""Drawing computation graphs (:class:`symnn.nn.graph.Graph`) with matplotlib, and animating
the backward pass.

The layout is layered left to right (the graph's :meth:`~symnn.nn.graph.Graph.columns`),
nodes ordered within a column by the barycentre of their neighbours; every label is
mathtext and every edge label is placed along its edge where it overlaps no other label
(the spacing grows until none does). Colours by kind: inputs blue, parameters orange,
operations grey, the loss red; a highlighted path is drawn in red.
No system binary (Graphviz) is needed.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from symnn.nn.graph import KINDS, Graph

__all__ = ["COLORS", "animate_backprop", "graph_image", "plot_graph"]

#: Fill colour of each kind of node.
COLORS = {"input": "#cfe2f3", "parameter": "#fde9c9", "operation": "#e6e6e6", "loss": "#f4cccc"}
PATH_COLOR = "#d62728"
_NODE_SIZE, _EDGE_SIZE = 9, 7.5
_PAD = 0.06  # inches around a node's text

#: The most nodes :func:`plot_graph` draws: beyond it a picture is no longer readable.
MAX_DRAWN_NODES = 60


def _fmt(v: float) -> str:
    s = f"{v:.4g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = rf"{mant}\times 10^{{{int(exp)}}}"
    return s


def _node_label(g: Graph, n, show_values: bool, filled: bool = True) -> str:
    head = n.tex
    if g.level == "expression" and n.expr is not None:
        from symnn._tex import latex, to_mathtext

        head = rf"{n.tex} = {to_mathtext(latex(n.expr))}"
    elif g.level == "layer" and n.definition and n.kind != "loss":
        head = rf"{n.tex} = {n.definition}"
    lines = [f"${head}$"]
    if show_values and n.value is not None:
        if isinstance(n.value, np.ndarray):
            lines.append(f"{' x '.join(map(str, n.value.shape))}")
        else:
            grad = _fmt(n.adjoint) if filled and n.adjoint is not None else "?"
            lines.append(rf"${_fmt(n.value)}\ \vert\ \nabla\, {grad}$")
    return "\n".join(lines)


def _edge_label(e, show_values: bool) -> str:
    constant = e.derivative is not None and e.derivative.is_number
    if show_values and e.value is not None and not isinstance(e.value, np.ndarray) and not constant:
        return f"${e.latex} = {_fmt(e.value)}$"
    return f"${e.latex}$"


def _text_size(fig, renderer, text: str, size: float) -> tuple[float, float]:
    """Width and height of *text* in inches."""
    t = fig.text(0, 0, text, fontsize=size, ha="center", va="center", linespacing=1.3)
    bb = t.get_window_extent(renderer)
    t.remove()
    return bb.width / fig.dpi, bb.height / fig.dpi


def _order(g: Graph, cols: dict[str, int]) -> dict[int, list[str]]:
    """Nodes of each column, ordered by the barycentre of their neighbours (two sweeps)."""
    by_col: dict[int, list[str]] = {}
    for n in g.names():  # insertion order: the builder's natural order
        by_col.setdefault(cols[n], []).append(n)
    rank = {n: i for c in by_col.values() for i, n in enumerate(c)}
    for _ in range(2):
        for c in sorted(by_col):
            def key(n, c=c):
                nb = [m for m in (*g.predecessors(n), *g.successors(n)) if cols[m] != c]
                return (np.mean([rank[m] / max(1, len(by_col[cols[m]])) for m in nb]) if nb else rank[n] / max(1, len(by_col[c])), rank[n])

            by_col[c].sort(key=key)
            rank.update({n: i for i, n in enumerate(by_col[c])})
    return by_col


def _bend(cols: dict[str, int], e, pos: dict, height: float) -> float:
    """Edges that skip a column bow outwards (beside the nodes between, not through them)."""
    if cols[e.head] - cols[e.tail] <= 1:
        return 0.0
    middle = (pos[e.tail][1] + pos[e.head][1]) / 2
    return -0.3 if middle >= height / 2 else 0.3  # arc3: positive bends right of travel (down)


def _control(p0: np.ndarray, p1: np.ndarray, rad: float) -> np.ndarray:
    """The control point of matplotlib's ``arc3`` connection (a quadratic Bezier curve)."""
    mid = (p0 + p1) / 2
    dx, dy = p1 - p0
    return mid + rad * np.array([dy, -dx])


def _overlap(a, b, gap: float = 0.02) -> bool:
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def plot_graph(
    g: Graph,
    ax: Any = None,
    values: bool = True,
    filled: set[str] | None = None,
    title: str | None = None,
) -> Any:
    r"""Draw the computation graph *g*: layered left to right, labels in mathtext.

    Nodes show their symbol (operations of an expression also their definition) and, with
    values, ``value | adjoint``; edges their local derivative (and its value). A path chosen
    with ``g.path(...)`` is drawn in red and its chain-rule product is the title. *filled*
    (node names) shows only those adjoints (the others as ``?``; for animations).
    Returns the Axes.

    >>> import symnn as sn
    >>> ax = plot_graph(sn.graph("x*sigmoid(x)", at={"x": 1.0}))
    >>> len([p for p in ax.patches if p.get_gid() == "node"]), len([p for p in ax.patches if p.get_gid() == "edge"])
    (3, 3)
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    if len(g) > MAX_DRAWN_NODES:
        raise ValueError(
            f"the graph has {len(g)} nodes; plot_graph draws at most {MAX_DRAWN_NODES} "
            "(symnn.views.plotting.graph.MAX_DRAWN_NODES), beyond which no picture is readable: "
            "use net.graph(level='layer'), fewer samples, or graph.to_dot() for Graphviz"
        )
    cols = g.columns()
    by_col = _order(g, cols)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    probe = Figure(dpi=100)
    renderer = FigureCanvasAgg(probe).get_renderer()
    node_text = {n.name: _node_label(g, n, values, filled is None or n.name in filled) for n in g.nodes}
    edge_text = {(e.tail, e.head): _edge_label(e, values) for e in g.edges}
    nsize = {k: _text_size(probe, renderer, t, _NODE_SIZE) for k, t in node_text.items()}
    esize = {k: _text_size(probe, renderer, t, _EDGE_SIZE) for k, t in edge_text.items()}
    ncols = max(by_col) + 1
    col_w = [max((nsize[n][0] for n in by_col.get(c, [])), default=0.5) + 2 * _PAD for c in range(ncols)]
    # the gap after a column holds the widest label of an edge leaving it
    gap_w = [0.0] * ncols
    for (t, _h), (w, _hh) in esize.items():
        gap_w[cols[t]] = max(gap_w[cols[t]], w + 0.3)
    row_h = max(h for _w, h in nsize.values()) + 2 * _PAD
    rows = max(len(v) for v in by_col.values())
    on_path = set()
    if g.highlighted is not None:
        on_path = {(e.tail, e.head) for e in g.highlighted.edges}
    for spacing in (1.6, 2.2, 3.0, 4.0, 5.5):
        xs, x = [], 0.3
        for c in range(ncols):
            xs.append(x + col_w[c] / 2)
            x += col_w[c] + gap_w[c]
        width = x + 0.1
        # room above and below for the edges that bow around a column (arc3, rad 0.3)
        margin = 0.2 + max(
            (0.15 * (xs[cols[e.head]] - xs[cols[e.tail]]) for e in g.edges if cols[e.head] - cols[e.tail] > 1),
            default=0.0,
        )
        inner = rows * row_h * spacing
        height = inner + 2 * margin
        pos, box = {}, {}
        for c, names in by_col.items():
            step = inner / len(names)
            for i, n in enumerate(names):
                y = height - margin - step * (i + 0.5)
                pos[n] = (xs[c], y)
                w, h = nsize[n][0] + 2 * _PAD, nsize[n][1] + 2 * _PAD
                box[n] = (xs[c] - w / 2, y - h / 2, xs[c] + w / 2, y + h / 2)
        placed = list(box.values())
        where, clean = {}, True
        for e in g.edges:
            k = (e.tail, e.head)
            p0 = np.array([box[e.tail][2], pos[e.tail][1]])
            p1 = np.array([box[e.head][0], pos[e.head][1]])
            ctrl = _control(p0, p1, _bend(cols, e, pos, height))
            w, h = esize[k]
            best = None
            for t in (0.5, 0.35, 0.65, 0.25, 0.75, 0.42, 0.58, 0.18, 0.82, 0.3, 0.7, 0.12, 0.88):
                cx, cy = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p1
                cand = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                hits = sum(_overlap(cand, b) for b in placed)
                if best is None or hits < best[0]:
                    best = (hits, cand, (cx, cy))
                if hits == 0:
                    break
            if best[0]:
                clean = False
            placed.append(best[1])
            where[k] = best[2]
        if clean:
            break
    if ax is None:
        fig = Figure(figsize=(width, height + 0.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, height / (height + 0.6)))
    else:
        fig = ax.figure
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    path_nodes = set(g.highlighted.nodes) if g.highlighted is not None else set()
    for n in g.nodes:
        x0, y0, x1, y1 = box[n.name]
        patch = FancyBboxPatch(
            (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=COLORS[n.kind], edgecolor=PATH_COLOR if n.name in path_nodes else "#555555",
            linewidth=2.2 if n.name in path_nodes else 0.8, zorder=2, gid="node",
        )
        ax.add_patch(patch)
        ax.text(*pos[n.name], node_text[n.name], fontsize=_NODE_SIZE, ha="center", va="center",
                linespacing=1.3, zorder=3, gid=f"node:{n.name}")
    for e in g.edges:
        k = (e.tail, e.head)
        hot = k in on_path
        arrow = FancyArrowPatch(
            (box[e.tail][2], pos[e.tail][1]), (box[e.head][0], pos[e.head][1]),
            connectionstyle=f"arc3,rad={_bend(cols, e, pos, height)}",
            arrowstyle="-|>", mutation_scale=9, linewidth=2.0 if hot else 0.7,
            color=PATH_COLOR if hot else "#888888", zorder=1, gid="edge",
        )
        ax.add_patch(arrow)
        ax.text(*where[k], edge_text[k], fontsize=_EDGE_SIZE, ha="center", va="center", zorder=4,
                color=PATH_COLOR if hot else "#222222", gid=f"edge:{e.tail}->{e.head}",
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    kinds = [k for k in KINDS if g.kind(k)]
    ax.legend(handles=[Patch(facecolor=COLORS[k], edgecolor="#555555", label=k) for k in kinds],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(kinds), frameon=False, fontsize=8)
    if title is None and g.highlighted is not None:
        p = g.highlighted
        _tail, _head = g.node(p.nodes[0]).tex, g.node(p.nodes[-1]).tex
        prod = r" \cdot ".join(rf"\frac{{\partial {g.node(e.head).tex}}}{{\partial {g.node(e.tail).tex}}}" for e in reversed(p.edges))
        title = rf"path {p.index + 1} of {p.count}: ${prod}$"
        if p.value is not None and not isinstance(p.value, np.ndarray):
            title += f" = {p.value:.6g}"
    if title:
        fig.suptitle(title, fontsize=9, y=0.995, va="top")
    return ax


def graph_image(g: Graph, fmt: str = "png") -> bytes:
    """The picture of *g* as PNG or SVG bytes (for Jupyter's ``_repr_png_``/``_repr_svg_``)."""
    ax = plot_graph(g)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format=fmt, dpi=100, bbox_inches="tight")
    return buf.getvalue()


def animate_backprop(net, X, y, path: str | os.PathLike, level: str = "scalar", fps: float = 2.0) -> str:
    r"""Write an animation of the backward pass of *net* on (X, y): the adjoints
    :math:`\bar{v} = \partial L / \partial v` fill in from the loss backwards, one node a frame.

    *path* ends in ``.gif`` (Pillow writer) or ``.html`` (a self-contained JavaScript
    player). Returns the path written.

    >>> import os, tempfile, numpy as np, symnn as sn
    >>> net = sn.Network([1, 1, 1], activation="sigmoid", loss="half_sse", bias=False, seed=0)
    >>> out = animate_backprop(net, [[0.5]], [[1.0]], os.path.join(tempfile.mkdtemp(), "bp.gif"))  # doctest: +SKIP
    >>> os.path.getsize(out) > 0  # doctest: +SKIP
    True
    """
    from matplotlib import animation

    name = os.fspath(path)
    ext = os.path.splitext(name)[1].lower()
    if ext not in (".gif", ".html"):
        raise ValueError(f"animate_backprop writes .gif or .html, not {ext or 'no extension'!r} ({name})")
    folder = os.path.dirname(name)
    if folder and not os.path.isdir(folder):
        raise ValueError(f"cannot write {name}: the directory {folder!r} does not exist")
    g = net.graph(X, y, level=level)
    order = g.backward_order()
    ax = plot_graph(g, filled=set(), title="forward pass done: every value known")
    fig = ax.figure
    fig.set_dpi(80)  # one resolution throughout, so matplotlib's mathtext cache is reused
    labels = {t.get_gid(): t for t in ax.texts}
    full = {n.name: _node_label(g, n, True) for n in g.nodes}
    empty = {n.name: labels[f"node:{n.name}"].get_text() for n in g.nodes}

    def frame(i: int):
        done = set(order[:i])
        for n in g.nodes:  # the layout stays; only the adjoints appear
            labels[f"node:{n.name}"].set_text(full[n.name] if n.name in done else empty[n.name])
        fig._suptitle.set_text(
            f"backward pass: {i} of {len(order)} adjoints" if i else "forward pass done: every value known"
        )
        return []

    anim = animation.FuncAnimation(fig, frame, frames=len(order) + 1, blit=False)
    if ext == ".gif":
        anim.save(name, writer=animation.PillowWriter(fps=fps), dpi=80)
    else:
        with open(name, "w", encoding="utf-8") as fh:
            fh.write(anim.to_jshtml(fps=fps))
    return name
