"""The parser bounds what it builds, refuses non-real constants, and returns only printable results.

Each limit is tested at the boundary (accepted) and just past it (refused with a
ParseError that names the limit, with the caret at the offending part).
"""

from __future__ import annotations

import time

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sympy import Symbol

import symnn
from symnn.expr.parse import (
    MAX_EXPONENT,
    MAX_MINMAX_ARGS,
    MAX_OPS,
    MAX_SECONDS,
    MAX_TOWER,
    ParseError,
    parse,
)

x = Symbol("x", real=True)


def refused(
    text: str, *words: str, position: int | None = None, seconds: float = 2.0
) -> ParseError:
    start = time.process_time()
    with pytest.raises(ParseError) as info:
        parse(text, max_length=10**6)
    assert time.process_time() - start < seconds, f"{text[:40]!r} took too long to refuse"
    err = info.value
    for w in words:
        assert w in err.message, f"{text[:40]!r}: {w!r} not in {err.message!r}"
    if position is not None:
        assert err.position == position, (text[:40], err.position)
    return err


# ------------------------------------------------------------------ exponents


def test_exponent_limit_on_symbolic_bases():
    assert parse(f"x^{MAX_EXPONENT}") == x**MAX_EXPONENT
    assert parse(f"x^-{MAX_EXPONENT}") == x**-MAX_EXPONENT
    refused(f"x^{MAX_EXPONENT + 1}", "MAX_EXPONENT", position=1)
    refused("x^(10^9)", "exponent 1000000000", position=1)
    refused(f"(x + 1)^-{MAX_EXPONENT + 1}", "MAX_EXPONENT")
    refused("x^(2001/2)", "MAX_EXPONENT")  # a rational exponent with a large numerator
    refused("x^(1000 pi)", "MAX_EXPONENT")  # an irrational one beyond the limit
    refused("(x^600)*(x^600)", "MAX_EXPONENT", position=7)  # built by SymPy's combining
    refused("sin(x)^1001", "MAX_EXPONENT")


def test_exponents_of_constants_and_symbolic_exponents_are_not_limited():
    assert parse("2^2000") == sympy.Integer(2) ** 2000  # a number, bounded by MAX_DIGITS
    assert parse("x^(1/1024)") == x ** sympy.Rational(1, 1024)
    assert parse("2^(10^9 x)") == 2 ** (10**9 * x)
    assert parse("exp(10^9 x)") == sympy.exp(10**9 * x)


# ------------------------------------------------------------------ min / max


def test_min_max_argument_limit():
    many = ", ".join(f"{i}x" for i in range(MAX_MINMAX_ARGS))
    assert len(parse(f"max({many})").args) == MAX_MINMAX_ARGS
    too_many = ", ".join(f"{i}x" for i in range(MAX_MINMAX_ARGS + 2))
    refused(f"max({too_many})", "MAX_MINMAX_ARGS", position=0)
    refused("min(" + ", ".join(f"x + {i}" for i in range(300)) + ")", "min() of")
    # nesting does not get around it: SymPy flattens max(max(...), max(...))
    half = ", ".join(f"x*{i}" for i in range(2, 22))
    refused(f"max(max({half}), max({half.replace('x', 'y')}))", "MAX_MINMAX_ARGS")


def test_the_300_argument_max_of_the_issue_is_refused_quickly():
    text = "max(" + ", ".join(f"{i}x" for i in range(300)) + ")"
    refused(text, "300 arguments")


# ------------------------------------------------------------------ power towers


def test_power_tower_limit():
    ok = "x" + "^x" * MAX_TOWER
    assert parse(ok).has(x)
    err = refused("x" + "^x" * (MAX_TOWER + 1), "MAX_TOWER")
    assert err.position is not None
    refused("x" + "^x" * 30, "levels deep")
    assert parse("((x^x)^x)^x") is not None  # left-nested powers are not a tower
    assert parse("exp(" * 20 + "x" + ")" * 20).has(x)  # nor are nested exponentials


