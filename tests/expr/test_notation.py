"""symnn never silently misreads notation it prints itself.

Every notation the library prints -- σ, ŷ, primes, ⊙, ᵀ, ·, −, ², subscripts, Σ, ∂L/∂W,
Piecewise -- either parses back to the same meaning or is refused with a ParseError
that says what to write instead.  The round trips go through the catalogue: every
activation and loss, printed with ``str`` and ``sympy.sstr``, parses back to the same
expression; so do their derivatives and the plain-text network equations.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy
from sympy import Eq, Piecewise, Symbol

import symnn
from symnn.expr.functions import sigmoid, to_elementary
from symnn.expr.parse import DERIVATIVE_HINT, ParseError, parse


def R(name: str) -> Symbol:
    return Symbol(name, real=True)


x, y, z, yhat, Yhat = R("x"), R("y"), R("z"), R("yhat"), R("Yhat")


def refused(text: str, *words: str, position: int | None = None, **kwargs) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text, **kwargs)
    err = info.value
    for w in words:
        assert w in err.message, f"{text!r}: {w!r} not in {err.message!r}"
    if position is not None:
        assert err.position == position, (text, err.position)
        assert str(err).splitlines()[2].index("^") == 4 + position  # the caret
    return err


# ------------------------------------------------------------- the notation table

PARSES = [
    # symnn's printed forms that parse back to their meaning
    ("σ(x)", sigmoid(x)),  # Network.formula() prints the sigmoid as σ
    ("σ(x)·(1−σ(x))", sigmoid(x) * (1 - sigmoid(x))),
    ("sigma(x)", sigmoid(x)),  # spelled out, as α and alpha are the same letter
    ("σ (x)", sigmoid(x)),
    ("σ", R("sigma")),  # not followed by '(': the variable σ
    ("σ^2*(x+1)", R("sigma") ** 2 * (x + 1)),
    ("exp(-x^2/(2σ^2))", sympy.exp(-(x**2) / (2 * R("sigma") ** 2))),
    ("ŷ", yhat),  # the prediction: Loss.yhat is Symbol("yhat")
    ("yhat", yhat),
    ("(y - ŷ)²", (y - yhat) ** 2),  # Network.formula() prints the loss this way
    ("ŷ₁", R("yhat_1")),
    ("Ŷ = σ(Z2)", Eq(Yhat, sigmoid(R("Z2")))),
    ("2·Ŷ ⊙ (1 - Ŷ) ⊙ (Ŷ - Y)", 2 * Yhat * (1 - Yhat) * (Yhat - R("Y"))),
    ("x ⊙ y", x * y),  # elementwise product: the product, for scalars
    ("x·y", x * y),
    ("x − y", x - y),
    ("x²", x**2),
    ("w1_11 + w2_21", R("w1_11") + R("w2_21")),
    ("Sigma*x", R("Sigma") * x),
    ("Piecewise((0, x <= 0), (x, True))", Piecewise((0, x <= 0), (x, True))),
    (
        "Piecewise((x, (x > 0) & (x < 1)), (0, True))",
        Piecewise((x, sympy.And(x > 0, x < 1)), (0, True)),
    ),
    (
        "Piecewise((1, (x < -1) | (x > 1)), (0, True))",
        Piecewise((1, sympy.Or(x < -1, x > 1)), (0, True)),
    ),
    (
        "Piecewise((1, ~((x > 0) & (x < 1))), (0, True))",
        Piecewise((1, sympy.Not(sympy.And(x > 0, x < 1))), (0, True)),
    ),
    (
        "Piecewise((1, And(x > 0, Or(x < 1, x > 2))), (0, Not(x > 5)))",
        Piecewise((1, sympy.And(x > 0, sympy.Or(x < 1, x > 2))), (0, sympy.Not(x > 5))),
    ),
    (
        "Piecewise((1, Eq(x, 1)), (2, Ne(x, 3)), (0, True))",
        Piecewise((1, Eq(x, 1)), (2, sympy.Ne(x, 3)), (0, True)),
    ),
    (
        "Piecewise((1, |x| < 1 | x > 2), (0, True))",
        Piecewise((1, sympy.Or(sympy.Abs(x) < 1, x > 2)), (0, True)),
    ),
    ("Piecewise((1, (x + 1)^2 > 1), (0, True))", Piecewise((1, (x + 1) ** 2 > 1), (0, True))),
    ("Piecewise((1, x >= 0 & True), (0, True))", Piecewise((1, x >= 0), (0, True))),
    ("3*Piecewise((0, x <= 0), (x, True))", 3 * Piecewise((0, x <= 0), (x, True))),
    ("d/delta", R("d") / R("delta")),  # a division, not a derivative
]


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[t for t, _ in PARSES])
def test_printed_notation_parses_to_its_meaning(text, expected):
    got = parse(text)
    assert got == expected, f"{text!r} -> {got!r}, expected {expected!r}"


REFUSED = [
    # (text, words in the message, caret position)
    ("f'(x)", ["primes", "derivative(expr, x)"], 1),
    ("σ'(x)", ["primes", "symnn diff"], 1),
    ("f′(x)", ["primes"], 1),
    ("ŷ'", ["primes"], 1),
    ("d/dx x^2", ["Leibniz", "derivative(expr, x)", "d/(d*x)"], 0),
    ("3 + d/dx x", ["Leibniz"], 4),
    ("dy/dx", ["Leibniz"], 0),
    ("d²y/dx²", ["Leibniz"], 0),
    ("∂L/∂W2", ["derivatives", "symnn diff"], 0),
    ("Xᵀ", ["transpose", "scalar"], 1),
    ("A1ᵀ δ2", ["transpose"], 2),
    ("(δ2 W2ᵀ) ⊙ A1 ⊙ (1 - A1)", ["transpose"], 6),
    ("A1 W2 ⊙ x", ["juxtaposition", "matrix product", "'*'"], 3),
    ("Σ (y - ŷ)²", ["summation", "Sigma"], 0),
    ("L = Σ (y - ŷ)²", ["summation"], 4),
    ("σ²(x)", ["ambiguous", "σ(x)^2"], 1),
    ("σ^2(x + 1)", ["ambiguous", "σ^2*(x)"], 1),
    ("σ^-1(x)", ["ambiguous"], 1),
    ("y\u0302", ["ŷ", "yhat"], 1),
    ("0 if x <= 0 else 1", ["Piecewise((value, condition)"], 2),
    ("mean of (y - ŷ)²", ["unknown name 'mean'"], 0),
    ("δ2 = 1/n 2·(1 - Ŷ^2) ⊙ (Ŷ - Y)", ["a number cannot follow"], 9),
    ("x & y", ["only allowed in the conditions of Piecewise"], 2),
    ("~x", ["only allowed in the conditions of Piecewise"], 0),
    ("True", ["conditions of Piecewise"], 0),
    ("Piecewise", ["Piecewise((value, condition)"], 0),
    ("Piecewise(0, x)", ["pairs (value, condition)"], 10),
    ("Piecewise((0, x), (1, True))", ["expected a comparison"], 15),
    ("Piecewise((0 x <= 0))", ["expected ','"], 15),
    ("Piecewise((1, 0 < x < 1), (0, True))", ["(a < x) & (x < b)"], 20),
    ("Piecewise((1, (x > 0) & y), (0, True))", ["expected a comparison"], 25),
]


@pytest.mark.parametrize(("text", "words", "position"), REFUSED, ids=[t for t, _, _ in REFUSED])
def test_printed_notation_is_refused_with_advice(text, words, position):
    refused(text, *words, position=position)


def test_the_derivative_hint_names_the_tools():
    assert "symnn diff" in DERIVATIVE_HINT and "derivative(expr, x)" in DERIVATIVE_HINT


def test_declared_symbols_still_win_over_the_sigmoid():
    # documented rule 1 of the parser: a declared symbol always wins, even over functions
    assert parse("sigma(x)", symbols=["sigma", "x"]) == R("sigma") * x
    assert parse("σ(x)", symbols=["x"]) == sigmoid(x)
    assert parse("(y - ŷ)^2", symbols=["y", "yhat"]) == (y - yhat) ** 2


def test_sigma_follows_the_registered_sigmoid(monkeypatch):
    import importlib

    parse_module = importlib.import_module("symnn.expr.parse")
    registry = dict(parse_module._REGISTRY)
    monkeypatch.setattr(parse_module, "_REGISTRY", registry)
    marker = sympy.Function("marker")
    parse_module.register_function("sigmoid", marker, replace=True)
    assert parse("σ(x)") == marker(x)


def test_hadamard_is_a_plain_product_without_juxtaposition():
    assert parse("x ⊙ y ⊙ z") == x * y * z
    assert parse("2 x ⊙ y") == 2 * x * y  # a number times a name is not a matrix product
    assert parse("x*y ⊙ z") == x * y * z


# -------------------------------------------------------------- catalogue round trips


def _same(got: sympy.Basic, expected: sympy.Basic) -> bool:
    """Structurally equal, equal at many points (mpmath, 30 digits), or equal after simplify
    (the slow oracle, only when the points do not decide)."""
    if got == expected:
        return True
    diff = got - expected
    if _zero_at_points(to_elementary(diff)):  # mpmath knows exp, not symnn's sigmoid
        return True
    return sympy.simplify(diff) == 0


def _zero_at_points(diff: sympy.Basic) -> bool:
    """|diff| <= 1e-12 at 40 points, at least 20 of them where it is defined."""
    symbols = sorted(diff.free_symbols, key=lambda s: s.name)
    f = sympy.lambdify(symbols, diff, modules="mpmath")
    checked = 0
    with mpmath.workdps(30):
        for k in range(1, 41):
            point = [mpmath.mpf(k) / 7 - 3 + mpmath.mpf(i) / 11 for i in range(len(symbols))]
            if any(s.is_positive for s in symbols):
                point = [abs(p) + mpmath.mpf(1) / 10 for p in point]
            try:
                value = f(*point)
            except (ZeroDivisionError, ValueError):
                continue
            if abs(value) > mpmath.mpf(10) ** -12:
                return False
            checked += 1
    return checked >= 20


def _printed_forms(expr: sympy.Basic) -> list[str]:
    return [str(expr), sympy.sstr(expr)]


def _pretty_plain(expr: sympy.Basic) -> str:
    """The loss as Network.formula() prints it: yhat as ŷ, **2 as ²."""
    return sympy.sstr(expr).replace("yhat", "ŷ").replace("**2", "²")


def _by_name(got: sympy.Basic, expected: sympy.Basic) -> sympy.Basic:
    """*got* with its symbols replaced by those of *expected* of the same (Greek) name."""
    names = {s.name.replace("lambda", "lamda"): s for s in expected.free_symbols}
    return got.xreplace({s: names.get(s.name, s) for s in got.free_symbols})


ACTIVATIONS = symnn.activations()
LOSSES = [name for name in symnn.losses() if name != "softmax_cross_entropy"]


def test_every_loss_is_covered_but_the_indexed_one():
    # softmax_cross_entropy is fused: its expr is a sum over an indexed class axis
    # (Sum(..., (j, 1, K)) of yhat[j]), which is not scalar notation the parser reads
    assert set(symnn.losses()) - set(LOSSES) == {"softmax_cross_entropy"}
    assert symnn.loss("softmax_cross_entropy").expr.has(sympy.Indexed)


def _round_trip(expr: sympy.Basic, forms: list[str]) -> None:
    declared = sorted(expr.free_symbols, key=lambda s: s.name)
    for text in forms:
        got = parse(text, declared)  # persistence's way: the expression's own symbols
        assert _same(got, expr), f"{text!r} -> {got}"
        long_names = [s.name for s in declared if len(s.name) > 1 and not s.name[1:].isdigit()]
        try:
            opened = parse(text)  # open mode: real symbols of the same names
        except ParseError as err:  # open mode reads single letters (RReLU's lower, upper: not)
            assert any(f"to use {n!r} as one symbol" in err.message for n in long_names), err
            continue
        assert _same(_by_name(opened, expr), expr), f"{text!r} -> {opened} (open mode)"


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_round_trips(name):
    act = symnn.activation(name)
    _round_trip(act.expr, _printed_forms(act.expr))
    _round_trip(act.derivative, _printed_forms(act.derivative))


@pytest.mark.parametrize("name", LOSSES)
def test_loss_round_trips(name):
    lo = symnn.loss(name)
    _round_trip(lo.expr, [*_printed_forms(lo.expr), _pretty_plain(lo.expr)])
    _round_trip(lo.gradient, _printed_forms(lo.gradient))


def test_activation_strings_round_trip_through_the_catalogue_names():
    # str(Activation) is "relu(x) = Piecewise(...)": the left side names a registered function
    for name in ACTIVATIONS:
        act = symnn.activation(name)
        lhs, _, rhs = str(act).partition(" = ")
        if act.params:
            continue  # the default parameters are numbers in relu(x) but symbols in rhs
        assert _same(parse(lhs), act.expr), name
        assert _same(parse(rhs), act.expr), name


def test_float_constants_come_back_as_their_exact_decimals():
    # gelu_tanh carries the Float 0.044715; the parser reads decimals as exact rationals
    act = symnn.activation("gelu_tanh")
    got = parse(str(act.expr))
    assert got != act.expr and _same(got, act.expr)
    assert sympy.Rational(8943, 200000) in got.atoms(sympy.Rational)


# ------------------------------------------------------------- network equations

NETWORKS = [
    ([2, 2, 1], "sigmoid", "sse"),
    ([2, 2, 1], ["relu", "tanh"], "mse"),
    ([2, 2, 1], ["softplus", "sigmoid"], "binary_cross_entropy"),
    ([2, 3, 2], ["elu", "identity"], "mae"),
    ([2, 2, 1], ["leaky_relu", "sigmoid"], "hinge"),
]


def _plain(expr: sympy.Basic) -> sympy.Basic:
    r"""The views' symbols (``\hat{Y}``, ``A_{1}``) as the parser names them (Yhat, A1)."""
    names = {}
    for s in expr.free_symbols:
        name = s.name.replace(r"\hat{Y}", "Yhat").replace("_{", "").replace("}", "")
        names[s] = R(name)
    return expr.xreplace(names)


