"""Standalone LaTeX documents: derivations, the property table, a network's formula,
backpropagation and derivation. The oracle is a real LaTeX engine: each document
compiles without errors, nothing sticks out more than 10 pt, and no page overflows
(skipped, with the reason, when no engine is installed; .ci/run installs TeX Live)."""

from __future__ import annotations

import pytest
from latexcheck import NO_ENGINE, assert_standalone, compile_log

import symnn as sn
from symnn._tex import document
from symnn.views.documents import latex_engine, network_document, table_document


@pytest.fixture(scope="module")
def engine():
    return latex_engine() or pytest.skip(NO_ENGINE)


# -- structure (no engine needed) -------------------------------------------------------


def test_derivation_documents_declare_their_operators_and_use_cases():
    doc = sn.derive("relu").to_latex_document()
    assert_standalone(doc)
    assert "\\DeclareMathOperator{\\ReLU}{ReLU}" in doc and "\\begin{cases}" in doc
    doc = sn.derive("sigmoid(x)*softplus(x)").to_latex_document()
    assert_standalone(doc)
    assert "\\DeclareMathOperator{\\sigmoid}{\\sigma}" in doc
    assert "\\DeclareMathOperator{\\softplus}{softplus}" in doc


def test_long_equations_are_broken_across_lines():
    doc = sn.derive("gelu_tanh").to_latex_document()
    assert "\\begin{align*}" in doc and "&\\quad" in doc  # continuation lines


def test_every_kind_of_document_is_standalone():
    net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse")
    for tex in (table_document(["relu", "gelu"]), network_document(net), net.derive().to_latex_document(),
                net.formula().to_latex_document(), net.backprop().to_latex_document()):  # fmt: skip
        assert_standalone(tex)
    assert "\\toprule" in table_document(["relu"])  # the property table is booktabs


# -- compiled with a real engine ---------------------------------------------------------


def test_the_derivation_of_every_catalogue_entry_compiles(engine, tmp_path):
    """One document with every activation's and every loss's derivation (the bodies of
    their standalone documents; one compile keeps the test fast)."""
    bodies = [sn.derive(sn.activation(n)).latex_body() for n in sn.activations()]
    bodies += [sn.derive(sn.loss(n)).latex_body() for n in sn.losses()]
    compile_log(engine, document("\n\n\\newpage\n".join(bodies), "Every derivation"), tmp_path)


@pytest.mark.parametrize(
    "what", ["sigmoid", "relu", "gelu", "mse", "x^2*sin(x)", "tanh(softplus(a*x))*sigmoid(x)"]
)
def test_standalone_derivation_documents_compile(engine, tmp_path, what):
    compile_log(engine, sn.derive(what).to_latex_document(), tmp_path)


def test_the_property_table_compiles_as_booktabs_tables_that_fit(engine, tmp_path):
    tex = table_document()
    assert tex.count("\\toprule") >= 6
    compile_log(engine, tex, tmp_path)


@pytest.mark.parametrize(
    ("layers", "activation", "loss", "bias"),
    [
        ([3, 4, 1], "sigmoid", "sse", True),  # the seed's network
        ([2, 3, 3, 2], "relu", "cross_entropy", False),  # softmax with cross-entropy
        ([2, 3, 2], "gelu_tanh", "huber", True),  # long derivative formulas
    ],
)
def test_network_documents_compile(engine, tmp_path, layers, activation, loss, bias):
    net = sn.Network(layers, activation=activation, loss=loss, bias=bias)
    compile_log(engine, network_document(net), tmp_path)
    compile_log(engine, net.derive().to_latex_document(), tmp_path)


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ("conv(2,3,stride=2,padding=1),relu,maxpool(2),flatten,dense(10)", (1, 8, 8)),
        ("conv(3,2,dilation=2),tanh,avgpool(2),flatten,dense(1)", (2, 7, 7)),
    ],
)
def test_convolution_derivation_documents_compile(engine, tmp_path, spec, shape):
    net = sn.Network(spec, input_shape=shape, loss="mse" if spec.endswith("(1)") else "cross_entropy")
    doc = net.derive().to_latex_document()
    assert_standalone(doc)
    compile_log(engine, doc, tmp_path)
