"""The in-place emitter computes exactly what the compiled functions compute."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import sympy as sp

import symnn as sn
from symnn.compiler import kernels
from symnn.compiler.inplace import InplaceEmitter
from symnn.nn.network import _exact

Z = sp.Symbol("z", real=True)


def run_emitted(expr, values):
    em = InplaceEmitter({Z: "Z"}, scratch=lambda i: f"T{i}")
    lines = em.emit(expr, "OUT")
    ns = {"np": np, "special": scipy.special, "kernels": kernels, "Z": values}
    ns["OUT"] = np.empty_like(values)
    for i in range(em.scratch_used):
        ns[f"T{i}"] = np.empty_like(values)
    with np.errstate(all="ignore"):
        exec("\n".join(lines), ns)  # generated from a SymPy tree, trusted
    return ns["OUT"], lines


@pytest.mark.parametrize("name", sn.activations())
@pytest.mark.parametrize("order", [0, 1])
def test_emitted_code_equals_the_compiled_function(name, order):
    act = sn.activation(name)
    subs = {p: _exact(v) for p, v in act.params.items()}
    expr = act.diff(order).xreplace(subs).xreplace({act.symbol: Z})
    values = np.concatenate([np.linspace(-12, 12, 481), [-700.0, -30.0, 0.0, 30.0, 700.0]])
    got, lines = run_emitted(expr, values)
    expected = act.compiled(order)(values)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300, err_msg="\n".join(lines))


def test_every_line_writes_into_a_buffer():
    _, lines = run_emitted(Z * sp.tanh(sn.softplus(Z)), np.linspace(-3, 3, 7))
    assert all("out=" in ln or ln.startswith(("OUT[...]", "T")) or "copyto" in ln for ln in lines)
