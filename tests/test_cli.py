"""The symnn command, in-process through ``symnn.cli.main``: the good paths and the bad ones.

Every test runs in its own temporary folder (nothing is written into the repository);
a few tests start a real ``python -m symnn`` to check what only a fresh process shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from symnn import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (
    "tour",
    "activations",
    "losses",
    "show",
    "diff",
    "plot",
    "implicit",
    "train",
    "formula",
    "elbow",
    "derive",
    "check",
    "lr",
    "curvature",
)


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys):
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def subprocess_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def assert_clean_error(result: Result, status: int, message: str) -> None:
    assert result.returncode == status, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # one line (+ a caret for formulas)


# -- the good paths ------------------------------------------------------------------------


def test_version_and_help(run):
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("symnn ")
    r = run("--help")
    assert r.returncode == 0
    for sub in COMMANDS:
        assert sub in r.stdout
        assert run(sub, "--help").returncode == 0
    assert run().stdout == r.stdout  # no command: the help


def test_activations_table(run, monkeypatch):
    from symnn.views import tables

    full = tables.activation_table  # the whole table is tested in tests/views; a few rows here
    monkeypatch.setattr(tables, "activation_table", lambda names=None: full(names or ["relu", "sigmoid", "gelu"]))
    r = run("activations")
    assert r.returncode == 0
    assert "relu" in r.stdout and "[0, ∞)" in r.stdout and "C⁰" in r.stdout
    r = run("activations", "--format", "markdown")
    assert r.stdout.lstrip().startswith("|")
    assert r"\begin" in run("activations", "--format", "latex").stdout


def test_losses_lists_every_loss_with_aliases_and_a_summary(run):
    from symnn.catalogue.losses import loss_aliases, losses

    r = run("losses")
    assert r.returncode == 0
    for name in [*losses(), *loss_aliases()]:
        assert name in r.stdout
    assert "Mean squared error" in r.stdout and "--loss-param delta=1" in r.stdout
    assert ":math:" not in r.stdout and "``" not in r.stdout


def test_show_with_param_latex_and_plot(run):
    r = run("show", "leaky_relu", "--param", "alpha=0.2", "--latex")
    assert r.returncode == 0
    assert r"\frac{x}{5}" in r.stdout
    r = run("show", "gelu", "--plot", "gelu.svg")
    assert r.returncode == 0 and "range" in r.stdout and "wrote gelu.svg" in r.stdout
    assert Path("gelu.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("formula", ["x*tanh(log(1+exp(x)))", "x-1", "x*x-1"])
def test_show_takes_a_formula_too(run, formula):
    r = run("show", formula)
    assert r.returncode == 0, r.stderr
    assert "f'(x) =" in r.stdout and "range" in r.stdout


def test_show_names_aliases_and_formula_parameters(run):
    assert run("show", "leaky-relu", "--latex").returncode == 0
    r = run("show", "a*x", "--param", "a=2")
    assert r.returncode == 0 and "parameters: a=2" in r.stdout


def test_diff(run):
    r = run("diff", "x*tanh(log(1+exp(x)))")
    assert r.returncode == 0 and "tanh" in r.stdout
    r = run("diff", "x^3 + y*x", "--wrt", "y")
    assert r.stdout.strip() == "x"
    r = run("diff", "sin(x)", "--order", "2", "--latex")
    assert r.stdout.strip() == (
        "\\[\n\\frac{d^{2}}{dx^{2}} \\left(\\sin{\\left(x \\right)}\\right) = "
        "- \\sin{\\left(x \\right)}\n\\]"
    )


def test_plot_and_implicit_write_files_with_the_right_format(run):
    r = run("plot", "sin(x)/x", "x^2", "-o", "curves", "--xlim=-5,5")
    assert r.returncode == 0
    assert "wrote curves.png" in r.stdout
    assert Path("curves.png").read_bytes().startswith(b"\x89PNG")
    r = run("implicit", "x^2+y^2+xy=1", "-o", "e.pdf", "--classify", "--method", "contour")
    assert r.returncode == 0 and "ellipse" in r.stdout
    assert Path("e.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    "xlim", [["--xlim", "-2", "2"], ["--xlim=-2,2"], ["--xlim", "-2,2"], ["--xlim", "-2e0,2."]]
)
def test_ranges_may_start_with_a_minus(run, monkeypatch, xlim):
    seen = {}
    from symnn.views import plotting

    original = plotting.plot_implicit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(plotting, "plot_implicit", spy)
    r = run("implicit", "x^2+y^2=1", *xlim, "--ylim", "-3", "-1")
    assert r.returncode == 0, r.stderr
    assert seen["xlim"] == (-2.0, 2.0) and seen["ylim"] == (-3.0, -1.0)
    args = cli.build_parser().parse_args(cli._join_ranges(["plot", "x", "x^2", *xlim]))
    assert args.xlim == (-2.0, 2.0) and args.expr == ["x", "x^2"]


def test_train_seed_prints_loss_and_predictions(run):
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
        "model",
        "--plot",
        "loss.png",
    )
    assert r.returncode == 0, r.stderr
    assert "loss:" in r.stdout and "predicted" in r.stdout
    assert "saved model.npz" in r.stdout and "wrote loss.png" in r.stdout
    assert Path("model.npz").exists() and Path("loss.png").exists()


def test_train_from_csv(run):
    Path("data.csv").write_text("a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    r = run("train", "--data", "data.csv", "--layers", "2,4,1", "--epochs", "50", "--quiet")
    assert r.returncode == 0, r.stderr


def test_train_and_formula_take_formulas_for_activation_and_loss(run):
    r = run("formula", "--activation", "x*tanh(x)", "--loss", "(y-yhat)^4")
    assert r.returncode == 0, r.stderr
    assert "L = mean of (y - ŷ)^4" in r.stdout and "(Y - Ŷ)^3" in r.stdout
    assert "tanh(Z1)" in r.stdout
    r = run(
        "train", "--activation", "x*tanh(x)", "--loss", "(y-yhat)^4", "--lr", "0.1",
        "--epochs", "20", "--quiet",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "loss='custom'" in r.stdout
    r = run("formula", "--loss", "huber", "--loss-param", "delta=0.5")
    assert r.returncode == 0, r.stderr


def test_output_activation_auto_lets_the_library_choose(run, monkeypatch):
    from symnn.nn import network

    seen = {}

    class Recorder(network.Network):
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(network, "Network", Recorder)
    assert run("formula", "--activation", "relu").returncode == 0
    assert seen["output_activation"] is None
    assert run("formula", "--output-activation", "sigmoid").returncode == 0
    assert seen["output_activation"].name == "sigmoid"
    r = run("formula", "--layers", "2,4,3", "--output-activation", "softmax", "--loss", "ce")
    assert r.returncode == 0, r.stderr
    assert seen["output_activation"] == "softmax"


def test_formula_prints_the_backpropagation_equations(run):
    r = run("formula", "--layers", "3,4,1", "--activation", "sigmoid", "--loss", "sse")
    assert r.returncode == 0
    assert "δ1 = (δ2 W2ᵀ) ⊙ A1 ⊙ (1 - A1)" in r.stdout
    r = run("formula", "--latex")
    assert r"\begin{aligned}" in r.stdout


def _points_csv() -> str:
    import numpy as np

    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    pts = np.vstack([c + rng.normal(size=(30, 2)) for c in centres])
    np.savetxt("pts.csv", pts, delimiter=",")
    return "pts.csv"


def test_elbow_on_a_csv(run):
    r = run("elbow", _points_csv(), "--kmax", "6", "-o", "elbow.png")
    assert r.returncode == 0, r.stderr
    assert "k=3" in r.stdout and "knee" in r.stdout and "wrote elbow.png" in r.stdout


def test_tour_passes_its_folder(run, monkeypatch):
    from symnn.views import tour

    seen = []
    monkeypatch.setattr(tour, "run_tour", lambda out, echo: seen.append(out))
    assert run("tour", "--out", "here").returncode == 0
    assert seen == ["here"]
    Path("afile").write_text("")
    assert_clean_error(run("tour", "--out", "afile"), 2, "give a folder")


# -- lists come from the registries -------------------------------------------------------


def test_lists_in_the_help_come_from_the_registries(run, monkeypatch):
    from symnn.curves import METHODS
    from symnn.nn import data
    from symnn.nn.training import optimizers

    train = run("train", "--help").stdout
    for name in [*data.datasets(), *optimizers()]:
        assert name in train
    assert "spiral" in train
    implicit = run("implicit", "--help").stdout
    assert all(m in implicit for m in METHODS)
    monkeypatch.setattr(data, "datasets", lambda: ["seed", "zzz_new_set"])
    assert "zzz_new_set" in " ".join(run("train", "--help").stdout.split())
    action = next(a for a in _subparser("activations")._actions if a.dest == "format")
    assert tuple(action.choices) == cli.TABLE_FORMATS


def _subparser(name: str):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[name]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_shows_its_default(command):
    import argparse

    p = _subparser(command)
    formatter = p._get_formatter()
    for action in p._actions:
        if not action.option_strings or action.nargs == 0 or action.dest in ("help", "debug"):
            continue
        text = formatter._expand_help(action)
        assert "default" in text, (command, action.option_strings, text)
    assert isinstance(formatter, argparse.HelpFormatter)


# -- bad input: one line and status 2 ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "rleu"), "did you mean 'relu'"),
        (("show", "rleu"), "symnn activations lists them"),
        (("show", "elu", "--param", "alpha"), "--param takes NAME=VALUE"),
        (("show", "elu", "--param", "alhpa=2"), "did you mean 'alpha'"),
        (("show", "a*x"), "--param a=VALUE"),
        (("diff", "x^^2"), "^"),
        (("diff", "__import__('os')"), "error"),
        (("diff", "x^2", "--order", "1000000"), "from 0 to 20"),
        (("diff", "x^2=1"), "not an equation"),
        (("plot", "sin(x", "-o", "never.png"), "error"),
        (("plot", "x", "--xlim", "5,1"), "must be smaller"),
        (("plot", "x", "--xlim", "-5"), "takes two numbers"),
        (("plot", "x+y"), "substitute numbers"),
        (("plot", "x", "-o", "a.gif"), ".png"),
        (("plot", "x", "-o", "nowhere/a.png"), "does not exist"),
        (("train", "--data", "nonexistent.csv"), "nonexistent.csv"),
        (("train", "--data", "mons"), "did you mean 'moons'"),
        (("train", "--data", "seed", "--layers", "2,4,1"), "the data has 3 columns"),
        (("train", "--activation", "sigmod"), "did you mean 'sigmoid'"),
        (("train", "--loss", "hubr"), "symnn losses lists them"),
        (("train", "--optimizer", "adma"), "did you mean 'adam'"),
        (("train", "--epochs", "0"), "--epochs"),
        (("train", "--lr", "-1"), "--lr"),
        (("train", "--batch-size", "0"), "--batch-size"),
        (
            ("train", "--loss", "bce", "--activation", "relu", "--output-activation", "relu"),
            "--output-activation sigmoid",
        ),
        (("train", "--loss", "(y-yhat)^2*a"), "--loss-param"),
        (("train", "--save", "nowhere/model"), "does not exist"),
        (("elbow", "missing.csv"), "missing.csv"),
        (("implicit", "x^2 + y^2 = "), "error"),
        (("implicit", "x^2+y^2=1", "--method", "sympi"), "did you mean 'sympy'"),
        (("formula", "--layers", "3,x,1"), "--layers takes widths"),
        (("formula", "--output-activation", "rleu"), "did you mean 'relu'"),
    ],
)
def test_bad_input_is_one_line_and_status_2(run, args, message):
    r = run(*args)
    assert_clean_error(r, 2, message)
    assert r.stdout == ""  # refused before anything is printed
    assert not Path("never.png").exists()


def test_bad_formula_shows_the_caret(run):
    r = run("diff", "x^^2")
    assert r.returncode == 2
    assert "^" in r.stderr.splitlines()[-1]


def test_wrong_csv_shape_is_a_clear_error(run):
    Path("ragged.csv").write_text("1,2,3\n4,5\n")
    assert_clean_error(run("train", "--data", "ragged.csv"), 2, "ragged.csv")


def test_elbow_kmax_is_bounded_by_the_number_of_points(run):
    r = run("elbow", _points_csv(), "--kmax", "1000000000")
    assert_clean_error(r, 2, "more than the 90 points")
    assert r.stdout == ""


def test_unknown_subcommand_is_status_2(run):
    r = run("frobnicate")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_training_that_diverges_is_a_clear_error(run):
    r = run("train", "--activation", "identity", "--output-activation", "identity",
            "--lr", "100", "--epochs", "50", "--quiet")  # fmt: skip
    assert_clean_error(r, 2, "smaller learning rate")


# -- files are never overwritten ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("plot", "x^2"), "plot.png"),
        (("implicit", "x^2+y^2=1"), "implicit.png"),
        (("show", "relu", "--plot", "relu.png"), "relu.png"),
        (("train", "--epochs", "5", "--quiet", "--plot", "h.png"), "h.png"),
        (("train", "--epochs", "5", "--quiet", "--save", "m"), "m.npz"),
    ],
)
def test_output_files_are_announced_and_never_overwritten(run, args, written):
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert written in r.stdout and Path(written).exists()
    before = Path(written).stat().st_mtime_ns
    r = run(*args)
    assert_clean_error(r, 2, "--force")
    assert r.stdout == "" and Path(written).stat().st_mtime_ns == before
    assert run(*args, "--force").returncode == 0


# -- errors speak the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("library", "cli_words"),
    [
        ("(symnn.activations() lists them all)", "(symnn activations lists them all)"),
        ("(symnn.losses() lists them all)", "(symnn losses lists them all)"),
        ("(symnn.datasets() lists them all)", "(symnn train --help lists them all)"),
        (
            "say which one is the input with symbol=..., and give the others defaults with params={...}",
            "give every symbol but the input a value with --param NAME=VALUE",
        ),
        (
            "(declared symbols: y; add it to symbols=[...] or pass symbols=None to accept any "
            "single-letter variable)",
            "(declared symbols: y; give it a value with --param NAME=VALUE)",
        ),
        ("write it with an '_' or pass symbols=[...])", "write it with an '_')"),
        ("write x_2 (or pass symbols=[...])", "write x_2"),
        ("(known functions: see symnn.parse.known_functions())", "symnn activations lists"),
        ("pass params={'a': ..., 'b': ...}", "pass --param a=VALUE --param b=VALUE"),
        ("use output_activation='sigmoid'", "use --output-activation sigmoid"),
        ("with loss='binary_cross_entropy_with_logits'", "with --loss binary_cross_entropy_with_logits"),
        ("(optimizer sgd, lr=1.0)", "(optimizer sgd, --lr 1.0)"),
    ],
)  # fmt: skip
def test_library_hints_are_rewritten_in_cli_terms(library, cli_words):
    assert cli_words in cli.speak_cli(library)
    assert "symnn." not in cli.speak_cli(library) and "=[" not in cli.speak_cli(library)


def test_every_rewrite_is_tested():
    assert len(cli._REWRITES) == 6  # each has a case above; add one there when adding here


def test_parameter_hints_name_the_option_where_the_error_arose():
    assert cli.speak_cli("pass params={'a': ...}", "--loss-param") == "pass --loss-param a=VALUE"


# -- exit statuses -----------------------------------------------------------------------------


def test_a_bug_in_the_work_phase_is_status_1_even_if_it_is_a_value_error(run, monkeypatch):
    from symnn.views import plotting

    def bug(*args, **kwargs):
        raise ValueError("only 0-dimensional arrays can be converted to Python scalars")

    monkeypatch.setattr(plotting, "plot", bug)
    r = run("plot", "x^2")
    assert_clean_error(r, 1, "unexpected error: ValueError: only 0-dimensional")
    assert "run with --debug for the traceback" in r.stderr
    assert not Path("plot.png").exists()


def test_a_value_error_of_the_input_phase_is_status_2(run, monkeypatch):
    from symnn.expr import parse

    def refuse(*args, **kwargs):
        raise ValueError("that formula is not allowed")

    monkeypatch.setattr(parse, "parse", refuse)
    assert_clean_error(run("diff", "x^2"), 2, "symnn: error: that formula is not allowed")


def test_unexpected_errors_are_status_1_with_debug_for_the_traceback(run, monkeypatch):
    from symnn.expr import symbolic

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(symbolic, "tidy", boom)
    r = run("diff", "x")
    assert r.returncode == 1
    assert "unexpected error: RuntimeError: kaboom" in r.stderr and "--debug" in r.stderr
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "diff", "x"])
    with pytest.raises(RuntimeError):
        cli.main(["diff", "x", "--debug"])


def test_debug_shows_the_traceback_of_a_usage_error_too(run):
    r = run("show", "rleu", "--debug")
    assert r.returncode == 2 and "Traceback" in r.stderr and "did you mean" in r.stderr


def test_ctrl_c_is_one_line_and_status_130(run, monkeypatch):
    from symnn.views import tables

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tables, "activation_table", interrupted)
    r = run("activations")
    assert r.returncode == 130 and r.stderr == "symnn: interrupted\n"
    monkeypatch.setattr(cli, "build_parser", interrupted)  # during start-up
    r = run("--help")
    assert r.returncode == 130 and r.stderr == "symnn: interrupted\n"


# -- a real process ------------------------------------------------------------------------------


def test_python_dash_m_symnn_runs(tmp_path):
    r = subprocess_run("-m", "symnn", "--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("symnn ")
    r = subprocess_run("-m", "symnn", "diff", "x^3", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "3*x**2"


_LIGHT = """
import sys, types
package = types.ModuleType("symnn")  # the CLI alone, without the package facade
package.__path__ = [{path!r}]
sys.modules["symnn"] = package
from symnn.cli import main
for argv in (["--help"], ["frobnicate"], ["train", "--epochs", "0"], ["diff", "x", "--order", "99"]):
    main(argv)
