r"""Pictures of a convolutional network: its kernels, its feature maps, a receptive field.

* :func:`plot_kernels` -- every kernel slice :math:`K_{o,c}` of a convolution, one image
  per (output, input) channel pair, on one colour scale symmetric about 0;
* :func:`plot_feature_maps` -- an image and every channel of a layer's output on it;
* :func:`plot_receptive_field` -- the input pixels one output element depends on, with
  the first layer's kernel windows that reach it (and the kernel taps, which show the
  dilation's gaps).

The grids return their Figure; :func:`plot_receptive_field` takes ``ax=None`` and returns
the Axes. Every image carries a ``gid`` naming what it shows (``"K1[0,0]"``,
``"A2[3]"``, ``"input"``), so tests and users can find it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symnn.nn.layers import Conv2D, receptive_field
from symnn.views.plotting.axes import axes_for

__all__ = ["plot_feature_maps", "plot_kernels", "plot_receptive_field"]


def _layered(net: Any) -> None:
    if not hasattr(net, "layer_outputs"):
        raise TypeError(
            "this picture belongs to a network of layers: symnn.Network([Conv2D(...), ...], "
            "input_shape=(C, H, W)) or a spec such as 'conv(8,3),relu,maxpool(2),flatten,dense(10)'"
        )


def _conv_layer(net: Any, layer: int | None) -> tuple[int, str]:
    """The 1-based position of a convolution in ``net.layers`` and its kernel's name."""
    convs = [i for i, la in enumerate(net.layers, 1) if isinstance(la, Conv2D)]
    if not convs:
        raise ValueError("the network has no Conv2D layer to draw kernels of")
    if layer is None:
        layer = convs[0]
    if layer not in convs:
        raise ValueError(f"layer {layer} is not a convolution; the convolutions are layers {convs}")
    j = 1 + sum(
        1 for la in net.layers[: layer - 1] if type(la).__name__ in ("Conv2D", "Dense")
    )
    return layer, f"K{j}"


def _grid(count: int, cols: int | None = None) -> tuple[int, int]:
    cols = cols or min(count, 5)
    return math.ceil(count / cols), cols


