"""``symnn graph`` and ``symnn walkthrough``: output, files written, one-line usage errors."""

from __future__ import annotations

from pathlib import Path

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


def test_graph_of_a_formula_with_values(run):
    code, out, err = run("graph", "x*sigmoid(x)", "--at", "x=1.5")
    assert code == 0, err
    assert "3 nodes" in out and "du1/dx = (1 - sigmoid(x))*sigmoid(x) = 0.149146" in out
    assert "x\n" not in out and "grad 1.041" in out  # d/dx x sigma(x) at 1.5 = 1.0405...


def test_graph_of_a_formula_to_png(run, tmp_path):
    from PIL import Image

    code, _out, err = run("graph", "x*sigmoid(x)", "--at", "x=1.5", "--out", str(tmp_path / "g.png"))
    assert code == 0, err
    with Image.open(tmp_path / "g.png") as im:
        assert im.format == "PNG" and im.width > 300 and im.height > 150


def test_graph_of_a_network_to_files(run, tmp_path):
    data = "0.05,0.1:0.01,0.99"
    args = ["--network", "2,2,2", "--activation", "sigmoid", "--loss", "half_sse", "--data", data]
    code, out, err = run("graph", *args, "--path", "w1_11", "--out", str(tmp_path / "g.svg"))
    assert code == 0, err
    svg = (tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and svg.count("<path") > 50
    code, out, err = run("graph", *args, "--out", str(tmp_path / "g.dot"))
    dot = (tmp_path / "g.dot").read_text()
    assert code == 0 and dot.startswith("digraph") and dot.count("->") == 30 and "1 = 1" not in dot
    code, out, err = run("graph", "--network", "3,4,1", "--level", "layer", "--out", str(tmp_path / "l.mmd"))
    assert code == 0 and (tmp_path / "l.mmd").read_text().startswith("flowchart LR")
    code, out, err = run("graph", *args, "--path", "w1_11")
    assert code == 0 and "path 1 of 2: w1_11 -> z1_1 -> a1_1" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--network", "30,30,1"], "--level layer"),
        (["x^2", "--out", "g.gif"], "--out g.gif: use FILE.png"),
        (["x*y", "--at", "x=1"], "needs a value for y"),
        ([], "give a FORMULA or --network"),
        (["--network", "2,2,1", "--path", "w9_99"], "no node 'w9_99'"),
    ],
)
def test_graph_usage_errors_are_one_line(run, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _out, err = run("graph", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_walkthrough_prints_every_number(run):
    args = ["--network", "2,2,2", "--loss", "half_sse", "--data", "0.05,0.1:0.01,0.99", "--lr", "0.5"]
    code, out, err = run("walkthrough", *args, "--freeze", "b1,b2")
    assert code == 0, err
    assert "dL/dw1_11 = dL/da1_1 · da1_1/dz1_1 · dz1_1/dw1_11" in out
    assert "b1_1 (frozen)" in out and "Loss after the step" in out
    code, out, err = run("walkthrough", *args, "--format", "latex", "--standalone")
    assert code == 0 and out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    code, out, err = run("walkthrough", *args, "--freeze", "c7")
    assert code == 2 and "cannot freeze 'c7'" in err
    code, out, err = run("walkthrough", "--network", "2,2,2", "--data", "1,2:3")
    assert code == 2 and "y has shape" in err


def test_help_lists_the_commands(run):
    _code, out, _ = run("--help")
    assert "graph" in out and "walkthrough" in out
    assert Path(cli.__file__).exists()
