"""The tour: every topic of the seed documents in one deterministic run (``symnn tour``).

It writes an output folder with ``index.md`` and ``index.html`` that show each
result with its formulas and pictures:

1. the implicit curve x² + y² + xy = 1 and its conic analysis;
2. the activation gallery, ReLU and its derivative on [-10, 10] (derivative 0
   at 0), and the property table;
3. the seed's 2-layer network trained for 1500 iterations: loss curve,
   predictions next to targets, backpropagation equations, generated code;
4. sigmoid against ReLU: gradient flow through a deep network, and the share
   of exact zeros in ReLU's hidden activations (sparsity);
5. the SSE-vs-k elbow plot of k-means on blobs, with the knee.

Every random choice has a fixed seed, so two runs write the same numbers.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["TourResult", "run_tour"]

SEED = 0


@dataclass
class _Output:
    """Where the steps write their pictures, at which resolution, and what they wrote."""

    folder: Path
    dpi: int
    files: list[Path] = field(default_factory=list)


@dataclass
class _Section:
    title: str
    blocks: list[tuple[str, ...]] = field(default_factory=list)  # (kind, *fields)

    def text(self, s: str) -> None:
        self.blocks.append(("text", s))

    def math(self, tex: str) -> None:
        self.blocks.append(("math", tex))

    def image(self, name: str, alt: str) -> None:
        self.blocks.append(("image", name, alt))

    def code(self, src: str, lang: str = "python") -> None:
        self.blocks.append(("code", src, lang))

    def table(self, markdown: str) -> None:
        self.blocks.append(("table", markdown))


@dataclass
class TourResult:
    """What the tour wrote: the folder, the files, and the time per step."""

    out: Path
    files: list[Path]
    timings: dict[str, float]


def _save(fig, dest: _Output, name: str) -> str:
    import matplotlib.pyplot as plt

    from symnn.views.plotting import save_figure

    path = Path(save_figure(fig, dest.folder / name, dpi=dest.dpi))
    plt.close(fig)
    dest.files.append(path)
    return path.name


def _step_curve(dest: _Output) -> _Section:
    from symnn.curves import classify_conic
    from symnn.views.plotting import plot_implicit

    s = _Section("1. The implicit curve x² + y² + xy = 1")
    eq = "x^2 + y^2 + xy = 1"
    conic = classify_conic(eq)
    s.text(
        "The seed plots this curve with `sympy.plot_implicit(x**2 + y**2 + x*y - 1)`: "
        "Python wants `**`, not `^`, and an equation as `a - b` or `Eq(a, b)`, not `a == b`. "
        "symnn's parser takes the formula as people write it and classifies the conic exactly:"
    )
    s.math(conic.latex())
    s.code(str(conic), "text")
    ax = plot_implicit(eq, classify=True)
    s.image(_save(ax.figure, dest, "implicit_curve.png"), "the ellipse x^2 + y^2 + xy = 1")
    return s


def _step_activations(dest: _Output) -> _Section:
    from symnn.catalogue.activations import activation, activations
    from symnn.views.plotting import plot_activation, plot_activations
    from symnn.views.tables import activation_table

    s = _Section("2. Activation functions and ReLU")
    s.text(
        f"The catalogue has {len(activations())} activations, each one SymPy expression; "
        "derivatives, LaTeX, properties and stable NumPy code are derived from it."
    )
    fig = plot_activations()
    s.image(_save(fig, dest, "activations.png"), "gallery of activation functions")
    relu = activation("relu")
    s.text(
        "ReLU returns its input when positive and 0 otherwise. Its derivative is 1 for x > 0 "
        f"and 0 for x < 0; at the kink symnn takes ReLU'(0) = {float(relu.grad(0.0)):g}, as the "
        "seed article and PyTorch do (filled dot: the value taken, open circle: the one not taken)."
    )
    s.math(relu.latex(0))
    s.math(relu.latex(1))
    ax = plot_activation(relu, xlim=(-10, 10))
    s.image(_save(ax.figure, dest, "relu.png"), "ReLU and its derivative from -10 to 10")
    s.text("Properties, computed symbolically (numerically verified where SymPy cannot finish):")
    s.table(activation_table().to_markdown())
    return s


def _step_network(dest: _Output) -> _Section:
    from symnn.nn.data import seed_data
    from symnn.nn.network import Network
    from symnn.views.plotting import plot_history

    s = _Section("3. The seed's 2-layer network, trained for 1500 iterations")
    X, y = seed_data()
    net = Network(
        [3, 4, 1], activation="sigmoid", loss="sse", bias=False, init="uniform", seed=SEED
    )
    s.text(
        "3 inputs, 4 sigmoid hidden units, 1 sigmoid output, no biases, the sum of squared "
        "errors, weights drawn like `np.random.rand`, learning rate 1, full batch. "
        "The forward pass and the loss:"
    )
    s.math(net.formula().latex())
    s.text(
        "Backpropagation, derived symbolically with the sigmoid's derivative a ⊙ (1 − a) and "
        "the SSE's 2(ŷ − y) substituted:"
    )
    s.math(net.backprop().latex())
    history = net.fit(X, y, epochs=1500, lr=1.0, progress=False)
    ax = plot_history(history)
    s.image(_save(ax.figure, dest, "loss_curve.png"), "training loss per iteration")
    monotone = bool(np.all(np.diff(history.loss) < 0))
    s.text(
        f"The loss falls from {history.loss[0]:.4f} to {history.final_loss:.6f}"
        + (", decreasing at every iteration." if monotone else ".")
    )
    pred = net.predict(X).ravel()
    rows = [["x", "target", "prediction"]] + [
        [str(X[i].astype(int).tolist()), f"{y[i, 0]:g}", f"{pred[i]:.4f}"] for i in range(len(X))
    ]
    s.table(_markdown_table(rows))
    s.text("The generated NumPy training code (`net.source()`), run for every iteration:")
    s.code(net.source())
    return s


def _step_relu_vs_sigmoid(dest: _Output) -> _Section:
    from symnn.nn.diagnostics import gradient_flow, sparsity
    from symnn.nn.network import Network
    from symnn.views.plotting import plot_gradient_flow

    s = _Section("4. Sigmoid against ReLU: vanishing gradients and sparsity")
    flows = gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=SEED)
    ax = plot_gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=SEED)
    s.text(
        "In a 10-layer network at initialisation (He for ReLU, Xavier for the others), the "
        "gradient that reaches the first layers shrinks with every sigmoid layer, because "
        "σ′ ≤ 1/4; ReLU passes gradients through unchanged where it is active."
    )
    s.image(_save(ax.figure, dest, "gradient_flow.png"), "norm of dL/dW per layer")
    rows = [["activation", "‖dL/dW1‖", f"‖dL/dW{len(next(iter(flows.values())))}‖", "ratio"]]
    for name, norms in flows.items():
        rows.append([name, f"{norms[0]:.3g}", f"{norms[-1]:.3g}", f"{norms[0] / norms[-1]:.3g}"])
    s.table(_markdown_table(rows))
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(256, 16))
    rows = [["activation", "share of exact zeros per hidden layer"]]
    for name in ("relu", "sigmoid", "tanh"):
        net = Network([16, 32, 32, 1], activation=name, loss="mse", seed=SEED)
        rows.append([name, ", ".join(f"{v:.2f}" for v in sparsity(net, X))])
    s.text(
        "ReLU outputs true zeros for negative inputs — a sparse representation — while "
        "sigmoid and tanh only come close to zero:"
    )
    s.table(_markdown_table(rows))
    return s


def _step_elbow(dest: _Output) -> _Section:
    from symnn.cluster import elbow
    from symnn.nn.data import blobs
    from symnn.views.plotting import plot_elbow

    s = _Section("5. The elbow method: k-means SSE against k")
    X, _ = blobs(n_samples=400, centers=4, seed=SEED)
    result = elbow(X, k=range(1, 11), n_init=5, seed=SEED)
    s.text(
        "k-means (SciPy's) for k = 1..10 on 400 points from 4 blobs; SSE is the within-cluster "
        "sum of squared distances. The knee (Kneedle method, on log SSE) marks where adding clusters stops "
        f"paying: k = {result.knee}."
    )
    ax = plot_elbow(result)
    s.image(_save(ax.figure, dest, "elbow.png"), "SSE against k with the knee")
    rows = [["k", "SSE"]] + [
        [str(k), f"{v:.1f}"] for k, v in zip(result.k, result.sse, strict=True)
    ]
    s.table(_markdown_table(rows))
    return s


STEPS: list[tuple[str, Callable]] = [
    ("implicit curve", _step_curve),
    ("activations", _step_activations),
    ("seed network", _step_network),
    ("sigmoid vs relu", _step_relu_vs_sigmoid),
    ("elbow", _step_elbow),
]


def _markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


#: How each kind of block is written, per output format: (kind, *fields) -> text.
_MARKDOWN = {
    "text": lambda text: text + "\n",
    "math": lambda tex: f"$$\n{tex}\n$$\n",
    "image": lambda name, alt: f"![{alt}]({name})\n",
    "code": lambda src, lang: f"```{lang}\n{src.rstrip()}\n```\n",
    "table": lambda md: md + "\n",
}


def _render(sections: list[_Section], blocks: dict, heading) -> list[str]:
    """Every section's heading and blocks, written by the *blocks* table of one format."""
    parts = []
    for sec in sections:
        parts.append(heading(sec.title))
        parts.extend(blocks[kind](*fields) for kind, *fields in sec.blocks)
    return parts


