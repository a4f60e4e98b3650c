"""symnn lr and symnn curvature, in-process through symnn.cli.main."""

from __future__ import annotations

import pytest

import symnn as sn
from symnn import cli


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def run(capsys, *args):
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_lr_sweeps_the_rates_and_draws_the_picture(capsys, tmp_path):
    code, out, _ = run(capsys, "lr", "--network", "3,4,1", "--no-bias", "--data", "seed",
                       "--epochs", "50", "--lrs", "0.1:10:3", "--out", "sweep.png")  # fmt: skip
    assert code == 0
    X, y = sn.data.seed_data()
    net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=0)
    limit = net.curvature(X, y, k=1).max_stable_lr
    assert f"2/lambda_max at initialisation: {limit:.6g}" in out
    assert "lr = 0.1 " in out and "lr = 1 " in out and "lr = 10 " in out
    assert (tmp_path / "sweep.png").stat().st_size > 0 and "wrote sweep.png" in out


def test_curvature_prints_eigenvalues_and_equations(capsys):
    code, out, _ = run(capsys, "curvature", "--network", "3,4,1", "--no-bias", "--equations")
    assert code == 0
    X, y = sn.data.seed_data()
    c = sn.Network([3, 4, 1], loss="sse", bias=False, seed=0).curvature(X, y)
    assert f"top Hessian eigenvalues: {c.eigenvalues[0]:.6g}" in out
    assert "σ''(Z1) = A1 ⊙ (1 - A1) ⊙ (1 - 2·A1)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lr", "--lrs", "3:1:4"), "--lrs takes LO:HI:N"),
        (("lr", "--lrs", "0.1,-2"), "--lrs takes"),
        (("lr", "--network", "2,4,1"), "use --network 3,4,1"),
        (("lr", "--optimizer", "adma"), "did you mean 'adam'"),
        (("lr", "--out", "x.gif"), "--out x.gif: cannot write '.gif'"),
        (("curvature", "--network", "3,1", "--no-bias", "-k", "3"), "-k 3: the network has only"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and err.count("\n") == 1
