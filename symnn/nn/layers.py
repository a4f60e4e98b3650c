r"""Layers as objects: ``Dense``, ``Conv2D``, ``MaxPool2D``, ``AvgPool2D``, ``Flatten``, ``Act``.

A layered network is a list of these after an input shape ``(channels, height,
width)``; images are NCHW and kernels ``(out, in, kh, kw)``, as in PyTorch. Every
spatial layer's output size follows

.. math::

    n_\text{out} = \left\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1

per dimension (input size *n*, kernel *k*, padding *p*, dilation *d*, stride *s*),
and a shape that would be empty is refused with the layer's name and position.

>>> conv_output_size(8, kernel=3, stride=1, padding=0, dilation=1)
6
>>> shapes((1, 8, 8), [Conv2D(8, 3), Act("relu"), MaxPool2D(2), Flatten(), Dense(10)])
[(8, 6, 6), (8, 6, 6), (8, 3, 3), (72,), (10,)]

:func:`parse_spec` reads the same network from a readable string:

>>> parse_spec("conv(8,3),relu,maxpool(2),flatten,dense(10)")
[Conv2D(8, 3), Act('relu'), MaxPool2D(2), Flatten(), Dense(10)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Act",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "conv_output_size",
    "expand",
    "parse_spec",
    "receptive_field",
    "shapes",
]

Shape = tuple[int, ...]


def _pair(name: str, value: Any, low: int, layer: str) -> tuple[int, int]:
    """An int or a pair of ints, each >= low, as a pair."""
    vals = value if isinstance(value, (tuple, list)) else (value, value)
    if len(vals) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair (h, w); got {value!r}")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(
                f"{layer}: {name} must be a whole number >= {low} (or a pair of them); got {value!r}"
            )
        out.append(int(v))
    return out[0], out[1]


def _show(value: tuple[int, int]) -> str:
    return str(value[0]) if value[0] == value[1] else str(value)


def conv_output_size(
    n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    r"""The output length :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1` (may be < 1).

    >>> conv_output_size(8, kernel=3, stride=2, padding=1)
    4
    >>> conv_output_size(5, kernel=3, dilation=2)
    1
    """
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Layer:
    """A layer: knows its output shape and its parameter count for an input shape."""

    def output_shape(self, shape: Shape, where: str = "") -> Shape:  # pragma: no cover
        raise NotImplementedError

    def n_params(self, shape: Shape) -> int:
        return 0

    @property
    def label(self) -> str:
        return type(self).__name__


def _need_image(layer: Layer, shape: Shape, where: str) -> None:
    if len(shape) != 3:
        raise ValueError(
            f"{where}{layer!r} takes images (channels, height, width), but its input has shape "
            f"{shape}; put it before Flatten(), or give the input shape as (C, H, W)"
        )


@dataclass(frozen=True)
class Dense(Layer):
    r"""A fully connected layer :math:`Z = A W + b` with ``W`` of shape (inputs, units).

    ``activation`` (optional) is applied after it, as if an :class:`Act` followed.
    """

    units: int
    activation: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.units, bool) or not isinstance(self.units, int) or self.units < 1:
            raise ValueError(f"Dense: units must be a positive whole number; got {self.units!r}")

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        if len(shape) != 1:
            raise ValueError(
                f"{where}{self!r} takes vectors, but its input has shape {shape}; "
                "put Flatten() before it"
            )
        return (self.units,)

    def n_params(self, shape: Shape) -> int:
        return shape[0] * self.units + self.units

    def __repr__(self) -> str:
        act = f", activation={self.activation!r}" if self.activation is not None else ""
        return f"Dense({self.units}{act})"


@dataclass(frozen=True, init=False)
class Conv2D(Layer):
    r"""A 2-D convolution (cross-correlation, as in PyTorch) of C_in channels into ``channels``.

    .. math::

        Z_{o,i,j} = b_o + \sum_{c,u,v} K_{o,c,u,v}\, X^{\text{pad}}_{c,\, s i + d u,\, s j + d v}

    Kernel ``(channels, C_in, kh, kw)``; ``kernel_size``, ``stride``, ``padding`` (zeros)
    and ``dilation`` are ints or pairs (h, w).
    """

    channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    activation: Any

    def __init__(
        self, channels: int, kernel_size, stride=1, padding=0, dilation=1, activation=None
    ):
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"Conv2D: channels must be a positive whole number; got {channels!r}")
        object.__setattr__(self, "channels", int(channels))
        object.__setattr__(self, "kernel_size", _pair("kernel_size", kernel_size, 1, "Conv2D"))
        object.__setattr__(self, "stride", _pair("stride", stride, 1, "Conv2D"))
        object.__setattr__(self, "padding", _pair("padding", padding, 0, "Conv2D"))
        object.__setattr__(self, "dilation", _pair("dilation", dilation, 1, "Conv2D"))
        object.__setattr__(self, "activation", activation)

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        _need_image(self, shape, where)
        _c, h, w = shape
        out = []
        for axis, n, k, s, p, d in zip(
            ("height", "width"),
            (h, w),
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            strict=True,
        ):
            m = conv_output_size(n, k, s, p, d)
            if m < 1:
                raise ValueError(
                    f"{where}{self!r}: input {axis} {n} is too small: floor(({n} + 2*{p} - "
                    f"{d}*({k} - 1) - 1)/{s}) + 1 = {m}; the dilated kernel spans {d * (k - 1) + 1} "
                    f"but the padded input only {n + 2 * p}; use a smaller kernel or dilation, "
                    "more padding, or a larger input"
                )
            out.append(m)
        return (self.channels, out[0], out[1])

    def n_params(self, shape: Shape) -> int:
        kh, kw = self.kernel_size
        return self.channels * shape[0] * kh * kw + self.channels

    def __repr__(self) -> str:
        extra = ""
        for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
            v = getattr(self, name)
            if v != (default, default):
                extra += f", {name}={_show(v)}"
        if self.activation is not None:
            extra += f", activation={self.activation!r}"
        return f"Conv2D({self.channels}, {_show(self.kernel_size)}{extra})"


@dataclass(frozen=True, init=False)
class _Pool(Layer):
    size: tuple[int, int]
    stride: tuple[int, int]

    def __init__(self, size, stride=None):
        name = type(self).__name__
        object.__setattr__(self, "size", _pair("size", size, 1, name))
        object.__setattr__(
            self, "stride", _pair("stride", size if stride is None else stride, 1, name)
        )

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        _need_image(self, shape, where)
        c, h, w = shape
        out = []
        for axis, n, k, s in zip(("height", "width"), (h, w), self.size, self.stride, strict=True):
            m = conv_output_size(n, k, s)
            if m < 1:
                raise ValueError(
                    f"{where}{self!r}: input {axis} {n} is smaller than the window {k}; "
                    "use a smaller pooling size or a larger input"
                )
            out.append(m)
        return (c, out[0], out[1])

    def __repr__(self) -> str:
        extra = "" if self.stride == self.size else f", stride={_show(self.stride)}"
        return f"{type(self).__name__}({_show(self.size)}{extra})"


class MaxPool2D(_Pool):
    r"""The largest value of every ``size`` window (stride = size unless given); no padding.

    The gradient goes to the arg-max of each window; on ties to the first (row-major), as
    PyTorch does.
    """


class AvgPool2D(_Pool):
    r"""The mean of every ``size`` window; the gradient is spread evenly, :math:`\delta / (k_h k_w)`."""


@dataclass(frozen=True)
class Flatten(Layer):
    """(C, H, W) -> (C*H*W,), in NCHW order as PyTorch's ``flatten(1)``."""

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        size = 1
        for s in shape:
            size *= s
        return (size,)

    def __repr__(self) -> str:
        return "Flatten()"


@dataclass(frozen=True)
class Act(Layer):
    """An elementwise activation (any catalogue name, formula or Activation)."""

    activation: Any

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        return shape

    def __repr__(self) -> str:
        return f"Act({self.activation!r})"

    @property
    def label(self) -> str:
        a = self.activation
        return f"Act({a if isinstance(a, str) else getattr(a, 'name', a)})"


def expand(layers: list[Layer]) -> list[Layer]:
    """``Conv2D(..., activation="relu")`` -> ``Conv2D(...), Act("relu")`` (and Dense likewise)."""
    out: list[Layer] = []
    for layer in layers:
        if isinstance(layer, (Dense, Conv2D)) and layer.activation is not None:
            bare = (
                Dense(layer.units)
                if isinstance(layer, Dense)
                else Conv2D(
                    layer.channels, layer.kernel_size, layer.stride, layer.padding, layer.dilation
                )
            )
            out += [bare, Act(layer.activation)]
        else:
            out.append(layer)
    return out


def shapes(input_shape: Shape, layers: list[Layer]) -> list[Shape]:
    """The output shape of every layer (errors name the layer and its position)."""
    shape = tuple(int(s) for s in input_shape)
    out = []
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"layer {i} is {layer!r}; layers are Dense, Conv2D, MaxPool2D, AvgPool2D, Flatten "
                "or Act objects (or give a list of widths like [3, 4, 1] for a dense network)"
            )
        shape = layer.output_shape(shape, where=f"layer {i}, ")
        out.append(shape)
    return out


# -- the readable spec ------------------------------------------------------------------------

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)
_KINDS = {
    "conv": Conv2D,
    "conv2d": Conv2D,
    "maxpool": MaxPool2D,
    "maxpool2d": MaxPool2D,
    "avgpool": AvgPool2D,
    "avgpool2d": AvgPool2D,
    "flatten": Flatten,
    "dense": Dense,
    "linear": Dense,
}
_SPEC_HELP = (
    'e.g. "conv(8,3),relu,maxpool(2),flatten,dense(10)": conv(channels,kernel[,stride=,'
    "padding=,dilation=]), maxpool(size[,stride=]), avgpool(size[,stride=]), flatten, "
    "dense(units), or an activation name or formula"
)


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _int(text: str, item: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(
            f"network spec item {item!r}: {text.strip()!r} is not a whole number"
        ) from None


def parse_spec(text: str) -> list[Layer]:
    """Layers from a readable spec such as ``"conv(8,3),relu,maxpool(2),flatten,dense(10)"``.

    Anything that is not a layer kind is an activation (``relu``, ``tanh``, ``x*tanh(x)``).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a network spec is a comma-separated list of layers, {_SPEC_HELP}")
    layers: list[Layer] = []
    for item in _split_top(text):
        item = item.strip()
        m = _CALL.match(item)
        kind = m.group(1).lower() if m else None
        if kind not in _KINDS:
            if not item:
                raise ValueError(f"the network spec {text!r} has an empty item; {_SPEC_HELP}")
            layers.append(Act(item))
            continue
        args, kwargs = [], {}
        if m.group(2) is not None and m.group(2).strip():
            for a in m.group(2).split(","):
                key, eq, value = a.partition("=")
                if eq:
                    kwargs[key.strip().lower()] = _int(value, item)
                else:
                    args.append(_int(key, item))
        try:
            layers.append(_KINDS[kind](*args, **kwargs))
        except TypeError:
            raise ValueError(f"network spec item {item!r} does not fit; {_SPEC_HELP}") from None
    return layers


# -- receptive fields ----------------------------------------------------------------------------


def receptive_field(
    input_shape: Shape, layers: list[Layer], layer: int, position: tuple[int, int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The input pixels one output element of *layer* (1-based) depends on, and where the
    first layer's windows that reach it sit.

    Returns ``(pixels, windows)``: the (row, column) input positions in the receptive
    field (padding excluded), and the positions (i, j) of the first layer's outputs that
    lead to the element (each a kernel or pooling window on the input). Every channel of
    a spatial layer looks at every channel below it, so the field is the same for all.

    >>> pixels, windows = receptive_field((1, 8, 8), [Conv2D(1, 3), MaxPool2D(2)], 2, (0, 0))
    >>> len(pixels), windows
    (16, [(0, 0), (0, 1), (1, 0), (1, 1)])
    """
    all_shapes = [tuple(input_shape), *shapes(input_shape, layers)]
    if not 1 <= layer <= len(layers):
        raise ValueError(f"layer must be 1 to {len(layers)}; got {layer}")
    for k in range(layer):
        if len(all_shapes[k + 1]) != 3:
            raise ValueError(
                f"layer {k + 1} ({layers[k]!r}) is not spatial: a receptive field belongs to the "
                "layers before Flatten"
            )
    _, oh, ow = all_shapes[layer]
    i0, j0 = position
    if not (0 <= i0 < oh and 0 <= j0 < ow):
        raise ValueError(f"position {position} is outside layer {layer}'s output of {oh}x{ow}")
    current = {(i0, j0)}
    windows: list[tuple[int, int]] = []
    for k in range(layer, 0, -1):
        la = layers[k - 1]
        _, h, w = all_shapes[k - 1]
        if k == 1:
            windows = sorted(current)
        if isinstance(la, Conv2D):
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = la.kernel_size, la.stride, la.padding, la.dilation
        elif isinstance(la, _Pool):
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = la.size, la.stride, (0, 0), (1, 1)
        else:  # elementwise
            continue
        below = set()
        for i, j in current:
            for u in range(kh):
                for v in range(kw):
                    r, c = sh * i + dh * u - ph, sw * j + dw * v - pw
                    if 0 <= r < h and 0 <= c < w:
                        below.add((r, c))
        current = below
    return sorted(current), windows
