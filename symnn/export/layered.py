r"""Networks of layers (:class:`~symnn.nn.convnet.LayeredNetwork`) for PyTorch and JAX.

The layers map one to one, with symnn's conventions (NCHW images, kernels
``(out, in, kh, kw)``, cross-correlation, no padding in pooling, ``flatten(1)`` order):

====================  =========================  ==============================================
symnn                 PyTorch                    JAX
====================  =========================  ==============================================
``Conv2D``            ``nn.Conv2d`` (stride,     ``lax.conv_general_dilated`` (padding,
                      padding, dilation)         ``rhs_dilation``)
``MaxPool2D``         ``nn.MaxPool2d``           ``lax.reduce_window`` with ``max``
``AvgPool2D``         ``nn.AvgPool2d``           ``lax.reduce_window`` with ``add``, / window size
``Flatten``           ``nn.Flatten``             ``reshape(n, -1)``
``Dense``             ``nn.Linear`` (W.T)        ``A @ W + b`` (symnn's W (in, out))
``Act``               the exported activation    the exported activation
====================  =========================  ==============================================

after them the output activation and the loss, as for a dense network. The parameters
are ``K1, b1, ..., W5, b5`` as in ``net.params``; :func:`load_torch` and :func:`load_params`
copy trained values back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from symnn.nn.convnet import LayeredNetwork
from symnn.nn.layers import Act, AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D

__all__ = [
    "layered_functions",
    "layered_module",
    "load_params",
    "load_torch",
    "weight_layers",
]


def weight_layers(net: LayeredNetwork) -> list[tuple[int, Any]]:
    """``(j, layer)`` for each Conv2D and Dense layer: its parameters are ``K<j>``/``W<j>``, ``b<j>``."""
    out, j = [], 0
    for layer in net.layer_list:
        if isinstance(layer, (Conv2D, Dense)):
            j += 1
            out.append((j, layer))
    return out


def _image(X, net: LayeredNetwork):
    """(n, C*H*W) samples as (n, C, H, W), as ``net.check_X`` takes them."""
    if X.ndim == 2 and len(net.input_shape) == 3:
        return X.reshape(X.shape[0], *net.input_shape)
    return X


# ------------------------------------------------------------------------------
# PyTorch
# ------------------------------------------------------------------------------


@functools.cache
def _module_class():
    from symnn.export.torch_export import _classes, _torch

    torch = _torch()
    nn = torch.nn
    SymnnActivation, SymnnLoss, _ = _classes()

    class SymnnLayeredNetwork(nn.Module):
        """A symnn network of layers as a module: ``body`` (``Conv2d``, pooling, ``Flatten``,
        ``Linear``, symnn activations), the output activation ``out`` and the symnn ``loss``.

        ``forward(X)`` gives what the loss takes (logits for a softmax output), ``predict(X)``
        what ``net.predict`` gives, ``loss_fn(X, y)`` the loss. X is (n, C, H, W) or (n, C*H*W).
        """

        def __init__(self, net: LayeredNetwork, dtype=None) -> None:
            super().__init__()
            dtype = dtype or torch.float64
            self.input_shape = tuple(net.input_shape)
            self.softmax_output = net.softmax_output
            body = []
            ins = [net.input_shape, *net.shapes[:-1]]
            j = 0
            for layer, s_in in zip(net.layer_list, ins, strict=True):
                if isinstance(layer, Conv2D):
                    j += 1
                    m = nn.Conv2d(s_in[0], layer.channels, layer.kernel_size, stride=layer.stride,
                                  padding=layer.padding, dilation=layer.dilation, bias=net.bias,
                                  dtype=dtype)  # fmt: skip
                    with torch.no_grad():
                        m.weight.copy_(torch.as_tensor(np.array(net.params[f"K{j}"])))
                        if net.bias:
                            m.bias.copy_(torch.as_tensor(np.array(net.params[f"b{j}"])))
                elif isinstance(layer, Dense):
                    j += 1
                    m = nn.Linear(s_in[0], layer.units, bias=net.bias, dtype=dtype)
                    with torch.no_grad():  # symnn: Z = A W + b with W (in, out); torch: (out, in)
                        m.weight.copy_(torch.as_tensor(np.array(net.params[f"W{j}"]).T.copy()))
                        if net.bias:
                            m.bias.copy_(torch.as_tensor(np.array(net.params[f"b{j}"])))
                elif isinstance(layer, MaxPool2D):
                    m = nn.MaxPool2d(layer.size, stride=layer.stride)
                elif isinstance(layer, AvgPool2D):
                    m = nn.AvgPool2d(layer.size, stride=layer.stride)
                elif isinstance(layer, Flatten):
                    m = nn.Flatten()
                elif isinstance(layer, Act):
                    m = SymnnActivation(net.acts[len(body)], dtype=dtype)
                else:  # pragma: no cover - every layer kind is listed above
                    raise TypeError(f"export to torch: no counterpart for the layer {layer!r}")
                body.append(m)
            self.body = nn.Sequential(*body)
            self.out = SymnnActivation(net.activations[-1], dtype=dtype)  # elementwise: see LayeredNetwork
            self.loss = SymnnLoss(net.loss)

        def forward(self, X):
            if X.dim() == 2 and len(self.input_shape) == 3:
                X = X.reshape(X.shape[0], *self.input_shape)
            return self.out(self.body(X))

        def predict(self, X):
            out = self(X)
            return torch.softmax(out, dim=-1) if self.softmax_output else out

        def loss_fn(self, X, y):
            return self.loss(self(X), y)

    return SymnnLayeredNetwork


def layered_module(net: LayeredNetwork, dtype=None):
    """``net`` as a ``torch.nn.Module`` with the same layers, weights, activations and loss."""
    return _module_class()(net, dtype)


def load_torch(net: LayeredNetwork, module: Any) -> None:
    """Copy the weights of a module with ``net``'s ``Conv2d`` and ``Linear`` layers (in order)."""
    from symnn.export.torch_export import _torch

    torch = _torch()
    found = [m for m in module.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    wanted = weight_layers(net)
    kinds = ", ".join("Conv2d" if isinstance(la, Conv2D) else "Linear" for _, la in wanted)
    if len(found) != len(wanted):
        raise ValueError(
            f"the module has {len(found)} Conv2d/Linear layers but the network has {len(wanted)} "
            f"weight layers ({kinds}); load from the module network.to_torch() made"
        )
    values = {}
    for (j, layer), m in zip(wanted, found, strict=True):
        conv = isinstance(layer, Conv2D)
        if conv != isinstance(m, torch.nn.Conv2d):
            raise ValueError(
                f"weight layer {j} of the network is {layer!r} but the module's is "
                f"{type(m).__name__}; the layers must be {kinds}, in order"
            )
        key = f"K{j}" if conv else f"W{j}"
        w = m.weight.detach().to("cpu", torch.float64).numpy()
        values[key] = w if conv else w.T
        if net.bias:
            if m.bias is None:
                raise ValueError(f"layer {j} of the module has no bias but the network has biases")
            values[f"b{j}"] = m.bias.detach().to("cpu", torch.float64).numpy()
        elif m.bias is not None and bool((m.bias != 0).any()):
            raise ValueError(f"layer {j} of the module has a nonzero bias but the network has none")
    _assign(net, values, "the module")


def _assign(net: LayeredNetwork, values: Mapping[str, Any], source: str) -> None:
    """Check every array (names, shapes, finite) and only then copy them into ``net``."""
    names = list(net.params)
    missing = [k for k in names if k not in values]
    extra = [k for k in values if k not in net.params]
    if missing or extra:
        raise ValueError(
            f"{source} must give exactly the parameters {', '.join(names)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    arrays = {}
    for k in names:
        a = np.asarray(values[k], dtype=np.float64)
        if a.shape != net.params[k].shape:
            raise ValueError(
                f"parameter {k} has shape {net.params[k].shape} in the network but {a.shape} in "
                f"{source}"
            )
        if not np.all(np.isfinite(a)):
            raise ValueError(f"parameter {k} in {source} contains NaN or inf")
        arrays[k] = a
    for k, a in arrays.items():
        net.params[k] = a


# ------------------------------------------------------------------------------
# JAX
# ------------------------------------------------------------------------------


def layered_functions(net: LayeredNetwork) -> tuple[dict[str, Any], Callable, Callable]:
    """``(params, apply_fn, loss_fn)``: ``apply_fn(params, X)`` gives what the loss takes
    (logits for a softmax output), ``loss_fn(params, X, y)`` the loss; ``params`` holds
    ``K<j>`` (out, in, kh, kw), ``W<j>`` (in, out) and ``b<j>`` as in ``net.params``."""
    from symnn.export.jax_export import _jax, activation_function, loss_function

    jax, jnp = _jax()
    lax = jax.lax
    params = {k: jnp.asarray(np.array(v)) for k, v in net.params.items()}
    steps: list[Callable] = []
    j = 0
    for i, layer in enumerate(net.layer_list):
        if isinstance(layer, Conv2D):
            j += 1
            steps.append(functools.partial(_conv, lax, layer, f"K{j}", f"b{j}" if net.bias else None))
        elif isinstance(layer, Dense):
            j += 1
            steps.append(functools.partial(_dense, f"W{j}", f"b{j}" if net.bias else None))
        elif isinstance(layer, MaxPool2D):
            steps.append(functools.partial(_pool, lax, layer, "max"))
        elif isinstance(layer, AvgPool2D):
            steps.append(functools.partial(_pool, lax, layer, "mean"))
        elif isinstance(layer, Flatten):
            steps.append(lambda p, A: A.reshape(A.shape[0], -1))
        elif isinstance(layer, Act):
            act = activation_function(net.acts[i])
            steps.append(lambda p, A, act=act: act(A))
        else:  # pragma: no cover - every layer kind is listed above
            raise TypeError(f"export to JAX: no counterpart for the layer {layer!r}")
    out = activation_function(net.activations[-1])
    loss = loss_function(net.loss)
    shape = tuple(net.input_shape)

    def apply_fn(p, X):
        A = jnp.asarray(X)
        if A.ndim == 2 and len(shape) == 3:
            A = A.reshape(A.shape[0], *shape)
        for step in steps:
            A = step(p, A)
        return out(A)

    def loss_fn(p, X, y):
        return loss(apply_fn(p, X), y)

    return params, apply_fn, loss_fn


def _conv(lax, layer: Conv2D, k: str, b: str | None, p, A):
    Z = lax.conv_general_dilated(
        A, p[k], window_strides=layer.stride, padding=[(q, q) for q in layer.padding],
        rhs_dilation=layer.dilation, dimension_numbers=("NCHW", "OIHW", "NCHW"),
        precision=lax.Precision.HIGHEST,
    )  # fmt: skip
    return Z if b is None else Z + p[b][None, :, None, None]


def _dense(w: str, b: str | None, p, A):
    Z = A @ p[w]
    return Z if b is None else Z + p[b]


def _pool(lax, layer, kind: str, p, A):
    window = (1, 1, *layer.size)
    strides = (1, 1, *layer.stride)
    if kind == "max":
        return lax.reduce_window(A, -np.inf, lax.max, window, strides, "VALID")
    total = lax.reduce_window(A, 0.0, lax.add, window, strides, "VALID")
    return total / (layer.size[0] * layer.size[1])


def load_params(net: LayeredNetwork, params: Mapping[str, Any]) -> None:
    """Copy a pytree ``{"K1": ..., "b1": ..., "W3": ...}`` (symnn's layout) into ``net``."""
    if not isinstance(params, Mapping):
        raise TypeError(
            f"load_weights_from takes a torch module or a dict of arrays like net.to_jax()[0], "
            f"not {type(params).__name__}"
        )
    _assign(net, {k: np.asarray(v) for k, v in params.items()}, "the params")