heavy = sorted({{"sympy", "numpy", "matplotlib", "scipy"}} & set(sys.modules))
print("heavy:", heavy)
"""


def test_help_and_usage_errors_import_nothing_heavy(tmp_path):
    r = subprocess_run("-c", _LIGHT.format(path=str(ROOT / "symnn")), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "heavy: []" in r.stdout


def test_python_dash_m_symnn_help_imports_nothing_heavy(tmp_path):
    r = subprocess_run("-X", "importtime", "-m", "symnn", "--help", cwd=tmp_path)
    assert r.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines()}
    assert not {"sympy", "numpy", "matplotlib"} & modules


def test_train_relu_on_xor_gets_an_output_that_fits_the_loss(run):
    """First contact: --activation relu used to set the output too; the network died silently."""
    r = run("train", "--data", "xor", "--activation", "relu", "--epochs", "2000", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "'relu', 'sigmoid'" in r.stdout
    predicted = [float(line.split("predicted [")[1].rstrip("]")) for line in r.stdout.splitlines()
                 if "predicted [" in line]  # fmt: skip
    assert [round(p) for p in predicted] == [0, 1, 1, 0]


def test_implicit_classify_draws_a_non_conic_and_says_so(run):
    r = run("implicit", "--classify", "x^4+y^4=1", "-o", "quartic.png")
    assert r.returncode == 0, r.stderr
    assert "not a conic: has degree 4" in r.stdout and "wrote" in r.stdout


def test_activations_table_selects_columns_and_has_a_legend(run):
    r = run("activations", "--columns", "range,continuity")
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0].split()
    assert header == ["name", "range", "continuity"]
    assert "zero-centred" not in header and "C∞" in r.stdout
    r = run("activations", "--format", "latex")
    assert r.returncode == 0 and r.stdout.count(r"\toprule") >= 2  # split to fit a page
    r = run("activations", "--columns", "rnge")
    assert_clean_error(r, 2, "did you mean 'range'")


LATEX_COMMANDS = [
    ("formula", "--layers", "3,4,1", "--latex"),
    ("diff", "x*tanh(x)", "--latex"),
    ("show", "relu", "--latex"),
    ("activations", "--format", "latex"),
]


@pytest.mark.parametrize("args", LATEX_COMMANDS, ids=[a[0] for a in LATEX_COMMANDS])
def test_latex_output_is_complete_displays_that_compile(args, run, tmp_path):
    """First contact: bare `aligned` blocks failed in an article ("Environment aligned undefined")."""
    import re
    import shutil
    import subprocess

    r = run(*args)
    assert r.returncode == 0, r.stderr
    body = r.stdout
    outside = re.sub(r"\\\[.*?\\\]|\$[^$]*\$", "", body, flags=re.S)  # outside all math
    assert "\\begin{aligned}" not in outside and "\\begin{cases}" not in outside
    assert body.count("\\begin{") == body.count("\\end{")
    doc = run(*args, "--standalone").stdout
    assert doc.startswith("\\documentclass{article}") and doc.rstrip().endswith("\\end{document}")
    engine = shutil.which("pdflatex") or shutil.which("lualatex")
    if engine is None:
        pytest.skip("no LaTeX engine installed (Debian: texlive-latex-recommended)")
    (tmp_path / "doc.tex").write_text(doc)
    done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
