"""Convolutional networks: shapes, gradients (finite differences, PyTorch), digits training."""

from __future__ import annotations

import numpy as np
import pytest

import symnn as sn
from symnn.nn.layers import (
    Act,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    conv_output_size,
    parse_spec,
    shapes,
)

# -- layers and shapes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d"),
    [
        (n, k, s, p, d)
        for n in (1, 5, 8)
        for k in (1, 2, 3)
        for s in (1, 2, 3)
        for p in (0, 1, 2)
        for d in (1, 2)
    ],
)
def test_output_size_counts_the_kernel_positions(n, k, s, p, d):
    # oracle: count the window starts whose dilated kernel fits in the padded input
    span = d * (k - 1) + 1
    count = len([start for start in range(0, n + 2 * p, s) if start + span <= n + 2 * p])
    assert conv_output_size(n, k, s, p, d) == count or (
        count == 0 and conv_output_size(n, k, s, p, d) < 1
    )


def test_shapes_summary_and_clear_errors():
    layers = [
        Conv2D(8, 3, padding=1),
        Act("relu"),
        MaxPool2D(2),
        Conv2D(4, 3, stride=2),
        Flatten(),
        Dense(10),
    ]
    assert shapes((1, 8, 8), layers) == [(8, 8, 8), (8, 8, 8), (8, 4, 4), (4, 1, 1), (4,), (10,)]
    net = sn.Network(layers, input_shape=(1, 8, 8), seed=0)
    text = str(net.summary())
    assert "(8, 4, 4)" in text and "Conv2D(4, 3, stride=2)" in text
    assert net.summary().total == net.n_params == 8 * 9 + 8 + 4 * 8 * 9 + 4 + 4 * 10 + 10
    with pytest.raises(
        ValueError, match=r"layer 3, Conv2D\(2, 5\): input height 3 is too small.*floor"
    ):
        sn.Network(
            [Conv2D(2, 3), MaxPool2D(2), Conv2D(2, 5), Flatten(), Dense(2)], input_shape=(1, 8, 8)
        )
    with pytest.raises(ValueError, match=r"layer 2, Dense\(3\) takes vectors.*Flatten"):
        sn.Network([Conv2D(2, 3), Dense(3)], input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        sn.Network([Conv2D(2, 3), Flatten(), Dense(3)])
    with pytest.raises(ValueError, match="must be Dense"):
        sn.Network([Conv2D(2, 3), Flatten()], input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="stride must be a whole number >= 1"):
        Conv2D(2, 3, stride=0)
    with pytest.raises(ValueError, match=r"X has shape \(2, 3, 8, 8\).*\(n, 1, 8, 8\)"):
        net.predict(np.zeros((2, 3, 8, 8)))
    # the dense form is unchanged
    assert type(sn.Network([3, 4, 1])).__name__ == "Network"


def test_spec_strings():
    assert parse_spec("conv(8,3,stride=2,padding=1),tanh,avgpool(2),flatten,dense(10)") == [
        Conv2D(8, 3, stride=2, padding=1),
        Act("tanh"),
        AvgPool2D(2),
        Flatten(),
        Dense(10),
    ]
    net = sn.Network("conv(2,3),relu,flatten,dense(3),softmax", input_shape=(1, 5, 5))
    assert net.softmax_output and isinstance(net.layers[-1], Dense)
    with pytest.raises(ValueError, match="not a whole number"):
        parse_spec("conv(8,x)")


# -- gradients ----------------------------------------------------------------------------------

CASES = [
    ([Conv2D(2, 3), Act("relu"), MaxPool2D(2), Flatten(), Dense(3)], (1, 6, 6)),
    (
        [
            Conv2D(2, 3, stride=2, padding=1, dilation=2),
            Act("tanh"),
            Conv2D(3, 2, padding=1),
            AvgPool2D(2, stride=1),
            Flatten(),
            Dense(3),
        ],
        (3, 7, 6),
    ),
    (
        [
            Conv2D(2, (3, 2), stride=(2, 1), padding=(1, 0)),
            MaxPool2D(3, stride=2),
            Flatten(),
            Dense(4, activation="sigmoid"),
            Dense(3),
        ],
        (2, 9, 8),
    ),
]


def _random_net(layers, shape, seed=0):
    rng = np.random.default_rng(seed)
    net = sn.Network(layers, input_shape=shape, seed=seed)
    for p in net.params.arrays():
        p[...] = rng.normal(size=p.shape)
    X = rng.normal(size=(3, *shape))
    y = rng.integers(0, 3, 3)
    return net, X, y


@pytest.mark.parametrize(("layers", "shape"), CASES)
def test_gradients_equal_central_differences(layers, shape):
    net, X, y = _random_net(layers, shape)
    result = sn.gradcheck(net, X, y, eps=1e-6, tolerance=1e-5)
    assert result.passed, str(result)


def _torch_loss(net, X, y, torch):
    F = torch.nn.functional
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    h = torch.tensor(X)
    j = 0
    for la in net.layers:
        if isinstance(la, Conv2D):
            j += 1
            h = F.conv2d(
                h,
                tp[f"K{j}"],
                tp[f"b{j}"],
                stride=la.stride,
                padding=la.padding,
                dilation=la.dilation,
            )
        elif isinstance(la, Dense):
            j += 1
            h = h @ tp[f"W{j}"] + tp[f"b{j}"]
        elif isinstance(la, MaxPool2D):
            h = F.max_pool2d(h, la.size, la.stride)
        elif isinstance(la, AvgPool2D):
            h = F.avg_pool2d(h, la.size, la.stride)
        elif isinstance(la, Flatten):
            h = h.flatten(1)
        else:
            h = getattr(torch, la.activation)(h)
    loss = F.cross_entropy(h, torch.tensor(y))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in tp.items()}