@pytest.mark.parametrize(("layers", "activation", "loss"), NETWORKS)
def test_network_equations_parse_back_or_are_refused(layers, activation, loss):
    net = symnn.Network(layers, activation=activation, loss=loss)
    parsed = 0
    for eq in [*net.formula(), *net.backprop()]:
        try:
            got = parse(eq.text)
        except ParseError as err:
            assert err.position is not None and err.message  # refused, with a caret
            continue
        parsed += 1
        assert isinstance(got, Eq), eq.text
        lhs = eq.text.partition(" = ")[0]
        assert got.lhs == parse(lhs)
        if eq.name.startswith("A") and not lhs.startswith("Z"):
            i = int(eq.name[1:])
            act = net.activations[i - 1]
            if act.name != "identity":
                expected = act.expr.xreplace({act.symbol: R(f"Z{i}")})
                assert _same(got.rhs, expected.subs(act.params)), eq.text
        if eq.expr is not None and eq.name.startswith("delta"):
            scale = 1
            rhs_text = eq.text.partition(" = ")[2]
            if rhs_text.startswith("1/n "):
                scale = 1 / R("n")
            if " -" in rhs_text and not rhs_text.startswith("-"):
                continue  # "1/(n k) -sign(...)": see test_views_print_a_scaled_negative_delta...
            assert _same(got.rhs, scale * _plain(eq.expr)), eq.text
    assert parsed >= 2  # at least the activation lines parse


def test_views_print_a_scaled_negative_delta_that_parses_back():
    net = symnn.Network([2, 3, 2], activation=["elu", "identity"], loss="mae")
    eq = net.backprop()["delta2"]
    got = parse(eq.text).rhs
    assert _same(got, _plain(eq.expr) / (R("n") * R("k"))), eq.text


def test_every_refusal_of_network_text_is_explained():
    net = symnn.Network([2, 2, 1], activation="sigmoid", loss="sse")
    messages = {}
    for eq in [*net.formula(), *net.backprop()]:
        try:
            parse(eq.text)
        except ParseError as err:
            messages[eq.text] = err.message
    assert any("summation" in m for m in messages.values())  # L = Σ ...
    assert any("transpose" in m for m in messages.values())  # δ1 = (δ2 W2ᵀ) ...
    assert any("derivatives" in m for m in messages.values())  # ∂L/∂W1 = ...
