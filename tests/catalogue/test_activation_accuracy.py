"""Every catalogue activation and its first derivative against a 400-digit mpmath oracle."""

from __future__ import annotations

import pytest

import symnn as sn
from tests.accuracy import check_accuracy

#: Next to an interior root of the function where its formula cancels (GELU' at -0.7518,
#: SiLU' at -1.2785, the roots of sinc' where tan x = x, ...) the compiler's near-root
#: kernel (symnn.compiler.roots) takes over: the same 1e-12 holds there too.
CASES = [(name, order) for name in sn.activations() for order in (0, 1)]


@pytest.mark.parametrize(("name", "order"), CASES)
def test_compiled_matches_mpmath(name, order):
    act = sn.activation(name)
    failures = check_accuracy(
        act.compiled(order), act.diff(order), act.symbol, act.params, kinks=act.kinks
    )
    assert not failures, f"{name} (order {order}):\n" + "\n".join(failures)


USER_DEFINED = {
    "elementary_sigmoid": "1/(1 + exp(-x))",
    "mish_by_hand": "x*tanh(log(1 + exp(x)))",
    "softplus_by_hand": "log(1 + exp(x))",
    "gelu_by_hand": "x/2*(1 + erf(x/sqrt(2)))",
    "swish_by_hand": "x/(1 + exp(-x))",
}


@pytest.mark.parametrize(
    ("name", "order"), [(name, order) for name in sorted(USER_DEFINED) for order in (0, 1)]
)
def test_user_defined_expressions_get_the_same_treatment(name, order):
    import sympy as sp

    x = sp.Symbol("x", real=True)
    text = USER_DEFINED[name]
    expr = sp.sympify(text, locals={"x": x})  # trusted test text, not user input
    act = sn.Activation(expr, name=name)
    failures = check_accuracy(act.compiled(order), act.diff(order), act.symbol, act.params)
    assert not failures, f"{name} (order {order}):\n" + "\n".join(failures)