@pytest.mark.parametrize(("layers", "shape"), CASES)
def test_gradients_equal_pytorch_autograd(layers, shape):
    torch = pytest.importorskip("torch")
    net, X, y = _random_net(layers, shape, seed=3)
    value, grads = _torch_loss(net, X, y, torch)
    assert net.loss_value(X, y) == pytest.approx(value, rel=1e-12)
    ours = net.gradients(X, y)
    for k, g in grads.items():
        np.testing.assert_allclose(ours[k], g, rtol=1e-10, atol=1e-12 * np.abs(g).max())


def test_max_pool_ties_go_to_the_first_position_as_in_pytorch():
    torch = pytest.importorskip("torch")
    # a 1x1 convolution adding two channels: its output ties wherever x0 + x1 does, while x0
    # differs, so dK depends on which tied position receives the gradient
    net = sn.Network(
        [Conv2D(1, 1), MaxPool2D(2), Flatten(), Dense(2)], input_shape=(2, 4, 4), seed=0
    )
    net.params["K1"] = np.ones((1, 2, 1, 1))
    rng = np.random.default_rng(1)
    x0 = rng.integers(0, 3, size=(4, 1, 4, 4)).astype(float)
    X = np.concatenate([x0, 2.0 - x0], axis=1)  # x0 + x1 = 2 everywhere: every window ties
    y = np.array([0, 1, 1, 0])
    _, grads = _torch_loss(net, X, y, torch)
    ours = net.gradients(X, y)
    np.testing.assert_allclose(ours["K1"], grads["K1"], rtol=1e-12)
    # and by hand: only the top-left corner of every window receives the gradient
    assert not np.allclose(grads["K1"][0, 0], grads["K1"][0, 1])


# -- real data ---------------------------------------------------------------------------------


def test_a_small_cnn_learns_the_digits():
    X, y = sn.dataset("digits")
    Xt, yt = sn.dataset("digits", split="test")
    net = sn.Network("conv(4,3),relu,maxpool(2),flatten,dense(10)", input_shape=(1, 8, 8), seed=0)
    net.fit(X, y, epochs=3, lr=0.01, optimizer="adam", batch_size=32, seed=0)
    assert net.accuracy(Xt, yt) > 0.8  # chance is 0.1
    assert net.predict(Xt[:5]).sum(axis=1) == pytest.approx(np.ones(5))
    assert "as_strided" in net.source() and "np.matmul(COL1m" in net.source()
    # flat 64-pixel rows are taken too
    np.testing.assert_array_equal(net.predict(Xt.reshape(len(Xt), 64)), net.predict(Xt))


def test_a_network_of_layers_saves_and_loads(tmp_path):
    # the round trip in full: tests/nn/test_persistence_cnn.py
    net = sn.Network("conv(2,3),flatten,dense(2)", input_shape=(1, 4, 4), seed=0)
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    X = np.random.default_rng(0).normal(size=(3, 1, 4, 4))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    with pytest.raises(TypeError, match=r"symnn\.save writes networks made by symnn\.Network"):
        sn.save(object(), tmp_path / "x.npz")


def test_training_is_reproducible_and_regularizes_kernels():
    X, y = sn.dataset("digits")
    X, y = X[:64], y[:64]

    def trained(**options):
        net = sn.Network("conv(2,3),relu,flatten,dense(10)", input_shape=(1, 8, 8), seed=0)
        net.fit(X, y, epochs=2, lr=0.01, optimizer="adam", batch_size=16, seed=0, **options)
        return net.params["K1"].copy()

    np.testing.assert_array_equal(trained(), trained())
    assert np.abs(trained(l2=10.0)).sum() < np.abs(trained()).sum()


def test_frozen_kernels_stay_fixed_while_the_rest_trains():
    X, y = sn.dataset("digits")
    X, y = X[:64], y[:64]
    net = sn.Network("conv(2,3),relu,flatten,dense(10)", input_shape=(1, 8, 8), seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    net.fit(X, y, epochs=2, lr=0.01, optimizer="adam", batch_size=16, seed=0, freeze=["K1"])
    assert net.frozen == {"K1"}
    np.testing.assert_array_equal(net.params["K1"], before["K1"])
    assert not np.array_equal(net.params["W2"], before["W2"])
    with pytest.raises(ValueError, match="cannot freeze 'K9'"):
        net.frozen = ["K9"]
