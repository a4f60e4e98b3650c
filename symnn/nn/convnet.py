r"""Layered networks: convolutions, pooling and dense layers, trained with generated NumPy code.

``symnn.Network`` builds one of these when it is given layer objects instead of widths:

>>> import symnn as sn
>>> from symnn.nn.layers import Conv2D, MaxPool2D, Flatten, Dense
>>> net = sn.Network([Conv2D(4, 3, activation="relu"), MaxPool2D(2), Flatten(), Dense(10)],
...                  input_shape=(1, 8, 8), seed=0)
>>> print(net.summary())
layer                     output shape     parameters
input                     (1, 8, 8)                 0
1  Conv2D(4, 3)           (4, 6, 6)                40
2  Act(relu)              (4, 6, 6)                 0
3  MaxPool2D(2)           (4, 3, 3)                 0
4  Flatten()              (36,)                     0
5  Dense(10)              (10,)                   370
output softmax            (10,)                     0
total                                             410
loss: softmax_cross_entropy (mean)

The default loss is the softmax cross-entropy (fused with the softmax output). Images
are NCHW, kernels ``(out, in, kh, kw)`` as in PyTorch; dense weights ``(inputs, units)``
as in the rest of symnn. Parameters are named ``K1, b1`` (a convolution's kernel and
bias), ``W2, b2`` (a dense layer's), numbered by layer with parameters.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from symnn._random import make_rng
from symnn._validation import as_float_array
from symnn.catalogue.activations import Activation, as_activation
from symnn.catalogue.initializers import Initializer, initializer
from symnn.catalogue.losses import Loss, as_loss
from symnn.catalogue.regularizers import Objective
from symnn.catalogue.vector import VectorActivation
from symnn.nn.convcode import ConvSpec, build
from symnn.nn.layers import Act, Conv2D, Dense, Flatten, Layer, expand, shapes
from symnn.nn.trained import NetworkMethods

__all__ = ["LayeredNetwork", "Summary", "is_layered"]


def is_layered(layers: Any) -> bool:
    """Whether *layers* describes a layered network (layer objects) rather than widths."""
    if isinstance(layers, str):
        return True
    try:
        items = list(layers)
    except TypeError:
        return False
    return any(isinstance(x, Layer) for x in items)


@dataclass(frozen=True)
class Summary:
    """Every layer's output shape and parameter count (``print(net.summary())``)."""

    rows: tuple[tuple[str, tuple[int, ...], int], ...]
    loss: str

    @property
    def total(self) -> int:
        return sum(r[2] for r in self.rows)

    def __str__(self) -> str:
        lines = [f"{'layer':<25} {'output shape':<15} {'parameters':>11}"]
        for name, shape, count in self.rows:
            lines.append(f"{name:<25} {shape!s:<15} {count:>11,}")
        lines.append(f"{'total':<25} {'':<15} {self.total:>11,}")
        lines.append(f"loss: {self.loss}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        body = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{s}</td><td>{c:,}</td></tr>" for n, s, c in self.rows
        )
        return (
            "<table><tr><th>layer</th><th>output shape</th><th>parameters</th></tr>"
            f"{body}<tr><th>total</th><td></td><th>{self.total:,}</th></tr></table>"
        )


def _input_shape(first: Any, given: Any) -> tuple[tuple[int, ...] | None, bool]:
    """The input shape (C, H, W) or (features,), and whether the layer list began with it."""
    if isinstance(first, (tuple, list)) and not isinstance(first, Layer):
        return _check_shape(first), True
    return (_check_shape(given) if given is not None else None), False


