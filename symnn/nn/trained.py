"""What every kind of network shares: training with :func:`~symnn.nn.training.fit`, frozen
parameters, and the way to PyTorch and JAX and back.

:class:`~symnn.Network` (dense) and :class:`~symnn.nn.convnet.LayeredNetwork` (layers, CNNs)
both derive from :class:`NetworkMethods`; the export itself lives in :mod:`symnn.export`, reached
through :mod:`symnn._hooks` so that imports point one way.
"""

from __future__ import annotations

import functools
from typing import Any

from symnn import _hooks
from symnn.nn.training import Freezable, fit

__all__ = ["NetworkMethods"]


class NetworkMethods(Freezable):
    """``fit``, ``frozen``, ``to_torch``, ``to_jax`` and ``load_weights_from`` of a network."""

    @functools.wraps(fit)
    def fit(self, X, y, **options):
        return fit(self, X, y, **options)

    def to_torch(self, dtype: Any = None) -> Any:
        """This network as a ``torch.nn.Module`` (``Linear``, ``Conv2d`` and pooling where the
        network has them, symnn's activations and loss), weights copied
        (:func:`symnn.export.to_torch`)."""
        return _hooks.call("to_torch", self, dtype=dtype)

    def to_jax(self) -> Any:
        """``(params, apply_fn, loss_fn)`` for JAX (:func:`symnn.export.to_jax`)."""
        return _hooks.call("to_jax", self)

    def load_weights_from(self, source: Any):
        """Copy weights from a torch module or a JAX params dict (:func:`symnn.export.load_weights`)."""
        return _hooks.call("load_weights_from", self, source)