def _to_markdown(sections: list[_Section]) -> str:
    parts = [
        "# The symnn tour\n",
        "Every topic of the documents that started symnn, computed from SymPy definitions. "
        "Generated by `symnn tour`.\n",
    ]
    parts += _render(sections, _MARKDOWN, lambda title: f"## {title}\n")
    return "\n".join(parts)


def _md_table_to_html(md: str) -> str:
    lines = [ln for ln in md.strip().splitlines() if ln.strip()]
    cells = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    head, body = cells[0], [r for r in cells[2:]]
    out = ["<table>", "<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body]
    return "\n".join([*out, "</table>"])


def _inline(text: str) -> str:
    """Escape HTML but keep $...$ math for MathJax."""
    return html.escape(text).replace("`", "")


_HTML = {
    "text": lambda text: f"<p>{_inline(text)}</p>",
    "math": lambda tex: f"<div>\\[{html.escape(tex)}\\]</div>",
    "image": lambda name, alt: f'<p><img src="{html.escape(name)}" alt="{html.escape(alt)}"></p>',
    "code": lambda src, lang: f"<pre><code>{html.escape(src)}</code></pre>",
    "table": lambda md: _md_table_to_html(md),
}


def _to_html(sections: list[_Section]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>The symnn tour</title>',
        "<script>window.MathJax = {tex: {inlineMath: [['$', '$']]}};</script>",
        '<script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>',
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow:auto}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}"
        "</style></head><body>",
        "<h1>The symnn tour</h1>",
        "<p>Every topic of the documents that started symnn, computed from SymPy definitions. "
        "Generated by <code>symnn tour</code>.</p>",
    ]
    parts += _render(sections, _HTML, lambda title: f"<h2>{html.escape(title)}</h2>")
    parts.append("</body></html>")
    return "\n".join(parts)


def run_tour(
    out: str | Path = "symnn-tour", echo: Callable[[str], None] | None = print, dpi: int = 110
) -> TourResult:
    """Run every step, write ``index.md``/``index.html`` and the pictures (at *dpi*) into *out*."""
    import matplotlib

    matplotlib.use("Agg", force=False) if matplotlib.get_backend() == "" else None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dest = _Output(out, dpi)
    files = dest.files
    sections: list[_Section] = []
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    for i, (name, step) in enumerate(STEPS, 1):
        t0 = time.perf_counter()
        sections.append(step(dest))
        timings[name] = time.perf_counter() - t0
        if echo:
            echo(f"[{i}/{len(STEPS)}] {name:<16} {timings[name]:6.2f} s")
    md, page = out / "index.md", out / "index.html"
    md.write_text(_to_markdown(sections), encoding="utf-8")
    page.write_text(_to_html(sections), encoding="utf-8")
    files += [md, page]
    if echo:
        echo(f"wrote {page} and {md} ({len(files)} files) in {time.perf_counter() - t_all:.1f} s")
    return TourResult(out, files, timings)
