"""Matplotlib views of symnn's mathematics: every function takes ``ax=None``, returns the Axes and never shows."""

from __future__ import annotations

import os
from typing import Any

from symnn.views.plotting.activations import plot_activation, plot_activations
from symnn.views.plotting.cluster import plot_elbow
from symnn.views.plotting.cnn import plot_feature_maps, plot_kernels, plot_receptive_field
from symnn.views.plotting.compare import compare_activations
from symnn.views.plotting.curves import plot, plot_implicit
from symnn.views.plotting.graph import animate_backprop, plot_graph
from symnn.views.plotting.lr import plot_loss_landscape, plot_lr_range_test, plot_lr_sweep
from symnn.views.plotting.training import plot_decision_boundary, plot_gradient_flow, plot_history
from symnn.views.plotting.vector import plot_vector_activation

__all__ = [
    "FORMATS",
    "animate_backprop",
    "compare_activations",
    "plot",
    "plot_activation",
    "plot_activations",
    "plot_decision_boundary",
    "plot_elbow",
    "plot_feature_maps",
    "plot_gradient_flow",
    "plot_graph",
    "plot_history",
    "plot_implicit",
    "plot_kernels",
    "plot_loss_landscape",
    "plot_lr_range_test",
    "plot_lr_sweep",
    "plot_receptive_field",
    "plot_vector_activation",
    "save_figure",
]

#: File formats :func:`save_figure` writes, by extension.
FORMATS = (".png", ".svg", ".pdf")


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 150) -> str:
    """Write *fig* to *path* in the format its extension names; return the path written.

    ``.png`` (the default when the name has no extension: ``.png`` is added),
    ``.svg`` or ``.pdf``; any other extension is a ValueError that lists these.
    Only the file is created: the directory must exist.  The bounding box is
    tight, so legends placed outside the axes are kept.

    Examples
    --------
    >>> import os, tempfile
    >>> ax = plot_activation("relu")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = save_figure(ax.figure, os.path.join(tmp, "relu"))
    ...     os.path.basename(written), os.path.getsize(written) > 0
    ('relu.png', True)

    Parameters
    ----------
    fig : matplotlib Figure
        The figure (an Axes' figure is ``ax.figure``).
    path : str or path-like
        Where to write.
    dpi : int
        Resolution of a PNG.

    Returns
    -------
    str
        The path written (with ``.png`` added when there was no extension).
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        hint = " (pass ax.figure for an Axes)" if hasattr(fig, "figure") else ""
        raise TypeError(f"fig must be a matplotlib Figure, not {type(fig).__name__}{hint}")
    try:
        name = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a file name, not {type(path).__name__} {path!r}") from None
    if not isinstance(name, str) or not name or name.endswith(("/", os.sep)):
        raise ValueError(f"path must name a file, got {path!r}")
    root, ext = os.path.splitext(name)
    if not ext:
        ext = ".png"
        name = root + ext
    if ext.lower() not in FORMATS:
        raise ValueError(
            f"cannot save a figure as {ext!r} ({name}); use one of "
            + ", ".join(FORMATS)
            + " (no extension means .png)"
        )
    folder = os.path.dirname(name)
    if folder and not os.path.isdir(folder):
        raise ValueError(
            f"cannot write {name}: the directory {folder!r} does not exist (create it first)"
        )
    # a constrained layout already fits everything in the figure (legends "outside" included);
    # a tight bounding box would draw the figure twice (5 s for the 64-panel gallery)
    constrained = type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
    fig.savefig(name, format=ext.lower()[1:], dpi=dpi, bbox_inches=None if constrained else "tight")
    return name