def plot_kernels(net: Any, layer: int | None = None) -> Any:
    r"""Every slice :math:`K_{o,c}` of a convolution's kernel (default: the first convolution).

    Rows are output channels *o*, columns input channels *c*; one colour scale, symmetric
    about 0 (red positive, blue negative), with a colour bar.

    >>> import symnn as sn
    >>> net = sn.Network("conv(3,3),relu,flatten,dense(2)", input_shape=(2, 5, 5), seed=0)
    >>> fig = plot_kernels(net)
    >>> [im.get_gid() for ax in fig.axes for im in ax.images][:3]
    ['K1[0,0]', 'K1[0,1]', 'K1[1,0]']
    """
    import matplotlib.pyplot as plt

    _layered(net)
    layer, name = _conv_layer(net, layer)
    K = np.asarray(net.params[name])
    co, ci = K.shape[:2]
    scale = float(np.max(np.abs(K))) or 1.0
    # one input channel: the kernels side by side; else rows = outputs, columns = inputs
    rows, cols = _grid(co, min(co, 8)) if ci == 1 else (co, ci)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols + 1.4, 1.4 * rows + 0.6), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    image = None
    for o in range(co):
        for c in range(ci):
            ax = axes.ravel()[o] if ci == 1 else axes[o, c]
            ax.set_axis_on()
            image = ax.imshow(K[o, c], cmap="RdBu_r", vmin=-scale, vmax=scale)
            image.set_gid(f"{name}[{o},{c}]")
            ax.set_xticks([])
            ax.set_yticks([])
            if ci == 1:
                ax.set_title(f"out {o}", fontsize=8)
                continue
            if o == 0:
                ax.set_title(f"in {c}", fontsize=8)
            if c == 0:
                ax.set_ylabel(f"out {o}", fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(f"kernels {name} of layer {layer}, {net.layers[layer - 1]!r}", fontsize=10)
    return fig


def plot_feature_maps(net: Any, image: Any, layer: int | None = None) -> Any:
    """The image and every channel of *layer*'s output on it (default: the first activation
    after the first convolution, else the first convolution).

    >>> import numpy as np, symnn as sn
    >>> net = sn.Network("conv(2,3),relu,flatten,dense(2)", input_shape=(1, 5, 5), seed=0)
    >>> fig = plot_feature_maps(net, np.ones((1, 5, 5)))
    >>> [im.get_gid() for ax in fig.axes for im in ax.images]
    ['input', 'A2[0]', 'A2[1]']
    """
    import matplotlib.pyplot as plt

    _layered(net)
    X = net.check_X(image)
    if X.shape[0] != 1:
        raise ValueError(f"image must be one sample of shape {net.input_shape}; got {X.shape[0]}")
    if layer is None:
        first, _ = _conv_layer(net, None)
        after = net.layers[first] if first < len(net.layers) else None
        layer = first + 1 if type(after).__name__ == "Act" else first
    if not 1 <= layer <= len(net.layers) or len(net.shapes[layer - 1]) != 3:
        spatial = [i for i, s in enumerate(net.shapes, 1) if len(s) == 3]
        raise ValueError(f"layer {layer} has no feature maps; the layers with maps are {spatial}")
    maps = net.layer_outputs(X)[layer - 1][0]
    count = maps.shape[0] + 1
    rows, cols = _grid(count)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.7 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    first_ax = axes[0, 0]
    shown = X[0, 0] if X.shape[1] == 1 else X[0].mean(axis=0)
    first_ax.imshow(shown, cmap="gray_r").set_gid("input")
    first_ax.set_title("input" if X.shape[1] == 1 else "input (mean)", fontsize=8)
    for c in range(maps.shape[0]):
        ax = axes.ravel()[c + 1]
        ax.imshow(maps[c], cmap="viridis").set_gid(f"A{layer}[{c}]")
        ax.set_title(f"channel {c}", fontsize=8)
    fig.suptitle(f"feature maps of layer {layer}, {net.layers[layer - 1]!r}")
    return fig


def plot_receptive_field(
    net: Any, layer: int, position: tuple[int, int] = (0, 0), image: Any = None, ax: Any = None
) -> Any:
    """The input pixels that output element *position* of *layer* depends on (shaded), and
    the first layer's kernel windows that reach it (outlined, with dots at the kernel taps).

    >>> import symnn as sn
    >>> net = sn.Network("conv(1,3),maxpool(2),flatten,dense(2)", input_shape=(1, 8, 8))
    >>> ax = plot_receptive_field(net, 2, (1, 1))
    >>> int(ax.images[0].get_array().sum()), len(ax.patches)  # a masked array: the field's 1s
    (16, 4)
    """
    from matplotlib.patches import Rectangle

    _layered(net)
    pixels, windows = receptive_field(net.input_shape, list(net.layers), layer, position)
    _, h, w = net.input_shape
    mask = np.zeros((h, w))
    for r, c in pixels:
        mask[r, c] = 1.0
    ax = axes_for(ax)
    if image is not None:
        X = net.check_X(image)[0]
        ax.imshow(X.mean(axis=0), cmap="gray_r", alpha=1.0).set_gid("image")
    ax.imshow(np.ma.masked_equal(mask, 0.0), cmap="autumn", alpha=0.55, vmin=0, vmax=1).set_gid("field")
    first = net.layers[0]
    if isinstance(first, Conv2D):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = first.kernel_size, first.stride, first.padding, first.dilation
    else:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = first.size, first.stride, (0, 0), (1, 1)
    taps_x, taps_y = [], []
    for i, j in windows:
        top, left = sh * i - ph, sw * j - pw
        ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5),
                dw * (kw - 1) + 1,
                dh * (kh - 1) + 1,
                fill=False,
                edgecolor="tab:blue",
                linewidth=1.0,
                alpha=0.7,
            )
        )
        for u in range(kh):
            for v in range(kw):
                taps_y.append(top + dh * u)
                taps_x.append(left + dw * v)
    ax.plot(taps_x, taps_y, ".", color="tab:blue", markersize=3, gid="taps")
    ax.set_xlim(-0.5 - pw, w - 0.5 + pw)
    ax.set_ylim(h - 0.5 + ph, -0.5 - ph)
    ax.set_title(
        f"receptive field of layer {layer} at {tuple(position)}: {len(pixels)} input pixels, "
        f"{len(windows)} first-layer window(s)",
        fontsize=9,
    )
    return ax
