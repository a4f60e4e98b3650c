"""The command line with --network: train a CNN on the digits, print its formulas."""

from __future__ import annotations

import re

import pytest

from symnn import cli


@pytest.fixture
def run(capsys):
    def run(*args: str):
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


SPEC = "conv(4,3),relu,maxpool(2),flatten,dense(10)"


def test_train_a_cnn_on_the_digits(run):
    code, out, err = run("train", "--network", SPEC, "--data", "digits", "--epochs", "2", "--quiet")
    assert code == 0, err
    assert "Conv2D(4, 3)" in out and "(4, 3, 3)" in out  # the summary's shapes
    test = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert test > 0.5  # chance is 0.1


def test_train_a_cnn_and_save_it(run, tmp_path, monkeypatch):
    import numpy as np

    import symnn as sn

    monkeypatch.chdir(tmp_path)
    code, out, err = run("train", "--network", "conv(2,3),relu,maxpool(2),flatten,dense(10)",
                         "--data", "digits", "--epochs", "1", "--quiet", "--seed", "0",
                         "--save", "cnn")  # fmt: skip
    assert code == 0, err
    assert "saved cnn.npz" in out
    net = sn.load(tmp_path / "cnn.npz")
    assert repr(net).startswith("Network([Conv2D(2, 3), Act('relu'), MaxPool2D(2)")
    Xt, yt = sn.dataset("digits", split="test")
    test = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert net.accuracy(Xt, yt) == pytest.approx(test, abs=5e-5)
    assert np.all(np.isfinite(net.predict(Xt[:3])))
    code, _out, err = run("train", "--network", SPEC, "--data", "digits", "--save", "cnn")
    assert code == 2 and "--force" in err  # an existing model is not overwritten


def test_formula_and_backprop_of_a_spec(run):
    code, out, err = run("formula", "--network", "conv(2,3,stride=2),tanh,conv(2,2),flatten,dense(3)")
    assert code == 0, err
    assert "A1[o,i,j] = b1[o] + Σ_c,u,v K1[o,c,u,v]" in out
    assert "rotated by 180°" in out and "f'(x) = 1 - (tanh(x))^2" in out
    code, out, err = run("formula", "--network", SPEC, "--latex")
    assert code == 0 and r"\operatorname{argmax}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("formula", "--network", "conv(8,9),flatten,dense(2)"), "input height 8 is too small"),
        (("formula", "--network", "conv(2,3),flatten,dense(2)", "--input-shape", "4"),
         "give the input shape as (C, H, W)"),
        (("train", "--network", SPEC, "--layers", "64,8,10"), "not both"),
        (("formula", "--network", "conv(2,x)"), "not a whole number"),
        (("formula", "--network", "conv(2,3),flatten"), "must be Dense"),
    ],
)
def test_spec_errors_are_usage_errors(run, args, message):
    code, _, err = run(*args)
    assert code == 2 and message in err and "Traceback" not in err
