r"""The tour: every topic of the seed documents in one deterministic run (``symnn tour``).

It writes an output folder with ``index.md`` and ``index.html`` that show each
result with its formulas and pictures:

1. the implicit curve x² + y² + xy = 1 and its conic analysis;
2. the activation gallery, ReLU and its derivative on [-10, 10] (derivative 0
   at 0), GELU, and the property table;
3. the seed's 2-layer network trained for 1500 iterations (the README's setup):
   loss curve, predictions next to targets, backpropagation equations, generated code;
4. sigmoid against ReLU: gradient flow through a deep network, and the share
   of exact zeros in ReLU's hidden activations (sparsity);
5. the SSE-vs-k elbow plot of k-means on blobs, with the knee;
6. the learning rate on the seed network: the Hessian's 2/lambda_max at initialisation,
   a sweep over rates, and the loss landscape with the training trajectory;
7. a convolutional network on the 8x8 digits: shapes, the conv backprop rules, kernels,
   feature maps, a receptive field, its accuracy.

``index.md`` keeps its formulas as ``$...$`` LaTeX (Markdown renderers do math).
``index.html`` works offline and from a file: every formula is converted to
MathML at build time (:func:`tex_to_mathml`, with ``latex2mathml``), which
browsers render natively; the page loads nothing from elsewhere, and the math
font (STIX Two Math, SIL Open Font License, shipped by ``ziamath``) is copied
next to it.

Every random choice has a fixed seed, so two runs write the same files.

The text of a block uses a small inline markup, the same for both formats:
```code``` spans and ``$tex$`` math; a literal dollar sign is not supported.
"""

from __future__ import annotations

import html
import importlib.util
import itertools
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TourResult", "legend_cover", "run_tour", "tex_to_mathml"]

SEED = 0

#: The seed network, exactly as the README's REPL tour builds and trains it.
SEED_NETWORK = {"layers": [3, 4, 1], "activation": "sigmoid", "loss": "sse", "bias": False}
SEED_EPOCHS, SEED_LR = 1500, 1.0

#: The math font the page asks for; copied next to index.html when ziamath ships it.
MATH_FONT = "STIXTwoMath-Regular.ttf"


@dataclass
class _Output:
    """Where the steps write their pictures, at which resolution, and what they wrote.

    ``legend_cover`` records, per picture, how many sampled points of its curves
    lie under a legend once the tour has placed the legends (0 everywhere is the aim).
    """

    folder: Path
    dpi: int
    files: list[Path] = field(default_factory=list)
    legend_cover: dict[str, int] = field(default_factory=dict)


@dataclass
class _Section:
    """One numbered topic of the tour: a title and its blocks, written once for both formats."""

    title: str
    blocks: list[tuple[Any, ...]] = field(default_factory=list)  # (kind, *fields)

    def text(self, s: str) -> None:
        """A paragraph in the inline markup (```code```, ``$tex$``)."""
        self.blocks.append(("text", s))

    def math(self, tex: str) -> None:
        """A displayed formula, LaTeX."""
        self.blocks.append(("math", tex))

    def image(self, name: str, alt: str) -> None:
        """A picture of the output folder."""
        self.blocks.append(("image", name, alt))

    def code(self, src: str, lang: str = "python") -> None:
        """A code block."""
        self.blocks.append(("code", src, lang))

    def table(self, rows: Sequence[Sequence[str]], cls: str = "", anchor: str = "") -> None:
        """A table; the first row is the header, every cell is in the inline markup.

        *cls* is its class in the page's stylesheet, *anchor* its id (``index.html#anchor``).
        """
        rows = [list(r) for r in rows]
        if any(len(r) != len(rows[0]) for r in rows):
            raise ValueError(f"every row needs {len(rows[0])} cells: {rows}")
        self.blocks.append(("table", rows, cls, anchor))


@dataclass
class TourResult:
    """What the tour wrote: the folder, the files, the time per step, and legend placement.

    ``legend_cover`` maps each picture to the number of sampled curve points its
    legends cover (see :func:`legend_cover`); the tour moves a legend that
    covers a curve outside the axes, so every value is 0.
    """

    out: Path
    files: list[Path]
    timings: dict[str, float]
    legend_cover: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------
# Pictures
# ----------------------------------------------------------------------------


