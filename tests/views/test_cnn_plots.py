"""Pictures of CNNs show the network's own numbers: kernels, feature maps, receptive fields."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import symnn as sn
from symnn.nn.layers import AvgPool2D, Conv2D, Dense, Flatten


def _images(fig):
    return {im.get_gid(): im for ax in fig.axes for im in ax.images}


def test_kernels_are_the_kernel_slices_on_one_symmetric_scale():
    net = sn.Network("conv(2,3),relu,conv(3,2),flatten,dense(2)", input_shape=(2, 6, 6), seed=1)
    fig = sn.plot_kernels(net, layer=3)
    images = _images(fig)
    K = net.params["K2"]
    assert set(images) == {f"K2[{o},{c}]" for o in range(3) for c in range(2)}
    for o in range(3):
        for c in range(2):
            im = images[f"K2[{o},{c}]"]
            np.testing.assert_array_equal(im.get_array(), K[o, c])
            assert im.get_clim() == (-np.abs(K).max(), np.abs(K).max())
    with pytest.raises(ValueError, match="not a convolution; the convolutions are layers"):
        sn.plot_kernels(net, layer=2)


def test_feature_maps_are_the_layer_outputs_on_the_image():
    X, _ = sn.dataset("digits", split="test")
    net = sn.Network("conv(4,3),relu,maxpool(2),flatten,dense(10)", input_shape=(1, 8, 8), seed=0)
    fig = sn.plot_feature_maps(net, X[0])
    images = _images(fig)
    np.testing.assert_array_equal(images["input"].get_array(), X[0, 0])
    # oracle: the relu of a direct cross-correlation with the kernel
    K, b = net.params["K1"], net.params["b1"]
    for c in range(4):
        expected = np.array(
            [[np.sum(X[0, 0, i : i + 3, j : j + 3] * K[c, 0]) + b[c] for j in range(6)] for i in range(6)]
        )
        np.testing.assert_allclose(images[f"A2[{c}]"].get_array(), np.maximum(expected, 0), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="has no feature maps"):
        sn.plot_feature_maps(net, X[0], layer=5)


def _depends(net, layer, position, shape):
    """Finite-difference oracle: which input pixels change the element (linear layers)."""
    rng = np.random.default_rng(0)
    for p in net.params.arrays():
        p[...] = rng.uniform(0.5, 1.5, size=p.shape)  # positive: no cancellations
    X = rng.normal(size=(1, *shape))
    base = net.layer_outputs(X)[layer - 1][0, 0][position]
    mask = np.zeros(shape[1:], dtype=bool)
    for r, c in np.ndindex(*shape[1:]):
        Xp = X.copy()
        Xp[0, :, r, c] += 1.0
        mask[r, c] = net.layer_outputs(Xp)[layer - 1][0, 0][position] != base
    return mask


@pytest.mark.parametrize(
    ("layers", "layer", "position"),
    [
        ([Conv2D(1, 3), AvgPool2D(2)], 2, (1, 1)),
        ([Conv2D(2, 3, stride=2, padding=1, dilation=2), Conv2D(1, 2)], 2, (0, 1)),
        ([Conv2D(1, 2, dilation=2), AvgPool2D(2, stride=1), Conv2D(1, 2, stride=2)], 3, (1, 0)),
    ],
)
def test_receptive_field_is_what_the_element_depends_on(layers, layer, position):
    shape = (1, 9, 9)
    net = sn.Network([*layers, Flatten(), Dense(2)], input_shape=shape)
    ax = sn.plot_receptive_field(net, layer, position)
    field = next(im for im in ax.images if im.get_gid() == "field")
    expected = _depends(net, layer, position, shape)
    np.testing.assert_array_equal(np.ma.filled(field.get_array(), 0).astype(bool), expected)
    # the windows: the first layer's outputs the element depends on (the same oracle, one layer up)
    sub = sn.Network([*layers[1:], Flatten(), Dense(2)], input_shape=net.shapes[0]) if layer > 1 else None
    if sub is not None:
        windows = _depends(sub, layer - 1, position, net.shapes[0])
        assert len(ax.patches) == windows.sum()
    with pytest.raises(ValueError, match="not spatial"):
        sn.plot_receptive_field(net, len(net.layers), (0, 0))
