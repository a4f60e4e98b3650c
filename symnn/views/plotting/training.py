r"""Pictures of training: the loss per epoch, decision boundaries, gradient flow.

The numbers come from the mathematical layer -- :class:`symnn.History`,
:meth:`symnn.Network.predict`, :func:`symnn.diagnostics.decision_threshold`,
:func:`symnn.diagnostics.gradient_flow` -- and these functions only draw.
Each takes ``ax=None``, returns the Axes and never calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from symnn.nn.diagnostics import decision_threshold, gradient_flow
from symnn.views.plotting.axes import axes_for

__all__ = ["plot_decision_boundary", "plot_gradient_flow", "plot_history"]



def _series(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"history.{name} must be a list of numbers") from None
    return arr


def plot_history(history: Any, ax: Any = None, log: bool = True) -> Any:
    r"""Draw the training loss per epoch, and the validation loss when there is one.

    With ``log=True`` the y-axis is logarithmic, where the steady decrease of
    gradient descent shows as a straight-ish line; when a loss reaches exactly
    0 (which a log scale cannot show) the axis is ``"symlog"`` instead, linear
    below the smallest positive loss.

    Examples
    --------
    >>> from symnn.nn.training import History
    >>> ax = plot_history(History(loss=[1.0, 0.5, 0.25], val_loss=[1.1, 0.6, 0.4]))
    >>> ax.get_yscale(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('log', ['training loss', 'validation loss'])

    Parameters
    ----------
    history : symnn.History, or a list or dict (label -> History) of them
        What :meth:`symnn.Network.fit` returned (anything with a ``loss`` list works);
        several are overlaid, one line per run (see :func:`~symnn.views.plotting.lr.plot_runs`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    log : bool
        Logarithmic y-axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(history, (list, tuple, dict)):  # several runs overlaid
        from symnn.views.plotting.lr import plot_runs

        return plot_runs(history, ax=ax, log=log)
    if not hasattr(history, "loss"):
        raise TypeError(
            f"plot_history needs the History that net.fit(...) returns, got {type(history).__name__}"
        )
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {log!r}")
    loss = _series("loss", history.loss)
    if loss.size == 0:
        raise ValueError("the history has no epochs (was fit called with epochs=0?)")
    val = _series("val_loss", getattr(history, "val_loss", None) or [])
    ax = axes_for(ax)
    epochs = np.arange(1, loss.size + 1)
    ax.plot(epochs, loss, color="C0", lw=1.6, label="training loss", gid="loss")
    if val.size:
        ax.plot(np.arange(1, val.size + 1), val, color="C1", lw=1.6, ls="--",
                label="validation loss", gid="val_loss")  # fmt: skip
    if log:
        values = np.concatenate([loss, val])
        values = values[np.isfinite(values)]
        positive = values[values > 0]
        if positive.size == values.size:
            ax.set_yscale("log")
        else:
            ax.set_yscale("symlog", linthresh=float(positive.min()) if positive.size else 1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    optimizer, lr = getattr(history, "optimizer", None), getattr(history, "lr", None)
    if optimizer and lr:
        ax.set_title(f"Training loss ({optimizer}, learning rate {lr:g})")
    else:
        ax.set_title("Training loss")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.legend(loc="upper right")
    return ax


def _class_indices(net: Any, y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class index per sample (0..c-1) and the classes' label values, from labels or one-hot rows."""
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] > 1:
        if arr.shape[0] != n:
            raise ValueError(f"y has {arr.shape[0]} rows but X has {n}; give one label per sample")
        return arr.argmax(axis=1), np.arange(arr.shape[1], dtype=float)
    flat = arr.reshape(-1)
    if flat.size != n:
        raise ValueError(
            f"y has shape {arr.shape} but X has {n} samples; give one label per sample"
        )
    if not np.all(np.isfinite(flat)):
        raise ValueError("y contains NaN or inf; it must hold class labels")
    if net.layers[-1] == 1:
        labels = np.unique(flat)
        return np.searchsorted(labels, flat), labels
    k = net.layers[-1]
    if np.any(flat != np.round(flat)) or flat.min() < 0 or flat.max() >= k:
        raise ValueError(
            f"y must hold class indices 0..{k - 1} (or one-hot rows) for a network with {k} "
            f"outputs; got values from {flat.min():g} to {flat.max():g}"
        )
    return flat.astype(int), np.arange(k, dtype=float)


def plot_decision_boundary(
    net: Any,
    X: Any,
    y: Any,
    ax: Any = None,
    resolution: int = 300,
    margin: float = 0.5,
) -> Any:
    r"""Draw a classifier on 2-D inputs: the data coloured by class and the decision boundary.

    *One output*: the background is the network's output :math:`\hat y(x_1, x_2)`
    on a grid (a diverging colour map centred on the threshold) and the
    boundary is the implicit curve :math:`\hat y(x_1, x_2) = t` with the
    threshold :math:`t` of :func:`symnn.diagnostics.decision_threshold`:
    0.5 for a sigmoid output on 0/1 labels (probability 1/2), 0 for a loss on
    logits or margins (``bce_with_logits``, ``hinge``), in general the
    midpoint of the two label values (so 0 for a tanh output trained on -1/+1).

    *Several outputs* (softmax or not): each point of the plane belongs to
    the class of the largest output; the regions are filled in the classes'
    colours and outlined.

    Examples
    --------
    >>> import symnn as sn
    >>> X, y = sn.data.xor()
    >>> net = sn.Network([2, 4, 1], activation="tanh", output_activation="sigmoid",
    ...                  loss="bce", seed=0)
    >>> ax = plot_decision_boundary(net, X, y, resolution=50)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('$x_1$', '$x_2$')

    Parameters
    ----------
    net : symnn.Network
        A network with 2 inputs.
    X : array of shape (n, 2)
        The samples to show.
    y : array
        Their labels: shape (n,) or (n, 1) class labels, or one-hot rows (n, k).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    resolution : int
        Grid points per side.
    margin : float
        Space around the data, in data units.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize, TwoSlopeNorm
    from matplotlib.lines import Line2D

    layers = getattr(net, "layers", None)
    if layers is None or not hasattr(net, "predict"):
        raise TypeError(f"net must be a symnn.Network, not {type(net).__name__}")
    if layers[0] != 2:
        raise ValueError(
            f"plot_decision_boundary draws networks with 2 inputs; this one has {layers[0]} "
            f"(layers={list(layers)})"
        )
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("X must be numeric, an array of shape (n, 2)") from None
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n, 2) (two features, n >= 1), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise TypeError(f"resolution must be an integer, got {resolution!r}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 grid points per side, got {resolution}")
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)):
        raise TypeError(f"margin must be a number, got {margin!r}")
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    classes, labels = _class_indices(net, y, X.shape[0])
    names = [f"class {v:g}" for v in labels]
    one_output = layers[-1] == 1 and not net.softmax_output
    threshold = decision_threshold(net, y) if one_output else None

    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    pad = np.where(hi - lo > 0, 0.0, 0.5)  # all points on a line: still a 2-D window
    lo, hi = lo - pad, hi + pad
    g1 = np.linspace(lo[0], hi[0], int(resolution))
    g2 = np.linspace(lo[1], hi[1], int(resolution))
    G1, G2 = np.meshgrid(g1, g2)
    out = net.predict(np.column_stack([G1.ravel(), G2.ravel()]))

    ax = axes_for(ax)
    if one_output:
        cmap = plt.get_cmap("RdBu_r")
        colors = [cmap(0.85) if v > threshold else cmap(0.15) for v in labels]
        Z = out[:, 0].reshape(G1.shape)
        zmin, zmax = float(Z.min()), float(Z.max())
        bounds = net.activations[-1].bounds
        sigmoid_out = bounds == (0.0, 1.0)  # the output is a probability
        if bounds is not None:
            zmin, zmax = bounds
        if zmin < threshold < zmax:
            norm = TwoSlopeNorm(vcenter=threshold, vmin=zmin, vmax=zmax)
        else:
            norm = Normalize(vmin=min(zmin, threshold - 1e-9), vmax=max(zmax, threshold + 1e-9))
        levels = np.linspace(norm.vmin, norm.vmax, 21)
        filled = ax.contourf(G1, G2, Z, levels=levels, cmap=cmap, norm=norm, alpha=0.55)
        filled.set_gid("background")
        label = r"$P(\mathrm{class}\ 1) = \hat y$" if sigmoid_out else r"network output $\hat y$"
        ax.figure.colorbar(filled, ax=ax, label=label)
        handles = []
        if float(Z.min()) < threshold < float(Z.max()):
            boundary = ax.contour(G1, G2, Z, levels=[threshold], colors="k", linewidths=2)
            boundary.set_gid("boundary")
            handles.append(Line2D([], [], color="k", lw=2,
                                  label=rf"boundary $\hat y = {threshold:g}$"))  # fmt: skip
    else:
        k = layers[-1]
        colors = [f"C{c % 10}" for c in range(k)]
        regions = out.argmax(axis=1).reshape(G1.shape)
        filled = ax.contourf(G1, G2, regions, levels=np.arange(k + 1) - 0.5, colors=colors,
                             alpha=0.3)  # fmt: skip
        filled.set_gid("regions")
        for c in range(k):
            mask = (regions == c).astype(float)
            if 0 < mask.sum() < mask.size:
                ax.contour(G1, G2, mask, levels=[0.5], colors="k", linewidths=1.2).set_gid(
                    "boundary"
                )
        handles = [Line2D([], [], color="k", lw=1.2, label="boundary (largest output)")]
    for c, name in enumerate(names):
        sel = classes == c
        if sel.any():
            ax.scatter(X[sel, 0], X[sel, 1], color=colors[c], edgecolors="k", linewidths=0.6,
                       s=36, zorder=3, label=name, gid=name)  # fmt: skip
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("Decision boundary")
    points, _ = ax.get_legend_handles_labels()
    ax.legend(handles=points + handles, loc="best", fontsize=8, framealpha=0.85)
    return ax


def plot_gradient_flow(
    activations: Sequence[Any] = ("sigmoid", "tanh", "relu"),
    depth: int = 10,
    width: int = 16,
    n_samples: int = 256,
    seed: int = 0,
    ax: Any = None,
) -> Any:
    r"""Draw :math:`\|\partial L / \partial W_l\|_F` against the layer :math:`l` at initialisation.

    One line per activation, log scale: the vanishing-gradient story of the
    seed's ReLU article.  The numbers are :func:`symnn.diagnostics.gradient_flow`'s
    (deep narrow networks, He initialisation for the ReLU family, Xavier
    otherwise; see there); layer 1 is next to the input, where a sigmoid
    network's gradient has all but vanished.

    Examples
    --------
    >>> ax = plot_gradient_flow(depth=5)
    >>> [line.get_gid() for line in ax.get_lines()]
    ['sigmoid', 'tanh', 'relu']
    >>> ax.get_yscale()
    'log'

    Parameters
    ----------
    activations : sequence of str or Activation
        The hidden activations to compare.
    depth : int
        Number of weight layers.
    width : int
        Inputs and units per hidden layer.
    n_samples : int
        Rows of the random data.
    seed : int
        Seeds the data and the weights.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import MaxNLocator

    from symnn.catalogue.activations import as_activation

    flow = gradient_flow(activations, depth=depth, width=width, n_samples=n_samples, seed=seed)
    named = [activations] if isinstance(activations, str) else list(activations)
    inits = {a.name: a.init for a in map(as_activation, named)}
    ax = axes_for(ax)
    markers = "osD^v<>ph*"
    for i, (name, norms) in enumerate(flow.items()):
        init = {"he_normal": "He", "xavier_uniform": "Xavier"}.get(inits[name], inits[name])
        ax.plot(np.arange(1, len(norms) + 1), norms, marker=markers[i % len(markers)], ms=5,
                lw=1.6, label=f"{name} ({init} init)", gid=name)  # fmt: skip
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer $l$ (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial L / \partial W_l\|_F$")
    ax.set_title(f"Gradient norms at initialisation ({depth} layers of width {width})")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.legend(loc="best")
    return ax