def test_a_tower_at_the_limit_can_be_differentiated():
    from symnn.expr.symbolic import derivative

    d = derivative(parse("x" + "^x" * MAX_TOWER), x)
    assert d.subs(x, sympy.Rational(3, 2)).evalf() > 0


# ------------------------------------------------------------------ size


def test_operation_limit():
    per_term = 4  # "+", "*", "sin" and the "*" of k*x in each "+ (k+2)*sin(kx)"
    n = MAX_OPS // per_term - 5
    ok = "+".join(f"{k + 2}*sin({k}x)" for k in range(n))
    assert sympy.count_ops(parse(ok, max_length=10**6)) <= MAX_OPS
    big = "+".join(f"{k + 2}*sin({k}x)" for k in range(MAX_OPS // per_term + 10))
    # building 1260 terms takes SymPy a few seconds (inputs are 10 000 characters by default)
    refused(big, "MAX_OPS", f"{MAX_OPS}", seconds=MAX_SECONDS + 1)


# ------------------------------------------------------------------ non-real constants

NON_REAL = [
    ("sqrt(-1)*x", 0),
    ("sqrt(-1)", 0),
    ("(-1)^(1/2)", 4),
    ("(-8)^(1/3)", 4),
    ("x + (-2)^0.5", 8),
    ("log(-1)", 0),
    ("log(-x^0 - 1)", 0),
    ("asin(2)", 0),
    ("acosh(1/2)", 0),
    ("atanh(2) * x", 0),
    ("√(-4)", 0),
    ("I", 0),
    ("E^(I*pi)", 3),
    ("2I", 1),
]


@pytest.mark.parametrize(("text", "position"), NON_REAL, ids=[t for t, _ in NON_REAL])
def test_non_real_constants_are_refused(text, position):
    err = refused(text, position=position)
    assert "real" in err.message


def test_cube_roots_of_negative_numbers_point_to_cbrt():
    assert "cbrt" in refused("(-8)^(1/3)").message
    assert parse("cbrt(-8)") == -2


def test_activation_from_a_non_real_formula_is_refused():
    with pytest.raises(ParseError, match="not a real number"):
        symnn.Activation("sqrt(-1)*x")


def test_real_formulas_with_negative_numbers_still_parse():
    assert parse("(-8)^2") == 64
    assert parse("(-2)^-1") == sympy.Rational(-1, 2)
    assert parse("sqrt(x^2 - 1)") == sympy.sqrt(x**2 - 1)  # symbolic: real where defined
    assert parse("log(-x)") == sympy.log(-x)
    assert parse("acos(1/2)") == sympy.pi / 3
    assert parse("I_1", symbols=None) == Symbol("I_1", real=True)
    assert parse("I + 1", symbols=["I"]) == Symbol("I", real=True) + 1


def test_intervals_at_infinity_are_refused():
    refused("sin(oo)", "not a number")


# ------------------------------------------------------------------ printable results


def test_floor_of_a_huge_inexact_number_is_refused():
    refused("floor(erfc(-10)*10^999)", "integer part", position=0)
    refused("ceil(pi*10^500)", "integer part", position=0)
    below = parse("floor(erfc(-10)*10^50)")  # within SymPy's precision: evaluated exactly
    assert below.is_Integer and str(below).startswith("1" + "9" * 44)
    assert parse("floor(10^999 + 1/2)") == sympy.Integer(10) ** 999  # exact: fine


FUNCTIONS = ["floor", "ceiling", "erfc", "erf", "exp", "log", "sin", "gamma", "sign", "abs"]
NUMBERS = ["10^999", "10^300", "10^-999", "9^9^2", "2", "0.5", "-10", "pi", "e", "7!"]


def _formula(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(["x", "y"]))
    if depth == 0:
        return leaf
    inner = _formula(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})"
        ),
        st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
    )


@settings(max_examples=300, deadline=None)
@given(_formula(3))
@example("(10^999)/(erfc(10^999))")  # SymPy's is_zero overflowed inside mpmath
def test_whatever_parses_can_be_printed(text):
    try:
        result = parse(text)
    except ParseError:
        return
    assert isinstance(str(result), str)
    assert isinstance(sympy.sstr(result), str)
    assert not result.has(sympy.I)
