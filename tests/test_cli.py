"""The symnn command, through a real subprocess: the good paths and the bad ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "symnn", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def assert_clean_error(result, status, message):
    assert result.returncode == status, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # one line (+ a caret for formulas)


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("symnn ")
    r = run("--help")
    assert r.returncode == 0
    for sub in (
        "activations",
        "show",
        "diff",
        "plot",
        "implicit",
        "train",
        "formula",
        "elbow",
        "tour",
    ):
        assert sub in r.stdout
        assert run(sub, "--help").returncode == 0


def test_activations_table():
    r = run("activations")
    assert r.returncode == 0
    assert "relu" in r.stdout and "[0, ∞)" in r.stdout and "C⁰" in r.stdout
    r = run("activations", "--format", "markdown")
    assert r.stdout.lstrip().startswith("|")


def test_show_with_param_latex_and_plot(tmp_path):
    r = run("show", "leaky_relu", "--param", "alpha=0.2", "--latex")
    assert r.returncode == 0
    assert r"\frac{x}{5}" in r.stdout
    r = run("show", "gelu", "--plot", str(tmp_path / "gelu.svg"))
    assert r.returncode == 0 and "range" in r.stdout
    assert (tmp_path / "gelu.svg").read_text().lstrip().startswith("<?xml")


def test_show_takes_a_formula_too():
    r = run("show", "x*tanh(log(1+exp(x)))")
    assert r.returncode == 0 and "f'(x) =" in r.stdout and "range" in r.stdout


def test_diff():
    r = run("diff", "x*tanh(log(1+exp(x)))")
    assert r.returncode == 0 and "tanh" in r.stdout
    r = run("diff", "x^3 + y*x", "--wrt", "y")
    assert r.stdout.strip() == "x"
    r = run("diff", "sin(x)", "--order", "2", "--latex")
    assert r.stdout.strip() == r"- \sin{\left(x \right)}"


def test_plot_and_implicit_write_files_with_the_right_format(tmp_path):
    r = run("plot", "sin(x)/x", "x^2", "-o", str(tmp_path / "curves"), "--xlim=-5,5")
    assert r.returncode == 0
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    r = run(
        "implicit",
        "x^2+y^2+xy=1",
        "-o",
        str(tmp_path / "e.pdf"),
        "--classify",
        "--method",
        "contour",
    )
    assert r.returncode == 0 and "ellipse" in r.stdout
    assert (tmp_path / "e.pdf").read_bytes().startswith(b"%PDF")


def test_train_seed_prints_loss_and_predictions(tmp_path):
    r = run(
        "train",
        "--data",
        "seed",
        "--layers",
        "3,4,1",
        "--activation",
        "sigmoid",
        "--loss",
        "sse",
        "--epochs",
        "1500",
        "--lr",
        "1",
        "--optimizer",
        "sgd",
        "--no-bias",
        "--save",
        str(tmp_path / "model"),
        "--plot",
        str(tmp_path / "loss.png"),
    )
    assert r.returncode == 0, r.stderr
    assert "loss:" in r.stdout and "predicted" in r.stdout
    assert (tmp_path / "model.npz").exists() and (tmp_path / "loss.png").exists()


def test_train_from_csv(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    r = run("train", "--data", str(csv), "--layers", "2,4,1", "--epochs", "50", "--quiet")
    assert r.returncode == 0, r.stderr


def test_formula_prints_the_backpropagation_equations():
    r = run("formula", "--layers", "3,4,1", "--activation", "sigmoid", "--loss", "sse")
    assert r.returncode == 0
    assert "δ1 = (δ2 W2ᵀ) ⊙ A1 ⊙ (1 - A1)" in r.stdout
    r = run("formula", "--latex")
    assert r"\begin{aligned}" in r.stdout


def test_elbow_on_a_csv(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    pts = np.vstack([c + rng.normal(size=(30, 2)) for c in centres])
    csv = tmp_path / "pts.csv"
    np.savetxt(csv, pts, delimiter=",")
    r = run("elbow", str(csv), "--kmax", "6", "-o", str(tmp_path / "elbow.png"))
    assert r.returncode == 0, r.stderr
    assert "k=3" in r.stdout and "knee" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "rleu"), "did you mean 'relu'"),
        (("show", "elu", "--param", "alpha"), "--param takes NAME=VALUE"),
        (("show", "elu", "--param", "alhpa=2"), "did you mean 'alpha'"),
        (("diff", "x^^2"), "^"),
        (("diff", "__import__('os')"), "error"),
        (("plot", "sin(x", "-o", "/tmp/never.png"), "error"),
        (("plot", "x", "--xlim", "5,1"), "must be smaller"),
        (("train", "--data", "nonexistent.csv"), "nonexistent.csv"),
        (("train", "--data", "seed", "--layers", "2,4,1"), "the data has 3 columns"),
        (("train", "--activation", "sigmod"), "did you mean 'sigmoid'"),
        (("elbow", "missing.csv"), "missing.csv"),
        (("implicit", "x^2 + y^2 = ", "-o", "/tmp/never.png"), "error"),
        (("formula", "--layers", "3,x,1"), "--layers takes widths"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message, tmp_path):
    r = run(*args, cwd=tmp_path)
    assert_clean_error(r, 2, message)


def test_bad_formula_shows_the_caret():
    r = run("diff", "x^^2")
    assert r.returncode == 2
    assert "^" in r.stderr.splitlines()[-1]


def test_wrong_csv_shape_is_a_clear_error(tmp_path):
    csv = tmp_path / "ragged.csv"
    csv.write_text("1,2,3\n4,5\n")
    r = run("train", "--data", str(csv))
    assert_clean_error(r, 2, "ragged.csv")


def test_unknown_subcommand_is_status_2():
    r = run("frobnicate")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_unexpected_errors_are_status_1_with_debug_for_the_traceback(monkeypatch, capsys):
    from symnn import cli

    def boom(args):
        raise RuntimeError("kaboom")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["diff"].set_defaults(func=boom)
    assert cli.main(["diff", "x"]) == 1
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: kaboom" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "diff", "x"])
