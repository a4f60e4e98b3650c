"""symnn.save / symnn.load for networks of layers (format version 3): the whole definition
round-trips, predictions are bitwise equal, and training after loading continues exactly as
it would have without saving; damaged or inconsistent files are refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import symnn as sn
from symnn.nn import persistence
from symnn.nn.persistence import ModelFileError


def _digits(n=48):
    X, y = sn.dataset("digits")
    return X[:n], y[:n]


def _entries(path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads(arrays.pop("__symnn__").tobytes()), arrays


def _write(path, meta, arrays, checksum=True) -> Path:
    if checksum:
        meta = {**meta, "sha256": persistence._digest(arrays)}
    np.savez(path, __symnn__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return Path(path)


def test_a_trained_cnn_round_trips_and_trains_on_identically(tmp_path):
    X, y = _digits()
    net = sn.Network("conv(3,3,padding=1),relu,maxpool(2),conv(2,2,stride=2),tanh,flatten,dense(10)",
                     input_shape=(1, 8, 8), seed=1)  # fmt: skip
    options = dict(epochs=2, lr=0.01, optimizer="adam", batch_size=16, seed=0)
    net.fit(X, y, **options)
    net.frozen = ["b1"]
    path = sn.save(net, tmp_path / "cnn")
    assert path.endswith("cnn.npz")
    again = sn.load(path)
    assert type(again) is type(net) and repr(again) == repr(net)
    assert str(again.summary()) == str(net.summary())
    assert again.frozen == {"b1"} and again.loss == net.loss and again.init == net.init
    for k in net.params:
        assert again.params[k].shape == net.params[k].shape
        np.testing.assert_array_equal(again.params[k], net.params[k])
    np.testing.assert_array_equal(again.predict(X), net.predict(X))  # bitwise
    # training continues exactly as the original does from the same state
    net.fit(X, y, **options)
    again.fit(X, y, **options)
    for k in net.params:
        np.testing.assert_array_equal(again.params[k], net.params[k])


@pytest.mark.parametrize(
    ("spec", "shape", "kwargs"),
    [
        ("conv(2,2,dilation=2),sigmoid,avgpool(2,stride=1),flatten,dense(2)", (2, 6, 6),
         {"loss": "mse", "output_activation": "identity", "bias": False}),
        ("conv(2,3,stride=2),x*tanh(x),flatten,dense(4),leaky_relu,dense(1)", (1, 7, 7),
         {"loss": "bce", "output_activation": "sigmoid", "init": "he_normal"}),
        ("conv(2,2),relu,flatten,dense(3)", (3, 4, 4),
         {"loss": sn.loss("cross_entropy") + sn.regularizer("l2", lam=0.1)}),
    ],
)  # fmt: skip
def test_every_kind_of_layer_activation_loss_and_regularizer_round_trips(tmp_path, spec, shape,
                                                                          kwargs):  # fmt: skip
    net = sn.Network(spec, input_shape=shape, seed=2, **kwargs)
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    assert repr(again) == repr(net)
    assert again.activations == net.activations and again.regularizers == net.regularizers
    X = np.random.default_rng(0).normal(size=(5, *shape))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    assert again.source() == net.source()


def test_a_user_defined_activation_object_round_trips(tmp_path):
    from symnn.nn.layers import Act, Conv2D, Dense, Flatten

    swish = sn.activation("silu")
    net = sn.Network([Conv2D(2, 2), Act(swish), Flatten(), Dense(2)], input_shape=(1, 3, 3))
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    assert again.acts[1] == swish
    np.testing.assert_array_equal(again.predict(np.ones((1, 1, 3, 3))),
                                  net.predict(np.ones((1, 1, 3, 3))))  # fmt: skip


def test_dense_networks_are_still_written_as_version_2(tmp_path):
    meta, _ = _entries(sn.save(sn.Network([2, 3, 1]), tmp_path / "d.npz"))
    assert meta["version"] == 2
    meta, arrays = _entries(sn.save(sn.Network("conv(1,2),flatten,dense(2)", input_shape=(1, 3, 3)),
                                    tmp_path / "c.npz"))  # fmt: skip
    assert meta["version"] == 3 and arrays["K1"].shape == (1, 1, 2, 2)
    assert meta["layers"][0] == {"conv": {"channels": 1, "kernel_size": [2, 2], "stride": [1, 1],
                                          "padding": [0, 0], "dilation": [1, 1]}}  # fmt: skip


@pytest.fixture
def cnn_file(tmp_path):
    net = sn.Network("conv(2,3),relu,maxpool(2),flatten,dense(3)", input_shape=(1, 8, 8), seed=0)
    return _entries(sn.save(net, tmp_path / "ok.npz"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m, a: m["layers"][0]["conv"].update(channels=3), "weight K1 has shape"),
        (lambda m, a: m["layers"].__setitem__(2, {"pool": {}}), "unknown layer kind 'pool'"),
        (lambda m, a: m.update(input_shape=[1, 2, 2]), "do not fit its input shape"),
        (lambda m, a: m.update(input_shape=[1, 8, 10**6]), "input_shape must be"),
        (lambda m, a: m["layers"][0]["conv"].update(stride=[0, 1]), "conv stride must be a pair"),
        (lambda m, a: m["layers"].pop(3), "put Flatten() before it"),
        (lambda m, a: a.pop("b2"), "holds weights"),
        (lambda m, a: m.update(frozen=["K7"]), "frozen must be a list of parameter names"),
        (lambda m, a: m.update(extra=1), "unexpected extra"),
        (lambda m, a: m["layers"][1].update(given="tanh(x)"), "is not its formula"),
        (lambda m, a: m["layers"][1].update(activation={"catalogue": "nope", "params": {}}),
         "activation 'nope'"),
    ],
)  # fmt: skip
def test_inconsistent_files_are_refused_with_the_reason(tmp_path, cnn_file, change, message):
    meta, arrays = cnn_file
    change(meta, arrays)
    path = _write(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(ModelFileError, match="not a valid symnn model file") as info:
        sn.load(path)
    assert message in str(info.value)


def test_a_changed_kernel_fails_the_checksum(tmp_path, cnn_file):
    meta, arrays = cnn_file
    arrays["K1"] = arrays["K1"] + 1.0
    with pytest.raises(ModelFileError, match="do not match their checksum"):
        sn.load(_write(tmp_path / "bad.npz", meta, arrays, checksum=False))
