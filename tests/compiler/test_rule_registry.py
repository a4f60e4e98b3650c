"""The rule registry: every rule fires on its example and keeps the value; the API."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn.compiler.rules as rules_module
from symnn.compiler import RULES, Registry, U, stabilize
from symnn.compiler.markers import Kernel, to_elementary
from symnn.expr.functions import sigmoid
from symnn.expr.functions import to_elementary as named_to_elementary

x = sp.Symbol("x", real=True)
a = sp.Symbol("a", positive=True)
RULE_NAMES = [r.name for r in RULES.rules()]
POINTS = [-30.5, -7.25, -2.0, -0.75, -1e-3, 1e-3, 0.3, 1.5, 4.0, 11.0, 45.0]


def mp_values(expr):
    """mpmath values of *expr* (markers and named functions written out) at POINTS."""
    elem = named_to_elementary(to_elementary(expr))
    elem = elem.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    elem = elem.replace(lambda e: isinstance(e, sp.Derivative), lambda e: sp.S.Zero)
    fn = sp.lambdify(x, elem, modules="mpmath")
    out = []
    with mpmath.workdps(200):
        for t in POINTS:
            try:
                out.append(mpmath.mpf(sp.re(sp.sympify(fn(mpmath.mpf(t))))))
            except (ZeroDivisionError, ValueError, TypeError):
                out.append(None)
    return out


def test_every_rule_has_a_documented_pattern_and_an_example():
    for rule in RULES.rules():
        assert rule.pattern and rule.stable, rule.name
        assert rule.example is not None, f"rule {rule.name} needs an example it fires on"


@pytest.mark.parametrize("name", RULE_NAMES)
def test_rule_fires_on_its_example_and_keeps_the_value(name):
    rule = RULES[name]
    example = rule.example
    assert isinstance(example, rule.node), f"{name}: example {example} is not a {rule.node}"
    new = rule.rewrite(example)
    assert new is not None and new != example, f"{name} does not fire on {example}"
    if name in ("dirac_delta", "step_derivative"):
        assert new == 0  # the documented convention, not an identity
        return
    before, after = mp_values(example), mp_values(new)
    for t, v, w in zip(POINTS, before, after, strict=True):
        if v is None or w is None or not mpmath.isfinite(v):
            continue
        assert abs(v - w) <= mpmath.mpf(10) ** -40 * max(1, abs(v)), (name, t, v, w, new)


def test_the_documented_table_is_the_registry():
    table = RULES.table()
    assert table in rules_module.__doc__, (
        "the table in symnn/compiler/rules.py's docstring is out of date; paste this one "
        "(print(symnn.compiler.RULES.table())):\n" + table
    )


def test_rule_names_are_unique_and_phases_known():
    demo = Registry()
    demo.sum_pair("r", sp.exp(U), -1, sp.Function("g")(U), pattern="p", stable="s")
    with pytest.raises(ValueError, match="already registered"):
        demo.sum_pair("r", sp.exp(U), -1, sp.Function("g")(U), pattern="p", stable="s")
    with pytest.raises(ValueError, match="phase"):
        demo.node(sp.Add, phase="later")(lambda e: None)


def test_a_term_and_a_function_of_the_same_argument_is_one_row():
    """k*u + k*F(u): the shape squareplus and tanhshrink have."""
    F, G = sp.Function("F"), sp.Function("G")
    demo = Registry()
    demo.sum_pair("uF", F(U), U, G(U), pattern="u + F(u)", stable="G(u)")
    e = 3 * a * x**2 + 3 * a * F(x**2) + sp.sin(x)
    assert demo.apply(e, "stabilize") == 3 * a * G(x**2) + sp.sin(x)
    # a different coefficient is not the pattern
    assert demo.apply(2 * x + 3 * F(x), "stabilize") == 2 * x + 3 * F(x)


def test_numbers_must_match_exactly():
    # 2 + erf(x) >= 1 does not cancel: no rewrite; nor exp(x) + 3
    assert stabilize(2 + sp.erf(x)) == 2 + sp.erf(x)
    assert stabilize(sp.exp(x) + 3) == sp.exp(x) + 3


def test_product_pairs_divide_numeric_parts():
    assert stabilize(sp.sin(2 * x) / x) == 2 * sp.sinc(2 * x)


def test_skip_by_name_or_tag():
    assert stabilize(1 - sigmoid(x), skip=["complement"]) == 1 - sigmoid(x)
    assert stabilize(sp.exp(x) - 1, skip=["expm1"]) == sp.exp(x) - 1
    assert stabilize(1 - sigmoid(x)) == sigmoid(-x)


def test_markers_know_their_mathematics():
    for cls in Kernel.__subclasses__():
        assert cls.elementary is not Kernel.elementary, cls


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(-3, 3).filter(lambda k: k != 0))
def test_expanded_binomials_of_exp_become_sigmoids(m, k):
    e = sp.expand((1 + sp.exp(k * x)) ** m)
    out = stabilize(1 / e)
    assert not out.has(sp.exp), out
    t = 0.37
    assert float(out.subs(x, t).evalf(30)) == pytest.approx(float((1 / e).subs(x, t)), rel=1e-14)


@pytest.mark.parametrize(
    "expr",
    [
        sp.diff((x + sp.sqrt(x**2 + 4)) / 2, x),
        sp.sqrt(1 + (x / a) ** 2) - 1,
        x / sp.sqrt(1 + a * x**2),
        sp.diff(sp.exp(x) / (1 + sp.exp(x)), x),
    ],
)
def test_stabilize_is_an_identity(expr):
    new = stabilize(expr)
    assert new != expr
    sub = {a: sp.Rational(3, 2)}
    for t in (-40.0, -1.5, 0.25, 3.0, 60.0):
        t = sp.Rational(t)
        v = sp.N(expr.xreplace(sub).subs(x, t), 40)
        w = sp.N(named_to_elementary(to_elementary(new)).xreplace(sub).subs(x, t), 40)
        assert abs(v - w) <= 1e-30 * max(1, abs(v)), (t, v, w)


def test_apply_rewrites_shared_subexpressions_once():
    calls = []
    demo = Registry()

    @demo.node(sp.exp, pattern="p", stable="s")
    def count(e):
        calls.append(e)
        return None

    big = sum(sp.exp(x) * x**k for k in range(20))
    demo.apply(big, "stabilize", max_passes=1)
    assert len(calls) == 1


def test_numpy_grid_agrees_for_rule_examples_compiled():
    """Compiled examples agree with mpmath too (markers print to working kernels)."""
    import symnn as sn

    for rule in RULES.rules("stabilize"):
        e = rule.example
        if e.free_symbols != {x}:
            continue
        f = sn.compile(to_elementary(e) if e.has(Kernel) else e, x)
        with np.errstate(all="ignore"):
            got = f(np.array(POINTS))
        for t, g, v in zip(POINTS, got, mp_values(e), strict=True):
            if v is None or not mpmath.isfinite(v):
                continue
            assert abs(g - v) <= 1e-13 * max(abs(v), 1e-300), (rule.name, t, g, v, f.source)
