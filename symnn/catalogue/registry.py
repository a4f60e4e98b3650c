r"""One registry for every catalogue: define, look up, aliases, did-you-mean, parameters.

Activations, losses, regularizers, initializers, optimizers and datasets are each a
:class:`Registry` of entries. An entry is one definition: its name, its aliases, its
parameters (each a :class:`ParamSpec` with a default and an allowed interval), its
documentation, and whatever else the rest of symnn needs to know about it (an
activation's initialiser family, a loss's kind of prediction, ...). Code outside the
catalogue asks the entry; it never compares names.

>>> reg = Registry("widget", "symnn.widgets()")
>>> _ = reg.add(Entry(name="round", aliases=("circle",), doc="A round widget.",
...                   params=(positive("radius", 1.0),)))
>>> reg.names(), reg.aliases()
(['round'], {'circle': 'round'})
>>> reg.lookup("Circle").name
'round'
>>> reg.lookup("rond")
Traceback (most recent call last):
...
ValueError: unknown widget 'rond'; did you mean 'round'? (symnn.widgets() lists them all)
>>> reg.check_params(reg.lookup("round"), {"radius": -1})
Traceback (most recent call last):
...
ValueError: round parameter radius must be in (0, inf), got -1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sympy as sp

from symnn._validation import check_choice, check_interval, unknown_parameter

__all__ = [
    "Entry",
    "ParamSpec",
    "Registry",
    "nonnegative",
    "positive",
    "real",
    "unit",
]


@dataclass(frozen=True)
class ParamSpec:
    r"""A numeric parameter: its keyword, default, allowed interval and symbol.

    ``low``/``high`` bound the value; ``low_open``/``high_open`` exclude the bound.
    ``symbol`` is the name of its SymPy symbol in formulas (default: the keyword;
    ``lambd`` is written :math:`\lambda`, so its symbol is ``"lambda"``).

    >>> spec = positive("alpha", 0.01)
    >>> spec.check(0.2, "leaky_relu"), spec.sympy_symbol()
    (0.2, alpha)
    >>> spec.sympy_symbol().is_positive
    True
    """

    name: str
    default: float
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    symbol: str | None = None
    doc: str = ""

    @property
    def symbol_name(self) -> str:
        return self.symbol or self.name

    @property
    def positive(self) -> bool:
        """True when every allowed value is > 0."""
        return self.low > 0 or (self.low == 0 and self.low_open)

    def sympy_symbol(self) -> sp.Symbol:
        """The SymPy symbol of the parameter: positive, nonnegative or real, as the interval says."""
        if self.positive:
            return sp.Symbol(self.symbol_name, positive=True)
        if self.low == 0:
            return sp.Symbol(self.symbol_name, nonnegative=True)
        return sp.Symbol(self.symbol_name, real=True)

    def interval(self) -> str:
        """The allowed interval as text: ``(0, inf)``, ``[0, 1]``."""
        left = "(" if self.low_open or self.low == -math.inf else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def check(self, value: Any, owner: str) -> float:
        """*value* as a float, or a ValueError naming *owner*, the parameter and the interval."""
        return check_interval(
            f"{owner} parameter {self.name}",
            value,
            self.low,
            self.high,
            low_open=self.low_open,
            high_open=self.high_open,
        )


def positive(name: str, default: float, **kw: Any) -> ParamSpec:
    """A parameter in :math:`(0, \\infty)`."""
    return ParamSpec(name, default, 0.0, math.inf, low_open=True, **kw)


def nonnegative(name: str, default: float, **kw: Any) -> ParamSpec:
    """A parameter in :math:`[0, \\infty)`."""
    return ParamSpec(name, default, 0.0, math.inf, **kw)


def unit(name: str, default: float, **kw: Any) -> ParamSpec:
    """A parameter in :math:`[0, 1]` (``high_open=True`` for :math:`[0, 1)`)."""
    return ParamSpec(name, default, 0.0, 1.0, **kw)


def real(name: str, default: float, **kw: Any) -> ParamSpec:
    """A parameter that may be any real number."""
    return ParamSpec(name, default, **kw)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What every catalogue entry has: a name, aliases, parameters and documentation."""

    name: str
    aliases: tuple[str, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    doc: str = ""

    def param(self, name: str) -> ParamSpec:
        """The spec of the parameter called *name* (keyword or symbol name)."""
        for spec in self.params:
            if name in (spec.name, spec.symbol_name):
                return spec
        raise unknown_parameter(self.name, name, [p.name for p in self.params])

    @property
    def defaults(self) -> dict[str, float]:
        """``{keyword: default}`` of every parameter."""
        return {p.name: p.default for p in self.params}

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


E = TypeVar("E", bound=Entry)


@dataclass
class Registry(Generic[E]):
    """The entries of one catalogue, in definition order, with their aliases.

    *kind* names an entry in messages ("activation"); *listing* is the call that
    lists them all (``"symnn.activations()"``).
    """

    kind: str
    listing: str
    _entries: dict[str, E] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    def add(self, entry: E) -> E:
        """Register *entry* (its name and aliases must be new)."""
        for key in (entry.name, *entry.aliases):
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is defined twice")
        self._entries[entry.name] = entry
        for alias in entry.aliases:
            self._aliases[alias] = entry.name
        return entry

    def names(self) -> list[str]:
        """Every canonical name, in definition order."""
        return list(self._entries)

    def aliases(self) -> dict[str, str]:
        """Alternative spellings and the canonical names they resolve to."""
        return dict(self._aliases)

    def key(self, name: str) -> str:
        """The canonical name for *name* (case, ``-`` and aliases forgiven), or a did-you-mean."""
        return check_choice(
            self.kind,
            name,
            self._entries,
            aliases=self._aliases,
            listing=f"{self.listing} lists them all",
        )

    def lookup(self, name: str) -> E:
        """The entry called *name* (or one of its aliases)."""
        return self._entries[self.key(name)]

    def knows(self, name: str) -> bool:
        """True when *name* is a canonical name or an alias (exact, after normalising)."""
        from symnn._validation import normalize_name

        key = normalize_name(name)
        return key in self._entries or key in self._aliases

    def check_params(self, entry: E, given: Mapping[str, Any]) -> dict[str, float]:
        """Check keyword values against *entry*'s parameters: ``{keyword: float}``."""
        out = {}
        for key, value in given.items():
            out[entry.param(key).name] = entry.param(key).check(value, entry.name)
        return out

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
