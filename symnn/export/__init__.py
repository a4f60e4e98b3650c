r"""Export to PyTorch and JAX, with symnn's stable numerics and symbolic derivatives.

* :func:`to_torch` -- an activation as a ``torch.nn.Module`` (``trainable=("alpha",)``
  makes parameters ``nn.Parameter``\ s), a loss as a module with its reduction, a network
  as a module with ``Linear`` layers, its current weights and its loss;
* :func:`to_jax` -- an activation as a traceable function ``f(x, **params)``, a loss as
  ``loss(yhat, y)``, a network as ``(params, apply_fn, loss_fn)``;
* :func:`load_weights` -- the way back: a trained module or pytree into a symnn Network;
* :func:`standalone_source` -- a self-contained Python module (``symnn export`` writes it).

Forward code is printed from the expression that symnn's NumPy code is printed from
(:func:`symnn.compiler.prepare`: the same stability rewrites) and the backward pass is
symnn's symbolic derivative (a ``torch.autograd.Function``, a ``jax.custom_jvp``), so the
kink conventions (ReLU'(0) = 0, ...) and the accuracy in the tails carry over. A function
without a counterpart in the backend is an :class:`ExportError` that names it.

The methods ``Activation.to_torch()``, ``Loss.to_jax()``, ``Network.load_weights_from()``,
... are these functions: the catalogue and the network classes are lower layers and
never import this package; it registers the functions with :mod:`symnn._hooks` when it is
imported (``import symnn`` does that on first use). PyTorch and JAX are imported only
when a function here runs (``pip install 'symnn[torch]'``, ``'symnn[jax]'``).

>>> import symnn as sn
>>> from symnn.export import standalone_source
>>> print(standalone_source(sn.activation("tanh"), "torch").splitlines()[0][3:])
tanh(x) = tanh(x), exported from symnn for PyTorch.
"""

from __future__ import annotations

from typing import Any

from symnn import _hooks
from symnn.export.codegen import ExportError

__all__ = ["ExportError", "load_weights", "standalone_source", "to_jax", "to_torch"]


def _kind(obj: Any) -> str:
    from symnn.catalogue.activation import Activation
    from symnn.catalogue.loss import Loss
    from symnn.catalogue.vector import VectorActivation
    from symnn.nn.convnet import LayeredNetwork
    from symnn.nn.network import Network

    kinds = (("activation", Activation), ("vector", VectorActivation), ("loss", Loss),
             ("network", Network), ("layered", LayeredNetwork))  # fmt: skip
    for kind, cls in kinds:
        if isinstance(obj, cls):
            return kind
    raise TypeError(
        f"symnn exports an Activation, a VectorActivation, a Loss or a Network, not {type(obj).__name__}; "
        "e.g. symnn.activation('gelu').to_torch()"
    )


def to_torch(obj: Any, **options: Any) -> Any:
    r"""A PyTorch module computing *obj* with symnn's stable forward and symbolic backward.

    * ``Activation`` -> ``nn.Module``; options ``trainable=("alpha",)`` (those parameters
      become ``nn.Parameter``\ s, the others buffers) and ``dtype`` (default float64);
    * ``VectorActivation`` (softmax, log-softmax, GLU family, maxout) -> ``nn.Module`` along
      the last axis with symnn's formulas forward and backward (:mod:`symnn.export.vector`);
    * ``Loss`` -> ``nn.Module`` ``loss(yhat, y)``; option ``reduction`` (default the loss's);
    * ``Network`` -> ``nn.Module`` with ``Linear`` layers holding the network's current
      weights, ``.loss``, ``.loss_fn(X, y)`` and ``.predict(X)``; option ``dtype``; a network
      of layers has ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten`` and ``Linear``
      layers (:mod:`symnn.export.layered`).
    """
    kind = _kind(obj)
    from symnn.export import torch_export

    if kind == "activation":
        return torch_export.activation_module(obj, **options)
    if kind == "vector":
        return torch_export.vector_module(obj, **options)
    if kind == "loss":
        return torch_export.loss_module(obj, **options)
    if kind == "layered":
        from symnn.export.layered import layered_module

        return layered_module(obj, **options)
    return torch_export.network_module(obj, **options)


def to_jax(obj: Any, **options: Any) -> Any:
    """JAX functions computing *obj*, differentiated by symnn's symbolic derivatives.

    * ``Activation`` -> ``f(x, **params)`` (a ``jax.custom_jvp``; ``jax.grad`` also
      differentiates with respect to the parameters);
    * ``VectorActivation`` -> ``f(z)`` along the last axis (:mod:`symnn.export.vector`);
    * ``Loss`` -> ``loss(yhat, y)``; option ``reduction``;
    * ``Network`` -> ``(params, apply_fn, loss_fn)``: ``apply_fn(params, X)``,
      ``loss_fn(params, X, y)``; ``params`` a dict of arrays ``W1, b1, ...`` (W is (in, out));
      for a network of layers also ``K1, ...`` (out, in, kh, kw).
    """
    kind = _kind(obj)
    from symnn.export import jax_export

    if kind == "activation":
        return jax_export.activation_function(obj, **options)
    if kind == "vector":
        from symnn.export.vector import jax_function

        return jax_function(obj, **options)
    if kind == "loss":
        return jax_export.loss_function(obj, **options)
    if kind == "layered":
        from symnn.export.layered import layered_functions

        return layered_functions(obj, **options)
    return jax_export.network_functions(obj, **options)


def load_weights(net: Any, source: Any) -> Any:
    """Copy trained weights into the symnn Network *net*; returns *net*.

    *source* is a torch module whose ``Linear`` (and ``Conv2d``) layers match the network's
    (such as the one ``net.to_torch()`` made), or a dict of arrays ``{"W1": ..., "b1": ...}``
    in symnn's layout (such as the ``params`` of ``net.to_jax()``).
    """
    kind = _kind(net)
    if kind not in ("network", "layered"):
        raise TypeError(f"load_weights copies into a Network, not {type(net).__name__}")
    if kind == "layered":
        from symnn.export import layered

        if hasattr(source, "modules") and hasattr(source, "state_dict"):
            layered.load_torch(net, source)
        else:
            layered.load_params(net, source)
        return net
    if hasattr(source, "modules") and hasattr(source, "state_dict"):
        from symnn.export.torch_export import load_weights as from_module

        from_module(net, source)
    else:
        from symnn.export.jax_export import load_params

        load_params(net, source)
    return net


def standalone_source(obj: Any, backend: str) -> str:
    """A self-contained Python module for the activation *obj* (what ``symnn export`` writes)."""
    from symnn.export.standalone import standalone_source as source

    return source(obj, backend)


_hooks.provide("to_torch", to_torch)
_hooks.provide("to_jax", to_jax)
_hooks.provide("load_weights_from", load_weights)