def _check_shape(shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(shape) if not isinstance(shape, int) else (shape,)
    except TypeError:
        dims = ()
    if len(dims) not in (1, 3) or any(
        isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims
    ):
        raise ValueError(
            f"input_shape must be (channels, height, width) for images, e.g. (1, 8, 8), or "
            f"(features,); got {shape!r}"
        )
    return tuple(int(d) for d in dims)


class LayeredNetwork(NetworkMethods):
    r"""A network of layer objects (see the module docstring); ``symnn.Network`` makes it.

    Parameters
    ----------
    layers : a list of :mod:`symnn.nn.layers` objects (``Conv2D``, ``MaxPool2D``,
        ``AvgPool2D``, ``Flatten``, ``Dense``, ``Act``), optionally preceded by the input
        shape, or a spec string such as ``"conv(8,3),relu,maxpool(2),flatten,dense(10)"``.
        The last weight layer must be ``Dense``: it is the output layer.
    input_shape : ``(channels, height, width)`` (unless the list starts with it).
    output_activation, loss, bias, init, seed : as for the dense :class:`~symnn.Network`;
        the loss defaults to ``"cross_entropy"`` (softmax output).
    """

    def __init__(
        self,
        layers: Sequence[Any] | str,
        activation: Any = None,
        output_activation: str | Activation | None = None,
        loss: str | Loss | Objective = "cross_entropy",
        bias: bool = True,
        init: str | Initializer | None = None,
        seed: int | np.random.Generator | None = None,
        *,
        input_shape: Sequence[int] | None = None,
        dense: type,
    ) -> None:
        # the dense Network class (symnn.nn.network, which makes this one): its output layer,
        # loss handling, parameter mapping and activation maths are reused, not repeated
        dense_module = sys.modules[dense.__module__]
        Params, self._layer_math = dense_module.Params, dense_module._layer_math
        max_params = dense_module.MAX_PARAMS
        if isinstance(layers, str):
            from symnn.nn.layers import parse_spec

            layers = parse_spec(layers)
        items = list(layers)
        shape, leading = _input_shape(items[0] if items else None, input_shape)
        if leading:
            items = items[1:]
        if shape is None:
            raise ValueError(
                "a network of layers needs the input shape: Network([...], input_shape=(1, 8, 8)) "
                "for 1-channel 8x8 images, or start the list with the shape"
            )
        if activation is not None:
            raise ValueError(
                "a network of layers takes its activations as layers: Conv2D(8, 3, activation="
                "'relu'), Dense(16, activation='tanh') or Act('relu'); leave activation= unset"
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, not {bias!r}")
        flat = expand(items)
        if flat and isinstance(flat[-1], Act) and output_activation is None:
            output_activation = flat.pop().activation  # "dense(10),softmax": the output's
        if not flat or not isinstance(flat[-1], Dense):
            raise ValueError(
                "the last layer of a network of layers must be Dense (the output layer), e.g. "
                "[..., Flatten(), Dense(10)]; got " + (repr(flat[-1]) if flat else "no layers")
            )
        self.input_shape = shape
        self.layer_list: tuple[Layer, ...] = tuple(flat)
        self.shapes = tuple(shapes(shape, flat))
        self.bias = bias
        # the output layer and the loss, resolved exactly as for a dense network
        base = loss.loss if isinstance(loss, Objective) else loss
        base = base if isinstance(base, Loss) else as_loss(base)
        out_act = output_activation if output_activation is not None else base.output
        fan = self.shapes[-2][0] if len(self.shapes) > 1 else shape[0]
        if (len(self.shapes) > 1 and len(self.shapes[-2]) != 1) or (
            len(self.shapes) == 1 and len(shape) != 1
        ):
            raise ValueError(
                "Dense needs a vector input: put Flatten() before the last Dense layer"
            )
        self._tail = dense(
            [fan, self.shapes[-1][0]],
            activation="identity",
            output_activation=out_act,
            loss=loss,
            bias=bias,
        )
        if isinstance(self._tail.activations[-1], VectorActivation):
            name = self._tail.activations[-1].name
            raise ValueError(
                f"the output activation {name!r} is a vector activation, which a network of "
                "layers does not apply to its last Dense layer yet; use an elementwise output "
                "activation, softmax with loss='cross_entropy' (fused), or a dense network "
                f"(sn.Network([d, h, k], output_activation={name!r}))"
            )
        self.loss = self._tail.loss
        self.regularizers = self._tail.regularizers
        self.softmax_output = self._tail.softmax_output
        self.acts: list[Activation | None] = [
            (a.activation if isinstance(a.activation, Activation) else as_activation(a.activation))
            if isinstance(a, Act)
            else None
            for a in flat
        ]
        self.activations = [a for a in self.acts if a is not None] + [self._tail.activations[-1]]
        first_act = next((a for a in self.acts if a is not None), None)
        if init is None:
            init = first_act.init if first_act is not None else "xavier_uniform"
        self.init = init if isinstance(init, Initializer) else initializer(init)
        count = self.n_params_for()
        if count > max_params:
            raise ValueError(
                f"these layers give {count:,} parameters; symnn allocates at most {max_params:,}: "
                "use fewer channels or units"
            )
        rng = make_rng(seed)
        arrays: dict[str, np.ndarray] = {}
        j = 0
        ins = [shape, *self.shapes[:-1]]
        for layer, s_in in zip(flat, ins, strict=True):
            if isinstance(layer, Conv2D):
                j += 1
                kh, kw = layer.kernel_size
                k = self.init((kh, kw, s_in[0], layer.channels), seed=rng)
                arrays[f"K{j}"] = np.ascontiguousarray(k.transpose(3, 2, 0, 1), dtype=float)
                if bias:
                    arrays[f"b{j}"] = np.zeros(layer.channels)
            elif isinstance(layer, Dense):
                j += 1
                arrays[f"W{j}"] = np.ascontiguousarray(self.init((s_in[0], layer.units), seed=rng))
                if bias:
                    arrays[f"b{j}"] = np.zeros(layer.units)
        self._params = Params(arrays)

    def n_params_for(self) -> int:
        ins = [self.input_shape, *self.shapes[:-1]]
        return sum(
            layer.n_params(s) - (0 if self.bias else _bias_count(layer))
            for layer, s in zip(self.layer_list, ins, strict=True)
        )

    # -- parameters --------------------------------------------------------------------------
    @property
    def params(self):
        """The parameters ``K1, b1, ..., W5, b5`` (an ordered, assignable mapping of arrays)."""
        return self._params

    @property
    def n_params(self) -> int:
        return sum(a.size for a in self._params.values())

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self.layer_list

    @property
    def depth(self) -> int:
        return len(self.layer_list)

    def summary(self) -> Summary:
        """Every layer's output shape and parameter count, and the total."""
        ins = [self.input_shape, *self.shapes[:-1]]
        rows = [("input", self.input_shape, 0)]
        for i, (layer, s_in, s_out) in enumerate(
            zip(self.layer_list, ins, self.shapes, strict=True), start=1
        ):
            count = layer.n_params(s_in) - (0 if self.bias else _bias_count(layer))
            name = layer.label if isinstance(layer, Act) else repr(layer)
            rows.append((f"{i:<2} {name}", s_out, count))
        out = "softmax" if self.softmax_output else self.activations[-1].name
        rows.append((f"output {out}", self.shapes[-1], 0))
        return Summary(tuple(rows), f"{self.loss.name} ({self.loss.reduction})")

    def __repr__(self) -> str:
        inner = ", ".join(repr(x) for x in self.layer_list)
        out = "softmax" if self.softmax_output else self.activations[-1].name
        return (
            f"Network([{inner}], input_shape={self.input_shape}, output={out}, "
            f"loss={self.loss.name!r}, bias={self.bias})"
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    # -- generated code ------------------------------------------------------------------------
    @cached_property
    def spec(self) -> ConvSpec:
        tail = self._tail.spec
        acts = tuple(self._layer_math(a) if a is not None else None for a in self.acts)
        return ConvSpec(
            self.input_shape,
            self.layer_list,
            self.shapes,
            acts,
            self.bias,
            tail.layers[-1],
            tail.loss_expr,
            tail.delta_expr,
            tail.fused_softmax,
            tail.y_symbol,
        )

    @cached_property
    def _code(self) -> tuple[str, dict]:
        return build(self.spec, {k: v.shape for k, v in self._params.items()})

    def source(self) -> str:
        """The generated NumPy source (im2col convolution, pooling, dense, loss, updates)."""
        return self._code[0]

    def _make(self, n: int):
        cache = self.__dict__.setdefault("_workspaces", {})
        if n not in cache:
            scale = 1.0 / self.loss.divisor((n, self.shapes[-1][0]))
            cache[n] = self._code[1]["make"](n, scale)
        return cache[n]

    def workspace(self, n: int):
        """``(gradient, grads)`` for a batch of *n* samples (buffers allocated once per size)."""
        gradient, grads, _, _ = self._make(n)
        return gradient, grads

    def jit_kernels(self) -> None:
        """None: a network of layers trains with its generated NumPy code (no numba kernels)."""
        return None

    def updater(self, name: str, flat: bool = False):
        """The generated in-place update of the optimiser *name* (*flat*: on one flat array of
        all parameters, as :meth:`symnn.Network.updater`)."""
        return self._code[1][f"{name}_flat" if flat else name]

    # -- numbers ---------------------------------------------------------------------------------
    def _batches(self, X: np.ndarray, size: int = 512):
        for start in range(0, X.shape[0], size):
            yield X[start : start + size]

    def predict(self, X) -> np.ndarray:
        """The network's output for the samples X (probabilities for a softmax output)."""
        X = self.check_X(X)
        parts = []
        for Xb in self._batches(X):
            forward = self._make(Xb.shape[0])[2]
            parts.append(forward(Xb, *self._params.values()).copy())
        return np.concatenate(parts)

    def layer_outputs(self, X) -> list[np.ndarray]:
        """Every layer's output for the samples X (copies), in layer order; the last is the
        output layer's pre-activation (logits)."""
        X = self.check_X(X)
        _, _, forward, outputs = self._make(X.shape[0])
        forward(X, *self._params.values())
        return [o.copy() for o in outputs]

    def hidden_activations(self, X) -> list[np.ndarray]:
        """The outputs of the activation layers on vectors (after Flatten), for diagnostics."""
        outs = self.layer_outputs(X)
        return [
            o
            for o, la, s in zip(outs, self.layer_list, self.shapes, strict=True)
            if isinstance(la, Act) and len(s) == 1
        ]

    def loss_value(self, X, y) -> float:
        X, Y = self.check_data(X, y)
        gradient, _ = self.workspace(X.shape[0])
        return float(gradient(X, Y, *self._params.values()))

    def gradients(self, X, y) -> dict[str, np.ndarray]:
        X, Y = self.check_data(X, y)
        gradient, grads = self.workspace(X.shape[0])
        gradient(X, Y, *self._params.values())
        return {k: g.copy() for k, g in zip(self._params, grads, strict=True)}

    def accuracy(self, X, y) -> float:
        """The share of samples classified right (largest output; one output: threshold)."""
        X, Y = self.check_data(X, y)
        out = self.predict(X)
        if out.shape[1] == 1:
            threshold = self._tail.decision_threshold(Y)
            return float(np.mean((out > threshold) == (threshold < Y)))
        return float(np.mean(out.argmax(axis=1) == Y.argmax(axis=1)))

    # -- symbolic views ----------------------------------------------------------------------------
    def formula(self):
        """The forward pass layer by layer, in index notation."""
        from symnn.nn.conv import formula

        return formula(self)

    def backprop(self):
        """The compact backpropagation rules of every layer (convolution, pooling, dense)."""
        from symnn.nn.conv import backprop

        return backprop(self)

    def derive(self):
        """How the convolution, pooling and dense rules come out of the chain rule, step by
        step (:mod:`symnn.nn.convderivation`): text, ``latex()``, ``to_markdown()``,
        ``to_latex_document()``, and ``evaluate(X, y)`` for every stated equation."""
        from symnn.nn.convderivation import derive_layered

        return derive_layered(self)

    def expanded(self, max_terms: int | None = None):
        """Every weight and input a scalar symbol: the loss of one sample and its exact
        derivatives (small networks only, see :data:`symnn.nn.conv.MAX_EXPANDED_TERMS`)."""
        from symnn.nn.conv import expanded

        return expanded(self) if max_terms is None else expanded(self, max_terms=max_terms)

    # -- input checks ----------------------------------------------------------------------------
    def check_X(self, X) -> np.ndarray:
        arr = as_float_array(X, "X")
        want = self.input_shape
        size = int(np.prod(want))
        if arr.ndim == len(want) and arr.shape == want:
            arr = arr[None]  # one sample
        if arr.ndim == 2 and arr.shape[1] == size and len(want) == 3:
            arr = arr.reshape(-1, *want)
        if arr.ndim != len(want) + 1 or arr.shape[1:] != want:
            raise ValueError(
                f"X has shape {arr.shape} but the network takes samples of shape {want}: pass X "
                f"of shape (n, {', '.join(map(str, want))})"
                + (f" or (n, {size})" if len(want) == 3 else "")
            )
        if arr.shape[0] == 0:
            raise ValueError("X has no samples")
        if not np.all(np.isfinite(arr)):
            raise ValueError("X contains NaN or inf")
        return np.ascontiguousarray(arr)

    def check_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X = self.check_X(X)
        _, Y = self._tail.check_data(np.zeros((X.shape[0], self._tail.layers[0])), y)
        return X, Y


def _bias_count(layer: Layer) -> int:
    if isinstance(layer, Conv2D):
        return layer.channels
    if isinstance(layer, Dense):
        return layer.units
    return 0


_ = Flatten  # re-exported names used in the doctest
