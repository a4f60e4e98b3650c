"""symnn.views.plotting.graph: what the pictures of computation graphs contain.

Checked: one box per node and one arrow per edge, every label drawn, no two labels'
bounding boxes overlapping, the highlighted path in red, the animation's frames."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import symnn as sn
from symnn.views.plotting.graph import COLORS, PATH_COLOR, animate_backprop, plot_graph


def _mazur_graph():
    net = sn.Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=0)
    return net.graph([[0.05, 0.1]], [[0.01, 0.99]])


def _seed_layers():
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=0)
    return net.graph(X, y, level="layer")


def _deep_layers():
    net = sn.Network([20, 16, 12, 8, 3], activation="tanh", loss="cross_entropy", seed=0)
    rng = np.random.default_rng(0)
    return net.graph(rng.normal(size=(3, 20)), [0, 2, 1], level="layer")


GRAPHS = {
    "expression": lambda: sn.graph("x*sigmoid(x) + tanh(x*y)", at={"x": 1.0, "y": -0.5}),
    "scalar 2-2-2": _mazur_graph,
    "layer seed": _seed_layers,
    "layer deep softmax": _deep_layers,
}


@pytest.fixture(scope="module")
def drawn():
    """Each test graph drawn once (mathtext layout is the slow part), the 2-2-2 with a path."""
    out = {}
    for name, make in GRAPHS.items():
        g = make()
        if name == "scalar 2-2-2":
            g.path("w1_11")
        out[name] = (g, plot_graph(g))
    return out


def _boxes(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return {t.get_gid(): t.get_window_extent(renderer) for t in ax.texts}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_every_node_and_edge_is_drawn_with_its_label_and_no_labels_overlap(drawn, name):
    g, ax = drawn[name]
    nodes = [p for p in ax.patches if p.get_gid() == "node"]
    edges = [p for p in ax.patches if p.get_gid() == "edge"]
    assert len(nodes) == len(g) and len(edges) == len(g.edges)
    assert {p.get_facecolor()[:3] for p in nodes} <= {
        tuple(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)) for c in COLORS.values()
    }
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    for n in g.nodes:
        assert n.tex in texts[f"node:{n.name}"]
    for e in g.edges:
        assert e.latex in texts[f"edge:{e.tail}->{e.head}"]
    boxes = _boxes(ax)
    for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
        overlap = min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > 0.5 and min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > 0.5
        assert not overlap, f"{a} overlaps {b}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [k for k in ("input", "parameter", "operation", "loss") if g.kind(k)]


def test_values_and_adjoints_are_shown_and_the_path_is_red(drawn):
    g, ax = drawn["scalar 2-2-2"]
    path = g.highlighted
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    node = g.node("w1_11")
    assert f"{node.value:.4g}" in texts["node:w1_11"] and f"{node.adjoint:.4g}" in texts["node:w1_11"]
    e = g.edge("z1_1", "a1_1")
    assert f"{e.value:.4g}" in texts["edge:z1_1->a1_1"]
    red = [p for p in ax.patches if p.get_gid() == "edge" and np.allclose(p.get_edgecolor()[:3], [0xD6 / 255, 0x27 / 255, 0x28 / 255])]
    assert len(red) == len(path.edges) == 6
    assert "path 1 of 2" in ax.figure._suptitle.get_text()
    assert PATH_COLOR == "#d62728"


def test_jupyter_images():
    import io
    import re

    from PIL import Image

    g = sn.graph("x*sigmoid(x)", at={"x": 3.0})
    png = g._repr_png_()
    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3)
    # the node colours are painted: inputs and operations (no parameters here)
    for kind in ("input", "operation"):
        c = COLORS[kind]
        want = np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(rgb.astype(int) - want).max(axis=1) <= 2).sum() > 200, kind
    svg = g._repr_svg_()
    ids = re.findall(r'id="((?:node|edge):[^"]*)"', svg)
    assert sorted(i for i in ids if i.startswith("node:")) == sorted(f"node:{n.name}" for n in g.nodes)
    assert len([i for i in ids if i.startswith("edge:")]) == len(g.edges)


def test_animation_fills_adjoints_from_the_loss_backwards(tmp_path):
    from PIL import Image

    net = sn.Network([1, 1, 1], activation="sigmoid", loss="half_sse", bias=False, seed=0)
    out = animate_backprop(net, [[0.5]], [[1.0]], tmp_path / "bp.gif")
    g = net.graph([[0.5]], [[1.0]])
    with Image.open(out) as im:
        assert im.n_frames == len(g) + 1
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
    # frame k fills in the k-th adjoint of the backward order (the loss first): below the
    # title, what changes is one place, and it moves right to left with the nodes' columns
    cols = g.columns()
    centres = {}
    for k, name in enumerate(g.backward_order(), start=1):
        changed = np.abs(frames[k] - frames[k - 1]).sum(axis=2) > 150
        changed[:25] = False  # the title counts the adjoints
        xs = np.nonzero(changed)[1]
        assert len(xs) > 50, name
        centres[name] = xs.mean()
    for a, b in itertools.permutations(centres, 2):
        if cols[a] > cols[b]:
            assert centres[a] > centres[b], (a, b)
    html = animate_backprop(net, [[0.5]], [[1.0]], tmp_path / "bp.html")
    assert "<script" in Path(html).read_text(encoding="utf-8")
    assert g.backward_order()[0] == "L"
    with pytest.raises(ValueError, match=r"\.gif or \.html"):
        animate_backprop(net, [[0.5]], [[1.0]], tmp_path / "bp.mp4")


def test_big_graphs_are_refused_with_the_alternatives():
    X, y = sn.data.seed_data()
    g = sn.Network([3, 4, 1], bias=False, seed=0).graph(X, y)  # 77 nodes: 4 samples
    with pytest.raises(ValueError, match="level='layer'"):
        plot_graph(g)
    assert g.to_dot().count("->") == len(g.edges)  # Graphviz users still get it
