"""The one helper every plotting function starts with."""

from __future__ import annotations

from typing import Any

__all__ = ["axes_for"]


def axes_for(ax: Any = None) -> Any:
    """*ax*, or new Axes on a new figure when *ax* is None (plot functions take ``ax=None``)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax
