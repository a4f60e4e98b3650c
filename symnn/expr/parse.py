r"""Safe, friendly parser: mathematics typed by people -> SymPy.

``parse("x^2+y^2+xy=1")`` returns ``Eq(x**2 + x*y + y**2, 1)``.  Every place where
symnn accepts a formula as a string goes through :func:`parse`.

Safety
------
``sympify`` and ``parse_expr`` run Python ``eval``; this module never calls them,
nor ``eval``/``exec``.  It has its own tokenizer and a recursive-descent parser that
admits only numbers, known names and the operators below, and builds SymPy objects
directly.  Symbols it creates always have plain identifier names.  Inputs are bounded:

* at most ``max_length`` characters (default 10 000);
* nesting (brackets, bars, function calls, roots, exponent towers) at most
  :data:`MAX_DEPTH` = 64 levels deep;
* exact numbers at most :data:`MAX_DIGITS` = 1000 digits, and numeric constants
  within :math:`10^{\pm 1000}`: ``9^9^9^9``, ``99999999!`` or ``exp(10^999)`` are
  refused from an estimate made *before* anything is evaluated (constants are sized
  with 53-bit mpmath arithmetic, whose exponent range is unbounded);
* roots of numbers with more than :data:`MAX_ROOT_DIGITS` = 100 digits are refused
  (SymPy factors them, which is slow);
* symbol-free expressions may nest functions at most :data:`MAX_CONSTANT_DEPTH` = 6
  deep (``exp(-exp(-exp(-1)))`` is 3): SymPy checks constants numerically at a
  cost that doubles with every level;
* SymPy's simplification is skipped where its cost explodes, and the expression is
  built as typed instead: ``min``/``max`` with more than two symbolic arguments,
  and kink functions (``abs``, ``sign``, ``floor``, ``ceiling``, ``Heaviside``,
  ``min``, ``max``) nested inside two others;
* what is built stays small enough for the code downstream (differentiation,
  plotting, compiling): powers of a non-constant base have exponents within
  ±:data:`MAX_EXPONENT` = 1000 (``x^1001``, ``x^(10^9)`` and ``x^600*x^600`` are
  refused; a rational p/q needs ``|p| <= 1000``); ``min``/``max`` take at most
  :data:`MAX_MINMAX_ARGS` = 32 arguments, counted after SymPy flattens nested ones;
  towers of powers with symbolic exponents are at most :data:`MAX_TOWER` = 8 levels
  deep (``x^x^x`` is 2); the whole expression has at most :data:`MAX_OPS` = 5000
  operations (as :func:`sympy.count_ops` counts them);
* constants are real: ``sqrt(-1)``, ``(-1)^(1/2)``, ``(-8)^(1/3)`` (SymPy's principal
  root is complex: write ``cbrt(-8)``), ``log(-1)``, ``asin(2)`` and the name ``I``
  (SymPy's imaginary unit) are refused -- symnn's symbols are real;
* results can be printed: ``floor``/``ceiling`` of an inexact constant beyond 10^100
  (``floor(erfc(-10)*10^999)``, whose integer part SymPy cannot find) are refused,
  and so is anything whose ``str()`` fails;
* as a last safety net, a formula whose construction takes more than
  :data:`MAX_SECONDS` = 5 s of CPU time is refused (checked between steps; CPU time,
  not wall time, so a busy machine does not refuse more; ordinary inputs of
  10 000 characters take well under a second).

Each refusal names the limit and puts the caret under the operator or call that
crossed it.

Everything else raises :class:`ParseError` (a ``ValueError``) with the position of
the offending character and a caret under it.

What it accepts
---------------
======================  =========================================================
Syntax                  Meaning
======================  =========================================================
``^``, ``**``, ``x²``   power, right-associative: ``2^3^2`` = 2^9; ``-x^2`` = -(x^2);
                        ``x^-2`` works; superscripts ``⁰-⁹ ⁺ ⁻ ⁽ ⁾ ⁿ ⁱ`` form an
                        exponent (``x⁻¹``, ``xⁿ⁺¹``)
``* / · × ÷ + - −``     arithmetic (unicode ``·``, ``×``, ``÷``, ``−`` are accepted)
``2x``, ``3(x+1)``      implicit multiplication, with the precedence of ``*``:
``(x+1)(x-1)``, ``x y`` ``1/2x`` = x/2, ``2x^2`` = 2(x^2), ``e^2x`` = e^2·x
``n!``                  factorial (postfix, binds tighter than ``^``: ``2^3!`` = 2^6)
``|x|``                 absolute value; inside bars, a ``|`` after an operand closes
                        them (``|x|y`` = \|x\|·y, ``||x|-1|`` nests)
``√x``, ``∛x``, ``∜x``  roots of the next number, name, call or bracket:
                        ``√2x`` = √2·x; ``√x^2`` is refused as ambiguous
``=``, ``==``           an equation, returned as ``Eq(lhs, rhs)`` (never evaluated)
``< <= > >= ≤ ≥``       an inequality (unevaluated ``Relational``); one per input
``sin(x)``, ``sin²(x)`` a function call; ``sin^2(x)`` = sin(x)^2; ``sin^-1(x)`` is
                        refused as ambiguous (asin or 1/sin?)
``Piecewise((v, c),     SymPy's printed form: each condition is a comparison
...)``                  (``< <= > >= == != ≤ ≥``, one per comparison), ``True``,
                        ``False``, or conditions joined by ``&``, ``|``, ``~`` or
                        ``And(...)``, ``Or(...)``, ``Not(...)``, ``Eq(a, b)``,
                        ``Ne(a, b)``; ``&``, ``|`` (as "or"), ``~`` mean nothing
                        elsewhere
======================  =========================================================

Notation symnn prints
---------------------
symnn never silently misreads what it prints itself (``str()`` of activations and
losses, ``Network.formula()``/``backprop()``, ``symnn diff``): it parses back to the
same meaning or is refused with advice.

================================  ==================================================
Printed                           Parsed as
================================  ==================================================
``σ(x)``, ``sigma(x)``            the logistic sigmoid (symnn's
                                  :class:`~symnn.expr.functions.sigmoid`, or what
                                  the catalogue registered as ``sigmoid``); ``σ``
                                  not followed by ``(`` is the variable sigma;
                                  ``σ²(x)``/``σ^2(x)`` are refused as ambiguous
``ŷ``, ``yhat`` (``Ŷ``)           ``Symbol("yhat")``, the prediction of the losses
                                  (``Symbol("Yhat")``); ``ŷ₁`` is ``yhat_1``
``·``, ``×``, ``−``, ``²``        product, product, minus, square
``⊙`` (elementwise product)       the product: for scalars they are the same; a
                                  formula that also multiplies two non-numbers by
                                  juxtaposition (``A1 W2 ⊙ x``, where symnn's matrix
                                  equations mean the matrix product) is refused
``w1_11``, ``x₁``, ``A1``, ``δ2``  symbols of those names (``δ2`` is ``delta2``)
``Piecewise((0, x <= 0), ...)``   the piecewise expression (the catalogue's ReLU)
``Heaviside(x, 0)``, ``Max(...)``  the same functions
``f'(x)``, ``σ'(x)``, ``f′``      refused: primes are not parsed; use ``symnn diff``
                                  or :func:`symnn.expr.symbolic.derivative`
``d/dx x^2``, ``dy/dx``           refused (Leibniz notation), same advice; a real
                                  division is ``d/(d*x)``
``∂L/∂W``                         refused, same advice
``Xᵀ``, ``⊤``                     refused: transpose is a matrix operation
``Σ (y - ŷ)²``                    refused: ``Σ`` is a summation sign here; the
                                  Greek capital as a variable is written ``Sigma``
``0 if x <= 0 else 1``            refused, with the Piecewise to write instead
``I``                             refused: SymPy's imaginary unit (``I_1`` or a
                                  declared ``I`` are fine)
================================  ==================================================

Functions (:func:`known_functions` lists them): sin cos tan cot sec csc, their
inverses (asin or arcsin, ..., atan2), the hyperbolic ones and their inverses, exp,
log (natural; ``log(x, b)`` in base b), ln, log10, log2, sqrt, cbrt (the *real*
cube root: cbrt(-8) = -2), abs/Abs, sign/sgn, floor, ceiling/ceil, min/max (any
number of arguments), erf, erfc, gamma, factorial, Heaviside (H(0) = 1/2, or
``Heaviside(x, h0)``) and sigmoid (symnn's named function, also typed ``σ(x)``),
which the activation catalogue replaces with its own when it registers its
functions.

Numbers.  Integers stay ``Integer``.  **Every decimal literal becomes the exact
rational of its decimal text** -- what a person means by "0.1" is 1/10, not the
binary float 0.1000000000000000055...: ``0.5`` -> 1/2, ``0.1`` -> 1/10,
``1e-3`` -> 1/1000, ``2.0`` -> 2.  ``2e3`` is scientific notation (2000), ``2e``
is 2·e.  Two numbers in a row (``2 3``) and a number right after a name or bracket
(``x2`` aside, ``x 2``, ``(x+1)2``) are refused: on the web they usually are a
lost superscript.

Names.  A name is a run of letters, digits and ``_`` starting with a letter;
unicode Greek letters and subscript digits (``x₁`` = ``x_1``) are letters too.
In order, a name is

1. a declared symbol (``symbols=``): always wins, even over functions
   (with ``symbols=["gamma"]``, ``gamma(x)`` is gamma·x);
2. a function (``functions=`` of this call, then :func:`register_function`, then the
   builtins, see :func:`known_functions`) when followed by ``(``;
3. a constant: ``pi``/``Pi``/``π``, ``e``/``E`` (Euler's number), ``oo``/``inf``/``∞``;
4. a variable (below); anything else is refused with a did-you-mean.

Greek letters, typed as unicode or spelled out, are symbols named by the **word**:
``α`` and ``alpha`` are both ``Symbol('alpha')`` (SymPy prints it as α);
``λ``/``lambda``/``lamda`` is ``Symbol('lamda')``, SymPy's own spelling, because
``lambda`` is a Python keyword.  Uppercase ``Γ Δ Θ Λ Ξ Φ Ψ Ω`` likewise
(``Gamma``, ...; capitals that look like Latin letters are refused, and ``Σ`` is read
as a summation sign, so the variable is typed ``Sigma``).  ``ŷ`` and ``Ŷ`` are
letters too, the symbols ``yhat`` and ``Yhat``.  Created
symbols are ``Symbol(name, real=True)``.  Python keywords and a few words that
would otherwise split silently (``and``, ``or``, ``not``, ``if``, ``in``, ``nan``)
are refused with an explanation.

Variables when ``symbols=None`` ("open mode"):

* every single letter, Latin or Greek, is a variable (``e`` and ``E`` are Euler's
  number unless declared); so is a single letter before ``(``: ``f(x)`` is f·x;
* a letter (or Greek name) followed by digits, ``x1``, ``w12``, is a subscripted
  symbol -- unless the same letter is also used on its own in the input, as in the
  web-mangled ``x2 y2 xy=1`` (from x²+y²+xy=1), which is refused with a hint to write
  ``x^2`` or ``x_2``;
* a name with an underscore, ``x_1``, ``w_out``, ``learning_rate``, is a symbol;
* any other word is split into variables (and Greek names, ``pi``) using the fewest
  pieces, ``xy`` = x·y, ``ax`` = a·x, ``pir`` = π·r, ``alphax`` = α·x, but only if
  it splits into at most 3 pieces, is not followed by ``(`` (``elu(x)`` must be a
  known function, not e·l·u·x), does not start with a function name (``sinx`` is
  refused: did you mean ``sin(x)``?) and splits in only one way.  Longer unknown
  words (``sigmod``, ``relu`` when no catalogue registered it) are refused with a
  did-you-mean.  The pieces then act as if typed with spaces: ``ab^2`` = a·b²,
  ``πr²`` = π·r², ``x^ab`` = x^a·b.

With ``symbols=[...]`` ("declared mode") the variables in play are exactly the
declared ones: any other name is refused, and an unknown word is split into
declared names and constants (``xy`` = x·y with ``symbols=["x", "y"]``), never
when the word itself is declared.

Unicode.  Characters are checked one by one, and positions in errors are those of
the input.  Fullwidth forms (``ｘ``, ``（``, ``，`` from CJK input methods) and
mathematical alphanumerics (``𝑥`` from equation editors) are mapped to their plain
letter (NFKC, one character to one character); ``·×∗⋅∙`` -> ``*``, ``÷∕`` ->
``/``, ``−‐‑‒–`` -> ``-``, unusual spaces -> space, ``µ`` -> ``μ``.  Look-alikes
that are *not* these (Cyrillic ``х``, Greek capital ``Α``, omicron ``ο``),
invisible characters (zero-width, bidi controls), control characters and NUL are
refused with a message that names the character.

Example
-------
>>> from symnn.expr.parse import parse
>>> parse("x^2+y^2+xy=1")
Eq(x**2 + x*y + y**2, 1)
>>> parse("0.5x² - 3(x+1)")
x**2/2 - 3*x - 3
>>> parse("sigmod(x)")
Traceback (most recent call last):
...
symnn.expr.parse.ParseError: unknown function 'sigmod'; did you mean 'sigmoid'?
    sigmod(x)
    ^
"""

from __future__ import annotations

import contextvars
import inspect
import keyword
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import mpmath
import sympy
from sympy import S

from symnn._validation import did_you_mean
from symnn.expr.functions import sigmoid

__all__ = [
    "DERIVATIVE_HINT",
    "MAX_CONSTANT_DEPTH",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_MINMAX_ARGS",
    "MAX_OPS",
    "MAX_ROOT_DIGITS",
    "MAX_SECONDS",
    "MAX_TOWER",
    "ParseError",
    "known_functions",
    "parse",
    "register_function",
]

#: Deepest nesting of brackets, bars, calls, roots and exponents accepted.
MAX_DEPTH = 64
#: Largest exact number (in decimal digits) and largest constant magnitude
#: (:math:`10^{\pm\mathrm{MAX\_DIGITS}}`) the parser will build.
MAX_DIGITS = 1000
#: Largest number (in digits) under a fractional power, e.g. ``sqrt(n)``.
MAX_ROOT_DIGITS = 100
#: Deepest nesting of functions in a symbol-free expression, e.g. exp(-exp(-1)) is 2.
#: SymPy checks such constants numerically, at a cost that doubles with each level.
MAX_CONSTANT_DEPTH = 6
#: Safety net: give up when building one formula has taken this many seconds of SymPy
#: work (checked between steps; the limits above keep ordinary inputs far below it).
MAX_SECONDS = 5.0
#: Largest exponent of a power of a non-constant base: ``x^1000`` is fine, ``x^1001`` and
#: ``x^(10^9)`` are refused (differentiation, expansion and plotting would crawl), as is a
#: rational exponent p/q with ``|p| > 1000``.
MAX_EXPONENT = 1000
#: Most arguments of one ``min``/``max`` (SymPy compares every pair of them).
MAX_MINMAX_ARGS = 32
#: Deepest tower of powers with symbolic exponents: ``x^x^x`` is 2 levels.
MAX_TOWER = 8
#: Largest expression, in operations counted as :func:`sympy.count_ops` does without
#: visual grouping: every ``+``, ``*``, power and function call (repeats count each time).
MAX_OPS = 5000

_MAX_NAME = 64  # characters in one name
_MAX_SPLIT_PIECES = 3  # open mode: "xyz" splits, "relu" does not


# --------------------------------------------------------------------------- errors


class ParseError(ValueError):
    """A formula could not be parsed; ``str(err)`` shows where, with a caret.

    Attributes: ``message`` (the explanation), ``text`` (the input) and
    ``position`` (0-based index of the offending character in ``text``, equal to
    ``len(text)`` for a missing end, or ``None``).

    >>> err = ParseError("expected an expression after '+'", "2x+", 3)
    >>> print(err)
    expected an expression after '+'
        2x+
           ^
    >>> isinstance(err, ValueError), err.position
    (True, 3)
    """

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        super().__init__(message, text, position)
        self.message = message
        self.text = text
        self.position = position

    def __str__(self) -> str:
        return self.message + _excerpt(self.text, self.position)


def _visible(c: str) -> str:
    """One display character for *c*, so that the caret stays aligned."""
    if c in "\t\n\r":
        return " "
    cat = unicodedata.category(c)
    if cat == "Zs":
        return " "
    if cat[0] in "CZ" or cat in ("Mn", "Me"):
        return "\ufffd"
    return c


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _excerpt(text: str, position: int | None, window: int = 76) -> str:
    if not isinstance(text, str):
        return ""
    pos = 0 if position is None else max(0, min(position, len(text)))
    start, end = 0, len(text)
    if len(text) > window:
        start = max(0, min(pos - window // 2, len(text) - window))
        end = start + window
    shown = "".join(_visible(c) for c in text[start:end])
    before = "".join(_visible(c) for c in text[start:pos])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    line = f"\n    {prefix}{shown}{suffix}"
    if position is None:
        return line
    return f"{line}\n    {' ' * (_width(prefix + before))}^"


class _TooLarge(Exception):
    """Raised by guarded builders; the parser adds the position."""


# --------------------------------------------------------------------- characters

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lamda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lamda", "Ξ": "Xi",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
    # not Greek, but letters symnn prints: the prediction y-hat (Loss.yhat is Symbol("yhat"))
    "ŷ": "yhat", "Ŷ": "Yhat",
}  # fmt: skip
#: ASCII spellings of Greek letters -> symbol name (``lambda`` is a Python keyword).
_GREEK_WORDS = {w: w for w in _GREEK.values() if w != "pi"}
_GREEK_WORDS.update({"lambda": "lamda", "Lambda": "Lamda", "Sigma": "Sigma"})

_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿⁱ", "0123456789+-()ni", strict=True))
_SUBSCRIPT = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))

# one character -> one character, so that positions survive normalisation
_CHAR_MAP = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u00b7": "*", "\u00d7": "*", "\u22c5": "*", "\u2219": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/",
    "\u00b5": "μ", "\u03d5": "φ", "\u03f5": "ε", "\u03d1": "θ", "\u03c2": "σ",
    "\u03f1": "ρ", "\u212f": "e", "\u2264": "≤", "\u2265": "≥",
}  # fmt: skip
_SPACES = (
    "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_CHAR_MAP.update(dict.fromkeys(_SPACES, " "))
_KEEP = set(_GREEK) | set(_SUPERSCRIPT) | set(_SUBSCRIPT) | set("√∛∜≤≥≠∞⊙")

_CONFUSABLE = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ɡ": "g", "ο": "o",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
#: What to write instead of a derivative typed in the formula (f'(x), d/dx, ∂L/∂W).
DERIVATIVE_HINT = (
    "symnn computes derivatives itself: pass the function and differentiate it, e.g. "
    '`symnn diff "x^2"` on the command line or derivative(expr, x) from '
    "symnn.expr.symbolic (Activation.diff and Loss.gradient in the catalogue)"
)
_PRIME_MESSAGE = "primes (f'(x), σ'(x)) are not parsed: " + DERIVATIVE_HINT
_CHAR_HINTS = {
    "°": "degrees are not supported: write the angle in radians, e.g. 30*pi/180",
    "′": _PRIME_MESSAGE,
    "″": _PRIME_MESSAGE,
    "Σ": "'Σ' is read as a summation sign (symnn prints 'L = Σ ℓ' for a sum over samples) "
    "and sums are not parsed: write the terms out with '+'; for a variable named Sigma, "
    "type Sigma",
    "ᵀ": "'ᵀ' (transpose) is a matrix operation and symnn parses scalar formulas, where it "
    "has no meaning: remove it for a scalar; the matrix equations of a network are printed "
    "by Network.backprop(), not parsed",
    "⊤": "'⊤' (transpose) is a matrix operation and symnn parses scalar formulas, where it "
    "has no meaning: remove it for a scalar",
    "\u0302": "a combining circumflex is not allowed: type ŷ as one character (U+0177) or "
    "write yhat",
    "Π": "capital pi is not supported; for the constant π write pi or π",
    "—": "did you mean '-'?",
    "≈": "'≈' is not supported; write '=' for an equation",
    "∑": "sums are not supported; write the terms out with '+'",
    "∫": "integrals are not supported",
    "∂": "derivatives (∂L/∂W, ∂f/∂x) are not parsed: " + DERIVATIVE_HINT,
    "“": "strings are not allowed: remove the quotes",
    "”": "strings are not allowed: remove the quotes",
    "‘": "strings are not allowed: remove the quotes",
    "’": "strings are not allowed: remove the quotes",
    "…": "'…' is not supported; write the terms out",
}
_CONTROL_NAMES = {
    0: "NUL",
    7: "BEL",
    8: "BACKSPACE",
    0x0B: "VT",
    0x0C: "FF",
    0x1B: "ESC",
    0x7F: "DEL",
}
_NOT_PLAIN = re.compile(r"[^\t\n\r\x20-\x7e]")


def _char_name(c: str) -> str:
    code = f"U+{ord(c):04X}"
    name = unicodedata.name(c, "") or _CONTROL_NAMES.get(ord(c), "")
    return f"{code} {name}".strip()


def _normalise(text: str) -> str:
    """Map accepted unicode to its plain form, one character to one; refuse the rest."""
    if _NOT_PLAIN.search(text) is None:
        return text
    out = list(text)
    for m in _NOT_PLAIN.finditer(text):
        i = m.start()
        out[i] = _normalise_char(text[i], text, i)
    return "".join(out)


def _normalise_char(c: str, text: str, i: int) -> str:
    if c in _CHAR_MAP:
        return _CHAR_MAP[c]
    if c in _KEEP:
        return c
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:  # fullwidth ASCII (CJK input methods)
        return chr(o - 0xFEE0)
    if 0x1D400 <= o <= 0x1D7FF:  # mathematical alphanumerics (equation editors)
        n = unicodedata.normalize("NFKC", c)
        if len(n) == 1 and ((n.isascii() and n.isalnum()) or n in _GREEK or n in _CHAR_MAP):
            return _CHAR_MAP.get(n, n)
    cat = unicodedata.category(c)
    if cat == "Cc":
        msg = f"control character {_char_name(c)} is not allowed; remove it"
    elif cat[0] == "C" or cat in ("Zl", "Zp") or o in (0x200B, 0x2060, 0xFEFF):
        msg = (
            f"invisible character {_char_name(c)} is not allowed; delete it "
            "(it probably came with copied text)"
        )
    elif c in _CONFUSABLE:
        latin = _CONFUSABLE[c]
        msg = (
            f"character {c!r} ({_char_name(c)}) looks like the Latin letter {latin!r} "
            f"but is not; retype it as a plain {latin!r}"
        )
    elif c in _CHAR_HINTS:
        msg = f"character {c!r} ({_char_name(c)}) is not allowed: {_CHAR_HINTS[c]}"
    elif "⁄" in unicodedata.normalize("NFKC", c):
        num, _, den = unicodedata.normalize("NFKC", c).partition("⁄")
        msg = f"character {c!r} ({_char_name(c)}) is not allowed: write {num}/{den}"
    else:
        msg = f"character {c!r} ({_char_name(c)}) is not allowed in a formula"
    raise ParseError(msg, text, i)


# ------------------------------------------------------------------------ tokens

_GREEK_CLASS = "".join(_GREEK)
_TOKEN = re.compile(
    rf"""
      (?P<ws>[\x20\t\r\n]+)
    | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<name>[A-Za-z_{_GREEK_CLASS}][A-Za-z0-9_{_GREEK_CLASS}{"".join(_SUBSCRIPT)}]*)
    | (?P<sup>[{"".join(_SUPERSCRIPT)}]+)
    | (?P<op>\*\*|==|<=|>=|!=|<>|=>|=<|//|[-+*/^!(),=<>|≤≥≠√∛∜∞⊙&~])
    """,
    re.VERBOSE,
)

_BAD_ASCII = {
    '"': "strings are not allowed: symnn parses mathematics, not Python (remove the quotes)",
    "'": "quotes are not allowed: symnn parses mathematics, not Python (remove the quotes)",
    "[": "square brackets are not allowed: use ( ) for grouping (indexing is not math; "
    "for a subscript write x_1)",
    "]": "square brackets are not allowed: use ( ) for grouping",
    "{": "braces are not allowed: use ( ) for grouping",
    "}": "braces are not allowed: use ( ) for grouping",
    ";": "';' is not allowed: symnn parses a single formula, not statements",
    ":": "':' is not allowed (no lambdas, slices or dictionaries: this is not Python)",
    ".": "'.' is only allowed inside a number such as 0.5 (attribute access is not math)",
    "\\": "backslashes are not allowed: LaTeX is not parsed; type e.g. sqrt(x) or (a)/(b)",
    "@": "'@' is not supported",
    "%": "'%' is not supported; for a percentage divide by 100",
    "$": "'$' is not allowed: LaTeX is not parsed; type plain math",
    "#": "'#' is not allowed (no comments)",
    "`": "backquotes are not allowed",
    "?": "'?' is not allowed",
}

_RELATIONS = {
    "=": sympy.Eq, "==": sympy.Eq, "<": sympy.Lt, "<=": sympy.Le, "≤": sympy.Le,
    ">": sympy.Gt, ">=": sympy.Ge, "≥": sympy.Ge,
}  # fmt: skip
#: Comparisons inside the conditions of Piecewise (evaluated, as SymPy builds them).
_CONDITION_RELATIONS: dict[str, Callable[..., sympy.Basic]] = {
    "<": sympy.Lt, "<=": sympy.Le, "≤": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge,
    "≥": sympy.Ge, "==": sympy.Eq, "=": sympy.Eq, "!=": sympy.Ne, "≠": sympy.Ne,
}  # fmt: skip
#: Logical functions inside the conditions of Piecewise: builder, accepted argument counts.
_LOGIC_CALLS: dict[str, tuple[Callable[..., sympy.Basic], tuple[int, ...] | None]] = {
    "And": (sympy.And, None), "Or": (sympy.Or, None), "Not": (sympy.Not, (1,)),
    "Eq": (sympy.Eq, (2,)), "Ne": (sympy.Ne, (2,)),
}  # fmt: skip
_BAD_RELATIONS = {
    "!=": "'!=' (not equal) is not supported; use '=' for an equation or <, <=, >, >= for a region",
    "<>": "'<>' (not equal) is not supported; use '=' for an equation or <, <=, >, >= for a region",
    "≠": "'≠' (not equal) is not supported; use '=' for an equation or <, <=, >, >= for a region",
    "=>": "'=>' is not an operator; did you mean '>='?",
    "=<": "'=<' is not an operator; did you mean '<='?",
}


def _is_letter(c: str) -> bool:
    return (c.isascii() and (c.isalnum() or c == "_")) or c in _GREEK or c in _SUBSCRIPT


#: Operators that only mean something inside the conditions of ``Piecewise``.
_LOGIC_HINTS = {
    "&": "'&' (logical and) is only allowed in the conditions of Piecewise((value, "
    "condition), ...)",
    "~": "'~' (logical not) is only allowed in the conditions of Piecewise((value, "
    "condition), ...)",
}


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "name", "sup", "op", "end"; "piece" for part of a split word
    text: str
    pos: int
    value: sympy.Basic | None = None  # the meaning of a "piece"

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the input"
        if self.kind == "num":
            return f"the number {self.text}"
        if self.kind in ("name", "piece"):
            return f"the name {self.text!r}"
        if self.kind == "sup":
            return f"the superscript {self.text!r}"
        return f"{self.text!r}"


class _Lexer:
    """Lazy tokenizer: stops reading as soon as the parser stops asking."""

    def __init__(self, src: str, offset: int, text: str) -> None:
        self.src, self.offset, self.text = src, offset, text
        self.i = 0
        self.buf: list[_Tok] = []

    def _scan(self) -> _Tok:
        src, n = self.src, len(self.src)
        while True:
            if self.i >= n:
                return _Tok("end", "", self.offset + n)
            m = _TOKEN.match(src, self.i)
            if m is None:
                self._bad(self.i)
            self.i = m.end()
            kind = m.lastgroup
            if kind == "ws":
                continue
            if kind == "num" and self.i < n and src[self.i] == ".":
                raise ParseError(
                    f"malformed number {m.group() + '.'!r}: a number has at most one decimal point",
                    self.text,
                    self.offset + self.i,
                )
            return _Tok(kind, m.group(), self.offset + m.start())

    def _bad(self, i: int) -> None:
        c = self.src[i]
        pos = self.offset + i
        if c == "'" and i > 0 and (self.src[i - 1] in "')" or _is_letter(self.src[i - 1])):
            raise ParseError(_PRIME_MESSAGE, self.text, pos)
        if c in _BAD_ASCII:
            raise ParseError(_BAD_ASCII[c], self.text, pos)
        if c in _SUBSCRIPT:
            raise ParseError(f"subscript {c!r} must follow a name, as in x₁", self.text, pos)
        raise ParseError(f"unexpected character {c!r}", self.text, pos)

    def peek(self, k: int = 0) -> _Tok:
        while len(self.buf) <= k:
            self.buf.append(self._scan())
        return self.buf[k]

    def next(self) -> _Tok:
        tok = self.peek()
        self.buf.pop(0)
        return tok


# ------------------------------------------------------------------- functions


@dataclass(frozen=True)
class _Function:
    name: str
    builder: Callable[..., sympy.Expr]
    nargs: tuple[int, ...] | None  # None: any number >= 1
    signature: inspect.Signature | None = None  # per-call functions: checked by binding

    def accepts(self, n: int) -> bool:
        if self.signature is not None:
            try:
                self.signature.bind(*range(n))
            except TypeError:
                return False
            return True
        return n >= 1 if self.nargs is None else n in self.nargs

    def arity(self) -> str:
        if self.signature is not None:
            return f"the arguments of {self.name}{self.signature}"
        if self.nargs is None:
            return "at least 1 argument"
        counts = " or ".join(str(k) for k in self.nargs)
        return f"{counts} argument{'s' if self.nargs != (1,) else ''}"


def _rational_log10(q: sympy.Rational) -> float:
    """log10 of max(|numerator|, denominator): the size of an exact number in digits."""
    p, d = abs(int(q.p)), int(q.q)
    return max(math.log10(p) if p > 1 else 0.0, math.log10(d) if d > 1 else 0.0)


def _check_factorial_size(n: sympy.Basic, what: str) -> None:
    if not (isinstance(n, sympy.Rational) and n.is_Rational):
        return
    m = abs(float(n)) if abs(n) < 10**7 else math.inf
    digits = math.lgamma(m + 1) / math.log(10) if m < math.inf else math.inf
    if digits > MAX_DIGITS:
        shown = f"about {digits:.3g}" if digits < math.inf else "more than 10^7"
        raise _TooLarge(
            f"{what} is too large: its value would have {shown} digits "
            f"(symnn refuses exact numbers over {MAX_DIGITS} digits)"
        )


def _factorial(x: sympy.Expr) -> sympy.Expr:
    _check_factorial_size(x, f"factorial({_short(x)})")
    return _function(sympy.factorial)(x)


def _gamma(x: sympy.Expr) -> sympy.Expr:
    _check_factorial_size(x - 1 if x.is_Rational else x, f"gamma({_short(x)})")
    return _function(sympy.gamma)(x)


def _sqrt(x: sympy.Expr) -> sympy.Expr:
    return _guarded_pow(x, S.Half)


def _cbrt(x: sympy.Expr) -> sympy.Expr:
    """Real cube root: cbrt(-8) = -2 (symnn works on the real line)."""
    if x.is_Rational:
        _guarded_pow(abs(x), sympy.Rational(1, 3))
    return sympy.real_root(x, 3)


def _root4(x: sympy.Expr) -> sympy.Expr:
    return _guarded_pow(x, sympy.Rational(1, 4))


#: Functions with kinks; SymPy's simplification of nested ones (|1-|1-|...x|||) asks
#: its assumption system questions whose cost grows exponentially with the nesting.
_KINKS = (sympy.Abs, sympy.sign, sympy.floor, sympy.ceiling, sympy.Heaviside, sympy.Max, sympy.Min)


def _kink_depth(expr: sympy.Basic, memo: dict) -> int:
    key = ("kink", expr)
    if key not in memo:
        inner = max((_kink_depth(a, memo) for a in expr.args), default=0)
        memo[key] = inner + 1 if isinstance(expr, _KINKS) else inner
    return memo[key]


def _evaluate(cls: type, args: tuple[sympy.Expr, ...]) -> bool:
    """Whether to let SymPy simplify ``cls(*args)`` now, or build it as it is.

    SymPy simplifies a kink function by asking its assumption system about the
    argument (is it nonnegative? an integer?); for nested kinks those questions
    multiply and the cost grows exponentially with the nesting.  Such calls are
    built unevaluated -- the expression is the same, only unsimplified.
    """
    memo = _memo()
    if issubclass(cls, _KINKS) and any(_kink_depth(a, memo) >= 2 for a in args):
        return False
    if cls in (sympy.Max, sympy.Min):
        # Max/Min compare every pair of arguments: only small cases are simplified
        return len(args) <= 2 or all(a.is_Rational for a in args)
    return True


def _function(cls: type) -> Callable[..., sympy.Expr]:
    def build(*args: sympy.Expr) -> sympy.Expr:
        if cls in (sympy.Max, sympy.Min):
            count = sum(len(a.args) if isinstance(a, cls) else 1 for a in args)
            if count > MAX_MINMAX_ARGS:  # before SymPy flattens and compares them all
                name = "max" if cls is sympy.Max else "min"
                raise _TooLarge(
                    f"{name}() of {count} arguments (nested ones included, as SymPy "
                    f"flattens them) is too many: symnn allows at most {MAX_MINMAX_ARGS} "
                    "(MAX_MINMAX_ARGS), as SymPy compares every pair of them"
                )
        if cls in (sympy.Max, sympy.Min) and args and all(a.is_Rational for a in args):
            return (max if cls is sympy.Max else min)(args)  # linear, unlike SymPy's
        return cls(*args, evaluate=_evaluate(cls, args))

    build.__name__ = cls.__name__
    return build


#: floor/ceiling of an inexact constant beyond 10^this are refused: SymPy needs that many
#: digits to find the integer part and gives up (PrecisionExhausted) when printing it.
_ROUNDING_DIGITS = 100


def _rounding(cls: type) -> Callable[[sympy.Expr], sympy.Expr]:
    build_plain = _function(cls)

    def build(x: sympy.Expr) -> sympy.Expr:
        info = _const(x, _memo())
        if info is not None and not x.is_Rational and info.log10 > _ROUNDING_DIGITS:
            raise _TooLarge(
                f"{cls.__name__}({_short(x)}) is refused: its argument is an inexact number "
                f"beyond 10^{_ROUNDING_DIGITS}, whose integer part SymPy cannot compute "
                "reliably; use smaller numbers or keep a variable in it"
            )
        return build_plain(x)

    build.__name__ = cls.__name__
    return build


def _log(x: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
    if base is None:
        return _function(sympy.log)(x)
    if _evaluate(sympy.log, (x, base)):
        return sympy.log(x, base)
    return sympy.Mul(_function(sympy.log)(x), _guarded_pow(_function(sympy.log)(base), -1))


def _builtin_table() -> dict[str, _Function]:
    one = (1,)
    table: dict[str, tuple[Callable[..., sympy.Expr], tuple[int, ...] | None]] = {}
    elementary = ("sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth")
    for name in (*elementary, "sech", "csch", "exp", "erf", "erfc"):
        table[name] = (_function(getattr(sympy, name)), one)
    for name in (
        "asin",
        "acos",
        "atan",
        "acot",
        "asec",
        "acsc",
        "asinh",
        "acosh",
        "atanh",
        "acoth",
    ):
        fn = _function(getattr(sympy, name))
        table[name] = (fn, one)
        table["arc" + name[1:]] = (fn, one)
    for name in ("asinh", "acosh", "atanh"):
        table["ar" + name[1:]] = (_function(getattr(sympy, name)), one)
    table.update(
        {
            "atan2": (_function(sympy.atan2), (2,)),
            "arctan2": (_function(sympy.atan2), (2,)),
            "log": (_log, (1, 2)),
            "ln": (_function(sympy.log), one),
            "log10": (lambda x: _log(x, sympy.Integer(10)), one),
            "log2": (lambda x: _log(x, sympy.Integer(2)), one),
            "sqrt": (_sqrt, one),
            "cbrt": (_cbrt, one),
            "abs": (_function(sympy.Abs), one),
            "Abs": (_function(sympy.Abs), one),
            "sign": (_function(sympy.sign), one),
            "sgn": (_function(sympy.sign), one),
            "floor": (_rounding(sympy.floor), one),
            "ceiling": (_rounding(sympy.ceiling), one),
            "ceil": (_rounding(sympy.ceiling), one),
            "min": (_function(sympy.Min), None),
            "Min": (_function(sympy.Min), None),
            "max": (_function(sympy.Max), None),
            "Max": (_function(sympy.Max), None),
            "gamma": (_gamma, one),
            "Gamma": (_gamma, one),
            "factorial": (_factorial, one),
            "Heaviside": (_function(sympy.Heaviside), (1, 2)),
            "heaviside": (_function(sympy.Heaviside), (1, 2)),
            "sigmoid": (_function(sigmoid), one),
        }
    )
    return {name: _Function(name, fn, nargs) for name, (fn, nargs) in table.items()}


_REGISTRY: dict[str, _Function] = _builtin_table()

_CONSTANTS: dict[str, sympy.Expr] = {
    "pi": S.Pi, "Pi": S.Pi, "e": S.Exp1, "E": S.Exp1,
    "oo": S.Infinity, "inf": S.Infinity, "infinity": S.Infinity,
}  # fmt: skip
_RESERVED = (set(keyword.kwlist) - {"lambda"}) | {"nan", "NaN", "xor", "mod", "Eq"}
_RESERVED_HINTS = {
    "if": "for a case distinction write Piecewise((value, condition), (other, True))",
    "else": "for a case distinction write Piecewise((value, condition), (other, True))",
    "True": "True and False are only allowed as the conditions of Piecewise((value, "
    "condition), ...)",
    "False": "True and False are only allowed as the conditions of Piecewise((value, "
    "condition), ...)",
    "and": "logical operators are not supported; parse each condition separately",
    "or": "logical operators are not supported; parse each condition separately",
    "not": "logical operators are not supported; parse each condition separately",
    "nan": "NaN is not a number symnn accepts in a formula",
    "NaN": "NaN is not a number symnn accepts in a formula",
    "Eq": "write an equation as lhs = rhs",
    "mod": "the modulo operation is not supported",
}
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _check_function_name(name: object, param: str = "name") -> str:
    if not isinstance(name, str):
        raise TypeError(f"{param} must be a str, not {type(name).__name__} {name!r}")
    if not _NAME_RE.fullmatch(name) or "__" in name or name.endswith("_"):
        raise ValueError(
            f"{param} {name!r} is not a valid function name; use ASCII letters, digits "
            "and single '_' inside, starting with a letter (e.g. 'relu', 'leaky_relu')"
        )
    if name in _CONSTANTS or name in _RESERVED:
        raise ValueError(f"{param} {name!r} is reserved (a constant or keyword); pick another name")
    return name


def _check_nargs(nargs: object) -> tuple[int, ...] | None:
    if nargs is None:
        return None
    items = (nargs,) if isinstance(nargs, int) else nargs
    if (
        not isinstance(items, tuple)
        or not items
        or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in items)
    ):
        raise ValueError(
            f"nargs must be a positive int, a tuple of them, or None (any number), not {nargs!r}"
        )
    return tuple(sorted(set(items)))


def register_function(
    name: str,
    builder: Callable[..., sympy.Expr],
    *,
    nargs: int | tuple[int, ...] | None = 1,
    replace: bool = False,
) -> None:
    """Teach :func:`parse` a function: ``name(args)`` becomes ``builder(*args)``.

    The activation catalogue registers every activation this way, so that
    ``parse("relu(x) + sigmoid(2x)")`` yields the catalogue's expressions.

    Parameters
    ----------
    name : str
        What users type: ASCII letters, digits and ``_``, starting with a letter.
    builder : callable
        Called with the parsed SymPy arguments; returns a SymPy expression.  It must
        be cheap for any argument (the parser bounds its own arithmetic, not yours).
    nargs : int, tuple of int or None
        Accepted argument counts; ``None`` means any number (at least one).
    replace : bool
        A name that is already known (a builtin such as ``tanh`` or ``sigmoid``, or
        an earlier registration) is only replaced when ``replace=True``; otherwise
        a ``ValueError`` is raised.

    Example
    -------
    >>> import sympy
    >>> from symnn.expr.parse import register_function, parse
    >>> register_function("square_demo", lambda x: x**2)
    >>> parse("square_demo(x + 1)")
    (x + 1)**2
    """
    name = _check_function_name(name)
    if not callable(builder):
        raise TypeError(f"builder for {name!r} must be callable, not {type(builder).__name__}")
    counts = _check_nargs(nargs)
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"function {name!r} is already known to the parser; pass replace=True to replace it"
        )
    _REGISTRY[name] = _Function(name, builder, counts)


def known_functions() -> list[str]:
    """Return the sorted names of every function :func:`parse` knows (builtins and registered).

    >>> from symnn.expr.parse import known_functions
    >>> {"sin", "log", "sqrt", "max", "Heaviside"} <= set(known_functions())
    True
    """
    return sorted(_REGISTRY)


def _per_call_functions(functions: Mapping[str, Callable] | None) -> dict[str, _Function]:
    if functions is None:
        return {}
    if not isinstance(functions, Mapping):
        raise TypeError(
            f"functions must be a mapping of name -> builder, not {type(functions).__name__}"
        )
    out = {}
    for name, builder in functions.items():
        _check_function_name(name, "functions key")
        if not callable(builder):
            raise TypeError(f"functions[{name!r}] must be callable, not {type(builder).__name__}")
        try:
            signature = inspect.signature(builder)
        except (TypeError, ValueError):  # some builtins and SymPy classes have none
            signature = None
        nargs = None if signature is None else ()
        out[name] = _Function(name, builder, nargs, signature)
    return out


# --------------------------------------------------------------------- symbols


def _name_key(name: str) -> str | None:
    """The lookup key of a name (Greek letters spelled out), or None if it is not valid."""
    if not name or len(name) > _MAX_NAME:
        return None
    key = []
    for c in name:
        if c in _GREEK:
            key.append(_GREEK[c])
        elif c.isascii() and (c.isalnum() or c == "_"):
            key.append(c)
        else:
            return None
    k = "".join(key)
    if not k[0].isalpha() or "__" in k or k.endswith("_"):
        return None
    return _GREEK_WORDS.get(k, k)


def _declared(symbols: Iterable[str | sympy.Symbol] | None) -> dict[str, sympy.Symbol] | None:
    if symbols is None:
        return None
    if isinstance(symbols, sympy.Symbol):
        symbols = [symbols]
    elif isinstance(symbols, str):
        symbols = [s for s in re.split(r"[\s,]+", symbols) if s]
    try:
        items = list(symbols)
    except TypeError:
        raise TypeError(
            f"symbols must be an iterable of names or Symbols, not {type(symbols).__name__}"
        ) from None
    out: dict[str, sympy.Symbol] = {}
    for item in items:
        if isinstance(item, sympy.Symbol):
            name, sym = item.name, item
        elif isinstance(item, str):
            name, sym = item, None
        else:
            raise TypeError(
                f"symbols must contain names (str) or sympy.Symbol, not "
                f"{type(item).__name__} {item!r}"
            )
        key = _name_key(name)
        if key is None:
            raise ValueError(
                f"symbols: {name!r} is not a valid symbol name; use letters, digits and "
                "'_' starting with a letter, e.g. 'x', 'x_1', 'alpha'"
            )
        if sym is None:
            sym = sympy.Symbol(key, real=True)
        if key in out and out[key] != sym:
            raise ValueError(
                f"symbols: {name!r} is given twice as different symbols "
                f"({out[key]!r} with {out[key].assumptions0} and {sym!r} with "
                f"{sym.assumptions0})"
            )
        out[key] = sym
    return out


# ------------------------------------------------------------------ size checks


def _short(expr: object, limit: int = 40) -> str:
    s = str(expr)
    return s if len(s) <= limit else s[: limit - 1] + "…"


_MP = mpmath.MPContext()
_MP.prec = 53
_MP_FUNCTIONS: dict[type, Callable] = {
    sympy.exp: _MP.exp, sympy.log: _MP.log, sympy.erf: _MP.erf, sympy.erfc: _MP.erfc,
    sympy.gamma: _MP.gamma, sympy.factorial: _MP.factorial, sympy.Abs: abs,
    sympy.sign: _MP.sign, sympy.floor: _MP.floor, sympy.ceiling: _MP.ceil,
    sympy.atan2: _MP.atan2, sympy.Max: max, sympy.Min: min,
    sympy.Heaviside: lambda x, h0=0.5: _MP.mpf(1 if x > 0 else (0 if x < 0 else h0)),
}  # fmt: skip
for _name in (
    *("sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "acot", "asec"),
    *("acsc", "sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh", "atanh"),
    "acoth",
):
    _MP_FUNCTIONS[getattr(sympy, _name)] = getattr(_MP, _name)
_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "symnn_parse_memo", default=None
)


def _memo() -> dict:
    memo = _MEMO.get()
    return {} if memo is None else memo


@dataclass(frozen=True)
class _Const:
    """What the parser knows about a constant (symbol-free) expression."""

    value: object  # an mpmath number at 53 bits, or None if it could not be computed
    log10: float  # bound on |log10 |value||: how huge or how tiny it is
    depth: int  # how many functions deep it is nested


def _const(expr: sympy.Basic, memo: dict) -> _Const | None:
    """Approximate a constant expression cheaply (None if it has free symbols).

    Values are computed bottom-up with 53-bit mpmath numbers, whose exponent range
    is unbounded, so ``exp(10^999)`` is recognised as huge without being evaluated
    exactly and without SymPy's adaptive-precision ``evalf``.
    """
    if expr in memo:
        return memo[expr]
    info: _Const | None
    if expr.is_Symbol:
        info = None
    elif expr.is_Rational:
        info = _Const(_MP.mpf(int(expr.p)) / int(expr.q), _rational_log10(expr), 0)
    elif expr.is_Atom:
        if expr.free_symbols:
            info = None
        else:
            try:
                value = _MP.mpc(complex(expr)) if expr.is_finite is not False else None
            except (TypeError, ValueError):
                value = None
            info = _Const(value, _log10_of(value), 0)
    else:
        args = [_const(a, memo) for a in expr.args]
        if any(a is None for a in args):
            info = None
        else:
            value = _mp_apply(expr, [a.value for a in args])
            depth = max((a.depth for a in args), default=0)
            if not (expr.is_Add or expr.is_Mul or (expr.is_Pow and expr.exp.is_Integer)):
                depth += 1
            if value is not None:
                bound = _log10_of(value)
            elif expr.is_Add:
                bound = max(a.log10 for a in args) + math.log10(len(args))
            elif expr.is_Mul:
                bound = sum(a.log10 for a in args)
            else:
                bound = math.inf if any(a.log10 > MAX_DIGITS for a in args) else 0.0
            info = _Const(value, bound, depth)
    memo[expr] = info
    return info


def _mp_apply(expr: sympy.Basic, values: list) -> object:
    if any(v is None for v in values):
        return None
    try:
        if expr.is_Add:
            return _MP.fsum(values)
        if expr.is_Mul:
            return _MP.fprod(values)
        if expr.is_Pow:
            return _MP.power(values[0], values[1])
        fn = _MP_FUNCTIONS.get(type(expr))
        if fn is None:
            return None
        return fn(*(_MP.re(v) if _MP.im(v) == 0 else v for v in values))
    except (ArithmeticError, ValueError, TypeError):
        return None


def _log10_of(value: object) -> float:
    if value is None or not _MP.isfinite(value) or value == 0:
        return 0.0
    mag = _MP.mag(value)  # |value| <= 2**mag, cheap even for 2**(10**999)
    return math.inf if abs(mag) > 10**7 else abs(mag) * 0.30103


def _constant_depth(expr: sympy.Basic, memo: dict) -> int:
    info = _const(expr, memo)
    return 0 if info is None else info.depth


def _pow_log10(base: _Const, exp: _Const, exp_expr: sympy.Basic) -> float:
    """Estimate |log10 |base**exp|| without computing the power."""
    if base.value is not None and exp.value is not None:
        try:
            log_base = _MP.log10(abs(base.value)) if base.value != 0 else _MP.zero
            return float(min(abs(_MP.re(exp.value) * log_base), _MP.mpf(10) ** 300))
        except (ArithmeticError, ValueError, OverflowError):
            pass
    if base.log10 == 0:
        return 0.0
    log_exp = exp.log10 if not exp_expr.is_Rational else _rational_log10(exp_expr)
    log_result = math.log10(base.log10) + log_exp
    return math.inf if log_result > 300 else 10.0**log_result


def _too_large(what: str, log_digits: float) -> _TooLarge:
    if log_digits < 15:
        shown = f"about {10.0**log_digits:.3g}"
    elif log_digits < 1e300:
        shown = f"about 10^{log_digits:.0f}"
    else:
        shown = "astronomically many"
    return _TooLarge(
        f"{what} is too large to build: its value would have {shown} digits (symnn "
        f"refuses numbers over {MAX_DIGITS} digits or beyond 10^±{MAX_DIGITS}); keep a "
        "variable in it or use smaller numbers"
    )


def _raised_numbers(base: sympy.Expr) -> list[tuple[sympy.Rational, float]]:
    """Exact numbers that SymPy would raise to a power along with *base*, with multipliers."""
    out = []
    for f in sympy.Mul.make_args(base):
        if f.is_Rational:
            out.append((f, 1.0))
        elif f.is_Pow and f.base.is_Rational and f.exp.is_Rational:
            out.append((f.base, abs(float(f.exp))))
    return out


def _guarded_pow(base: sympy.Expr, exp: sympy.Expr | int) -> sympy.Expr:
    """``base**exp``, refusing powers whose exact evaluation would explode."""
    exp = sympy.Integer(exp) if isinstance(exp, int) else exp
    memo = _memo()
    if exp.is_Rational:
        p, q = abs(int(exp.p)), int(exp.q)
        log_exp = (math.log10(p) if p else -math.inf) - math.log10(q)
        for number, mult in _raised_numbers(base):
            size = _rational_log10(number)
            if size == 0:
                continue
            if q != 1 and size > MAX_ROOT_DIGITS:
                raise _TooLarge(
                    f"a fractional power of a {size:.0f}-digit number is refused (SymPy "
                    f"would factor it); roots are limited to numbers of {MAX_ROOT_DIGITS} "
                    "digits"
                )
            log_digits = math.log10(size * max(mult, 1e-300)) + log_exp
            if log_digits > math.log10(MAX_DIGITS):
                raise _too_large(f"({_short(base)})^({_short(exp)})", log_digits)
    base_info, exp_info = _const(base, memo), _const(exp, memo)
    if base_info is not None and exp_info is not None:
        mag = _pow_log10(base_info, exp_info, exp)
        if mag > MAX_DIGITS:
            log_digits = math.log10(mag) if mag < math.inf else math.inf
            raise _too_large(f"({_short(base)})^({_short(exp)})", log_digits)
    return sympy.Pow(base, exp)


def _top_numbers(expr: sympy.Basic, depth: int = 4) -> Iterable[sympy.Rational]:
    """Exact numbers near the top of *expr*, where new ones appear when SymPy combines terms."""
    stack = [(expr, 0)]
    while stack:
        e, d = stack.pop()
        if e.is_Rational:
            yield e
        elif d < depth:
            stack.extend((a, d + 1) for a in e.args)


def _mul_estimate(factors: list[sympy.Expr]) -> float:
    """Upper bound, in digits, on the numbers SymPy creates when multiplying *factors*."""
    coefficient = 0.0
    exponents: dict[sympy.Basic, float] = {}
    for f in factors:
        for a in sympy.Mul.make_args(f):
            if a.is_Rational:
                coefficient += _rational_log10(a)
            elif a.is_Pow:
                if a.base.is_Rational and a.exp.is_Rational:
                    coefficient += _rational_log10(a.base) * max(1.0, abs(float(a.exp)))
                elif a.exp.is_Rational:
                    exponents[a.base] = exponents.get(a.base, 0.0) + _rational_log10(a.exp)
            elif isinstance(a, sympy.exp):
                size = max((_rational_log10(n) for n in _top_numbers(a, 3)), default=0.0)
                exponents[S.Exp1] = exponents.get(S.Exp1, 0.0) + size
            elif a.is_Add and len(factors) == 2:  # Number * Add distributes
                coefficient += max((_rational_log10(n) for n in _top_numbers(a, 2)), default=0)
    return max(coefficient, *exponents.values(), 0.0) + math.log10(len(factors) + 1)


def _add_estimate(terms: list[sympy.Expr]) -> float:
    """Upper bound, in digits, on the coefficients SymPy creates when adding *terms*.

    Like terms p_i/q_i are combined over the common denominator L = lcm(q_i), so every
    new coefficient is at most (number of terms) * max|p_i| * L over L.
    """
    numerators = 0.0
    common = 1
    limit = 10 ** (MAX_DIGITS + 1)
    count = 0
    for t in terms:
        for a in sympy.Add.make_args(t):
            coeff = a.as_coeff_Mul()[0]
            count += 1
            if coeff.is_Rational:
                p = abs(int(coeff.p))
                numerators = max(numerators, math.log10(p) if p > 1 else 0.0)
                if common < limit:
                    common = math.lcm(common, int(coeff.q))
    return numerators + math.log10(common) + math.log10(count + 1)


def _ops(expr: sympy.Basic, memo: dict) -> int:
    """Operations in *expr* as :func:`sympy.count_ops` counts them (repeats count each time)."""
    key = ("ops", expr)
    if key not in memo:
        if not expr.args:
            memo[key] = 0
        else:
            own = len(expr.args) - 1 if (expr.is_Add or expr.is_Mul) else 1
            memo[key] = own + sum(_ops(a, memo) for a in expr.args)
    return memo[key]


def _tower(expr: sympy.Basic, memo: dict) -> int:
    """Levels of powers with non-constant exponents: ``x^x`` is 1, ``x^x^x`` is 2."""
    key = ("tower", expr)
    if key not in memo:
        if not expr.args:
            memo[key] = 0
        elif expr.is_Pow:
            base, exp = expr.args
            symbolic = _const(exp, memo) is None
            memo[key] = max(_tower(base, memo), _tower(exp, memo) + symbolic)
        else:
            memo[key] = max(_tower(a, memo) for a in expr.args)
    return memo[key]


def _budget_problem(node: sympy.Basic, memo: dict) -> str | None:
    """What is wrong with one newly built node, or None (the limits of the module docstring)."""
    if isinstance(node, sympy.AccumBounds):
        return (
            f"{_short(node)} is not a number (SymPy's interval for the values of a function "
            "at infinity, e.g. sin(oo)); use a finite argument"
        )
    if node.is_Pow:
        base, exp = node.args
        if _const(base, memo) is None:
            info = _const(exp, memo)
            if info is not None:
                big = (
                    abs(int(exp.p)) > MAX_EXPONENT
                    if exp.is_Rational
                    else (
                        info.log10 > math.log10(MAX_EXPONENT)
                        if info.value is None
                        else abs(_MP.re(info.value)) > MAX_EXPONENT
                    )
                )
                if big:
                    return (
                        f"the power {_short(node)} has the exponent {_short(exp)}; symnn "
                        f"allows exponents up to ±{MAX_EXPONENT} on a non-constant base "
                        "(MAX_EXPONENT): larger ones make differentiation, expansion and "
                        "plotting crawl; rescale the formula"
                    )
    if isinstance(node, (sympy.Max, sympy.Min)) and len(node.args) > MAX_MINMAX_ARGS:
        name = "max" if isinstance(node, sympy.Max) else "min"
        return (
            f"{name}() of {len(node.args)} arguments is too many: symnn allows at most "
            f"{MAX_MINMAX_ARGS} (MAX_MINMAX_ARGS), as SymPy compares every pair of them"
        )
    info = _const(node, memo)
    if info is not None and info.value is not None and _MP.im(info.value) != 0:
        hint = ""
        if any(p.base.is_negative and p.exp.is_Rational for p in node.atoms(sympy.Pow)):
            hint = (
                " (SymPy takes the principal complex root of a negative number; for the "
                "real cube root write cbrt(...), e.g. cbrt(-8) = -2)"
            )
        elif node.has(S.ImaginaryUnit):
            hint = " (it contains the imaginary unit I)"
        return (
            f"gives {_short(node)}, which is not a real number{hint}; symnn's symbols and "
            "numbers are real, so formulas whose constants are complex (sqrt(-1), log(-1), "
            "asin(2), (-1)^(1/3)) are refused"
        )
    return None


# ----------------------------------------------------------------------- parser

_STARTS_FACTOR = {"(", "|", "√", "∛", "∜", "∞"}
_ROOTS = {"√": _sqrt, "∛": _cbrt, "∜": _root4}


class _Context:
    """State shared by the parser of one call (and of its superscript sub-parsers)."""

    def __init__(
        self,
        text: str,
        declared: dict[str, sympy.Symbol] | None,
        functions: dict[str, _Function],
    ) -> None:
        self.text = text
        self.declared = declared
        self.functions = functions
        self.depth = 0
        self.deadline = time.process_time() + MAX_SECONDS
        self.open_parens = 0
        self.memo: dict = {}
        self.symbols: dict[str, sympy.Symbol] = {}
        self.plain_letters: set[str] = set()  # open mode: variables used on their own
        self.digit_names: list[tuple[str, str, int]] = []  # ("x2", "x", position)
        self.checked: set[sympy.Basic] = set()  # subexpressions that passed check()
        self.hadamard: int | None = None  # position of the first '⊙'
        self.juxtaposed: int | None = None  # first product of two non-numbers by juxtaposition
        self.logic = False  # parse(..., logic=True): a region, conditions joined by and/or/not

    def error(self, message: str, position: int | None) -> ParseError:
        return ParseError(message, self.text, position)

    def symbol(self, name: str) -> sympy.Symbol:
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.symbols[name]

    def known_names(self) -> list[str]:
        names = set(self.functions) | set(_CONSTANTS)
        if self.declared is None:
            names |= set(_GREEK_WORDS)
        else:
            names |= set(self.declared)
        return sorted(names)


class _Parser:
    def __init__(self, ctx: _Context, src: str, offset: int = 0, bars: bool = False) -> None:
        self.ctx = ctx
        self.lex = _Lexer(src, offset, ctx.text)
        self.bars = bars  # inside |...|: a '|' after an operand closes it

    # -- helpers
    def err(self, message: str, position: int | None) -> ParseError:
        return self.ctx.error(message, position)

    def enter(self, tok: _Tok) -> None:
        self.ctx.depth += 1
        if self.ctx.depth > MAX_DEPTH:
            raise self.err(
                f"the formula is nested too deeply (more than {MAX_DEPTH} levels of "
                "brackets, calls or exponents)",
                tok.pos,
            )

    def leave(self) -> None:
        self.ctx.depth -= 1

    def build(self, tok: _Tok, what: str, fn: Callable, *args: object) -> sympy.Expr:
        """Call a SymPy constructor or builder; turn its failures into ParseError at *tok*."""
        if fn not in (sympy.Add, sympy.Mul):
            for a in args:
                if isinstance(a, sympy.Basic):
                    self.check_constant_depth(a, tok, MAX_CONSTANT_DEPTH - 1)
        try:
            result = fn(*args)
        except _TooLarge as exc:
            raise self.err(str(exc), tok.pos) from None
        except (TypeError, ValueError, ArithmeticError, NotImplementedError, RecursionError) as exc:
            raise self.err(f"could not build {what}: {exc}", tok.pos) from exc
        if not isinstance(result, sympy.Basic):
            raise self.err(
                f"{what} did not give a SymPy expression (got {type(result).__name__})", tok.pos
            )
        self.check(result, tok, what)
        if time.process_time() > self.ctx.deadline:
            raise self.err(
                f"this formula is too complex: building it took more than {MAX_SECONDS:g} s",
                tok.pos,
            )
        return result

    def check(self, expr: sympy.Basic, tok: _Tok, what: str) -> None:
        """Refuse undefined results (0/0, 1/0, oo-oo) and numbers grown too large."""
        for a in (expr, *expr.args):
            if a is S.NaN or a is S.ComplexInfinity:
                raise self.err(
                    f"{what} is undefined (SymPy gives {a}); check for a division by "
                    "zero or an infinity",
                    tok.pos,
                )
        for n in _top_numbers(expr):
            if _rational_log10(n) > MAX_DIGITS:
                raise self.err(
                    f"{what} is too large to build: it creates a number with more than "
                    f"{MAX_DIGITS} digits",
                    tok.pos,
                )
        self.check_constant_depth(expr, tok, MAX_CONSTANT_DEPTH)
        memo = self.ctx.memo
        info = _const(expr, memo)
        if info is not None and info.log10 > MAX_DIGITS:
            raise self.err(
                f"{what} is too large to build: its value is beyond 10^±{MAX_DIGITS}; keep "
                "a variable in it or use smaller numbers",
                tok.pos,
            )
        self.check_budgets(expr, tok, what)

    def check_budgets(self, expr: sympy.Basic, tok: _Tok, what: str) -> None:
        """Refuse what would hang or break the code downstream (the limits MAX_EXPONENT, ...).

        Every node that was not part of an already checked argument is inspected once, so
        the cost stays linear in the size of the formula.
        """
        memo, checked = self.ctx.memo, self.ctx.checked
        stack = [expr]
        while stack:
            node = stack.pop()
            if node in checked:
                continue
            checked.add(node)
            problem = _budget_problem(node, memo)
            if problem is not None:
                if problem.startswith("gives "):
                    problem = f"{what} {problem}"
                raise self.err(problem, tok.pos)
            stack.extend(node.args)
        levels = _tower(expr, memo)
        if levels > MAX_TOWER:
            raise self.err(
                f"this tower of powers is {levels} levels deep (x^x^x is 2); symnn allows "
                f"{MAX_TOWER} (MAX_TOWER): deeper ones overflow SymPy's recursion when "
                "differentiated or printed",
                tok.pos,
            )
        ops = _ops(expr, memo)
        if ops > MAX_OPS:
            raise self.err(
                f"the formula is too large: it has {ops} operations and symnn allows "
                f"{MAX_OPS} (MAX_OPS); split it into smaller formulas",
                tok.pos,
            )

    def check_constant_depth(self, expr: sympy.Basic, tok: _Tok, limit: int) -> None:
        if _constant_depth(expr, self.ctx.memo) > limit:
            raise self.err(
                f"this number nests functions more than {MAX_CONSTANT_DEPTH} deep (e.g. "
                "exp(-exp(-exp(...)))); SymPy's numerical checks on such constants take "
                "exponential time, so symnn refuses them: put a variable in it or simplify it",
                tok.pos,
            )

    def expect_operand(self, after: _Tok | None) -> _Tok:
        """Return the next token if it can start an operand, else raise a helpful error."""
        tok = self.lex.peek()
        if tok.kind in ("num", "name", "piece") or (
            tok.kind == "op" and tok.text in _STARTS_FACTOR
        ):
            return tok
        if tok.kind == "op" and tok.text in ("-", "+"):
            return tok
        if tok.kind == "op" and tok.text == ")" and self.ctx.open_parens == 0:
            raise self.err(
                f"unbalanced parenthesis: ')' at position {tok.pos} has no matching '('",
                tok.pos,
            )
        if tok.kind == "op" and tok.text in _BAD_RELATIONS:
            raise self.err(_BAD_RELATIONS[tok.text], tok.pos)
        if tok.kind == "op" and tok.text in _LOGIC_HINTS:
            raise self.err(_LOGIC_HINTS[tok.text], tok.pos)
        if after is None:
            if tok.kind == "end":
                raise self.err("empty input: expected an expression", tok.pos)
            if tok.kind == "op" and tok.text == "!":
                raise self.err(
                    "expected an expression, found '!' (the factorial goes after its argument: n!)",
                    tok.pos,
                )
            raise self.err(f"expected an expression, found {tok.describe()}", tok.pos)
        noun = "an exponent" if after.text in ("^", "**") else "an expression"
        hint = ""
        if after.text == "*" and tok.text == "*":
            hint = " (write ** or ^ for a power, without a space)"
        raise self.err(
            f"expected {noun} after {after.describe()}, found {tok.describe()}{hint}", tok.pos
        )

    # -- grammar
    def parse_top(self) -> sympy.Basic:
        if self.ctx.logic:
            return self.parse_region()
        expr = self.parse_relation()
        tok = self.lex.peek()
        if tok.kind != "end":
            self.unexpected(tok)
        return expr

    def parse_region(self) -> sympy.Basic:
        """``logic=True``: a formula or relation as usual, else conditions joined by
        ``and``/``or``/``not`` (or ``&``, ``|``, ``~``), with ``!=`` allowed."""
        state = self.save()
        try:
            expr = self.parse_relation()
            tok = self.lex.peek()
            if tok.kind != "end":
                self.unexpected(tok)
            return expr
        except ParseError as plain_error:
            self.restore(state)
            try:
                start = _Tok("op", "", self.lex.offset)
                region = self.parse_condition(start)
                tok = self.lex.peek()
                if tok.kind != "end":
                    raise self.err(f"unexpected {tok.describe()}", tok.pos)
                return region
            except ParseError as region_error:
                pos1, pos2 = plain_error.position or 0, region_error.position or 0
                raise (plain_error if pos1 >= pos2 else region_error) from None

    def _logic_word(self, op: str, word: str) -> bool:
        """The next token is the operator *op*, or (``logic=True``) the word *word*."""
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text == op:
            return True
        return self.ctx.logic and tok.kind == "name" and tok.text == word

    def unexpected(self, tok: _Tok) -> None:
        if tok.kind == "op":
            if tok.text == ")":
                raise self.err(
                    f"unbalanced parenthesis: ')' at position {tok.pos} has no matching '('",
                    tok.pos,
                )
            if tok.text == ",":
                raise self.err(
                    "unexpected ',': commas only separate the arguments of a function, "
                    "e.g. max(x, y)",
                    tok.pos,
                )
            if tok.text in _RELATIONS:
                raise self.err(
                    f"unexpected {tok.describe()}: only one comparison is allowed, at the top "
                    "level (chains such as a < b < c are not supported)",
                    tok.pos,
                )
            if tok.text in _BAD_RELATIONS:
                raise self.err(_BAD_RELATIONS[tok.text], tok.pos)
            if tok.text == "//":
                raise self.err("'//' (floor division) is not supported; write floor(a/b)", tok.pos)
            if tok.text == "|":
                raise self.err("unexpected '|': absolute value bars must come in pairs", tok.pos)
            if tok.text in _LOGIC_HINTS:
                raise self.err(_LOGIC_HINTS[tok.text], tok.pos)
        if tok.kind == "sup":
            raise self.err(
                "ambiguous superscript: a superscript must follow a number, name or bracket "
                "directly (write (x²)^3 or x^6 instead of x²³ split by a space)",
                tok.pos,
            )
        raise self.err(f"unexpected {tok.describe()}", tok.pos)

    def parse_relation(self) -> sympy.Basic:
        lhs = self.parse_sum(None)
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text in _BAD_RELATIONS:
            raise self.err(_BAD_RELATIONS[tok.text], tok.pos)
        if not (tok.kind == "op" and tok.text in _RELATIONS):
            return lhs
        self.lex.next()
        if tok.text in ("=", "==") and self.ctx.declared is None:
            self.refuse_definition(tok)
        rhs = self.parse_sum(tok)
        nxt = self.lex.peek()
        if nxt.kind == "op" and nxt.text in _RELATIONS:
            raise self.err(
                "only one comparison is allowed: chains such as a < b < c or a = b = c are "
                "not supported; parse each one separately",
                nxt.pos,
            )
        relation = _RELATIONS[tok.text]
        return self.build(tok, "the comparison", lambda: relation(lhs, rhs, evaluate=False))

    def refuse_definition(self, equals: _Tok) -> None:
        """``f(x) = x^2`` is a definition, not the equation f·x = x²: say so."""
        m = re.fullmatch(
            r"\s*([A-Za-z])\(([^()]*)\)\s*", self.lex.src[: equals.pos - self.lex.offset]
        )
        if m and m.group(1) not in self.ctx.functions and m.group(1) not in "eE":
            raise self.err(
                f"{m.group(0).strip()!r} looks like a function definition; symnn parses "
                "formulas, so pass only the right-hand side (for the product, write "
                f"{m.group(1)}*({m.group(2)}))",
                equals.pos,
            )

    def parse_sum(self, after: _Tok | None) -> sympy.Expr:
        terms = [self.parse_term(after)]
        first_op = None
        while True:
            tok = self.lex.peek()
            if not (tok.kind == "op" and tok.text in ("+", "-")):
                break
            self.lex.next()
            first_op = first_op or tok
            term = self.parse_term(tok)
            terms.append(
                term if tok.text == "+" else self.build(tok, "the negation", sympy.Mul, -1, term)
            )
        if len(terms) == 1:
            return terms[0]
        if _add_estimate(terms) > MAX_DIGITS:
            raise self.err(
                f"this sum is too large to build exactly: its coefficients would exceed "
                f"{MAX_DIGITS} digits",
                first_op.pos,
            )
        return self.build(first_op, "this sum", sympy.Add, *terms)

    def parse_term(self, after: _Tok | None) -> sympy.Expr:
        factors = [self.parse_unary(after)]
        first = None
        while True:
            tok = self.lex.peek()
            if tok.kind == "op" and tok.text in ("*", "/", "⊙"):
                self.lex.next()
                if tok.text == "⊙" and self.ctx.hadamard is None:
                    self.ctx.hadamard = tok.pos
                operand = self.parse_unary(tok)
                if tok.text == "/":
                    if operand.is_Number and operand.is_zero:
                        raise self.err("division by zero", tok.pos)
                    operand = self.build(tok, "the division", _guarded_pow, operand, S.NegativeOne)
                factors.append(operand)
            elif self.ctx.logic and tok.kind == "name" and tok.text in ("and", "or", "not"):
                break  # a region's connective, not a factor
            elif tok.kind in ("name", "piece") or (
                tok.kind == "op"
                and tok.text in _STARTS_FACTOR
                and not (tok.text == "|" and self.bars)
            ):
                left = factors[-1]
                factors.append(self.parse_power(None))  # implicit multiplication
                if (
                    self.ctx.juxtaposed is None
                    and _const(left, self.ctx.memo) is None
                    and _const(factors[-1], self.ctx.memo) is None
                ):
                    self.ctx.juxtaposed = tok.pos
            elif tok.kind == "num":
                prev = _short(factors[-1])
                if not factors[-1].is_Atom:
                    prev = f"({prev})"
                raise self.err(
                    f"a number cannot follow {_short(factors[-1])!r} directly: write "
                    f"{prev}*{tok.text} for a product or {prev}^{tok.text} for a power (a lost "
                    "superscript?), or remove the space if it is one number",
                    tok.pos,
                )
            elif tok.kind == "op" and tok.text == "//":
                raise self.err("'//' (floor division) is not supported; write floor(a/b)", tok.pos)
            else:
                break
            first = first or tok
        if len(factors) == 1:
            return factors[0]
        if _mul_estimate(factors) > MAX_DIGITS:
            raise self.err(
                f"this product is too large to build exactly: its numbers would exceed "
                f"{MAX_DIGITS} digits",
                first.pos,
            )
        return self.build(first, "this product", sympy.Mul, *factors)

    def parse_unary(self, after: _Tok | None) -> sympy.Expr:
        negative = False
        sign = None
        while True:
            tok = self.expect_operand(after)
            if tok.kind == "op" and tok.text in ("-", "+"):
                self.lex.next()
                negative ^= tok.text == "-"
                sign = after = tok
            else:
                break
        operand = self.parse_power(after)
        if negative:
            return self.build(sign, "the negation", sympy.Mul, -1, operand)
        return operand

    def parse_power(self, after: _Tok | None) -> sympy.Expr:
        base = self.parse_postfix(after)
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text in ("^", "**"):
            self.lex.next()
            self.enter(tok)
            exponent = self.parse_unary(tok)
            self.leave()
            return self.power(base, exponent, tok)
        if tok.kind == "sup":
            self.lex.next()
            exponent = self.parse_superscript(tok)
            result = self.power(base, exponent, tok)
            nxt = self.lex.peek()
            if nxt.kind == "sup" or (nxt.kind == "op" and nxt.text in ("^", "**", "!")):
                raise self.err(
                    f"{nxt.describe()} cannot follow a superscript directly: use brackets, "
                    "e.g. (x²)^3, x^(2·3) or (x²)!",
                    nxt.pos,
                )
            return result
        return base

    def power(self, base: sympy.Expr, exponent: sympy.Expr, tok: _Tok) -> sympy.Expr:
        return self.build(tok, "this power", _guarded_pow, base, exponent)

    def parse_superscript(self, tok: _Tok) -> sympy.Expr:
        src = "".join(_SUPERSCRIPT[c] for c in tok.text)
        self.enter(tok)
        sub = _Parser(self.ctx, src, tok.pos)
        exponent = sub.parse_sum(None)
        rest = sub.lex.peek()
        if rest.kind != "end":
            sub.unexpected(rest)
        self.leave()
        return exponent

    def parse_postfix(self, after: _Tok | None) -> sympy.Expr:
        expr = self.parse_primary(after)
        while True:
            tok = self.lex.peek()
            if not (tok.kind == "op" and tok.text == "!"):
                return expr
            self.lex.next()
            nxt = self.lex.peek()
            if nxt.kind == "op" and nxt.text == "!" and nxt.pos == tok.pos + 1:
                raise self.err(
                    "'!!' (double factorial) is not supported; write (n!)! for the "
                    "factorial of a factorial",
                    tok.pos,
                )
            expr = self.build(tok, "this factorial", _factorial, expr)

    def parse_primary(self, after: _Tok | None) -> sympy.Expr:
        tok = self.expect_operand(after)
        if tok.kind in ("op",) and tok.text in ("-", "+"):
            # only reachable after a root sign: √-x
            root = after.text if after is not None else "√"
            raise self.err(f"write a signed operand in brackets, e.g. {root}(-x)", tok.pos)
        self.lex.next()
        if tok.kind == "num":
            return self.number(tok)
        if tok.kind == "name":
            return self.name(tok)
        if tok.kind == "piece":
            return tok.value
        if tok.text == "(":
            return self.group(tok)
        if tok.text == "|":
            return self.abs_bars(tok)
        if tok.text == "∞":
            return S.Infinity
        return self.root(tok)

    def group(self, tok: _Tok) -> sympy.Expr:
        self.enter(tok)
        if self.lex.peek().kind == "op" and self.lex.peek().text == ")":
            raise self.err("empty parentheses: expected an expression inside '( )'", tok.pos)
        saved, self.bars = self.bars, False
        self.ctx.open_parens += 1
        inner = self.parse_sum(tok)
        self.ctx.open_parens -= 1
        self.bars = saved
        self.close(tok)
        self.leave()
        return inner

    def close(self, opening: _Tok) -> None:
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text == ")":
            self.lex.next()
            return
        if tok.kind == "end":
            raise self.err(
                f"unbalanced parenthesis: '(' at position {opening.pos} is never closed",
                opening.pos,
            )
        if tok.kind == "op" and tok.text in _RELATIONS:
            raise self.err(
                f"a comparison ({tok.text!r}) is only allowed once, at the top level, not "
                "inside brackets or function arguments",
                tok.pos,
            )
        if tok.kind == "op" and tok.text == ",":
            raise self.err(
                "unexpected ',': commas only separate the arguments of a function, e.g. max(x, y)",
                tok.pos,
            )
        if tok.kind == "op" and tok.text in _BAD_RELATIONS:
            raise self.err(_BAD_RELATIONS[tok.text], tok.pos)
        raise self.err(
            f"expected ')' to close '(' at position {opening.pos}, found {tok.describe()}",
            tok.pos,
        )

    def abs_bars(self, tok: _Tok) -> sympy.Expr:
        self.enter(tok)
        saved, self.bars = self.bars, True
        inner = self.parse_sum(tok)
        self.bars = saved
        end = self.lex.peek()
        if not (end.kind == "op" and end.text == "|"):
            if end.kind == "end":
                raise self.err(
                    f"unbalanced '|': the absolute value bar at position {tok.pos} is never closed",
                    tok.pos,
                )
            raise self.err(
                f"expected '|' to close the absolute value opened at position {tok.pos}, "
                f"found {end.describe()}",
                end.pos,
            )
        self.lex.next()
        self.leave()
        return self.build(tok, "|...|", _function(sympy.Abs), inner)

    def root(self, tok: _Tok) -> sympy.Expr:
        self.enter(tok)
        operand = self.parse_postfix(tok)
        nxt = self.lex.peek()
        if nxt.kind == "sup" or (nxt.kind == "op" and nxt.text in ("^", "**")):
            raise self.err(
                f"ambiguous power after {tok.text!r}: write {tok.text}(x^2) for the root of "
                f"the power or ({tok.text}x)^2 for the power of the root",
                nxt.pos,
            )
        self.leave()
        return self.build(tok, f"{tok.text}(...)", _ROOTS[tok.text], operand)

    def number(self, tok: _Tok) -> sympy.Rational:
        m = re.fullmatch(r"([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", tok.text)
        whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "0"
        digits = (whole + frac).lstrip("0") or "0"
        if len(exp.lstrip("+-").lstrip("0")) > 6:
            raise self.err(f"the exponent of {tok.text} is too large", tok.pos)
        shift = int(exp) - len(frac)
        if len(digits) + max(shift, 0) > MAX_DIGITS + 1 or -shift > MAX_DIGITS:
            raise self.err(
                f"the number {_short(tok.text)} is too large or too long (symnn refuses exact "
                f"numbers over {MAX_DIGITS} digits)",
                tok.pos,
            )
        n = int(digits)
        if shift >= 0:
            return sympy.Integer(n * 10**shift)
        return sympy.Rational(n, 10**-shift)

    # -- names
    def name(self, tok: _Tok) -> sympy.Expr:
        ctx = self.ctx
        text = tok.text
        if text.startswith("_") or "__" in text:
            raise self.err(
                f"names may not start with '_' or contain '__' ({_short(text)!r}): Python "
                "internals are not mathematics",
                tok.pos,
            )
        if len(text) > _MAX_NAME:
            raise self.err(
                f"name {_short(text)!r} is too long (at most {_MAX_NAME} characters)", tok.pos
            )
        units = _units(text)
        key = "".join(u.key for u in units)
        key = _GREEK_WORDS.get(key, key)
        if key.endswith("_"):
            raise self.err(f"a subscript is missing after '_' in {text!r}", tok.pos + len(text) - 1)
        nxt = self.lex.peek()
        call = nxt.kind == "op" and nxt.text == "("

        if ctx.declared is not None and key in ctx.declared:
            return ctx.declared[key]
        if key in ("Piecewise", "piecewise"):
            if call:
                return self.piecewise(tok)
            raise self.err(
                "Piecewise needs its pairs in parentheses: Piecewise((value, condition), ..., "
                "(value, True))",
                tok.pos,
            )
        if key == "sigma" and "sigmoid" in ctx.functions:
            if call:  # σ(x), as symnn prints the logistic sigmoid
                return self.call(ctx.functions["sigmoid"], tok)
            self.refuse_sigma_power(tok)
        if key == "I" and ctx.declared is None:
            raise self.err(
                "'I' is SymPy's imaginary unit and symnn's formulas are real: for a variable "
                "named I write I_1, or pass symbols=[...] with 'I' in it",
                tok.pos,
            )
        fn = ctx.functions.get(key)
        if fn is not None:
            if call:
                return self.call(fn, tok)
            powered = self.function_power(fn, tok)
            if powered is not None:
                return powered
            if not (ctx.declared is None and (len(units) == 1 or key in _GREEK_WORDS)):
                raise self.err(
                    f"{key!r} is a function: write its argument in parentheses, e.g. {key}(x)",
                    tok.pos,
                )
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        if key in _RESERVED:
            hint = _RESERVED_HINTS.get(key, "symnn parses a single formula, not Python")
            raise self.err(f"{key!r} is not allowed: {hint}", tok.pos)
        if ctx.declared is None:
            return self.open_name(tok, units, key, call)
        return self.declared_name(tok, units, key, call)

    def call(self, fn: _Function, tok: _Tok) -> sympy.Expr:
        opening = self.lex.next()
        self.enter(opening)
        args: list[sympy.Expr] = []
        saved, self.bars = self.bars, False
        self.ctx.open_parens += 1
        if not (self.lex.peek().kind == "op" and self.lex.peek().text == ")"):
            args.append(self.parse_sum(opening))
            while self.lex.peek().kind == "op" and self.lex.peek().text == ",":
                comma = self.lex.next()
                args.append(self.parse_sum(comma))
        self.ctx.open_parens -= 1
        self.bars = saved
        self.close(opening)
        self.leave()
        if not fn.accepts(len(args)):
            raise self.err(f"{fn.name}() takes {fn.arity()}, got {len(args)}", tok.pos)
        return self.build(tok, f"{fn.name}(...)", fn.builder, *args)

    # -- Piecewise((value, condition), ...), as SymPy prints it
    def piecewise(self, tok: _Tok) -> sympy.Expr:
        opening = self.lex.next()
        self.enter(opening)
        saved, self.bars = self.bars, False
        self.ctx.open_parens += 1
        pairs: list[tuple[sympy.Expr, sympy.Basic]] = []
        while True:
            pair = self.lex.peek()
            if not (pair.kind == "op" and pair.text == "("):
                raise self.err(
                    "Piecewise takes pairs (value, condition), e.g. Piecewise((0, x <= 0), "
                    f"(x, True)); found {pair.describe()}",
                    pair.pos,
                )
            self.lex.next()
            self.enter(pair)
            value = self.parse_sum(pair)
            comma = self.lex.peek()
            if not (comma.kind == "op" and comma.text == ","):
                raise self.err(
                    "expected ',' and a condition after the value of this Piecewise pair, "
                    f"as in (x, x > 0); found {comma.describe()}",
                    comma.pos,
                )
            self.lex.next()
            condition = self.parse_condition(comma)
            self.close(pair)
            self.leave()
            pairs.append((value, condition))
            nxt = self.lex.peek()
            if not (nxt.kind == "op" and nxt.text == ","):
                break
            self.lex.next()
        self.ctx.open_parens -= 1
        self.bars = saved
        self.close(opening)
        self.leave()
        return self.build(tok, "Piecewise(...)", lambda: sympy.Piecewise(*pairs))

    def parse_condition(self, after: _Tok) -> sympy.Basic:
        """``cond | cond``, ``cond & cond``, ``~cond``, And/Or/Not/Eq/Ne(...), relations."""
        self.enter(after)
        saved, self.bars = self.bars, True  # a '|' after an operand means "or"
        left = self.parse_conjunction(after)
        while self._logic_word("|", "or"):
            op = self.lex.next()
            right = self.parse_conjunction(op)
            left = self.build(op, "the condition", sympy.Or, left, right)
        self.bars = saved
        self.leave()
        return left

    def parse_conjunction(self, after: _Tok) -> sympy.Basic:
        left = self.parse_negation(after)
        while self._logic_word("&", "and"):
            op = self.lex.next()
            right = self.parse_negation(op)
            left = self.build(op, "the condition", sympy.And, left, right)
        return left

    def parse_negation(self, after: _Tok) -> sympy.Basic:
        tok = self.lex.peek()
        if self._logic_word("~", "not"):
            self.lex.next()
            self.enter(tok)
            inner = self.parse_negation(tok)
            self.leave()
            return self.build(tok, "the negation", sympy.Not, inner)
        return self.parse_condition_atom(after)

    def parse_condition_atom(self, after: _Tok) -> sympy.Basic:
        lex = self.lex
        tok = lex.peek()
        declared = self.ctx.declared or {}
        if tok.kind == "name" and tok.text not in declared:
            if tok.text in ("True", "False"):
                lex.next()
                return S.true if tok.text == "True" else S.false
            nxt = lex.peek(1)
            if tok.text in _LOGIC_CALLS and nxt.kind == "op" and nxt.text == "(":
                return self.logic_call(tok)
        if tok.kind == "op" and tok.text == "(":
            state = self.save()
            try:
                lex.next()
                self.enter(tok)
                self.ctx.open_parens += 1
                inner = self.parse_condition(tok)
                self.ctx.open_parens -= 1
                self.close(tok)
                self.leave()
                return inner
            except ParseError as first_error:
                self.restore(state)
                try:
                    return self.comparison(after)
                except ParseError as second_error:
                    # report the reading that got further
                    pos1, pos2 = first_error.position or 0, second_error.position or 0
                    raise (first_error if pos1 > pos2 else second_error) from None
        return self.comparison(after)

    def comparison(self, after: _Tok) -> sympy.Basic:
        lhs = self.parse_sum(after)
        op = self.lex.peek()
        relation = _CONDITION_RELATIONS.get(op.text) if op.kind == "op" else None
        if relation is None:
            where = "" if self.ctx.logic else " in this Piecewise condition"
            raise self.err(
                f"expected a comparison such as x <= 0{where} (or True, "
                f"or conditions joined by & and |); found {op.describe()}",
                op.pos,
            )
        self.lex.next()
        rhs = self.parse_sum(op)
        nxt = self.lex.peek()
        if nxt.kind == "op" and nxt.text in _CONDITION_RELATIONS:
            raise self.err(
                "chains such as a < x < b are not supported in a condition: write "
                "(a < x) & (x < b)",
                nxt.pos,
            )
        return self.build(op, "the comparison", relation, lhs, rhs)

    def logic_call(self, tok: _Tok) -> sympy.Basic:
        """``And(c, ...)``, ``Or(c, ...)``, ``Not(c)``, ``Eq(a, b)``, ``Ne(a, b)`` in a condition."""
        self.lex.next()
        opening = self.lex.next()
        self.enter(opening)
        saved, self.bars = self.bars, False
        self.ctx.open_parens += 1
        relational = tok.text in ("Eq", "Ne")
        args: list[sympy.Basic] = []
        separator: _Tok = opening
        while True:
            args.append(
                self.parse_sum(separator) if relational else self.parse_condition(separator)
            )
            if not (self.lex.peek().kind == "op" and self.lex.peek().text == ","):
                break
            separator = self.lex.next()
        self.ctx.open_parens -= 1
        self.bars = saved
        self.close(opening)
        self.leave()
        fn, counts = _LOGIC_CALLS[tok.text]
        if counts is not None and len(args) not in counts:
            raise self.err(
                f"{tok.text}() takes {' or '.join(map(str, counts))} argument(s), got {len(args)}",
                tok.pos,
            )
        return self.build(tok, f"{tok.text}(...)", fn, *args)

    def save(self) -> tuple:
        ctx = self.ctx
        return (self.lex.i, list(self.lex.buf), self.bars, ctx.depth, ctx.open_parens)

    def restore(self, state: tuple) -> None:
        self.lex.i, buf, self.bars, self.ctx.depth, self.ctx.open_parens = state
        self.lex.buf = list(buf)

    def function_power(self, fn: _Function, tok: _Tok) -> sympy.Expr | None:
        """``sin^2(x)`` and ``sin²(x)`` mean sin(x)^2; ``sin^-1(x)`` is refused."""
        lex = self.lex
        first = lex.peek()
        if first.kind == "sup":
            if lex.peek(1).kind == "op" and lex.peek(1).text == "(":
                if first.text == "⁻¹":
                    self.inverse_error(fn, first)
                lex.next()
                exponent = self.parse_superscript(first)
                return self.power(self.call(fn, tok), exponent, first)
            return None
        if first.kind == "op" and first.text in ("^", "**"):
            second = lex.peek(1)
            if second.kind == "op" and second.text == "-":
                self.inverse_error(fn, first)
            if (
                second.kind == "num"
                and second.text.isdigit()
                and lex.peek(2).kind == "op"
                and lex.peek(2).text == "("
            ):
                lex.next()
                lex.next()
                return self.power(self.call(fn, tok), sympy.Integer(int(second.text)), first)
        return None

    def refuse_sigma_power(self, tok: _Tok) -> None:
        """``σ²(x)`` could be the squared sigmoid or the variance times (x): refuse it."""
        lex = self.lex
        first, second = lex.peek(), lex.peek(1)
        if first.kind == "sup":
            powered = second.kind == "op" and second.text == "("
        elif first.kind == "op" and first.text in ("^", "**"):
            k = 2 if second.kind == "op" and second.text in ("-", "+") else 1
            number, after = lex.peek(k), lex.peek(k + 1)
            powered = number.kind == "num" and after.kind == "op" and after.text == "("
        else:
            powered = False
        if powered:
            raise self.err(
                f"{tok.text}{first.text}... followed by '(' is ambiguous: σ(x) is the sigmoid "
                "in symnn, so write σ(x)^2 for a power of the sigmoid, or σ^2*(x) for a "
                "product with the variable σ",
                first.pos,
            )

    def inverse_error(self, fn: _Function, tok: _Tok) -> None:
        raise self.err(
            f"{fn.name}^-1 is ambiguous: write a{fn.name}(x) for the inverse function or "
            f"1/{fn.name}(x) for the reciprocal",
            tok.pos,
        )

    def open_name(self, tok: _Tok, units: list[str], key: str, call: bool) -> sympy.Expr:
        ctx = self.ctx
        if len(units) == 1 and (len(key) == 1 or _is_greek_unit(tok.text)):
            ctx.plain_letters.add(key)
            return ctx.symbol(key)
        if key in _GREEK_WORDS:
            ctx.plain_letters.add(_GREEK_WORDS[key])
            return ctx.symbol(_GREEK_WORDS[key])
        m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", key)
        if m and (len(m.group(1)) == 1 or m.group(1) in _GREEK_WORDS):
            base = _GREEK_WORDS.get(m.group(1), m.group(1))
            ctx.digit_names.append((key, base, tok.pos))
            return ctx.symbol(base + m.group(2))
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+", key):
            return ctx.symbol(key)
        if not key.isalpha():
            raise self.err(
                f"unknown name {key!r}: write products with '*' (x*y), powers with '^' "
                "(x^2) and subscripts with '_' (x_1)",
                tok.pos,
            )
        if call:
            raise self.err(f"unknown function {key!r}" + self.function_hint(key), tok.pos)
        prefix = self.function_prefix(key)
        if prefix is not None:
            rest = key[len(prefix) :]
            raise self.err(
                f"unknown name {key!r}; did you mean '{prefix}({rest})'? (a function needs "
                "parentheses)",
                tok.pos,
            )
        pieces = self.split(tok, units, _open_piece)
        if pieces is not None and len(pieces) <= _MAX_SPLIT_PIECES:
            return self.pieces(tok, pieces)
        raise self.err(
            f"unknown name {key!r}"
            + did_you_mean(key, ctx.known_names())
            + " (for a product of single-letter variables write them with '*'; to use "
            f"{key!r} as one symbol, write it with an '_' or pass symbols=[...])",
            tok.pos,
        )

    def declared_name(self, tok: _Tok, units: list[str], key: str, call: bool) -> sympy.Expr:
        ctx = self.ctx
        pieces = self.split(tok, units, self.declared_piece)
        if pieces is not None:
            return self.pieces(tok, pieces)
        names = ", ".join(sorted(ctx.declared)) or "none"
        hint = ""
        m = re.fullmatch(r"(.+?)([0-9]+)", key)
        if m and m.group(1) in ctx.declared:
            hint = f"; write {m.group(1)}^{m.group(2)} for a power or {m.group(1)}*{m.group(2)} for a product"
        elif call:
            hint = self.function_hint(key)
        else:
            hint = did_you_mean(key, ctx.known_names())
        raise self.err(
            f"unknown {'function' if call and not hint.startswith('; write') else 'name'} "
            f"{key!r}{hint} (declared symbols: {names}; add it to symbols=[...] or pass "
            "symbols=None to accept any single-letter variable)",
            tok.pos,
        )

    def function_hint(self, key: str) -> str:
        hint = did_you_mean(key, self.ctx.functions)
        if hint:
            return hint
        for fname in sorted(self.ctx.functions, key=len, reverse=True):
            if key.endswith(fname) and len(key) > len(fname):
                return f"; did you mean '{key[: -len(fname)]}*{fname}(...)'?"
        return " (known functions: see symnn.parse.known_functions())"

    def function_prefix(self, key: str) -> str | None:
        for fname in sorted(self.ctx.functions, key=len, reverse=True):
            if key.startswith(fname) and len(key) > len(fname):
                return fname
        return None

    def declared_piece(self, piece: str, greek_unit: bool) -> sympy.Expr | None:
        declared = self.ctx.declared
        if piece in declared:
            return declared[piece]
        if piece in ("e", "E", "pi"):
            return _CONSTANTS[piece]
        return None

    def split(
        self, tok: _Tok, units: list[_Unit], piece_of: Callable[[str, bool], sympy.Expr | None]
    ) -> list[tuple[str, sympy.Expr, int]] | None:
        """Split a word into the fewest known pieces; refuse if that is ambiguous.

        Returns ``(name, value, position)`` per piece.  The pieces then behave as if
        they had been typed with spaces: ``ab^2`` is a·b², ``x^ab`` is x^a·b.
        """
        n = len(units)
        # best[i] = (count, [piece boundaries]) for units[i:], keeping two distinct splits
        best: list[tuple[int, list[list[int]]] | None] = [None] * (n + 1)
        best[n] = (0, [[]])
        for i in range(n - 1, -1, -1):
            options: list[tuple[int, list[int]]] = []
            for j in range(i + 1, n + 1):
                if any(u.greek for u in units[i:j]) and j > i + 1:
                    break  # a unicode Greek letter is a piece of its own
                if best[j] is None:
                    continue
                piece = "".join(u.key for u in units[i:j])
                if piece_of(piece, units[i].greek) is None:
                    continue
                count, rests = best[j]
                options.extend((count + 1, [j, *rest]) for rest in rests)
            if options:
                fewest = min(c for c, _ in options)
                distinct: list[list[int]] = []
                seen: list[list[str]] = []
                for c, bounds in options:
                    names = sorted(_pieces(units, i, bounds))
                    if c == fewest and names not in seen:
                        seen.append(names)
                        distinct.append(bounds)
                best[i] = (fewest, distinct[:2])
        if best[0] is None:
            return None
        _, choices = best[0]
        if len(choices) > 1:
            a, b = ("*".join(_pieces(units, 0, c)) for c in choices)
            raise self.err(
                f"ambiguous name {tok.text!r}: it could be {a} or {b}; write the product with '*'",
                tok.pos,
            )
        out = []
        i = 0
        for j in choices[0]:
            name = "".join(u.key for u in units[i:j])
            out.append((name, piece_of(name, units[i].greek), tok.pos + units[i].start))
            i = j
        return out

    def pieces(self, tok: _Tok, pieces: list[tuple[str, sympy.Expr, int]]) -> sympy.Expr:
        """Return the first piece; the others are read next, as if typed with spaces."""
        for name, value, _ in pieces:
            if isinstance(value, sympy.Symbol) and self.ctx.declared is None:
                self.ctx.plain_letters.add(name)
        rest = [_Tok("piece", name, pos, value) for name, value, pos in pieces[1:]]
        self.lex.buf[0:0] = rest
        return pieces[0][1]


@dataclass(frozen=True)
class _Unit:
    key: str  # "x", "alpha" for α, "_12" for ₁₂
    start: int  # offset in the token text
    greek: bool  # a unicode Greek letter


def _units(text: str) -> list[_Unit]:
    """Split a name token into units: ASCII characters, Greek letters (as words), subscripts."""
    units = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in _SUBSCRIPT:
            j = i
            while j < len(text) and text[j] in _SUBSCRIPT:
                j += 1
            units.append(_Unit("_" + "".join(_SUBSCRIPT[s] for s in text[i:j]), i, False))
            i = j
            continue
        units.append(_Unit(_GREEK.get(c, c), i, c in _GREEK))
        i += 1
    return units


def _pieces(units: list[_Unit], i: int, bounds: list[int]) -> list[str]:
    out = []
    for j in bounds:
        out.append("".join(u.key for u in units[i:j]))
        i = j
    return out


def _is_greek_unit(text: str) -> bool:
    return len(text) == 1 and text in _GREEK


def _open_piece(piece: str, greek_unit: bool) -> sympy.Expr | None:
    """What one piece of a split word means in open mode (None: not a piece)."""
    if piece in ("e", "E", "pi"):
        return _CONSTANTS[piece]
    if greek_unit or piece in _GREEK_WORDS:
        return sympy.Symbol(_GREEK_WORDS.get(piece, piece), real=True)
    if len(piece) == 1 and piece.isascii() and piece.isalpha() and piece != "I":
        return sympy.Symbol(piece, real=True)
    return None


