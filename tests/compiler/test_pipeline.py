"""One pipeline: prepare runs once per expression; printing takes prepared expressions."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symnn as sn
import symnn.compiler.pipeline as pipeline_module
from symnn.compiler import numpy_source, prepare
from symnn.compiler.markers import Clip

x, y = sp.symbols("x y", real=True)
PACKAGE = Path(pipeline_module.__file__).parent


def test_compile_prepares_once(monkeypatch):
    calls = []
    real = pipeline_module.branch_free
    monkeypatch.setattr(pipeline_module, "branch_free", lambda e, v: calls.append(e) or real(e, v))
    elu = sp.Piecewise((sp.exp(x) - 1, x <= 0), (x, True)) + sp.Symbol("fresh", real=True) * 0
    sn.compile(sp.diff(elu * x**3, x), x)
    assert len(calls) == 1


def test_numpy_source_of_prepared_expressions_does_not_prepare(monkeypatch):
    e = prepare(sp.log(1 + sp.exp(x)) + sp.Piecewise((0, x < 0), (x, True)), [x])

    def fail(*args, **kwargs):
        raise AssertionError("prepared twice")

    monkeypatch.setattr(pipeline_module, "prepare", fail)
    _lines, (code,) = numpy_source([e], {x: "Z"}, prepared=True)
    assert set(code.split(" + ")) == {"np.logaddexp(0, Z)", "np.maximum(Z, 0)"}


def test_prepare_is_idempotent_and_memoised():
    e = sp.diff(sp.Piecewise((sp.exp(x) - 1, x <= 0), (x, True)) * sp.tanh(x), x)
    once = prepare(e, [x])
    assert prepare(once, [x]) is once
    assert prepare(e, [x]) is once
    assert once.has(Clip)


def test_prepare_steps():
    # stabilise -> branch-free -> specialise -> fold constants
    e = sp.Piecewise((0, x <= -3), (x / 6 + sp.Rational(1, 2), x < 3), (1, True))
    out = prepare(e * sp.sqrt(2), [x])
    assert not out.has(sp.Piecewise) and not out.has(sp.sqrt(2))
    assert "Linear" in str(out)


def test_unstable_printing_still_has_no_branches():
    f = sn.compile(sp.Piecewise((0, x <= 0), (x, True)), x, stable=False)
    assert "np.maximum" in f.source


def test_the_package_imports_no_private_names_across_modules():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("symnn"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (
                    f"{path.name} imports private names {private} from {node.module}"
                )


def test_public_surface():
    import symnn.compiler as c

    for name in ("compile", "CompiledFunction", "numpy_source", "prepare", "stabilize",
                 "branch_free", "InplaceEmitter", "kernels", "RULES", "Registry"):  # fmt: skip
        assert hasattr(c, name), name


def test_network_code_generation_matches_compiled_functions():
    net = sn.Network([2, 3, 1], activation="hard_swish", output_activation="sigmoid", loss="bce")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 2)), rng.uniform(size=(5, 1))
    grads = net.gradients(X, Y)
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("stable", [True, False])
def test_numpy_source_prepares_when_asked(stable):
    _lines, (code,) = numpy_source([sp.exp(x) - 1], {x: "Z"}, stable=stable)
    assert code == ("np.expm1(Z)" if stable else "np.exp(Z) - 1")