def _curve_points(ax: Any) -> np.ndarray:
    """Display coordinates of every data line and collection of *ax*, sampled densely.

    Lines drawn in axes coordinates (``axhline``, ``axvline``) are left out:
    they span the whole plot and are guides, not curves.
    """
    chunks = []
    for line in ax.lines:
        if not line.get_transform().contains_branch(ax.transData):
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        if xy.size:
            chunks.append(_densify(line.get_transform().transform(xy)))
    for coll in ax.collections:
        transform = coll.get_transform()
        for path in coll.get_paths():
            if len(path.vertices):
                chunks.append(_densify(transform.transform(path.vertices)))
        offsets = coll.get_offsets()
        if len(offsets) and coll.get_offset_transform() is not None:
            chunks.append(coll.get_offset_transform().transform(offsets))
    if not chunks:
        return np.empty((0, 2))
    points = np.concatenate(chunks)
    return points[np.all(np.isfinite(points), axis=1)]


def _densify(xy: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points along the polyline *xy* (display pixels) no more than about *step* apart."""
    if len(xy) < 2:
        return xy
    out = [xy[:1]]
    for a, b in itertools.pairwise(xy):
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            out.append(b[None])
            continue
        n = max(1, min(2000, int(np.hypot(*(b - a)) / step)))
        t = np.linspace(0.0, 1.0, n + 1)[1:, None]
        out.append(a + t * (b - a))
    return np.concatenate(out)


def legend_cover_of(ax: Any) -> int:
    """How many sampled curve points of one Axes its legend covers (0 without a legend).

    The figure must have been drawn (the legend's place is known only then).
    """
    legend = ax.get_legend()
    if legend is None:
        return 0
    box = legend.get_window_extent(ax.figure.canvas.get_renderer())
    pts = _curve_points(ax)
    inside = (
        (pts[:, 0] >= box.x0)
        & (pts[:, 0] <= box.x1)
        & (pts[:, 1] >= box.y0)
        & (pts[:, 1] <= box.y1)
    )
    return int(inside.sum())


def legend_cover(fig: Any, draw: bool = True) -> int:
    """How many sampled points of the curves in *fig* lie under one of its axes' legends.

    *draw* first lays the figure out; pass False when it was drawn since its last change.
    """
    if not any(ax.get_legend() for ax in fig.axes):
        return 0
    if draw:
        fig.canvas.draw()
    return sum(legend_cover_of(ax) for ax in fig.axes)


def _legends_off_curves(fig: Any) -> bool:
    """Move every legend that covers a curve outside its axes, to the right; True if any moved."""
    if not any(ax.get_legend() for ax in fig.axes):
        return False
    fig.canvas.draw()
    moved = False
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend_cover_of(ax) == 0:
            continue
        moved = True
        size = legend.texts[0].get_fontsize() if legend.texts else None
        ax.legend(
            handles=list(legend.legend_handles),
            labels=[t.get_text() for t in legend.texts],
            title=legend.get_title().get_text() or None,
            title_fontsize=legend.get_title().get_fontsize(),
            fontsize=size,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            frameon=False,
            handlelength=1.5,
        )
    return moved


def _save(fig: Any, dest: _Output, name: str) -> str:
    """Keep legends off the curves, write *fig* as *name* and close it; return the file name."""
    import matplotlib.pyplot as plt

    from symnn.views.plotting import save_figure

    moved = _legends_off_curves(fig)
    dest.legend_cover[name] = legend_cover(fig, draw=moved)
    path = Path(save_figure(fig, dest.folder / name, dpi=dest.dpi))
    plt.close(fig)
    dest.files.append(path)
    return path.name


def _short_legend(ax: Any, act: Any) -> None:
    """Label the curves of :func:`plot_activation` by name only (``ReLU(x)``, ``ReLU'(x)``).

    The full formulas are shown next to the picture, typeset; in the legend
    a long derivative such as GELU's would be unreadable at the tour's size.
    """
    legend = ax.get_legend()
    for order, text in enumerate(legend.texts[:2]):
        text.set_text(f"${act.lhs(order)}$")
    for text in legend.texts:
        text.set_fontsize(10)


# ----------------------------------------------------------------------------
# The steps
# ----------------------------------------------------------------------------


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


def _md_math(tex: str) -> str:
    return f"${tex}$"


def _property_tables(s: _Section) -> None:
    """The activation property table, as three tables: formulas, shape, values.

    Built here from the table's data (not from its Markdown), so every cell is
    escaped for each format; thirteen columns do not fit a page, three tables of
    three, seven and five columns do (a phone scrolls them sideways, names fixed).
    """
    from symnn.analysis.properties import (
        format_continuity,
        format_flag,
        format_number,
        format_set,
    )
    from symnn.views.tables import activation_table

    table = activation_table()
    names = [f"`{row['name']}`" for row in table.rows]
    s.text("Each activation and its derivative, as SymPy derives and prints them:")
    s.table(
        [["name", "$f(x)$", "$f'(x)$"]]
        + [
            [name, _md_math(row["equation"]), _md_math(row["derivative"])]
            for name, row in zip(names, table.rows, strict=True)
        ],
        cls="formulas",
        anchor="activation-formulas",
    )
    s.text(
        "Their shape, computed symbolically (numerically verified where SymPy cannot "
        "finish); C⁻¹ marks a jump, and “≈ identity” means f(0) = 0 and f′(0) = 1:"
    )
    shape = [["name", "range", "continuity", "monotonic", "$f'$ monotonic", "≈ identity",
              "zero-centred"]]  # fmt: skip
    values = [["name", "$f(0)$", "$f'(0)$", r"$\lim_{x\to-\infty} f(x)$",
               r"$\lim_{x\to+\infty} f(x)$"]]  # fmt: skip
    for name, row in zip(names, table.rows, strict=True):
        shape.append(
            [
                name,
                _md_math(format_set(row["range"], "latex")),
                _md_math(format_continuity(row["continuity"], "latex")),
                str(row["monotonic"]),
                str(row["derivative_monotonic"]),
                format_flag(row["approximates_identity"]),
                format_flag(row["zero_centred"]),
            ]
        )
        values.append(
            [name]
            + [
                _md_math(format_number(row[key], "latex"))
                for key in ("value_at_zero", "derivative_at_zero", "limit_neg_inf", "limit_pos_inf")
            ]
        )
    s.table(shape, cls="properties", anchor="activation-shape")
    s.text("Their values at 0 and at both ends (— where there is no limit):")
    s.table(values, cls="properties", anchor="activation-values")


def _step_activations(dest: _Output) -> _Section:
    from symnn.catalogue.activations import activation, activations
    from symnn.views.plotting import plot_activation, plot_activations

    s = _Section("2. Activation functions: ReLU, GELU and the whole catalogue")
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
    _short_legend(ax, relu)
    s.image(_save(ax.figure, dest, "relu.png"), "ReLU and its derivative from -10 to 10")
    gelu = activation("gelu")
    s.text(
        "GELU, the smooth cousin of ReLU used in transformers, weighs its input by the normal "
        "distribution function; its derivative is where a symbolic tool pays off:"
    )
    s.math(gelu.latex(0))
    s.math(gelu.latex(1))
    ax = plot_activation(gelu, xlim=(-5, 5))
    _short_legend(ax, gelu)
    s.image(_save(ax.figure, dest, "gelu.png"), "GELU and its derivative from -5 to 5")
    _property_tables(s)
    return s


def _step_network(dest: _Output) -> _Section:
    from symnn.nn.data import seed_data
    from symnn.nn.network import Network
    from symnn.views.plotting import plot_history

    s = _Section(f"3. The seed's 2-layer network, trained for {SEED_EPOCHS} iterations")
    X, y = seed_data()
    net = Network(**SEED_NETWORK, seed=SEED)
    s.text(
        "3 inputs, 4 sigmoid hidden units, 1 sigmoid output, no biases, the sum of squared "
        f"errors, learning rate {SEED_LR:g}, full batch: the network of the README's REPL tour, "
        f'`Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed={SEED})`, '
        f"whose weights start from symnn's default for sigmoid layers ({net.init.name}). "
        "(The seed article draws them with `np.random.rand`, uniform in [0, 1); its numbers "
        "differ, its conclusion does not.) The forward pass and the loss:"
    )
    s.math(net.formula().latex())
    s.text(
        "Backpropagation, derived symbolically with the sigmoid's derivative a ⊙ (1 − a) and "
        "the SSE's 2(ŷ − y) substituted:"
    )
    s.math(net.backprop().latex())
    history = net.fit(X, y, epochs=SEED_EPOCHS, lr=SEED_LR, progress=False)
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
    s.table(rows)
    s.text("The generated NumPy training code (`net.source()`), run for every iteration:")
    s.code(net.source())
    _network_graphs(s, dest, net, X, y)
    return s


def _network_graphs(s: _Section, dest: _Output, net: Any, X: Any, y: Any) -> None:
    """The seed network's layer-level graph, and a 2-2-2 network's scalar graph with a path."""
    from symnn.nn.network import Network

    g = net.graph(X, y, level="layer")
    s.text(
        "The same network as a computation graph, one node per matrix (`net.graph(X, y, "
        'level="layer")`): every edge carries the rule that passes the adjoint back, '
        "Z̄ = ∂L/∂Z, the matrix form of the equations above."
    )
    s.image(_save(g.draw().figure, dest, "graph_layers.png"), "layer-level computation graph")
    small = Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=SEED)
    g2 = small.graph([[0.05, 0.1]], [[0.01, 0.99]])
    path = g2.path("w1_11")
    s.text(
        "A 2-2-2 network with ½·SSE on one sample, one node per scalar: every node shows its "
        "value and its adjoint ∇ = ∂L/∂v, every edge its local derivative and the value of it. "
        f"In red, one of the {path.count} paths from w⁽¹⁾₁₁ to the loss; the sum of the "
        "chain-rule products over all of them is the gradient:"
    )
    s.image(_save(g2.draw().figure, dest, "graph_222.png"), "scalar computation graph, one path")
    total = sum(p.value for p in g2.paths("w1_11"))
    s.text(
        f"The highlighted path contributes {path.value:.6g}; all {path.count} paths sum to "
        f"{total:.6g} = ∂L/∂w⁽¹⁾₁₁ (`net.gradients` gives {small.gradients([[0.05, 0.1]], [[0.01, 0.99]])['W1'][0, 0]:.6g})."
    )


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
    depth = len(next(iter(flows.values())))
    rows = [
        [
            "activation",
            r"$\lVert \partial L / \partial W_{1} \rVert$",
            rf"$\lVert \partial L / \partial W_{{{depth}}} \rVert$",
            "ratio",
        ]
    ]
    for name, norms in flows.items():
        rows.append([name, f"{norms[0]:.3g}", f"{norms[-1]:.3g}", f"{norms[0] / norms[-1]:.3g}"])
    s.table(rows)
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
    s.table(rows)
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
        "sum of squared distances. The knee (Kneedle method, on log SSE) marks where adding "
        f"clusters stops paying: k = {result.knee}."
    )
    ax = plot_elbow(result)
    s.image(_save(ax.figure, dest, "elbow.png"), "SSE against k with the knee")
    rows = [["k", "SSE"]] + [
        [str(k), f"{v:.1f}"] for k, v in zip(result.k, result.sse, strict=True)
    ]
    s.table(rows)
    return s


def _step_learning_rate(dest: _Output) -> _Section:
    from symnn.nn.data import seed_data
    from symnn.nn.lr import lr_sweep
    from symnn.nn.network import Network
    from symnn.views.plotting import plot_loss_landscape, plot_lr_sweep

    s = _Section("6. The learning rate: why a step size works")
    X, y = seed_data()
    net = Network(**SEED_NETWORK, seed=SEED)
    c = net.curvature(X, y, k=1)
    limit = c.max_stable_lr
    relation = "below" if limit > SEED_LR else "above"
    s.text(
        "Gradient descent on the quadratic model of the loss multiplies the error along each "
        r"eigenvector of the Hessian by $1 - \eta\lambda$ per step, so it is stable while "
        r"$\eta < 2/\lambda_{\max}$. symnn computes the Hessian-vector product exactly, by a "
        "second backward pass derived at layer level (`net.hvp_equations()`), with the "
        "sigmoid's second derivative substituted:"
    )
    s.math(net.hvp_equations().latex())
    s.text(
        rf"Lanczos iteration on it (`net.curvature(X, y)`) gives $\lambda_{{\max}}$ = "
        f"{c.lambda_max:.4g} at the seed network's initial weights: lr = {SEED_LR:g} is "
        rf"{relation} $2/\lambda_{{\max}}$ = {limit:.3g} at initialisation."
    )
    sweep = lr_sweep(net, X, y, lrs=np.geomspace(0.01, 100.0, 17), epochs=SEED_EPOCHS)
    ax = plot_lr_sweep(sweep)
    s.image(_save(ax.figure, dest, "lr_sweep.png"), "final loss against learning rate")
    bad = sweep.lrs[sweep.diverged]
    s.text(
        f"Training the same initial weights for {SEED_EPOCHS} iterations at each of "
        f"{len(sweep.lrs)} rates (`symnn.lr_sweep`): the lowest final loss is at "
        f"lr = {sweep.best_lr:.3g}"
        + (f"; from lr = {bad.min():.3g} on, runs end above the initial loss (diverged)"
           if bad.size else "")
        + "."
    )
    trained = Network(**SEED_NETWORK, seed=SEED)
    trained.fit(X, y, epochs=SEED_EPOCHS, lr=SEED_LR, progress=False)
    later = trained.curvature(X, y, k=1).max_stable_lr
    s.text(
        f"The limit is local: after {SEED_EPOCHS} iterations at lr = {SEED_LR:g}, "
        rf"$2/\lambda_{{\max}}$ = {later:.3g}"
        + (" — the curvature has fallen as the sigmoids saturate, so steps larger than the "
           "limit at initialisation can still train." if later > limit else ".")
    )
    axes = plot_loss_landscape(net, X, y, directions="both", lr=SEED_LR, epochs=SEED_EPOCHS)
    s.image(_save(axes[0].figure, dest, "loss_landscape.png"),
            "the loss along the gradient with one step, and a 2-D slice with the trajectory")  # fmt: skip
    s.text(
        "Left: the loss along the negative gradient, its quadratic model, and one step of "
        f"lr = {SEED_LR:g}. Right: the loss on a plane through the trained weights, spanned "
        "by two filter-normalised random directions (Li et al., 2018), with the training "
        "trajectory projected on it."
    )
    return s


def _step_derivations(dest: _Output) -> _Section:
    from symnn.nn.derivation import derive
    from symnn.nn.network import Network

    s = _Section("7. How the derivative comes out")
    s.text(
        "`symnn.derive(...)` shows the rules that give a derivative, step by step; its last "
        "step is checked against `sympy.diff`. The sigmoid has a rule of its own, which gives "
        "the compact form students learn, σ′ = σ(1 − σ):"
    )
    s.math(derive("sigmoid").latex())
    s.code(str(derive("sigmoid")), "text")
    net = Network(**SEED_NETWORK, seed=SEED)
    d = derive(net)
    s.text(
        "`net.derive()` explains backpropagation for the seed's network: the loss of one "
        "sample as a composition, the chain rule for one weight of the output layer and one "
        "of the hidden layer, the deltas named, then the matrix equations of `net.backprop()`:"
    )
    for n, section in enumerate(d.sections, 1):
        s.text(f"{n}. {section.title}. {section.markup()}")
        if section.equations:
            s.math("\\begin{aligned}\n" + " \\\\\n".join(
                eq.tex.replace(" = ", " &= ", 1) for eq in section.equations) + "\n\\end{aligned}")
    return s


#: The CNN of the tour (and of benchmarks/bench_cnn.py) and how it trains on the digits.
CNN_SPEC = "conv(8,3),relu,maxpool(2),flatten,dense(10)"
CNN_FIT = {"epochs": 30, "lr": 0.01, "optimizer": "adam", "batch_size": 32}


def _step_cnn(dest: _Output) -> _Section:
    from symnn.nn.data import dataset
    from symnn.nn.network import Network
    from symnn.views.plotting import plot_feature_maps, plot_kernels, plot_receptive_field

    s = _Section("8. A convolutional network on handwritten digits")
    X, y = dataset("digits")
    Xt, yt = dataset("digits", split="test")
    net = Network(CNN_SPEC, input_shape=(1, 8, 8), seed=SEED)
    s.text(
        f"The 8x8 digits that scikit-learn ships (UCI, {len(X)} training and {len(Xt)} test "
        f'images, `symnn.dataset("digits")`), and the network `{CNN_SPEC}`: eight 3x3 '
        "kernels, ReLU, 2x2 max-pooling, a dense softmax layer, the cross-entropy loss. "
        "Every layer's output shape follows $\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1$:"
    )
    summary = net.summary()
    s.table([["layer", "output shape", "parameters"]] + [[n, str(sh), f"{c:,}"] for n, sh, c in summary.rows])
    s.text("The forward pass, in index notation ($s$ stride, $p$ padding, $d$ dilation):")
    s.math(net.formula().latex())
    s.text(
        "Backpropagation: the kernel's gradient is the valid cross-correlation of the input "
        "with $\\delta$, the bias's the sum of $\\delta$; max-pooling routes $\\delta$ to the "
        "arg-max of each window (the first on ties, as PyTorch), and a deeper convolution passes "
        "the full convolution of $\\delta$ with its kernel rotated by 180 degrees down. symnn "
        "proves these rules equal to `sympy.diff` of the expanded sums, element by element:"
    )
    s.math(net.backprop().latex())
    history = net.fit(X, y, **CNN_FIT, seed=SEED, progress=False)
    train, test = net.accuracy(X, y), net.accuracy(Xt, yt)
    s.text(
        f"Trained with Adam (learning rate {CNN_FIT['lr']:g}, batches of {CNN_FIT['batch_size']}, "
        f"{CNN_FIT['epochs']} epochs) by the generated NumPy code (im2col: one matrix product "
        "per convolution):"
    )
    s.table(
        [
            ["", "loss", "accuracy"],
            ["training", f"{history.final_loss:.4f}", f"{train:.4f}"],
            ["test", f"{net.loss_value(Xt, yt):.4f}", f"{test:.4f}"],
        ]
    )
    fig = plot_kernels(net)
    s.image(_save(fig, dest, "cnn_kernels.png"), "the eight learned 3x3 kernels")
    fig = plot_feature_maps(net, Xt[0])
    s.image(_save(fig, dest, "cnn_feature_maps.png"), "a test digit and its eight ReLU feature maps")
    ax = plot_receptive_field(net, 3, (1, 1), image=Xt[0])
    s.text(
        "One output of the max-pooling layer sees a 4x4 patch of the image: the four 3x3 "
        "kernel windows of its pooling window."
    )
    s.image(_save(ax.figure, dest, "cnn_receptive_field.png"), "the receptive field of one pooled output")
    return s


STEPS: list[tuple[str, Callable[[_Output], _Section]]] = [
    ("implicit curve", _step_curve),
    ("activations", _step_activations),
    ("seed network", _step_network),
    ("sigmoid vs relu", _step_relu_vs_sigmoid),
    ("elbow", _step_elbow),
    ("learning rate", _step_learning_rate),
    ("derivatives", _step_derivations),
    ("cnn", _step_cnn),
]


# ----------------------------------------------------------------------------
# Inline markup: `code` and $tex$
# ----------------------------------------------------------------------------

_INLINE = re.compile(r"(\$[^$]+\$|`[^`]+`)")


def _pieces(text: str) -> list[tuple[str, str]]:
    """Split inline markup into ("text" | "code" | "math", content) pieces."""
    out = []
    for i, part in enumerate(_INLINE.split(text)):
        if not part:
            continue
        if i % 2 == 0:
            out.append(("text", part))
        elif part.startswith("$"):
            out.append(("math", part[1:-1]))
        else:
            out.append(("code", part[1:-1]))
    return out


def _md_cell(text: str) -> str:
    r"""A Markdown table cell: ``|`` is ``\|`` in text and code, ``\vert`` inside ``$...$``.

    Markdown renderers split table rows on every unescaped ``|``, even inside
    code spans and math; LaTeX reads ``\|`` as a double bar, so in math the
    bars become ``\vert`` (``\left|`` becomes ``\left\vert``) and ``\|`` becomes ``\Vert``.
    """
    out = []
    for kind, content in _pieces(text):
        if kind == "math":
            tex = content.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
            out.append(f"${tex}$")
        elif kind == "code":
            out.append("`" + content.replace("|", r"\|") + "`")
        else:
            out.append(content.replace("|", r"\|"))
    return "".join(out).replace("\n", " ")


def _html_inline(text: str) -> str:
    """Inline markup as HTML: text escaped, ``code`` in <code>, math as MathML."""
    out = []
    for kind, content in _pieces(text):
        if kind == "math":
            out.append(tex_to_mathml(content))
        elif kind == "code":
            out.append(f"<code>{html.escape(content)}</code>")
        else:
            out.append(html.escape(content))
    return "".join(out)


# ----------------------------------------------------------------------------
# LaTeX -> MathML
# ----------------------------------------------------------------------------

#: ``\operatorname{NAME}``: latex2mathml splits names with digits (``ReLU6``) into
#: letters and makes others operators, so each name is swapped for a placeholder of
#: letters, and the placeholder's element for ``<mi>NAME</mi>`` (an identifier).
_OPERATOR_NAME = re.compile(r"\\operatorname\{([^{}]*)\}")
_PLACEHOLDER = re.compile(r"<m[io]>symnnop([a-z]+)</m[io]>")
#: A minus sign after an opening fence, a comma, a relation or at the start of a row
#: is a sign, not a binary operator: TeX puts no space after it.
_UNARY_MINUS = re.compile(
    r"(<mrow>|<mtd[^>]*>|<mo[^>]*>(?:&#x00028;|\[|&#x0007B;|&#x0002C;|&#x0003D;|&#x02264;"
    r"|&#x02265;|&#x0003C;|&#x0003E;|&#x02192;)</mo>)<mo>&#x02212;</mo>"
)


def _index(letters: str) -> int:
    """The inverse of :func:`_letters`."""
    i = 0
    for c in letters:
        i = 26 * i + ord(c) - ord("a")
    return i


def _letters(i: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a name made of letters only."""
    out = ""
    while True:
        i, r = divmod(i, 26)
        out = chr(ord("a") + r) + out
        if i == 0:
            return out


def tex_to_mathml(tex: str, display: bool = False) -> str:
    r"""One LaTeX formula as a MathML ``<math>`` element, for browsers to render natively.

    ``latex2mathml`` does the conversion; this adds what MathML Core needs for
    symnn's formulas: ``aligned`` becomes a two-column table aligned at the
    relation (``class="aligned"``; the page's stylesheet aligns its columns),
    operator names such as ``\operatorname{ReLU}`` become identifiers (no
    operator spacing; names with digits such as ``ReLU6`` stay whole), infinity is an
    identifier, a leading minus is a sign, ``\text{---}`` is a dash, and
    the LaTeX source is kept in ``alttext``.

    >>> m = tex_to_mathml(r"\operatorname{ReLU}(x) = \frac{1}{2}", display=True)
    >>> m.split(">")[0]  # doctest: +NORMALIZE_WHITESPACE
    '<math alttext="\\operatorname{ReLU}(x) = \\frac{1}{2}"
      xmlns="http://www.w3.org/1998/Math/MathML" display="block"'

    >>> "<mi>ReLU</mi>" in m and "<mfrac>" in m
    True
    """
    from latex2mathml.converter import convert

    stripped = tex.strip()
    aligned = stripped.startswith(r"\begin{aligned}")
    names: list[str] = []

    def park(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return r"\operatorname{symnnop" + _letters(len(names) - 1) + "}"

    source = _OPERATOR_NAME.sub(park, stripped)
    source = source.replace(r"\begin{aligned}", r"\begin{array}{rl}").replace(
        r"\end{aligned}", r"\end{array}"
    )
    out = convert(source, display="block" if display else "inline")
    out = _PLACEHOLDER.sub(lambda m: f"<mi>{html.escape(names[_index(m.group(1))])}</mi>", out)
    out = out.replace("<mo>&#x0221E;</mo>", "<mi>&#x0221E;</mi>")  # infinity is a quantity
    out = _UNARY_MINUS.sub(r'\1<mo form="prefix">&#x02212;</mo>', out)
    out = out.replace("<mtext>---</mtext>", "<mtext>—</mtext>")
    if aligned:
        out = out.replace("<mtable>", '<mtable class="aligned">', 1)
    alt = html.escape(" ".join(stripped.split()), quote=True)
    return out.replace("<math ", f'<math alttext="{alt}" ', 1)


# ----------------------------------------------------------------------------
# Writing the two formats
# ----------------------------------------------------------------------------


def _md_table(rows: list[list[str]], cls: str = "", anchor: str = "") -> str:
    head, *body = rows
    lines = ["| " + " | ".join(_md_cell(c) for c in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def _md_text(text: str) -> str:
    return text + "\n"


#: How each kind of block is written, per output format: (kind, *fields) -> text.
_MARKDOWN: dict[str, Callable[..., str]] = {
    "text": _md_text,
    "math": lambda tex: f"$$\n{tex}\n$$\n",
    "image": lambda name, alt: f"![{alt}]({name})\n",
    "code": lambda src, lang: f"```{lang}\n{src.rstrip()}\n```\n",
    "table": _md_table,
}


def _render(sections: list[_Section], blocks: dict[str, Callable[..., str]], heading) -> list[str]:
    """Every section's heading and blocks, written by the *blocks* table of one format."""
    parts = []
    for sec in sections:
        parts.append(heading(sec.title))
        parts.extend(blocks[kind](*fields) for kind, *fields in sec.blocks)
    return parts


_INTRO = (
    "Every topic of the documents that started symnn, computed from SymPy definitions. "
    "Generated by `symnn tour`."
)


def _to_markdown(sections: list[_Section]) -> str:
    parts = ["# The symnn tour\n", _INTRO + "\n"]
    parts += _render(sections, _MARKDOWN, lambda title: f"## {title}\n")
    return "\n".join(parts)


def _html_table(rows: list[list[str]], cls: str = "", anchor: str = "") -> str:
    head, *body = rows
    klass = f' class="{html.escape(cls)}"' if cls else ""
    if anchor:
        klass += f' id="{html.escape(anchor)}"'
    out = [
        f'<div class="scroll"><table{klass}>',
        "<thead><tr>" + "".join(f"<th>{_html_inline(c)}</th>" for c in head) + "</tr></thead>",
        "<tbody>",
    ]
    out += ["<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in r) + "</tr>" for r in body]
    return "\n".join([*out, "</tbody></table></div>"])


_HTML: dict[str, Callable[..., str]] = {
    "text": lambda text: f"<p>{_html_inline(text)}</p>",
    "math": lambda tex: f'<div class="display">{tex_to_mathml(tex, display=True)}</div>',
    "image": lambda name, alt: (
        f'<p><img src="{html.escape(name)}" alt="{html.escape(alt)}" loading="eager"></p>'
    ),
    "code": lambda src, lang: f"<pre><code>{html.escape(src.rstrip())}</code></pre>",
    "table": _html_table,
}

_CSS = """
@font-face{font-family:"STIX Two Math";src:local("STIX Two Math"),url("%(font)s")}
body{font-family:system-ui,sans-serif;line-height:1.45;max-width:64em;margin:2em auto;
 padding:0 1em;color:#222}
math{font-family:"STIX Two Math","Cambria Math","Latin Modern Math",math;font-size:1.1em}
.display{overflow-x:auto;overflow-y:hidden;padding:.3em 0}
mtd[columnalign=left]{text-align:left}
mtd[columnalign=right]{text-align:right}
mtable.aligned{math-style:normal}
mtable.aligned>mtr>mtd{padding:.3em 0}
mtable.aligned>mtr>mtd[columnalign=right]{padding-right:.15em}
img{max-width:100%%;height:auto}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:85%%}
code{font-size:92%%}
.scroll{overflow-x:auto;margin:1em 0}
table{border-collapse:collapse;font-size:90%%}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:middle}
th{background:#f3f3f3;font-weight:600}
table.properties td,table.properties th{text-align:center}
table.formulas th:first-child,table.formulas td:first-child,
table.properties th:first-child,table.properties td:first-child{position:sticky;left:0;
 background:#fff;text-align:left;z-index:1}
table.properties th:first-child,table.formulas th:first-child{background:#f3f3f3}
table.properties td:first-child code{white-space:normal}
table.formulas td:first-child code{white-space:normal;overflow-wrap:anywhere}
table.formulas{font-size:85%%}
footer{margin-top:3em;font-size:85%%;color:#666}
@media (max-width:40em){
 table.formulas,table.formulas tbody,table.formulas tr,table.formulas td{display:block}
 table.formulas thead{display:none}
 table.formulas tr{border:1px solid #ccc;margin:0 0 .6em;padding:.2em 0}
 table.formulas td{border:0;overflow-x:auto;overflow-y:hidden}
 table.formulas td:first-child{position:static;font-weight:600}
}
"""


def _to_html(sections: list[_Section], font: str | None) -> str:
    css = _CSS % {"font": html.escape(font or MATH_FONT)}
    if font is None:  # no copy of the font: ask for the installed math fonts only
        css = css.split("\n", 2)[2]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>The symnn tour</title>",
        f"<style>{css}</style></head><body>",
        "<h1>The symnn tour</h1>",
        f"<p>{_html_inline(_INTRO)}</p>",
    ]
    parts += _render(sections, _HTML, lambda title: f"<h2>{html.escape(title)}</h2>")
    note = "Formulas are MathML, rendered by the browser"
    if font:
        note += "; the math font is STIX Two Math (SIL Open Font License 1.1)"
    parts.append(f"<footer>{note}.</footer>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _math_font_source() -> Path | None:
    """STIX Two Math as ziamath ships it, found without importing ziamath; None if absent."""
    spec = importlib.util.find_spec("ziamath")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / MATH_FONT
        if path.is_file():
            return path
    return None


def run_tour(
    out: str | Path = "symnn-tour", echo: Callable[[str], None] | None = print, dpi: int = 110
) -> TourResult:
    """Run every step, write ``index.md``/``index.html`` and the pictures (at *dpi*) into *out*."""
    import matplotlib

    if matplotlib.get_backend() == "":
        matplotlib.use("Agg", force=False)
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
    font = _math_font_source()
    if font is not None:
        files.append(Path(shutil.copyfile(font, out / MATH_FONT)))
    md, page = out / "index.md", out / "index.html"
    md.write_text(_to_markdown(sections), encoding="utf-8")
    page.write_text(_to_html(sections, MATH_FONT if font else None), encoding="utf-8")
    files += [md, page]
    from symnn.views.documents import tour_document

    tex = out / "index.tex"  # the same tour as a LaTeX article (amsmath, amssymb, booktabs)
    tex.write_text(tour_document(sections), encoding="utf-8")
    files.append(tex)
    if echo:
        echo(f"wrote {page} and {md} ({len(files)} files) in {time.perf_counter() - t_all:.1f} s")
    return TourResult(out, files, timings, dict(dest.legend_cover))