# ------------------------------------------------------------------------ parse

#: ``d/dx``, ``dy/dx``, ``d²y/dx²``, ``d^2 f/dx^2``: a derivative in Leibniz notation.
_LEIBNIZ = re.compile(
    rf"(?<![\w.])d(?:\^?[0-9]+|[²³⁴⁵⁶⁷⁸⁹])?[\w{_GREEK_CLASS}]*\s*/\s*"
    rf"(d[\w{_GREEK_CLASS}]+)"
)


def _refuse_leibniz(ctx: _Context, src: str) -> None:
    """Refuse ``d/dx ...``: read as arithmetic it would be d/(d·x)·..., silently wrong."""
    for m in _LEIBNIZ.finditer(src):
        key = _name_key(m.group(1).rstrip("0123456789₀₁₂₃₄₅₆₇₈₉"))
        if key is not None and (
            key in (ctx.declared or {}) or key in ctx.functions or key in _GREEK_WORDS
        ):
            continue  # d/delta, d/dt with a declared dt: a real division
        raise ParseError(
            f"{m.group(0)!r} looks like a derivative in Leibniz notation, which is not "
            f"parsed: {DERIVATIVE_HINT}; for a division write it with brackets, e.g. "
            "d/(d*x)",
            ctx.text,
            m.start(),
        )


def _check_printable(result: sympy.Basic, text: str) -> None:
    """Make sure ``str()`` of the result works: SymPy evaluates constants when it prints."""
    try:
        str(result)
    except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
        raise ParseError(
            "SymPy cannot print this formula: evaluating one of its constants failed "
            f"({type(exc).__name__}); use smaller numbers or simplify it",
            text,
            None,
        ) from None
    if result.has(S.ImaginaryUnit):  # a safety net: check() refuses these where they appear
        raise ParseError(
            "the formula is not real (it contains the imaginary unit I); symnn's symbols "
            "and numbers are real",
            text,
            None,
        )


def parse(
    text: str,
    symbols: Iterable[str | sympy.Symbol] | None = None,
    *,
    functions: Mapping[str, Callable] | None = None,
    max_length: int = 10_000,
    logic: bool = False,
) -> sympy.Basic:
    r"""Parse a formula typed by a person into SymPy, safely (no Python is evaluated).

    Returns a SymPy expression, ``Eq(lhs, rhs)`` for ``=``/``==``, or an unevaluated
    relational for ``<``, ``<=``, ``>``, ``>=``.  The rules (implicit
    multiplication, decimals as exact rationals, names, unicode, limits) are in the
    module docstring of :mod:`symnn.parse`.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x^2 + y^2 + xy = 1"`` or ``"x*tanh(softplus(x))"``.
    symbols : iterable of str or sympy.Symbol, optional
        The variables in play.  ``None`` (default) accepts any single letter, Greek
        letter or subscripted name as a variable, created as
        ``Symbol(name, real=True)``; a list makes these the only variables (Symbol
        objects are used as they are).  A string is split on spaces and commas.
    functions : mapping of str to callable, optional
        Extra functions for this call only, ``{"f": builder}``; they take precedence
        over registered and builtin functions.
    max_length : int
        Longest accepted input, in characters.
    logic : bool
        Also accept a region: comparisons (``!=`` and ``≠`` too) joined by ``and``,
        ``or``, ``not`` (or ``&``, ``|``, ``~``) and brackets, e.g.
        ``"y > x^2 and x^2 + y^2 <= 1"``; returns an And/Or/Not (what
        :func:`symnn.plot_implicit` draws).

    Raises
    ------
    ParseError
        For anything that is not a well-formed formula within the limits; ``str()``
        shows the message, the input and a caret under the offending character.

    Examples
    --------
    >>> from symnn.expr.parse import parse
    >>> parse("x^2 + 2x + 1")
    x**2 + 2*x + 1
    >>> parse("0.1x - 3")
    x/10 - 3
    >>> parse("α·x ≤ 1")
    alpha*x <= 1
    >>> parse("x*y + z", symbols=["x", "y", "z"])
    x*y + z
    >>> parse("2^-3!")
    1/64
    >>> rel = parse("y > x^2 and not x != 1", logic=True)
    >>> sorted(map(str, rel.args))  # an And (SymPy orders its arguments by hash)
    ['Eq(x, 1)', 'y > x**2']
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, not {type(text).__name__}"
            + (" (decode bytes first, e.g. text.decode())" if isinstance(text, bytes) else "")
        )
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"max_length must be a positive int, not {max_length!r}")
    if len(text) > max_length:
        raise ParseError(
            f"input is {len(text)} characters long; the limit is {max_length} "
            "(pass max_length=... to raise it)",
            text,
            max_length,
        )
    declared = _declared(symbols)
    extra = _per_call_functions(functions)
    if declared and extra:
        clash = sorted(set(declared) & set(extra))
        if clash:
            raise ValueError(
                f"{clash[0]!r} is both in symbols and in functions; give it one meaning"
            )
    table = {**_REGISTRY, **extra} if extra else _REGISTRY
    normalised = _normalise(text)
    ctx = _Context(text, declared, table)
    ctx.logic = bool(logic)
    _refuse_leibniz(ctx, normalised)
    token = _MEMO.set(ctx.memo)
    try:
        result = _Parser(ctx, normalised).parse_top()
    finally:
        _MEMO.reset(token)
    if ctx.hadamard is not None and ctx.juxtaposed is not None:
        raise ParseError(
            "this formula mixes '⊙' (the elementwise product) with a product written by "
            "juxtaposition, which symnn's matrix equations use for the matrix product "
            "(Z = X W): symnn parses scalar formulas, so write every product with '*' (or "
            "'⊙')",
            text,
            ctx.juxtaposed,
        )
    _check_printable(result, text)
    for name, base, pos in ctx.digit_names:
        if base in ctx.plain_letters:
            digits = name[len(base) :]
            raise ParseError(
                f"{name!r} is ambiguous here because {base!r} is also used on its own: if it "
                f"is {base} to the power {digits} (a superscript lost in copying, as x² -> x2), "
                f"write {base}^{digits}; if it is a separate variable, write {base}_{digits} "
                "(or pass symbols=[...])",
                text,
                pos,
            )
    return result
