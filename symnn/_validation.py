"""One place for the checks that turn bad input into a clear error.

Every error symnn raises for bad input names the parameter, the value passed
and how to fix it.  The helpers here are the only places that format such
messages, so the wording stays consistent across the library and the CLI.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from numbers import Integral, Real

import sympy as sp

__all__ = [
    "check_choice",
    "did_you_mean",
    "exact_number",
    "normalize_name",
    "unknown_parameter",
]


def normalize_name(name: str) -> str:
    """Return the lookup key for a user-typed name: lower case, ``-``/space -> ``_``.

    >>> normalize_name("Leaky-ReLU")
    'leaky_relu'
    """
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def did_you_mean(
    value: str, options: Iterable[str], n: int = 3, same: dict[str, str] | None = None
) -> str:
    """Return ``"; did you mean 'a' or 'b'?"`` for the options closest to *value*, or ``""``.

    Only the best matches are offered (those nearly as close as the closest one);
    *same* maps aliases to canonical names, so one thing is not offered twice.

    >>> did_you_mean("sigmod", ["sigmoid", "tanh", "relu", "logsigmoid"])
    "; did you mean 'sigmoid'?"
    """
    value = str(value).lower()
    scored = []
    for option in dict.fromkeys(options):
        ratio = difflib.SequenceMatcher(None, value, option.lower()).ratio()
        if ratio >= 0.6:
            scored.append((ratio, option))
    if not scored:
        return ""
    best = max(r for r, _ in scored)
    same = same or {}
    close, seen = [], set()
    for r, o in sorted(scored, key=lambda t: -t[0]):
        if r >= best - 0.1 and same.get(o, o) not in seen:
            close.append(o)
            seen.add(same.get(o, o))
    close = close[:n]
    quoted = [repr(c) for c in close]
    if len(quoted) == 1:
        return f"; did you mean {quoted[0]}?"
    return f"; did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


def check_choice(
    param: str,
    value: object,
    options: Iterable[str],
    *,
    listing: str | None = None,
    aliases: dict[str, str] | None = None,
) -> str:
    """Return the canonical option for *value*, or raise a ValueError that suggests one.

    *param* is what the user was choosing ("activation", "loss", ...);
    *listing* names the call that lists every option; *aliases* maps
    alternative spellings to canonical names.

    >>> check_choice("optimizer", "Adam", ["sgd", "momentum", "adam"])
    'adam'
    >>> check_choice("optimizer", "adma", ["sgd", "momentum", "adam"])
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'adma'; did you mean 'adam'? (choose one of 'sgd', 'momentum', 'adam')
    """
    options = list(options)
    aliases = aliases or {}
    if not isinstance(value, str):
        raise TypeError(f"{param} must be a name (str), not {type(value).__name__} {value!r}")
    key = normalize_name(value)
    if key in options:
        return key
    if key in aliases:
        return aliases[key]
    hint = did_you_mean(key, [*options, *aliases], same=aliases)
    if listing is None:
        listing = "choose one of " + ", ".join(repr(o) for o in options)
    raise ValueError(f"unknown {param} {value!r}{hint} ({listing})")


def exact_number(value: object, what: str = "value") -> sp.Expr:
    """A user's number as the exact SymPy number it states: 0.2 -> 1/5, 3 -> 3.

    SymPy expressions pass through; booleans, strings, NaN and inf are refused.

    >>> exact_number(0.2), exact_number(3), exact_number(1e-3)
    (1/5, 3, 1/1000)
    >>> exact_number("big", "alpha")
    Traceback (most recent call last):
    ...
    TypeError: alpha must be a number, not str 'big'
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a number, not {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    if isinstance(value, Integral):
        return sp.Integer(int(value))
    return sp.Rational(repr(float(value)))


def unknown_parameter(owner: str, key: str, options: Iterable[str]) -> ValueError:
    """The error for a parameter *owner* does not have, naming the ones it has.

    >>> print(unknown_parameter("elu", "alhpa", ["alpha"]))
    elu has no parameter 'alhpa'; did you mean 'alpha'? (its parameters: 'alpha')
    """
    options = list(options)
    hint = did_you_mean(key, options)
    listing = ", ".join(repr(o) for o in options) if options else "none"
    return ValueError(f"{owner} has no parameter {key!r}{hint} (its parameters: {listing})")
