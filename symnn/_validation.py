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
from typing import Any

import sympy as sp

__all__ = [
    "as_float_array",
    "check_choice",
    "check_count",
    "check_interval",
    "check_window",
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


def check_interval(
    what: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """*value* as a float if it is a finite real number in the interval, else a clear error.

    *what* names the value in the message ("leaky_relu parameter alpha", "lr").

    >>> check_interval("lr", 0.1, 0, low_open=True)
    0.1
    >>> check_interval("beta1", 1.0, 0, 1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: beta1 must be in [0, 1), got 1.0
    >>> check_interval("lr", "fast")
    Traceback (most recent call last):
    ...
    TypeError: lr must be a number, not str 'fast'
    """
    if isinstance(value, Real) and not isinstance(value, (bool, sp.Basic)):
        try:  # what float(exact_number(value)) gives, without SymPy (fit calls this)
            x = float(value)
        except OverflowError:  # an int past float64
            x = math.inf if value > 0 else -math.inf
        if not math.isfinite(x) and not isinstance(value, Integral):
            raise ValueError(f"{what} must be finite, got {value!r}")
    else:
        number = exact_number(value, what) if not isinstance(value, sp.Basic) else value
        if not number.is_number or not number.is_real:
            raise TypeError(f"{what} must be a real number, not {value!r}")
        x = float(number)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        left = "(" if low_open or low == -math.inf else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{what} must be in {left}{low:g}, {high:g}{right}, got {x!r}")
    return x


def check_count(what: str, value: object, minimum: int = 1, maximum: int | None = None) -> int:
    """*value* as an int if it is a whole number in ``[minimum, maximum]``, else a clear error.

    >>> check_count("depth", 3, 2)
    3
    >>> check_count("depth", 1, 2)
    Traceback (most recent call last):
    ...
    ValueError: depth must be at least 2, got 1
    >>> check_count("epochs", 2.5)
    Traceback (most recent call last):
    ...
    TypeError: epochs must be an integer, not float 2.5
    """
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(f"{what} must be an integer, not {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{what} must be at most {maximum}, got {value!r}")
    return int(value)


def as_float_array(values: Any, what: str, owner: str | None = None) -> Any:
    """*values* as a float64 NumPy array, or a TypeError that names what was expected.

    Complex input is refused (symnn works on the real line), not silently truncated.

    >>> as_float_array([1, 2], "x")
    array([1., 2.])
    >>> as_float_array("ab", "x", "relu")
    Traceback (most recent call last):
    ...
    TypeError: relu: x must be numbers or an array of numbers, not str 'ab'
    """
    import numpy as np

    prefix = f"{owner}: " if owner else ""
    if np.iscomplexobj(values):
        raise TypeError(
            f"{prefix}{what} is complex; symnn works with real numbers (pass the real part, "
            "values.real, if that is what you mean)"
        )
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{prefix}{what} must be numbers or an array of numbers, "
            f"not {type(values).__name__} {values!r}"
        ) from None


def check_window(what: str, lim: object) -> tuple[float, float]:
    """``(low, high)`` as floats, both finite and ``low < high``; else a ValueError naming *what*.

    >>> check_window("xlim", (-2, 2))
    (-2.0, 2.0)
    >>> check_window("xlim", (2, -2))
    Traceback (most recent call last):
    ...
    ValueError: xlim must be finite with low < high, got (2, -2)
    """
    try:
        lo, hi = (float(v) for v in lim)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (low, high) of numbers, got {lim!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{what} must be finite with low < high, got {lim!r}")
    return lo, hi
