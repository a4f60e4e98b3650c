"""`symnn derive` and `symnn check`: step-by-step derivatives, networks, documents, and bad input."""

from __future__ import annotations

import shutil

import pytest

from symnn import cli


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys):
    def run(*args: str):
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_derive_a_formula_prints_numbered_steps(run):
    code, out, err = run("derive", "x*tanh(x)")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "d/dx [x*tanh(x)]" and lines[1].startswith("1. Product rule")
    assert "Result: d/dx [x*tanh(x)] = " in out and "checked" in lines[-1]


def test_derive_an_activation_and_a_loss(run):
    code, out, _ = run("derive", "sigmoid")
    assert code == 0 and "Result: sigmoid'(x) = (1 - sigmoid(x))*sigmoid(x)" in out
    code, out, _ = run("derive", "mse")
    assert code == 0 and "d/dyhat" in out and "Result: mse'(yhat) = 2*(-y + yhat)" in out
    code, out, _ = run("derive", "a*x^2", "--wrt", "a")
    assert code == 0 and "Result: d/da [a*x**2] = x**2" in out


def test_latex_and_markdown(run):
    code, out, _ = run("derive", "relu", "--latex")
    assert code == 0 and out.startswith("\\[\n\\begin{aligned}") and r"\text{(1) Piecewise}" in out
    code, out, _ = run("derive", "relu", "--markdown")
    assert code == 0 and "- **1. Piecewise.**" in out and "*At the kink" in out


def test_network_derivation(run):
    code, out, _ = run("derive", "--network", "3,4,1", "--activation", "sigmoid", "--loss", "sse",
                       "--no-bias")  # fmt: skip
    assert code == 0
    assert "bias=False" in out and "δ1 = (δ2 W2ᵀ) ⊙ A1 ⊙ (1 - A1)" in out
    assert "The biases" not in out
    code, out, _ = run("derive", "--network", "3,4,1", "--bias")
    assert code == 0 and "The biases" in out


def test_tex_file_and_no_overwrite(run, tmp_path):
    code, out, _ = run("derive", "gelu", "--tex", "gelu.tex")
    assert code == 0 and "wrote gelu.tex" in out
    doc = (tmp_path / "gelu.tex").read_text()
    assert doc.startswith("\\documentclass") and "\\DeclareMathOperator{\\erf}{erf}" in doc
    code, _, err = run("derive", "gelu", "--tex", "gelu.tex")
    assert code == 2 and err.count("\n") == 1 and "--force" in err


def test_pdf_builds_or_says_how_to_get_an_engine(run, tmp_path, monkeypatch):
    from symnn.views import documents

    if documents.latex_engine() is not None:
        code, _, err = run("derive", "tanh", "--pdf", "tanh.pdf")
        assert code == 0, err
        assert (tmp_path / "tanh.pdf").read_bytes().startswith(b"%PDF")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = run("derive", "tanh", "--pdf", "again.pdf")
    assert code == 2 and err.count("\n") == 1
    assert "no LaTeX engine found" in err and "texlive" in err and "--tex" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("derive", "x^2 +* 3"), "expected an expression after '+'"),
        (("derive",), "derive needs FORMULA"),
        (("derive", "x", "--network", "2,1"), "not both"),
        (("derive", "--network", "3,x,1"), "takes widths like 3,4,1"),
        (("derive", "sin(x)", "--pdf", "out.png"), "must end in .pdf"),
        (("check", "x^2", "2*y"), "write the derivative in x"),
        (("derive", "a*b"), "several variables"),
    ],
)
def test_bad_input_is_a_usage_error(run, args, message):
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.startswith("symnn: error: ") and message in err
    if "+*" in args[-1]:
        assert err.splitlines()[-1].strip() == "^"  # the caret under the bad operator


def test_check_right_and_wrong(run):
    code, out, _ = run("check", "sigmoid(x)", "sigmoid(x)*(1-sigmoid(x))")
    assert code == 0 and out.startswith("correct:") and "proof: identical" in out
    code, out, _ = run("check", "x^2*sin(x)", "2*x*sin(x)")
    assert code == 0 and out.startswith("wrong:")
    assert "at x = 1: the derivative is cos(1) + 2*sin(1), the answer gives 2*sin(1)" in out
    assert "first wrong step: 1. Product rule" in out
    code, out, _ = run("check", "relu", "Heaviside(x)")  # 1/2 at the kink: symnn takes 0
    assert code == 0 and "at x = 0: the derivative is 0, the answer gives 1/2" in out


def test_network_derivation_of_a_layer_spec(run, tmp_path):
    spec = "conv(2,3,stride=2,padding=1),relu,maxpool(2),flatten,dense(3)"
    code, out, err = run("derive", "--network", spec, "--input-shape", "1,7,7")
    assert code == 0 and err == ""
    assert "2. A kernel element: the chain rule on the expanded sum." in out
    assert "∂L/∂K1[0,0,0,0] = δ1[0,0,0]·pad(X)[0,0,0] + " in out
    assert "rotated by 180°" in out and "Max-pooling: the gradient is routed to the arg-max" in out
    code, out, _ = run("derive", "--network", spec, "--input-shape", "1,7,7", "--latex")
    assert code == 0 and r"\operatorname{rot180}" in out and out.count(r"\begin{aligned}") == 1
    code, out, _ = run("derive", "--network", spec, "--input-shape", "1,7,7", "--markdown",
                       "--tex", "cnn.tex")  # fmt: skip
    assert code == 0 and "**An input element: the full convolution.**" in out
    assert (tmp_path / "cnn.tex").read_text().startswith(r"\documentclass")
    # the default input shape is the digits' 1,8,8; a shape that does not fit is a usage error
    code, out, _ = run("derive", "--network", "conv(2,3),flatten,dense(2)")
    assert code == 0 and "on an input of shape (1, 8, 8)" in out
    code, _out, err = run("derive", "--network", "conv(2,5),flatten,dense(2)", "--input-shape", "1,3,3")
    assert code == 2 and "too small" in err and "Traceback" not in err
    code, _out, err = run("derive", "--network", spec, "--input-shape", "one")
    assert code == 2 and "--input-shape takes C,H,W" in err
