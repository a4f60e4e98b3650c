"""The elbow plot: SSE against the number of clusters k, with the knee marked."""

from __future__ import annotations

from typing import Any

from symnn.views.plotting.axes import axes_for

__all__ = ["plot_elbow"]


def plot_elbow(elbow: Any, ax: Any = None) -> Any:
    r"""Draw :math:`\mathrm{SSE}(k)` against k from :func:`symnn.cluster.elbow`, knee marked.

    Examples
    --------
    >>> import numpy as np
    >>> from symnn.cluster import Elbow
    >>> result = Elbow(k=np.arange(1, 7), sse=np.array([100.0, 40, 12, 10, 9, 8]), knee=3)
    >>> ax = plot_elbow(result)
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('number of clusters $k$', ['SSE', 'knee: $k = 3$'])

    Parameters
    ----------
    elbow : symnn.cluster.Elbow
        The result of :func:`symnn.cluster.elbow`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import MaxNLocator

    for attr in ("k", "sse", "knee"):
        if not hasattr(elbow, attr):
            raise TypeError(
                f"plot_elbow needs the result of symnn.elbow(X) (with k, sse and knee), "
                f"got {type(elbow).__name__}"
            )
    ax = axes_for(ax)
    ks, sse = list(elbow.k), list(elbow.sse)
    ax.plot(ks, sse, "o-", color="C0", label="SSE", gid="sse")
    if elbow.knee is not None:
        i = ks.index(elbow.knee)
        ax.plot([ks[i]], [sse[i]], "o", ms=12, mfc="none", mec="C3", mew=2,
                label=f"knee: $k = {elbow.knee}$", gid="knee")  # fmt: skip
        ax.annotate(
            f"k = {elbow.knee}", (ks[i], sse[i]), xytext=(12, 12), textcoords="offset points",
            color="C3", arrowprops={"arrowstyle": "->", "color": "C3"},
        )  # fmt: skip
    ax.set_xlabel("number of clusters $k$")
    ax.set_ylabel("SSE (within-cluster sum of squares)")
    ax.set_title("Elbow method")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # off the curve
    return ax
